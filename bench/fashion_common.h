/*
 * fashion_common.h — the training-epoch benchmark shared by bench_mlp.c and
 * bench_cnn.c. The including file defines BENCH_NAME, INPUT_SHAPE (the x
 * placeholder's shape after the batch dim), LEARNING_RATE, DEFAULT_BATCHES
 * (0: the whole epoch) and `static nb_output build_logits(nb_graph *g, nb_output x)`.
 *
 * What is timed: training over Fashion-MNIST's 60,000 training images in
 * batches of 64 (a seeded permutation; the last batch holds the remaining 32),
 * each batch gathered (nb_tensor_gather_rows) and scaled to [0, 1] into a tensor allocated before the
 * loop, then one session run fetching the loss and the Momentum(lr, 0.9)
 * train op. First --warmup W (default 5) batches run untimed (plan
 * compilation, first-touch of the buffers; the peer builds its oneDNN
 * primitives there); they are the epoch's first W batches, which the timed
 * window then starts again from. The timed window is --batches N batches
 * (0: the whole epoch, 938); a shorter window is extrapolated to the epoch
 * (N / batches-per-epoch), which the output says, with the window's two halves
 * timed separately: their per-batch times differing by d% bounds the
 * extrapolation's error by about d% (every batch but the epoch's last is the
 * same work). Peak memory is getrusage's ru_maxrss of the whole process (data
 * set, graph, session, buffers) after the epoch and a test-accuracy pass over
 * the 10,000 test images in chunks of 64.
 *
 * Output: readable lines, then
 *   RESULT threads=T epoch_s=... batches=B of=938 extrapolated=0|1 halves_pct=... per10k_s=... warmup=W
 *          loss=... acc=... maxrss_mib=...
 */

#include <nabla.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define PIXELS 784
#define BATCH 64

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double maxrss_mib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* KiB on Linux */
}

static nb_tensor *load(const char *dir, const char *file) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    nb_error err = {0};
    nb_tensor *t = nb_idx_load(p, &err);
    if (!t) fprintf(stderr, "%s\n", err.message);
    return t;
}

/* A batch: its rows gathered (converted and scaled to [0, 1]) and its labels. */
static void fill(const nb_tensor *img, const nb_tensor *lab, const int64_t *idx, int64_t m, nb_tensor *x,
                 nb_tensor *y) {
    nb_error err;
    if (nb_tensor_gather_rows(x, img, idx, m, 1.0 / 255.0, &err) != NB_OK ||
        nb_tensor_gather_rows(y, lab, idx, m, 1.0, &err) != NB_OK) {
        fprintf(stderr, "%s\n", err.message);
        exit(1);
    }
}

int main(int argc, char **argv) {
    const char *data = "/usr/share/datasets/fashion-mnist";
    int threads = 1;
    int64_t batches = DEFAULT_BATCHES, warmup = 5;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--batches") && i + 1 < argc) batches = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--data") && i + 1 < argc) data = argv[++i];
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) warmup = atoll(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--threads N] [--batches N (0: the whole epoch)] [--warmup W] [--data DIR]\n", argv[0]);
            return 2;
        }
    }
    nb_set_num_threads(threads);
    nb_tensor *Xtr = load(data, "train-images-idx3-ubyte.gz"), *Ytr = load(data, "train-labels-idx1-ubyte.gz");
    nb_tensor *Xte = load(data, "t10k-images-idx3-ubyte.gz"), *Yte = load(data, "t10k-labels-idx1-ubyte.gz");
    if (!Xtr || !Ytr || !Xte || !Yte) return 1;
    const nb_tensor *xtr = Xtr, *ytr = Ytr, *xte = Xte, *yte = Yte;
    int64_t n = nb_tensor_dim(Xtr, 0), n_te = nb_tensor_dim(Xte, 0);
    int64_t per_epoch = (n + BATCH - 1) / BATCH;
    if (batches <= 0 || batches > per_epoch) batches = per_epoch;

    nb_graph *g = nb_graph_new();
    nb_graph_set_seed(g, 1);
    nb_output x = nb_placeholder(g, NB_FLOAT32, INPUT_SHAPE, "x");
    nb_output y = nb_placeholder(g, NB_INT32, NB_SHAPE(NB_DIM_UNKNOWN), "y");
    nb_output logits = build_logits(g, x);
    nb_output loss = nb_reduce_mean(g, nb_nn_sparse_softmax_cross_entropy_with_logits(g, y, logits, NULL), NULL,
                                    NB_ALL_AXES, false, NULL);
    nb_output train = nb_optimizer_minimize(nb_train_momentum(g, LEARNING_RATE, 0.9, false), loss, NULL, 0, nb_nil);
    nb_output hits = nb_reduce_sum(g, nb_cast(g, nb_equal(g, nb_argmax(g, logits, 1, NULL), nb_cast(g, y, NB_INT64, NULL), NULL),
                                              NB_FLOAT32, NULL), NULL, NB_ALL_AXES, false, NULL);
    nb_output init = nb_global_variables_initializer(g);
    if (nb_graph_status(g) != NB_OK) {
        fprintf(stderr, "graph: %s\n", nb_graph_errmsg(g));
        return 1;
    }
    nb_shape shp = INPUT_SHAPE;
    int rank = shp.rank;
    int64_t dfull[5], drem[5];
    for (int i = 0; i < rank; i++) dfull[i] = drem[i] = shp.dims[i];
    dfull[0] = BATCH;
    drem[0] = n % BATCH ? n % BATCH : 1;
    nb_tensor *xb = nb_tensor_zeros(NB_FLOAT32, rank, dfull), *yb = nb_tensor_zeros(NB_INT32, 1, dfull);
    nb_tensor *xr = nb_tensor_zeros(NB_FLOAT32, rank, drem), *yr = nb_tensor_zeros(NB_INT32, 1, drem);
    int64_t *perm = malloc(sizeof(int64_t) * (size_t)n);
    uint64_t st = 1;
    for (int64_t i = 0; i < n; i++) perm[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        int64_t j = (int64_t)((st >> 33) % (uint64_t)(i + 1)), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }

    nb_session *s = nb_session_new(g);
    if (nb_session_run(s, NULL, 0, &init, 1, NULL) != NB_OK) goto fail;
    double sum = 0;
    if (warmup < 0) warmup = 0;
    if (warmup > per_epoch - 1) warmup = per_epoch - 1;
    for (int64_t b = 0; b < warmup; b++) { /* untimed */
        fill(xtr, ytr, perm + b * BATCH, BATCH, xb, yb);
        nb_tensor *out[2]; /* the timed runs' fetches, so that their plan is the one compiled here */
        if (nb_session_run(s, (nb_feed[]){{x, xb}, {y, yb}}, 2, (nb_output[]){loss, train}, 2, out) != NB_OK)
            goto fail;
        nb_tensor_unref(out[0]);
    }
    double t0 = now_s(), th = t0;
    int64_t half = batches / 2;
    for (int64_t b = 0; b < batches; b++) {
        if (b == half) th = now_s();
        int64_t m = (b + 1) * BATCH <= n ? BATCH : n - b * BATCH;
        nb_tensor *xt = m == BATCH ? xb : xr, *yt = m == BATCH ? yb : yr;
        fill(xtr, ytr, perm + b * BATCH, m, xt, yt);
        nb_tensor *out[2];
        if (nb_session_run(s, (nb_feed[]){{x, xt}, {y, yt}}, 2, (nb_output[]){loss, train}, 2, out) != NB_OK)
            goto fail;
        sum += nb_tensor_scalar_f64(out[0]);
        nb_tensor_unref(out[0]);
    }
    double t1 = now_s(), dt = t1 - t0, epoch_s = dt * (double)per_epoch / (double)batches;
    /* the halves' per-batch times (the epoch's short last batch, if timed, is in the second) */
    double r1 = half ? (th - t0) / (double)half : 0, r2 = (t1 - th) / (double)(batches - half);
    double halves_pct = r1 > 0 ? 100.0 * (r2 - r1) / r1 : 0;
    double per10k = dt * 10000.0 / (double)(batches * BATCH < n ? batches * BATCH : n);
    double correct = 0;
    for (int64_t i = 0; i < n_te; i++) perm[i] = i;
    for (int64_t i = 0; i < n_te; i += BATCH) {
        int64_t m = i + BATCH <= n_te ? BATCH : n_te - i;
        int64_t de[5];
        for (int k = 0; k < rank; k++) de[k] = k ? dfull[k] : m;
        nb_tensor *xt = m == BATCH ? xb : nb_tensor_zeros(NB_FLOAT32, rank, de);
        nb_tensor *yt = m == BATCH ? yb : nb_tensor_zeros(NB_INT32, 1, (int64_t[]){m});
        fill(xte, yte, perm + i, m, xt, yt);
        nb_tensor *c = nb_session_eval(s, hits, (nb_feed[]){{x, xt}, {y, yt}}, 2);
        if (!c) goto fail;
        correct += nb_tensor_scalar_f64(c);
        nb_tensor_unref(c);
        if (m != BATCH) {
            nb_tensor_unref(xt);
            nb_tensor_unref(yt);
        }
    }
    double acc = correct / (double)n_te, rss = maxrss_mib();
    int extra = batches < per_epoch;
    printf("%s: nabla, nb_set_num_threads(%d) (OMP_NUM_THREADS=%s OPENBLAS_NUM_THREADS=%s), batch %d: "
           "%lld untimed, then %lld of %lld batches in %.2f s (%.3f s per 10,000 images; 2nd half per batch %+.1f%% vs 1st) -> epoch %.2f s%s; mean loss %.4f; test accuracy %.4f; peak RSS %.1f MiB\n",
           BENCH_NAME, nb_get_num_threads(), getenv("OMP_NUM_THREADS") ? getenv("OMP_NUM_THREADS") : "unset",
           getenv("OPENBLAS_NUM_THREADS") ? getenv("OPENBLAS_NUM_THREADS") : "unset", BATCH, (long long)warmup, (long long)batches,
           (long long)per_epoch, dt, per10k, halves_pct, epoch_s, extra ? " (EXTRAPOLATED from the timed batches)" : "",
           sum / (double)batches, acc, rss);
    printf("%s: threads in use at the end %d (adaptive sizing %s)\n", BENCH_NAME, nb_get_active_threads(),
           nb_get_adaptive_threads() ? "on" : "off");
    printf("RESULT threads=%d epoch_s=%.3f batches=%lld of=%lld extrapolated=%d halves_pct=%.1f per10k_s=%.3f warmup=%lld "
           "loss=%.4f acc=%.4f maxrss_mib=%.1f\n",
           nb_get_num_threads(), epoch_s, (long long)batches, (long long)per_epoch, extra, halves_pct, per10k,
           (long long)warmup, sum / (double)batches, acc, rss);
    nb_session_free(s);
    nb_graph_free(g);
    nb_tensor *ts[8] = {Xtr, Ytr, Xte, Yte, xb, yb, xr, yr};
    for (int i = 0; i < 8; i++) nb_tensor_unref(ts[i]);
    free(perm);
    return 0;
fail:
    fprintf(stderr, "run: %s\n", nb_session_errmsg(s));
    return 1;
}
