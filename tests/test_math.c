/*
 * test_math.c — forward values of every op in src/ops/math.def: binary
 * arithmetic with numpy broadcasting, comparisons, logic, unary math and
 * activations, the *Grad helper ops, Select, Cast and AddN; shape inference
 * with unknown dims; TensorFlow-style build-time and run-time errors.
 *
 * Expected values come from naive reference loops in double precision (or
 * exact int64 arithmetic) written here, never from nabla's kernels.
 */
#include "harness.h"
#include "nb_internal.h"

#include <float.h>
#include <stdint.h>

/*** Helpers ***/

enum { F32 = 1 << 0, F64 = 1 << 1, I32 = 1 << 2, I64 = 1 << 3, U8 = 1 << 4, BOOL = 1 << 5 };
static const nb_dtype all_dtypes[] = {NB_FLOAT32, NB_FLOAT64, NB_INT32, NB_INT64, NB_UINT8, NB_BOOL};
static unsigned dt_bit(nb_dtype dt) {
    switch (dt) {
    case NB_FLOAT32: return F32;
    case NB_FLOAT64: return F64;
    case NB_INT32: return I32;
    case NB_INT64: return I64;
    case NB_UINT8: return U8;
    case NB_BOOL: return BOOL;
    default: return 0;
    }
}
static bool is_float(nb_dtype dt) { return dt == NB_FLOAT32 || dt == NB_FLOAT64; }

static int64_t numel(int rank, const int64_t *dims) {
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    return n;
}

/* A tensor from doubles (converted by nb_tensor_set_flat). New reference. */
static nb_tensor *mk(nb_dtype dt, int rank, const int64_t *dims, const double *v) {
    nb_tensor *t = nb_tensor_new(dt, rank, dims, NULL);
    for (int64_t i = 0; t && i < nb_tensor_size(t); i++) nb_tensor_set_flat(t, i, v[i]);
    return t;
}
static nb_output cst(nb_graph *g, nb_dtype dt, int rank, const int64_t *dims, const double *v) {
    nb_tensor *t = mk(dt, rank, dims, v);
    nb_output o = nb_constant(g, t, NULL);
    nb_tensor_unref(t);
    return o;
}

static bool same_value(double got, double want, double tol) {
    if (isnan(want)) return isnan(got);
    if (isinf(want)) return got == want;
    return fabs(got - want) <= tol * (1.0 + fabs(want));
}

/* Checks dtype, dims and every element of t against exp (NaN matches NaN). */
static void check_tensor(const char *ctx, const nb_tensor *t, nb_dtype dt, int rank,
                         const int64_t *dims, const double *exp, double tol) {
    checks_++;
    if (!t) {
        FAILF("%s: no tensor", ctx);
        return;
    }
    if (nb_tensor_dtype(t) != dt) {
        FAILF("%s: dtype %s, expected %s", ctx, nb_dtype_name(nb_tensor_dtype(t)), nb_dtype_name(dt));
        return;
    }
    if (nb_tensor_rank(t) != rank || (rank > 0 && memcmp(nb_tensor_dims(t), dims, sizeof(int64_t) * (size_t)rank))) {
        char a[128], b[128];
        nb_shape s = nb_tensor_shape(t);
        FAILF("%s: shape %s, expected %s", ctx, nb_shape_string(s, a, sizeof a),
              nb_shape_string(nb_shape_make(rank, dims), b, sizeof b));
        return;
    }
    for (int64_t i = 0; i < numel(rank, dims); i++) {
        double got = nb_tensor_get_flat(t, i);
        if (!same_value(got, exp[i], tol)) {
            FAILF("%s: element %lld = %.9g, expected %.9g", ctx, (long long)i, got, exp[i]);
            return;
        }
    }
}

static bool shape_is(nb_shape s, int rank, const int64_t *dims) {
    if (s.rank != rank) return false;
    for (int i = 0; i < rank; i++)
        if (s.dims[i] != dims[i]) return false;
    return true;
}

/* Runs x expecting a run-time error; returns the status, message copied to msg. */
static nb_status run_error(nb_graph *g, nb_output x, const nb_feed *f, int n, char *msg, size_t cap) {
    nb_session *s = nb_session_new(g);
    nb_tensor *t = nb_session_eval(s, x, f, n);
    nb_status st = nb_session_status(s);
    snprintf(msg, cap, "%s", nb_session_errmsg(s));
    nb_tensor_unref(t);
    nb_session_free(s);
    return st;
}

/* numpy broadcasting of two dims lists; rank of the result or -1. */
static int bcast(int ra, const int64_t *da, int rb, const int64_t *db, int64_t *out) {
    int r = ra > rb ? ra : rb;
    for (int i = 0; i < r; i++) {
        int ia = ra - r + i, ib = rb - r + i;
        int64_t x = ia >= 0 ? da[ia] : 1, y = ib >= 0 ? db[ib] : 1;
        if (x == y || y == 1) out[i] = x;
        else if (x == 1) out[i] = y;
        else return -1;
    }
    return r;
}
/* Flat offset in a (rs, sd) operand for flat output index `flat` of (r, od). */
static int64_t src_offset(int r, const int64_t *od, int64_t flat, int rs, const int64_t *sd) {
    int64_t idx[NB_MAX_RANK];
    for (int i = r - 1; i >= 0; i--) {
        idx[i] = od[i] ? flat % od[i] : 0;
        flat = od[i] ? flat / od[i] : 0;
    }
    int64_t off = 0;
    for (int i = 0; i < rs; i++) {
        int oi = r - rs + i;
        off = off * sd[i] + (sd[i] == 1 ? 0 : idx[oi]);
    }
    return off;
}

/*** Binary ops: table and reference ***/

enum {
    B_ADD, B_SUB, B_MUL, B_DIV, B_FLOORDIV, B_MOD, B_POW, B_MAX, B_MIN, B_SQDIFF,
    B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE, B_AND, B_OR,
    B_SIGMOID_GRAD, B_TANH_GRAD, B_RELU_GRAD, B_SQRT_GRAD, B_RSQRT_GRAD, B_RECIPROCAL_GRAD
};

typedef nb_output (*binctor)(nb_graph *, nb_output, nb_output, const char *);

#define GRAD_CTOR(fn, E)                                                          \
    static nb_output fn(nb_graph *g, nb_output a, nb_output b, const char *name) { \
        return nbi_binary(g, NBI_OP_##E, a, b, name, NULL);                        \
    }
GRAD_CTOR(c_sigmoid_grad, SIGMOID_GRAD)
GRAD_CTOR(c_tanh_grad, TANH_GRAD)
GRAD_CTOR(c_relu_grad, RELU_GRAD)
GRAD_CTOR(c_sqrt_grad, SQRT_GRAD)
GRAD_CTOR(c_rsqrt_grad, RSQRT_GRAD)
GRAD_CTOR(c_reciprocal_grad, RECIPROCAL_GRAD)

typedef struct {
    const char *type; /* TF op type */
    binctor fn;
    int id;
    unsigned dtypes;  /* supported dtypes */
    bool broadcasts;  /* the *Grad helpers are tested on equal shapes only */
} binop;

#define NUM (F32 | F64 | I32 | I64 | U8)
static const binop binops[] = {
    {"Add", nb_add, B_ADD, NUM, true},
    {"Sub", nb_subtract, B_SUB, NUM, true},
    {"Mul", nb_multiply, B_MUL, NUM, true},
    {"RealDiv", nb_divide, B_DIV, NUM, true},
    {"FloorDiv", nb_floor_div, B_FLOORDIV, NUM, true},
    {"FloorMod", nb_mod, B_MOD, NUM, true},
    {"Pow", nb_pow, B_POW, F32 | F64 | I32 | I64, true},
    {"Maximum", nb_maximum, B_MAX, NUM, true},
    {"Minimum", nb_minimum, B_MIN, NUM, true},
    {"SquaredDifference", nb_squared_difference, B_SQDIFF, NUM, true},
    {"Equal", nb_equal, B_EQ, NUM | BOOL, true},
    {"NotEqual", nb_not_equal, B_NE, NUM | BOOL, true},
    {"Less", nb_less, B_LT, NUM, true},
    {"LessEqual", nb_less_equal, B_LE, NUM, true},
    {"Greater", nb_greater, B_GT, NUM, true},
    {"GreaterEqual", nb_greater_equal, B_GE, NUM, true},
    {"LogicalAnd", nb_logical_and, B_AND, BOOL, true},
    {"LogicalOr", nb_logical_or, B_OR, BOOL, true},
    {"SigmoidGrad", c_sigmoid_grad, B_SIGMOID_GRAD, F32 | F64, false},
    {"TanhGrad", c_tanh_grad, B_TANH_GRAD, F32 | F64, false},
    {"ReluGrad", c_relu_grad, B_RELU_GRAD, F32 | F64, false},
    {"SqrtGrad", c_sqrt_grad, B_SQRT_GRAD, F32 | F64, false},
    {"RsqrtGrad", c_rsqrt_grad, B_RSQRT_GRAD, F32 | F64, false},
    {"ReciprocalGrad", c_reciprocal_grad, B_RECIPROCAL_GRAD, F32 | F64, false},
};
#define N_BINOPS ((int)(sizeof binops / sizeof binops[0]))

static bool is_cmp_op(int id) { return id >= B_EQ && id <= B_OR; }
static bool is_divlike(int id) { return id == B_DIV || id == B_FLOORDIV || id == B_MOD; }

/* Python's floor division on integers, written without calling C's '/'. */
static int64_t py_floordiv(int64_t x, int64_t y) { return (int64_t)floor((double)x / (double)y); }

static double ref_float(int id, double x, double y) {
    switch (id) {
    case B_ADD: return x + y;
    case B_SUB: return x - y;
    case B_MUL: return x * y;
    case B_DIV: return x / y;
    case B_FLOORDIV: return floor(x / y);
    case B_MOD: return x - floor(x / y) * y;
    case B_POW: return pow(x, y);
    case B_MAX: return x > y ? x : y;
    case B_MIN: return x < y ? x : y;
    case B_SQDIFF: return (x - y) * (x - y);
    case B_EQ: return x == y;
    case B_NE: return x != y;
    case B_LT: return x < y;
    case B_LE: return x <= y;
    case B_GT: return x > y;
    case B_GE: return x >= y;
    case B_AND: return (x != 0) && (y != 0);
    case B_OR: return (x != 0) || (y != 0);
    case B_SIGMOID_GRAD: return y * x * (1 - x);
    case B_TANH_GRAD: return y * (1 - x * x);
    case B_RELU_GRAD: return y > 0 ? x : 0; /* ReluGrad(gradients=x, features=y) */
    case B_SQRT_GRAD: return y * 0.5 / x;
    case B_RSQRT_GRAD: return -0.5 * y * x * x * x;
    case B_RECIPROCAL_GRAD: return -y * x * x;
    default: return NAN;
    }
}

static int64_t ref_int(int id, int64_t x, int64_t y) {
    switch (id) {
    case B_ADD: return x + y;
    case B_SUB: return x - y;
    case B_MUL: return x * y;
    case B_DIV: { /* truncation toward zero */
        int64_t q = py_floordiv(x < 0 ? -x : x, y < 0 ? -y : y);
        return (x < 0) != (y < 0) ? -q : q;
    }
    case B_FLOORDIV: return py_floordiv(x, y);
    case B_MOD: return x - py_floordiv(x, y) * y;
    case B_POW: {
        int64_t r = 1;
        for (int64_t i = 0; i < y; i++) r *= x;
        return r;
    }
    case B_SQDIFF: return (x - y) * (x - y);
    default: return (int64_t)ref_float(id, (double)x, (double)y);
    }
}

/* Wraps an exact result to the dtype's range, as two's complement does. */
static double wrap(nb_dtype dt, int64_t v) {
    switch (dt) {
    case NB_INT32: return (double)(int32_t)(uint32_t)(uint64_t)v;
    case NB_UINT8: return (double)(uint8_t)(uint64_t)v;
    default: return (double)v;
    }
}

/* Deterministic operand values for op id, dtype dt, operand 0 or 1. */
static double operand(int id, nb_dtype dt, int which, int64_t i) {
    int64_t h = (i * 7 + 3 + which * 5) % 15; /* 0..14 */
    if (dt == NB_BOOL) return (double)((i * 5 + which * 3 + 1) % 3 == 0);
    if (dt == NB_UINT8) {
        double v = (double)h;
        if (which == 1 && is_divlike(id) && v == 0) v = 4;
        if (id == B_SUB && which == 0) v += 100; /* also exercise wrap-free unsigned sub */
        return v;
    }
    if (!is_float(dt)) {
        double v = (double)(h - 7);                  /* -7..7 */
        if (id == B_POW) return which ? (double)(h % 5) : (double)(h % 7 - 3);
        if (which == 1 && is_divlike(id) && v == 0) v = 3;
        return v;
    }
    double v = (double)(h - 7) * 0.5; /* -3.5..3.5, step 0.5 */
    switch (id) {
    case B_POW: return which ? (double)(h % 9 - 4) * 0.5 : 0.25 + (double)h * 0.25;
    case B_SQRT_GRAD: return which ? v : 0.25 + (double)h * 0.25;
    case B_SIGMOID_GRAD: return which ? v : (double)h / 14.0;
    default: break;
    }
    if (which == 1 && is_divlike(id) && v == 0) v = 1.25;
    return v;
}

/* One binary case: constants, then placeholders of unknown dims fed at run time. */
static void binary_case(const binop *op, nb_dtype dt, int ra, const int64_t *da, int rb,
                        const int64_t *db) {
    char ctx[256], sa[64], sb[64];
    snprintf(ctx, sizeof ctx, "%s %s %s %s", op->type, nb_dtype_name(dt),
             nb_shape_string(nb_shape_make(ra, da), sa, sizeof sa),
             nb_shape_string(nb_shape_make(rb, db), sb, sizeof sb));
    int64_t od[NB_MAX_RANK];
    int r = bcast(ra, da, rb, db, od);
    if (r < 0) {
        FAILF("%s: bad test case", ctx);
        return;
    }
    int64_t na = numel(ra, da), nbb = numel(rb, db), n = numel(r, od);
    double *av = calloc((size_t)na + 1, sizeof(double)), *bv = calloc((size_t)nbb + 1, sizeof(double));
    double *ev = calloc((size_t)n + 1, sizeof(double));
    for (int64_t i = 0; i < na; i++) av[i] = operand(op->id, dt, 0, i);
    for (int64_t i = 0; i < nbb; i++) bv[i] = operand(op->id, dt, 1, i);
    /* float32 inputs are stored rounded; compute from the stored values */
    if (dt == NB_FLOAT32) {
        for (int64_t i = 0; i < na; i++) av[i] = (float)av[i];
        for (int64_t i = 0; i < nbb; i++) bv[i] = (float)bv[i];
    }
    for (int64_t i = 0; i < n; i++) {
        double x = av[src_offset(r, od, i, ra, da)], y = bv[src_offset(r, od, i, rb, db)];
        if (is_cmp_op(op->id)) ev[i] = ref_float(op->id, x, y);
        else if (is_float(dt)) ev[i] = ref_float(op->id, x, y);
        else ev[i] = wrap(dt, ref_int(op->id, (int64_t)x, (int64_t)y));
    }
    nb_dtype odt = is_cmp_op(op->id) ? NB_BOOL : dt;
    double tol = dt == NB_FLOAT32 ? 2e-6 : dt == NB_FLOAT64 ? 1e-13 : 0;

    nb_graph *g = nb_graph_new();
    nb_output a = cst(g, dt, ra, da, av), b = cst(g, dt, rb, db, bv);
    nb_output y = op->fn(g, a, b, NULL);
    CHECK_GRAPH_OK(g);
    checks_++;
    if (nb_output_dtype(y) != odt) FAILF("%s: static dtype %d", ctx, (int)nb_output_dtype(y));
    checks_++;
    if (!shape_is(nb_output_shape(y), r, od)) FAILF("%s: static shape wrong", ctx);
    if (!nb_output_is_nil(y)) {
        checks_++;
        if (strcmp(nb_op_type(y.op), op->type)) FAILF("%s: op type %s", ctx, nb_op_type(y.op));
    }
    nb_tensor *t = eval1(g, y, NULL, 0);
    check_tensor(ctx, t, odt, r, od, ev, tol);
    nb_tensor_unref(t);
    nb_graph_free(g);

    /* Same values through placeholders whose dims are all unknown. */
    g = nb_graph_new();
    int64_t ua[NB_MAX_RANK], ub[NB_MAX_RANK];
    for (int i = 0; i < NB_MAX_RANK; i++) ua[i] = ub[i] = NB_DIM_UNKNOWN;
    nb_output pa = nb_placeholder(g, dt, nb_shape_make(ra, ua), "a");
    nb_output pb = nb_placeholder(g, dt, nb_shape_make(rb, ub), "b");
    y = op->fn(g, pa, pb, NULL);
    CHECK_GRAPH_OK(g);
    checks_++;
    if (nb_output_shape(y).rank != r) FAILF("%s: static rank with unknown dims", ctx);
    nb_tensor *ta = mk(dt, ra, da, av), *tb = mk(dt, rb, db, bv);
    nb_feed feeds[2] = {{pa, ta}, {pb, tb}};
    t = eval1(g, y, feeds, 2);
    strncat(ctx, " (fed)", sizeof ctx - strlen(ctx) - 1);
    check_tensor(ctx, t, odt, r, od, ev, tol);
    nb_tensor_unref(t);
    nb_tensor_unref(ta);
    nb_tensor_unref(tb);
    nb_graph_free(g);
    free(av);
    free(bv);
    free(ev);
}

typedef struct {
    int ra, rb;
    int64_t da[4], db[4];
} shape_pair;

static const shape_pair pairs[] = {
    {2, 2, {2, 3}, {2, 3}},       /* same shape (first: the *Grad ops use only this) */
    {2, 1, {2, 3}, {3}},          /* [2,3] + [3] */
    {1, 2, {3}, {2, 3}},
    {2, 2, {2, 1}, {1, 3}},       /* outer product */
    {0, 2, {0}, {2, 3}},          /* scalar + tensor */
    {2, 0, {2, 3}, {0}},
    {0, 0, {0}, {0}},             /* rank 0 with rank 0 */
    {2, 1, {0, 3}, {3}},          /* empty */
    {2, 2, {0, 3}, {1, 3}},
    {1, 1, {1}, {5}},             /* size-1 dims */
    {3, 2, {2, 3, 1}, {1, 4}},
    {3, 2, {4, 1, 3}, {2, 1}},
    {3, 3, {2, 1, 3}, {1, 4, 1}},
    {4, 1, {2, 1, 2, 3}, {1}},
};
#define N_PAIRS ((int)(sizeof pairs / sizeof pairs[0]))

TEST(binary_ops_all_dtypes_and_broadcasts) {
    for (int o = 0; o < N_BINOPS; o++)
        for (size_t d = 0; d < sizeof all_dtypes / sizeof all_dtypes[0]; d++) {
            nb_dtype dt = all_dtypes[d];
            if (!(binops[o].dtypes & dt_bit(dt))) continue;
            for (int p = 0; p < (binops[o].broadcasts ? N_PAIRS : 1); p++)
                binary_case(&binops[o], dt, pairs[p].ra, pairs[p].da, pairs[p].rb, pairs[p].db);
        }
}

TEST(binary_ops_reject_unsupported_dtypes) {
    for (int o = 0; o < N_BINOPS; o++)
        for (size_t d = 0; d < sizeof all_dtypes / sizeof all_dtypes[0]; d++) {
            nb_dtype dt = all_dtypes[d];
            if (binops[o].dtypes & dt_bit(dt)) continue;
            nb_graph *g = nb_graph_new();
            double v[2] = {1, 1};
            nb_output a = cst(g, dt, 1, (int64_t[]){2}, v);
            nb_output y = binops[o].fn(g, a, a, NULL);
            checks_++;
            if (!nb_output_is_nil(y) || nb_graph_status(g) != NB_ERR_DTYPE)
                FAILF("%s accepted %s", binops[o].type, nb_dtype_name(dt));
            else
                CHECK_STR_CONTAINS(nb_graph_errmsg(g), binops[o].type);
            nb_graph_free(g);
        }
}

/*** Integer edge cases ***/

TEST(floor_div_and_mod_follow_python_signs) {
    /* Python: -7 // 2 == -4, 7 // -2 == -4, -7 // -2 == 3, -7 % 2 == 1, 7 % -2 == -1 */
    double x[] = {-7, 7, -7, 7, -8, 0, 6, -6};
    double y[] = {2, -2, -2, 2, 2, 3, -3, 4};
    double q[] = {-4, -4, 3, 3, -4, 0, -2, -2};
    double m[] = {1, -1, -1, 1, 0, 0, 0, 2};
    double tq[] = {-3, -3, 3, 3, -4, 0, -2, -1}; /* RealDiv on ints truncates */
    nb_dtype dts[] = {NB_INT32, NB_INT64, NB_FLOAT32, NB_FLOAT64};
    for (int d = 0; d < 4; d++) {
        nb_graph *g = nb_graph_new();
        nb_output a = cst(g, dts[d], 1, (int64_t[]){8}, x), b = cst(g, dts[d], 1, (int64_t[]){8}, y);
        nb_output fd = nb_floor_div(g, a, b, NULL), fm = nb_mod(g, a, b, NULL);
        nb_output dv = nb_divide(g, a, b, NULL);
        CHECK_GRAPH_OK(g);
        nb_tensor *t = eval1(g, fd, NULL, 0);
        check_tensor("floordiv", t, dts[d], 1, (int64_t[]){8}, q, 0);
        nb_tensor_unref(t);
        t = eval1(g, fm, NULL, 0);
        check_tensor("floormod", t, dts[d], 1, (int64_t[]){8}, m, 0);
        nb_tensor_unref(t);
        if (!is_float(dts[d])) {
            t = eval1(g, dv, NULL, 0);
            check_tensor("int truncdiv", t, dts[d], 1, (int64_t[]){8}, tq, 0);
            nb_tensor_unref(t);
        }
        nb_graph_free(g);
    }
    /* float FloorMod with fractions: -7.5 % 2 == 0.5, 7.5 % -2 == -0.5 */
    nb_graph *g = nb_graph_new();
    double fx[] = {-7.5, 7.5, 5.25, -0.5}, fy[] = {2, -2, 0.5, 3};
    double fm[] = {0.5, -0.5, 0.25, 2.5}, fq[] = {-4, -4, 10, -1};
    nb_output a = cst(g, NB_FLOAT64, 1, (int64_t[]){4}, fx), b = cst(g, NB_FLOAT64, 1, (int64_t[]){4}, fy);
    nb_tensor *t = eval1(g, nb_mod(g, a, b, NULL), NULL, 0);
    check_tensor("float floormod", t, NB_FLOAT64, 1, (int64_t[]){4}, fm, 1e-15);
    nb_tensor_unref(t);
    t = eval1(g, nb_floor_div(g, a, b, NULL), NULL, 0);
    check_tensor("float floordiv", t, NB_FLOAT64, 1, (int64_t[]){4}, fq, 0);
    nb_tensor_unref(t);
    nb_graph_free(g);
}

TEST(integer_division_by_zero_is_a_session_error) {
    binctor fns[] = {nb_divide, nb_floor_div, nb_mod};
    const char *names[] = {"truediv", "FloorDiv", "FloorMod"};
    nb_dtype dts[] = {NB_INT32, NB_INT64, NB_UINT8};
    for (int f = 0; f < 3; f++)
        for (int d = 0; d < 3; d++) {
            nb_graph *g = nb_graph_new();
            double x[] = {1, 2, 3}, y[] = {1, 0, 2};
            nb_output a = cst(g, dts[d], 1, (int64_t[]){3}, x), b = cst(g, dts[d], 1, (int64_t[]){3}, y);
            nb_output q = fns[f](g, a, b, NULL);
            CHECK_GRAPH_OK(g);
            char msg[1024];
            CHECK_STATUS(run_error(g, q, NULL, 0, msg, sizeof msg), NB_ERR_INVALID_ARGUMENT);
            CHECK_STR_CONTAINS(msg, "Integer division by zero");
            CHECK_STR_CONTAINS(msg, names[f]);
            /* a scalar zero divisor broadcast over the dividend */
            nb_output z = cst(g, dts[d], 0, NULL, (double[]){0});
            CHECK_STATUS(run_error(g, fns[f](g, a, z, NULL), NULL, 0, msg, sizeof msg),
                         NB_ERR_INVALID_ARGUMENT);
            CHECK_STR_CONTAINS(msg, "Integer division by zero");
            nb_graph_free(g);
        }
    /* float division by zero is IEEE: inf and NaN */
    nb_graph *g = nb_graph_new();
    nb_output a = cst(g, NB_FLOAT32, 1, (int64_t[]){3}, (double[]){1, -1, 0});
    nb_output z = nb_constant_f32(g, 0.0f, NULL);
    nb_tensor *t = eval1(g, nb_divide(g, a, z, NULL), NULL, 0);
    check_tensor("float /0", t, NB_FLOAT32, 1, (int64_t[]){3}, (double[]){INFINITY, -INFINITY, NAN}, 0);
    nb_tensor_unref(t);
    nb_graph_free(g);
}

TEST(int_min_divided_by_minus_one_does_not_trap) {
    nb_graph *g = nb_graph_new();
    int32_t x32[] = {INT32_MIN, INT32_MIN, 7};
    int32_t y32[] = {-1, -1, -1};
    int64_t x64[] = {INT64_MIN, INT64_MIN, 7};
    int64_t y64[] = {-1, -1, -1};
    nb_output a = nb_constant_array(g, NB_INT32, 1, (int64_t[]){3}, x32, NULL);
    nb_output b = nb_constant_array(g, NB_INT32, 1, (int64_t[]){3}, y32, NULL);
    nb_output c = nb_constant_array(g, NB_INT64, 1, (int64_t[]){3}, x64, NULL);
    nb_output d = nb_constant_array(g, NB_INT64, 1, (int64_t[]){3}, y64, NULL);
    nb_output outs[] = {nb_divide(g, a, b, NULL), nb_floor_div(g, a, b, NULL), nb_mod(g, a, b, NULL),
                        nb_divide(g, c, d, NULL), nb_floor_div(g, c, d, NULL), nb_mod(g, c, d, NULL),
                        nb_negative(g, a, NULL), nb_abs(g, c, NULL),
                        nb_multiply(g, a, b, NULL), nb_subtract(g, c, nb_constant_array(g, NB_INT64, 0, NULL, (int64_t[]){1}, NULL), NULL)};
    CHECK_GRAPH_OK(g);
    nb_session *s = nb_session_new(g);
    nb_tensor *r[10] = {0};
    CHECK_STATUS(nb_session_run(s, NULL, 0, outs, 10, r), NB_OK);
    if (r[0]) {
        /* the quotient wraps to INT_MIN (two's complement), the remainder is 0 */
        CHECK(((int32_t *)nb_tensor_data(r[0]))[0] == INT32_MIN);
        CHECK(((int32_t *)nb_tensor_data(r[0]))[2] == -7);
        CHECK(((int32_t *)nb_tensor_data(r[1]))[0] == INT32_MIN);
        CHECK(((int32_t *)nb_tensor_data(r[1]))[2] == -7);
        CHECK(((int32_t *)nb_tensor_data(r[2]))[0] == 0);
        CHECK(((int32_t *)nb_tensor_data(r[2]))[2] == 0);
        CHECK(((int64_t *)nb_tensor_data(r[3]))[0] == INT64_MIN);
        CHECK(((int64_t *)nb_tensor_data(r[4]))[0] == INT64_MIN);
        CHECK(((int64_t *)nb_tensor_data(r[4]))[2] == -7);
        CHECK(((int64_t *)nb_tensor_data(r[5]))[0] == 0);
        CHECK(((int32_t *)nb_tensor_data(r[6]))[0] == INT32_MIN);
        CHECK(((int64_t *)nb_tensor_data(r[7]))[0] == INT64_MIN);
        CHECK(((int32_t *)nb_tensor_data(r[8]))[0] == INT32_MIN);
        CHECK(((int64_t *)nb_tensor_data(r[9]))[0] == INT64_MAX); /* wraps */
    }
    for (int i = 0; i < 10; i++) nb_tensor_unref(r[i]);
    nb_session_free(s);
    nb_graph_free(g);
}

TEST(integer_add_and_mul_wrap) {
    nb_graph *g = nb_graph_new();
    int32_t a[] = {INT32_MAX, INT32_MIN, 65536};
    int32_t b[] = {1, -1, 65536};
    nb_output x = nb_constant_array(g, NB_INT32, 1, (int64_t[]){3}, a, NULL);
    nb_output y = nb_constant_array(g, NB_INT32, 1, (int64_t[]){3}, b, NULL);
    nb_tensor *s = eval1(g, nb_add(g, x, y, NULL), NULL, 0);
    nb_tensor *m = eval1(g, nb_multiply(g, x, y, NULL), NULL, 0);
    nb_tensor *p = eval1(g, nb_pow(g, x, nb_constant_i32(g, 2, NULL), NULL), NULL, 0);
    CHECK(s && m && p);
    if (s && m && p) {
        CHECK(((int32_t *)nb_tensor_data(s))[0] == INT32_MIN);
        CHECK(((int32_t *)nb_tensor_data(s))[1] == INT32_MAX);
        CHECK(((int32_t *)nb_tensor_data(m))[2] == 0); /* 2^32 wraps to 0 */
        CHECK(((int32_t *)nb_tensor_data(p))[2] == 0);
        CHECK(((int32_t *)nb_tensor_data(p))[0] == 1); /* (2^31-1)^2 mod 2^32 */
    }
    nb_tensor_unref(s);
    nb_tensor_unref(m);
    nb_tensor_unref(p);
    nb_graph_free(g);
    /* int64 keeps full precision (no trip through double) */
    g = nb_graph_new();
    int64_t big[] = {(INT64_C(1) << 53) + 1, INT64_MAX - 1};
    int64_t one[] = {2, 1};
    x = nb_constant_array(g, NB_INT64, 1, (int64_t[]){2}, big, NULL);
    y = nb_constant_array(g, NB_INT64, 1, (int64_t[]){2}, one, NULL);
    s = eval1(g, nb_add(g, x, y, NULL), NULL, 0);
    m = eval1(g, nb_maximum(g, x, nb_constant_array(g, NB_INT64, 1, (int64_t[]){2},
                                                    (int64_t[]){(INT64_C(1) << 53) + 2, 0}, NULL), NULL), NULL, 0);
    CHECK(s && m);
    if (s && m) {
        CHECK(((int64_t *)nb_tensor_data(s))[0] == (INT64_C(1) << 53) + 3);
        CHECK(((int64_t *)nb_tensor_data(s))[1] == INT64_MAX);
        CHECK(((int64_t *)nb_tensor_data(m))[0] == (INT64_C(1) << 53) + 2);
        CHECK(((int64_t *)nb_tensor_data(m))[1] == INT64_MAX - 1);
    }
    nb_tensor_unref(s);
    nb_tensor_unref(m);
    nb_graph_free(g);
}

TEST(integer_pow_rejects_negative_exponents) {
    nb_graph *g = nb_graph_new();
    nb_output a = cst(g, NB_INT32, 1, (int64_t[]){2}, (double[]){2, 3});
    nb_output b = cst(g, NB_INT32, 1, (int64_t[]){2}, (double[]){1, -1});
    char msg[1024];
    CHECK_STATUS(run_error(g, nb_pow(g, a, b, NULL), NULL, 0, msg, sizeof msg), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(msg, "Integers to negative integer powers are not allowed");
    CHECK_STR_CONTAINS(msg, "Pow");
    nb_graph_free(g);
}

/*** NaN, infinities, stability ***/

TEST(maximum_minimum_propagate_nan) {
    nb_dtype dts[] = {NB_FLOAT32, NB_FLOAT64};
    for (int d = 0; d < 2; d++) {
        nb_graph *g = nb_graph_new();
        double x[] = {NAN, 1, NAN, 2, -INFINITY};
        double y[] = {1, NAN, NAN, 3, 0};
        nb_output a = cst(g, dts[d], 1, (int64_t[]){5}, x), b = cst(g, dts[d], 1, (int64_t[]){5}, y);
        nb_tensor *mx = eval1(g, nb_maximum(g, a, b, NULL), NULL, 0);
        nb_tensor *mn = eval1(g, nb_minimum(g, a, b, NULL), NULL, 0);
        check_tensor("max nan", mx, dts[d], 1, (int64_t[]){5}, (double[]){NAN, NAN, NAN, 3, 0}, 0);
        check_tensor("min nan", mn, dts[d], 1, (int64_t[]){5}, (double[]){NAN, NAN, NAN, 2, -INFINITY}, 0);
        nb_tensor_unref(mx);
        nb_tensor_unref(mn);
        /* broadcast scalar NaN on either side */
        nb_output nan = cst(g, dts[d], 0, NULL, (double[]){NAN});
        mx = eval1(g, nb_maximum(g, nan, b, NULL), NULL, 0);
        mn = eval1(g, nb_minimum(g, a, nan, NULL), NULL, 0);
        double allnan[5] = {NAN, NAN, NAN, NAN, NAN};
        check_tensor("max scalar nan", mx, dts[d], 1, (int64_t[]){5}, allnan, 0);
        check_tensor("min scalar nan", mn, dts[d], 1, (int64_t[]){5}, allnan, 0);
        nb_tensor_unref(mx);
        nb_tensor_unref(mn);
        /* comparisons with NaN: all false except NotEqual */
        nb_tensor *eq = eval1(g, nb_equal(g, a, a, NULL), NULL, 0);
        nb_tensor *ne = eval1(g, nb_not_equal(g, a, a, NULL), NULL, 0);
        nb_tensor *le = eval1(g, nb_less_equal(g, a, b, NULL), NULL, 0);
        check_tensor("nan ==", eq, NB_BOOL, 1, (int64_t[]){5}, (double[]){0, 1, 0, 1, 1}, 0);
        check_tensor("nan !=", ne, NB_BOOL, 1, (int64_t[]){5}, (double[]){1, 0, 1, 0, 0}, 0);
        check_tensor("nan <=", le, NB_BOOL, 1, (int64_t[]){5}, (double[]){0, 0, 0, 1, 1}, 0);
        nb_tensor_unref(eq);
        nb_tensor_unref(ne);
        nb_tensor_unref(le);
        nb_graph_free(g);
    }
}

TEST(sigmoid_is_stable_for_large_inputs) {
    nb_dtype dts[] = {NB_FLOAT32, NB_FLOAT64};
    double x[] = {-1000, -100, -20, -1, 0, 1, 20, 100, 1000, INFINITY, -INFINITY};
    int n = (int)(sizeof x / sizeof x[0]);
    for (int d = 0; d < 2; d++) {
        nb_graph *g = nb_graph_new();
        nb_output a = cst(g, dts[d], 1, (int64_t[]){n}, x);
        nb_tensor *t = eval1(g, nb_sigmoid(g, a, NULL), NULL, 0);
        nb_tensor *th = eval1(g, nb_tanh(g, a, NULL), NULL, 0);
        CHECK(t && th);
        for (int i = 0; t && th && i < n; i++) {
            double v = nb_tensor_get_flat(t, i);
            double e = x[i] >= 0 ? 1.0 / (1.0 + exp(-x[i])) : exp(x[i]) / (1.0 + exp(x[i]));
            CHECK(!isnan(v));
            CHECK(v >= 0.0 && v <= 1.0);
            /* relative accuracy even in the far tail (~3.7e-44 at -100, a float32 denormal) */
            if (dts[d] == NB_FLOAT64 || fabs(e) > FLT_MIN) CHECK_NEAR(v, e, 1e-6 * fabs(e) + 1e-300);
            else CHECK(fabs(v - e) <= 1e-44);
            CHECK(!isnan(nb_tensor_get_flat(th, i)));
            CHECK_NEAR(nb_tensor_get_flat(th, i), tanh(x[i]), 1e-6);
        }
        nb_tensor_unref(t);
        nb_tensor_unref(th);
        nb_graph_free(g);
    }
}

TEST(relu_and_sign_keep_nan) {
    nb_dtype dts[] = {NB_FLOAT32, NB_FLOAT64};
    for (int d = 0; d < 2; d++) {
        nb_graph *g = nb_graph_new();
        nb_output x = cst(g, dts[d], 1, (int64_t[]){4}, (double[]){NAN, -1, 0, 2});
        nb_tensor *r = eval1(g, nb_relu(g, x, NULL), NULL, 0);
        nb_tensor *s = eval1(g, nb_sign(g, x, NULL), NULL, 0);
        check_tensor("relu nan", r, dts[d], 1, (int64_t[]){4}, (double[]){NAN, 0, 0, 2}, 0);
        check_tensor("sign nan", s, dts[d], 1, (int64_t[]){4}, (double[]){NAN, -1, 0, 1}, 0);
        nb_tensor_unref(r);
        nb_tensor_unref(s);
        nb_graph_free(g);
    }
}

/*** Unary ops ***/

typedef nb_output (*unctor)(nb_graph *, nb_output, const char *);
typedef struct {
    const char *type;
    unctor fn;
    unsigned dtypes;
    double (*ref)(double);
    int domain; /* 0: any, 1: positive, 2: > -1 */
} unop;

static double r_neg(double x) { return -x; }
static double r_abs(double x) { return fabs(x); }
static double r_sign(double x) { return x > 0 ? 1 : x < 0 ? -1 : 0; }
static double r_square(double x) { return x * x; }
static double r_sqrt(double x) { return sqrt(x); }
static double r_rsqrt(double x) { return 1 / sqrt(x); }
static double r_exp(double x) { return exp(x); }
static double r_log(double x) { return log(x); }
static double r_log1p(double x) { return log1p(x); }
static double r_recip(double x) { return 1 / x; }
static double r_sigmoid(double x) { return 1 / (1 + exp(-x)); }
static double r_tanh(double x) { return tanh(x); }
static double r_relu(double x) { return x > 0 ? x : 0; }
static double r_not(double x) { return x == 0; }

static const unop unops[] = {
    {"Neg", nb_negative, F32 | F64 | I32 | I64, r_neg, 0},
    {"Abs", nb_abs, F32 | F64 | I32 | I64, r_abs, 0},
    {"Sign", nb_sign, F32 | F64 | I32 | I64, r_sign, 0},
    {"Square", nb_square, F32 | F64 | I32 | I64, r_square, 0},
    {"Sqrt", nb_sqrt, F32 | F64, r_sqrt, 1},
    {"Rsqrt", nb_rsqrt, F32 | F64, r_rsqrt, 1},
    {"Exp", nb_exp, F32 | F64, r_exp, 0},
    {"Log", nb_log, F32 | F64, r_log, 1},
    {"Log1p", nb_log1p, F32 | F64, r_log1p, 2},
    {"Reciprocal", nb_reciprocal, F32 | F64, r_recip, 1},
    {"Sigmoid", nb_sigmoid, F32 | F64, r_sigmoid, 0},
    {"Tanh", nb_tanh, F32 | F64, r_tanh, 0},
    {"Relu", nb_relu, F32 | F64 | I32 | I64, r_relu, 0},
    {"LogicalNot", nb_logical_not, BOOL, r_not, 0},
};
#define N_UNOPS ((int)(sizeof unops / sizeof unops[0]))

TEST(unary_ops_all_dtypes) {
    static const int64_t shapes[][3] = {{2, 3, 4}, {0, 0, 0}, {0, 3, 0}, {7, 1, 0}};
    static const int ranks[] = {3, 0, 2, 2};
    for (int o = 0; o < N_UNOPS; o++)
        for (size_t d = 0; d < sizeof all_dtypes / sizeof all_dtypes[0]; d++) {
            nb_dtype dt = all_dtypes[d];
            if (!(unops[o].dtypes & dt_bit(dt))) continue;
            for (int s = 0; s < 4; s++) {
                int64_t n = numel(ranks[s], shapes[s]);
                double v[32], e[32];
                for (int64_t i = 0; i < n; i++) {
                    double x;
                    if (dt == NB_BOOL) x = (double)(i % 3 == 0);
                    else if (!is_float(dt)) x = (double)(i % 11 - 5);
                    else if (unops[o].domain == 1) x = 0.125 + 0.375 * (double)i;
                    else if (unops[o].domain == 2) x = -0.875 + 0.25 * (double)i;
                    else x = -3.0 + 0.25 * (double)i;
                    if (dt == NB_FLOAT32) x = (float)x;
                    v[i] = x;
                    e[i] = unops[o].ref(x);
                }
                char ctx[128];
                snprintf(ctx, sizeof ctx, "%s %s case %d", unops[o].type, nb_dtype_name(dt), s);
                nb_graph *g = nb_graph_new();
                nb_output y = unops[o].fn(g, cst(g, dt, ranks[s], shapes[s], v), NULL);
                CHECK_GRAPH_OK(g);
                CHECK(shape_is(nb_output_shape(y), ranks[s], shapes[s]));
                CHECK(nb_output_dtype(y) == dt);
                if (!nb_output_is_nil(y)) CHECK(strcmp(nb_op_type(y.op), unops[o].type) == 0);
                nb_tensor *t = eval1(g, y, NULL, 0);
                check_tensor(ctx, t, dt, ranks[s], shapes[s], e, dt == NB_FLOAT32 ? 2e-6 : 1e-14);
                nb_tensor_unref(t);
                nb_graph_free(g);
            }
        }
}

TEST(unary_ops_reject_unsupported_dtypes) {
    for (int o = 0; o < N_UNOPS; o++) {
        nb_dtype bad = unops[o].dtypes & BOOL ? NB_FLOAT32 : (unops[o].dtypes & I32 ? NB_BOOL : NB_INT32);
        nb_graph *g = nb_graph_new();
        nb_output y = unops[o].fn(g, cst(g, bad, 1, (int64_t[]){1}, (double[]){1}), NULL);
        CHECK(nb_output_is_nil(y));
        CHECK_STATUS(nb_graph_status(g), NB_ERR_DTYPE);
        CHECK_STR_CONTAINS(nb_graph_errmsg(g), unops[o].type);
        nb_graph_free(g);
    }
}

TEST(unary_ops_keep_unknown_dims) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 3), "x");
    nb_output y = nb_exp(g, x, NULL);
    CHECK(shape_is(nb_output_shape(y), 2, (int64_t[]){-1, 3}));
    nb_output u = nb_placeholder(g, NB_FLOAT64, NB_SHAPE_UNKNOWN_RANK, "u");
    CHECK(nb_output_shape(nb_tanh(g, u, NULL)).rank == -1);
    nb_tensor *xv = nb_tensor_fill(NB_FLOAT32, 2, (int64_t[]){4, 3}, 0.0);
    nb_feed f = {x, xv};
    nb_tensor *t = eval1(g, y, &f, 1);
    double ones[12];
    for (int i = 0; i < 12; i++) ones[i] = 1;
    check_tensor("exp fed", t, NB_FLOAT32, 2, (int64_t[]){4, 3}, ones, 0);
    nb_tensor_unref(t);
    nb_tensor_unref(xv);
    nb_graph_free(g);
}

/*** Shape inference with unknown dims ***/

TEST(broadcast_shape_inference_keeps_unknown_dims) {
    struct {
        int ra, rb;
        int64_t da[3], db[3];
        int ro;
        int64_t dout[3];
    } cases[] = {
        {2, 1, {-1, 3}, {3}, 2, {-1, 3}},        /* [?,3] + [3] -> [?,3] */
        {2, 2, {-1, 1}, {1, 4}, 2, {-1, 4}},     /* [?,1] + [1,4] -> [?,4] */
        {1, 1, {-1}, {-1}, 1, {-1}},             /* [?] + [?] -> [?] */
        {1, 1, {-1}, {1}, 1, {-1}},              /* [?] + [1] -> [?] */
        {1, 1, {-1}, {5}, 1, {5}},               /* [?] + [5] -> [5] (? must be 1 or 5) */
        {0, 2, {0}, {-1, -1}, 2, {-1, -1}},      /* scalar + [?,?] */
        {3, 2, {2, -1, 1}, {-1, 4}, 3, {2, -1, 4}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nb_graph *g = nb_graph_new();
        nb_output a = nb_placeholder(g, NB_FLOAT32, nb_shape_make(cases[i].ra, cases[i].da), NULL);
        nb_output b = nb_placeholder(g, NB_FLOAT32, nb_shape_make(cases[i].rb, cases[i].db), NULL);
        nb_output y = nb_add(g, a, b, NULL);
        nb_output c = nb_less(g, a, b, NULL);
        CHECK_GRAPH_OK(g);
        char buf[64];
        checks_++;
        if (!shape_is(nb_output_shape(y), cases[i].ro, cases[i].dout))
            FAILF("case %zu: add shape %s", i, nb_shape_string(nb_output_shape(y), buf, sizeof buf));
        CHECK(shape_is(nb_output_shape(c), cases[i].ro, cases[i].dout));
        CHECK(nb_output_dtype(c) == NB_BOOL);
        nb_graph_free(g);
    }
    /* unknown rank on either side gives unknown rank */
    nb_graph *g = nb_graph_new();
    nb_output a = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, NULL);
    nb_output b = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3), NULL);
    CHECK(nb_output_shape(nb_multiply(g, a, b, NULL)).rank == -1);
    CHECK(nb_output_shape(nb_multiply(g, b, a, NULL)).rank == -1);
    CHECK_GRAPH_OK(g);
    nb_graph_free(g);
}

TEST(fed_unknown_dims_broadcast_at_run_time) {
    nb_graph *g = nb_graph_new();
    nb_output a = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(NB_DIM_UNKNOWN, 3), "a");
    nb_output b = cst(g, NB_FLOAT64, 1, (int64_t[]){3}, (double[]){10, 20, 30});
    nb_output y = nb_add(g, a, b, NULL);
    CHECK(shape_is(nb_output_shape(y), 2, (int64_t[]){-1, 3}));
    for (int64_t rows = 0; rows <= 3; rows++) {
        double v[9], e[9];
        for (int i = 0; i < rows * 3; i++) {
            v[i] = i;
            e[i] = i + 10.0 * (i % 3 + 1);
        }
        nb_tensor *av = mk(NB_FLOAT64, 2, (int64_t[]){rows, 3}, v);
        nb_feed f = {a, av};
        nb_tensor *t = eval1(g, y, &f, 1);
        check_tensor("fed [?,3]+[3]", t, NB_FLOAT64, 2, (int64_t[]){rows, 3}, e, 0);
        nb_tensor_unref(t);
        nb_tensor_unref(av);
    }
    nb_graph_free(g);
}

/*** Errors ***/

TEST(binary_dtype_mismatch_names_node_and_types) {
    nb_graph *g = nb_graph_new();
    nb_output a = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 3), NULL);
    nb_output b = nb_zeros(g, NB_INT32, NB_SHAPE(2, 3), NULL);
    nb_output y = nb_add(g, a, b, NULL);
    CHECK(nb_output_is_nil(y));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_DTYPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g),
                       "Input 'y' of 'Add' Op has type int32 that does not match type float32 of argument 'x'");
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "for 'add' (op: 'Add') with input shapes: [2,3], [2,3].");
    /* sticky: later calls return nil and keep the first message */
    CHECK(nb_output_is_nil(nb_multiply(g, a, a, NULL)));
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "'Add'");
    nb_graph_free(g);
    /* comparisons and logic check dtypes too */
    g = nb_graph_new();
    a = nb_zeros(g, NB_FLOAT64, NB_SHAPE(2), NULL);
    b = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2), NULL);
    CHECK(nb_output_is_nil(nb_less(g, a, b, "cmp")));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_DTYPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "'cmp' (op: 'Less')");
    nb_graph_free(g);
}

TEST(binary_incompatible_shapes_tf_message) {
    nb_graph *g = nb_graph_new();
    nb_output a = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 3), NULL);
    nb_output b = nb_zeros(g, NB_FLOAT32, NB_SHAPE(4), NULL);
    CHECK(nb_output_is_nil(nb_add(g, a, b, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g),
                       "Dimensions must be equal, but are 3 and 4 for 'add' (op: 'Add') with input shapes: [2,3], [4].");
    nb_graph_free(g);
    /* every binary family reports the node and op type */
    for (int o = 0; o < N_BINOPS; o++) {
        nb_dtype dt = binops[o].dtypes & F32 ? NB_FLOAT32 : NB_BOOL;
        g = nb_graph_new();
        a = nb_zeros(g, dt, NB_SHAPE(2, 3), NULL);
        b = nb_zeros(g, dt, NB_SHAPE(2, 4), NULL);
        CHECK(nb_output_is_nil(binops[o].fn(g, a, b, "bad")));
        CHECK_STATUS(nb_graph_status(g), NB_ERR_SHAPE);
        char want[128];
        snprintf(want, sizeof want, "for 'bad' (op: '%s') with input shapes: [2,3], [2,4].", binops[o].type);
        CHECK_STR_CONTAINS(nb_graph_errmsg(g), want);
        CHECK_STR_CONTAINS(nb_graph_errmsg(g), "Dimensions must be equal, but are 3 and 4");
        nb_graph_free(g);
    }
    /* a known dim against an unknown one is accepted at build time */
    g = nb_graph_new();
    a = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 3), NULL);
    b = nb_zeros(g, NB_FLOAT32, NB_SHAPE(4, 1), NULL);
    nb_output y = nb_add(g, a, b, NULL);
    CHECK_GRAPH_OK(g);
    CHECK(shape_is(nb_output_shape(y), 2, (int64_t[]){4, 3}));
    nb_graph_free(g);
}

TEST(run_time_shape_mismatch_is_a_session_error) {
    nb_graph *g = nb_graph_new();
    nb_output a = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 3), "a");
    nb_output b = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 3), "b");
    nb_output y = nb_multiply(g, a, b, "prod");
    CHECK_GRAPH_OK(g);
    nb_tensor *av = nb_tensor_zeros(NB_FLOAT32, 2, (int64_t[]){2, 3});
    nb_tensor *bv = nb_tensor_zeros(NB_FLOAT32, 2, (int64_t[]){4, 3});
    nb_feed f[2] = {{a, av}, {b, bv}};
    char msg[1024];
    CHECK_STATUS(run_error(g, y, f, 2, msg, sizeof msg), NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(msg, "Incompatible shapes: [2,3] vs. [4,3]");
    CHECK_STR_CONTAINS(msg, "prod");
    /* [1,3] broadcasts against [4,3] and works */
    nb_tensor_unref(av);
    av = nb_tensor_ones(NB_FLOAT32, 2, (int64_t[]){1, 3});
    f[0].value = av;
    nb_tensor *t = eval1(g, y, f, 2);
    CHECK(t && nb_tensor_dim(t, 0) == 4 && nb_tensor_dim(t, 1) == 3);
    nb_tensor_unref(t);
    nb_tensor_unref(av);
    nb_tensor_unref(bv);
    nb_graph_free(g);
}

/*** Default names ***/

TEST(default_node_names) {
    nb_graph *g = nb_graph_new();
    nb_output a = nb_constant_f32(g, 1.0f, NULL), b = nb_constant_f32(g, 2.0f, NULL);
    CHECK(strcmp(nb_op_name(nb_add(g, a, b, NULL).op), "add") == 0);
    CHECK(strcmp(nb_op_name(nb_subtract(g, a, b, NULL).op), "sub") == 0);
    CHECK(strcmp(nb_op_name(nb_multiply(g, a, b, NULL).op), "mul") == 0);
    CHECK(strcmp(nb_op_name(nb_divide(g, a, b, NULL).op), "truediv") == 0);
    CHECK(strcmp(nb_op_name(nb_add(g, a, b, NULL).op), "add_1") == 0);
    CHECK(strcmp(nb_op_name(nb_negative(g, a, NULL).op), "Neg") == 0);
    CHECK(strcmp(nb_op_type(nb_divide(g, a, b, NULL).op), "RealDiv") == 0);
    CHECK(strcmp(nb_op_name(nb_maximum(g, a, b, NULL).op), "Maximum") == 0);
    CHECK(strcmp(nb_op_name(nb_cast(g, a, NB_INT32, NULL).op), "Cast") == 0);
    CHECK(strcmp(nb_op_name(nb_where(g, nb_less(g, a, b, NULL), a, b, NULL).op), "Select") == 0);
    CHECK(strcmp(nb_op_name(nb_add_n(g, (nb_output[]){a, b}, 2, NULL).op), "AddN") == 0);
    CHECK(strcmp(nb_op_name(nb_add(g, a, b, "total").op), "total") == 0);
    CHECK(strcmp(nb_op_name(nb_add(g, a, b, "total").op), "total_1") == 0);
    nb_name_scope_push(g, "layer");
    CHECK(strcmp(nb_op_name(nb_add(g, a, b, NULL).op), "layer/add") == 0);
    nb_name_scope_pop(g);
    CHECK_GRAPH_OK(g);
    nb_graph_free(g);
}

/*** Select ***/

TEST(select_v2_with_broadcasting) {
    nb_dtype dts[] = {NB_FLOAT32, NB_FLOAT64, NB_INT32, NB_INT64, NB_UINT8, NB_BOOL};
    struct {
        int rc, rx, ry;
        int64_t dc[3], dx[3], dy[3];
    } cases[] = {
        {2, 2, 2, {2, 3}, {2, 3}, {2, 3}},
        {2, 2, 1, {2, 1}, {2, 3}, {3}},
        {0, 2, 2, {0}, {2, 3}, {2, 3}},
        {1, 2, 0, {3}, {2, 1}, {0}},
        {3, 1, 2, {2, 1, 1}, {4}, {3, 1}},
        {2, 2, 2, {0, 3}, {1, 3}, {0, 1}},
    };
    for (int d = 0; d < 6; d++)
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            int64_t d1[NB_MAX_RANK], od[NB_MAX_RANK];
            int r1 = bcast(cases[c].rx, cases[c].dx, cases[c].ry, cases[c].dy, d1);
            int r = bcast(cases[c].rc, cases[c].dc, r1, d1, od);
            int64_t nc = numel(cases[c].rc, cases[c].dc), nx = numel(cases[c].rx, cases[c].dx),
                    ny = numel(cases[c].ry, cases[c].dy), n = numel(r, od);
            double cv[32], xv[32], yv[32], e[64];
            for (int64_t i = 0; i < nc; i++) cv[i] = (double)((i * 5 + 1) % 3 != 0);
            for (int64_t i = 0; i < nx; i++) xv[i] = dts[d] == NB_BOOL ? 1 : 10 + (double)i;
            for (int64_t i = 0; i < ny; i++) yv[i] = dts[d] == NB_BOOL ? 0 : 50 + (double)i;
            for (int64_t i = 0; i < n; i++)
                e[i] = cv[src_offset(r, od, i, cases[c].rc, cases[c].dc)]
                           ? xv[src_offset(r, od, i, cases[c].rx, cases[c].dx)]
                           : yv[src_offset(r, od, i, cases[c].ry, cases[c].dy)];
            nb_graph *g = nb_graph_new();
            nb_output cond = cst(g, NB_BOOL, cases[c].rc, cases[c].dc, cv);
            nb_output y = nb_where_v2(g, cond, cst(g, dts[d], cases[c].rx, cases[c].dx, xv),
                                      cst(g, dts[d], cases[c].ry, cases[c].dy, yv), NULL);
            CHECK_GRAPH_OK(g);
            CHECK(shape_is(nb_output_shape(y), r, od));
            CHECK(nb_output_dtype(y) == dts[d]);
            nb_tensor *t = eval1(g, y, NULL, 0);
            char ctx[64];
            snprintf(ctx, sizeof ctx, "select_v2 %s case %zu", nb_dtype_name(dts[d]), c);
            CHECK(!strcmp(nb_op_type(y.op), "SelectV2"));
            check_tensor(ctx, t, dts[d], r, od, e, 0);
            nb_tensor_unref(t);
            nb_graph_free(g);
        }
}

/* TF1's Select: a scalar condition picks x or y whole, one of x's shape picks
 * elementwise, and a vector of x's first dimension picks whole rows. Expected
 * values are written out by hand. */
TEST(select_tf1_rules) {
    nb_graph *g = nb_graph_new();
    const double xv[6] = {1, 2, 3, 4, 5, 6}, yv[6] = {-1, -2, -3, -4, -5, -6};
    int64_t d32[2] = {3, 2}, d3[1] = {3}, d0[2] = {0, 2};
    nb_output x = cst(g, NB_FLOAT32, 2, d32, xv), y = cst(g, NB_FLOAT32, 2, d32, yv);
    nb_output rows = cst(g, NB_BOOL, 1, d3, (const double[]){1, 0, 1});
    nb_output elem = cst(g, NB_BOOL, 2, d32, (const double[]){1, 0, 0, 1, 1, 0});
    nb_output sc_t = cst(g, NB_BOOL, 0, NULL, (const double[]){1});
    nb_output sc_f = cst(g, NB_BOOL, 0, NULL, (const double[]){0});
    nb_output r_rows = nb_where(g, rows, x, y, NULL);
    nb_output r_elem = nb_where(g, elem, x, y, NULL);
    nb_output r_t = nb_where(g, sc_t, x, y, NULL);
    nb_output r_f = nb_where(g, sc_f, x, y, NULL);
    /* scalar x and y with a scalar condition; empty x and y with an empty row vector */
    nb_output r_s = nb_where(g, sc_f, cst(g, NB_INT32, 0, NULL, (const double[]){7}),
                             cst(g, NB_INT32, 0, NULL, (const double[]){9}), NULL);
    nb_output r_e = nb_where(g, cst(g, NB_BOOL, 1, (int64_t[]){0}, NULL), cst(g, NB_FLOAT64, 2, d0, NULL),
                             cst(g, NB_FLOAT64, 2, d0, NULL), NULL);
    CHECK_GRAPH_OK(g);
    CHECK(!strcmp(nb_op_type(r_rows.op), "Select"));
    CHECK(shape_is(nb_output_shape(r_rows), 2, d32));
    nb_tensor *t = eval1(g, r_rows, NULL, 0);
    check_tensor("select rows", t, NB_FLOAT32, 2, d32, (const double[]){1, 2, -3, -4, 5, 6}, 0);
    nb_tensor_unref(t);
    t = eval1(g, r_elem, NULL, 0);
    check_tensor("select elementwise", t, NB_FLOAT32, 2, d32, (const double[]){1, -2, -3, 4, 5, -6}, 0);
    nb_tensor_unref(t);
    t = eval1(g, r_t, NULL, 0);
    check_tensor("select scalar true", t, NB_FLOAT32, 2, d32, xv, 0);
    nb_tensor_unref(t);
    t = eval1(g, r_f, NULL, 0);
    check_tensor("select scalar false", t, NB_FLOAT32, 2, d32, yv, 0);
    nb_tensor_unref(t);
    t = eval1(g, r_s, NULL, 0);
    check_tensor("select scalars", t, NB_INT32, 0, NULL, (const double[]){9}, 0);
    nb_tensor_unref(t);
    t = eval1(g, r_e, NULL, 0);
    check_tensor("select empty", t, NB_FLOAT64, 2, d0, NULL, 0);
    nb_tensor_unref(t);
    nb_graph_free(g);

    /* unknown dims: x's shape is completed from y's; rows picked from a fed vector */
    g = nb_graph_new();
    nb_output px = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 2), "px");
    nb_output py = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3, NB_DIM_UNKNOWN), "py");
    nb_output pc = nb_placeholder(g, NB_BOOL, NB_SHAPE_UNKNOWN_RANK, "pc");
    nb_output r = nb_where(g, pc, px, py, NULL);
    CHECK_GRAPH_OK(g);
    CHECK(shape_is(nb_output_shape(r), 2, d32));
    nb_tensor *xt = nb_tensor_new(NB_FLOAT32, 2, d32, (const float[]){1, 2, 3, 4, 5, 6});
    nb_tensor *yt = nb_tensor_new(NB_FLOAT32, 2, d32, (const float[]){-1, -2, -3, -4, -5, -6});
    nb_tensor *ct = nb_tensor_new(NB_BOOL, 1, d3, (const uint8_t[]){0, 1, 0});
    nb_feed f[3] = {{px, xt}, {py, yt}, {pc, ct}};
    t = eval1(g, r, f, 3);
    check_tensor("select fed rows", t, NB_FLOAT32, 2, d32, (const double[]){-1, -2, 3, 4, -5, -6}, 0);
    nb_tensor_unref(t);
    /* a fed condition of the wrong length fails at run time with TF1's text */
    nb_tensor *c4 = nb_tensor_zeros(NB_BOOL, 1, (int64_t[]){4});
    f[2].value = c4;
    char msg[1024];
    CHECK_STATUS(run_error(g, r, f, 3, msg, sizeof msg), NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(msg, "Number of batches of 'then' must match size of 'cond', but saw: 3 vs. 4");
    nb_tensor_unref(c4);
    nb_tensor_unref(xt);
    nb_tensor_unref(yt);
    nb_tensor_unref(ct);
    nb_graph_free(g);
}

/* What SelectV2 broadcasts, Select refuses, with TF1's texts. */
TEST(select_tf1_refuses_broadcasting) {
    struct {
        int rc, rx, ry;
        int64_t dc[2], dx[2], dy[2];
        const char *msg;
    } bad[] = {
        {2, 2, 1, {2, 3}, {2, 3}, {3}, "'then' and 'else' must have the same size.  but are: [2,3] vs. [3]"},
        {2, 2, 2, {2, 1}, {2, 3}, {2, 3}, "'then' and 'cond' must have the same size.  but are: [2,3] vs. [2,1]"},
        {1, 2, 2, {3}, {2, 3}, {2, 3}, "Number of batches of 'then' must match size of 'cond', but saw: 2 vs. 3"},
        {1, 1, 1, {3}, {2}, {2}, "'then' and 'cond' must have the same size.  but are: [2] vs. [3]"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nb_graph *g = nb_graph_new();
        nb_output c = nb_zeros(g, NB_BOOL, nb_shape_make(bad[i].rc, bad[i].dc), NULL);
        nb_output x = nb_zeros(g, NB_FLOAT32, nb_shape_make(bad[i].rx, bad[i].dx), NULL);
        nb_output y = nb_zeros(g, NB_FLOAT32, nb_shape_make(bad[i].ry, bad[i].dy), NULL);
        CHECK(nb_output_is_nil(nb_where(g, c, x, y, "pick")));
        CHECK_STATUS(nb_graph_status(g), NB_ERR_SHAPE);
        CHECK_STR_CONTAINS(nb_graph_errmsg(g), bad[i].msg);
        CHECK_STR_CONTAINS(nb_graph_errmsg(g), "for 'pick' (op: 'Select')");
        nb_graph_free(g);
    }
}

TEST(select_errors) {
    nb_graph *g = nb_graph_new();
    nb_output c = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2), NULL);
    nb_output x = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2), NULL);
    CHECK(nb_output_is_nil(nb_where(g, c, x, x, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_DTYPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "'Select' (op: 'Select')");
    nb_graph_free(g);

    g = nb_graph_new();
    c = nb_zeros(g, NB_BOOL, NB_SHAPE(2), NULL);
    x = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2), NULL);
    nb_output y = nb_zeros(g, NB_INT32, NB_SHAPE(2), NULL);
    CHECK(nb_output_is_nil(nb_where(g, c, x, y, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_DTYPE);
    nb_graph_free(g);

    g = nb_graph_new();
    c = nb_zeros(g, NB_BOOL, NB_SHAPE(3), NULL);
    x = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2), NULL);
    CHECK(nb_output_is_nil(nb_where(g, c, x, x, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "with input shapes: [3], [2], [2].");
    nb_graph_free(g);

    /* run time: a fed condition of the wrong length */
    g = nb_graph_new();
    nb_output pc = nb_placeholder(g, NB_BOOL, NB_SHAPE(NB_DIM_UNKNOWN), "c");
    x = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2), NULL);
    y = nb_where(g, pc, x, x, "sel");
    CHECK_GRAPH_OK(g);
    nb_tensor *cv = nb_tensor_zeros(NB_BOOL, 1, (int64_t[]){3});
    nb_feed f = {pc, cv};
    char msg[1024];
    CHECK_STATUS(run_error(g, y, &f, 1, msg, sizeof msg), NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(msg, "sel");
    nb_tensor_unref(cv);
    nb_graph_free(g);
}

/*** Cast ***/

/* The value a double becomes in dtype dt (numpy astype: float->int truncates). */
static double cast_ref(double v, nb_dtype dt) {
    switch (dt) {
    case NB_FLOAT32: return (float)v;
    case NB_FLOAT64: return v;
    case NB_INT32:
    case NB_INT64: return trunc(v);
    case NB_UINT8: return fmod(trunc(v) + 256.0 * 4, 256.0);
    case NB_BOOL: return v != 0;
    default: return NAN;
    }
}

TEST(cast_between_all_dtypes) {
    double signed_vals[] = {0, 1, -1, 2.75, -2.75, 7.5, -7.5, 100.25, 0.5, -0.5};
    double unsigned_vals[] = {0, 1, 2.75, 7.5, 100.25, 200.9, 0.5, 255, 3, 42};
    for (int s = 0; s < 6; s++)
        for (int d = 0; d < 6; d++) {
            nb_dtype sdt = all_dtypes[s], ddt = all_dtypes[d];
            bool unsig = sdt == NB_UINT8 || ddt == NB_UINT8;
            double *vals = unsig ? unsigned_vals : signed_vals;
            double src[10], e[10];
            for (int i = 0; i < 10; i++) {
                src[i] = cast_ref(vals[i], sdt); /* what the source tensor holds */
                e[i] = cast_ref(src[i], ddt);
            }
            nb_graph *g = nb_graph_new();
            nb_output x = cst(g, sdt, 2, (int64_t[]){2, 5}, src);
            nb_output y = nb_cast(g, x, ddt, NULL);
            CHECK_GRAPH_OK(g);
            CHECK(nb_output_dtype(y) == ddt);
            CHECK(shape_is(nb_output_shape(y), 2, (int64_t[]){2, 5}));
            nb_tensor *t = eval1(g, y, NULL, 0);
            char ctx[64];
            snprintf(ctx, sizeof ctx, "cast %s->%s", nb_dtype_name(sdt), nb_dtype_name(ddt));
            check_tensor(ctx, t, ddt, 2, (int64_t[]){2, 5}, e, 0);
            nb_tensor_unref(t);
            nb_graph_free(g);
        }
    /* exact int64 <-> float64 for values beyond 2^53 would round; small ones exact */
    nb_graph *g = nb_graph_new();
    int64_t big[] = {INT64_C(1) << 40, -(INT64_C(1) << 40) - 1};
    nb_output x = nb_constant_array(g, NB_INT64, 1, (int64_t[]){2}, big, NULL);
    nb_tensor *t = eval1(g, nb_cast(g, x, NB_FLOAT64, NULL), NULL, 0);
    check_tensor("cast big int64", t, NB_FLOAT64, 1, (int64_t[]){2},
                 (double[]){1099511627776.0, -1099511627777.0}, 0);
    nb_tensor_unref(t);
    /* NaN becomes true when cast to bool */
    t = eval1(g, nb_cast(g, nb_constant_f32(g, NAN, NULL), NB_BOOL, NULL), NULL, 0);
    check_tensor("cast nan bool", t, NB_BOOL, 0, NULL, (double[]){1}, 0);
    nb_tensor_unref(t);
    /* unknown dims pass through */
    nb_output p = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 2), NULL);
    CHECK(shape_is(nb_output_shape(nb_cast(g, p, NB_INT32, NULL)), 2, (int64_t[]){-1, 2}));
    CHECK_GRAPH_OK(g);
    /* a bad target dtype is a build error */
    CHECK(nb_output_is_nil(nb_cast(g, x, (nb_dtype)77, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_DTYPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "(op: 'Cast')");
    nb_graph_free(g);
}

/*** AddN ***/

TEST(add_n_values) {
    nb_dtype dts[] = {NB_FLOAT32, NB_FLOAT64, NB_INT32, NB_INT64};
    for (int d = 0; d < 4; d++)
        for (int n = 1; n <= 4; n++) {
            nb_graph *g = nb_graph_new();
            nb_output xs[4];
            double e[6] = {0};
            for (int k = 0; k < n; k++) {
                double v[6];
                for (int i = 0; i < 6; i++) {
                    v[i] = (double)((k + 1) * (i - 2));
                    e[i] += v[i];
                }
                xs[k] = cst(g, dts[d], 2, (int64_t[]){2, 3}, v);
            }
            nb_output y = nb_add_n(g, xs, n, NULL);
            CHECK_GRAPH_OK(g);
            CHECK(shape_is(nb_output_shape(y), 2, (int64_t[]){2, 3}));
            nb_tensor *t = eval1(g, y, NULL, 0);
            check_tensor("addn", t, dts[d], 2, (int64_t[]){2, 3}, e, 0);
            nb_tensor_unref(t);
            nb_graph_free(g);
        }
    /* the same input repeated, empty inputs, and an unknown dim merged from a known one */
    nb_graph *g = nb_graph_new();
    nb_output a = cst(g, NB_FLOAT32, 1, (int64_t[]){3}, (double[]){1, 2, 3});
    nb_tensor *t = eval1(g, nb_add_n(g, (nb_output[]){a, a, a}, 3, NULL), NULL, 0);
    check_tensor("addn same", t, NB_FLOAT32, 1, (int64_t[]){3}, (double[]){3, 6, 9}, 0);
    nb_tensor_unref(t);
    nb_output z = nb_zeros(g, NB_FLOAT32, NB_SHAPE(0, 2), NULL);
    t = eval1(g, nb_add_n(g, (nb_output[]){z, z}, 2, NULL), NULL, 0);
    check_tensor("addn empty", t, NB_FLOAT32, 2, (int64_t[]){0, 2}, NULL, 0);
    nb_tensor_unref(t);
    nb_output p = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN), NULL);
    nb_output s = nb_add_n(g, (nb_output[]){p, a}, 2, NULL);
    CHECK(shape_is(nb_output_shape(s), 1, (int64_t[]){3}));
    CHECK_GRAPH_OK(g);
    nb_graph_free(g);
}

TEST(add_n_errors) {
    nb_graph *g = nb_graph_new();
    nb_output a = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 3), NULL);
    nb_output b = nb_zeros(g, NB_INT32, NB_SHAPE(2, 3), NULL);
    CHECK(nb_output_is_nil(nb_add_n(g, (nb_output[]){a, b}, 2, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_DTYPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "'AddN' (op: 'AddN')");
    nb_graph_free(g);

    g = nb_graph_new();
    a = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 3), NULL);
    b = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 4), NULL);
    CHECK(nb_output_is_nil(nb_add_n(g, (nb_output[]){a, b}, 2, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "with input shapes: [2,3], [2,4].");
    nb_graph_free(g);

    g = nb_graph_new();
    CHECK(nb_output_is_nil(nb_add_n(g, NULL, 0, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_INVALID_ARGUMENT);
    nb_graph_free(g);

    /* run time: fed shapes that differ */
    g = nb_graph_new();
    nb_output p = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN), "p");
    nb_output q = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN), "q");
    nb_output s = nb_add_n(g, (nb_output[]){p, q}, 2, "total");
    nb_tensor *pv = nb_tensor_zeros(NB_FLOAT32, 1, (int64_t[]){2});
    nb_tensor *qv = nb_tensor_zeros(NB_FLOAT32, 1, (int64_t[]){3});
    nb_feed f[2] = {{p, pv}, {q, qv}};
    char msg[1024];
    CHECK_STATUS(run_error(g, s, f, 2, msg, sizeof msg), NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(msg, "Inputs to AddN must have the same shape: [2] vs. [3]");
    CHECK_STR_CONTAINS(msg, "total");
    nb_tensor_unref(pv);
    nb_tensor_unref(qv);
    nb_graph_free(g);
}

/*** Large operands (exercise the general broadcasting loop and odometer) ***/

TEST(broadcast_rank4_against_reference) {
    int64_t da[4] = {3, 1, 4, 5}, db[3] = {2, 4, 1};
    int64_t od[4];
    int r = bcast(4, da, 3, db, od);
    int64_t na = numel(4, da), nbb = numel(3, db), n = numel(r, od);
    double *av = malloc(sizeof(double) * (size_t)na), *bv = malloc(sizeof(double) * (size_t)nbb);
    double *e = malloc(sizeof(double) * (size_t)n);
    for (int64_t i = 0; i < na; i++) av[i] = (double)(i % 13) - 6;
    for (int64_t i = 0; i < nbb; i++) bv[i] = (double)(i % 5) + 1;
    for (int64_t i = 0; i < n; i++)
        e[i] = av[src_offset(r, od, i, 4, da)] - 2 * bv[src_offset(r, od, i, 3, db)];
    nb_graph *g = nb_graph_new();
    nb_output a = cst(g, NB_FLOAT64, 4, da, av), b = cst(g, NB_FLOAT64, 3, db, bv);
    nb_output y = nb_subtract(g, a, nb_multiply(g, nb_constant_f64(g, 2.0, NULL), b, NULL), NULL);
    nb_tensor *t = eval1(g, y, NULL, 0);
    check_tensor("rank4", t, NB_FLOAT64, r, od, e, 0);
    nb_tensor_unref(t);
    nb_graph_free(g);
    free(av);
    free(bv);
    free(e);
}

/*** Coverage: every op of math.def has a row above ***/

TEST(every_math_op_is_covered) {
    static const char *const others[] = {"AddN", "Select", "SelectV2", "Cast"}; /* tested by their own TESTs */
    for (int e = NBI_OP_ADD; e <= NBI_OP_CAST; e++) {
        const char *name = nbi_registry[e]->type;
        bool found = false;
        for (int o = 0; o < N_BINOPS && !found; o++) found = strcmp(binops[o].type, name) == 0;
        for (int o = 0; o < N_UNOPS && !found; o++) found = strcmp(unops[o].type, name) == 0;
        for (size_t o = 0; o < sizeof others / sizeof others[0] && !found; o++) found = strcmp(others[o], name) == 0;
        checks_++;
        if (!found) FAILF("math op %s has no test row", name);
    }
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
