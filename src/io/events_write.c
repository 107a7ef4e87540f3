/*
 * events_write.c — TensorBoard event files, writing: the summary writer.
 *
 * A file is a concatenation of TFRecords (length, masked CRC32C of the length,
 * payload, masked CRC32C of the payload) whose payloads are Event protobufs; the
 * first one carries file_version "brain.Event:2". Facts and sources are in
 * shared/reference/tensorboard-format.md: TensorFlow's events_writer.cc and
 * record_writer.cc, TensorBoard's event_file_writer.py. The reader is
 * events_read.c; the Summary values are built in tensorboard.c.
 */
#include "io/io.h"
#include "graph/graph_impl.h"
#include "io/tensorboard.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct nb_summary_writer {
    FILE *f;
    char *path;
    double last_flush;   /* monotonic seconds */
    bool tensor_scalars;
    nbi_map seen_tags;   /* tags whose scalars metadata is already in this file */
    char errmsg[NBI_MSG_MAX];
};

#define FLUSH_SECONDS 2.0
#define EVENTS_WRITER_NAME "nabla.events_writer"

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
    nbi_vrecord_error(NULL, w->errmsg, sizeof w->errmsg, code, fmt, ap);
    va_end(ap);
    return code;
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
    v.tag = nbi_pb_unconst(tag);
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
        pd.plugin_name = nbi_pb_unconst("scalars");
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
    v.tag = nbi_pb_unconst(tag);
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
    v.tag = nbi_pb_unconst(tag);
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
        tensorflow__summary__unpack(&nbi_pb_allocator, summary->nbytes, summary->data);
    if (!s)
        return werr(w, NB_ERR_INVALID_ARGUMENT, "add_summary: the %zu bytes are not a Summary protobuf",
                    summary->nbytes);
    nb_status tst = NB_OK;
    for (size_t i = 0; i < s->n_value && tst == NB_OK; i++)
        if (s->value[i]->tag && *s->value[i]->tag) tst = check_tag(w, "a summary value's", s->value[i]->tag);
    tensorflow__summary__free_unpacked(s, &nbi_pb_allocator);
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
