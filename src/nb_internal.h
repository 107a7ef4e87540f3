/*
 * nb_internal.h — what the library's files share and users never see.
 *
 * Layout of the main objects (tensor, op, graph), the op registry entry, the
 * kernel context, and the helpers every family file uses. Everything here is
 * prefixed nbi_ (functions) or lives in a struct the public header keeps opaque.
 */
#ifndef NB_INTERNAL_H
#define NB_INTERNAL_H

#include "nabla.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>

#if defined(__GNUC__)
#define NBI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define NBI_PRINTF(a, b)
#endif

/*** Allocation (src/core/alloc.c) *******************************************/

void *nbi_malloc(size_t n);
void *nbi_calloc(size_t count, size_t size);
void *nbi_realloc(void *p, size_t n);
void nbi_free(void *p);
/* 64-byte aligned block; free with nbi_aligned_free. */
void *nbi_aligned_alloc(size_t n);
void nbi_aligned_free(void *p);
char *nbi_strdup(const char *s);
/* a * b, or SIZE_MAX on overflow. */
static inline size_t nbi_mul_size(size_t a, size_t b) {
    if (a != 0 && b > (SIZE_MAX - 1) / a) return SIZE_MAX;
    return a * b;
}
/* malloc'd printf; NULL when out of memory. */
char *nbi_asprintf(const char *fmt, ...) NBI_PRINTF(1, 2);

/* Failure injection for tests: the n-th allocation from now fails (0 = never). */
void nbi_alloc_fail_at(long n);

/*** Errors (src/core/status.c) **********************************************/

/* Fills an nb_error (may be NULL); returns code. Every library error passes
 * through nbi_error(), so one breakpoint catches all of them. */
nb_status nbi_error(nb_status code);
nb_status nbi_set_error(nb_error *err, nb_status code, const char *fmt, ...) NBI_PRINTF(3, 4);

/*** Tensors (src/core/tensor.c) *********************************************/

struct nb_tensor {
    atomic_int refcount; /* see nbi_ref */
    nb_dtype dtype;
    int rank;
    int64_t dims[NB_MAX_RANK];
    int64_t size;     /* number of elements */
    size_t nbytes;    /* size * element size */
    size_t capacity;  /* bytes allocated at data (>= nbytes) */
    void *data;
    void (*deleter)(void *data, size_t nbytes, void *ctx); /* wrapped memory */
    void *deleter_ctx;
    nb_tensor *base;  /* a view holds a reference on the tensor whose data it shares */
    bool owns_data;   /* data came from nbi_aligned_alloc */
    /* Position in a session plan's buffer pool, or -1. Atomic: a fetched pool
     * tensor may be fed to another session (which reads it) while its own
     * plan moves or frees its pool entries (which write it). Only a hint: the
     * pool compares pointers before trusting it. */
    atomic_int pool_index;
    /* The session plan whose step caches this view header (nbi_kview), NULL
     * once no step does: only that plan may take "2 references" to mean "a
     * value slot and the cache". Atomic: other sessions (the view fed to
     * them) read it while its plan's session changes it. */
    _Atomic(const void *) view_plan;
};

/* Element count of dims, or -1 on a negative dim or overflow. */
static inline int64_t nbi_numel(int rank, const int64_t *dims) {
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0) return -1;
        if (dims[i] != 0 && n > INT64_MAX / dims[i]) return -1;
        n *= dims[i];
    }
    return n;
}
/* Inline forms of nb_dtype_size and nb_tensor_ref for hot paths. */
static inline size_t nbi_dtype_size(nb_dtype dt) {
    static const unsigned char sz[11] = {0, 4, 8, 4, 1, 0, 0, 0, 0, 8, 1};
    return (unsigned)dt < 11 ? sz[dt] : 0;
}
/* Reference counts are atomic: a tensor a session returned may be dropped by
 * the caller's thread while another thread runs the session (which tests
 * refcount == 1 to reuse a buffer; see nbi_refcount). */
static inline nb_tensor *nbi_ref(nb_tensor *t) {
    if (t) atomic_fetch_add_explicit(&t->refcount, 1, memory_order_relaxed);
    return t;
}
static inline int nbi_refcount(const nb_tensor *t) {
    return atomic_load_explicit(&t->refcount, memory_order_acquire);
}
static inline void nbi_unref(nb_tensor *t) {
    if (t && atomic_fetch_sub_explicit(&t->refcount, 1, memory_order_acq_rel) == 1) {
        atomic_store_explicit(&t->refcount, 1, memory_order_relaxed); /* the out-of-line path frees it */
        nb_tensor_unref(t);
    }
}
static inline bool nbi_same_dims(const nb_tensor *t, int rank, const int64_t *dims) {
    if (t->rank != rank) return false;
    for (int i = 0; i < rank; i++)
        if (t->dims[i] != dims[i]) return false;
    return true;
}
/* A new tensor with uninitialized data (refcount 1); NULL on bad dims / OOM. */
nb_tensor *nbi_tensor_alloc(nb_dtype dtype, int rank, const int64_t *dims);
/* A tensor of new dims sharing base's data (same element count). */
nb_tensor *nbi_tensor_view(nb_tensor *base, int rank, const int64_t *dims);
/* Re-labels a tensor in place with a dtype and dims whose bytes fit in capacity. */
void nbi_tensor_relabel(nb_tensor *t, nb_dtype dtype, int rank, const int64_t *dims);
/* Element i converted to/from double. */
double nbi_load(const void *data, nb_dtype dt, int64_t i);
void nbi_store(void *data, nb_dtype dt, int64_t i, double v);
/* Converts n elements between dtypes (numpy astype rules: float->int truncates). */
void nbi_convert(const void *src, nb_dtype sdt, void *dst, nb_dtype ddt, int64_t n);
bool nbi_dtype_valid(nb_dtype dt);
static inline bool nbi_dtype_is_float(nb_dtype dt) { return dt == NB_FLOAT32 || dt == NB_FLOAT64; }
static inline bool nbi_dtype_is_int(nb_dtype dt) {
    return dt == NB_INT32 || dt == NB_INT64 || dt == NB_UINT8;
}
/* TensorFlow's name for a dtype in messages: "float", "double", "int32". */
const char *nbi_dtype_tfname(nb_dtype dt);

/*** Random numbers (src/core/random.c) **************************************/

/* Philox4x32-10 counter-based generator. */
typedef struct nbi_philox {
    uint32_t key[2];
    uint32_t counter[4];
    uint32_t buf[4];
    int pos;
} nbi_philox;
/* Key = seed; the counter's high half = seed2, its second word = stream (so each
 * run of a random op draws a fresh, reproducible block sequence). */
void nbi_philox_init(nbi_philox *p, uint64_t seed, uint64_t seed2, uint32_t stream);
uint32_t nbi_philox_u32(nbi_philox *p);
double nbi_philox_uniform(nbi_philox *p);  /* [0, 1) with 53 bits */
double nbi_philox_normal(nbi_philox *p);   /* N(0, 1) */
/* Fill n elements of a float32/float64 buffer. kind: 0 uniform [0,1), 1 normal,
 * 2 truncated normal (|z| <= 2). */
void nbi_random_fill(void *data, nb_dtype dt, int64_t n, int kind, uint64_t seed,
                     uint64_t seed2, uint32_t stream);

/*** Shapes (src/core/shape.c) ***********************************************/

bool nbi_shape_known(const nb_shape *s); /* rank and every dim known */
int64_t nbi_shape_numel(const nb_shape *s); /* -1 unless fully known */
/* Static broadcast of two shapes. Returns false when incompatible. */
bool nbi_shape_broadcast(const nb_shape *a, const nb_shape *b, nb_shape *out);
/* Runtime broadcast of two dims lists. Returns false when incompatible. */
bool nbi_dims_broadcast(int ra, const int64_t *da, int rb, const int64_t *db, int *rout,
                        int64_t *dout);
/* Merges two static shapes of one meaning (unknown parts take the other's);
 * false when they conflict. */
bool nbi_shape_merge(const nb_shape *a, const nb_shape *b, nb_shape *out);
/* Resolves requested dims (one may be -1) against an element count into out;
 * false when impossible (or on overflow). */
bool nbi_resolve_dims(int rank, const int64_t *req, int64_t count, int64_t *out);
/* Shape a tensor (dims) is compatible with a static shape? */
bool nbi_shape_compatible(const nb_shape *s, int rank, const int64_t *dims);
/* "[2,3]" or "(2, 3)" (python=true, numpy tuple style: "(2,)"). */
char *nbi_dims_string(int rank, const int64_t *dims, bool python, char *buf, size_t n);
/* Checked dim arithmetic: a + b / a * b of non-negative dims into *out; false
 * on a negative operand or int64 overflow (nothing written). */
bool nbi_dim_add(int64_t a, int64_t b, int64_t *out);
bool nbi_dim_mul(int64_t a, int64_t b, int64_t *out);
/* The first i at which the element count of dims (unknown dims skipped)
 * overflows int64, with the product so far in *a and dims[i] in *b; -1 if none.
 * For TF's "Encountered overflow when multiplying a with b, result: -1". */
int nbi_numel_overflow(int rank, const int64_t *dims, int64_t *a, int64_t *b);
/* Element i of an integer tensor read exactly (no trip through double; floats
 * truncate and saturate, NaN gives 0), and an exact integer store: false when v
 * does not fit dt (nothing written). */
int64_t nbi_load_int(const void *data, nb_dtype dt, int64_t i);
bool nbi_store_int(void *data, nb_dtype dt, int64_t i, int64_t v);
/* Element i of an index tensor whose dtype was checked to be int32 or int64 (ops' inner loops). */
static inline int64_t nbi_load_index(const nb_tensor *t, int64_t i) {
    if (t->dtype == NB_INT32) return ((const int32_t *)t->data)[i];
    return ((const int64_t *)t->data)[i];
}
/* d[lo] * ... * d[hi-1] (1 when lo >= hi), for dims already known to fit. */
static inline int64_t nbi_dims_prod(const int64_t *d, int lo, int hi) {
    int64_t p = 1;
    for (int i = lo; i < hi; i++) p *= d[i];
    return p;
}

/*** Graph (src/graph/graph.c) ***********************************************/

/* Attributes of a node: one flat blob; each op uses the fields it needs. */
typedef struct nbi_attrs {
    nb_dtype dtype;      /* Placeholder, Const, VariableV2, Cast (DstT), random ops, OneHot */
    nb_shape shape;      /* Placeholder, VariableV2 */
    bool transpose_a;    /* MatMul (BatchMatMulV2: adj_x) */
    bool transpose_b;
    bool keep_dims;
    bool use_nesterov;
    int64_t seed, seed2; /* random ops */
    int axis;            /* Pack, OneHot */
    int n_ints;          /* Squeeze dims, ... */
    int64_t ints[2 * NB_MAX_RANK];
    double f[4];         /* scalar float attributes */
    const char *message; /* CheckNumerics (owned by the graph) */
} nbi_attrs;

struct nb_op {
    nb_graph *graph;
    int id;                 /* position in graph->ops: creation order is a topological order */
    int type;               /* NBI_OP_* */
    const struct nbi_opdef *def;
    char *name;
    int n_inputs;
    nb_output *inputs;
    int n_control;
    nb_op **control;
    int n_outputs;
    nb_dtype *out_dtype;
    nb_shape *out_shape;
    nbi_attrs attrs;
    nb_tensor *value;       /* Const: the value */
    nb_op *variable;        /* VariableV2: itself; "<var>/read": its VariableV2 */
    int var_index;          /* VariableV2: index in graph->vars; else -1 */
    nb_op *initializer;     /* VariableV2: its "<name>/Assign" */
    bool trainable;
};

/* A string -> value hash map (open addressing). */
typedef struct nbi_map {
    char **keys;
    void **vals;
    size_t cap, count;
} nbi_map;
void *nbi_map_get(const nbi_map *m, const char *key);
bool nbi_map_put(nbi_map *m, const char *key, void *val); /* false on OOM */
void nbi_map_free(nbi_map *m);

struct nb_graph {
    nb_op **ops;
    int n_ops, cap_ops;
    nbi_map by_name;        /* exact name -> nb_op* */
    nbi_map names_used;     /* lower-cased name -> (intptr_t) count, TF's _names_in_use */
    char **scopes;          /* stack of scope strings, each with trailing '/' ("" = root) */
    int n_scopes, cap_scopes;
    nb_op ***ctrl;          /* control-dependency stack */
    int *ctrl_n;
    int n_ctrl, cap_ctrl;
    nb_status status;
    char errmsg[2048];
    bool has_seed;
    int64_t seed;
    nb_op **vars;           /* VariableV2 ops in creation order */
    int n_vars, cap_vars;
    void **owned;           /* objects freed with the graph (optimizers) */
    int n_owned, cap_owned;
    void (**owned_free)(void *);
    /* The graph's handle + one per session. Atomic: sessions on one graph are
     * made and freed from several threads (nb_session_new, nbi_graph_unref). */
    atomic_int refcount;
};

/* Records the graph's first error (later ones are ignored). Returns code. */
nb_status nbi_graph_error(nb_graph *g, nb_status code, const char *fmt, ...) NBI_PRINTF(3, 4);
/* UTF-8 (src/core/utf8.c): the offset of the first invalid byte of s, or
 * (size_t)-1; s rendered printably into out (invalid and control bytes as
 * \xNN, "..." when cut); and a node-name check (scope + name, or name alone
 * when it ends in '/') that records the graph's error. */
size_t nbi_utf8_invalid_at(const char *s);
void nbi_utf8_show(const char *s, char *out, size_t cap);
bool nbi_utf8_name_ok(nb_graph *g, const char *scope, const char *name);
/* The graph of the first non-nil input, checking all belong to g. */
bool nbi_graph_ok(const nb_graph *g);
void nbi_graph_unref(nb_graph *g);
/* Keeps obj until the graph is freed (then free_fn(obj)). */
bool nbi_graph_own(nb_graph *g, void *obj, void (*free_fn)(void *));
/* Registers a finished VariableV2 op in g->vars (sets its var_index); false on
 * OOM. nb_variable does it; the GraphDef importer too (src/ops/source.c). */
bool nbi_graph_add_variable(nb_graph *g, nb_op *v);

/* Building an op:
 *   nb_op *op = nbi_op_new(g, NBI_OP_ADD, name, "add", inputs, 2);
 *   if (!op) return nb_nil;            // graph in error
 *   op->attrs.keep_dims = ...;
 *   return nbi_op_finish(op);         // runs shape inference; output 0 or nil
 * nbi_op_new records an error and returns NULL on nil / foreign inputs.
 * The name is made unique in the current scope; default_name NULL means the op type. */
nb_op *nbi_op_new(nb_graph *g, int type, const char *name, const char *default_name,
                  const nb_output *inputs, int n_inputs);
nb_output nbi_op_finish(nb_op *op);
/* Discards an op from nbi_op_new that was not finished. */
void nbi_op_discard(nb_op *op);
/* Adds a control input before finishing. */
bool nbi_op_add_control(nb_op *op, nb_op *dep);
/* A unique full name for `name` in the current scope, reserved (malloc'd). */
char *nbi_unique_name(nb_graph *g, const char *name);

/* Shape inference helpers, used by opdef infer functions. They set the op's
 * output count and dtypes/shapes, or record an error that names the op
 * (TensorFlow style: "<msg> for 'scope/name' (op: 'Type') with input shapes: [2], [3]."). */
nb_status nbi_infer_error(nb_op *op, nb_status code, const char *fmt, ...) NBI_PRINTF(3, 4);
bool nbi_set_outputs(nb_op *op, int n);
static inline nb_dtype nbi_in_dtype(const nb_op *op, int i) {
    return op->inputs[i].op->out_dtype[op->inputs[i].index];
}
static inline const nb_shape *nbi_in_shape(const nb_op *op, int i) {
    return &op->inputs[i].op->out_shape[op->inputs[i].index];
}
/* The value of input i when known before running (a Const, or the Shape of a fully
 * known shape); NULL otherwise. Borrowed (owned by the graph). */
const nb_tensor *nbi_const_input(nb_op *op, int i);
/* The int values of a known int32/int64 rank-0/1 input; returns count or -1 if unknown. */
int nbi_const_ints(nb_op *op, int i, int64_t *out, int max);

static inline nb_output nbi_out(nb_op *op, int k) {
    nb_output o = {op, k};
    return o;
}

/* Helpers for constructors. */
/* A Const holding t, taking ownership of the reference; a NULL t (a failed
 * allocation) records NB_ERR_OUT_OF_MEMORY. Default name "Const". */
nb_output nbi_const_owning(nb_graph *g, nb_tensor *t, const char *name, const char *defname);
/* Enters the op's own scope, as TF's generated wrappers do, so constant inputs
 * get names like "Reshape/shape": returns the scope with its trailing '/'
 * (malloc'd; pass it as the op's name, which is then used verbatim, and free it),
 * or NULL when the graph is in error. The caller pops the scope. */
char *nbi_op_scope_push(nb_graph *g, const char *name, const char *defname);
/* An int Const of n values (a scalar when scalar), stored exactly; dt NB_INT32
 * becomes NB_INT64 when a value does not fit int32. */
nb_output nbi_const_ints_node(nb_graph *g, nb_dtype dt, const int64_t *v, int n, bool scalar,
                              const char *name);
nb_output nbi_unary(nb_graph *g, int type, nb_output x, const char *name, const char *defname);
nb_output nbi_binary(nb_graph *g, int type, nb_output x, nb_output y, const char *name,
                     const char *defname);

/*** Op registry (src/ops/registry.c, src/ops/ops.def) ***********************/

enum nbi_op_type {
#define NB_OP(e) NBI_OP_##e,
#include "ops/ops.def"
#undef NB_OP
    NBI_OP_COUNT
};

typedef struct nbi_kctx nbi_kctx;
typedef nb_status (*nbi_kernel_fn)(nbi_kctx *k);
/* Gradient builder: given d(sum ys)/d(output k) in dy[k] (nil when none flows),
 * fills dx[i] for each input (nil when none; dx arrives all nil). Adds ops by
 * calling the public constructors; errors are sticky on the graph. */
typedef void (*nbi_grad_fn)(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx);

enum {
    NBI_STATEFUL = 1u << 0,  /* never pruned by caching; has side effects */
    NBI_NO_GRAD = 1u << 1,   /* not differentiable: gives no gradient, no error */
    NBI_REF_IN0 = 1u << 2,   /* input 0 is a variable updated in place (not read) */
    NBI_REF_IN1 = 1u << 3,   /* input 1 too (optimizer slots) */
    NBI_REF_IN2 = 1u << 4,
    NBI_VARIABLE = 1u << 5,  /* a variable: its value lives in the session (VariableV2) */
    NBI_SEEDED = 1u << 6,    /* attrs.seed, seed2 pick its random stream (0, 0 in a GraphDef: unseeded) */
    NBI_SUMMARY = 1u << 7,   /* output 0 is a serialized Summary (a DT_STRING scalar in TF) */
    NBI_TAG_IN0 = 1u << 8,   /* input 0 is a tag: a DT_STRING scalar in TF, a uint8 vector here */
};

struct nbi_attr_row; /* src/graph/graphdef_attrs.h */

/* An op's entry: every fact about the op, in its family file. */
typedef struct nbi_opdef {
    const char *type;   /* TensorFlow op type (written only here) */
    const char *old_type; /* optional: an older TF type the GraphDef importer also takes */
    int n_inputs;       /* -1: variadic */
    unsigned flags;
    nb_status (*infer)(nb_op *op); /* sets outputs; NULL: one output like input 0 */
    nbi_kernel_fn kernel;
    nbi_grad_fn grad;
    /* Its GraphDef attrs, ended by a NULL name (NBI_ATTRS in graph/graphdef_attrs.h). */
    const struct nbi_attr_row *attrs;
    /* Optional: its value while the graph is built, or NULL when unknown (a
     * Const's value, a Shape of a known shape); read by nbi_const_input. */
    const nb_tensor *(*const_value)(nb_op *op);
    /* Optional: called by the GraphDef importer once the attrs are stored,
     * before shape inference, to restore what a NodeDef does not hold (a
     * variable's links to its read and initializer). */
    void (*imported)(nb_op *op);
} nbi_opdef;

extern const nbi_opdef *const nbi_registry[NBI_OP_COUNT];

/* Each family file defines `const nbi_opdef nbi_opdef_<ENUM>` for its ops; the
 * link fails if one is missing. */
#define NB_OP(e) extern const nbi_opdef nbi_opdef_##e;
#include "ops/ops.def"
#undef NB_OP

/*** Kernels (src/run/session.c provides the context) ************************/

struct nbi_kctx {
    nb_session *sess;
    nb_op *op;
    nb_tensor **in;    /* input values (NULL for ref inputs) */
    nb_tensor **out;   /* outputs, set by the kernel (new references) */
    struct nbi_step *step;
    struct nbi_plan *plan;
};
/* An output buffer of the given dtype/dims from the session's pool (new reference
 * stored by the caller in k->out[i]); NULL after recording OOM. */
nb_tensor *nbi_kalloc(nbi_kctx *k, nb_dtype dt, int rank, const int64_t *dims);
/* A tensor of new dims sharing base's data (a reshape view), reusing the step's
 * view header from the last run when free. New reference; NULL after recording
 * an error. */
nb_tensor *nbi_kview(nbi_kctx *k, nb_tensor *base, int rank, const int64_t *dims);
/* Scratch memory of at least `bytes` (64-byte aligned) private to this plan
 * step, kept across runs and freed with the plan; its contents are undefined
 * on entry. NULL after recording OOM. */
void *nbi_kscratch(nbi_kctx *k, size_t bytes);
/* Records a run-time error naming the node; returns code. */
nb_status nbi_kerror(nbi_kctx *k, nb_status code, const char *fmt, ...) NBI_PRINTF(3, 4);
/* NB_OK when dims (all >= 0) have an element count int64 holds and a byte size
 * size_t holds; otherwise a kernel error in TF's words ("Encountered overflow
 * when multiplying ...", or out of memory "OOM when allocating tensor with
 * shape[...] and type float"). Call it before nbi_kalloc on user-given dims. */
nb_status nbi_kcheck_numel(nbi_kctx *k, nb_dtype dt, int rank, const int64_t *dims);
/* The session's storage slot of the variable behind input i (a VariableV2). */
nb_tensor **nbi_kvar_slot(nbi_kctx *k, int i);
/* Makes the variable behind input i writable in place: records "Attempting to
 * use uninitialized value" when it has no value, and copies it first when
 * anyone else holds a reference (copy-on-write). Returns the tensor or NULL. */
nb_tensor *nbi_kvar_writable(nbi_kctx *k, int i);
/* The seeds of a random op for this run: (seed, seed2) from the op's attrs (or
 * drawn once per session when the op has none) and the number of earlier runs
 * of this op in this session as the stream. */
void nbi_kseed(nbi_kctx *k, uint64_t *seed, uint64_t *seed2, uint32_t *stream);
/* A session's current value of variable op v, by reference and without
 * copying (updates made later copy first, so it stays a snapshot). NULL when
 * uninitialized, or with *oom set when the session's state could not grow. */
nb_tensor *nbi_session_variable_ref(nb_session *s, const nb_op *v, bool *oom);
/* Number of threads the kernels may use. */
int nbi_num_threads(void);
/* Re-sizes the team to the cores other processes leave idle (at most every
 * 0.1 s; see nb_set_num_threads). Called at the start of session runs and of
 * library calls that run parallel work outside a session. */
void nbi_threads_probe(void);

/*** BLAS (src/ops/linalg.c) ************************************************/

/* The largest size or leading dimension the BLAS takes: its integer (blasint)
 * is 32-bit in Debian's OpenBLAS. */
int64_t nbi_blas_max(void);
/* C = op(A)·op(B) + beta·C for float32/float64 through cblas_?gemm (row-major,
 * alpha 1): op(A) is [m,k], op(B) [k,n], C [m,n] with leading dims lda, ldb, ldc.
 * Sizes or leading dims above nbi_blas_max() would be refused by the BLAS (which
 * prints a message and leaves C as it was): such products are split into blocks
 * that fit. A block that still has a leading dimension too large is cut to one
 * stored row, whose leading dimension then does not matter. Never allocates. */
void nbi_gemm(nb_dtype dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void *a,
              int64_t lda, const void *b, int64_t ldb, double beta, void *c, int64_t ldc);
/* nbi_gemm with `lim` in place of nbi_blas_max(), so tests can check the
 * blocking on small matrices. */
void nbi_gemm_lim(nb_dtype dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void *a,
                  int64_t lda, const void *b, int64_t ldb, double beta, void *c, int64_t ldc,
                  int64_t lim);

/*** Elementwise machinery: see src/ops/elementwise.h ***********************/

/*** Debugging (src/ops/debug.c) ********************************************/

/* Non-finite values in a float tensor: 0 none, bit 0 a NaN, bit 1 an Inf. */
int nbi_nonfinite(const nb_tensor *t);
/* "NaN", "Inf" or "Inf and NaN" (TensorFlow's words) for nbi_nonfinite's result. */
const char *nbi_nonfinite_what(int found);

/*** Collective ops (src/ops/collective.c; kernels in src/dist/) *************/

/* The reduction of an all-reduce, in attrs.axis (Horovod's ReduceOp numbers). */
enum { NBI_REDUCE_AVERAGE = 0, NBI_REDUCE_SUM = 1 };
/* The collective kernels, installed by libnabla_dist's nb_dist_init (and
 * removed by nb_dist_finalize). libnabla holds only this table of pointers,
 * so it never links MPI; without it the ops fail with a clear message. */
typedef struct nbi_dist_hooks {
    nbi_kernel_fn allreduce, grouped_allreduce, broadcast, allgather;
} nbi_dist_hooks;
void nbi_dist_install(const nbi_dist_hooks *h); /* NULL uninstalls */

/*** Reductions (src/ops/reduce.c) *****************************************/

/* axis=None of a reduction, as TF's _ReductionDims builds it in the current scope: a Const
 * [0 .. rank-1], or range(0, rank(x)) when x's rank is unknown; stored in *ax. False (with
 * g's error set) only when the range scope cannot be made. Used by reduce.c and scan.c. */
bool nbi_all_axes_node(nb_graph *g, nb_output x, nb_output *ax);

/*** Growing strings (src/io/print.c) ***************************************/

/* A NUL-terminated string that grows as text is added; start it as {0}, free p with
 * nbi_free. On out of memory oom is set and later additions are dropped. */
typedef struct nbi_sbuf {
    char *p;
    size_t len, cap;
    bool oom;
} nbi_sbuf;
void nbi_sb_putn(nbi_sbuf *b, const char *s, size_t n);
void nbi_sb_puts(nbi_sbuf *b, const char *s);

/*** Training (src/train/optimizers.c) **************************************/

/* The variable list minimize works on: *vars/n_vars as given, or, when *vars is NULL or
 * n_vars <= 0, the graph's trainable variables in a new list stored in *vars and *owned
 * (the caller frees *owned with nbi_free). Returns the count, or -1 with g's error set
 * (out of memory, "No variables to optimize."). Used by nb_optimizer_minimize and
 * nb_dist_minimize. */
int nbi_minimize_var_list(nb_graph *g, const nb_output **vars, int n_vars, nb_output **owned);

/*** Gradient helpers (src/grad/gradients.c) *********************************/

/* Whether gradients flow through values of this dtype (floating types). */
bool nbi_differentiable_dtype(nb_dtype dt);

#endif /* NB_INTERNAL_H */
