/*
 * learning_rate.c — the course's overshooting lesson: the same model trained
 * at a too-small, a good and a too-large learning rate.
 *
 *   # blood-fat table, features and target standardized (mean 0, stddev 1)
 *   X = tf.placeholder(tf.float32, shape=(None, 2), name="x")
 *   Y = tf.placeholder(tf.float32, shape=(None, 1), name="y")
 *   lr = tf.placeholder(tf.float32, shape=(), name="learning_rate")
 *   W = tf.Variable(tf.zeros([2, 1]), name="weights")
 *   b = tf.Variable(0., name="bias")
 *   loss = tf.reduce_mean(tf.squared_difference(Y, tf.matmul(X, W) + b))
 *   train_op = tf.train.GradientDescentOptimizer(lr).minimize(loss)
 *   for name, rate in [("small", 0.001), ("good", 0.1), ("large", 0.9)]:
 *       writer = tf.summary.FileWriter("logs/learning_rate/" + name, sess.graph)
 *       sess.run(tf.global_variables_initializer())
 *       for step in range(101): ... writer.add_summary(loss summary, step); sess.run(train_op)
 *
 * Why these rates: on standardized data the loss is a quadratic bowl whose
 * curvatures (the Hessian's eigenvalues) are 2(1 + r), 2(1 - r) and 2, r being
 * the correlation of weight and age (0.24 here). Gradient descent multiplies
 * the error along each eigenvector by (1 - lr * curvature) per step, so it
 * creeps at 0.001, converges quickly at 0.1, and past 2 / 2(1 + r) = 0.81 the
 * steepest direction overshoots the valley floor by more each step: at 0.9 the
 * weights swing from side to side and the loss grows.
 *
 * Prints the three loss curves every 10 steps and the least-squares minimum
 * (from the normal equations); writes each curve as the scalar "loss" of a
 * TensorBoard run (tensorboard --logdir logs/learning_rate shows the three
 * runs on one chart) and draws them to FIGDIR/learning_rate.png (log scale).
 * With --smoke (the tests) the runs and the figure go to a temporary
 * directory, are read back, and the program checks that the small rate's loss
 * falls but slowly, the good one reaches the minimum, and the large one grows.
 *
 * Usage: learning_rate [--data FILE] [--logdir DIR] [--figures FIGDIR] [--steps N] [--smoke]
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <nabla.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define N_RATES 3

int main(int argc, char **argv) {
    const char *data = "data/blood_fat.csv", *logdir = "logs/learning_rate", *figdir = "figures";
    int steps = 100, smoke = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--data") && i + 1 < argc) data = argv[++i];
        else if (!strcmp(argv[i], "--logdir") && i + 1 < argc) logdir = argv[++i];
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc) steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--figures") && i + 1 < argc) figdir = argv[++i];
        else if (!strcmp(argv[i], "--smoke")) smoke = 1;
    }
    if (steps < 10) steps = 10;
    static const char *names[N_RATES] = {"small", "good", "large"};
    static const double rates[N_RATES] = {0.001, 0.1, 0.9};

    nb_error err = {0};
    const char *cols[3] = {"Weight (kg)", "Age (Years)", "Blood fat"};
    nb_tensor *D = nb_csv_read(data, true, cols, 3, NB_FLOAT64, &err);
    if (!D) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    /* Standardize each column: (v - mean) / stddev (population stddev). */
    int n = (int)nb_tensor_dim(D, 0);
    double z[3][64];
    if (n > 64 || n < 3) {
        fprintf(stderr, "%s: expected 3..64 rows, got %d\n", data, n);
        return 1;
    }
    for (int c = 0; c < 3; c++) {
        double m = 0, v = 0;
        for (int i = 0; i < n; i++) m += nb_tensor_get_flat(D, i * 3 + c);
        m /= n;
        for (int i = 0; i < n; i++) v += pow(nb_tensor_get_flat(D, i * 3 + c) - m, 2);
        double sd = sqrt(v / n);
        for (int i = 0; i < n; i++) z[c][i] = (nb_tensor_get_flat(D, i * 3 + c) - m) / sd;
    }
    nb_tensor_unref(D);
    nb_tensor *Xv = nb_tensor_zeros(NB_FLOAT32, 2, (int64_t[]){n, 2});
    nb_tensor *Yv = nb_tensor_zeros(NB_FLOAT32, 2, (int64_t[]){n, 1});
    for (int i = 0; i < n; i++) {
        nb_tensor_set_flat(Xv, 2 * i, z[0][i]);
        nb_tensor_set_flat(Xv, 2 * i + 1, z[1][i]);
        nb_tensor_set_flat(Yv, i, z[2][i]);
    }
    /* The least-squares minimum: with standardized columns, W solves
     * [[1, r], [r, 1]] W = [r1y, r2y] (correlations), b = 0, loss = 1 - W.[r1y, r2y]. */
    double r = 0, r1y = 0, r2y = 0;
    for (int i = 0; i < n; i++) {
        r += z[0][i] * z[1][i] / n;
        r1y += z[0][i] * z[2][i] / n;
        r2y += z[1][i] * z[2][i] / n;
    }
    double w1 = (r1y - r * r2y) / (1 - r * r), w2 = (r2y - r * r1y) / (1 - r * r);
    double loss_min = 1 - (w1 * r1y + w2 * r2y);

    nb_graph *g = nb_graph_new();
    nb_output X = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 2), "x");
    nb_output Y = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 1), "y");
    nb_output lr = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_SCALAR, "learning_rate");
    nb_output W = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 1), NULL), "weights");
    nb_output b = nb_variable(g, nb_constant_f32(g, 0.0f, NULL), "bias");
    nb_output pred = nb_add(g, nb_matmul(g, X, W, false, false, NULL), b, NULL);
    nb_output loss = nb_reduce_mean(g, nb_squared_difference(g, Y, pred, NULL), NULL, NB_ALL_AXES, false, "loss");
    nb_optimizer *opt = nb_train_gradient_descent(g, 0.0);
    nb_optimizer_set_learning_rate_tensor(opt, lr);
    nb_output train = nb_optimizer_minimize(opt, loss, NULL, 0, nb_nil);
    nb_output init = nb_global_variables_initializer(g);
    if (nb_graph_status(g) != NB_OK) {
        fprintf(stderr, "graph error: %s\n", nb_graph_errmsg(g));
        return 1;
    }

    char tmpdir[64] = "";
    if (smoke) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/nabla_lr_XXXXXX");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            return 1;
        }
        logdir = tmpdir;
        figdir = tmpdir;
    }

    double *curve = calloc((size_t)N_RATES * (size_t)(steps + 1), sizeof *curve);
    nb_session *s = nb_session_new(g);
    int status = 0;
    for (int k = 0; k < N_RATES && !status; k++) {
        char run[512];
        snprintf(run, sizeof run, "%s/%s", logdir, names[k]);
        nb_summary_writer *w = nb_summary_writer_open(run, g, &err);
        if (!w) {
            fprintf(stderr, "%s\n", err.message);
            status = 1;
            break;
        }
        nb_tensor *rate = nb_tensor_scalar(NB_FLOAT32, rates[k]);
        nb_feed feeds[3] = {{X, Xv}, {Y, Yv}, {lr, rate}};
        if (nb_session_run(s, NULL, 0, &init, 1, NULL) != NB_OK) status = 1;
        for (int step = 0; step <= steps && !status; step++) {
            nb_tensor *out[2] = {NULL, NULL};
            /* loss before the step's update; the last pass only measures */
            if (nb_session_run(s, feeds, 3, (nb_output[]){loss, train}, step < steps ? 2 : 1, out) != NB_OK) {
                status = 1;
                break;
            }
            double v = nb_tensor_scalar_f64(out[0]);
            nb_tensor_unref(out[0]);
            curve[k * (steps + 1) + step] = v;
            if (nb_summary_writer_add_scalar(w, "loss", step, v) != NB_OK) {
                fprintf(stderr, "%s\n", nb_summary_writer_errmsg(w));
                status = 1;
            }
        }
        if (status && nb_session_status(s) != NB_OK) fprintf(stderr, "run error: %s\n", nb_session_errmsg(s));
        if (nb_summary_writer_close(w) != NB_OK) status = 1;
        nb_tensor_unref(rate);
    }

    int ok = !status;
    if (ok) {
        printf("mean squared error on the standardized blood-fat table (least-squares minimum %.6f)\n", loss_min);
        printf("step %14s %14s %14s\n", "lr=0.001", "lr=0.1", "lr=0.9");
        for (int step = 0; step <= steps; step += steps / 10) {
            printf("%4d", step);
            for (int k = 0; k < N_RATES; k++) printf(" %14.6g", curve[k * (steps + 1) + step]);
            printf("\n");
        }
        printf("TensorBoard: %s/{small,good,large}, scalar \"loss\"\n", logdir);
    }
    /* The three curves on a log scale (the large rate's grows by orders of magnitude). */
    char figpath[512] = "";
    int figure_ok = 0;
    if (ok) {
        if (!smoke) mkdir(figdir, 0755); /* an existing folder is fine */
        snprintf(figpath, sizeof figpath, "%s/learning_rate.png", figdir);
        nb_figure *fig = nb_figure_new(800, 600);
        nb_figure_title(fig, "Gradient descent on the blood-fat table at three learning rates");
        nb_figure_xlabel(fig, "step");
        nb_figure_ylabel(fig, "mean squared error (standardized)");
        nb_figure_log_y(fig, true);
        nb_figure_grid(fig, true);
        static const char *labels[N_RATES] = {"lr = 0.001 (too small)", "lr = 0.1 (good)", "lr = 0.9 (too large)"};
        for (int k = 0; k < N_RATES; k++) {
            int64_t len = steps + 1;
            nb_tensor *y = nb_tensor_new(NB_FLOAT64, 1, &len, curve + k * (steps + 1));
            nb_figure_line(fig, NULL, y, labels[k], NB_COLOR_AUTO);
            nb_tensor_unref(y);
        }
        nb_error ferr = {0};
        if (nb_figure_save(fig, figpath, &ferr) == NB_OK) {
            figure_ok = 1;
            printf("figure: %s\n", figpath);
        } else {
            fprintf(stderr, "%s\n", ferr.message);
        }
        nb_figure_free(fig);
    }
    if (smoke && ok) {
        const double *sm = curve, *gd = curve + (steps + 1), *lg = curve + 2 * (steps + 1);
        double first = sm[0];
        /* every run starts from W = 0, b = 0: loss = mean(y^2) = 1 */
        ok &= fabs(first - 1.0) < 1e-5 && gd[0] == first && lg[0] == first;
        /* small: falls at every step, but keeps most of the excess over the minimum */
        for (int i = 1; i <= steps; i++) ok &= sm[i] < sm[i - 1];
        ok &= sm[steps] - loss_min > 0.5 * (first - loss_min);
        /* good: at the minimum */
        ok &= fabs(gd[steps] - loss_min) < 1e-4;
        /* large: overshoots, the loss ends far above where it started */
        ok &= !(lg[steps] < 10 * first);
        int ups = 0;
        for (int i = 1; i <= steps; i++) ups += lg[i] > lg[i - 1];
        ok &= ups > steps / 2;
        /* the three runs are in TensorBoard's reading order, with every step */
        char **files = NULL, **runs = NULL;
        int nf = 0;
        if (nb_events_list_files(logdir, &files, &runs, &nf, &err) != NB_OK) {
            fprintf(stderr, "%s\n", err.message);
            ok = 0;
        }
        ok &= nf == 3;
        static const char *sorted[N_RATES] = {"good", "large", "small"};
        for (int f = 0; f < nf && f < 3; f++) {
            ok &= !strcmp(runs[f], sorted[f]);
            int k = !strcmp(runs[f], "small") ? 0 : !strcmp(runs[f], "good") ? 1 : 2;
            nb_event_reader *rd = nb_event_reader_open(files[f], &err);
            const nb_event *ev = NULL;
            int scalars = 0;
            while (rd && nb_event_reader_next(rd, &ev, &err) == NB_OK && ev) {
                for (int v = 0; v < nb_event_num_values(ev); v++) {
                    if (strcmp(nb_event_value_tag(ev, v), "loss")) continue;
                    int64_t st = nb_event_step(ev);
                    double want = curve[k * (steps + 1) + st];
                    double got = nb_event_value_scalar(ev, v);
                    ok &= st >= 0 && st <= steps && fabs(got - want) <= 1e-6 * fabs(want);
                    scalars++;
                }
            }
            nb_event_reader_close(rd);
            ok &= scalars == steps + 1;
            remove(files[f]);
        }
        for (int f = 0; f < nf; f++) {
            char d[600];
            snprintf(d, sizeof d, "%s/%s", logdir, runs[f]);
            rmdir(d);
        }
        nb_events_list_free(files, runs, nf);
        /* the figure is a PNG */
        unsigned char sig[8] = {0};
        FILE *pf = fopen(figpath, "rb");
        size_t got = pf ? fread(sig, 1, 8, pf) : 0;
        if (pf) fclose(pf);
        ok &= figure_ok && got == 8 && !memcmp(sig, "\x89PNG\r\n\x1a\n", 8);
        remove(figpath);
        rmdir(tmpdir);
        printf("smoke check: %s\n", ok ? "passed" : "FAILED");
    }
    free(curve);
    nb_tensor_unref(Xv);
    nb_tensor_unref(Yv);
    nb_session_free(s);
    nb_graph_free(g);
    return ok ? 0 : 1;
}
