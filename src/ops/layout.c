/*
 * layout.c — the ops that move elements to new places without choosing among
 * them: Transpose, Tile, ConcatV2, Pack, and the pad family (Pad, PadV2,
 * MirrorPad, MirrorPadGrad).
 * (shape.c changes only shapes; index.c picks, places and generates elements.)
 *
 * Semantics, error texts and gradients follow TensorFlow 1.x (array_ops.cc
 * shape functions, the CPU kernels, array_grad.py). Every kernel copies whole
 * rows with memcpy where the layout allows; none writes into its inputs.
 */
#include "array_impl.h"
#include "nb_internal.h"
#include "graph/graphdef_attrs.h"

#include <math.h>
#include <stdio.h>

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

const nbi_opdef nbi_opdef_TRANSPOSE = {
    .type = "Transpose", .n_inputs = 2, .infer = infer_transpose, .kernel = k_transpose, .grad = g_transpose,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"Tperm", NBI_A_T_IN1}),
};

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

const nbi_opdef nbi_opdef_TILE = {
    .type = "Tile", .n_inputs = 2, .infer = infer_tile, .kernel = k_tile, .grad = g_tile,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"Tmultiples", NBI_A_T_IN1}),
};

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

const nbi_opdef nbi_opdef_CONCAT = {
    .type = "ConcatV2", .n_inputs = -1, .infer = infer_concat, .kernel = k_concat, .grad = g_concat,
    .attrs = NBI_ATTRS({"N", NBI_A_N_MINUS_1}, NBI_ATTR_T, {"Tidx", NBI_A_T_LAST}),
};

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

const nbi_opdef nbi_opdef_PACK = {
    .type = "Pack", .n_inputs = -1, .infer = infer_pack, .kernel = k_pack, .grad = g_pack,
    .attrs = NBI_ATTRS({"N", NBI_A_N}, NBI_ATTR_T, {"axis", NBI_A_AXIS}),
};

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

const nbi_opdef nbi_opdef_PAD = {
    .type = "Pad", .n_inputs = 2, .infer = infer_pad, .kernel = k_pad, .grad = g_pad,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"Tpaddings", NBI_A_T_IN1}),
};

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
const nbi_opdef nbi_opdef_PAD_V2 = {
    .type = "PadV2", .n_inputs = 3, .infer = infer_pad, .kernel = k_pad, .grad = g_pad,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"Tpaddings", NBI_A_T_IN1}),
};
const nbi_opdef nbi_opdef_MIRROR_PAD = {
    .type = "MirrorPad", .n_inputs = 2, .infer = infer_pad, .kernel = k_mirror_pad, .grad = g_mirror_pad,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"Tpaddings", NBI_A_T_IN1}, {"mode", NBI_A_MIRROR_MODE}),
};
const nbi_opdef nbi_opdef_MIRROR_PAD_GRAD = {
    .type = "MirrorPadGrad", .n_inputs = 2, .infer = infer_pad, .kernel = k_mirror_pad_grad,
    .grad = g_mirror_pad_grad,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"Tpaddings", NBI_A_T_IN1}, {"mode", NBI_A_MIRROR_MODE}),
};

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
