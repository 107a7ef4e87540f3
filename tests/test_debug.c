/* test_debug.c — check_numerics (the op and the session option). */
#include "harness.h"

TEST(check_numerics_op) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3), "x");
    nb_output y = nb_check_numerics(g, nb_log(g, x, NULL), "log of x", NULL);
    nb_output dx;
    nb_output s = nb_reduce_sum(g, y, NULL, 0, false, NULL);
    nb_gradients(g, &s, 1, &x, 1, NULL, &dx);
    CHECK(nb_graph_status(g) == NB_OK);
    nb_session *sess = nb_session_new(g);
    nb_tensor *ok = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){3}, (float[]){1, 2, 4});
    nb_tensor *bad = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){3}, (float[]){1, -2, 0});
    nb_feed f = {x, ok};
    nb_tensor *out[2] = {0};
    nb_output fetch[2] = {y, dx};
    CHECK(nb_session_run(sess, &f, 1, fetch, 2, out) == NB_OK);
    CHECK_NEAR(nb_tensor_get_flat(out[1], 2), 0.25, 1e-6); /* identity gradient */
    nb_tensor_unref(out[0]);
    nb_tensor_unref(out[1]);
    f.value = bad;
    CHECK(nb_session_run(sess, &f, 1, fetch, 1, out) == NB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(nb_session_errmsg(sess), "log of x : Tensor had Inf and NaN values") != NULL);
    CHECK(strstr(nb_session_errmsg(sess), "CheckNumerics") != NULL);
    nb_output i = nb_check_numerics(g, nb_constant_i32(g, 1, NULL), "m", NULL);
    CHECK(nb_output_is_nil(i));
    CHECK(nb_graph_status(g) == NB_ERR_DTYPE);
    nb_tensor_unref(ok);
    nb_tensor_unref(bad);
    nb_session_free(sess);
    nb_graph_free(g);
}

TEST(session_check_numerics_names_first_op) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(2), "x");
    nb_output l = nb_log(g, x, "mylog");
    nb_output y = nb_exp(g, l, "myexp");
    nb_session *s = nb_session_new(g);
    nb_tensor *v = nb_tensor_new(NB_FLOAT64, 1, (int64_t[]){2}, (double[]){1, -1});
    nb_feed f = {x, v};
    nb_tensor *out = NULL;
    CHECK(nb_session_run(s, &f, 1, &y, 1, &out) == NB_OK); /* off: NaN flows through */
    nb_tensor_unref(out);
    nb_session_set_check_numerics(s, true);
    CHECK(nb_session_run(s, &f, 1, &y, 1, &out) == NB_ERR_INVALID_ARGUMENT);
    CHECK(out == NULL);
    CHECK(!strcmp(nb_session_errmsg(s), "Tensor had NaN values in output 0 of node 'mylog' (op: Log)"));
    nb_tensor_unref(v);
    nb_session_free(s);
    nb_graph_free(g);
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
