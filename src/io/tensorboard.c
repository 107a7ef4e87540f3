/*
 * tensorboard.c — what the TensorBoard files share (see tensorboard.h): the
 * protobuf-c allocator (through nbi_malloc), message packing, the first event
 * of a file, and the Summary values (scalars, histograms, PNG images) that the
 * summary writer (events_write.c) and the summary ops (src/ops/summary.c)
 * both build. Facts and sources are in shared/reference/tensorboard-format.md:
 * TensorFlow's histogram.cc and summary_image_op.cc for histograms and images.
 */
#include "io/io.h"
#include "io/tensorboard.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

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
ProtobufCAllocator nbi_pb_allocator = {pb_alloc, pb_free, NULL};

uint8_t *nbi_tb_pack(const ProtobufCMessage *m, size_t *len) {
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = nbi_malloc(n ? n : 1);
    if (!buf) return NULL;
    *len = protobuf_c_message_pack(m, buf);
    return buf;
}

uint8_t *nbi_tb_first_event(double wall_time, const char *writer, size_t *len) {
    Tensorflow__Event ev = TENSORFLOW__EVENT__INIT;
    Tensorflow__SourceMetadata sm = TENSORFLOW__SOURCE_METADATA__INIT;
    ev.wall_time = wall_time;
    ev.what_case = TENSORFLOW__EVENT__WHAT_FILE_VERSION;
    ev.file_version = nbi_pb_unconst("brain.Event:2");
    if (writer) {
        sm.writer = nbi_pb_unconst(writer);
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
    v.tag = nbi_pb_unconst(tag);
    v.value_case = TENSORFLOW__SUMMARY__VALUE__VALUE_SIMPLE_VALUE;
    v.simple_value = value;
    s.n_value = 1;
    s.value = &vp;
    return nbi_tb_pack(&s.base, len);
}
