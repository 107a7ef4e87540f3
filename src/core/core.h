/*
 * core.h — the core room's private header (src/core/): allocation, errors and
 * the one error formatter, tensors, settings, the string map, random numbers,
 * shapes. It includes only the public header: every other room builds on it.
 * Everything here is prefixed nbi_ (functions) or lives in a struct the public
 * header keeps opaque.
 */
#ifndef NB_CORE_H
#define NB_CORE_H

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
/* The size of every error message an object keeps (graph, session, summary
 * writer, figure): one constant, so no message is cut shorter in one place. */
#define NBI_MSG_MAX 4096
/* The one error formatter: nbi_error(code), then *status = code (when status
 * is not NULL) and the message formatted into msg (cap bytes, cut to fit).
 * Returns code. nbi_set_error and nbi_vset_error fill an nb_error with it. */
nb_status nbi_vrecord_error(nb_status *status, char *msg, size_t cap, nb_status code,
                            const char *fmt, va_list ap) NBI_PRINTF(5, 0);
nb_status nbi_record_error(nb_status *status, char *msg, size_t cap, nb_status code,
                           const char *fmt, ...) NBI_PRINTF(5, 6);
nb_status nbi_vset_error(nb_error *err, nb_status code, const char *fmt, va_list ap)
    NBI_PRINTF(3, 0);

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
/* Whether gradients flow through values of this dtype (floating types). */
static inline bool nbi_differentiable_dtype(nb_dtype dt) { return dt == NB_FLOAT32 || dt == NB_FLOAT64; }
/* Non-finite values in a float tensor: 0 none, bit 0 a NaN, bit 1 an Inf. */
int nbi_nonfinite(const nb_tensor *t);
/* "NaN", "Inf" or "Inf and NaN" (TensorFlow's words) for nbi_nonfinite's result. */
const char *nbi_nonfinite_what(int found);

/*** UTF-8 (src/core/utf8.c) ***********************************************/

/* The offset of the first invalid byte of s, or (size_t)-1; s rendered
 * printably into out (invalid and control bytes as \xNN, "..." when cut). */
size_t nbi_utf8_invalid_at(const char *s);
void nbi_utf8_show(const char *s, char *out, size_t cap);

/*** Settings (src/core/settings.c) ******************************************/

/* Number of threads the kernels may use. */
int nbi_num_threads(void);
/* Re-sizes the team to the cores other processes leave idle (at most every
 * 0.1 s; see nb_set_num_threads). Called at the start of session runs and of
 * library calls that run parallel work outside a session. */
void nbi_threads_probe(void);

/*** String map (src/core/map.c) ********************************************/

/* A string -> value hash map (open addressing). */
typedef struct nbi_map {
    char **keys;
    void **vals;
    size_t cap, count;
} nbi_map;
void *nbi_map_get(const nbi_map *m, const char *key);
bool nbi_map_put(nbi_map *m, const char *key, void *val); /* false on OOM */
void nbi_map_free(nbi_map *m);

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

#endif /* NB_CORE_H */
