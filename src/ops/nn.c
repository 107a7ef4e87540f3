/*
 * nn.c — neural-network ops: Softmax and LogSoftmax over the last axis, the
 * fused softmax cross-entropy ops (dense and sparse labels), L2Loss, BiasAdd
 * with BiasAddGrad; and the composites TF builds from ops: sigmoid
 * cross-entropy ("logistic_loss"), mean squared error, dropout. (The
 * activations of tf.nn are in activation.c.)
 *
 * Formulas and gradient rules follow TensorFlow's nn_ops.py / nn_grad.py and
 * the kernels in tensorflow/core/kernels (xent_op.h, sparse_xent_op.h,
 * bias_op.cc).
 *
 * Stability: softmax-like rows subtract the row max before exp and accumulate
 * sums in double.
 *
 * Threads: row loops run over nb_get_num_threads() OpenMP threads (static
 * schedule) once a tensor holds NBI_PAR_MIN elements or more (the elementwise
 * engine's threshold); below that a plain loop avoids the fork cost.
 * Reductions (L2Loss, BiasAddGrad) give each thread a fixed block and add the
 * partial sums in thread order, so a result repeats bit for bit at a given
 * thread count.
 */
#include "ops/elementwise.h"
#include "graph/graphdef_attrs.h"
#include "ops/gemm_small.h"

#include <omp.h>
#include <stdio.h>
#include <tgmath.h>

/*** Parallel loops ***/

/* Runs the body for i in [0, n); over all threads when `work` >= NBI_PAR_MIN. */
#define PAR_FOR_W(n, work, ...)                                                          \
    do {                                                                                 \
        int64_t n_ = (n);                                                                \
        int nt_ = (work) >= NBI_PAR_MIN ? nbi_num_threads() : 1;                         \
        if (nt_ > 1) {                                                                   \
            _Pragma("omp parallel for num_threads(nt_) schedule(static)")                \
            for (int64_t i = 0; i < n_; i++) { __VA_ARGS__; }                            \
        } else {                                                                         \
            for (int64_t i = 0; i < n_; i++) { __VA_ARGS__; }                            \
        }                                                                                \
    } while (0)

/*** Shape inference ***/

static nb_status check_float(nb_op *op, int i) {
    nb_dtype dt = nbi_in_dtype(op, i);
    if (!nbi_dtype_is_float(dt))
        return nbi_infer_error(op, NB_ERR_DTYPE,
                               "Value for attr 'T' of %s is not in the list of allowed values: float, double",
                               nbi_dtype_tfname(dt));
    return NB_OK;
}

static nb_status shape_mismatch(nb_op *op, const char *what) {
    char a[128], b[128];
    return nbi_infer_error(op, NB_ERR_SHAPE, "%s must have the same shape, but are %s and %s", what,
                           nb_shape_string(*nbi_in_shape(op, 0), a, sizeof a),
                           nb_shape_string(*nbi_in_shape(op, 1), b, sizeof b));
}

static nb_status infer_unary(nb_op *op) {
    nb_status st = check_float(op, 0);
    if (st != NB_OK) return st;
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 0);
    op->out_shape[0] = *nbi_in_shape(op, 0);
    return NB_OK;
}

/* Softmax, LogSoftmax: rank >= 1, reduced over the last axis. */
static nb_status infer_softmax(nb_op *op) {
    nb_status st = check_float(op, 0);
    if (st != NB_OK) return st;
    if (nbi_in_shape(op, 0)->rank == 0)
        return nbi_infer_error(op, NB_ERR_SHAPE, "Shape must be at least rank 1 but is rank 0");
    return infer_unary(op);
}

static nb_status infer_l2loss(nb_op *op) {
    nb_status st = check_float(op, 0);
    if (st != NB_OK) return st;
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 0);
    op->out_shape[0] = nb_shape_make(0, NULL);
    return NB_OK;
}

/* Rank-2 check of input i (unknown rank passes). */
static nb_status want_rank(nb_op *op, int i, int rank, const char *what) {
    int r = nbi_in_shape(op, i)->rank;
    if (r >= 0 && r != rank)
        return nbi_infer_error(op, NB_ERR_SHAPE, "%s must be %d-dimensional, but is rank %d", what, rank, r);
    return NB_OK;
}

/* SoftmaxCrossEntropyWithLogits(features [B,C], labels [B,C]) -> loss [B], backprop [B,C]. */
static nb_status infer_xent(nb_op *op) {
    nb_status st = check_float(op, 0);
    if (st != NB_OK) return st;
    if (nbi_in_dtype(op, 1) != nbi_in_dtype(op, 0))
        return nbi_infer_error(op, NB_ERR_DTYPE, "labels have type %s but logits have type %s",
                               nbi_dtype_tfname(nbi_in_dtype(op, 1)), nbi_dtype_tfname(nbi_in_dtype(op, 0)));
    if ((st = want_rank(op, 0, 2, "logits")) != NB_OK || (st = want_rank(op, 1, 2, "labels")) != NB_OK)
        return st;
    nb_shape s;
    if (!nbi_shape_merge(nbi_in_shape(op, 0), nbi_in_shape(op, 1), &s))
        return shape_mismatch(op, "logits and labels");
    if (s.rank < 0) s = nb_shape_make(2, (int64_t[]){-1, -1});
    if (!nbi_set_outputs(op, 2)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = op->out_dtype[1] = nbi_in_dtype(op, 0);
    op->out_shape[0] = nb_shape_make(1, s.dims);
    op->out_shape[1] = s;
    return NB_OK;
}

/* SparseSoftmaxCrossEntropyWithLogits(features [B,C], labels [B] int32/int64). */
static nb_status infer_sparse_xent(nb_op *op) {
    nb_status st = check_float(op, 0);
    if (st != NB_OK) return st;
    nb_dtype ldt = nbi_in_dtype(op, 1);
    if (ldt != NB_INT32 && ldt != NB_INT64)
        return nbi_infer_error(op, NB_ERR_DTYPE, "labels must be int32 or int64, got %s", nbi_dtype_tfname(ldt));
    if ((st = want_rank(op, 0, 2, "logits")) != NB_OK || (st = want_rank(op, 1, 1, "labels")) != NB_OK)
        return st;
    nb_shape s = *nbi_in_shape(op, 0);
    if (s.rank < 0) s = nb_shape_make(2, (int64_t[]){-1, -1});
    const nb_shape *l = nbi_in_shape(op, 1);
    if (l->rank == 1) {
        if (s.dims[0] >= 0 && l->dims[0] >= 0 && s.dims[0] != l->dims[0])
            return nbi_infer_error(op, NB_ERR_SHAPE,
                                   "logits and labels must have the same first dimension, got logits shape [%lld,%lld] and labels shape [%lld]",
                                   (long long)s.dims[0], (long long)s.dims[1], (long long)l->dims[0]);
        if (s.dims[0] < 0) s.dims[0] = l->dims[0];
    }
    if (!nbi_set_outputs(op, 2)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = op->out_dtype[1] = nbi_in_dtype(op, 0);
    op->out_shape[0] = nb_shape_make(1, s.dims);
    op->out_shape[1] = s;
    return NB_OK;
}

/* BiasAdd(value [..., C], bias [C]). */
static nb_status infer_bias_add(nb_op *op) {
    nb_status st = check_float(op, 0);
    if (st != NB_OK) return st;
    if (nbi_in_dtype(op, 1) != nbi_in_dtype(op, 0))
        return nbi_infer_error(op, NB_ERR_DTYPE, "Input 'bias' of 'BiasAdd' Op has type %s that does not match type %s of argument 'value'",
                               nbi_dtype_tfname(nbi_in_dtype(op, 1)), nbi_dtype_tfname(nbi_in_dtype(op, 0)));
    nb_shape v = *nbi_in_shape(op, 0);
    const nb_shape *b = nbi_in_shape(op, 1);
    if (v.rank >= 0 && v.rank < 2)
        return nbi_infer_error(op, NB_ERR_SHAPE, "Shape must be at least rank 2 but is rank %d", v.rank);
    if (b->rank >= 0 && b->rank != 1)
        return nbi_infer_error(op, NB_ERR_SHAPE, "Shape must be rank 1 but is rank %d", b->rank);
    if (v.rank >= 2 && b->rank == 1) {
        int64_t c = v.dims[v.rank - 1], bc = b->dims[0];
        if (c >= 0 && bc >= 0 && c != bc)
            return nbi_infer_error(op, NB_ERR_SHAPE, "Dimensions must be equal, but are %lld and %lld",
                                   (long long)c, (long long)bc);
        if (c < 0) v.dims[v.rank - 1] = bc;
    }
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 0);
    op->out_shape[0] = v;
    return NB_OK;
}

static nb_status infer_bias_add_grad(nb_op *op) {
    nb_status st = check_float(op, 0);
    if (st != NB_OK) return st;
    const nb_shape *s = nbi_in_shape(op, 0);
    if (s->rank >= 0 && s->rank < 2)
        return nbi_infer_error(op, NB_ERR_SHAPE, "Shape must be at least rank 2 but is rank %d", s->rank);
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 0);
    op->out_shape[0] = nb_shape_make(1, (int64_t[]){s->rank >= 2 ? s->dims[s->rank - 1] : -1});
    return NB_OK;
}

/*** Softmax and LogSoftmax ***/

#define SOFTMAX_ROWS(fname, T)                                                           \
    static void fname(int64_t rows, int64_t c, const T *X, T *Y, bool logsm) {           \
        PAR_FOR_W(rows, rows * c, {                                                      \
            const T *x = X + i * c;                                                      \
            T *y = Y + i * c;                                                            \
            T m = x[0];                                                                  \
            for (int64_t j = 1; j < c; j++)                                              \
                if (x[j] > m) m = x[j];                                                  \
            double s = 0;                                                                \
            if (logsm) {                                                                 \
                for (int64_t j = 0; j < c; j++) s += (double)exp(x[j] - m);              \
                T ls = (T)log(s);                                                        \
                for (int64_t j = 0; j < c; j++) y[j] = x[j] - m - ls;                    \
            } else {                                                                     \
                for (int64_t j = 0; j < c; j++) {                                        \
                    y[j] = exp(x[j] - m);                                                \
                    s += (double)y[j];                                                   \
                }                                                                        \
                T inv = (T)(1.0 / s);                                                    \
                for (int64_t j = 0; j < c; j++) y[j] *= inv;                             \
            }                                                                            \
        });                                                                              \
    }
SOFTMAX_ROWS(softmax_f32, float)
SOFTMAX_ROWS(softmax_f64, double)

static nb_status k_softmax(nbi_kctx *k) {
    const nb_tensor *a = k->in[0];
    if (a->rank < 1) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "logits must have >= 1 dimension, got []");
    nb_tensor *o = nbi_kalloc(k, a->dtype, a->rank, a->dims);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    int64_t c = a->dims[a->rank - 1];
    if (a->size == 0) return NB_OK;
    int64_t rows = a->size / c;
    bool logsm = k->op->type == NBI_OP_LOG_SOFTMAX;
    if (a->dtype == NB_FLOAT32) softmax_f32(rows, c, a->data, o->data, logsm);
    else softmax_f64(rows, c, a->data, o->data, logsm);
    return NB_OK;
}

/*** Softmax cross-entropy (dense and sparse labels) ***/

/* One row: loss = sum_j labels_j * (log sum exp(x - m) - (x_j - m)),
 * backprop = softmax(x) - labels. Sparse rows (lab == NULL) use one-hot(label). */
#define XENT_ROWS(fname, T, LT)                                                          \
    static void fname(int64_t rows, int64_t c, const T *X, const T *LAB, const LT *SL,   \
                      T *loss, T *bp) {                                                  \
        PAR_FOR_W(rows, rows * c, {                                                      \
            const T *x = X + i * c;                                                      \
            T *b = bp + i * c;                                                           \
            T m = x[0];                                                                  \
            for (int64_t j = 1; j < c; j++)                                              \
                if (x[j] > m) m = x[j];                                                  \
            double s = 0;                                                                \
            for (int64_t j = 0; j < c; j++) {                                            \
                b[j] = exp(x[j] - m);                                                    \
                s += (double)b[j];                                                       \
            }                                                                            \
            double lse = log(s), l = 0;                                                  \
            T inv = (T)(1.0 / s);                                                        \
            if (LAB) {                                                                   \
                const T *z = LAB + i * c;                                                \
                for (int64_t j = 0; j < c; j++) {                                        \
                    l += (double)z[j] * (lse - (double)(x[j] - m));                      \
                    b[j] = b[j] * inv - z[j];                                            \
                }                                                                        \
            } else {                                                                     \
                int64_t t = (int64_t)SL[i];                                              \
                for (int64_t j = 0; j < c; j++) b[j] *= inv;                             \
                b[t] -= 1;                                                               \
                l = lse - (double)(x[t] - m);                                            \
            }                                                                            \
            loss[i] = (T)l;                                                              \
        });                                                                              \
    }
XENT_ROWS(xent_f32_i32, float, int32_t)
XENT_ROWS(xent_f64_i32, double, int32_t)
XENT_ROWS(xent_f32_i64, float, int64_t)
XENT_ROWS(xent_f64_i64, double, int64_t)

static nb_status k_xent(nbi_kctx *k) {
    const nb_tensor *x = k->in[0], *lab = k->in[1];
    bool sparse = k->op->type == NBI_OP_SPARSE_SOFTMAX_XENT;
    char sa[128], sb[128];
    if (x->rank != 2 || (sparse ? lab->rank != 1 || lab->dims[0] != x->dims[0]
                                : !nbi_same_dims(lab, x->rank, x->dims)))
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                          sparse ? "logits must be 2-D and labels 1-D with the same first dimension, got logits shape %s and labels shape %s"
                                 : "logits and labels must be 2-D and of the same shape, got logits shape %s and labels shape %s",
                          nbi_dims_string(x->rank, x->dims, false, sa, sizeof sa),
                          nbi_dims_string(lab->rank, lab->dims, false, sb, sizeof sb));
    int64_t rows = x->dims[0], c = x->dims[1];
    if (sparse && rows > 0 && c == 0)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Must have at least one class, but got logits shape %s",
                          nbi_dims_string(x->rank, x->dims, false, sa, sizeof sa));
    if (sparse) /* every label in [0, c), as TF checks before computing */
        for (int64_t i = 0; i < rows; i++) {
            int64_t t = nbi_load_int(lab->data, lab->dtype, i);
            if (t < 0 || t >= c) {
                char vals[200];
                size_t len = 0;
                vals[0] = 0;
                for (int64_t j = 0; j < rows && len + 24 < sizeof vals; j++)
                    len += (size_t)snprintf(vals + len, sizeof vals - len, " %lld",
                                            (long long)nbi_load(lab->data, lab->dtype, j));
                if (len + 24 >= sizeof vals) snprintf(vals + len, sizeof vals - len, " ...");
                return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                                  "Received a label value of %lld which is outside the valid range of [0, %lld) at labels[%lld].  Label values:%s",
                                  (long long)t, (long long)c, (long long)i, vals);
            }
        }
    nb_tensor *loss = nbi_kalloc(k, x->dtype, 1, &rows);
    if (!loss) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = loss;
    nb_tensor *bp = nbi_kalloc(k, x->dtype, 2, x->dims);
    if (!bp) return NB_ERR_OUT_OF_MEMORY;
    k->out[1] = bp;
    if (c == 0) { /* no classes: an empty sum */
        memset(loss->data, 0, loss->nbytes);
        return NB_OK;
    }
    if (rows == 0) return NB_OK;
    const void *z = sparse ? NULL : lab->data;
    const void *sl = sparse ? lab->data : NULL;
    bool l64 = sparse && lab->dtype == NB_INT64;
    if (x->dtype == NB_FLOAT32) {
        if (l64) xent_f32_i64(rows, c, x->data, z, sl, loss->data, bp->data);
        else xent_f32_i32(rows, c, x->data, z, sl, loss->data, bp->data);
    } else {
        if (l64) xent_f64_i64(rows, c, x->data, z, sl, loss->data, bp->data);
        else xent_f64_i32(rows, c, x->data, z, sl, loss->data, bp->data);
    }
    return NB_OK;
}

/*** L2Loss, BiasAdd, BiasAddGrad ***/

/* Threads for a reduction over n elements; at most 256 partial sums. */
static int red_threads(int64_t n) {
    int nt = n >= NBI_PAR_MIN ? nbi_num_threads() : 1;
    return nt > 256 ? 256 : nt;
}

static nb_status k_l2loss(nbi_kctx *k) {
    const nb_tensor *a = k->in[0];
    nb_tensor *o = nbi_kalloc(k, a->dtype, 0, NULL);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    int64_t n = a->size;
    int nt = red_threads(n);
    double part[256] = {0};
    bool f32 = a->dtype == NB_FLOAT32;
    const float *xf = a->data;
    const double *xd = a->data;
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        int t = omp_get_thread_num(), T = omp_get_num_threads();
        int64_t lo = n * t / T, hi = n * (t + 1) / T;
        double s = 0;
        if (f32)
            for (int64_t i = lo; i < hi; i++) s += (double)xf[i] * (double)xf[i];
        else
            for (int64_t i = lo; i < hi; i++) s += xd[i] * xd[i];
        part[t] = s;
    }
    double s = 0;
    for (int t = 0; t < nt; t++) s += part[t];
    nbi_store(o->data, o->dtype, 0, s / 2);
    return NB_OK;
}

#define BIAS_ROWS(fname, T)                                                              \
    static void fname(int64_t rows, int64_t c, const T *X, const T *B, T *Y) {           \
        PAR_FOR_W(rows, rows * c, {                                                      \
            const T *x = X + i * c;                                                      \
            T *y = Y + i * c;                                                            \
            for (int64_t j = 0; j < c; j++) y[j] = x[j] + B[j];                          \
        });                                                                              \
    }
BIAS_ROWS(bias_f32, float)
BIAS_ROWS(bias_f64, double)

static nb_status k_bias_add(nbi_kctx *k) {
    const nb_tensor *x = k->in[0], *b = k->in[1];
    char sa[128], sb[128];
    if (x->rank < 2 || b->rank != 1 || b->dims[0] != x->dims[x->rank - 1])
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                          "Must provide as many biases as the last dimension of the input tensor (which must be at least 2-D): %s vs. %s",
                          nbi_dims_string(b->rank, b->dims, false, sb, sizeof sb),
                          nbi_dims_string(x->rank, x->dims, false, sa, sizeof sa));
    nb_tensor *o = nbi_kalloc(k, x->dtype, x->rank, x->dims);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    int64_t c = b->dims[0];
    if (x->size == 0) return NB_OK;
    if (x->dtype == NB_FLOAT32) bias_f32(x->size / c, c, x->data, b->data, o->data);
    else bias_f64(x->size / c, c, x->data, b->data, o->data);
    return NB_OK;
}

/* Run-time fusion with the MatMul before it (a dense layer, x W + b): the
 * bias is added to each tile of the product as it is finished. */
static bool bias_add_fuse_ok(const nb_op *op, const nb_op *producer) {
    return nbi_is_f32_matmul(producer) && op->out_dtype[0] == NB_FLOAT32;
}

static nb_status k_bias_add_fused(nbi_kctx *k, nbi_kctx *kp) {
    nbi_sgemm_geom g;
    const nb_tensor *b = k->in[1];
    if (b->dtype == NB_FLOAT32 && b->rank == 1 && nbi_matmul_fusable(kp, &g, NBI_EPI_BIAS) && b->dims[0] == g.n) {
        nb_status st;
        if (nbi_fused_to_output(k, &g, NBI_EPI_BIAS, b->data, &st)) return st;
    }
    return nbi_fused_apart(k, kp, k_bias_add);
}

static nb_status k_bias_add_grad(nbi_kctx *k) {
    const nb_tensor *g = k->in[0];
    if (g->rank < 2)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Input tensor must be at least 2D, got rank %d", g->rank);
    int64_t c = g->dims[g->rank - 1];
    nb_tensor *o = nbi_kalloc(k, g->dtype, 1, &c);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    int64_t rows = c ? g->size / c : 0;
    int nt = red_threads(g->size);
    if (rows < nt) nt = rows > 0 ? (int)rows : 1;
    double *part = nbi_kscratch(k, nbi_mul_size((size_t)nt, nbi_mul_size((size_t)c, sizeof(double))) + 8);
    if (!part) return NB_ERR_OUT_OF_MEMORY;
    bool f32 = g->dtype == NB_FLOAT32;
    const float *gf = g->data;
    const double *gd = g->data;
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        int t = omp_get_thread_num(), T = omp_get_num_threads();
        int64_t lo = rows * t / T, hi = rows * (t + 1) / T;
        double *p = part + (size_t)t * (size_t)c;
        for (int64_t j = 0; j < c; j++) p[j] = 0;
        for (int64_t i = lo; i < hi; i++) {
            if (f32)
                for (int64_t j = 0; j < c; j++) p[j] += gf[i * c + j];
            else
                for (int64_t j = 0; j < c; j++) p[j] += gd[i * c + j];
        }
    }
    for (int64_t j = 0; j < c; j++) {
        double s = 0;
        for (int t = 0; t < nt; t++) s += part[(size_t)t * (size_t)c + (size_t)j];
        nbi_store(o->data, o->dtype, j, s);
    }
    return NB_OK;
}

/*** Gradient builders ***/

static nb_output sum_last_keep(nb_graph *g, nb_output x) {
    return nb_reduce_sum(g, x, (int[]){-1}, 1, true, NULL);
}
static void g_softmax(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    /* (dy - sum(dy * y, -1)) * y */
    nb_output y = nbi_out(op, 0);
    nb_output s = sum_last_keep(g, nb_multiply(g, dy[0], y, NULL));
    dx[0] = nb_multiply(g, nb_subtract(g, dy[0], s, NULL), y, NULL);
}
static void g_log_softmax(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    /* dy - sum(dy, -1) * exp(y) */
    nb_output y = nbi_out(op, 0);
    dx[0] = nb_subtract(g, dy[0], nb_multiply(g, sum_last_keep(g, dy[0]), nb_exp(g, y, NULL), NULL), NULL);
}
/* d loss = dy0[:, None] * backprop; a gradient reaching backprop (dy1, from
 * second derivatives) adds (dy1 - sum(dy1 * softmax)) * softmax, as TF's _SoftmaxCrossEntropyWithLogitsGrad. */
static nb_output xent_logits_grad(nb_graph *g, nb_op *op, const nb_output *dy) {
    nb_output r = nb_nil;
    if (dy[0].op) r = nb_multiply(g, nb_expand_dims(g, dy[0], -1, NULL), nbi_out(op, 1), NULL);
    if (dy[1].op) {
        nb_output sm = nb_nn_softmax(g, op->inputs[0], NULL);
        nb_output t = nb_multiply(g, nb_subtract(g, dy[1], sum_last_keep(g, nb_multiply(g, dy[1], sm, NULL)), NULL), sm, NULL);
        r = r.op ? nb_add(g, r, t, NULL) : t;
    }
    return r;
}
static void g_xent(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = xent_logits_grad(g, op, dy);
    /* labels: dy0 * -log_softmax(logits); and -dy1, since backprop = softmax - labels */
    nb_output r = nb_nil;
    if (dy[0].op)
        r = nb_multiply(g, nb_expand_dims(g, dy[0], -1, NULL),
                        nb_negative(g, nb_nn_log_softmax(g, op->inputs[0], NULL), NULL), NULL);
    if (dy[1].op) {
        nb_output t = nb_negative(g, dy[1], NULL);
        r = r.op ? nb_add(g, r, t, NULL) : t;
    }
    dx[1] = r;
}
static void g_sparse_xent(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = xent_logits_grad(g, op, dy);
}
static void g_l2loss(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = nb_multiply(g, op->inputs[0], dy[0], NULL);
}
static void g_bias_add(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    (void)op;
    dx[0] = dy[0];
    dx[1] = nbi_unary(g, NBI_OP_BIAS_ADD_GRAD, dy[0], NULL, NULL);
}
static void g_bias_add_grad(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    /* BiasAddGrad sums over all but the last axis: its gradient broadcasts back. */
    dx[0] = nb_nn_bias_add(g, nb_zeros_like(g, op->inputs[0], NULL), dy[0], NULL);
}

/*** Registry entries ***/

const nbi_opdef nbi_opdef_SOFTMAX = {
    .type = "Softmax", .n_inputs = 1, .infer = infer_softmax, .kernel = k_softmax, .grad = g_softmax,
    .attrs = NBI_ATTRS_T,
};
const nbi_opdef nbi_opdef_LOG_SOFTMAX = {
    .type = "LogSoftmax", .n_inputs = 1, .infer = infer_softmax, .kernel = k_softmax, .grad = g_log_softmax,
    .attrs = NBI_ATTRS_T,
};
const nbi_opdef nbi_opdef_SOFTMAX_XENT = {
    .type = "SoftmaxCrossEntropyWithLogits", .n_inputs = 2, .infer = infer_xent, .kernel = k_xent,
    .grad = g_xent,
    .attrs = NBI_ATTRS_T,
};
const nbi_opdef nbi_opdef_SPARSE_SOFTMAX_XENT = {
    .type = "SparseSoftmaxCrossEntropyWithLogits", .n_inputs = 2, .infer = infer_sparse_xent, .kernel = k_xent,
    .grad = g_sparse_xent,
    .attrs = NBI_ATTRS_T,
};
const nbi_opdef nbi_opdef_L2_LOSS = {
    .type = "L2Loss", .n_inputs = 1, .infer = infer_l2loss, .kernel = k_l2loss, .grad = g_l2loss,
    .attrs = NBI_ATTRS_T,
};
const nbi_opdef nbi_opdef_BIAS_ADD = {
    .type = "BiasAdd", .n_inputs = 2, .infer = infer_bias_add, .kernel = k_bias_add, .grad = g_bias_add,
    .fuse_input = 0, .fuse_ok = bias_add_fuse_ok, .fused = k_bias_add_fused,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"data_format", NBI_A_NHWC}),
};
const nbi_opdef nbi_opdef_BIAS_ADD_GRAD = {
    .type = "BiasAddGrad", .n_inputs = 1, .infer = infer_bias_add_grad, .kernel = k_bias_add_grad,
    .grad = g_bias_add_grad,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"data_format", NBI_A_NHWC}),
};

/*** Constructors ***/

nb_output nb_nn_softmax(nb_graph *g, nb_output logits, const char *name) {
    return nbi_unary(g, NBI_OP_SOFTMAX, logits, name, NULL);
}
nb_output nb_nn_log_softmax(nb_graph *g, nb_output logits, const char *name) {
    return nbi_unary(g, NBI_OP_LOG_SOFTMAX, logits, name, NULL);
}
nb_output nb_nn_l2_loss(nb_graph *g, nb_output t, const char *name) {
    return nbi_unary(g, NBI_OP_L2_LOSS, t, name, NULL);
}
nb_output nb_nn_bias_add(nb_graph *g, nb_output value, nb_output bias, const char *name) {
    return nbi_binary(g, NBI_OP_BIAS_ADD, value, bias, name, NULL);
}

nb_output nb_nn_softmax_cross_entropy_with_logits(nb_graph *g, nb_output labels, nb_output logits,
                                                  const char *name) {
    return nbi_binary(g, NBI_OP_SOFTMAX_XENT, logits, labels, name, "softmax_cross_entropy_with_logits");
}

nb_output nb_nn_sparse_softmax_cross_entropy_with_logits(nb_graph *g, nb_output labels,
                                                         nb_output logits, const char *name) {
    char *scope = nbi_op_scope_push(g, name, "SparseSoftmaxCrossEntropyWithLogits");
    if (!scope) return nb_nil;
    nb_output r = nbi_binary(g, NBI_OP_SPARSE_SOFTMAX_XENT, logits, labels, name, NULL);
    nb_name_scope_pop(g);
    nbi_free(scope);
    return r;
}

/* Same dtype and compatible static shapes for two-input composites. */
static bool pair_ok(nb_graph *g, nb_output a, nb_output b, const char *what, const char *an,
                    const char *bn) {
    if (!nbi_graph_ok(g)) return false;
    if (nb_output_is_nil(a) || nb_output_is_nil(b)) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "%s: %s is a nil output", what,
                        nb_output_is_nil(a) ? an : bn);
        return false;
    }
    nb_dtype da = nb_output_dtype(a), db = nb_output_dtype(b);
    if (!nbi_dtype_is_float(da) || da != db) {
        nbi_graph_error(g, NB_ERR_DTYPE, "%s: %s and %s must be both float32 or both float64, got %s and %s",
                        what, an, bn, nb_dtype_name(da), nb_dtype_name(db));
        return false;
    }
    nb_shape sa = nb_output_shape(a), sb = nb_output_shape(b), m;
    if (!nbi_shape_merge(&sa, &sb, &m)) {
        char x[128], y[128];
        nbi_graph_error(g, NB_ERR_SHAPE, "%s: %s and %s must have the same shape (%s vs %s)", what, an, bn,
                        nb_shape_string(sa, x, sizeof x), nb_shape_string(sb, y, sizeof y));
        return false;
    }
    return true;
}

/* TF's sigmoid_cross_entropy_with_logits, op for op:
 * max(x, 0) - x * z + log1p(exp(-|x|)) in scope "logistic_loss". */
nb_output nb_nn_sigmoid_cross_entropy_with_logits(nb_graph *g, nb_output labels, nb_output logits,
                                                  const char *name) {
    if (!pair_ok(g, logits, labels, "sigmoid_cross_entropy_with_logits", "logits", "labels")) return nb_nil;
    char *scope = nbi_op_scope_push(g, name, "logistic_loss");
    if (!scope) return nb_nil;
    nb_output zeros = nb_zeros_like(g, logits, NULL);
    nb_output cond = nb_greater_equal(g, logits, zeros, NULL);
    nb_output relu_logits = nb_where(g, cond, logits, zeros, NULL);
    nb_output neg_abs = nb_where(g, cond, nb_negative(g, logits, NULL), logits, NULL);
    nb_output a = nb_subtract(g, relu_logits, nb_multiply(g, logits, labels, NULL), NULL);
    nb_output r = nb_add(g, a, nb_log1p(g, nb_exp(g, neg_abs, NULL), NULL), scope);
    nb_name_scope_pop(g);
    nbi_free(scope);
    return r;
}

/* tf.losses.mean_squared_error with weights 1: mean((predictions - labels)^2). */
nb_output nb_losses_mean_squared_error(nb_graph *g, nb_output labels, nb_output predictions,
                                       const char *name) {
    if (!pair_ok(g, predictions, labels, "mean_squared_error", "predictions", "labels")) return nb_nil;
    char *scope = nbi_op_scope_push(g, name, "mean_squared_error");
    if (!scope) return nb_nil;
    nb_output d = nb_squared_difference(g, predictions, labels, NULL);
    nb_output r = nb_reduce_mean(g, d, NULL, NB_ALL_AXES, false, "value");
    nb_name_scope_pop(g);
    nbi_free(scope);
    return r;
}

/* TF1's random_seed.get_seed (as random.c applies it). */
static void get_seed(nb_graph *g, int64_t op_seed, int64_t *s1, int64_t *s2) {
    if (g->has_seed) {
        *s1 = g->seed;
        *s2 = op_seed == NB_SEED_NONE ? g->n_ops : op_seed;
    } else if (op_seed != NB_SEED_NONE) {
        *s1 = 87654321;
        *s2 = op_seed;
    } else {
        *s1 = *s2 = 0;
        return;
    }
    if (*s1 == 0 && *s2 == 0) *s2 = 2147483647;
}

/* TF1's nn_ops.dropout: x / keep_prob * floor(keep_prob + U[0, 1)) in scope
 * "dropout"; with `training`, Select(training, that, x). is_c: keep_c is the
 * keep probability, else the tensor keep. */
static nb_output dropout(nb_graph *g, nb_output x, nb_output keep, bool is_c, double keep_c,
                         int64_t seed, nb_output training, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (nb_output_is_nil(x) || (!is_c && nb_output_is_nil(keep))) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "dropout: %s is a nil output",
                        nb_output_is_nil(x) ? "x" : "keep_prob");
        return nb_nil;
    }
    nb_dtype dt = nb_output_dtype(x);
    if (!nbi_dtype_is_float(dt)) {
        nbi_graph_error(g, NB_ERR_DTYPE, "dropout: x must be float32 or float64, got %s", nb_dtype_name(dt));
        return nb_nil;
    }
    if (is_c && !(keep_c > 0 && keep_c <= 1)) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "keep_prob must be a scalar tensor or a float in the range (0, 1], got %g", keep_c);
        return nb_nil;
    }
    if (!is_c) {
        nb_shape ks = nb_output_shape(keep);
        if (nb_output_dtype(keep) != dt || ks.rank > 0) {
            nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "dropout: keep_prob must be a scalar of x's dtype %s, got %s of rank %d",
                            nb_dtype_name(dt), nb_dtype_name(nb_output_dtype(keep)), ks.rank);
            return nb_nil;
        }
    }
    if (!nb_output_is_nil(training) &&
        (nb_output_dtype(training) != NB_BOOL || nb_output_shape(training).rank > 0)) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "dropout: training must be a bool scalar, got %s of rank %d",
                        nb_dtype_name(nb_output_dtype(training)), nb_output_shape(training).rank);
        return nb_nil;
    }
    if (is_c && keep_c == 1) return x; /* as TF: nothing to drop */
    char *scope = nbi_op_scope_push(g, name, "dropout");
    if (!scope) return nb_nil;
    nb_output kp = keep;
    if (is_c) {
        kp = nbi_const_owning(g, nb_tensor_scalar(dt, keep_c), "keep_prob", "Const");
    }
    nb_output shape = nb_shape_of(g, x, NULL);
    nb_output rnd = nb_nil;
    if (nbi_graph_ok(g)) {
        nb_name_scope_push(g, "random_uniform");
        nb_op *op = nbi_op_new(g, NBI_OP_RANDOM_UNIFORM, NULL, NULL, &shape, 1);
        if (op) {
            op->attrs.dtype = dt;
            get_seed(g, seed, &op->attrs.seed, &op->attrs.seed2);
            rnd = nbi_op_finish(op);
        }
        nb_name_scope_pop(g);
    }
    nb_output binary = nbi_unary(g, NBI_OP_FLOOR, nb_add(g, kp, rnd, "add"), NULL, NULL);
    bool gated = !nb_output_is_nil(training);
    nb_output r = nb_multiply(g, nb_divide(g, x, kp, "div"), binary, gated ? "mul" : scope);
    if (gated) r = nb_where(g, training, r, x, scope);
    nb_name_scope_pop(g);
    nbi_free(scope);
    return r;
}

nb_output nb_nn_dropout(nb_graph *g, nb_output x, double keep_prob, int64_t seed, nb_output training,
                        const char *name) {
    return dropout(g, x, nb_nil, true, keep_prob, seed, training, name);
}

nb_output nb_nn_dropout_t(nb_graph *g, nb_output x, nb_output keep_prob, int64_t seed,
                          nb_output training, const char *name) {
    return dropout(g, x, keep_prob, false, 0, seed, training, name);
}
