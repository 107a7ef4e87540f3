/*
 * slicing.c — the ops that cut a tensor into pieces: StridedSlice (what
 * Python's t[1:, ::-1, None, ..., 0] builds) and its StridedSliceGrad, Unpack
 * (tf.unstack), Split and SplitV (tf.split), with shape inference, CPU kernels
 * and gradient builders.
 *
 * Semantics and error texts follow TensorFlow 1.x (strided_slice_op.cc's
 * ValidateStridedSliceOp, array_ops.cc's shape functions, array_grad.py).
 * StridedSlice's attrs live in attrs.ints[0..4]: begin_mask, end_mask,
 * ellipsis_mask, new_axis_mask, shrink_axis_mask. Unpack keeps num in
 * attrs.ints[0] and its axis in attrs.axis; Split and SplitV keep num_split in
 * attrs.ints[0].
 */
#include "nb_internal.h"

#include <stdio.h>

/*** Helpers ***/

static bool is_index_dtype(nb_dtype dt) { return dt == NB_INT32 || dt == NB_INT64; }

static int64_t load_index(const nb_tensor *t, int64_t i) {
    if (t->dtype == NB_INT32) return ((const int32_t *)t->data)[i];
    return ((const int64_t *)t->data)[i];
}

static int64_t prod(const int64_t *d, int lo, int hi) {
    int64_t p = 1;
    for (int i = lo; i < hi; i++) p *= d[i];
    return p;
}

/* Moves the elements of a strided box between a big tensor (dims bd, rank r)
 * and a contiguous small one holding cnt[0] x ... x cnt[r-1] elements: element
 * (j_0, ..., j_{r-1}) of small is big[begin_i + j_i * stride_i]. gather: big ->
 * small; otherwise small -> big. Unit-stride rows go through memcpy. */
static void strided_box(char *big, const int64_t *bd, int r, const int64_t *begin,
                        const int64_t *stride, const int64_t *cnt, char *small, size_t es,
                        bool gather) {
    if (prod(cnt, 0, r) == 0) return;
    if (r == 0) {
        if (gather) memcpy(small, big, es);
        else memcpy(big, small, es);
        return;
    }
    int64_t bs[NB_MAX_RANK] = {0}, idx[NB_MAX_RANK] = {0};
    int64_t acc = 1;
    for (int i = r - 1; i >= 0; i--) {
        bs[i] = acc;
        acc *= bd[i];
    }
    int64_t n = cnt[r - 1], step = stride[r - 1] * bs[r - 1];
    int64_t rows = prod(cnt, 0, r - 1);
    size_t row = (size_t)n * es;
    for (int64_t k = 0; k < rows; k++) {
        int64_t off = begin[r - 1] * bs[r - 1];
        for (int i = 0; i < r - 1; i++) off += (begin[i] + idx[i] * stride[i]) * bs[i];
        char *b = big + off * (int64_t)es;
        if (step == 1) {
            if (gather) memcpy(small, b, row);
            else memcpy(b, small, row);
        } else if (gather) {
            for (int64_t j = 0; j < n; j++) memcpy(small + (size_t)j * es, b + j * step * (int64_t)es, es);
        } else {
            for (int64_t j = 0; j < n; j++) memcpy(b + j * step * (int64_t)es, small + (size_t)j * es, es);
        }
        small += row;
        for (int i = r - 2; i >= 0; i--) {
            if (++idx[i] < cnt[i]) break;
            idx[i] = 0;
        }
    }
}

/*** StridedSlice: the spec ***/

/* A sparse spec may list up to 31 entries (TF uses 32-bit masks). */
#define SS_MAX_SPARSE 31
enum { SS_NEW_AXIS = -1, SS_SHRINK = -2 };

typedef struct ss_spec {
    int rank;                       /* the input's */
    int64_t begin[NB_MAX_RANK];     /* dense, canonical (valid when begin and end are known) */
    int64_t stride[NB_MAX_RANK];
    int64_t proc[NB_MAX_RANK];      /* the processing shape: elements taken per input dim (-1 unknown) */
    int final_rank;
    int64_t final_dims[SS_MAX_SPARSE + NB_MAX_RANK + 1];
    bool identity;
} ss_spec;

/* TF's ValidateStridedSliceOp: the input has rank r and dims d (-1 unknown);
 * the n entries of b and e may be NULL (not known before running), s is known.
 * Fills sp, or writes TF's message into msg and returns false. */
static bool ss_compute(int r, const int64_t *d, int n, const int64_t *b, const int64_t *e,
                       const int64_t *s, const int64_t *masks, ss_spec *sp, char *msg, size_t msz) {
    uint64_t bm = (uint32_t)masks[0], em = (uint32_t)masks[1], el = (uint32_t)masks[2];
    uint64_t na = (uint32_t)masks[3], sh = (uint32_t)masks[4];
    if (el & (el - 1)) {
        snprintf(msg, msz, "Multiple ellipses in slice spec not allowed");
        return false;
    }
    /* Step 1: new axes after the ellipsis; an implicit ellipsis at the end. */
    int sd = n, add_after = 0;
    bool seen = false;
    for (int i = 0; i < n; i++) {
        if (seen && ((na >> i) & 1)) add_after++;
        if ((el >> i) & 1) seen = true;
    }
    if (!seen) {
        el |= 1ull << n;
        sd = n + 1;
    }
    /* Step 2: the dense spec, one entry per input dim. */
    int64_t db[NB_MAX_RANK] = {0}, de[NB_MAX_RANK] = {0}, ds[NB_MAX_RANK];
    uint64_t dbm = 0, dem = 0, dsh = 0;
    int gather[SS_MAX_SPARSE + NB_MAX_RANK + 1], ng = 0, full = 0;
    for (int i = 0; i < sd; i++) {
        if ((el >> i) & 1) {
            int next = r - (sd - i) + 1 + add_after;
            if (next > r) next = r;
            for (; full < next; full++) {
                db[full] = de[full] = 0;
                ds[full] = 1;
                dbm |= 1ull << full;
                dem |= 1ull << full;
                gather[ng++] = full;
            }
        } else if ((na >> i) & 1) {
            gather[ng++] = SS_NEW_AXIS;
        } else {
            if (full == r) {
                snprintf(msg, msz, "Index out of range using input dim %d; input has only %d dims", full, r);
                return false;
            }
            db[full] = b ? b[i] : 0;
            de[full] = e ? e[i] : 0;
            ds[full] = s[i];
            if ((bm >> i) & 1) dbm |= 1ull << full;
            if ((em >> i) & 1) dem |= 1ull << full;
            if ((sh >> i) & 1) {
                gather[ng++] = SS_SHRINK;
                dsh |= 1ull << full;
            } else {
                gather[ng++] = full;
            }
            full++;
        }
    }
    /* Step 3: canonical ranges, bounds checks and the processing shape. */
    bool valid = b && e;
    sp->rank = r;
    sp->identity = valid;
    for (int i = 0; i < r; i++) {
        int64_t bi = db[i], ei = de[i], si = ds[i], dim = d[i];
        if (si == 0) {
            snprintf(msg, msz, "strides[%d] must be non-zero", i);
            return false;
        }
        bool shrink = (dsh >> i) & 1, bmask = (dbm >> i) & 1, emask = (dem >> i) & 1;
        sp->stride[i] = si;
        sp->begin[i] = 0;
        if (dim < 0) {
            sp->proc[i] = shrink ? 1 : -1;
            sp->identity = false;
            continue;
        }
        if (shrink && si <= 0) {
            snprintf(msg, msz, "only stride 1 allowed on non-range indexing.");
            return false;
        }
        int64_t lo = si > 0 ? 0 : -1, hi = si > 0 ? dim : dim - 1;
        bool known = false;
        int64_t len = 0;
        if (valid) {
            if (shrink) {
                int64_t fwd = bi < 0 ? dim + bi : bi;
                bi = fwd;
                ei = bi + 1;
                if (fwd < 0 || fwd >= dim) {
                    snprintf(msg, msz, "slice index %lld of dimension %d out of bounds.", (long long)bi, i);
                    return false;
                }
            } else {
                /* masked: the far end in the stride's direction; else clamp */
                if (bmask) {
                    bi = si > 0 ? lo : hi;
                } else {
                    int64_t f = bi < 0 ? dim + bi : bi;
                    bi = f < lo ? lo : f > hi ? hi : f;
                }
                if (emask) {
                    ei = si > 0 ? hi : lo;
                } else {
                    int64_t f = ei < 0 ? dim + ei : ei;
                    ei = f < lo ? lo : f > hi ? hi : f;
                }
            }
            sp->identity = sp->identity && si == 1 && bi == 0 && ei == dim;
            len = ei - bi;
            known = true;
            sp->begin[i] = bi;
        } else if (shrink) {
            len = 1;
            known = true;
        } else if (bmask && emask) {
            len = si < 0 ? -dim : dim;
            known = true;
        }
        if (!known) sp->proc[i] = -1;
        else if (len == 0 || ((len < 0) != (si < 0))) sp->proc[i] = 0;
        else sp->proc[i] = len / si + (len % si != 0 ? 1 : 0);
    }
    /* Step 4: the final shape: new axes add a 1, shrunk dims go away. */
    sp->final_rank = 0;
    for (int k = 0; k < ng; k++) {
        if (gather[k] >= 0) sp->final_dims[sp->final_rank++] = sp->proc[gather[k]];
        else if (gather[k] == SS_NEW_AXIS) sp->final_dims[sp->final_rank++] = 1;
    }
    if (sp->final_rank > NB_MAX_RANK) {
        snprintf(msg, msz, "StridedSlice: the result would have rank %d, above %d", sp->final_rank,
                 NB_MAX_RANK);
        return false;
    }
    return true;
}

/* Checks begin, end, strides (inputs first .. first+2) and any extra index
 * input (the Grad's shape, at `extra` >= 0): one int dtype, rank 1, one length.
 * Returns the length (-1 unknown), or -2 after recording an error. */
static int ss_check_index_inputs(nb_op *op, int first, int extra) {
    static const char *const names[3] = {"begin", "end", "strides"};
    nb_dtype dt = nbi_in_dtype(op, first);
    if (!is_index_dtype(dt)) {
        nbi_infer_error(op, NB_ERR_DTYPE,
                        "Value for attr 'Index' of %s is not in the list of allowed values: int32, int64",
                        nbi_dtype_tfname(dt));
        return -2;
    }
    for (int j = 1; j < 3; j++)
        if (nbi_in_dtype(op, first + j) != dt) {
            nbi_infer_error(op, NB_ERR_DTYPE,
                            "Input '%s' of '%s' Op has type %s that does not match type %s of argument 'begin'",
                            names[j], op->def->type, nbi_dtype_tfname(nbi_in_dtype(op, first + j)),
                            nbi_dtype_tfname(dt));
            return -2;
        }
    if (extra >= 0 && nbi_in_dtype(op, extra) != dt) {
        nbi_infer_error(op, NB_ERR_DTYPE,
                        "Input 'shape' of '%s' Op has type %s that does not match type %s of argument 'begin'",
                        op->def->type, nbi_dtype_tfname(nbi_in_dtype(op, extra)), nbi_dtype_tfname(dt));
        return -2;
    }
    int64_t n = -1;
    for (int j = 0; j < 3; j++) {
        const nb_shape *s = nbi_in_shape(op, first + j);
        if (s->rank < 0) continue;
        if (s->rank != 1) {
            nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Shape must be rank 1 but is rank %d", s->rank);
            return -2;
        }
        if (s->dims[0] < 0) continue;
        if (n >= 0 && n != s->dims[0]) {
            nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Dimensions must be equal, but are %lld and %lld",
                            (long long)n, (long long)s->dims[0]);
            return -2;
        }
        n = s->dims[0];
    }
    if (n > SS_MAX_SPARSE) {
        char a[64];
        int64_t nn = n;
        nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT,
                        "Expected begin, end, and strides to be 1D equal size tensors, but got shape %s for strides.",
                        nbi_dims_string(1, &nn, false, a, sizeof a));
        return -2;
    }
    return (int)n;
}

/* Reads begin, end, strides at run time (inputs first .. first+2). */
static nb_status ss_read_index_inputs(nbi_kctx *k, int first, int *n, int64_t *b, int64_t *e, int64_t *s) {
    const nb_tensor *bt = k->in[first], *et = k->in[first + 1], *st = k->in[first + 2];
    if (bt->rank != 1 || et->rank != 1 || st->rank != 1 || bt->size != st->size ||
        et->size != st->size || bt->size > SS_MAX_SPARSE) {
        char x[64], y[64], z[64];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                          "Expected begin, end, and strides to be 1D equal size tensors, but got shapes %s, %s, and %s instead.",
                          nbi_dims_string(bt->rank, bt->dims, false, x, sizeof x),
                          nbi_dims_string(et->rank, et->dims, false, y, sizeof y),
                          nbi_dims_string(st->rank, st->dims, false, z, sizeof z));
    }
    *n = (int)bt->size;
    for (int i = 0; i < *n; i++) {
        b[i] = load_index(bt, i);
        e[i] = load_index(et, i);
        s[i] = load_index(st, i);
    }
    return NB_OK;
}

/*** StridedSlice ***/

static nb_status infer_strided_slice(nb_op *op) {
    int n = ss_check_index_inputs(op, 1, -1);
    if (n == -2) return op->graph->status;
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 0);
    op->out_shape[0] = nb_shape_make(-1, NULL);
    const nb_shape *x = nbi_in_shape(op, 0);
    int64_t b[SS_MAX_SPARSE + 1], e[SS_MAX_SPARSE + 1], s[SS_MAX_SPARSE + 1];
    if (x->rank < 0 || n < 0 || nbi_const_ints(op, 3, s, SS_MAX_SPARSE) != n) return NB_OK;
    bool kb = nbi_const_ints(op, 1, b, SS_MAX_SPARSE) == n;
    bool ke = nbi_const_ints(op, 2, e, SS_MAX_SPARSE) == n;
    ss_spec sp;
    char msg[256];
    if (!ss_compute(x->rank, x->dims, n, kb ? b : NULL, ke ? e : NULL, s, op->attrs.ints, &sp, msg,
                    sizeof msg))
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "%s", msg);
    op->out_shape[0] = nb_shape_make(sp.final_rank, sp.final_dims);
    return NB_OK;
}

static nb_status k_strided_slice(nbi_kctx *k) {
    nb_tensor *x = k->in[0];
    int n;
    int64_t b[SS_MAX_SPARSE], e[SS_MAX_SPARSE], s[SS_MAX_SPARSE];
    nb_status st = ss_read_index_inputs(k, 1, &n, b, e, s);
    if (st != NB_OK) return st;
    ss_spec sp;
    char msg[256];
    if (!ss_compute(x->rank, x->dims, n, b, e, s, k->op->attrs.ints, &sp, msg, sizeof msg))
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "%s", msg);
    if (sp.identity) {
        k->out[0] = nbi_kview(k, x, sp.final_rank, sp.final_dims);
        return k->out[0] ? NB_OK : NB_ERR_OUT_OF_MEMORY;
    }
    nb_tensor *o = nbi_kalloc(k, x->dtype, sp.final_rank, sp.final_dims);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    strided_box(x->data, x->dims, x->rank, sp.begin, sp.stride, sp.proc, o->data,
                nb_dtype_size(x->dtype), true);
    return NB_OK;
}

static nb_output strided_slice_op(nb_graph *g, int type, const nb_output *in, int n_in,
                                  const int64_t *masks, const char *name, const char *defname) {
    nb_op *op = nbi_op_new(g, type, name, defname, in, n_in);
    if (!op) return nb_nil;
    for (int i = 0; i < 5; i++) op->attrs.ints[i] = masks[i];
    op->attrs.n_ints = 5;
    return nbi_op_finish(op);
}

/* dx = StridedSliceGrad(Shape(x), begin, end, strides, dy), same masks. */
static void g_strided_slice(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output shape = nb_shape_of(g, op->inputs[0], NULL);
    if (nbi_in_dtype(op, 1) == NB_INT64) shape = nb_cast(g, shape, NB_INT64, NULL);
    nb_output in[5] = {shape, op->inputs[1], op->inputs[2], op->inputs[3], dy[0]};
    dx[0] = strided_slice_op(g, NBI_OP_STRIDED_SLICE_GRAD, in, 5, op->attrs.ints, NULL, NULL);
}

const nbi_opdef nbi_opdef_STRIDED_SLICE = {"StridedSlice", 4, 0, infer_strided_slice,
                                           k_strided_slice, g_strided_slice};

/*** StridedSliceGrad ***/

static nb_status infer_strided_slice_grad(nb_op *op) {
    int n = ss_check_index_inputs(op, 1, 0);
    if (n == -2) return op->graph->status;
    const nb_shape *ss = nbi_in_shape(op, 0);
    if (ss->rank >= 0 && ss->rank != 1)
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Shape must be rank 1 but is rank %d", ss->rank);
    if (ss->rank == 1 && ss->dims[0] > NB_MAX_RANK)
        return nbi_infer_error(op, NB_ERR_SHAPE, "StridedSliceGrad: shape has more than %d dims", NB_MAX_RANK);
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 4);
    int64_t d[NB_MAX_RANK];
    int r = nbi_const_ints(op, 0, d, NB_MAX_RANK);
    if (r >= 0) {
        for (int i = 0; i < r; i++)
            if (d[i] < 0)
                return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Dimension %d must be >= 0", i);
        op->out_shape[0] = nb_shape_make(r, d);
    } else if (ss->rank == 1 && ss->dims[0] >= 0) {
        int64_t u[NB_MAX_RANK];
        for (int i = 0; i < NB_MAX_RANK; i++) u[i] = NB_DIM_UNKNOWN;
        op->out_shape[0] = nb_shape_make((int)ss->dims[0], u);
    } else {
        op->out_shape[0] = nb_shape_make(-1, NULL);
    }
    return NB_OK;
}

static nb_status k_strided_slice_grad(nbi_kctx *k) {
    const nb_tensor *shp = k->in[0], *dy = k->in[4];
    if (shp->rank != 1 || shp->size > NB_MAX_RANK) {
        char a[64];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "shape must be a vector of at most %d values, got %s",
                          NB_MAX_RANK, nbi_dims_string(shp->rank, shp->dims, false, a, sizeof a));
    }
    int r = (int)shp->size;
    int64_t d[NB_MAX_RANK];
    for (int i = 0; i < r; i++) {
        d[i] = load_index(shp, i);
        if (d[i] < 0) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Dimension %d must be >= 0", i);
    }
    if (nbi_numel(r, d) < 0) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "shape is too large");
    int n;
    int64_t b[SS_MAX_SPARSE], e[SS_MAX_SPARSE], s[SS_MAX_SPARSE];
    nb_status st = ss_read_index_inputs(k, 1, &n, b, e, s);
    if (st != NB_OK) return st;
    ss_spec sp;
    char msg[256];
    if (!ss_compute(r, d, n, b, e, s, k->op->attrs.ints, &sp, msg, sizeof msg))
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "%s", msg);
    if (!nbi_same_dims(dy, sp.final_rank, sp.final_dims)) {
        char a[128], c[128];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "shape of dy was %s instead of %s",
                          nbi_dims_string(dy->rank, dy->dims, false, a, sizeof a),
                          nbi_dims_string(sp.final_rank, sp.final_dims, false, c, sizeof c));
    }
    nb_tensor *o = nbi_kalloc(k, dy->dtype, r, d);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    memset(o->data, 0, o->nbytes);
    strided_box(o->data, d, r, sp.begin, sp.stride, sp.proc, dy->data, nb_dtype_size(dy->dtype), false);
    return NB_OK;
}

/* d(grad input) = StridedSlice(dy, begin, end, strides); no gradient to the index inputs. */
static void g_strided_slice_grad(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output in[4] = {dy[0], op->inputs[1], op->inputs[2], op->inputs[3]};
    dx[4] = strided_slice_op(g, NBI_OP_STRIDED_SLICE, in, 4, op->attrs.ints, NULL, NULL);
}

const nbi_opdef nbi_opdef_STRIDED_SLICE_GRAD = {"StridedSliceGrad", 5, 0, infer_strided_slice_grad,
                                                k_strided_slice_grad, g_strided_slice_grad};

nb_output nb_strided_slice_t(nb_graph *g, nb_output x, nb_output begin, nb_output end,
                             nb_output strides, int begin_mask, int end_mask, int ellipsis_mask,
                             int new_axis_mask, int shrink_axis_mask, const char *name) {
    int64_t masks[5] = {begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask};
    nb_output in[4] = {x, begin, end, strides};
    return strided_slice_op(g, NBI_OP_STRIDED_SLICE, in, 4, masks, name, NULL);
}

nb_output nb_strided_slice(nb_graph *g, nb_output x, const int64_t *begin, const int64_t *end,
                           const int64_t *strides, int n, int begin_mask, int end_mask,
                           int ellipsis_mask, int new_axis_mask, int shrink_axis_mask,
                           const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (n < 0 || n > SS_MAX_SPARSE || (n && (!begin || !end))) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT,
                        "nb_strided_slice: needs begin and end of 0 to %d entries (got %d)", SS_MAX_SPARSE, n);
        return nb_nil;
    }
    int64_t v[3][SS_MAX_SPARSE];
    nb_dtype dt = NB_INT32;
    for (int i = 0; i < n; i++) {
        v[0][i] = begin[i];
        v[1][i] = end[i];
        v[2][i] = strides ? strides[i] : 1;
        for (int j = 0; j < 3; j++)
            if (v[j][i] > INT32_MAX || v[j][i] < INT32_MIN) dt = NB_INT64;
    }
    /* As TF's _slice_helper: scope "strided_slice" holding the packed stack Consts. */
    char *scope = nbi_op_scope_push(g, name, "strided_slice");
    if (!scope) return nb_nil;
    nb_output b = nbi_const_ints_node(g, dt, v[0], n, false, "stack");
    nb_output e = nbi_const_ints_node(g, dt, v[1], n, false, "stack_1");
    nb_output s = nbi_const_ints_node(g, dt, v[2], n, false, "stack_2");
    nb_name_scope_pop(g);
    nb_output r = nb_strided_slice_t(g, x, b, e, s, begin_mask, end_mask, ellipsis_mask, new_axis_mask,
                                     shrink_axis_mask, scope);
    nbi_free(scope);
    return r;
}
