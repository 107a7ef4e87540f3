/*
 * summary.c — TF1's summary ops: ScalarSummary, HistogramSummary and
 * MergeSummary (tf.summary.scalar / histogram / merge / merge_all).
 *
 * TensorFlow's summary ops output a DT_STRING scalar holding a serialized
 * Summary protobuf. nabla has no string dtype, so here the output is a uint8
 * vector of those bytes (and the tag input a uint8 vector Const); the GraphDef
 * writer (src/graph/graphdef.c) shows them with TensorFlow's string types.
 * Naming follows summary_op_util.summary_scope: the op takes the (uniquified)
 * scope "<scope>/<name>" as its name and as its tag; the tag constant is
 * "<name>/tags" (ScalarSummary) or "<name>/tag" (HistogramSummary).
 */
#include "ops/ops_impl.h"
#include "graph/graphdef_attrs.h"
#include "io/tensorboard.h"

#include <math.h>
#include <stdlib.h>

/*** Shape inference ***/

static nb_status set_bytes_output(nb_op *op) {
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = NB_UINT8;
    op->out_shape[0] = nb_shape_make(1, (int64_t[]){NB_DIM_UNKNOWN});
    return NB_OK;
}

static nb_status infer_value_summary(nb_op *op) {
    if (nbi_in_dtype(op, 0) != NB_UINT8)
        return nbi_infer_error(op, NB_ERR_DTYPE, "the tag must be a uint8 byte vector");
    nb_dtype dt = nbi_in_dtype(op, 1);
    if (!nbi_dtype_is_float(dt) && !nbi_dtype_is_int(dt))
        return nbi_infer_error(op, NB_ERR_DTYPE, "summary values must be real numbers, got %s",
                               nbi_dtype_tfname(dt));
    const nb_shape *s = nbi_in_shape(op, 1);
    if (op->type == NBI_OP_SCALAR_SUMMARY && s->rank > 0) {
        int64_t n = nbi_shape_numel(s);
        if (n != -1) {
            char b[128];
            return nbi_infer_error(op, NB_ERR_SHAPE, "tags and values not the same shape: [] != %s",
                                   nb_shape_string(*s, b, sizeof b));
        }
    }
    return set_bytes_output(op);
}

static nb_status infer_merge(nb_op *op) {
    if (op->n_inputs < 1) return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "MergeSummary needs at least one input");
    for (int i = 0; i < op->n_inputs; i++) {
        const nb_shape *s = nbi_in_shape(op, i);
        if (nbi_in_dtype(op, i) != NB_UINT8 || s->rank > 1)
            return nbi_infer_error(op, NB_ERR_DTYPE,
                                   "input %d is not a summary (a uint8 vector of Summary bytes)", i);
    }
    return set_bytes_output(op);
}

/*** Kernels ***/

/* The tag input as a NUL-terminated string (nbi_malloc'd). */
static char *tag_of(const nb_tensor *t) {
    char *s = nbi_malloc(t->nbytes + 1);
    if (!s) return NULL;
    memcpy(s, t->data, t->nbytes);
    s[t->nbytes] = 0;
    return s;
}

/* A tag that is not UTF-8 would make the event file unreadable to TensorBoard. */
static nb_status bad_tag(nbi_kctx *k, const char *tag) {
    size_t bad = nbi_utf8_invalid_at(tag);
    if (bad == (size_t)-1) return NB_OK;
    char show[160];
    nbi_utf8_show(tag, show, sizeof show);
    return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "tag '%s' is not valid UTF-8 (byte %zu is 0x%02x)", show,
                      bad, (unsigned char)tag[bad]);
}

static nb_status emit_bytes(nbi_kctx *k, const uint8_t *buf, size_t len) {
    int64_t n = (int64_t)len;
    nb_tensor *o = nbi_kalloc(k, NB_UINT8, 1, &n);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    if (len) memcpy(o->data, buf, len);
    k->out[0] = o;
    return NB_OK;
}

static nb_status k_scalar_summary(nbi_kctx *k) {
    const nb_tensor *x = k->in[1];
    if (x->size != 1) {
        char b[128];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "tags and values not the same shape: [] != %s",
                          nbi_dims_string(x->rank, x->dims, false, b, sizeof b));
    }
    char *tag = tag_of(k->in[0]);
    nb_status bst = tag ? bad_tag(k, tag) : NB_OK;
    if (bst != NB_OK) {
        nbi_free(tag);
        return bst;
    }
    size_t len = 0;
    uint8_t *buf = tag ? nbi_tb_scalar_summary(tag, (float)nbi_load(x->data, x->dtype, 0), &len) : NULL;
    nbi_free(tag);
    if (!buf) return nbi_kerror(k, NB_ERR_OUT_OF_MEMORY, "out of memory");
    nb_status st = emit_bytes(k, buf, len);
    nbi_free(buf);
    return st;
}

static nb_status k_histogram_summary(nbi_kctx *k) {
    Tensorflow__HistogramProto h;
    char msg[256];
    nb_status st = nbi_tb_histogram(k->in[1], &h, msg, sizeof msg);
    if (st == NB_ERR_INVALID_ARGUMENT)
        return nbi_kerror(k, st, "Nan in summary histogram for: %s (%s)", k->op->name, msg);
    if (st != NB_OK) return nbi_kerror(k, st, "%s", msg);
    char *tag = tag_of(k->in[0]);
    st = tag ? bad_tag(k, tag) : NB_OK;
    if (st != NB_OK) {
        nbi_free(tag);
        nbi_tb_histogram_clear(&h);
        return st;
    }
    Tensorflow__Summary s = TENSORFLOW__SUMMARY__INIT;
    Tensorflow__Summary__Value v = TENSORFLOW__SUMMARY__VALUE__INIT;
    Tensorflow__Summary__Value *vp = &v;
    v.tag = tag;
    v.value_case = TENSORFLOW__SUMMARY__VALUE__VALUE_HISTO;
    v.histo = &h;
    s.n_value = 1;
    s.value = &vp;
    size_t len = 0;
    uint8_t *buf = tag ? nbi_tb_pack(&s.base, &len) : NULL;
    nbi_free(tag);
    nbi_tb_histogram_clear(&h);
    if (!buf) return nbi_kerror(k, NB_ERR_OUT_OF_MEMORY, "out of memory");
    st = emit_bytes(k, buf, len);
    nbi_free(buf);
    return st;
}

/* Concatenated Summary messages are one Summary holding all their values
 * (repeated field 1), so merging is concatenation after checking each input
 * parses and no tag repeats (TF's "Duplicate tag ... found in summary inputs"). */
static nb_status k_merge_summary(nbi_kctx *k) {
    int n = k->op->n_inputs;
    size_t total = 0;
    nbi_map tags = {0};
    nb_status st = NB_OK;
    for (int i = 0; i < n && st == NB_OK; i++) {
        const nb_tensor *t = k->in[i];
        Tensorflow__Summary *s = tensorflow__summary__unpack(&nbi_pb_allocator, t->nbytes, t->data);
        if (!s) {
            st = nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Could not parse one of the summary inputs (input %d)", i);
            break;
        }
        for (size_t j = 0; j < s->n_value && st == NB_OK; j++) {
            const char *tag = s->value[j]->tag ? s->value[j]->tag : "";
            if (nbi_map_get(&tags, tag))
                st = nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Duplicate tag %s found in summary inputs", tag);
            else if (!nbi_map_put(&tags, tag, (void *)1))
                st = nbi_kerror(k, NB_ERR_OUT_OF_MEMORY, "out of memory");
        }
        tensorflow__summary__free_unpacked(s, &nbi_pb_allocator);
        total += t->nbytes;
    }
    nbi_map_free(&tags);
    if (st != NB_OK) return st;
    int64_t len = (int64_t)total;
    nb_tensor *o = nbi_kalloc(k, NB_UINT8, 1, &len);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    uint8_t *p = o->data;
    for (int i = 0; i < n; i++) {
        if (k->in[i]->nbytes) memcpy(p, k->in[i]->data, k->in[i]->nbytes);
        p += k->in[i]->nbytes;
    }
    k->out[0] = o;
    return NB_OK;
}

/*** ImageSummary (summary_image_op.cc) ***/

static nb_status infer_image_summary(nb_op *op) {
    if (nbi_in_dtype(op, 0) != NB_UINT8)
        return nbi_infer_error(op, NB_ERR_DTYPE, "the tag must be a uint8 byte vector");
    nb_dtype dt = nbi_in_dtype(op, 1);
    if (dt != NB_UINT8 && !nbi_dtype_is_float(dt))
        return nbi_infer_error(op, NB_ERR_DTYPE,
                               "Value for attr 'T' of %s is not in the list of allowed values: uint8, float, double",
                               nbi_dtype_tfname(dt));
    if (op->attrs.ints[0] < 1)
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Value for attr 'max_images' of %lld must be at least minimum 1",
                               (long long)op->attrs.ints[0]);
    const nb_shape *s = nbi_in_shape(op, 1);
    if (s->rank >= 0 && (s->rank != 4 || (s->dims[3] >= 0 && s->dims[3] != 1 && s->dims[3] != 3 && s->dims[3] != 4))) {
        char b[128];
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Tensor must be 4-D with last dim 1, 3, or 4, not %s",
                               nb_shape_string(*s, b, sizeof b));
    }
    return set_bytes_output(op);
}

/* TF's default bad_color: opaque red; a pixel with a non-finite channel gets
 * the first `depth` entries of the op's bad_color (attrs.ints[1] entries from
 * attrs.ints[2]; none: this default). */
static const uint8_t default_bad_color[4] = {255, 0, 0, 255};

/* Float image i of [n, h, w, c] to uint8 as NormalizeFloatImage does: over the
 * finite values, all >= 0 scales the largest to 255; otherwise 0 goes to 128
 * and the larger magnitude to the edge; values truncate; non-finite pixels get
 * bad_color. */
static void normalize_float_image(const nb_tensor *t, int64_t i, const uint8_t *bad_color, uint8_t *px) {
    int64_t hw = t->dims[1] * t->dims[2], c = t->dims[3], n = hw * c, base = i * n;
    double mn = INFINITY, mx = -INFINITY;
    for (int64_t j = 0; j < n; j++) {
        double v = nbi_load(t->data, t->dtype, base + j);
        if (!isfinite(v)) continue;
        if (v < mn) mn = v;
        if (v > mx) mx = v;
    }
    float scale, offset;
    if (mn < 0) {
        float m = (float)fmax(fabs(mn), fabs(mx));
        scale = m < 1e-6f ? 0.0f : 127.0f / m;
        offset = 128.0f;
    } else {
        scale = mx < 1e-6 ? 0.0f : 255.0f / (float)mx;
        offset = 0.0f;
    }
    for (int64_t p = 0; p < hw; p++) {
        bool finite = true;
        for (int64_t ch = 0; ch < c; ch++) finite = finite && isfinite(nbi_load(t->data, t->dtype, base + p * c + ch));
        for (int64_t ch = 0; ch < c; ch++) {
            if (!finite) {
                px[p * c + ch] = bad_color[ch];
                continue;
            }
            float q = (float)nbi_load(t->data, t->dtype, base + p * c + ch) * scale + offset;
            px[p * c + ch] = (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
        }
    }
}

static nb_status k_image_summary(nbi_kctx *k) {
    const nb_tensor *t = k->in[1];
    if (t->rank != 4 || (t->dims[3] != 1 && t->dims[3] != 3 && t->dims[3] != 4)) {
        char b[128];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Tensor must be 4-D with last dim 1, 3, or 4, not %s",
                          nbi_dims_string(t->rank, t->dims, false, b, sizeof b));
    }
    int64_t bs = t->dims[0], h = t->dims[1], w = t->dims[2], c = t->dims[3];
    if (h > 0x7fffffff / 4 || w > 0x7fffffff / 4 || h * w > 0x7fffffff / 4) {
        char b[128];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Tensor too large for summary %s",
                          nbi_dims_string(t->rank, t->dims, false, b, sizeof b));
    }
    int64_t max_images = k->op->attrs.ints[0];
    int64_t n = bs < max_images ? bs : max_images;
    uint8_t bad[14];
    int64_t n_bad = k->op->attrs.n_ints >= 2 ? k->op->attrs.ints[1] : 0;
    if (n_bad <= 0 || n_bad > 14) {
        n_bad = 4;
        memcpy(bad, default_bad_color, 4);
    } else {
        for (int64_t j = 0; j < n_bad; j++) bad[j] = (uint8_t)k->op->attrs.ints[2 + j];
    }
    if (n_bad < c)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "expected depth <= bad_color.size, got depth = %lld, bad_color.size = %lld",
                          (long long)c, (long long)n_bad);
    if (n > 0 && (h < 1 || w < 1)) {
        char b[128];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "an image needs a positive height and width, got %s",
                          nbi_dims_string(t->rank, t->dims, false, b, sizeof b));
    }
    char *tag = tag_of(k->in[0]);
    size_t tlen = tag ? strlen(tag) + 32 : 0;
    Tensorflow__Summary s = TENSORFLOW__SUMMARY__INIT;
    Tensorflow__Summary__Value *vals = nbi_calloc(n ? (size_t)n : 1, sizeof *vals);
    Tensorflow__Summary__Value **vps = nbi_calloc(n ? (size_t)n : 1, sizeof *vps);
    Tensorflow__Summary__Image *imgs = nbi_calloc(n ? (size_t)n : 1, sizeof *imgs);
    char *tags = tag ? nbi_malloc((n ? (size_t)n : 1) * tlen) : NULL;
    uint8_t *px = nbi_malloc((size_t)(h * w * c) + 1);
    nb_status st = NB_OK;
    if (!tag || !vals || !vps || !imgs || !tags || !px) {
        st = nbi_kerror(k, NB_ERR_OUT_OF_MEMORY, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < n; i++) {
        /* the tag depends on the number of images asked for, not produced */
        char *ti = tags + (size_t)i * tlen;
        if (max_images > 1) snprintf(ti, tlen, "%s/image/%lld", tag, (long long)i);
        else snprintf(ti, tlen, "%s/image", tag);
        if (t->dtype == NB_UINT8) memcpy(px, (const uint8_t *)t->data + i * h * w * c, (size_t)(h * w * c));
        else normalize_float_image(t, i, bad, px);
        nb_tensor view = {0};
        view.dtype = NB_UINT8;
        view.rank = 3;
        view.dims[0] = h;
        view.dims[1] = w;
        view.dims[2] = c;
        view.size = h * w * c;
        view.nbytes = (size_t)view.size;
        view.data = px;
        char msg[256];
        nb_status e = nbi_tb_image(&view, &imgs[i], msg, sizeof msg);
        if (e != NB_OK) {
            st = nbi_kerror(k, e, "%s", msg);
            goto done;
        }
        tensorflow__summary__value__init(&vals[i]);
        vals[i].tag = ti;
        vals[i].value_case = TENSORFLOW__SUMMARY__VALUE__VALUE_IMAGE;
        vals[i].image = &imgs[i];
        vps[i] = &vals[i];
    }
    s.n_value = (size_t)n;
    s.value = vps;
    size_t len = 0;
    uint8_t *buf = nbi_tb_pack(&s.base, &len);
    if (!buf) {
        st = nbi_kerror(k, NB_ERR_OUT_OF_MEMORY, "out of memory");
        goto done;
    }
    st = emit_bytes(k, buf, len);
    nbi_free(buf);
done:
    for (int64_t i = 0; imgs && i < n; i++) nbi_tb_image_clear(&imgs[i]);
    nbi_free(px);
    nbi_free(tags);
    nbi_free(imgs);
    nbi_free(vps);
    nbi_free(vals);
    nbi_free(tag);
    return st;
}

const nbi_opdef nbi_opdef_IMAGE_SUMMARY = {
    .type = "ImageSummary", .n_inputs = 2, .flags = NBI_NO_GRAD | NBI_SUMMARY | NBI_TAG_IN0,
    .infer = infer_image_summary, .kernel = k_image_summary,
    .attrs = NBI_ATTRS({"T", NBI_A_T_IN1}, {"max_images", NBI_A_MAX_IMAGES}, {"bad_color", NBI_A_BAD_COLOR}),
};

const nbi_opdef nbi_opdef_SCALAR_SUMMARY = {
    .type = "ScalarSummary", .n_inputs = 2, .flags = NBI_NO_GRAD | NBI_SUMMARY | NBI_TAG_IN0,
    .infer = infer_value_summary, .kernel = k_scalar_summary,
    .attrs = NBI_ATTRS({"T", NBI_A_T_IN1}),
};
const nbi_opdef nbi_opdef_HISTOGRAM_SUMMARY = {
    .type = "HistogramSummary", .n_inputs = 2, .flags = NBI_NO_GRAD | NBI_SUMMARY | NBI_TAG_IN0,
    .infer = infer_value_summary, .kernel = k_histogram_summary,
    .attrs = NBI_ATTRS({"T", NBI_A_T_IN1}),
};
const nbi_opdef nbi_opdef_MERGE_SUMMARY = {
    .type = "MergeSummary", .n_inputs = -1, .flags = NBI_NO_GRAD | NBI_SUMMARY, .infer = infer_merge,
    .kernel = k_merge_summary,
    .attrs = NBI_ATTRS({"N", NBI_A_N}),
};

/*** Constructors ***/

/* summary_op_util._clean_tag: characters outside [A-Za-z0-9_./-] become '_',
 * leading '/' are dropped. nbi_malloc'd. */
static char *clean_tag(const char *name) {
    while (*name == '/') name++;
    char *s = nbi_strdup(name);
    if (!s) return NULL;
    for (char *c = s; *c; c++) {
        unsigned char u = (unsigned char)*c;
        bool ok = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '_' ||
                  u == '.' || u == '/' || u == '-';
        if (!ok) *c = '_';
    }
    return s;
}

static nb_output value_summary(nb_graph *g, int type, const char *name, nb_output x,
                               const char *what, const char *tag_name, int64_t max_images) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (!name || !*name) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "%s: the summary needs a name", what);
        return nb_nil;
    }
    char *clean = clean_tag(name);
    char *scope = clean ? nbi_op_scope_push(g, *clean ? clean : "summary", NULL) : NULL;
    nbi_free(clean);
    if (!scope) {
        if (nbi_graph_ok(g)) nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory");
        return nb_nil;
    }
    /* The tag is the scope without its trailing '/'. */
    int64_t len = (int64_t)strlen(scope) - 1;
    nb_output tags = nb_constant_array(g, NB_UINT8, 1, &len, scope, tag_name);
    nb_name_scope_pop(g);
    nb_output r = nb_nil;
    if (tags.op) {
        nb_op *op = nbi_op_new(g, type, scope, NULL, (nb_output[]){tags, x}, 2);
        if (op && type == NBI_OP_IMAGE_SUMMARY) {
            op->attrs.ints[0] = max_images;
            op->attrs.n_ints = 1;
        }
        if (op) r = nbi_op_finish(op);
    }
    nbi_free(scope);
    return r;
}

nb_output nb_summary_scalar(nb_graph *g, const char *name, nb_output x) {
    return value_summary(g, NBI_OP_SCALAR_SUMMARY, name, x, "nb_summary_scalar", "tags", 0);
}

nb_output nb_summary_histogram(nb_graph *g, const char *name, nb_output x) {
    return value_summary(g, NBI_OP_HISTOGRAM_SUMMARY, name, x, "nb_summary_histogram", "tag", 0);
}

nb_output nb_summary_image(nb_graph *g, const char *name, nb_output images, int max_outputs) {
    return value_summary(g, NBI_OP_IMAGE_SUMMARY, name, images, "nb_summary_image", "tag", max_outputs);
}

nb_output nb_summary_image_ex(nb_graph *g, const char *name, nb_output images, int max_outputs,
                              const uint8_t *bad_color, int n_bad_color) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (n_bad_color < 0 || n_bad_color > 14 || (n_bad_color > 0 && !bad_color)) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_summary_image_ex: bad_color must have 1 to 14 entries, got %d",
                        n_bad_color);
        return nb_nil;
    }
    nb_output r = value_summary(g, NBI_OP_IMAGE_SUMMARY, name, images, "nb_summary_image_ex", "tag", max_outputs);
    if (!nb_output_is_nil(r) && n_bad_color > 0) {
        nbi_attrs *a = &r.op->attrs;
        a->ints[1] = n_bad_color;
        for (int i = 0; i < n_bad_color; i++) a->ints[2 + i] = bad_color[i];
        a->n_ints = 2 + n_bad_color;
    }
    return r;
}

nb_output nb_summary_merge(nb_graph *g, const nb_output *summaries, int n, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (n < 1 || !summaries) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_summary_merge: needs at least one summary");
        return nb_nil;
    }
    /* tf.summary.merge: name_scope(name, "Merge"), then the op named `name`
     * (or "MergeSummary") inside it. */
    char *scope = nbi_op_scope_push(g, name, "Merge");
    if (!scope) return nb_nil;
    nb_op *op = nbi_op_new(g, NBI_OP_MERGE_SUMMARY, name, "MergeSummary", summaries, n);
    nb_output r = op ? nbi_op_finish(op) : nb_nil;
    nb_name_scope_pop(g);
    nbi_free(scope);
    return r;
}

static bool in_summaries(int type) {
    return type == NBI_OP_SCALAR_SUMMARY || type == NBI_OP_HISTOGRAM_SUMMARY || type == NBI_OP_IMAGE_SUMMARY;
}

nb_output nb_summary_merge_all(nb_graph *g) {
    if (!nbi_graph_ok(g)) return nb_nil;
    /* The SUMMARIES collection: every scalar, histogram and image summary op
     * so far (merge ops are not in it), in creation order. */
    int n = 0;
    for (int i = 0; i < g->n_ops; i++)
        if (in_summaries(g->ops[i]->type)) n++;
    if (n == 0) return nb_nil;
    nb_output *outs = nbi_malloc((size_t)n * sizeof *outs);
    if (!outs) {
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory");
        return nb_nil;
    }
    n = 0;
    for (int i = 0; i < g->n_ops; i++)
        if (in_summaries(g->ops[i]->type)) outs[n++] = nbi_out(g->ops[i], 0);
    nb_output r = nb_summary_merge(g, outs, n, NULL);
    nbi_free(outs);
    return r;
}
