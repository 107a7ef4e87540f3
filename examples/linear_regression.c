/*
 * linear_regression.c — the course's linear regression on the blood-fat table:
 *
 *   W = tf.Variable(tf.zeros([2, 1]), name="weights")
 *   b = tf.Variable(0., name="bias")
 *   def inference(X): return tf.matmul(X, W) + b
 *   def loss(X, Y):   return tf.reduce_sum(tf.squared_difference(Y, tf.transpose(inference(X))))
 *   train_op = tf.train.GradientDescentOptimizer(0.000001).minimize(total_loss)
 *   for step in range(10000): sess.run([train_op]); every 1000 steps print the loss
 *
 * Reads examples/data/blood_fat.csv (or the file given with --data), prints the
 * loss every 1,000 steps, the final W and b, and the predictions for five
 * people. With --check (and --smoke, used by the tests) it compares its figures
 * with the course's printout and exits 1 when any differs in the first 5
 * significant digits. Draws the data and the fitted predictions under figures/:
 * linreg_age.png and linreg_weight.png (blood fat against each input),
 * linreg_fit.png (actual against predicted, with the line y = x).
 *
 * Usage: linear_regression [--data FILE] [--check] [--smoke] [--figures DIR] [--save PATH]
 */
#include <nabla.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The course's printout (TF1, float32). */
static const double course_loss[10] = {1230281.8, 47094.402, 47081.83, 47069.746, 47057.695,
                                       47045.66,  47033.69,  47021.734, 47009.824, 46997.938};
static const double course_W[2] = {1.2922349, 5.5893784};
static const double course_b = 1.1374356;
/* Predictions for [50,20], [50,70], [90,20], [90,70] as printed; [55,40] (~295.8, the
 * row of the table whose true value is 303) is checked against W and b. */
static const double course_pred[4] = {177.53676, 457.00565, 229.22615, 508.69504};

static int failures;

static void check(const char *what, double got, double want) {
    double rel = fabs(got - want) / fabs(want);
    if (rel > 5e-5) { /* 5 significant digits */
        fprintf(stderr, "MISMATCH %s: got %.8g, the course printed %.8g\n", what, got, want);
        failures++;
    }
}

static char *str(const nb_tensor *t) {
    char *s = nb_tensor_to_string(t);
    if (!s && (s = malloc(2))) strcpy(s, "?");
    return s;
}

static double identity(double x, void *ctx) {
    (void)ctx;
    return x;
}

/* The data as points and the model's predictions, X = [weight, age], Y the blood
 * fat. A failed figure is reported on stderr; it does not change the exit status. */
static void plot_figures(const nb_tensor *X, const nb_tensor *Y, const nb_tensor *w,
                         double b, const char *dir) {
    int64_t n = nb_tensor_size(Y);
    nb_tensor *pred = nb_tensor_zeros(NB_FLOAT64, 1, &n), *col = nb_tensor_zeros(NB_FLOAT64, 1, &n);
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; pred && i < n; i++) {
        double p = nb_tensor_get_flat(X, 2 * i) * nb_tensor_get_flat(w, 0) +
                   nb_tensor_get_flat(X, 2 * i + 1) * nb_tensor_get_flat(w, 1) + b;
        nb_tensor_set_flat(pred, i, p);
        lo = fmin(lo, fmin(p, nb_tensor_get_flat(Y, i)));
        hi = fmax(hi, fmax(p, nb_tensor_get_flat(Y, i)));
    }
    static const char *const names[2] = {"weight", "age"}, *const units[2] = {"Weight (kg)", "Age (years)"};
    mkdir(dir, 0777); /* may exist already */
    for (int f = 0; f < 3; f++) {
        nb_figure *fig = nb_figure_new(800, 600);
        char path[512], title[128];
        if (f < 2) {
            int c = 1 - f; /* age first, then weight */
            for (int64_t i = 0; col && i < n; i++) nb_tensor_set_flat(col, i, nb_tensor_get_flat(X, 2 * i + c));
            snprintf(path, sizeof path, "%s/linreg_%s.png", dir, names[c]);
            snprintf(title, sizeof title, "Blood fat against %s", names[c]);
            nb_figure_xlabel(fig, units[c]);
            nb_figure_scatter(fig, col, Y, "data", NB_COLOR_AUTO, NB_MARKER_CIRCLE);
            nb_figure_scatter(fig, col, pred, "prediction", NB_COLOR_AUTO, NB_MARKER_CROSS);
        } else {
            snprintf(path, sizeof path, "%s/linreg_fit.png", dir);
            snprintf(title, sizeof title, "Actual against predicted blood fat");
            nb_figure_xlabel(fig, "Predicted blood fat");
            nb_figure_scatter(fig, pred, Y, "people", NB_COLOR_AUTO, NB_MARKER_CIRCLE);
            nb_figure_function(fig, identity, NULL, lo, hi, "y = x", 0x7f7f7f);
        }
        nb_figure_title(fig, title);
        nb_figure_ylabel(fig, "Blood fat");
        nb_figure_grid(fig, true);
        nb_error err;
        if (nb_figure_save(fig, path, &err) != NB_OK) fprintf(stderr, "figure: %s\n", err.message);
        nb_figure_free(fig);
    }
    nb_tensor_unref(pred);
    nb_tensor_unref(col);
}

int main(int argc, char **argv) {
    const char *data = "data/blood_fat.csv";
    const char *figures = "figures";
    const char *save = NULL; /* --save PATH: a safetensors checkpoint of the trained variables */
    int do_check = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--data") && i + 1 < argc) data = argv[++i];
        else if (!strcmp(argv[i], "--figures") && i + 1 < argc) figures = argv[++i];
        else if (!strcmp(argv[i], "--save") && i + 1 < argc) save = argv[++i];
        else if (!strcmp(argv[i], "--check") || !strcmp(argv[i], "--smoke")) do_check = 1;
    }

    /* Read input training data: [weight, age] and blood fat. */
    nb_error err = {0};
    const char *xcols[2] = {"Weight (kg)", "Age (Years)"}, *ycol[1] = {"Blood fat"};
    nb_tensor *X = nb_csv_read(data, true, xcols, 2, NB_FLOAT32, &err);
    nb_tensor *Y2 = X ? nb_csv_read(data, true, ycol, 1, NB_FLOAT32, &err) : NULL;
    if (!X || !Y2) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    nb_tensor *Y = nb_tensor_reshape(Y2, 1, (int64_t[]){-1}); /* a row of 25 values */

    nb_graph *g = nb_graph_new();
    nb_output W = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 1), NULL), "weights");
    nb_output b = nb_variable(g, nb_constant_f32(g, 0.0f, NULL), "bias");
    nb_output init = nb_global_variables_initializer(g);

    nb_output x = nb_constant(g, X, "ToFloat");
    nb_output y = nb_constant(g, Y, "ToFloat_1");
    /* loss = sum((Y - transpose(X W + b))^2) */
    nb_output inference = nb_add(g, nb_matmul(g, x, W, false, false, NULL), b, NULL);
    nb_output y_pred = nb_transpose(g, inference, NULL, 0, NULL);
    nb_output total_loss =
        nb_reduce_sum(g, nb_squared_difference(g, y, y_pred, NULL), NULL, NB_ALL_AXES, false, NULL);
    nb_output train_op = nb_optimizer_minimize(nb_train_gradient_descent(g, 0.000001), total_loss,
                                               NULL, 0, nb_nil);

    /* Predictions for five people. */
    static const float people[5][2] = {{50, 20}, {55, 40}, {50, 70}, {90, 20}, {90, 70}};
    nb_output preds[5];
    for (int i = 0; i < 5; i++) {
        nb_output p = nb_constant_array(g, NB_FLOAT32, 2, (int64_t[]){1, 2}, people[i], NULL);
        preds[i] = nb_add(g, nb_matmul(g, p, W, false, false, NULL), b, NULL);
    }
    if (nb_graph_status(g) != NB_OK) {
        fprintf(stderr, "graph error: %s\n", nb_graph_errmsg(g));
        return 1;
    }

    nb_error werr = {0};
    nb_summary_writer *tb = nb_summary_writer_open("logs/linear_regression", g, &werr);
    if (!tb) fprintf(stderr, "warning: no TensorBoard log: %s\n", werr.message);
    nb_session *s = nb_session_new(g);
    if (nb_session_run(s, NULL, 0, &init, 1, NULL) != NB_OK) goto run_error;
    int training_steps = 10000, printed = 0;
    for (int step = 0; step < training_steps; step++) {
        if (nb_session_run(s, NULL, 0, &train_op, 1, NULL) != NB_OK) goto run_error;
        if (tb && step % 100 == 0 && step % 1000 != 0) {
            nb_tensor *l = nb_session_eval(s, total_loss, NULL, 0);
            if (l) nb_summary_writer_add_scalar(tb, "loss", step, nb_tensor_scalar_f64(l));
            nb_tensor_unref(l);
        }
        if (step % 1000 == 0) {
            nb_tensor *l = nb_session_eval(s, total_loss, NULL, 0);
            if (!l) goto run_error;
            char *ls = str(l);
            printf("Epoch: %d  loss:  %s\n", step, ls);
            free(ls);
            char what[32];
            snprintf(what, sizeof what, "loss at step %d", step);
            if (tb) nb_summary_writer_add_scalar(tb, "loss", step, nb_tensor_scalar_f64(l));
            if (printed < 10) check(what, nb_tensor_scalar_f64(l), course_loss[printed++]);
            nb_tensor_unref(l);
        }
    }
    nb_tensor *w = nb_session_eval(s, W, NULL, 0), *bv = nb_session_eval(s, b, NULL, 0);
    if (!w || !bv) goto run_error;
    char *ws = str(w), *bs = str(bv);
    printf("Final model W= %s b= %s\n", ws, bs);
    free(ws);
    free(bs);
    check("W[0]", nb_tensor_get_flat(w, 0), course_W[0]);
    check("W[1]", nb_tensor_get_flat(w, 1), course_W[1]);
    check("b", nb_tensor_scalar_f64(bv), course_b);
    plot_figures(X, Y, w, nb_tensor_scalar_f64(bv), figures);
    for (int i = 0; i < 5; i++) {
        nb_tensor *p = nb_session_eval(s, preds[i], NULL, 0);
        if (!p) goto run_error;
        char *ps = str(p);
        printf("%s   # [%g, %g]\n", ps, people[i][0], people[i][1]);
        free(ps);
        double v = nb_tensor_scalar_f64(p);
        if (i == 1) check("prediction [55,40]", v, 55 * course_W[0] + 40 * course_W[1] + course_b);
        else check("prediction", v, course_pred[i == 0 ? 0 : i - 1]);
        nb_tensor_unref(p);
    }
    if (tb) {
        nb_summary_writer_add_scalar(tb, "weights/age", training_steps, nb_tensor_get_flat(w, 1));
        nb_summary_writer_add_scalar(tb, "weights/weight", training_steps, nb_tensor_get_flat(w, 0));
        nb_summary_writer_add_scalar(tb, "bias", training_steps, nb_tensor_scalar_f64(bv));
        nb_summary_writer_close(tb);
    }
    if (save && nb_checkpoint_save(s, save, &err) != NB_OK) {
        fprintf(stderr, "%s\n", err.message);
        failures++;
    }
    nb_tensor_unref(w);
    nb_tensor_unref(bv);
    nb_session_free(s);
    nb_graph_free(g);
    nb_tensor_unref(X);
    nb_tensor_unref(Y);
    nb_tensor_unref(Y2);
    if (do_check) printf(failures ? "%d figures differ from the course's printout\n"
                                  : "all figures match the course's printout to 5 significant digits\n",
                         failures);
    return do_check && failures ? 1 : 0;
run_error:
    fprintf(stderr, "run error: %s\n", nb_session_errmsg(s));
    return 1;
}
