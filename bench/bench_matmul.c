/*
 * bench_matmul.c — float32 matmul through a nabla session against a raw
 * cblas_sgemm call on the same buffers.
 *
 * The graph is two [N,N] float32 placeholders and their MatMul; each session
 * run feeds both (the fed tensors wrap the same buffers the raw call reads) and
 * fetches the product (a new reference, dropped after the run). The raw side is
 * one cblas_sgemm(RowMajor, NoTrans, NoTrans) into a preallocated buffer.
 * For each thread count (nb_set_num_threads(T) for the session, which sets
 * OpenBLAS's count; openblas_set_num_threads(T) for the raw call) the two sides
 * alternate, the best of `reps` repetitions of each is kept, and the figures
 * are GFLOP/s (2 N^3 flops per product) and the ratio nabla / raw.
 *
 * Usage: bench_matmul [--n N] [--reps R] [--threads LIST]   (LIST e.g. "1,2")
 * Output: readable lines, then per thread count one machine line
 *   RESULT threads=T nabla_gflops=... raw_gflops=... ratio=...
 */
#define _POSIX_C_SOURCE 199309L
#include <nabla.h>

#include <cblas.h>
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

/* A small deterministic generator: the values only need to be ordinary floats. */
static float lcg(uint32_t *s) {
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / 16777216.0f - 0.5f;
}

int main(int argc, char **argv) {
    int n = 1024, reps = 10;
    const char *list = "1,2";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--n") && i + 1 < argc) n = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) list = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--n N] [--reps R] [--threads LIST]\n", argv[0]);
            return 2;
        }
    }
    if (n < 1 || reps < 1) {
        fprintf(stderr, "bad arguments\n");
        return 2;
    }
    size_t nn = (size_t)n * (size_t)n;
    int64_t dims[2] = {n, n};
    /* The fed tensors own the A and B buffers; the raw call reads the same memory. */
    nb_tensor *A = nb_tensor_new(NB_FLOAT32, 2, dims, NULL);
    nb_tensor *B = nb_tensor_new(NB_FLOAT32, 2, dims, NULL);
    float *C = malloc(nn * sizeof *C);
    if (!A || !B || !C) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    float *a = nb_tensor_data(A), *b = nb_tensor_data(B);
    uint32_t seed = 12345;
    for (size_t i = 0; i < nn; i++) a[i] = lcg(&seed);
    for (size_t i = 0; i < nn; i++) b[i] = lcg(&seed);

    nb_graph *g = nb_graph_new();
    nb_output pa = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, NB_DIM_UNKNOWN), "a");
    nb_output pb = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, NB_DIM_UNKNOWN), "b");
    nb_output prod = nb_matmul(g, pa, pb, false, false, NULL);
    if (nb_graph_status(g) != NB_OK) {
        fprintf(stderr, "graph error: %s\n", nb_graph_errmsg(g));
        return 1;
    }
    nb_session *s = nb_session_new(g);
    nb_feed feeds[2] = {{pa, A}, {pb, B}};
    double flops = 2.0 * (double)n * (double)n * (double)n;

    printf("float32 %dx%dx%d matmul, best of %d repetitions (OMP_NUM_THREADS=%s, "
           "OPENBLAS_NUM_THREADS=%s in the environment)\n",
           n, n, n, reps, getenv("OMP_NUM_THREADS") ? getenv("OMP_NUM_THREADS") : "unset",
           getenv("OPENBLAS_NUM_THREADS") ? getenv("OPENBLAS_NUM_THREADS") : "unset");

    char buf[64];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        int t = atoi(tok);
        double best_nb = 1e30, best_raw = 1e30;
        /* Warm-up both sides at this thread count (and check they agree). */
        nb_set_num_threads(t);
        nb_tensor *out = NULL;
        if (nb_session_run(s, feeds, 2, &prod, 1, &out) != NB_OK) {
            fprintf(stderr, "run error: %s\n", nb_session_errmsg(s));
            return 1;
        }
        openblas_set_num_threads(t);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, C,
                    n);
        const float *o = nb_tensor_data_const(out);
        double maxdiff = 0;
        for (size_t i = 0; i < nn; i++) {
            double d = fabs((double)o[i] - (double)C[i]);
            if (d > maxdiff) maxdiff = d;
        }
        nb_tensor_unref(out);
        if (maxdiff > 1e-3) {
            fprintf(stderr, "nabla and raw sgemm differ by %g\n", maxdiff);
            return 1;
        }
        int effective = 0;
        for (int r = 0; r < reps; r++) {
            nb_set_num_threads(t);
            effective = openblas_get_num_threads();
            double t0 = now_s();
            out = NULL;
            if (nb_session_run(s, feeds, 2, &prod, 1, &out) != NB_OK) {
                fprintf(stderr, "run error: %s\n", nb_session_errmsg(s));
                return 1;
            }
            nb_tensor_unref(out);
            double dt = now_s() - t0;
            if (dt < best_nb) best_nb = dt;

            openblas_set_num_threads(t);
            t0 = now_s();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f,
                        C, n);
            dt = now_s() - t0;
            if (dt < best_raw) best_raw = dt;
        }
        double g_nb = flops / best_nb / 1e9, g_raw = flops / best_raw / 1e9;
        printf("  threads %d (openblas_get_num_threads()=%d): nabla session %.1f GFLOP/s (%.2f ms), "
               "raw cblas_sgemm %.1f GFLOP/s (%.2f ms), nabla/raw %.3f\n",
               t, effective, g_nb, best_nb * 1e3, g_raw, best_raw * 1e3, g_nb / g_raw);
        printf("RESULT threads=%d nabla_gflops=%.2f raw_gflops=%.2f ratio=%.4f nabla_ms=%.3f "
               "raw_ms=%.3f\n",
               t, g_nb, g_raw, g_nb / g_raw, best_nb * 1e3, best_raw * 1e3);
    }
    nb_session_free(s);
    nb_graph_free(g);
    nb_tensor_unref(A);
    nb_tensor_unref(B);
    free(C);
    return 0;
}
