/*
 * shard.h — private declarations of the data-shard readers (src/io/shard.c,
 * the row readers in idx.c, csv.c and images.c); the public API is the "Data
 * shards" section of include/nabla.h.
 */
#ifndef NB_IO_SHARD_H
#define NB_IO_SHARD_H

#include <stdatomic.h>
#include <stdint.h>

#include "nabla.h"

/* Bytes nb_idx_read_rows has read from plain (not gzip) files in this process,
 * through read(2)/pread(2): a test counts them to show that a shard read takes
 * the header and its rows and nothing else. */
extern _Atomic uint64_t nbi_shard_bytes_read;

/* Row requests sorted by file row: (row, position in the caller's list).
 * Returns a malloc'd array of n pairs (NULL with err set when out of memory
 * or when a row is outside 0..limit-1; limit < 0: not checked here). */
typedef struct nbi_row_req {
    int64_t row, pos;
} nbi_row_req;
nbi_row_req *nbi_sorted_rows(const int64_t *rows, int64_t n, int64_t limit, const char *what,
                             nb_error *err);

#endif
