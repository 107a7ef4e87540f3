/*
 * test_misc_ops.c — PlaceholderWithDefault, Print (the exact stderr line, first_n,
 * summarize) and LinSpace: values by hand, scalars, empty tensors, unknown
 * shapes, feeds, bad input with TF1's messages, GraphDef round trips.
 */
#include "harness.h"

#include <unistd.h>

static nb_tensor *f64v(int n, const double *v) { return nb_tensor_new(NB_FLOAT64, 1, (int64_t[]){n}, v); }

TEST(placeholder_with_default_value_or_feed) {
    nb_graph *g = nb_graph_new();
    nb_output d = nb_constant_array(g, NB_FLOAT32, 2, (int64_t[]){2, 3}, (float[]){1, 2, 3, 4, 5, 6}, NULL);
    nb_output p = nb_placeholder_with_default(g, d, NB_SHAPE(NB_DIM_UNKNOWN, 3), NULL);
    nb_output y = nb_multiply(g, p, nb_constant_f32(g, 2, NULL), NULL);
    CHECK_GRAPH_OK(g);
    CHECK(!strcmp(nb_op_name(p.op), "PlaceholderWithDefault") && !strcmp(nb_op_type(p.op), "PlaceholderWithDefault"));
    nb_shape s = nb_output_shape(p);
    CHECK(s.rank == 2 && s.dims[0] == NB_DIM_UNKNOWN && s.dims[1] == 3);
    nb_session *ss = nb_session_new(g);
    nb_tensor *v = nb_session_eval(ss, y, NULL, 0);
    CHECK(v && nb_tensor_size(v) == 6 && nb_tensor_get_flat(v, 5) == 12);
    nb_tensor_unref(v);
    nb_tensor *f = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){1, 3}, (float[]){-1, -2, -3});
    v = nb_session_eval(ss, y, &(nb_feed){p, f}, 1);
    CHECK(v && nb_tensor_size(v) == 3 && nb_tensor_get_flat(v, 2) == -6);
    nb_tensor_unref(v);
    nb_tensor *bad = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){1, 2}, (float[]){1, 2});
    CHECK(nb_session_eval(ss, y, &(nb_feed){p, bad}, 1) == NULL);
    CHECK_STR_CONTAINS(nb_session_errmsg(ss), "Cannot feed value of shape (1, 2) for Tensor 'PlaceholderWithDefault:0', which has shape '(?, 3)'");
    nb_session_free(ss);
    nb_tensor_unref(bad);
    nb_tensor_unref(f);
    /* a scalar default with unknown rank; an empty default */
    nb_output ps = nb_placeholder_with_default(g, nb_constant_f64(g, 0.5, NULL), NB_SHAPE_UNKNOWN_RANK, "keep_prob");
    nb_output pe = nb_placeholder_with_default(g, nb_zeros(g, NB_INT32, NB_SHAPE(0, 2), NULL), NB_SHAPE(0, 2), NULL);
    CHECK_GRAPH_OK(g);
    CHECK(nb_output_shape(ps).rank == -1 && !strcmp(nb_op_name(pe.op), "PlaceholderWithDefault_1"));
    v = eval1(g, ps, NULL, 0);
    CHECK(v && nb_tensor_rank(v) == 0 && nb_tensor_get_flat(v, 0) == 0.5);
    nb_tensor_unref(v);
    v = eval1(g, pe, NULL, 0);
    CHECK(v && nb_tensor_size(v) == 0 && nb_tensor_rank(v) == 2);
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(placeholder_with_default_bad_shape) {
    nb_graph *g = nb_graph_new();
    nb_output d = nb_constant_array(g, NB_FLOAT32, 1, (int64_t[]){2}, (float[]){1, 2}, NULL);
    CHECK(nb_output_is_nil(nb_placeholder_with_default(g, d, NB_SHAPE(3), "p")));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_SHAPE);
    CHECK(!strcmp(nb_graph_errmsg(g), "Dimension 0 in both shapes must be equal, but are 2 and 3. Shapes are [2] and [3]. "
                                      "for 'p' (op: 'PlaceholderWithDefault') with input shapes: [2]."));
    nb_graph_free(g);
    g = nb_graph_new();
    d = nb_constant_array(g, NB_FLOAT32, 1, (int64_t[]){2}, (float[]){1, 2}, NULL);
    CHECK(nb_output_is_nil(nb_placeholder_with_default(g, d, NB_SHAPE(2, 1), "p")));
    CHECK(!strcmp(nb_graph_errmsg(g), "Shapes must be equal rank, but are 1 and 2 for 'p' (op: 'PlaceholderWithDefault') "
                                      "with input shapes: [2]."));
    nb_graph_free(g);
}

/* Runs fetch `times` times with stderr captured; returns what was written (malloc'd). */
static char *capture_stderr(nb_graph *g, nb_output fetch, int times) {
    char path[] = "/tmp/nb_print_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    nb_session *s = nb_session_new(g);
    for (int i = 0; i < times; i++) nb_tensor_unref(nb_session_eval(s, fetch, NULL, 0));
    nb_session_free(s);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *f = fdopen(fd, "r");
    fseek(f, 0, SEEK_SET);
    char *buf = calloc(1, 4096);
    size_t n = fread(buf, 1, 4095, f);
    buf[n] = 0;
    fclose(f);
    unlink(path);
    return buf;
}

TEST(print_writes_tf1_lines) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_constant_array(g, NB_INT32, 2, (int64_t[]){2, 2}, (int32_t[]){1, 2, 3, 4}, NULL);
    nb_output f = nb_constant_array(g, NB_FLOAT32, 1, (int64_t[]){2}, (float[]){0.5f, 1.0f / 3}, NULL);
    nb_output d = nb_constant_f64(g, 0.1, NULL);
    nb_output e = nb_zeros(g, NB_FLOAT32, NB_SHAPE(0), NULL);
    nb_output b = nb_constant_array(g, NB_BOOL, 1, (int64_t[]){3}, (uint8_t[]){1, 0, 1}, NULL);
    nb_output data[5] = {x, f, d, e, b};
    nb_output p = nb_print(g, x, data, 5, "values: ", -1, 3, NULL);
    nb_output p_all = nb_print(g, x, data, 2, "all", -1, -1, "p_all");
    nb_output p_two = nb_print(g, f, &x, 1, "", 2, 3, NULL);
    CHECK_GRAPH_OK(g);
    CHECK(!strcmp(nb_op_name(p.op), "Print") && !strcmp(nb_op_name(p_two.op), "Print_1"));
    CHECK(nb_output_dtype(p) == NB_INT32 && nb_output_shape(p).rank == 2);
    char *out = capture_stderr(g, p, 1);
    CHECK(out && !strcmp(out, "values: [[1 2][3...]...][0.5 0.333333343][0.1][][1 0 1]\n"));
    if (out && strcmp(out, "values: [[1 2][3...]...][0.5 0.333333343][0.1][][1 0 1]\n")) fprintf(stderr, "got: %s", out);
    free(out);
    out = capture_stderr(g, p_all, 1);
    CHECK(out && !strcmp(out, "all[[1 2][3 4]][0.5 0.333333343]\n"));
    free(out);
    out = capture_stderr(g, p_two, 3); /* first_n = 2: two lines of three runs */
    CHECK(out && !strcmp(out, "[[1 2][3...]...]\n[[1 2][3...]...]\n"));
    free(out);
    /* issue 15: the count is per session (TF1's kernel lives in its session):
     * a new session prints its own first two lines (it printed none when the
     * counter was shared by the graph's sessions) */
    out = capture_stderr(g, p_two, 3);
    CHECK(out && !strcmp(out, "[[1 2][3...]...]\n[[1 2][3...]...]\n"));
    free(out);
    /* the value passes through */
    nb_tensor *v = eval1(g, p_two, NULL, 0);
    CHECK(v && nb_tensor_get_flat(v, 0) == 0.5f);
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(linspace_values_and_shapes) {
    nb_graph *g = nb_graph_new();
    nb_output l = nb_linspace(g, nb_constant_f32(g, 0, NULL), nb_constant_f32(g, 1, NULL), nb_constant_i32(g, 5, NULL), NULL);
    nb_output one = nb_linspace(g, nb_constant_f64(g, 3, NULL), nb_constant_f64(g, 7, NULL), nb_constant_i32(g, 1, NULL), NULL);
    nb_output np = nb_placeholder(g, NB_INT64, NB_SHAPE(), "n");
    nb_output ld = nb_linspace(g, nb_constant_f64(g, 10, NULL), nb_constant_f64(g, -2, NULL), np, NULL);
    CHECK_GRAPH_OK(g);
    CHECK(!strcmp(nb_op_name(l.op), "LinSpace") && !strcmp(nb_op_type(l.op), "LinSpace"));
    nb_shape s = nb_output_shape(l), sd = nb_output_shape(ld);
    CHECK(s.rank == 1 && s.dims[0] == 5 && sd.rank == 1 && sd.dims[0] == NB_DIM_UNKNOWN);
    nb_tensor *v = eval1(g, l, NULL, 0);
    double want[5] = {0, 0.25, 0.5, 0.75, 1};
    for (int i = 0; v && i < 5; i++) CHECK(nb_tensor_get_flat(v, i) == want[i]);
    nb_tensor_unref(v);
    v = eval1(g, one, NULL, 0);
    CHECK(v && nb_tensor_size(v) == 1 && nb_tensor_get_flat(v, 0) == 3);
    nb_tensor_unref(v);
    nb_tensor *n4 = nb_tensor_new(NB_INT64, 0, NULL, (int64_t[]){4});
    v = eval1(g, ld, &(nb_feed){np, n4}, 1);
    double want4[4] = {10, 6, 2, -2};
    CHECK(v && nb_tensor_size(v) == 4);
    for (int i = 0; v && i < 4; i++) CHECK_NEAR(nb_tensor_get_flat(v, i), want4[i], 1e-15);
    nb_tensor_unref(v);
    nb_tensor *n0 = nb_tensor_new(NB_INT64, 0, NULL, (int64_t[]){0});
    nb_session *ss = nb_session_new(g);
    CHECK(nb_session_eval(ss, ld, &(nb_feed){np, n0}, 1) == NULL);
    CHECK_STR_CONTAINS(nb_session_errmsg(ss), "Requires num > 0: 0");
    nb_session_free(ss);
    nb_tensor_unref(n0);
    nb_tensor_unref(n4);
    nb_graph_free(g);
    /* bad input at build time */
    g = nb_graph_new();
    CHECK(nb_output_is_nil(nb_linspace(g, nb_constant_f32(g, 0, NULL), nb_constant_f32(g, 1, NULL), nb_constant_i32(g, 0, NULL), NULL)));
    CHECK(!strcmp(nb_graph_errmsg(g), "Requires num > 0: 0 for 'LinSpace' (op: 'LinSpace') with input shapes: [], [], []."));
    nb_graph_free(g);
    g = nb_graph_new();
    nb_output v2 = nb_constant_array(g, NB_FLOAT32, 1, (int64_t[]){2}, (float[]){0, 1}, NULL);
    CHECK(nb_output_is_nil(nb_linspace(g, v2, nb_constant_f32(g, 1, NULL), nb_constant_i32(g, 3, NULL), NULL)));
    CHECK(!strcmp(nb_graph_errmsg(g), "Shape must be rank 0 but is rank 1 for 'LinSpace' (op: 'LinSpace') with input shapes: [2], [], []."));
    nb_graph_free(g);
    g = nb_graph_new();
    CHECK(nb_output_is_nil(nb_linspace(g, nb_constant_i32(g, 0, NULL), nb_constant_i32(g, 1, NULL), nb_constant_i32(g, 3, NULL), NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_DTYPE);
    CHECK(!strcmp(nb_graph_errmsg(g), "Value for attr 'T' of int32 is not in the list of allowed values: float, double for "
                                      "'LinSpace' (op: 'LinSpace') with input shapes: [], [], []."));
    nb_graph_free(g);
}

TEST(misc_graphdef_round_trip) {
    nb_graph *g = nb_graph_new();
    nb_output d = nb_constant_array(g, NB_FLOAT64, 1, (int64_t[]){3}, (double[]){1, 2, 3}, NULL);
    nb_output p = nb_placeholder_with_default(g, d, NB_SHAPE(NB_DIM_UNKNOWN), "p");
    nb_output l = nb_linspace(g, nb_constant_f64(g, 0, NULL), nb_constant_f64(g, 1, NULL), nb_constant_i32(g, 3, NULL), NULL);
    nb_output pr = nb_print(g, nb_add(g, p, l, NULL), &p, 1, "msg \"quoted\" ", 0, 5, "pr");
    CHECK_GRAPH_OK(g);
    nb_graph *g2 = graphdef_round_trip(g);
    nb_output pr2 = nb_graph_find_output(g2, "pr:0"), p2 = nb_graph_find_output(g2, "p:0");
    CHECK(!nb_output_is_nil(pr2) && !nb_output_is_nil(p2));
    nb_shape s = nb_output_shape(p2);
    CHECK(s.rank == 1 && s.dims[0] == NB_DIM_UNKNOWN);
    nb_tensor *v = nb_output_is_nil(pr2) ? NULL : eval1(g2, pr2, NULL, 0);
    double want[3] = {1, 2.5, 4};
    CHECK(v && nb_tensor_size(v) == 3);
    for (int i = 0; v && i < 3; i++) CHECK(nb_tensor_get_flat(v, i) == want[i]);
    nb_tensor_unref(v);
    (void)pr;
    nb_graph_free(g2);
    nb_graph_free(g);
    (void)f64v;
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
