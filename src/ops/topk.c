/*
 * topk.c — ops that pick elements by value or truth: TopKV2 (tf.nn.top_k),
 * InTopKV2 (tf.nn.in_top_k) and Where (tf.where(condition) with one argument:
 * the coordinates of the true elements), with shape inference and CPU kernels.
 *
 * Semantics and messages follow TensorFlow 1.x (topk_op.cc, in_topk_op.cc,
 * where_op.cc, nn_grad.py). TopKV2 keeps `sorted` in attrs.ints[0] (written to
 * and read from GraphDef); it always returns the k largest in descending order,
 * ties by lower index first. With sorted=false TF1 documents the order as
 * unspecified (what its CPU kernel returns then is an implementation detail,
 * not documented), so the sorted order is a valid answer there too;
 * include/nabla.h and docs/tf1_arguments.md say so.
 */
#include "ops/ops_impl.h"
#include "graph/graphdef_attrs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static bool is_real(nb_dtype dt) { return nbi_dtype_is_float(dt) || dt == NB_INT32 || dt == NB_INT64 || dt == NB_UINT8; }

/*** TopKV2 ***/

static nb_status infer_top_k(nb_op *op) {
    nb_dtype dt = nbi_in_dtype(op, 0);
    if (!is_real(dt))
        return nbi_infer_error(op, NB_ERR_DTYPE,
                               "Value for attr 'T' of %s is not in the list of allowed values: float, double, int32, uint8, int64",
                               nbi_dtype_tfname(dt));
    if (nbi_in_dtype(op, 1) != NB_INT32)
        return nbi_infer_error(op, NB_ERR_DTYPE, "Input 'k' of 'TopKV2' Op has type %s that does not match expected type of int32",
                               nbi_dtype_tfname(nbi_in_dtype(op, 1)));
    const nb_shape *s = nbi_in_shape(op, 0), *ks = nbi_in_shape(op, 1);
    if (ks->rank > 0) return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Shape must be rank 0 but is rank %d", ks->rank);
    if (s->rank == 0) return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Shape must be at least rank 1 but is rank 0");
    int64_t k;
    bool known = nbi_const_ints(op, 1, &k, 1) == 1;
    if (known && k < 0) return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Need k >= 0, got %lld", (long long)k);
    nb_shape o = *s;
    if (s->rank > 0) {
        int64_t last = s->dims[s->rank - 1];
        if (known && last >= 0 && last < k)
            return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "input must have last dimension >= k = %lld but is %lld",
                                   (long long)k, (long long)last);
        o.dims[s->rank - 1] = known ? k : NB_DIM_UNKNOWN;
    }
    if (!nbi_set_outputs(op, 2)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = dt;
    op->out_dtype[1] = NB_INT32;
    op->out_shape[0] = op->out_shape[1] = o;
    return NB_OK;
}

typedef struct kv {
    double v;
    int32_t i;
} kv;

/* descending value, ascending index; NaN sorts above everything (as TF's
 * comparison-based selection leaves it first) */
static int kv_cmp(const void *pa, const void *pb) {
    const kv *a = pa, *b = pb;
    bool na = a->v != a->v, nb = b->v != b->v;
    if (na != nb) return na ? -1 : 1;
    if (!na && a->v != b->v) return a->v > b->v ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

static nb_status k_top_k(nbi_kctx *k) {
    const nb_tensor *x = k->in[0], *kt = k->in[1];
    if (kt->rank != 0) {
        char b[64];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "k must be 0-D, got shape %s",
                          nbi_dims_string(kt->rank, kt->dims, false, b, sizeof b));
    }
    int64_t kk = nbi_load_index(kt, 0);
    if (kk < 0) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Need k >= 0, got %lld", (long long)kk);
    if (x->rank < 1) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "input must be >= 1-D, got shape []");
    int64_t n = x->dims[x->rank - 1];
    if (n < kk)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "input must have at least k columns. Had %lld, needed %lld", (long long)n,
                          (long long)kk);
    if (n > INT32_MAX) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "input has more than 2^31 - 1 columns");
    int64_t d[NB_MAX_RANK];
    memcpy(d, x->dims, sizeof(int64_t) * (size_t)x->rank);
    d[x->rank - 1] = kk;
    nb_tensor *vo = nbi_kalloc(k, x->dtype, x->rank, d);
    if (!vo) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = vo;
    nb_tensor *io = nbi_kalloc(k, NB_INT32, x->rank, d);
    if (!io) return NB_ERR_OUT_OF_MEMORY;
    k->out[1] = io;
    if (vo->size == 0) return NB_OK;
    int64_t rows = x->size / n;
    kv *buf = nbi_kscratch(k, (size_t)n * sizeof *buf);
    if (!buf) return NB_ERR_OUT_OF_MEMORY;
    size_t es = nb_dtype_size(x->dtype);
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t j = 0; j < n; j++) {
            buf[j].v = nbi_load(x->data, x->dtype, r * n + j);
            buf[j].i = (int32_t)j;
        }
        qsort(buf, (size_t)n, sizeof *buf, kv_cmp);
        for (int64_t j = 0; j < kk; j++) {
            /* copy the element itself (exact for int64 too) */
            memcpy((char *)vo->data + (size_t)(r * kk + j) * es, (const char *)x->data + (size_t)(r * n + buf[j].i) * es, es);
            ((int32_t *)io->data)[r * kk + j] = buf[j].i;
        }
    }
    return NB_OK;
}

/* nn_grad.py _TopKGrad scatters dy to the chosen positions; here as
 * sum_k one_hot(indices, n)[..., k, :] * dy[..., k, None] (needs n known). */
static void g_top_k(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    if (nb_output_is_nil(dy[0])) return;
    const nb_shape *s = nbi_in_shape(op, 0);
    int64_t n = s->rank > 0 ? s->dims[s->rank - 1] : -1;
    if (n < 0) {
        nbi_graph_error(g, NB_ERR_UNIMPLEMENTED, "gradient of '%s' (op: 'TopKV2') needs a known last dimension of the input",
                        op->name);
        return;
    }
    nb_output oh = nb_one_hot(g, nbi_out(op, 1), n, 1.0, 0.0, nb_output_dtype(dy[0]), NULL);
    nb_output w = nb_multiply(g, oh, nb_expand_dims(g, dy[0], -1, NULL), NULL);
    dx[0] = nb_reduce_sum(g, w, (int[]){-2}, 1, false, NULL);
}

const nbi_opdef nbi_opdef_TOP_K = {
    .type = "TopKV2", .n_inputs = 2, .infer = infer_top_k, .kernel = k_top_k, .grad = g_top_k,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"sorted", NBI_A_B0}),
};

nb_output nb_top_k(nb_graph *g, nb_output x, int k, bool sorted, const char *name) {
    char *scope = nbi_op_scope_push(g, name, "TopKV2");
    if (!scope) return nb_nil;
    nb_output kc = nb_constant_i32(g, k, "k");
    nb_name_scope_pop(g);
    nb_op *op = nbi_op_new(g, NBI_OP_TOP_K, scope, NULL, (nb_output[]){x, kc}, 2);
    nbi_free(scope);
    if (!op) return nb_nil;
    op->attrs.ints[0] = sorted;
    op->attrs.n_ints = 1;
    return nbi_op_finish(op);
}

/*** InTopKV2 ***/

static nb_status infer_in_top_k(nb_op *op) {
    if (nbi_in_dtype(op, 0) != NB_FLOAT32)
        return nbi_infer_error(op, NB_ERR_DTYPE,
                               "Input 'predictions' of 'InTopKV2' Op has type %s that does not match expected type of float",
                               nbi_dtype_tfname(nbi_in_dtype(op, 0)));
    nb_dtype tt = nbi_in_dtype(op, 1);
    if (tt != NB_INT32 && tt != NB_INT64)
        return nbi_infer_error(op, NB_ERR_DTYPE, "Value for attr 'T' of %s is not in the list of allowed values: int32, int64",
                               nbi_dtype_tfname(tt));
    if (nbi_in_dtype(op, 2) != tt)
        return nbi_infer_error(op, NB_ERR_DTYPE,
                               "Input 'k' of 'InTopKV2' Op has type %s that does not match type %s of argument 'targets'",
                               nbi_dtype_tfname(nbi_in_dtype(op, 2)), nbi_dtype_tfname(tt));
    const nb_shape *p = nbi_in_shape(op, 0), *t = nbi_in_shape(op, 1), *ks = nbi_in_shape(op, 2);
    if (p->rank >= 0 && p->rank != 2)
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Shape must be rank 2 but is rank %d", p->rank);
    if (t->rank >= 0 && t->rank != 1)
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Shape must be rank 1 but is rank %d", t->rank);
    if (ks->rank > 0) return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Shape must be rank 0 but is rank %d", ks->rank);
    int64_t b = p->rank == 2 ? p->dims[0] : NB_DIM_UNKNOWN, bt = t->rank == 1 ? t->dims[0] : NB_DIM_UNKNOWN;
    if (b >= 0 && bt >= 0 && b != bt)
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Dimensions must be equal, but are %lld and %lld", (long long)b,
                               (long long)bt);
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = NB_BOOL;
    int64_t d = b >= 0 ? b : bt;
    op->out_shape[0] = nb_shape_make(1, &d);
    return NB_OK;
}

static nb_status k_in_top_k(nbi_kctx *k) {
    const nb_tensor *p = k->in[0], *t = k->in[1], *kt = k->in[2];
    if (p->rank != 2) {
        char b[64];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "predictions must be 2-dimensional, got %s",
                          nbi_dims_string(p->rank, p->dims, false, b, sizeof b));
    }
    if (t->rank != 1) {
        char b[64];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "targets must be 1-dimensional, got %s",
                          nbi_dims_string(t->rank, t->dims, false, b, sizeof b));
    }
    if (p->dims[0] != t->dims[0])
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "First dimension of predictions %lld must match length of targets %lld",
                          (long long)p->dims[0], (long long)t->dims[0]);
    if (kt->rank != 0) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "k must be 0 D");
    int64_t kk = nbi_load_index(kt, 0), n = p->dims[1];
    nb_tensor *o = nbi_kalloc(k, NB_BOOL, 1, p->dims);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    const float *pr = p->data;
    uint8_t *y = o->data;
    for (int64_t b = 0; b < p->dims[0]; b++) {
        int64_t target = nbi_load_index(t, b);
        const float *row = pr + b * n;
        /* TF: an out-of-range target or a non-finite prediction: "cannot say", false */
        bool cannot = target < 0 || target >= n || !isfinite(row[target]);
        int64_t more = 0;
        for (int64_t j = 0; j < n && !cannot; j++) {
            if (!isfinite(row[j])) cannot = true;
            else if (row[j] > row[target]) more++;
        }
        y[b] = !cannot && more < kk;
    }
    return NB_OK;
}

const nbi_opdef nbi_opdef_IN_TOP_K = {
    .type = "InTopKV2", .n_inputs = 3, .flags = NBI_NO_GRAD, .infer = infer_in_top_k, .kernel = k_in_top_k,
    .attrs = NBI_ATTRS({"T", NBI_A_T_IN1}),
};

nb_output nb_in_top_k(nb_graph *g, nb_output predictions, nb_output targets, int k, const char *name) {
    /* tf.nn.in_top_k: name_scope(name, "in_top_k"), then the op named `name`
     * (default "InTopKV2") inside it, its k converted in the op's own scope */
    if (!nbi_graph_ok(g)) return nb_nil;
    char *outer = nbi_op_scope_push(g, name, "in_top_k");
    if (!outer) return nb_nil;
    char *scope = nbi_op_scope_push(g, name, "InTopKV2");
    nb_output r = nb_nil;
    if (scope) {
        int64_t kv64 = k;
        nb_dtype tt = nb_output_is_nil(targets) ? NB_INT32 : nb_output_dtype(targets);
        nb_output kc = nbi_const_ints_node(g, tt == NB_INT64 ? NB_INT64 : NB_INT32, &kv64, 1, true, "k");
        nb_name_scope_pop(g);
        r = nbi_op_finish(nbi_op_new(g, NBI_OP_IN_TOP_K, scope, NULL, (nb_output[]){predictions, targets, kc}, 3));
        nbi_free(scope);
    }
    nb_name_scope_pop(g);
    nbi_free(outer);
    return r;
}

/*** Where ***/

static nb_status infer_where(nb_op *op) {
    nb_dtype dt = nbi_in_dtype(op, 0);
    if (!is_real(dt) && dt != NB_BOOL)
        return nbi_infer_error(op, NB_ERR_DTYPE, "Value for attr 'T' of %s is not in the list of allowed values",
                               nbi_dtype_tfname(dt));
    const nb_shape *s = nbi_in_shape(op, 0);
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = NB_INT64;
    int64_t d[2] = {NB_DIM_UNKNOWN, s->rank >= 0 ? s->rank : NB_DIM_UNKNOWN};
    op->out_shape[0] = nb_shape_make(2, d);
    return NB_OK;
}

static nb_status k_where(nbi_kctx *k) {
    const nb_tensor *x = k->in[0];
    int r = x->rank;
    int64_t count = 0;
    for (int64_t e = 0; e < x->size; e++) count += nbi_load(x->data, x->dtype, e) != 0;
    int64_t d[2] = {count, r};
    nb_tensor *o = nbi_kalloc(k, NB_INT64, 2, d);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    int64_t *y = o->data, idx[NB_MAX_RANK] = {0};
    for (int64_t e = 0; e < x->size; e++) {
        if (nbi_load(x->data, x->dtype, e) != 0) {
            memcpy(y, idx, sizeof(int64_t) * (size_t)r);
            y += r;
        }
        for (int i = r - 1; i >= 0; i--) {
            if (++idx[i] < x->dims[i]) break;
            idx[i] = 0;
        }
    }
    return NB_OK;
}

const nbi_opdef nbi_opdef_WHERE = {
    .type = "Where", .n_inputs = 1, .flags = NBI_NO_GRAD, .infer = infer_where, .kernel = k_where,
    .attrs = NBI_ATTRS_T,
};

nb_output nb_where_true(nb_graph *g, nb_output condition, const char *name) {
    return nbi_op_finish(nbi_op_new(g, NBI_OP_WHERE, name, NULL, &condition, 1));
}
