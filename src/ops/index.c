/*
 * index.c — the ops that pick, place or generate elements by index: Slice,
 * GatherV2, OneHot, UnsortedSegmentSum, Range, Fill, ZerosLike and OnesLike.
 * (shape.c changes only shapes; layout.c moves elements without choosing.)
 *
 * Semantics, error texts and gradients follow TensorFlow 1.x (array_ops.cc
 * shape functions, the CPU kernels, array_grad.py and math_grad.py).
 * Inference keeps unknown dims and ranks unknown and checks whatever is known,
 * so most mistakes surface while the graph is built.
 */
#include "array_impl.h"
#include "ops/ops_impl.h"
#include "graph/graphdef_attrs.h"

#include <math.h>
#include <stdio.h>

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

const nbi_opdef nbi_opdef_SLICE = {
    .type = "Slice", .n_inputs = 3, .infer = infer_slice, .kernel = k_slice, .grad = g_slice,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"Index", NBI_A_T_IN1}),
};

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

const nbi_opdef nbi_opdef_GATHER = {
    .type = "GatherV2", .n_inputs = 3, .infer = infer_gather, .kernel = k_gather, .grad = g_gather,
    .attrs = NBI_ATTRS({"Taxis", NBI_A_T_IN2}, {"Tindices", NBI_A_T_IN1}, {"Tparams", NBI_A_T_IN0},
                       {"batch_dims", NBI_A_ZERO}),
};

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

const nbi_opdef nbi_opdef_ONE_HOT = {
    .type = "OneHot", .n_inputs = 4, .flags = NBI_NO_GRAD, .infer = infer_one_hot, .kernel = k_one_hot,
    .attrs = NBI_ATTRS({"T", NBI_A_T_OUT0}, {"TI", NBI_A_T_IN0}, {"axis", NBI_A_AXIS_LAST}),
};

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

const nbi_opdef nbi_opdef_UNSORTED_SEGMENT_SUM = {
    .type = "UnsortedSegmentSum", .n_inputs = 3, .infer = infer_uss, .kernel = k_uss, .grad = g_uss,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"Tindices", NBI_A_T_IN1}, {"Tnumsegments", NBI_A_T_IN2}),
};

nb_output nb_unsorted_segment_sum(nb_graph *g, nb_output data, nb_output segment_ids,
                                  nb_output num_segments, const char *name) {
    return op3(g, NBI_OP_UNSORTED_SEGMENT_SUM, data, segment_ids, num_segments, name);
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

const nbi_opdef nbi_opdef_FILL = {
    .type = "Fill", .n_inputs = 2, .infer = infer_fill, .kernel = k_fill, .grad = g_fill,
    .attrs = NBI_ATTRS({"T", NBI_A_T_IN1}, {"index_type", NBI_A_T_IN0}),
};

nb_output nb_fill(nb_graph *g, nb_output dims, nb_output value, const char *name) {
    return nbi_binary(g, NBI_OP_FILL, dims, value, name, NULL);
}

static nb_status k_like(nbi_kctx *k) {
    const nb_tensor *x = k->in[0];
    uint8_t v[8];
    nbi_store(v, x->dtype, 0, k->op->type == NBI_OP_ONES_LIKE ? 1.0 : 0.0);
    return fill_value(k, x->dtype, x->rank, x->dims, v);
}

const nbi_opdef nbi_opdef_ZEROS_LIKE = {
    .type = "ZerosLike", .n_inputs = 1, .flags = NBI_NO_GRAD, .kernel = k_like,
    .attrs = NBI_ATTRS_T,
};
const nbi_opdef nbi_opdef_ONES_LIKE = {
    .type = "OnesLike", .n_inputs = 1, .flags = NBI_NO_GRAD, .kernel = k_like,
    .attrs = NBI_ATTRS_T,
};

nb_output nb_zeros_like(nb_graph *g, nb_output x, const char *name) {
    return nbi_unary(g, NBI_OP_ZEROS_LIKE, x, name, "zeros_like");
}
nb_output nb_ones_like(nb_graph *g, nb_output x, const char *name) {
    return nbi_unary(g, NBI_OP_ONES_LIKE, x, name, "ones_like");
}

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

const nbi_opdef nbi_opdef_RANGE = {
    .type = "Range", .n_inputs = 3, .flags = NBI_NO_GRAD, .infer = infer_range, .kernel = k_range,
    .attrs = NBI_ATTRS({"Tidx", NBI_A_T_IN0}),
};

nb_output nb_range(nb_graph *g, nb_output start, nb_output limit, nb_output delta, const char *name) {
    return nbi_op_finish(nbi_op_new(g, NBI_OP_RANGE, name, "range", (nb_output[]){start, limit, delta}, 3));
}
