/*
 * array.c — shape-manipulating ops the gradients rely on: Shape, Size, Rank,
 * Reshape, ExpandDims, Transpose, Tile, Fill, ZerosLike, OnesLike and
 * BroadcastGradientArgs. (The other array ops are in array_more.c.)
 */
#include "nb_internal.h"

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

const nbi_opdef nbi_opdef_SHAPE = {"Shape", 1, NBI_NO_GRAD, infer_shape, k_shape, NULL};
const nbi_opdef nbi_opdef_SIZE = {"Size", 1, NBI_NO_GRAD, infer_shape, k_shape, NULL};
const nbi_opdef nbi_opdef_RANK = {"Rank", 1, NBI_NO_GRAD, infer_shape, k_shape, NULL};

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

const nbi_opdef nbi_opdef_RESHAPE = {"Reshape", 2, 0, infer_reshape, k_reshape, g_reshape};

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

const nbi_opdef nbi_opdef_EXPAND_DIMS = {"ExpandDims", 2, 0, infer_expand_dims, k_expand_dims, g_reshape};

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

/*** Transpose ***/

static bool valid_perm(const int64_t *p, int n) {
    int seen[NB_MAX_RANK] = {0};
    for (int i = 0; i < n; i++) {
        if (p[i] < 0 || p[i] >= n || seen[p[i]]) return false;
        seen[p[i]] = 1;
    }
    return true;
}

static nb_status infer_transpose(nb_op *op) {
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 0);
    const nb_shape *s = nbi_in_shape(op, 0);
    int64_t p[NB_MAX_RANK];
    int n = nbi_const_ints(op, 1, p, NB_MAX_RANK);
    if (n < 0) {
        op->out_shape[0] = nb_shape_make(s->rank, (int64_t[NB_MAX_RANK]){-1, -1, -1, -1, -1, -1, -1, -1});
        return NB_OK;
    }
    if (s->rank >= 0 && n != s->rank)
        return nbi_infer_error(op, NB_ERR_SHAPE, "Dimension must be %d but is %d", s->rank, n);
    if (!valid_perm(p, n))
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "transpose expects a permutation of 0..%d", n - 1);
    nb_shape o;
    o.rank = n;
    for (int i = 0; i < n; i++) o.dims[i] = s->rank >= 0 ? s->dims[p[i]] : -1;
    op->out_shape[0] = o;
    return NB_OK;
}

static nb_status k_transpose(nbi_kctx *k) {
    nb_tensor *x = k->in[0];
    const nb_tensor *pt = k->in[1];
    int n = (int)pt->size;
    int64_t p[NB_MAX_RANK], d[NB_MAX_RANK];
    if (n != x->rank)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "transpose expects a vector of size %d. But input(1) is a vector of size %d",
                          x->rank, n);
    for (int i = 0; i < n; i++) p[i] = nbi_load_int(pt->data, pt->dtype, i);
    if (!valid_perm(p, n))
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "transpose expects a permutation");
    for (int i = 0; i < n; i++) d[i] = x->dims[p[i]];
    /* If the permutation only moves size-1 dims, the data order is unchanged. */
    bool trivial = true;
    for (int i = 0, last = -1; i < n; i++) {
        if (x->dims[p[i]] == 1) continue;
        if (p[i] < last) trivial = false;
        last = (int)p[i];
    }
    if (trivial) {
        nb_tensor *v = nbi_kview(k, x, n, d);
        if (!v) return NB_ERR_OUT_OF_MEMORY;
        k->out[0] = v;
        return NB_OK;
    }
    nb_tensor *o = nbi_kalloc(k, x->dtype, n, d);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    /* Empty: nothing to move, and the strides of [0, 3, 2^62] overflow int64. */
    if (o->size == 0) return NB_OK;
    int64_t xs[NB_MAX_RANK], st[NB_MAX_RANK], idx[NB_MAX_RANK] = {0};
    int64_t acc = 1;
    for (int i = n - 1; i >= 0; i--) {
        xs[i] = acc;
        acc *= x->dims[i];
    }
    for (int i = 0; i < n; i++) st[i] = xs[p[i]];
    size_t es = nb_dtype_size(x->dtype);
    int64_t off = 0;
    for (int64_t i = 0; i < o->size; i++) {
        if (es == 4)
            ((uint32_t *)o->data)[i] = ((const uint32_t *)x->data)[off];
        else if (es == 8)
            ((uint64_t *)o->data)[i] = ((const uint64_t *)x->data)[off];
        else
            ((uint8_t *)o->data)[i] = ((const uint8_t *)x->data)[off];
        for (int j = n - 1; j >= 0; j--) {
            off += st[j];
            if (++idx[j] < d[j]) break;
            off -= st[j] * d[j];
            idx[j] = 0;
        }
    }
    return NB_OK;
}

static void g_transpose(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    int64_t p[NB_MAX_RANK];
    int n = nbi_const_ints(op, 1, p, NB_MAX_RANK);
    if (n < 0) {
        nbi_graph_error(g, NB_ERR_UNIMPLEMENTED, "gradient of '%s' needs a constant permutation", op->name);
        return;
    }
    int inv[NB_MAX_RANK];
    for (int i = 0; i < n; i++) inv[p[i]] = i;
    dx[0] = nb_transpose(g, dy[0], inv, n, NULL);
}

const nbi_opdef nbi_opdef_TRANSPOSE = {"Transpose", 2, 0, infer_transpose, k_transpose, g_transpose};

nb_output nb_transpose(nb_graph *g, nb_output x, const int *perm, int n_perm, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    int64_t p[NB_MAX_RANK];
    int n = n_perm;
    if (!perm) {
        nb_shape s = nb_output_shape(x);
        if (s.rank < 0) {
            nbi_graph_error(g, NB_ERR_UNIMPLEMENTED, "nb_transpose: without perm the input's rank must be known");
            return nb_nil;
        }
        n = s.rank;
        for (int i = 0; i < n; i++) p[i] = n - 1 - i;
    } else {
        if (n < 0 || n > NB_MAX_RANK) {
            nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_transpose: bad perm length %d", n);
            return nb_nil;
        }
        for (int i = 0; i < n; i++) p[i] = perm[i];
    }
    char *scope = nbi_op_scope_push(g, name, "transpose");
    if (!scope) return nb_nil;
    nb_output pc = nbi_const_ints_node(g, NB_INT32, p, n, false, "perm");
    nb_name_scope_pop(g);
    nb_output r = nbi_binary(g, NBI_OP_TRANSPOSE, x, pc, scope, NULL);
    nbi_free(scope);
    return r;
}

/*** Tile ***/

static nb_status infer_tile(nb_op *op) {
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 0);
    const nb_shape *s = nbi_in_shape(op, 0);
    int64_t m[NB_MAX_RANK];
    int n = nbi_const_ints(op, 1, m, NB_MAX_RANK);
    if (n < 0 || s->rank < 0) {
        op->out_shape[0] = nb_shape_make(s->rank, (int64_t[NB_MAX_RANK]){-1, -1, -1, -1, -1, -1, -1, -1});
        return NB_OK;
    }
    if (n != s->rank)
        return nbi_infer_error(op, NB_ERR_SHAPE, "Expected multiples argument to be a vector of length %d but got length %d",
                               s->rank, n);
    nb_shape o;
    o.rank = n;
    for (int i = 0; i < n; i++) {
        if (m[i] < 0) return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Expected multiples[%d] >= 0, but got %lld", i, (long long)m[i]);
        if (s->dims[i] < 0) {
            o.dims[i] = -1;
        } else if (!nbi_dim_mul(s->dims[i], m[i], &o.dims[i])) {
            return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT,
                                   "Negative dimension size caused by overflow when multiplying %lld and %lld",
                                   (long long)s->dims[i], (long long)m[i]);
        }
    }
    op->out_shape[0] = o;
    return NB_OK;
}

static nb_status k_tile(nbi_kctx *k) {
    const nb_tensor *x = k->in[0], *mt = k->in[1];
    int n = x->rank;
    if (mt->size != n)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Expected multiples argument to be a vector of length %d but got length %lld",
                          n, (long long)mt->size);
    int64_t d[NB_MAX_RANK];
    for (int i = 0; i < n; i++) {
        int64_t m = nbi_load_int(mt->data, mt->dtype, i);
        if (m < 0) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Expected multiples[%d] >= 0, but got %lld", i, (long long)m);
        if (!nbi_dim_mul(x->dims[i], m, &d[i]))
            return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                              "Negative dimension size caused by overflow when multiplying %lld and %lld",
                              (long long)x->dims[i], (long long)m);
    }
    nb_status st = nbi_kcheck_numel(k, x->dtype, n, d);
    if (st != NB_OK) return st;
    nb_tensor *o = nbi_kalloc(k, x->dtype, n, d);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    if (o->size == 0) return NB_OK;
    size_t es = nb_dtype_size(x->dtype);
    if (x->size == 1) { /* broadcasting a single value: a fill */
        if (es == 4) {
            uint32_t v;
            memcpy(&v, x->data, 4);
            for (int64_t i = 0; i < o->size; i++) ((uint32_t *)o->data)[i] = v;
        } else {
            for (int64_t i = 0; i < o->size; i++) memcpy((char *)o->data + (size_t)i * es, x->data, es);
        }
        return NB_OK;
    }
    /* Row by row: each output row (last dim) is the matching input row repeated. */
    int64_t xs[NB_MAX_RANK], idx[NB_MAX_RANK] = {0};
    int64_t acc = 1;
    for (int i = n - 1; i >= 0; i--) {
        xs[i] = acc;
        acc *= x->dims[i];
    }
    int64_t row = x->dims[n - 1], reps = d[n - 1] / (row ? row : 1);
    int64_t rows = o->size / d[n - 1];
    size_t row_bytes = (size_t)row * es;
    char *dst = o->data;
    for (int64_t r = 0; r < rows; r++) {
        int64_t off = 0;
        for (int j = 0; j < n - 1; j++) off += (idx[j] % x->dims[j]) * xs[j];
        const char *src = (const char *)x->data + (size_t)off * es;
        for (int64_t m = 0; m < reps; m++, dst += row_bytes) memcpy(dst, src, row_bytes);
        for (int j = n - 2; j >= 0; j--) {
            if (++idx[j] < d[j]) break;
            idx[j] = 0;
        }
    }
    return NB_OK;
}

static void g_tile(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    /* Sum the copies: reshape dy to [m0, d0, m1, d1, ...] and reduce the m axes. */
    const nb_shape *s = nbi_in_shape(op, 0);
    int64_t m[NB_MAX_RANK];
    int n = nbi_const_ints(op, 1, m, NB_MAX_RANK);
    if (n < 0 || !nbi_shape_known(s) || 2 * n > NB_MAX_RANK) {
        nbi_graph_error(g, NB_ERR_UNIMPLEMENTED, "gradient of '%s' needs constant multiples, a known input shape and rank <= 4", op->name);
        return;
    }
    int64_t split[NB_MAX_RANK];
    int axes[NB_MAX_RANK];
    for (int i = 0; i < n; i++) {
        split[2 * i] = m[i];
        split[2 * i + 1] = s->dims[i];
        axes[i] = 2 * i;
    }
    nb_output r = nb_reshape(g, dy[0], 2 * n, split, NULL);
    dx[0] = nb_reduce_sum(g, r, axes, n, false, NULL);
}

const nbi_opdef nbi_opdef_TILE = {"Tile", 2, 0, infer_tile, k_tile, g_tile};

nb_output nb_tile(nb_graph *g, nb_output x, const int64_t *multiples, int rank, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (rank < 0 || rank > NB_MAX_RANK || (rank && !multiples)) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_tile: bad multiples");
        return nb_nil;
    }
    char *scope = nbi_op_scope_push(g, name, "Tile");
    if (!scope) return nb_nil;
    nb_output m = nbi_const_ints_node(g, NB_INT32, multiples, rank, false, "multiples");
    nb_name_scope_pop(g);
    nb_output r = nbi_binary(g, NBI_OP_TILE, x, m, scope, NULL);
    nbi_free(scope);
    return r;
}

/*** Fill, ZerosLike, OnesLike ***/

static nb_status infer_fill(nb_op *op) {
    nb_dtype ddt = nbi_in_dtype(op, 0);
    if (ddt != NB_INT32 && ddt != NB_INT64)
        return nbi_infer_error(op, NB_ERR_DTYPE, "dims must be int32 or int64");
    const nb_shape *vs = nbi_in_shape(op, 1);
    if (vs->rank > 0) return nbi_infer_error(op, NB_ERR_SHAPE, "value must be a scalar");
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 1);
    int64_t d[NB_MAX_RANK];
    int n = nbi_const_ints(op, 0, d, NB_MAX_RANK);
    if (n >= 0) {
        op->out_shape[0] = nb_shape_make(n, d);
    } else {
        const nb_shape *ds = nbi_in_shape(op, 0);
        op->out_shape[0] = nb_shape_make(ds->rank == 1 && ds->dims[0] >= 0 ? (int)ds->dims[0] : -1,
                                         (int64_t[NB_MAX_RANK]){-1, -1, -1, -1, -1, -1, -1, -1});
    }
    return NB_OK;
}

static nb_status fill_value(nbi_kctx *k, nb_dtype dt, int rank, const int64_t *d, const void *v) {
    nb_tensor *o = nbi_kalloc(k, dt, rank, d);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    size_t es = nb_dtype_size(dt);
    if (es == 4) {
        uint32_t x;
        memcpy(&x, v, 4);
        for (int64_t i = 0; i < o->size; i++) ((uint32_t *)o->data)[i] = x;
    } else {
        for (int64_t i = 0; i < o->size; i++) memcpy((char *)o->data + (size_t)i * es, v, es);
    }
    return NB_OK;
}

static nb_status k_fill(nbi_kctx *k) {
    const nb_tensor *dt = k->in[0], *v = k->in[1];
    if (dt->rank != 1 || dt->size > NB_MAX_RANK)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "dims must be a vector of at most %d elements", NB_MAX_RANK);
    if (v->rank != 0) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "value must be a scalar");
    int64_t d[NB_MAX_RANK];
    for (int i = 0; i < dt->size; i++) {
        d[i] = nbi_load_int(dt->data, dt->dtype, i);
        if (d[i] < 0) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "dims[%d] = %lld must be >= 0", i, (long long)d[i]);
    }
    nb_status st = nbi_kcheck_numel(k, v->dtype, (int)dt->size, d);
    if (st != NB_OK) return st;
    return fill_value(k, v->dtype, (int)dt->size, d, v->data);
}

static void g_fill(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    (void)op;
    dx[1] = nb_reduce_sum(g, dy[0], NULL, NB_ALL_AXES, false, NULL);
}

const nbi_opdef nbi_opdef_FILL = {"Fill", 2, 0, infer_fill, k_fill, g_fill};

nb_output nb_fill(nb_graph *g, nb_output dims, nb_output value, const char *name) {
    return nbi_binary(g, NBI_OP_FILL, dims, value, name, NULL);
}

static nb_status k_like(nbi_kctx *k) {
    const nb_tensor *x = k->in[0];
    uint8_t v[8];
    nbi_store(v, x->dtype, 0, k->op->type == NBI_OP_ONES_LIKE ? 1.0 : 0.0);
    return fill_value(k, x->dtype, x->rank, x->dims, v);
}

const nbi_opdef nbi_opdef_ZEROS_LIKE = {"ZerosLike", 1, NBI_NO_GRAD, NULL, k_like, NULL};
const nbi_opdef nbi_opdef_ONES_LIKE = {"OnesLike", 1, NBI_NO_GRAD, NULL, k_like, NULL};

nb_output nb_zeros_like(nb_graph *g, nb_output x, const char *name) {
    return nbi_unary(g, NBI_OP_ZEROS_LIKE, x, name, "zeros_like");
}
nb_output nb_ones_like(nb_graph *g, nb_output x, const char *name) {
    return nbi_unary(g, NBI_OP_ONES_LIKE, x, name, "ones_like");
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

const nbi_opdef nbi_opdef_BROADCAST_GRADIENT_ARGS = {"BroadcastGradientArgs", 2, NBI_NO_GRAD,
                                                     infer_bga, k_bga, NULL};

/*** Range ***/

static nb_status infer_range(nb_op *op) {
    nb_dtype dt = nbi_in_dtype(op, 0);
    for (int i = 0; i < 3; i++) {
        if (nbi_in_dtype(op, i) != dt)
            return nbi_infer_error(op, NB_ERR_DTYPE, "start, limit and delta must share one dtype");
        if (nbi_in_shape(op, i)->rank > 0)
            return nbi_infer_error(op, NB_ERR_SHAPE, "start, limit and delta must be scalars");
    }
    if (dt == NB_BOOL || dt == NB_UINT8)
        return nbi_infer_error(op, NB_ERR_DTYPE, "Range does not support %s", nbi_dtype_tfname(dt));
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = dt;
    op->out_shape[0] = nb_shape_make(1, (int64_t[]){-1});
    return NB_OK;
}

/* Integer ranges in integer arithmetic: exact beyond 2^53, and no count lost
 * to rounding near INT64_MAX. The span and the steps are taken modulo 2^64
 * (unsigned), which is exact because every value lies between start and limit. */
static nb_status k_range_int(nbi_kctx *k, nb_dtype dt) {
    int64_t start = nbi_load_int(k->in[0]->data, dt, 0), limit = nbi_load_int(k->in[1]->data, dt, 0),
            delta = nbi_load_int(k->in[2]->data, dt, 0);
    if (delta == 0) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Requires delta != 0: %lld", (long long)delta);
    if ((delta > 0 && start > limit) || (delta < 0 && start < limit))
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                          "Requires start <= limit when delta > 0 (or >= when delta < 0): %lld/%lld",
                          (long long)start, (long long)limit);
    uint64_t span = delta > 0 ? (uint64_t)limit - (uint64_t)start : (uint64_t)start - (uint64_t)limit;
    uint64_t step = delta > 0 ? (uint64_t)delta : 0 - (uint64_t)delta;
    uint64_t cnt = span / step + (span % step != 0);
    if (cnt >= 1000000000000ull)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Range of %llu elements is too large",
                          (unsigned long long)cnt);
    int64_t n = (int64_t)cnt;
    nb_tensor *o = nbi_kalloc(k, dt, 1, &n);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    uint64_t v = (uint64_t)start;
    for (int64_t i = 0; i < n; i++, v += (uint64_t)delta) nbi_store_int(o->data, dt, i, (int64_t)v);
    return NB_OK;
}

static nb_status k_range(nbi_kctx *k) {
    nb_dtype dt = k->in[0]->dtype;
    if (nbi_dtype_is_int(dt)) return k_range_int(k, dt);
    double start = nbi_load(k->in[0]->data, dt, 0), limit = nbi_load(k->in[1]->data, dt, 0),
           delta = nbi_load(k->in[2]->data, dt, 0);
    if (delta == 0 || delta != delta)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Requires delta != 0: %g", delta);
    if ((delta > 0 && start > limit) || (delta < 0 && start < limit))
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                          "Requires start <= limit when delta > 0 (or >= when delta < 0): %g/%g", start, limit);
    double cnt = ceil((limit - start) / delta);
    if (!(cnt < 1e12)) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Range of %g elements is too large", cnt);
    int64_t n = (int64_t)cnt;
    nb_tensor *o = nbi_kalloc(k, dt, 1, &n);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    for (int64_t i = 0; i < n; i++) nbi_store(o->data, dt, i, start + (double)i * delta);
    return NB_OK;
}

const nbi_opdef nbi_opdef_RANGE = {"Range", 3, NBI_NO_GRAD, infer_range, k_range, NULL};

nb_output nb_range(nb_graph *g, nb_output start, nb_output limit, nb_output delta, const char *name) {
    return nbi_op_finish(nbi_op_new(g, NBI_OP_RANGE, name, "range", (nb_output[]){start, limit, delta}, 3));
}
