/*
 * npy.c — numpy's .npy files (numpy/lib/format.py, NEP 1).
 *
 * Layout: the magic "\x93NUMPY", a major and a minor version byte, the header
 * length (uint16 little-endian in version 1.0, uint32 in 2.0 and 3.0), then a
 * Python dict literal such as
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 * padded with spaces and a final '\n' so the data starts on a 64-byte
 * boundary, then the elements in C order.
 *
 * nb_npy_save writes what numpy 1.24's np.save writes for the same array,
 * byte for byte (including the 21-column growth space after the dict), through
 * a temporary file that is renamed over the target (io/atomic.c). nb_npy_load accepts
 * versions 1.0 to 3.0, both byte orders, and any spacing of the dict; it
 * checks every length against the file size before reading, so a damaged
 * file gives an error naming the file and the byte offset, never a crash.
 */
#include "nb_internal.h"
#include "io/atomic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64
#define NPY_GROWTH_DIGITS 21       /* numpy's GROWTH_AXIS_MAX_DIGITS */
#define NPY_MAX_HEADER (1 << 20)   /* larger headers are refused as absurd */

/*** Byte order **************************************************************/

static bool host_little_endian(void) {
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static void swap_bytes(uint8_t *p, size_t n_elems, size_t width) {
    if (width < 2) return;
    for (size_t i = 0; i < n_elems; i++, p += width)
        for (size_t a = 0, b = width - 1; a < b; a++, b--) {
            uint8_t t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

/*** dtype descriptors *******************************************************/

static const char *descr_of(nb_dtype dt) {
    switch (dt) {
    case NB_FLOAT32: return "<f4";
    case NB_FLOAT64: return "<f8";
    case NB_INT32: return "<i4";
    case NB_INT64: return "<i8";
    case NB_UINT8: return "|u1";
    case NB_BOOL: return "|b1";
    default: return NULL;
    }
}

/* Parses a descr such as "<f4", ">i8" or "|b1". Returns the dtype (INVALID when
 * unsupported) and whether the data is big-endian. */
static nb_dtype parse_descr(const char *s, bool *big_endian) {
    static const struct { const char *code; nb_dtype dt; } types[] = {
        {"f4", NB_FLOAT32}, {"f8", NB_FLOAT64}, {"i4", NB_INT32},
        {"i8", NB_INT64},   {"u1", NB_UINT8},   {"b1", NB_BOOL},
    };
    if (strlen(s) != 3) return NB_DTYPE_INVALID;
    char order = s[0];
    if (order != '<' && order != '>' && order != '|' && order != '=') return NB_DTYPE_INVALID;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (strcmp(s + 1, types[i].code) != 0) continue;
        size_t width = nb_dtype_size(types[i].dt);
        /* '|' (not applicable) only for one-byte types, as numpy writes them */
        if (order == '|' && width != 1) return NB_DTYPE_INVALID;
        *big_endian = order == '>' || (order == '=' && !host_little_endian());
        return types[i].dt;
    }
    return NB_DTYPE_INVALID;
}

/*** Saving ******************************************************************/

/* The full header (magic through the final '\n') in numpy 1.24's format 1.0. */
static char *make_header(const nb_tensor *t, size_t *len) {
    char shape[NB_MAX_RANK * 24 + 8], first[24];
    nbi_dims_string(t->rank, t->dims, true, shape, sizeof shape);
    int growth = 0;
    if (t->rank > 0) {
        int n = snprintf(first, sizeof first, "%lld", (long long)t->dims[0]);
        growth = NPY_GROWTH_DIGITS - n;
        if (growth < 0) growth = 0;
    }
    char *dict = nbi_asprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }%*s",
                              descr_of(t->dtype), shape, growth, "");
    if (!dict) return NULL;
    size_t dlen = strlen(dict);
    size_t hlen = dlen + 1; /* with the final '\n' */
    size_t pad = NPY_ALIGN - ((NPY_MAGIC_LEN + 2 + 2 + hlen) % NPY_ALIGN);
    size_t total = NPY_MAGIC_LEN + 2 + 2 + hlen + pad;
    if (hlen + pad > 65535) {
        nbi_free(dict);
        return NULL;
    }
    char *h = nbi_malloc(total);
    if (!h) {
        nbi_free(dict);
        return NULL;
    }
    size_t pos = 0;
    memcpy(h, NPY_MAGIC, NPY_MAGIC_LEN);
    pos += NPY_MAGIC_LEN;
    h[pos++] = 1;
    h[pos++] = 0;
    h[pos++] = (char)((hlen + pad) & 0xff);
    h[pos++] = (char)((hlen + pad) >> 8);
    memcpy(h + pos, dict, dlen);
    pos += dlen;
    memset(h + pos, ' ', pad);
    pos += pad;
    h[pos++] = '\n';
    nbi_free(dict);
    *len = total;
    return h;
}

/* Writes the element bytes little-endian (bools as 0/1), converting in chunks
 * when the host order or the bool normalisation requires it. */
static bool write_data(FILE *f, const nb_tensor *t) {
    size_t width = nb_dtype_size(t->dtype);
    bool swap = width > 1 && !host_little_endian();
    if (!swap && t->dtype != NB_BOOL)
        return t->nbytes == 0 || fwrite(t->data, 1, t->nbytes, f) == t->nbytes;
    uint8_t buf[65536];
    const uint8_t *src = t->data;
    size_t done = 0;
    while (done < t->nbytes) {
        size_t n = t->nbytes - done < sizeof buf ? t->nbytes - done : sizeof buf;
        memcpy(buf, src + done, n);
        if (t->dtype == NB_BOOL)
            for (size_t i = 0; i < n; i++) buf[i] = buf[i] != 0;
        if (swap) swap_bytes(buf, n / width, width);
        if (fwrite(buf, 1, n, f) != n) return false;
        done += n;
    }
    return true;
}

/* The file's content for nbi_write_atomic_with: the header, then the data. */
typedef struct npy_content {
    const char *header;
    size_t hlen;
    const nb_tensor *t;
} npy_content;

static bool write_npy(FILE *f, void *ctx) {
    const npy_content *c = ctx;
    return fwrite(c->header, 1, c->hlen, f) == c->hlen && write_data(f, c->t);
}

nb_status nb_npy_save(const char *path, const nb_tensor *t, nb_error *err) {
    if (err) {
        err->code = NB_OK;
        err->message[0] = 0;
    }
    if (!path || !t)
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_npy_save: %s is NULL",
                             path ? "tensor" : "path");
    if (!descr_of(t->dtype))
        return nbi_set_error(err, NB_ERR_DTYPE, "%s: cannot save a tensor of dtype %s", path,
                             nb_dtype_name(t->dtype));
    size_t hlen = 0;
    char *header = make_header(t, &hlen);
    if (!header)
        return nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: out of memory building the header",
                             path);
    /* a missing directory is NB_ERR_NOT_FOUND, as it always was for .npy */
    npy_content c = {header, hlen, t};
    nb_status st = nbi_write_atomic_with(path, write_npy, &c, NB_ERR_NOT_FOUND, err);
    nbi_free(header);
    return st;
}

/*** Header parsing **********************************************************/

/* A cursor over the header dict; base is the file offset of text[0]. */
typedef struct hparser {
    const char *path;
    const char *text;
    size_t len, pos;
    size_t base;
    nb_error *err;
} hparser;

static nb_status hp_fail(hparser *p, nb_status code, const char *what) {
    return nbi_set_error(p->err, code, "%s: %s at byte %zu", p->path, what,
                         p->base + p->pos);
}

static void hp_skip_ws(hparser *p) {
    while (p->pos < p->len && (p->text[p->pos] == ' ' || p->text[p->pos] == '\t' ||
                               p->text[p->pos] == '\n' || p->text[p->pos] == '\r'))
        p->pos++;
}

static bool hp_peek(hparser *p, char c) {
    hp_skip_ws(p);
    return p->pos < p->len && p->text[p->pos] == c;
}

static bool hp_accept(hparser *p, char c) {
    if (!hp_peek(p, c)) return false;
    p->pos++;
    return true;
}

/* A quoted string (no escapes: none occur in valid headers) into out. */
static bool hp_string(hparser *p, char *out, size_t cap) {
    hp_skip_ws(p);
    if (p->pos >= p->len || (p->text[p->pos] != '\'' && p->text[p->pos] != '"')) return false;
    char q = p->text[p->pos];
    size_t start = p->pos + 1, end = start;
    while (end < p->len && p->text[end] != q) {
        if (p->text[end] == '\\' || p->text[end] == '\n') return false;
        end++;
    }
    if (end >= p->len || end - start >= cap) return false;
    memcpy(out, p->text + start, end - start);
    out[end - start] = 0;
    p->pos = end + 1;
    return true;
}

static bool hp_word(hparser *p, const char *w) {
    hp_skip_ws(p);
    size_t n = strlen(w);
    if (p->len - p->pos < n || memcmp(p->text + p->pos, w, n) != 0) return false;
    char next = p->pos + n < p->len ? p->text[p->pos + n] : ' ';
    if ((next >= 'A' && next <= 'Z') || (next >= 'a' && next <= 'z') ||
        (next >= '0' && next <= '9') || next == '_')
        return false;
    p->pos += n;
    return true;
}

/* A non-negative decimal dimension (Python 2's 'L' suffix allowed). */
static nb_status hp_dim(hparser *p, int64_t *out) {
    hp_skip_ws(p);
    size_t start = p->pos;
    int64_t v = 0;
    if (p->pos < p->len && p->text[p->pos] == '-')
        return hp_fail(p, NB_ERR_IO, "negative dimension in 'shape'");
    while (p->pos < p->len && p->text[p->pos] >= '0' && p->text[p->pos] <= '9') {
        int d = p->text[p->pos] - '0';
        if (v > (INT64_MAX - d) / 10) {
            p->pos = start;
            return hp_fail(p, NB_ERR_IO, "dimension too large in 'shape'");
        }
        v = v * 10 + d;
        p->pos++;
    }
    if (p->pos == start) return hp_fail(p, NB_ERR_IO, "expected an integer in 'shape'");
    if (p->pos < p->len && (p->text[p->pos] == 'L' || p->text[p->pos] == 'l')) p->pos++;
    *out = v;
    return NB_OK;
}

typedef struct npy_header {
    nb_dtype dtype;
    bool big_endian;
    bool fortran;
    int rank;
    int64_t dims[NB_MAX_RANK];
} npy_header;

static nb_status parse_shape(hparser *p, npy_header *h) {
    if (!hp_accept(p, '(')) return hp_fail(p, NB_ERR_IO, "'shape' is not a tuple");
    h->rank = 0;
    if (hp_accept(p, ')')) return NB_OK;
    for (;;) {
        int64_t d = 0;
        nb_status s = hp_dim(p, &d);
        if (s != NB_OK) return s;
        if (h->rank == NB_MAX_RANK)
            return hp_fail(p, NB_ERR_UNIMPLEMENTED, "more than 8 dimensions (nabla's limit)");
        h->dims[h->rank++] = d;
        bool comma = hp_accept(p, ',');
        if (hp_accept(p, ')')) {
            if (h->rank == 1 && !comma) return hp_fail(p, NB_ERR_IO, "'shape' is not a tuple");
            return NB_OK;
        }
        if (!comma) return hp_fail(p, NB_ERR_IO, "expected ',' or ')' in 'shape'");
    }
}

/* Parses the dict: exactly the keys descr, fortran_order and shape. */
static nb_status parse_header(hparser *p, npy_header *h) {
    bool have_descr = false, have_order = false, have_shape = false;
    if (!hp_accept(p, '{')) return hp_fail(p, NB_ERR_IO, "header is not a dict: expected '{'");
    while (!hp_accept(p, '}')) {
        char key[32], val[64];
        size_t key_pos;
        hp_skip_ws(p);
        key_pos = p->pos;
        if (!hp_string(p, key, sizeof key)) return hp_fail(p, NB_ERR_IO, "expected a quoted key");
        if (!hp_accept(p, ':')) return hp_fail(p, NB_ERR_IO, "expected ':' after a key");
        if (strcmp(key, "descr") == 0 && !have_descr) {
            hp_skip_ws(p);
            size_t vpos = p->pos;
            if (!hp_string(p, val, sizeof val)) {
                p->pos = vpos;
                return hp_fail(p, NB_ERR_DTYPE,
                               "unsupported 'descr' (structured or not a string); nabla reads "
                               "<f4 <f8 <i4 <i8 |u1 |b1 and their big-endian forms");
            }
            h->dtype = parse_descr(val, &h->big_endian);
            if (h->dtype == NB_DTYPE_INVALID) {
                char msg[160];
                p->pos = vpos;
                snprintf(msg, sizeof msg,
                         "unsupported dtype '%s' (nabla reads <f4 <f8 <i4 <i8 |u1 |b1, "
                         "either byte order)", val);
                return hp_fail(p, NB_ERR_DTYPE, msg);
            }
            have_descr = true;
        } else if (strcmp(key, "fortran_order") == 0 && !have_order) {
            hp_skip_ws(p);
            size_t vpos = p->pos;
            if (hp_word(p, "True")) {
                p->pos = vpos;
                return hp_fail(p, NB_ERR_UNIMPLEMENTED,
                               "fortran_order True is not supported; save a C-ordered array "
                               "(np.ascontiguousarray)");
            }
            if (!hp_word(p, "False"))
                return hp_fail(p, NB_ERR_IO, "'fortran_order' is not True or False");
            h->fortran = false;
            have_order = true;
        } else if (strcmp(key, "shape") == 0 && !have_shape) {
            nb_status s = parse_shape(p, h);
            if (s != NB_OK) return s;
            have_shape = true;
        } else {
            p->pos = key_pos;
            return hp_fail(p, NB_ERR_IO, "unexpected or repeated key in the header dict");
        }
        if (!hp_accept(p, ',')) {
            if (hp_peek(p, '}')) continue;
            return hp_fail(p, NB_ERR_IO, "expected ',' or '}' in the header dict");
        }
    }
    hp_skip_ws(p);
    if (p->pos != p->len) return hp_fail(p, NB_ERR_IO, "unexpected text after the header dict");
    if (!have_descr || !have_order || !have_shape)
        return hp_fail(p, NB_ERR_IO, "header lacks one of 'descr', 'fortran_order', 'shape'");
    return NB_OK;
}

/*** Loading *****************************************************************/

/* Reads exactly n bytes at the current position; false on a short read. */
static bool read_exact(FILE *f, void *buf, size_t n) {
    return n == 0 || fread(buf, 1, n, f) == n;
}

nb_tensor *nb_npy_load(const char *path, nb_error *err) {
    if (err) {
        err->code = NB_OK;
        err->message[0] = 0;
    }
    if (!path) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_npy_load: path is NULL");
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        nbi_set_error(err, e == ENOENT ? NB_ERR_NOT_FOUND : NB_ERR_IO, "%s: cannot open: %s",
                      path, strerror(e));
        return NULL;
    }
    struct stat st;
    bool have_stat = fstat(fileno(f), &st) == 0;
    bool sized = have_stat && S_ISREG(st.st_mode);
    if (have_stat && S_ISDIR(st.st_mode)) {
        fclose(f);
        nbi_set_error(err, NB_ERR_IO, "%s: is a directory, not a .npy file", path);
        return NULL;
    }
    uint64_t fsize = sized ? (uint64_t)st.st_size : UINT64_MAX;
    nb_tensor *t = NULL;
    char *htext = NULL;
    uint8_t pre[12];

    /* magic and version */
    size_t got = fread(pre, 1, 8, f);
    size_t at = 0;
    while (at < got && at < NPY_MAGIC_LEN && pre[at] == (uint8_t)NPY_MAGIC[at]) at++;
    if (at < NPY_MAGIC_LEN && at < got) {
        nbi_set_error(err, NB_ERR_IO,
                      "%s: not a .npy file: bad magic string at byte %zu (expected \\x93NUMPY)",
                      path, at);
        goto fail;
    }
    if (got < 8) {
        nbi_set_error(err, NB_ERR_IO,
                      "%s: truncated .npy file: the 8-byte preamble ends at byte %zu", path, got);
        goto fail;
    }
    int major = pre[6], minor = pre[7];
    if ((major != 1 && major != 2 && major != 3) || minor != 0) {
        nbi_set_error(err, NB_ERR_IO,
                      "%s: unsupported .npy format version %d.%d at byte 6 (nabla reads 1.0, "
                      "2.0 and 3.0)", path, major, minor);
        goto fail;
    }
    size_t lenbytes = major == 1 ? 2 : 4;
    got = fread(pre + 8, 1, lenbytes, f);
    if (got < lenbytes) {
        nbi_set_error(err, NB_ERR_IO,
                      "%s: truncated .npy file: the header length at byte 8 needs %zu bytes, "
                      "the file ends at byte %zu", path, lenbytes, 8 + got);
        goto fail;
    }
    uint64_t hlen = major == 1 ? (uint64_t)pre[8] | (uint64_t)pre[9] << 8
                               : (uint64_t)pre[8] | (uint64_t)pre[9] << 8 |
                                     (uint64_t)pre[10] << 16 | (uint64_t)pre[11] << 24;
    uint64_t hstart = 8 + lenbytes;
    if (sized && hlen > fsize - hstart) {
        nbi_set_error(err, NB_ERR_IO,
                      "%s: truncated .npy file: the header length at byte 8 says %llu bytes "
                      "from byte %llu, but the file has %llu bytes", path,
                      (unsigned long long)hlen, (unsigned long long)hstart,
                      (unsigned long long)fsize);
        goto fail;
    }
    if (hlen > NPY_MAX_HEADER) {
        nbi_set_error(err, NB_ERR_IO,
                      "%s: absurd .npy header length %llu at byte 8 (the limit is %d bytes)",
                      path, (unsigned long long)hlen, NPY_MAX_HEADER);
        goto fail;
    }
    htext = nbi_malloc((size_t)hlen + 1);
    if (!htext) {
        nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: out of memory reading the header", path);
        goto fail;
    }
    got = fread(htext, 1, (size_t)hlen, f);
    if (got < hlen) {
        nbi_set_error(err, NB_ERR_IO,
                      "%s: truncated .npy file: the header from byte %llu ends early at byte "
                      "%llu", path, (unsigned long long)hstart,
                      (unsigned long long)(hstart + got));
        goto fail;
    }
    htext[hlen] = 0;
    for (size_t i = 0; i < hlen; i++) {
        if (htext[i] == 0) {
            nbi_set_error(err, NB_ERR_IO, "%s: NUL byte in the .npy header at byte %llu", path,
                          (unsigned long long)(hstart + i));
            goto fail;
        }
    }

    npy_header h;
    memset(&h, 0, sizeof h);
    hparser hp = {path, htext, (size_t)hlen, 0, (size_t)hstart, err};
    if (parse_header(&hp, &h) != NB_OK) goto fail;

    int64_t n = nbi_numel(h.rank, h.dims);
    size_t width = nb_dtype_size(h.dtype);
    uint64_t dstart = hstart + hlen;
    if (n < 0 || nbi_mul_size((size_t)n, width) == SIZE_MAX) {
        nbi_set_error(err, NB_ERR_IO, "%s: the shape in the header (from byte %llu) is too large",
                      path, (unsigned long long)hstart);
        goto fail;
    }
    uint64_t nbytes = (uint64_t)n * width;
    if (sized && nbytes > fsize - dstart) {
        nbi_set_error(err, NB_ERR_IO,
                      "%s: truncated .npy data: %llu bytes expected from byte %llu, but the "
                      "file ends at byte %llu", path, (unsigned long long)nbytes,
                      (unsigned long long)dstart, (unsigned long long)fsize);
        goto fail;
    }
    t = nbi_tensor_alloc(h.dtype, h.rank, h.dims);
    if (!t) {
        nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: out of memory for %llu bytes of data", path,
                      (unsigned long long)nbytes);
        goto fail;
    }
    if (!read_exact(f, t->data, t->nbytes)) {
        nbi_set_error(err, NB_ERR_IO,
                      "%s: truncated .npy data: %llu bytes expected from byte %llu, the read "
                      "stopped early", path, (unsigned long long)nbytes,
                      (unsigned long long)dstart);
        goto fail;
    }
    if (h.big_endian == host_little_endian()) swap_bytes(t->data, (size_t)n, width);
    if (h.dtype == NB_BOOL)
        for (int64_t i = 0; i < n; i++) ((uint8_t *)t->data)[i] = ((uint8_t *)t->data)[i] != 0;
    nbi_free(htext);
    fclose(f);
    return t;

fail:
    nb_tensor_unref(t);
    nbi_free(htext);
    fclose(f);
    return NULL;
}
