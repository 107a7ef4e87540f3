/*
 * test_collective.c — the collective ops as libnabla alone sees them (no MPI,
 * no libnabla_dist): shape inference and its errors, the gradient of an
 * all-reduce, the GraphDef round trip of their attrs, and a run failing with
 * the message that names the missing runtime. Their kernels are tested under
 * mpirun by tests/dist/.
 */
#include "harness.h"
#include "nb_internal.h"

static nb_output collective(nb_graph *g, int type, nb_output *xs, int n, int reduce_op, const char *name) {
    nb_op *op = nbi_op_new(g, type, name, NULL, xs, n);
    if (!op) return nb_nil;
    op->attrs.axis = reduce_op;
    return nbi_op_finish(op);
}

TEST(shapes_and_dtypes) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 3), "x");
    nb_output z = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2), "z");
    nb_output a = collective(g, NBI_OP_DIST_ALLREDUCE, &x, 1, NBI_REDUCE_AVERAGE, "a");
    CHECK(nb_output_dtype(a) == NB_FLOAT32 && nb_output_shape(a).rank == 2 && nb_output_shape(a).dims[1] == 3);
    nb_output two[2] = {x, z};
    nb_output gr = collective(g, NBI_OP_DIST_GROUPED_ALLREDUCE, two, 2, NBI_REDUCE_SUM, "g");
    CHECK(gr.op && gr.op->n_outputs == 2 && gr.op->out_shape[1].rank == 1 && gr.op->out_shape[1].dims[0] == 2);
    nb_output b = collective(g, NBI_OP_DIST_BROADCAST, &z, 1, 0, "b");
    CHECK(nb_output_shape(b).dims[0] == 2);
    nb_output ag = collective(g, NBI_OP_DIST_ALLGATHER, &z, 1, 0, "ag");
    CHECK(nb_output_shape(ag).rank == 1 && nb_output_shape(ag).dims[0] == NB_DIM_UNKNOWN);
    /* The split all-reduce: Start gives an int64 scalar handle; Wait the
     * shapes and dtype of Start's inputs (and its reduce_op). */
    nb_output h = collective(g, NBI_OP_DIST_ALLREDUCE_START, two, 2, NBI_REDUCE_SUM, "start");
    CHECK(nb_output_dtype(h) == NB_INT64 && nb_output_shape(h).rank == 0 && h.op->n_outputs == 1);
    nb_output w = collective(g, NBI_OP_DIST_ALLREDUCE_WAIT, &h, 1, 0, "wait");
    CHECK(w.op && w.op->n_outputs == 2 && w.op->out_dtype[1] == NB_FLOAT32 && w.op->out_shape[0].rank == 2 &&
          w.op->out_shape[0].dims[1] == 3 && w.op->out_shape[1].dims[0] == 2 && w.op->attrs.axis == NBI_REDUCE_SUM);
    CHECK_GRAPH_OK(g);
    nb_graph_free(g);
}

TEST(bad_inputs_named) {
    nb_graph *g = nb_graph_new();
    nb_output i = nb_placeholder(g, NB_INT32, NB_SHAPE(4), "i");
    collective(g, NBI_OP_DIST_ALLREDUCE, &i, 1, NBI_REDUCE_AVERAGE, "avg");
    CHECK(nb_graph_status(g) == NB_ERR_DTYPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "Average is defined for float and double only, not int32; use Sum");
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "'avg' (op: 'HorovodAllreduce')");
    nb_graph_free(g);

    g = nb_graph_new();
    nb_output f = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(4), "f");
    collective(g, NBI_OP_DIST_ALLREDUCE, &f, 1, 7, "r");
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "reduce_op must be 0 (Average) or 1 (Sum), got 7");
    nb_graph_free(g);

    g = nb_graph_new();
    nb_output xs[2] = {nb_placeholder(g, NB_FLOAT32, NB_SHAPE(4), "f"), nb_placeholder(g, NB_FLOAT64, NB_SHAPE(4), "d")};
    collective(g, NBI_OP_DIST_GROUPED_ALLREDUCE, xs, 2, NBI_REDUCE_SUM, "mixed");
    CHECK(nb_graph_status(g) == NB_ERR_DTYPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "all inputs must have one dtype: input 0 is float, input 1 is double");
    nb_graph_free(g);

    g = nb_graph_new();
    nb_output s = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(), "s");
    collective(g, NBI_OP_DIST_ALLGATHER, &s, 1, 0, "gather");
    CHECK(nb_graph_status(g) == NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "Shape must be at least rank 1 but is rank 0");
    nb_graph_free(g);

    g = nb_graph_new();
    nb_output k = nb_placeholder(g, NB_INT64, NB_SHAPE(), "k");
    collective(g, NBI_OP_DIST_ALLREDUCE_WAIT, &k, 1, 0, "w");
    CHECK(nb_graph_status(g) == NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "input must be the handle of a NablaAllreduceStart, not an output of "
                                           "'k' (Placeholder)");
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "'w' (op: 'NablaAllreduceWait')");
    nb_graph_free(g);
}

TEST(run_without_runtime_says_why) {
    nb_graph *g = nb_graph_new();
    nb_tensor *v = nb_tensor_scalar(NB_FLOAT32, 2.0);
    nb_output c = nb_constant(g, v, "c");
    nb_tensor_unref(v);
    nb_output a = collective(g, NBI_OP_DIST_ALLREDUCE, &c, 1, NBI_REDUCE_SUM, "grads");
    nb_session *s = nb_session_new(g);
    CHECK(nb_session_eval(s, a, NULL, 0) == NULL);
    CHECK(nb_session_status(s) == NB_ERR_FAILED_PRECONDITION);
    CHECK_STR_CONTAINS(nb_session_errmsg(s), "HorovodAllreduce needs the distributed runtime: nabla was built "
                                             "without MPI, or nb_dist_init was not called");
    CHECK_STR_CONTAINS(nb_session_errmsg(s), "grads");
    nb_output h = collective(g, NBI_OP_DIST_ALLREDUCE_START, &c, 1, NBI_REDUCE_SUM, "start");
    CHECK(nb_session_eval(s, h, NULL, 0) == NULL);
    CHECK_STR_CONTAINS(nb_session_errmsg(s), "NablaAllreduceStart needs the distributed runtime");
    nb_session_free(s);
    nb_graph_free(g);
}

TEST(gradient_is_the_same_allreduce) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3), "x");
    nb_output a = collective(g, NBI_OP_DIST_ALLREDUCE, &x, 1, NBI_REDUCE_AVERAGE, "a");
    nb_output loss = nb_reduce_sum(g, a, NULL, 0, false, NULL);
    nb_output dx;
    nb_gradients(g, &loss, 1, &x, 1, NULL, &dx);
    CHECK_GRAPH_OK(g);
    CHECK(dx.op && !strcmp(nb_op_type(dx.op), "HorovodAllreduce") && dx.op->attrs.axis == NBI_REDUCE_AVERAGE);
    nb_graph_free(g);
}

TEST(graphdef_round_trip_keeps_type_and_reduce_op) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3), "x");
    nb_output y = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 2), "y");
    nb_output xs[2] = {x, y};
    collective(g, NBI_OP_DIST_ALLREDUCE, &x, 1, NBI_REDUCE_SUM, "sum");
    collective(g, NBI_OP_DIST_GROUPED_ALLREDUCE, xs, 2, NBI_REDUCE_AVERAGE, "fused");
    collective(g, NBI_OP_DIST_BROADCAST, &y, 1, 0, "bcast");
    collective(g, NBI_OP_DIST_ALLGATHER, &y, 1, 0, "gather");
    nb_output hd = collective(g, NBI_OP_DIST_ALLREDUCE_START, xs, 2, NBI_REDUCE_SUM, "start");
    collective(g, NBI_OP_DIST_ALLREDUCE_WAIT, &hd, 1, 0, "wait");
    void *bytes = NULL;
    size_t len = 0;
    CHECK(nb_graph_to_graphdef(g, &bytes, &len) == NB_OK);
    nb_graph *h = nb_graph_new();
    nb_error err;
    CHECK(nb_graph_import_graphdef(h, bytes, len, NULL, &err) == NB_OK);
    nb_op *s = nb_graph_find_op(h, "sum"), *f = nb_graph_find_op(h, "fused");
    nb_op *b = nb_graph_find_op(h, "bcast"), *ga = nb_graph_find_op(h, "gather");
    CHECK(s && !strcmp(nb_op_type(s), "HorovodAllreduce") && s->attrs.axis == NBI_REDUCE_SUM);
    CHECK(f && !strcmp(nb_op_type(f), "HorovodGroupedAllreduce") && f->attrs.axis == NBI_REDUCE_AVERAGE &&
          f->n_outputs == 2);
    CHECK(b && !strcmp(nb_op_type(b), "HorovodBroadcast"));
    CHECK(ga && !strcmp(nb_op_type(ga), "HorovodAllgather"));
    nb_op *st = nb_graph_find_op(h, "start"), *w = nb_graph_find_op(h, "wait");
    CHECK(st && !strcmp(nb_op_type(st), "NablaAllreduceStart") && st->attrs.axis == NBI_REDUCE_SUM &&
          st->n_inputs == 2);
    CHECK(w && !strcmp(nb_op_type(w), "NablaAllreduceWait") && w->n_outputs == 2 && w->attrs.axis == NBI_REDUCE_SUM &&
          w->out_shape[1].rank == 2);
    free(bytes);
    nb_graph_free(h);
    nb_graph_free(g);
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
