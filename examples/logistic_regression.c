/*
 * logistic_regression.c — the course's logistic regression example:
 *
 *   x1 = np.random.normal(5, 3, 100); x2 = np.random.normal(-5, 3, 100)
 *   xs = np.append(x1, x2); ys = [0.] * 100 + [1.] * 100
 *   X = tf.placeholder(tf.float32, shape=(None,), name="x")
 *   Y = tf.placeholder(tf.float32, shape=(None,), name="y")
 *   w = tf.Variable([0., 0.], name="parameter", trainable=True)
 *   y_model = tf.sigmoid(-(w[1] * X + w[0]))
 *   cost = tf.reduce_mean(-tf.log(y_model * Y + (1 - y_model) * (1 - Y)))
 *   train_op = tf.train.GradientDescentOptimizer(0.01).minimize(cost)
 *
 * Trains for up to 500 epochs, printing "epoch cost", and stops when the cost
 * changes by less than 1e-4 (the course's rule). The first cost is ln 2.
 * Prints the learned w and the training accuracy. With --smoke (the tests)
 * it also checks the first cost, that the cost falls, and the accuracy.
 * Draws figures/logistic_sigmoid.png as the course does: the points and the
 * fitted sigmoid over [-10, 10]. (The course's plot evaluates
 * sigmoid(w[1] x + w[0]), the mirror image of its own model; the figure draws
 * the model, y_model = sigmoid(-(w[1] x + w[0])), which goes through the points.)
 *
 * Usage: logistic_regression [--seed N] [--smoke] [--quiet] [--figures DIR]
 */
#include <nabla.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The fitted model y = sigmoid(-(w[1] x + w[0])); ctx is w (two doubles). */
static double fitted_sigmoid(double x, void *ctx) {
    const double *w = ctx;
    return 1.0 / (1.0 + exp(w[1] * x + w[0]));
}

/* plt.scatter(xs, ys); plt.plot(all_xs, sigmoid(...), 'r'); plt.grid(); plt.title(...).
 * A failed figure is reported on stderr; it does not change the exit status. */
static void plot_figure(const nb_tensor *xs, const nb_tensor *ys, const nb_tensor *wv, const char *dir) {
    double w[2] = {nb_tensor_get_flat(wv, 0), nb_tensor_get_flat(wv, 1)};
    char path[512];
    snprintf(path, sizeof path, "%s/logistic_sigmoid.png", dir);
    nb_figure *fig = nb_figure_new(800, 600);
    nb_figure_title(fig, "Sigmoid function and the scatter points");
    nb_figure_xlabel(fig, "x");
    nb_figure_ylabel(fig, "y");
    nb_figure_scatter(fig, xs, ys, "data", NB_COLOR_AUTO, NB_MARKER_CIRCLE);
    nb_figure_function(fig, fitted_sigmoid, w, -10, 10, "fitted sigmoid", 0xff0000);
    nb_figure_grid(fig, true);
    nb_error err;
    mkdir(dir, 0777); /* may exist already */
    if (nb_figure_save(fig, path, &err) != NB_OK) fprintf(stderr, "figure: %s\n", err.message);
    nb_figure_free(fig);
}

int main(int argc, char **argv) {
    uint64_t seed = 1;
    int smoke = 0, quiet = 0;
    const char *figures = "figures";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--figures") && i + 1 < argc) figures = argv[++i];
        else if (!strcmp(argv[i], "--smoke")) smoke = 1;
        else if (!strcmp(argv[i], "--quiet")) quiet = 1;
    }
    const double learning_rate = 0.01;
    const int training_epochs = 500;

    /* Two normal clusters of 100 points, at 5 and -5 with stddev 3. */
    int64_t n = 100, n2 = 200;
    nb_tensor *x1 = nb_tensor_random_normal(NB_FLOAT32, 1, &n, 5.0, 3.0, seed);
    nb_tensor *x2 = nb_tensor_random_normal(NB_FLOAT32, 1, &n, -5.0, 3.0, seed + 1000);
    nb_tensor *xs = nb_tensor_zeros(NB_FLOAT32, 1, &n2), *ys = nb_tensor_zeros(NB_FLOAT32, 1, &n2);
    for (int i = 0; i < 100; i++) {
        nb_tensor_set_flat(xs, i, nb_tensor_get_flat(x1, i));
        nb_tensor_set_flat(xs, 100 + i, nb_tensor_get_flat(x2, i));
        nb_tensor_set_flat(ys, 100 + i, 1.0);
    }

    nb_graph *g = nb_graph_new();
    nb_output X = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN), "x");
    nb_output Y = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN), "y");
    nb_output w = nb_variable(g, nb_constant_array(g, NB_FLOAT32, 1, (int64_t[]){2}, (float[]){0, 0}, NULL),
                              "parameter");
    nb_output w0 = nb_gather(g, w, nb_constant_i32(g, 0, NULL), 0, NULL);
    nb_output w1 = nb_gather(g, w, nb_constant_i32(g, 1, NULL), 0, NULL);
    nb_output y_model = nb_sigmoid(g, nb_negative(g, nb_add(g, nb_multiply(g, w1, X, NULL), w0, NULL), NULL), NULL);
    nb_output one = nb_constant_f32(g, 1.0f, NULL);
    nb_output p = nb_add(g, nb_multiply(g, y_model, Y, NULL),
                         nb_multiply(g, nb_subtract(g, one, y_model, NULL), nb_subtract(g, one, Y, NULL), NULL), NULL);
    nb_output cost = nb_reduce_mean(g, nb_negative(g, nb_log(g, p, NULL), NULL), NULL, NB_ALL_AXES, false, NULL);
    nb_output train_op = nb_optimizer_minimize(nb_train_gradient_descent(g, learning_rate), cost, NULL, 0, nb_nil);
    nb_output init = nb_global_variables_initializer(g);
    if (nb_graph_status(g) != NB_OK) {
        fprintf(stderr, "graph error: %s\n", nb_graph_errmsg(g));
        return 1;
    }

    nb_error werr = {0};
    nb_summary_writer *tb = nb_summary_writer_open("logs/logistic_regression", g, &werr);
    if (!tb) fprintf(stderr, "warning: no TensorBoard log: %s\n", werr.message);
    nb_session *s = nb_session_new(g);
    nb_feed feeds[2] = {{X, xs}, {Y, ys}};
    if (nb_session_run(s, NULL, 0, &init, 1, NULL) != NB_OK) goto run_error;
    double prev_err = 0, first = 0, last = 0;
    int epoch;
    for (epoch = 0; epoch < training_epochs; epoch++) {
        nb_tensor *out[2];
        if (nb_session_run(s, feeds, 2, (nb_output[]){cost, train_op}, 2, out) != NB_OK) goto run_error;
        double err = nb_tensor_scalar_f64(out[0]);
        nb_tensor_unref(out[0]);
        if (!quiet) printf("%d %.8g\n", epoch, err);
        if (tb) nb_summary_writer_add_scalar(tb, "cost", epoch, err);
        if (epoch == 0) first = err;
        last = err;
        if (fabs(prev_err - err) < 0.0001) break;
        prev_err = err;
    }
    nb_tensor *wv = nb_session_eval(s, w, feeds, 2);
    nb_tensor *pred = nb_session_eval(s, y_model, feeds, 2);
    if (!wv || !pred) goto run_error;
    int correct = 0;
    for (int i = 0; i < 200; i++) correct += (nb_tensor_get_flat(pred, i) > 0.5) == (nb_tensor_get_flat(ys, i) > 0.5);
    printf("stopped after epoch %d: cost %.6g, w = [%.6g, %.6g], training accuracy %.3f\n", epoch, last,
           nb_tensor_get_flat(wv, 0), nb_tensor_get_flat(wv, 1), correct / 200.0);
    int ok = 1;
    if (smoke) {
        ok &= fabs(first - log(2.0)) < 1e-6; /* sigmoid(0) = 1/2 for every point */
        ok &= last < first * 0.5;
        ok &= correct >= 180;
        printf("smoke check: %s\n", ok ? "passed" : "FAILED");
    }
    plot_figure(xs, ys, wv, figures);
    if (tb) {
        nb_summary_writer_add_scalar(tb, "accuracy", epoch, correct / 200.0);
        nb_summary_writer_close(tb);
    }
    nb_tensor_unref(wv);
    nb_tensor_unref(pred);
    nb_tensor_unref(x1);
    nb_tensor_unref(x2);
    nb_tensor_unref(xs);
    nb_tensor_unref(ys);
    nb_session_free(s);
    nb_graph_free(g);
    return ok ? 0 : 1;
run_error:
    fprintf(stderr, "run error: %s\n", nb_session_errmsg(s));
    return 1;
}
