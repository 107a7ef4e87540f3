/*
 * events_read.c — TensorBoard event files, reading: the event reader (TFRecord
 * framing checked, Event protobufs decoded) and the log-directory walk that
 * lists a run's event files. Facts and sources are in
 * shared/reference/tensorboard-format.md: tf_record.rs and run.rs. The writer
 * is events_write.c.
 */
#include "io/io.h"
#include "io/tensorboard.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

struct nb_event {
    Tensorflow__Event *pb;
    uint64_t offset;
};

struct nb_event_reader {
    FILE *f;
    char *path;
    uint64_t offset; /* of the next record */
    nb_event ev;
    uint8_t *buf;
    size_t cap;
};

nb_event_reader *nb_event_reader_open(const char *path, nb_error *err) {
    if (err) err->code = NB_OK, err->message[0] = 0;
    if (!path) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_event_reader_open: path is NULL");
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        nbi_set_error(err, errno == ENOENT ? NB_ERR_NOT_FOUND : NB_ERR_IO, "cannot open events file '%s': %s",
                      path, strerror(errno));
        return NULL;
    }
    nb_event_reader *r = nbi_calloc(1, sizeof *r);
    if (r) r->path = nbi_strdup(path);
    if (!r || !r->path) {
        fclose(f);
        nbi_free(r);
        nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory opening '%s'", path);
        return NULL;
    }
    r->f = f;
    return r;
}

static void reader_drop_event(nb_event_reader *r) {
    if (r->ev.pb) tensorflow__event__free_unpacked(r->ev.pb, &nbi_pb_allocator);
    r->ev.pb = NULL;
}

nb_status nb_event_reader_next(nb_event_reader *r, const nb_event **ev, nb_error *err) {
    if (err) err->code = NB_OK, err->message[0] = 0;
    if (ev) *ev = NULL;
    if (!r || !ev) return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_event_reader_next: NULL argument");
    reader_drop_event(r);
    uint64_t at = r->offset;
    /* Always re-read from the record's start, so a failed call can be retried
     * (a file still being written grows). */
    if (fseeko(r->f, (off_t)at, SEEK_SET) != 0)
        return nbi_set_error(err, NB_ERR_IO, "%s: cannot seek to byte %llu: %s", r->path,
                             (unsigned long long)at, strerror(errno));
    uint8_t hdr[NBI_TB_HEADER], ftr[NBI_TB_FOOTER];
    size_t got = fread(hdr, 1, sizeof hdr, r->f);
    if (got == 0 && !ferror(r->f)) return NB_OK; /* clean end */
    if (got < sizeof hdr)
        return nbi_set_error(err, NB_ERR_IO, "%s: truncated record header at byte %llu (%zu of 12 bytes)",
                             r->path, (unsigned long long)at, got);
    uint64_t len = 0;
    for (int i = 7; i >= 0; i--) len = (len << 8) | hdr[i];
    uint32_t lcrc = (uint32_t)hdr[8] | (uint32_t)hdr[9] << 8 | (uint32_t)hdr[10] << 16 | (uint32_t)hdr[11] << 24;
    if (nb_crc32c_mask(nb_crc32c(hdr, 8)) != lcrc)
        return nbi_set_error(err, NB_ERR_IO, "%s: corrupt record at byte %llu: length CRC mismatch",
                             r->path, (unsigned long long)at);
    struct stat st;
    if (fstat(fileno(r->f), &st) == 0 && (uint64_t)st.st_size < at + NBI_TB_HEADER + len + NBI_TB_FOOTER)
        return nbi_set_error(err, NB_ERR_IO,
                             "%s: truncated record at byte %llu: %llu payload bytes announced, %llu in the file",
                             r->path, (unsigned long long)at, (unsigned long long)len,
                             (unsigned long long)((uint64_t)st.st_size - at - NBI_TB_HEADER));
    if (len > SIZE_MAX / 2)
        return nbi_set_error(err, NB_ERR_IO, "%s: record at byte %llu is too large", r->path,
                             (unsigned long long)at);
    if (len > r->cap) {
        uint8_t *b = nbi_realloc(r->buf, (size_t)len);
        if (!b) return nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: out of memory for a %llu-byte record",
                                     r->path, (unsigned long long)len);
        r->buf = b;
        r->cap = (size_t)len;
    }
    if (fread(r->buf, 1, (size_t)len, r->f) != len || fread(ftr, 1, sizeof ftr, r->f) != sizeof ftr)
        return nbi_set_error(err, NB_ERR_IO, "%s: truncated record at byte %llu", r->path,
                             (unsigned long long)at);
    uint32_t dcrc = (uint32_t)ftr[0] | (uint32_t)ftr[1] << 8 | (uint32_t)ftr[2] << 16 | (uint32_t)ftr[3] << 24;
    if (nb_crc32c_mask(nb_crc32c(r->buf, (size_t)len)) != dcrc)
        return nbi_set_error(err, NB_ERR_IO, "%s: corrupt record at byte %llu: data CRC mismatch",
                             r->path, (unsigned long long)at);
    r->ev.pb = tensorflow__event__unpack(&nbi_pb_allocator, (size_t)len, r->buf);
    if (!r->ev.pb)
        return nbi_set_error(err, NB_ERR_IO, "%s: record at byte %llu is not an Event protobuf", r->path,
                             (unsigned long long)at);
    if (isnan(r->ev.pb->wall_time)) {
        reader_drop_event(r);
        return nbi_set_error(err, NB_ERR_IO, "%s: record at byte %llu has a NaN wall_time", r->path,
                             (unsigned long long)at);
    }
    r->ev.offset = at;
    r->offset = at + NBI_TB_HEADER + len + NBI_TB_FOOTER;
    *ev = &r->ev;
    return NB_OK;
}

uint64_t nb_event_reader_offset(const nb_event_reader *r) { return r ? r->offset : 0; }

void nb_event_reader_close(nb_event_reader *r) {
    if (!r) return;
    reader_drop_event(r);
    fclose(r->f);
    nbi_free(r->buf);
    nbi_free(r->path);
    nbi_free(r);
}

nb_event_kind nb_event_get_kind(const nb_event *ev) {
    if (!ev || !ev->pb) return NB_EVENT_OTHER;
    switch (ev->pb->what_case) {
    case TENSORFLOW__EVENT__WHAT_FILE_VERSION: return NB_EVENT_FILE_VERSION;
    case TENSORFLOW__EVENT__WHAT_GRAPH_DEF: return NB_EVENT_GRAPH;
    case TENSORFLOW__EVENT__WHAT_SUMMARY: return NB_EVENT_SUMMARY;
    default: return NB_EVENT_OTHER;
    }
}

double nb_event_wall_time(const nb_event *ev) { return ev && ev->pb ? ev->pb->wall_time : 0; }
int64_t nb_event_step(const nb_event *ev) { return ev && ev->pb ? ev->pb->step : 0; }
uint64_t nb_event_offset(const nb_event *ev) { return ev ? ev->offset : 0; }

const char *nb_event_file_version(const nb_event *ev) {
    return nb_event_get_kind(ev) == NB_EVENT_FILE_VERSION ? ev->pb->file_version : NULL;
}

const void *nb_event_graph_def(const nb_event *ev, size_t *len) {
    if (nb_event_get_kind(ev) != NB_EVENT_GRAPH) {
        if (len) *len = 0;
        return NULL;
    }
    if (len) *len = ev->pb->graph_def.len;
    return ev->pb->graph_def.data ? (const void *)ev->pb->graph_def.data : (const void *)"";
}

int nb_event_num_values(const nb_event *ev) {
    if (nb_event_get_kind(ev) != NB_EVENT_SUMMARY || !ev->pb->summary) return 0;
    return (int)ev->pb->summary->n_value;
}

static const Tensorflow__Summary__Value *get_value(const nb_event *ev, int i) {
    if (i < 0 || i >= nb_event_num_values(ev)) return NULL;
    return ev->pb->summary->value[i];
}

const char *nb_event_value_tag(const nb_event *ev, int i) {
    const Tensorflow__Summary__Value *v = get_value(ev, i);
    return v && v->tag ? v->tag : "";
}

const char *nb_event_value_plugin(const nb_event *ev, int i) {
    const Tensorflow__Summary__Value *v = get_value(ev, i);
    if (!v || !v->metadata || !v->metadata->plugin_data || !v->metadata->plugin_data->plugin_name)
        return "";
    return v->metadata->plugin_data->plugin_name;
}

/* A rank-0 DT_FLOAT tensor with one value (float_val or 4 bytes of content). */
static bool tensor_scalar(const Tensorflow__TensorProto *t, double *out) {
    if (!t || t->dtype != TENSORFLOW__DATA_TYPE__DT_FLOAT) return false;
    if (t->tensor_shape && (t->tensor_shape->n_dim || t->tensor_shape->unknown_rank)) return false;
    if (t->n_float_val == 1) {
        *out = t->float_val[0];
        return true;
    }
    if (t->n_float_val == 0 && t->tensor_content.len == 4) {
        float f;
        memcpy(&f, t->tensor_content.data, 4);
        *out = f;
        return true;
    }
    return false;
}

nb_value_kind nb_event_value_kind(const nb_event *ev, int i) {
    const Tensorflow__Summary__Value *v = get_value(ev, i);
    double d;
    if (!v) return NB_VALUE_OTHER;
    switch (v->value_case) {
    case TENSORFLOW__SUMMARY__VALUE__VALUE_SIMPLE_VALUE: return NB_VALUE_SCALAR;
    case TENSORFLOW__SUMMARY__VALUE__VALUE_HISTO: return NB_VALUE_HISTOGRAM;
    case TENSORFLOW__SUMMARY__VALUE__VALUE_IMAGE: return NB_VALUE_IMAGE;
    case TENSORFLOW__SUMMARY__VALUE__VALUE_TENSOR:
        return tensor_scalar(v->tensor, &d) ? NB_VALUE_SCALAR : NB_VALUE_OTHER;
    default: return NB_VALUE_OTHER;
    }
}

double nb_event_value_scalar(const nb_event *ev, int i) {
    const Tensorflow__Summary__Value *v = get_value(ev, i);
    double d;
    if (!v) return NAN;
    if (v->value_case == TENSORFLOW__SUMMARY__VALUE__VALUE_SIMPLE_VALUE) return v->simple_value;
    if (v->value_case == TENSORFLOW__SUMMARY__VALUE__VALUE_TENSOR && tensor_scalar(v->tensor, &d))
        return d;
    return NAN;
}

int nb_event_value_histogram(const nb_event *ev, int i, double stats[5], const double **limits,
                             const double **counts) {
    const Tensorflow__Summary__Value *v = get_value(ev, i);
    if (!v || v->value_case != TENSORFLOW__SUMMARY__VALUE__VALUE_HISTO || !v->histo) return -1;
    const Tensorflow__HistogramProto *h = v->histo;
    if (stats) {
        stats[0] = h->min;
        stats[1] = h->max;
        stats[2] = h->num;
        stats[3] = h->sum;
        stats[4] = h->sum_squares;
    }
    size_t n = h->n_bucket < h->n_bucket_limit ? h->n_bucket : h->n_bucket_limit;
    if (limits) *limits = h->bucket_limit;
    if (counts) *counts = h->bucket;
    return (int)n;
}

const void *nb_event_value_image(const nb_event *ev, int i, size_t *len, int *height, int *width,
                                 int *channels) {
    const Tensorflow__Summary__Value *v = get_value(ev, i);
    if (!v || v->value_case != TENSORFLOW__SUMMARY__VALUE__VALUE_IMAGE || !v->image) return NULL;
    const Tensorflow__Summary__Image *im = v->image;
    if (len) *len = im->encoded_image_string.len;
    if (height) *height = im->height;
    if (width) *width = im->width;
    if (channels) *channels = im->colorspace;
    return im->encoded_image_string.data ? (const void *)im->encoded_image_string.data : (const void *)"";
}

/*** Log directory walk ***/

typedef struct file_list {
    char **files, **runs;
    int n, cap;
} file_list;

static bool list_push(file_list *l, const char *file, const char *run) {
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 16;
        char **f = nbi_realloc(l->files, (size_t)cap * sizeof *f);
        if (!f) return false;
        l->files = f;
        char **r = nbi_realloc(l->runs, (size_t)cap * sizeof *r);
        if (!r) return false;
        l->runs = r;
        l->cap = cap;
    }
    char *fc = nbi_strdup(file), *rc = nbi_strdup(run);
    if (!fc || !rc) {
        nbi_free(fc);
        nbi_free(rc);
        return false;
    }
    l->files[l->n] = fc;
    l->runs[l->n++] = rc;
    return true;
}

/* The walk follows symbolic links, but enters each directory and lists each
 * file once, by (device, inode): a link to an ancestor (`ln -s . a`) ends
 * there instead of looping, and a run reachable by two paths is listed once. */
typedef struct walk_state {
    file_list *l;
    nbi_map seen; /* "dev:ino" of every directory entered and file listed */
} walk_state;

/* Marks (dev, ino) seen; returns 1 if it was new, 0 if seen before, -1 on OOM. */
static int mark_seen(walk_state *w, const struct stat *sb) {
    char key[48];
    snprintf(key, sizeof key, "%llx:%llx", (unsigned long long)sb->st_dev, (unsigned long long)sb->st_ino);
    if (nbi_map_get(&w->seen, key)) return 0;
    return nbi_map_put(&w->seen, key, (void *)1) ? 1 : -1;
}

typedef struct dir_entry {
    char *name;
    bool link;
} dir_entry;

/* Entries not links first (so a real directory wins over a link to it), then by name. */
static int cmp_entry(const void *a, const void *b) {
    const dir_entry *x = a, *y = b;
    if (x->link != y->link) return x->link ? 1 : -1;
    return strcmp(x->name, y->name);
}

/* Walks dir (run name `run`), already marked seen; depth-limited as well. */
static nb_status walk(walk_state *w, const char *dir, const char *run, int depth, nb_error *err) {
    if (depth > 64) return NB_OK;
    DIR *d = opendir(dir);
    if (!d) return nbi_set_error(err, NB_ERR_IO, "cannot read directory '%s': %s", dir, strerror(errno));
    nb_status st = NB_OK;
    dir_entry *ents = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while (st == NB_OK && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 16;
            dir_entry *ne = nbi_realloc(ents, nbi_mul_size(nc, sizeof *ne));
            if (!ne) {
                st = nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory listing '%s'", dir);
                break;
            }
            ents = ne;
            cap = nc;
        }
        ents[n].name = nbi_strdup(e->d_name);
        ents[n].link = e->d_type == DT_LNK;
        if (e->d_type == DT_UNKNOWN && ents[n].name) {
            char *q = nbi_asprintf("%s/%s", dir, e->d_name);
            struct stat lb;
            ents[n].link = q && lstat(q, &lb) == 0 && S_ISLNK(lb.st_mode);
            nbi_free(q);
        }
        if (!ents[n].name) st = nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory listing '%s'", dir);
        else n++;
    }
    closedir(d);
    if (st == NB_OK && n > 1) qsort(ents, n, sizeof *ents, cmp_entry);
    for (size_t i = 0; i < n && st == NB_OK; i++) {
        const char *name = ents[i].name;
        char *p = nbi_asprintf("%s/%s", dir, name);
        if (!p) {
            st = nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory listing '%s'", dir);
            break;
        }
        struct stat sb;
        if (stat(p, &sb) == 0 && (S_ISDIR(sb.st_mode) || (S_ISREG(sb.st_mode) && strstr(name, "tfevents")))) {
            int fresh = mark_seen(w, &sb);
            if (fresh < 0) {
                st = nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory listing '%s'", dir);
            } else if (fresh && S_ISDIR(sb.st_mode)) {
                char *sub = strcmp(run, ".") ? nbi_asprintf("%s/%s", run, name) : nbi_strdup(name);
                if (!sub) st = nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory listing '%s'", dir);
                else st = walk(w, p, sub, depth + 1, err);
                /* An unreadable subdirectory is skipped, as TensorBoard does. */
                if (st == NB_ERR_IO) st = NB_OK;
                nbi_free(sub);
            } else if (fresh) {
                if (!list_push(w->l, p, run))
                    st = nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory listing '%s'", dir);
            }
        }
        nbi_free(p);
    }
    for (size_t i = 0; i < n; i++) nbi_free(ents[i].name);
    nbi_free(ents);
    return st;
}

static int cmp_pair(const void *a, const void *b) {
    const char *const *x = a, *const *y = b;
    int c = strcmp(x[1], y[1]);
    return c ? c : strcmp(x[0], y[0]);
}

void nb_events_list_free(char **files, char **runs, int n) {
    for (int i = 0; i < n; i++) {
        if (files) nbi_free(files[i]);
        if (runs) nbi_free(runs[i]);
    }
    nbi_free(files);
    nbi_free(runs);
}

nb_status nb_events_list_files(const char *path, char ***files, char ***runs, int *n,
                               nb_error *err) {
    if (err) err->code = NB_OK, err->message[0] = 0;
    if (!path || !files || !runs || !n)
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_events_list_files: NULL argument");
    *files = *runs = NULL;
    *n = 0;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return nbi_set_error(err, NB_ERR_NOT_FOUND, "'%s': %s", path, strerror(errno));
    file_list l = {0};
    nb_status st = NB_OK;
    if (S_ISDIR(sb.st_mode)) {
        char *root = nbi_strdup(path);
        if (!root) return nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory");
        size_t k = strlen(root);
        while (k > 1 && root[k - 1] == '/') root[--k] = 0;
        walk_state w = {&l, {0}};
        int fresh = mark_seen(&w, &sb);
        st = fresh < 0 ? nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory")
                       : walk(&w, root, ".", 0, err);
        nbi_map_free(&w.seen);
        nbi_free(root);
    } else if (!list_push(&l, path, ".")) {
        st = nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory");
    }
    if (st != NB_OK) {
        nb_events_list_free(l.files, l.runs, l.n);
        return st;
    }
    if (l.n == 0) {
        nb_events_list_free(l.files, l.runs, l.n);
        return nbi_set_error(err, NB_ERR_NOT_FOUND, "no event files (names containing \"tfevents\") under '%s'",
                             path);
    }
    /* Sort (file, run) pairs by run, then name: TensorBoard's reading order. */
    char **pairs = nbi_malloc(nbi_mul_size((size_t)l.n, 2 * sizeof *pairs));
    if (!pairs) {
        nb_events_list_free(l.files, l.runs, l.n);
        return nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory");
    }
    for (int i = 0; i < l.n; i++) pairs[2 * i] = l.files[i], pairs[2 * i + 1] = l.runs[i];
    qsort(pairs, (size_t)l.n, 2 * sizeof *pairs, cmp_pair);
    for (int i = 0; i < l.n; i++) l.files[i] = pairs[2 * i], l.runs[i] = pairs[2 * i + 1];
    nbi_free(pairs);
    *files = l.files;
    *runs = l.runs;
    *n = l.n;
    return NB_OK;
}
