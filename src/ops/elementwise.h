/*
 * elementwise.h — the one elementwise engine (src/ops/elementwise.c), private
 * to the op families that use it: math.c, activation.c, math_more.c (and
 * nbi_sum_to_shape_of for every gradient that undoes a broadcast).
 *
 * An elementwise op is a row in its family's table (nbi_ew_tab, indexed by
 * op type): one row function per input dtype, the output dtype, and an
 * optional check that runs before the rows (integer division by zero, ...).
 * Every row function has one signature and receives the op's attributes
 * (LeakyRelu's alpha, Gelu's approximate). The engine's kernels find the row
 * through nbi_ew_table and hand it to one parallel driver, which splits large
 * tensors into NBI_PAR_MIN-element chunks over the OpenMP team.
 */
#ifndef NABLA_OPS_ELEMENTWISE_H
#define NABLA_OPS_ELEMENTWISE_H

#include "ops/ops_impl.h"

/* Elementwise kernels split work across threads from this many elements up;
 * row loops elsewhere (softmax, bias add, reductions in nn.c) use the same
 * threshold. 8192 (32 KiB of float32): a batch of 64 x 256 activations is
 * split, which keeps the second thread busy between the products (the
 * Fashion MLP at 2 threads: 0.416 -> 0.410 s an epoch, best of 6 alternated);
 * a fork costs about a microsecond, an 8192-element add about two. */
#define NBI_PAR_MIN 8192

/* One row: n outputs to out (contiguous) from a (stride sa) and, for binary
 * ops, b (stride sb), strides in elements, 0 (broadcast) or 1; unary rows
 * ignore b, sb and get sa = 1. at: the op's attributes. */
typedef void (*nbi_ew_row)(int64_t n, const void *a, int64_t sa, const void *b, int64_t sb, void *out,
                           const nbi_attrs *at);

/* Row functions are indexed by dtype; the dtype enum's values are below this. */
#define NBI_EW_NDT 11

typedef struct nbi_ew_tab {
    int arity;         /* 1 unary, 2 binary; 0: not an op of this family */
    nb_dtype out;      /* the output dtype; NB_DTYPE_INVALID: the input's */
    const char *allowed; /* TF's list of allowed T for the dtype error (NULL: no list) */
    /* Runs before the rows; may refuse the inputs (its kernel error) or make
     * the result itself (sets k->out[0] and *done). NULL: none. */
    nb_status (*check)(nbi_kctx *k, bool *done);
    nbi_ew_row f[NBI_EW_NDT]; /* per input dtype; NULL: dtype not supported */
} nbi_ew_tab;

/* The families' tables, indexed by op type (NBI_OP_COUNT entries each). */
extern const nbi_ew_tab nbi_ew_math[NBI_OP_COUNT];
extern const nbi_ew_tab nbi_ew_activation[NBI_OP_COUNT];
extern const nbi_ew_tab nbi_ew_math_more[NBI_OP_COUNT];

/* The table row of op type `type`, from whichever family has it; NULL when
 * no family has (the engine's inference then fails with an internal error
 * naming the op, and tests/test_elementwise.c fails for it). */
const nbi_ew_tab *nbi_ew_table(int type);
/* The row function for dtype dt, or NULL. */
static inline nbi_ew_row nbi_ew_row_for(const nbi_ew_tab *t, nb_dtype dt) {
    return t && (unsigned)dt < NBI_EW_NDT ? t->f[dt] : NULL;
}

/*** The driver ***/

/* Applies row over n elements (a and b of element sizes ea, eb with strides
 * sa, sb in {0, 1}; out of element size eo): one call below NBI_PAR_MIN,
 * NBI_PAR_MIN-element chunks over the OpenMP team above. b may be NULL. */
void nbi_ew_run(int64_t n, nbi_ew_row row, const void *a, size_t ea, int64_t sa, const void *b, size_t eb,
                int64_t sb, void *out, size_t eo, const nbi_attrs *at);
/* row over broadcast operands (numpy's rules) into a new tensor *out of dtype
 * out_dt; same-shape operands go through nbi_ew_run. */
nb_status nbi_broadcast_apply(nbi_kctx *k, const nb_tensor *a, const nb_tensor *b, nb_dtype out_dt,
                              nbi_ew_row row, const nbi_attrs *at, nb_tensor **out);

/*** Kernels and inference for the ops in the tables ***/

/* y = f(x), x's shape. */
nb_status nbi_ew_k_unary(nbi_kctx *k);
/* z = f(x, y) with numpy broadcasting. */
nb_status nbi_ew_k_binary(nbi_kctx *k);
/* z = f(gradients, features) of one shape (tf.nn's *Grad helper ops): other
 * shapes are an invalid-argument error. */
nb_status nbi_ew_k_pair(nbi_kctx *k);

/* Inference of one input: the dtype must have a row ("Value for attr 'T' of
 * <dtype> is not in the list of allowed values[: <allowed>]"); out keeps x's shape. */
nb_status nbi_ew_infer_unary(nb_op *op);
/* Inference of two broadcasting inputs x, y of one dtype (math.c's binary ops). */
nb_status nbi_ew_infer_binary(nb_op *op);
/* Inference of (gradients, features): float, one dtype, mergeable shapes. */
nb_status nbi_ew_infer_pair(nb_op *op);

/*** Gradients ***/

/* grad (a gradient of broadcast(x)'s shape) summed back to x's shape:
 * statically when both shapes are known, else through BroadcastGradientArgs. */
nb_output nbi_sum_to_shape_of(nb_graph *g, nb_output grad, nb_output x);

/*** Row generators ***/

/* A binary row over T -> TO with EXPR of the named operands A and B (for
 * example x, y or g, x); PRE runs once per call (attributes). Specialised on
 * the strides so the common cases vectorise. */
#define NBI_EW_BIN_ROW(fname, T, TO, A, B, PRE, EXPR)                                         \
    static void fname(int64_t n, const void *pa, int64_t sa, const void *pb, int64_t sb,       \
                      void *po, const nbi_attrs *at) {                                         \
        const T *A_ = pa;                                                                      \
        const T *B_ = pb;                                                                      \
        TO *O_ = po;                                                                           \
        (void)at;                                                                              \
        PRE                                                                                    \
        if (sa && sb) {                                                                        \
            for (int64_t i = 0; i < n; i++) { T A = A_[i], B = B_[i]; O_[i] = (TO)(EXPR); }    \
        } else if (sb) {                                                                       \
            T A = A_[0];                                                                       \
            for (int64_t i = 0; i < n; i++) { T B = B_[i]; O_[i] = (TO)(EXPR); }               \
        } else if (sa) {                                                                       \
            T B = B_[0];                                                                       \
            for (int64_t i = 0; i < n; i++) { T A = A_[i]; O_[i] = (TO)(EXPR); }               \
        } else {                                                                               \
            T A = A_[0], B = B_[0];                                                            \
            for (int64_t i = 0; i < n; i++) O_[i] = (TO)(EXPR);                                \
        }                                                                                      \
    }

/* A unary row over T -> TO with EXPR of x; PRE runs once per call. */
#define NBI_EW_UN_ROW(fname, T, TO, PRE, EXPR)                                                 \
    static void fname(int64_t n, const void *pa, int64_t sa, const void *pb, int64_t sb,       \
                      void *po, const nbi_attrs *at) {                                         \
        const T *A_ = pa;                                                                      \
        TO *O_ = po;                                                                           \
        (void)sa, (void)pb, (void)sb, (void)at;                                                \
        PRE                                                                                    \
        for (int64_t i = 0; i < n; i++) { T x = A_[i]; O_[i] = (TO)(EXPR); }                   \
    }

#endif
