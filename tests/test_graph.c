/*
 * test_graph.c — graphs, names and scopes (TF1's documented examples), sticky
 * errors, variables, sessions and their error messages, random ops' seeding.
 */
#include "harness.h"

static const char *name_of(nb_output o) { return nb_op_name(o.op); }

TEST(default_names_and_suffixes) {
    nb_graph *g = nb_graph_new();
    nb_output p1 = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, NULL);
    nb_output p2 = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, NULL);
    nb_output c = nb_constant_f32(g, 1.0f, NULL);
    nb_output a1 = nb_add(g, p1, p2, NULL), a2 = nb_add(g, p1, p2, NULL);
    nb_output m = nb_multiply(g, p1, p2, NULL), s = nb_subtract(g, p1, p2, NULL);
    nb_output d = nb_divide(g, p1, p2, NULL), n = nb_negative(g, p1, NULL);
    CHECK_GRAPH_OK(g);
    CHECK(!strcmp(name_of(p1), "Placeholder"));
    CHECK(!strcmp(name_of(p2), "Placeholder_1"));
    CHECK(!strcmp(name_of(c), "Const"));
    CHECK(!strcmp(name_of(a1), "add") && !strcmp(nb_op_type(a1.op), "Add"));
    CHECK(!strcmp(name_of(a2), "add_1"));
    CHECK(!strcmp(name_of(m), "mul") && !strcmp(nb_op_type(m.op), "Mul"));
    CHECK(!strcmp(name_of(s), "sub"));
    CHECK(!strcmp(name_of(d), "truediv") && !strcmp(nb_op_type(d.op), "RealDiv"));
    CHECK(!strcmp(name_of(n), "Neg"));
    /* a user's literal "add_2" pushes the next default on; names are case-insensitive */
    nb_output u = nb_add(g, p1, p2, "add_2");
    nb_output a3 = nb_add(g, p1, p2, NULL);
    nb_output up = nb_add(g, p1, p2, "ADD");
    CHECK(!strcmp(name_of(u), "add_2"));
    CHECK(!strcmp(name_of(a3), "add_3"));
    CHECK(!strcmp(name_of(up), "ADD_4") || !strcmp(name_of(up), "ADD_1"));
    nb_graph_free(g);
}

TEST(name_scopes_as_documented_by_tf) {
    /* tf.Graph.name_scope docstring example */
    nb_graph *g = nb_graph_new();
    nb_output c = nb_constant_f32(g, 37.0f, "c");
    CHECK(!strcmp(name_of(c), "c"));
    nb_name_scope_push(g, "nested");
    nb_output c1 = nb_constant_f32(g, 37.0f, "c");
    CHECK(!strcmp(name_of(c1), "nested/c"));
    const char *inner = nb_name_scope_push(g, "inner");
    char saved[64];
    snprintf(saved, sizeof saved, "%s", inner);
    CHECK(!strcmp(saved, "nested/inner/"));
    nb_output c2 = nb_constant_f32(g, 37.0f, "c");
    CHECK(!strcmp(name_of(c2), "nested/inner/c"));
    nb_name_scope_pop(g);
    nb_name_scope_push(g, "inner");
    nb_output c3 = nb_constant_f32(g, 37.0f, "c");
    CHECK(!strcmp(name_of(c3), "nested/inner_1/c"));
    nb_name_scope_push(g, saved); /* re-enter an existing scope verbatim */
    nb_output d = nb_constant_f32(g, 38.0f, "d");
    CHECK(!strcmp(name_of(d), "nested/inner/d"));
    nb_name_scope_push(g, ""); /* back to the root */
    nb_output e = nb_constant_f32(g, 39.0f, "e");
    CHECK(!strcmp(name_of(e), "e"));
    nb_name_scope_pop(g);
    nb_name_scope_pop(g);
    nb_name_scope_pop(g);
    nb_name_scope_pop(g);
    nb_output c4 = nb_constant_f32(g, 37.0f, "c");
    CHECK(!strcmp(name_of(c4), "c_1"));
    CHECK(!strcmp(nb_name_scope_current(g), ""));
    /* scopes and op names share one namespace */
    nb_output loss = nb_constant_f32(g, 0.0f, "loss");
    CHECK(!strcmp(nb_name_scope_push(g, "loss"), "loss_1/"));
    nb_name_scope_pop(g);
    (void)loss;
    CHECK_GRAPH_OK(g);
    CHECK(nb_graph_find_op(g, "nested/inner_1/c") == c3.op);
    CHECK(nb_graph_find_output(g, "nested/inner/d:0").op == d.op);
    CHECK(nb_output_is_nil(nb_graph_find_output(g, "nested/inner/d:1")));
    CHECK(nb_graph_find_op(g, "nope") == NULL);
    nb_graph_free(g);
}

TEST(sticky_errors_name_the_node) {
    nb_graph *g = nb_graph_new();
    nb_name_scope_push(g, "Middle_section");
    nb_output a = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(25, 2), "a");
    nb_output w = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3, 1), "w");
    nb_output bad = nb_matmul(g, a, w, false, false, NULL);
    CHECK(nb_output_is_nil(bad));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g),
                       "Dimensions must be equal, but are 2 and 3 for 'Middle_section/MatMul' "
                       "(op: 'MatMul') with input shapes: [25,2], [3,1].");
    /* later calls are no-ops returning nil; the first message stays */
    nb_output later = nb_add(g, a, a, NULL);
    CHECK(nb_output_is_nil(later));
    nb_output nested = nb_sigmoid(g, nb_add(g, bad, a, NULL), NULL);
    CHECK(nb_output_is_nil(nested));
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "Middle_section/MatMul");
    /* a session refuses the graph */
    nb_session *s = nb_session_new(g);
    CHECK(s != NULL);
    CHECK_STATUS(nb_session_run(s, NULL, 0, &a, 1, NULL), NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(nb_session_errmsg(s), "Middle_section/MatMul");
    nb_session_free(s);
    nb_graph_free(g);
}

TEST(dtype_mismatch_message) {
    nb_graph *g = nb_graph_new();
    nb_output a = nb_constant_f32(g, 1.0f, NULL);
    nb_output b = nb_constant_i32(g, 1, NULL);
    CHECK(nb_output_is_nil(nb_add(g, a, b, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_DTYPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "'add' (op: 'Add')");
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "int32");
    nb_graph_free(g);
}

TEST(nil_and_foreign_inputs) {
    nb_graph *g = nb_graph_new(), *h = nb_graph_new();
    CHECK(nb_output_is_nil(nb_add(g, nb_nil, nb_nil, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "nil");
    nb_output x = nb_constant_f32(h, 1.0f, NULL);
    nb_graph *k = nb_graph_new();
    nb_output y = nb_constant_f32(k, 1.0f, NULL);
    CHECK(nb_output_is_nil(nb_add(k, y, x, NULL)));
    CHECK_STR_CONTAINS(nb_graph_errmsg(k), "another graph");
    nb_graph_free(g);
    nb_graph_free(h);
    nb_graph_free(k);
    /* NULL graph: no crash */
    CHECK(nb_output_is_nil(nb_constant_f32(NULL, 1.0f, NULL)));
    CHECK(nb_graph_status(NULL) != NB_OK);
    nb_graph_free(NULL);
    nb_session_free(NULL);
    nb_tensor_unref(NULL);
}

TEST(static_shapes_flow) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 3), "x");
    nb_output w = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3, 4), "w");
    nb_output y = nb_matmul(g, x, w, false, false, NULL);
    nb_output z = nb_add(g, y, nb_constant_array(g, NB_FLOAT32, 1, (int64_t[]){4}, (float[]){1, 2, 3, 4}, NULL), NULL);
    nb_output s = nb_reduce_sum(g, z, (int[]){1}, 1, false, NULL);
    nb_output u = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, "u");
    nb_output v = nb_add(g, u, x, NULL);
    CHECK_GRAPH_OK(g);
    char buf[64];
    CHECK(!strcmp(nb_shape_string(nb_output_shape(y), buf, sizeof buf), "[?,4]"));
    CHECK(!strcmp(nb_shape_string(nb_output_shape(z), buf, sizeof buf), "[?,4]"));
    CHECK(!strcmp(nb_shape_string(nb_output_shape(s), buf, sizeof buf), "[?]"));
    CHECK(!strcmp(nb_shape_string(nb_output_shape(v), buf, sizeof buf), "<unknown>"));
    CHECK(nb_output_dtype(s) == NB_FLOAT32);
    nb_graph_free(g);
}

/*** sessions ***/

TEST(feeds_fetches_and_errors) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 3), "Placeholder");
    nb_output y = nb_reduce_sum(g, x, NULL, NB_ALL_AXES, false, NULL);
    nb_output q = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(NB_DIM_UNKNOWN, 1), NULL);
    nb_output qq = nb_multiply(g, q, q, NULL);
    CHECK_GRAPH_OK(g);
    nb_session *s = nb_session_new(g);
    nb_tensor *ok = nb_tensor_ones(NB_FLOAT32, 2, (int64_t[]){2, 3});
    nb_tensor *out = NULL;
    CHECK_STATUS(nb_session_run(s, &(nb_feed){x, ok}, 1, &y, 1, &out), NB_OK);
    CHECK(out && nb_tensor_scalar_f64(out) == 6.0);
    nb_tensor_unref(out);
    /* wrong shape: TF's client-side message */
    nb_tensor *bad = nb_tensor_ones(NB_FLOAT32, 1, (int64_t[]){2});
    CHECK_STATUS(nb_session_run(s, &(nb_feed){x, bad}, 1, &y, 1, &out), NB_ERR_SHAPE);
    CHECK(out == NULL);
    CHECK_STR_CONTAINS(nb_session_errmsg(s),
                       "Cannot feed value of shape (2,) for Tensor 'Placeholder:0', which has shape '(?, 3)'");
    /* wrong dtype */
    nb_tensor *dbl = nb_tensor_ones(NB_FLOAT64, 2, (int64_t[]){2, 3});
    CHECK_STATUS(nb_session_run(s, &(nb_feed){x, dbl}, 1, &y, 1, &out), NB_ERR_DTYPE);
    CHECK_STR_CONTAINS(nb_session_errmsg(s), "Placeholder:0");
    /* missing feed */
    CHECK_STATUS(nb_session_run(s, NULL, 0, &qq, 1, &out), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(nb_session_errmsg(s),
                       "You must feed a value for placeholder tensor 'Placeholder_1' with dtype double and shape [?,1]");
    /* nil fetch */
    CHECK_STATUS(nb_session_run(s, NULL, 0, &nb_nil, 1, &out), NB_ERR_INVALID_ARGUMENT);
    /* NULL feed value */
    CHECK_STATUS(nb_session_run(s, &(nb_feed){x, NULL}, 1, &y, 1, &out), NB_ERR_INVALID_ARGUMENT);
    /* the session still works after errors */
    CHECK_STATUS(nb_session_run(s, &(nb_feed){x, ok}, 1, &y, 1, &out), NB_OK);
    CHECK(out && nb_tensor_scalar_f64(out) == 6.0);
    CHECK(nb_session_status(s) == NB_OK && !strcmp(nb_session_errmsg(s), ""));
    nb_tensor_unref(out);
    nb_tensor_unref(ok);
    nb_tensor_unref(bad);
    nb_tensor_unref(dbl);
    nb_session_free(s);
    nb_graph_free(g);
}

TEST(any_output_can_be_fed_and_only_needed_ops_run) {
    nb_graph *g = nb_graph_new();
    nb_output p = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_SCALAR, "p");
    nb_output a = nb_add(g, p, nb_constant_f32(g, 1.0f, NULL), NULL);
    nb_output b = nb_multiply(g, a, nb_constant_f32(g, 10.0f, NULL), NULL);
    nb_output other = nb_add(g, p, p, NULL); /* needs p, not fetched */
    (void)other;
    nb_session *s = nb_session_new(g);
    nb_tensor *five = nb_tensor_scalar(NB_FLOAT32, 5);
    /* feeding the intermediate a: p is not needed */
    nb_tensor *out = nb_session_eval(s, b, &(nb_feed){a, five}, 1);
    CHECK(out && nb_tensor_scalar_f64(out) == 50.0);
    nb_tensor_unref(out);
    /* fetching a fed tensor returns the fed value */
    out = nb_session_eval(s, a, &(nb_feed){a, five}, 1);
    CHECK(out && nb_tensor_scalar_f64(out) == 5.0);
    nb_tensor_unref(out);
    /* two fetches at once, the same plan reused many times */
    for (int i = 0; i < 100; i++) {
        nb_tensor *outs[2];
        nb_tensor *pv = nb_tensor_scalar(NB_FLOAT32, i);
        CHECK_STATUS(nb_session_run(s, &(nb_feed){p, pv}, 1, (nb_output[]){a, b}, 2, outs), NB_OK);
        CHECK(nb_tensor_scalar_f64(outs[0]) == i + 1 && nb_tensor_scalar_f64(outs[1]) == 10 * (i + 1));
        nb_tensor_unref(outs[0]);
        nb_tensor_unref(outs[1]);
        nb_tensor_unref(pv);
    }
    nb_tensor_unref(five);
    nb_session_free(s);
    nb_graph_free(g);
}

TEST(fetched_results_stay_valid_across_runs) {
    nb_graph *g = nb_graph_new();
    nb_output p = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3), "p");
    nb_output y = nb_multiply(g, nb_add(g, p, p, NULL), p, NULL);
    nb_session *s = nb_session_new(g);
    nb_tensor *keep[5];
    for (int i = 0; i < 5; i++) {
        nb_tensor *pv = nb_tensor_fill(NB_FLOAT32, 1, (int64_t[]){3}, i);
        keep[i] = nb_session_eval(s, y, &(nb_feed){p, pv}, 1);
        nb_tensor_unref(pv);
    }
    for (int i = 0; i < 5; i++) {
        CHECK(keep[i] && nb_tensor_get_flat(keep[i], 2) == 2.0 * i * i);
        nb_tensor_unref(keep[i]);
    }
    nb_session_free(s);
    nb_graph_free(g);
}

TEST(variables_live_in_sessions) {
    nb_graph *g = nb_graph_new();
    nb_output v = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(2), NULL), NULL);
    nb_tensor *three = nb_tensor_scalar(NB_FLOAT32, 3);
    nb_output v1 = nb_variable_from_tensor(g, three, "w");
    nb_tensor_unref(three);
    nb_output inc = nb_assign_add(g, v, nb_ones(g, NB_FLOAT32, NB_SHAPE(2), NULL), NULL);
    nb_output dec = nb_assign_sub(g, v1, nb_constant_f32(g, 1.0f, NULL), NULL);
    nb_output set = nb_assign(g, v, nb_constant_array(g, NB_FLOAT32, 1, (int64_t[]){2}, (float[]){7, 8}, NULL), NULL);
    nb_output init = nb_global_variables_initializer(g);
    CHECK_GRAPH_OK(g);
    CHECK(!strcmp(nb_op_name(v.op), "Variable/read"));
    CHECK(!strcmp(nb_op_name(nb_variable_op(v)), "Variable"));
    CHECK(nb_graph_find_op(g, "Variable/Assign") != NULL);
    CHECK(nb_graph_find_op(g, "w/initial_value") != NULL);
    CHECK(!strcmp(nb_op_name(nb_variable_op(v1)), "w"));
    CHECK(!strcmp(nb_op_name(init.op), "init") && nb_op_num_control_inputs(init.op) == 2);
    CHECK(nb_graph_num_variables(g) == 2 && nb_graph_variable(g, 1).op == v1.op);
    nb_session *s = nb_session_new(g);
    /* before init: TF's message naming the variable */
    CHECK(nb_session_eval(s, v, NULL, 0) == NULL);
    CHECK_STATUS(nb_session_status(s), NB_ERR_FAILED_PRECONDITION);
    CHECK_STR_CONTAINS(nb_session_errmsg(s), "Attempting to use uninitialized value Variable");
    CHECK_STATUS(nb_session_run(s, NULL, 0, &inc, 1, NULL), NB_ERR_FAILED_PRECONDITION);
    CHECK_STATUS(nb_session_run(s, NULL, 0, &init, 1, NULL), NB_OK);
    nb_tensor *before = nb_session_eval(s, v, NULL, 0);
    for (int i = 0; i < 3; i++) CHECK_STATUS(nb_session_run(s, NULL, 0, &inc, 1, NULL), NB_OK);
    nb_tensor *after = nb_session_eval(s, v, NULL, 0);
    CHECK(before && nb_tensor_get_flat(before, 0) == 0.0); /* a snapshot, not a live view */
    CHECK(after && nb_tensor_get_flat(after, 1) == 3.0);
    nb_tensor *w = nb_session_eval(s, dec, NULL, 0);
    CHECK(w && nb_tensor_scalar_f64(w) == 2.0);
    nb_tensor_unref(w);
    CHECK_STATUS(nb_session_run(s, NULL, 0, &set, 1, NULL), NB_OK);
    nb_tensor *val = nb_session_variable_value(s, v);
    CHECK(val && nb_tensor_get_flat(val, 0) == 7.0 && nb_tensor_get_flat(val, 1) == 8.0);
    /* a second session has its own values */
    nb_session *s2 = nb_session_new(g);
    CHECK(nb_session_variable_value(s2, v) == NULL);
    nb_tensor *nv = nb_tensor_fill(NB_FLOAT32, 1, (int64_t[]){2}, 5);
    CHECK_STATUS(nb_session_set_variable(s2, v, nv), NB_OK);
    nb_tensor *bad = nb_tensor_fill(NB_FLOAT32, 1, (int64_t[]){3}, 5);
    CHECK_STATUS(nb_session_set_variable(s2, v, bad), NB_ERR_SHAPE);
    nb_tensor *x2 = nb_session_eval(s2, v, NULL, 0);
    CHECK(x2 && nb_tensor_get_flat(x2, 0) == 5.0);
    nb_tensor *x1 = nb_session_eval(s, v, NULL, 0);
    CHECK(x1 && nb_tensor_get_flat(x1, 0) == 7.0);
    nb_tensor_unref(x1);
    nb_tensor_unref(x2);
    nb_tensor_unref(nv);
    nb_tensor_unref(bad);
    nb_tensor_unref(val);
    nb_tensor_unref(before);
    nb_tensor_unref(after);
    nb_session_free(s2);
    nb_session_free(s);
    nb_graph_free(g);
}

TEST(assign_shape_checks) {
    nb_graph *g = nb_graph_new();
    nb_output v = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(2), NULL), "v");
    nb_output a = nb_assign(g, v, nb_zeros(g, NB_FLOAT32, NB_SHAPE(3), NULL), NULL);
    CHECK(nb_output_is_nil(a));
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "'Assign'");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_output p = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2), NULL);
    CHECK(nb_output_is_nil(nb_assign(g, p, p, NULL)));
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "not a variable");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_output q = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN), NULL);
    CHECK(nb_output_is_nil(nb_variable(g, q, NULL)));
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "fully defined shape");
    nb_graph_free(g);
}

/* Issue 18: a control dependency on another graph's op was accepted, and the
 * run indexed this graph's tables with the foreign op's id (out of bounds, or
 * after free once that graph is gone). */
TEST(control_dependency_from_another_graph_is_rejected) {
    nb_graph *other = nb_graph_new();
    nb_output c = other ? nb_constant_f32(other, 1.0f, "far") : nb_nil;
    for (int i = 0; i < 40; i++) nb_constant_f32(other, (float)i, NULL); /* a large id */
    nb_output far = nb_identity(other, c, "far_id");
    nb_graph *g = nb_graph_new();
    nb_output x = nb_constant_f32(g, 2.0f, "x");
    nb_control_dependencies_push(g, &far, 1);
    CHECK_STATUS(nb_graph_status(g), NB_ERR_INVALID_ARGUMENT);
    CHECK(!strcmp(nb_graph_errmsg(g),
                  "control_dependencies: dependency 0 comes from another graph ('far_id')"));
    nb_graph_free(other); /* nothing of g may refer to it now */
    nb_output y = nb_identity(g, x, "y");
    CHECK(nb_output_is_nil(y));
    nb_control_dependencies_pop(g);
    nb_session *s = nb_session_new(g);
    nb_tensor *t = (nb_tensor *)1;
    CHECK_STATUS(nb_session_run(s, NULL, 0, &x, 1, &t), NB_ERR_INVALID_ARGUMENT);
    CHECK(t == NULL);
    CHECK_STR_CONTAINS(nb_session_errmsg(s), "comes from another graph");
    nb_session_free(s);
    nb_graph_free(g);
    /* a NULL array with a positive count is an error too, not a crash */
    g = nb_graph_new();
    nb_control_dependencies_push(g, NULL, 2);
    CHECK_STATUS(nb_graph_status(g), NB_ERR_INVALID_ARGUMENT);
    nb_control_dependencies_pop(g);
    nb_graph_free(g);
}

TEST(control_dependencies_and_groups) {
    nb_graph *g = nb_graph_new();
    nb_output v = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE_SCALAR, NULL), "counter");
    nb_output init = nb_global_variables_initializer(g);
    nb_output inc = nb_assign_add(g, v, nb_constant_f32(g, 1.0f, NULL), NULL);
    nb_control_dependencies_push(g, &inc, 1);
    nb_output after = nb_identity(g, v, "after");
    nb_control_dependencies_pop(g);
    nb_output grp = nb_group(g, (nb_output[]){inc, inc}, 2, NULL);
    CHECK(!strcmp(nb_op_name(grp.op), "group_deps"));
    CHECK(nb_op_num_control_inputs(after.op) == 1);
    nb_session *s = nb_session_new(g);
    nb_session_run(s, NULL, 0, &init, 1, NULL);
    nb_tensor *t = nb_session_eval(s, after, NULL, 0);
    CHECK(t && nb_tensor_scalar_f64(t) == 1.0);
    nb_tensor_unref(t);
    nb_tensor *none = (nb_tensor *)1;
    CHECK_STATUS(nb_session_run(s, NULL, 0, &grp, 1, &none), NB_OK);
    CHECK(none == NULL); /* an op without a value fetches as NULL */
    t = nb_session_eval(s, v, NULL, 0);
    CHECK(t && nb_tensor_scalar_f64(t) == 2.0);
    nb_tensor_unref(t);
    nb_session_free(s);
    nb_graph_free(g);
}

TEST(random_ops_are_seeded_like_tf1) {
    for (int rep = 0; rep < 2; rep++) {
        nb_graph *g = nb_graph_new();
        nb_graph_set_seed(g, 42);
        nb_output r = nb_random_normal(g, NB_FLOAT32, NB_SHAPE(1000), 1.0, 2.0, NB_SEED_NONE, NULL);
        nb_output u = nb_random_uniform(g, NB_FLOAT64, NB_SHAPE(1000), -1.0, 3.0, 5, NULL);
        nb_output t = nb_truncated_normal(g, NB_FLOAT32, NB_SHAPE(1000), 0.0, 1.0, 9, NULL);
        CHECK_GRAPH_OK(g);
        CHECK(!strcmp(nb_op_name(r.op), "random_normal"));
        CHECK(nb_graph_find_op(g, "random_normal/RandomStandardNormal") != NULL);
        CHECK(nb_graph_find_op(g, "random_uniform/RandomUniform") != NULL);
        nb_session *s1 = nb_session_new(g), *s2 = nb_session_new(g);
        nb_tensor *a = nb_session_eval(s1, r, NULL, 0), *b = nb_session_eval(s2, r, NULL, 0);
        nb_tensor *a2 = nb_session_eval(s1, r, NULL, 0);
        CHECK(nb_tensor_equal(a, b));   /* same seeds, same values in every session */
        CHECK(!nb_tensor_equal(a, a2)); /* each run draws anew */
        double mean = 0, var = 0;
        for (int i = 0; i < 1000; i++) mean += nb_tensor_get_flat(a, i) / 1000;
        for (int i = 0; i < 1000; i++) var += pow(nb_tensor_get_flat(a, i) - mean, 2) / 999;
        CHECK(fabs(mean - 1.0) < 0.25 && fabs(sqrt(var) - 2.0) < 0.25);
        nb_tensor *uv = nb_session_eval(s1, u, NULL, 0), *tv = nb_session_eval(s1, t, NULL, 0);
        int in_range = 1;
        for (int i = 0; i < 1000; i++) {
            double x = nb_tensor_get_flat(uv, i), y = nb_tensor_get_flat(tv, i);
            in_range &= x >= -1.0 && x < 3.0 && fabs(y) <= 2.0;
        }
        CHECK(in_range);
        nb_tensor_unref(a);
        nb_tensor_unref(b);
        nb_tensor_unref(a2);
        nb_tensor_unref(uv);
        nb_tensor_unref(tv);
        nb_session_free(s1);
        nb_session_free(s2);
        nb_graph_free(g);
    }
}

TEST(glorot_uniform_limits) {
    nb_graph *g = nb_graph_new();
    nb_output w = nb_glorot_uniform(g, NB_FLOAT32, NB_SHAPE(30, 20), 1, NULL);
    nb_tensor *t = eval1(g, w, NULL, 0);
    double lim = sqrt(6.0 / 50), mx = 0;
    for (int i = 0; t && i < 600; i++) mx = fmax(mx, fabs(nb_tensor_get_flat(t, i)));
    CHECK(t && mx <= lim && mx > 0.9 * lim);
    nb_tensor_unref(t);
    nb_graph_free(g);
}

TEST(graph_can_grow_after_session) {
    nb_graph *g = nb_graph_new();
    nb_output a = nb_constant_f32(g, 2.0f, NULL);
    nb_session *s = nb_session_new(g);
    nb_tensor *t = nb_session_eval(s, a, NULL, 0);
    CHECK(t && nb_tensor_scalar_f64(t) == 2.0);
    nb_tensor_unref(t);
    nb_output v = nb_variable(g, nb_constant_f32(g, 4.0f, NULL), NULL);
    nb_output b = nb_multiply(g, a, v, NULL);
    nb_output init = nb_global_variables_initializer(g);
    nb_session_run(s, NULL, 0, &init, 1, NULL);
    t = nb_session_eval(s, b, NULL, 0);
    CHECK(t && nb_tensor_scalar_f64(t) == 8.0);
    nb_tensor_unref(t);
    /* the graph may be freed before its session */
    nb_graph_free(g);
    t = nb_session_eval(s, b, NULL, 0);
    CHECK(t && nb_tensor_scalar_f64(t) == 8.0);
    nb_tensor_unref(t);
    nb_session_free(s);
}

TEST(graph_clear_error_lets_building_go_on) {
    nb_graph *g = nb_graph_new();
    nb_output a = nb_constant_f32(g, 2.0f, "a");
    nb_output i = nb_constant_i32(g, 3, "i");
    int before = nb_graph_num_ops(g);
    nb_output bad = nb_add(g, a, i, NULL);
    CHECK(nb_output_is_nil(bad));
    CHECK(nb_graph_status(g) == NB_ERR_DTYPE);
    CHECK(strlen(nb_graph_errmsg(g)) > 0);
    CHECK(nb_graph_num_ops(g) == before); /* the failed op is not in the graph */
    nb_graph_clear_error(g);
    CHECK(nb_graph_status(g) == NB_OK);
    CHECK(strcmp(nb_graph_errmsg(g), "") == 0);
    nb_output b = nb_add(g, a, a, NULL); /* building goes on */
    CHECK(!nb_output_is_nil(b));
    CHECK(nb_graph_status(g) == NB_OK);
    nb_session *s = nb_session_new(g);
    nb_tensor *t = nb_session_eval(s, b, NULL, 0);
    CHECK(t && nb_tensor_scalar_f64(t) == 4.0);
    nb_tensor_unref(t);
    nb_session_free(s);
    nb_graph_clear_error(NULL); /* accepted */
    nb_graph_free(g);
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
