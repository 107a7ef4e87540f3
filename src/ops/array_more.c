/*
 * array_more.c — the array ops that select, join and pad: Squeeze, ConcatV2,
 * Pack, Slice, GatherV2, Pad, OneHot and UnsortedSegmentSum, with their shape
 * inference, CPU kernels and gradient builders.
 *
 * Semantics, error texts and gradients follow TensorFlow 1.x (array_ops.cc
 * shape functions, the CPU kernels, array_grad.py and math_grad.py). Every
 * kernel copies whole rows with memcpy where the layout allows; none writes
 * into its inputs. Inference keeps unknown dims and ranks unknown and checks
 * whatever is known, so most mistakes surface while the graph is built.
 */
#include "nb_internal.h"

#include <stdio.h>

/*** Helpers ***/

static const int64_t unknown_dims[NB_MAX_RANK] = {-1, -1, -1, -1, -1, -1, -1, -1};

static bool is_index_dtype(nb_dtype dt) { return dt == NB_INT32 || dt == NB_INT64; }

/* Element i of an int32/int64 tensor, read exactly (no trip through double). */
static int64_t load_index(const nb_tensor *t, int64_t i) {
    if (t->dtype == NB_INT32) return ((const int32_t *)t->data)[i];
    if (t->dtype == NB_INT64) return ((const int64_t *)t->data)[i];
    return nbi_load_int(t->data, t->dtype, i);
}

static int64_t prod(const int64_t *d, int lo, int hi) {
    int64_t p = 1;
    for (int i = lo; i < hi; i++) p *= d[i];
    return p;
}

/* Copies the box of extent ext (rank r) from src (dims sd) at corner sb into dst
 * (dims dd) at corner db. Whole innermost rows go through memcpy. */
static void copy_box(void *dst, const int64_t *dd, const int64_t *db, const void *src,
                     const int64_t *sd, const int64_t *sb, const int64_t *ext, int r, size_t es) {
    if (prod(ext, 0, r) == 0) return;
    if (r == 0) {
        memcpy(dst, src, es);
        return;
    }
    int64_t ss[NB_MAX_RANK], ds[NB_MAX_RANK], idx[NB_MAX_RANK] = {0};
    int64_t sacc = 1, dacc = 1;
    for (int i = r - 1; i >= 0; i--) {
        ss[i] = sacc;
        ds[i] = dacc;
        sacc *= sd[i];
        dacc *= dd[i];
    }
    size_t row = (size_t)ext[r - 1] * es;
    int64_t rows = prod(ext, 0, r - 1);
    for (int64_t k = 0; k < rows; k++) {
        int64_t so = 0, dof = 0;
        for (int i = 0; i < r; i++) {
            so += (sb[i] + idx[i]) * ss[i];
            dof += (db[i] + idx[i]) * ds[i];
        }
        memcpy((char *)dst + (size_t)dof * es, (const char *)src + (size_t)so * es, row);
        for (int i = r - 2; i >= 0; i--) {
            if (++idx[i] < ext[i]) break;
            idx[i] = 0;
        }
    }
}

/* An op built directly from graph tensors (for gradients whose constants are unknown). */
static nb_output op3(nb_graph *g, int type, nb_output a, nb_output b, nb_output c,
                     const char *name) {
    nb_output in[3] = {a, b, c};
    return nbi_op_finish(nbi_op_new(g, type, name, NULL, in, 3));
}

/* An int32 vector constant. */
static nb_output ivec(nb_graph *g, const int64_t *v, int n, const char *name) {
    return nbi_const_ints_node(g, NB_INT32, v, n, false, name);
}

static nb_output to_int32(nb_graph *g, nb_output x) {
    return nb_output_dtype(x) == NB_INT32 ? x : nb_cast(g, x, NB_INT32, NULL);
}

/* dy reshaped to the static shape of x, or to Shape(x) when that is not fully known. */
static nb_output reshape_like(nb_graph *g, nb_output dy, nb_output x) {
    nb_shape s = nb_output_shape(x);
    if (nbi_shape_known(&s)) return nb_reshape(g, dy, s.rank, s.dims, NULL);
    return nb_reshape_t(g, dy, nb_shape_of(g, x, NULL), NULL);
}

/* An int constant of the given dims: int32, or int64 when a value does not fit. */
static nb_output ints_const(nb_graph *g, const int64_t *v, int rank, const int64_t *dims,
                            const char *name) {
    nb_dtype dt = NB_INT32;
    int64_t n = prod(dims, 0, rank);
    for (int64_t i = 0; i < n; i++)
        if (v[i] > INT32_MAX || v[i] < INT32_MIN) dt = NB_INT64;
    nb_tensor *t = nb_tensor_new(dt, rank, dims, NULL);
    if (!t) {
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory creating a constant");
        return nb_nil;
    }
    for (int64_t i = 0; i < n; i++) {
        if (dt == NB_INT32) ((int32_t *)t->data)[i] = (int32_t)v[i];
        else ((int64_t *)t->data)[i] = v[i];
    }
    return nbi_const_owning(g, t, name, "Const");
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

const nbi_opdef nbi_opdef_SQUEEZE = {"Squeeze", 1, 0, infer_squeeze, k_squeeze, g_squeeze};

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

/*** ConcatV2 ***/

/* Inputs: N values, then the axis. */
static nb_status infer_concat(nb_op *op) {
    int n = op->n_inputs - 1;
    if (n < 1) return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "ConcatV2 needs at least one value and an axis");
    nb_dtype adt = nbi_in_dtype(op, n);
    if (!is_index_dtype(adt))
        return nbi_infer_error(op, NB_ERR_DTYPE, "axis must be int32 or int64, got %s", nbi_dtype_tfname(adt));
    if (nbi_in_shape(op, n)->rank > 0)
        return nbi_infer_error(op, NB_ERR_SHAPE, "Shape must be rank 0 but is rank %d for the axis",
                               nbi_in_shape(op, n)->rank);
    nb_dtype dt = nbi_in_dtype(op, 0);
    int r = -1, first = -1;
    for (int i = 0; i < n; i++) {
        if (nbi_in_dtype(op, i) != dt)
            return nbi_infer_error(op, NB_ERR_DTYPE,
                                   "Tensors in list passed to 'values' of 'ConcatV2' Op have types %s and %s that don't all match",
                                   nbi_dtype_tfname(dt), nbi_dtype_tfname(nbi_in_dtype(op, i)));
        int ri = nbi_in_shape(op, i)->rank;
        if (ri < 0) continue;
        if (ri == 0) return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Can't concatenate scalars (use tf.stack instead)");
        if (r < 0) {
            r = ri;
            first = i;
        } else if (ri != r) {
            return nbi_infer_error(op, NB_ERR_SHAPE, "Shape must be rank %d but is rank %d", r, ri);
        }
    }
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = dt;
    if (r < 0) return NB_OK;
    int64_t ax;
    if (nbi_const_ints(op, n, &ax, 1) != 1) {
        op->out_shape[0] = nb_shape_make(r, unknown_dims);
        return NB_OK;
    }
    if (ax < -r || ax >= r)
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT,
                               "ConcatOp : Expected concatenating dimensions in the range [%d, %d), but got %lld",
                               -r, r, (long long)ax);
    if (ax < 0) ax += r;
    nb_shape o = *nbi_in_shape(op, first);
    int64_t sum = 0;
    for (int i = 0; i < n; i++) {
        const nb_shape *s = nbi_in_shape(op, i);
        if (s->rank < 0) {
            sum = -1;
            continue;
        }
        for (int d = 0; d < r; d++) {
            if (d == ax) continue;
            if (o.dims[d] < 0) {
                o.dims[d] = s->dims[d];
            } else if (s->dims[d] >= 0 && s->dims[d] != o.dims[d]) {
                char a[128], b[128];
                return nbi_infer_error(op, NB_ERR_SHAPE,
                                       "Dimension %d in both shapes must be equal, but are %lld and %lld. Shapes are %s and %s",
                                       d, (long long)o.dims[d], (long long)s->dims[d],
                                       nb_shape_string(*nbi_in_shape(op, first), a, sizeof a),
                                       nb_shape_string(*s, b, sizeof b));
            }
        }
        if (sum >= 0 && s->dims[ax] < 0) {
            sum = -1;
        } else if (sum >= 0 && !nbi_dim_add(sum, s->dims[ax], &sum)) {
            return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Dimension size overflow from adding %lld and %lld",
                                   (long long)sum, (long long)s->dims[ax]);
        }
    }
    o.dims[ax] = sum;
    op->out_shape[0] = o;
    return NB_OK;
}

static nb_status k_concat(nbi_kctx *k) {
    int n = k->op->n_inputs - 1;
    const nb_tensor *x0 = k->in[0], *at = k->in[n];
    if (at->size != 1) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "axis must be a scalar");
    int r = x0->rank;
    if (r == 0) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "ConcatOp : Can't concatenate scalars (use tf.stack instead)");
    int64_t ax = load_index(at, 0);
    if (ax < -r || ax >= r)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                          "ConcatOp : Expected concatenating dimensions in the range [%d, %d), but got %lld",
                          -r, r, (long long)ax);
    if (ax < 0) ax += r;
    int64_t d[NB_MAX_RANK];
    memcpy(d, x0->dims, sizeof(int64_t) * (size_t)r);
    d[ax] = 0;
    for (int i = 0; i < n; i++) {
        const nb_tensor *x = k->in[i];
        bool ok = x->rank == r;
        for (int j = 0; ok && j < r; j++) ok = j == ax || x->dims[j] == x0->dims[j];
        if (!ok) {
            char a[128], b[128];
            return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                              "ConcatOp : Dimensions of inputs should match: shape[0] = %s vs. shape[%d] = %s",
                              nbi_dims_string(r, x0->dims, false, a, sizeof a), i,
                              nbi_dims_string(x->rank, x->dims, false, b, sizeof b));
        }
        if (!nbi_dim_add(d[ax], x->dims[ax], &d[ax]))
            return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Dimension size overflow from adding %lld and %lld",
                              (long long)d[ax], (long long)x->dims[ax]);
    }
    nb_status st = nbi_kcheck_numel(k, x0->dtype, r, d);
    if (st != NB_OK) return st;
    nb_tensor *o = nbi_kalloc(k, x0->dtype, r, d);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    if (o->size == 0) return NB_OK;
    size_t es = nb_dtype_size(o->dtype);
    int64_t outer = prod(d, 0, (int)ax), inner = prod(d, (int)ax + 1, r);
    size_t orow = (size_t)(d[ax] * inner) * es;
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        const nb_tensor *x = k->in[i];
        size_t row = (size_t)(x->dims[ax] * inner) * es;
        if (row)
            for (int64_t j = 0; j < outer; j++)
                memcpy((char *)o->data + (size_t)j * orow + off, (const char *)x->data + (size_t)j * row, row);
        off += row;
    }
    return NB_OK;
}

/* dx_i = dy[..., off_i : off_i + d_i, ...] along the axis. */
static void g_concat(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    int n = op->n_inputs - 1;
    int r = op->out_shape[0].rank;
    int64_t ax;
    if (r < 0 || nbi_const_ints(op, n, &ax, 1) != 1) {
        nbi_graph_error(g, NB_ERR_UNIMPLEMENTED,
                        "gradient of '%s' needs a constant axis and inputs of known rank", op->name);
        return;
    }
    if (ax < 0) ax += r;
    bool known = true;
    for (int i = 0; i < n; i++) known = known && nbi_in_shape(op, i)->rank == r && nbi_in_shape(op, i)->dims[ax] >= 0;
    if (known) {
        int64_t off = 0;
        for (int i = 0; i < n; i++) {
            int64_t begin[NB_MAX_RANK] = {0}, size[NB_MAX_RANK];
            for (int j = 0; j < r; j++) size[j] = -1;
            begin[ax] = off;
            size[ax] = nbi_in_shape(op, i)->dims[ax];
            off += size[ax];
            dx[i] = nb_slice(g, dy[0], begin, size, r, NULL);
        }
        return;
    }
    /* Offsets known only at run time: begin_i = sum_{j<i} Shape(x_j) * onehot(axis). */
    int64_t m[NB_MAX_RANK] = {0}, z[NB_MAX_RANK] = {0};
    m[ax] = 1;
    nb_output mask = ivec(g, m, r, "mask");
    nb_output begin = ivec(g, z, r, "zeros");
    for (int i = 0; i < n; i++) {
        nb_output shp = nb_shape_of(g, op->inputs[i], NULL);
        dx[i] = op3(g, NBI_OP_SLICE, dy[0], begin, shp, NULL);
        if (i + 1 < n) begin = nb_add(g, begin, nb_multiply(g, shp, mask, NULL), NULL);
    }
}

const nbi_opdef nbi_opdef_CONCAT = {"ConcatV2", -1, 0, infer_concat, k_concat, g_concat};

nb_output nb_concat(nb_graph *g, const nb_output *xs, int n, int axis, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (n < 1 || !xs) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_concat needs at least one input");
        return nb_nil;
    }
    nb_output *in = nbi_malloc(((size_t)n + 1) * sizeof *in);
    if (!in) {
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory in nb_concat");
        return nb_nil;
    }
    char *scope = nbi_op_scope_push(g, name, "concat");
    if (!scope) {
        nbi_free(in);
        return nb_nil;
    }
    int64_t a = axis;
    in[n] = nbi_const_ints_node(g, NB_INT32, &a, 1, true, "axis");
    nb_name_scope_pop(g);
    memcpy(in, xs, (size_t)n * sizeof *in);
    nb_output r = nbi_op_finish(nbi_op_new(g, NBI_OP_CONCAT, scope, NULL, in, n + 1));
    nbi_free(scope);
    nbi_free(in);
    return r;
}

/*** Pack ***/

static nb_status infer_pack(nb_op *op) {
    int n = op->n_inputs;
    if (n < 1) return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Pack needs at least one input");
    nb_dtype dt = nbi_in_dtype(op, 0);
    nb_shape s = *nbi_in_shape(op, 0);
    for (int i = 1; i < n; i++) {
        if (nbi_in_dtype(op, i) != dt)
            return nbi_infer_error(op, NB_ERR_DTYPE,
                                   "Tensors in list passed to 'values' of 'Pack' Op have types %s and %s that don't all match",
                                   nbi_dtype_tfname(dt), nbi_dtype_tfname(nbi_in_dtype(op, i)));
        nb_shape m;
        if (!nbi_shape_merge(&s, nbi_in_shape(op, i), &m)) {
            char a[128], b[128];
            return nbi_infer_error(op, NB_ERR_SHAPE,
                                   "Shapes of all inputs must match: values[0].shape = %s != values[%d].shape = %s",
                                   nb_shape_string(*nbi_in_shape(op, 0), a, sizeof a), i,
                                   nb_shape_string(*nbi_in_shape(op, i), b, sizeof b));
        }
        s = m;
    }
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = dt;
    if (s.rank < 0) return NB_OK;
    int ax = op->attrs.axis;
    if (ax < -(s.rank + 1) || ax > s.rank)
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Invalid axis: %d; must be in [%d,%d)", ax,
                               -(s.rank + 1), s.rank + 1);
    if (s.rank + 1 > NB_MAX_RANK)
        return nbi_infer_error(op, NB_ERR_SHAPE, "Pack: the result would have rank above %d", NB_MAX_RANK);
    if (ax < 0) ax += s.rank + 1;
    nb_shape o;
    o.rank = s.rank + 1;
    for (int i = 0, j = 0; i < o.rank; i++) o.dims[i] = i == ax ? n : s.dims[j++];
    op->out_shape[0] = o;
    return NB_OK;
}

static nb_status k_pack(nbi_kctx *k) {
    int n = k->op->n_inputs;
    const nb_tensor *x0 = k->in[0];
    int r = x0->rank, ax = k->op->attrs.axis;
    for (int i = 1; i < n; i++) {
        const nb_tensor *x = k->in[i];
        if (x->rank != r || memcmp(x->dims, x0->dims, sizeof(int64_t) * (size_t)r)) {
            char a[128], b[128];
            return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                              "Shapes of all inputs must match: values[0].shape = %s != values[%d].shape = %s",
                              nbi_dims_string(r, x0->dims, false, a, sizeof a), i,
                              nbi_dims_string(x->rank, x->dims, false, b, sizeof b));
        }
    }
    if (ax < -(r + 1) || ax > r || r + 1 > NB_MAX_RANK)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Invalid axis: %d; must be in [%d,%d)", ax, -(r + 1), r + 1);
    if (ax < 0) ax += r + 1;
    int64_t d[NB_MAX_RANK];
    for (int i = 0, j = 0; i < r + 1; i++) d[i] = i == ax ? n : x0->dims[j++];
    nb_tensor *o = nbi_kalloc(k, x0->dtype, r + 1, d);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    size_t es = nb_dtype_size(o->dtype);
    int64_t outer = prod(x0->dims, 0, ax);
    size_t row = (size_t)prod(x0->dims, ax, r) * es;
    if (row == 0) return NB_OK;
    for (int64_t j = 0; j < outer; j++)
        for (int i = 0; i < n; i++)
            memcpy((char *)o->data + ((size_t)j * (size_t)n + (size_t)i) * row,
                   (const char *)k->in[i]->data + (size_t)j * row, row);
    return NB_OK;
}

/* Unstack: dx_i = squeeze(dy[..., i:i+1, ...], axis). */
static void g_pack(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    int r = op->out_shape[0].rank;
    if (r < 0) {
        nbi_graph_error(g, NB_ERR_UNIMPLEMENTED, "gradient of '%s' needs inputs of known rank", op->name);
        return;
    }
    int ax = op->attrs.axis < 0 ? op->attrs.axis + r : op->attrs.axis;
    for (int i = 0; i < op->n_inputs; i++) {
        int64_t begin[NB_MAX_RANK] = {0}, size[NB_MAX_RANK];
        for (int j = 0; j < r; j++) size[j] = -1;
        begin[ax] = i;
        size[ax] = 1;
        dx[i] = nb_squeeze(g, nb_slice(g, dy[0], begin, size, r, NULL), &ax, 1, NULL);
    }
}

const nbi_opdef nbi_opdef_PACK = {"Pack", -1, 0, infer_pack, k_pack, g_pack};

nb_output nb_stack(nb_graph *g, const nb_output *xs, int n, int axis, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (n < 1 || !xs) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_stack needs at least one input");
        return nb_nil;
    }
    nb_op *op = nbi_op_new(g, NBI_OP_PACK, name, "stack", xs, n);
    if (!op) return nb_nil;
    op->attrs.axis = axis;
    return nbi_op_finish(op);
}

/*** Slice ***/

static nb_status infer_slice(nb_op *op) {
    nb_dtype bdt = nbi_in_dtype(op, 1), sdt = nbi_in_dtype(op, 2);
    if (!is_index_dtype(bdt))
        return nbi_infer_error(op, NB_ERR_DTYPE, "begin must be int32 or int64, got %s", nbi_dtype_tfname(bdt));
    if (sdt != bdt)
        return nbi_infer_error(op, NB_ERR_DTYPE,
                               "Input 'size' of 'Slice' Op has type %s that does not match type %s of argument 'begin'",
                               nbi_dtype_tfname(sdt), nbi_dtype_tfname(bdt));
    const nb_shape *x = nbi_in_shape(op, 0), *bs = nbi_in_shape(op, 1), *ss = nbi_in_shape(op, 2);
    int r = x->rank;
    int64_t bl = bs->rank == 1 ? bs->dims[0] : -1, sl = ss->rank == 1 ? ss->dims[0] : -1;
    if ((bs->rank >= 0 && bs->rank != 1) || (ss->rank >= 0 && ss->rank != 1) ||
        (r >= 0 && ((bl >= 0 && bl != r) || (sl >= 0 && sl != r))) || (bl >= 0 && sl >= 0 && bl != sl)) {
        char a[128], b[128];
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT,
                               "Expected begin and size arguments to be 1-D tensors of size %d, but got shapes %s and %s instead",
                               r >= 0 ? r : (int)(bl >= 0 ? bl : sl), nb_shape_string(*bs, a, sizeof a),
                               nb_shape_string(*ss, b, sizeof b));
    }
    if (r < 0) r = bl >= 0 ? (int)bl : (int)sl;
    if (r > NB_MAX_RANK) return nbi_infer_error(op, NB_ERR_SHAPE, "Slice: rank above %d", NB_MAX_RANK);
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 0);
    if (r < 0) return NB_OK;
    int64_t b[NB_MAX_RANK], s[NB_MAX_RANK];
    bool kb = nbi_const_ints(op, 1, b, NB_MAX_RANK) == r, ks = nbi_const_ints(op, 2, s, NB_MAX_RANK) == r;
    nb_shape o = nb_shape_make(r, unknown_dims);
    for (int i = 0; i < r; i++) {
        int64_t d = x->rank >= 0 ? x->dims[i] : -1;
        if (kb && b[i] < 0 && d < 0)
            return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Expected begin[%d] >= 0, but got %lld",
                                   i, (long long)b[i]);
        if (kb && (b[i] < 0 || (d >= 0 && b[i] > d)))
            return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Expected begin[%d] in [0, %lld], but got %lld",
                                   i, (long long)d, (long long)b[i]);
        if (!kb && ks && d >= 0 && s[i] > d)
            return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Expected size[%d] in [0, %lld], but got %lld",
                                   i, (long long)d, (long long)s[i]);
        if (ks && s[i] < -1)
            return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Expected size[%d] in [-1, ...], but got %lld",
                                   i, (long long)s[i]);
        if (ks && s[i] >= 0) {
            if (kb && d >= 0 && s[i] > d - b[i]) /* b[i] is in [0, d]: no overflow */
                return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Expected size[%d] in [0, %lld], but got %lld",
                                       i, (long long)(d - b[i]), (long long)s[i]);
            o.dims[i] = s[i];
        } else if (ks && kb && d >= 0) {
            o.dims[i] = d - b[i];
        }
    }
    op->out_shape[0] = o;
    return NB_OK;
}

static nb_status k_slice(nbi_kctx *k) {
    const nb_tensor *x = k->in[0], *bt = k->in[1], *st = k->in[2];
    int r = x->rank;
    if (bt->rank != 1 || st->rank != 1 || bt->size != r || st->size != r) {
        char a[64], b[64];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                          "Expected begin and size arguments to be 1-D tensors of size %d, but got shapes %s and %s instead",
                          r, nbi_dims_string(bt->rank, bt->dims, false, a, sizeof a),
                          nbi_dims_string(st->rank, st->dims, false, b, sizeof b));
    }
    int64_t b[NB_MAX_RANK], s[NB_MAX_RANK];
    bool whole = true;
    for (int i = 0; i < r; i++) {
        b[i] = load_index(bt, i);
        s[i] = load_index(st, i);
        if (b[i] < 0 || b[i] > x->dims[i])
            return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Expected begin[%d] in [0, %lld], but got %lld", i,
                              (long long)x->dims[i], (long long)b[i]);
        if (s[i] == -1) s[i] = x->dims[i] - b[i];
        if (s[i] < 0 || s[i] > x->dims[i] - b[i]) /* b[i] is in [0, dim]: no overflow */
            return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Expected size[%d] in [0, %lld], but got %lld", i,
                              (long long)(x->dims[i] - b[i]), (long long)load_index(st, i));
        whole = whole && b[i] == 0 && s[i] == x->dims[i];
    }
    if (whole) {
        k->out[0] = nb_tensor_ref(k->in[0]);
        return NB_OK;
    }
    nb_tensor *o = nbi_kalloc(k, x->dtype, r, s);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    int64_t zero[NB_MAX_RANK] = {0};
    copy_box(o->data, s, zero, x->data, x->dims, b, s, r, nb_dtype_size(x->dtype));
    return NB_OK;
}

/* Pads dy back to x's shape: before = begin, after = shape(x) - begin - shape(y). */
static void g_slice(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    const nb_shape *xs = nbi_in_shape(op, 0), *ys = &op->out_shape[0];
    int64_t b[NB_MAX_RANK];
    if (nbi_shape_known(xs) && nbi_shape_known(ys) && nbi_const_ints(op, 1, b, NB_MAX_RANK) == xs->rank) {
        int64_t pads[2 * NB_MAX_RANK];
        for (int i = 0; i < xs->rank; i++) {
            pads[2 * i] = b[i];
            pads[2 * i + 1] = xs->dims[i] - b[i] - ys->dims[i];
        }
        dx[0] = nb_pad(g, dy[0], pads, xs->rank, NULL);
        return;
    }
    nb_output before = to_int32(g, op->inputs[1]);
    nb_output after = nb_subtract(g, nb_subtract(g, nb_shape_of(g, op->inputs[0], NULL),
                                                 nb_shape_of(g, nbi_out(op, 0), NULL), NULL),
                                  before, NULL);
    int64_t col[2] = {-1, 1};
    nb_output cols[2] = {nb_reshape(g, before, 2, col, NULL), nb_reshape(g, after, 2, col, NULL)};
    nb_output pads = nb_concat(g, cols, 2, 1, NULL);
    dx[0] = nbi_binary(g, NBI_OP_PAD, dy[0], pads, NULL, NULL);
}

const nbi_opdef nbi_opdef_SLICE = {"Slice", 3, 0, infer_slice, k_slice, g_slice};

nb_output nb_slice(nb_graph *g, nb_output x, const int64_t *begin, const int64_t *size, int rank,
                   const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (rank < 0 || rank > NB_MAX_RANK || (rank && (!begin || !size))) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_slice: bad begin/size (rank %d)", rank);
        return nb_nil;
    }
    int64_t both[2 * NB_MAX_RANK];
    for (int i = 0; i < rank; i++) {
        both[i] = begin[i];
        both[rank + i] = size[i];
    }
    char *scope = nbi_op_scope_push(g, name, "Slice");
    if (!scope) return nb_nil;
    /* begin and size share one dtype: int64 only when a value needs it */
    nb_dtype dt = NB_INT32;
    for (int i = 0; i < 2 * rank; i++)
        if (both[i] > INT32_MAX || both[i] < INT32_MIN) dt = NB_INT64;
    nb_output b = nbi_const_ints_node(g, dt, both, rank, false, "begin");
    nb_output s = nbi_const_ints_node(g, dt, both + rank, rank, false, "size");
    nb_name_scope_pop(g);
    nb_output in[3] = {x, b, s};
    nb_output r = nbi_op_finish(nbi_op_new(g, NBI_OP_SLICE, scope, NULL, in, 3));
    nbi_free(scope);
    return r;
}

/*** GatherV2 ***/

static nb_status infer_gather(nb_op *op) {
    nb_dtype idt = nbi_in_dtype(op, 1), adt = nbi_in_dtype(op, 2);
    if (!is_index_dtype(idt))
        return nbi_infer_error(op, NB_ERR_DTYPE,
                               "Value for attr 'Tindices' of %s is not in the list of allowed values: int32, int64",
                               nbi_dtype_tfname(idt));
    if (!is_index_dtype(adt))
        return nbi_infer_error(op, NB_ERR_DTYPE, "axis must be int32 or int64, got %s", nbi_dtype_tfname(adt));
    if (nbi_in_shape(op, 2)->rank > 0)
        return nbi_infer_error(op, NB_ERR_SHAPE, "Shape must be rank 0 but is rank %d for the axis",
                               nbi_in_shape(op, 2)->rank);
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 0);
    const nb_shape *p = nbi_in_shape(op, 0), *ix = nbi_in_shape(op, 1);
    int64_t ax;
    bool kax = nbi_const_ints(op, 2, &ax, 1) == 1;
    if (p->rank < 0) return NB_OK;
    if (p->rank == 0) return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "params must be at least 1 dimensional");
    if (kax && (ax < -p->rank || ax >= p->rank))
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Expected axis in the range [%d, %d), but got %lld",
                               -p->rank, p->rank, (long long)ax);
    if (ix->rank < 0) return NB_OK;
    int r = p->rank - 1 + ix->rank;
    if (r > NB_MAX_RANK)
        return nbi_infer_error(op, NB_ERR_SHAPE, "GatherV2: the result would have rank %d, above %d", r, NB_MAX_RANK);
    if (!kax) {
        op->out_shape[0] = nb_shape_make(r, unknown_dims);
        return NB_OK;
    }
    if (ax < 0) ax += p->rank;
    nb_shape o;
    o.rank = 0;
    for (int i = 0; i < ax; i++) o.dims[o.rank++] = p->dims[i];
    for (int i = 0; i < ix->rank; i++) o.dims[o.rank++] = ix->dims[i];
    for (int i = (int)ax + 1; i < p->rank; i++) o.dims[o.rank++] = p->dims[i];
    op->out_shape[0] = o;
    return NB_OK;
}

/* Writes "[i,j,...]" for flat position `flat` of a tensor of dims (rank r). */
static void index_string(int64_t flat, int r, const int64_t *dims, char *buf, size_t n) {
    int64_t idx[NB_MAX_RANK];
    for (int i = r - 1; i >= 0; i--) {
        idx[i] = dims[i] ? flat % dims[i] : 0;
        flat = dims[i] ? flat / dims[i] : 0;
    }
    size_t len = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < r && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%lld", i ? "," : "", (long long)idx[i]);
    if (len < n) snprintf(buf + len, n - len, "]");
}

static nb_status k_gather(nbi_kctx *k) {
    const nb_tensor *p = k->in[0], *ix = k->in[1], *at = k->in[2];
    if (at->size != 1) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "axis must be a scalar");
    int64_t ax = load_index(at, 0);
    if (p->rank == 0) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "params must be at least 1 dimensional");
    if (ax < -p->rank || ax >= p->rank)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Expected axis in the range [%d, %d), but got %lld",
                          -p->rank, p->rank, (long long)ax);
    if (ax < 0) ax += p->rank;
    int r = p->rank - 1 + ix->rank;
    if (r > NB_MAX_RANK) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "result of rank %d is above %d", r, NB_MAX_RANK);
    int64_t lim = p->dims[ax];
    for (int64_t i = 0; i < ix->size; i++) {
        int64_t v = load_index(ix, i);
        if (v < 0 || v >= lim) {
            char b[160];
            index_string(i, ix->rank, ix->dims, b, sizeof b);
            return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "indices%s = %lld is not in [0, %lld)",
                              ix->rank ? b : "", (long long)v, (long long)lim);
        }
    }
    int64_t d[NB_MAX_RANK];
    int n = 0;
    for (int i = 0; i < ax; i++) d[n++] = p->dims[i];
    for (int i = 0; i < ix->rank; i++) d[n++] = ix->dims[i];
    for (int i = (int)ax + 1; i < p->rank; i++) d[n++] = p->dims[i];
    nb_tensor *o = nbi_kalloc(k, p->dtype, r, d);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    if (o->size == 0) return NB_OK;
    size_t es = nb_dtype_size(p->dtype);
    int64_t outer = prod(p->dims, 0, (int)ax);
    size_t row = (size_t)prod(p->dims, (int)ax + 1, p->rank) * es;
    char *dst = o->data;
    const char *src = p->data;
    for (int64_t j = 0; j < outer; j++)
        for (int64_t i = 0; i < ix->size; i++) {
            memcpy(dst, src + ((size_t)j * (size_t)lim + (size_t)load_index(ix, i)) * row, row);
            dst += row;
        }
    return NB_OK;
}

/* d params = UnsortedSegmentSum(dy rows, flattened indices, params.shape[axis]).
 * Axis 0 works with any shapes; another axis needs params' shape known (the rows
 * are moved to the front by a transpose and back after). */
static void g_gather(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output params = op->inputs[0], indices = op->inputs[1];
    const nb_shape *ps = nbi_in_shape(op, 0);
    int64_t ax;
    if (nbi_const_ints(op, 2, &ax, 1) != 1 || (ax < 0 && ps->rank < 0)) {
        nbi_graph_error(g, NB_ERR_UNIMPLEMENTED, "gradient of '%s' needs a constant axis", op->name);
        return;
    }
    if (ax < 0) ax += ps->rank;
    int64_t flat = -1;
    nb_output ids = nb_reshape(g, indices, 1, &flat, NULL);
    if (nbi_shape_known(ps) && ps->rank >= 1) {
        int64_t oa, ob;
        if (nbi_numel_overflow(ps->rank, ps->dims, &oa, &ob) >= 0) { /* no tensor has that shape */
            nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT,
                            "gradient of '%s': Encountered overflow when multiplying %lld with %lld, result: -1",
                            op->name, (long long)oa, (long long)ob);
            return;
        }
        int64_t outer = prod(ps->dims, 0, (int)ax), inner = prod(ps->dims, (int)ax + 1, ps->rank);
        if (outer * inner == 0) {
            dx[0] = nb_zeros_like(g, params, NULL);
            return;
        }
        nb_output num = nbi_const_ints_node(g, NB_INT32, &ps->dims[ax], 1, true, "num_segments");
        if (ax == 0) {
            int64_t vs[NB_MAX_RANK];
            vs[0] = -1;
            for (int i = 1; i < ps->rank; i++) vs[i] = ps->dims[i];
            nb_output values = nb_reshape(g, dy[0], ps->rank, vs, NULL);
            dx[0] = nb_unsorted_segment_sum(g, values, ids, num, NULL);
            return;
        }
        int perm[3] = {1, 0, 2};
        int64_t v3[3] = {outer, -1, inner};
        nb_output values = nb_transpose(g, nb_reshape(g, dy[0], 3, v3, NULL), perm, 3, NULL);
        nb_output sum = nb_unsorted_segment_sum(g, values, ids, num, NULL);
        dx[0] = nb_reshape(g, nb_transpose(g, sum, perm, 3, NULL), ps->rank, ps->dims, NULL);
        return;
    }
    if (ax != 0) {
        nbi_graph_error(g, NB_ERR_UNIMPLEMENTED,
                        "gradient of '%s' along axis %lld needs params of fully known shape",
                        op->name, (long long)ax);
        return;
    }
    /* As TF: values_shape = concat([size(indices)], shape(params)[1:]). */
    nb_output pshape = nb_shape_of(g, params, NULL);
    int64_t one = 1, rest = -1;
    nb_output parts[2] = {nb_expand_dims(g, nb_size(g, indices, NULL), 0, NULL),
                          nb_slice(g, pshape, &one, &rest, 1, NULL)};
    nb_output values = nb_reshape_t(g, dy[0], nb_concat(g, parts, 2, 0, NULL), NULL);
    nb_output num = nb_gather(g, pshape, nb_constant_i32(g, 0, NULL), 0, NULL);
    dx[0] = nb_unsorted_segment_sum(g, values, ids, num, NULL);
}

const nbi_opdef nbi_opdef_GATHER = {"GatherV2", 3, 0, infer_gather, k_gather, g_gather};

nb_output nb_gather(nb_graph *g, nb_output params, nb_output indices, int axis, const char *name) {
    char *scope = nbi_op_scope_push(g, name, "GatherV2");
    if (!scope) return nb_nil;
    int64_t a = axis;
    nb_output ax = nbi_const_ints_node(g, NB_INT32, &a, 1, true, "axis");
    nb_name_scope_pop(g);
    nb_output r = op3(g, NBI_OP_GATHER, params, indices, ax, scope);
    nbi_free(scope);
    return r;
}

/*** Pad ***/

/* Reads a constant [rank, 2] paddings input; returns false when unknown. */
static bool const_paddings(nb_op *op, int64_t *pads, int *rank) {
    const nb_tensor *t = nbi_const_input(op, 1);
    if (!t || !is_index_dtype(t->dtype) || t->rank != 2 || t->dims[1] != 2 || t->dims[0] > NB_MAX_RANK)
        return false;
    *rank = (int)t->dims[0];
    for (int64_t i = 0; i < t->size; i++) pads[i] = load_index(t, i);
    return true;
}

/* before + dim + after, false on int64 overflow (a Paddings near INT64_MAX). */
static bool pad_dim(int64_t dim, int64_t before, int64_t after, int64_t *out) {
    int64_t t;
    return nbi_dim_add(before, dim, &t) && nbi_dim_add(t, after, out);
}

/* The pad family: Pad and PadV2 (constant), MirrorPad and MirrorPadGrad (attrs.ints[0]
 * holds the mode, NB_PAD_REFLECT or NB_PAD_SYMMETRIC). */
enum { PK_CONST, PK_MIRROR, PK_MIRROR_GRAD };

static int pad_kind(const nb_op *op) {
    if (op->type == NBI_OP_MIRROR_PAD) return PK_MIRROR;
    if (op->type == NBI_OP_MIRROR_PAD_GRAD) return PK_MIRROR_GRAD;
    return PK_CONST;
}

static bool mirror_mode_ok(const nb_op *op) {
    return op->attrs.ints[0] == NB_PAD_REFLECT || op->attrs.ints[0] == NB_PAD_SYMMETRIC;
}

/* REFLECT leaves out the edge (offset 1); SYMMETRIC repeats it (offset 0). */
static int64_t mirror_offset(const nb_op *op) { return op->attrs.ints[0] == NB_PAD_REFLECT ? 1 : 0; }

/* One dimension of the result for paddings lo, hi of an input dimension dim (-1:
 * unknown, giving -1); false with TF's text in msg when the paddings are bad. */
static bool pad_one_dim(const nb_op *op, int64_t dim, int64_t lo, int64_t hi, int64_t *out, char *msg, size_t cap) {
    int kind = pad_kind(op);
    if (lo < 0 || hi < 0) {
        snprintf(msg, cap, "%s must be non-negative: %lld %lld", kind == PK_CONST ? "Paddings" : "paddings",
                 (long long)lo, (long long)hi);
        return false;
    }
    *out = -1;
    if (dim < 0) return true;
    int64_t off = kind == PK_CONST ? 0 : mirror_offset(op);
    if (kind == PK_MIRROR && (lo > dim - off || hi > dim - off)) {
        snprintf(msg, cap, "paddings must be no greater than the dimension size: %lld, %lld greater than %lld",
                 (long long)lo, (long long)hi, (long long)(dim - off));
        return false;
    }
    if (kind == PK_MIRROR_GRAD) {
        int64_t both;
        if (!nbi_dim_add(lo, hi, &both)) both = INT64_MAX;
        int64_t o = dim - both; /* dim >= 0, so no overflow */
        if (o < 0 || lo > o - off || hi > o - off) {
            snprintf(msg, cap, "paddings must be no greater than the output dimension size: %lld, %lld greater than %lld",
                     (long long)lo, (long long)hi, (long long)(o - off));
            return false;
        }
        *out = o;
        return true;
    }
    if (!pad_dim(dim, lo, hi, out)) {
        snprintf(msg, cap, "Dimension size overflow from adding %lld, %lld and %lld", (long long)lo,
                 (long long)dim, (long long)hi);
        return false;
    }
    return true;
}

static nb_status infer_pad(nb_op *op) {
    int kind = pad_kind(op);
    const char *type = op->def->type;
    nb_dtype pdt = nbi_in_dtype(op, 1);
    if (!is_index_dtype(pdt))
        return nbi_infer_error(op, NB_ERR_DTYPE, "paddings must be int32 or int64, got %s", nbi_dtype_tfname(pdt));
    if (kind != PK_CONST && !mirror_mode_ok(op))
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT,
                               "Value for attr 'mode' of %s must be one of \"REFLECT\", \"SYMMETRIC\"", type);
    nb_dtype xdt = nbi_in_dtype(op, 0);
    if (kind == PK_MIRROR_GRAD && xdt != NB_FLOAT32 && xdt != NB_FLOAT64 && xdt != NB_INT32 && xdt != NB_INT64)
        return nbi_infer_error(op, NB_ERR_DTYPE,
                               "Value for attr 'T' of %s is not in the list of allowed values: float, double, int32, int64",
                               nbi_dtype_tfname(xdt));
    if (op->type == NBI_OP_PAD_V2) {
        nb_dtype cdt = nbi_in_dtype(op, 2);
        if (cdt != xdt)
            return nbi_infer_error(op, NB_ERR_DTYPE,
                                   "Input 'constant_values' of 'PadV2' Op has type %s that does not match type %s of argument 'input'",
                                   nbi_dtype_tfname(cdt), nbi_dtype_tfname(xdt));
        int cr = nbi_in_shape(op, 2)->rank;
        if (cr > 0) return nbi_infer_error(op, NB_ERR_SHAPE, "Shape must be rank 0 but is rank %d", cr);
    }
    const nb_shape *x = nbi_in_shape(op, 0), *ps = nbi_in_shape(op, 1);
    if (ps->rank >= 0 && (ps->rank != 2 || (ps->dims[1] >= 0 && ps->dims[1] != 2))) {
        char b[64];
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "paddings must be a matrix with 2 columns: %s",
                               nb_shape_string(*ps, b, sizeof b));
    }
    int64_t pr = ps->rank == 2 ? ps->dims[0] : -1;
    if (x->rank >= 0 && pr >= 0 && pr != x->rank) {
        char a[64], b[64];
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT,
                               "The first dimension of paddings must be the rank of inputs%s %s",
                               nb_shape_string(*ps, a, sizeof a), nb_shape_string(*x, b, sizeof b));
    }
    int r = x->rank >= 0 ? x->rank : (int)pr;
    if (r > NB_MAX_RANK) return nbi_infer_error(op, NB_ERR_SHAPE, "%s: rank above %d", type, NB_MAX_RANK);
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = xdt;
    if (r < 0) return NB_OK;
    int64_t pads[2 * NB_MAX_RANK];
    int cr;
    nb_shape o = nb_shape_make(r, unknown_dims);
    if (const_paddings(op, pads, &cr)) {
        for (int i = 0; i < r; i++) {
            char msg[160];
            int64_t dim = x->rank >= 0 ? x->dims[i] : -1;
            if (!pad_one_dim(op, dim, pads[2 * i], pads[2 * i + 1], &o.dims[i], msg, sizeof msg))
                return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "%s", msg);
        }
    }
    op->out_shape[0] = o;
    return NB_OK;
}

/* Checks the run-time paddings of a pad-family op against x; fills before[] and the result dims d[]. */
static nb_status pad_geometry(nbi_kctx *k, int64_t *before, int64_t *d, bool *none) {
    const nb_tensor *x = k->in[0], *pt = k->in[1];
    int r = x->rank;
    if (pt->rank != 2 || pt->dims[1] != 2) {
        char a[64];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "paddings must be a matrix with 2 columns: %s",
                          nbi_dims_string(pt->rank, pt->dims, false, a, sizeof a));
    }
    if (pt->dims[0] != r) {
        char a[64], b[64];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "The first dimension of paddings must be the rank of inputs%s %s",
                          nbi_dims_string(pt->rank, pt->dims, false, a, sizeof a),
                          nbi_dims_string(x->rank, x->dims, false, b, sizeof b));
    }
    *none = true;
    for (int i = 0; i < r; i++) {
        int64_t lo = load_index(pt, 2 * i), hi = load_index(pt, 2 * i + 1);
        char msg[160];
        if (!pad_one_dim(k->op, x->dims[i], lo, hi, &d[i], msg, sizeof msg))
            return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "%s", msg);
        before[i] = lo;
        *none = *none && lo == 0 && hi == 0;
    }
    return nbi_kcheck_numel(k, x->dtype, r, d);
}

static nb_status k_pad(nbi_kctx *k) {
    const nb_tensor *x = k->in[0];
    int r = x->rank;
    if (k->op->type == NBI_OP_PAD_V2 && k->in[2]->rank != 0) {
        char a[64];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "constant_values must be a scalar. Got: %s",
                          nbi_dims_string(k->in[2]->rank, k->in[2]->dims, false, a, sizeof a));
    }
    int64_t before[NB_MAX_RANK], d[NB_MAX_RANK];
    bool none;
    nb_status st = pad_geometry(k, before, d, &none);
    if (st != NB_OK) return st;
    if (none) {
        k->out[0] = nb_tensor_ref(k->in[0]);
        return NB_OK;
    }
    nb_tensor *o = nbi_kalloc(k, x->dtype, r, d);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    size_t es = nb_dtype_size(x->dtype);
    if (k->op->type == NBI_OP_PAD_V2) {
        for (int64_t i = 0; i < o->size; i++) memcpy((char *)o->data + (size_t)i * es, k->in[2]->data, es);
    } else if (o->nbytes) {
        memset(o->data, 0, o->nbytes);
    }
    int64_t zero[NB_MAX_RANK] = {0};
    copy_box(o->data, d, before, x->data, x->dims, zero, x->dims, r, es);
    return NB_OK;
}

/* The source index along one dimension of size n for position j (j < 0 or j >= n
 * lies in the padding, at most n - off away, so one reflection suffices). */
static int64_t mirror_index(int64_t j, int64_t n, int64_t off) {
    if (j < 0) return -j - 1 + off;
    if (j >= n) return 2 * n - 1 - off - j;
    return j;
}

/* Walks the padded index space (dims pd, rank r); for each element calls back with
 * its flat offset in the padded space and the flat offset of its source in the
 * unpadded space (dims ud). */
#define MIRROR_WALK(r, pd, ud, before, off, BODY)                                   \
    do {                                                                            \
        int64_t us_[NB_MAX_RANK], idx_[NB_MAX_RANK] = {0}, total_ = prod(pd, 0, r); \
        int64_t acc_ = 1;                                                           \
        for (int i_ = (r) - 1; i_ >= 0; i_--) {                                     \
            us_[i_] = acc_;                                                         \
            acc_ *= (ud)[i_];                                                       \
        }                                                                           \
        for (int64_t p_ = 0; p_ < total_; p_++) {                                   \
            int64_t s_ = 0;                                                         \
            for (int i_ = 0; i_ < (r); i_++)                                        \
                s_ += mirror_index(idx_[i_] - (before)[i_], (ud)[i_], off) * us_[i_]; \
            int64_t padded = p_, source = s_;                                       \
            BODY;                                                                   \
            for (int i_ = (r) - 1; i_ >= 0; i_--) {                                 \
                if (++idx_[i_] < (pd)[i_]) break;                                   \
                idx_[i_] = 0;                                                       \
            }                                                                       \
        }                                                                           \
    } while (0)

/* The common start of MirrorPad and MirrorPadGrad: the geometry (pad_geometry)
 * and the output of shape d. Returns NB_OK with *out NULL when there is nothing
 * to pad (the input is passed through), else with the output allocated. */
static nb_status mirror_begin(nbi_kctx *k, int64_t *before, int64_t *d, nb_tensor **out) {
    bool none;
    *out = NULL;
    nb_status st = pad_geometry(k, before, d, &none);
    if (st != NB_OK) return st;
    if (none) {
        k->out[0] = nb_tensor_ref(k->in[0]);
        return NB_OK;
    }
    const nb_tensor *x = k->in[0];
    nb_tensor *o = nbi_kalloc(k, x->dtype, x->rank, d);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    *out = o;
    return NB_OK;
}

static nb_status k_mirror_pad(nbi_kctx *k) {
    const nb_tensor *x = k->in[0];
    int r = x->rank;
    int64_t before[NB_MAX_RANK], d[NB_MAX_RANK];
    nb_tensor *o;
    nb_status st = mirror_begin(k, before, d, &o);
    if (st != NB_OK || !o) return st;
    size_t es = nb_dtype_size(x->dtype);
    int64_t off = mirror_offset(k->op);
    const char *src = x->data;
    char *dst = o->data;
    MIRROR_WALK(r, d, x->dims, before, off,
                memcpy(dst + (size_t)padded * es, src + (size_t)source * es, es));
    return NB_OK;
}

/* MirrorPadGrad: dy of the padded shape folded back onto the input shape, each
 * padded cell adding into the cell it mirrors. */
static nb_status k_mirror_pad_grad(nbi_kctx *k) {
    const nb_tensor *dy = k->in[0];
    int r = dy->rank;
    int64_t before[NB_MAX_RANK], d[NB_MAX_RANK];
    nb_tensor *o;
    nb_status st = mirror_begin(k, before, d, &o);
    if (st != NB_OK || !o) return st;
    if (o->nbytes) memset(o->data, 0, o->nbytes);
    int64_t off = mirror_offset(k->op);
    switch (dy->dtype) {
    case NB_FLOAT32: {
        const float *s = dy->data;
        float *t = o->data;
        MIRROR_WALK(r, dy->dims, d, before, off, t[source] += s[padded]);
        break;
    }
    case NB_FLOAT64: {
        const double *s = dy->data;
        double *t = o->data;
        MIRROR_WALK(r, dy->dims, d, before, off, t[source] += s[padded]);
        break;
    }
    case NB_INT32: {
        const int32_t *s = dy->data;
        int32_t *t = o->data;
        /* wrapping sum, as TF's int32 addition on the CPU */
        MIRROR_WALK(r, dy->dims, d, before, off, t[source] = (int32_t)((uint32_t)t[source] + (uint32_t)s[padded]));
        break;
    }
    case NB_INT64: {
        const int64_t *s = dy->data;
        int64_t *t = o->data;
        MIRROR_WALK(r, dy->dims, d, before, off, t[source] = (int64_t)((uint64_t)t[source] + (uint64_t)s[padded]));
        break;
    }
    default:
        return nbi_kerror(k, NB_ERR_DTYPE, "MirrorPadGrad does not support %s", nbi_dtype_tfname(dy->dtype));
    }
    return NB_OK;
}

/* dx = dy[before : before + shape(x)]. */
static void g_pad(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    const nb_shape *xs = nbi_in_shape(op, 0);
    int64_t pads[2 * NB_MAX_RANK];
    int r;
    if (nbi_shape_known(xs) && const_paddings(op, pads, &r) && r == xs->rank) {
        int64_t b[NB_MAX_RANK];
        for (int i = 0; i < r; i++) b[i] = pads[2 * i];
        dx[0] = nb_slice(g, dy[0], b, xs->dims, r, NULL);
        return;
    }
    int64_t b0[2] = {0, 0}, s0[2] = {-1, 1}, flat = -1;
    nb_output begin = nb_reshape(g, nb_slice(g, op->inputs[1], b0, s0, 2, NULL), 1, &flat, NULL);
    dx[0] = op3(g, NBI_OP_SLICE, dy[0], to_int32(g, begin), nb_shape_of(g, op->inputs[0], NULL), NULL);
}

const nbi_opdef nbi_opdef_PAD = {"Pad", 2, 0, infer_pad, k_pad, g_pad};

nb_output nb_pad(nb_graph *g, nb_output x, const int64_t *paddings, int rank, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (rank < 0 || rank > NB_MAX_RANK || (rank && !paddings)) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_pad: bad paddings (rank %d)", rank);
        return nb_nil;
    }
    char *scope = nbi_op_scope_push(g, name, "Pad");
    if (!scope) return nb_nil;
    int64_t d[2] = {rank, 2};
    nb_output p = ints_const(g, paddings, 2, d, "paddings");
    nb_name_scope_pop(g);
    nb_output r = nbi_binary(g, NBI_OP_PAD, x, p, scope, NULL);
    nbi_free(scope);
    return r;
}

/* A MirrorPad or MirrorPadGrad node on x with the paddings tensor p. */
static nb_output mirror_op(nb_graph *g, int type, nb_output x, nb_output p, int64_t mode, const char *name,
                           const char *defname) {
    nb_output in[2] = {x, p};
    nb_op *op = nbi_op_new(g, type, name, defname, in, 2);
    if (!op) return nb_nil;
    op->attrs.ints[0] = mode;
    return nbi_op_finish(op);
}

/* TF1's _MirrorPadGrad and _MirrorPadGradGrad: each is the other's gradient. */
static void g_mirror_pad(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = mirror_op(g, NBI_OP_MIRROR_PAD_GRAD, dy[0], op->inputs[1], op->attrs.ints[0], NULL, "MirrorPadGrad");
}

static void g_mirror_pad_grad(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = mirror_op(g, NBI_OP_MIRROR_PAD, dy[0], op->inputs[1], op->attrs.ints[0], NULL, "MirrorPad");
}

/* PadV2's constant_values gets no gradient, as in TF1's _PadGrad. */
const nbi_opdef nbi_opdef_PAD_V2 = {"PadV2", 3, 0, infer_pad, k_pad, g_pad};
const nbi_opdef nbi_opdef_MIRROR_PAD = {"MirrorPad", 2, 0, infer_pad, k_mirror_pad, g_mirror_pad};
const nbi_opdef nbi_opdef_MIRROR_PAD_GRAD = {"MirrorPadGrad", 2, 0, infer_pad, k_mirror_pad_grad, g_mirror_pad_grad};

nb_output nb_pad_ex(nb_graph *g, nb_output x, const int64_t *paddings, int rank, nb_pad_mode mode,
                    double constant_value, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (mode != NB_PAD_CONSTANT && mode != NB_PAD_REFLECT && mode != NB_PAD_SYMMETRIC) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "Unknown padding mode: %d", (int)mode);
        return nb_nil;
    }
    if (mode == NB_PAD_CONSTANT && constant_value == 0) return nb_pad(g, x, paddings, rank, name);
    if (rank < 0 || rank > NB_MAX_RANK || (rank && !paddings)) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_pad_ex: bad paddings (rank %d)", rank);
        return nb_nil;
    }
    if (nb_output_is_nil(x)) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_pad_ex: x is nil");
        return nb_nil;
    }
    const char *defname = mode == NB_PAD_CONSTANT ? "PadV2" : "MirrorPad";
    char *scope = nbi_op_scope_push(g, name, defname);
    if (!scope) return nb_nil;
    int64_t d[2] = {rank, 2};
    nb_output p = ints_const(g, paddings, 2, d, "paddings");
    nb_output r = nb_nil;
    if (mode == NB_PAD_CONSTANT) {
        nb_output c = nbi_const_owning(g, nb_tensor_scalar(nb_output_dtype(x), constant_value), "constant_values", "Const");
        nb_name_scope_pop(g);
        r = op3(g, NBI_OP_PAD_V2, x, p, c, scope);
    } else {
        nb_name_scope_pop(g);
        r = mirror_op(g, NBI_OP_MIRROR_PAD, x, p, mode, scope, NULL);
    }
    nbi_free(scope);
    return r;
}

/*** OneHot ***/

static nb_status infer_one_hot(nb_op *op) {
    if (op->attrs.axis < -1) return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "axis must be >= -1");
    nb_dtype idt = nbi_in_dtype(op, 0);
    if (idt != NB_INT32 && idt != NB_INT64 && idt != NB_UINT8)
        return nbi_infer_error(op, NB_ERR_DTYPE,
                               "Value for attr 'TI' of %s is not in the list of allowed values: uint8, int32, int64",
                               nbi_dtype_tfname(idt));
    if (!is_index_dtype(nbi_in_dtype(op, 1)))
        return nbi_infer_error(op, NB_ERR_DTYPE, "depth must be int32, got %s",
                               nbi_dtype_tfname(nbi_in_dtype(op, 1)));
    nb_dtype on = nbi_in_dtype(op, 2), off = nbi_in_dtype(op, 3);
    if (on != off)
        return nbi_infer_error(op, NB_ERR_DTYPE,
                               "Input 'off_value' of 'OneHot' Op has type %s that does not match type %s of argument 'on_value'",
                               nbi_dtype_tfname(off), nbi_dtype_tfname(on));
    for (int i = 1; i < 4; i++)
        if (nbi_in_shape(op, i)->rank > 0)
            return nbi_infer_error(op, NB_ERR_SHAPE, "Shape must be rank 0 but is rank %d for input %d",
                                   nbi_in_shape(op, i)->rank, i);
    int64_t depth = -1;
    if (nbi_const_ints(op, 1, &depth, 1) == 1 && depth < 0)
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "depth must be non-negative, got: %lld", (long long)depth);
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = on;
    const nb_shape *s = nbi_in_shape(op, 0);
    if (s->rank < 0) return NB_OK;
    int ax = op->attrs.axis;
    if (ax < -1 || ax > s->rank)
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Expected axis to be -1 or between [0, %d).  But received: %d",
                               s->rank + 1, ax);
    if (s->rank + 1 > NB_MAX_RANK)
        return nbi_infer_error(op, NB_ERR_SHAPE, "OneHot: the result would have rank above %d", NB_MAX_RANK);
    if (ax < 0) ax = s->rank;
    nb_shape o;
    o.rank = s->rank + 1;
    for (int i = 0, j = 0; i < o.rank; i++) o.dims[i] = i == ax ? depth : s->dims[j++];
    op->out_shape[0] = o;
    return NB_OK;
}

static nb_status k_one_hot(nbi_kctx *k) {
    const nb_tensor *ix = k->in[0], *on = k->in[2], *off = k->in[3];
    if (k->in[1]->size != 1 || on->size != 1 || off->size != 1)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "depth, on_value and off_value must be scalars");
    int64_t depth = load_index(k->in[1], 0);
    if (depth < 0) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "depth must be non-negative, got: %lld", (long long)depth);
    int r = ix->rank, ax = k->op->attrs.axis;
    if (ax < -1 || ax > r || r + 1 > NB_MAX_RANK)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Expected axis to be -1 or between [0, %d).  But received: %d", r + 1, ax);
    if (ax < 0) ax = r;
    int64_t d[NB_MAX_RANK];
    for (int i = 0, j = 0; i < r + 1; i++) d[i] = i == ax ? depth : ix->dims[j++];
    nb_status st = nbi_kcheck_numel(k, on->dtype, r + 1, d);
    if (st != NB_OK) return st;
    nb_tensor *o = nbi_kalloc(k, on->dtype, r + 1, d);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    size_t es = nb_dtype_size(o->dtype);
    char *dst = o->data;
    for (int64_t i = 0; i < o->size; i++) memcpy(dst + (size_t)i * es, off->data, es);
    /* indices viewed as [outer, inner]; the output as [outer, depth, inner] */
    int64_t inner = prod(ix->dims, ax, r), outer = prod(ix->dims, 0, ax);
    for (int64_t a = 0; a < outer; a++)
        for (int64_t b = 0; b < inner; b++) {
            int64_t v = load_index(ix, a * inner + b);
            if (v >= 0 && v < depth) memcpy(dst + (size_t)((a * depth + v) * inner + b) * es, on->data, es);
        }
    return NB_OK;
}

const nbi_opdef nbi_opdef_ONE_HOT = {"OneHot", 4, NBI_NO_GRAD, infer_one_hot, k_one_hot, NULL};

nb_output nb_one_hot(nb_graph *g, nb_output indices, int64_t depth, double on_value,
                     double off_value, nb_dtype dtype, const char *name) {
    return nb_one_hot_axis(g, indices, depth, on_value, off_value, dtype, -1, name);
}

nb_output nb_one_hot_axis(nb_graph *g, nb_output indices, int64_t depth, double on_value,
                          double off_value, nb_dtype dtype, int axis, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (dtype == NB_DTYPE_INVALID) dtype = NB_FLOAT32;
    if (!nbi_dtype_valid(dtype)) {
        nbi_graph_error(g, NB_ERR_DTYPE, "nb_one_hot: invalid dtype %d", (int)dtype);
        return nb_nil;
    }
    char *scope = nbi_op_scope_push(g, name, "one_hot");
    if (!scope) return nb_nil;
    nb_output on = nbi_const_owning(g, nb_tensor_scalar(dtype, on_value), "on_value", "Const");
    nb_output off = nbi_const_owning(g, nb_tensor_scalar(dtype, off_value), "off_value", "Const");
    nb_dtype ddt = depth > INT32_MAX || depth < INT32_MIN ? NB_INT64 : NB_INT32;
    nb_output dp = nbi_const_ints_node(g, ddt, &depth, 1, true, "depth");
    nb_name_scope_pop(g);
    nb_output in[4] = {indices, dp, on, off};
    nb_op *op = nbi_op_new(g, NBI_OP_ONE_HOT, scope, NULL, in, 4);
    nbi_free(scope);
    if (!op) return nb_nil;
    op->attrs.axis = axis;
    return nbi_op_finish(op);
}

/*** UnsortedSegmentSum ***/

static nb_status infer_uss(nb_op *op) {
    nb_dtype dt = nbi_in_dtype(op, 0);
    if (dt == NB_BOOL)
        return nbi_infer_error(op, NB_ERR_DTYPE, "Value for attr 'T' of bool is not in the list of allowed values");
    if (!is_index_dtype(nbi_in_dtype(op, 1)))
        return nbi_infer_error(op, NB_ERR_DTYPE, "segment_ids must be int32 or int64, got %s",
                               nbi_dtype_tfname(nbi_in_dtype(op, 1)));
    if (!is_index_dtype(nbi_in_dtype(op, 2)))
        return nbi_infer_error(op, NB_ERR_DTYPE, "num_segments must be int32 or int64, got %s",
                               nbi_dtype_tfname(nbi_in_dtype(op, 2)));
    if (nbi_in_shape(op, 2)->rank > 0)
        return nbi_infer_error(op, NB_ERR_SHAPE, "num_segments should be a scalar, got shape rank %d",
                               nbi_in_shape(op, 2)->rank);
    const nb_shape *ds = nbi_in_shape(op, 0), *is = nbi_in_shape(op, 1);
    bool prefix = ds->rank < 0 || is->rank < 0 || is->rank <= ds->rank;
    for (int i = 0; prefix && ds->rank >= 0 && i < is->rank; i++)
        prefix = ds->dims[i] < 0 || is->dims[i] < 0 || ds->dims[i] == is->dims[i];
    if (!prefix) {
        char a[128], b[128];
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "segment_ids.shape = %s does not prefix data.shape = %s",
                               nb_shape_string(*is, a, sizeof a), nb_shape_string(*ds, b, sizeof b));
    }
    int64_t num = -1;
    if (nbi_const_ints(op, 2, &num, 1) == 1 && num < 0)
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "num_segments must be non-negative, got %lld", (long long)num);
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = dt;
    if (ds->rank < 0 || is->rank < 0) return NB_OK;
    nb_shape o;
    o.rank = 1 + ds->rank - is->rank;
    o.dims[0] = num;
    for (int i = is->rank; i < ds->rank; i++) o.dims[1 + i - is->rank] = ds->dims[i];
    op->out_shape[0] = o;
    return NB_OK;
}

#define USS_ADD(T)                                                                  \
    for (int64_t i = 0; i < n; i++) {                                               \
        int64_t s = load_index(ids, i);                                             \
        if (s < 0) continue;                                                        \
        T *o_ = (T *)o->data + s * inner;                                           \
        const T *x_ = (const T *)x->data + i * inner;                               \
        for (int64_t j = 0; j < inner; j++) o_[j] += x_[j];                         \
    }

static nb_status k_uss(nbi_kctx *k) {
    const nb_tensor *x = k->in[0], *ids = k->in[1];
    if (k->in[2]->size != 1) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "num_segments should be a scalar");
    int64_t num = load_index(k->in[2], 0);
    if (num < 0) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "num_segments must be non-negative, got %lld", (long long)num);
    bool prefix = ids->rank <= x->rank && !memcmp(ids->dims, x->dims, sizeof(int64_t) * (size_t)ids->rank);
    if (!prefix) {
        char a[128], b[128];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "segment_ids.shape = %s does not prefix data.shape = %s",
                          nbi_dims_string(ids->rank, ids->dims, false, a, sizeof a),
                          nbi_dims_string(x->rank, x->dims, false, b, sizeof b));
    }
    int64_t n = ids->size;
    for (int64_t i = 0; i < n; i++) {
        int64_t s = load_index(ids, i);
        if (s >= num) {
            char b[160];
            index_string(i, ids->rank, ids->dims, b, sizeof b);
            return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "segment_ids%s = %lld is out of range [0, %lld)",
                              ids->rank ? b : "", (long long)s, (long long)num);
        }
    }
    int r = 1 + x->rank - ids->rank;
    if (r > NB_MAX_RANK) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "result of rank %d is above %d", r, NB_MAX_RANK);
    int64_t d[NB_MAX_RANK];
    d[0] = num;
    for (int i = ids->rank; i < x->rank; i++) d[1 + i - ids->rank] = x->dims[i];
    nb_status st = nbi_kcheck_numel(k, x->dtype, r, d);
    if (st != NB_OK) return st;
    nb_tensor *o = nbi_kalloc(k, x->dtype, r, d);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    if (o->nbytes) memset(o->data, 0, o->nbytes);
    int64_t inner = prod(x->dims, ids->rank, x->rank);
    if (o->size == 0 || inner == 0) return NB_OK;
    switch (x->dtype) {
    case NB_FLOAT32: USS_ADD(float) break;
    case NB_FLOAT64: USS_ADD(double) break;
    case NB_INT32: USS_ADD(uint32_t) break; /* unsigned: wraps like TF, no UB */
    case NB_INT64: USS_ADD(uint64_t) break;
    case NB_UINT8: USS_ADD(uint8_t) break;
    default: return nbi_kerror(k, NB_ERR_DTYPE, "UnsortedSegmentSum does not support %s", nbi_dtype_tfname(x->dtype));
    }
    return NB_OK;
}

/* d data = gather(dy, segment_ids), zero where an id is negative (dropped). */
static void g_uss(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output ids = op->inputs[1];
    int dr = nbi_in_shape(op, 0)->rank, ir = nbi_in_shape(op, 1)->rank;
    if (dr < 0 || ir < 0) {
        nbi_graph_error(g, NB_ERR_UNIMPLEMENTED, "gradient of '%s' needs data and segment_ids of known rank", op->name);
        return;
    }
    nb_output zero = nb_zeros_like(g, ids, NULL);
    nb_output safe = nb_maximum(g, ids, zero, NULL);
    nb_output gathered = nb_gather(g, dy[0], safe, 0, NULL);
    nb_output keep = nb_greater_equal(g, ids, zero, NULL);
    for (int i = ir; i < dr; i++) keep = nb_expand_dims(g, keep, -1, NULL);
    dx[0] = nb_where_v2(g, keep, gathered, nb_zeros_like(g, gathered, NULL), NULL);
}

const nbi_opdef nbi_opdef_UNSORTED_SEGMENT_SUM = {"UnsortedSegmentSum", 3, 0, infer_uss, k_uss, g_uss};

nb_output nb_unsorted_segment_sum(nb_graph *g, nb_output data, nb_output segment_ids,
                                  nb_output num_segments, const char *name) {
    return op3(g, NBI_OP_UNSORTED_SEGMENT_SUM, data, segment_ids, num_segments, name);
}
