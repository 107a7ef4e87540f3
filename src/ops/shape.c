/*
 * shape.c — the ops about a tensor's shape rather than its values: Shape,
 * Size, Rank and BroadcastGradientArgs read it; Reshape, ExpandDims and
 * Squeeze change it without moving an element.
 * (layout.c moves elements; index.c picks, places and generates them.)
 *
 * Semantics, error texts and gradients follow TensorFlow 1.x (array_ops.cc
 * shape functions, the CPU kernels, array_grad.py).
 */
#include "array_impl.h"
#include "nb_internal.h"
#include "graph/graphdef_attrs.h"

#include <math.h>
#include <stdio.h>

/*** Shape, Size, Rank ***/

/* Shape and Size have TF's out_type: int32 unless int64 was asked for (in
 * attrs.dtype, by nb_shape_of_ex / nb_size_ex or a GraphDef's out_type). */
static nb_dtype out_type(const nb_op *op) {
    return op->type != NBI_OP_RANK && op->attrs.dtype == NB_INT64 ? NB_INT64 : NB_INT32;
}

static nb_status infer_shape(nb_op *op) {
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = out_type(op);
    const nb_shape *s = nbi_in_shape(op, 0);
    if (op->type == NBI_OP_SHAPE) {
        op->out_shape[0] = nb_shape_make(1, (int64_t[]){s->rank >= 0 ? s->rank : -1});
    } else {
        op->out_shape[0] = nb_shape_make(0, NULL);
    }
    return NB_OK;
}

static nb_status k_shape(nbi_kctx *k) {
    const nb_tensor *x = k->in[0];
    nb_dtype dt = out_type(k->op);
    int64_t r = x->rank;
    nb_tensor *o;
    if (k->op->type == NBI_OP_SHAPE) {
        for (int i = 0; i < x->rank; i++)
            if (dt == NB_INT32 && x->dims[i] > INT32_MAX) /* TF's words, double space included */
                return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Shape output type is 32-bit  but dim %d is %lld",
                                  i, (long long)x->dims[i]);
        o = nbi_kalloc(k, dt, 1, &r);
        if (!o) return NB_ERR_OUT_OF_MEMORY;
        for (int i = 0; i < x->rank; i++) nbi_store_int(o->data, dt, i, x->dims[i]);
    } else {
        int64_t v = k->op->type == NBI_OP_SIZE ? x->size : x->rank;
        if (dt == NB_INT32 && v > INT32_MAX)
            return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                              "Number of elements was larger than representable by 32-bit output type");
        o = nbi_kalloc(k, dt, 0, NULL);
        if (!o) return NB_ERR_OUT_OF_MEMORY;
        nbi_store_int(o->data, dt, 0, v);
    }
    k->out[0] = o;
    return NB_OK;
}

/* Shape's value while building, when its input's shape is known (cached in
 * op->value): what lets a reshape to tf.shape(x) be checked at build time. */
static const nb_tensor *const_value_of_shape(nb_op *op) {
    if (!op->value) {
        const nb_shape *s = nbi_in_shape(op, 0);
        if (!nbi_shape_known(s)) return NULL;
        int64_t r = s->rank;
        nb_tensor *t = nbi_tensor_alloc(op->out_dtype[0], 1, &r);
        if (!t) return NULL;
        for (int k = 0; k < s->rank; k++)
            if (!nbi_store_int(t->data, t->dtype, k, s->dims[k])) { /* int32 cannot hold it: */
                nb_tensor_unref(t);                                  /* the kernel says so */
                return NULL;
            }
        op->value = t;
    }
    return op->value;
}

const nbi_opdef nbi_opdef_SHAPE = {
    .type = "Shape", .n_inputs = 1, .flags = NBI_NO_GRAD, .infer = infer_shape, .kernel = k_shape,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"out_type", NBI_A_OUT_TYPE}),
    .const_value = const_value_of_shape,
};
const nbi_opdef nbi_opdef_SIZE = {
    .type = "Size", .n_inputs = 1, .flags = NBI_NO_GRAD, .infer = infer_shape, .kernel = k_shape,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"out_type", NBI_A_OUT_TYPE}),
};
const nbi_opdef nbi_opdef_RANK = {
    .type = "Rank", .n_inputs = 1, .flags = NBI_NO_GRAD, .infer = infer_shape, .kernel = k_shape,
    .attrs = NBI_ATTRS_T,
};

nb_output nb_shape_of(nb_graph *g, nb_output x, const char *name) {
    return nbi_unary(g, NBI_OP_SHAPE, x, name, NULL);
}
nb_output nb_size(nb_graph *g, nb_output x, const char *name) {
    return nbi_unary(g, NBI_OP_SIZE, x, name, NULL);
}
static nb_output shape_or_size_ex(nb_graph *g, int type, nb_output x, nb_dtype out, const char *name,
                                  const char *fn) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (out != NB_INT32 && out != NB_INT64) {
        nbi_graph_error(g, NB_ERR_DTYPE,
                        "%s: Value for attr 'out_type' of %s is not in the list of allowed values: int32, int64",
                        fn, nbi_dtype_valid(out) ? nbi_dtype_tfname(out) : "an invalid dtype");
        return nb_nil;
    }
    nb_op *op = nbi_op_new(g, type, name, NULL, &x, 1);
    if (!op) return nb_nil;
    op->attrs.dtype = out;
    return nbi_op_finish(op);
}
nb_output nb_shape_of_ex(nb_graph *g, nb_output x, nb_dtype out_type, const char *name) {
    return shape_or_size_ex(g, NBI_OP_SHAPE, x, out_type, name, "nb_shape_of_ex");
}
nb_output nb_size_ex(nb_graph *g, nb_output x, nb_dtype out_type, const char *name) {
    return shape_or_size_ex(g, NBI_OP_SIZE, x, out_type, name, "nb_size_ex");
}
nb_output nb_rank(nb_graph *g, nb_output x, const char *name) {
    return nbi_unary(g, NBI_OP_RANK, x, name, NULL);
}

/*** Reshape ***/

static nb_status infer_reshape(nb_op *op) {
    nb_dtype sdt = nbi_in_dtype(op, 1);
    if (sdt != NB_INT32 && sdt != NB_INT64)
        return nbi_infer_error(op, NB_ERR_DTYPE, "shape must be int32 or int64, got %s", nbi_dtype_tfname(sdt));
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 0);
    int64_t req[NB_MAX_RANK];
    int r = nbi_const_ints(op, 1, req, NB_MAX_RANK);
    if (r < 0) {
        const nb_shape *ss = nbi_in_shape(op, 1);
        op->out_shape[0] = nb_shape_make(ss->rank == 1 && ss->dims[0] >= 0 ? (int)ss->dims[0] : -1,
                                         (int64_t[NB_MAX_RANK]){-1, -1, -1, -1, -1, -1, -1, -1});
        return NB_OK;
    }
    const nb_shape *in = nbi_in_shape(op, 0);
    int64_t n = nbi_shape_numel(in);
    int64_t out[NB_MAX_RANK];
    if (n >= 0) {
        if (!nbi_resolve_dims(r, req, n, out)) {
            char b[256];
            return nbi_infer_error(op, NB_ERR_SHAPE,
                                   "Cannot reshape a tensor with %lld elements to shape %s",
                                   (long long)n, nbi_dims_string(r, req, false, b, sizeof b));
        }
    } else {
        for (int i = 0; i < r; i++) out[i] = req[i] < 0 ? -1 : req[i];
    }
    op->out_shape[0] = nb_shape_make(r, out);
    return NB_OK;
}

static nb_status k_reshape(nbi_kctx *k) {
    nb_tensor *x = k->in[0];
    const nb_tensor *s = k->in[1];
    if (s->rank > 1 || s->size > NB_MAX_RANK)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "shape must be a vector of at most %d elements", NB_MAX_RANK);
    int64_t req[NB_MAX_RANK], out[NB_MAX_RANK];
    int r = (int)s->size;
    for (int i = 0; i < r; i++) req[i] = nbi_load_int(s->data, s->dtype, i);
    if (!nbi_resolve_dims(r, req, x->size, out)) {
        char b[256];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                          "Input to reshape is a tensor with %lld values, but the requested shape has %s",
                          (long long)x->size, nbi_dims_string(r, req, false, b, sizeof b));
    }
    nb_tensor *v = nbi_kview(k, x, r, out);
    if (!v) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = v;
    return NB_OK;
}

static void g_reshape(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_shape s = *nbi_in_shape(op, 0);
    if (nbi_shape_known(&s))
        dx[0] = nb_reshape(g, dy[0], s.rank, s.dims, NULL);
    else
        dx[0] = nb_reshape_t(g, dy[0], nb_shape_of(g, op->inputs[0], NULL), NULL);
}

const nbi_opdef nbi_opdef_RESHAPE = {
    .type = "Reshape", .n_inputs = 2, .infer = infer_reshape, .kernel = k_reshape, .grad = g_reshape,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"Tshape", NBI_A_T_IN1}),
};

nb_output nb_reshape_t(nb_graph *g, nb_output x, nb_output shape, const char *name) {
    return nbi_binary(g, NBI_OP_RESHAPE, x, shape, name, NULL);
}

nb_output nb_reshape(nb_graph *g, nb_output x, int rank, const int64_t *dims, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (rank < 0 || rank > NB_MAX_RANK || (rank && !dims)) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_reshape: bad rank %d", rank);
        return nb_nil;
    }
    char *scope = nbi_op_scope_push(g, name, "Reshape");
    if (!scope) return nb_nil;
    nb_output s = nbi_const_ints_node(g, NB_INT32, dims, rank, false, "shape");
    nb_name_scope_pop(g);
    nb_output r = nbi_binary(g, NBI_OP_RESHAPE, x, s, scope, NULL);
    nbi_free(scope);
    return r;
}

/*** ExpandDims ***/

static nb_status infer_expand_dims(nb_op *op) {
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 0);
    const nb_shape *s = nbi_in_shape(op, 0), *ds = nbi_in_shape(op, 1);
    if (ds->rank > 1 || (ds->rank == 1 && ds->dims[0] > 1))
        return nbi_infer_error(op, NB_ERR_SHAPE, "'dim' must be a tensor with a single value");
    int64_t ax;
    if (s->rank >= 0 && s->rank < NB_MAX_RANK && nbi_const_ints(op, 1, &ax, 1) != 1) {
        op->out_shape[0] = nb_shape_make(s->rank + 1, (int64_t[NB_MAX_RANK]){-1, -1, -1, -1, -1, -1, -1, -1});
        return NB_OK;
    }
    if (s->rank < 0) return NB_OK;
    if (ax < -(s->rank + 1) || ax > s->rank || s->rank + 1 > NB_MAX_RANK)
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Tried to expand dim index %lld for tensor with %d dimensions",
                               (long long)ax, s->rank);
    if (ax < 0) ax += s->rank + 1;
    nb_shape o;
    o.rank = s->rank + 1;
    for (int i = 0, j = 0; i < o.rank; i++) o.dims[i] = i == ax ? 1 : s->dims[j++];
    op->out_shape[0] = o;
    return NB_OK;
}

static nb_status k_expand_dims(nbi_kctx *k) {
    nb_tensor *x = k->in[0];
    if (k->in[1]->size != 1)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "'dim' must be a tensor with a single value");
    int64_t ax = nbi_load_int(k->in[1]->data, k->in[1]->dtype, 0);
    if (ax < -(x->rank + 1) || ax > x->rank || x->rank + 1 > NB_MAX_RANK)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Tried to expand dim index %lld for tensor with %d dimensions",
                          (long long)ax, x->rank);
    if (ax < 0) ax += x->rank + 1;
    int64_t d[NB_MAX_RANK];
    for (int i = 0, j = 0; i < x->rank + 1; i++) d[i] = i == ax ? 1 : x->dims[j++];
    nb_tensor *v = nbi_kview(k, x, x->rank + 1, d);
    if (!v) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = v;
    return NB_OK;
}

const nbi_opdef nbi_opdef_EXPAND_DIMS = {
    .type = "ExpandDims", .n_inputs = 2, .infer = infer_expand_dims, .kernel = k_expand_dims, .grad = g_reshape,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"Tdim", NBI_A_T_IN1}),
};

nb_output nb_expand_dims(nb_graph *g, nb_output x, int axis, const char *name) {
    char *scope = nbi_op_scope_push(g, name, "ExpandDims");
    if (!scope) return nb_nil;
    int64_t a = axis;
    nb_output d = nbi_const_ints_node(g, NB_INT32, &a, 1, true, "dim");
    nb_name_scope_pop(g);
    nb_output r = nbi_binary(g, NBI_OP_EXPAND_DIMS, x, d, scope, NULL);
    nbi_free(scope);
    return r;
}

/*** Squeeze ***/

static nb_status infer_squeeze(nb_op *op) {
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 0);
    const nb_shape *s = nbi_in_shape(op, 0);
    if (s->rank < 0) return NB_OK;
    bool drop[NB_MAX_RANK] = {false};
    for (int k = 0; k < op->attrs.n_ints; k++) {
        int64_t a = op->attrs.ints[k];
        if (a < -s->rank || a >= s->rank)
            return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT,
                                   "Tried to squeeze dim index %lld for tensor with %d dimensions",
                                   (long long)a, s->rank);
        drop[a < 0 ? a + s->rank : a] = true;
    }
    nb_shape o = {0, {0}};
    for (int i = 0; i < s->rank; i++) {
        int64_t d = s->dims[i];
        if (drop[i]) {
            if (d >= 0 && d != 1)
                return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT,
                                       "Can not squeeze dim[%d], expected a dimension of 1, got %lld",
                                       i, (long long)d);
            continue;
        }
        if (op->attrs.n_ints == 0) {
            if (d == 1) continue;
            if (d < 0) return NB_OK; /* may or may not be squeezed: rank unknown */
        }
        o.dims[o.rank++] = d;
    }
    op->out_shape[0] = o;
    return NB_OK;
}

static nb_status k_squeeze(nbi_kctx *k) {
    nb_tensor *x = k->in[0];
    const nbi_attrs *at = &k->op->attrs;
    bool drop[NB_MAX_RANK] = {false};
    for (int j = 0; j < at->n_ints; j++) {
        int64_t a = at->ints[j];
        if (a < -x->rank || a >= x->rank)
            return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                              "Tried to squeeze dim index %lld for tensor with %d dimensions",
                              (long long)a, x->rank);
        drop[a < 0 ? a + x->rank : a] = true;
    }
    int64_t d[NB_MAX_RANK];
    int r = 0;
    for (int i = 0; i < x->rank; i++) {
        if (drop[i] && x->dims[i] != 1)
            return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                              "Can not squeeze dim[%d], expected a dimension of 1, got %lld", i,
                              (long long)x->dims[i]);
        if (drop[i] || (at->n_ints == 0 && x->dims[i] == 1)) continue;
        d[r++] = x->dims[i];
    }
    nb_tensor *v = nbi_kview(k, x, r, d);
    if (!v) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = v;
    return NB_OK;
}

static void g_squeeze(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = reshape_like(g, dy[0], op->inputs[0]);
}

const nbi_opdef nbi_opdef_SQUEEZE = {
    .type = "Squeeze", .n_inputs = 1, .infer = infer_squeeze, .kernel = k_squeeze, .grad = g_squeeze,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"squeeze_dims", NBI_A_INTS}),
};

nb_output nb_squeeze(nb_graph *g, nb_output x, const int *axes, int n_axes, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (n_axes < 0 || n_axes > 2 * NB_MAX_RANK || (n_axes && !axes)) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_squeeze: bad axes (n_axes %d)", n_axes);
        return nb_nil;
    }
    nb_op *op = nbi_op_new(g, NBI_OP_SQUEEZE, name, NULL, &x, 1);
    if (!op) return nb_nil;
    op->attrs.n_ints = n_axes;
    for (int i = 0; i < n_axes; i++) op->attrs.ints[i] = axes[i];
    return nbi_op_finish(op);
}

/*** BroadcastGradientArgs ***/

static nb_status infer_bga(nb_op *op) {
    if (!nbi_set_outputs(op, 2)) return NB_ERR_OUT_OF_MEMORY;
    for (int i = 0; i < 2; i++) {
        op->out_dtype[i] = NB_INT32;
        op->out_shape[i] = nb_shape_make(1, (int64_t[]){-1});
    }
    return NB_OK;
}

static nb_status k_bga(nbi_kctx *k) {
    const nb_tensor *a = k->in[0], *b = k->in[1];
    int ra = (int)a->size, rb = (int)b->size;
    if (ra > NB_MAX_RANK || rb > NB_MAX_RANK)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "shapes of rank above %d", NB_MAX_RANK);
    int r = ra > rb ? ra : rb;
    int64_t da[NB_MAX_RANK], db[NB_MAX_RANK];
    for (int i = 0; i < r; i++) {
        int ia = i - (r - ra), ib = i - (r - rb);
        da[i] = ia >= 0 ? nbi_load_int(a->data, a->dtype, ia) : 1;
        db[i] = ib >= 0 ? nbi_load_int(b->data, b->dtype, ib) : 1;
    }
    int32_t rx[NB_MAX_RANK], ry[NB_MAX_RANK];
    int nx = 0, ny = 0;
    for (int i = 0; i < r; i++) {
        if (da[i] != db[i] && da[i] != 1 && db[i] != 1) {
            char sa[128], sb[128];
            return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Incompatible shapes: %s vs. %s",
                              nbi_dims_string(r, da, false, sa, sizeof sa), nbi_dims_string(r, db, false, sb, sizeof sb));
        }
        if (da[i] == 1 && db[i] != 1) rx[nx++] = i;
        else if (db[i] == 1 && da[i] != 1) ry[ny++] = i;
        else if (da[i] == 1 && db[i] == 1) { rx[nx++] = i; ry[ny++] = i; }
    }
    int64_t n0 = nx, n1 = ny;
    nb_tensor *o0 = nbi_kalloc(k, NB_INT32, 1, &n0);
    if (!o0) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o0;
    nb_tensor *o1 = nbi_kalloc(k, NB_INT32, 1, &n1);
    if (!o1) return NB_ERR_OUT_OF_MEMORY;
    k->out[1] = o1;
    if (nx) memcpy(o0->data, rx, sizeof(int32_t) * (size_t)nx);
    if (ny) memcpy(o1->data, ry, sizeof(int32_t) * (size_t)ny);
    return NB_OK;
}

const nbi_opdef nbi_opdef_BROADCAST_GRADIENT_ARGS = {
    .type = "BroadcastGradientArgs", .n_inputs = 2, .flags = NBI_NO_GRAD, .infer = infer_bga, .kernel = k_bga,
    .attrs = NBI_ATTRS_T,
};
