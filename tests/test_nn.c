/*
 * test_nn.c — the nn ops (src/ops/nn.c): forward values against references
 * computed here in double precision, numerical stability at extreme inputs,
 * float32 kernels, the multi-threaded path on large tensors, TensorFlow's
 * node names, dropout's mask and training flag, and bad inputs (dtypes,
 * shapes, out-of-range labels) with messages naming the node.
 * Gradients are checked by finite differences in test_grad.c
 * (grad_cases_nn.inc).
 */
#include "harness.h"
#include "ops/ops_impl.h"

#include <stdint.h>

/*** References (double precision, written independently of the kernels) ***/

static double r_relu6(double x) { return x < 0 ? 0 : x > 6 ? 6 : x; }
static double r_leaky(double x) { return x > 0 ? x : 0.2 * x; }
static double r_elu(double x) { return x > 0 ? x : exp(x) - 1; }
static double r_selu(double x) {
    const double a = 1.6732632423543772848170429916717, s = 1.0507009873554804934193349852946;
    return x > 0 ? s * x : s * a * (exp(x) - 1);
}
static double r_softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }
static double r_softsign(double x) { return x / (1 + fabs(x)); }
static double r_swish(double x) { return x / (1 + exp(-x)); }
static double r_gelu(double x) { return 0.5 * x * erfc(-x / sqrt(2.0)); }
static double r_gelu_tanh(double x) {
    return 0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
}

typedef nb_output (*unary_ctor)(nb_graph *g, nb_output x, const char *name);
static nb_output c_leaky(nb_graph *g, nb_output x, const char *name) { return nb_nn_leaky_relu(g, x, 0.2, name); }
static nb_output c_gelu(nb_graph *g, nb_output x, const char *name) { return nb_nn_gelu(g, x, false, name); }
static nb_output c_gelu_tanh(nb_graph *g, nb_output x, const char *name) { return nb_nn_gelu(g, x, true, name); }

static const struct {
    const char *name, *node;
    unary_ctor ctor;
    double (*ref)(double);
} unary_ops[] = {
    {"relu6", "Relu6", nb_nn_relu6, r_relu6},
    {"leaky_relu", "LeakyRelu", c_leaky, r_leaky},
    {"elu", "Elu", nb_nn_elu, r_elu},
    {"selu", "Selu", nb_nn_selu, r_selu},
    {"softplus", "Softplus", nb_nn_softplus, r_softplus},
    {"softsign", "Softsign", nb_nn_softsign, r_softsign},
    {"swish", "swish", nb_nn_swish, r_swish},
    {"gelu", "Gelu", c_gelu, r_gelu},
    {"gelu_tanh", "Gelu", c_gelu_tanh, r_gelu_tanh},
};
#define N_UNARY (int)(sizeof unary_ops / sizeof unary_ops[0])

static const double probe[] = {-800, -50, -6.5, -3, -1, -0.5, -1e-3, 0, 1e-3, 0.5, 1, 3, 5.9, 6, 6.5, 50, 800};
#define N_PROBE (int64_t)(sizeof probe / sizeof probe[0])

/* Evaluates y for x fed with t; new reference or NULL. */
static nb_tensor *run1(nb_graph *g, nb_output x, const nb_tensor *t, nb_output y) {
    nb_feed f = {x, t};
    return eval1(g, y, &f, 1);
}

static double rel_err(double a, double b) { return fabs(a - b) / (1e-300 + fmax(1.0, fabs(b))); }

/*** Activations ***/

TEST(activations_match_reference_float64_and_float32) {
    for (int o = 0; o < N_UNARY; o++)
        for (int d = 0; d < 2; d++) {
            nb_dtype dt = d ? NB_FLOAT32 : NB_FLOAT64;
            nb_graph *g = nb_graph_new();
            nb_output x = nb_placeholder(g, dt, NB_SHAPE(NB_DIM_UNKNOWN), "x");
            nb_output y = unary_ops[o].ctor(g, x, NULL);
            CHECK_GRAPH_OK(g);
            CHECK(!strcmp(nb_op_name(y.op), unary_ops[o].node));
            CHECK(nb_output_dtype(y) == dt);
            nb_tensor *xt = nb_tensor_new(NB_FLOAT64, 1, (int64_t[]){N_PROBE}, probe);
            nb_tensor *xc = nb_tensor_cast(xt, dt);
            nb_tensor *yt = run1(g, x, xc, y);
            CHECK(yt != NULL);
            for (int64_t i = 0; yt && i < N_PROBE; i++) {
                double xv = nb_tensor_get_flat(xc, i); /* the value the kernel saw */
                double got = nb_tensor_get_flat(yt, i), want = unary_ops[o].ref(xv);
                checks_++;
                if (!(rel_err(got, want) <= (d ? 2e-6 : 1e-14)))
                    FAILF("%s(%s)(%g) = %.17g, expected %.17g", unary_ops[o].name, nb_dtype_name(dt), xv, got, want);
            }
            nb_tensor_unref(yt);
            nb_tensor_unref(xc);
            nb_tensor_unref(xt);
            nb_graph_free(g);
        }
}

TEST(softplus_is_stable_at_extremes) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(4), "x");
    nb_output y = nb_nn_softplus(g, x, NULL);
    nb_tensor *xt = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){4}, (float[]){-100, -20, 20, 100});
    nb_tensor *yt = run1(g, x, xt, y);
    CHECK(yt != NULL);
    if (yt) {
        CHECK_NEAR(nb_tensor_get_flat(yt, 0), exp(-100.0), 1e-6); /* not flushed by 1 + e^-100 */
        CHECK(nb_tensor_get_flat(yt, 0) > 0);
        CHECK_NEAR(nb_tensor_get_flat(yt, 1), exp(-20.0), 1e-6);
        CHECK_NEAR(nb_tensor_get_flat(yt, 2), 20.0, 1e-7);
        CHECK(isfinite(nb_tensor_get_flat(yt, 3)) && nb_tensor_get_flat(yt, 3) == 100.0f);
    }
    nb_tensor_unref(yt);
    nb_tensor_unref(xt);
    nb_graph_free(g);
}

TEST(relu6_keeps_nan_and_leaky_alpha_is_an_attribute) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(3), "x");
    nb_output a = nb_nn_relu6(g, x, NULL);
    nb_output b = nb_nn_leaky_relu(g, x, 0.01, "lrelu");
    CHECK(!strcmp(nb_op_name(b.op), "lrelu"));
    CHECK(!strcmp(nb_op_type(b.op), "LeakyRelu"));
    nb_tensor *xt = nb_tensor_new(NB_FLOAT64, 1, (int64_t[]){3}, (double[]){NAN, -4, 2});
    nb_tensor *at = run1(g, x, xt, a), *bt = run1(g, x, xt, b);
    CHECK(at && isnan(nb_tensor_get_flat(at, 0)) && nb_tensor_get_flat(at, 1) == 0 && nb_tensor_get_flat(at, 2) == 2);
    CHECK(bt && nb_tensor_get_flat(bt, 1) == -0.04 && nb_tensor_get_flat(bt, 2) == 2);
    nb_tensor_unref(at);
    nb_tensor_unref(bt);
    nb_tensor_unref(xt);
    nb_graph_free(g);
}

TEST(gradient_helper_ops_have_tensorflow_names) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(2), "x");
    nb_output ys[] = {nb_nn_relu6(g, x, NULL), nb_nn_leaky_relu(g, x, 0.2, NULL), nb_nn_elu(g, x, NULL),
                      nb_nn_selu(g, x, NULL), nb_nn_softplus(g, x, NULL), nb_nn_softsign(g, x, NULL),
                      nb_nn_gelu(g, x, false, NULL)};
    nb_output d;
    nb_gradients(g, ys, 7, &x, 1, NULL, &d);
    CHECK_GRAPH_OK(g);
    const char *names[] = {"gradients/Relu6_grad/Relu6Grad", "gradients/LeakyRelu_grad/LeakyReluGrad",
                           "gradients/Elu_grad/EluGrad", "gradients/Selu_grad/SeluGrad",
                           "gradients/Softplus_grad/SoftplusGrad", "gradients/Softsign_grad/SoftsignGrad",
                           "gradients/Gelu_grad/GeluGrad"};
    for (int i = 0; i < 7; i++) {
        checks_++;
        nb_op *op = nb_graph_find_op(g, names[i]);
        if (!op) FAILF("no op %s", names[i]);
    }
    nb_graph_free(g);
}

/*** Softmax ***/

static void ref_softmax_rows(const double *x, int64_t rows, int64_t c, double *sm, double *lsm) {
    for (int64_t r = 0; r < rows; r++) {
        double m = -INFINITY, s = 0;
        for (int64_t j = 0; j < c; j++) m = fmax(m, x[r * c + j]);
        for (int64_t j = 0; j < c; j++) s += exp(x[r * c + j] - m);
        for (int64_t j = 0; j < c; j++) {
            if (sm) sm[r * c + j] = exp(x[r * c + j] - m) / s;
            if (lsm) lsm[r * c + j] = x[r * c + j] - m - log(s);
        }
    }
}

TEST(softmax_and_log_softmax_are_stable) {
    /* rows of huge, tiny and mixed logits: naive exp would overflow */
    double xv[3][4] = {{1000, 1001, 1002, 999}, {-1000, -1001, -999, -1000}, {0.5, -2, 3, 0}};
    for (int d = 0; d < 2; d++) {
        nb_dtype dt = d ? NB_FLOAT32 : NB_FLOAT64;
        nb_graph *g = nb_graph_new();
        nb_output x = nb_placeholder(g, dt, NB_SHAPE(NB_DIM_UNKNOWN, 4), "x");
        nb_output sm = nb_nn_softmax(g, x, NULL), lsm = nb_nn_log_softmax(g, x, NULL);
        CHECK(!strcmp(nb_op_name(sm.op), "Softmax") && !strcmp(nb_op_name(lsm.op), "LogSoftmax"));
        CHECK_GRAPH_OK(g);
        nb_tensor *x64 = nb_tensor_new(NB_FLOAT64, 2, (int64_t[]){3, 4}, xv);
        nb_tensor *xt = nb_tensor_cast(x64, dt);
        double rs[12], rl[12];
        ref_softmax_rows(&xv[0][0], 3, 4, rs, rl);
        nb_tensor *st = run1(g, x, xt, sm), *lt = run1(g, x, xt, lsm);
        CHECK(st && lt);
        for (int i = 0; st && lt && i < 12; i++) {
            CHECK(isfinite(nb_tensor_get_flat(st, i)) && isfinite(nb_tensor_get_flat(lt, i)));
            CHECK_NEAR(nb_tensor_get_flat(st, i), rs[i], d ? 1e-6 : 1e-14);
            CHECK_NEAR(nb_tensor_get_flat(lt, i), rl[i], d ? 1e-5 : 1e-13);
        }
        nb_tensor_unref(st);
        nb_tensor_unref(lt);
        nb_tensor_unref(xt);
        nb_tensor_unref(x64);
        nb_graph_free(g);
    }
}

TEST(softmax_over_last_axis_of_rank3) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(2, 2, 3), "x");
    nb_output y = nb_nn_softmax(g, x, NULL);
    nb_shape s = nb_output_shape(y);
    CHECK(s.rank == 3 && s.dims[2] == 3);
    double xv[12];
    for (int i = 0; i < 12; i++) xv[i] = sin(i * 1.7) * 3;
    double rs[12];
    ref_softmax_rows(xv, 4, 3, rs, NULL);
    nb_tensor *xt = nb_tensor_new(NB_FLOAT64, 3, (int64_t[]){2, 2, 3}, xv);
    nb_tensor *yt = run1(g, x, xt, y);
    for (int i = 0; yt && i < 12; i++) CHECK_NEAR(nb_tensor_get_flat(yt, i), rs[i], 1e-14);
    nb_tensor_unref(yt);
    nb_tensor_unref(xt);
    nb_graph_free(g);
}

/*** Cross-entropy losses ***/

TEST(softmax_cross_entropy_dense_values_and_backprop) {
    double lg[2][3] = {{2, -1, 500}, {0.1, 0.2, -0.3}};
    double lb[2][3] = {{0.2, 0.3, 0.5}, {0, 1, 0}};
    for (int d = 0; d < 2; d++) {
        nb_dtype dt = d ? NB_FLOAT32 : NB_FLOAT64;
        nb_graph *g = nb_graph_new();
        nb_tensor *l64 = nb_tensor_new(NB_FLOAT64, 2, (int64_t[]){2, 3}, lg);
        nb_tensor *z64 = nb_tensor_new(NB_FLOAT64, 2, (int64_t[]){2, 3}, lb);
        nb_tensor *lt = nb_tensor_cast(l64, dt), *zt = nb_tensor_cast(z64, dt);
        nb_output logits = nb_placeholder(g, dt, NB_SHAPE(NB_DIM_UNKNOWN, 3), "logits");
        nb_output labels = nb_constant(g, zt, "labels");
        nb_output loss = nb_nn_softmax_cross_entropy_with_logits(g, labels, logits, NULL);
        CHECK_GRAPH_OK(g);
        CHECK(!strcmp(nb_op_name(loss.op), "softmax_cross_entropy_with_logits"));
        CHECK(!strcmp(nb_op_type(loss.op), "SoftmaxCrossEntropyWithLogits"));
        CHECK(nb_op_num_outputs(loss.op) == 2);
        nb_shape ls = nb_output_shape(loss);
        CHECK(ls.rank == 1 && ls.dims[0] == 2); /* batch known from the labels */
        double lsm[6], sm[6];
        ref_softmax_rows(&lg[0][0], 2, 3, sm, lsm);
        nb_session *s = nb_session_new(g);
        nb_output fetch[2] = {loss, nb_op_output(loss.op, 1)};
        nb_tensor *out[2] = {NULL, NULL};
        CHECK_STATUS(nb_session_run(s, &(nb_feed){logits, lt}, 1, fetch, 2, out), NB_OK);
        for (int r = 0; out[0] && r < 2; r++) {
            double want = 0;
            for (int j = 0; j < 3; j++) want -= lb[r][j] * lsm[r * 3 + j];
            CHECK(isfinite(nb_tensor_get_flat(out[0], r)));
            CHECK_NEAR(nb_tensor_get_flat(out[0], r), want, d ? 1e-5 : 1e-12);
        }
        for (int i = 0; out[1] && i < 6; i++)
            CHECK_NEAR(nb_tensor_get_flat(out[1], i), sm[i] - (&lb[0][0])[i], d ? 1e-6 : 1e-14);
        nb_tensor_unref(out[0]);
        nb_tensor_unref(out[1]);
        nb_session_free(s);
        nb_tensor_unref(lt);
        nb_tensor_unref(zt);
        nb_tensor_unref(l64);
        nb_tensor_unref(z64);
        nb_graph_free(g);
    }
}

TEST(sparse_softmax_cross_entropy_values_and_names) {
    double lg[3][4] = {{1, 2, 3, 4}, {-700, 0, 700, 1}, {0, 0, 0, 0}};
    int64_t lab[3] = {3, 0, 2};
    for (int li = 0; li < 2; li++) {
        nb_graph *g = nb_graph_new();
        nb_output logits = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(3, 4), "logits");
        nb_dtype ldt = li ? NB_INT64 : NB_INT32;
        nb_output labels = nb_placeholder(g, ldt, NB_SHAPE(3), "labels");
        nb_output loss = nb_nn_sparse_softmax_cross_entropy_with_logits(g, labels, logits, NULL);
        nb_output loss2 = nb_nn_sparse_softmax_cross_entropy_with_logits(g, labels, logits, "xent");
        CHECK_GRAPH_OK(g);
        CHECK(!strcmp(nb_op_name(loss.op), "SparseSoftmaxCrossEntropyWithLogits/SparseSoftmaxCrossEntropyWithLogits"));
        CHECK(!strcmp(nb_op_name(loss2.op), "xent/xent"));
        nb_tensor *lt = nb_tensor_new(NB_FLOAT64, 2, (int64_t[]){3, 4}, lg);
        nb_tensor *l64 = nb_tensor_new(NB_INT64, 1, (int64_t[]){3}, lab);
        nb_tensor *zt = nb_tensor_cast(l64, ldt);
        double lsm[12], sm[12];
        ref_softmax_rows(&lg[0][0], 3, 4, sm, lsm);
        nb_session *s = nb_session_new(g);
        nb_feed f[2] = {{logits, lt}, {labels, zt}};
        nb_output fetch[2] = {loss, nb_op_output(loss.op, 1)};
        nb_tensor *out[2] = {NULL, NULL};
        CHECK_STATUS(nb_session_run(s, f, 2, fetch, 2, out), NB_OK);
        for (int r = 0; out[0] && r < 3; r++) CHECK_NEAR(nb_tensor_get_flat(out[0], r), -lsm[r * 4 + lab[r]], 1e-12);
        for (int i = 0; out[1] && i < 12; i++)
            CHECK_NEAR(nb_tensor_get_flat(out[1], i), sm[i] - (i % 4 == lab[i / 4] ? 1 : 0), 1e-14);
        nb_tensor_unref(out[0]);
        nb_tensor_unref(out[1]);
        /* out-of-range label: a run-time error naming the value and the index */
        nb_tensor_set_flat(zt, 1, 4);
        nb_tensor *bad = nb_session_eval(s, loss, f, 2);
        CHECK(bad == NULL);
        CHECK_STATUS(nb_session_status(s), NB_ERR_INVALID_ARGUMENT);
        CHECK_STR_CONTAINS(nb_session_errmsg(s), "Received a label value of 4 which is outside the valid range of [0, 4)");
        CHECK_STR_CONTAINS(nb_session_errmsg(s), "labels[1]");
        CHECK_STR_CONTAINS(nb_session_errmsg(s), "SparseSoftmaxCrossEntropyWithLogits");
        nb_tensor_set_flat(zt, 1, -1);
        CHECK(nb_session_eval(s, loss, f, 2) == NULL);
        CHECK_STR_CONTAINS(nb_session_errmsg(s), "label value of -1");
        nb_session_free(s);
        nb_tensor_unref(lt);
        nb_tensor_unref(l64);
        nb_tensor_unref(zt);
        nb_graph_free(g);
    }
}

TEST(sigmoid_cross_entropy_matches_reference_and_tf_ops) {
    double x[6] = {-100, -2, 0, 0.5, 3, 100}, z[6] = {0, 1, 0.5, 0.3, 1, 0};
    nb_graph *g = nb_graph_new();
    nb_output xp = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(2, 3), "x");
    nb_output zc = nb_constant_array(g, NB_FLOAT64, 2, (int64_t[]){2, 3}, z, "z");
    nb_output y = nb_nn_sigmoid_cross_entropy_with_logits(g, zc, xp, NULL);
    CHECK_GRAPH_OK(g);
    CHECK(!strcmp(nb_op_name(y.op), "logistic_loss"));
    CHECK(nb_graph_find_op(g, "logistic_loss/Log1p") != NULL);
    CHECK(nb_graph_find_op(g, "logistic_loss/Select") != NULL);
    nb_tensor *xt = nb_tensor_new(NB_FLOAT64, 2, (int64_t[]){2, 3}, x);
    nb_tensor *yt = run1(g, xp, xt, y);
    for (int i = 0; yt && i < 6; i++) {
        /* -z log(sigmoid(x)) - (1 - z) log(1 - sigmoid(x)), written with softplus */
        double want = z[i] * r_softplus(-x[i]) + (1 - z[i]) * r_softplus(x[i]);
        CHECK(isfinite(nb_tensor_get_flat(yt, i)));
        CHECK_NEAR(nb_tensor_get_flat(yt, i), want, 1e-12);
    }
    nb_tensor_unref(yt);
    nb_tensor_unref(xt);
    nb_graph_free(g);
}

TEST(l2_loss_and_mean_squared_error) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 2), "x");
    nb_output y = nb_constant_array(g, NB_FLOAT32, 2, (int64_t[]){2, 2}, (float[]){1, 1, 1, 1}, "y");
    nb_output l2 = nb_nn_l2_loss(g, x, NULL);
    nb_output mse = nb_losses_mean_squared_error(g, y, x, NULL);
    CHECK_GRAPH_OK(g);
    CHECK(!strcmp(nb_op_name(l2.op), "L2Loss"));
    CHECK(!strcmp(nb_op_name(mse.op), "mean_squared_error/value"));
    CHECK(nb_graph_find_op(g, "mean_squared_error/SquaredDifference") != NULL);
    CHECK(nb_output_shape(l2).rank == 0 && nb_output_shape(mse).rank == 0);
    nb_tensor *xt = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){2, 2}, (float[]){1, -2, 3, 0.5f});
    nb_tensor *a = run1(g, x, xt, l2), *b = run1(g, x, xt, mse);
    CHECK(a && b);
    if (a) CHECK_NEAR(nb_tensor_scalar_f64(a), (1 + 4 + 9 + 0.25) / 2, 1e-7);
    if (b) CHECK_NEAR(nb_tensor_scalar_f64(b), (0 + 9 + 4 + 0.25) / 4, 1e-7);
    nb_tensor_unref(a);
    nb_tensor_unref(b);
    nb_tensor_unref(xt);
    nb_graph_free(g);
}

/*** BiasAdd ***/

TEST(bias_add_and_its_gradient) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(NB_DIM_UNKNOWN, 2, 2, 3), "x");
    nb_output b = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(3), "b");
    nb_output y = nb_nn_bias_add(g, x, b, NULL);
    CHECK(!strcmp(nb_op_name(y.op), "BiasAdd"));
    nb_output loss = nb_reduce_sum(g, nb_multiply(g, y, y, NULL), NULL, NB_ALL_AXES, false, NULL);
    nb_output d[2];
    nb_gradients(g, &loss, 1, (nb_output[]){x, b}, 2, NULL, d);
    CHECK_GRAPH_OK(g);
    CHECK(nb_graph_find_op(g, "gradients/BiasAdd_grad/BiasAddGrad") != NULL);
    double xv[24], bv[3] = {0.5, -1, 2};
    for (int i = 0; i < 24; i++) xv[i] = i * 0.25 - 3;
    nb_tensor *xt = nb_tensor_new(NB_FLOAT64, 4, (int64_t[]){2, 2, 2, 3}, xv);
    nb_tensor *bt = nb_tensor_new(NB_FLOAT64, 1, (int64_t[]){3}, bv);
    nb_session *s = nb_session_new(g);
    nb_feed f[2] = {{x, xt}, {b, bt}};
    nb_output fetch[2] = {y, d[1]};
    nb_tensor *out[2] = {NULL, NULL};
    CHECK_STATUS(nb_session_run(s, f, 2, fetch, 2, out), NB_OK);
    double db[3] = {0, 0, 0};
    for (int i = 0; i < 24; i++) db[i % 3] += 2 * (xv[i] + bv[i % 3]);
    for (int i = 0; out[0] && i < 24; i++) CHECK(nb_tensor_get_flat(out[0], i) == xv[i] + bv[i % 3]);
    for (int c = 0; out[1] && c < 3; c++) CHECK_NEAR(nb_tensor_get_flat(out[1], c), db[c], 1e-13);
    nb_tensor_unref(out[0]);
    nb_tensor_unref(out[1]);
    /* wrong bias length at run time (the shapes were not all known) */
    nb_graph *g2 = nb_graph_new();
    nb_output x2 = nb_placeholder(g2, NB_FLOAT64, NB_SHAPE(NB_DIM_UNKNOWN, NB_DIM_UNKNOWN), "x");
    nb_output b2 = nb_placeholder(g2, NB_FLOAT64, NB_SHAPE(NB_DIM_UNKNOWN), "b");
    nb_output y2 = nb_nn_bias_add(g2, x2, b2, NULL);
    nb_tensor *x2t = nb_tensor_zeros(NB_FLOAT64, 2, (int64_t[]){2, 4});
    nb_session *s2 = nb_session_new(g2);
    CHECK(nb_session_eval(s2, y2, (nb_feed[]){{x2, x2t}, {b2, bt}}, 2) == NULL);
    CHECK_STR_CONTAINS(nb_session_errmsg(s2), "as many biases as the last dimension");
    CHECK_STR_CONTAINS(nb_session_errmsg(s2), "BiasAdd");
    nb_session_free(s2);
    nb_tensor_unref(x2t);
    nb_graph_free(g2);
    nb_session_free(s);
    nb_tensor_unref(xt);
    nb_tensor_unref(bt);
    nb_graph_free(g);
}

/*** Dropout ***/

TEST(dropout_masks_scales_and_gradient_uses_the_same_mask) {
    const int64_t n = 40000;
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(NB_DIM_UNKNOWN), "x");
    nb_output training = nb_placeholder(g, NB_BOOL, NB_SHAPE_SCALAR, "training");
    nb_output y = nb_nn_dropout(g, x, 0.25, 42, training, NULL);
    nb_output d;
    nb_gradients(g, &y, 1, &x, 1, NULL, &d);
    CHECK_GRAPH_OK(g);
    CHECK(!strcmp(nb_op_name(y.op), "dropout"));
    CHECK(!strcmp(nb_op_type(y.op), "Select"));
    CHECK(nb_graph_find_op(g, "dropout/random_uniform/RandomUniform") != NULL);
    CHECK(nb_graph_find_op(g, "dropout/Floor") != NULL);
    CHECK(nb_graph_find_op(g, "dropout/keep_prob") != NULL);
    nb_tensor *xt = nb_tensor_linspace(NB_FLOAT64, 1, 2, n);
    nb_tensor *on = nb_tensor_scalar(NB_BOOL, 1), *off = nb_tensor_scalar(NB_BOOL, 0);
    nb_session *s = nb_session_new(g);
    nb_feed f[2] = {{x, xt}, {training, on}};
    nb_output fetch[2] = {y, d};
    nb_tensor *out[2] = {NULL, NULL};
    CHECK_STATUS(nb_session_run(s, f, 2, fetch, 2, out), NB_OK);
    int64_t kept = 0;
    bool ok = out[0] && out[1];
    for (int64_t i = 0; ok && i < n; i++) {
        double xv = nb_tensor_get_flat(xt, i), yv = nb_tensor_get_flat(out[0], i), dv = nb_tensor_get_flat(out[1], i);
        if (yv != 0) {
            kept++;
            ok &= fabs(yv - xv * 4) <= 1e-12 * xv && dv == 4;
        } else {
            ok &= dv == 0;
        }
    }
    CHECK(ok);
    CHECK(kept > n * 0.24 && kept < n * 0.26);
    nb_tensor_unref(out[0]);
    nb_tensor_unref(out[1]);
    /* each run draws a new mask */
    nb_tensor *y2 = nb_session_eval(s, y, f, 2);
    nb_tensor *y3 = nb_session_eval(s, y, f, 2);
    CHECK(y2 && y3 && !nb_tensor_equal(y2, y3));
    /* the same op seed gives the same first mask in a new session */
    nb_session *s2 = nb_session_new(g);
    nb_tensor *z1 = nb_session_eval(s2, y, f, 2);
    nb_session *s3 = nb_session_new(g);
    nb_tensor *z2 = nb_session_eval(s3, y, f, 2);
    CHECK(z1 && z2 && nb_tensor_equal(z1, z2));
    /* training false: x unchanged, gradient 1 */
    f[1].value = off;
    CHECK_STATUS(nb_session_run(s, f, 2, fetch, 2, out), NB_OK);
    CHECK(out[0] && nb_tensor_equal(out[0], xt));
    for (int64_t i = 0; out[1] && i < n; i += 997) CHECK(nb_tensor_get_flat(out[1], i) == 1);
    nb_tensor_unref(out[0]);
    nb_tensor_unref(out[1]);
    nb_tensor_unref(y2);
    nb_tensor_unref(y3);
    nb_tensor_unref(z1);
    nb_tensor_unref(z2);
    nb_session_free(s);
    nb_session_free(s2);
    nb_session_free(s3);
    nb_tensor_unref(on);
    nb_tensor_unref(off);
    nb_tensor_unref(xt);
    nb_graph_free(g);
}

TEST(dropout_with_fed_keep_prob_and_always_on) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(1000), "x");
    nb_output kp = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_SCALAR, "keep_prob");
    nb_output y = nb_nn_dropout_t(g, x, kp, 5, nb_nil, NULL);
    CHECK_GRAPH_OK(g);
    CHECK(!strcmp(nb_op_name(y.op), "dropout") && !strcmp(nb_op_type(y.op), "Mul"));
    CHECK(nb_output_shape(y).rank == 1 && nb_output_shape(y).dims[0] == 1000);
    nb_tensor *xt = nb_tensor_ones(NB_FLOAT32, 1, (int64_t[]){1000});
    nb_tensor *k1 = nb_tensor_scalar(NB_FLOAT32, 1.0), *k5 = nb_tensor_scalar(NB_FLOAT32, 0.5);
    nb_session *s = nb_session_new(g);
    nb_tensor *a = nb_session_eval(s, y, (nb_feed[]){{x, xt}, {kp, k1}}, 2);
    CHECK(a && nb_tensor_equal(a, xt)); /* keep_prob 1 keeps all */
    nb_tensor *b = nb_session_eval(s, y, (nb_feed[]){{x, xt}, {kp, k5}}, 2);
    int zeros = 0, twos = 0;
    for (int i = 0; b && i < 1000; i++) {
        double v = nb_tensor_get_flat(b, i);
        zeros += v == 0;
        twos += v == 2;
    }
    CHECK(zeros + twos == 1000 && zeros > 400 && zeros < 600);
    nb_tensor_unref(a);
    nb_tensor_unref(b);
    nb_session_free(s);
    /* keep_prob 1 as a number returns x itself, as TF */
    CHECK(nb_nn_dropout(g, x, 1.0, NB_SEED_NONE, nb_nil, NULL).op == x.op);
    nb_tensor_unref(xt);
    nb_tensor_unref(k1);
    nb_tensor_unref(k5);
    nb_graph_free(g);
}

/*** Threads: large tensors take the OpenMP path ***/

TEST(large_tensors_match_on_one_and_all_threads) {
    const int64_t rows = 300, cols = 200, n = rows * cols; /* > 32768 elements */
    int saved = nb_get_num_threads();
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(rows, cols), "x");
    nb_output b = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(cols), "b");
    nb_output outs[14];
    int k = 0;
    for (int o = 0; o < N_UNARY; o++) outs[k++] = unary_ops[o].ctor(g, x, NULL);
    outs[k++] = nb_nn_softmax(g, x, NULL);
    outs[k++] = nb_nn_l2_loss(g, x, NULL);
    outs[k++] = nb_nn_bias_add(g, x, b, NULL);
    nb_output ba = outs[k - 1];
    nb_output loss = nb_reduce_sum(g, nb_multiply(g, ba, x, NULL), NULL, NB_ALL_AXES, false, NULL);
    nb_gradients(g, &loss, 1, &b, 1, NULL, &outs[k++]); /* BiasAddGrad */
    CHECK_GRAPH_OK(g);
    nb_tensor *xt = nb_tensor_random_normal(NB_FLOAT64, 2, (int64_t[]){rows, cols}, 0, 4, 3);
    nb_tensor *bt = nb_tensor_random_normal(NB_FLOAT64, 1, (int64_t[]){cols}, 0, 1, 4);
    nb_feed f[2] = {{x, xt}, {b, bt}};
    nb_tensor *r1[14] = {0}, *rn[14] = {0};
    nb_set_num_threads(1);
    nb_session *s = nb_session_new(g);
    CHECK_STATUS(nb_session_run(s, f, 2, outs, k, r1), NB_OK);
    nb_set_num_threads(64); /* clamped to the cores */
    CHECK_STATUS(nb_session_run(s, f, 2, outs, k, rn), NB_OK);
    nb_set_num_threads(saved);
    const double *xv = nb_tensor_data_const(xt);
    for (int o = 0; o < N_UNARY && rn[o]; o++) {
        CHECK(nb_tensor_equal(r1[o], rn[o]));
        bool ok = true;
        for (int64_t i = 0; i < n; i += 7) ok &= rel_err(nb_tensor_get_flat(rn[o], i), unary_ops[o].ref(xv[i])) <= 1e-13;
        checks_++;
        if (!ok) FAILF("%s on a large tensor differs from the reference", unary_ops[o].name);
    }
    int o = N_UNARY;
    CHECK(rn[o] && nb_tensor_equal(r1[o], rn[o])); /* softmax */
    double sm[200];
    ref_softmax_rows(xv + 17 * cols, 1, cols, sm, NULL);
    for (int j = 0; rn[o] && j < cols; j++) CHECK_NEAR(nb_tensor_get_flat(rn[o], 17 * cols + j), sm[j], 1e-13);
    double l2 = 0;
    for (int64_t i = 0; i < n; i++) l2 += xv[i] * xv[i] / 2;
    CHECK(rn[o + 1] && r1[o + 1]);
    if (rn[o + 1] && r1[o + 1]) {
        CHECK_NEAR(nb_tensor_scalar_f64(rn[o + 1]), l2, 1e-12);
        CHECK_NEAR(nb_tensor_scalar_f64(r1[o + 1]), l2, 1e-12);
    }
    CHECK(rn[o + 2] && nb_tensor_equal(r1[o + 2], rn[o + 2]));
    for (int64_t i = 0; rn[o + 2] && i < n; i += 11)
        CHECK(nb_tensor_get_flat(rn[o + 2], i) == xv[i] + nb_tensor_get_flat(bt, i % cols));
    for (int64_t c = 0; rn[o + 3] && c < cols; c += 13) {
        double want = 0;
        for (int64_t r = 0; r < rows; r++) want += xv[r * cols + c];
        CHECK_NEAR(nb_tensor_get_flat(rn[o + 3], c), want, 1e-12);
        CHECK_NEAR(nb_tensor_get_flat(r1[o + 3], c), want, 1e-12);
    }
    for (int i = 0; i < k; i++) {
        nb_tensor_unref(r1[i]);
        nb_tensor_unref(rn[i]);
    }
    nb_session_free(s);
    nb_tensor_unref(xt);
    nb_tensor_unref(bt);
    nb_graph_free(g);
}

/*** Bad inputs ***/

TEST(bad_dtypes_are_graph_errors_naming_the_node) {
    for (int o = 0; o < N_UNARY; o++) {
        nb_graph *g = nb_graph_new();
        nb_output x = nb_placeholder(g, NB_INT32, NB_SHAPE(3), "x");
        nb_output y = unary_ops[o].ctor(g, x, NULL);
        CHECK(nb_output_is_nil(y));
        nb_status st = nb_graph_status(g);
        checks_++;
        if (st != NB_ERR_DTYPE) FAILF("%s on int32: %s", unary_ops[o].name, nb_graph_errmsg(g));
        if (strcmp(unary_ops[o].node, "swish")) CHECK_STR_CONTAINS(nb_graph_errmsg(g), unary_ops[o].node);
        nb_graph_free(g);
    }
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 3), "x");
    nb_output l = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2), "l");
    CHECK(nb_output_is_nil(nb_nn_sparse_softmax_cross_entropy_with_logits(g, l, x, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_DTYPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "labels must be int32 or int64");
    nb_graph_free(g);
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 3), "x");
    nb_output z = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(2, 3), "z");
    CHECK(nb_output_is_nil(nb_nn_softmax_cross_entropy_with_logits(g, z, x, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_DTYPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "softmax_cross_entropy_with_logits");
    nb_graph_free(g);
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 3), "x");
    z = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(2, 3), "z");
    CHECK(nb_output_is_nil(nb_losses_mean_squared_error(g, z, x, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_DTYPE);
    nb_graph_free(g);
}

TEST(bad_shapes_are_graph_errors) {
    nb_graph *g = nb_graph_new();
    nb_output s = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_SCALAR, "s");
    CHECK(nb_output_is_nil(nb_nn_softmax(g, s, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "'Softmax'");
    nb_graph_free(g);

    g = nb_graph_new();
    nb_output x3 = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 3, 4), "x");
    CHECK(nb_output_is_nil(nb_nn_softmax_cross_entropy_with_logits(g, x3, x3, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "2-dimensional");
    nb_graph_free(g);

    g = nb_graph_new();
    nb_output a = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 3), "a");
    nb_output b = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 4), "b");
    CHECK(nb_output_is_nil(nb_nn_softmax_cross_entropy_with_logits(g, b, a, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_SHAPE);
    nb_graph_free(g);

    g = nb_graph_new();
    a = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 3), "a");
    nb_output lab = nb_placeholder(g, NB_INT32, NB_SHAPE(3), "lab");
    CHECK(nb_output_is_nil(nb_nn_sparse_softmax_cross_entropy_with_logits(g, lab, a, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "first dimension");
    nb_graph_free(g);

    g = nb_graph_new();
    a = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 3), "a");
    b = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(4), "bias");
    CHECK(nb_output_is_nil(nb_nn_bias_add(g, a, b, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "Dimensions must be equal, but are 3 and 4");
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "'BiasAdd'");
    nb_graph_free(g);

    g = nb_graph_new();
    nb_output v = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3), "v");
    CHECK(nb_output_is_nil(nb_nn_bias_add(g, v, v, NULL)));
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "at least rank 2");
    nb_graph_free(g);

    g = nb_graph_new();
    a = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 3), "a");
    b = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3, 2), "b");
    CHECK(nb_output_is_nil(nb_nn_sigmoid_cross_entropy_with_logits(g, b, a, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "same shape");
    nb_graph_free(g);
}

TEST(bad_dropout_arguments) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3), "x");
    CHECK(nb_output_is_nil(nb_nn_dropout(g, x, 0.0, 1, nb_nil, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "keep_prob must be a scalar tensor or a float in the range (0, 1], got 0");
    nb_graph_free(g);
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3), "x");
    CHECK(nb_output_is_nil(nb_nn_dropout(g, x, 1.5, 1, nb_nil, NULL)));
    nb_graph_free(g);
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3), "x");
    nb_output t = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_SCALAR, "t");
    CHECK(nb_output_is_nil(nb_nn_dropout(g, x, 0.5, 1, t, NULL)));
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "training must be a bool scalar");
    nb_graph_free(g);
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3), "x");
    nb_output k = nb_placeholder(g, NB_FLOAT64, NB_SHAPE_SCALAR, "k");
    CHECK(nb_output_is_nil(nb_nn_dropout_t(g, x, k, 1, nb_nil, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_INVALID_ARGUMENT);
    nb_graph_free(g);
    /* nil inputs propagate as nil with an error, never a crash */
    g = nb_graph_new();
    CHECK(nb_output_is_nil(nb_nn_dropout(g, nb_nil, 0.5, 1, nb_nil, NULL)));
    CHECK(nb_output_is_nil(nb_nn_swish(g, nb_nil, NULL)));
    CHECK(nb_graph_status(g) != NB_OK);
    nb_graph_free(g);
}

TEST(helper_grad_ops_reject_mismatched_shapes_at_run_time) {
    nb_graph *g = nb_graph_new();
    nb_output a = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(NB_DIM_UNKNOWN), "a");
    nb_output b = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(NB_DIM_UNKNOWN), "b");
    nb_output y = nbi_binary(g, NBI_OP_ELU_GRAD, a, b, NULL, NULL);
    CHECK_GRAPH_OK(g);
    nb_output c = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(3), "c");
    nb_output d = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(2), "d");
    CHECK(nb_output_is_nil(nbi_binary(g, NBI_OP_SOFTPLUS_GRAD, c, d, NULL, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "SoftplusGrad");
    nb_tensor *at = nb_tensor_ones(NB_FLOAT64, 1, (int64_t[]){3});
    nb_tensor *bt = nb_tensor_ones(NB_FLOAT64, 1, (int64_t[]){2});
    nb_session *s = nb_session_new(g); /* the graph is in error: build a fresh one */
    nb_session_free(s);
    nb_graph *g2 = nb_graph_new();
    a = nb_placeholder(g2, NB_FLOAT64, NB_SHAPE(NB_DIM_UNKNOWN), "a");
    b = nb_placeholder(g2, NB_FLOAT64, NB_SHAPE(NB_DIM_UNKNOWN), "b");
    y = nbi_binary(g2, NBI_OP_ELU_GRAD, a, b, NULL, NULL);
    s = nb_session_new(g2);
    CHECK(nb_session_eval(s, y, (nb_feed[]){{a, at}, {b, bt}}, 2) == NULL);
    CHECK_STATUS(nb_session_status(s), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(nb_session_errmsg(s), "must have the same shape: [3] vs. [2]");
    CHECK_STR_CONTAINS(nb_session_errmsg(s), "EluGrad");
    nb_session_free(s);
    nb_tensor_unref(at);
    nb_tensor_unref(bt);
    nb_graph_free(g2);
    nb_graph_free(g);
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
