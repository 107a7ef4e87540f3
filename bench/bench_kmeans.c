/*
 * bench_kmeans.c — nb_kmeans on the 10,000 Fashion-MNIST test images (pixels / 255,
 * float64 by default, 784 features), k = 10, the peer of bench/peer_kmeans.py
 * (scikit-learn's KMeans, algorithm "lloyd"):
 *   given: the first 10 images as centroids, run to convergence (tol 1e-4);
 *   pp:    k-means++ with 10 restarts.
 * Only nb_kmeans is timed (loading excluded); the best of --rounds rounds.
 * Prints readable lines and
 *   RESULT mode=... seconds=... inertia=... iters=... threads=... dtype=...
 *
 * Usage: bench_kmeans [--threads N] [--rounds R] [--mode given|pp|both]
 *                     [--dtype float32|float64] [--fashion DIR]
 */
#define _POSIX_C_SOURCE 200809L
#include <nabla.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int bench(const nb_tensor *X, const char *mode, int rounds, nb_dtype dt, uint64_t seed) {
    nb_kmeans_options o = nb_kmeans_options_default(10);
    nb_tensor *init = NULL;
    if (!strcmp(mode, "given")) {
        nb_tensor *first = nb_tensor_new(dt, 2, (int64_t[]){10, 784}, nb_tensor_data_const(X));
        init = first;
        o.init_centroids = init;
    } else {
        o.n_init = 10;
        o.seed = seed;
    }
    double best = 1e30;
    nb_kmeans_result r = {0};
    for (int i = 0; i < rounds; i++) {
        nb_kmeans_result_clear(&r);
        nb_error err;
        double t0 = now();
        if (nb_kmeans(X, &o, &r, &err) != NB_OK) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        double t = now() - t0;
        if (t < best) best = t;
    }
    printf("nabla k-means (%s): %.3f s (best of %d), inertia %.1f, %d iterations, %d threads\n", mode,
           best, rounds, r.inertia, r.n_iter, nb_get_num_threads());
    printf("RESULT mode=%s seconds=%.4f inertia=%.2f iters=%d threads=%d dtype=%s seed=%llu\n", mode, best,
           r.inertia, r.n_iter, nb_get_num_threads(), nb_dtype_name(dt), (unsigned long long)seed);
    nb_kmeans_result_clear(&r);
    nb_tensor_unref(init);
    return 0;
}

int main(int argc, char **argv) {
    int threads = 1, rounds = 3;
    uint64_t seed = 0; /* --seed S: the k-means++ restarts' seed (pp) */
    const char *mode = "both", *dir = "/usr/share/datasets/fashion-mnist";
    nb_dtype dt = NB_FLOAT64;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--mode") && i + 1 < argc) mode = argv[++i];
        else if (!strcmp(argv[i], "--fashion") && i + 1 < argc) dir = argv[++i];
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--dtype") && i + 1 < argc)
            dt = !strcmp(argv[++i], "float32") ? NB_FLOAT32 : NB_FLOAT64;
    }
    nb_set_num_threads(threads);
    char path[1024];
    snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte.gz", dir);
    nb_error err;
    nb_tensor *img = nb_idx_load(path, &err);
    if (!img) {
        fprintf(stderr, "%s\n(apt-get install dataset-fashion-mnist)\n", err.message);
        return 1;
    }
    int64_t n = nb_tensor_dim(img, 0);
    nb_tensor *flat = nb_tensor_reshape(img, 2, (int64_t[]){n, 784});
    nb_tensor *X = nb_tensor_cast(flat, dt);
    for (int64_t i = 0; i < n * 784; i++) nb_tensor_set_flat(X, i, nb_tensor_get_flat(X, i) / 255.0);
    int rc = 0;
    if (!strcmp(mode, "given") || !strcmp(mode, "both")) rc |= bench(X, "given", rounds, dt, seed);
    if (!strcmp(mode, "pp") || !strcmp(mode, "both")) rc |= bench(X, "pp", rounds > 1 ? 1 : rounds, dt, seed);
    nb_tensor_unref(X);
    nb_tensor_unref(flat);
    nb_tensor_unref(img);
    return rc;
}
