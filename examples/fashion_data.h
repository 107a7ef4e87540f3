/*
 * fashion_data.h — what examples/fashion_mlp.c and examples/fashion_cnn.c share:
 * loading Fashion-MNIST's IDX files (nb_idx_load), the synthetic stand-in the
 * smoke tests use when the data set is missing, seeded shuffling and batch
 * filling into preallocated tensors. Included by the examples (not the library).
 */
#ifndef NABLA_EXAMPLES_FASHION_DATA_H
#define NABLA_EXAMPLES_FASHION_DATA_H

#include <nabla.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dist_example.h"

#define PIXELS 784
#define CLASSES 10

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A split of the data set: n images of 784 bytes and their labels; or, for
 * --distributed with the files present, only n and where the files are (each
 * rank reads its shard of every epoch with nb_idx_read_rows). */
typedef struct {
    int64_t n;
    uint8_t *images;
    int32_t *labels;
    char dir[400];    /* shard reads: DIR/train-*-idx?-ubyte.gz; "" when in memory */
} split;

static void split_free(split *s) {
    free(s->images);
    free(s->labels);
    s->images = NULL;
    s->labels = NULL;
}

/* The rows rows[0..k) of src as an in-memory split: read from the files
 * (nb_idx_read_rows: only those rows) or copied from memory. */
static nb_status split_rows(const split *src, const int64_t *rows, int64_t k, split *out,
                            nb_error *err) {
    out->n = k;
    out->dir[0] = 0;
    out->images = malloc((size_t)(k ? k : 1) * PIXELS);
    out->labels = malloc(sizeof(int32_t) * (size_t)(k ? k : 1));
    if (!out->images || !out->labels) {
        split_free(out);
        err->code = NB_ERR_OUT_OF_MEMORY;
        snprintf(err->message, sizeof err->message, "out of memory");
        return NB_ERR_OUT_OF_MEMORY;
    }
    if (!src->dir[0]) {
        for (int64_t i = 0; i < k; i++) {
            memcpy(out->images + i * PIXELS, src->images + rows[i] * PIXELS, PIXELS);
            out->labels[i] = src->labels[rows[i]];
        }
        return NB_OK;
    }
    char pi[512], pl[512];
    snprintf(pi, sizeof pi, "%s/train-images-idx3-ubyte.gz", src->dir);
    snprintf(pl, sizeof pl, "%s/train-labels-idx1-ubyte.gz", src->dir);
    nb_tensor *ti = nb_idx_read_rows(pi, rows, k, err);
    nb_tensor *tl = ti ? nb_idx_read_rows(pl, rows, k, err) : NULL;
    if (!ti || !tl) {
        nb_tensor_unref(ti);
        split_free(out);
        return err->code;
    }
    memcpy(out->images, nb_tensor_data_const(ti), (size_t)k * PIXELS);
    const uint8_t *l = nb_tensor_data_const(tl);
    for (int64_t i = 0; i < k; i++) out->labels[i] = l[i];
    nb_tensor_unref(ti);
    nb_tensor_unref(tl);
    return NB_OK;
}

/* --distributed: the training set's size from the header only (at most max_n). */
static nb_status shard_split(const char *dir, int64_t max_n, split *out, nb_error *err) {
    char pi[512];
    snprintf(pi, sizeof pi, "%s/train-images-idx3-ubyte.gz", dir);
    nb_dtype dt;
    int rank;
    int64_t dims[NB_MAX_RANK];
    if (nb_idx_header(pi, &dt, &rank, dims, err) != NB_OK) return err->code;
    if (dt != NB_UINT8 || rank != 3 || dims[1] * dims[2] != PIXELS) {
        snprintf(err->message, sizeof err->message, "%.400s: unexpected shape", pi);
        return err->code = NB_ERR_IO;
    }
    *out = (split){dims[0], NULL, NULL, ""};
    if (max_n > 0 && max_n < out->n) out->n = max_n;
    snprintf(out->dir, sizeof out->dir, "%s", dir);
    return NB_OK;
}

/* Loads DIR/<prefix>-images-idx3-ubyte.gz and its labels, keeping at most max_n. */
static nb_status load_split(const char *dir, const char *prefix, int64_t max_n, split *out,
                            nb_error *err) {
    char pi[512], pl[512];
    snprintf(pi, sizeof pi, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
    snprintf(pl, sizeof pl, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
    nb_tensor *ti = nb_idx_load(pi, err);
    nb_tensor *tl = ti ? nb_idx_load(pl, err) : NULL;
    if (!ti || !tl) {
        nb_tensor_unref(ti);
        return err->code;
    }
    int64_t n = nb_tensor_dim(ti, 0);
    if (nb_tensor_size(ti) != n * PIXELS || nb_tensor_size(tl) != n) {
        snprintf(err->message, sizeof err->message, "%.400s: unexpected shape", pi);
        err->code = NB_ERR_IO;
        nb_tensor_unref(ti);
        nb_tensor_unref(tl);
        return NB_ERR_IO;
    }
    if (max_n > 0 && max_n < n) n = max_n;
    out->n = n;
    out->images = malloc((size_t)n * PIXELS);
    out->labels = malloc(sizeof(int32_t) * (size_t)n);
    if (!out->images || !out->labels) {
        nb_tensor_unref(ti);
        nb_tensor_unref(tl);
        split_free(out);
        err->code = NB_ERR_OUT_OF_MEMORY;
        snprintf(err->message, sizeof err->message, "out of memory");
        return NB_ERR_OUT_OF_MEMORY;
    }
    memcpy(out->images, nb_tensor_data_const(ti), (size_t)n * PIXELS);
    const uint8_t *l = nb_tensor_data_const(tl);
    for (int64_t i = 0; i < n; i++) out->labels[i] = l[i];
    nb_tensor_unref(ti);
    nb_tensor_unref(tl);
    return NB_OK;
}

/* The synthetic stand-in: ten random binary prototypes, each image one of them
 * with every pixel jittered by up to +-100 (clipped to 0..255). */
static nb_status synthetic_split(int64_t n, uint64_t seed, split *out) {
    out->n = n;
    out->images = malloc((size_t)n * PIXELS);
    out->labels = malloc(sizeof(int32_t) * (size_t)n);
    if (!out->images || !out->labels) {
        split_free(out);
        return NB_ERR_OUT_OF_MEMORY;
    }
    uint64_t st = 12345;
    uint8_t proto[CLASSES][PIXELS];
    for (int c = 0; c < CLASSES; c++)
        for (int p = 0; p < PIXELS; p++) {
            st = st * 6364136223846793005ull + 1442695040888963407ull;
            proto[c][p] = (st >> 40) & 1 ? 200 : 40;
        }
    st = seed * 2654435761u + 1;
    for (int64_t i = 0; i < n; i++) {
        int c = (int)(i % CLASSES);
        out->labels[i] = c;
        for (int p = 0; p < PIXELS; p++) {
            st = st * 6364136223846793005ull + 1442695040888963407ull;
            int v = proto[c][p] + (int)((st >> 33) % 201) - 100;
            out->images[i * PIXELS + p] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
    return NB_OK;
}

/* Fisher-Yates with a small LCG: reproducible for a seed. */
static void shuffle(int64_t *idx, int64_t n, uint64_t *state) {
    for (int64_t i = n - 1; i > 0; i--) {
        *state = *state * 6364136223846793005ull + 1442695040888963407ull;
        int64_t j = (int64_t)((*state >> 33) % (uint64_t)(i + 1));
        int64_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

/* Copies rows idx[0..m) of s into x (float32, m x 784 values scaled to [0, 1],
 * whatever x's shape: [m, 784] or [m, 28, 28, 1]) and y: numpy's X[idx] / 255,
 * with nb_tensor_gather_rows over the split's arrays (wrapped, not copied). */
static void fill_batch(const split *s, const int64_t *idx, int64_t m, nb_tensor *x, nb_tensor *y) {
    nb_tensor *img = nb_tensor_wrap(NB_UINT8, 2, (int64_t[]){s->n, PIXELS}, s->images, (size_t)s->n * PIXELS,
                                    NULL, NULL);
    nb_tensor *lab = nb_tensor_wrap(NB_INT32, 1, &s->n, s->labels, sizeof(int32_t) * (size_t)s->n, NULL, NULL);
    nb_error err = {0};
    if (!img || !lab || nb_tensor_gather_rows(x, img, idx, m, 1.0 / 255.0, &err) != NB_OK ||
        nb_tensor_gather_rows(y, lab, idx, m, 1.0, &err) != NB_OK) {
        fprintf(stderr, "error: gathering a batch: %s\n", img && lab ? err.message : "out of memory");
        exit(1);
    }
    nb_tensor_unref(img);
    nb_tensor_unref(lab);
}

/* Loads Fashion-MNIST's training and test sets from dir (train_size/test_size
 * 0: all). A smoke run without the data set falls back to the synthetic
 * stand-in and says so; otherwise a missing data set is an error. Returns 0, or
 * 1 after printing what went wrong. shard (--distributed): the training set is
 * not loaded, only its size; fashion_fit reads each rank's rows of each epoch. */
static int fashion_load(const char *dir, int smoke, int64_t train_size, int64_t test_size, split *tr,
                        split *te, int shard) {
    nb_error err = {0};
    if ((shard ? shard_split(dir, train_size, tr, &err)
               : load_split(dir, "train", train_size, tr, &err)) == NB_OK &&
        load_split(dir, "t10k", test_size, te, &err) == NB_OK)
        return 0;
    split_free(tr);
    if (!smoke) {
        fprintf(stderr, "error: cannot load Fashion-MNIST from %s: %s\n"
                        "(install Debian's dataset-fashion-mnist, or pass --data DIR)\n",
                dir, err.message);
        return 1;
    }
    printf("Fashion-MNIST not found (%s):\n  --smoke uses a SYNTHETIC stand-in "
           "(10 noisy prototype images), not the real data\n", err.message);
    if (synthetic_split(train_size, 1, tr) != NB_OK || synthetic_split(test_size, 2, te) != NB_OK) {
        split_free(tr);
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    return 0;
}

/* The network a fashion example trains: its inputs, loss, train op and the
 * number of correct predictions in a batch; image_rank 2 feeds [m, 784],
 * 4 feeds [m, 28, 28, 1]. */
typedef struct fashion_model {
    nb_output x, y, loss, train_op, n_correct;
    int image_rank;
    int64_t batch, eval_chunk;
    int min_k; /* batches averaged for the first/last loss when an epoch has fewer than 10 */
    const dist_state *dist; /* --distributed: this rank's share; NULL: one process */
} fashion_model;

typedef struct fashion_result {
    double first_loss, last_loss; /* mean loss over the first / last batches of the run */
    double acc;                   /* test accuracy after the last epoch */
} fashion_result;

static nb_tensor *fashion_images(int rank, int64_t m) {
    return rank == 4 ? nb_tensor_zeros(NB_FLOAT32, 4, (int64_t[]){m, 28, 28, 1})
                     : nb_tensor_zeros(NB_FLOAT32, 2, (int64_t[]){m, PIXELS});
}

/* Trains epochs passes over tr in shuffled batches (one pass per epoch, from
 * seed), printing one line per epoch with the test accuracy on te, and logging
 * to w when not NULL. Batch tensors are allocated once and refilled.
 * Distributed (m->dist with size N > 1): the global batch is N x batch rows of
 * the epoch's global order (nb_shard_permutation of seed and epoch, the same on
 * every rank); rank r trains on rows [r batch, (r+1) batch) of each, the last
 * partial global batch of an epoch is dropped; each epoch a rank reads just
 * its rows (nb_shard_rows, then nb_idx_read_rows from the files, or a copy
 * from the synthetic set); the test set is split in chunks over the ranks and
 * the hits are summed; only rank 0 prints (its own losses).
 * Returns NB_OK, or the failing run's status (the message is on s). */
static nb_status fashion_fit(nb_session *s, const fashion_model *m, const split *tr, const split *te,
                             int epochs, uint64_t seed, nb_summary_writer *w, fashion_result *r) {
    const dist_state one = {0, 0, 1}, *d = m->dist ? m->dist : &one;
    const int64_t B = m->batch, E = m->eval_chunk, G = B * d->size;
    int64_t rem = d->size > 1 ? 0 : tr->n % B, erem = te->n % E;
    nb_tensor *xb = fashion_images(m->image_rank, B), *yb = nb_tensor_zeros(NB_INT32, 1, &B);
    int64_t nr = rem ? rem : 1, ner = erem ? erem : 1;
    nb_tensor *xr = fashion_images(m->image_rank, nr), *yr = nb_tensor_zeros(NB_INT32, 1, &nr);
    nb_tensor *xe = fashion_images(m->image_rank, E), *ye = nb_tensor_zeros(NB_INT32, 1, &E);
    nb_tensor *xer = fashion_images(m->image_rank, ner), *yer = nb_tensor_zeros(NB_INT32, 1, &ner);
    int64_t *perm = malloc(sizeof(int64_t) * (size_t)(tr->n > te->n ? tr->n : te->n));
    int64_t n_steps = d->size > 1 ? tr->n / G : (tr->n + B - 1) / B, trained = 0;
    double *step_loss = malloc(sizeof(double) * (size_t)n_steps);
    nb_tensor *bufs[8] = {xb, yb, xr, yr, xe, ye, xer, yer};
    nb_status st = NB_OK;
    *r = (fashion_result){0, 0, 0};
    for (int i = 0; i < 8; i++)
        if (!bufs[i]) st = NB_ERR_OUT_OF_MEMORY;
    if (!perm || !step_loss) st = NB_ERR_OUT_OF_MEMORY;
    if (st != NB_OK) fprintf(stderr, "out of memory\n");
    uint64_t state = seed;
    int64_t step = 0;
    for (int epoch = 1; epoch <= epochs && st == NB_OK; epoch++) {
        const split *src = tr;
        split sh = {0};
        double t0 = now_s(), sum = 0;
        if (d->size > 1) {
            /* This rank's rows of the epoch (nb_shard_rows: the global order of
             * (seed, epoch), batch-sized shares of each global batch, the last
             * partial one dropped), read from disk (only those rows) or memory. */
            nb_error err = {0};
            nb_tensor *rows = nb_shard_rows(tr->n, G, d->rank, d->size, seed, epoch, true, &err);
            if (!rows || split_rows(tr, nb_tensor_data_const(rows), nb_tensor_size(rows), &sh, &err) != NB_OK) {
                fprintf(stderr, "rank %d: %s\n", d->rank, err.message);
                nb_tensor_unref(rows);
                st = err.code ? err.code : NB_ERR_INTERNAL;
                break;
            }
            nb_tensor_unref(rows);
            src = &sh;
            for (int64_t i = 0; i < sh.n; i++) perm[i] = i;
        } else {
            for (int64_t i = 0; i < tr->n; i++) perm[i] = i;
            shuffle(perm, tr->n, &state);
        }
        for (int64_t b = 0; b < n_steps && st == NB_OK; b++, step++) {
            int64_t mb = b * B + B <= tr->n ? B : rem;
            nb_tensor *xt = mb == B ? xb : xr, *yt = mb == B ? yb : yr;
            fill_batch(src, perm + b * B, mb, xt, yt);
            trained += mb;
            nb_feed f[2] = {{m->x, xt}, {m->y, yt}};
            nb_tensor *out[2];
            st = nb_session_run(s, f, 2, (nb_output[]){m->loss, m->train_op}, 2, out);
            if (st != NB_OK) break;
            double l = nb_tensor_scalar_f64(out[0]);
            nb_tensor_unref(out[0]);
            step_loss[b] = l;
            sum += l * (double)mb;
            if (w && step % 10 == 0) nb_summary_writer_add_scalar(w, "loss", step, l);
        }
        split_free(&sh);
        if (st != NB_OK) break;
        double dt = now_s() - t0;
        int k = n_steps < 10 ? m->min_k : 5; /* the first batches of the run, the last ones */
        if (epoch == 1)
            for (int j = 0; j < k; j++) r->first_loss += step_loss[j] / k;
        if (epoch == epochs)
            for (int64_t j = n_steps - k; j < n_steps; j++) r->last_loss += step_loss[j] / k;

        /* Test accuracy, in chunks of eval_chunk images. */
        double t1 = now_s(), hits = 0;
        for (int64_t i = 0; i < te->n; i++) perm[i] = i;
        for (int64_t i = (int64_t)d->rank * E; i < te->n; i += E * d->size) {
            int64_t mb = i + E <= te->n ? E : erem;
            nb_tensor *xt = mb == E ? xe : xer, *yt = mb == E ? ye : yer;
            fill_batch(te, perm + i, mb, xt, yt);
            nb_tensor *c = nb_session_eval(s, m->n_correct, (nb_feed[]){{m->x, xt}, {m->y, yt}}, 2);
            if (!c) {
                st = nb_session_status(s);
                break;
            }
            hits += nb_tensor_scalar_f64(c);
            nb_tensor_unref(c);
        }
        if (st != NB_OK) break;
        if (dist_sum(d, &hits)) {
            st = NB_ERR_INTERNAL;
            break;
        }
        r->acc = hits / (double)te->n;
        double mean_loss = sum / (double)trained;
        trained = 0;
        if (d->rank == 0) printf("epoch %d  time %.2f s (%.0f images/s)  train loss %.4f  test accuracy %.4f  (eval %.2f s)\n",
               epoch, dt, (double)(d->size > 1 ? n_steps * G : tr->n) / dt, mean_loss, r->acc, now_s() - t1);
        fflush(stdout);
        if (w) {
            nb_summary_writer_add_scalar(w, "epoch/train_loss", epoch, mean_loss);
            nb_summary_writer_add_scalar(w, "epoch/test_accuracy", epoch, r->acc);
            nb_summary_writer_add_scalar(w, "epoch/seconds", epoch, dt);
        }
    }
    for (int i = 0; i < 8; i++) nb_tensor_unref(bufs[i]);
    free(perm);
    free(step_loss);
    return st;
}

#endif
