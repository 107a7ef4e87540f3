/*
 * test_slicing.c — StridedSlice against a naive numpy-semantics reference over
 * many random index specs (ints, negative ints, slices with steps, None,
 * ...), on known and unknown shapes; its gradient op; Unpack, Split and SplitV;
 * bad input with TF1's messages; GraphDef round trips keeping the attributes.
 */
#include "harness.h"

#include <stdint.h>

/*** A naive reference: Python/numpy basic indexing ***/

enum { IT_INT, IT_SLICE, IT_NEW, IT_ELL };
typedef struct item {
    int type;
    int64_t start, stop, step; /* IT_INT: start is the index */
    bool has_start, has_stop, has_step;
} item;

/* numpy's slice.indices(len): the positions a slice takes. Returns the count. */
static int64_t slice_positions(const item *it, int64_t len, int64_t *pos) {
    int64_t step = it->has_step ? it->step : 1, start, stop;
    if (step > 0) {
        start = it->has_start ? it->start : 0;
        stop = it->has_stop ? it->stop : len;
        if (start < 0) start += len;
        if (stop < 0) stop += len;
        if (start < 0) start = 0;
        if (start > len) start = len;
        if (stop < 0) stop = 0;
        if (stop > len) stop = len;
    } else {
        start = it->has_start ? it->start : len - 1;
        stop = it->has_stop ? it->stop : -1 - len; /* "before 0" */
        if (start < 0) start += len;
        if (stop < 0) stop += len;
        if (start < -1) start = -1;
        if (start > len - 1) start = len - 1;
        if (stop < -1) stop = -1;
        if (stop > len - 1) stop = len - 1;
    }
    int64_t n = 0;
    for (int64_t p = start; step > 0 ? p < stop : p > stop; p += step) pos[n++] = p;
    return n;
}

/* x[items] for x of dims d (rank r) holding 0, 1, 2, ...: fills out dims and
 * values (the flat source index of each element). Returns false when numpy
 * would raise (too many indices, index out of range). */
static bool ref_index(int r, const int64_t *d, const item *items, int n, int *orank, int64_t *odims,
                      int64_t *vals, int64_t *nvals) {
    int consuming = 0, ell = -1;
    for (int i = 0; i < n; i++) {
        if (items[i].type == IT_INT || items[i].type == IT_SLICE) consuming++;
        if (items[i].type == IT_ELL) ell = i;
    }
    if (consuming > r) return false;
    item ex[64];
    int m = 0;
    item full = {IT_SLICE, 0, 0, 1, false, false, false};
    for (int i = 0; i < n; i++) {
        if (i == ell) {
            for (int k = 0; k < r - consuming; k++) ex[m++] = full;
        } else {
            ex[m++] = items[i];
        }
    }
    if (ell < 0)
        for (int k = 0; k < r - consuming; k++) ex[m++] = full;
    /* per input dim: the positions taken */
    int64_t pos[8][64], cnt[8];
    int dim = 0;
    *orank = 0;
    for (int i = 0; i < m; i++) {
        if (ex[i].type == IT_NEW) {
            odims[(*orank)++] = 1;
        } else if (ex[i].type == IT_INT) {
            int64_t v = ex[i].start < 0 ? ex[i].start + d[dim] : ex[i].start;
            if (v < 0 || v >= d[dim]) return false;
            pos[dim][0] = v;
            cnt[dim++] = 1;
        } else {
            cnt[dim] = slice_positions(&ex[i], d[dim], pos[dim]);
            odims[(*orank)++] = cnt[dim++];
        }
    }
    int64_t total = 1, stride[8];
    for (int i = 0; i < r; i++) total *= cnt[i];
    int64_t acc = 1;
    for (int i = r - 1; i >= 0; i--) {
        stride[i] = acc;
        acc *= d[i];
    }
    *nvals = total;
    for (int64_t k = 0; k < total; k++) {
        int64_t rem = k, off = 0;
        for (int i = r - 1; i >= 0; i--) {
            off += pos[i][rem % cnt[i]] * stride[i];
            rem /= cnt[i];
        }
        vals[k] = off;
    }
    return true;
}

/* TF's _slice_helper: items -> begin, end, strides and the masks. */
static void to_tf_spec(const item *items, int n, int64_t *b, int64_t *e, int64_t *s, int *masks) {
    for (int k = 0; k < 5; k++) masks[k] = 0;
    for (int i = 0; i < n; i++) {
        b[i] = e[i] = 0;
        s[i] = 1;
        switch (items[i].type) {
        case IT_INT:
            b[i] = items[i].start;
            e[i] = items[i].start + 1;
            masks[4] |= 1 << i;
            break;
        case IT_SLICE:
            if (items[i].has_start) b[i] = items[i].start;
            else masks[0] |= 1 << i;
            if (items[i].has_stop) e[i] = items[i].stop;
            else masks[1] |= 1 << i;
            if (items[i].has_step) s[i] = items[i].step;
            break;
        case IT_NEW: masks[3] |= 1 << i; break;
        case IT_ELL: masks[2] |= 1 << i; break;
        }
    }
}

static uint64_t rng = 88172645463325252ull;
static int64_t rnd(int64_t lo, int64_t hi) { /* inclusive */
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return lo + (int64_t)(rng % (uint64_t)(hi - lo + 1));
}

static nb_tensor *iota(nb_dtype dt, int r, const int64_t *d) {
    nb_tensor *t = nb_tensor_new(dt, r, d, NULL);
    for (int64_t i = 0; i < nb_tensor_size(t); i++) nb_tensor_set_flat(t, i, (double)i);
    return t;
}

static void describe(char *buf, size_t n, int r, const int64_t *d, const item *it, int ni) {
    size_t o = (size_t)snprintf(buf, n, "x%dd[", r);
    for (int i = 0; i < r; i++) o += (size_t)snprintf(buf + o, n - o, "%s%lld", i ? "," : "", (long long)d[i]);
    o += (size_t)snprintf(buf + o, n - o, "][");
    for (int i = 0; i < ni && o < n - 40; i++) {
        const item *x = &it[i];
        if (i) o += (size_t)snprintf(buf + o, n - o, ", ");
        if (x->type == IT_INT) o += (size_t)snprintf(buf + o, n - o, "%lld", (long long)x->start);
        else if (x->type == IT_NEW) o += (size_t)snprintf(buf + o, n - o, "None");
        else if (x->type == IT_ELL) o += (size_t)snprintf(buf + o, n - o, "...");
        else {
            if (x->has_start) o += (size_t)snprintf(buf + o, n - o, "%lld", (long long)x->start);
            o += (size_t)snprintf(buf + o, n - o, ":");
            if (x->has_stop) o += (size_t)snprintf(buf + o, n - o, "%lld", (long long)x->stop);
            if (x->has_step) o += (size_t)snprintf(buf + o, n - o, ":%lld", (long long)x->step);
        }
    }
    snprintf(buf + o, n - o, "]");
}

/* One random spec that numpy accepts, checked with known and unknown shapes. */
static void random_case(int trial) {
    int r = (int)rnd(0, 4);
    int64_t d[8];
    for (int i = 0; i < r; i++) d[i] = rnd(0, 5);
    item it[12];
    int n = 0, consuming = (int)rnd(0, r);
    bool ell = rnd(0, 2) == 0;
    int ell_at = ell ? (int)rnd(0, consuming) : -1, dim = 0;
    for (int c = 0; c <= consuming; c++) {
        if (c == ell_at) it[n++] = (item){IT_ELL, 0, 0, 0, false, false, false};
        while (rnd(0, 4) == 0 && n < 10) it[n++] = (item){IT_NEW, 0, 0, 0, false, false, false};
        if (c == consuming) break;
        /* with an ellipsis before, the item addresses a dim counted from the end */
        int64_t len = ell_at >= 0 && c >= ell_at ? d[r - (consuming - c)] : d[dim];
        dim++;
        if (len > 0 && rnd(0, 3) == 0) {
            it[n++] = (item){IT_INT, rnd(-len, len - 1), 0, 0, false, false, false};
        } else {
            item s = {IT_SLICE, rnd(-7, 7), rnd(-7, 7), 0, rnd(0, 2) > 0, rnd(0, 2) > 0, rnd(0, 1) == 1};
            static const int64_t steps[] = {-3, -2, -1, 1, 2, 3};
            s.step = steps[rnd(0, 5)];
            it[n++] = s;
        }
    }
    char what[256];
    describe(what, sizeof what, r, d, it, n);
    int orank;
    int64_t odims[16], vals[4096], nvals;
    if (!ref_index(r, d, it, n, &orank, odims, vals, &nvals)) {
        FAILF("trial %d: the generator made a spec numpy rejects: %s", trial, what);
        return;
    }
    int64_t b[12], e[12], s[12];
    int m[5];
    to_tf_spec(it, n, b, e, s, m);
    for (int dyn = 0; dyn < 2; dyn++) {
        nb_graph *g = nb_graph_new();
        int64_t pd[8];
        for (int i = 0; i < r; i++) pd[i] = dyn ? NB_DIM_UNKNOWN : d[i];
        nb_dtype dt = trial % 3 == 0 ? NB_INT32 : NB_FLOAT32;
        nb_output x = nb_placeholder(g, dt, nb_shape_make(r, pd), "x");
        nb_output y = nb_strided_slice(g, x, b, e, s, n, m[0], m[1], m[2], m[3], m[4], NULL);
        if (nb_graph_status(g) != NB_OK) {
            FAILF("%s%s: graph error: %s", what, dyn ? " (unknown dims)" : "", nb_graph_errmsg(g));
            nb_graph_free(g);
            continue;
        }
        nb_shape ys = nb_output_shape(y);
        checks_++;
        if (ys.rank != orank) {
            FAILF("%s: static rank %d, numpy's %d", what, ys.rank, orank);
        } else {
            for (int i = 0; i < orank; i++) {
                checks_++;
                /* known dims must be numpy's; with unknown input dims only new axes
                 * and full/shrunk dims may be known */
                if (ys.dims[i] != NB_DIM_UNKNOWN ? ys.dims[i] != odims[i] : !dyn)
                    FAILF("%s%s: static dim %d is %lld, numpy's %lld", what, dyn ? " (unknown dims)" : "", i,
                          (long long)ys.dims[i], (long long)odims[i]);
            }
        }
        nb_tensor *xv = iota(dt, r, d);
        nb_tensor *yv = eval1(g, y, &(nb_feed){x, xv}, 1);
        checks_++;
        if (!yv) {
            FAILF("%s: run failed", what);
        } else if (nb_tensor_rank(yv) != orank || nb_tensor_size(yv) != nvals) {
            FAILF("%s: result rank %d size %lld, numpy's rank %d size %lld", what, nb_tensor_rank(yv),
                  (long long)nb_tensor_size(yv), orank, (long long)nvals);
        } else {
            for (int i = 0; i < orank; i++) CHECK(nb_tensor_dims(yv)[i] == odims[i]);
            for (int64_t k = 0; k < nvals; k++) {
                checks_++;
                if (nb_tensor_get_flat(yv, k) != (double)vals[k]) {
                    FAILF("%s: element %lld is %g, numpy's %lld", what, (long long)k, nb_tensor_get_flat(yv, k),
                          (long long)vals[k]);
                    break;
                }
            }
        }
        nb_tensor_unref(yv);
        nb_tensor_unref(xv);
        nb_graph_free(g);
    }
}

TEST(strided_slice_matches_numpy_on_random_specs) {
    for (int t = 0; t < 600; t++) random_case(t);
}

/* Evaluates x[spec] for x = iota of dims d (float32) and compares with want. */
static void check_slice(int r, const int64_t *d, const int64_t *b, const int64_t *e, const int64_t *s, int n,
                        int bm, int em, int elm, int nm, int sm, int orank, const int64_t *odims,
                        const double *want) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, nb_shape_make(r, d), "x");
    nb_output y = nb_strided_slice(g, x, b, e, s, n, bm, em, elm, nm, sm, NULL);
    CHECK_GRAPH_OK(g);
    nb_tensor *xv = iota(NB_FLOAT32, r, d);
    nb_tensor *yv = eval1(g, y, &(nb_feed){x, xv}, 1);
    CHECK(yv && nb_tensor_rank(yv) == orank);
    if (yv && nb_tensor_rank(yv) == orank) {
        for (int i = 0; i < orank; i++) CHECK(nb_tensor_dims(yv)[i] == odims[i]);
        for (int64_t k = 0; k < nb_tensor_size(yv); k++) CHECK(nb_tensor_get_flat(yv, k) == want[k]);
    }
    nb_tensor_unref(xv);
    nb_tensor_unref(yv);
    nb_graph_free(g);
}

TEST(strided_slice_hand_cases) {
    /* x = [0..5] (shape [6]): x[::-1], x[-2:], x[1:100:2], x[4:1:-2], x[3:3] */
    int64_t d6[1] = {6};
    check_slice(1, d6, (int64_t[]){0}, (int64_t[]){0}, (int64_t[]){-1}, 1, 1, 1, 0, 0, 0, 1, (int64_t[]){6},
                (double[]){5, 4, 3, 2, 1, 0});
    check_slice(1, d6, (int64_t[]){-2}, (int64_t[]){0}, NULL, 1, 0, 1, 0, 0, 0, 1, (int64_t[]){2}, (double[]){4, 5});
    check_slice(1, d6, (int64_t[]){1}, (int64_t[]){100}, (int64_t[]){2}, 1, 0, 0, 0, 0, 0, 1, (int64_t[]){3},
                (double[]){1, 3, 5});
    check_slice(1, d6, (int64_t[]){4}, (int64_t[]){1}, (int64_t[]){-2}, 1, 0, 0, 0, 0, 0, 1, (int64_t[]){2},
                (double[]){4, 2});
    check_slice(1, d6, (int64_t[]){3}, (int64_t[]){3}, NULL, 1, 0, 0, 0, 0, 0, 1, (int64_t[]){0}, NULL);
    /* x[-1] of a vector is a scalar; x[...] of a scalar is the scalar; x[None] of a scalar is [1] */
    check_slice(1, d6, (int64_t[]){-1}, (int64_t[]){0}, NULL, 1, 0, 0, 0, 0, 1, 0, NULL, (double[]){5});
    check_slice(0, NULL, (int64_t[]){0}, (int64_t[]){0}, NULL, 1, 0, 0, 1, 0, 0, 0, NULL, (double[]){0});
    check_slice(0, NULL, (int64_t[]){0}, (int64_t[]){0}, NULL, 1, 0, 0, 0, 1, 0, 1, (int64_t[]){1}, (double[]){0});
    /* [2,3]: x[1:, ::-1, None] -> [[5, 4, 3]] as [1,3,1]; x[..., 0] -> [0, 3] */
    int64_t d23[2] = {2, 3};
    check_slice(2, d23, (int64_t[]){1, 0, 0}, (int64_t[]){0, 0, 0}, (int64_t[]){1, -1, 1}, 3, 2, 3, 0, 4,
                0, 3, (int64_t[]){1, 3, 1}, (double[]){5, 4, 3});
    check_slice(2, d23, (int64_t[]){0, 0}, (int64_t[]){0, 1}, NULL, 2, 0, 0, 1, 0, 2, 1, (int64_t[]){2},
                (double[]){0, 3});
    /* an empty input: [0,3][:, 1] -> [0] */
    int64_t d03[2] = {0, 3};
    check_slice(2, d03, (int64_t[]){0, 1}, (int64_t[]){0, 2}, NULL, 2, 1, 1, 0, 0, 2, 1, (int64_t[]){0}, NULL);
}

TEST(strided_slice_tensor_spec_and_int64_index) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(4, 3), "x");
    nb_output bp = nb_placeholder(g, NB_INT64, NB_SHAPE(2), "b");
    nb_output e = nb_constant_array(g, NB_INT64, 1, (int64_t[]){2}, (int64_t[]){4, 3}, NULL);
    nb_output s = nb_constant_array(g, NB_INT64, 1, (int64_t[]){2}, (int64_t[]){2, 1}, NULL);
    nb_output y = nb_strided_slice_t(g, x, bp, e, s, 0, 0, 0, 0, 0, NULL);
    CHECK_GRAPH_OK(g);
    CHECK(!strcmp(nb_op_name(y.op), "StridedSlice"));
    nb_shape ys = nb_output_shape(y);
    CHECK(ys.rank == 2 && ys.dims[0] == NB_DIM_UNKNOWN && ys.dims[1] == NB_DIM_UNKNOWN);
    nb_tensor *xv = iota(NB_FLOAT64, 2, (int64_t[]){4, 3});
    nb_tensor *bv = nb_tensor_new(NB_INT64, 1, (int64_t[]){2}, (int64_t[]){1, -2});
    nb_tensor *yv = eval1(g, y, (nb_feed[]){{x, xv}, {bp, bv}}, 2);
    /* rows 1, 3; columns 1, 2 */
    CHECK(yv && nb_tensor_size(yv) == 4);
    if (yv && nb_tensor_size(yv) == 4) {
        CHECK(nb_tensor_get_flat(yv, 0) == 4 && nb_tensor_get_flat(yv, 1) == 5);
        CHECK(nb_tensor_get_flat(yv, 2) == 10 && nb_tensor_get_flat(yv, 3) == 11);
    }
    nb_tensor_unref(yv);
    nb_tensor_unref(bv);
    nb_tensor_unref(xv);
    /* the int-array constructor's names follow TF's indexing */
    nb_output z = nb_strided_slice(g, x, (int64_t[]){1}, (int64_t[]){2}, NULL, 1, 0, 0, 0, 0, 1, NULL);
    CHECK_GRAPH_OK(g);
    CHECK(!strcmp(nb_op_name(z.op), "strided_slice"));
    CHECK(nb_graph_find_op(g, "strided_slice/stack") && nb_graph_find_op(g, "strided_slice/stack_1") &&
          nb_graph_find_op(g, "strided_slice/stack_2"));
    nb_shape zs = nb_output_shape(z);
    CHECK(zs.rank == 1 && zs.dims[0] == 3);
    nb_graph_free(g);
}

/* Building x[spec] on x of the given static shape records exactly msg. */
static void check_build_error(nb_shape xs, const int64_t *b, const int64_t *e, const int64_t *s, int n, int bm,
                              int em, int elm, int nm, int sm, nb_status code, const char *msg) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, xs, "x");
    nb_output y = nb_strided_slice(g, x, b, e, s, n, bm, em, elm, nm, sm, NULL);
    CHECK(nb_output_is_nil(y));
    CHECK_STATUS(nb_graph_status(g), code);
    checks_++;
    if (strcmp(nb_graph_errmsg(g), msg)) FAILF("message \"%s\", expected \"%s\"", nb_graph_errmsg(g), msg);
    nb_graph_free(g);
}

TEST(strided_slice_bad_input_messages) {
    check_build_error(NB_SHAPE(3), (int64_t[]){5}, (int64_t[]){6}, NULL, 1, 0, 0, 0, 0, 1, NB_ERR_INVALID_ARGUMENT,
                      "slice index 5 of dimension 0 out of bounds. for 'strided_slice' (op: 'StridedSlice') with "
                      "input shapes: [3], [1], [1], [1].");
    check_build_error(NB_SHAPE(3), (int64_t[]){-4}, (int64_t[]){-3}, NULL, 1, 0, 0, 0, 0, 1,
                      NB_ERR_INVALID_ARGUMENT,
                      "slice index -1 of dimension 0 out of bounds. for 'strided_slice' (op: 'StridedSlice') with "
                      "input shapes: [3], [1], [1], [1].");
    check_build_error(NB_SHAPE(3, 2), (int64_t[]){0, 0}, (int64_t[]){1, 1}, (int64_t[]){1, 0}, 2, 0, 0, 0, 0, 0,
                      NB_ERR_INVALID_ARGUMENT,
                      "strides[1] must be non-zero for 'strided_slice' (op: 'StridedSlice') with input shapes: "
                      "[3,2], [2], [2], [2].");
    check_build_error(NB_SHAPE(3, 2), (int64_t[]){0, 0}, (int64_t[]){0, 0}, NULL, 2, 0, 0, 3, 0, 0,
                      NB_ERR_INVALID_ARGUMENT,
                      "Multiple ellipses in slice spec not allowed for 'strided_slice' (op: 'StridedSlice') with "
                      "input shapes: [3,2], [2], [2], [2].");
    check_build_error(NB_SHAPE(3), (int64_t[]){0, 0}, (int64_t[]){1, 1}, NULL, 2, 0, 0, 0, 0, 3,
                      NB_ERR_INVALID_ARGUMENT,
                      "Index out of range using input dim 1; input has only 1 dims for 'strided_slice' (op: "
                      "'StridedSlice') with input shapes: [3], [2], [2], [2].");
    check_build_error(NB_SHAPE(3), (int64_t[]){1}, (int64_t[]){2}, (int64_t[]){-1}, 1, 0, 0, 0, 0, 1,
                      NB_ERR_INVALID_ARGUMENT,
                      "only stride 1 allowed on non-range indexing. for 'strided_slice' (op: 'StridedSlice') with "
                      "input shapes: [3], [1], [1], [1].");
    /* mismatched index inputs */
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3), "x");
    nb_output b = nb_constant_array(g, NB_INT32, 1, (int64_t[]){1}, (int32_t[]){0}, "b");
    nb_output e = nb_constant_array(g, NB_INT64, 1, (int64_t[]){1}, (int64_t[]){1}, "e");
    CHECK(nb_output_is_nil(nb_strided_slice_t(g, x, b, e, b, 0, 0, 0, 0, 0, "ss")));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_DTYPE);
    CHECK(!strcmp(nb_graph_errmsg(g), "Input 'end' of 'StridedSlice' Op has type int64 that does not match "
                                      "type int32 of argument 'begin' for 'ss' (op: 'StridedSlice') with input "
                                      "shapes: [3], [1], [1], [1]."));
    nb_graph_free(g);
    /* known only at run time: the run fails with the message */
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN), "x");
    nb_output y = nb_strided_slice(g, x, (int64_t[]){5}, (int64_t[]){6}, NULL, 1, 0, 0, 0, 0, 1, NULL);
    CHECK_GRAPH_OK(g);
    nb_tensor *xv = iota(NB_FLOAT32, 1, (int64_t[]){3});
    nb_session *s = nb_session_new(g);
    nb_tensor *yv = nb_session_eval(s, y, &(nb_feed){x, xv}, 1);
    CHECK(yv == NULL);
    CHECK_STR_CONTAINS(nb_session_errmsg(s), "slice index 5 of dimension 0 out of bounds.");
    CHECK_STR_CONTAINS(nb_session_errmsg(s), "strided_slice");
    nb_session_free(s);
    /* begin fed with the wrong length */
    nb_output bp = nb_placeholder(g, NB_INT32, NB_SHAPE(NB_DIM_UNKNOWN), "bp");
    nb_output one = nb_constant_array(g, NB_INT32, 1, (int64_t[]){1}, (int32_t[]){1}, NULL);
    nb_output y2 = nb_strided_slice_t(g, x, bp, one, one, 0, 0, 0, 0, 0, NULL);
    CHECK_GRAPH_OK(g);
    nb_tensor *bv = nb_tensor_new(NB_INT32, 1, (int64_t[]){2}, (int32_t[]){0, 0});
    s = nb_session_new(g);
    CHECK(nb_session_eval(s, y2, (nb_feed[]){{x, xv}, {bp, bv}}, 2) == NULL);
    CHECK_STR_CONTAINS(nb_session_errmsg(s), "Expected begin, end, and strides to be 1D equal size tensors, "
                                             "but got shapes [2], [1], and [1] instead.");
    nb_session_free(s);
    nb_tensor_unref(bv);
    nb_tensor_unref(xv);
    nb_graph_free(g);
}

/* The gradient scatters dy into zeros: d sum(w * x[spec]) / dx = w placed back. */
TEST(strided_slice_gradient_places_dy) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3, 4), "x");
    /* x[::-2, 1::2] -> rows 2, 0; cols 1, 3 */
    nb_output y = nb_strided_slice(g, x, (int64_t[]){0, 1}, (int64_t[]){0, 0}, (int64_t[]){-2, 2}, 2, 1, 3, 0, 0, 0,
                                   NULL);
    nb_output w = nb_constant_array(g, NB_FLOAT32, 2, (int64_t[]){2, 2}, (float[]){1, 2, 3, 4}, NULL);
    nb_output loss = nb_reduce_sum(g, nb_multiply(g, y, w, NULL), NULL, NB_ALL_AXES, false, NULL);
    nb_output d;
    nb_gradients(g, &loss, 1, &x, 1, NULL, &d);
    CHECK_GRAPH_OK(g);
    CHECK(!strcmp(nb_op_type(d.op), "StridedSliceGrad"));
    nb_shape ds = nb_output_shape(d);
    CHECK(ds.rank == 2 && ds.dims[0] == 3 && ds.dims[1] == 4);
    nb_tensor *xv = iota(NB_FLOAT32, 2, (int64_t[]){3, 4});
    nb_tensor *dv = eval1(g, d, &(nb_feed){x, xv}, 1);
    double want[12] = {0, 3, 0, 4, 0, 0, 0, 0, 0, 1, 0, 2};
    CHECK(dv && nb_tensor_size(dv) == 12);
    for (int i = 0; dv && i < 12; i++) CHECK(nb_tensor_get_flat(dv, i) == want[i]);
    nb_tensor_unref(dv);
    nb_tensor_unref(xv);
    nb_graph_free(g);
}

/* Export -> import keeps the masks: the imported graph computes the same. */
static void graphdef_round_trip_same(nb_graph *g, const char *fetch, const char *feed, nb_tensor *xv) {
    void *bytes = NULL;
    size_t len = 0;
    CHECK_STATUS(nb_graph_to_graphdef(g, &bytes, &len), NB_OK);
    nb_graph *g2 = nb_graph_new();
    nb_error err;
    CHECK_STATUS(nb_graph_import_graphdef(g2, bytes, len, NULL, &err), NB_OK);
    void *bytes2 = NULL;
    size_t len2 = 0;
    CHECK_STATUS(nb_graph_to_graphdef(g2, &bytes2, &len2), NB_OK);
    CHECK(len == len2 && bytes && bytes2 && !memcmp(bytes, bytes2, len));
    nb_output a = nb_graph_find_output(g, fetch), b = nb_graph_find_output(g2, fetch);
    nb_output fa = nb_graph_find_output(g, feed), fb = nb_graph_find_output(g2, feed);
    CHECK(!nb_output_is_nil(b) && !nb_output_is_nil(fb));
    if (!nb_output_is_nil(b) && !nb_output_is_nil(fb)) {
        nb_tensor *va = eval1(g, a, &(nb_feed){fa, xv}, 1), *vb = eval1(g2, b, &(nb_feed){fb, xv}, 1);
        CHECK(va && vb && nb_tensor_size(va) == nb_tensor_size(vb) && nb_tensor_rank(va) == nb_tensor_rank(vb));
        for (int64_t i = 0; va && vb && i < nb_tensor_size(va) && i < nb_tensor_size(vb); i++)
            CHECK(nb_tensor_get_flat(va, i) == nb_tensor_get_flat(vb, i));
        nb_tensor_unref(va);
        nb_tensor_unref(vb);
    }
    free(bytes);
    free(bytes2);
    nb_graph_free(g2);
}

TEST(strided_slice_graphdef_round_trip) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3, 4, 2), "x");
    /* x[1:, None, ..., ::-1, 0] */
    nb_output y = nb_strided_slice(g, x, (int64_t[]){1, 0, 0, 0, 0}, (int64_t[]){0, 0, 0, 0, 1},
                                   (int64_t[]){1, 1, 1, -1, 1}, 5, 8, 1 | 8, 4, 2, 16, "y");
    nb_output d;
    nb_output loss = nb_reduce_sum(g, y, NULL, NB_ALL_AXES, false, NULL);
    nb_gradients(g, &loss, 1, &x, 1, NULL, &d);
    CHECK_GRAPH_OK(g);
    nb_shape ys = nb_output_shape(y);
    CHECK(ys.rank == 3 && ys.dims[0] == 2 && ys.dims[1] == 1 && ys.dims[2] == 4);
    nb_tensor *xv = iota(NB_FLOAT32, 3, (int64_t[]){3, 4, 2});
    graphdef_round_trip_same(g, "y:0", "x:0", xv);
    char name[256];
    nb_output_name(d, name, sizeof name);
    graphdef_round_trip_same(g, name, "x:0", xv);
    nb_tensor_unref(xv);
    nb_graph_free(g);
}


/*** Unpack, Split, SplitV ***/

/* Output k of op as a tensor, evaluated with x fed. */
static nb_tensor *eval_out(nb_graph *g, nb_op *op, int k, nb_output x, nb_tensor *xv) {
    return eval1(g, nb_op_output(op, k), &(nb_feed){x, xv}, 1);
}

/* Output k of a piece along axis ax of iota(d) equals the naive element at
 * the same position with the offset `off` added along ax. */
static void check_piece(const nb_tensor *t, int r, const int64_t *d, int ax, int64_t off, int64_t len, bool dropped) {
    CHECK(t != NULL);
    if (!t) return;
    int64_t pd[8];
    int pr = 0;
    for (int i = 0; i < r; i++) {
        if (i == ax && dropped) continue;
        pd[pr++] = i == ax ? len : d[i];
    }
    checks_++;
    if (nb_tensor_rank(t) != pr) {
        FAILF("piece rank %d, expected %d", nb_tensor_rank(t), pr);
        return;
    }
    for (int i = 0; i < pr; i++) CHECK(nb_tensor_dims(t)[i] == pd[i]);
    int64_t n = nb_tensor_size(t);
    for (int64_t k = 0; k < n; k++) {
        /* multi-index in the piece -> flat index in x */
        int64_t rem = k, idx[8], src = 0, acc = 1;
        for (int i = pr - 1; i >= 0; i--) {
            idx[i] = rem % pd[i];
            rem /= pd[i];
        }
        int64_t full[8];
        for (int i = 0, j = 0; i < r; i++) full[i] = (i == ax && dropped) ? off : (i == ax ? idx[j++] + off : idx[j++]);
        for (int i = r - 1; i >= 0; i--) {
            src += full[i] * acc;
            acc *= d[i];
        }
        checks_++;
        if (nb_tensor_get_flat(t, k) != (double)src) {
            FAILF("piece element %lld is %g, expected %lld", (long long)k, nb_tensor_get_flat(t, k), (long long)src);
            return;
        }
    }
}

TEST(unstack_forward_and_edges) {
    int64_t d[3] = {2, 3, 4};
    for (int ax = -3; ax < 3; ax++)
        for (int dyn = 0; dyn < 2; dyn++) {
            nb_graph *g = nb_graph_new();
            int64_t pd[3] = {d[0], d[1], d[2]};
            int a = ax < 0 ? ax + 3 : ax;
            if (dyn) pd[(a + 1) % 3] = NB_DIM_UNKNOWN;
            nb_output x = nb_placeholder(g, NB_FLOAT64, nb_shape_make(3, pd), "x");
            nb_output u = nb_unstack(g, x, dyn ? (int)d[a] : -1, ax, NULL);
            CHECK_GRAPH_OK(g);
            if (nb_output_is_nil(u)) {
                nb_graph_free(g);
                continue;
            }
            CHECK(!strcmp(nb_op_name(u.op), "unstack") && !strcmp(nb_op_type(u.op), "Unpack"));
            CHECK(nb_op_num_outputs(u.op) == d[a]);
            nb_shape s = nb_output_shape(u);
            CHECK(s.rank == 2);
            nb_tensor *xv = iota(NB_FLOAT64, 3, d);
            for (int k = 0; k < nb_op_num_outputs(u.op); k++) {
                nb_tensor *t = eval_out(g, u.op, k, x, xv);
                check_piece(t, 3, d, a, k, 1, true);
                nb_tensor_unref(t);
            }
            nb_tensor_unref(xv);
            nb_graph_free(g);
        }
    /* a vector unstacks into scalars; a zero-length axis into nothing */
    nb_graph *g = nb_graph_new();
    nb_output v = nb_constant_array(g, NB_INT32, 1, (int64_t[]){3}, (int32_t[]){7, 8, 9}, NULL);
    nb_output u = nb_unstack(g, v, -1, 0, NULL);
    nb_output e = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(0, 2), "e");
    nb_output ue = nb_unstack(g, e, -1, 0, NULL);
    CHECK_GRAPH_OK(g);
    CHECK(nb_op_num_outputs(ue.op) == 0);
    nb_tensor *t = eval1(g, nb_op_output(u.op, 2), NULL, 0);
    CHECK(t && nb_tensor_rank(t) == 0 && nb_tensor_get_flat(t, 0) == 9);
    nb_tensor_unref(t);
    nb_graph_free(g);
}

TEST(unstack_bad_input_messages) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 3), "x");
    CHECK(nb_output_is_nil(nb_unstack(g, x, -1, 0, NULL)));
    CHECK(!strcmp(nb_graph_errmsg(g), "Cannot infer num from shape (?, 3)"));
    nb_graph_free(g);
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(4, 3), "x");
    CHECK(nb_output_is_nil(nb_unstack(g, x, 3, 0, NULL)));
    CHECK(!strcmp(nb_graph_errmsg(g), "Dimension must be 3 but is 4 for 'unstack' (op: 'Unpack') with input shapes: [4,3]."));
    nb_graph_free(g);
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(4, 3), "x");
    CHECK(nb_output_is_nil(nb_unstack(g, x, 3, 2, NULL)));
    CHECK(!strcmp(nb_graph_errmsg(g), "Invalid axis: 2; must be in [-2,2) for 'unstack' (op: 'Unpack') with input shapes: [4,3]."));
    nb_graph_free(g);
    /* a fed value of another size fails the run */
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 2), "x");
    nb_output u = nb_unstack(g, x, 3, 0, NULL);
    CHECK_GRAPH_OK(g);
    nb_tensor *xv = iota(NB_FLOAT32, 2, (int64_t[]){4, 2});
    nb_session *s = nb_session_new(g);
    CHECK(nb_session_eval(s, u, &(nb_feed){x, xv}, 1) == NULL);
    CHECK_STR_CONTAINS(nb_session_errmsg(s), "Input shape axis 0 must equal 3, got shape [4,2]");
    nb_session_free(s);
    nb_tensor_unref(xv);
    nb_graph_free(g);
}

TEST(split_and_split_v_forward) {
    int64_t d[2] = {6, 4};
    for (int dyn = 0; dyn < 2; dyn++) {
        nb_graph *g = nb_graph_new();
        nb_output x = nb_placeholder(g, NB_FLOAT32, dyn ? NB_SHAPE(NB_DIM_UNKNOWN, NB_DIM_UNKNOWN) : NB_SHAPE(6, 4), "x");
        nb_output s3 = nb_split(g, x, 3, 0, NULL);
        nb_output s2 = nb_split(g, x, 2, -1, "halves");
        nb_output v = nb_split_v(g, x, (int64_t[]){1, -1, 0, 2}, 4, 0, NULL);
        CHECK_GRAPH_OK(g);
        CHECK(!strcmp(nb_op_name(s3.op), "split") && !strcmp(nb_op_type(s3.op), "Split"));
        CHECK(nb_graph_find_op(g, "split/split_dim") && nb_graph_find_op(g, "halves/split_dim"));
        CHECK(!strcmp(nb_op_name(v.op), "split_1") && !strcmp(nb_op_type(v.op), "SplitV"));
        CHECK(nb_op_num_outputs(s3.op) == 3 && nb_op_num_outputs(v.op) == 4);
        if (!dyn) {
            nb_shape a = nb_output_shape(nb_op_output(s3.op, 1)), b = nb_output_shape(nb_op_output(v.op, 1));
            CHECK(a.rank == 2 && a.dims[0] == 2 && a.dims[1] == 4);
            CHECK(b.rank == 2 && b.dims[0] == 3 && b.dims[1] == 4);
        }
        nb_tensor *xv = iota(NB_FLOAT32, 2, d);
        for (int k = 0; k < 3; k++) {
            nb_tensor *t = eval_out(g, s3.op, k, x, xv);
            check_piece(t, 2, d, 0, 2 * k, 2, false);
            nb_tensor_unref(t);
        }
        for (int k = 0; k < 2; k++) {
            nb_tensor *t = eval_out(g, s2.op, k, x, xv);
            check_piece(t, 2, d, 1, 2 * k, 2, false);
            nb_tensor_unref(t);
        }
        int64_t off[4] = {0, 1, 4, 4}, len[4] = {1, 3, 0, 2};
        for (int k = 0; k < 4; k++) {
            nb_tensor *t = eval_out(g, v.op, k, x, xv);
            check_piece(t, 2, d, 0, off[k], len[k], false);
            nb_tensor_unref(t);
        }
        nb_tensor_unref(xv);
        nb_graph_free(g);
    }
}

TEST(split_bad_input_messages) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(4), "x");
    CHECK(nb_output_is_nil(nb_split(g, x, 3, 0, NULL)));
    CHECK(!strcmp(nb_graph_errmsg(g), "Dimension size must be evenly divisible by 3 but is 4\n\tNumber of ways to split "
                                      "should evenly divide the split dimension for 'split' (op: 'Split') with input "
                                      "shapes: [], [4]."));
    nb_graph_free(g);
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(4), "x");
    CHECK(nb_output_is_nil(nb_split(g, x, 2, 1, NULL)));
    CHECK(!strcmp(nb_graph_errmsg(g), "Dimension size, given by scalar input 0 must be in range [-1, 1) for 'split' "
                                      "(op: 'Split') with input shapes: [], [4]."));
    nb_graph_free(g);
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(4), "x");
    CHECK(nb_output_is_nil(nb_split_v(g, x, (int64_t[]){1, 2}, 2, 0, NULL)));
    CHECK(!strcmp(nb_graph_errmsg(g), "Determined shape must either match input shape along split_dim exactly if fully "
                                      "specified, or be less than the size of the input along split_dim if not fully "
                                      "specified.  Got: 3 for 'split' (op: 'SplitV') with input shapes: [4], [2], []."));
    nb_graph_free(g);
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(4), "x");
    CHECK(nb_output_is_nil(nb_split_v(g, x, (int64_t[]){-1, -1}, 2, 0, NULL)));
    CHECK(!strcmp(nb_graph_errmsg(g), "Only one dimensions can have a value of -1. Second one found at dimension 1 for "
                                      "'split' (op: 'SplitV') with input shapes: [4], [2], []."));
    nb_graph_free(g);
    /* run time: a fed dim that does not divide / sizes that do not add up */
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN), "x");
    nb_output s = nb_split(g, x, 2, 0, NULL);
    nb_output v = nb_split_v(g, x, (int64_t[]){1, 1}, 2, 0, NULL);
    CHECK_GRAPH_OK(g);
    nb_tensor *xv = iota(NB_FLOAT32, 1, (int64_t[]){3});
    nb_session *ss = nb_session_new(g);
    CHECK(nb_session_eval(ss, s, &(nb_feed){x, xv}, 1) == NULL);
    CHECK_STR_CONTAINS(nb_session_errmsg(ss), "Number of ways to split should evenly divide the split dimension, but got "
                                              "split_dim 0 (size = 3) and num_split 2");
    CHECK(nb_session_eval(ss, v, &(nb_feed){x, xv}, 1) == NULL);
    CHECK_STR_CONTAINS(nb_session_errmsg(ss), "Got: 2");
    nb_session_free(ss);
    nb_tensor_unref(xv);
    nb_graph_free(g);
}

/* Gradients of the pieces used partly: the unused pieces get zeros. */
TEST(split_gradients_fill_zeros) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(4, 2), "x");
    nb_output s = nb_split(g, x, 2, 0, NULL);
    nb_output u = nb_unstack(g, x, -1, 1, NULL);
    nb_output v = nb_split_v(g, x, (int64_t[]){3, 1}, 2, 0, NULL);
    /* loss = 2 sum(second half) + 3 sum(column 0) + 5 sum(last row) */
    nb_output l1 = nb_multiply(g, nb_constant_f32(g, 2, NULL), nb_reduce_sum(g, nb_op_output(s.op, 1), NULL, NB_ALL_AXES, false, NULL), NULL);
    nb_output l2 = nb_multiply(g, nb_constant_f32(g, 3, NULL), nb_reduce_sum(g, u, NULL, NB_ALL_AXES, false, NULL), NULL);
    nb_output l3 = nb_multiply(g, nb_constant_f32(g, 5, NULL), nb_reduce_sum(g, nb_op_output(v.op, 1), NULL, NB_ALL_AXES, false, NULL), NULL);
    nb_output loss = nb_add(g, nb_add(g, l1, l2, NULL), l3, NULL);
    nb_output d;
    nb_gradients(g, &loss, 1, &x, 1, NULL, &d);
    CHECK_GRAPH_OK(g);
    nb_tensor *xv = iota(NB_FLOAT32, 2, (int64_t[]){4, 2});
    nb_tensor *dv = eval1(g, d, &(nb_feed){x, xv}, 1);
    double want[8] = {3, 0, 3, 0, 5, 2, 10, 7};
    CHECK(dv && nb_tensor_size(dv) == 8);
    for (int i = 0; dv && i < 8; i++) CHECK(nb_tensor_get_flat(dv, i) == want[i]);
    nb_tensor_unref(dv);
    nb_tensor_unref(xv);
    nb_graph_free(g);
}

TEST(split_graphdef_round_trip) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(4, 6), "x");
    nb_output u = nb_unstack(g, x, -1, -2, "u");
    nb_output s = nb_split(g, x, 3, 1, "s");
    nb_output v = nb_split_v(g, x, (int64_t[]){2, -1}, 2, 1, "v");
    int64_t flat[1] = {-1};
    nb_output parts[4] = {nb_op_output(u.op, 3), nb_reshape(g, nb_op_output(s.op, 2), 1, flat, NULL),
                          nb_reshape(g, nb_op_output(s.op, 0), 1, flat, NULL),
                          nb_reshape(g, nb_op_output(v.op, 1), 1, flat, NULL)};
    nb_output y = nb_concat(g, parts, 4, 0, "y");
    nb_shape ys = nb_output_shape(y);
    CHECK(ys.rank == 1 && ys.dims[0] == 6 + 8 + 8 + 16);
    CHECK_GRAPH_OK(g);
    nb_tensor *xv = iota(NB_FLOAT32, 2, (int64_t[]){4, 6});
    graphdef_round_trip_same(g, "y:0", "x:0", xv);
    nb_tensor_unref(xv);
    nb_graph_free(g);
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
