/*
 * test_reduce.c — forward values of the ops in src/ops/reduce.def: Sum, Mean,
 * Prod, Max, Min over every axis subset (negative, non-contiguous, none, all),
 * with and without keep_dims, on every supported dtype, empty inputs and
 * unknown dims; ArgMax and ArgMin; names and errors.
 *
 * Expected values come from a naive odometer loop written here (double for
 * floats, exact int64 for integers), never from nabla's kernels.
 */
#include "harness.h"
#include "ops/ops_impl.h"

#include <stdint.h>

/*** Helpers ***/

static int64_t numel(int rank, const int64_t *dims) {
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    return n;
}
static bool is_float(nb_dtype dt) { return dt == NB_FLOAT32 || dt == NB_FLOAT64; }

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
static bool shape_is(nb_shape s, int rank, const int64_t *dims) {
    if (s.rank != rank) return false;
    for (int i = 0; i < rank; i++)
        if (s.dims[i] != dims[i]) return false;
    return true;
}
static bool same_value(double got, double want, double tol) {
    if (isnan(want)) return isnan(got);
    if (isinf(want)) return got == want;
    return fabs(got - want) <= tol * (1.0 + fabs(want));
}
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
        FAILF("%s: shape %s, expected %s", ctx, nb_shape_string(nb_tensor_shape(t), a, sizeof a),
              nb_shape_string(nb_shape_make(rank, dims), b, sizeof b));
        return;
    }
    for (int64_t i = 0; i < numel(rank, dims); i++) {
        double got = nb_tensor_get_flat(t, i);
        if (!same_value(got, exp[i], tol)) {
            FAILF("%s: element %lld = %.17g, expected %.17g", ctx, (long long)i, got, exp[i]);
            return;
        }
    }
}
static nb_status run_error(nb_graph *g, nb_output x, const nb_feed *f, int n, char *msg, size_t cap) {
    nb_session *s = nb_session_new(g);
    nb_tensor *t = nb_session_eval(s, x, f, n);
    nb_status st = nb_session_status(s);
    snprintf(msg, cap, "%s", nb_session_errmsg(s));
    nb_tensor_unref(t);
    nb_session_free(s);
    return st;
}

/*** Reference reduction ***/

enum { R_SUM, R_MEAN, R_PROD, R_MAX, R_MIN };
typedef nb_output (*redctor)(nb_graph *, nb_output, const int *, int, bool, const char *);
static const struct {
    const char *type;
    redctor fn;
    int kind;
} reds[] = {
    {"Sum", nb_reduce_sum, R_SUM},
    {"Mean", nb_reduce_mean, R_MEAN},
    {"Prod", nb_reduce_prod, R_PROD},
    {"Max", nb_reduce_max, R_MAX},
    {"Min", nb_reduce_min, R_MIN},
};
#define N_REDS 5

static double lowest(nb_dtype dt) {
    switch (dt) {
    case NB_INT32: return (double)INT32_MIN;
    case NB_INT64: return (double)INT64_MIN;
    case NB_UINT8: return 0;
    default: return -INFINITY;
    }
}
static double highest(nb_dtype dt) {
    switch (dt) {
    case NB_INT32: return (double)INT32_MAX;
    case NB_UINT8: return 255;
    default: return INFINITY; /* int64 is checked separately: INT64_MAX is not a double */
    }
}

/* Reduces x (rank, dims, values v) over mask; fills od/orank and expected e.
 * Integer results use exact int64 arithmetic, Mean truncating toward zero. */
static void ref_reduce(int kind, nb_dtype dt, int rank, const int64_t *dims, const double *v,
                       const bool *mask, bool keep, int *orank, int64_t *od, double *e) {
    int r = 0;
    int64_t ostride[8], acc_s = 1, cnt = 1;
    for (int i = 0; i < rank; i++)
        if (!mask[i]) od[r++] = dims[i];
        else if (keep) od[r++] = 1;
    *orank = r;
    for (int i = rank - 1; i >= 0; i--) {
        if (mask[i]) {
            ostride[i] = 0;
            cnt *= dims[i];
        } else {
            ostride[i] = acc_s;
            acc_s *= dims[i];
        }
    }
    int64_t no = acc_s;
    double fa[256];
    int64_t ia[256];
    for (int64_t o = 0; o < no; o++) {
        fa[o] = kind == R_PROD ? 1 : kind == R_MAX ? lowest(dt) : kind == R_MIN ? highest(dt) : 0;
        ia[o] = kind == R_PROD ? 1 : 0;
    }
    bool first[256];
    for (int64_t o = 0; o < no; o++) first[o] = true;
    int64_t n = numel(rank, dims);
    for (int64_t i = 0; i < n; i++) {
        int64_t rem = i, off = 0;
        for (int d = rank - 1; d >= 0; d--) {
            off += (rem % dims[d]) * ostride[d];
            rem /= dims[d];
        }
        double x = v[i];
        switch (kind) {
        case R_SUM:
        case R_MEAN: fa[off] += x; ia[off] += (int64_t)x; break;
        case R_PROD: fa[off] *= x; ia[off] *= (int64_t)x; break;
        case R_MAX: if (first[off] || x > fa[off] || isnan(x)) fa[off] = isnan(fa[off]) ? fa[off] : x; break;
        case R_MIN: if (first[off] || x < fa[off] || isnan(x)) fa[off] = isnan(fa[off]) ? fa[off] : x; break;
        }
        first[off] = false;
    }
    for (int64_t o = 0; o < no; o++) {
        if (is_float(dt)) {
            e[o] = kind == R_MEAN ? fa[o] / (double)cnt : fa[o];
        } else if (kind == R_SUM || kind == R_PROD) { /* wraps to the dtype, as TF */
            e[o] = dt == NB_INT32 ? (double)(int32_t)(uint32_t)(uint64_t)ia[o]
                 : dt == NB_UINT8 ? (double)(uint8_t)(uint64_t)ia[o] : (double)ia[o];
        } else if (kind == R_MEAN) {
            e[o] = cnt ? (double)(ia[o] / cnt) : 0; /* C '/' truncates */
        } else {
            e[o] = fa[o];
        }
    }
}

static void values_for(nb_dtype dt, int kind, int64_t n, double *v) {
    for (int64_t i = 0; i < n; i++) {
        int64_t h = (i * 7 + 3) % 11; /* 0..10 */
        if (kind == R_PROD) v[i] = dt == NB_UINT8 ? (double)(h % 2 + 1) : (double)(h % 3 - 1) + (h == 4 ? 2 : 0);
        else if (dt == NB_UINT8) v[i] = (double)h; /* sums stay below 256 */
        else if (is_float(dt)) v[i] = (double)(h - 5) * 0.75 + (double)i * 0.001;
        else v[i] = (double)(h - 5) * 3;
        if (dt == NB_FLOAT32) v[i] = (float)v[i];
    }
}

/* One reduction case, through the constructor with an axes list. */
static void reduce_case(int r, nb_dtype dt, int rank, const int64_t *dims, const int *axes,
                        int n_axes, bool keep) {
    bool mask[8] = {false};
    if (n_axes == NB_ALL_AXES)
        for (int i = 0; i < rank; i++) mask[i] = true;
    for (int i = 0; i < n_axes; i++) mask[axes[i] < 0 ? axes[i] + rank : axes[i]] = true;
    int64_t n = numel(rank, dims);
    double v[256], e[256];
    int64_t od[8];
    int orank;
    values_for(dt, reds[r].kind, n, v);
    ref_reduce(reds[r].kind, dt, rank, dims, v, mask, keep, &orank, od, e);
    char ctx[160], sb[64];
    int len = snprintf(ctx, sizeof ctx, "%s %s %s keep=%d axes", reds[r].type, nb_dtype_name(dt),
                       nb_shape_string(nb_shape_make(rank, dims), sb, sizeof sb), keep);
    if (n_axes == NB_ALL_AXES) snprintf(ctx + len, sizeof ctx - (size_t)len, " all");
    for (int i = 0; i < n_axes; i++) len += snprintf(ctx + len, sizeof ctx - (size_t)len, " %d", axes[i]);
    double tol = dt == NB_FLOAT32 ? 2e-6 : dt == NB_FLOAT64 ? 1e-13 : 0;

    nb_graph *g = nb_graph_new();
    nb_output x = cst(g, dt, rank, dims, v);
    nb_output y = reds[r].fn(g, x, axes, n_axes, keep, NULL);
    CHECK_GRAPH_OK(g);
    checks_++;
    if (!shape_is(nb_output_shape(y), orank, od)) FAILF("%s: static shape", ctx);
    CHECK(nb_output_dtype(y) == dt);
    nb_tensor *t = eval1(g, y, NULL, 0);
    check_tensor(ctx, t, dt, orank, od, e, tol);
    nb_tensor_unref(t);
    nb_graph_free(g);

    /* again with every dim unknown until run time */
    g = nb_graph_new();
    int64_t ud[8] = {-1, -1, -1, -1, -1, -1, -1, -1};
    nb_output p = nb_placeholder(g, dt, nb_shape_make(rank, ud), "x");
    y = reds[r].fn(g, p, axes, n_axes, keep, NULL);
    CHECK_GRAPH_OK(g);
    CHECK(nb_output_shape(y).rank == orank);
    nb_tensor *xv = mk(dt, rank, dims, v);
    nb_feed f = {p, xv};
    t = eval1(g, y, &f, 1);
    strncat(ctx, " (fed)", sizeof ctx - strlen(ctx) - 1);
    check_tensor(ctx, t, dt, orank, od, e, tol);
    nb_tensor_unref(t);
    nb_tensor_unref(xv);
    nb_graph_free(g);
}

TEST(reductions_every_axis_subset) {
    static const nb_dtype dts[] = {NB_FLOAT32, NB_FLOAT64, NB_INT32, NB_INT64, NB_UINT8};
    static const struct {
        int rank;
        int64_t dims[4];
    } shapes[] = {
        {3, {2, 3, 4}}, {3, {2, 1, 3}}, {4, {2, 3, 1, 2}}, {1, {5}}, {2, {1, 1}},
    };
    for (int r = 0; r < N_REDS; r++)
        for (int d = 0; d < 5; d++)
            for (int s = 0; s < 5; s++) {
                int rank = shapes[s].rank;
                for (int m = 0; m < (1 << rank); m++) {
                    int axes[8], n = 0;
                    for (int i = 0; i < rank; i++)
                        if (m & (1 << i)) axes[n++] = (m & 1) && i == rank - 1 ? i - rank : i;
                    for (int keep = 0; keep < 2; keep++)
                        reduce_case(r, dts[d], rank, shapes[s].dims, n ? axes : (int[]){0}, n, keep);
                }
                reduce_case(r, dts[d], rank, shapes[s].dims, NULL, NB_ALL_AXES, false);
                reduce_case(r, dts[d], rank, shapes[s].dims, NULL, NB_ALL_AXES, true);
            }
}

TEST(reductions_negative_and_non_contiguous_axes) {
    int64_t dims[4] = {2, 3, 4, 2};
    int sets[][3] = {{-1, 0, 0}, {-3, 0, 0}, {0, 2, 0}, {-4, -2, 0}, {1, 3, 0}, {0, 3, 0}, {0, 1, 3}, {-1, -3, -4}};
    int ns[] = {1, 1, 2, 2, 2, 2, 3, 3};
    for (int r = 0; r < N_REDS; r++)
        for (int s = 0; s < 8; s++) {
            reduce_case(r, NB_FLOAT64, 4, dims, sets[s], ns[s], false);
            reduce_case(r, NB_FLOAT32, 4, dims, sets[s], ns[s], true);
            reduce_case(r, NB_INT32, 4, dims, sets[s], ns[s], false);
        }
}

TEST(reduce_scalar_input) {
    for (int r = 0; r < N_REDS; r++) {
        reduce_case(r, NB_FLOAT32, 0, NULL, NULL, NB_ALL_AXES, false);
        reduce_case(r, NB_INT64, 0, NULL, NULL, NB_ALL_AXES, true);
        reduce_case(r, NB_FLOAT64, 0, NULL, (int[]){0}, 0, false); /* no axes */
    }
}

/*** Empty inputs ***/

TEST(reductions_of_empty_inputs) {
    /* Sum of empty is 0, Prod 1, Mean NaN, Max the lowest value, Min the highest */
    static const nb_dtype dts[] = {NB_FLOAT32, NB_FLOAT64, NB_INT32, NB_INT64, NB_UINT8};
    int64_t dims[2] = {0, 3};
    for (int d = 0; d < 5; d++) {
        nb_dtype dt = dts[d];
        for (int r = 0; r < N_REDS; r++) {
            double want;
            switch (reds[r].kind) {
            case R_SUM: want = 0; break;
            case R_PROD: want = 1; break;
            case R_MEAN: want = is_float(dt) ? NAN : 0; break;
            case R_MAX: want = lowest(dt); break;
            default: want = highest(dt); break;
            }
            nb_graph *g = nb_graph_new();
            nb_output x = cst(g, dt, 2, dims, NULL);
            nb_output all = reds[r].fn(g, x, NULL, NB_ALL_AXES, false, NULL);
            nb_output ax0 = reds[r].fn(g, x, (int[]){0}, 1, false, NULL);
            nb_output ax1 = reds[r].fn(g, x, (int[]){1}, 1, true, NULL);
            CHECK_GRAPH_OK(g);
            char ctx[64];
            snprintf(ctx, sizeof ctx, "empty %s %s", reds[r].type, nb_dtype_name(dt));
            nb_tensor *t = eval1(g, all, NULL, 0);
            if (dt == NB_INT64 && reds[r].kind == R_MIN) {
                CHECK(t && nb_tensor_rank(t) == 0 && *(int64_t *)nb_tensor_data(t) == INT64_MAX);
                if (t && *(int64_t *)nb_tensor_data(t) != INT64_MAX)
                    fprintf(stderr, "  empty int64 Min = %lld\n", (long long)*(int64_t *)nb_tensor_data(t));
            } else if (dt == NB_INT64 && reds[r].kind == R_MAX) {
                CHECK(t && nb_tensor_rank(t) == 0 && *(int64_t *)nb_tensor_data(t) == INT64_MIN);
            } else {
                check_tensor(ctx, t, dt, 0, NULL, &want, 0);
            }
            nb_tensor_unref(t);
            double w3[3] = {want, want, want};
            t = eval1(g, ax0, NULL, 0);
            if (dt != NB_INT64 || (reds[r].kind != R_MIN && reds[r].kind != R_MAX))
                check_tensor(ctx, t, dt, 1, (int64_t[]){3}, w3, 0);
            else
                CHECK(t && nb_tensor_size(t) == 3 &&
                      ((int64_t *)nb_tensor_data(t))[2] == (reds[r].kind == R_MIN ? INT64_MAX : INT64_MIN));
            nb_tensor_unref(t);
            t = eval1(g, ax1, NULL, 0);
            check_tensor(ctx, t, dt, 2, (int64_t[]){0, 1}, NULL, 0);
            nb_tensor_unref(t);
            nb_graph_free(g);
        }
    }
}

/*** Exactness, NaN ***/

TEST(int64_reductions_are_exact) {
    nb_graph *g = nb_graph_new();
    int64_t big = (INT64_C(1) << 53) + 1;
    int64_t v[] = {big, 2, big, 1, INT64_MAX - 5, 3};
    nb_output x = nb_constant_array(g, NB_INT64, 2, (int64_t[]){3, 2}, v, NULL);
    nb_output s1 = nb_reduce_sum(g, x, (int[]){1}, 1, false, NULL);
    nb_output mx = nb_reduce_max(g, x, (int[]){0}, 1, false, NULL);
    nb_output mn = nb_reduce_min(g, x, (int[]){1}, 1, false, NULL);
    nb_output p = nb_reduce_prod(g, nb_constant_array(g, NB_INT64, 1, (int64_t[]){2},
                                                      (int64_t[]){big, 3}, NULL), NULL, NB_ALL_AXES, false, NULL);
    nb_output am = nb_argmax(g, nb_constant_array(g, NB_INT64, 1, (int64_t[]){3},
                                                  (int64_t[]){big - 1, big, big - 1}, NULL), 0, NULL);
    nb_output mean = nb_reduce_mean(g, nb_constant_array(g, NB_INT64, 1, (int64_t[]){2},
                                                         (int64_t[]){INT64_MAX - 1, INT64_MAX - 1}, NULL),
                                    NULL, NB_ALL_AXES, false, NULL);
    CHECK_GRAPH_OK(g);
    nb_session *s = nb_session_new(g);
    nb_tensor *r[6] = {0};
    CHECK_STATUS(nb_session_run(s, NULL, 0, (nb_output[]){s1, mx, mn, p, am, mean}, 6, r), NB_OK);
    if (r[0]) {
        const int64_t *a = nb_tensor_data(r[0]);
        CHECK(a[0] == big + 2);
        CHECK(a[1] == big + 1);
        CHECK(a[2] == INT64_MAX - 2);
        a = nb_tensor_data(r[1]);
        CHECK(a[0] == INT64_MAX - 5);
        CHECK(a[1] == 3);
        a = nb_tensor_data(r[2]);
        CHECK(a[0] == 2);
        CHECK(a[1] == 1);
        CHECK(a[2] == 3);
        CHECK(*(int64_t *)nb_tensor_data(r[3]) == (int64_t)((uint64_t)big * 3u));
        CHECK(*(int64_t *)nb_tensor_data(r[4]) == 1);
        /* TF sums in int64 (wrapping), then divides: (2*(2^63-2) mod 2^64) / 2 = -2 */
        CHECK(*(int64_t *)nb_tensor_data(r[5]) == -2);
    }
    for (int i = 0; i < 6; i++) nb_tensor_unref(r[i]);
    nb_session_free(s);
    nb_graph_free(g);
}

TEST(int32_reductions_wrap_on_any_axis_set) {
    nb_graph *g = nb_graph_new();
    int32_t v[8];
    for (int i = 0; i < 8; i++) v[i] = INT32_MAX;
    nb_output x = nb_constant_array(g, NB_INT32, 3, (int64_t[]){2, 2, 2}, v, NULL);
    nb_output outs[] = {
        nb_reduce_sum(g, x, (int[]){0, 2}, 2, false, NULL),  /* non-contiguous */
        nb_reduce_sum(g, x, (int[]){0, 1}, 2, false, NULL),  /* contiguous */
        nb_reduce_mean(g, x, (int[]){0, 2}, 2, false, NULL), /* mean does not overflow */
        nb_reduce_mean(g, x, (int[]){1}, 1, false, NULL),
        nb_reduce_prod(g, nb_constant_array(g, NB_INT32, 1, (int64_t[]){2}, (int32_t[]){65536, 65536}, NULL),
                       NULL, NB_ALL_AXES, false, NULL),
        nb_reduce_sum(g, nb_constant_array(g, NB_UINT8, 1, (int64_t[]){2}, (uint8_t[]){200, 100}, NULL),
                      NULL, NB_ALL_AXES, false, NULL),
    };
    CHECK_GRAPH_OK(g);
    nb_session *s = nb_session_new(g);
    nb_tensor *r[6] = {0};
    CHECK_STATUS(nb_session_run(s, NULL, 0, outs, 6, r), NB_OK);
    if (r[0]) {
        CHECK(((int32_t *)nb_tensor_data(r[0]))[0] == -4);
        CHECK(((int32_t *)nb_tensor_data(r[0]))[1] == -4);
        CHECK(((int32_t *)nb_tensor_data(r[1]))[1] == -4);
        CHECK(((int32_t *)nb_tensor_data(r[2]))[0] == INT32_MAX);
        CHECK(((int32_t *)nb_tensor_data(r[3]))[3] == INT32_MAX);
        CHECK(*(int32_t *)nb_tensor_data(r[4]) == 0);
        CHECK(*(uint8_t *)nb_tensor_data(r[5]) == 44);
    }
    for (int i = 0; i < 6; i++) nb_tensor_unref(r[i]);
    nb_session_free(s);
    nb_graph_free(g);
}

TEST(max_min_propagate_nan) {
    nb_dtype dts[] = {NB_FLOAT32, NB_FLOAT64};
    for (int d = 0; d < 2; d++) {
        nb_graph *g = nb_graph_new();
        double v[] = {1, NAN, 3, 4, 5, 6, NAN, -1};
        nb_output x = cst(g, dts[d], 3, (int64_t[]){2, 2, 2}, v);
        nb_output outs[] = {
            nb_reduce_max(g, x, (int[]){2}, 1, false, NULL),
            nb_reduce_min(g, x, (int[]){2}, 1, false, NULL),
            nb_reduce_max(g, x, (int[]){0, 2}, 2, false, NULL),
            nb_reduce_min(g, x, NULL, NB_ALL_AXES, false, NULL),
            nb_reduce_sum(g, x, (int[]){0}, 1, false, NULL),
        };
        CHECK_GRAPH_OK(g);
        nb_tensor *t = eval1(g, outs[0], NULL, 0);
        check_tensor("max nan", t, dts[d], 2, (int64_t[]){2, 2}, (double[]){NAN, 4, 6, NAN}, 0);
        nb_tensor_unref(t);
        t = eval1(g, outs[1], NULL, 0);
        check_tensor("min nan", t, dts[d], 2, (int64_t[]){2, 2}, (double[]){NAN, 3, 5, NAN}, 0);
        nb_tensor_unref(t);
        t = eval1(g, outs[2], NULL, 0);
        check_tensor("max nan 0,2", t, dts[d], 1, (int64_t[]){2}, (double[]){NAN, NAN}, 0);
        nb_tensor_unref(t);
        t = eval1(g, outs[3], NULL, 0);
        check_tensor("min nan all", t, dts[d], 0, NULL, (double[]){NAN}, 0);
        nb_tensor_unref(t);
        t = eval1(g, outs[4], NULL, 0);
        check_tensor("sum nan", t, dts[d], 2, (int64_t[]){2, 2}, (double[]){6, NAN, NAN, 3}, 0);
        nb_tensor_unref(t);
        nb_graph_free(g);
    }
}

TEST(float32_sum_of_many_values_is_accurate) {
    int64_t n = 100000;
    float *v = malloc(sizeof(float) * (size_t)n);
    double want = 0;
    for (int64_t i = 0; i < n; i++) {
        v[i] = 0.1f + (float)(i % 7) * 0.01f;
        want += v[i];
    }
    nb_graph *g = nb_graph_new();
    nb_output x = nb_constant_array(g, NB_FLOAT32, 1, &n, v, NULL);
    nb_output x2 = nb_reshape(g, x, 2, (int64_t[]){1000, 100}, NULL);
    nb_tensor *t = eval1(g, nb_reduce_sum(g, x, NULL, NB_ALL_AXES, false, NULL), NULL, 0);
    CHECK(t && fabs(nb_tensor_scalar_f64(t) - want) <= 1e-5 * want);
    nb_tensor_unref(t);
    t = eval1(g, nb_reduce_mean(g, x2, (int[]){0}, 1, false, NULL), NULL, 0);
    CHECK(t && nb_tensor_size(t) == 100);
    for (int j = 0; t && j < 100; j++) {
        double w = 0;
        for (int i = 0; i < 1000; i++) w += v[i * 100 + j];
        CHECK_NEAR(nb_tensor_get_flat(t, j), w / 1000, 1e-5);
    }
    nb_tensor_unref(t);
    nb_graph_free(g);
    free(v);
}

/*** Shapes with unknown dims ***/

TEST(reduce_shape_inference_with_unknown_dims) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 3), "x");
    CHECK(shape_is(nb_output_shape(nb_reduce_sum(g, x, (int[]){0}, 1, false, NULL)), 1, (int64_t[]){3}));
    CHECK(shape_is(nb_output_shape(nb_reduce_sum(g, x, (int[]){1}, 1, false, NULL)), 1, (int64_t[]){-1}));
    CHECK(shape_is(nb_output_shape(nb_reduce_mean(g, x, (int[]){-1}, 1, true, NULL)), 2, (int64_t[]){-1, 1}));
    CHECK(shape_is(nb_output_shape(nb_reduce_max(g, x, (int[]){0}, 1, true, NULL)), 2, (int64_t[]){1, 3}));
    CHECK(shape_is(nb_output_shape(nb_reduce_min(g, x, NULL, NB_ALL_AXES, false, NULL)), 0, NULL));
    CHECK(shape_is(nb_output_shape(nb_reduce_prod(g, x, NULL, NB_ALL_AXES, true, NULL)), 2, (int64_t[]){1, 1}));
    /* axes given by a tensor known only at run time */
    nb_output ax = nb_placeholder(g, NB_INT32, NB_SHAPE(NB_DIM_UNKNOWN), "axes");
    nb_output s = nb_reduce_sum_t(g, x, ax, false, NULL);
    nb_output sk = nb_reduce_mean_t(g, x, ax, true, NULL);
    CHECK(nb_output_shape(s).rank == -1);
    CHECK(shape_is(nb_output_shape(sk), 2, (int64_t[]){-1, -1}));
    /* unknown rank */
    nb_output u = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, "u");
    nb_output su = nb_reduce_sum(g, u, (int[]){0}, 1, false, NULL);
    nb_output sa = nb_reduce_sum(g, u, NULL, NB_ALL_AXES, false, NULL);
    CHECK(nb_output_shape(su).rank == -1);
    CHECK_GRAPH_OK(g);

    double xv[12];
    for (int i = 0; i < 12; i++) xv[i] = i;
    nb_tensor *xt = mk(NB_FLOAT32, 2, (int64_t[]){4, 3}, xv);
    nb_tensor *at = mk(NB_INT32, 1, (int64_t[]){1}, (double[]){0});
    nb_feed f[2] = {{x, xt}, {ax, at}};
    nb_tensor *t = eval1(g, s, f, 2);
    check_tensor("sum_t", t, NB_FLOAT32, 1, (int64_t[]){3}, (double[]){18, 22, 26}, 0);
    nb_tensor_unref(t);
    t = eval1(g, sk, f, 2);
    check_tensor("mean_t keep", t, NB_FLOAT32, 2, (int64_t[]){1, 3}, (double[]){4.5, 5.5, 6.5}, 1e-7);
    nb_tensor_unref(t);
    nb_tensor *ut = mk(NB_FLOAT32, 3, (int64_t[]){2, 1, 2}, (double[]){1, 2, 3, 4});
    nb_feed fu = {u, ut};
    t = eval1(g, su, &fu, 1);
    check_tensor("sum unknown rank", t, NB_FLOAT32, 2, (int64_t[]){1, 2}, (double[]){4, 6}, 0);
    nb_tensor_unref(t);
    t = eval1(g, sa, &fu, 1);
    check_tensor("sum all unknown rank", t, NB_FLOAT32, 0, NULL, (double[]){10}, 0);
    nb_tensor_unref(t);
    nb_tensor_unref(ut);
    nb_tensor_unref(xt);
    nb_tensor_unref(at);
    nb_graph_free(g);
}

/*** Names ***/

TEST(reduce_default_names) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 3), NULL);
    nb_output s = nb_reduce_sum(g, x, (int[]){1}, 1, false, NULL);
    CHECK(strcmp(nb_op_name(s.op), "Sum") == 0);
    CHECK(strcmp(nb_op_type(s.op), "Sum") == 0);
    nb_output ax = nb_op_input(s.op, 1);
    CHECK(!nb_output_is_nil(ax) && strcmp(nb_op_name(ax.op), "Sum/reduction_indices") == 0);
    CHECK(!nb_output_is_nil(ax) && strcmp(nb_op_type(ax.op), "Const") == 0);
    nb_output s2 = nb_reduce_sum(g, x, (int[]){0}, 1, false, NULL);
    CHECK(strcmp(nb_op_name(s2.op), "Sum_1") == 0);
    CHECK(strcmp(nb_op_name(nb_op_input(s2.op, 1).op), "Sum_1/reduction_indices") == 0);
    /* all axes: a "Const" input in the current scope, as TF's reduce_sum(x) */
    nb_output a = nb_reduce_mean(g, x, NULL, NB_ALL_AXES, false, NULL);
    CHECK(strcmp(nb_op_name(a.op), "Mean") == 0);
    CHECK(strcmp(nb_op_name(nb_op_input(a.op, 1).op), "Const") == 0);
    nb_output a2 = nb_reduce_max(g, x, NULL, NB_ALL_AXES, false, NULL);
    CHECK(strcmp(nb_op_name(a2.op), "Max") == 0);
    CHECK(strcmp(nb_op_name(nb_op_input(a2.op, 1).op), "Const_1") == 0);
    CHECK(strcmp(nb_op_name(nb_reduce_prod(g, x, (int[]){0}, 1, false, NULL).op), "Prod") == 0);
    CHECK(strcmp(nb_op_name(nb_reduce_min(g, x, (int[]){0}, 1, false, NULL).op), "Min") == 0);
    nb_output n = nb_reduce_sum(g, x, (int[]){0}, 1, false, "total");
    CHECK(strcmp(nb_op_name(n.op), "total") == 0);
    CHECK(strcmp(nb_op_name(nb_op_input(n.op, 1).op), "total/reduction_indices") == 0);
    nb_output am = nb_argmax(g, x, 1, NULL);
    CHECK(strcmp(nb_op_name(am.op), "ArgMax") == 0);
    CHECK(strcmp(nb_op_name(nb_op_input(am.op, 1).op), "ArgMax/dimension") == 0);
    CHECK(strcmp(nb_op_name(nb_argmin(g, x, 1, NULL).op), "ArgMin") == 0);
    nb_name_scope_push(g, "loss");
    CHECK(strcmp(nb_op_name(nb_reduce_sum(g, x, (int[]){0}, 1, false, NULL).op), "loss/Sum") == 0);
    nb_output la = nb_reduce_sum(g, x, NULL, NB_ALL_AXES, false, NULL);
    CHECK(strcmp(nb_op_name(nb_op_input(la.op, 1).op), "loss/Const") == 0);
    nb_name_scope_pop(g);
    CHECK_GRAPH_OK(g);
    nb_graph_free(g);
}

/*** Errors ***/

TEST(reduce_errors) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 3), NULL);
    CHECK(nb_output_is_nil(nb_reduce_sum(g, x, (int[]){2}, 1, false, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "Invalid reduction dimension 2 for input with 2 dimensions");
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "for 'Sum' (op: 'Sum') with input shapes: [2,3], [1].");
    nb_graph_free(g);

    g = nb_graph_new();
    x = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 3), NULL);
    CHECK(nb_output_is_nil(nb_reduce_mean(g, x, (int[]){-3}, 1, false, NULL)));
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "Invalid reduction dimension -3");
    nb_graph_free(g);

    g = nb_graph_new();
    x = nb_zeros(g, NB_BOOL, NB_SHAPE(2), NULL);
    CHECK(nb_output_is_nil(nb_reduce_sum(g, x, NULL, NB_ALL_AXES, false, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_DTYPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "(op: 'Sum')");
    nb_graph_free(g);

    g = nb_graph_new();
    x = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2), NULL);
    nb_output fax = nb_zeros(g, NB_FLOAT32, NB_SHAPE(1), NULL);
    CHECK(nb_output_is_nil(nb_reduce_sum_t(g, x, fax, false, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_DTYPE);
    nb_graph_free(g);

    g = nb_graph_new();
    x = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2), NULL);
    CHECK(nb_output_is_nil(nb_reduce_sum(g, x, NULL, 3, false, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_INVALID_ARGUMENT);
    nb_graph_free(g);

    /* run time: fed axes out of range, and a fed input whose rank is too small */
    g = nb_graph_new();
    nb_output p = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, "p");
    nb_output ax = nb_placeholder(g, NB_INT32, NB_SHAPE(NB_DIM_UNKNOWN), "ax");
    nb_output s = nb_reduce_sum_t(g, p, ax, false, "red");
    nb_output s1 = nb_reduce_max(g, p, (int[]){1}, 1, false, "red1");
    CHECK_GRAPH_OK(g);
    nb_tensor *pv = nb_tensor_zeros(NB_FLOAT32, 1, (int64_t[]){4});
    nb_tensor *av = mk(NB_INT32, 1, (int64_t[]){1}, (double[]){5});
    nb_feed f[2] = {{p, pv}, {ax, av}};
    char msg[1024];
    CHECK_STATUS(run_error(g, s, f, 2, msg, sizeof msg), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(msg, "Invalid reduction dimension 5 for input with 1 dimensions");
    CHECK_STR_CONTAINS(msg, "red");
    CHECK_STATUS(run_error(g, s1, f, 1, msg, sizeof msg), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(msg, "red1");
    nb_tensor_unref(pv);
    nb_tensor_unref(av);
    nb_graph_free(g);
}

/* Issue 18: duplicate axes were accepted and reduced once. TF: "Invalid
 * reduction arguments: Axes contains duplicate dimension: N", N normalized. */
TEST(reduce_duplicate_axes) {
    static const int cases[][2] = {{0, 0}, {1, -1}, {-2, 0}};
    static const int want[] = {0, 1, 0};
    for (int c = 0; c < 3; c++) {
        nb_graph *g = nb_graph_new();
        nb_output x = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 3), NULL);
        CHECK(nb_output_is_nil(nb_reduce_sum(g, x, cases[c], 2, false, NULL)));
        CHECK_STATUS(nb_graph_status(g), NB_ERR_INVALID_ARGUMENT);
        char m[200];
        snprintf(m, sizeof m,
                 "Invalid reduction arguments: Axes contains duplicate dimension: %d for 'Sum' "
                 "(op: 'Sum') with input shapes: [2,3], [2].", want[c]);
        CHECK(!strcmp(nb_graph_errmsg(g), m));
        nb_graph_free(g);
    }
    /* fed: at run time, for every reduction */
    nb_graph *g = nb_graph_new();
    nb_output p = nb_placeholder(g, NB_FLOAT64, NB_SHAPE_UNKNOWN_RANK, "p");
    nb_output ax = nb_placeholder(g, NB_INT64, NB_SHAPE(NB_DIM_UNKNOWN), "ax");
    nb_output ops[3] = {nb_reduce_sum_t(g, p, ax, false, "s"), nb_reduce_mean_t(g, p, ax, true, "m"),
                        nb_reduce_max(g, p, (int[]){1, -1}, 2, false, "mx")};
    CHECK_GRAPH_OK(g);
    nb_tensor *pv = nb_tensor_ones(NB_FLOAT64, 2, (int64_t[]){2, 3});
    nb_tensor *av = mk(NB_INT64, 1, (int64_t[]){2}, (double[]){1, -1});
    nb_feed f[2] = {{p, pv}, {ax, av}};
    char msg[1024];
    for (int i = 0; i < 3; i++) {
        CHECK_STATUS(run_error(g, ops[i], f, i < 2 ? 2 : 1, msg, sizeof msg), NB_ERR_INVALID_ARGUMENT);
        CHECK_STR_CONTAINS(msg, "Invalid reduction arguments: Axes contains duplicate dimension: 1\n"
                                "\t [[{{node ");
        CHECK_STR_CONTAINS(msg, i == 0 ? "node s}}" : i == 1 ? "node m}}" : "node mx}}");
    }
    /* distinct axes still reduce: sum over {1, 0} of ones(2,3) is 6 */
    nb_tensor_unref(av);
    av = mk(NB_INT64, 1, (int64_t[]){2}, (double[]){1, 0});
    f[1].value = av;
    nb_tensor *t = eval1(g, ops[0], f, 2);
    CHECK(t && nb_tensor_rank(t) == 0 && nb_tensor_scalar_f64(t) == 6.0);
    nb_tensor_unref(t);
    /* an int64 axis is read exactly (through a double 2^62 + 1 became 2^62) */
    nb_tensor_unref(av);
    av = nb_tensor_new(NB_INT64, 1, (int64_t[]){1}, (int64_t[]){((int64_t)1 << 62) + 1});
    f[1].value = av;
    CHECK_STATUS(run_error(g, ops[0], f, 2, msg, sizeof msg), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(msg, "Invalid reduction dimension 4611686018427387905 for input with 2 dimensions");
    nb_tensor_unref(av);
    av = nb_tensor_new(NB_INT64, 1, (int64_t[]){1}, (int64_t[]){INT64_MAX});
    f[1].value = av;
    CHECK_STATUS(run_error(g, ops[0], f, 2, msg, sizeof msg), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(msg, "Invalid reduction dimension 9223372036854775807 for input");
    nb_tensor_unref(av);
    nb_tensor_unref(pv);
    nb_graph_free(g);
}

/*** ArgMax, ArgMin ***/

static void arg_case(nb_dtype dt, int rank, const int64_t *dims, int axis, const double *v) {
    int ax = axis < 0 ? axis + rank : axis;
    int64_t od[8], outer = 1, inner = 1, n = dims[ax];
    int orank = 0;
    for (int i = 0; i < rank; i++) {
        if (i == ax) continue;
        od[orank++] = dims[i];
        if (i < ax) outer *= dims[i];
        else inner *= dims[i];
    }
    double emax[64], emin[64];
    for (int64_t a = 0; a < outer; a++)
        for (int64_t c = 0; c < inner; c++) {
            int64_t bi = 0, si = 0;
            for (int64_t b = 1; b < n; b++) {
                double x = v[(a * n + b) * inner + c];
                if (x > v[(a * n + bi) * inner + c]) bi = b;
                if (x < v[(a * n + si) * inner + c]) si = b;
            }
            emax[a * inner + c] = (double)bi;
            emin[a * inner + c] = (double)si;
        }
    nb_graph *g = nb_graph_new();
    nb_output x = cst(g, dt, rank, dims, v);
    nb_output am = nb_argmax(g, x, axis, NULL), an = nb_argmin(g, x, axis, NULL);
    CHECK_GRAPH_OK(g);
    CHECK(nb_output_dtype(am) == NB_INT64);
    CHECK(shape_is(nb_output_shape(am), orank, od));
    char ctx[64];
    snprintf(ctx, sizeof ctx, "argmax %s axis %d", nb_dtype_name(dt), axis);
    nb_tensor *t = eval1(g, am, NULL, 0);
    check_tensor(ctx, t, NB_INT64, orank, od, emax, 0);
    nb_tensor_unref(t);
    ctx[4] = 'i';
    ctx[5] = 'n';
    t = eval1(g, an, NULL, 0);
    check_tensor(ctx, t, NB_INT64, orank, od, emin, 0);
    nb_tensor_unref(t);
    nb_graph_free(g);
}

TEST(argmax_argmin_values_and_ties) {
    static const nb_dtype dts[] = {NB_FLOAT32, NB_FLOAT64, NB_INT32, NB_INT64, NB_UINT8};
    int64_t dims[3] = {2, 3, 4};
    double v[24];
    for (int i = 0; i < 24; i++) v[i] = (double)((i * 5 + 2) % 7); /* many ties */
    for (int d = 0; d < 5; d++)
        for (int a = -3; a < 3; a++) arg_case(dts[d], 3, dims, a, v);
    /* ties: the first occurrence wins */
    double t1[] = {3, 7, 7, 1, 1, 7};
    arg_case(NB_FLOAT32, 1, (int64_t[]){6}, 0, t1);
    nb_graph *g = nb_graph_new();
    nb_output x = cst(g, NB_INT32, 2, (int64_t[]){2, 3}, (double[]){5, 5, 5, 2, 9, 9});
    nb_tensor *t = eval1(g, nb_argmax(g, x, 1, NULL), NULL, 0);
    check_tensor("argmax ties", t, NB_INT64, 1, (int64_t[]){2}, (double[]){0, 1}, 0);
    nb_tensor_unref(t);
    t = eval1(g, nb_argmin(g, x, -1, NULL), NULL, 0);
    check_tensor("argmin ties", t, NB_INT64, 1, (int64_t[]){2}, (double[]){0, 0}, 0);
    nb_tensor_unref(t);
    /* [0,3] along the non-empty axis gives an empty result */
    nb_output e = nb_zeros(g, NB_FLOAT32, NB_SHAPE(0, 3), NULL);
    t = eval1(g, nb_argmax(g, e, 1, NULL), NULL, 0);
    check_tensor("argmax empty", t, NB_INT64, 1, (int64_t[]){0}, NULL, 0);
    nb_tensor_unref(t);
    /* unknown dims stay unknown */
    nb_output p = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 3), NULL);
    CHECK(shape_is(nb_output_shape(nb_argmax(g, p, 1, NULL)), 1, (int64_t[]){-1}));
    CHECK(shape_is(nb_output_shape(nb_argmin(g, p, 0, NULL)), 1, (int64_t[]){3}));
    CHECK_GRAPH_OK(g);
    nb_graph_free(g);
}

TEST(argmax_errors) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 3), NULL);
    CHECK(nb_output_is_nil(nb_argmax(g, x, 2, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "Expected dimension in the range [-2, 2), but got 2");
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "'ArgMax' (op: 'ArgMax')");
    nb_graph_free(g);

    g = nb_graph_new();
    x = nb_zeros(g, NB_BOOL, NB_SHAPE(2), NULL);
    CHECK(nb_output_is_nil(nb_argmin(g, x, 0, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_DTYPE);
    nb_graph_free(g);

    /* run time: an empty reduction axis has no arg max */
    g = nb_graph_new();
    nb_output p = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, NB_DIM_UNKNOWN), "p");
    nb_output am = nb_argmax(g, p, 1, "am");
    CHECK_GRAPH_OK(g);
    nb_tensor *pv = nb_tensor_zeros(NB_FLOAT32, 2, (int64_t[]){2, 0});
    nb_feed f = {p, pv};
    char msg[1024];
    CHECK_STATUS(run_error(g, am, &f, 1, msg, sizeof msg), NB_ERR_INVALID_ARGUMENT);
    /* TF's text names the axis as given and the shape */
    CHECK_STR_CONTAINS(msg, "Reduction axis 1 is empty in shape [2,0]\n\t [[{{node am}} = ArgMax]]");
    nb_output an = nb_argmin(g, p, -1, "an");
    CHECK_STATUS(run_error(g, an, &f, 1, msg, sizeof msg), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(msg, "Reduction axis -1 is empty in shape [2,0]\n\t [[{{node an}} = ArgMin]]");
    nb_tensor_unref(pv);
    nb_graph_free(g);
}

/* TF1's output_type: int32 output by hand, along each axis of a [2, 2, 2]
 * tensor; another dtype is a dtype error naming the builder. */
TEST(argmax_output_type) {
    nb_graph *g = nb_graph_new();
    /* x[i][j][k]: [[[3, -1], [0, 4]], [[5, 5], [-2, 7]]] */
    nb_output x = cst(g, NB_FLOAT32, 3, (int64_t[]){2, 2, 2}, (double[]){3, -1, 0, 4, 5, 5, -2, 7});
    /* axis 0 compares x[0][j][k] with x[1][j][k]: (3,5) (-1,5) (0,-2) (4,7) */
    nb_tensor *t = eval1(g, nb_argmax_ex(g, x, 0, NB_INT32, NULL), NULL, 0);
    check_tensor("argmax int32 axis 0", t, NB_INT32, 2, (int64_t[]){2, 2}, (double[]){1, 1, 0, 1}, 0);
    nb_tensor_unref(t);
    t = eval1(g, nb_argmin_ex(g, x, 0, NB_INT32, NULL), NULL, 0);
    check_tensor("argmin int32 axis 0", t, NB_INT32, 2, (int64_t[]){2, 2}, (double[]){0, 0, 1, 0}, 0);
    nb_tensor_unref(t);
    /* axis 1: (3,0) (-1,4) (5,-2) (5,7) */
    t = eval1(g, nb_argmax_ex(g, x, 1, NB_INT32, NULL), NULL, 0);
    check_tensor("argmax int32 axis 1", t, NB_INT32, 2, (int64_t[]){2, 2}, (double[]){0, 1, 0, 1}, 0);
    nb_tensor_unref(t);
    /* axis -1: (3,-1) (0,4) (5,5: the first) (-2,7) */
    t = eval1(g, nb_argmin_ex(g, x, -1, NB_INT32, NULL), NULL, 0);
    check_tensor("argmin int32 axis -1", t, NB_INT32, 2, (int64_t[]){2, 2}, (double[]){1, 0, 0, 0}, 0);
    nb_tensor_unref(t);
    t = eval1(g, nb_argmax_ex(g, x, -1, NB_INT64, NULL), NULL, 0);
    check_tensor("argmax int64 axis -1", t, NB_INT64, 2, (int64_t[]){2, 2}, (double[]){0, 1, 0, 1}, 0);
    nb_tensor_unref(t);
    nb_output am = nb_argmax_ex(g, x, 0, NB_INT32, "am");
    CHECK(nb_output_dtype(am) == NB_INT32);
    CHECK_GRAPH_OK(g);
    nb_graph_free(g);

    g = nb_graph_new();
    x = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 3), NULL);
    CHECK(nb_output_is_nil(nb_argmax_ex(g, x, 1, NB_FLOAT32, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_DTYPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "nb_argmax_ex: Value for attr 'output_type' of float is not in the list "
                                           "of allowed values: int32, int64");
    nb_graph_clear_error(g);
    CHECK(nb_output_is_nil(nb_argmin_ex(g, x, 1, NB_DTYPE_INVALID, NULL)));
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "nb_argmin_ex: Value for attr 'output_type' of an invalid dtype is not");
    nb_graph_free(g);
}

/*** Coverage: every op of reduce.def is tested ***/

/*** Prod's gradient where inputs are zero ***/

/* d prod(x over a group) / d x_i is the product of the OTHER elements of x_i's
 * group: one zero gives the others 0 and itself the product of the rest; two
 * zeros give 0 to all. Checked against that product computed by a naive loop
 * here, and against central finite differences of the forward op (exact up to
 * rounding: prod is linear in each x_i). Shapes known and unknown, keep_dims
 * on and off, several axis sets. */
static void prod_grad_case(const char *ctx, int rank, const int64_t *dims, const int *axes, int n_axes,
                           bool keep, bool unknown, const double *v) {
    int64_t n = numel(rank, dims);
    nb_graph *g = nb_graph_new();
    int64_t ud[NB_MAX_RANK];
    for (int i = 0; i < rank; i++) ud[i] = unknown ? NB_DIM_UNKNOWN : dims[i];
    nb_output x = nb_placeholder(g, NB_FLOAT64, nb_shape_make(rank, ud), "x");
    nb_output y = nb_reduce_prod(g, x, axes, n_axes, keep, "p");
    nb_output loss = nb_reduce_sum(g, y, NULL, NB_ALL_AXES, false, NULL);
    nb_output dx;
    nb_gradients(g, &loss, 1, &x, 1, NULL, &dx);
    CHECK_GRAPH_OK(g);
    bool red[NB_MAX_RANK] = {false};
    for (int a = 0; a < n_axes; a++) red[(axes[a] + rank) % rank] = true;
    double want[64], fd[64];
    for (int64_t i = 0; i < n; i++) { /* naive: product over j in i's group, j != i */
        double prod = 1;
        for (int64_t j = 0; j < n; j++) {
            if (j == i) continue;
            bool same = true;
            int64_t ri = i, rj = j;
            for (int d = rank - 1; d >= 0; d--) {
                if (!red[d] && ri % dims[d] != rj % dims[d]) same = false;
                ri /= dims[d];
                rj /= dims[d];
            }
            if (same) prod *= v[j];
        }
        want[i] = prod;
    }
    nb_tensor *xt = mk(NB_FLOAT64, rank, dims, v);
    nb_feed f = {x, xt};
    nb_tensor *gt = eval1(g, dx, &f, 1);
    check_tensor(ctx, gt, NB_FLOAT64, rank, dims, want, 1e-12);
    const double h = 1e-3;
    for (int64_t i = 0; i < n; i++) {
        double *xv = nb_tensor_data(xt);
        xv[i] = v[i] + h;
        nb_tensor *lp = eval1(g, loss, &f, 1);
        xv[i] = v[i] - h;
        nb_tensor *lm = eval1(g, loss, &f, 1);
        xv[i] = v[i];
        fd[i] = (nb_tensor_scalar_f64(lp) - nb_tensor_scalar_f64(lm)) / (2 * h);
        nb_tensor_unref(lp);
        nb_tensor_unref(lm);
    }
    char c2[160];
    snprintf(c2, sizeof c2, "%s (finite differences)", ctx);
    check_tensor(c2, gt, NB_FLOAT64, rank, dims, fd, 1e-8);
    nb_tensor_unref(gt);
    nb_tensor_unref(xt);
    nb_graph_free(g);
}

TEST(prod_gradient_with_zeros) {
    const int64_t d23[2] = {2, 3}, d234[3] = {2, 3, 4}, d5[1] = {5};
    /* negative values; one zero in a group; two zeros in a group; a group of zeros */
    const double a[6] = {-1.5, 2, 0.5, 3, -0.25, 4};
    const double b[6] = {-1.5, 0, 0.5, 3, -0.25, 4};
    const double c[6] = {0, 0, 0.5, 3, 0, 4};
    const double e[5] = {2, 0, -3, 0.5, 1.5};
    const double *vs[3] = {a, b, c};
    const int ax0[1] = {0}, ax1[1] = {-1}, ax01[2] = {0, 1};
    char ctx[128];
    for (int k = 0; k < 3; k++)
        for (int unk = 0; unk < 2; unk++)
            for (int keep = 0; keep < 2; keep++) {
                snprintf(ctx, sizeof ctx, "prod grad v%d axis 0 keep %d unknown %d", k, keep, unk);
                prod_grad_case(ctx, 2, d23, ax0, 1, keep, unk, vs[k]);
                snprintf(ctx, sizeof ctx, "prod grad v%d axis -1 keep %d unknown %d", k, keep, unk);
                prod_grad_case(ctx, 2, d23, ax1, 1, keep, unk, vs[k]);
                snprintf(ctx, sizeof ctx, "prod grad v%d all axes keep %d unknown %d", k, keep, unk);
                prod_grad_case(ctx, 2, d23, ax01, 2, keep, unk, vs[k]);
            }
    prod_grad_case("prod grad vector with one zero", 1, d5, ax0, 1, false, false, e);
    double w[24];
    for (int i = 0; i < 24; i++) w[i] = (i % 7 == 3) ? 0 : (i % 2 ? -1.0 : 1.0) * (0.5 + 0.1 * i);
    const int ax02[2] = {0, 2}, ax1b[1] = {1};
    prod_grad_case("prod grad rank 3 axes {0,2}", 3, d234, ax02, 2, false, false, w);
    prod_grad_case("prod grad rank 3 axes {0,2} unknown", 3, d234, ax02, 2, true, true, w);
    prod_grad_case("prod grad rank 3 axis 1", 3, d234, ax1b, 1, false, false, w);
}

TEST(every_reduce_op_is_covered) {
    for (int e = NBI_OP_SUM; e <= NBI_OP_ARG_MIN; e++) {
        const char *name = nbi_registry[e]->type;
        bool found = strcmp(name, "ArgMax") == 0 || strcmp(name, "ArgMin") == 0;
        for (int r = 0; r < N_REDS && !found; r++) found = strcmp(reds[r].type, name) == 0;
        checks_++;
        if (!found) FAILF("reduce op %s has no test row", name);
    }
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
