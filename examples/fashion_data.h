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

#define PIXELS 784
#define CLASSES 10

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A split of the data set: n images of 784 bytes and their labels. */
typedef struct {
    int64_t n;
    uint8_t *images;
    int32_t *labels;
} split;

static void split_free(split *s) {
    free(s->images);
    free(s->labels);
    s->images = NULL;
    s->labels = NULL;
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
 * whatever x's shape: [m, 784] or [m, 28, 28, 1]) and y. */
static void fill_batch(const split *s, const int64_t *idx, int64_t m, nb_tensor *x, nb_tensor *y) {
    float *xd = nb_tensor_data(x);
    int32_t *yd = nb_tensor_data(y);
    for (int64_t i = 0; i < m; i++) {
        const uint8_t *src = s->images + idx[i] * PIXELS;
        float *dst = xd + i * PIXELS;
        for (int p = 0; p < PIXELS; p++) dst[p] = (float)src[p] * (1.0f / 255.0f);
        yd[i] = s->labels[idx[i]];
    }
}

#endif
