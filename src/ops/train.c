/*
 * train.c — the optimizers' update ops, with TensorFlow's formulas
 * (tensorflow/core/kernels/training_ops.cc):
 *
 *   ApplyGradientDescent(var, alpha, delta):        var -= alpha * delta
 *   ApplyMomentum(var, accum, lr, grad, momentum):  accum = accum * momentum + grad
 *                                                   var -= lr * accum
 *                         (nesterov)                var -= lr * grad + lr * momentum * accum
 *   ApplyAdagrad(var, accum, lr, grad):             accum += grad^2; var -= lr * grad / sqrt(accum)
 *   ApplyRMSProp(var, ms, mom, lr, rho, momentum, epsilon, grad):
 *                                                   ms = rho * ms + (1 - rho) * grad^2
 *                                                   mom = momentum * mom + lr * grad / sqrt(ms + epsilon)
 *                                                   var -= mom
 *   ApplyAdam(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad):
 *                                                   lr_t = lr * sqrt(1 - beta2_power) / (1 - beta1_power)
 *                                                   m = beta1 * m + (1 - beta1) * grad
 *                                                   v = beta2 * v + (1 - beta2) * grad^2
 *                                                   var -= lr_t * m / (sqrt(v) + epsilon)
 *
 * Variables (and slots) are ref inputs updated in place; scalars are read.
 */
#include "ops/ops_impl.h"
#include "graph/graphdef_attrs.h"
#include "ops/gemm_small.h"

#include <math.h>

static nb_status infer_apply(nb_op *op) {
    nb_dtype dt = nbi_in_dtype(op, 0);
    if (dt != NB_FLOAT32 && dt != NB_FLOAT64)
        return nbi_infer_error(op, NB_ERR_DTYPE, "optimizers update float or double variables, not %s",
                               nbi_dtype_tfname(dt));
    for (int i = 1; i < op->n_inputs; i++)
        if (nbi_in_dtype(op, i) != dt)
            return nbi_infer_error(op, NB_ERR_DTYPE, "input %d has dtype %s, expected %s", i,
                                   nbi_dtype_tfname(nbi_in_dtype(op, i)), nbi_dtype_tfname(dt));
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = dt;
    op->out_shape[0] = *nbi_in_shape(op, 0);
    return NB_OK;
}

static bool same_shape(const nb_tensor *a, const nb_tensor *b) {
    return a->rank == b->rank && !memcmp(a->dims, b->dims, sizeof(int64_t) * (size_t)a->rank);
}

static nb_status check_grad(nbi_kctx *k, const nb_tensor *var, const nb_tensor *grad) {
    if (same_shape(var, grad)) return NB_OK;
    char a[128], b[128];
    return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "var and grad do not have the same shape: %s %s",
                      nbi_dims_string(var->rank, var->dims, false, a, sizeof a),
                      nbi_dims_string(grad->rank, grad->dims, false, b, sizeof b));
}

static double scalar_in(nbi_kctx *k, int i) { return nbi_load(k->in[i]->data, k->in[i]->dtype, 0); }

/* Element loops in float or double; T is the element type. */
#define DISPATCH(var, ...)                                                            \
    if ((var)->dtype == NB_FLOAT32) {                                                  \
        typedef float T;                                                               \
        __VA_ARGS__                                                                    \
    } else {                                                                           \
        typedef double T;                                                              \
        __VA_ARGS__                                                                    \
    }

static nb_status k_gd(nbi_kctx *k) {
    const nb_tensor *delta = k->in[2];
    nb_tensor *var = nbi_kvar_writable(k, 0);
    if (!var) return NB_ERR_FAILED_PRECONDITION;
    nb_status st = check_grad(k, var, delta);
    if (st != NB_OK) return st;
    double alpha = scalar_in(k, 1);
    DISPATCH(var, {
        T *v = var->data;
        const T *d = delta->data;
        T a = (T)alpha;
        for (int64_t i = 0; i < var->size; i++) v[i] -= a * d[i];
    })
    k->out[0] = nb_tensor_ref(var);
    return NB_OK;
}

static void momentum_f32_par(float *restrict v, float *restrict a, const float *restrict g, int64_t n,
                             float l, float m, int nt) {
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t i = 0; i < n; i++) {
        a[i] = a[i] * m + g[i];
        v[i] -= l * a[i];
    }
}

static nb_status k_momentum(nbi_kctx *k) {
    const nb_tensor *grad = k->in[3];
    nb_tensor *var = nbi_kvar_writable(k, 0);
    nb_tensor *acc = var ? nbi_kvar_writable(k, 1) : NULL;
    if (!var || !acc) return NB_ERR_FAILED_PRECONDITION;
    nb_status st = check_grad(k, var, grad);
    if (st == NB_OK) st = check_grad(k, acc, grad);
    if (st != NB_OK) return st;
    double lr = scalar_in(k, 2), mu = scalar_in(k, 4);
    bool nesterov = k->op->attrs.use_nesterov;
    int nt = nbi_num_threads();
    if (!nesterov && var->dtype == NB_FLOAT32 && var->size >= 65536 && nt > 1) {
        /* a dense layer's weights: each element goes to L2/L3 and back, so
         * the team shares the pass */
        momentum_f32_par(var->data, acc->data, grad->data, var->size, (float)lr, (float)mu, nt);
        k->out[0] = nb_tensor_ref(var);
        return NB_OK;
    }
    DISPATCH(var, {
        T *restrict v = var->data, *restrict a = acc->data;
        const T *restrict g = grad->data;
        T l = (T)lr, m = (T)mu;
        if (nesterov) {
            for (int64_t i = 0; i < var->size; i++) {
                a[i] = a[i] * m + g[i];
                v[i] -= g[i] * l + a[i] * m * l;
            }
        } else {
            for (int64_t i = 0; i < var->size; i++) {
                a[i] = a[i] * m + g[i];
                v[i] -= l * a[i];
            }
        }
    })
    k->out[0] = nb_tensor_ref(var);
    return NB_OK;
}

/* Run-time fusion (nbi_opdef.fused) with the MatMul that makes the gradient:
 * a dense layer's weight gradient X^T dY (the batch as the product's depth)
 * goes tile by tile into the update, never stored (ops/gemm_small.h). */
static bool momentum_fuse_ok(const nb_op *op, const nb_op *producer) {
    return nbi_is_f32_matmul(producer) && !op->attrs.use_nesterov && op->out_dtype[0] == NB_FLOAT32;
}

static nb_status k_momentum_fused(nbi_kctx *k, nbi_kctx *kp) {
    nbi_sgemm_geom g;
    const nb_tensor *v0 = *nbi_kvar_slot(k, 0), *a0 = *nbi_kvar_slot(k, 1);
    if (v0 && a0 && v0->dtype == NB_FLOAT32 && a0->dtype == NB_FLOAT32 && v0->rank == 2 && same_shape(v0, a0) &&
        nbi_matmul_fusable(kp, &g, NBI_EPI_MOMENTUM) && g.m == v0->dims[0] && g.n == v0->dims[1]) {
        nb_tensor *var = nbi_kvar_writable(k, 0);
        nb_tensor *acc = var ? nbi_kvar_writable(k, 1) : NULL;
        if (!var || !acc) return NB_ERR_FAILED_PRECONDITION;
        nbi_gemm_epi e = {.kind = NBI_EPI_MOMENTUM, .var = var->data, .lr = (float)scalar_in(k, 2),
                          .mu = (float)scalar_in(k, 4)};
        if (nbi_sgemm_small_epi(&g, acc->data, &e, nbi_num_threads())) {
            k->out[0] = nb_tensor_ref(var);
            return NB_OK;
        }
    }
    return nbi_fused_apart(k, kp, k_momentum);
}

static nb_status k_adagrad(nbi_kctx *k) {
    const nb_tensor *grad = k->in[3];
    nb_tensor *var = nbi_kvar_writable(k, 0);
    nb_tensor *acc = var ? nbi_kvar_writable(k, 1) : NULL;
    if (!var || !acc) return NB_ERR_FAILED_PRECONDITION;
    nb_status st = check_grad(k, var, grad);
    if (st == NB_OK) st = check_grad(k, acc, grad);
    if (st != NB_OK) return st;
    double lr = scalar_in(k, 2);
    DISPATCH(var, {
        T *v = var->data, *a = acc->data;
        const T *g = grad->data;
        T l = (T)lr;
        for (int64_t i = 0; i < var->size; i++) {
            a[i] += g[i] * g[i];
            v[i] -= l * g[i] / (T)sqrt((double)a[i]);
        }
    })
    k->out[0] = nb_tensor_ref(var);
    return NB_OK;
}

static nb_status k_rmsprop(nbi_kctx *k) {
    const nb_tensor *grad = k->in[7];
    nb_tensor *var = nbi_kvar_writable(k, 0);
    nb_tensor *ms = var ? nbi_kvar_writable(k, 1) : NULL;
    nb_tensor *mom = ms ? nbi_kvar_writable(k, 2) : NULL;
    if (!var || !ms || !mom) return NB_ERR_FAILED_PRECONDITION;
    nb_status st = check_grad(k, var, grad);
    if (st != NB_OK) return st;
    double lr = scalar_in(k, 3), rho = scalar_in(k, 4), mu = scalar_in(k, 5), eps = scalar_in(k, 6);
    DISPATCH(var, {
        T *v = var->data, *s = ms->data, *m = mom->data;
        const T *g = grad->data;
        for (int64_t i = 0; i < var->size; i++) {
            s[i] = (T)rho * s[i] + (T)(1 - rho) * g[i] * g[i];
            m[i] = (T)mu * m[i] + (T)lr * g[i] / (T)sqrt((double)(s[i] + (T)eps));
            v[i] -= m[i];
        }
    })
    k->out[0] = nb_tensor_ref(var);
    return NB_OK;
}

static nb_status k_adam(nbi_kctx *k) {
    const nb_tensor *grad = k->in[9];
    nb_tensor *var = nbi_kvar_writable(k, 0);
    nb_tensor *m = var ? nbi_kvar_writable(k, 1) : NULL;
    nb_tensor *v = m ? nbi_kvar_writable(k, 2) : NULL;
    if (!var || !m || !v) return NB_ERR_FAILED_PRECONDITION;
    nb_status st = check_grad(k, var, grad);
    if (st != NB_OK) return st;
    double b1p = scalar_in(k, 3), b2p = scalar_in(k, 4), lr = scalar_in(k, 5), b1 = scalar_in(k, 6),
           b2 = scalar_in(k, 7), eps = scalar_in(k, 8);
    double lr_t = lr * sqrt(1 - b2p) / (1 - b1p);
    DISPATCH(var, {
        T *w = var->data, *mm = m->data, *vv = v->data;
        const T *g = grad->data;
        for (int64_t i = 0; i < var->size; i++) {
            mm[i] += (g[i] - mm[i]) * (T)(1 - b1);
            vv[i] += (g[i] * g[i] - vv[i]) * (T)(1 - b2);
            w[i] -= (T)lr_t * mm[i] / ((T)sqrt((double)vv[i]) + (T)eps);
        }
    })
    k->out[0] = nb_tensor_ref(var);
    return NB_OK;
}

#define APPLY_FLAGS (NBI_STATEFUL | NBI_NO_GRAD | NBI_REF_IN0)
const nbi_opdef nbi_opdef_APPLY_GRADIENT_DESCENT = {
    .type = "ApplyGradientDescent", .n_inputs = 3, .flags = APPLY_FLAGS, .infer = infer_apply, .kernel = k_gd,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"_class", NBI_A_CLASS}, {"use_locking", NBI_A_FALSE}),
};
const nbi_opdef nbi_opdef_APPLY_MOMENTUM = {
    .type = "ApplyMomentum", .n_inputs = 5, .flags = APPLY_FLAGS | NBI_REF_IN1, .infer = infer_apply,
    .kernel = k_momentum, .fuse_input = 3, .fuse_ok = momentum_fuse_ok, .fused = k_momentum_fused,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"_class", NBI_A_CLASS}, {"use_locking", NBI_A_FALSE},
                       {"use_nesterov", NBI_A_USE_NESTEROV}),
};
const nbi_opdef nbi_opdef_APPLY_ADAGRAD = {
    .type = "ApplyAdagrad", .n_inputs = 4, .flags = APPLY_FLAGS | NBI_REF_IN1, .infer = infer_apply,
    .kernel = k_adagrad,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"_class", NBI_A_CLASS}, {"update_slots", NBI_A_TRUE},
                       {"use_locking", NBI_A_FALSE}),
};
const nbi_opdef nbi_opdef_APPLY_RMSPROP = {
    .type = "ApplyRMSProp", .n_inputs = 8, .flags = APPLY_FLAGS | NBI_REF_IN1 | NBI_REF_IN2,
    .infer = infer_apply, .kernel = k_rmsprop,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"_class", NBI_A_CLASS}, {"use_locking", NBI_A_FALSE}),
};
const nbi_opdef nbi_opdef_APPLY_ADAM = {
    .type = "ApplyAdam", .n_inputs = 10, .flags = APPLY_FLAGS | NBI_REF_IN1 | NBI_REF_IN2, .infer = infer_apply,
    .kernel = k_adam,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"_class", NBI_A_CLASS}, {"use_locking", NBI_A_FALSE},
                       {"use_nesterov", NBI_A_FALSE}),
};
