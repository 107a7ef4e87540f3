/*
 * bench_linreg.c — the course's linear regression as a training-step benchmark.
 *
 * The graph is examples/linear_regression.c's: the 25-row blood-fat table
 * (inline here, the same values as examples/data/blood_fat.csv) as constants,
 * W = zeros [2,1], b = 0, loss = sum((Y - transpose(X W + b))^2),
 * GradientDescent(1e-6).minimize(loss). After building the graph and running
 * the initializer, `steps` training runs (10,000 by default) are timed with
 * clock_gettime(CLOCK_MONOTONIC); the figure is µs per step. The whole
 * training is repeated `rounds` times from a fresh initialization and the best
 * round is reported; the final W, b and loss of the last round are printed
 * (the course's printout: W = [1.2922349, 5.5893784], b = 1.1374356).
 *
 * Usage: bench_linreg [--steps N] [--rounds K] [--threads T]
 * Output: readable lines, then one machine line
 *   RESULT us_per_step=<best> median_us_per_step=... W0=... W1=... b=... loss=...
 */
#define _POSIX_C_SOURCE 199309L
#include <nabla.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Weight (kg), Age (years), Blood fat: examples/data/blood_fat.csv. */
static const float table[25][3] = {
    {84, 46, 354}, {73, 20, 190}, {65, 52, 405}, {70, 30, 263}, {76, 57, 451},
    {69, 25, 302}, {63, 28, 288}, {72, 36, 385}, {79, 57, 402}, {75, 44, 365},
    {27, 24, 209}, {89, 31, 290}, {65, 52, 346}, {57, 23, 254}, {59, 60, 395},
    {69, 48, 434}, {60, 34, 220}, {79, 51, 374}, {75, 50, 308}, {82, 34, 220},
    {59, 46, 311}, {67, 23, 181}, {85, 37, 274}, {55, 40, 303}, {63, 30, 244}};

int main(int argc, char **argv) {
    int steps = 10000, rounds = 5, threads = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--steps") && i + 1 < argc) steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--steps N] [--rounds K] [--threads T]\n", argv[0]);
            return 2;
        }
    }
    if (steps < 1 || rounds < 1 || rounds > 100) {
        fprintf(stderr, "bad arguments\n");
        return 2;
    }
    nb_set_num_threads(threads);

    float xs[25][2], ys[25];
    for (int i = 0; i < 25; i++) {
        xs[i][0] = table[i][0];
        xs[i][1] = table[i][1];
        ys[i] = table[i][2];
    }

    /* The example's graph, op for op. */
    nb_graph *g = nb_graph_new();
    nb_output W = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 1), NULL), "weights");
    nb_output b = nb_variable(g, nb_constant_f32(g, 0.0f, NULL), "bias");
    nb_output init = nb_global_variables_initializer(g);
    nb_output x = nb_constant_array(g, NB_FLOAT32, 2, (int64_t[]){25, 2}, xs, "ToFloat");
    nb_output y = nb_constant_array(g, NB_FLOAT32, 1, (int64_t[]){25}, ys, "ToFloat_1");
    nb_output inference = nb_add(g, nb_matmul(g, x, W, false, false, NULL), b, NULL);
    nb_output y_pred = nb_transpose(g, inference, NULL, 0, NULL);
    nb_output total_loss =
        nb_reduce_sum(g, nb_squared_difference(g, y, y_pred, NULL), NULL, NB_ALL_AXES, false, NULL);
    nb_output train_op = nb_optimizer_minimize(nb_train_gradient_descent(g, 0.000001), total_loss,
                                               NULL, 0, nb_nil);
    if (nb_graph_status(g) != NB_OK) {
        fprintf(stderr, "graph error: %s\n", nb_graph_errmsg(g));
        return 1;
    }

    nb_session *s = nb_session_new(g);
    double us[100];
    for (int r = 0; r < rounds; r++) {
        if (nb_session_run(s, NULL, 0, &init, 1, NULL) != NB_OK) goto run_error;
        double t0 = now_s();
        for (int i = 0; i < steps; i++)
            if (nb_session_run(s, NULL, 0, &train_op, 1, NULL) != NB_OK) goto run_error;
        us[r] = (now_s() - t0) * 1e6 / steps;
    }
    double best, median;
    {
        double sorted[100];
        memcpy(sorted, us, sizeof(double) * (size_t)rounds);
        qsort(sorted, (size_t)rounds, sizeof sorted[0], cmp_double);
        best = sorted[0];
        median = sorted[rounds / 2];
    }

    nb_tensor *w = nb_session_eval(s, W, NULL, 0), *bv = nb_session_eval(s, b, NULL, 0);
    nb_tensor *l = nb_session_eval(s, total_loss, NULL, 0);
    if (!w || !bv || !l) goto run_error;
    double w0 = nb_tensor_get_flat(w, 0), w1 = nb_tensor_get_flat(w, 1);
    double bb = nb_tensor_scalar_f64(bv), ll = nb_tensor_scalar_f64(l);
    printf("nabla linear regression: %d GD steps (graph building excluded), best of %d rounds, "
           "nb_set_num_threads(%d)\n", steps, rounds, threads);
    printf("  best   %.3f us per step  (%.4f s per %d steps)\n", best, best * steps / 1e6, steps);
    printf("  median %.3f us per step\n", median);
    printf("  final W = [%.8g, %.8g], b = %.8g, loss = %.8g\n", w0, w1, bb, ll);
    printf("RESULT us_per_step=%.4f median_us_per_step=%.4f W0=%.8g W1=%.8g b=%.8g loss=%.8g "
           "steps=%d threads=%d\n",
           best, median, w0, w1, bb, ll, steps, threads);
    nb_tensor_unref(w);
    nb_tensor_unref(bv);
    nb_tensor_unref(l);
    nb_session_free(s);
    nb_graph_free(g);
    return 0;
run_error:
    fprintf(stderr, "run error: %s\n", nb_session_errmsg(s));
    return 1;
}
