/*
 * norm.c — normalisation ops: FusedBatchNorm and FusedBatchNormGrad (NHWC,
 * or [rows, channels]; statistics per channel, summed in double).
 *
 * Attributes (nbi_attrs): f[0] epsilon, keep_dims = is_training.
 */
#include "ops/ops_impl.h"
#include "graph/graphdef_attrs.h"

#include <math.h>
#include <stdio.h>

static bool float_type(nb_dtype dt) { return dt == NB_FLOAT32 || dt == NB_FLOAT64; }

/* FusedBatchNorm: inputs x, scale, offset, mean, variance; outputs y,
 * batch_mean, batch_variance, reserve_space_1 (the mean used), reserve_space_2
 * (the variance used: biased batch variance when training).
 * FusedBatchNormGrad: inputs dy, x, scale, reserve_space_1, reserve_space_2;
 * outputs dx, dscale, doffset, reserve_space_3, reserve_space_4 (empty, as TF). */

static nb_status infer_fbn(nb_op *op) {
    bool grad = op->type == NBI_OP_FUSED_BATCH_NORM_GRAD;
    bool training = op->attrs.keep_dims;
    nb_dtype dt = nbi_in_dtype(op, 0);
    if (!float_type(dt))
        return nbi_infer_error(op, NB_ERR_DTYPE, "%s supports float and double, not %s", op->def->type,
                               nbi_dtype_tfname(dt));
    for (int i = 1; i < 5; i++)
        if (nbi_in_dtype(op, i) != dt)
            return nbi_infer_error(op, NB_ERR_DTYPE, "input %d has type %s, expected %s", i,
                                   nbi_dtype_tfname(nbi_in_dtype(op, i)), nbi_dtype_tfname(dt));
    const nb_shape *x = nbi_in_shape(op, grad ? 1 : 0);
    if (x->rank >= 0 && x->rank != 4 && x->rank != 2)
        return nbi_infer_error(op, NB_ERR_SHAPE, "x must be rank 4 (or 2) but is rank %d", x->rank);
    int64_t c = x->rank > 0 ? x->dims[x->rank - 1] : -1;
    for (int i = grad ? 2 : 1; i < 5; i++) {
        const nb_shape *s = nbi_in_shape(op, i);
        bool empty_ok = !grad && i >= 3 && training; /* TF feeds empty mean/variance when training */
        if (s->rank >= 0 && s->rank != 1)
            return nbi_infer_error(op, NB_ERR_SHAPE, "input %d must be 1-dimensional but is rank %d", i, s->rank);
        if (s->rank == 1 && s->dims[0] >= 0 && c >= 0 && s->dims[0] != c && !(empty_ok && s->dims[0] == 0))
            return nbi_infer_error(op, NB_ERR_SHAPE, "input %d must have %lld elements (the channels), not %lld", i,
                                   (long long)c, (long long)s->dims[0]);
        if (grad && i == 2 && c < 0 && s->rank == 1) c = s->dims[0];
        if (!grad && i == 1 && c < 0 && s->rank == 1) c = s->dims[0];
    }
    if (!nbi_set_outputs(op, 5)) return NB_ERR_OUT_OF_MEMORY;
    for (int i = 0; i < 5; i++) op->out_dtype[i] = dt;
    op->out_shape[0] = *x;
    if (x->rank > 0) op->out_shape[0].dims[x->rank - 1] = c;
    for (int i = 1; i < 5; i++) op->out_shape[i] = NB_SHAPE(c);
    if (grad) op->out_shape[3] = op->out_shape[4] = NB_SHAPE(0);
    return NB_OK;
}

/* Rows x channels view of x; checks the vectors' sizes. */
static nb_status fbn_dims(nbi_kctx *k, const nb_tensor *x, int first_vec, int n_vec, bool empty_ok34,
                          int64_t *R, int64_t *C) {
    char b[128];
    if ((x->rank != 4 && x->rank != 2) || !float_type(x->dtype))
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "input must be 4-dimensional (or 2) float: %s",
                          nbi_dims_string(x->rank, x->dims, false, b, sizeof b));
    *C = x->dims[x->rank - 1];
    *R = *C ? x->size / *C : 0;
    for (int i = first_vec; i < first_vec + n_vec; i++) {
        const nb_tensor *v = k->in[i];
        if (v->dtype != x->dtype)
            return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "input %d has a different dtype", i);
        if (empty_ok34 && i >= 3) continue;
        if (v->rank != 1 || v->dims[0] != *C)
            return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "input %d must be a vector of %lld elements, got %s", i,
                              (long long)*C, nbi_dims_string(v->rank, v->dims, false, b, sizeof b));
    }
    return NB_OK;
}

/* T: element type of the tensors; sums in double. */
#define FBN_FWD_BODY(T)                                                                         \
    {                                                                                           \
        const T *X = x->data, *S = k->in[1]->data, *O = k->in[2]->data;                         \
        T *Y = out[0]->data, *BM = out[1]->data, *BV = out[2]->data, *M = out[3]->data,         \
          *V = out[4]->data;                                                                    \
        if (training) {                                                                         \
            for (int64_t c = 0; c < C; c++) acc[c] = 0;                                         \
            for (int64_t r = 0; r < R; r++)                                                     \
                for (int64_t c = 0; c < C; c++) acc[c] += X[r * C + c];                         \
            for (int64_t c = 0; c < C; c++) mean[c] = R ? acc[c] / (double)R : 0, acc[c] = 0;   \
            for (int64_t r = 0; r < R; r++)                                                     \
                for (int64_t c = 0; c < C; c++) {                                               \
                    double d = X[r * C + c] - mean[c];                                          \
                    acc[c] += d * d;                                                            \
                }                                                                               \
            for (int64_t c = 0; c < C; c++) {                                                   \
                var[c] = R ? acc[c] / (double)R : 0;                                            \
                M[c] = BM[c] = (T)mean[c];                                                      \
                V[c] = (T)var[c];                                                               \
                BV[c] = (T)(R > 1 ? var[c] * (double)R / (double)(R - 1) : var[c]);             \
            }                                                                                   \
        } else {                                                                                \
            const T *IM = k->in[3]->data, *IV = k->in[4]->data;                                 \
            for (int64_t c = 0; c < C; c++) {                                                   \
                mean[c] = IM[c], var[c] = IV[c];                                                \
                M[c] = BM[c] = IM[c];                                                           \
                V[c] = BV[c] = IV[c];                                                           \
            }                                                                                   \
        }                                                                                       \
        for (int64_t c = 0; c < C; c++) {                                                       \
            double inv = 1.0 / sqrt(var[c] + eps);                                              \
            acc[c] = S[c] * inv;                   /* multiplier */                             \
            mean[c] = O[c] - mean[c] * acc[c];     /* shift */                                  \
        }                                                                                       \
        for (int64_t r = 0; r < R; r++)                                                         \
            for (int64_t c = 0; c < C; c++) Y[r * C + c] = (T)(X[r * C + c] * acc[c] + mean[c]); \
    }

static nb_status k_fbn(nbi_kctx *k) {
    const nb_tensor *x = k->in[0];
    bool training = k->op->attrs.keep_dims;
    double eps = k->op->attrs.f[0];
    int64_t R, C;
    nb_status st = fbn_dims(k, x, 1, 4, training, &R, &C);
    if (st != NB_OK) return st;
    nb_tensor *out[5];
    out[0] = k->out[0] = nbi_kalloc(k, x->dtype, x->rank, x->dims);
    if (!out[0]) return NB_ERR_OUT_OF_MEMORY;
    for (int i = 1; i < 5; i++) {
        out[i] = k->out[i] = nbi_kalloc(k, x->dtype, 1, &C);
        if (!out[i]) return NB_ERR_OUT_OF_MEMORY;
    }
    double *acc = nbi_kscratch(k, nbi_mul_size((size_t)C * 3 + 1, sizeof(double)));
    if (!acc) return NB_ERR_OUT_OF_MEMORY;
    double *mean = acc + C, *var = mean + C;
    if (x->dtype == NB_FLOAT32) FBN_FWD_BODY(float)
    else FBN_FWD_BODY(double)
    return NB_OK;
}

#define FBN_GRAD_BODY(T)                                                                        \
    {                                                                                           \
        const T *DY = k->in[0]->data, *X = x->data, *S = k->in[2]->data, *M = k->in[3]->data,   \
                *V = k->in[4]->data;                                                            \
        T *DX = out[0]->data, *DS = out[1]->data, *DO = out[2]->data;                           \
        for (int64_t c = 0; c < C; c++) {                                                       \
            inv[c] = 1.0 / sqrt((double)V[c] + eps);                                            \
            sdy[c] = 0, sdyx[c] = 0;                                                            \
        }                                                                                       \
        for (int64_t r = 0; r < R; r++)                                                         \
            for (int64_t c = 0; c < C; c++) {                                                   \
                double d = DY[r * C + c];                                                       \
                sdy[c] += d;                                                                    \
                sdyx[c] += d * (X[r * C + c] - M[c]) * inv[c];                                  \
            }                                                                                   \
        for (int64_t c = 0; c < C; c++) DS[c] = (T)sdyx[c], DO[c] = (T)sdy[c];                  \
        for (int64_t r = 0; r < R; r++)                                                         \
            for (int64_t c = 0; c < C; c++) {                                                   \
                double d = DY[r * C + c], g_ = S[c] * inv[c];                                   \
                if (training) {                                                                 \
                    double xh = (X[r * C + c] - M[c]) * inv[c];                                 \
                    d = d - (sdy[c] + xh * sdyx[c]) / (double)R;                                \
                }                                                                               \
                DX[r * C + c] = (T)(g_ * d);                                                    \
            }                                                                                   \
    }

static nb_status k_fbn_grad(nbi_kctx *k) {
    const nb_tensor *x = k->in[1], *dy = k->in[0];
    bool training = k->op->attrs.keep_dims;
    double eps = k->op->attrs.f[0];
    int64_t R, C;
    nb_status st = fbn_dims(k, x, 2, 3, false, &R, &C);
    if (st != NB_OK) return st;
    if (dy->dtype != x->dtype || !nbi_same_dims(dy, x->rank, x->dims))
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "y_backprop must have x's shape and dtype");
    nb_tensor *out[5];
    out[0] = k->out[0] = nbi_kalloc(k, x->dtype, x->rank, x->dims);
    if (!out[0]) return NB_ERR_OUT_OF_MEMORY;
    for (int i = 1; i < 5; i++) {
        int64_t n = i < 3 ? C : 0;
        out[i] = k->out[i] = nbi_kalloc(k, x->dtype, 1, &n);
        if (!out[i]) return NB_ERR_OUT_OF_MEMORY;
    }
    double *inv = nbi_kscratch(k, nbi_mul_size((size_t)C * 3 + 1, sizeof(double)));
    if (!inv) return NB_ERR_OUT_OF_MEMORY;
    double *sdy = inv + C, *sdyx = sdy + C;
    if (R == 0) { /* no rows: zero gradients */
        for (int i = 0; i < 3; i++) memset(out[i]->data, 0, out[i]->nbytes);
        return NB_OK;
    }
    if (x->dtype == NB_FLOAT32) FBN_GRAD_BODY(float)
    else FBN_GRAD_BODY(double)
    return NB_OK;
}

static nb_output fbn_grad(nb_graph *g, nb_output dy, nb_output x, nb_output scale, nb_output r1,
                          nb_output r2, double eps, bool training) {
    nb_op *op = nbi_op_new(g, NBI_OP_FUSED_BATCH_NORM_GRAD, NULL, NULL,
                           (nb_output[]){dy, x, scale, r1, r2}, 5);
    if (!op) return nb_nil;
    op->attrs.f[0] = eps;
    op->attrs.keep_dims = training;
    return nbi_op_finish(op);
}

static void g_fbn(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    if (nb_output_is_nil(dy[0])) return; /* batch_mean/batch_variance carry no gradient (TF) */
    nb_output r = fbn_grad(g, dy[0], op->inputs[0], op->inputs[1], nbi_out(op, 3), nbi_out(op, 4),
                           op->attrs.f[0], op->attrs.keep_dims);
    if (nb_output_is_nil(r)) return;
    dx[0] = r;
    dx[1] = nbi_out(r.op, 1);
    dx[2] = nbi_out(r.op, 2);
}

const nbi_opdef nbi_opdef_FUSED_BATCH_NORM = {
    .type = "FusedBatchNorm", .n_inputs = 5, .infer = infer_fbn, .kernel = k_fbn, .grad = g_fbn,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"data_format", NBI_A_NHWC}, {"epsilon", NBI_A_EPSILON},
                       {"is_training", NBI_A_IS_TRAINING}),
};
const nbi_opdef nbi_opdef_FUSED_BATCH_NORM_GRAD = {
    .type = "FusedBatchNormGrad", .n_inputs = 5, .flags = NBI_NO_GRAD, .infer = infer_fbn, .kernel = k_fbn_grad,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"data_format", NBI_A_NHWC}, {"epsilon", NBI_A_EPSILON},
                       {"is_training", NBI_A_IS_TRAINING}),
};

nb_output nb_nn_fused_batch_norm(nb_graph *g, nb_output x, nb_output scale, nb_output offset,
                                 nb_output mean, nb_output variance, double epsilon,
                                 bool is_training, nb_output *batch_mean,
                                 nb_output *batch_variance, const char *name) {
    if (batch_mean) *batch_mean = nb_nil;
    if (batch_variance) *batch_variance = nb_nil;
    if (!nbi_graph_ok(g)) return nb_nil;
    if (!(epsilon >= 0)) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_nn_fused_batch_norm: epsilon must be >= 0, got %g", epsilon);
        return nb_nil;
    }
    bool nil_stats = nb_output_is_nil(mean) || nb_output_is_nil(variance);
    if (!is_training && nil_stats) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT,
                        "nb_nn_fused_batch_norm: inference (is_training false) needs mean and variance");
        return nb_nil;
    }
    char *scope = nbi_op_scope_push(g, name, "FusedBatchNorm");
    if (!scope) return nb_nil;
    if (is_training && nil_stats) { /* TF passes empty tensors */
        nb_dtype dt = nb_output_dtype(scale);
        if (!float_type(dt)) dt = NB_FLOAT32;
        int64_t zero = 0;
        mean = nb_constant_array(g, dt, 1, &zero, NULL, "Const");
        variance = nb_constant_array(g, dt, 1, &zero, NULL, "Const_1");
    }
    nb_name_scope_pop(g);
    nb_op *op = nbi_op_new(g, NBI_OP_FUSED_BATCH_NORM, scope, NULL,
                           (nb_output[]){x, scale, offset, mean, variance}, 5);
    nbi_free(scope);
    if (!op) return nb_nil;
    op->attrs.f[0] = epsilon;
    op->attrs.keep_dims = is_training;
    nb_output y = nbi_op_finish(op);
    if (!nb_output_is_nil(y)) {
        if (batch_mean) *batch_mean = nbi_out(y.op, 1);
        if (batch_variance) *batch_variance = nbi_out(y.op, 2);
    }
    return y;
}
