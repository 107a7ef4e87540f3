/*
 * math_more.c — the rest of TF1's elementwise math that a tf program meets:
 * Ceil and Round (half to even, as TF), Sin, Cos, Tan, Asin, Acos, Atan, Sinh,
 * Cosh, Erf, Expm1, the float classes IsNan, IsInf, IsFinite (bool outputs)
 * and the broadcasting Atan2. Also nb_floor, the public constructor of nn.c's
 * Floor op.
 *
 * Each op takes one float32/float64 tensor (Round also int32/int64, where it
 * is the identity) of any shape, unknown dims included, and keeps its shape.
 * Gradients follow TF1's math_grad.py; Ceil, Round, Floor and the classes have
 * none (TF registers None for them).
 */
#include "nb_internal.h"
#include "graph/graphdef_attrs.h"

#include <math.h>

/*** Kernels ***/

typedef void (*map_f32)(const float *x, float *y, int64_t n);
typedef void (*map_f64)(const double *x, double *y, int64_t n);
typedef void (*map_cls)(const void *x, nb_dtype dt, uint8_t *y, int64_t n);

#define MAP(name, EXPR)                                                           \
    static void name##_f32(const float *xs, float *ys, int64_t n) {               \
        for (int64_t i = 0; i < n; i++) {                                         \
            float x = xs[i];                                                      \
            ys[i] = (float)(EXPR);                                                \
        }                                                                         \
    }                                                                             \
    static void name##_f64(const double *xs, double *ys, int64_t n) {             \
        for (int64_t i = 0; i < n; i++) {                                         \
            double x = xs[i];                                                     \
            ys[i] = EXPR;                                                         \
        }                                                                         \
    }

/* tgmath-free: the float forms call the f-suffixed functions */
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

typedef struct maps {
    int type;
    map_f32 f32;
    map_f64 f64;
} maps;

static const maps map_table[] = {
#define M(E, n) {NBI_OP_##E, n##_f32, n##_f64},
    M(CEIL, ceil) M(ROUND, round) M(SIN, sin) M(COS, cos) M(TAN, tan) M(ASIN, asin) M(ACOS, acos)
    M(ATAN, atan) M(SINH, sinh) M(COSH, cosh) M(ERF, erf) M(EXPM1, expm1)
#undef M
};

static const maps *find_map(int type) {
    for (size_t i = 0; i < sizeof map_table / sizeof map_table[0]; i++)
        if (map_table[i].type == type) return &map_table[i];
    return NULL;
}

static nb_status k_map(nbi_kctx *k) {
    const nb_tensor *x = k->in[0];
    if (k->op->type == NBI_OP_ROUND && !nbi_dtype_is_float(x->dtype)) {
        k->out[0] = nb_tensor_ref(k->in[0]); /* integers are already round */
        return NB_OK;
    }
    const maps *m = find_map(k->op->type);
    nb_tensor *o = nbi_kalloc(k, x->dtype, x->rank, x->dims);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    if (!m) return nbi_kerror(k, NB_ERR_INTERNAL, "no kernel for %s", k->op->def->type);
    if (x->dtype == NB_FLOAT32) m->f32(x->data, o->data, x->size);
    else m->f64(x->data, o->data, x->size);
    return NB_OK;
}

static nb_status k_class(nbi_kctx *k) {
    const nb_tensor *x = k->in[0];
    nb_tensor *o = nbi_kalloc(k, NB_BOOL, x->rank, x->dims);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    uint8_t *y = o->data;
    int t = k->op->type;
    for (int64_t i = 0; i < x->size; i++) {
        double v = x->dtype == NB_FLOAT32 ? (double)((const float *)x->data)[i] : ((const double *)x->data)[i];
        y[i] = t == NBI_OP_IS_NAN ? isnan(v) != 0 : t == NBI_OP_IS_INF ? isinf(v) != 0 : isfinite(v) != 0;
    }
    return NB_OK;
}

/*** Shape inference ***/

static nb_status infer_float_unary(nb_op *op) {
    nb_dtype dt = nbi_in_dtype(op, 0);
    bool ok = nbi_dtype_is_float(dt) || (op->type == NBI_OP_ROUND && (dt == NB_INT32 || dt == NB_INT64));
    if (!ok)
        return nbi_infer_error(op, NB_ERR_DTYPE, "Value for attr 'T' of %s is not in the list of allowed values: %s",
                               nbi_dtype_tfname(dt),
                               op->type == NBI_OP_ROUND ? "float, double, int32, int64" : "float, double");
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = op->type == NBI_OP_IS_NAN || op->type == NBI_OP_IS_INF || op->type == NBI_OP_IS_FINITE
                           ? NB_BOOL
                           : dt;
    op->out_shape[0] = *nbi_in_shape(op, 0);
    return NB_OK;
}

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

#define DEF(E, T, k, gr, fl)                                                                        \
    const nbi_opdef nbi_opdef_##E = {.type = T, .n_inputs = 1, .flags = fl, .infer = infer_float_unary, \
                                     .kernel = k, .grad = gr, .attrs = NBI_ATTRS_T};
DEF(CEIL, "Ceil", k_map, NULL, NBI_NO_GRAD)
DEF(ROUND, "Round", k_map, NULL, NBI_NO_GRAD)
DEF(SIN, "Sin", k_map, g_sin, 0)
DEF(COS, "Cos", k_map, g_cos, 0)
DEF(TAN, "Tan", k_map, g_tan, 0)
DEF(ASIN, "Asin", k_map, g_asin, 0)
DEF(ACOS, "Acos", k_map, g_acos, 0)
DEF(ATAN, "Atan", k_map, g_atan, 0)
DEF(SINH, "Sinh", k_map, g_sinh, 0)
DEF(COSH, "Cosh", k_map, g_cosh, 0)
DEF(ERF, "Erf", k_map, g_erf, 0)
DEF(EXPM1, "Expm1", k_map, g_expm1, 0)
DEF(IS_NAN, "IsNan", k_class, NULL, NBI_NO_GRAD)
DEF(IS_INF, "IsInf", k_class, NULL, NBI_NO_GRAD)
DEF(IS_FINITE, "IsFinite", k_class, NULL, NBI_NO_GRAD)
#undef DEF

/*** Atan2: atan2(y, x) with numpy broadcasting ***/

static void atan2_f32(int64_t n, const void *a, int64_t sa, const void *b, int64_t sb, void *out) {
    const float *y = a, *x = b;
    float *o = out;
    for (int64_t i = 0; i < n; i++) o[i] = atan2f(y[i * sa], x[i * sb]);
}
static void atan2_f64(int64_t n, const void *a, int64_t sa, const void *b, int64_t sb, void *out) {
    const double *y = a, *x = b;
    double *o = out;
    for (int64_t i = 0; i < n; i++) o[i] = atan2(y[i * sa], x[i * sb]);
}

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

static nb_status k_atan2(nbi_kctx *k) {
    const nb_tensor *y = k->in[0], *x = k->in[1];
    return nbi_broadcast_apply(k, y, x, y->dtype, y->dtype == NB_FLOAT32 ? atan2_f32 : atan2_f64, &k->out[0]);
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
    .type = "Atan2", .n_inputs = 2, .infer = infer_atan2, .kernel = k_atan2, .grad = g_atan2,
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
