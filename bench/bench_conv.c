/*
 * bench_conv.c — the course CNN's two convolution layers, forward and
 * forward+backward, through a nabla session, against PyTorch (bench/peer_conv.py)
 * in the same run.
 *
 * The graph: x [64,28,28,1] -> Conv2D 5x5x1x32 SAME -> Relu -> MaxPool 2x2/2 ->
 * Conv2D 5x5x32x64 SAME -> Relu -> MaxPool 2x2/2 -> sum. "fwd" fetches the sum;
 * "fwd+bwd" fetches d sum / d W1 and d sum / d W2 (the input gradient of the
 * first layer is not needed, as in training). x and the filters are fed
 * placeholders. For each thread count the median of `reps` runs after 3 warm-up
 * runs is kept. The peer runs the same layers in torch (NCHW, as torch
 * prefers), with OMP_NUM_THREADS=T and OPENBLAS_NUM_THREADS=1 (its best
 * 2-thread setting, see ../shared/reference/peers.md).
 *
 * Usage: bench_conv [--batch N] [--reps R] [--threads LIST] [--no-peer] [--peer PATH]
 * Output: readable lines, then per thread count one machine line
 *   RESULT threads=T nabla_fwd_ms=... nabla_step_ms=... torch_fwd_ms=... torch_step_ms=... ratio=...
 * (ratio = torch_step_ms / nabla_step_ms; above 1 means nabla is faster).
 */
#define _POSIX_C_SOURCE 200809L
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

/* Median ms of `reps` runs of the fetches. */
static double time_runs(nb_session *s, const nb_feed *f, int nf, const nb_output *fetch, int n, int reps) {
    nb_tensor *out[4];
    double *t = malloc(sizeof(double) * (size_t)reps);
    for (int i = 0; i < 3 + reps; i++) {
        double t0 = now_s();
        if (nb_session_run(s, f, nf, fetch, n, out) != NB_OK) {
            fprintf(stderr, "run failed: %s\n", nb_session_errmsg(s));
            exit(1);
        }
        double dt = now_s() - t0;
        for (int k = 0; k < n; k++) nb_tensor_unref(out[k]);
        if (i >= 3) t[i - 3] = dt * 1e3;
    }
    qsort(t, (size_t)reps, sizeof *t, cmp_double);
    double m = t[reps / 2];
    free(t);
    return m;
}

/* Runs the peer for one thread count; fills fwd/step ms (negative when it failed). */
static void run_peer(const char *path, int threads, int batch, int reps, double *fwd, double *step) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "OMP_NUM_THREADS=%d OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 /usr/bin/python3 %s --threads %d --batch %d --reps %d",
             threads, path, threads, batch, reps);
    *fwd = *step = -1;
    FILE *p = popen(cmd, "r");
    if (!p) return;
    char line[512];
    while (fgets(line, sizeof line, p)) {
        const char *a = strstr(line, "torch_fwd_ms="), *b = strstr(line, "torch_step_ms=");
        if (a && b) {
            *fwd = atof(a + 13);
            *step = atof(b + 14);
        }
    }
    pclose(p);
}

int main(int argc, char **argv) {
    int batch = 64, reps = 20, peer = 1;
    const char *list = "1,2", *peer_path = "bench/peer_conv.py";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--batch") && i + 1 < argc) batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) list = argv[++i];
        else if (!strcmp(argv[i], "--peer") && i + 1 < argc) peer_path = argv[++i];
        else if (!strcmp(argv[i], "--no-peer")) peer = 0;
        else {
            fprintf(stderr, "usage: %s [--batch N] [--reps R] [--threads LIST] [--no-peer] [--peer PATH]\n", argv[0]);
            return 2;
        }
    }
    if (batch < 1 || reps < 1) {
        fprintf(stderr, "bad arguments\n");
        return 2;
    }
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 28, 28, 1), "x");
    nb_output w1 = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(5, 5, 1, 32), "w1");
    nb_output w2 = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(5, 5, 32, 64), "w2");
    int s1[4] = {1, 1, 1, 1}, k2[4] = {1, 2, 2, 1};
    nb_output h = nb_nn_max_pool(g, nb_relu(g, nb_nn_conv2d(g, x, w1, s1, "SAME", NULL, NULL), NULL), k2, k2,
                                 "SAME", NULL);
    h = nb_nn_max_pool(g, nb_relu(g, nb_nn_conv2d(g, h, w2, s1, "SAME", NULL, NULL), NULL), k2, k2, "SAME", NULL);
    nb_output loss = nb_reduce_sum(g, h, NULL, NB_ALL_AXES, false, "loss");
    nb_output grads[2];
    nb_gradients(g, &loss, 1, (nb_output[]){w1, w2}, 2, NULL, grads);
    if (nb_graph_status(g) != NB_OK) {
        fprintf(stderr, "graph: %s\n", nb_graph_errmsg(g));
        return 1;
    }
    nb_tensor *X = nb_tensor_random_uniform(NB_FLOAT32, 4, (int64_t[]){batch, 28, 28, 1}, 0, 1, 1);
    nb_tensor *W1 = nb_tensor_random_normal(NB_FLOAT32, 4, (int64_t[]){5, 5, 1, 32}, 0, 0.1, 2);
    nb_tensor *W2 = nb_tensor_random_normal(NB_FLOAT32, 4, (int64_t[]){5, 5, 32, 64}, 0, 0.05, 3);
    nb_feed f[3] = {{x, X}, {w1, W1}, {w2, W2}};
    double flop_fwd = 2.0 * batch * (784.0 * 25 * 32 + 196.0 * 800 * 64);
    printf("bench_conv: batch %d, conv 5x5x1x32 + conv 5x5x32x64 (SAME, ReLU, maxpool 2), median of %d runs\n",
           batch, reps);
    for (const char *p = list; *p;) {
        int t = atoi(p);
        nb_set_num_threads(t);
        nb_session *s = nb_session_new(g);
        double fwd = time_runs(s, f, 3, &loss, 1, reps);
        double step = time_runs(s, f, 3, grads, 2, reps);
        nb_session_free(s);
        double tf = -1, ts = -1;
        if (peer) run_peer(peer_path, t, batch, reps, &tf, &ts);
        printf("threads %d: nabla fwd %.2f ms (%.0f GFLOP/s), fwd+bwd %.2f ms; torch fwd %.2f ms, fwd+bwd %.2f ms; "
               "speed-up %.2fx\n",
               t, fwd, flop_fwd / fwd * 1e-6, step, tf, ts, ts > 0 ? ts / step : 0.0);
        printf("RESULT threads=%d nabla_fwd_ms=%.3f nabla_step_ms=%.3f torch_fwd_ms=%.3f torch_step_ms=%.3f ratio=%.3f\n",
               t, fwd, step, tf, ts, ts > 0 ? ts / step : 0.0);
        const char *c = strchr(p, ',');
        if (!c) break;
        p = c + 1;
    }
    nb_tensor_unref(X), nb_tensor_unref(W1), nb_tensor_unref(W2);
    nb_graph_free(g);
    return 0;
}
