/*
 * test_scan.c — ReverseV2, Cumsum, Any and All against naive loops over random
 * shapes and axes (known and unknown dims, scalars, empty tensors), their bad
 * input with TF1's messages, and a GraphDef round trip keeping the attributes.
 * Gradients: tests/grad_cases_scan.inc (test_grad).
 */
#include "harness.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static int64_t rnd(int64_t lo, int64_t hi) { return xorshift_rnd(&rng, lo, hi); }

/* multi-index of flat position e in dims d (rank r) */
static void unflat(int64_t e, int r, const int64_t *d, int64_t *idx) {
    for (int i = r - 1; i >= 0; i--) {
        idx[i] = e % d[i];
        e /= d[i];
    }
}
static int64_t flat(int r, const int64_t *d, const int64_t *idx) {
    int64_t f = 0;
    for (int i = 0; i < r; i++) f = f * d[i] + idx[i];
    return f;
}

static nb_shape ph_shape(int r, const int64_t *d, bool dyn) {
    int64_t pd[8];
    for (int i = 0; i < r; i++) pd[i] = dyn ? NB_DIM_UNKNOWN : d[i];
    return nb_shape_make(r, pd);
}

TEST(reverse_matches_naive) {
    for (int t = 0; t < 200; t++) {
        int r = (int)rnd(0, 4);
        int64_t d[4];
        for (int i = 0; i < r; i++) d[i] = rnd(0, 4);
        int axes[4], n = 0;
        bool flip[4] = {false};
        for (int i = 0; i < r; i++)
            if (rnd(0, 1)) {
                axes[n++] = rnd(0, 1) ? i : i - r;
                flip[i] = true;
            }
        bool dyn = t % 2;
        nb_graph *g = nb_graph_new();
        nb_output x = nb_placeholder(g, t % 3 ? NB_FLOAT64 : NB_INT32, ph_shape(r, d, dyn), "x");
        nb_output y = nb_reverse(g, x, axes, n, NULL);
        CHECK_GRAPH_OK(g);
        nb_tensor *xv = nb_tensor_new(t % 3 ? NB_FLOAT64 : NB_INT32, r, d, NULL);
        for (int64_t e = 0; e < nb_tensor_size(xv); e++) nb_tensor_set_flat(xv, e, (double)(e * 3 + 1));
        nb_tensor *yv = eval1(g, y, &(nb_feed){x, xv}, 1);
        CHECK(yv && nb_tensor_size(yv) == nb_tensor_size(xv) && nb_tensor_rank(yv) == r);
        for (int64_t e = 0; yv && e < nb_tensor_size(yv); e++) {
            int64_t idx[4];
            unflat(e, r, d, idx);
            for (int i = 0; i < r; i++)
                if (flip[i]) idx[i] = d[i] - 1 - idx[i];
            checks_++;
            if (nb_tensor_get_flat(yv, e) != nb_tensor_get_flat(xv, flat(r, d, idx))) {
                FAILF("trial %d: element %lld differs", t, (long long)e);
                break;
            }
        }
        nb_tensor_unref(yv);
        nb_tensor_unref(xv);
        nb_graph_free(g);
    }
}

TEST(cumsum_matches_naive) {
    for (int t = 0; t < 200; t++) {
        int r = (int)rnd(1, 4);
        int64_t d[4];
        for (int i = 0; i < r; i++) d[i] = rnd(0, 4);
        int ax = (int)rnd(-r, r - 1), a = ax < 0 ? ax + r : ax;
        bool excl = rnd(0, 1), rev = rnd(0, 1), dyn = t % 2;
        nb_dtype dt = t % 4 == 0 ? NB_INT64 : t % 4 == 1 ? NB_INT32 : t % 4 == 2 ? NB_FLOAT32 : NB_FLOAT64;
        nb_graph *g = nb_graph_new();
        nb_output x = nb_placeholder(g, dt, ph_shape(r, d, dyn), "x");
        nb_output y = nb_cumsum(g, x, ax, excl, rev, NULL);
        CHECK_GRAPH_OK(g);
        nb_tensor *xv = nb_tensor_new(dt, r, d, NULL);
        for (int64_t e = 0; e < nb_tensor_size(xv); e++) nb_tensor_set_flat(xv, e, (double)rnd(-9, 9));
        nb_tensor *yv = eval1(g, y, &(nb_feed){x, xv}, 1);
        CHECK(yv && nb_tensor_size(yv) == nb_tensor_size(xv));
        for (int64_t e = 0; yv && e < nb_tensor_size(yv); e++) {
            int64_t idx[4];
            unflat(e, r, d, idx);
            double want = 0;
            int64_t i0 = idx[a];
            for (int64_t j = 0; j < d[a]; j++) {
                bool in = rev ? (excl ? j > i0 : j >= i0) : (excl ? j < i0 : j <= i0);
                if (!in) continue;
                idx[a] = j;
                want += nb_tensor_get_flat(xv, flat(r, d, idx));
            }
            checks_++;
            if (nb_tensor_get_flat(yv, e) != want) {
                FAILF("trial %d (axis %d excl %d rev %d): element %lld is %g, expected %g", t, ax, excl, rev,
                      (long long)e, nb_tensor_get_flat(yv, e), want);
                break;
            }
        }
        nb_tensor_unref(yv);
        nb_tensor_unref(xv);
        nb_graph_free(g);
    }
    /* int32 sums wrap as two's complement */
    nb_graph *g = nb_graph_new();
    nb_output x = nb_constant_array(g, NB_INT32, 1, (int64_t[]){2}, (int32_t[]){INT32_MAX, 2}, NULL);
    nb_tensor *v = eval1(g, nb_cumsum(g, x, 0, false, false, NULL), NULL, 0);
    CHECK(v && nb_tensor_get_flat(v, 1) == (double)INT32_MIN + 1);
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(any_all_match_naive) {
    for (int t = 0; t < 200; t++) {
        int r = (int)rnd(0, 4);
        int64_t d[4];
        for (int i = 0; i < r; i++) d[i] = rnd(0, 3);
        int axes[4], n = 0;
        bool mask[4] = {false};
        for (int i = 0; i < r; i++)
            if (rnd(0, 1)) {
                axes[n++] = rnd(0, 1) ? i : i - r;
                mask[i] = true;
            }
        bool all_axes = rnd(0, 4) == 0, keep = rnd(0, 1), dyn = t % 2, is_any = t % 3 != 0;
        if (all_axes)
            for (int i = 0; i < r; i++) mask[i] = true;
        nb_graph *g = nb_graph_new();
        nb_output x = nb_placeholder(g, NB_BOOL, t % 5 == 0 ? NB_SHAPE_UNKNOWN_RANK : ph_shape(r, d, dyn), "x");
        nb_output y = (is_any ? nb_reduce_any : nb_reduce_all)(g, x, all_axes ? NULL : axes, all_axes ? NB_ALL_AXES : n,
                                                               keep, NULL);
        CHECK_GRAPH_OK(g);
        nb_tensor *xv = nb_tensor_new(NB_BOOL, r, d, NULL);
        int density = (int)rnd(0, 4);
        for (int64_t e = 0; e < nb_tensor_size(xv); e++) ((uint8_t *)nb_tensor_data(xv))[e] = rnd(0, 3) < density;
        nb_tensor *yv = eval1(g, y, &(nb_feed){x, xv}, 1);
        /* expected output dims */
        int64_t od[4], kd[4];
        int orank = 0;
        for (int i = 0; i < r; i++) {
            kd[i] = mask[i] ? 1 : d[i];
            if (!mask[i]) od[orank++] = d[i];
            else if (keep) od[orank++] = 1;
        }
        CHECK(yv && nb_tensor_rank(yv) == orank);
        for (int i = 0; yv && i < orank && i < nb_tensor_rank(yv); i++) CHECK(nb_tensor_dims(yv)[i] == od[i]);
        for (int64_t e = 0; yv && e < nb_tensor_size(yv); e++) {
            int64_t oidx[4];
            unflat(e, r, kd, oidx); /* same order with or without the kept 1s */
            bool acc = !is_any;
            for (int64_t s = 0; s < nb_tensor_size(xv); s++) {
                int64_t idx[4];
                unflat(s, r, d, idx);
                bool match = true;
                for (int i = 0; i < r; i++) match = match && (mask[i] || idx[i] == oidx[i]);
                if (!match) continue;
                bool v = ((uint8_t *)nb_tensor_data(xv))[s] != 0;
                acc = is_any ? (acc || v) : (acc && v);
            }
            checks_++;
            if ((nb_tensor_get_flat(yv, e) != 0) != acc) {
                FAILF("trial %d: %s element %lld is %g", t, is_any ? "any" : "all", (long long)e, nb_tensor_get_flat(yv, e));
                break;
            }
        }
        nb_tensor_unref(yv);
        nb_tensor_unref(xv);
        nb_graph_free(g);
    }
}

TEST(scan_ops_names_and_bad_input) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 3), "x");
    nb_output r = nb_reverse(g, x, (int[]){1}, 1, NULL);
    nb_output c = nb_cumsum(g, x, 1, false, false, NULL);
    nb_output b = nb_placeholder(g, NB_BOOL, NB_SHAPE(2, 3), "b");
    nb_output an = nb_reduce_any(g, b, (int[]){0}, 1, false, NULL), al = nb_reduce_all(g, b, NULL, NB_ALL_AXES, false, NULL);
    CHECK_GRAPH_OK(g);
    CHECK(!strcmp(nb_op_name(r.op), "ReverseV2") && nb_graph_find_op(g, "ReverseV2/axis"));
    CHECK(!strcmp(nb_op_name(c.op), "Cumsum") && nb_graph_find_op(g, "Cumsum/axis"));
    CHECK(!strcmp(nb_op_name(an.op), "Any") && nb_graph_find_op(g, "Any/reduction_indices"));
    CHECK(!strcmp(nb_op_name(al.op), "All") && nb_output_shape(al).rank == 0);
    nb_graph_free(g);
    struct {
        int which;
        const char *msg;
    } cases[] = {
        {0, "axis 1 specified more than once. for 'ReverseV2' (op: 'ReverseV2') with input shapes: [2,3], [2]."},
        {1, "'axis'[0] = 2 is out of valid range [0, 1] for 'ReverseV2' (op: 'ReverseV2') with input shapes: [2,3], [1]."},
        {2, "ScanOp: Expected scan axis in the range [-2, 2), but got 2 for 'Cumsum' (op: 'Cumsum') with input shapes: [2,3], []."},
        {3, "Input 'input' of 'Any' Op has type float that does not match expected type of bool for 'Any' (op: 'Any') with input shapes: [2,3], [1]."},
        {4, "Invalid reduction dimension 2 for input with 2 dimensions for 'All' (op: 'All') with input shapes: [2,3], [1]."},
        /* issue 15: duplicate axes, as TF's other reductions (the dimension normalized) */
        {5, "Invalid reduction arguments: Axes contains duplicate dimension: 0 for 'Any' (op: 'Any') with input shapes: [2,3], [2]."},
        {6, "Invalid reduction arguments: Axes contains duplicate dimension: 1 for 'All' (op: 'All') with input shapes: [2,3], [2]."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        g = nb_graph_new();
        x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 3), "x");
        b = nb_placeholder(g, NB_BOOL, NB_SHAPE(2, 3), "b");
        nb_output y = nb_nil;
        switch (cases[i].which) {
        case 0: y = nb_reverse(g, x, (int[]){1, -1}, 2, NULL); break;
        case 1: y = nb_reverse(g, x, (int[]){2}, 1, NULL); break;
        case 2: y = nb_cumsum(g, x, 2, false, false, NULL); break;
        case 3: y = nb_reduce_any(g, x, (int[]){0}, 1, false, NULL); break;
        case 4: y = nb_reduce_all(g, b, (int[]){2}, 1, false, NULL); break;
        case 5: y = nb_reduce_any(g, b, (int[]){0, 0}, 2, false, NULL); break;
        case 6: y = nb_reduce_all(g, b, (int[]){1, -1}, 2, true, NULL); break;
        }
        CHECK(nb_output_is_nil(y));
        checks_++;
        if (strcmp(nb_graph_errmsg(g), cases[i].msg)) FAILF("got \"%s\", expected \"%s\"", nb_graph_errmsg(g), cases[i].msg);
        nb_graph_free(g);
    }
    /* run time: the axis known only then */
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, "x");
    nb_output y = nb_cumsum(g, x, 1, false, false, NULL);
    CHECK_GRAPH_OK(g);
    nb_tensor *xv = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){2}, (float[]){1, 2});
    nb_session *s = nb_session_new(g);
    CHECK(nb_session_eval(s, y, &(nb_feed){x, xv}, 1) == NULL);
    CHECK_STR_CONTAINS(nb_session_errmsg(s), "ScanOp: Expected scan axis in the range [-1, 1), but got 1");
    nb_session_free(s);
    nb_tensor_unref(xv);
    nb_graph_free(g);
    /* run time: duplicate axes found only once the rank is known */
    g = nb_graph_new();
    b = nb_placeholder(g, NB_BOOL, NB_SHAPE_UNKNOWN_RANK, "b");
    an = nb_reduce_any(g, b, (int[]){-1, 1}, 2, false, "an");
    al = nb_reduce_all(g, b, (int[]){0, -2}, 2, false, "al");
    CHECK_GRAPH_OK(g);
    nb_tensor *bv = nb_tensor_new(NB_BOOL, 2, (int64_t[]){2, 3}, (uint8_t[]){1, 0, 0, 1, 1, 1});
    s = nb_session_new(g);
    CHECK(nb_session_eval(s, an, &(nb_feed){b, bv}, 1) == NULL);
    CHECK_STR_CONTAINS(nb_session_errmsg(s), "Invalid reduction arguments: Axes contains duplicate dimension: 1\n\t [[{{node an}}");
    CHECK(nb_session_eval(s, al, &(nb_feed){b, bv}, 1) == NULL);
    CHECK_STR_CONTAINS(nb_session_errmsg(s), "Invalid reduction arguments: Axes contains duplicate dimension: 0\n\t [[{{node al}}");
    nb_session_free(s);
    nb_tensor_unref(bv);
    nb_graph_free(g);
}

TEST(scan_ops_graphdef_round_trip) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(3, 2), "x");
    nb_output c = nb_cumsum(g, nb_reverse(g, x, (int[]){0}, 1, NULL), 0, true, true, "c");
    nb_output an = nb_reduce_any(g, nb_greater(g, c, nb_constant_f64(g, 2, NULL), NULL), (int[]){1}, 1, true, "an");
    nb_output y = nb_where_v2(g, an, c, nb_negative(g, c, NULL), "y");
    (void)y;
    CHECK_GRAPH_OK(g);
    nb_graph *g2 = graphdef_round_trip(g);
    nb_tensor *xv = nb_tensor_new(NB_FLOAT64, 2, (int64_t[]){3, 2}, (double[]){1, 2, 3, 4, 5, 6});
    nb_output y1 = nb_graph_find_output(g, "y:0"), y2 = nb_graph_find_output(g2, "y:0");
    nb_output x2 = nb_graph_find_output(g2, "x:0");
    nb_tensor *v1 = eval1(g, y1, &(nb_feed){x, xv}, 1), *v2 = nb_output_is_nil(x2) ? NULL : eval1(g2, y2, &(nb_feed){x2, xv}, 1);
    /* reversed rows [5 6][3 4][1 2]; exclusive reverse cumsum over rows: [4 6][1 2][0 0] */
    double want[6] = {4, 6, -1, -2, 0, 0};
    CHECK(v1 && v2);
    for (int i = 0; v1 && v2 && i < 6; i++) {
        CHECK(nb_tensor_get_flat(v1, i) == want[i]);
        CHECK(nb_tensor_get_flat(v2, i) == want[i]);
    }
    nb_tensor_unref(v1);
    nb_tensor_unref(v2);
    nb_tensor_unref(xv);
    nb_graph_free(g2);
    nb_graph_free(g);
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
