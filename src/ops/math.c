/*
 * math.c — elementwise ops: arithmetic, comparisons, logic, Select, Cast,
 * and the *Grad helper ops of Sqrt, Rsqrt and Reciprocal; their gradient
 * builders (TensorFlow's math_grad.py formulas). The activations are in
 * activation.c.
 *
 * The elementwise ops are rows of nbi_ew_math, run by the engine of
 * elementwise.c (its kernels and inference are in the registry entries). Signed
 * integer arithmetic wraps (computed in unsigned) so no input is undefined
 * behaviour; integer division by zero is an error, as in TensorFlow.
 */
#include "ops/elementwise.h"
#include "graph/graphdef_attrs.h"

#include <inttypes.h>
#include <math.h>

/*** Row functions ***/

/* math.c's rows name their operands x and y and use no attributes. */
#define BIN_ROW(fname, T, TO, EXPR) NBI_EW_BIN_ROW(fname, T, TO, x, y, , EXPR)
#define UN_ROW(fname, T, TO, EXPR) NBI_EW_UN_ROW(fname, T, TO, , EXPR)

/* Wrapping signed arithmetic. */
#define WADD(T, U, x, y) ((T)((U)(x) + (U)(y)))
#define WSUB(T, U, x, y) ((T)((U)(x) - (U)(y)))
#define WMUL(T, U, x, y) ((T)((U)(x) * (U)(y)))

static inline int32_t fdiv_i32(int32_t x, int32_t y) {
    if (y == -1) return (int32_t)(0u - (uint32_t)x);
    int32_t q = x / y;
    return (x % y != 0 && ((x < 0) != (y < 0))) ? q - 1 : q;
}
static inline int64_t fdiv_i64(int64_t x, int64_t y) {
    if (y == -1) return (int64_t)(0ull - (uint64_t)x);
    int64_t q = x / y;
    return (x % y != 0 && ((x < 0) != (y < 0))) ? q - 1 : q;
}
static inline int32_t tdiv_i32(int32_t x, int32_t y) {
    return y == -1 ? (int32_t)(0u - (uint32_t)x) : x / y;
}
static inline int64_t tdiv_i64(int64_t x, int64_t y) {
    return y == -1 ? (int64_t)(0ull - (uint64_t)x) : x / y;
}
static inline int32_t fmod_i32(int32_t x, int32_t y) {
    if (y == -1) return 0;
    int32_t r = x % y;
    return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r;
}
static inline int64_t fmod_i64(int64_t x, int64_t y) {
    if (y == -1) return 0;
    int64_t r = x % y;
    return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r;
}
static inline float fmodf_floor(float x, float y) {
    float r = fmodf(x, y);
    return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r;
}
static inline double fmod_floor(double x, double y) {
    double r = fmod(x, y);
    return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r;
}
static inline int64_t ipow64(int64_t b, int64_t e) {
    uint64_t r = 1, base = (uint64_t)b;
    while (e > 0) {
        if (e & 1) r *= base;
        base *= base;
        e >>= 1;
    }
    return (int64_t)r;
}

/* Row lists by dtype for the table below: NUMERIC_ROWS(add) = {add_f32, ...}. */
#define NUMERIC_ROWS(op)                                                                    \
    {[NB_FLOAT32] = op##_f32, [NB_FLOAT64] = op##_f64, [NB_INT32] = op##_i32,                \
     [NB_INT64] = op##_i64, [NB_UINT8] = op##_u8}
#define FLOAT_ROWS(op) {[NB_FLOAT32] = op##_f32, [NB_FLOAT64] = op##_f64}
#define CMP_ROWS(op)                                                                        \
    {[NB_FLOAT32] = op##_f32, [NB_FLOAT64] = op##_f64, [NB_INT32] = op##_i32,                \
     [NB_INT64] = op##_i64, [NB_UINT8] = op##_u8, [NB_BOOL] = op##_u8}

#define BIN_NUMERIC(op, EXPR_F, EXPR_I32, EXPR_I64, EXPR_U8)                                \
    BIN_ROW(op##_f32, float, float, EXPR_F)                                                 \
    BIN_ROW(op##_f64, double, double, EXPR_F)                                               \
    BIN_ROW(op##_i32, int32_t, int32_t, EXPR_I32)                                           \
    BIN_ROW(op##_i64, int64_t, int64_t, EXPR_I64)                                           \
    BIN_ROW(op##_u8, uint8_t, uint8_t, EXPR_U8)

#define BIN_FLOAT(op, EXPR_F32, EXPR_F64)                                                   \
    BIN_ROW(op##_f32, float, float, EXPR_F32)                                               \
    BIN_ROW(op##_f64, double, double, EXPR_F64)

#define BIN_CMP(op, EXPR)                                                                   \
    BIN_ROW(op##_f32, float, uint8_t, EXPR)                                                 \
    BIN_ROW(op##_f64, double, uint8_t, EXPR)                                                \
    BIN_ROW(op##_i32, int32_t, uint8_t, EXPR)                                               \
    BIN_ROW(op##_i64, int64_t, uint8_t, EXPR)                                               \
    BIN_ROW(op##_u8, uint8_t, uint8_t, EXPR)

BIN_NUMERIC(add, x + y, WADD(int32_t, uint32_t, x, y), WADD(int64_t, uint64_t, x, y), x + y)
BIN_NUMERIC(sub, x - y, WSUB(int32_t, uint32_t, x, y), WSUB(int64_t, uint64_t, x, y), x - y)
BIN_NUMERIC(mul, x * y, WMUL(int32_t, uint32_t, x, y), WMUL(int64_t, uint64_t, x, y), x * y)
BIN_NUMERIC(div, x / y, tdiv_i32(x, y), tdiv_i64(x, y), x / y)
BIN_NUMERIC(maximum, (x > y || x != x) ? x : y, x > y ? x : y, x > y ? x : y, x > y ? x : y)
BIN_NUMERIC(minimum, (x < y || x != x) ? x : y, x < y ? x : y, x < y ? x : y, x < y ? x : y)
BIN_NUMERIC(sqdiff, (x - y) * (x - y),
            WMUL(int32_t, uint32_t, WSUB(int32_t, uint32_t, x, y), WSUB(int32_t, uint32_t, x, y)),
            WMUL(int64_t, uint64_t, WSUB(int64_t, uint64_t, x, y), WSUB(int64_t, uint64_t, x, y)),
            (x - y) * (x - y))
BIN_ROW(floordiv_f32, float, float, floorf(x / y))
BIN_ROW(floordiv_f64, double, double, floor(x / y))
BIN_ROW(floordiv_i32, int32_t, int32_t, fdiv_i32(x, y))
BIN_ROW(floordiv_i64, int64_t, int64_t, fdiv_i64(x, y))
BIN_ROW(floordiv_u8, uint8_t, uint8_t, x / y)
BIN_ROW(floormod_f32, float, float, fmodf_floor(x, y))
BIN_ROW(floormod_f64, double, double, fmod_floor(x, y))
BIN_ROW(floormod_i32, int32_t, int32_t, fmod_i32(x, y))
BIN_ROW(floormod_i64, int64_t, int64_t, fmod_i64(x, y))
BIN_ROW(floormod_u8, uint8_t, uint8_t, x % y)
BIN_ROW(pow_f32, float, float, powf(x, y))
BIN_ROW(pow_f64, double, double, pow(x, y))
BIN_ROW(pow_i32, int32_t, int32_t, ipow64(x, y))
BIN_ROW(pow_i64, int64_t, int64_t, ipow64(x, y))

/* Ordered comparisons take real numbers only (TF: realnumbertypes, no bool). */
#define BIN_ORD(op, EXPR)                                                                   \
    BIN_ROW(op##_f32, float, uint8_t, EXPR)                                                 \
    BIN_ROW(op##_f64, double, uint8_t, EXPR)                                                \
    BIN_ROW(op##_i32, int32_t, uint8_t, EXPR)                                               \
    BIN_ROW(op##_i64, int64_t, uint8_t, EXPR)                                               \
    BIN_ROW(op##_u8, uint8_t, uint8_t, EXPR)

BIN_CMP(eq, x == y)
BIN_CMP(ne, x != y)
BIN_ORD(lt, x < y)
BIN_ORD(le, x <= y)
BIN_ORD(gt, x > y)
BIN_ORD(ge, x >= y)
BIN_ROW(land_b, uint8_t, uint8_t, x && y)
BIN_ROW(lor_b, uint8_t, uint8_t, x || y)

/* Gradient helper ops: (y, dy) -> dx, same shapes. */
BIN_FLOAT(sqrt_grad, y * 0.5f / x, y * 0.5 / x)
BIN_FLOAT(rsqrt_grad, -0.5f * y * x * x * x, -0.5 * y * x * x * x)
BIN_FLOAT(reciprocal_grad, -y * x * x, -y * x * x)

/*** Unary rows ***/

#define UN_NUMERIC(op, EXPR_F, EXPR_I32, EXPR_I64, EXPR_U8)                                 \
    UN_ROW(op##_f32, float, float, EXPR_F)                                                  \
    UN_ROW(op##_f64, double, double, EXPR_F)                                                \
    UN_ROW(op##_i32, int32_t, int32_t, EXPR_I32)                                            \
    UN_ROW(op##_i64, int64_t, int64_t, EXPR_I64)                                            \
    UN_ROW(op##_u8, uint8_t, uint8_t, EXPR_U8)
#define UN_FLOAT(op, EXPR_F32, EXPR_F64)                                                    \
    UN_ROW(op##_f32, float, float, EXPR_F32)                                                \
    UN_ROW(op##_f64, double, double, EXPR_F64)

UN_NUMERIC(neg, -x, (int32_t)(0u - (uint32_t)x), (int64_t)(0ull - (uint64_t)x), (uint8_t)(0u - x))
UN_NUMERIC(abs, x < 0 ? -x : x, x < 0 ? (int32_t)(0u - (uint32_t)x) : x,
           x < 0 ? (int64_t)(0ull - (uint64_t)x) : x, x)
UN_NUMERIC(sign, (x > 0) - (x < 0) + 0 * x, (x > 0) - (x < 0), (x > 0) - (x < 0), x > 0)
UN_NUMERIC(square, x * x, WMUL(int32_t, uint32_t, x, x), WMUL(int64_t, uint64_t, x, x), x * x)
UN_FLOAT(sqrt, sqrtf(x), sqrt(x))
UN_FLOAT(rsqrt, 1.0f / sqrtf(x), 1.0 / sqrt(x))
UN_FLOAT(exp, expf(x), exp(x))
UN_FLOAT(log, logf(x), log(x))
UN_FLOAT(log1p, log1pf(x), log1p(x))
UN_FLOAT(reciprocal, 1.0f / x, 1.0 / x)
UN_ROW(lnot_b, uint8_t, uint8_t, !x)

/*** Checks before the rows ***/

static bool any_zero(const nb_tensor *t) {
    for (int64_t i = 0; i < t->size; i++)
        if (nbi_load(t->data, t->dtype, i) == 0.0) return true;
    return false;
}

/* RealDiv, FloorDiv, FloorMod */
static nb_status check_int_div(nbi_kctx *k, bool *done) {
    (void)done;
    if (nbi_dtype_is_int(k->in[0]->dtype) && any_zero(k->in[1]))
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Integer division by zero");
    return NB_OK;
}

static nb_status check_int_pow(nbi_kctx *k, bool *done) {
    const nb_tensor *b = k->in[1];
    (void)done;
    if (nbi_dtype_is_int(k->in[0]->dtype))
        for (int64_t i = 0; i < b->size; i++)
            if (nbi_load(b->data, b->dtype, i) < 0)
                return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                                  "Integers to negative integer powers are not allowed");
    return NB_OK;
}

/*** The family's table (elementwise.h) ***/

/* Entries: arity, output dtype (NB_DTYPE_INVALID: the input's), the list of
 * allowed T for the dtype error (none in math's texts), the check, the rows. */
#define BIN(E, ...) [NBI_OP_##E] = {2, NB_DTYPE_INVALID, NULL, NULL, __VA_ARGS__}
#define BIN_CHECK(E, CHECK, ...) [NBI_OP_##E] = {2, NB_DTYPE_INVALID, NULL, CHECK, __VA_ARGS__}
#define CMP(E, ...) [NBI_OP_##E] = {2, NB_BOOL, NULL, NULL, __VA_ARGS__}
#define UN(E, ...) [NBI_OP_##E] = {1, NB_DTYPE_INVALID, NULL, NULL, __VA_ARGS__}

const nbi_ew_tab nbi_ew_math[NBI_OP_COUNT] = {
    BIN(ADD, NUMERIC_ROWS(add)),
    BIN(SUB, NUMERIC_ROWS(sub)),
    BIN(MUL, NUMERIC_ROWS(mul)),
    BIN_CHECK(REAL_DIV, check_int_div, NUMERIC_ROWS(div)),
    BIN_CHECK(FLOOR_DIV, check_int_div, NUMERIC_ROWS(floordiv)),
    BIN_CHECK(FLOOR_MOD, check_int_div, NUMERIC_ROWS(floormod)),
    BIN_CHECK(POW, check_int_pow, {[NB_FLOAT32] = pow_f32, [NB_FLOAT64] = pow_f64, [NB_INT32] = pow_i32,
                                    [NB_INT64] = pow_i64}),
    BIN(MAXIMUM, NUMERIC_ROWS(maximum)),
    BIN(MINIMUM, NUMERIC_ROWS(minimum)),
    BIN(SQUARED_DIFFERENCE, NUMERIC_ROWS(sqdiff)),
    CMP(EQUAL, CMP_ROWS(eq)),
    CMP(NOT_EQUAL, CMP_ROWS(ne)),
    CMP(LESS, NUMERIC_ROWS(lt)), /* ordered comparisons: real numbers only (no bool) */
    CMP(LESS_EQUAL, NUMERIC_ROWS(le)),
    CMP(GREATER, NUMERIC_ROWS(gt)),
    CMP(GREATER_EQUAL, NUMERIC_ROWS(ge)),
    BIN(LOGICAL_AND, {[NB_BOOL] = land_b}),
    BIN(LOGICAL_OR, {[NB_BOOL] = lor_b}),
    BIN(SQRT_GRAD, FLOAT_ROWS(sqrt_grad)),
    BIN(RSQRT_GRAD, FLOAT_ROWS(rsqrt_grad)),
    BIN(RECIPROCAL_GRAD, FLOAT_ROWS(reciprocal_grad)),
    UN(NEG, NUMERIC_ROWS(neg)),
    UN(ABS, NUMERIC_ROWS(abs)),
    UN(SIGN, NUMERIC_ROWS(sign)),
    UN(SQUARE, NUMERIC_ROWS(square)),
    UN(SQRT, FLOAT_ROWS(sqrt)),
    UN(RSQRT, FLOAT_ROWS(rsqrt)),
    UN(EXP, FLOAT_ROWS(exp)),
    UN(LOG, FLOAT_ROWS(log)),
    UN(LOG1P, FLOAT_ROWS(log1p)),
    UN(RECIPROCAL, FLOAT_ROWS(reciprocal)),
    UN(LOGICAL_NOT, {[NB_BOOL] = lnot_b}),
};

/*** AddN ***/

static nb_status infer_add_n(nb_op *op) {
    if (op->n_inputs < 1) return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "AddN needs at least one input");
    nb_dtype dt = nbi_in_dtype(op, 0);
    nb_shape s = *nbi_in_shape(op, 0);
    for (int i = 1; i < op->n_inputs; i++) {
        if (nbi_in_dtype(op, i) != dt)
            return nbi_infer_error(op, NB_ERR_DTYPE, "AddN inputs must share one dtype");
        const nb_shape *si = nbi_in_shape(op, i);
        if (s.rank < 0) { s = *si; continue; }
        if (si->rank < 0) continue;
        if (si->rank != s.rank)
            return nbi_infer_error(op, NB_ERR_SHAPE, "Shapes must be equal rank, but are %d and %d",
                                   s.rank, si->rank);
        for (int d = 0; d < s.rank; d++) {
            if (s.dims[d] < 0) s.dims[d] = si->dims[d];
            else if (si->dims[d] >= 0 && si->dims[d] != s.dims[d])
                return nbi_infer_error(op, NB_ERR_SHAPE, "Dimension %d in both shapes must be equal, but are %lld and %lld",
                                       d, (long long)s.dims[d], (long long)si->dims[d]);
        }
    }
    if (!nbi_ew_row_for(&nbi_ew_math[NBI_OP_ADD], dt))
        return nbi_infer_error(op, NB_ERR_DTYPE, "AddN does not support %s", nbi_dtype_tfname(dt));
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = dt;
    op->out_shape[0] = s;
    return NB_OK;
}

static nb_status k_add_n(nbi_kctx *k) {
    const nb_tensor *a = k->in[0];
    for (int i = 1; i < k->op->n_inputs; i++) {
        const nb_tensor *b = k->in[i];
        if (b->rank != a->rank || memcmp(b->dims, a->dims, sizeof(int64_t) * (size_t)a->rank)) {
            char sa[128], sb[128];
            return nbi_kerror(k, NB_ERR_SHAPE, "Inputs to AddN must have the same shape: %s vs. %s",
                              nbi_dims_string(a->rank, a->dims, false, sa, sizeof sa),
                              nbi_dims_string(b->rank, b->dims, false, sb, sizeof sb));
        }
    }
    nb_tensor *o = nbi_kalloc(k, a->dtype, a->rank, a->dims);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    nbi_ew_row f = nbi_ew_math[NBI_OP_ADD].f[a->dtype];
    if (k->op->n_inputs == 1) {
        memcpy(o->data, a->data, a->nbytes);
        return NB_OK;
    }
    f(a->size, a->data, 1, k->in[1]->data, 1, o->data, &k->op->attrs);
    for (int i = 2; i < k->op->n_inputs; i++) f(a->size, o->data, 1, k->in[i]->data, 1, o->data, &k->op->attrs);
    return NB_OK;
}

/*** Select and Cast ***/

/* TF1's Select: x and y of one shape; cond a scalar (picks x or y whole), of
 * x's shape (elementwise), or a vector whose length is x's first dimension
 * (picks whole rows) when x has rank >= 2. Messages are TF1's kernel texts. */
static bool select_cond_fits(const nb_shape *c, const nb_shape *x, char *why, size_t n) {
    char cs[128], xs[128];
    if (c->rank < 0 || x->rank < 0 || c->rank == 0) return true;
    nbi_dims_string(c->rank, c->dims, false, cs, sizeof cs);
    nbi_dims_string(x->rank, x->dims, false, xs, sizeof xs);
    if (c->rank == 1 && x->rank >= 2) {
        if (c->dims[0] >= 0 && x->dims[0] >= 0 && c->dims[0] != x->dims[0]) {
            snprintf(why, n, "Number of batches of 'then' must match size of 'cond', but saw: %" PRId64 " vs. %" PRId64,
                     x->dims[0], c->dims[0]);
            return false;
        }
        return true;
    }
    bool same = c->rank == x->rank;
    for (int i = 0; same && i < c->rank; i++)
        if (c->dims[i] >= 0 && x->dims[i] >= 0 && c->dims[i] != x->dims[i]) same = false;
    if (!same) snprintf(why, n, "'then' and 'cond' must have the same size.  but are: %s vs. %s", xs, cs);
    return same;
}

static bool select_same_shape(const nb_shape *x, const nb_shape *y, char *why, size_t n) {
    if (x->rank < 0 || y->rank < 0) return true;
    bool same = x->rank == y->rank;
    for (int i = 0; same && i < x->rank; i++)
        if (x->dims[i] >= 0 && y->dims[i] >= 0 && x->dims[i] != y->dims[i]) same = false;
    if (!same) {
        char xs[128], ys[128];
        nbi_dims_string(x->rank, x->dims, false, xs, sizeof xs);
        nbi_dims_string(y->rank, y->dims, false, ys, sizeof ys);
        snprintf(why, n, "'then' and 'else' must have the same size.  but are: %s vs. %s", xs, ys);
    }
    return same;
}

static nb_status infer_select(nb_op *op) {
    if (nbi_in_dtype(op, 0) != NB_BOOL)
        return nbi_infer_error(op, NB_ERR_DTYPE, "condition must be bool, got %s",
                               nbi_dtype_tfname(nbi_in_dtype(op, 0)));
    if (nbi_in_dtype(op, 1) != nbi_in_dtype(op, 2))
        return nbi_infer_error(op, NB_ERR_DTYPE, "'x' and 'y' must have the same dtype, got %s and %s",
                               nbi_dtype_tfname(nbi_in_dtype(op, 1)), nbi_dtype_tfname(nbi_in_dtype(op, 2)));
    const nb_shape *c = nbi_in_shape(op, 0), *x = nbi_in_shape(op, 1), *y = nbi_in_shape(op, 2);
    char why[320];
    if (!select_same_shape(x, y, why, sizeof why) || !select_cond_fits(c, x, why, sizeof why))
        return nbi_infer_error(op, NB_ERR_SHAPE, "%s", why);
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 1);
    nb_shape out = *x;
    if (out.rank >= 0 && y->rank == out.rank) /* fill x's unknown dims from y's */
        for (int i = 0; i < out.rank; i++)
            if (out.dims[i] < 0) out.dims[i] = y->dims[i];
    op->out_shape[0] = x->rank >= 0 ? out : *y;
    return NB_OK;
}

static nb_status k_select(nbi_kctx *k) {
    const nb_tensor *c = k->in[0], *x = k->in[1], *y = k->in[2];
    nb_shape cs = nb_shape_make(c->rank, c->dims), xs = nb_shape_make(x->rank, x->dims),
             ys = nb_shape_make(y->rank, y->dims);
    char why[320];
    if (!select_same_shape(&xs, &ys, why, sizeof why) || !select_cond_fits(&cs, &xs, why, sizeof why))
        return nbi_kerror(k, NB_ERR_SHAPE, "%s", why);
    nb_tensor *o = nbi_kalloc(k, x->dtype, x->rank, x->dims);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    const uint8_t *cd = c->data;
    size_t es = nb_dtype_size(x->dtype);
    /* rows: one condition value per block of `row` elements (the whole tensor
     * for a scalar condition, one element for an elementwise one) */
    int64_t n_conds = c->rank == 0 ? 1 : c->size, row = n_conds ? x->size / n_conds : 0;
    size_t rb = (size_t)row * es;
    for (int64_t i = 0; i < n_conds; i++)
        memcpy((char *)o->data + (size_t)i * rb, (const char *)(cd[i] ? x : y)->data + (size_t)i * rb, rb);
    return NB_OK;
}

static nb_status infer_select_v2(nb_op *op) {
    if (nbi_in_dtype(op, 0) != NB_BOOL)
        return nbi_infer_error(op, NB_ERR_DTYPE, "condition must be bool, got %s",
                               nbi_dtype_tfname(nbi_in_dtype(op, 0)));
    if (nbi_in_dtype(op, 1) != nbi_in_dtype(op, 2))
        return nbi_infer_error(op, NB_ERR_DTYPE, "'x' and 'y' must have the same dtype, got %s and %s",
                               nbi_dtype_tfname(nbi_in_dtype(op, 1)), nbi_dtype_tfname(nbi_in_dtype(op, 2)));
    nb_shape s1, s2;
    if (!nbi_shape_broadcast(nbi_in_shape(op, 1), nbi_in_shape(op, 2), &s1) ||
        !nbi_shape_broadcast(nbi_in_shape(op, 0), &s1, &s2))
        return nbi_infer_error(op, NB_ERR_SHAPE, "condition, x and y cannot be broadcast together");
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 1);
    op->out_shape[0] = s2;
    return NB_OK;
}

/* Offset into a tensor of dims (rank ra) for an output index (rank r), broadcasting. */
static int64_t bcast_offset(const nb_tensor *t, int r, const int64_t *idx) {
    int64_t off = 0;
    for (int i = 0; i < t->rank; i++) {
        int oi = r - t->rank + i;
        int64_t c = t->dims[i] == 1 ? 0 : idx[oi];
        off = off * t->dims[i] + c;
    }
    return off;
}

static nb_status k_select_v2(nbi_kctx *k) {
    const nb_tensor *c = k->in[0], *x = k->in[1], *y = k->in[2];
    int r1, r;
    int64_t d1[NB_MAX_RANK], d[NB_MAX_RANK];
    if (!nbi_dims_broadcast(x->rank, x->dims, y->rank, y->dims, &r1, d1) ||
        !nbi_dims_broadcast(c->rank, c->dims, r1, d1, &r, d))
        return nbi_kerror(k, NB_ERR_SHAPE, "condition, x and y cannot be broadcast together");
    nb_tensor *o = nbi_kalloc(k, x->dtype, r, d);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    size_t es = nb_dtype_size(x->dtype);
    int64_t idx[NB_MAX_RANK] = {0};
    const uint8_t *cd = c->data;
    for (int64_t i = 0; i < o->size; i++) {
        bool pick = cd[bcast_offset(c, r, idx)] != 0;
        const nb_tensor *src = pick ? x : y;
        memcpy((char *)o->data + (size_t)i * es,
               (const char *)src->data + (size_t)bcast_offset(src, r, idx) * es, es);
        for (int j = r - 1; j >= 0; j--) {
            if (++idx[j] < d[j]) break;
            idx[j] = 0;
        }
    }
    return NB_OK;
}

static nb_status infer_cast(nb_op *op) {
    if (!nbi_dtype_valid(op->attrs.dtype))
        return nbi_infer_error(op, NB_ERR_DTYPE, "Cast to an invalid dtype %d", (int)op->attrs.dtype);
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = op->attrs.dtype;
    op->out_shape[0] = *nbi_in_shape(op, 0);
    return NB_OK;
}

static nb_status k_cast(nbi_kctx *k) {
    const nb_tensor *a = k->in[0];
    if (a->dtype == k->op->attrs.dtype) {
        k->out[0] = nb_tensor_ref(k->in[0]);
        return NB_OK;
    }
    nb_tensor *o = nbi_kalloc(k, k->op->attrs.dtype, a->rank, a->dims);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    nbi_convert(a->data, a->dtype, o->data, o->dtype, a->size);
    return NB_OK;
}

/*** Gradients ***/

static void g_add(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = nbi_sum_to_shape_of(g, dy[0], op->inputs[0]);
    dx[1] = nbi_sum_to_shape_of(g, dy[0], op->inputs[1]);
}
static void g_sub(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = nbi_sum_to_shape_of(g, dy[0], op->inputs[0]);
    dx[1] = nbi_sum_to_shape_of(g, nb_negative(g, dy[0], NULL), op->inputs[1]);
}
static void g_mul(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output x = op->inputs[0], y = op->inputs[1];
    dx[0] = nbi_sum_to_shape_of(g, nb_multiply(g, dy[0], y, "Mul"), x);
    dx[1] = nbi_sum_to_shape_of(g, nb_multiply(g, x, dy[0], "Mul_1"), y);
}
static void g_div(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output x = op->inputs[0], y = op->inputs[1];
    dx[0] = nbi_sum_to_shape_of(g, nb_divide(g, dy[0], y, "RealDiv"), x);
    nb_output t = nb_divide(g, nb_divide(g, nb_negative(g, x, NULL), y, "RealDiv_1"), y, "RealDiv_2");
    dx[1] = nbi_sum_to_shape_of(g, nb_multiply(g, dy[0], t, NULL), y);
}
static void g_floormod(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output x = op->inputs[0], y = op->inputs[1];
    dx[0] = nbi_sum_to_shape_of(g, dy[0], x);
    nb_output q = nb_floor_div(g, x, y, NULL);
    dx[1] = nbi_sum_to_shape_of(g, nb_multiply(g, nb_negative(g, dy[0], NULL), q, NULL), y);
}
static void g_pow(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output x = op->inputs[0], y = op->inputs[1], z = nbi_out(op, 0);
    nb_dtype dt = nb_output_dtype(x);
    nb_output one = nb_cast(g, nb_constant_f64(g, 1.0, NULL), dt, NULL);
    nb_output zero = nb_zeros_like(g, x, NULL);
    /* dx = dy * y * x^(y-1) */
    nb_output t = nb_multiply(g, nb_multiply(g, dy[0], y, NULL), nb_pow(g, x, nb_subtract(g, y, one, NULL), NULL), NULL);
    dx[0] = nbi_sum_to_shape_of(g, t, x);
    /* dy = dy * z * log(x) where x > 0, else 0 */
    nb_output safe = nb_where(g, nb_greater(g, x, zero, NULL), x, nb_ones_like(g, x, NULL), NULL);
    nb_output lg = nb_where(g, nb_greater(g, x, zero, NULL), nb_log(g, safe, NULL), zero, NULL);
    dx[1] = nbi_sum_to_shape_of(g, nb_multiply(g, nb_multiply(g, dy[0], z, NULL), lg, NULL), y);
}
static void g_maxmin(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output x = op->inputs[0], y = op->inputs[1];
    nb_output mask = op->type == NBI_OP_MAXIMUM ? nb_greater_equal(g, x, y, NULL)
                                                : nb_less_equal(g, x, y, NULL);
    nb_output zeros = nb_zeros_like(g, dy[0], NULL);
    dx[0] = nbi_sum_to_shape_of(g, nb_where(g, mask, dy[0], zeros, NULL), x);
    dx[1] = nbi_sum_to_shape_of(g, nb_where(g, mask, zeros, dy[0], NULL), y);
}
static void g_sqdiff(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output x = op->inputs[0], y = op->inputs[1];
    nb_dtype dt = nb_output_dtype(x);
    nb_output two = nb_cast(g, nb_constant_f64(g, 2.0, "scalar"), dt, NULL);
    nb_output t = nb_multiply(g, nb_multiply(g, two, dy[0], NULL), nb_subtract(g, x, y, NULL), NULL);
    dx[0] = nbi_sum_to_shape_of(g, t, x);
    dx[1] = nbi_sum_to_shape_of(g, nb_negative(g, t, NULL), y);
}
static void g_add_n(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    (void)g;
    for (int i = 0; i < op->n_inputs; i++) dx[i] = dy[0];
}
static void g_neg(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    (void)op;
    dx[0] = nb_negative(g, dy[0], NULL);
}
static void g_abs(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = nb_multiply(g, dy[0], nb_sign(g, op->inputs[0], NULL), NULL);
}
static void g_sign(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    (void)dy;
    dx[0] = nb_zeros_like(g, op->inputs[0], NULL);
}
static void g_square(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output x = op->inputs[0];
    nb_output two = nb_cast(g, nb_constant_f64(g, 2.0, NULL), nb_output_dtype(x), NULL);
    dx[0] = nb_multiply(g, dy[0], nb_multiply(g, two, x, NULL), NULL);
}
static nb_output grad_op(nb_graph *g, int type, nb_output y, nb_output d) {
    return nbi_binary(g, type, y, d, NULL, NULL);
}
static void g_sqrt(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = grad_op(g, NBI_OP_SQRT_GRAD, nbi_out(op, 0), dy[0]);
}
static void g_rsqrt(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = grad_op(g, NBI_OP_RSQRT_GRAD, nbi_out(op, 0), dy[0]);
}
static void g_exp(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = nb_multiply(g, dy[0], nbi_out(op, 0), NULL);
}
static void g_log(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = nb_multiply(g, dy[0], nb_reciprocal(g, op->inputs[0], NULL), NULL);
}
static void g_log1p(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output x = op->inputs[0];
    nb_output one = nb_cast(g, nb_constant_f64(g, 1.0, NULL), nb_output_dtype(x), NULL);
    dx[0] = nb_multiply(g, dy[0], nb_reciprocal(g, nb_add(g, one, x, NULL), NULL), NULL);
}
static void g_reciprocal(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = grad_op(g, NBI_OP_RECIPROCAL_GRAD, nbi_out(op, 0), dy[0]);
}
/* Second derivatives: inputs (y, d) of the helper ops; b = upstream gradient. */
static nb_output scalar_like(nb_graph *g, double v, nb_output like) {
    return nb_cast(g, nb_constant_f64(g, v, NULL), nb_output_dtype(like), NULL);
}
static void g_sqrt_grad(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output y = op->inputs[0], d = op->inputs[1], b = dy[0];
    /* out = 0.5*d/y: d/dy = -0.5*d/y^2, d/dd = 0.5/y */
    nb_output t = nb_divide(g, nb_divide(g, nb_multiply(g, scalar_like(g, -0.5, y), d, NULL), y, NULL), y, NULL);
    dx[0] = nb_multiply(g, b, t, NULL);
    dx[1] = grad_op(g, NBI_OP_SQRT_GRAD, y, b);
}
static void g_rsqrt_grad(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output y = op->inputs[0], d = op->inputs[1], b = dy[0];
    /* out = -0.5*d*y^3: d/dy = -1.5*d*y^2 */
    nb_output t = nb_multiply(g, nb_multiply(g, scalar_like(g, -1.5, y), d, NULL), nb_square(g, y, NULL), NULL);
    dx[0] = nb_multiply(g, b, t, NULL);
    dx[1] = grad_op(g, NBI_OP_RSQRT_GRAD, y, b);
}
static void g_reciprocal_grad(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output y = op->inputs[0], d = op->inputs[1], b = dy[0];
    /* out = -d*y^2: d/dy = -2*d*y */
    dx[0] = nb_multiply(g, b, nb_multiply(g, nb_multiply(g, scalar_like(g, -2.0, y), d, NULL), y, NULL), NULL);
    dx[1] = grad_op(g, NBI_OP_RECIPROCAL_GRAD, y, b);
}
static void g_select_v2(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output c = op->inputs[0];
    nb_output zeros = nb_zeros_like(g, dy[0], NULL);
    dx[1] = nbi_sum_to_shape_of(g, nb_where_v2(g, c, dy[0], zeros, NULL), op->inputs[1]);
    dx[2] = nbi_sum_to_shape_of(g, nb_where_v2(g, c, zeros, dy[0], NULL), op->inputs[2]);
}
/* TF1's Select: x and y (and dy) share one shape, so the same condition routes dy. */
static void g_select(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output c = op->inputs[0];
    nb_output zeros = nb_zeros_like(g, dy[0], NULL);
    dx[1] = nb_where(g, c, dy[0], zeros, NULL);
    dx[2] = nb_where(g, c, zeros, dy[0], NULL);
}
static void g_cast(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_dtype src = nbi_in_dtype(op, 0);
    if (nbi_differentiable_dtype(src) && nbi_differentiable_dtype(op->attrs.dtype))
        dx[0] = nb_cast(g, dy[0], src, NULL);
}

/*** Registry entries ***/

/* Their only GraphDef attr is T, but the logical ops' (bool only) have none. */
#define BINDEF_A(E, T, FLAGS, GRAD, ATTRS)                                                            \
    const nbi_opdef nbi_opdef_##E = {.type = T, .n_inputs = 2, .flags = FLAGS, .infer = nbi_ew_infer_binary, \
                                     .kernel = nbi_ew_k_binary, .grad = GRAD, .attrs = ATTRS};
#define UNDEF_A(E, T, FLAGS, GRAD, ATTRS)                                                            \
    const nbi_opdef nbi_opdef_##E = {.type = T, .n_inputs = 1, .flags = FLAGS, .infer = nbi_ew_infer_unary, \
                                     .kernel = nbi_ew_k_unary, .grad = GRAD, .attrs = ATTRS};
#define BINDEF(E, T, FLAGS, GRAD) BINDEF_A(E, T, FLAGS, GRAD, NBI_ATTRS_T)
#define UNDEF(E, T, FLAGS, GRAD) UNDEF_A(E, T, FLAGS, GRAD, NBI_ATTRS_T)

BINDEF(ADD, "Add", 0, g_add)
BINDEF(SUB, "Sub", 0, g_sub)
BINDEF(MUL, "Mul", 0, g_mul)
BINDEF(REAL_DIV, "RealDiv", 0, g_div)
BINDEF(FLOOR_DIV, "FloorDiv", NBI_NO_GRAD, NULL)
BINDEF(FLOOR_MOD, "FloorMod", 0, g_floormod)
BINDEF(POW, "Pow", 0, g_pow)
BINDEF(MAXIMUM, "Maximum", 0, g_maxmin)
BINDEF(MINIMUM, "Minimum", 0, g_maxmin)
BINDEF(SQUARED_DIFFERENCE, "SquaredDifference", 0, g_sqdiff)
BINDEF(SQRT_GRAD, "SqrtGrad", 0, g_sqrt_grad)
BINDEF(RSQRT_GRAD, "RsqrtGrad", 0, g_rsqrt_grad)
BINDEF(RECIPROCAL_GRAD, "ReciprocalGrad", 0, g_reciprocal_grad)
BINDEF(EQUAL, "Equal", NBI_NO_GRAD, NULL)
BINDEF(NOT_EQUAL, "NotEqual", NBI_NO_GRAD, NULL)
BINDEF(LESS, "Less", NBI_NO_GRAD, NULL)
BINDEF(LESS_EQUAL, "LessEqual", NBI_NO_GRAD, NULL)
BINDEF(GREATER, "Greater", NBI_NO_GRAD, NULL)
BINDEF(GREATER_EQUAL, "GreaterEqual", NBI_NO_GRAD, NULL)
BINDEF_A(LOGICAL_AND, "LogicalAnd", NBI_NO_GRAD, NULL, NBI_ATTRS_NONE)
BINDEF_A(LOGICAL_OR, "LogicalOr", NBI_NO_GRAD, NULL, NBI_ATTRS_NONE)
UNDEF(NEG, "Neg", 0, g_neg)
UNDEF(ABS, "Abs", 0, g_abs)
UNDEF(SIGN, "Sign", 0, g_sign)
UNDEF(SQUARE, "Square", 0, g_square)
UNDEF(SQRT, "Sqrt", 0, g_sqrt)
UNDEF(RSQRT, "Rsqrt", 0, g_rsqrt)
UNDEF(EXP, "Exp", 0, g_exp)
UNDEF(LOG, "Log", 0, g_log)
UNDEF(LOG1P, "Log1p", 0, g_log1p)
UNDEF(RECIPROCAL, "Reciprocal", 0, g_reciprocal)
UNDEF_A(LOGICAL_NOT, "LogicalNot", NBI_NO_GRAD, NULL, NBI_ATTRS_NONE)
const nbi_opdef nbi_opdef_ADD_N = {
    .type = "AddN", .n_inputs = -1, .infer = infer_add_n, .kernel = k_add_n, .grad = g_add_n,
    .attrs = NBI_ATTRS({"N", NBI_A_N}, NBI_ATTR_T),
};
const nbi_opdef nbi_opdef_SELECT = {
    .type = "Select", .n_inputs = 3, .infer = infer_select, .kernel = k_select, .grad = g_select,
    .attrs = NBI_ATTRS({"T", NBI_A_T_IN1}),
};
const nbi_opdef nbi_opdef_SELECT_V2 = {
    .type = "SelectV2", .n_inputs = 3, .infer = infer_select_v2, .kernel = k_select_v2, .grad = g_select_v2,
    .attrs = NBI_ATTRS({"T", NBI_A_T_IN1}),
};
const nbi_opdef nbi_opdef_CAST = {
    .type = "Cast", .n_inputs = 1, .infer = infer_cast, .kernel = k_cast, .grad = g_cast,
    .attrs = NBI_ATTRS({"DstT", NBI_A_DTYPE}, {"SrcT", NBI_A_T_IN0}, {"Truncate", NBI_A_FALSE}),
};

/*** Constructors ***/

#define BIN_CTOR(fn, E, DEF)                                                          \
    nb_output fn(nb_graph *g, nb_output x, nb_output y, const char *name) {           \
        return nbi_binary(g, NBI_OP_##E, x, y, name, DEF);                            \
    }
#define UN_CTOR(fn, E, DEF)                                                           \
    nb_output fn(nb_graph *g, nb_output x, const char *name) {                        \
        return nbi_unary(g, NBI_OP_##E, x, name, DEF);                                \
    }

BIN_CTOR(nb_add, ADD, "add")
BIN_CTOR(nb_subtract, SUB, "sub")
BIN_CTOR(nb_multiply, MUL, "mul")
BIN_CTOR(nb_divide, REAL_DIV, "truediv")
BIN_CTOR(nb_floor_div, FLOOR_DIV, NULL)
BIN_CTOR(nb_mod, FLOOR_MOD, NULL)
BIN_CTOR(nb_pow, POW, NULL)
BIN_CTOR(nb_maximum, MAXIMUM, NULL)
BIN_CTOR(nb_minimum, MINIMUM, NULL)
BIN_CTOR(nb_squared_difference, SQUARED_DIFFERENCE, NULL)
BIN_CTOR(nb_equal, EQUAL, NULL)
BIN_CTOR(nb_not_equal, NOT_EQUAL, NULL)
BIN_CTOR(nb_less, LESS, NULL)
BIN_CTOR(nb_less_equal, LESS_EQUAL, NULL)
BIN_CTOR(nb_greater, GREATER, NULL)
BIN_CTOR(nb_greater_equal, GREATER_EQUAL, NULL)
BIN_CTOR(nb_logical_and, LOGICAL_AND, NULL)
BIN_CTOR(nb_logical_or, LOGICAL_OR, NULL)
UN_CTOR(nb_negative, NEG, NULL)
UN_CTOR(nb_abs, ABS, NULL)
UN_CTOR(nb_sign, SIGN, NULL)
UN_CTOR(nb_square, SQUARE, NULL)
UN_CTOR(nb_sqrt, SQRT, NULL)
UN_CTOR(nb_rsqrt, RSQRT, NULL)
UN_CTOR(nb_exp, EXP, NULL)
UN_CTOR(nb_log, LOG, NULL)
UN_CTOR(nb_log1p, LOG1P, NULL)
UN_CTOR(nb_reciprocal, RECIPROCAL, NULL)
UN_CTOR(nb_logical_not, LOGICAL_NOT, NULL)

nb_output nb_add_n(nb_graph *g, const nb_output *xs, int n, const char *name) {
    if (nbi_graph_ok(g) && (n < 1 || !xs)) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_add_n needs at least one input");
        return nb_nil;
    }
    return nbi_op_finish(nbi_op_new(g, NBI_OP_ADD_N, name, NULL, xs, n));
}

nb_output nb_where(nb_graph *g, nb_output cond, nb_output x, nb_output y, const char *name) {
    nb_output in[3] = {cond, x, y};
    return nbi_op_finish(nbi_op_new(g, NBI_OP_SELECT, name, NULL, in, 3));
}

nb_output nb_where_v2(nb_graph *g, nb_output cond, nb_output x, nb_output y, const char *name) {
    nb_output in[3] = {cond, x, y};
    return nbi_op_finish(nbi_op_new(g, NBI_OP_SELECT_V2, name, NULL, in, 3));
}

nb_output nb_cast(nb_graph *g, nb_output x, nb_dtype dtype, const char *name) {
    nb_op *op = nbi_op_new(g, NBI_OP_CAST, name, NULL, &x, 1);
    if (!op) return nb_nil;
    op->attrs.dtype = dtype;
    return nbi_op_finish(op);
}
