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
 */
#include "io/io.h"

#include <errno.h>
#include <stdio.h>
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
    if (head[0] != 0 || head[1] != 0) {
        nbi_set_error(err, NB_ERR_IO,
                      "%s: byte 0: not an IDX file (magic starts 0x%02x 0x%02x, expected 0x00 0x00)",
                      path, head[0], head[1]);
        goto fail;
    }
    nb_dtype dt;
    size_t esize;
    switch (head[2]) {
    case 0x08: dt = NB_UINT8; esize = 1; break;
    case 0x09: dt = NB_INT32; esize = 1; break;
    case 0x0B: dt = NB_INT32; esize = 2; break;
    case 0x0C: dt = NB_INT32; esize = 4; break;
    case 0x0D: dt = NB_FLOAT32; esize = 4; break;
    case 0x0E: dt = NB_FLOAT64; esize = 8; break;
    default:
        nbi_set_error(err, NB_ERR_IO,
                      "%s: byte 2: unknown IDX element type 0x%02x (known: 0x08 0x09 0x0b 0x0c "
                      "0x0d 0x0e)",
                      path, head[2]);
        goto fail;
    }
    int rank = head[3];
    if (rank > NB_MAX_RANK) {
        nbi_set_error(err, NB_ERR_IO, "%s: byte 3: rank %d exceeds nabla's maximum of %d", path,
                      rank, NB_MAX_RANK);
        goto fail;
    }
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
        for (int64_t i = 0; i < count; i++) {
            const uint8_t *p = raw + (size_t)i * esize;
            switch (head[2]) {
            case 0x09: ((int32_t *)t->data)[i] = (int8_t)p[0]; break;
            case 0x0B: ((int32_t *)t->data)[i] = (int16_t)(uint16_t)((p[0] << 8) | p[1]); break;
            case 0x0C:
                ((int32_t *)t->data)[i] = (int32_t)(((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
                                                    ((uint32_t)p[2] << 8) | p[3]);
                break;
            case 0x0D: {
                uint32_t u = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
                memcpy((float *)t->data + i, &u, 4);
                break;
            }
            default: {
                uint64_t u = 0;
                for (int b = 0; b < 8; b++) u = (u << 8) | p[b];
                memcpy((double *)t->data + i, &u, 8);
                break;
            }
            }
        }
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
