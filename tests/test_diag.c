/*
 * test_diag.c — MatrixDiag, MatrixDiagPart and MatrixSetDiag against naive
 * loops over random batch shapes (square, wide, tall, empty, unknown dims),
 * tf.eye / tf.trace built from them, TF1's message for a bad diagonal, and a
 * GraphDef round trip. Gradients: tests/grad_cases_diag.inc (test_grad).
 */
#include "harness.h"

static uint64_t rng = 0xA4093822299F31D0ull;
static int64_t rnd(int64_t lo, int64_t hi) { return xorshift_rnd(&rng, lo, hi); }

TEST(diag_ops_match_naive) {
    for (int t = 0; t < 120; t++) {
        int br = (int)rnd(0, 2);
        int64_t d[4];
        for (int i = 0; i < br; i++) d[i] = rnd(0, 3);
        int64_t m = rnd(0, 4), n = rnd(0, 4), q = m < n ? m : n;
        d[br] = m;
        d[br + 1] = n;
        int r = br + 2;
        int64_t batch = 1;
        for (int i = 0; i < br; i++) batch *= d[i];
        bool dyn = t % 2;
        int64_t pd[4], dd[3];
        for (int i = 0; i < r; i++) pd[i] = dyn ? NB_DIM_UNKNOWN : d[i];
        for (int i = 0; i < br; i++) dd[i] = dyn ? NB_DIM_UNKNOWN : d[i];
        dd[br] = dyn ? NB_DIM_UNKNOWN : q;
        nb_dtype dt = t % 3 ? NB_FLOAT64 : NB_INT32;
        nb_graph *g = nb_graph_new();
        nb_output x = nb_placeholder(g, dt, nb_shape_make(r, pd), "x");
        nb_output v = nb_placeholder(g, dt, nb_shape_make(br + 1, dd), "v");
        nb_output part = nb_matrix_diag_part(g, x, NULL), set = nb_matrix_set_diag(g, x, v, NULL),
                  mk = nb_matrix_diag(g, v, NULL);
        CHECK_GRAPH_OK(g);
        if (!dyn) {
            nb_shape ps = nb_output_shape(part), ms = nb_output_shape(mk);
            CHECK(ps.rank == br + 1 && ps.dims[br] == q && ms.rank == br + 2 && ms.dims[br + 1] == q);
        }
        int64_t vd[3];
        for (int i = 0; i < br; i++) vd[i] = d[i];
        vd[br] = q;
        nb_tensor *xv = nb_tensor_new(dt, r, d, NULL), *vv = nb_tensor_new(dt, br + 1, vd, NULL);
        for (int64_t e = 0; e < nb_tensor_size(xv); e++) nb_tensor_set_flat(xv, e, (double)(e + 1));
        for (int64_t e = 0; e < nb_tensor_size(vv); e++) nb_tensor_set_flat(vv, e, (double)(-e - 1));
        nb_session *s = nb_session_new(g);
        nb_tensor *out[3] = {NULL, NULL, NULL};
        CHECK_STATUS(nb_session_run(s, (nb_feed[]){{x, xv}, {v, vv}}, 2, (nb_output[]){part, set, mk}, 3, out), NB_OK);
        if (out[0] && out[1] && out[2]) {
            CHECK(nb_tensor_size(out[0]) == batch * q && nb_tensor_size(out[2]) == batch * q * q);
            for (int64_t b = 0; b < batch; b++) {
                for (int64_t i = 0; i < q; i++)
                    CHECK(nb_tensor_get_flat(out[0], b * q + i) == nb_tensor_get_flat(xv, (b * m + i) * n + i));
                for (int64_t i = 0; i < m; i++)
                    for (int64_t j = 0; j < n; j++) {
                        int64_t at = (b * m + i) * n + j;
                        double want = i == j ? nb_tensor_get_flat(vv, b * q + i) : nb_tensor_get_flat(xv, at);
                        checks_++;
                        if (nb_tensor_get_flat(out[1], at) != want) FAILF("trial %d: set_diag at %lld", t, (long long)at);
                    }
                for (int64_t i = 0; i < q; i++)
                    for (int64_t j = 0; j < q; j++) {
                        double want = i == j ? nb_tensor_get_flat(vv, b * q + i) : 0;
                        checks_++;
                        if (nb_tensor_get_flat(out[2], (b * q + i) * q + j) != want) FAILF("trial %d: matrix_diag", t);
                    }
            }
        }
        for (int k = 0; k < 3; k++) nb_tensor_unref(out[k]);
        nb_session_free(s);
        nb_tensor_unref(xv);
        nb_tensor_unref(vv);
        nb_graph_free(g);
    }
}

TEST(eye_and_trace_from_diag_ops) {
    nb_graph *g = nb_graph_new();
    nb_output eye = nb_matrix_diag(g, nb_ones(g, NB_FLOAT32, NB_SHAPE(3), NULL), "eye");
    nb_output a = nb_constant_array(g, NB_FLOAT32, 2, (int64_t[]){3, 3}, (float[]){1, 2, 3, 4, 5, 6, 7, 8, 9}, NULL);
    nb_output tr = nb_reduce_sum(g, nb_matrix_diag_part(g, a, NULL), (int[]){-1}, 1, false, "trace");
    CHECK_GRAPH_OK(g);
    CHECK(!strcmp(nb_op_type(eye.op), "MatrixDiag"));
    nb_tensor *e = eval1(g, eye, NULL, 0), *t = eval1(g, tr, NULL, 0);
    for (int i = 0; e && i < 9; i++) CHECK(nb_tensor_get_flat(e, i) == (i % 4 == 0 ? 1 : 0));
    CHECK(t && nb_tensor_get_flat(t, 0) == 15);
    nb_tensor_unref(e);
    nb_tensor_unref(t);
    nb_graph_free(g);
}

TEST(diag_bad_input_messages) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 3), "x");
    nb_output d = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3), "d");
    CHECK(nb_output_is_nil(nb_matrix_set_diag(g, x, d, NULL)));
    CHECK(!strcmp(nb_graph_errmsg(g), "must have diagonal.shape == input.shape[:-2] + min(input.shape[-2:]), but received "
                                      "input shape: [2,3] and diagonal shape: [3] for 'MatrixSetDiag' (op: "
                                      "'MatrixSetDiag') with input shapes: [2,3], [3]."));
    nb_graph_free(g);
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3), "x");
    CHECK(nb_output_is_nil(nb_matrix_diag_part(g, x, NULL)));
    CHECK(!strcmp(nb_graph_errmsg(g), "Shape must be at least rank 2 but is rank 1 for 'MatrixDiagPart' (op: "
                                      "'MatrixDiagPart') with input shapes: [3]."));
    nb_graph_free(g);
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, "x");
    nb_output p = nb_matrix_diag_part(g, x, NULL);
    CHECK_GRAPH_OK(g);
    nb_tensor *xv = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){2}, (float[]){1, 2});
    nb_session *s = nb_session_new(g);
    CHECK(nb_session_eval(s, p, &(nb_feed){x, xv}, 1) == NULL);
    CHECK_STR_CONTAINS(nb_session_errmsg(s), "input must be at least 2-dim, received shape: [2]");
    nb_session_free(s);
    nb_tensor_unref(xv);
    nb_graph_free(g);
}

TEST(diag_graphdef_round_trip) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 3), "x");
    nb_output y = nb_matrix_set_diag(g, x, nb_matrix_diag_part(g, nb_matrix_diag(g, nb_ones(g, NB_FLOAT32, NB_SHAPE(2), NULL), NULL), NULL), "y");
    (void)y;
    CHECK_GRAPH_OK(g);
    nb_graph *g2 = graphdef_round_trip(g);
    nb_output y2 = nb_graph_find_output(g2, "y:0"), x2 = nb_graph_find_output(g2, "x:0");
    nb_tensor *xv = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){2, 3}, (float[]){5, 5, 5, 5, 5, 5});
    nb_tensor *v = nb_output_is_nil(y2) ? NULL : eval1(g2, y2, &(nb_feed){x2, xv}, 1);
    double want[6] = {1, 5, 5, 5, 1, 5};
    CHECK(v != NULL);
    for (int i = 0; v && i < 6; i++) CHECK(nb_tensor_get_flat(v, i) == want[i]);
    nb_tensor_unref(v);
    nb_tensor_unref(xv);
    nb_graph_free(g2);
    nb_graph_free(g);
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
