/*
 * test_topk.c — TopKV2, InTopKV2 and Where against naive selection on random
 * inputs (ties, NaN-free and with non-finite values, scalars, empty tensors,
 * unknown shapes), names as TF1's Python builds them, bad input with TF1's
 * messages, GraphDef round trip. TopKV2's gradient: tests/grad_cases_topk.inc.
 */
#include "harness.h"

static uint64_t rng = 0x243F6A8885A308D3ull;
static int64_t rnd(int64_t lo, int64_t hi) { return xorshift_rnd(&rng, lo, hi); }

TEST(top_k_matches_naive) {
    for (int t = 0; t < 150; t++) {
        int r = (int)rnd(1, 3);
        int64_t d[3];
        for (int i = 0; i < r; i++) d[i] = rnd(0, 5);
        int64_t n = d[r - 1];
        int k = (int)rnd(0, n);
        bool dyn = t % 2;
        nb_dtype dt = t % 3 == 0 ? NB_INT32 : t % 3 == 1 ? NB_FLOAT32 : NB_FLOAT64;
        nb_graph *g = nb_graph_new();
        int64_t pd[3];
        for (int i = 0; i < r; i++) pd[i] = dyn ? NB_DIM_UNKNOWN : d[i];
        nb_output x = nb_placeholder(g, dt, nb_shape_make(r, pd), "x");
        /* sorted=false gives the same documented order (descending, lower index
         * first on ties): TF1 leaves that order unspecified, so this one is valid */
        nb_output v = nb_top_k(g, x, k, t % 4 < 2, NULL);
        CHECK_GRAPH_OK(g);
        nb_output ix = nb_op_output(v.op, 1);
        CHECK(nb_output_dtype(ix) == NB_INT32 && nb_output_dtype(v) == dt);
        if (!dyn) CHECK(nb_output_shape(v).dims[r - 1] == k);
        nb_tensor *xv = nb_tensor_new(dt, r, d, NULL);
        for (int64_t e = 0; e < nb_tensor_size(xv); e++) nb_tensor_set_flat(xv, e, (double)rnd(-3, 3)); /* many ties */
        nb_session *s = nb_session_new(g);
        nb_tensor *out[2] = {NULL, NULL};
        nb_status st = nb_session_run(s, &(nb_feed){x, xv}, 1, (nb_output[]){v, ix}, 2, out);
        CHECK(st == NB_OK);
        if (st == NB_OK) {
            int64_t rows = n ? nb_tensor_size(xv) / n : 0;
            for (int64_t row = 0; row < rows; row++) {
                /* naive: repeatedly take the largest not yet taken, lowest index on ties */
                bool taken[8] = {false};
                for (int j = 0; j < k; j++) {
                    int64_t best = -1;
                    for (int64_t c = 0; c < n; c++)
                        if (!taken[c] && (best < 0 || nb_tensor_get_flat(xv, row * n + c) > nb_tensor_get_flat(xv, row * n + best)))
                            best = c;
                    taken[best] = true;
                    checks_++;
                    if (nb_tensor_get_flat(out[1], row * k + j) != best ||
                        nb_tensor_get_flat(out[0], row * k + j) != nb_tensor_get_flat(xv, row * n + best)) {
                        FAILF("trial %d row %lld: top %d is index %g value %g, expected %lld", t, (long long)row, j,
                              nb_tensor_get_flat(out[1], row * k + j), nb_tensor_get_flat(out[0], row * k + j), (long long)best);
                        row = rows;
                        break;
                    }
                }
            }
        }
        nb_tensor_unref(out[0]);
        nb_tensor_unref(out[1]);
        nb_session_free(s);
        nb_tensor_unref(xv);
        nb_graph_free(g);
    }
}

TEST(in_top_k_matches_naive) {
    for (int t = 0; t < 100; t++) {
        int64_t b = rnd(0, 5), n = rnd(1, 5);
        int k = (int)rnd(0, (int)n + 1);
        nb_graph *g = nb_graph_new();
        nb_output p = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, n), "p");
        nb_output tg = nb_placeholder(g, t % 2 ? NB_INT64 : NB_INT32, NB_SHAPE(NB_DIM_UNKNOWN), "t");
        nb_output y = nb_in_top_k(g, p, tg, k, NULL);
        CHECK_GRAPH_OK(g);
        nb_tensor *pv = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){b, n}, NULL);
        nb_tensor *tv = nb_tensor_new(t % 2 ? NB_INT64 : NB_INT32, 1, &b, NULL);
        for (int64_t e = 0; e < b * n; e++) nb_tensor_set_flat(pv, e, rnd(0, 9) == 0 ? NAN : (double)rnd(-2, 2));
        for (int64_t e = 0; e < b; e++) nb_tensor_set_flat(tv, e, (double)rnd(-1, n));
        nb_tensor *yv = eval1(g, y, (nb_feed[]){{p, pv}, {tg, tv}}, 2);
        CHECK(yv && nb_tensor_size(yv) == b);
        for (int64_t i = 0; yv && i < b; i++) {
            int64_t tgt = (int64_t)nb_tensor_get_flat(tv, i);
            bool want;
            bool finite = true;
            for (int64_t c = 0; c < n; c++) finite = finite && isfinite(nb_tensor_get_flat(pv, i * n + c));
            if (tgt < 0 || tgt >= n || !finite) {
                want = false;
            } else {
                int64_t above = 0;
                for (int64_t c = 0; c < n; c++) above += nb_tensor_get_flat(pv, i * n + c) > nb_tensor_get_flat(pv, i * n + tgt);
                want = above < k;
            }
            CHECK((nb_tensor_get_flat(yv, i) != 0) == want);
        }
        nb_tensor_unref(yv);
        nb_tensor_unref(pv);
        nb_tensor_unref(tv);
        nb_graph_free(g);
    }
}

TEST(where_lists_true_coordinates) {
    nb_graph *g = nb_graph_new();
    nb_output c = nb_constant_array(g, NB_BOOL, 2, (int64_t[]){2, 3}, (uint8_t[]){0, 1, 0, 1, 0, 1}, NULL);
    nb_output f = nb_constant_array(g, NB_FLOAT32, 1, (int64_t[]){4}, (float[]){0, -2, 0, 0.5f}, NULL);
    nb_output s = nb_constant_array(g, NB_BOOL, 0, NULL, (uint8_t[]){1}, NULL);
    nb_output e = nb_placeholder(g, NB_BOOL, NB_SHAPE(NB_DIM_UNKNOWN, 2), "e");
    nb_output wc = nb_where_true(g, c, NULL), wf = nb_where_true(g, f, NULL), ws = nb_where_true(g, s, NULL),
              we = nb_where_true(g, e, NULL);
    CHECK_GRAPH_OK(g);
    CHECK(!strcmp(nb_op_name(wc.op), "Where") && nb_output_dtype(wc) == NB_INT64);
    nb_shape sh = nb_output_shape(wc);
    CHECK(sh.rank == 2 && sh.dims[0] == NB_DIM_UNKNOWN && sh.dims[1] == 2);
    nb_tensor *v = eval1(g, wc, NULL, 0);
    double want[6] = {0, 1, 1, 0, 1, 2};
    CHECK(v && nb_tensor_dims(v)[0] == 3 && nb_tensor_dims(v)[1] == 2);
    for (int i = 0; v && i < 6; i++) CHECK(nb_tensor_get_flat(v, i) == want[i]);
    nb_tensor_unref(v);
    v = eval1(g, wf, NULL, 0);
    CHECK(v && nb_tensor_dims(v)[0] == 2 && nb_tensor_get_flat(v, 0) == 1 && nb_tensor_get_flat(v, 1) == 3);
    nb_tensor_unref(v);
    v = eval1(g, ws, NULL, 0);
    CHECK(v && nb_tensor_dims(v)[0] == 1 && nb_tensor_dims(v)[1] == 0);
    nb_tensor_unref(v);
    nb_tensor *ev = nb_tensor_new(NB_BOOL, 2, (int64_t[]){0, 2}, NULL);
    v = eval1(g, we, &(nb_feed){e, ev}, 1);
    CHECK(v && nb_tensor_dims(v)[0] == 0 && nb_tensor_dims(v)[1] == 2);
    nb_tensor_unref(v);
    nb_tensor_unref(ev);
    nb_graph_free(g);
}

TEST(topk_names_and_bad_input) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 3), "x");
    nb_output t = nb_placeholder(g, NB_INT32, NB_SHAPE(2), "t");
    nb_output v = nb_top_k(g, x, 2, true, NULL);
    nb_output in = nb_in_top_k(g, x, t, 1, NULL);
    CHECK_GRAPH_OK(g);
    CHECK(!strcmp(nb_op_name(v.op), "TopKV2") && nb_graph_find_op(g, "TopKV2/k"));
    CHECK(!strcmp(nb_op_name(in.op), "in_top_k/InTopKV2") && nb_graph_find_op(g, "in_top_k/InTopKV2/k"));
    nb_graph_free(g);
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 3), "x");
    CHECK(nb_output_is_nil(nb_top_k(g, x, 5, true, NULL)));
    CHECK(!strcmp(nb_graph_errmsg(g), "input must have last dimension >= k = 5 but is 3 for 'TopKV2' (op: 'TopKV2') with "
                                      "input shapes: [2,3], []."));
    nb_graph_free(g);
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, NB_DIM_UNKNOWN), "x");
    v = nb_top_k(g, x, 5, true, NULL);
    CHECK_GRAPH_OK(g);
    nb_tensor *xv = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){2, 3}, (float[]){1, 2, 3, 4, 5, 6});
    nb_session *s = nb_session_new(g);
    CHECK(nb_session_eval(s, v, &(nb_feed){x, xv}, 1) == NULL);
    CHECK_STR_CONTAINS(nb_session_errmsg(s), "input must have at least k columns. Had 3, needed 5");
    nb_session_free(s);
    nb_tensor_unref(xv);
    nb_graph_free(g);
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 3), "x");
    CHECK(nb_output_is_nil(nb_top_k(g, x, -1, true, NULL)));
    CHECK(!strcmp(nb_graph_errmsg(g), "Need k >= 0, got -1 for 'TopKV2' (op: 'TopKV2') with input shapes: [2,3], []."));
    nb_graph_free(g);
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 3), "x");
    t = nb_placeholder(g, NB_INT32, NB_SHAPE(3), "t");
    CHECK(nb_output_is_nil(nb_in_top_k(g, x, t, 1, NULL)));
    CHECK(!strcmp(nb_graph_errmsg(g), "Dimensions must be equal, but are 2 and 3 for 'in_top_k/InTopKV2' (op: 'InTopKV2') "
                                      "with input shapes: [2,3], [3], []."));
    nb_graph_free(g);
}

TEST(topk_graphdef_round_trip) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 4), "x");
    nb_output v = nb_top_k(g, x, 2, false, "tk");
    nb_output w = nb_where_true(g, nb_greater(g, v, nb_constant_f32(g, 1, NULL), NULL), "w");
    nb_output in = nb_in_top_k(g, x, nb_cast(g, nb_argmin(g, x, 1, NULL), NB_INT32, NULL), 3, "acc");
    (void)w;
    (void)in;
    CHECK_GRAPH_OK(g);
    nb_graph *g2 = graphdef_round_trip(g);
    CHECK(nb_graph_find_op(g2, "acc/acc") != NULL);
    nb_graph_free(g2);
    nb_graph_free(g);
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
