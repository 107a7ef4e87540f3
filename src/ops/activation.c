/*
 * activation.c — the activations and their *Grad helper ops: Sigmoid, Tanh,
 * Relu (tf.math's, math_grad.py: their helper ops take (y, dy) and broadcast
 * like math's binary ops) and tf.nn's Relu6, LeakyRelu, Elu, Selu, Softplus,
 * Softsign, Gelu (nn_grad.py: helper ops take (gradients, features) of one
 * shape), with the composite swish.
 *
 * Every op here is a row of nbi_ew_activation, run by the elementwise engine
 * (elementwise.h); rows receive the op's attributes: f[0] alpha (LeakyRelu,
 * LeakyReluGrad), ints[0] approximate (Gelu, GeluGrad: 1 = tanh form).
 *
 * Formulas follow TensorFlow's kernels (relu_op_functor.h, softplus_op.h,
 * softsign_op.h). SELU's constants are from Klambauer et al.,
 * "Self-Normalizing Neural Networks" (2017); GELU is Hendrycks & Gimpel,
 * "Gaussian Error Linear Units" (2016): exact x * Phi(x) with erf, or the tanh
 * approximation. Stability: softplus is max(x, 0) + log1p(exp(-|x|)); sigmoid
 * picks the branch whose exp cannot overflow.
 */
#include "ops/elementwise.h"
#include "graph/graphdef_attrs.h"
#include "ops/gemm_small.h"

#include <tgmath.h>

/*** Rows: Sigmoid, Tanh, Relu and their helper ops ***/

/* Operands x and y, no attributes (as math.c's rows). */
#define UN_ROW(fname, T, TO, EXPR) NBI_EW_UN_ROW(fname, T, TO, , EXPR)
#define BIN_ROW(fname, T, TO, EXPR) NBI_EW_BIN_ROW(fname, T, TO, x, y, , EXPR)

UN_ROW(sigmoid_f32, float, float, x >= 0 ? 1.0f / (1.0f + expf(-x)) : expf(x) / (1.0f + expf(x)))
UN_ROW(sigmoid_f64, double, double, x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x)))
UN_ROW(tanh_f32, float, float, tanhf(x))
UN_ROW(tanh_f64, double, double, tanh(x))
/* Relu keeps NaN (TF: Eigen cwiseMax(x, 0) returns x unless x < 0); the
 * forms are branch-free, so they vectorise. */
UN_ROW(relu_f32, float, float, x < 0 ? 0 : x)
UN_ROW(relu_f64, double, double, x < 0 ? 0 : x)
UN_ROW(relu_i32, int32_t, int32_t, x > 0 ? x : 0)
UN_ROW(relu_i64, int64_t, int64_t, x > 0 ? x : 0)
UN_ROW(relu_u8, uint8_t, uint8_t, x)

/* SigmoidGrad(y, dy), TanhGrad(y, dy) */
BIN_ROW(sigmoid_grad_f32, float, float, y * x * (1.0f - x))
BIN_ROW(sigmoid_grad_f64, double, double, y * x * (1.0 - x))
BIN_ROW(tanh_grad_f32, float, float, y * (1.0f - x * x))
BIN_ROW(tanh_grad_f64, double, double, y * (1.0 - x * x))
/* ReluGrad(gradients, features) */
BIN_ROW(relu_grad_f32, float, float, y > 0 ? x : 0.0f)
BIN_ROW(relu_grad_f64, double, double, y > 0 ? x : 0.0)

/*** Rows: tf.nn's activations and their helper ops ***/

/* SELU's constants (Klambauer et al.). */
#define SELU_ALPHA 1.6732632423543772848170429916717
#define SELU_SCALE 1.0507009873554804934193349852946
#define SQRT_2_OVER_PI 0.79788456080286535587989211986876
#define INV_SQRT_2 0.70710678118654752440084436210485
#define INV_SQRT_2PI 0.39894228040143267793994605993438
#define GELU_A 0.044715

/* Rows over T with the op's attributes as p (alpha, in T) and ip (approximate);
 * tgmath picks expf or exp. Helper ops name their operands g (the incoming
 * gradient) and x (features or outputs). */
#define ATTRS(T)                     \
    const T p = (T)at->f[0];         \
    const int ip = (int)at->ints[0]; \
    (void)p;                         \
    (void)ip;
#define ACT_UN(name, EXPR_F, EXPR_D)                                       \
    NBI_EW_UN_ROW(name##_f32, float, float, ATTRS(float), EXPR_F)          \
    NBI_EW_UN_ROW(name##_f64, double, double, ATTRS(double), EXPR_D)
#define ACT_BIN(name, EXPR_F, EXPR_D)                                      \
    NBI_EW_BIN_ROW(name##_f32, float, float, g, x, ATTRS(float), EXPR_F)   \
    NBI_EW_BIN_ROW(name##_f64, double, double, g, x, ATTRS(double), EXPR_D)

/* Scalar helpers, generic through tgmath. */
#define F(v) ((__typeof__(x))(v))
#define SIGMOID(x) ((x) >= 0 ? 1 / (1 + exp(-(x))) : exp(x) / (1 + exp(x)))
#define SOFTPLUS(x) (((x) > 0 ? (x) : 0) + log1p(exp(-fabs(x))))
/* GELU and its derivative; ip selects the tanh approximation. */
#define GELU(x)                                                                          \
    (ip ? F(0.5) * (x) * (1 + tanh(F(SQRT_2_OVER_PI) * ((x) + F(GELU_A) * (x) * (x) * (x)))) \
        : F(0.5) * (x) * (1 + erf((x) * F(INV_SQRT_2))))

static inline double gelu_grad_d(double x, int approx) {
    if (approx) {
        double u = SQRT_2_OVER_PI * (x + GELU_A * x * x * x);
        double t = tanh(u);
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_A * x * x);
    }
    return 0.5 * (1 + erf(x * INV_SQRT_2)) + x * exp(-0.5 * x * x) * INV_SQRT_2PI;
}
static inline float gelu_grad_f(float x, int approx) {
    if (approx) {
        float u = (float)SQRT_2_OVER_PI * (x + (float)GELU_A * x * x * x);
        float t = tanhf(u);
        return 0.5f * (1 + t) +
               0.5f * x * (1 - t * t) * (float)SQRT_2_OVER_PI * (1 + 3 * (float)GELU_A * x * x);
    }
    return 0.5f * (1 + erff(x * (float)INV_SQRT_2)) + x * expf(-0.5f * x * x) * (float)INV_SQRT_2PI;
}

/* Relu6 keeps NaN, as Relu does. */
#define RELU6_E (x != x ? x : x > 6 ? F(6) : x > 0 ? x : F(0))
ACT_UN(relu6, RELU6_E, RELU6_E)
#define LEAKY_E (x > 0 ? x : p * x)
ACT_UN(leaky, LEAKY_E, LEAKY_E)
#define ELU_E (x > 0 ? x : expm1(x))
ACT_UN(elu, ELU_E, ELU_E)
#define SELU_E (x > 0 ? F(SELU_SCALE) * x : F(SELU_SCALE * SELU_ALPHA) * expm1(x))
ACT_UN(selu, SELU_E, SELU_E)
ACT_UN(softplus, SOFTPLUS(x), SOFTPLUS(x))
#define SOFTSIGN_E (x / (1 + fabs(x)))
ACT_UN(softsign, SOFTSIGN_E, SOFTSIGN_E)
ACT_UN(gelu, GELU(x), GELU(x))

/* Gradient helpers: (g = incoming gradient, x = features or outputs). */
#define RELU6G_E (x > 0 && x < 6 ? g : F(0))
ACT_BIN(relu6_grad, RELU6G_E, RELU6G_E)
#define LEAKYG_E (x > 0 ? g : p * g)
ACT_BIN(leaky_grad, LEAKYG_E, LEAKYG_E)
#define ELUG_E (x < 0 ? g * (x + 1) : g)
ACT_BIN(elu_grad, ELUG_E, ELUG_E)
#define SELUG_E (x < 0 ? g * (x + F(SELU_SCALE * SELU_ALPHA)) : g * F(SELU_SCALE))
ACT_BIN(selu_grad, SELUG_E, SELUG_E)
ACT_BIN(softplus_grad, g * SIGMOID(x), g * SIGMOID(x))
#define SOFTSIGNG_E (g / ((1 + fabs(x)) * (1 + fabs(x))))
ACT_BIN(softsign_grad, SOFTSIGNG_E, SOFTSIGNG_E)
ACT_BIN(gelu_grad, g * gelu_grad_f(x, ip), g * gelu_grad_d(x, ip))

/*** The family's table (elementwise.h) ***/

#define FLOAT_ROWS(op) {[NB_FLOAT32] = op##_f32, [NB_FLOAT64] = op##_f64}
/* Entries: arity, output dtype (the input's), the allowed T named in the
 * dtype error, no check, the rows. */
#define MATH_UN(E, ...) [NBI_OP_##E] = {1, NB_DTYPE_INVALID, NULL, NULL, __VA_ARGS__}
#define MATH_BIN(E, ...) [NBI_OP_##E] = {2, NB_DTYPE_INVALID, NULL, NULL, __VA_ARGS__}
#define NN_UN(E, n) [NBI_OP_##E] = {1, NB_DTYPE_INVALID, "float, double", NULL, FLOAT_ROWS(n)}
#define NN_BIN(E, n) [NBI_OP_##E] = {2, NB_DTYPE_INVALID, "float, double", NULL, FLOAT_ROWS(n)}

const nbi_ew_tab nbi_ew_activation[NBI_OP_COUNT] = {
    MATH_UN(SIGMOID, FLOAT_ROWS(sigmoid)),
    MATH_UN(TANH, FLOAT_ROWS(tanh)),
    MATH_UN(RELU, {[NB_FLOAT32] = relu_f32, [NB_FLOAT64] = relu_f64, [NB_INT32] = relu_i32,
                   [NB_INT64] = relu_i64, [NB_UINT8] = relu_u8}),
    MATH_BIN(SIGMOID_GRAD, FLOAT_ROWS(sigmoid_grad)),
    MATH_BIN(TANH_GRAD, FLOAT_ROWS(tanh_grad)),
    MATH_BIN(RELU_GRAD, FLOAT_ROWS(relu_grad)),
    NN_UN(RELU6, relu6),
    NN_UN(LEAKY_RELU, leaky),
    NN_UN(ELU, elu),
    NN_UN(SELU, selu),
    NN_UN(SOFTPLUS, softplus),
    NN_UN(SOFTSIGN, softsign),
    NN_UN(GELU, gelu),
    NN_BIN(RELU6_GRAD, relu6_grad),
    NN_BIN(LEAKY_RELU_GRAD, leaky_grad),
    NN_BIN(ELU_GRAD, elu_grad),
    NN_BIN(SELU_GRAD, selu_grad),
    NN_BIN(SOFTPLUS_GRAD, softplus_grad),
    NN_BIN(SOFTSIGN_GRAD, softsign_grad),
    NN_BIN(GELU_GRAD, gelu_grad),
};

/*** Gradient builders: Sigmoid, Tanh, Relu (math_grad.py) ***/

/* A constant v of like's dtype, as Const + Cast (math_grad.py's builders). */
static nb_output cast_scalar(nb_graph *g, double v, nb_output like) {
    return nb_cast(g, nb_constant_f64(g, v, NULL), nb_output_dtype(like), NULL);
}

static void g_sigmoid(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = nbi_binary(g, NBI_OP_SIGMOID_GRAD, nbi_out(op, 0), dy[0], NULL, NULL);
}
static void g_tanh(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = nbi_binary(g, NBI_OP_TANH_GRAD, nbi_out(op, 0), dy[0], NULL, NULL);
}
static void g_relu(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = nbi_binary(g, NBI_OP_RELU_GRAD, dy[0], nbi_out(op, 0), NULL, NULL);
}
/* Second derivatives: inputs (y, d) of the helper ops; b = upstream gradient. */
static void g_sigmoid_grad(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output y = op->inputs[0], d = op->inputs[1], b = dy[0];
    /* out = d*y*(1-y): d/dy = d*(1-2y), d/dd = y*(1-y) */
    nb_output one_m_2y = nb_subtract(g, cast_scalar(g, 1.0, y), nb_multiply(g, cast_scalar(g, 2.0, y), y, NULL), NULL);
    dx[0] = nb_multiply(g, nb_multiply(g, b, d, NULL), one_m_2y, NULL);
    dx[1] = nbi_binary(g, NBI_OP_SIGMOID_GRAD, y, b, NULL, NULL);
}
static void g_tanh_grad(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output y = op->inputs[0], d = op->inputs[1], b = dy[0];
    /* out = d*(1-y^2): d/dy = -2*d*y, d/dd = 1-y^2 */
    dx[0] = nb_multiply(g, nb_multiply(g, b, d, NULL), nb_multiply(g, cast_scalar(g, -2.0, y), y, NULL), NULL);
    dx[1] = nbi_binary(g, NBI_OP_TANH_GRAD, y, b, NULL, NULL);
}
static void g_relu_grad(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = nbi_binary(g, NBI_OP_RELU_GRAD, dy[0], op->inputs[1], NULL, NULL);
    dx[1] = nb_zeros_like(g, op->inputs[1], NULL);
}

/*** Gradient builders: tf.nn's activations (nn_grad.py) ***/

static nb_output scalar_like(nb_graph *g, double v, nb_output like) {
    nb_output c = nbi_const_owning(g, nb_tensor_scalar(nb_output_dtype(like), v), NULL, "Const");
    return c;
}

/* A helper grad op (gradients, x) with the attrs of `from`. */
static nb_output grad_op(nb_graph *g, int type, nb_output gr, nb_output x, const nb_op *from) {
    nb_output in[2] = {gr, x};
    nb_op *op = nbi_op_new(g, type, NULL, NULL, in, 2);
    if (!op) return nb_nil;
    op->attrs.f[0] = from->attrs.f[0];
    op->attrs.ints[0] = from->attrs.ints[0];
    return nbi_op_finish(op);
}

/* First derivatives. Relu6, LeakyRelu, Softplus, Softsign and Gelu pass the
 * features; Elu and Selu the outputs, as TensorFlow does. */
static void g_relu6(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = grad_op(g, NBI_OP_RELU6_GRAD, dy[0], op->inputs[0], op);
}
static void g_leaky(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = grad_op(g, NBI_OP_LEAKY_RELU_GRAD, dy[0], op->inputs[0], op);
}
static void g_elu(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = grad_op(g, NBI_OP_ELU_GRAD, dy[0], nbi_out(op, 0), op);
}
static void g_selu(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = grad_op(g, NBI_OP_SELU_GRAD, dy[0], nbi_out(op, 0), op);
}
static void g_softplus(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = grad_op(g, NBI_OP_SOFTPLUS_GRAD, dy[0], op->inputs[0], op);
}
static void g_softsign(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = grad_op(g, NBI_OP_SOFTSIGN_GRAD, dy[0], op->inputs[0], op);
}
static void g_gelu(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = grad_op(g, NBI_OP_GELU_GRAD, dy[0], op->inputs[0], op);
}

/* Second derivatives: the helper ops are linear in their gradient input, so
 * d/d(gradients) is the helper op again on the upstream b; d/d(x) below. */
static void g_piecewise_grad(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    /* Relu6Grad, LeakyReluGrad: piecewise constant in x. */
    dx[0] = grad_op(g, op->type, dy[0], op->inputs[1], op);
    dx[1] = nb_zeros_like(g, op->inputs[1], NULL);
}
static void g_elu_selu_grad(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    /* out = g * (y + c) where y < 0: d/dy = g there, 0 elsewhere */
    nb_output gr = op->inputs[0], y = op->inputs[1], b = dy[0];
    dx[0] = grad_op(g, op->type, b, y, op);
    nb_output neg = nb_less(g, y, scalar_like(g, 0.0, y), NULL);
    dx[1] = nb_where(g, neg, nb_multiply(g, b, gr, NULL), nb_zeros_like(g, y, NULL), NULL);
}
static void g_softplus_grad(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    /* out = g * sigmoid(x): d/dx = g / (exp(-x) + 2 + exp(x)) */
    nb_output gr = op->inputs[0], x = op->inputs[1], b = dy[0];
    dx[0] = grad_op(g, NBI_OP_SOFTPLUS_GRAD, b, x, op);
    nb_output den = nb_add(g, nb_add(g, nb_exp(g, nb_negative(g, x, NULL), NULL), scalar_like(g, 2.0, x), NULL),
                           nb_exp(g, x, NULL), NULL);
    dx[1] = nb_divide(g, nb_multiply(g, b, gr, NULL), den, NULL);
}
static void g_softsign_grad(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    /* out = g / (1+|x|)^2: d/dx = -2 g sign(x) / (1+|x|)^3 */
    nb_output gr = op->inputs[0], x = op->inputs[1], b = dy[0];
    dx[0] = grad_op(g, NBI_OP_SOFTSIGN_GRAD, b, x, op);
    nb_output t = nb_add(g, scalar_like(g, 1.0, x), nb_abs(g, x, NULL), NULL);
    nb_output t3 = nb_multiply(g, nb_square(g, t, NULL), t, NULL);
    nb_output num = nb_multiply(g, nb_multiply(g, scalar_like(g, -2.0, x), nb_multiply(g, b, gr, NULL), NULL),
                                nb_sign(g, x, NULL), NULL);
    dx[1] = nb_divide(g, num, t3, NULL);
}
static void g_gelu_grad(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output gr = op->inputs[0], x = op->inputs[1], b = dy[0];
    dx[0] = grad_op(g, NBI_OP_GELU_GRAD, b, x, op);
    nb_output d2;
    nb_output x2 = nb_square(g, x, NULL);
    if (op->attrs.ints[0]) {
        /* u = c(x + a x^3), t = tanh u: f'' = (1 - t^2) (u' - x t u'^2 + x u'' / 2)
         * with u' = c (1 + 3 a x^2), u'' = 6 a c x */
        nb_output u = nb_multiply(g, scalar_like(g, SQRT_2_OVER_PI, x),
                                  nb_add(g, x, nb_multiply(g, scalar_like(g, GELU_A, x), nb_multiply(g, x2, x, NULL), NULL), NULL), NULL);
        nb_output t = nb_tanh(g, u, NULL);
        nb_output sech2 = nb_subtract(g, scalar_like(g, 1.0, x), nb_square(g, t, NULL), NULL);
        nb_output du = nb_multiply(g, scalar_like(g, SQRT_2_OVER_PI, x),
                                   nb_add(g, scalar_like(g, 1.0, x), nb_multiply(g, scalar_like(g, 3 * GELU_A, x), x2, NULL), NULL), NULL);
        nb_output xdu2t = nb_multiply(g, nb_multiply(g, x, t, NULL), nb_square(g, du, NULL), NULL);
        nb_output half_xddu = nb_multiply(g, scalar_like(g, 3 * GELU_A * SQRT_2_OVER_PI, x), x2, NULL);
        d2 = nb_multiply(g, sech2, nb_add(g, nb_subtract(g, du, xdu2t, NULL), half_xddu, NULL), NULL);
    } else {
        /* f'' = phi(x) (2 - x^2) */
        nb_output phi = nb_multiply(g, scalar_like(g, INV_SQRT_2PI, x),
                                    nb_exp(g, nb_multiply(g, scalar_like(g, -0.5, x), x2, NULL), NULL), NULL);
        d2 = nb_multiply(g, phi, nb_subtract(g, scalar_like(g, 2.0, x), x2, NULL), NULL);
    }
    dx[1] = nb_multiply(g, nb_multiply(g, b, gr, NULL), d2, NULL);
}

/*** Registry entries ***/

const nbi_opdef nbi_opdef_SIGMOID = {
    .type = "Sigmoid", .n_inputs = 1, .infer = nbi_ew_infer_unary, .kernel = nbi_ew_k_unary, .grad = g_sigmoid,
    .attrs = NBI_ATTRS_T,
};
const nbi_opdef nbi_opdef_TANH = {
    .type = "Tanh", .n_inputs = 1, .infer = nbi_ew_infer_unary, .kernel = nbi_ew_k_unary, .grad = g_tanh,
    .attrs = NBI_ATTRS_T,
};
/* Run-time fusion at the end of a chain MatMul -> BiasAdd -> Relu (a dense
 * layer with a ReLU): the bias and the ReLU are applied to each tile of the
 * product as it is finished. kp is the BiasAdd's context, kp->producer the
 * MatMul's (NULL when the BiasAdd itself is not fused). */
static bool relu_fuse_ok(const nb_op *op, const nb_op *producer) {
    return producer->def == &nbi_opdef_BIAS_ADD && op->out_dtype[0] == NB_FLOAT32 &&
           nbi_is_f32_matmul(producer->inputs[0].op);
}

static nb_status k_relu_fused(nbi_kctx *k, nbi_kctx *kp) {
    nbi_sgemm_geom g;
    const nb_tensor *b = kp->in[1];
    if (kp->producer && b->dtype == NB_FLOAT32 && b->rank == 1 &&
        nbi_matmul_fusable(kp->producer, &g, NBI_EPI_BIAS_RELU) && b->dims[0] == g.n) {
        nb_status st;
        if (nbi_fused_to_output(k, &g, NBI_EPI_BIAS_RELU, b->data, &st)) return st;
    }
    return nbi_fused_apart(k, kp, nbi_ew_k_unary);
}

const nbi_opdef nbi_opdef_RELU = {
    .type = "Relu", .n_inputs = 1, .infer = nbi_ew_infer_unary, .kernel = nbi_ew_k_unary, .grad = g_relu,
    .fuse_input = 0, .fuse_ok = relu_fuse_ok, .fused = k_relu_fused,
    .attrs = NBI_ATTRS_T,
};
const nbi_opdef nbi_opdef_SIGMOID_GRAD = {
    .type = "SigmoidGrad", .n_inputs = 2, .infer = nbi_ew_infer_binary, .kernel = nbi_ew_k_binary, .grad = g_sigmoid_grad,
    .attrs = NBI_ATTRS_T,
};
const nbi_opdef nbi_opdef_TANH_GRAD = {
    .type = "TanhGrad", .n_inputs = 2, .infer = nbi_ew_infer_binary, .kernel = nbi_ew_k_binary, .grad = g_tanh_grad,
    .attrs = NBI_ATTRS_T,
};
/* Run-time fusion with the MatMul that makes the incoming gradient (dY W^T
 * of the next dense layer): the ReLU mask is applied to each tile of the
 * product as it is finished. */
static bool relu_grad_fuse_ok(const nb_op *op, const nb_op *producer) {
    return nbi_is_f32_matmul(producer) && op->out_dtype[0] == NB_FLOAT32;
}

static nb_status k_relu_grad_fused(nbi_kctx *k, nbi_kctx *kp) {
    nbi_sgemm_geom g;
    const nb_tensor *f = k->in[1];
    if (f->dtype == NB_FLOAT32 && f->rank == 2 && nbi_matmul_fusable(kp, &g, NBI_EPI_RELU_GRAD) && f->dims[0] == g.m &&
        f->dims[1] == g.n) {
        nb_status st;
        if (nbi_fused_to_output(k, &g, NBI_EPI_RELU_GRAD, f->data, &st)) return st;
    }
    return nbi_fused_apart(k, kp, nbi_ew_k_binary);
}

const nbi_opdef nbi_opdef_RELU_GRAD = {
    .type = "ReluGrad", .n_inputs = 2, .infer = nbi_ew_infer_binary, .kernel = nbi_ew_k_binary, .grad = g_relu_grad,
    .fuse_input = 0, .fuse_ok = relu_grad_fuse_ok, .fused = k_relu_grad_fused,
    .attrs = NBI_ATTRS_T,
};
const nbi_opdef nbi_opdef_RELU6 = {
    .type = "Relu6", .n_inputs = 1, .infer = nbi_ew_infer_unary, .kernel = nbi_ew_k_unary, .grad = g_relu6,
    .attrs = NBI_ATTRS_T,
};
const nbi_opdef nbi_opdef_LEAKY_RELU = {
    .type = "LeakyRelu", .n_inputs = 1, .infer = nbi_ew_infer_unary, .kernel = nbi_ew_k_unary, .grad = g_leaky,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"alpha", NBI_A_ALPHA}),
};
const nbi_opdef nbi_opdef_ELU = {
    .type = "Elu", .n_inputs = 1, .infer = nbi_ew_infer_unary, .kernel = nbi_ew_k_unary, .grad = g_elu,
    .attrs = NBI_ATTRS_T,
};
const nbi_opdef nbi_opdef_SELU = {
    .type = "Selu", .n_inputs = 1, .infer = nbi_ew_infer_unary, .kernel = nbi_ew_k_unary, .grad = g_selu,
    .attrs = NBI_ATTRS_T,
};
const nbi_opdef nbi_opdef_SOFTPLUS = {
    .type = "Softplus", .n_inputs = 1, .infer = nbi_ew_infer_unary, .kernel = nbi_ew_k_unary, .grad = g_softplus,
    .attrs = NBI_ATTRS_T,
};
const nbi_opdef nbi_opdef_SOFTSIGN = {
    .type = "Softsign", .n_inputs = 1, .infer = nbi_ew_infer_unary, .kernel = nbi_ew_k_unary, .grad = g_softsign,
    .attrs = NBI_ATTRS_T,
};
const nbi_opdef nbi_opdef_GELU = {
    .type = "Gelu", .n_inputs = 1, .infer = nbi_ew_infer_unary, .kernel = nbi_ew_k_unary, .grad = g_gelu,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"approximate", NBI_A_APPROXIMATE}),
};
const nbi_opdef nbi_opdef_RELU6_GRAD = {
    .type = "Relu6Grad", .n_inputs = 2, .infer = nbi_ew_infer_pair, .kernel = nbi_ew_k_pair, .grad = g_piecewise_grad,
    .attrs = NBI_ATTRS_T,
};
const nbi_opdef nbi_opdef_LEAKY_RELU_GRAD = {
    .type = "LeakyReluGrad", .n_inputs = 2, .infer = nbi_ew_infer_pair, .kernel = nbi_ew_k_pair, .grad = g_piecewise_grad,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"alpha", NBI_A_ALPHA}),
};
const nbi_opdef nbi_opdef_ELU_GRAD = {
    .type = "EluGrad", .n_inputs = 2, .infer = nbi_ew_infer_pair, .kernel = nbi_ew_k_pair, .grad = g_elu_selu_grad,
    .attrs = NBI_ATTRS_T,
};
const nbi_opdef nbi_opdef_SELU_GRAD = {
    .type = "SeluGrad", .n_inputs = 2, .infer = nbi_ew_infer_pair, .kernel = nbi_ew_k_pair, .grad = g_elu_selu_grad,
    .attrs = NBI_ATTRS_T,
};
const nbi_opdef nbi_opdef_SOFTPLUS_GRAD = {
    .type = "SoftplusGrad", .n_inputs = 2, .infer = nbi_ew_infer_pair, .kernel = nbi_ew_k_pair, .grad = g_softplus_grad,
    .attrs = NBI_ATTRS_T,
};
const nbi_opdef nbi_opdef_SOFTSIGN_GRAD = {
    .type = "SoftsignGrad", .n_inputs = 2, .infer = nbi_ew_infer_pair, .kernel = nbi_ew_k_pair, .grad = g_softsign_grad,
    .attrs = NBI_ATTRS_T,
};
const nbi_opdef nbi_opdef_GELU_GRAD = {
    .type = "GeluGrad", .n_inputs = 2, .infer = nbi_ew_infer_pair, .kernel = nbi_ew_k_pair, .grad = g_gelu_grad,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"approximate", NBI_A_APPROXIMATE}),
};

/*** Constructors ***/

nb_output nb_sigmoid(nb_graph *g, nb_output x, const char *name) { return nbi_unary(g, NBI_OP_SIGMOID, x, name, NULL); }
nb_output nb_tanh(nb_graph *g, nb_output x, const char *name) { return nbi_unary(g, NBI_OP_TANH, x, name, NULL); }
nb_output nb_relu(nb_graph *g, nb_output x, const char *name) { return nbi_unary(g, NBI_OP_RELU, x, name, NULL); }
nb_output nb_nn_relu(nb_graph *g, nb_output x, const char *name) { return nb_relu(g, x, name); }
nb_output nb_nn_relu6(nb_graph *g, nb_output x, const char *name) {
    return nbi_unary(g, NBI_OP_RELU6, x, name, NULL);
}
nb_output nb_nn_leaky_relu(nb_graph *g, nb_output x, double alpha, const char *name) {
    nb_op *op = nbi_op_new(g, NBI_OP_LEAKY_RELU, name, NULL, &x, 1);
    if (!op) return nb_nil;
    op->attrs.f[0] = alpha;
    return nbi_op_finish(op);
}
nb_output nb_nn_elu(nb_graph *g, nb_output x, const char *name) {
    return nbi_unary(g, NBI_OP_ELU, x, name, NULL);
}
nb_output nb_nn_selu(nb_graph *g, nb_output x, const char *name) {
    return nbi_unary(g, NBI_OP_SELU, x, name, NULL);
}
nb_output nb_nn_softplus(nb_graph *g, nb_output x, const char *name) {
    return nbi_unary(g, NBI_OP_SOFTPLUS, x, name, NULL);
}
nb_output nb_nn_softsign(nb_graph *g, nb_output x, const char *name) {
    return nbi_unary(g, NBI_OP_SOFTSIGN, x, name, NULL);
}
nb_output nb_nn_gelu(nb_graph *g, nb_output x, bool approximate, const char *name) {
    nb_op *op = nbi_op_new(g, NBI_OP_GELU, name, NULL, &x, 1);
    if (!op) return nb_nil;
    op->attrs.ints[0] = approximate ? 1 : 0;
    return nbi_op_finish(op);
}
/* x * sigmoid(x) in scope "swish": "swish/Sigmoid" and the Mul "swish". */
nb_output nb_nn_swish(nb_graph *g, nb_output x, const char *name) {
    char *scope = nbi_op_scope_push(g, name, "swish");
    if (!scope) return nb_nil;
    nb_output r = nb_multiply(g, x, nb_sigmoid(g, x, NULL), scope);
    nb_name_scope_pop(g);
    nbi_free(scope);
    return r;
}
