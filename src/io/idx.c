/*
 * idx.c — nb_idx_load: the IDX files of MNIST and Fashion-MNIST.
 *
 * Format (Y. LeCun's MNIST page): bytes 0-1 are zero, byte 2 is the element
 * type (0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double),
 * byte 3 the rank; then one big-endian uint32 per dimension, then the elements,
 * big-endian, row-major. Files are usually gzip-compressed: zlib's gzread reads
 * both forms (it passes plain files through), and the gzip trailer's CRC is
 * checked by reading one byte past the data, which must hit the clean end.
 * Offsets in messages count bytes of the decompressed stream.
 *
 * nb_idx_read_rows reads chosen rows (a data shard): a plain file with
 * pread(2) at each row's offset, nothing else; a gzip file by decompressing
 * forward up to the last row asked for (gzip has no random access).
 */
#include "io/io.h"

#include "shard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* Reads exactly n bytes; on a short read fills err (naming the offset) and returns false. */
static bool read_exact(gzFile f, void *buf, size_t n, uint64_t *off, const char *path,
                       const char *what, nb_error *err) {
    size_t done = 0;
    while (done < n) {
        size_t chunk = n - done > (1u << 30) ? (1u << 30) : n - done;
        int r = gzread(f, (char *)buf + done, (unsigned)chunk);
        if (r < 0) {
            int zerr = 0;
            const char *msg = gzerror(f, &zerr);
            nbi_set_error(err, NB_ERR_IO, "%s: corrupt gzip data at byte %llu while reading %s: %s",
                          path, (unsigned long long)(*off + done), what, msg ? msg : "?");
            return false;
        }
        if (r == 0) {
            nbi_set_error(err, NB_ERR_IO,
                          "%s: truncated at byte %llu while reading %s (%zu more bytes expected)",
                          path, (unsigned long long)(*off + done), what, n - done);
            return false;
        }
        done += (size_t)r;
    }
    *off += n;
    return true;
}

/* The magic number's checks: two zero bytes, a known type, a rank nabla holds. */
static bool check_head(const uint8_t head[4], const char *path, nb_dtype *dt, size_t *esize,
                       nb_error *err) {
    if (head[0] != 0 || head[1] != 0) {
        nbi_set_error(err, NB_ERR_IO,
                      "%s: byte 0: not an IDX file (magic starts 0x%02x 0x%02x, expected 0x00 0x00)",
                      path, head[0], head[1]);
        return false;
    }
    switch (head[2]) {
    case 0x08: *dt = NB_UINT8; *esize = 1; break;
    case 0x09: *dt = NB_INT32; *esize = 1; break;
    case 0x0B: *dt = NB_INT32; *esize = 2; break;
    case 0x0C: *dt = NB_INT32; *esize = 4; break;
    case 0x0D: *dt = NB_FLOAT32; *esize = 4; break;
    case 0x0E: *dt = NB_FLOAT64; *esize = 8; break;
    default:
        nbi_set_error(err, NB_ERR_IO,
                      "%s: byte 2: unknown IDX element type 0x%02x (known: 0x08 0x09 0x0b 0x0c "
                      "0x0d 0x0e)",
                      path, head[2]);
        return false;
    }
    if (head[3] > NB_MAX_RANK) {
        nbi_set_error(err, NB_ERR_IO, "%s: byte 3: rank %d exceeds nabla's maximum of %d", path,
                      head[3], NB_MAX_RANK);
        return false;
    }
    return true;
}

/* Big-endian elements of IDX type `type` (not 0x08) into nabla's dtype. */
static void convert(uint8_t type, const uint8_t *raw, void *out, int64_t count) {
    for (int64_t i = 0; i < count; i++) {
        const uint8_t *p = raw + (size_t)i * (type == 0x09 ? 1 : type == 0x0B ? 2 : type == 0x0E ? 8 : 4);
        switch (type) {
        case 0x09: ((int32_t *)out)[i] = (int8_t)p[0]; break;
        case 0x0B: ((int32_t *)out)[i] = (int16_t)(uint16_t)((p[0] << 8) | p[1]); break;
        case 0x0C:
            ((int32_t *)out)[i] = (int32_t)(((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
                                            ((uint32_t)p[2] << 8) | p[3]);
            break;
        case 0x0D: {
            uint32_t u = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
            memcpy((float *)out + i, &u, 4);
            break;
        }
        default: {
            uint64_t u = 0;
            for (int b = 0; b < 8; b++) u = (u << 8) | p[b];
            memcpy((double *)out + i, &u, 8);
            break;
        }
        }
    }
}

nb_tensor *nb_idx_load(const char *path, nb_error *err) {
    if (!path) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_idx_load: path is NULL");
        return NULL;
    }
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        int e = errno;
        nbi_set_error(err, e == ENOENT ? NB_ERR_NOT_FOUND : NB_ERR_IO, "%s: cannot open: %s", path,
                      strerror(e));
        return NULL;
    }
    uint64_t file_size = 0;
    if (fseek(probe, 0, SEEK_END) == 0) {
        long sz = ftell(probe);
        if (sz > 0) file_size = (uint64_t)sz;
    }
    fclose(probe);
    gzFile f = gzopen(path, "rb");
    if (!f) {
        nbi_set_error(err, NB_ERR_IO, "%s: cannot open for reading", path);
        return NULL;
    }
    gzbuffer(f, 1u << 17);
    nb_tensor *t = NULL;
    uint8_t *raw = NULL;
    uint64_t off = 0;
    uint8_t head[4];
    if (!read_exact(f, head, 4, &off, path, "the magic number", err)) goto fail;
    nb_dtype dt;
    size_t esize;
    if (!check_head(head, path, &dt, &esize, err)) goto fail;
    int rank = head[3];
    int64_t dims[NB_MAX_RANK];
    for (int i = 0; i < rank; i++) {
        uint8_t b[4];
        if (!read_exact(f, b, 4, &off, path, "the dimensions", err)) goto fail;
        dims[i] = ((int64_t)b[0] << 24) | ((int64_t)b[1] << 16) | ((int64_t)b[2] << 8) | b[3];
    }
    int64_t count = nbi_numel(rank, dims);
    size_t nbytes = count < 0 ? SIZE_MAX : nbi_mul_size((size_t)count, esize);
    if (count < 0 || nbytes == SIZE_MAX) {
        nbi_set_error(err, NB_ERR_IO, "%s: byte 4: the dimensions overflow", path);
        goto fail;
    }
    /* Believe the header only as far as the file can hold: a plain file holds
     * at most its size, a gzip stream at most ~1032 times its size (deflate's
     * largest ratio). Never allocate for data that cannot be there. */
    {
        uint64_t cap = gzdirect(f) ? file_size : file_size * 1032u + 1024u;
        if ((uint64_t)nbytes > cap) {
            nbi_set_error(err, NB_ERR_IO,
                          "%s: byte %llu: the header promises %zu bytes of data, more than the file can hold "
                          "(truncated or corrupt)",
                          path, (unsigned long long)off, nbytes);
            goto fail;
        }
    }
    t = nbi_tensor_alloc(dt, rank, dims);
    const bool direct = head[2] == 0x08; /* bytes go straight into the tensor */
    raw = direct ? NULL : nbi_malloc(nbytes ? nbytes : 1);
    if (!t || (!direct && !raw)) {
        nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: out of memory for %zu bytes of data", path,
                      nbytes);
        goto fail;
    }
    uint8_t *dst = raw ? raw : (uint8_t *)t->data;
    if (!read_exact(f, dst, nbytes, &off, path, "the data", err)) goto fail;
    if (raw) {
        convert(head[2], raw, t->data, count);
        nbi_free(raw);
        raw = NULL;
    }
    /* The data must end the file; reading on also checks the gzip CRC. */
    uint8_t extra;
    int r = gzread(f, &extra, 1);
    if (r < 0) {
        int zerr = 0;
        const char *msg = gzerror(f, &zerr);
        nbi_set_error(err, NB_ERR_IO, "%s: corrupt gzip data at byte %llu (after the data): %s",
                      path, (unsigned long long)off, msg ? msg : "?");
        goto fail;
    }
    if (r > 0) {
        nbi_set_error(err, NB_ERR_IO,
                      "%s: unexpected data at byte %llu after the %lld elements the header declares",
                      path, (unsigned long long)off, (long long)count);
        goto fail;
    }
    gzclose(f);
    return t;
fail:
    nbi_free(raw);
    nb_tensor_unref(t);
    gzclose(f);
    return NULL;
}

/*** Rows of an IDX file (a data shard) ***/

/* The file: plain through a descriptor (only the bytes asked for are read), or
 * gzip through zlib (which cannot seek backwards: requests come sorted). */
typedef struct idx_src {
    const char *path;
    int fd;
    gzFile gz;
    uint64_t pos;       /* the gzip stream's position */
    uint64_t file_size; /* bytes on disk (UINT64_MAX when fstat fails) */
} idx_src;

static bool src_read(idx_src *s, void *buf, size_t n, uint64_t off, const char *what,
                     nb_error *err) {
    if (s->gz) {
        if (off != s->pos && gzseek(s->gz, (z_off_t)off, SEEK_SET) < 0) {
            int zerr = 0;
            const char *msg = gzerror(s->gz, &zerr);
            nbi_set_error(err, NB_ERR_IO, "%s: corrupt gzip data before byte %llu while reading %s: %s",
                          s->path, (unsigned long long)off, what, msg ? msg : "?");
            return false;
        }
        s->pos = off;
        return read_exact(s->gz, buf, n, &s->pos, s->path, what, err);
    }
    size_t done = 0;
    while (done < n) {
        size_t chunk = n - done > (1u << 30) ? (1u << 30) : n - done;
        ssize_t r = pread(s->fd, (char *)buf + done, chunk, (off_t)(off + done));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            nbi_set_error(err, NB_ERR_IO, "%s: read error at byte %llu while reading %s: %s", s->path,
                          (unsigned long long)(off + done), what, strerror(errno));
            return false;
        }
        if (r == 0) {
            nbi_set_error(err, NB_ERR_IO,
                          "%s: truncated at byte %llu while reading %s (%zu more bytes expected)",
                          s->path, (unsigned long long)(off + done), what, n - done);
            return false;
        }
        atomic_fetch_add(&nbi_shard_bytes_read, (uint64_t)r);
        done += (size_t)r;
    }
    return true;
}

static nb_status src_open(idx_src *s, const char *path, nb_error *err) {
    s->path = path, s->gz = NULL, s->pos = 0;
    s->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0) {
        int e = errno;
        return nbi_set_error(err, e == ENOENT ? NB_ERR_NOT_FOUND : NB_ERR_IO, "%s: cannot open: %s",
                             path, strerror(e));
    }
    struct stat sb;
    s->file_size = fstat(s->fd, &sb) == 0 ? (uint64_t)sb.st_size : UINT64_MAX;
    uint8_t magic[2] = {0, 0};
    if (!src_read(s, magic, 2, 0, "the magic number", err)) {
        close(s->fd);
        return err ? err->code : NB_ERR_IO;
    }
    if (magic[0] == 0x1f && magic[1] == 0x8b) { /* gzip */
        int fd = dup(s->fd);
        close(s->fd);
        s->fd = -1;
        s->gz = fd >= 0 ? gzdopen(fd, "rb") : NULL;
        if (!s->gz) {
            if (fd >= 0) close(fd);
            return nbi_set_error(err, NB_ERR_IO, "%s: cannot open for reading", path);
        }
        gzbuffer(s->gz, 1u << 17);
    }
    return NB_OK;
}

static void src_close(idx_src *s) {
    if (s->gz) gzclose(s->gz);
    if (s->fd >= 0) close(s->fd);
}

/* Reads and checks the header: dtype, element size, rank, dims and the data's offset. */
static bool src_header(idx_src *s, uint8_t *type, nb_dtype *dt, size_t *esize, int *rank,
                       int64_t *dims, uint64_t *data_off, nb_error *err) {
    uint8_t head[4];
    if (!src_read(s, head, 4, 0, "the magic number", err) ||
        !check_head(head, s->path, dt, esize, err))
        return false;
    *type = head[2];
    *rank = head[3];
    uint8_t b[4 * NB_MAX_RANK];
    if (*rank > 0 && !src_read(s, b, 4 * (size_t)*rank, 4, "the dimensions", err)) return false;
    for (int i = 0; i < *rank; i++)
        dims[i] = ((int64_t)b[4 * i] << 24) | ((int64_t)b[4 * i + 1] << 16) |
                  ((int64_t)b[4 * i + 2] << 8) | b[4 * i + 3];
    *data_off = 4 + 4 * (uint64_t)*rank;
    /* as nb_idx_load: the element count and the data's bytes must fit (so no
     * row's offset below wraps) */
    int64_t count = nbi_numel(*rank, dims);
    size_t nbytes = count < 0 ? SIZE_MAX : nbi_mul_size((size_t)count, *esize);
    if (count < 0 || nbytes == SIZE_MAX || (uint64_t)nbytes > (uint64_t)INT64_MAX - *data_off) {
        nbi_set_error(err, NB_ERR_IO, "%s: byte 4: the dimensions overflow", s->path);
        return false;
    }
    return true;
}

nb_status nb_idx_header(const char *path, nb_dtype *dtype, int *rank, int64_t *dims, nb_error *err) {
    if (!path || !dtype || !rank || !dims)
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_idx_header: a NULL argument");
    idx_src s;
    nb_status st = src_open(&s, path, err);
    if (st != NB_OK) return st;
    size_t esize;
    uint64_t off;
    uint8_t type;
    bool ok = src_header(&s, &type, dtype, &esize, rank, dims, &off, err);
    src_close(&s);
    return ok ? NB_OK : (err ? err->code : NB_ERR_IO);
}

nb_tensor *nb_idx_read_rows(const char *path, const int64_t *rows, int64_t n_rows, nb_error *err) {
    if (err) err->code = NB_OK, err->message[0] = '\0';
    if (!path) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_idx_read_rows: path is NULL");
        return NULL;
    }
    idx_src s;
    if (src_open(&s, path, err) != NB_OK) return NULL;
    nb_tensor *t = NULL;
    nbi_row_req *req = NULL;
    uint8_t *raw = NULL;
    nb_dtype dt;
    size_t esize;
    int rank;
    int64_t dims[NB_MAX_RANK];
    uint64_t data_off;
    uint8_t type;
    if (!src_header(&s, &type, &dt, &esize, &rank, dims, &data_off, err)) goto fail;
    if (rank < 1) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "%s: a rank-0 IDX file has no rows", path);
        goto fail;
    }
    int64_t per = nbi_numel(rank - 1, dims + 1); /* elements per row */
    size_t row_bytes = nbi_mul_size((size_t)per, esize);
    if (!s.gz) { /* a plain file's size must match its header */
        uint64_t want = data_off + (uint64_t)dims[0] * row_bytes;
        if (s.file_size != UINT64_MAX && s.file_size != want) {
            nbi_set_error(err, NB_ERR_IO,
                          "%s: the file has %llu bytes but its header promises %llu (%lld rows of "
                          "%zu bytes after %llu header bytes): truncated or corrupt",
                          path, (unsigned long long)s.file_size, (unsigned long long)want,
                          (long long)dims[0], row_bytes, (unsigned long long)data_off);
            goto fail;
        }
    }
    req = nbi_sorted_rows(rows, n_rows, dims[0], path, err);
    if (!req) goto fail;
    if (s.gz && n_rows > 0) {
        /* As nb_idx_load: believe the header only as far as the file can hold
         * (deflate's largest ratio is ~1032), and allocate nothing for rows
         * that cannot be there. */
        uint64_t end = data_off + ((uint64_t)req[n_rows - 1].row + 1) * row_bytes;
        uint64_t cap = s.file_size > (UINT64_MAX - 1024u) / 1032u ? UINT64_MAX
                                                                   : s.file_size * 1032u + 1024u;
        if (end > cap) {
            nbi_set_error(err, NB_ERR_IO,
                          "%s: row %lld ends at byte %llu of the decompressed stream, more than "
                          "the file's %llu bytes can hold (truncated or corrupt)",
                          path, (long long)req[n_rows - 1].row, (unsigned long long)end,
                          (unsigned long long)s.file_size);
            goto fail;
        }
    }
    int64_t odims[NB_MAX_RANK];
    memcpy(odims, dims, sizeof odims);
    odims[0] = n_rows;
    t = nbi_tensor_alloc(dt, rank, odims);
    raw = type == 0x08 ? NULL : nbi_malloc(row_bytes ? row_bytes : 1); /* 0x08: bytes as they are */
    if (!t || (type != 0x08 && !raw)) {
        nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: out of memory for %lld rows", path,
                      (long long)n_rows);
        goto fail;
    }
    size_t out_row = nbi_mul_size((size_t)per, nb_dtype_size(dt));
    char what[64];
    for (int64_t i = 0; i < n_rows; i++) {
        uint8_t *dst = (uint8_t *)t->data + (size_t)req[i].pos * out_row;
        if (i > 0 && req[i].row == req[i - 1].row) { /* the same row again */
            memcpy(dst, (uint8_t *)t->data + (size_t)req[i - 1].pos * out_row, out_row);
            continue;
        }
        snprintf(what, sizeof what, "row %lld", (long long)req[i].row);
        if (!src_read(&s, raw ? raw : dst, row_bytes, data_off + (uint64_t)req[i].row * row_bytes,
                      what, err))
            goto fail;
        if (raw) convert(type, raw, dst, per);
    }
    nbi_free(raw);
    nbi_free(req);
    src_close(&s);
    return t;
fail:
    nbi_free(raw);
    nbi_free(req);
    nb_tensor_unref(t);
    src_close(&s);
    return NULL;
}
