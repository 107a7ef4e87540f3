/*
 * shard.c — which rows of a data set each rank reads in an epoch
 * (nb_shard_permutation, nb_shard_rows) and the request sorting the row
 * readers share (nb_idx_read_rows, nb_csv_read_rows,
 * nb_image_dataset_open_rows). No MPI: a program learns its rank and size
 * however it likes (libnabla_dist's nb_dist_rank / nb_dist_size).
 */
#include "io/io.h"
#include "shard.h"

#include <stdlib.h>

_Atomic uint64_t nbi_shard_bytes_read;

/* splitmix64: the permutation's generator (the same on every machine). */
static uint64_t mix(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

nb_status nb_shard_permutation(int64_t n, uint64_t seed, int64_t epoch, int64_t *perm,
                               nb_error *err) {
    if (n < 0 || (n > 0 && !perm))
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                             "nb_shard_permutation: n is %lld and perm is %s; need n >= 0 and "
                             "room for n entries",
                             (long long)n, perm ? "set" : "NULL");
    for (int64_t i = 0; i < n; i++) perm[i] = i;
    uint64_t s = seed ^ (0xD1B54A32D192ED03ull * ((uint64_t)epoch + 1)); /* no signed overflow at INT64_MAX */
    for (int64_t i = n - 1; i > 0; i--) { /* Fisher-Yates, unbiased by rejection */
        uint64_t bound = (uint64_t)i + 1, lim = UINT64_MAX - UINT64_MAX % bound, r;
        do r = mix(&s);
        while (r >= lim);
        int64_t j = (int64_t)(r % bound), t = perm[i];
        perm[i] = perm[j], perm[j] = t;
    }
    return NB_OK;
}

/* floor(m * r / size) without overflow */
static int64_t cut(int64_t m, int r, int size) {
    return (int64_t)(((__int128)m * r) / size);
}

nb_tensor *nb_shard_rows(int64_t n, int64_t global_batch, int rank, int size, uint64_t seed,
                         int64_t epoch, bool drop_remainder, nb_error *err) {
    if (err) err->code = NB_OK, err->message[0] = '\0';
    if (size < 1 || rank < 0 || rank >= size) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                      "nb_shard_rows: rank %d is not one of the %d rank%s 0..%d", rank, size,
                      size == 1 ? "" : "s", size - 1);
        return NULL;
    }
    if (n < 0 || global_batch < 1) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                      "nb_shard_rows: need n >= 0 and global_batch >= 1, got n %lld and "
                      "global_batch %lld",
                      (long long)n, (long long)global_batch);
        return NULL;
    }
    if (global_batch < size) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                      "nb_shard_rows: a global batch of %lld rows leaves some of the %d ranks "
                      "without a row; use global_batch >= size",
                      (long long)global_batch, size);
        return NULL;
    }
    int64_t full = n / global_batch, rest = n % global_batch;
    int64_t count = full * (cut(global_batch, rank + 1, size) - cut(global_batch, rank, size));
    if (!drop_remainder) count += cut(rest, rank + 1, size) - cut(rest, rank, size);
    int64_t *perm = nbi_malloc(nbi_mul_size((size_t)(n > 0 ? n : 1), sizeof *perm));
    nb_tensor *t = perm ? nbi_tensor_alloc(NB_INT64, 1, &count) : NULL;
    if (!t) {
        nbi_free(perm);
        nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "nb_shard_rows: out of memory for %lld rows",
                      (long long)n);
        return NULL;
    }
    nb_shard_permutation(n, seed, epoch, perm, NULL);
    int64_t *out = t->data, k = 0;
    for (int64_t b = 0; b * global_batch < n; b++) {
        int64_t start = b * global_batch, m = n - start < global_batch ? n - start : global_batch;
        if (m < global_batch && drop_remainder) break;
        for (int64_t p = start + cut(m, rank, size); p < start + cut(m, rank + 1, size); p++)
            out[k++] = perm[p];
    }
    nbi_free(perm);
    return t;
}

static int cmp_req(const void *a, const void *b) {
    const nbi_row_req *x = a, *y = b;
    if (x->row != y->row) return x->row < y->row ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

nbi_row_req *nbi_sorted_rows(const int64_t *rows, int64_t n, int64_t limit, const char *what,
                             nb_error *err) {
    if (n < 0 || (n > 0 && !rows)) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "%s: n_rows is %lld and rows is %s", what,
                      (long long)n, rows ? "set" : "NULL");
        return NULL;
    }
    nbi_row_req *r = nbi_malloc(nbi_mul_size((size_t)(n > 0 ? n : 1), sizeof *r));
    if (!r) {
        nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: out of memory for %lld rows", what,
                      (long long)n);
        return NULL;
    }
    for (int64_t i = 0; i < n; i++) {
        if (rows[i] < 0 || (limit >= 0 && rows[i] >= limit)) {
            if (limit < 0)
                nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "%s: rows[%lld] is %lld, below 0",
                              what, (long long)i, (long long)rows[i]);
            else
                nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                              "%s: rows[%lld] is %lld, outside the file's %lld rows (0..%lld)",
                              what, (long long)i, (long long)rows[i], (long long)limit,
                              (long long)limit - 1);
            nbi_free(r);
            return NULL;
        }
        r[i].row = rows[i], r[i].pos = i;
    }
    qsort(r, (size_t)n, sizeof *r, cmp_req);
    return r;
}
