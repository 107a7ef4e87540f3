/*
 * atomic.h — writing a file so that readers see either the old file or the
 * whole new one: a temporary file in the same directory, fflush, fsync,
 * rename over the target, fsync of the directory. Used by checkpoints, graph
 * files and .npy files.
 */
#ifndef NB_IO_ATOMIC_H
#define NB_IO_ATOMIC_H

#include "nb_internal.h"

#include <stdio.h>

/* Writes the n chunks (data[i], len[i]) to path atomically. On failure the
 * target is untouched and no temporary file is left; err names the path. */
nb_status nbi_write_atomic(const char *path, const void *const *data, const size_t *len, int n,
                           nb_error *err);

/* Writes the temporary file's content; false on a write error (errno set). */
typedef bool (*nbi_atomic_fill_fn)(FILE *f, void *ctx);

/* nbi_write_atomic with the content written by fill(f, ctx), for writers that
 * stream or convert as they write (.npy files). The temporary file is
 * PATH.tmp.PID.N, next to path. Errors name path: "PATH: cannot create a
 * temporary file next to it: REASON" (status missing_dir when the directory
 * does not exist, NB_ERR_IO otherwise), "PATH: write failed: REASON",
 * "PATH: cannot rename the temporary file over it: REASON". missing_dir is
 * each caller's documented contract: NB_ERR_IO for checkpoints and graph
 * files, NB_ERR_NOT_FOUND for .npy files. */
nb_status nbi_write_atomic_with(const char *path, nbi_atomic_fill_fn fill, void *ctx,
                                nb_status missing_dir, nb_error *err);

/* Test hook: called with the temporary file's path after it was written and
 * synced, before the rename. Returning false makes the write fail as an I/O
 * error (the temporary is removed); a hook may also kill the process, to test
 * a crash mid-save. NULL (the default): no hook. */
extern bool (*nbi_atomic_before_rename)(const char *tmp_path);

/* Reads a whole file into a malloc'd buffer (nbi_free). NULL with err naming
 * the path: NB_ERR_NOT_FOUND, NB_ERR_IO, NB_ERR_OUT_OF_MEMORY. */
void *nbi_read_file(const char *path, size_t *len, nb_error *err);

#endif /* NB_IO_ATOMIC_H */
