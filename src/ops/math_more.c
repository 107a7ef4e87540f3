/*
 * math_more.c — the rest of TF1's elementwise math that a tf program meets:
 * Floor, Ceil and Round (half to even, as TF), Sin, Cos, Tan, Asin, Acos,
 * Atan, Sinh, Cosh, Erf, Expm1, the float classes IsNan, IsInf, IsFinite (bool
 * outputs) and the broadcasting Atan2: rows of nbi_ew_math_more, run by the
 * elementwise engine (elementwise.h).
 *
 * Each op takes one float32/float64 tensor (Round also int32/int64, where it
 * is the identity) of any shape, unknown dims included, and keeps its shape.
 * Gradients follow TF1's math_grad.py; Ceil, Round, Floor and the classes have
 * none (TF registers None for them).
 */
#include "ops/elementwise.h"
#include "graph/graphdef_attrs.h"

#include <math.h>

/*** Rows ***/

#define MAP(name, EXPR)                                                                    \
    NBI_EW_UN_ROW(name##_f32, float, float, , EXPR)                                        \
    NBI_EW_UN_ROW(name##_f64, double, double, , EXPR)

/* tgmath-free: the float forms call the f-suffixed functions */
MAP(floor, _Generic(x, float: floorf(x), default: floor(x)))
MAP(ceil, _Generic(x, float: ceilf(x), default: ceil(x)))
/* nearbyint rounds half to even in the default rounding mode (TF's Round) */
MAP(round, _Generic(x, float: nearbyintf(x), default: nearbyint(x)))
MAP(sin, _Generic(x, float: sinf(x), default: sin(x)))
MAP(cos, _Generic(x, float: cosf(x), default: cos(x)))
MAP(tan, _Generic(x, float: tanf(x), default: tan(x)))
MAP(asin, _Generic(x, float: asinf(x), default: asin(x)))
MAP(acos, _Generic(x, float: acosf(x), default: acos(x)))
MAP(atan, _Generic(x, float: atanf(x), default: atan(x)))
MAP(sinh, _Generic(x, float: sinhf(x), default: sinh(x)))
MAP(cosh, _Generic(x, float: coshf(x), default: cosh(x)))
MAP(erf, _Generic(x, float: erff(x), default: erf(x)))
MAP(expm1, _Generic(x, float: expm1f(x), default: expm1(x)))

/* The float classes, to bool. */
#define CLASS(name, EXPR)                                                                  \
    NBI_EW_UN_ROW(name##_f32, float, uint8_t, , EXPR)                                      \
    NBI_EW_UN_ROW(name##_f64, double, uint8_t, , EXPR)
CLASS(is_nan, isnan(x) != 0)
CLASS(is_inf, isinf(x) != 0)
CLASS(is_finite, isfinite(x) != 0)

NBI_EW_BIN_ROW(atan2_f32, float, float, y, x, , atan2f(y, x))
NBI_EW_BIN_ROW(atan2_f64, double, double, y, x, , atan2(y, x))

/* Round of integers is the identity: round_ints gives the input itself as
 * the result, without these rows' copy. */
NBI_EW_UN_ROW(round_i32, int32_t, int32_t, , x)
NBI_EW_UN_ROW(round_i64, int64_t, int64_t, , x)
static nb_status round_ints(nbi_kctx *k, bool *done) {
    if (!nbi_dtype_is_float(k->in[0]->dtype)) {
        k->out[0] = nb_tensor_ref(k->in[0]);
        *done = true;
    }
    return NB_OK;
}

/*** The family's table (elementwise.h) ***/

#define FLOAT_ROWS(op) {[NB_FLOAT32] = op##_f32, [NB_FLOAT64] = op##_f64}
/* Entries: arity, output dtype (NB_DTYPE_INVALID: the input's), the allowed T
 * named in the dtype error, the check, the rows. */
#define UN(E, n) [NBI_OP_##E] = {1, NB_DTYPE_INVALID, "float, double", NULL, FLOAT_ROWS(n)}
#define CLS(E, n) [NBI_OP_##E] = {1, NB_BOOL, "float, double", NULL, FLOAT_ROWS(n)}

const nbi_ew_tab nbi_ew_math_more[NBI_OP_COUNT] = {
    UN(FLOOR, floor),
    UN(CEIL, ceil),
    [NBI_OP_ROUND] = {1, NB_DTYPE_INVALID, "float, double, int32, int64", round_ints,
                      {[NB_FLOAT32] = round_f32, [NB_FLOAT64] = round_f64, [NB_INT32] = round_i32,
                       [NB_INT64] = round_i64}},
    UN(SIN, sin),
    UN(COS, cos),
    UN(TAN, tan),
    UN(ASIN, asin),
    UN(ACOS, acos),
    UN(ATAN, atan),
    UN(SINH, sinh),
    UN(COSH, cosh),
    UN(ERF, erf),
    UN(EXPM1, expm1),
    CLS(IS_NAN, is_nan),
    CLS(IS_INF, is_inf),
    CLS(IS_FINITE, is_finite),
    [NBI_OP_ATAN2] = {2, NB_DTYPE_INVALID, "float, double", NULL, FLOAT_ROWS(atan2)},
};

/*** Gradients (math_grad.py) ***/

static nb_output cst(nb_graph *g, double v, nb_output like) {
    return nb_cast(g, nb_constant_f64(g, v, NULL), nb_output_dtype(like), NULL);
}

/* d sin = cos */
static void g_sin(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = nb_multiply(g, dy[0], nb_cos(g, op->inputs[0], NULL), NULL);
}
/* d cos = -sin */
static void g_cos(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = nb_multiply(g, nb_negative(g, dy[0], NULL), nb_sin(g, op->inputs[0], NULL), NULL);
}
/* d tan = sec^2 = 1 / cos^2 */
static void g_tan(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output secx = nb_reciprocal(g, nb_cos(g, op->inputs[0], NULL), NULL);
    dx[0] = nb_multiply(g, dy[0], nb_square(g, secx, NULL), NULL);
}
/* d asin = 1 / sqrt(1 - x^2); d acos = -1 / sqrt(1 - x^2) */
static nb_output inv_sqrt_one_minus_sq(nb_graph *g, nb_output x) {
    return nb_rsqrt(g, nb_subtract(g, cst(g, 1.0, x), nb_square(g, x, NULL), NULL), NULL);
}
static void g_asin(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = nb_multiply(g, dy[0], inv_sqrt_one_minus_sq(g, op->inputs[0]), NULL);
}
static void g_acos(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = nb_negative(g, nb_multiply(g, dy[0], inv_sqrt_one_minus_sq(g, op->inputs[0]), NULL), NULL);
}
/* d atan = 1 / (1 + x^2) */
static void g_atan(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output x = op->inputs[0];
    dx[0] = nb_multiply(g, dy[0], nb_reciprocal(g, nb_add(g, cst(g, 1.0, x), nb_square(g, x, NULL), NULL), NULL),
                        NULL);
}
/* d sinh = cosh; d cosh = sinh */
static void g_sinh(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = nb_multiply(g, dy[0], nb_cosh(g, op->inputs[0], NULL), NULL);
}
static void g_cosh(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = nb_multiply(g, dy[0], nb_sinh(g, op->inputs[0], NULL), NULL);
}
/* d erf = 2 / sqrt(pi) * exp(-x^2) */
static void g_erf(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output x = op->inputs[0];
    nb_output two_over_root_pi = cst(g, 1.1283791670955126, x);
    dx[0] = nb_multiply(g, dy[0],
                        nb_multiply(g, two_over_root_pi, nb_exp(g, nb_negative(g, nb_square(g, x, NULL), NULL), NULL),
                                    NULL),
                        NULL);
}
/* d expm1 = exp */
static void g_expm1(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = nb_multiply(g, dy[0], nb_exp(g, op->inputs[0], NULL), NULL);
}

#define DEF(E, T, k, gr, fl)                                                                 \
    const nbi_opdef nbi_opdef_##E = {.type = T, .n_inputs = 1, .flags = fl,                    \
                                     .infer = nbi_ew_infer_unary, .kernel = k, .grad = gr,     \
                                     .attrs = NBI_ATTRS_T};
DEF(FLOOR, "Floor", nbi_ew_k_unary, NULL, NBI_NO_GRAD)
DEF(CEIL, "Ceil", nbi_ew_k_unary, NULL, NBI_NO_GRAD)
DEF(ROUND, "Round", nbi_ew_k_unary, NULL, NBI_NO_GRAD)
DEF(SIN, "Sin", nbi_ew_k_unary, g_sin, 0)
DEF(COS, "Cos", nbi_ew_k_unary, g_cos, 0)
DEF(TAN, "Tan", nbi_ew_k_unary, g_tan, 0)
DEF(ASIN, "Asin", nbi_ew_k_unary, g_asin, 0)
DEF(ACOS, "Acos", nbi_ew_k_unary, g_acos, 0)
DEF(ATAN, "Atan", nbi_ew_k_unary, g_atan, 0)
DEF(SINH, "Sinh", nbi_ew_k_unary, g_sinh, 0)
DEF(COSH, "Cosh", nbi_ew_k_unary, g_cosh, 0)
DEF(ERF, "Erf", nbi_ew_k_unary, g_erf, 0)
DEF(EXPM1, "Expm1", nbi_ew_k_unary, g_expm1, 0)
DEF(IS_NAN, "IsNan", nbi_ew_k_unary, NULL, NBI_NO_GRAD)
DEF(IS_INF, "IsInf", nbi_ew_k_unary, NULL, NBI_NO_GRAD)
DEF(IS_FINITE, "IsFinite", nbi_ew_k_unary, NULL, NBI_NO_GRAD)
#undef DEF

/*** Atan2: atan2(y, x) with numpy broadcasting ***/

static nb_status infer_atan2(nb_op *op) {
    nb_dtype a = nbi_in_dtype(op, 0), b = nbi_in_dtype(op, 1);
    if (!nbi_dtype_is_float(a))
        return nbi_infer_error(op, NB_ERR_DTYPE, "Value for attr 'T' of %s is not in the list of allowed values: float, double",
                               nbi_dtype_tfname(a));
    if (b != a)
        return nbi_infer_error(op, NB_ERR_DTYPE, "Input 'x' of 'Atan2' Op has type %s that does not match type %s of argument 'y'",
                               nbi_dtype_tfname(b), nbi_dtype_tfname(a));
    nb_shape s;
    if (!nbi_shape_broadcast(nbi_in_shape(op, 0), nbi_in_shape(op, 1), &s)) {
        const nb_shape *y = nbi_in_shape(op, 0), *x = nbi_in_shape(op, 1);
        int r = y->rank > x->rank ? y->rank : x->rank;
        for (int i = 0; i < r; i++) {
            int iy = y->rank - r + i, ix = x->rank - r + i;
            int64_t dy = iy >= 0 ? y->dims[iy] : 1, dx = ix >= 0 ? x->dims[ix] : 1;
            if (dx >= 0 && dy >= 0 && dx != dy && dx != 1 && dy != 1)
                return nbi_infer_error(op, NB_ERR_SHAPE, "Dimensions must be equal, but are %lld and %lld", (long long)dy,
                                       (long long)dx);
        }
        return nbi_infer_error(op, NB_ERR_SHAPE, "Incompatible shapes");
    }
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = a;
    op->out_shape[0] = s;
    return NB_OK;
}

/* math_grad.py: g = dy / (x^2 + y^2); dy' = x g, dx' = -y g, each summed back
 * to its input's shape where it was broadcast. */
static void g_atan2(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output y = op->inputs[0], x = op->inputs[1];
    nb_output inv = nb_divide(g, dy[0], nb_add(g, nb_square(g, x, NULL), nb_square(g, y, NULL), NULL), NULL);
    dx[0] = nbi_sum_to_shape_of(g, nb_multiply(g, x, inv, NULL), y);
    dx[1] = nbi_sum_to_shape_of(g, nb_multiply(g, nb_negative(g, y, NULL), inv, NULL), x);
}

const nbi_opdef nbi_opdef_ATAN2 = {
    .type = "Atan2", .n_inputs = 2, .infer = infer_atan2, .kernel = nbi_ew_k_binary, .grad = g_atan2,
    .attrs = NBI_ATTRS_T,
};

nb_output nb_atan2(nb_graph *g, nb_output y, nb_output x, const char *name) {
    return nbi_binary(g, NBI_OP_ATAN2, y, x, name, NULL);
}

/*** Constructors ***/

#define CTOR(fn, E) \
    nb_output fn(nb_graph *g, nb_output x, const char *name) { return nbi_unary(g, NBI_OP_##E, x, name, NULL); }
CTOR(nb_floor, FLOOR)
CTOR(nb_ceil, CEIL)
CTOR(nb_round, ROUND)
CTOR(nb_sin, SIN)
CTOR(nb_cos, COS)
CTOR(nb_tan, TAN)
CTOR(nb_asin, ASIN)
CTOR(nb_acos, ACOS)
CTOR(nb_atan, ATAN)
CTOR(nb_sinh, SINH)
CTOR(nb_cosh, COSH)
CTOR(nb_erf, ERF)
CTOR(nb_expm1, EXPM1)
CTOR(nb_is_nan, IS_NAN)
CTOR(nb_is_inf, IS_INF)
CTOR(nb_is_finite, IS_FINITE)
#undef CTOR
