/*
 * test_train.c — each optimizer's update against a step computed by hand,
 * TF's node names, global step, learning-rate tensors and errors.
 *
 * Model for the hand checks: loss = sum(w * c) with w = [1, 2] and c = [0.5, -1],
 * so the gradient is c whatever w is, and each update rule can be followed
 * exactly in double precision. As in TensorFlow, a constant learning rate is a
 * float32 tensor cast to the variable's dtype, so the expectations use
 * (double)(float)lr.
 */
#define F(x) ((double)(float)(x))
#include "harness.h"

static const double C[2] = {0.5, -1.0}, W0[2] = {1.0, 2.0};

typedef struct {
    nb_graph *g;
    nb_output w, train, init;
    nb_session *s;
} model;

static void build(model *m, nb_optimizer *(*make)(nb_graph *)) {
    m->g = nb_graph_new();
    m->w = nb_variable(m->g, nb_constant_array(m->g, NB_FLOAT64, 1, (int64_t[]){2}, W0, NULL), "w");
    nb_output c = nb_constant_array(m->g, NB_FLOAT64, 1, (int64_t[]){2}, C, NULL);
    nb_output loss = nb_reduce_sum(m->g, nb_multiply(m->g, m->w, c, NULL), NULL, NB_ALL_AXES, false, NULL);
    m->train = nb_optimizer_minimize(make(m->g), loss, NULL, 0, nb_nil);
    m->init = nb_global_variables_initializer(m->g);
    m->s = nb_session_new(m->g);
    nb_session_run(m->s, NULL, 0, &m->init, 1, NULL);
}

static void step_and_check(model *m, const double *want, const char *what) {
    CHECK_STATUS(nb_session_run(m->s, NULL, 0, &m->train, 1, NULL), NB_OK);
    nb_tensor *w = nb_session_eval(m->s, m->w, NULL, 0);
    CHECK(w != NULL);
    for (int i = 0; w && i < 2; i++) {
        checks_++;
        if (fabs(nb_tensor_get_flat(w, i) - want[i]) > 1e-12)
            FAILF("%s: w[%d] = %.15g, expected %.15g", what, i, nb_tensor_get_flat(w, i), want[i]);
    }
    nb_tensor_unref(w);
}

static void done(model *m) {
    nb_session_free(m->s);
    nb_graph_free(m->g);
}

static nb_optimizer *mk_gd(nb_graph *g) { return nb_train_gradient_descent(g, 0.1); }
static nb_optimizer *mk_mom(nb_graph *g) { return nb_train_momentum(g, 0.1, 0.9, false); }
static nb_optimizer *mk_nest(nb_graph *g) { return nb_train_momentum(g, 0.1, 0.9, true); }
static nb_optimizer *mk_adagrad(nb_graph *g) { return nb_train_adagrad(g, 0.1, 0.1); }
static nb_optimizer *mk_rms(nb_graph *g) { return nb_train_rmsprop(g, 0.01, 0.9, 0.5, 1e-10); }
static nb_optimizer *mk_adam(nb_graph *g) { return nb_train_adam(g, 0.001, 0.9, 0.999, 1e-8); }

TEST(gradient_descent_step) {
    model m;
    build(&m, mk_gd);
    CHECK_GRAPH_OK(m.g);
    double w[2] = {W0[0], W0[1]};
    for (int t = 0; t < 3; t++) {
        for (int i = 0; i < 2; i++) w[i] -= F(0.1) * C[i];
        step_and_check(&m, w, "GradientDescent");
    }
    CHECK(!strcmp(nb_op_name(m.train.op), "GradientDescent") && !strcmp(nb_op_type(m.train.op), "NoOp"));
    CHECK(nb_graph_find_op(m.g, "GradientDescent/update_w/ApplyGradientDescent") != NULL);
    CHECK(nb_graph_find_op(m.g, "GradientDescent/learning_rate") != NULL);
    done(&m);
}

TEST(momentum_steps) {
    for (int nest = 0; nest < 2; nest++) {
        model m;
        build(&m, nest ? mk_nest : mk_mom);
        CHECK_GRAPH_OK(m.g);
        double w[2] = {W0[0], W0[1]}, a[2] = {0, 0};
        for (int t = 0; t < 3; t++) {
            for (int i = 0; i < 2; i++) {
                a[i] = a[i] * 0.9 + C[i];
                w[i] -= nest ? F(0.1) * C[i] + F(0.1) * 0.9 * a[i] : F(0.1) * a[i];
            }
            step_and_check(&m, w, nest ? "Nesterov" : "Momentum");
        }
        CHECK(nb_graph_find_op(m.g, "w/Momentum") != NULL);
        CHECK(nb_graph_find_op(m.g, "Momentum/update_w/ApplyMomentum") != NULL);
        CHECK(!nb_variable_is_trainable(nb_graph_find_output(m.g, "w/Momentum/read")));
        done(&m);
    }
}

/* A float32 weight matrix large enough (70,001 elements) for ApplyMomentum to
 * split its pass over a team of 2 (adaptive sizing off, so a busy machine
 * does not shrink the team): every element against the rule in float. */
TEST(momentum_large_float32_split_over_threads) {
    enum { N = 70001 };
    float *c = malloc(sizeof(float) * N), *w0 = malloc(sizeof(float) * N);
    float *w = malloc(sizeof(float) * N), *a = calloc(N, sizeof(float));
    for (int i = 0; i < N; i++) {
        c[i] = (float)((i % 17) - 8) * 0.125f;
        w0[i] = w[i] = (float)(i % 5) * 0.5f - 1.0f;
    }
    int saved = nb_get_num_threads();
    bool adaptive = nb_get_adaptive_threads();
    nb_set_num_threads(2);
    nb_set_adaptive_threads(false);
    nb_graph *g = nb_graph_new();
    nb_output v = nb_variable(g, nb_constant_array(g, NB_FLOAT32, 1, (int64_t[]){N}, w0, NULL), "w");
    nb_output cc = nb_constant_array(g, NB_FLOAT32, 1, (int64_t[]){N}, c, NULL);
    nb_output loss = nb_reduce_sum(g, nb_multiply(g, v, cc, NULL), NULL, NB_ALL_AXES, false, NULL);
    nb_output train = nb_optimizer_minimize(nb_train_momentum(g, 0.1, 0.9, false), loss, NULL, 0, nb_nil);
    nb_output init = nb_global_variables_initializer(g);
    CHECK_GRAPH_OK(g);
    nb_session *s = nb_session_new(g);
    CHECK_STATUS(nb_session_run(s, NULL, 0, &init, 1, NULL), NB_OK);
    for (int t = 0; t < 3; t++) {
        CHECK_STATUS(nb_session_run(s, NULL, 0, &train, 1, NULL), NB_OK);
        for (int i = 0; i < N; i++) {
            a[i] = a[i] * 0.9f + c[i];
            w[i] -= 0.1f * a[i];
        }
    }
    nb_tensor *got = nb_session_eval(s, v, NULL, 0);
    CHECK(got != NULL);
    if (got) {
        const float *gd = nb_tensor_data(got);
        int bad = 0;
        for (int i = 0; i < N && !bad; i++) {
            bad = !(fabs((double)gd[i] - (double)w[i]) <= 1e-6 * (1 + fabs((double)w[i])));
            if (bad) FAILF("w[%d] = %.9g, expected %.9g", i, gd[i], w[i]);
        }
        checks_++;
    }
    nb_tensor_unref(got);
    nb_session_free(s);
    nb_graph_free(g);
    nb_set_adaptive_threads(adaptive);
    nb_set_num_threads(saved);
    free(c), free(w0), free(w), free(a);
}

TEST(adagrad_steps) {
    model m;
    build(&m, mk_adagrad);
    CHECK_GRAPH_OK(m.g);
    double w[2] = {W0[0], W0[1]}, a[2] = {0.1, 0.1};
    for (int t = 0; t < 3; t++) {
        for (int i = 0; i < 2; i++) {
            a[i] += C[i] * C[i];
            w[i] -= F(0.1) * C[i] / sqrt(a[i]);
        }
        step_and_check(&m, w, "Adagrad");
    }
    done(&m);
}

TEST(rmsprop_steps) {
    model m;
    build(&m, mk_rms);
    CHECK_GRAPH_OK(m.g);
    double w[2] = {W0[0], W0[1]}, ms[2] = {1, 1}, mom[2] = {0, 0};
    for (int t = 0; t < 3; t++) {
        for (int i = 0; i < 2; i++) {
            ms[i] = 0.9 * ms[i] + 0.1 * C[i] * C[i];
            mom[i] = 0.5 * mom[i] + F(0.01) * C[i] / sqrt(ms[i] + 1e-10);
            w[i] -= mom[i];
        }
        step_and_check(&m, w, "RMSProp");
    }
    done(&m);
}

TEST(adam_steps) {
    model m;
    build(&m, mk_adam);
    CHECK_GRAPH_OK(m.g);
    double w[2] = {W0[0], W0[1]}, mm[2] = {0, 0}, v[2] = {0, 0};
    float b1p = 0.9f, b2p = 0.999f; /* the powers are float32 variables, as in TF */
    for (int t = 0; t < 3; t++) {
        double lr_t = F(0.001) * sqrt(1 - (double)b2p) / (1 - (double)b1p);
        for (int i = 0; i < 2; i++) {
            mm[i] += (C[i] - mm[i]) * (1 - 0.9);
            v[i] += (C[i] * C[i] - v[i]) * (1 - 0.999);
            w[i] -= lr_t * mm[i] / (sqrt(v[i]) + 1e-8);
        }
        b1p = b1p * 0.9f;
        b2p = b2p * 0.999f;
        step_and_check(&m, w, "Adam");
    }
    CHECK(nb_graph_find_op(m.g, "beta1_power") != NULL && nb_graph_find_op(m.g, "w/Adam_1") != NULL);
    done(&m);
}

TEST(global_step_and_learning_rate_tensor) {
    nb_graph *g = nb_graph_new();
    nb_output gs = nb_train_create_global_step(g);
    nb_output lr = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_SCALAR, "lr");
    nb_output w = nb_variable(g, nb_constant_f64(g, 1.0, NULL), "w");
    nb_output loss = nb_multiply(g, w, nb_constant_f64(g, 2.0, NULL), NULL);
    nb_optimizer *opt = nb_train_gradient_descent(g, 123.0);
    nb_optimizer_set_learning_rate_tensor(opt, lr);
    nb_output train = nb_optimizer_minimize(opt, loss, NULL, 0, gs);
    nb_output init = nb_global_variables_initializer(g);
    CHECK_GRAPH_OK(g);
    CHECK(!strcmp(nb_op_type(train.op), "AssignAdd") && !strcmp(nb_op_name(train.op), "GradientDescent"));
    CHECK(nb_graph_find_op(g, "GradientDescent/update") != NULL);
    nb_session *s = nb_session_new(g);
    nb_session_run(s, NULL, 0, &init, 1, NULL);
    double want = 1.0;
    for (int t = 0; t < 4; t++) {
        double rate = 0.5 / (t + 1); /* a decaying rate fed each step */
        nb_tensor *lv = nb_tensor_scalar(NB_FLOAT32, rate);
        CHECK_STATUS(nb_session_run(s, &(nb_feed){lr, lv}, 1, &train, 1, NULL), NB_OK);
        want -= (double)(float)rate * 2.0;
        nb_tensor_unref(lv);
    }
    nb_tensor *wv = nb_session_eval(s, w, NULL, 0), *sv = nb_session_eval(s, gs, NULL, 0);
    CHECK(wv && fabs(nb_tensor_scalar_f64(wv) - want) < 1e-12);
    CHECK(sv && nb_tensor_dtype(sv) == NB_INT64 && nb_tensor_scalar_f64(sv) == 4);
    nb_tensor_unref(wv);
    nb_tensor_unref(sv);
    nb_session_free(s);
    nb_graph_free(g);
}

TEST(compute_and_apply_split_with_var_list) {
    nb_graph *g = nb_graph_new();
    nb_output a = nb_variable(g, nb_constant_f32(g, 1.0f, NULL), "a");
    nb_output b = nb_variable(g, nb_constant_f32(g, 1.0f, NULL), "b");
    nb_output loss = nb_multiply(g, a, b, NULL);
    nb_optimizer *opt = nb_train_gradient_descent(g, 0.5);
    nb_output grads[1];
    nb_optimizer_compute_gradients(opt, loss, &a, 1, grads); /* only a */
    nb_output train = nb_optimizer_apply_gradients(opt, grads, &a, 1, nb_nil);
    nb_output init = nb_global_variables_initializer(g);
    CHECK_GRAPH_OK(g);
    nb_session *s = nb_session_new(g);
    nb_session_run(s, NULL, 0, &init, 1, NULL);
    nb_session_run(s, NULL, 0, &train, 1, NULL);
    nb_tensor *av = nb_session_eval(s, a, NULL, 0), *bv = nb_session_eval(s, b, NULL, 0);
    CHECK(av && nb_tensor_scalar_f64(av) == 0.5 && bv && nb_tensor_scalar_f64(bv) == 1.0);
    nb_tensor_unref(av);
    nb_tensor_unref(bv);
    nb_session_free(s);
    nb_graph_free(g);
}

TEST(no_gradients_is_an_error) {
    nb_graph *g = nb_graph_new();
    nb_output a = nb_variable(g, nb_constant_f32(g, 1.0f, NULL), "a");
    nb_output c = nb_constant_f32(g, 3.0f, NULL);
    (void)a;
    nb_output train = nb_optimizer_minimize(nb_train_gradient_descent(g, 0.1), c, NULL, 0, nb_nil);
    CHECK(nb_output_is_nil(train));
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "No gradients provided for any variable");
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "[a]");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_output loss = nb_constant_f32(g, 3.0f, NULL);
    CHECK(nb_output_is_nil(nb_optimizer_minimize(nb_train_adam(g, 0.1, 0.9, 0.999, 1e-8), loss, NULL, 0, nb_nil)));
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "No variables to optimize");
    nb_graph_free(g);
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
