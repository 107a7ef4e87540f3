/*
 * events.c — TensorBoard event files: the summary writer, the reader, the
 * log-directory walk, and the Summary values (scalars, histograms, PNG images)
 * shared with the summary ops (src/ops/summary.c).
 *
 * A file is a concatenation of TFRecords (length, masked CRC32C of the length,
 * payload, masked CRC32C of the payload) whose payloads are Event protobufs; the
 * first one carries file_version "brain.Event:2". Facts and sources are in
 * shared/reference/tensorboard-format.md: TensorFlow's events_writer.cc and
 * record_writer.cc, TensorBoard's event_file_writer.py, tf_record.rs, run.rs,
 * and TensorFlow's histogram.cc / summary_image_op.cc for histograms and images.
 */
#include "nb_internal.h"
#include "io/tensorboard.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* PNG encoding: stb_image_write, private to this file, allocating through nbi_. */
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STBI_WRITE_NO_STDIO
#define STBIW_MALLOC(sz) nbi_malloc(sz)
#define STBIW_REALLOC(p, newsz) nbi_realloc(p, newsz)
#define STBIW_FREE(p) nbi_free(p)
#define STBIW_ASSERT(x) ((void)0)
#include <stb_image_write.h>

/*** protobuf-c glue ***/

static void *pb_alloc(void *ctx, size_t n) {
    (void)ctx;
    return nbi_malloc(n ? n : 1);
}
static void pb_free(void *ctx, void *p) {
    (void)ctx;
    nbi_free(p);
}
static ProtobufCAllocator pb_allocator = {pb_alloc, pb_free, NULL};

/* protobuf-c's structs take char * for strings the packer only reads. */
static char *unconst(const char *s) { return (char *)(uintptr_t)s; }

uint8_t *nbi_tb_pack(const ProtobufCMessage *m, size_t *len) {
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = nbi_malloc(n ? n : 1);
    if (!buf) return NULL;
    *len = protobuf_c_message_pack(m, buf);
    return buf;
}

#define EVENTS_WRITER_NAME "nabla.events_writer"

uint8_t *nbi_tb_first_event(double wall_time, const char *writer, size_t *len) {
    Tensorflow__Event ev = TENSORFLOW__EVENT__INIT;
    Tensorflow__SourceMetadata sm = TENSORFLOW__SOURCE_METADATA__INIT;
    ev.wall_time = wall_time;
    ev.what_case = TENSORFLOW__EVENT__WHAT_FILE_VERSION;
    ev.file_version = unconst("brain.Event:2");
    if (writer) {
        sm.writer = unconst(writer);
        ev.source_metadata = &sm;
    }
    return nbi_tb_pack(&ev.base, len);
}

/*** Histograms (TensorFlow's histogram.cc) ***/

int nbi_tb_default_buckets(double *out) {
    /* Limits grow by 10% from 1e-12 while below 1e20; negatives mirror them;
     * 0 in the middle and ±DBL_MAX at the ends. */
    double pos[NBI_TB_MAX_BUCKETS / 2];
    int np = 0;
    for (double v = 1.0e-12; v < 1.0e20 && np < NBI_TB_MAX_BUCKETS / 2 - 1; v *= 1.1) pos[np++] = v;
    pos[np++] = DBL_MAX;
    int n = 0;
    for (int i = np - 1; i >= 0; i--) out[n++] = -pos[i];
    out[n++] = 0.0;
    for (int i = 0; i < np; i++) out[n++] = pos[i];
    return n;
}

void nbi_tb_histogram_clear(Tensorflow__HistogramProto *h) {
    nbi_free(h->bucket_limit);
    nbi_free(h->bucket);
    h->bucket_limit = h->bucket = NULL;
    h->n_bucket_limit = h->n_bucket = 0;
}

nb_status nbi_tb_histogram(const nb_tensor *t, Tensorflow__HistogramProto *h, char *msg,
                           size_t msg_n) {
    tensorflow__histogram_proto__init(h);
    if (!t || !nbi_dtype_valid(t->dtype)) {
        snprintf(msg, msg_n, "a histogram needs a numeric tensor");
        return nbi_error(NB_ERR_INVALID_ARGUMENT);
    }
    double *limits = nbi_malloc(NBI_TB_MAX_BUCKETS * sizeof *limits);
    double *counts = nbi_calloc(NBI_TB_MAX_BUCKETS, sizeof *counts);
    if (!limits || !counts) {
        nbi_free(limits);
        nbi_free(counts);
        snprintf(msg, msg_n, "out of memory");
        return nbi_error(NB_ERR_OUT_OF_MEMORY);
    }
    int nb = nbi_tb_default_buckets(limits);
    double mn = DBL_MAX, mx = -DBL_MAX, sum = 0, sum2 = 0;
    for (int64_t i = 0; i < t->size; i++) {
        double v = nbi_load(t->data, t->dtype, i);
        if (!isfinite(v)) {
            nbi_free(limits);
            nbi_free(counts);
            snprintf(msg, msg_n, "Nan in summary histogram (element %lld is %g)", (long long)i, v);
            return nbi_error(NB_ERR_INVALID_ARGUMENT);
        }
        /* upper_bound: the first limit greater than v. */
        int lo = 0, hi = nb;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (limits[mid] > v) hi = mid;
            else lo = mid + 1;
        }
        if (lo >= nb) lo = nb - 1;
        counts[lo] += 1;
        if (v < mn) mn = v;
        if (v > mx) mx = v;
        sum += v;
        sum2 += v * v;
    }
    /* EncodeToProto: keep non-empty buckets; a run of empty ones becomes one
     * bucket with the run's last limit. In place: j <= i always. */
    int j = 0;
    for (int i = 0; i < nb;) {
        double end = limits[i], c = counts[i];
        i++;
        if (c <= 0)
            while (i < nb && counts[i] <= 0) end = limits[i], c = counts[i], i++;
        limits[j] = end;
        counts[j] = c;
        j++;
    }
    h->min = mn;
    h->max = mx;
    h->num = (double)t->size;
    h->sum = sum;
    h->sum_squares = sum2;
    h->bucket_limit = limits;
    h->bucket = counts;
    h->n_bucket_limit = h->n_bucket = (size_t)j;
    return NB_OK;
}

/*** Images (PNG through stb_image_write) ***/

typedef struct png_buf {
    uint8_t *p;
    size_t n, cap;
    bool oom;
} png_buf;

static void png_write(void *ctx, void *data, int size) {
    png_buf *b = ctx;
    if (b->oom || size <= 0) return;
    if (b->n + (size_t)size > b->cap) {
        size_t cap = (b->n + (size_t)size) * 2;
        uint8_t *q = nbi_realloc(b->p, cap);
        if (!q) {
            b->oom = true;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, (size_t)size);
    b->n += (size_t)size;
}

void nbi_tb_image_clear(Tensorflow__Summary__Image *img) {
    nbi_free(img->encoded_image_string.data);
    img->encoded_image_string.data = NULL;
    img->encoded_image_string.len = 0;
}

nb_status nbi_tb_image(const nb_tensor *t, Tensorflow__Summary__Image *img, char *msg,
                       size_t msg_n) {
    tensorflow__summary__image__init(img);
    if (!t || (t->rank != 2 && t->rank != 3)) {
        snprintf(msg, msg_n, "an image must be [height, width, channels] or [height, width]");
        return nbi_error(NB_ERR_INVALID_ARGUMENT);
    }
    int64_t h = t->dims[0], w = t->dims[1], c = t->rank == 3 ? t->dims[2] : 1;
    if (c < 1 || c > 4 || h < 1 || w < 1 || h > 0x7fffffff / 4 || w > 0x7fffffff / 4 ||
        h * w > 0x7fffffff / 4) {
        snprintf(msg, msg_n, "an image needs 1..4 channels and a positive size, got [%lld,%lld,%lld]",
                 (long long)h, (long long)w, (long long)c);
        return nbi_error(NB_ERR_INVALID_ARGUMENT);
    }
    if (!nbi_dtype_valid(t->dtype) || t->dtype == NB_BOOL) {
        snprintf(msg, msg_n, "an image must be uint8 or a float type, got %s", nb_dtype_name(t->dtype));
        return nbi_error(NB_ERR_INVALID_ARGUMENT);
    }
    size_t n = (size_t)(h * w * c);
    uint8_t *px = nbi_malloc(n);
    if (!px) {
        snprintf(msg, msg_n, "out of memory");
        return nbi_error(NB_ERR_OUT_OF_MEMORY);
    }
    if (t->dtype == NB_UINT8) {
        memcpy(px, t->data, n);
    } else {
        /* summary_image_op.cc: all >= 0 scales the largest to 255; otherwise 0
         * maps to 128 and the larger magnitude to the edge. Non-finite -> 0. */
        double mn = INFINITY, mx = -INFINITY;
        for (size_t i = 0; i < n; i++) {
            double v = nbi_load(t->data, t->dtype, (int64_t)i);
            if (!isfinite(v)) continue;
            if (v < mn) mn = v;
            if (v > mx) mx = v;
        }
        double scale, offset;
        if (mn < 0) {
            double m = fmax(fabs(mn), fabs(mx));
            scale = m < 1e-6 ? 0 : 127.0 / m;
            offset = 128.0;
        } else {
            scale = !(mx >= 1e-6) ? 0 : 255.0 / mx;
            offset = 0.0;
        }
        for (size_t i = 0; i < n; i++) {
            double v = nbi_load(t->data, t->dtype, (int64_t)i);
            double q = isfinite(v) ? v * scale + offset : 0;
            px[i] = (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
        }
    }
    png_buf b = {0};
    int ok = stbi_write_png_to_func(png_write, &b, (int)w, (int)h, (int)c, px, (int)(w * c));
    nbi_free(px);
    if (!ok || b.oom) {
        nbi_free(b.p);
        snprintf(msg, msg_n, "PNG encoding failed (out of memory)");
        return nbi_error(NB_ERR_OUT_OF_MEMORY);
    }
    img->height = (int32_t)h;
    img->width = (int32_t)w;
    img->colorspace = (int32_t)c;
    img->encoded_image_string.data = b.p;
    img->encoded_image_string.len = b.n;
    return NB_OK;
}

/*** Summaries ***/

uint8_t *nbi_tb_scalar_summary(const char *tag, float value, size_t *len) {
    Tensorflow__Summary s = TENSORFLOW__SUMMARY__INIT;
    Tensorflow__Summary__Value v = TENSORFLOW__SUMMARY__VALUE__INIT;
    Tensorflow__Summary__Value *vp = &v;
    v.tag = unconst(tag);
    v.value_case = TENSORFLOW__SUMMARY__VALUE__VALUE_SIMPLE_VALUE;
    v.simple_value = value;
    s.n_value = 1;
    s.value = &vp;
    return nbi_tb_pack(&s.base, len);
}

/*** Writer ***/

struct nb_summary_writer {
    FILE *f;
    char *path;
    double last_flush;   /* monotonic seconds */
    bool tensor_scalars;
    nbi_map seen_tags;   /* tags whose scalars metadata is already in this file */
    char errmsg[512];
};

#define FLUSH_SECONDS 2.0

static double now_wall(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return (double)time(NULL);
    double t = (double)ts.tv_sec + ts.tv_nsec * 1e-9;
    return isfinite(t) ? t : 0.0; /* a NaN wall time makes TensorBoard drop the file */
}

static double now_mono(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0;
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static nb_status werr(nb_summary_writer *w, nb_status code, const char *fmt, ...) NBI_PRINTF(3, 4);
static nb_status werr(nb_summary_writer *w, nb_status code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->errmsg, sizeof w->errmsg, fmt, ap);
    va_end(ap);
    return nbi_error(code);
}

static nb_status write_record(nb_summary_writer *w, const uint8_t *payload, size_t len) {
    uint8_t hdr[NBI_TB_HEADER], ftr[NBI_TB_FOOTER];
    nbi_tb_record_header(hdr, len);
    nbi_tb_record_footer(ftr, payload, len);
    if (fwrite(hdr, 1, sizeof hdr, w->f) != sizeof hdr || fwrite(payload, 1, len, w->f) != len ||
        fwrite(ftr, 1, sizeof ftr, w->f) != sizeof ftr)
        return werr(w, NB_ERR_IO, "events file '%s': write failed: %s", w->path, strerror(errno));
    return NB_OK;
}

nb_status nb_summary_writer_flush(nb_summary_writer *w) {
    if (!w) return nbi_error(NB_ERR_INVALID_ARGUMENT);
    w->last_flush = now_mono();
    if (fflush(w->f) != 0)
        return werr(w, NB_ERR_IO, "events file '%s': flush failed: %s", w->path, strerror(errno));
    return NB_OK;
}

/* Writes an Event (wall_time set here) and flushes when the last flush is old. */
static nb_status write_event(nb_summary_writer *w, Tensorflow__Event *ev) {
    ev->wall_time = now_wall();
    size_t len;
    uint8_t *buf = nbi_tb_pack(&ev->base, &len);
    if (!buf) return werr(w, NB_ERR_OUT_OF_MEMORY, "events file '%s': out of memory", w->path);
    nb_status st = write_record(w, buf, len);
    nbi_free(buf);
    if (st == NB_OK && now_mono() - w->last_flush > FLUSH_SECONDS) st = nb_summary_writer_flush(w);
    return st;
}

static nb_status write_value(nb_summary_writer *w, int64_t step, Tensorflow__Summary__Value *v) {
    Tensorflow__Event ev = TENSORFLOW__EVENT__INIT;
    Tensorflow__Summary s = TENSORFLOW__SUMMARY__INIT;
    s.n_value = 1;
    s.value = &v;
    ev.step = step;
    ev.what_case = TENSORFLOW__EVENT__WHAT_SUMMARY;
    ev.summary = &s;
    return write_event(w, &ev);
}

/* mkdir -p. */
static int make_dirs(const char *path) {
    char *p = nbi_strdup(path);
    if (!p) return ENOMEM;
    int rc = 0;
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == 0) {
            char c = *s;
            *s = 0;
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                rc = errno;
                break;
            }
            *s = c;
            if (!c) break;
        }
    }
    nbi_free(p);
    if (rc) return rc;
    struct stat st;
    if (stat(path, &st) != 0) return errno;
    return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

nb_summary_writer *nb_summary_writer_open(const char *logdir, nb_graph *g, nb_error *err) {
    if (err) err->code = NB_OK, err->message[0] = 0;
    if (!logdir || !*logdir) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_summary_writer_open: logdir is empty");
        return NULL;
    }
    int rc = make_dirs(logdir);
    if (rc) {
        nbi_set_error(err, rc == ENOMEM ? NB_ERR_OUT_OF_MEMORY : NB_ERR_IO,
                      "cannot create log directory '%s': %s", logdir,
                      rc == ENOMEM ? "out of memory" : strerror(rc));
        return NULL;
    }
    nb_summary_writer *w = nbi_calloc(1, sizeof *w);
    if (!w) {
        nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory opening a summary writer");
        return NULL;
    }
    char host[256];
    if (gethostname(host, sizeof host) != 0 || !host[0]) strcpy(host, "localhost");
    host[sizeof host - 1] = 0;
    for (char *c = host; *c; c++)
        if (*c == '/') *c = '_';
    double wall = now_wall();
    int fd = -1;
    /* The counter makes names unique when writers start in the same second. */
    for (int counter = 0; counter < 10000 && fd < 0; counter++) {
        nbi_free(w->path);
        w->path = nbi_asprintf("%s%sevents.out.tfevents.%010ld.%s.%ld.%d", logdir,
                               logdir[strlen(logdir) - 1] == '/' ? "" : "/", (long)wall, host,
                               (long)getpid(), counter);
        if (!w->path) break;
        fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (!w->path) {
        nbi_free(w);
        nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory opening a summary writer");
        return NULL;
    }
    if (fd < 0 || !(w->f = fdopen(fd, "wb"))) {
        nbi_set_error(err, NB_ERR_IO, "cannot create events file '%s': %s", w->path, strerror(errno));
        if (fd >= 0) close(fd);
        nbi_free(w->path);
        nbi_free(w);
        return NULL;
    }
    size_t len;
    uint8_t *first = nbi_tb_first_event(wall, EVENTS_WRITER_NAME, &len);
    nb_status st = first ? write_record(w, first, len)
                         : werr(w, NB_ERR_OUT_OF_MEMORY, "events file '%s': out of memory", w->path);
    nbi_free(first);
    if (st == NB_OK) st = nb_summary_writer_flush(w); /* as TF's EventsWriter::Init */
    if (st == NB_OK && g) st = nb_summary_writer_add_graph(w, g);
    if (st != NB_OK) {
        nbi_set_error(err, st, "%s", w->errmsg);
        fclose(w->f);
        nbi_free(w->path);
        nbi_map_free(&w->seen_tags);
        nbi_free(w);
        return NULL;
    }
    return w;
}

const char *nb_summary_writer_path(const nb_summary_writer *w) { return w ? w->path : ""; }
const char *nb_summary_writer_errmsg(const nb_summary_writer *w) { return w ? w->errmsg : ""; }

void nb_summary_writer_set_tensor_scalars(nb_summary_writer *w, bool tensor_form) {
    if (w) w->tensor_scalars = tensor_form;
}

nb_status nb_summary_writer_add_graph(nb_summary_writer *w, const nb_graph *g) {
    if (!w) return nbi_error(NB_ERR_INVALID_ARGUMENT);
    void *gd = NULL;
    size_t len = 0;
    nb_status st = nb_graph_to_graphdef(g, &gd, &len);
    if (st != NB_OK)
        return werr(w, st, "events file '%s': cannot serialize the graph: %s", w->path,
                    g && nb_graph_status(g) != NB_OK ? nb_graph_errmsg(g) : nb_status_string(st));
    Tensorflow__Event ev = TENSORFLOW__EVENT__INIT;
    ev.what_case = TENSORFLOW__EVENT__WHAT_GRAPH_DEF;
    ev.graph_def.data = gd;
    ev.graph_def.len = len;
    st = write_event(w, &ev);
    free(gd);
    return st;
}

/* A tag must be non-empty and valid UTF-8: it is a protobuf string, and
 * TensorBoard and protoc reject a file whose tag is not UTF-8. */
static nb_status check_tag(nb_summary_writer *w, const char *what, const char *tag) {
    if (!tag || !*tag) return werr(w, NB_ERR_INVALID_ARGUMENT, "%s needs a non-empty tag", what);
    size_t bad = nbi_utf8_invalid_at(tag);
    if (bad == (size_t)-1) return NB_OK;
    char show[160];
    nbi_utf8_show(tag, show, sizeof show);
    return werr(w, NB_ERR_INVALID_ARGUMENT,
                "%s tag '%s' is not valid UTF-8 (byte %zu is 0x%02x); TensorBoard cannot read it",
                what, show, bad, (unsigned char)tag[bad]);
}

nb_status nb_summary_writer_add_scalar(nb_summary_writer *w, const char *tag, int64_t step,
                                       double value) {
    if (!w) return nbi_error(NB_ERR_INVALID_ARGUMENT);
    nb_status tst = check_tag(w, "a scalar", tag);
    if (tst != NB_OK) return tst;
    Tensorflow__Summary__Value v = TENSORFLOW__SUMMARY__VALUE__INIT;
    v.tag = unconst(tag);
    if (!w->tensor_scalars) {
        v.value_case = TENSORFLOW__SUMMARY__VALUE__VALUE_SIMPLE_VALUE;
        v.simple_value = (float)value;
        return write_value(w, step, &v);
    }
    /* Tensor form: a rank-0 DT_FLOAT tensor; "scalars" plugin metadata (empty
     * ScalarPluginData content, data_class SCALAR) on the tag's first value. */
    Tensorflow__TensorProto tp = TENSORFLOW__TENSOR_PROTO__INIT;
    Tensorflow__TensorShapeProto shp = TENSORFLOW__TENSOR_SHAPE_PROTO__INIT;
    Tensorflow__SummaryMetadata md = TENSORFLOW__SUMMARY_METADATA__INIT;
    Tensorflow__SummaryMetadata__PluginData pd = TENSORFLOW__SUMMARY_METADATA__PLUGIN_DATA__INIT;
    float f = (float)value;
    tp.dtype = TENSORFLOW__DATA_TYPE__DT_FLOAT;
    tp.tensor_shape = &shp;
    tp.n_float_val = 1;
    tp.float_val = &f;
    v.value_case = TENSORFLOW__SUMMARY__VALUE__VALUE_TENSOR;
    v.tensor = &tp;
    bool first = !nbi_map_get(&w->seen_tags, tag);
    if (first) {
        pd.plugin_name = unconst("scalars");
        md.plugin_data = &pd;
        md.data_class = 1;
        v.metadata = &md;
    }
    nb_status st = write_value(w, step, &v);
    if (st == NB_OK && first && !nbi_map_put(&w->seen_tags, tag, (void *)1))
        return werr(w, NB_ERR_OUT_OF_MEMORY, "events file '%s': out of memory", w->path);
    return st;
}

nb_status nb_summary_writer_add_histogram(nb_summary_writer *w, const char *tag, int64_t step,
                                          const nb_tensor *t) {
    if (!w) return nbi_error(NB_ERR_INVALID_ARGUMENT);
    nb_status tst = check_tag(w, "a histogram", tag);
    if (tst != NB_OK) return tst;
    Tensorflow__HistogramProto h;
    char msg[256];
    nb_status st = nbi_tb_histogram(t, &h, msg, sizeof msg);
    if (st != NB_OK) return werr(w, st, "histogram '%s' for '%s': %s", tag, w->path, msg);
    Tensorflow__Summary__Value v = TENSORFLOW__SUMMARY__VALUE__INIT;
    v.tag = unconst(tag);
    v.value_case = TENSORFLOW__SUMMARY__VALUE__VALUE_HISTO;
    v.histo = &h;
    st = write_value(w, step, &v);
    nbi_tb_histogram_clear(&h);
    return st;
}

nb_status nb_summary_writer_add_image(nb_summary_writer *w, const char *tag, int64_t step,
                                      const nb_tensor *t) {
    if (!w) return nbi_error(NB_ERR_INVALID_ARGUMENT);
    nb_status tst = check_tag(w, "an image", tag);
    if (tst != NB_OK) return tst;
    Tensorflow__Summary__Image img;
    char msg[256];
    nb_status st = nbi_tb_image(t, &img, msg, sizeof msg);
    if (st != NB_OK) return werr(w, st, "image '%s' for '%s': %s", tag, w->path, msg);
    Tensorflow__Summary__Value v = TENSORFLOW__SUMMARY__VALUE__INIT;
    v.tag = unconst(tag);
    v.value_case = TENSORFLOW__SUMMARY__VALUE__VALUE_IMAGE;
    v.image = &img;
    st = write_value(w, step, &v);
    nbi_tb_image_clear(&img);
    return st;
}

nb_status nb_summary_writer_add_summary(nb_summary_writer *w, const nb_tensor *summary,
                                        int64_t step) {
    if (!w) return nbi_error(NB_ERR_INVALID_ARGUMENT);
    if (!summary || summary->dtype != NB_UINT8 || summary->rank != 1)
        return werr(w, NB_ERR_INVALID_ARGUMENT,
                    "add_summary needs the uint8 vector a summary op produces");
    Tensorflow__Summary *s =
        tensorflow__summary__unpack(&pb_allocator, summary->nbytes, summary->data);
    if (!s)
        return werr(w, NB_ERR_INVALID_ARGUMENT, "add_summary: the %zu bytes are not a Summary protobuf",
                    summary->nbytes);
    nb_status tst = NB_OK;
    for (size_t i = 0; i < s->n_value && tst == NB_OK; i++)
        if (s->value[i]->tag && *s->value[i]->tag) tst = check_tag(w, "a summary value's", s->value[i]->tag);
    tensorflow__summary__free_unpacked(s, &pb_allocator);
    if (tst != NB_OK) return tst;
    /* The Summary's bytes go in unchanged as Event field 5 after wall_time and step. */
    Tensorflow__Event ev = TENSORFLOW__EVENT__INIT;
    ev.wall_time = now_wall();
    ev.step = step;
    size_t head = protobuf_c_message_get_packed_size(&ev.base);
    size_t n = head + 1 + 10 + summary->nbytes;
    uint8_t *buf = nbi_malloc(n);
    if (!buf) return werr(w, NB_ERR_OUT_OF_MEMORY, "events file '%s': out of memory", w->path);
    size_t len = protobuf_c_message_pack(&ev.base, buf);
    buf[len++] = 0x2a; /* field 5, length-delimited */
    uint64_t sz = summary->nbytes;
    do {
        uint8_t b = sz & 0x7f;
        sz >>= 7;
        buf[len++] = (uint8_t)(b | (sz ? 0x80 : 0));
    } while (sz);
    memcpy(buf + len, summary->data, summary->nbytes);
    len += summary->nbytes;
    nb_status st = write_record(w, buf, len);
    nbi_free(buf);
    if (st == NB_OK && now_mono() - w->last_flush > FLUSH_SECONDS) st = nb_summary_writer_flush(w);
    return st;
}

nb_status nb_summary_writer_close(nb_summary_writer *w) {
    if (!w) return NB_OK;
    nb_status st = NB_OK;
    if (fflush(w->f) != 0) st = nbi_error(NB_ERR_IO);
    if (fclose(w->f) != 0) st = nbi_error(NB_ERR_IO);
    nbi_free(w->path);
    nbi_map_free(&w->seen_tags);
    nbi_free(w);
    return st;
}

/*** Reader ***/

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
    if (r->ev.pb) tensorflow__event__free_unpacked(r->ev.pb, &pb_allocator);
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
    r->ev.pb = tensorflow__event__unpack(&pb_allocator, (size_t)len, r->buf);
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
