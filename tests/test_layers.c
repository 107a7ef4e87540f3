/*
 * test_layers.c — tf.layers helpers: TensorFlow's names and shapes for dense,
 * conv2d and flatten (unknown batch dims included), the Glorot and He
 * initializers' ranges and variances, seeding, and the gradient reaching a dense
 * layer's kernel and bias, checked against values computed by hand.
 */
#include "harness.h"

static bool has_op(nb_graph *g, const char *name) { return nb_graph_find_op(g, name) != NULL; }

static void check_shape(nb_output o, nb_shape want, const char *what) {
    char a[64], b[64];
    nb_shape s = nb_output_shape(o);
    nb_shape_string(s, a, sizeof a);
    nb_shape_string(want, b, sizeof b);
    checks_++;
    if (strcmp(a, b)) FAILF("%s: shape %s, expected %s", what, a, b);
}

TEST(dense_names_and_shapes) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 3), "x");
    nb_output h = nb_layers_dense(g, x, 4, NB_ACT_RELU, NULL);
    nb_output y = nb_layers_dense(g, h, 2, NB_ACT_NONE, NULL);
    nb_output z = nb_layers_dense(g, y, 5, NB_ACT_SIGMOID, "out");
    CHECK_GRAPH_OK(g);
    const char *names[] = {"dense/kernel", "dense/kernel/read", "dense/kernel/Assign",
                           "dense/kernel/Initializer/random_uniform", "dense/bias",
                           "dense/bias/read", "dense/bias/Initializer/zeros", "dense/MatMul",
                           "dense/BiasAdd", "dense/Relu", "dense_1/kernel", "dense_1/bias",
                           "dense_1/MatMul", "dense_1/BiasAdd", "out/kernel", "out/Sigmoid"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        checks_++;
        if (!has_op(g, names[i])) FAILF("no op named %s", names[i]);
    }
    CHECK(!has_op(g, "dense_1/Relu"));
    CHECK(!strcmp(nb_op_type(nb_graph_find_op(g, "dense/MatMul")), "MatMul"));
    CHECK(!strcmp(nb_op_type(nb_graph_find_op(g, "dense/kernel")), "VariableV2"));
    CHECK(!strcmp(nb_op_type(nb_graph_find_op(g, "dense/Relu")), "Relu"));
    CHECK(!strcmp(nb_op_type(nb_graph_find_op(g, "dense/BiasAdd")), "BiasAdd"));
    check_shape(h, NB_SHAPE(NB_DIM_UNKNOWN, 4), "dense");
    check_shape(y, NB_SHAPE(NB_DIM_UNKNOWN, 2), "dense_1");
    check_shape(z, NB_SHAPE(NB_DIM_UNKNOWN, 5), "out");
    check_shape(nb_graph_find_output(g, "dense/kernel"), NB_SHAPE(3, 4), "kernel");
    check_shape(nb_graph_find_output(g, "dense/bias"), NB_SHAPE(4), "bias");
    check_shape(nb_graph_find_output(g, "dense_1/kernel"), NB_SHAPE(4, 2), "kernel_1");
    CHECK(nb_graph_num_variables(g) == 6);
    for (int i = 0; i < nb_graph_num_variables(g); i++) CHECK(nb_variable_is_trainable(nb_graph_variable(g, i)));
    /* It runs with any batch size. */
    nb_output init = nb_global_variables_initializer(g);
    nb_session *s = nb_session_new(g);
    CHECK_STATUS(nb_session_run(s, NULL, 0, &init, 1, NULL), NB_OK);
    nb_tensor *X = nb_tensor_ones(NB_FLOAT32, 2, (int64_t[]){7, 3});
    nb_feed f = {x, X};
    nb_tensor *Z = nb_session_eval(s, z, &f, 1);
    CHECK(Z && nb_tensor_dim(Z, 0) == 7 && nb_tensor_dim(Z, 1) == 5);
    for (int64_t i = 0; Z && i < nb_tensor_size(Z); i++) {
        double v = nb_tensor_get_flat(Z, i);
        checks_++;
        if (!(v > 0 && v < 1)) FAILF("sigmoid output %g", v);
    }
    nb_tensor_unref(Z);
    nb_tensor_unref(X);
    nb_session_free(s);
    nb_graph_free(g);
}

TEST(dense_options_and_softmax) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(NB_DIM_UNKNOWN, 3), "x");
    nb_layer_options o = {0};
    o.no_bias = true;
    o.kernel_initializer = NB_INIT_HE_NORMAL;
    nb_output a = nb_layers_dense_ex(g, x, 4, NB_ACT_TANH, &o, "nb");
    nb_output p = nb_layers_dense(g, a, 3, NB_ACT_SOFTMAX, NULL);
    nb_layer_options o2 = {0};
    o2.activation_fn = nb_relu;
    nb_output r = nb_layers_dense_ex(g, x, 2, NB_ACT_NONE, &o2, NULL);
    CHECK_GRAPH_OK(g);
    CHECK(has_op(g, "nb/kernel/Initializer/truncated_normal"));
    CHECK(!has_op(g, "nb/bias") && !has_op(g, "nb/BiasAdd"));
    CHECK(has_op(g, "nb/Tanh"));
    CHECK(has_op(g, "dense/Softmax"));
    CHECK(has_op(g, "dense_1/Relu"));
    CHECK(nb_output_dtype(p) == NB_FLOAT64);
    nb_output init = nb_global_variables_initializer(g);
    nb_session *s = nb_session_new(g);
    CHECK_STATUS(nb_session_run(s, NULL, 0, &init, 1, NULL), NB_OK);
    nb_tensor *X = nb_tensor_random_normal(NB_FLOAT64, 2, (int64_t[]){5, 3}, 0, 3, 11);
    nb_feed f = {x, X};
    nb_tensor *P = nb_session_eval(s, p, &f, 1), *R = nb_session_eval(s, r, &f, 1);
    CHECK(P && R);
    for (int i = 0; P && i < 5; i++) {
        double sum = 0;
        for (int j = 0; j < 3; j++) sum += nb_tensor_get_flat(P, i * 3 + j);
        CHECK_NEAR(sum, 1.0, 1e-12);
    }
    for (int64_t i = 0; R && i < nb_tensor_size(R); i++) CHECK(nb_tensor_get_flat(R, i) >= 0);
    nb_tensor_unref(P);
    nb_tensor_unref(R);
    nb_tensor_unref(X);
    nb_session_free(s);
    nb_graph_free(g);
}

TEST(every_activation) {
    static const struct {
        nb_activation act;
        const char *op;
    } acts[] = {{NB_ACT_RELU, "Relu"},       {NB_ACT_SIGMOID, "Sigmoid"},     {NB_ACT_TANH, "Tanh"},
                {NB_ACT_SOFTMAX, "Softmax"}, {NB_ACT_RELU6, "Relu6"},         {NB_ACT_LEAKY_RELU, "LeakyRelu"},
                {NB_ACT_ELU, "Elu"},         {NB_ACT_SELU, "Selu"},           {NB_ACT_SOFTPLUS, "Softplus"},
                {NB_ACT_SOFTSIGN, "Softsign"}, {NB_ACT_SWISH, "swish"},       {NB_ACT_GELU, "Gelu"}};
    for (size_t i = 0; i < sizeof acts / sizeof *acts; i++) {
        nb_graph *g = nb_graph_new();
        nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 3), "x");
        nb_output y = nb_layers_dense(g, x, 2, acts[i].act, NULL);
        nb_output loss = nb_reduce_sum(g, y, NULL, NB_ALL_AXES, false, NULL);
        nb_output d;
        nb_gradients(g, &loss, 1, (nb_output[]){nb_graph_find_output(g, "dense/kernel/read")}, 1, NULL, &d);
        nb_output init = nb_global_variables_initializer(g);
        CHECK_GRAPH_OK(g);
        char name[64];
        snprintf(name, sizeof name, "dense/%s", acts[i].op);
        checks_++;
        if (!has_op(g, name)) FAILF("no op %s", name);
        nb_session *s = nb_session_new(g);
        CHECK_STATUS(nb_session_run(s, NULL, 0, &init, 1, NULL), NB_OK);
        nb_tensor *X = nb_tensor_random_normal(NB_FLOAT32, 2, (int64_t[]){4, 3}, 0, 1, 1);
        nb_feed f = {x, X};
        nb_tensor *out[2] = {NULL, NULL};
        CHECK_STATUS(nb_session_run(s, &f, 1, (nb_output[]){y, d}, 2, out), NB_OK);
        CHECK(out[0] && nb_tensor_dim(out[0], 0) == 4 && out[1] && nb_tensor_size(out[1]) == 6);
        nb_tensor_unref(out[0]);
        nb_tensor_unref(out[1]);
        nb_tensor_unref(X);
        nb_session_free(s);
        nb_graph_free(g);
    }
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 3), "x");
    CHECK(nb_output_is_nil(nb_layers_dense(g, x, 2, (nb_activation)99, NULL)));
    CHECK(nb_graph_status(g) == NB_ERR_INVALID_ARGUMENT);
    nb_graph_free(g);
}

TEST(dense_errors) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 2, 2), "x");
    nb_output y = nb_layers_dense(g, x, 3, NB_ACT_NONE, NULL);
    CHECK(nb_output_is_nil(y));
    CHECK(nb_graph_status(g) == NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "flatten");
    nb_graph_free(g);

    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 2), "x");
    CHECK(nb_output_is_nil(nb_layers_dense(g, x, 0, NB_ACT_NONE, NULL)));
    CHECK(nb_graph_status(g) == NB_ERR_INVALID_ARGUMENT);
    nb_graph_free(g);

    g = nb_graph_new();
    x = nb_placeholder(g, NB_INT32, NB_SHAPE(NB_DIM_UNKNOWN, 2), "x");
    CHECK(nb_output_is_nil(nb_layers_dense(g, x, 2, NB_ACT_NONE, NULL)));
    CHECK(nb_graph_status(g) == NB_ERR_DTYPE);
    /* Nil in, nil out, no crash. */
    CHECK(nb_output_is_nil(nb_layers_flatten(g, nb_nil, NULL)));
    nb_graph_free(g);
}

/* loss = sum(r * act(x W + b)); dL/dz = r * act'(z); dW = x^T dz; db = sum_rows dz. */
static void gradient_case(nb_activation act) {
    const double X[2][3] = {{1.0, -2.0, 0.5}, {0.25, 3.0, -1.0}};
    const double W[3][2] = {{0.1, -0.2}, {0.3, 0.05}, {-0.4, 0.6}};
    const double B[2] = {0.05, -0.1};
    const double R[2][2] = {{1.0, -0.5}, {2.0, 0.25}};
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(NB_DIM_UNKNOWN, 3), "x");
    nb_output y = nb_layers_dense(g, x, 2, act, NULL);
    nb_output r = nb_constant_array(g, NB_FLOAT64, 2, (int64_t[]){2, 2}, R, "r");
    nb_output loss = nb_reduce_sum(g, nb_multiply(g, y, r, NULL), NULL, NB_ALL_AXES, false, NULL);
    nb_output kernel = nb_graph_find_output(g, "dense/kernel/read");
    nb_output bias = nb_graph_find_output(g, "dense/bias/read");
    nb_output d[2];
    nb_gradients(g, &loss, 1, (nb_output[]){kernel, bias}, 2, NULL, d);
    nb_output init = nb_global_variables_initializer(g);
    CHECK_GRAPH_OK(g);
    CHECK(!nb_output_is_nil(d[0]) && !nb_output_is_nil(d[1]));
    nb_session *s = nb_session_new(g);
    CHECK_STATUS(nb_session_run(s, NULL, 0, &init, 1, NULL), NB_OK);
    nb_tensor *Wt = nb_tensor_new(NB_FLOAT64, 2, (int64_t[]){3, 2}, W);
    nb_tensor *Bt = nb_tensor_new(NB_FLOAT64, 1, (int64_t[]){2}, B);
    nb_tensor *Xt = nb_tensor_new(NB_FLOAT64, 2, (int64_t[]){2, 3}, X);
    CHECK_STATUS(nb_session_set_variable(s, kernel, Wt), NB_OK);
    CHECK_STATUS(nb_session_set_variable(s, bias, Bt), NB_OK);
    nb_feed f = {x, Xt};
    nb_tensor *out[2] = {NULL, NULL};
    CHECK_STATUS(nb_session_run(s, &f, 1, d, 2, out), NB_OK);
    double dz[2][2], dW[3][2] = {{0}}, db[2] = {0};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            double z = B[j];
            for (int k = 0; k < 3; k++) z += X[i][k] * W[k][j];
            double deriv = 1;
            if (act == NB_ACT_SIGMOID) {
                double sg = 1 / (1 + exp(-z));
                deriv = sg * (1 - sg);
            } else if (act == NB_ACT_TANH) {
                deriv = 1 - tanh(z) * tanh(z);
            } else if (act == NB_ACT_RELU) {
                deriv = z > 0;
            }
            dz[i][j] = R[i][j] * deriv;
        }
    for (int k = 0; k < 3; k++)
        for (int j = 0; j < 2; j++)
            for (int i = 0; i < 2; i++) dW[k][j] += X[i][k] * dz[i][j];
    for (int j = 0; j < 2; j++) db[j] = dz[0][j] + dz[1][j];
    for (int k = 0; out[0] && k < 6; k++) CHECK_NEAR(nb_tensor_get_flat(out[0], k), dW[k / 2][k % 2], 1e-12);
    for (int j = 0; out[1] && j < 2; j++) CHECK_NEAR(nb_tensor_get_flat(out[1], j), db[j], 1e-12);
    nb_tensor_unref(out[0]);
    nb_tensor_unref(out[1]);
    nb_tensor_unref(Wt);
    nb_tensor_unref(Bt);
    nb_tensor_unref(Xt);
    nb_session_free(s);
    nb_graph_free(g);
}

TEST(dense_gradients_by_hand) {
    gradient_case(NB_ACT_NONE);
    gradient_case(NB_ACT_SIGMOID);
    gradient_case(NB_ACT_TANH);
    gradient_case(NB_ACT_RELU);
}

TEST(dense_trains) {
    /* A dense layer fits y = 2 x1 - x2 + 0.5 by gradient descent. */
    nb_graph *g = nb_graph_new();
    nb_graph_set_seed(g, 5);
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 2), "x");
    nb_output t = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 1), "t");
    nb_output y = nb_layers_dense(g, x, 1, NB_ACT_NONE, NULL);
    nb_output loss = nb_reduce_mean(g, nb_squared_difference(g, y, t, NULL), NULL, NB_ALL_AXES, false, NULL);
    nb_output train = nb_train_gradient_descent_minimize(g, 0.1, loss);
    nb_output init = nb_global_variables_initializer(g);
    CHECK_GRAPH_OK(g);
    nb_tensor *X = nb_tensor_random_normal(NB_FLOAT32, 2, (int64_t[]){32, 2}, 0, 1, 3);
    nb_tensor *T = nb_tensor_zeros(NB_FLOAT32, 2, (int64_t[]){32, 1});
    for (int i = 0; i < 32; i++)
        nb_tensor_set_flat(T, i, 2 * nb_tensor_get_flat(X, 2 * i) - nb_tensor_get_flat(X, 2 * i + 1) + 0.5);
    nb_session *s = nb_session_new(g);
    nb_session_run(s, NULL, 0, &init, 1, NULL);
    nb_feed f[2] = {{x, X}, {t, T}};
    for (int i = 0; i < 300; i++) nb_session_run(s, f, 2, &train, 1, NULL);
    nb_tensor *L = nb_session_eval(s, loss, f, 2);
    CHECK(L && nb_tensor_scalar_f64(L) < 1e-6);
    nb_tensor *b = nb_session_eval(s, nb_graph_find_output(g, "dense/bias/read"), NULL, 0);
    CHECK(b && fabs(nb_tensor_get_flat(b, 0) - 0.5) < 1e-3);
    nb_tensor_unref(b);
    nb_tensor_unref(L);
    nb_tensor_unref(X);
    nb_tensor_unref(T);
    nb_session_free(s);
    nb_graph_free(g);
}

TEST(flatten_shapes) {
    nb_graph *g = nb_graph_new();
    nb_output a = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 4, 5, 2), "a");
    nb_output b = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3, 2, 2), "b");
    nb_output c = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, NB_DIM_UNKNOWN, 2), "c");
    nb_output fa = nb_layers_flatten(g, a, NULL);
    nb_output fb = nb_layers_flatten(g, b, NULL);
    nb_output fc = nb_layers_flatten(g, c, "flat");
    CHECK_GRAPH_OK(g);
    CHECK(has_op(g, "flatten/Reshape") && has_op(g, "flatten_1/Reshape") && has_op(g, "flat/Reshape"));
    check_shape(fa, NB_SHAPE(NB_DIM_UNKNOWN, 40), "flatten a");
    check_shape(fb, NB_SHAPE(3, 4), "flatten b");
    CHECK(nb_output_shape(fc).rank == 2);
    /* dense after flatten keeps the unknown batch */
    nb_output d = nb_layers_dense(g, fa, 3, NB_ACT_NONE, NULL);
    check_shape(d, NB_SHAPE(NB_DIM_UNKNOWN, 3), "dense after flatten");
    CHECK_GRAPH_OK(g);
    nb_tensor *A = nb_tensor_range(NB_FLOAT32, 0, 6 * 40, 1);
    nb_tensor *A4 = nb_tensor_reshape(A, 4, (int64_t[]){6, 4, 5, 2});
    nb_tensor *C = nb_tensor_ones(NB_FLOAT32, 3, (int64_t[]){2, 3, 2});
    nb_feed f[2] = {{a, A4}, {c, C}};
    nb_session *s = nb_session_new(g);
    nb_tensor *out[2] = {NULL, NULL};
    CHECK_STATUS(nb_session_run(s, f, 2, (nb_output[]){fa, fc}, 2, out), NB_OK);
    CHECK(out[0] && nb_tensor_dim(out[0], 0) == 6 && nb_tensor_dim(out[0], 1) == 40);
    CHECK(out[0] && nb_tensor_get_flat(out[0], 123) == 123);
    CHECK(out[1] && nb_tensor_rank(out[1]) == 2 && nb_tensor_dim(out[1], 0) == 2 && nb_tensor_dim(out[1], 1) == 6);
    nb_tensor_unref(out[0]);
    nb_tensor_unref(out[1]);
    nb_tensor_unref(A);
    nb_tensor_unref(A4);
    nb_tensor_unref(C);
    nb_session_free(s);
    /* rank 1 is an error */
    nb_output v = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(4), "v");
    CHECK(nb_output_is_nil(nb_layers_flatten(g, v, NULL)));
    CHECK(nb_graph_status(g) == NB_ERR_SHAPE);
    nb_graph_free(g);
}

/* Sample statistics of an initializer's output. */
static nb_tensor *draw(nb_output (*fn)(nb_graph *, nb_dtype, nb_shape, int64_t, const char *), nb_shape sh,
                       int64_t seed) {
    nb_graph *g = nb_graph_new();
    nb_output w = fn(g, NB_FLOAT64, sh, seed, NULL);
    nb_tensor *t = nb_graph_status(g) == NB_OK ? eval1(g, w, NULL, 0) : NULL;
    nb_graph_free(g);
    return t;
}

static void stats(const nb_tensor *t, double *mean, double *var, double *maxabs) {
    int64_t n = nb_tensor_size(t);
    double s = 0, s2 = 0, m = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = nb_tensor_get_flat(t, i);
        s += v;
        s2 += v * v;
        if (fabs(v) > m) m = fabs(v);
    }
    *mean = s / (double)n;
    *var = s2 / (double)n - *mean * *mean;
    *maxabs = m;
}

TEST(initializer_statistics) {
    double mean, var, mx;
    /* Glorot uniform [200, 300]: U(-l, l), l = sqrt(6/500), variance l^2/3. */
    nb_tensor *t = draw(nb_glorot_uniform, NB_SHAPE(200, 300), 1);
    CHECK(t != NULL);
    if (t) {
        stats(t, &mean, &var, &mx);
        double l = sqrt(6.0 / 500);
        CHECK(mx <= l);
        CHECK(mx > 0.99 * l);
        CHECK(fabs(mean) < 0.01 * l);
        CHECK_NEAR(var, l * l / 3, 0.03);
    }
    nb_tensor_unref(t);
    /* He uniform [400, 300]: l = sqrt(6/400), variance 2/400. */
    t = draw(nb_he_uniform, NB_SHAPE(400, 300), 2);
    CHECK(t != NULL);
    if (t) {
        stats(t, &mean, &var, &mx);
        double l = sqrt(6.0 / 400);
        CHECK(mx <= l && mx > 0.99 * l);
        CHECK_NEAR(var, 2.0 / 400, 0.03);
    }
    nb_tensor_unref(t);
    /* He normal [400, 300]: truncated at 2 sigma of sigma = sqrt(2/400)/0.8796, so
     * variance 2/400 after truncation. */
    t = draw(nb_he_normal, NB_SHAPE(400, 300), 3);
    CHECK(t != NULL);
    if (t) {
        stats(t, &mean, &var, &mx);
        double sigma = sqrt(2.0 / 400) / 0.87962566103423978;
        CHECK(mx <= 2 * sigma * (1 + 1e-9));
        CHECK(mx > 1.95 * sigma);
        CHECK(fabs(mean) < 0.01 * sigma);
        CHECK_NEAR(var, 2.0 / 400, 0.03);
    }
    nb_tensor_unref(t);
    /* Conv kernels: fan_in = 3*3*16 = 144. */
    t = draw(nb_he_uniform, NB_SHAPE(3, 3, 16, 32), 4);
    CHECK(t != NULL);
    if (t) {
        stats(t, &mean, &var, &mx);
        CHECK(mx <= sqrt(6.0 / 144));
        CHECK_NEAR(var, 2.0 / 144, 0.05);
    }
    nb_tensor_unref(t);
    /* Variance scaling, fan_out, uniform */
    nb_graph *g = nb_graph_new();
    nb_output w = nb_variance_scaling(g, NB_FLOAT32, NB_SHAPE(100, 50), 1.0, NB_FAN_OUT, true, 9, NULL);
    CHECK(has_op(g, "random_uniform"));
    t = eval1(g, w, NULL, 0);
    if (t) {
        stats(t, &mean, &var, &mx);
        CHECK(mx <= sqrt(3.0 / 50) * (1 + 1e-6));
    }
    nb_tensor_unref(t);
    CHECK(nb_output_is_nil(nb_variance_scaling(g, NB_FLOAT32, NB_SHAPE(2, 2), -1, NB_FAN_IN, true, 1, NULL)));
    CHECK(nb_graph_status(g) == NB_ERR_INVALID_ARGUMENT);
    nb_graph_free(g);
    g = nb_graph_new();
    CHECK(nb_output_is_nil(nb_he_normal(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 2), 1, NULL)));
    CHECK(nb_graph_status(g) == NB_ERR_SHAPE);
    nb_graph_free(g);
}

/* The kernel a dense layer starts from, for a graph seed (or none). */
static nb_tensor *first_kernel(bool seeded, int64_t graph_seed) {
    nb_graph *g = nb_graph_new();
    if (seeded) nb_graph_set_seed(g, graph_seed);
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 8), "x");
    nb_layers_dense(g, x, 8, NB_ACT_NONE, NULL);
    nb_output init = nb_global_variables_initializer(g);
    nb_session *s = nb_session_new(g);
    nb_session_run(s, NULL, 0, &init, 1, NULL);
    nb_tensor *k = nb_session_eval(s, nb_graph_find_output(g, "dense/kernel/read"), NULL, 0);
    nb_session_free(s);
    nb_graph_free(g);
    return k;
}

TEST(initializers_follow_graph_seed) {
    nb_tensor *a = first_kernel(true, 42), *b = first_kernel(true, 42), *c = first_kernel(true, 43);
    CHECK(a && b && c);
    CHECK(nb_tensor_equal(a, b));
    CHECK(!nb_tensor_equal(a, c));
    nb_tensor_unref(a);
    nb_tensor_unref(b);
    nb_tensor_unref(c);
    /* An explicit op seed in the options is reproducible without a graph seed. */
    nb_tensor *k[2] = {NULL, NULL};
    for (int r = 0; r < 2; r++) {
        nb_graph *g = nb_graph_new();
        nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 4), "x");
        nb_layer_options o = {0};
        o.has_seed = true;
        o.seed = 7;
        nb_layers_dense_ex(g, x, 4, NB_ACT_NONE, &o, NULL);
        nb_output init = nb_global_variables_initializer(g);
        nb_session *s = nb_session_new(g);
        nb_session_run(s, NULL, 0, &init, 1, NULL);
        k[r] = nb_session_eval(s, nb_graph_find_output(g, "dense/kernel/read"), NULL, 0);
        nb_session_free(s);
        nb_graph_free(g);
    }
    CHECK(k[0] && k[1] && nb_tensor_equal(k[0], k[1]));
    nb_tensor_unref(k[0]);
    nb_tensor_unref(k[1]);
}

TEST(conv2d_layer) {
    nb_graph *g = nb_graph_new();
    nb_graph_set_seed(g, 1);
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 8, 8, 2), "x");
    nb_output c1 = nb_layers_conv2d(g, x, 4, 3, 3, 1, "SAME", NB_ACT_RELU, NULL);
    nb_output c2 = nb_layers_conv2d(g, c1, 5, 3, 3, 2, "VALID", NB_ACT_NONE, NULL);
    nb_output f = nb_layers_flatten(g, c2, NULL);
    nb_output d = nb_layers_dense(g, f, 2, NB_ACT_NONE, NULL);
    CHECK_GRAPH_OK(g);
    CHECK(has_op(g, "conv2d/kernel") && has_op(g, "conv2d/Conv2D") && has_op(g, "conv2d/BiasAdd") &&
          has_op(g, "conv2d/Relu") && has_op(g, "conv2d_1/Conv2D"));
    check_shape(nb_graph_find_output(g, "conv2d/kernel"), NB_SHAPE(3, 3, 2, 4), "conv kernel");
    check_shape(c1, NB_SHAPE(NB_DIM_UNKNOWN, 8, 8, 4), "conv SAME");
    check_shape(c2, NB_SHAPE(NB_DIM_UNKNOWN, 3, 3, 5), "conv VALID stride 2");
    check_shape(f, NB_SHAPE(NB_DIM_UNKNOWN, 45), "flatten");
    nb_output loss = nb_reduce_sum(g, nb_square(g, d, NULL), NULL, NB_ALL_AXES, false, NULL);
    nb_output kernel = nb_graph_find_output(g, "conv2d/kernel/read");
    nb_output bias = nb_graph_find_output(g, "conv2d/bias/read");
    nb_output grads[2];
    nb_gradients(g, &loss, 1, (nb_output[]){kernel, bias}, 2, NULL, grads);
    nb_output init = nb_global_variables_initializer(g);
    CHECK_GRAPH_OK(g);
    nb_session *s = nb_session_new(g);
    CHECK_STATUS(nb_session_run(s, NULL, 0, &init, 1, NULL), NB_OK);
    nb_tensor *X = nb_tensor_random_uniform(NB_FLOAT32, 4, (int64_t[]){3, 8, 8, 2}, 0, 1, 5);
    nb_feed fd = {x, X};
    nb_tensor *out[3] = {NULL, NULL, NULL};
    CHECK_STATUS(nb_session_run(s, &fd, 1, (nb_output[]){d, grads[0], grads[1]}, 3, out), NB_OK);
    CHECK(out[0] && nb_tensor_dim(out[0], 0) == 3 && nb_tensor_dim(out[0], 1) == 2);
    CHECK(out[1] && nb_tensor_size(out[1]) == 3 * 3 * 2 * 4);
    CHECK(out[2] && nb_tensor_size(out[2]) == 4);
    for (int i = 0; i < 3; i++) nb_tensor_unref(out[i]);
    nb_tensor_unref(X);
    nb_session_free(s);
    nb_graph_free(g);
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
