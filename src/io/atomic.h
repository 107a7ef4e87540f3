/*
 * atomic.h — writing a file so that readers see either the old file or the
 * whole new one: a temporary file in the same directory, fflush, fsync,
 * rename over the target, fsync of the directory. Used by checkpoints and
 * graph files.
 */
#ifndef NB_IO_ATOMIC_H
#define NB_IO_ATOMIC_H

#include "nb_internal.h"

/* Writes the n chunks (data[i], len[i]) to path atomically. On failure the
 * target is untouched and no temporary file is left; err names the path. */
nb_status nbi_write_atomic(const char *path, const void *const *data, const size_t *len, int n,
                           nb_error *err);

/* Test hook: called with the temporary file's path after it was written and
 * synced, before the rename. Returning false makes the write fail as an I/O
 * error (the temporary is removed); a hook may also kill the process, to test
 * a crash mid-save. NULL (the default): no hook. */
extern bool (*nbi_atomic_before_rename)(const char *tmp_path);

/* Reads a whole file into a malloc'd buffer (nbi_free). NULL with err naming
 * the path: NB_ERR_NOT_FOUND, NB_ERR_IO, NB_ERR_OUT_OF_MEMORY. */
void *nbi_read_file(const char *path, size_t *len, nb_error *err);

#endif /* NB_IO_ATOMIC_H */
