/*
 * checkpoint.c — a session's variables in the safetensors format, and the
 * keep-last-N bookkeeping of tf.train.Saver.
 *
 * A safetensors file is: an 8-byte little-endian header length N; N bytes of
 * JSON, {"<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [b, e]},
 * ..., "__metadata__": {"format": "nabla"}}, padded with spaces to a multiple
 * of 8; then the tensors' little-endian bytes, offsets counted from the end of
 * the header. Hugging Face's safetensors library and a few lines of numpy read
 * it. Files are written atomically (io/atomic.c) and every field of a file
 * read back is checked before any byte of data is touched.
 */
#include "run/run.h"
#include "io/atomic.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "checkpoint.c writes tensors' bytes as they are in memory: little-endian hosts only"
#endif

/* Header size limit, as Hugging Face's reader has (100 MB). */
#define NB_CKPT_MAX_HEADER ((uint64_t)100000000)

static const struct {
    nb_dtype dtype;
    const char *name;
} dtype_names[] = {
    {NB_FLOAT32, "F32"}, {NB_FLOAT64, "F64"}, {NB_INT32, "I32"},
    {NB_INT64, "I64"},   {NB_UINT8, "U8"},    {NB_BOOL, "BOOL"},
};

static const char *dtype_to_st(nb_dtype dt) {
    for (size_t i = 0; i < sizeof dtype_names / sizeof *dtype_names; i++)
        if (dtype_names[i].dtype == dt) return dtype_names[i].name;
    return NULL;
}

static int st_to_dtype(const char *s) {
    for (size_t i = 0; i < sizeof dtype_names / sizeof *dtype_names; i++)
        if (!strcmp(dtype_names[i].name, s)) return (int)dtype_names[i].dtype;
    return -1;
}

/*** Saving ***/

nb_status nb_checkpoint_save(nb_session *s, const char *path, nb_error *err) {
    if (err) err->code = NB_OK, err->message[0] = 0;
    if (!s || !path || !*path)
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_checkpoint_save: no session or path");
    nb_graph *g = nb_session_graph(s);
    int nv = g->n_vars;
    nb_tensor **vals = nbi_calloc(nv ? (size_t)nv : 1, sizeof *vals);
    const void **chunks = nbi_calloc((size_t)nv + 2, sizeof *chunks);
    size_t *lens = nbi_calloc((size_t)nv + 2, sizeof *lens);
    cJSON *root = cJSON_CreateObject();
    char *json = NULL, *header = NULL;
    nb_status st = NB_OK;
    if (!vals || !chunks || !lens || !root) goto oom;
    uint64_t off = 0;
    int nc = 2;
    for (int i = 0; i < nv; i++) {
        nb_op *v = g->vars[i];
        bool oom;
        vals[i] = nbi_session_variable_ref(s, v, &oom);
        if (oom) goto oom;
        if (!vals[i]) continue; /* uninitialized: not saved */
        const char *dt = dtype_to_st(vals[i]->dtype);
        if (!dt) {
            st = nbi_set_error(err, NB_ERR_DTYPE, "%s: variable '%s' has dtype %s, which safetensors "
                               "files of nabla do not hold", path, v->name, nbi_dtype_tfname(vals[i]->dtype));
            goto done;
        }
        cJSON *e = cJSON_CreateObject(), *shape = cJSON_CreateArray(), *offs = cJSON_CreateArray();
        if (!e || !shape || !offs) {
            cJSON_Delete(e), cJSON_Delete(shape), cJSON_Delete(offs);
            goto oom;
        }
        cJSON_AddItemToObject(root, v->name, e);
        cJSON_AddItemToObject(e, "dtype", cJSON_CreateString(dt));
        cJSON_AddItemToObject(e, "shape", shape);
        for (int d = 0; d < vals[i]->rank; d++)
            cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)vals[i]->dims[d]));
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)off));
        off += vals[i]->nbytes;
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)off));
        cJSON_AddItemToObject(e, "data_offsets", offs);
        chunks[nc] = vals[i]->data;
        lens[nc++] = vals[i]->nbytes;
    }
    cJSON *meta = cJSON_CreateObject();
    if (!meta) goto oom;
    cJSON_AddItemToObject(root, "__metadata__", meta);
    cJSON_AddItemToObject(meta, "format", cJSON_CreateString("nabla"));
    cJSON_AddItemToObject(meta, "producer", cJSON_CreateString("nabla"));
    if (!(json = cJSON_PrintUnformatted(root))) goto oom;
    size_t jl = strlen(json), hl = (jl + 7) & ~(size_t)7;
    if (!(header = nbi_malloc(8 + hl))) goto oom;
    for (int b = 0; b < 8; b++) header[b] = (char)(((uint64_t)hl >> (8 * b)) & 0xff);
    memcpy(header + 8, json, jl);
    memset(header + 8 + jl, ' ', hl - jl);
    chunks[0] = header;
    lens[0] = 8 + hl;
    chunks[1] = "";
    lens[1] = 0;
    st = nbi_write_atomic(path, chunks, lens, nc, err);
    goto done;
oom:
    st = nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: out of memory saving a checkpoint", path);
done:
    for (int i = 0; vals && i < nv; i++) nb_tensor_unref(vals[i]);
    nbi_free(vals);
    nbi_free(chunks);
    nbi_free(lens);
    cJSON_Delete(root);
    free(json); /* cJSON's default allocator */
    nbi_free(header);
    return st;
}

/*** Reading ***/

typedef struct ckpt_entry {
    const char *name; /* borrowed from the JSON tree */
    nb_dtype dtype;
    int rank;
    int64_t dims[NB_MAX_RANK];
    uint64_t begin, end;
} ckpt_entry;

typedef struct ckpt_file {
    char *buf;
    size_t len;
    const uint8_t *data; /* start of the data section */
    size_t data_len;
    cJSON *root;
    ckpt_entry *e;
    int n;
} ckpt_file;

static void ckpt_close(ckpt_file *f) {
    cJSON_Delete(f->root);
    nbi_free(f->buf);
    nbi_free(f->e);
    memset(f, 0, sizeof *f);
}

/* A JSON number that is a whole number in [0, 2^53]. */
static bool json_u64(const cJSON *j, uint64_t *out) {
    if (!cJSON_IsNumber(j)) return false;
    double d = j->valuedouble;
    if (!(d >= 0 && d <= 9007199254740992.0) || d != floor(d)) return false;
    *out = (uint64_t)d;
    return true;
}

static int cmp_begin(const void *a, const void *b) {
    const ckpt_entry *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : (x->end > y->end) - (x->end < y->end);
}

static int cmp_name(const void *a, const void *b) {
    return strcmp(((const ckpt_entry *)a)->name, ((const ckpt_entry *)b)->name);
}

/* The message is formatted first: its arguments may point into the JSON tree. */
#define BAD(...) (nbi_set_error(err, NB_ERR_IO, __VA_ARGS__), ckpt_close(f), NB_ERR_IO)

/* Reads and checks a whole safetensors file. */
static nb_status ckpt_open(ckpt_file *f, const char *path, nb_error *err) {
    memset(f, 0, sizeof *f);
    f->buf = nbi_read_file(path, &f->len, err);
    if (!f->buf) return err ? err->code : NB_ERR_IO;
    if (f->len < 8)
        return BAD("%s: not a safetensors file: %zu bytes, too short for the 8-byte header length",
                   path, f->len);
    uint64_t hl = 0;
    for (int b = 0; b < 8; b++) hl |= (uint64_t)(uint8_t)f->buf[b] << (8 * b);
    if (hl > f->len - 8)
        return BAD("%s: corrupt safetensors file: header length %llu runs past the end of the "
                   "file (%zu bytes)", path, (unsigned long long)hl, f->len);
    if (hl > NB_CKPT_MAX_HEADER)
        return BAD("%s: corrupt safetensors file: header length %llu is over the 100 MB limit",
                   path, (unsigned long long)hl);
    if (hl < 2 || f->buf[8] != '{')
        return BAD("%s: corrupt safetensors file: the header is not a JSON object", path);
    f->root = cJSON_ParseWithLength(f->buf + 8, (size_t)hl);
    if (!f->root)
        return BAD("%s: corrupt safetensors file: the header is not valid JSON", path);
    if (!cJSON_IsObject(f->root))
        return BAD("%s: corrupt safetensors file: the header is not a JSON object", path);
    f->data = (const uint8_t *)f->buf + 8 + hl;
    f->data_len = f->len - 8 - (size_t)hl;
    int n = cJSON_GetArraySize(f->root);
    f->e = nbi_calloc(n > 0 ? (size_t)n : 1, sizeof *f->e);
    if (!f->e) {
        ckpt_close(f);
        return nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    }
    for (const cJSON *j = f->root->child; j; j = j->next) {
        const char *name = j->string ? j->string : "";
        if (!strcmp(name, "__metadata__")) {
            if (!cJSON_IsObject(j))
                return BAD("%s: corrupt safetensors file: __metadata__ is not an object", path);
            continue;
        }
        if (!cJSON_IsObject(j))
            return BAD("%s: corrupt safetensors file: entry '%s' is not an object", path, name);
        ckpt_entry *e = &f->e[f->n++];
        e->name = name;
        const cJSON *dt = cJSON_GetObjectItemCaseSensitive(j, "dtype");
        const cJSON *shape = cJSON_GetObjectItemCaseSensitive(j, "shape");
        const cJSON *offs = cJSON_GetObjectItemCaseSensitive(j, "data_offsets");
        if (!cJSON_IsString(dt))
            return BAD("%s: corrupt safetensors file: tensor '%s' has no dtype", path, name);
        int d = st_to_dtype(dt->valuestring);
        if (d < 0)
            return BAD("%s: tensor '%s' has dtype \"%.32s\", which nabla does not read (F32, F64, "
                       "I32, I64, U8, BOOL)", path, name, dt->valuestring);
        e->dtype = (nb_dtype)d;
        if (!cJSON_IsArray(shape))
            return BAD("%s: corrupt safetensors file: tensor '%s' has no shape", path, name);
        int rank = cJSON_GetArraySize(shape);
        if (rank > NB_MAX_RANK)
            return BAD("%s: tensor '%s' has rank %d, over nabla's limit of %d", path, name, rank,
                       NB_MAX_RANK);
        e->rank = rank;
        int k = 0;
        for (const cJSON *x = shape->child; x; x = x->next, k++) {
            uint64_t v;
            if (!json_u64(x, &v) || v > INT64_MAX)
                return BAD("%s: corrupt safetensors file: tensor '%s' has a bad dimension %d",
                           path, name, k);
            e->dims[k] = (int64_t)v;
        }
        if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 ||
            !json_u64(offs->child, &e->begin) || !json_u64(offs->child->next, &e->end))
            return BAD("%s: corrupt safetensors file: tensor '%s' has bad data_offsets", path, name);
        if (e->begin > e->end || e->end > f->data_len)
            return BAD("%s: corrupt safetensors file: tensor '%s' has data_offsets [%llu, %llu] "
                       "outside the %zu bytes of data", path, name, (unsigned long long)e->begin,
                       (unsigned long long)e->end, f->data_len);
        int64_t numel = nbi_numel(e->rank, e->dims);
        size_t want = numel < 0 ? SIZE_MAX : nbi_mul_size((size_t)numel, nbi_dtype_size(e->dtype));
        if (want == SIZE_MAX || want != e->end - e->begin) {
            char dims[160], need[96];
            nbi_dims_string(e->rank, e->dims, false, dims, sizeof dims);
            if (want == SIZE_MAX)
                snprintf(need, sizeof need, "more than %zu bytes (the size overflows)", SIZE_MAX - 1);
            else
                snprintf(need, sizeof need, "%zu bytes", want);
            return BAD("%s: corrupt safetensors file: tensor '%s' has %llu bytes of data, but "
                       "its dtype (%s) and shape %s need %s", path, name,
                       (unsigned long long)(e->end - e->begin), nb_dtype_name(e->dtype), dims, need);
        }
    }
    /* No two tensors share bytes, and no name appears twice. */
    ckpt_entry *sorted = nbi_malloc((f->n ? (size_t)f->n : 1) * sizeof *sorted);
    if (!sorted) {
        ckpt_close(f);
        return nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    }
    memcpy(sorted, f->e, (size_t)f->n * sizeof *sorted);
    qsort(sorted, (size_t)f->n, sizeof *sorted, cmp_begin);
    for (int i = 1; i < f->n; i++)
        if (sorted[i].begin < sorted[i - 1].end) {
            char a[128], b[128];
            snprintf(a, sizeof a, "%s", sorted[i - 1].name);
            snprintf(b, sizeof b, "%s", sorted[i].name);
            nbi_free(sorted);
            return BAD("%s: corrupt safetensors file: the data of tensors '%s' and '%s' overlap",
                       path, a, b);
        }
    qsort(sorted, (size_t)f->n, sizeof *sorted, cmp_name);
    for (int i = 1; i < f->n; i++)
        if (!strcmp(sorted[i].name, sorted[i - 1].name)) {
            char a[128];
            snprintf(a, sizeof a, "%s", sorted[i].name);
            nbi_free(sorted);
            return BAD("%s: corrupt safetensors file: tensor '%s' appears twice", path, a);
        }
    nbi_free(sorted);
    return NB_OK;
}

static const ckpt_entry *ckpt_find(const ckpt_file *f, const char *name) {
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->e[i].name, name)) return &f->e[i];
    return NULL;
}

static nb_tensor *ckpt_tensor(const ckpt_file *f, const ckpt_entry *e) {
    return nb_tensor_new(e->dtype, e->rank, e->dims, f->data + e->begin);
}

nb_status nb_checkpoint_read(const char *path, int *n, char ***names, nb_tensor ***values,
                             nb_error *err) {
    if (err) err->code = NB_OK, err->message[0] = 0;
    if (n) *n = 0;
    if (names) *names = NULL;
    if (values) *values = NULL;
    if (!path || !n || !names || !values)
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_checkpoint_read: NULL argument");
    ckpt_file f;
    nb_status st = ckpt_open(&f, path, err);
    if (st != NB_OK) return st;
    char **nm = nbi_calloc(f.n ? (size_t)f.n : 1, sizeof *nm);
    nb_tensor **vs = nbi_calloc(f.n ? (size_t)f.n : 1, sizeof *vs);
    bool ok = nm && vs;
    for (int i = 0; ok && i < f.n; i++) {
        nm[i] = nbi_strdup(f.e[i].name);
        vs[i] = ckpt_tensor(&f, &f.e[i]);
        ok = nm[i] && vs[i];
    }
    if (!ok) {
        nb_checkpoint_read_free(f.n, nm, vs);
        ckpt_close(&f);
        return nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    }
    *n = f.n;
    *names = nm;
    *values = vs;
    ckpt_close(&f);
    return NB_OK;
}

void nb_checkpoint_read_free(int n, char **names, nb_tensor **values) {
    for (int i = 0; i < n; i++) {
        if (names) nbi_free(names[i]);
        if (values) nb_tensor_unref(values[i]);
    }
    nbi_free(names);
    nbi_free(values);
}

/*** Restoring ***/

nb_status nb_checkpoint_restore(nb_session *s, const char *path, nb_error *err) {
    if (err) err->code = NB_OK, err->message[0] = 0;
    if (!s || !path)
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_checkpoint_restore: no session or path");
    nb_graph *g = nb_session_graph(s);
    ckpt_file f;
    nb_status st = ckpt_open(&f, path, err);
    if (st != NB_OK) return st;
    /* Check every variable first, so a failed restore changes nothing. */
    for (int i = 0; i < g->n_vars; i++) {
        const nb_op *v = g->vars[i];
        const ckpt_entry *e = ckpt_find(&f, v->name);
        char want[256], got[256];
        if (!e) {
            st = nbi_set_error(err, NB_ERR_NOT_FOUND, "%s: the checkpoint has no variable '%s'",
                               path, v->name);
            goto done;
        }
        if (e->dtype != v->attrs.dtype) {
            st = nbi_set_error(err, NB_ERR_DTYPE, "%s: variable '%s' is %s in the checkpoint but "
                               "%s in the graph", path, v->name, nbi_dtype_tfname(e->dtype),
                               nbi_dtype_tfname(v->attrs.dtype));
            goto done;
        }
        if (!nbi_shape_compatible(&v->attrs.shape, e->rank, e->dims)) {
            st = nbi_set_error(err, NB_ERR_SHAPE, "%s: variable '%s' has shape %s in the checkpoint "
                               "but %s in the graph", path, v->name,
                               nbi_dims_string(e->rank, e->dims, false, got, sizeof got),
                               nb_shape_string(v->attrs.shape, want, sizeof want));
            goto done;
        }
    }
    nb_tensor **vals = nbi_calloc(g->n_vars ? (size_t)g->n_vars : 1, sizeof *vals);
    bool ok = vals != NULL;
    for (int i = 0; ok && i < g->n_vars; i++)
        ok = (vals[i] = ckpt_tensor(&f, ckpt_find(&f, g->vars[i]->name))) != NULL;
    for (int i = 0; ok && i < g->n_vars; i++)
        if (nb_session_set_variable(s, nbi_out(g->vars[i], 0), vals[i]) != NB_OK) {
            st = nbi_set_error(err, NB_ERR_INTERNAL, "%s: restoring '%s': %s", path,
                               g->vars[i]->name, nb_session_errmsg(s));
            ok = false;
        }
    if (!ok && st == NB_OK) st = nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    for (int i = 0; vals && i < g->n_vars; i++) nb_tensor_unref(vals[i]);
    nbi_free(vals);
done:
    ckpt_close(&f);
    return st;
}

/*** Keep the last N: "<prefix>-<step>.safetensors" and the "checkpoint" index ***/

/* dirname of prefix ("." when it has none) and its basename. */
static char *dir_of(const char *p) {
    const char *slash = strrchr(p, '/');
    if (!slash) return nbi_strdup(".");
    if (slash == p) return nbi_strdup("/");
    return nbi_asprintf("%.*s", (int)(slash - p), p);
}

/* The file names listed in dir's index, oldest first (all_model_checkpoint_paths). */
static int index_read(const char *dir, char ***out) {
    *out = NULL;
    char *ip = nbi_asprintf("%s/checkpoint", dir);
    if (!ip) return -1;
    size_t len;
    char *buf = nbi_read_file(ip, &len, NULL);
    nbi_free(ip);
    if (!buf) return 0;
    int n = 0;
    char **names = NULL;
    const char *key = "all_model_checkpoint_paths: \"";
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && buf[j] != '\n') j++;
        size_t kl = strlen(key);
        if (j - i > kl + 1 && !memcmp(buf + i, key, kl) && buf[j - 1] == '"') {
            char **nn = nbi_realloc(names, (size_t)(n + 1) * sizeof *nn);
            if (!nn) break;
            names = nn;
            names[n] = nbi_asprintf("%.*s", (int)(j - 1 - i - kl), buf + i + kl);
            if (names[n]) n++;
        }
        i = j + 1;
    }
    nbi_free(buf);
    *out = names;
    return n;
}

nb_status nb_checkpoint_save_step(nb_session *s, const char *prefix, int64_t step,
                                  int max_to_keep, char **saved_path, nb_error *err) {
    if (err) err->code = NB_OK, err->message[0] = 0;
    if (saved_path) *saved_path = NULL;
    if (!s || !prefix || !*prefix || prefix[strlen(prefix) - 1] == '/' || strchr(prefix, '"') ||
        strchr(prefix, '\n'))
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                             "nb_checkpoint_save_step: needs a session and a prefix such as \"dir/model\"");
    char *path = nbi_asprintf("%s-%lld.safetensors", prefix, (long long)step);
    char *dir = dir_of(prefix);
    char **names = NULL;
    int n = 0;
    nb_status st = NB_OK;
    char *index = NULL, *ip = NULL;
    if (!path || !dir) goto oom;
    if ((st = nb_checkpoint_save(s, path, err)) != NB_OK) goto done;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    n = index_read(dir, &names);
    if (n < 0) goto oom;
    /* This file becomes the newest; drop an older mention of it. */
    int w = 0;
    for (int i = 0; i < n; i++) {
        if (!strcmp(names[i], base)) nbi_free(names[i]);
        else names[w++] = names[i];
    }
    n = w;
    char **nn = nbi_realloc(names, (size_t)(n + 1) * sizeof *nn);
    if (!nn) goto oom;
    names = nn;
    if (!(names[n] = nbi_strdup(base))) goto oom;
    n++;
    int first = max_to_keep > 0 && n > max_to_keep ? n - max_to_keep : 0;
    size_t cap = strlen(base) + 64;
    for (int i = first; i < n; i++) cap += strlen(names[i]) + 40;
    if (!(index = nbi_malloc(cap))) goto oom;
    int len = snprintf(index, cap, "model_checkpoint_path: \"%s\"\n", base);
    for (int i = first; i < n; i++)
        len += snprintf(index + len, cap - (size_t)len, "all_model_checkpoint_paths: \"%s\"\n", names[i]);
    if (!(ip = nbi_asprintf("%s/checkpoint", dir))) goto oom;
    const void *chunk = index;
    size_t clen = (size_t)len;
    if ((st = nbi_write_atomic(ip, &chunk, &clen, 1, err)) != NB_OK) goto done;
    /* The index no longer names them: delete the old files. */
    for (int i = 0; i < first; i++) {
        if (strchr(names[i], '/')) continue; /* only files of this directory */
        char *old = nbi_asprintf("%s/%s", dir, names[i]);
        if (old && unlink(old) != 0 && errno != ENOENT) {
            /* Not fatal: the checkpoint itself was saved. */
        }
        nbi_free(old);
    }
    if (saved_path) {
        *saved_path = path;
        path = NULL;
    }
    goto done;
oom:
    st = nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: out of memory", prefix);
done:
    for (int i = 0; i < n; i++) nbi_free(names[i]);
    nbi_free(names);
    nbi_free(index);
    nbi_free(ip);
    nbi_free(path);
    nbi_free(dir);
    return st;
}

char *nb_checkpoint_latest(const char *dir, nb_error *err) {
    if (err) err->code = NB_OK, err->message[0] = 0;
    if (!dir || !*dir) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_checkpoint_latest: no directory");
        return NULL;
    }
    char *ip = nbi_asprintf("%s/checkpoint", dir);
    if (!ip) {
        nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory");
        return NULL;
    }
    size_t len;
    char *buf = nbi_read_file(ip, &len, err);
    char *res = NULL;
    const char *key = "model_checkpoint_path: \"";
    size_t kl = strlen(key);
    if (buf) {
        size_t j = 0;
        while (j < len && buf[j] != '\n') j++;
        if (j > kl + 1 && !memcmp(buf, key, kl) && buf[j - 1] == '"') {
            int nl = (int)(j - 1 - kl);
            res = buf[kl] == '/' ? nbi_asprintf("%.*s", nl, buf + kl)
                                 : nbi_asprintf("%s/%.*s", dir, nl, buf + kl);
            if (!res) nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory");
        } else {
            nbi_set_error(err, NB_ERR_IO, "%s: no model_checkpoint_path line", ip);
        }
    }
    nbi_free(buf);
    nbi_free(ip);
    return res;
}
