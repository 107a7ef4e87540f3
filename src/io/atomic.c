/*
 * atomic.c — atomic file writes (temporary file, fsync, rename, fsync of the
 * directory) and whole-file reads. See atomic.h.
 */
#include "io/atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

bool (*nbi_atomic_before_rename)(const char *tmp_path);

/* fsync of the directory holding path, so the rename itself is durable. */
static void sync_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    char *dir = slash ? nbi_asprintf("%.*s", (int)(slash - path ? slash - path : 1), path)
                      : nbi_strdup(".");
    if (!dir) return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    nbi_free(dir);
}

nb_status nbi_write_atomic_with(const char *path, nbi_atomic_fill_fn fill, void *ctx,
                                nb_status missing_dir, nb_error *err) {
    if (!path || !*path || !fill)
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "write: no path or data");
    static atomic_uint counter; /* several threads may save at once */
    char *tmp = NULL;
    int fd = -1;
    for (int tries = 0; tries < 100 && fd < 0; tries++) {
        nbi_free(tmp);
        tmp = nbi_asprintf("%s.tmp.%ld.%u", path, (long)getpid(), atomic_fetch_add(&counter, 1));
        if (!tmp) return nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        int e = errno;
        nbi_free(tmp);
        return nbi_set_error(err, e == ENOENT ? missing_dir : NB_ERR_IO,
                             "%s: cannot create a temporary file next to it: %s", path, strerror(e));
    }
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        int e = errno;
        close(fd);
        unlink(tmp);
        nbi_free(tmp);
        return nbi_set_error(err, NB_ERR_IO, "%s: %s", path, strerror(e));
    }
    errno = 0;
    bool ok = fill(f, ctx);
    ok = fflush(f) == 0 && ok;
    ok = ok && fsync(fileno(f)) == 0;
    int e = errno;
    if (fclose(f) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        unlink(tmp);
        nbi_free(tmp);
        return nbi_set_error(err, NB_ERR_IO, "%s: write failed: %s", path, strerror(e ? e : EIO));
    }
    if (nbi_atomic_before_rename && !nbi_atomic_before_rename(tmp)) {
        unlink(tmp);
        nbi_free(tmp);
        return nbi_set_error(err, NB_ERR_IO, "%s: write failed before the rename (injected)", path);
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        nbi_free(tmp);
        return nbi_set_error(err, NB_ERR_IO, "%s: cannot rename the temporary file over it: %s",
                             path, strerror(e));
    }
    nbi_free(tmp);
    sync_dir(path);
    return NB_OK;
}

/* nbi_write_atomic's content: n chunks in memory. */
typedef struct chunks {
    const void *const *data;
    const size_t *len;
    int n;
} chunks;

static bool write_chunks(FILE *f, void *ctx) {
    const chunks *c = ctx;
    for (int i = 0; i < c->n; i++)
        if (c->len[i] && fwrite(c->data[i], 1, c->len[i], f) != c->len[i]) return false;
    return true;
}

nb_status nbi_write_atomic(const char *path, const void *const *data, const size_t *len, int n,
                           nb_error *err) {
    if (!path || !*path || (n > 0 && (!data || !len)))
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "write: no path or data");
    chunks c = {data, len, n};
    return nbi_write_atomic_with(path, write_chunks, &c, NB_ERR_IO, err);
}

void *nbi_read_file(const char *path, size_t *len, nb_error *err) {
    *len = 0;
    if (!path) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "read: no path");
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        nbi_set_error(err, e == ENOENT ? NB_ERR_NOT_FOUND : NB_ERR_IO, "%s: %s", path, strerror(e));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        nbi_set_error(err, NB_ERR_IO, "%s: not a regular file", path);
        return NULL;
    }
    size_t n = (size_t)st.st_size;
    char *buf = nbi_malloc(n ? n : 1);
    if (!buf) {
        fclose(f);
        nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: out of memory reading %zu bytes", path, n);
        return NULL;
    }
    size_t got = n ? fread(buf, 1, n, f) : 0;
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad || got != n) {
        nbi_free(buf);
        nbi_set_error(err, NB_ERR_IO, "%s: read failed", path);
        return NULL;
    }
    *len = n;
    return buf;
}
