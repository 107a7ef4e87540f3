/*
 * bench_overhead.c — per-op overhead of the session executor.
 *
 * A graph chains N tiny ops, x_{i+1} = x_i + c, where x_0 is a fed [4] float32
 * placeholder and c a [4] float32 constant: the arithmetic is four additions per
 * op, so the time is the executor's own cost per op (dispatch, input gathering,
 * output allocation from the pool, release). The plan is compiled by the first
 * (warm-up) run; then R runs are timed with clock_gettime(CLOCK_MONOTONIC), the
 * best of several rounds is kept, and the figure is ns per Add.
 *
 * Usage: bench_overhead [--ops N] [--runs R] [--rounds K] [--threads T]
 * Output: human-readable lines, then one machine line
 *   RESULT overhead_ns_per_op=<best> median_ns_per_op=<median> ops=N runs=R threads=T
 */
#define _POSIX_C_SOURCE 199309L
#include <nabla.h>

#include <math.h>
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

int main(int argc, char **argv) {
    int n_ops = 1000, runs = 2000, rounds = 7, threads = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--ops") && i + 1 < argc) n_ops = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--ops N] [--runs R] [--rounds K] [--threads T]\n", argv[0]);
            return 2;
        }
    }
    if (n_ops < 1 || runs < 1 || rounds < 1 || rounds > 100) {
        fprintf(stderr, "bad arguments\n");
        return 2;
    }
    nb_set_num_threads(threads);

    nb_graph *g = nb_graph_new();
    static const float cval[4] = {0.5f, 0.25f, 0.125f, 1.0f};
    nb_output x0 = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(4), "x");
    nb_output c = nb_constant_array(g, NB_FLOAT32, 1, (int64_t[]){4}, cval, "c");
    nb_output x = x0;
    for (int i = 0; i < n_ops; i++) x = nb_add(g, x, c, NULL);
    if (nb_graph_status(g) != NB_OK) {
        fprintf(stderr, "graph error: %s\n", nb_graph_errmsg(g));
        return 1;
    }

    static const float xval[4] = {1, 2, 3, 4};
    nb_tensor *X = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){4}, xval);
    nb_feed feed = {x0, X};
    nb_session *s = nb_session_new(g);

    /* Warm-up: compiles the plan, fills the pool, and checks the answer. */
    nb_tensor *out = NULL;
    for (int i = 0; i < 50; i++) {
        nb_tensor_unref(out);
        out = NULL;
        if (nb_session_run(s, &feed, 1, &x, 1, &out) != NB_OK) {
            fprintf(stderr, "run error: %s\n", nb_session_errmsg(s));
            return 1;
        }
    }
    for (int j = 0; j < 4; j++) {
        double want = xval[j], got = nb_tensor_get_flat(out, j);
        for (int i = 0; i < n_ops; i++) want = (float)(want + cval[j]);
        if (fabs(got - want) > 1e-3 * fabs(want)) {
            fprintf(stderr, "wrong result: element %d is %g, want %g\n", j, got, want);
            return 1;
        }
    }
    nb_tensor_unref(out);

    /* Timed rounds: each does `runs` runs and fetches x_N (a new reference, dropped). */
    double per_op[100];
    for (int r = 0; r < rounds; r++) {
        double t0 = now_s();
        for (int i = 0; i < runs; i++) {
            nb_tensor *o = NULL;
            if (nb_session_run(s, &feed, 1, &x, 1, &o) != NB_OK) {
                fprintf(stderr, "run error: %s\n", nb_session_errmsg(s));
                return 1;
            }
            nb_tensor_unref(o);
        }
        double dt = now_s() - t0;
        per_op[r] = dt * 1e9 / ((double)runs * n_ops);
    }
    qsort(per_op, (size_t)rounds, sizeof per_op[0], cmp_double);
    double best = per_op[0], median = per_op[rounds / 2];
    printf("nabla per-op overhead: chain of %d Add ops on [4] float32, %d runs x %d rounds, "
           "nb_set_num_threads(%d)\n", n_ops, runs, rounds, threads);
    printf("  best   %.1f ns per op  (%.2f us per run)\n", best, best * n_ops / 1e3);
    printf("  median %.1f ns per op\n", median);
    printf("RESULT overhead_ns_per_op=%.2f median_ns_per_op=%.2f ops=%d runs=%d threads=%d\n", best,
           median, n_ops, runs, threads);

    nb_session_free(s);
    nb_graph_free(g);
    nb_tensor_unref(X);
    return 0;
}
