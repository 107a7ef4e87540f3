/*
 * test_op_cases.c — one forward case for every registered op, and a GraphDef
 * round trip of every case.
 *
 * Each row of `cases` names a TF op type and builds a small graph that holds
 * that op, with the value its output must have, computed independently: by
 * hand (the comments show the arithmetic) or by a naive reference in double
 * precision (libm). Two tests walk the registry, like the gradient coverage of
 * test_grad.c, so both fail when an op is registered without a row:
 *   every_op_has_a_forward_case: each case runs and gives its value;
 *   every_op_survives_a_graphdef_round_trip: each case's graph is exported,
 *     imported into a new graph (whose export must be the same bytes), and
 *     both graphs are run: the outputs must be the same bytes.
 * The ops that cannot run here are listed in `not_run`, with the reason; their
 * rows are still built and round-tripped (without running), and an op that is
 * skipped without being listed fails the test.
 */
#include "harness.h"
#include "ops/ops_impl.h"
#include "io/tensorboard.h"

typedef struct ocase {
    nb_graph *g;
    nb_output y;           /* the output checked */
    nb_output pre[2];      /* targets run first, in order, when not nil (initializers, updates) */
    nb_output feed;        /* a placeholder fed with feed_val, when not nil */
    nb_tensor *feed_val;
    nb_tensor *want;       /* y's value (new reference) */
    double tol;            /* 0: the same bytes; else |got - want| <= tol * (1 + |want|) */
    const char *(*check)(const nb_tensor *got); /* instead of want: NULL when right, else why */
} ocase;

typedef void (*case_fn)(ocase *c);
typedef struct {
    const char *type; /* the TF op type the row covers */
    case_fn fn;
} case_row;

/* The ops whose rows are built and round-tripped but not run here. */
static const struct {
    const char *type, *why;
} not_run[] = {
    {"HorovodAllreduce", "needs an MPI runtime; its values are checked under mpirun (tests/dist/)"},
    {"HorovodGroupedAllreduce", "needs an MPI runtime; its values are checked under mpirun (tests/dist/)"},
    {"HorovodBroadcast", "needs an MPI runtime; its values are checked under mpirun (tests/dist/)"},
    {"HorovodAllgather", "needs an MPI runtime; its values are checked under mpirun (tests/dist/)"},
    {"NablaAllreduceStart", "needs an MPI runtime; its values are checked under mpirun (tests/dist/)"},
    {"NablaAllreduceWait", "needs an MPI runtime; its values are checked under mpirun (tests/dist/)"},
};

/*** Helpers ***/

static nb_output konst(nb_graph *g, nb_dtype dt, nb_shape s, const void *v) {
    return nb_constant_array(g, dt, s.rank, s.dims, v, NULL);
}
static nb_tensor *ten(nb_dtype dt, nb_shape s, const void *v) { return nb_tensor_new(dt, s.rank, s.dims, v); }

#define S NB_SHAPE
#define S0 NB_SHAPE_SCALAR
#define CF(SH, ...) konst(c->g, NB_FLOAT32, SH, (float[]){__VA_ARGS__})
#define CD(SH, ...) konst(c->g, NB_FLOAT64, SH, (double[]){__VA_ARGS__})
#define CI(SH, ...) konst(c->g, NB_INT32, SH, (int32_t[]){__VA_ARGS__})
#define CL(SH, ...) konst(c->g, NB_INT64, SH, (int64_t[]){__VA_ARGS__})
#define CB(SH, ...) konst(c->g, NB_BOOL, SH, (uint8_t[]){__VA_ARGS__})
#define WF(SH, ...) (c->want = ten(NB_FLOAT32, SH, (float[]){__VA_ARGS__}))
#define WD(SH, ...) (c->want = ten(NB_FLOAT64, SH, (double[]){__VA_ARGS__}))
#define WI(SH, ...) (c->want = ten(NB_INT32, SH, (int32_t[]){__VA_ARGS__}))
#define WL(SH, ...) (c->want = ten(NB_INT64, SH, (int64_t[]){__VA_ARGS__}))
#define WB(SH, ...) (c->want = ten(NB_BOOL, SH, (uint8_t[]){__VA_ARGS__}))
#define WU8(SH, ...) (c->want = ten(NB_UINT8, SH, (uint8_t[]){__VA_ARGS__}))

/* An op made directly (helper ops without a public constructor). */
static nb_op *raw(ocase *c, int type, const nb_output *in, int n) { return nbi_op_new(c->g, type, NULL, NULL, in, n); }
static nb_output fin(nb_op *op) { return nbi_op_finish(op); }

/* A variable initialized to t's value, and its ref (what update ops take). */
static nb_output var(ocase *c, nb_output init, nb_output *ref) {
    nb_output v = nb_variable(c->g, init, NULL);
    nb_op *vo = nb_variable_op(v);
    *ref = vo ? nbi_out(vo, 0) : nb_nil;
    return v;
}

/*** Elementwise ops: the kernel against a libm reference on float64 ***/

static const double X_ANY[6] = {-2.5, -1, -0.25, 0, 0.5, 3};
static const double X_POS[6] = {0.25, 0.5, 1, 2, 3, 10};
static const double X_UNIT[6] = {-0.9, -0.5, -0.1, 0, 0.3, 0.8};
static const double X_HALF[6] = {-2.5, -1.5, -0.5, 0.5, 1.5, 2.5};
static const double X_BIG[6] = {-8, -1, 0, 2, 5.5, 7};
static const double A6[6] = {-3, -1.5, 0.5, 1, 2.5, 4};
static const double A_POS[6] = {0.5, 1, 2, 3, 1.5, 4};
static const double B6[6] = {2, -1.5, 1.5, -2, 2.5, 3};

typedef nb_output (*un_ctor)(nb_graph *, nb_output, const char *);
typedef nb_output (*bin_ctor)(nb_graph *, nb_output, nb_output, const char *);

static void unary_case(ocase *c, un_ctor f, const double *xs, double (*ref)(double), bool to_bool) {
    nb_output x = konst(c->g, NB_FLOAT64, S(2, 3), xs);
    c->y = f(c->g, x, NULL);
    double w[6];
    uint8_t wb[6];
    for (int i = 0; i < 6; i++) {
        w[i] = ref(xs[i]);
        wb[i] = w[i] != 0;
    }
    c->want = to_bool ? ten(NB_BOOL, S(2, 3), wb) : ten(NB_FLOAT64, S(2, 3), w);
    c->tol = 1e-12;
}

static void binary_case(ocase *c, int type, bin_ctor f, const double *as, const double *bs,
                        double (*ref)(double, double), bool to_bool) {
    nb_output a = konst(c->g, NB_FLOAT64, S(2, 3), as), b = konst(c->g, NB_FLOAT64, S(2, 3), bs);
    c->y = f ? f(c->g, a, b, NULL) : nbi_binary(c->g, type, a, b, NULL, NULL);
    double w[6];
    uint8_t wb[6];
    for (int i = 0; i < 6; i++) {
        w[i] = ref(as[i], bs[i]);
        wb[i] = w[i] != 0;
    }
    c->want = to_bool ? ten(NB_BOOL, S(2, 3), wb) : ten(NB_FLOAT64, S(2, 3), w);
    c->tol = 1e-12;
}

/* An activation's helper gradient op (dy, x or y) with its attrs. */
static void act_grad_case(ocase *c, int type, double alpha, int approx, double (*ref)(double, double)) {
    nb_output in[2] = {konst(c->g, NB_FLOAT64, S(2, 3), A6), konst(c->g, NB_FLOAT64, S(2, 3), B6)};
    nb_op *op = raw(c, type, in, 2);
    if (op) {
        op->attrs.f[0] = alpha;
        op->attrs.ints[0] = approx;
    }
    c->y = fin(op);
    double w[6];
    for (int i = 0; i < 6; i++) w[i] = ref(A6[i], B6[i]);
    c->want = ten(NB_FLOAT64, S(2, 3), w);
    c->tol = 1e-12;
}

#define UN(fname, F, XS, REF) static void fname(ocase *c) { unary_case(c, F, XS, REF, false); }
#define UNB(fname, F, XS, REF) static void fname(ocase *c) { unary_case(c, F, XS, REF, true); }
#define BIN(fname, F, AS, BS, EXPR)                                             \
    static double fname##_ref(double a, double b) { return (EXPR); }          \
    static void fname(ocase *c) { binary_case(c, 0, F, AS, BS, fname##_ref, false); }
#define BINB(fname, F, EXPR)                                                    \
    static double fname##_ref(double a, double b) { return (EXPR); }          \
    static void fname(ocase *c) { binary_case(c, 0, F, A6, B6, fname##_ref, true); }
#define GRADOP(fname, TYPE, EXPR)                                               \
    static double fname##_ref(double a, double b) { return (EXPR); }          \
    static void fname(ocase *c) { binary_case(c, TYPE, NULL, A6, B6, fname##_ref, false); }
#define ACTGRAD(fname, TYPE, ALPHA, APPROX, EXPR)                               \
    static double fname##_ref(double a, double b) { return (EXPR); }          \
    static void fname(ocase *c) { act_grad_case(c, TYPE, ALPHA, APPROX, fname##_ref); }

static double r_neg(double x) { return -x; }
static double r_sign(double x) { return (x > 0) - (x < 0); }
static double r_square(double x) { return x * x; }
static double r_rsqrt(double x) { return 1 / sqrt(x); }
static double r_recip(double x) { return 1 / x; }
static double r_sigmoid(double x) { return 1 / (1 + exp(-x)); }
static double r_relu(double x) { return x > 0 ? x : 0; }
static double r_isnan(double x) { return isnan(x); }
static double r_isinf(double x) { return isinf(x) != 0; }
static double r_isfinite(double x) { return isfinite(x); }
static double r_relu6(double x) { return x < 0 ? 0 : x > 6 ? 6 : x; }
static double r_leaky(double x) { return x > 0 ? x : 0.25 * x; }
static double r_elu(double x) { return x > 0 ? x : expm1(x); }
#define SELU_SCALE 1.0507009873554804934193349852946
#define SELU_ALPHA 1.6732632423543772848170429916717
static double r_selu(double x) { return SELU_SCALE * (x > 0 ? x : SELU_ALPHA * expm1(x)); }
static double r_softplus(double x) { return log1p(exp(x)); }
static double r_softsign(double x) { return x / (1 + fabs(x)); }
static double r_gelu_tanh(double x) {
    return 0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
}
static double r_phi(double x) { return 0.5 * (1 + erf(x / sqrt(2))); }
static double r_pdf(double x) { return exp(-x * x / 2) / sqrt(2 * M_PI); }

/* alpha is a float attr in a GraphDef (as in TensorFlow): alphas exact in float32
 * keep the float64 round trip exact. */
static nb_output leaky_quarter(nb_graph *g, nb_output x, const char *n) { return nb_nn_leaky_relu(g, x, 0.25, n); }
static nb_output gelu_tanh(nb_graph *g, nb_output x, const char *n) { return nb_nn_gelu(g, x, true, n); }

UN(c_neg, nb_negative, X_ANY, r_neg)
UN(c_abs, nb_abs, X_ANY, fabs)
UN(c_sign, nb_sign, X_ANY, r_sign)
UN(c_square, nb_square, X_ANY, r_square)
UN(c_sqrt, nb_sqrt, X_POS, sqrt)
UN(c_rsqrt, nb_rsqrt, X_POS, r_rsqrt)
UN(c_exp, nb_exp, X_ANY, exp)
UN(c_log, nb_log, X_POS, log)
UN(c_log1p, nb_log1p, X_UNIT, log1p)
UN(c_recip, nb_reciprocal, X_POS, r_recip)
UN(c_sigmoid, nb_sigmoid, X_ANY, r_sigmoid)
UN(c_tanh, nb_tanh, X_ANY, tanh)
UN(c_relu, nb_relu, X_ANY, r_relu)
UN(c_floor, nb_floor, X_HALF, floor)
UN(c_ceil, nb_ceil, X_HALF, ceil)
UN(c_round, nb_round, X_HALF, nearbyint) /* half to even, as TF's Round */
UN(c_sin, nb_sin, X_ANY, sin)
UN(c_cos, nb_cos, X_ANY, cos)
UN(c_tan, nb_tan, X_UNIT, tan)
UN(c_asin, nb_asin, X_UNIT, asin)
UN(c_acos, nb_acos, X_UNIT, acos)
UN(c_atan, nb_atan, X_ANY, atan)
UN(c_sinh, nb_sinh, X_ANY, sinh)
UN(c_cosh, nb_cosh, X_ANY, cosh)
UN(c_erf, nb_erf, X_ANY, erf)
UN(c_expm1, nb_expm1, X_UNIT, expm1)
static const double X_SPECIAL[6] = {NAN, INFINITY, -INFINITY, 0, 1, -3};
UNB(c_isnan, nb_is_nan, X_SPECIAL, r_isnan)
UNB(c_isinf, nb_is_inf, X_SPECIAL, r_isinf)
UNB(c_isfinite, nb_is_finite, X_SPECIAL, r_isfinite)
UN(c_relu6, nb_nn_relu6, X_BIG, r_relu6)
UN(c_leaky, leaky_quarter, X_ANY, r_leaky)
UN(c_elu, nb_nn_elu, X_ANY, r_elu)
UN(c_selu, nb_nn_selu, X_ANY, r_selu)
UN(c_softplus, nb_nn_softplus, X_ANY, r_softplus)
UN(c_softsign, nb_nn_softsign, X_ANY, r_softsign)
UN(c_gelu, gelu_tanh, X_ANY, r_gelu_tanh)

BIN(c_add, nb_add, A6, B6, a + b)
BIN(c_sub, nb_subtract, A6, B6, a - b)
BIN(c_mul, nb_multiply, A6, B6, a * b)
BIN(c_div, nb_divide, A6, B6, a / b)
BIN(c_floordiv, nb_floor_div, A6, B6, floor(a / b))
BIN(c_floormod, nb_mod, A6, B6, a - floor(a / b) * b) /* the sign of the divisor */
BIN(c_pow, nb_pow, A_POS, B6, pow(a, b))
BIN(c_max, nb_maximum, A6, B6, a > b ? a : b)
BIN(c_min, nb_minimum, A6, B6, a < b ? a : b)
BIN(c_sqdiff, nb_squared_difference, A6, B6, (a - b) * (a - b))
BIN(c_atan2, nb_atan2, A6, B6, atan2(a, b))
BINB(c_eq, nb_equal, a == b)
BINB(c_ne, nb_not_equal, a != b)
BINB(c_lt, nb_less, a < b)
BINB(c_le, nb_less_equal, a <= b)
BINB(c_gt, nb_greater, a > b)
BINB(c_ge, nb_greater_equal, a >= b)
/* TF's helper gradients: (y, dy) for the first five, (dy, x) for ReluGrad */
GRADOP(c_sigmoid_grad, NBI_OP_SIGMOID_GRAD, b * a * (1 - a))
GRADOP(c_tanh_grad, NBI_OP_TANH_GRAD, b * (1 - a * a))
GRADOP(c_sqrt_grad, NBI_OP_SQRT_GRAD, b * 0.5 / a)
GRADOP(c_rsqrt_grad, NBI_OP_RSQRT_GRAD, b * -0.5 * a * a * a)
GRADOP(c_recip_grad, NBI_OP_RECIPROCAL_GRAD, -b * a * a)
GRADOP(c_relu_grad, NBI_OP_RELU_GRAD, b > 0 ? a : 0)
/* the activations' helper gradients: (dy, x) or (dy, y) */
ACTGRAD(c_relu6_grad, NBI_OP_RELU6_GRAD, 0, 0, b > 0 && b < 6 ? a : 0)
ACTGRAD(c_leaky_grad, NBI_OP_LEAKY_RELU_GRAD, 0.375, 0, b > 0 ? a : 0.375 * a)
ACTGRAD(c_elu_grad, NBI_OP_ELU_GRAD, 0, 0, b > 0 ? a : a * (b + 1))
ACTGRAD(c_selu_grad, NBI_OP_SELU_GRAD, 0, 0, b > 0 ? a * SELU_SCALE : a * (b + SELU_SCALE * SELU_ALPHA))
ACTGRAD(c_softplus_grad, NBI_OP_SOFTPLUS_GRAD, 0, 0, a / (1 + exp(-b)))
ACTGRAD(c_softsign_grad, NBI_OP_SOFTSIGN_GRAD, 0, 0, a / ((1 + fabs(b)) * (1 + fabs(b))))
ACTGRAD(c_gelu_grad, NBI_OP_GELU_GRAD, 0, 0, a * (r_phi(b) + b * r_pdf(b)))

static void c_logical_and(ocase *c) {
    c->y = nb_logical_and(c->g, CB(S(4), 1, 1, 0, 0), CB(S(4), 1, 0, 1, 0), NULL);
    WB(S(4), 1, 0, 0, 0);
}
static void c_logical_or(ocase *c) {
    c->y = nb_logical_or(c->g, CB(S(4), 1, 1, 0, 0), CB(S(4), 1, 0, 1, 0), NULL);
    WB(S(4), 1, 1, 1, 0);
}
static void c_logical_not(ocase *c) {
    c->y = nb_logical_not(c->g, CB(S(2), 1, 0), NULL);
    WB(S(2), 0, 1);
}
static void c_add_n(ocase *c) {
    nb_output xs[3] = {CF(S(2), 1, 2), CF(S(2), 10, 20), CF(S(2), 100, 200)};
    c->y = nb_add_n(c->g, xs, 3, NULL);
    WF(S(2), 111, 222);
}
/* Select: TF1's row-picking form, a bool vector choosing whole rows */
static void c_select(ocase *c) {
    c->y = nb_where(c->g, CB(S(2), 0, 1), CF(S(2, 2), 1, 2, 3, 4), CF(S(2, 2), 5, 6, 7, 8), NULL);
    WF(S(2, 2), 5, 6, 3, 4);
}
static void c_select_v2(ocase *c) {
    c->y = nb_where_v2(c->g, CB(S(2), 1, 0), CF(S(2, 2), 1, 2, 3, 4), CF(S0, 9), NULL);
    WF(S(2, 2), 1, 9, 3, 9); /* cond broadcast along rows: column 0 from x */
}
static void c_cast(ocase *c) {
    c->y = nb_cast(c->g, CF(S(3), 1.7f, -2.7f, 3.2f), NB_INT32, NULL);
    WI(S(3), 1, -2, 3); /* truncation toward zero */
}

/*** Reductions, scans, sorting ***/

#define X23 CF(S(2, 3), 1, 2, 3, 4, 5, 6)
static void c_sum(ocase *c) { c->y = nb_reduce_sum(c->g, X23, (int[]){1}, 1, true, NULL); WF(S(2, 1), 6, 15); }
static void c_mean(ocase *c) { c->y = nb_reduce_mean(c->g, X23, (int[]){1}, 1, false, NULL); WF(S(2), 2, 5); }
static void c_prod(ocase *c) { c->y = nb_reduce_prod(c->g, X23, (int[]){1}, 1, false, NULL); WF(S(2), 6, 120); }
static void c_rmax(ocase *c) { c->y = nb_reduce_max(c->g, X23, (int[]){0}, 1, false, NULL); WF(S(3), 4, 5, 6); }
static void c_rmin(ocase *c) { c->y = nb_reduce_min(c->g, X23, (int[]){1}, 1, false, NULL); WF(S(2), 1, 4); }
static void c_argmax(ocase *c) {
    c->y = nb_argmax(c->g, CF(S(2, 3), 1, 5, 3, 6, 2, 4), 1, NULL);
    WL(S(2), 1, 0);
}
static void c_argmin(ocase *c) {
    c->y = nb_argmin(c->g, CF(S(2, 3), 1, 5, 3, 6, 2, 4), 1, NULL);
    WL(S(2), 0, 1);
}
/* output_type int32: rows [1 5 3] and [6 2 4] give max at 1, 0 and min at 0, 1 */
static void c_argmax_i32(ocase *c) {
    c->y = nb_argmax_ex(c->g, CF(S(2, 3), 1, 5, 3, 6, 2, 4), 1, NB_INT32, NULL);
    WI(S(2), 1, 0);
}
static void c_argmin_i32(ocase *c) {
    c->y = nb_argmin_ex(c->g, CF(S(2, 3), 1, 5, 3, 6, 2, 4), -1, NB_INT32, NULL);
    WI(S(2), 0, 1);
}
static void c_any(ocase *c) {
    c->y = nb_reduce_any(c->g, CB(S(2, 3), 1, 0, 0, 0, 0, 0), (int[]){1}, 1, false, NULL);
    WB(S(2), 1, 0);
}
static void c_all(ocase *c) {
    c->y = nb_reduce_all(c->g, CB(S(2, 3), 1, 0, 1, 1, 1, 1), (int[]){1}, 1, true, NULL);
    WB(S(2, 1), 0, 1);
}
static void c_cumsum(ocase *c) {
    c->y = nb_cumsum(c->g, CF(S(4), 1, 2, 3, 4), 0, true, true, NULL);
    WF(S(4), 9, 7, 4, 0); /* exclusive, reversed: 2+3+4, 3+4, 4, 0 */
}
static void c_cumprod(ocase *c) {
    c->y = nb_cumprod(c->g, CF(S(4), 1, 2, 3, 4), 0, true, true, NULL);
    WF(S(4), 2 * 3 * 4, 3 * 4, 4, 1); /* exclusive, reversed; the empty product is 1 */
}
static void c_reverse(ocase *c) {
    c->y = nb_reverse(c->g, X23, (int[]){1}, 1, NULL);
    WF(S(2, 3), 3, 2, 1, 6, 5, 4);
}
static void c_top_k(ocase *c) {
    nb_output v = nb_top_k(c->g, CF(S(4), 1, 4, 2, 3), 2, true, NULL);
    c->y = v.op ? nb_op_output(v.op, 1) : nb_nil; /* the indices */
    WI(S(2), 1, 3);
}
static void c_in_top_k(ocase *c) {
    c->y = nb_in_top_k(c->g, CF(S(2, 3), 0.1f, 0.8f, 0.1f, 0.3f, 0.3f, 0.4f), CI(S(2), 1, 0), 1, NULL);
    WB(S(2), 1, 0);
}
static void c_where(ocase *c) {
    c->y = nb_where_true(c->g, CB(S(2, 2), 0, 1, 1, 0), NULL);
    WL(S(2, 2), 0, 1, 1, 0); /* the coordinates of the true cells */
}

/*** Shapes, layout, indexing ***/

static void c_transpose(ocase *c) {
    c->y = nb_transpose(c->g, X23, (int[]){1, 0}, 2, NULL);
    WF(S(3, 2), 1, 4, 2, 5, 3, 6);
}
static void c_reshape(ocase *c) {
    c->y = nb_reshape(c->g, X23, 2, (int64_t[]){3, -1}, NULL);
    WF(S(3, 2), 1, 2, 3, 4, 5, 6);
}
static void c_expand_dims(ocase *c) {
    c->y = nb_expand_dims(c->g, CF(S(2), 1, 2), 1, NULL);
    WF(S(2, 1), 1, 2);
}
static void c_squeeze(ocase *c) {
    c->y = nb_squeeze(c->g, CF(S(1, 2, 1), 1, 2), (int[]){0}, 1, NULL);
    WF(S(2, 1), 1, 2);
}
static void c_concat(ocase *c) {
    nb_output xs[2] = {CF(S(2, 1), 1, 2), CF(S(2, 2), 3, 4, 5, 6)};
    c->y = nb_concat(c->g, xs, 2, 1, NULL);
    WF(S(2, 3), 1, 3, 4, 2, 5, 6);
}
static void c_pack(ocase *c) {
    nb_output xs[2] = {CF(S(2), 1, 2), CF(S(2), 3, 4)};
    c->y = nb_stack(c->g, xs, 2, 1, NULL);
    WF(S(2, 2), 1, 3, 2, 4);
}
static void c_slice(ocase *c) {
    c->y = nb_slice(c->g, X23, (int64_t[]){0, 1}, (int64_t[]){2, 2}, 2, NULL);
    WF(S(2, 2), 2, 3, 5, 6);
}
static void c_gather(ocase *c) {
    c->y = nb_gather(c->g, CF(S(3, 2), 1, 2, 3, 4, 5, 6), CI(S(2), 2, 0), 0, NULL);
    WF(S(2, 2), 5, 6, 1, 2);
}
static void c_tile(ocase *c) {
    c->y = nb_tile(c->g, CF(S(2), 1, 2), (int64_t[]){3}, 1, NULL);
    WF(S(6), 1, 2, 1, 2, 1, 2);
}
static void c_pad(ocase *c) {
    c->y = nb_pad(c->g, CF(S(2), 1, 2), (int64_t[]){1, 2}, 1, NULL);
    WF(S(5), 0, 1, 2, 0, 0);
}
static void c_pad_v2(ocase *c) {
    c->y = nb_pad_ex(c->g, CF(S(2), 1, 2), (int64_t[]){1, 2}, 1, NB_PAD_CONSTANT, 7, NULL);
    WF(S(5), 7, 1, 2, 7, 7);
}
static void c_mirror_pad(ocase *c) {
    c->y = nb_pad_ex(c->g, CF(S(3), 1, 2, 3), (int64_t[]){2, 1}, 1, NB_PAD_SYMMETRIC, 0, NULL);
    WF(S(6), 2, 1, 1, 2, 3, 3); /* edges repeated */
}
static void c_mirror_pad_grad(ocase *c) {
    /* dy of REFLECT (1, 1) padding of 3 cells: padded = x1 x0 x1 x2 x1 */
    nb_output in[2] = {CF(S(5), 1, 2, 3, 4, 5), CI(S(1, 2), 1, 1)};
    nb_op *op = raw(c, NBI_OP_MIRROR_PAD_GRAD, in, 2);
    if (op) op->attrs.ints[0] = NB_PAD_REFLECT;
    c->y = fin(op);
    WF(S(3), 2, 1 + 3 + 5, 4);
}
static void c_one_hot(ocase *c) {
    c->y = nb_one_hot(c->g, CI(S(2), 0, 2), 3, 5, -1, NB_FLOAT32, NULL);
    WF(S(2, 3), 5, -1, -1, -1, -1, 5);
}
static void c_fill(ocase *c) {
    c->y = nb_fill(c->g, CI(S(2), 2, 2), CF(S0, 7), NULL);
    WF(S(2, 2), 7, 7, 7, 7);
}
static void c_zeros_like(ocase *c) { c->y = nb_zeros_like(c->g, CF(S(3), 1, 2, 3), NULL); WF(S(3), 0, 0, 0); }
static void c_ones_like(ocase *c) { c->y = nb_ones_like(c->g, CF(S(3), 1, 2, 3), NULL); WF(S(3), 1, 1, 1); }
static void c_shape(ocase *c) { c->y = nb_shape_of_ex(c->g, X23, NB_INT64, NULL); WL(S(2), 2, 3); }
static void c_size(ocase *c) { c->y = nb_size_ex(c->g, X23, NB_INT64, NULL); WL(S0, 6); }
static void c_rank(ocase *c) { c->y = nb_rank(c->g, X23, NULL); WI(S0, 2); }
static void c_bcast_args(ocase *c) {
    /* shapes [2,3] and [3]: the second is broadcast along axis 0 */
    nb_output y = fin(raw(c, NBI_OP_BROADCAST_GRADIENT_ARGS, (nb_output[]){CI(S(2), 2, 3), CI(S(1), 3)}, 2));
    c->y = y.op ? nb_op_output(y.op, 1) : nb_nil;
    WI(S(1), 0);
}
static void c_segment_sum(ocase *c) {
    c->y = nb_unsorted_segment_sum(c->g, CF(S(4), 1, 2, 3, 4), CI(S(4), 0, 2, 0, 1), CI(S0, 3), NULL);
    WF(S(3), 1 + 3, 4, 2);
}
static void c_range(ocase *c) { c->y = nb_range(c->g, CI(S0, 1), CI(S0, 10), CI(S0, 3), NULL); WI(S(3), 1, 4, 7); }
static void c_linspace(ocase *c) {
    c->y = nb_linspace(c->g, CF(S0, 0), CF(S0, 1), CI(S0, 5), NULL);
    WF(S(5), 0, 0.25f, 0.5f, 0.75f, 1);
}
static void c_strided_slice(ocase *c) {
    /* x[1::2]: end ignored by end_mask bit 0 */
    c->y = nb_strided_slice(c->g, CF(S(5), 10, 11, 12, 13, 14), (int64_t[]){1}, (int64_t[]){0}, (int64_t[]){2},
                            1, 0, 1, 0, 0, 0, NULL);
    WF(S(2), 11, 13);
}
static void c_strided_slice_grad(ocase *c) {
    /* d sum(x[1:4:2]) / dx */
    nb_output x = CF(S(5), 10, 11, 12, 13, 14);
    nb_output y = nb_strided_slice(c->g, x, (int64_t[]){1}, (int64_t[]){4}, (int64_t[]){2}, 1, 0, 0, 0, 0, 0, NULL);
    nb_output loss = nb_reduce_sum(c->g, y, NULL, NB_ALL_AXES, false, NULL);
    nb_gradients(c->g, &loss, 1, &x, 1, NULL, &c->y);
    WF(S(5), 0, 1, 0, 1, 0);
}
static void c_unpack(ocase *c) {
    nb_output y = nb_unstack(c->g, X23, 2, 0, NULL);
    c->y = y.op ? nb_op_output(y.op, 1) : nb_nil;
    WF(S(3), 4, 5, 6);
}
static void c_split(ocase *c) {
    nb_output y = nb_split(c->g, CF(S(4), 1, 2, 3, 4), 2, 0, NULL);
    c->y = y.op ? nb_op_output(y.op, 1) : nb_nil;
    WF(S(2), 3, 4);
}
static void c_split_v(ocase *c) {
    nb_output y = nb_split_v(c->g, CF(S(5), 1, 2, 3, 4, 5), (int64_t[]){1, 2, 2}, 3, 0, NULL);
    c->y = y.op ? nb_op_output(y.op, 1) : nb_nil;
    WF(S(2), 2, 3);
}
static void c_gather_nd(ocase *c) {
    c->y = nb_gather_nd(c->g, CF(S(2, 2), 1, 2, 3, 4), CI(S(2, 2), 1, 0, 0, 1), NULL);
    WF(S(2), 3, 2);
}
static void c_scatter_nd(ocase *c) {
    c->y = nb_scatter_nd(c->g, CI(S(2, 1), 2, 0), CF(S(2), 5, 6), (int64_t[]){4}, 1, NULL);
    WF(S(4), 6, 0, 5, 0);
}
static void c_matrix_diag(ocase *c) { c->y = nb_matrix_diag(c->g, CF(S(2), 1, 2), NULL); WF(S(2, 2), 1, 0, 0, 2); }
static void c_matrix_diag_part(ocase *c) {
    c->y = nb_matrix_diag_part(c->g, CF(S(2, 2), 1, 2, 3, 4), NULL);
    WF(S(2), 1, 4);
}
static void c_matrix_set_diag(ocase *c) {
    c->y = nb_matrix_set_diag(c->g, CF(S(2, 2), 1, 2, 3, 4), CF(S(2), 9, 8), NULL);
    WF(S(2, 2), 9, 2, 3, 8);
}

/*** Linear algebra ***/

static void c_matmul(ocase *c) {
    /* [1 2; 3 4] . [5 6; 7 8]^T */
    c->y = nb_matmul(c->g, CF(S(2, 2), 1, 2, 3, 4), CF(S(2, 2), 5, 6, 7, 8), false, true, NULL);
    WF(S(2, 2), 1 * 5 + 2 * 6, 1 * 7 + 2 * 8, 3 * 5 + 4 * 6, 3 * 7 + 4 * 8);
}
static void c_batch_matmul(ocase *c) {
    /* [1 2; 3 4]^T . [5 6; 7 8] in a batch of one */
    c->y = nb_matmul(c->g, CF(S(1, 2, 2), 1, 2, 3, 4), CF(S(1, 2, 2), 5, 6, 7, 8), true, false, NULL);
    WF(S(1, 2, 2), 1 * 5 + 3 * 7, 1 * 6 + 3 * 8, 2 * 5 + 4 * 7, 2 * 6 + 4 * 8);
}

/*** Sources, state, control, debugging ***/

static void c_placeholder(ocase *c) {
    c->feed = c->y = nb_placeholder(c->g, NB_FLOAT32, S(2), "x");
    c->feed_val = ten(NB_FLOAT32, S(2), (float[]){1, 2});
    WF(S(2), 1, 2);
}
static void c_const(ocase *c) { c->y = CL(S(2), -5, 1ll << 40); WL(S(2), -5, 1ll << 40); }
static void c_placeholder_with_default(ocase *c) {
    c->y = nb_placeholder_with_default(c->g, CF(S(2), 1, 2), S(2), NULL);
    WF(S(2), 1, 2);
}
static void c_variable(ocase *c) {
    nb_output ref;
    c->y = var(c, CF(S(3), 1, 2, 3), &ref);
    c->pre[0] = nb_global_variables_initializer(c->g);
    WF(S(3), 1, 2, 3);
}
static void c_assign(ocase *c) {
    nb_output ref;
    var(c, CF(S(2), 1, 2), &ref);
    c->pre[0] = nb_global_variables_initializer(c->g);
    c->y = nb_assign(c->g, ref, CF(S(2), 7, 8), NULL);
    WF(S(2), 7, 8);
}
static void c_assign_add(ocase *c) {
    nb_output ref;
    var(c, CF(S(2), 1, 2), &ref);
    c->pre[0] = nb_global_variables_initializer(c->g);
    c->y = nb_assign_add(c->g, ref, CF(S(2), 10, 20), NULL);
    WF(S(2), 11, 22);
}
static void c_assign_sub(ocase *c) {
    nb_output ref;
    var(c, CF(S(2), 1, 2), &ref);
    c->pre[0] = nb_global_variables_initializer(c->g);
    c->y = nb_assign_sub(c->g, ref, CF(S(2), 10, 20), NULL);
    WF(S(2), -9, -18);
}
static void c_no_op(ocase *c) {
    /* a NoOp that only carries a control dependency on an update */
    nb_output ref;
    nb_output v = var(c, CF(S(1), 1), &ref);
    c->pre[0] = nb_global_variables_initializer(c->g);
    nb_output up = nb_assign_add(c->g, ref, CF(S(1), 5), NULL);
    c->pre[1] = nb_group(c->g, &up, 1, "after");
    c->y = v;
    WF(S(1), 6);
}
static void c_identity(ocase *c) { c->y = nb_identity(c->g, CF(S(2), 1, 2), NULL); WF(S(2), 1, 2); }
static void c_stop_gradient(ocase *c) { c->y = nb_stop_gradient(c->g, CF(S(2), 1, 2), NULL); WF(S(2), 1, 2); }
static void c_print(ocase *c) {
    nb_output x = CF(S(2), 1, 2);
    c->y = nb_print(c->g, x, &x, 1, "op_cases Print: ", 1, 2, NULL);
    WF(S(2), 1, 2);
}
static void c_check_numerics(ocase *c) {
    c->y = nb_check_numerics(c->g, CF(S(2), 1, 2), "finite", NULL);
    WF(S(2), 1, 2);
}

/*** Random ops (seeded: the round trip must give the same numbers) ***/

#define N_RAND 20000
static void moments(const nb_tensor *t, double *mean, double *var, double *lo, double *hi) {
    double s = 0, s2 = 0;
    *lo = INFINITY, *hi = -INFINITY;
    int64_t n = nb_tensor_size(t);
    for (int64_t i = 0; i < n; i++) {
        double v = nb_tensor_get_flat(t, i);
        s += v, s2 += v * v;
        if (v < *lo) *lo = v;
        if (v > *hi) *hi = v;
    }
    *mean = s / (double)n;
    *var = s2 / (double)n - *mean * *mean;
}
/* Bounds: 20000 draws give the mean within 0.03 (4 standard errors). */
static const char *is_std_normal(const nb_tensor *t) {
    double m, v, lo, hi;
    moments(t, &m, &v, &lo, &hi);
    return fabs(m) < 0.03 && fabs(v - 1) < 0.05 && lo < -3 && hi > 3 ? NULL : "not N(0, 1)";
}
static const char *is_uniform01(const nb_tensor *t) {
    double m, v, lo, hi;
    moments(t, &m, &v, &lo, &hi);
    return fabs(m - 0.5) < 0.01 && fabs(v - 1 / 12.0) < 0.005 && lo >= 0 && hi < 1 ? NULL : "not U[0, 1)";
}
/* N(0, 1) cut at 2 standard deviations: variance 1 - 4 phi(2) / (2 Phi(2) - 1) = 0.7737 */
static const char *is_truncated(const nb_tensor *t) {
    double m, v, lo, hi;
    moments(t, &m, &v, &lo, &hi);
    return fabs(m) < 0.03 && fabs(v - 0.7737) < 0.03 && lo >= -2 && hi <= 2 ? NULL : "not N(0, 1) cut at 2";
}
static void c_random_normal(ocase *c) {
    c->y = nb_random_normal(c->g, NB_FLOAT64, S(N_RAND), 0, 1, 11, NULL);
    c->check = is_std_normal;
}
static void c_random_uniform(ocase *c) {
    c->y = nb_random_uniform(c->g, NB_FLOAT64, S(N_RAND), 0, 1, 12, NULL);
    c->check = is_uniform01;
}
static void c_truncated_normal(ocase *c) {
    c->y = nb_truncated_normal(c->g, NB_FLOAT64, S(N_RAND), 0, 1, 13, NULL);
    c->check = is_truncated;
}

/*** Optimizer updates (their slots are variables made here) ***/

static void c_apply_gd(ocase *c) {
    nb_output v;
    var(c, CF(S(2), 1, 2), &v);
    c->pre[0] = nb_global_variables_initializer(c->g);
    c->y = fin(raw(c, NBI_OP_APPLY_GRADIENT_DESCENT, (nb_output[]){v, CF(S0, 0.5f), CF(S(2), 1, 1)}, 3));
    WF(S(2), 0.5f, 1.5f); /* var - lr * grad */
}
static void c_apply_momentum(ocase *c) {
    nb_output v, acc;
    var(c, CF(S(2), 1, 2), &v);
    var(c, CF(S(2), 0.5f, 0.5f), &acc);
    c->pre[0] = nb_global_variables_initializer(c->g);
    nb_op *op = raw(c, NBI_OP_APPLY_MOMENTUM, (nb_output[]){v, acc, CF(S0, 0.1f), CF(S(2), 1, 2), CF(S0, 0.9f)}, 5);
    if (op) op->attrs.use_nesterov = true;
    c->y = fin(op);
    /* accum = 0.9 * 0.5 + grad = 1.45, 2.45; Nesterov: var -= lr * (grad + 0.9 * accum) */
    WF(S(2), 1 - 0.1f * (1 + 0.9f * 1.45f), 2 - 0.1f * (2 + 0.9f * 2.45f));
    c->tol = 1e-6;
}
static void c_apply_adagrad(ocase *c) {
    nb_output v, acc;
    var(c, CF(S(2), 1, 2), &v);
    var(c, CF(S(2), 1, 1), &acc);
    c->pre[0] = nb_global_variables_initializer(c->g);
    c->y = fin(raw(c, NBI_OP_APPLY_ADAGRAD, (nb_output[]){v, acc, CF(S0, 0.5f), CF(S(2), 1, 2)}, 4));
    /* accum = 1 + grad^2 = 2, 5; var -= lr * grad / sqrt(accum) */
    WF(S(2), (float)(1 - 0.5 * 1 / sqrt(2)), (float)(2 - 0.5 * 2 / sqrt(5)));
    c->tol = 1e-6;
}
static void c_apply_rmsprop(ocase *c) {
    nb_output v, ms, mom;
    var(c, CF(S(1), 1), &v);
    var(c, CF(S(1), 1), &ms);
    var(c, CF(S(1), 0), &mom);
    c->pre[0] = nb_global_variables_initializer(c->g);
    c->y = fin(raw(c, NBI_OP_APPLY_RMSPROP,
                   (nb_output[]){v, ms, mom, CF(S0, 0.1f), CF(S0, 0.9f), CF(S0, 0.5f), CF(S0, 0.01f), CF(S(1), 2)},
                   8));
    /* ms = 0.9 * 1 + 0.1 * 2^2 = 1.3; mom = 0.5 * 0 + 0.1 * 2 / sqrt(1.3 + 0.01); var -= mom */
    WF(S(1), (float)(1 - 0.1 * 2 / sqrt(1.31)));
    c->tol = 1e-6;
}
static void c_apply_adam(ocase *c) {
    nb_output v, m, vv;
    var(c, CF(S(1), 1), &v);
    var(c, CF(S(1), 0), &m);
    var(c, CF(S(1), 0), &vv);
    c->pre[0] = nb_global_variables_initializer(c->g);
    c->y = fin(raw(c, NBI_OP_APPLY_ADAM,
                   (nb_output[]){v, m, vv, CF(S0, 0.9f), CF(S0, 0.999f), CF(S0, 0.1f), CF(S0, 0.9f),
                                 CF(S0, 0.999f), CF(S0, 1e-8f), CF(S(1), 2)},
                   10));
    /* lr_t = lr sqrt(1 - b2^t) / (1 - b1^t); m = 0.1 * 2; v = 0.001 * 4; var -= lr_t m / (sqrt(v) + eps) */
    double lr_t = 0.1 * sqrt(1 - 0.999) / (1 - 0.9);
    WF(S(1), (float)(1 - lr_t * 0.2 / (sqrt(0.004) + 1e-8)));
    c->tol = 1e-5;
}

/*** Convolution, pooling, batch norm ***/

#define X33 CF(S(1, 3, 3, 1), 1, 2, 3, 4, 5, 6, 7, 8, 9)
#define F22 CF(S(2, 2, 1, 1), 1, 0, 0, 1)
static const int one[4] = {1, 1, 1, 1}, two[4] = {1, 2, 2, 1}, k2[4] = {1, 2, 2, 1};
static void c_conv2d(ocase *c) {
    /* stride 2, SAME on 3x3: 2x2 outputs, one row/column of zeros below/right;
     * the filter adds x[i][j] + x[i+1][j+1] */
    c->y = nb_nn_conv2d(c->g, X33, F22, two, "SAME", NULL, NULL);
    WF(S(1, 2, 2, 1), 1 + 5, 3, 7, 9);
}
static void c_conv2d_bp_input(ocase *c) {
    /* dy (1 2; 3 4) at stride 2 lands on x[2i][2j] (tap 0,0) and x[2i+1][2j+1] (tap 1,1) */
    c->y = nb_nn_conv2d_backprop_input(c->g, CI(S(4), 1, 3, 3, 1), F22, CF(S(1, 2, 2, 1), 1, 2, 3, 4), two,
                                       "SAME", NULL, NULL);
    WF(S(1, 3, 3, 1), 1, 0, 2, 0, 1, 0, 3, 0, 4);
}
static void c_conv2d_bp_filter(ocase *c) {
    /* df[a][b] = sum_o dy[o] x[2o + (a, b)] (0 outside) */
    c->y = nb_nn_conv2d_backprop_filter(c->g, X33, CI(S(4), 2, 2, 1, 1), CF(S(1, 2, 2, 1), 1, 2, 3, 4), two,
                                        "SAME", NULL, NULL);
    WF(S(2, 2, 1, 1), 1 * 1 + 2 * 3 + 3 * 7 + 4 * 9, 1 * 2 + 3 * 8, 1 * 4 + 2 * 6, 1 * 5);
}
static void c_max_pool(ocase *c) {
    c->y = nb_nn_max_pool(c->g, X33, k2, one, "VALID", NULL);
    WF(S(1, 2, 2, 1), 5, 6, 8, 9);
}
static void c_max_pool_grad(ocase *c) {
    c->y = nb_nn_max_pool_grad(c->g, CF(S(1, 2, 2, 1), 1, 4, 2, 3), CF(S(1, 1, 1, 1), 4), CF(S(1, 1, 1, 1), 7), k2,
                               two, "VALID", NULL);
    WF(S(1, 2, 2, 1), 0, 7, 0, 0); /* to the max */
}
static void c_avg_pool(ocase *c) {
    c->y = nb_nn_avg_pool(c->g, X33, k2, one, "VALID", NULL);
    WF(S(1, 2, 2, 1), (1 + 2 + 4 + 5) / 4.0f, (2 + 3 + 5 + 6) / 4.0f, (4 + 5 + 7 + 8) / 4.0f, (5 + 6 + 8 + 9) / 4.0f);
}
static void c_avg_pool_grad(ocase *c) {
    c->y = nb_nn_avg_pool_grad(c->g, CI(S(4), 1, 2, 2, 1), CF(S(1, 1, 1, 1), 8), k2, two, "VALID", NULL);
    WF(S(1, 2, 2, 1), 2, 2, 2, 2);
}
static void c_fused_batch_norm(ocase *c) {
    /* x = 1, 3: mean 2, variance 1; y = 2 (x - 2) / sqrt(1 + 0.001) + 10 */
    c->y = nb_nn_fused_batch_norm(c->g, CF(S(1, 1, 2, 1), 1, 3), CF(S(1), 2), CF(S(1), 10), nb_nil, nb_nil, 0.001,
                                  true, NULL, NULL, NULL);
    WF(S(1, 1, 2, 1), (float)(10 - 2 / sqrt(1.001)), (float)(10 + 2 / sqrt(1.001)));
    c->tol = 1e-6;
}
static void c_fused_batch_norm_grad(ocase *c) {
    /* d sum(y * (1, 2)) / d scale = sum(dy * (x - mean) / sqrt(var + eps)) = (-1 + 2) / sqrt(1.001) */
    nb_output scale = CF(S(1), 2);
    nb_output y = nb_nn_fused_batch_norm(c->g, CF(S(1, 1, 2, 1), 1, 3), scale, CF(S(1), 10), nb_nil, nb_nil, 0.001,
                                         true, NULL, NULL, NULL);
    nb_output loss = nb_reduce_sum(c->g, nb_multiply(c->g, y, CF(S(1, 1, 2, 1), 1, 2), NULL), NULL, NB_ALL_AXES,
                                   false, NULL);
    nb_gradients(c->g, &loss, 1, &scale, 1, NULL, &c->y);
    WF(S(1), (float)(1 / sqrt(1.001)));
    c->tol = 1e-6;
}

/*** Neural-network ops ***/

static double lse3(void) { return log(exp(1.0) + exp(2.0) + exp(3.0)); }
static void c_softmax(ocase *c) {
    c->y = nb_nn_softmax(c->g, CD(S(1, 3), 1, 2, 3), NULL);
    double l = lse3();
    WD(S(1, 3), exp(1 - l), exp(2 - l), exp(3 - l));
    c->tol = 1e-12;
}
static void c_log_softmax(ocase *c) {
    c->y = nb_nn_log_softmax(c->g, CD(S(1, 3), 1, 2, 3), NULL);
    double l = lse3();
    WD(S(1, 3), 1 - l, 2 - l, 3 - l);
    c->tol = 1e-12;
}
static void c_xent(ocase *c) {
    c->y = nb_nn_softmax_cross_entropy_with_logits(c->g, CD(S(1, 3), 0, 1, 0), CD(S(1, 3), 1, 2, 3), NULL);
    WD(S(1), lse3() - 2);
    c->tol = 1e-12;
}
static void c_sparse_xent(ocase *c) {
    c->y = nb_nn_sparse_softmax_cross_entropy_with_logits(c->g, CI(S(1), 2), CD(S(1, 3), 1, 2, 3), NULL);
    WD(S(1), lse3() - 3);
    c->tol = 1e-12;
}
static void c_l2_loss(ocase *c) { c->y = nb_nn_l2_loss(c->g, CF(S(3), 1, 2, 3), NULL); WF(S0, (1 + 4 + 9) / 2.0f); }
static void c_bias_add(ocase *c) {
    c->y = nb_nn_bias_add(c->g, CF(S(2, 2), 1, 2, 3, 4), CF(S(2), 10, 20), NULL);
    WF(S(2, 2), 11, 22, 13, 24);
}
static void c_bias_add_grad(ocase *c) {
    c->y = nbi_unary(c->g, NBI_OP_BIAS_ADD_GRAD, CF(S(2, 2), 1, 2, 3, 4), NULL, NULL);
    WF(S(2), 1 + 3, 2 + 4); /* the sum over all but the channel axis */
}

/*** Summaries: serialized Summary protos ***/

static void c_scalar_summary(ocase *c) {
    c->y = nb_summary_scalar(c->g, "t", CF(S0, 1.5f));
    /* Summary{value{tag: "t" simple_value: 1.5}}: field 1 (value, 8 bytes) holding
     * field 1 (tag "t") and field 2 (fixed32 1.5 = 0x3fc00000, little-endian) */
    WU8(S(10), 0x0a, 0x08, 0x0a, 0x01, 't', 0x15, 0x00, 0x00, 0xc0, 0x3f);
}
static void c_merge_summary(ocase *c) {
    nb_output s[2] = {nb_summary_scalar(c->g, "a", CF(S0, 1)), nb_summary_scalar(c->g, "b", CF(S0, 2))};
    c->y = nb_summary_merge(c->g, s, 2, NULL);
    /* the two values one after the other: 1.0f = 0x3f800000, 2.0f = 0x40000000 */
    WU8(S(20), 0x0a, 0x08, 0x0a, 0x01, 'a', 0x15, 0x00, 0x00, 0x80, 0x3f, 0x0a, 0x08, 0x0a, 0x01, 'b', 0x15, 0x00,
        0x00, 0x00, 0x40);
}
static const char *is_histogram_1234(const nb_tensor *t) {
    Tensorflow__Summary *s = tensorflow__summary__unpack(NULL, (size_t)t->nbytes, t->data);
    const char *why = NULL;
    if (!s || s->n_value != 1 || !s->value[0]->histo) {
        why = "not a Summary with one histogram";
    } else {
        const Tensorflow__HistogramProto *h = s->value[0]->histo;
        if (strcmp(s->value[0]->tag, "h") || h->min != 1 || h->max != 4 || h->num != 4 || h->sum != 10 ||
            h->sum_squares != 30)
            why = "wrong tag, min, max, num, sum or sum of squares (h; 1, 4, 4, 10, 30)";
    }
    if (s) tensorflow__summary__free_unpacked(s, NULL);
    return why;
}
static void c_histogram_summary(ocase *c) {
    c->y = nb_summary_histogram(c->g, "h", CF(S(4), 1, 2, 3, 4));
    c->check = is_histogram_1234;
}
static const char *is_image_2x3(const nb_tensor *t) {
    Tensorflow__Summary *s = tensorflow__summary__unpack(NULL, (size_t)t->nbytes, t->data);
    const char *why = NULL;
    if (!s || s->n_value != 1 || !s->value[0]->image) {
        why = "not a Summary with one image";
    } else {
        const Tensorflow__Summary__Image *im = s->value[0]->image;
        static const uint8_t png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
        if (strcmp(s->value[0]->tag, "img/image") || im->height != 2 || im->width != 3 || im->colorspace != 1 ||
            im->encoded_image_string.len < 8 || memcmp(im->encoded_image_string.data, png, 8))
            why = "wrong tag, size, colorspace or not a PNG (img/image; 2x3, gray)";
    }
    if (s) tensorflow__summary__free_unpacked(s, NULL);
    return why;
}
static void c_image_summary(ocase *c) {
    c->y = nb_summary_image(c->g, "img", CF(S(1, 2, 3, 1), 0, 0.2f, 0.4f, 0.6f, 0.8f, 1), 1);
    c->check = is_image_2x3;
}

/*** Collectives (not run here: see not_run) ***/

static nb_output collective(ocase *c, int type, nb_output *xs, int n) {
    nb_op *op = raw(c, type, xs, n);
    if (op) op->attrs.axis = NBI_REDUCE_SUM;
    return fin(op);
}
static void c_allreduce(ocase *c) { c->y = collective(c, NBI_OP_DIST_ALLREDUCE, (nb_output[]){CF(S(2), 1, 2)}, 1); }
static void c_grouped_allreduce(ocase *c) {
    c->y = collective(c, NBI_OP_DIST_GROUPED_ALLREDUCE, (nb_output[]){CF(S(2), 1, 2), CF(S(1), 3)}, 2);
}
static void c_broadcast(ocase *c) { c->y = collective(c, NBI_OP_DIST_BROADCAST, (nb_output[]){CF(S(2), 1, 2)}, 1); }
static void c_allgather(ocase *c) { c->y = collective(c, NBI_OP_DIST_ALLGATHER, (nb_output[]){CF(S(2), 1, 2)}, 1); }
static void c_allreduce_start(ocase *c) {
    c->y = collective(c, NBI_OP_DIST_ALLREDUCE_START, (nb_output[]){CF(S(2), 1, 2), CF(S(1), 3)}, 2);
}
static void c_allreduce_wait(ocase *c) {
    nb_output h = collective(c, NBI_OP_DIST_ALLREDUCE_START, (nb_output[]){CF(S(2), 1, 2), CF(S(1), 3)}, 2);
    c->y = fin(raw(c, NBI_OP_DIST_ALLREDUCE_WAIT, &h, 1));
}

/*** The table: one row per op type ***/

static const case_row cases[] = {
    /* elementwise math (math.c, math_more.c) */
    {"Add", c_add}, {"Sub", c_sub}, {"Mul", c_mul}, {"RealDiv", c_div}, {"FloorDiv", c_floordiv},
    {"FloorMod", c_floormod}, {"Pow", c_pow}, {"Maximum", c_max}, {"Minimum", c_min},
    {"SquaredDifference", c_sqdiff}, {"AddN", c_add_n}, {"Neg", c_neg}, {"Abs", c_abs}, {"Sign", c_sign},
    {"Square", c_square}, {"Sqrt", c_sqrt}, {"Rsqrt", c_rsqrt}, {"Exp", c_exp}, {"Log", c_log},
    {"Log1p", c_log1p}, {"Reciprocal", c_recip}, {"Sigmoid", c_sigmoid}, {"Tanh", c_tanh}, {"Relu", c_relu},
    {"SigmoidGrad", c_sigmoid_grad}, {"TanhGrad", c_tanh_grad}, {"ReluGrad", c_relu_grad},
    {"SqrtGrad", c_sqrt_grad}, {"RsqrtGrad", c_rsqrt_grad}, {"ReciprocalGrad", c_recip_grad},
    {"Equal", c_eq}, {"NotEqual", c_ne}, {"Less", c_lt}, {"LessEqual", c_le}, {"Greater", c_gt},
    {"GreaterEqual", c_ge}, {"LogicalAnd", c_logical_and}, {"LogicalOr", c_logical_or},
    {"LogicalNot", c_logical_not}, {"Select", c_select}, {"SelectV2", c_select_v2}, {"Cast", c_cast},
    {"Ceil", c_ceil}, {"Round", c_round}, {"Sin", c_sin}, {"Cos", c_cos}, {"Tan", c_tan}, {"Asin", c_asin},
    {"Acos", c_acos}, {"Atan", c_atan}, {"Sinh", c_sinh}, {"Cosh", c_cosh}, {"Erf", c_erf}, {"Expm1", c_expm1},
    {"IsNan", c_isnan}, {"IsInf", c_isinf}, {"IsFinite", c_isfinite}, {"Atan2", c_atan2},
    /* activations and their helper gradients (nn.c) */
    {"Relu6", c_relu6}, {"LeakyRelu", c_leaky}, {"Elu", c_elu}, {"Selu", c_selu}, {"Softplus", c_softplus},
    {"Softsign", c_softsign}, {"Gelu", c_gelu}, {"Floor", c_floor}, {"Relu6Grad", c_relu6_grad},
    {"LeakyReluGrad", c_leaky_grad}, {"EluGrad", c_elu_grad}, {"SeluGrad", c_selu_grad},
    {"SoftplusGrad", c_softplus_grad}, {"SoftsignGrad", c_softsign_grad}, {"GeluGrad", c_gelu_grad},
    {"Softmax", c_softmax}, {"LogSoftmax", c_log_softmax}, {"SoftmaxCrossEntropyWithLogits", c_xent},
    {"SparseSoftmaxCrossEntropyWithLogits", c_sparse_xent}, {"L2Loss", c_l2_loss}, {"BiasAdd", c_bias_add},
    {"BiasAddGrad", c_bias_add_grad},
    /* reductions, scans, sorting */
    {"Sum", c_sum}, {"Mean", c_mean}, {"Prod", c_prod}, {"Max", c_rmax}, {"Min", c_rmin}, {"ArgMax", c_argmax},
    {"ArgMin", c_argmin}, {"ArgMax", c_argmax_i32}, {"ArgMin", c_argmin_i32}, {"Any", c_any}, {"All", c_all}, {"Cumsum", c_cumsum}, {"Cumprod", c_cumprod}, {"ReverseV2", c_reverse},
    {"TopKV2", c_top_k}, {"InTopKV2", c_in_top_k}, {"Where", c_where},
    /* shapes, layout, indexing */
    {"Transpose", c_transpose}, {"Reshape", c_reshape}, {"ExpandDims", c_expand_dims}, {"Squeeze", c_squeeze},
    {"ConcatV2", c_concat}, {"Pack", c_pack}, {"Slice", c_slice}, {"GatherV2", c_gather}, {"Tile", c_tile},
    {"Pad", c_pad}, {"PadV2", c_pad_v2}, {"MirrorPad", c_mirror_pad}, {"MirrorPadGrad", c_mirror_pad_grad},
    {"OneHot", c_one_hot}, {"Fill", c_fill}, {"ZerosLike", c_zeros_like}, {"OnesLike", c_ones_like},
    {"Shape", c_shape}, {"Size", c_size}, {"Rank", c_rank}, {"BroadcastGradientArgs", c_bcast_args},
    {"UnsortedSegmentSum", c_segment_sum}, {"Range", c_range}, {"LinSpace", c_linspace},
    {"StridedSlice", c_strided_slice}, {"StridedSliceGrad", c_strided_slice_grad}, {"Unpack", c_unpack},
    {"Split", c_split}, {"SplitV", c_split_v}, {"GatherNd", c_gather_nd}, {"ScatterNd", c_scatter_nd},
    {"MatrixDiag", c_matrix_diag}, {"MatrixDiagPart", c_matrix_diag_part}, {"MatrixSetDiag", c_matrix_set_diag},
    /* linear algebra */
    {"MatMul", c_matmul}, {"BatchMatMulV2", c_batch_matmul},
    /* sources, state, control, debugging */
    {"Placeholder", c_placeholder}, {"Const", c_const}, {"PlaceholderWithDefault", c_placeholder_with_default},
    {"VariableV2", c_variable}, {"Assign", c_assign}, {"AssignAdd", c_assign_add}, {"AssignSub", c_assign_sub},
    {"NoOp", c_no_op}, {"Identity", c_identity}, {"StopGradient", c_stop_gradient}, {"Print", c_print},
    {"CheckNumerics", c_check_numerics},
    /* random */
    {"RandomStandardNormal", c_random_normal}, {"RandomUniform", c_random_uniform},
    {"TruncatedNormal", c_truncated_normal},
    /* optimizer updates */
    {"ApplyGradientDescent", c_apply_gd}, {"ApplyMomentum", c_apply_momentum}, {"ApplyAdagrad", c_apply_adagrad},
    {"ApplyRMSProp", c_apply_rmsprop}, {"ApplyAdam", c_apply_adam},
    /* convolution, pooling, batch norm */
    {"Conv2D", c_conv2d}, {"Conv2DBackpropInput", c_conv2d_bp_input}, {"Conv2DBackpropFilter", c_conv2d_bp_filter},
    {"MaxPool", c_max_pool}, {"MaxPoolGrad", c_max_pool_grad}, {"AvgPool", c_avg_pool},
    {"AvgPoolGrad", c_avg_pool_grad}, {"FusedBatchNorm", c_fused_batch_norm},
    {"FusedBatchNormGrad", c_fused_batch_norm_grad},
    /* summaries */
    {"ScalarSummary", c_scalar_summary}, {"HistogramSummary", c_histogram_summary},
    {"ImageSummary", c_image_summary}, {"MergeSummary", c_merge_summary},
    /* collectives */
    {"HorovodAllreduce", c_allreduce}, {"HorovodGroupedAllreduce", c_grouped_allreduce},
    {"HorovodBroadcast", c_broadcast}, {"HorovodAllgather", c_allgather},
    {"NablaAllreduceStart", c_allreduce_start}, {"NablaAllreduceWait", c_allreduce_wait},
};
#define N_CASES (int)(sizeof cases / sizeof cases[0])

/*** The runner ***/

static int type_of(const char *tf) {
    for (int t = 0; t < NBI_OP_COUNT; t++)
        if (!strcmp(nbi_registry[t]->type, tf)) return t;
    return -1;
}

static const char *why_not_run(const char *tf) {
    for (size_t i = 0; i < sizeof not_run / sizeof not_run[0]; i++)
        if (!strcmp(not_run[i].type, tf)) return not_run[i].why;
    return NULL;
}

static bool graph_has(const nb_graph *g, int type) {
    for (int i = 0; i < nb_graph_num_ops(g); i++)
        if (nb_graph_op(g, i)->type == type) return true;
    return false;
}

/* Builds row r's case in a new graph; NULL (after reporting) when it fails or
 * holds no op of its type. */
static nb_graph *build(const case_row *r, ocase *c) {
    memset(c, 0, sizeof *c);
    c->g = nb_graph_new();
    c->y = c->pre[0] = c->pre[1] = c->feed = nb_nil;
    r->fn(c);
    checks_++;
    if (nb_graph_status(c->g) != NB_OK) {
        FAILF("case %s: graph error: %s", r->type, nb_graph_errmsg(c->g));
    } else if (!graph_has(c->g, type_of(r->type))) {
        FAILF("case %s builds no %s op", r->type, r->type);
    } else {
        return c->g;
    }
    return NULL;
}

static void case_free(ocase *c) {
    nb_tensor_unref(c->want);
    nb_tensor_unref(c->feed_val);
    nb_graph_free(c->g);
}

/* The output of g named like o is in o's graph. */
static nb_output same_in(const nb_graph *g, nb_output o) {
    if (nb_output_is_nil(o)) return nb_nil;
    if (nb_op_num_outputs(o.op) == 0) { /* a target such as a NoOp */
        nb_op *op = nb_graph_find_op(g, nb_op_name(o.op));
        return op ? nbi_out(op, 0) : nb_nil;
    }
    char name[512];
    nb_output_name(o, name, sizeof name);
    return nb_graph_find_output(g, name);
}

/* Runs the pre targets, then evaluates y (in g; the outputs are named as in c's
 * graph). NULL after reporting an error. */
static nb_tensor *run_case(const char *type, nb_graph *g, const ocase *c) {
    nb_session *s = nb_session_new(g);
    nb_feed feed = {same_in(g, c->feed), c->feed_val};
    int nf = nb_output_is_nil(c->feed) ? 0 : 1;
    nb_tensor *t = NULL;
    bool ok = true;
    for (int i = 0; i < 2 && ok; i++) {
        if (nb_output_is_nil(c->pre[i])) continue;
        nb_output p = same_in(g, c->pre[i]);
        ok = nb_session_run(s, &feed, nf, &p, 1, NULL) == NB_OK;
    }
    if (ok) t = nb_session_eval(s, same_in(g, c->y), &feed, nf);
    if (!t) FAILF("case %s: run error: %s", type, nb_session_errmsg(s));
    nb_session_free(s);
    return t;
}

static bool same_bytes(const nb_tensor *a, const nb_tensor *b) {
    if (a->dtype != b->dtype || a->rank != b->rank || a->nbytes != b->nbytes) return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i]) return false;
    return !a->nbytes || !memcmp(a->data, b->data, a->nbytes);
}

static void check_value(const char *type, const ocase *c, const nb_tensor *got) {
    checks_++;
    if (c->check) {
        const char *why = c->check(got);
        if (why) FAILF("case %s: %s", type, why);
        return;
    }
    if (!c->want) {
        FAILF("case %s has no expected value", type);
        return;
    }
    if (c->tol == 0 || !nbi_dtype_is_float(c->want->dtype)) {
        if (!same_bytes(got, c->want)) {
            FAILF("case %s: wrong value (dtype %s, %lld elements; expected):", type, nb_dtype_name(got->dtype),
                  (long long)got->size);
            nb_tensor_print(stderr, got);
            nb_tensor_print(stderr, c->want);
        }
        return;
    }
    bool ok = got->dtype == c->want->dtype && got->rank == c->want->rank && got->size == c->want->size;
    for (int i = 0; ok && i < got->rank; i++) ok = got->dims[i] == c->want->dims[i];
    for (int64_t i = 0; ok && i < got->size; i++) {
        double a = nb_tensor_get_flat(got, i), b = nb_tensor_get_flat(c->want, i);
        ok = (isnan(a) && isnan(b)) || fabs(a - b) <= c->tol * (1 + fabs(b));
    }
    if (!ok) {
        FAILF("case %s: wrong value (tol %g); got, expected:", type, c->tol);
        nb_tensor_print(stderr, got);
        nb_tensor_print(stderr, c->want);
    }
}

/*** The tests ***/

TEST(every_op_has_a_forward_case) {
    bool covered[NBI_OP_COUNT] = {false};
    for (int i = 0; i < N_CASES; i++) {
        const case_row *r = &cases[i];
        int t = type_of(r->type);
        checks_++;
        if (t < 0) {
            FAILF("row %s names no registered op", r->type);
            continue;
        }
        ocase c;
        nb_graph *g = build(r, &c);
        if (g) {
            covered[t] = true;
            if (why_not_run(r->type)) {
                /* Without the runtime the run must fail, not give a value. */
                nb_session *s = nb_session_new(g);
                nb_tensor *v = nb_session_eval(s, c.y, NULL, 0);
                checks_++;
                if (v) FAILF("case %s ran without its runtime", r->type);
                nb_tensor_unref(v);
                nb_session_free(s);
            } else {
                nb_tensor *got = run_case(r->type, g, &c);
                if (got) check_value(r->type, &c, got);
                nb_tensor_unref(got);
            }
        }
        case_free(&c);
    }
    for (int t = 0; t < NBI_OP_COUNT; t++) {
        checks_++;
        if (!covered[t]) FAILF("op %s has no forward case in tests/test_op_cases.c", nbi_registry[t]->type);
    }
    for (size_t i = 0; i < sizeof not_run / sizeof not_run[0]; i++) {
        checks_++;
        if (type_of(not_run[i].type) < 0) FAILF("not_run lists %s, which is not registered", not_run[i].type);
    }
}

TEST(every_op_survives_a_graphdef_round_trip) {
    bool done[NBI_OP_COUNT] = {false};
    for (int i = 0; i < N_CASES; i++) {
        const case_row *r = &cases[i];
        int t = type_of(r->type);
        if (t < 0) continue; /* reported above */
        ocase c;
        nb_graph *g = build(r, &c);
        if (!g) {
            case_free(&c);
            continue;
        }
        int before = failures_;
        nb_graph *g2 = graphdef_round_trip(g); /* also: the re-export is the same bytes */
        checks_++;
        if (!graph_has(g2, t)) FAILF("case %s: the imported graph has no %s op", r->type, r->type);
        if (!why_not_run(r->type)) {
            nb_tensor *a = run_case(r->type, g, &c), *b = run_case(r->type, g2, &c);
            checks_++;
            if (a && b && !same_bytes(a, b)) {
                FAILF("case %s: the imported graph computes another value:", r->type);
                nb_tensor_print(stderr, a);
                nb_tensor_print(stderr, b);
            }
            nb_tensor_unref(a);
            nb_tensor_unref(b);
        }
        if (failures_ == before) done[t] = true;
        nb_graph_free(g2);
        case_free(&c);
    }
    for (int t = 0; t < NBI_OP_COUNT; t++) {
        checks_++;
        if (!done[t]) FAILF("op %s was not round-tripped", nbi_registry[t]->type);
    }
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
