/*
 * graph_impl.h — the graph room's private header (src/graph/): the layout of
 * ops and graphs, building and naming ops, shape-inference helpers, and what
 * an op node carries: its type (the enum listed by src/ops/ops.def) and its
 * registry entry's struct. Included by the graph and every room above it.
 */
#ifndef NB_GRAPH_IMPL_H
#define NB_GRAPH_IMPL_H

#include "core/core.h"

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
    char errmsg[NBI_MSG_MAX];
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
/* A node-name check (scope + name, or name alone when it ends in '/') that
 * records the graph's error when the name is not valid UTF-8 (src/core/utf8.c
 * has the checks). */
bool nbi_utf8_name_ok(nb_graph *g, const char *scope, const char *name);
/* The graph of the first non-nil input, checking all belong to g. */
bool nbi_graph_ok(const nb_graph *g);
void nbi_graph_unref(nb_graph *g);
/* Keeps obj until the graph is freed (then free_fn(obj)). */
bool nbi_graph_own(nb_graph *g, void *obj, void (*free_fn)(void *));

/* Building an op (nbi_op_new, with the registry section below, looks up the
 * op's entry and calls nbi_op_new_def, so the graph never reads the registry):
 *   nb_op *op = nbi_op_new(g, NBI_OP_ADD, name, "add", inputs, 2);
 *   if (!op) return nb_nil;            // graph in error
 *   op->attrs.keep_dims = ...;
 *   return nbi_op_finish(op);         // runs shape inference; output 0 or nil
 * nbi_op_new records an error and returns NULL on nil / foreign inputs.
 * The name is made unique in the current scope; default_name NULL means the op type. */
nb_op *nbi_op_new_def(nb_graph *g, int type, const struct nbi_opdef *def, const char *name,
                      const char *default_name, const nb_output *inputs, int n_inputs);
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

/* Enters the op's own scope, as TF's generated wrappers do, so constant inputs
 * get names like "Reshape/shape": returns the scope with its trailing '/'
 * (malloc'd; pass it as the op's name, which is then used verbatim, and free it),
 * or NULL when the graph is in error. The caller pops the scope. */
char *nbi_op_scope_push(nb_graph *g, const char *name, const char *defname);

/*** Op types and registry entries (the list: src/ops/ops.def; the table: ops/ops_impl.h) ***/

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
    /* Optional: run-time fusion with the op that produces input fuse_input
     * (src/run/session.c). When a plan's only use of that producer's output
     * is this op's input fuse_input, the producer's inputs are plain values
     * (not variables) and fuse_ok(op, producer) holds, the producer's step
     * does not run on its own; this op runs `fused` instead of `kernel`, with
     * k->in[fuse_input] NULL and kp the producer's context: its inputs ready,
     * its output slot kp->out empty. `fused` may compute both in one pass,
     * or run the producer's kernel on kp and then its own kernel; its results
     * must be those of the two kernels run apart, bit for bit. Not used while
     * nb_set_fusion(false) or the session checks numerics. */
    int fuse_input;
    bool (*fuse_ok)(const nb_op *op, const nb_op *producer);
    nb_status (*fused)(nbi_kctx *k, nbi_kctx *kp);
    /* Optional: the kernel's own checks of its inputs (ranks, shapes), with
     * its messages, computing nothing. A producer must have it to be fused:
     * it runs at the producer's own step, so that its errors come where, and
     * after what, they would without fusion. */
    nbi_kernel_fn check;
} nbi_opdef;

#endif /* NB_GRAPH_IMPL_H */
