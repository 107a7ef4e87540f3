/*
 * image_folder_cnn.c — the course's object recognition: a small convolutional
 * network trained on a folder of images, one sub-folder per class (the
 * Stanford Dogs layout, e.g. Images/n02085620-Chihuahua/n02085620_10074.jpg):
 *
 *   images, labels = image folder DIR, resized to SIZE x SIZE x 3, in [0, 1]
 *   train, test = stratified holdout (20 % test by default)
 *   h = tf.layers.conv2d(x, 16, 5, padding="same", activation=tf.nn.relu)
 *   h = tf.layers.max_pooling2d(h, 2, 2)
 *   h = tf.layers.conv2d(h, 32, 5, padding="same", activation=tf.nn.relu)
 *   h = tf.layers.max_pooling2d(h, 2, 2)
 *   h = tf.layers.dense(tf.layers.flatten(h), 128, tf.nn.relu)
 *   logits = tf.layers.dense(h, n_classes)
 *   loss = mean sparse softmax cross-entropy;  MomentumOptimizer(lr, 0.9)
 *
 * Every image is decoded and resized once (nb_image_dataset_open; unreadable
 * files are skipped with a warning). Each epoch visits the training images in
 * a seeded permutation, copying each batch into tensors allocated before
 * training. Prints the loss and the holdout accuracy per epoch; the curves
 * and the graph go to logs/image_folder_cnn for TensorBoard.
 *
 * With --smoke (the tests) it first writes a small folder itself, under a
 * temporary directory: 3 classes of 24x24 PNGs (red with horizontal stripes,
 * green with vertical stripes, blue checks; random phases and pixel noise),
 * 30 images each, trains on it and requires a holdout accuracy of at least 0.9.
 * The folder is removed afterwards.
 *
 * Usage: image_folder_cnn DIR [--size N] [--epochs N] [--batch N] [--lr X]
 *                         [--test-fraction F] [--seed N] [--threads N] [--logdir DIR]
 *        image_folder_cnn --smoke
 *        (either with --distributed: under mpirun, data-parallel training over
 *        MPI, see examples/dist_example.h; every rank lists the folder, and
 *        decodes only its share of the holdout set and, each epoch, its share
 *        of each global batch of batch x ranks images of the epoch's global
 *        order, nb_shard_rows; an undecodable image is then an error)
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, clock_gettime */
#include <nabla.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#endif
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb/stb_image_write.h>

#include "dist_example.h"
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#define EVAL_CHUNK 128

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t lcg(uint64_t *state) {
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return *state >> 33;
}

/* --smoke's folder: 3 classes x per_class PNGs of side x side pixels. */
static const char *smoke_classes[3] = {"red_hstripes", "green_vstripes", "blue_checks"};

static int make_smoke_folder(const char *root, int per_class, int side) {
    unsigned char *px = malloc((size_t)side * (size_t)side * 3);
    if (!px) return 0;
    uint64_t st = 99;
    char path[512];
    for (int c = 0; c < 3; c++) {
        snprintf(path, sizeof path, "%s/%s", root, smoke_classes[c]);
        if (mkdir(path, 0755) != 0) {
            free(px);
            return 0;
        }
        for (int k = 0; k < per_class; k++) {
            int phase = (int)(lcg(&st) % 4);
            for (int i = 0; i < side; i++)
                for (int j = 0; j < side; j++) {
                    int on = c == 0 ? ((i + phase) / 2) % 2 : c == 1 ? ((j + phase) / 2) % 2
                                                                     : ((i + phase) / 3 + (j + phase) / 3) % 2;
                    int level = on ? 220 : 90;
                    for (int ch = 0; ch < 3; ch++) {
                        int v = (ch == c ? level : level / 3) + (int)(lcg(&st) % 61) - 30;
                        px[(i * side + j) * 3 + ch] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
                    }
                }
            snprintf(path, sizeof path, "%s/%s/img_%03d.png", root, smoke_classes[c], k);
            if (!stbi_write_png(path, side, side, 3, px, side * 3)) {
                free(px);
                return 0;
            }
        }
    }
    free(px);
    return 1;
}

static void remove_smoke_folder(const char *root, int per_class) {
    char path[512];
    for (int c = 0; c < 3; c++) {
        for (int k = 0; k < per_class; k++) {
            snprintf(path, sizeof path, "%s/%s/img_%03d.png", root, smoke_classes[c], k);
            unlink(path);
        }
        snprintf(path, sizeof path, "%s/%s", root, smoke_classes[c]);
        rmdir(path);
    }
    rmdir(root);
}

/* Fisher-Yates: reproducible for a seed. */
static void shuffle(int64_t *idx, int64_t n, uint64_t *state) {
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)(lcg(state) % (uint64_t)(i + 1));
        int64_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

/* Copies images idx[0..m) of src (float32 [n, ...]) and their labels into x and y. */
static void fill_batch(const nb_tensor *src, const nb_tensor *lab, const int64_t *idx, int64_t m,
                       int64_t row, nb_tensor *x, nb_tensor *y) {
    const float *s = nb_tensor_data_const(src);
    const int32_t *l = nb_tensor_data_const(lab);
    float *xd = nb_tensor_data(x);
    int32_t *yd = nb_tensor_data(y);
    for (int64_t i = 0; i < m; i++) {
        memcpy(xd + i * row, s + idx[i] * row, sizeof(float) * (size_t)row);
        yd[i] = l[idx[i]];
    }
}

/* --distributed: the holdout images this rank evaluates, its chunks of
 * eval_chunk images (chunk c goes to rank c mod size), decoded from disk
 * (only those files; an undecodable one is an error, so shards stay aligned). */
static nb_status shard_holdout(const char *dir, int size, const nb_tensor *te_idx, const dist_state *d,
                               nb_tensor **X, nb_tensor **Y, nb_error *err) {
    int64_t n_te = nb_tensor_size(te_idx), ech = n_te < EVAL_CHUNK ? n_te : EVAL_CHUNK, k = 0;
    const int64_t *te = nb_tensor_data_const(te_idx);
    int64_t *mine = malloc(sizeof(int64_t) * (size_t)(n_te ? n_te : 1));
    if (!mine) return NB_ERR_OUT_OF_MEMORY;
    for (int64_t i = (int64_t)d->rank * ech; ech > 0 && i < n_te; i += ech * d->size)
        for (int64_t j = i; j < i + ech && j < n_te; j++) mine[k++] = te[j];
    nb_image_dataset *ds = nb_image_dataset_open_rows(dir, size, size, 3, NB_IMAGES_STRICT, mine, k, err);
    free(mine);
    if (!ds) return err->code;
    *X = nb_image_dataset_images(ds);
    *Y = nb_image_dataset_labels(ds);
    nb_image_dataset_free(ds);
    return *X && *Y ? NB_OK : NB_ERR_OUT_OF_MEMORY;
}

/* --distributed: this rank's training images of an epoch (nb_shard_rows over
 * the training split: global batches of G, the last partial one dropped),
 * decoded from disk, only those files. */
static nb_status shard_epoch(const char *dir, int size, const nb_tensor *tr_idx, uint64_t seed, int epoch,
                             int64_t G, const dist_state *d, nb_tensor **X, nb_tensor **Y, nb_error *err) {
    nb_tensor *plan = nb_shard_rows(nb_tensor_size(tr_idx), G, d->rank, d->size, seed, epoch, true, err);
    if (!plan) return err->code;
    int64_t k = nb_tensor_size(plan);
    const int64_t *p = nb_tensor_data_const(plan), *tr = nb_tensor_data_const(tr_idx);
    int64_t *rows = malloc(sizeof(int64_t) * (size_t)(k ? k : 1));
    if (!rows) {
        nb_tensor_unref(plan);
        return NB_ERR_OUT_OF_MEMORY;
    }
    for (int64_t i = 0; i < k; i++) rows[i] = tr[p[i]]; /* split positions -> files */
    nb_tensor_unref(plan);
    nb_image_dataset *ds = nb_image_dataset_open_rows(dir, size, size, 3, NB_IMAGES_STRICT, rows, k, err);
    free(rows);
    if (!ds) return err->code;
    *X = nb_image_dataset_images(ds);
    *Y = nb_image_dataset_labels(ds);
    nb_image_dataset_free(ds);
    return *X && *Y ? NB_OK : NB_ERR_OUT_OF_MEMORY;
}

int main(int argc, char **argv) {
    const char *dir = NULL, *logdir = "logs/image_folder_cnn";
    int size = 64, epochs = 10, batch = 32, smoke = 0, threads = 0, distributed = 0;
    double lr = 0.01, test_fraction = 0.2;
    uint64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--size") && i + 1 < argc) size = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--epochs") && i + 1 < argc) epochs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc) batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--lr") && i + 1 < argc) lr = atof(argv[++i]);
        else if (!strcmp(argv[i], "--test-fraction") && i + 1 < argc) test_fraction = atof(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--logdir") && i + 1 < argc) logdir = argv[++i];
        else if (!strcmp(argv[i], "--smoke")) smoke = 1;
        else if (!strcmp(argv[i], "--distributed")) distributed = 1;
        else if (argv[i][0] != '-' && !dir) dir = argv[i];
        else {
            dir = NULL;
            smoke = 0;
            break;
        }
    }
    if (!dir && !smoke) {
        fprintf(stderr, "usage: %s DIR [--size N] [--epochs N] [--batch N] [--lr X] "
                        "[--test-fraction F] [--seed N] [--threads N] [--logdir DIR] [--distributed]\n"
                        "       %s --smoke [--distributed]\n", argv[0], argv[0]);
        return 2;
    }
    dist_state dist;
    if (dist_start(distributed, &argc, &argv, &dist)) return 1;
    /* --smoke runs on one thread unless told otherwise: on a loaded 2-core machine two
     * OpenMP threads wait on each other at every parallel region (see bench/README.md). */
    if (smoke && threads <= 0) threads = 1;
    if (threads > 0) nb_set_num_threads(threads);
    if (epochs < 1) epochs = 1;
    if (batch < 1) batch = 1;

    char smoke_dir[] = "/tmp/image_folder_cnn_XXXXXX";
    const int smoke_per_class = 30;
    if (smoke) {
        if (!mkdtemp(smoke_dir) || !make_smoke_folder(smoke_dir, smoke_per_class, 24)) {
            fprintf(stderr, "cannot write the smoke test's images under /tmp\n");
            return 1;
        }
        dir = smoke_dir;
        size = 16;
        epochs = 12;
        batch = 16;
        test_fraction = 0.2;
        logdir = NULL;
        printf("smoke: wrote 3 classes x %d generated 24x24 PNGs under %s\n", smoke_per_class, dir);
    }

    /* ---- data: decode, resize, split ---- */
    nb_error err = {0};
    double t0 = now_s();
    /* --distributed: nothing is decoded here but the listing's labels; each
     * rank decodes its part of the holdout set below and its rows of every
     * epoch in the training loop (nb_image_dataset_open_rows). */
    nb_image_dataset *ds = dist.on ? nb_image_dataset_open_rows(dir, size, size, 3, 0, NULL, 0, &err)
                                   : nb_image_dataset_open(dir, size, size, 3, NB_IMAGES_PRINT_WARNINGS, &err);
    nb_tensor *labels = !ds ? NULL : dist.on ? nb_image_folder_labels(dir, &err) : nb_image_dataset_labels(ds);
    if (!ds || !labels) {
        fprintf(stderr, "error: %s\n", err.message);
        if (smoke) remove_smoke_folder(smoke_dir, smoke_per_class);
        return 1;
    }
    int n_classes = nb_image_dataset_num_classes(ds);
    int64_t n = nb_tensor_size(labels);
    if (dist.on) {
        if (dist.rank == 0)
            printf("%s: %lld image files in %d classes (each rank decodes only its rows), %dx%dx3\n", dir,
                   (long long)n, n_classes, size, size);
    } else {
        printf("%s: %lld images in %d classes (%d skipped), resized to %dx%dx3 in %.2f s\n", dir,
               (long long)n, n_classes, nb_image_dataset_num_skipped(ds), size, size, now_s() - t0);
    }
    if (dist.rank == 0) {
        for (int c = 0; c < n_classes && c < 10; c++) printf("  class %d: %s\n", c, nb_image_dataset_class_name(ds, c));
        if (n_classes > 10) printf("  ... %d more\n", n_classes - 10);
    }

    nb_splits *sp = nb_splits_holdout(n, test_fraction, labels, seed, &err);
    nb_tensor *tr_idx = NULL, *te_idx = NULL, *Xtr = NULL, *Ytr = NULL, *Xte = NULL, *Yte = NULL;
    int64_t n_te_mine = 0; /* the holdout images this rank evaluates */
    if (!sp || nb_splits_get(sp, 0, &tr_idx, &te_idx, &err) != NB_OK ||
        (!dist.on && (nb_image_dataset_gather(ds, nb_tensor_data_const(tr_idx), nb_tensor_size(tr_idx), &Xtr, &Ytr) != NB_OK ||
                      nb_image_dataset_gather(ds, nb_tensor_data_const(te_idx), nb_tensor_size(te_idx), &Xte, &Yte) != NB_OK)) ||
        (dist.on && shard_holdout(dir, size, te_idx, &dist, &Xte, &Yte, &err) != NB_OK)) {
        fprintf(stderr, "error: cannot split the images: %s\n", err.message[0] ? err.message : "out of memory");
        return 1;
    }
    n_te_mine = nb_tensor_dim(Xte, 0);
    nb_tensor_unref(labels);
    nb_splits_free(sp);
    nb_image_dataset_free(ds); /* the split copies are all we need from here on */
    int64_t n_tr = nb_tensor_size(tr_idx), n_te = nb_tensor_size(te_idx), row = (int64_t)size * size * 3;
    if (dist.rank == 0) printf("holdout: %lld training, %lld test images\n", (long long)n_tr, (long long)n_te);

    /* ---- graph ---- */
    nb_graph *g = nb_graph_new();
    nb_graph_set_seed(g, (int64_t)seed);
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, size, size, 3), "x");
    nb_output y = nb_placeholder(g, NB_INT32, NB_SHAPE(NB_DIM_UNKNOWN), "y");
    const int pool[4] = {1, 2, 2, 1};
    nb_output h = nb_layers_conv2d(g, x, 16, 5, 5, 1, "SAME", NB_ACT_RELU, NULL);
    h = nb_nn_max_pool(g, h, pool, pool, "VALID", "max_pooling2d");
    h = nb_layers_conv2d(g, h, 32, 5, 5, 1, "SAME", NB_ACT_RELU, NULL);
    h = nb_nn_max_pool(g, h, pool, pool, "VALID", "max_pooling2d_1");
    h = nb_layers_dense(g, nb_layers_flatten(g, h, NULL), 128, NB_ACT_RELU, NULL);
    nb_output logits = nb_layers_dense(g, h, n_classes, NB_ACT_NONE, NULL);
    nb_name_scope_push(g, "loss");
    nb_output xent = nb_nn_sparse_softmax_cross_entropy_with_logits(g, y, logits, NULL);
    nb_output loss = nb_reduce_mean(g, xent, NULL, NB_ALL_AXES, false, NULL);
    nb_name_scope_pop(g);
    nb_output train_op = dist_minimize(&dist, nb_train_momentum(g, lr, 0.9, false), loss);
    nb_name_scope_push(g, "accuracy");
    nb_output correct = nb_equal(g, nb_argmax(g, logits, 1, NULL), nb_cast(g, y, NB_INT64, NULL), NULL);
    nb_output n_correct = nb_reduce_sum(g, nb_cast(g, correct, NB_FLOAT32, NULL), NULL, NB_ALL_AXES, false, NULL);
    nb_name_scope_pop(g);
    nb_output init = nb_global_variables_initializer(g);
    nb_output bcast = dist_broadcast_op(&dist, g); /* rank 0's initial values, to every rank */
    if (nb_graph_status(g) != NB_OK) {
        fprintf(stderr, "graph error: %s\n", nb_graph_errmsg(g));
        return 1;
    }
    nb_error werr = {0};
    if (dist.rank != 0) logdir = NULL; /* only rank 0 writes event files */
    nb_summary_writer *w = logdir ? nb_summary_writer_open(logdir, g, &werr) : NULL;
    if (logdir && !w) fprintf(stderr, "warning: no TensorBoard log: %s\n", werr.message);

    /* ---- buffers, allocated once ---- */
    int64_t rem = n_tr % batch, ech = n_te < EVAL_CHUNK ? n_te : EVAL_CHUNK, erem = n_te % ech;
    nb_tensor *xb = nb_tensor_zeros(NB_FLOAT32, 4, (int64_t[]){batch, size, size, 3});
    nb_tensor *yb = nb_tensor_zeros(NB_INT32, 1, (int64_t[]){batch});
    nb_tensor *xr = nb_tensor_zeros(NB_FLOAT32, 4, (int64_t[]){rem ? rem : 1, size, size, 3});
    nb_tensor *yr = nb_tensor_zeros(NB_INT32, 1, (int64_t[]){rem ? rem : 1});
    nb_tensor *xe = nb_tensor_zeros(NB_FLOAT32, 4, (int64_t[]){ech, size, size, 3});
    nb_tensor *ye = nb_tensor_zeros(NB_INT32, 1, (int64_t[]){ech});
    nb_tensor *xer = nb_tensor_zeros(NB_FLOAT32, 4, (int64_t[]){erem ? erem : 1, size, size, 3});
    nb_tensor *yer = nb_tensor_zeros(NB_INT32, 1, (int64_t[]){erem ? erem : 1});
    int64_t *perm = malloc(sizeof(int64_t) * (size_t)(n_tr > n_te ? n_tr : n_te));
    if (!xb || !yb || !xr || !yr || !xe || !ye || !xer || !yer || !perm) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }

    nb_session *s = nb_session_new(g);
    if (nb_session_run(s, NULL, 0, &init, 1, NULL) != NB_OK) goto run_error;
    if (dist.on && nb_session_run(s, NULL, 0, &bcast, 1, NULL) != NB_OK) goto run_error;
    /* Distributed: global batches of batch x ranks images (the last partial one
     * dropped); this rank trains on its batch-sized share of each. */
    const int64_t G = (int64_t)batch * dist.size, n_global = dist.on ? n_tr / G * G : n_tr;
    if (dist.on && dist.rank == 0)
        printf("distributed: %d ranks, batch %d per rank (effective batch %lld), learning rate %g\n", dist.size,
               batch, (long long)G, lr);
    uint64_t state = seed;
    int64_t step = 0;
    double acc = 0, first_loss = -1, mean_loss = 0;
    for (int epoch = 1; epoch <= epochs; epoch++) {
        double t1 = now_s(), sum = 0;
        if (dist.on) { /* this rank's rows of the epoch, decoded now */
            nb_tensor_unref(Xtr);
            nb_tensor_unref(Ytr);
            Xtr = Ytr = NULL;
            if (shard_epoch(dir, size, tr_idx, seed, epoch, G, &dist, &Xtr, &Ytr, &err) != NB_OK) {
                fprintf(stderr, "rank %d: %s\n", dist.rank, err.message);
                if (smoke) remove_smoke_folder(smoke_dir, smoke_per_class);
                dist_end(&dist, 1);
                return 1;
            }
            for (int64_t i = 0; i < nb_tensor_dim(Xtr, 0); i++) perm[i] = i;
        } else {
            for (int64_t i = 0; i < n_tr; i++) perm[i] = i;
            shuffle(perm, n_tr, &state);
        }
        int64_t trained = 0;
        for (int64_t b = 0, k = 0; b < n_global; b += G, k++, step++) {
            int64_t m = b + batch <= n_tr ? batch : rem;
            nb_tensor *xt = m == batch ? xb : xr, *yt = m == batch ? yb : yr;
            fill_batch(Xtr, Ytr, perm + k * batch, m, row, xt, yt);
            trained += m;
            nb_tensor *out[2];
            if (nb_session_run(s, (nb_feed[]){{x, xt}, {y, yt}}, 2, (nb_output[]){loss, train_op}, 2, out) != NB_OK)
                goto run_error;
            double l = nb_tensor_scalar_f64(out[0]);
            nb_tensor_unref(out[0]);
            sum += l * (double)m;
            if (w) nb_summary_writer_add_scalar(w, "loss", step, l);
        }
        double dt = now_s() - t1, hits = 0;
        mean_loss = trained ? sum / (double)trained : 0;
        if (first_loss < 0) first_loss = mean_loss;
        for (int64_t i = 0; i < n_te_mine; i++) perm[i] = i;
        for (int64_t i = 0; i < n_te_mine; i += ech) { /* distributed: this rank's chunks */
            int64_t m = i + ech <= n_te_mine ? ech : erem;
            nb_tensor *xt = m == ech ? xe : xer, *yt = m == ech ? ye : yer;
            fill_batch(Xte, Yte, perm + i, m, row, xt, yt);
            nb_tensor *c = nb_session_eval(s, n_correct, (nb_feed[]){{x, xt}, {y, yt}}, 2);
            if (!c) goto run_error;
            hits += nb_tensor_scalar_f64(c);
            nb_tensor_unref(c);
        }
        if (dist_sum(&dist, &hits)) goto run_error;
        acc = hits / (double)n_te;
        if (dist.rank == 0) printf("epoch %2d  time %.2f s  train loss %.4f  holdout accuracy %.4f\n", epoch, dt, mean_loss, acc);
        fflush(stdout);
        if (w) {
            nb_summary_writer_add_scalar(w, "epoch/train_loss", epoch, mean_loss);
            nb_summary_writer_add_scalar(w, "epoch/holdout_accuracy", epoch, acc);
        }
    }
    int ok = 1;
    if (smoke) {
        ok = dist.rank != 0 || (acc >= 0.9 && mean_loss < first_loss);
        if (dist.rank == 0) printf("smoke check: holdout accuracy %.4f (>= 0.9), loss %.4f -> %.4f: %s\n", acc, first_loss,
               mean_loss, ok ? "passed" : "FAILED");
        remove_smoke_folder(smoke_dir, smoke_per_class);
    }
    nb_summary_writer_close(w);
    nb_session_free(s);
    nb_graph_free(g);
    nb_tensor *t[12] = {xb, yb, xr, yr, xe, ye, xer, yer, Xtr, Ytr, Xte, Yte};
    for (int i = 0; i < 12; i++) nb_tensor_unref(t[i]);
    nb_tensor_unref(tr_idx);
    nb_tensor_unref(te_idx);
    free(perm);
    dist_end(&dist, 0);
    return ok ? 0 : 1;
run_error:
    fprintf(stderr, "run error (rank %d): %s\n", dist.rank, nb_session_errmsg(s));
    if (smoke) remove_smoke_folder(smoke_dir, smoke_per_class);
    dist_end(&dist, 1);
    return 1;
}
