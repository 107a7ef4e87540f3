/*
 * test_gather_nd.c — GatherNd and ScatterNd against naive loops over random
 * shapes and indices (known and unknown shapes, m = 0 .. rank, duplicates that
 * add up, empty index sets), TF1's messages for bad input, GraphDef round trip.
 * Gradients: tests/grad_cases_gather_nd.inc (test_grad).
 */
#include "harness.h"

static uint64_t rng = 0x13198A2E03707344ull;
static int64_t rnd(int64_t lo, int64_t hi) { return xorshift_rnd(&rng, lo, hi); }

TEST(gather_nd_and_scatter_nd_match_naive) {
    for (int t = 0; t < 200; t++) {
        int pr = (int)rnd(1, 3);
        int64_t pd[3];
        for (int i = 0; i < pr; i++) pd[i] = rnd(1, 4);
        int m = (int)rnd(0, pr);
        int ir = (int)rnd(1, 3);
        int64_t id[3];
        for (int i = 0; i < ir - 1; i++) id[i] = rnd(0, 3);
        id[ir - 1] = m;
        int64_t rows = 1, slice = 1, ptotal = 1;
        for (int i = 0; i < ir - 1; i++) rows *= id[i];
        for (int i = m; i < pr; i++) slice *= pd[i];
        for (int i = 0; i < pr; i++) ptotal *= pd[i];
        bool dyn = t % 2;
        nb_dtype it = t % 3 ? NB_INT32 : NB_INT64;
        nb_tensor *iv = nb_tensor_new(it, ir, id, NULL);
        int64_t *offs = calloc((size_t)(rows ? rows : 1), sizeof *offs);
        for (int64_t j = 0; j < rows; j++) {
            int64_t o = 0;
            for (int i = 0; i < m; i++) {
                int64_t v = rnd(0, pd[i] - 1);
                nb_tensor_set_flat(iv, j * m + i, (double)v);
                o = o * pd[i] + v;
            }
            offs[j] = o;
        }
        nb_graph *g = nb_graph_new();
        int64_t ppd[3], ipd[3];
        for (int i = 0; i < pr; i++) ppd[i] = dyn ? NB_DIM_UNKNOWN : pd[i];
        for (int i = 0; i < ir; i++) ipd[i] = dyn ? NB_DIM_UNKNOWN : id[i];
        nb_output p = nb_placeholder(g, NB_FLOAT64, nb_shape_make(pr, ppd), "p");
        nb_output ix = nb_placeholder(g, it, nb_shape_make(ir, ipd), "i");
        nb_output y = nb_gather_nd(g, p, ix, NULL);
        /* scatter the gathered slices back into params' shape: each cell gets
         * its value times the number of times it was picked */
        nb_output s = nb_scatter_nd(g, ix, y, pd, pr, NULL);
        CHECK_GRAPH_OK(g);
        nb_tensor *pv = nb_tensor_new(NB_FLOAT64, pr, pd, NULL);
        for (int64_t e = 0; e < ptotal; e++) nb_tensor_set_flat(pv, e, (double)(e + 1));
        nb_session *ss = nb_session_new(g);
        nb_tensor *out[2] = {NULL, NULL};
        CHECK_STATUS(nb_session_run(ss, (nb_feed[]){{p, pv}, {ix, iv}}, 2, (nb_output[]){y, s}, 2, out), NB_OK);
        if (out[0] && out[1]) {
            CHECK(nb_tensor_size(out[0]) == rows * slice && nb_tensor_rank(out[0]) == ir - 1 + pr - m);
            for (int64_t j = 0; j < rows; j++)
                for (int64_t e = 0; e < slice; e++) {
                    checks_++;
                    if (nb_tensor_get_flat(out[0], j * slice + e) != (double)(offs[j] * slice + e + 1)) {
                        FAILF("trial %d: gather row %lld elem %lld", t, (long long)j, (long long)e);
                        j = rows;
                        break;
                    }
                }
            for (int64_t c = 0; c < ptotal; c++) {
                int64_t times = 0;
                for (int64_t j = 0; j < rows; j++) times += offs[j] == c / slice;
                checks_++;
                if (nb_tensor_get_flat(out[1], c) != (double)(times * (c + 1))) {
                    FAILF("trial %d: scatter cell %lld is %g, expected %lld", t, (long long)c, nb_tensor_get_flat(out[1], c),
                          (long long)(times * (c + 1)));
                    break;
                }
            }
        }
        nb_tensor_unref(out[0]);
        nb_tensor_unref(out[1]);
        nb_session_free(ss);
        nb_tensor_unref(pv);
        nb_tensor_unref(iv);
        free(offs);
        nb_graph_free(g);
    }
}

TEST(gather_nd_bad_input_messages) {
    nb_graph *g = nb_graph_new();
    nb_output p = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2), "p");
    nb_output ix = nb_constant_array(g, NB_INT32, 2, (int64_t[]){1, 2}, (int32_t[]){0, 0}, "ix");
    CHECK(nb_output_is_nil(nb_gather_nd(g, p, ix, NULL)));
    CHECK(!strcmp(nb_graph_errmsg(g), "indices.shape[-1] must be <= params.rank, but saw indices shape: [1,2] and params "
                                      "shape: [2] for 'GatherNd' (op: 'GatherNd') with input shapes: [2], [1,2]."));
    nb_graph_free(g);
    g = nb_graph_new();
    p = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 3), "p");
    ix = nb_constant_array(g, NB_INT64, 2, (int64_t[]){2, 2}, (int64_t[]){1, 2, 2, 0}, "ix");
    nb_output y = nb_gather_nd(g, p, ix, NULL);
    nb_output s = nb_scatter_nd(g, ix, nb_constant_array(g, NB_FLOAT32, 1, (int64_t[]){2}, (float[]){1, 2}, NULL),
                                (int64_t[]){2, 3}, 2, NULL);
    CHECK_GRAPH_OK(g);
    nb_tensor *pv = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){2, 3}, NULL);
    memset(nb_tensor_data(pv), 0, 24);
    nb_session *ss = nb_session_new(g);
    CHECK(nb_session_eval(ss, y, &(nb_feed){p, pv}, 1) == NULL);
    CHECK_STR_CONTAINS(nb_session_errmsg(ss), "indices[1] = [2, 0] does not index into param shape [2,3]");
    CHECK(nb_session_eval(ss, s, NULL, 0) == NULL);
    CHECK_STR_CONTAINS(nb_session_errmsg(ss), "indices[1] = [2, 0] does not index into shape [2,3]");
    nb_session_free(ss);
    nb_tensor_unref(pv);
    nb_graph_free(g);
    g = nb_graph_new();
    ix = nb_constant_array(g, NB_INT32, 2, (int64_t[]){2, 1}, (int32_t[]){1, 0}, "ix");
    nb_output u = nb_constant_array(g, NB_FLOAT32, 2, (int64_t[]){3, 2}, (float[]){1, 2, 3, 4, 5, 6}, "u");
    CHECK(nb_output_is_nil(nb_scatter_nd(g, ix, u, (int64_t[]){4, 2}, 2, "sc")));
    CHECK(!strcmp(nb_graph_errmsg(g), "updates.shape [3,2] must be indices.shape[:-1] + shape[indices.shape[-1]:], got "
                                      "indices.shape [2,1], shape [4,2] for 'sc' (op: 'ScatterNd') with input shapes: "
                                      "[2,1], [3,2], [2]."));
    nb_graph_free(g);
}

TEST(gather_nd_graphdef_round_trip) {
    nb_graph *g = nb_graph_new();
    nb_output p = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3, 2), "p");
    nb_output ix = nb_constant_array(g, NB_INT32, 2, (int64_t[]){2, 1}, (int32_t[]){2, 0}, "ix");
    nb_output y = nb_scatter_nd(g, ix, nb_gather_nd(g, p, ix, NULL), (int64_t[]){3, 2}, 2, "y");
    (void)y;
    CHECK_GRAPH_OK(g);
    nb_graph *g2 = graphdef_round_trip(g);
    nb_output y2 = nb_graph_find_output(g2, "y:0"), p2 = nb_graph_find_output(g2, "p:0");
    nb_tensor *pv = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){3, 2}, (float[]){1, 2, 3, 4, 5, 6});
    nb_tensor *v = nb_output_is_nil(y2) ? NULL : eval1(g2, y2, &(nb_feed){p2, pv}, 1);
    double want[6] = {1, 2, 0, 0, 5, 6};
    CHECK(v && nb_tensor_size(v) == 6);
    for (int i = 0; v && i < 6; i++) CHECK(nb_tensor_get_flat(v, i) == want[i]);
    nb_tensor_unref(v);
    nb_tensor_unref(pv);
    nb_graph_free(g2);
    nb_graph_free(g);
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
