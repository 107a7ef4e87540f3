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
#include "graph/graphdef_attrs.h"

#include <stdio.h>

/*** Helpers ***/

static bool is_index_dtype(nb_dtype dt) { return dt == NB_INT32 || dt == NB_INT64; }

/* One row of n elements, stride `step` (elements, may be negative) in big,
 * contiguous in small. A memcpy of a constant size compiles to one move, so
 * the common element sizes get their own loops. */
#define ROW_LOOP(ES)                                                                      \
    do {                                                                                  \
        if (gather)                                                                       \
            for (int64_t j = 0; j < n; j++) memcpy(small + j * (ES), big + j * step * (ES), (ES)); \
        else                                                                              \
            for (int64_t j = 0; j < n; j++) memcpy(big + j * step * (ES), small + j * (ES), (ES)); \
    } while (0)
static void strided_row(char *big, int64_t step, char *small, int64_t n, size_t es, bool gather) {
    switch (es) {
    case 1: ROW_LOOP(1); break;
    case 4: ROW_LOOP(4); break;
    case 8: ROW_LOOP(8); break;
    default: {
        int64_t e = (int64_t)es;
        ROW_LOOP(e);
    }
    }
}
#undef ROW_LOOP

/* Moves the elements of a strided box between a big tensor (dims bd, rank r)
 * and a contiguous small one holding cnt[0] x ... x cnt[r-1] elements: element
 * (j_0, ..., j_{r-1}) of small is big[begin_i + j_i * stride_i]. gather: big ->
 * small; otherwise small -> big. Unit-stride rows go through memcpy. */
static void strided_box(char *big, const int64_t *bd, int r, const int64_t *begin,
                        const int64_t *stride, const int64_t *cnt, char *small, size_t es,
                        bool gather) {
    if (nbi_dims_prod(cnt, 0, r) == 0) return;
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
    int64_t rows = nbi_dims_prod(cnt, 0, r - 1);
    size_t row = (size_t)n * es;
    for (int64_t k = 0; k < rows; k++) {
        int64_t off = begin[r - 1] * bs[r - 1];
        for (int i = 0; i < r - 1; i++) off += (begin[i] + idx[i] * stride[i]) * bs[i];
        char *b = big + off * (int64_t)es;
        if (step == 1) {
            if (gather) memcpy(small, b, row);
            else memcpy(b, small, row);
        } else {
            strided_row(b, step, small, n, es, gather);
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
        b[i] = nbi_load_index(bt, i);
        e[i] = nbi_load_index(et, i);
        s[i] = nbi_load_index(st, i);
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

const nbi_opdef nbi_opdef_STRIDED_SLICE = {
    .type = "StridedSlice", .n_inputs = 4, .infer = infer_strided_slice, .kernel = k_strided_slice,
    .grad = g_strided_slice,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"Index", NBI_A_T_IN1}, {"begin_mask", NBI_A_I0},
                       {"ellipsis_mask", NBI_A_I2}, {"end_mask", NBI_A_I1}, {"new_axis_mask", NBI_A_I3},
                       {"shrink_axis_mask", NBI_A_I4}),
};

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
        d[i] = nbi_load_index(shp, i);
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

const nbi_opdef nbi_opdef_STRIDED_SLICE_GRAD = {
    .type = "StridedSliceGrad", .n_inputs = 5, .infer = infer_strided_slice_grad,
    .kernel = k_strided_slice_grad, .grad = g_strided_slice_grad,
    .attrs = NBI_ATTRS({"Index", NBI_A_T_IN0}, {"T", NBI_A_T_LAST}, {"begin_mask", NBI_A_I0},
                       {"ellipsis_mask", NBI_A_I2}, {"end_mask", NBI_A_I1}, {"new_axis_mask", NBI_A_I3},
                       {"shrink_axis_mask", NBI_A_I4}),
};

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

/*** Splitting: Unpack, Split, SplitV ***/

/* Copies piece k (sizes sz[k] along axis ax) of x into each output. */
static nb_status split_kernel(nbi_kctx *k, const nb_tensor *x, int ax, const int64_t *sz, int n, bool drop_axis) {
    size_t es = nb_dtype_size(x->dtype);
    int r = x->rank;
    /* An empty x has empty pieces: no rows to copy (and the dims products of
     * [0, 3, 2^62] overflow int64). */
    int64_t outer = x->size ? nbi_dims_prod(x->dims, 0, ax) : 0, inner = x->size ? nbi_dims_prod(x->dims, ax + 1, r) : 0;
    size_t xrow = (size_t)(x->dims[ax] * inner) * es;
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        int64_t d[NB_MAX_RANK];
        int orank = 0;
        for (int j = 0; j < r; j++) {
            if (j == ax && drop_axis) continue;
            d[orank++] = j == ax ? sz[i] : x->dims[j];
        }
        nb_tensor *o = nbi_kalloc(k, x->dtype, orank, d);
        if (!o) return NB_ERR_OUT_OF_MEMORY;
        k->out[i] = o;
        size_t row = (size_t)(sz[i] * inner) * es;
        if (row)
            for (int64_t j = 0; j < outer; j++)
                memcpy((char *)o->data + (size_t)j * row, (const char *)x->data + (size_t)j * xrow + off, row);
        off += row;
    }
    return NB_OK;
}

/* The incoming gradients, with zeros for the outputs none flowed into. */
static nb_output *grads_or_zeros(nb_graph *g, nb_op *op, const nb_output *dy) {
    int n = op->n_outputs;
    nb_output *v = nbi_malloc((size_t)(n ? n : 1) * sizeof *v);
    if (!v) {
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory in the gradient of '%s'", op->name);
        return NULL;
    }
    for (int i = 0; i < n; i++) v[i] = nb_output_is_nil(dy[i]) ? nb_zeros_like(g, nbi_out(op, i), NULL) : dy[i];
    return v;
}

/* ConcatV2(dys..., axis) with axis a graph tensor. */
static nb_output concat_grads(nb_graph *g, nb_op *op, const nb_output *dy, nb_output axis) {
    int n = op->n_outputs;
    nb_output *v = grads_or_zeros(g, op, dy);
    if (!v) return nb_nil;
    nb_output *in = nbi_malloc(((size_t)n + 1) * sizeof *in);
    nb_output r = nb_nil;
    if (!in) {
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory in the gradient of '%s'", op->name);
    } else {
        memcpy(in, v, (size_t)n * sizeof *in);
        in[n] = axis;
        r = nbi_op_finish(nbi_op_new(g, NBI_OP_CONCAT, NULL, NULL, in, n + 1));
    }
    nbi_free(in);
    nbi_free(v);
    return r;
}

/*** Unpack ***/

static nb_status infer_unpack(nb_op *op) {
    int64_t num = op->attrs.ints[0];
    if (num < 0 || num > INT32_MAX)
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Value for attr 'num' of %lld must be at least minimum 0",
                               (long long)num);
    const nb_shape *s = nbi_in_shape(op, 0);
    nb_shape o = nb_shape_make(-1, NULL);
    if (s->rank >= 0) {
        int ax = op->attrs.axis;
        if (ax < -s->rank || ax >= s->rank)
            return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Invalid axis: %d; must be in [%d,%d)", ax, -s->rank,
                                   s->rank);
        if (ax < 0) ax += s->rank;
        if (s->dims[ax] >= 0 && s->dims[ax] != num)
            return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Dimension must be %lld but is %lld", (long long)num,
                                   (long long)s->dims[ax]);
        o.rank = s->rank - 1;
        for (int i = 0, j = 0; i < s->rank; i++)
            if (i != ax) o.dims[j++] = s->dims[i];
    }
    if (!nbi_set_outputs(op, (int)num)) return NB_ERR_OUT_OF_MEMORY;
    for (int i = 0; i < num; i++) {
        op->out_dtype[i] = nbi_in_dtype(op, 0);
        op->out_shape[i] = o;
    }
    return NB_OK;
}

static nb_status k_unpack(nbi_kctx *k) {
    const nb_tensor *x = k->in[0];
    int64_t num = k->op->attrs.ints[0];
    int ax = k->op->attrs.axis;
    if (x->rank > 0 && ax < 0) ax += x->rank;
    if (x->rank == 0 || ax < 0 || ax >= x->rank || x->dims[ax] != num) {
        char a[128];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Input shape axis %d must equal %lld, got shape %s",
                          k->op->attrs.axis, (long long)num, nbi_dims_string(x->rank, x->dims, false, a, sizeof a));
    }
    int64_t *sz = nbi_kscratch(k, (size_t)(num ? num : 1) * sizeof *sz);
    if (!sz) return NB_ERR_OUT_OF_MEMORY;
    for (int64_t i = 0; i < num; i++) sz[i] = 1;
    return split_kernel(k, x, ax, sz, (int)num, true);
}

/* Stack the incoming gradients back along the axis. */
static void g_unpack(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    if (op->n_outputs == 0) {
        dx[0] = nb_zeros_like(g, op->inputs[0], NULL);
        return;
    }
    nb_output *v = grads_or_zeros(g, op, dy);
    if (!v) return;
    dx[0] = nb_stack(g, v, op->n_outputs, op->attrs.axis, NULL);
    nbi_free(v);
}

const nbi_opdef nbi_opdef_UNPACK = {
    .type = "Unpack", .n_inputs = 1, .infer = infer_unpack, .kernel = k_unpack, .grad = g_unpack,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"axis", NBI_A_AXIS}, {"num", NBI_A_I0}),
};

nb_output nb_unstack(nb_graph *g, nb_output value, int num, int axis, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (num < 0) {
        if (nb_output_is_nil(value) || value.op->graph != g) {
            nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_unstack: value is not an output of this graph");
            return nb_nil;
        }
        nb_shape s = nb_output_shape(value);
        int ax = axis < 0 && s.rank >= 0 ? axis + s.rank : axis;
        if (s.rank < 0 || ax < 0 || ax >= s.rank || s.dims[ax] < 0) {
            char b[256];
            nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "Cannot infer num from shape %s",
                            nbi_dims_string(s.rank, s.dims, true, b, sizeof b));
            return nb_nil;
        }
        num = (int)s.dims[ax];
    }
    nb_op *op = nbi_op_new(g, NBI_OP_UNPACK, name, "unstack", &value, 1);
    if (!op) return nb_nil;
    op->attrs.ints[0] = num;
    op->attrs.n_ints = 1;
    op->attrs.axis = axis;
    return nbi_op_finish(op);
}

/*** Split ***/

/* The split axis of a known rank r from a known scalar input, or -1 when not
 * known; -2 after recording TF's error. */
static int split_axis(nb_op *op, int in, int r) {
    int64_t a;
    if (nbi_const_ints(op, in, &a, 1) != 1 || r < 0) return -1;
    if (a < -r || a >= r) {
        nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Dimension size, given by scalar input %d must be in range [-%d, %d)",
                        in, r, r);
        return -2;
    }
    return (int)(a < 0 ? a + r : a);
}

static nb_status check_split_dim_input(nb_op *op, int in) {
    nb_dtype dt = nbi_in_dtype(op, in);
    if (dt != NB_INT32)
        return nbi_infer_error(op, NB_ERR_DTYPE, "Input 'split_dim' of '%s' Op has type %s that does not match expected type of int32",
                               op->def->type, nbi_dtype_tfname(dt));
    const nb_shape *s = nbi_in_shape(op, in);
    if (s->rank > 0) return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Shape must be rank 0 but is rank %d", s->rank);
    return NB_OK;
}

static nb_status infer_split(nb_op *op) {
    int64_t num = op->attrs.ints[0];
    if (num < 1 || num > INT32_MAX)
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Value for attr 'num_split' of %lld must be at least minimum 1",
                               (long long)num);
    nb_status st = check_split_dim_input(op, 0);
    if (st != NB_OK) return st;
    const nb_shape *s = nbi_in_shape(op, 1);
    int ax = split_axis(op, 0, s->rank);
    if (ax == -2) return op->graph->status;
    nb_shape o = *s;
    if (ax < 0) {
        for (int i = 0; i < o.rank; i++) o.dims[i] = NB_DIM_UNKNOWN;
    } else if (s->dims[ax] >= 0) {
        if (s->dims[ax] % num)
            return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT,
                                   "Dimension size must be evenly divisible by %lld but is %lld\n\tNumber of ways to split should evenly divide the split dimension",
                                   (long long)num, (long long)s->dims[ax]);
        o.dims[ax] = s->dims[ax] / num;
    }
    if (!nbi_set_outputs(op, (int)num)) return NB_ERR_OUT_OF_MEMORY;
    for (int i = 0; i < num; i++) {
        op->out_dtype[i] = nbi_in_dtype(op, 1);
        op->out_shape[i] = o;
    }
    return NB_OK;
}

/* The run-time axis from a scalar int32 tensor, checked against rank r. */
static nb_status run_axis(nbi_kctx *k, const nb_tensor *t, int r, int *ax) {
    if (t->size != 1 || t->rank != 0) {
        char a[64];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "split_dim must be a scalar but has shape %s",
                          nbi_dims_string(t->rank, t->dims, false, a, sizeof a));
    }
    int64_t a = nbi_load_index(t, 0);
    if (a < -r || a >= r)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "-input rank(-%d) <= split_dim < input rank (%d), but got %lld",
                          r, r, (long long)a);
    *ax = (int)(a < 0 ? a + r : a);
    return NB_OK;
}

static nb_status k_split(nbi_kctx *k) {
    const nb_tensor *x = k->in[1];
    int64_t num = k->op->attrs.ints[0];
    int ax;
    nb_status st = run_axis(k, k->in[0], x->rank, &ax);
    if (st != NB_OK) return st;
    if (x->dims[ax] % num)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                          "Number of ways to split should evenly divide the split dimension, but got split_dim %d (size = %lld) and num_split %lld",
                          ax, (long long)x->dims[ax], (long long)num);
    int64_t *sz = nbi_kscratch(k, (size_t)num * sizeof *sz);
    if (!sz) return NB_ERR_OUT_OF_MEMORY;
    for (int64_t i = 0; i < num; i++) sz[i] = x->dims[ax] / num;
    return split_kernel(k, x, ax, sz, (int)num, false);
}

static void g_split(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[1] = concat_grads(g, op, dy, op->inputs[0]);
}

const nbi_opdef nbi_opdef_SPLIT = {
    .type = "Split", .n_inputs = 2, .infer = infer_split, .kernel = k_split, .grad = g_split,
    .attrs = NBI_ATTRS({"T", NBI_A_T_IN1}, {"num_split", NBI_A_I0}),
};

nb_output nb_split(nb_graph *g, nb_output value, int num_split, int axis, const char *name) {
    char *scope = nbi_op_scope_push(g, name, "split");
    if (!scope) return nb_nil;
    nb_output a = nb_constant_i32(g, axis, "split_dim");
    nb_name_scope_pop(g);
    nb_output in[2] = {a, value};
    nb_op *op = nbi_op_new(g, NBI_OP_SPLIT, scope, NULL, in, 2);
    nbi_free(scope);
    if (!op) return nb_nil;
    op->attrs.ints[0] = num_split;
    op->attrs.n_ints = 1;
    return nbi_op_finish(op);
}

/*** SplitV ***/

/* Resolves sizes (one may be -1) against a dim of size d (-1 unknown). Returns
 * false after writing TF's message. */
static bool resolve_sizes(int64_t *sz, int n, int64_t d, char *msg, size_t msz) {
    int neg = -1;
    int64_t sum = 0;
    for (int i = 0; i < n; i++) {
        if (sz[i] == -1) {
            if (neg >= 0) {
                snprintf(msg, msz, "Only one dimensions can have a value of -1. Second one found at dimension %d", i);
                return false;
            }
            neg = i;
        } else if (sz[i] < 0) {
            snprintf(msg, msz, "size_splits[%d] = %lld must be >= -1", i, (long long)sz[i]);
            return false;
        } else {
            sum += sz[i];
        }
    }
    if (d < 0) return true;
    if ((neg < 0 && sum != d) || (neg >= 0 && sum > d)) {
        snprintf(msg, msz,
                 "Determined shape must either match input shape along split_dim exactly if fully specified, or be "
                 "less than the size of the input along split_dim if not fully specified.  Got: %lld",
                 (long long)sum);
        return false;
    }
    if (neg >= 0) sz[neg] = d - sum;
    return true;
}

static nb_status infer_split_v(nb_op *op) {
    int64_t num = op->attrs.ints[0];
    if (num < 1 || num > INT32_MAX)
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Value for attr 'num_split' of %lld must be at least minimum 1",
                               (long long)num);
    nb_dtype ldt = nbi_in_dtype(op, 1);
    if (!is_index_dtype(ldt))
        return nbi_infer_error(op, NB_ERR_DTYPE,
                               "Value for attr 'Tlen' of %s is not in the list of allowed values: int32, int64",
                               nbi_dtype_tfname(ldt));
    nb_status st = check_split_dim_input(op, 2);
    if (st != NB_OK) return st;
    const nb_shape *ls = nbi_in_shape(op, 1);
    if (ls->rank >= 0 && ls->rank != 1)
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Shape must be rank 1 but is rank %d", ls->rank);
    if (ls->rank == 1 && ls->dims[0] >= 0 && ls->dims[0] != num)
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Dimension must be %lld but is %lld", (long long)num,
                               (long long)ls->dims[0]);
    const nb_shape *s = nbi_in_shape(op, 0);
    int ax = split_axis(op, 2, s->rank);
    if (ax == -2) return op->graph->status;
    if (!nbi_set_outputs(op, (int)num)) return NB_ERR_OUT_OF_MEMORY;
    int64_t *sz = nbi_malloc((size_t)num * sizeof *sz);
    if (!sz) return nbi_graph_error(op->graph, NB_ERR_OUT_OF_MEMORY, "out of memory in '%s'", op->name);
    bool known = ax >= 0 && nbi_const_ints(op, 1, sz, (int)num) == num;
    char msg[300];
    if (known && !resolve_sizes(sz, (int)num, s->dims[ax], msg, sizeof msg)) {
        nbi_free(sz);
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "%s", msg);
    }
    for (int i = 0; i < num; i++) {
        op->out_dtype[i] = nbi_in_dtype(op, 0);
        nb_shape o = *s;
        if (ax < 0) {
            for (int j = 0; j < o.rank; j++) o.dims[j] = NB_DIM_UNKNOWN;
        } else {
            o.dims[ax] = known ? sz[i] : NB_DIM_UNKNOWN;
            if (known && sz[i] == -1) o.dims[ax] = NB_DIM_UNKNOWN;
        }
        op->out_shape[i] = o;
    }
    nbi_free(sz);
    return NB_OK;
}

static nb_status k_split_v(nbi_kctx *k) {
    const nb_tensor *x = k->in[0], *lt = k->in[1];
    int64_t num = k->op->attrs.ints[0];
    int ax;
    nb_status st = run_axis(k, k->in[2], x->rank, &ax);
    if (st != NB_OK) return st;
    if (lt->rank != 1 || lt->size != num)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                          "size of the split_tensor must be 1-D and have the same elements as outputs got %d -D and %lld elements",
                          lt->rank, (long long)lt->size);
    int64_t *sz = nbi_kscratch(k, (size_t)num * sizeof *sz);
    if (!sz) return NB_ERR_OUT_OF_MEMORY;
    for (int64_t i = 0; i < num; i++) sz[i] = nbi_load_index(lt, i);
    char msg[300];
    if (!resolve_sizes(sz, (int)num, x->dims[ax], msg, sizeof msg))
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "%s", msg);
    return split_kernel(k, x, ax, sz, (int)num, false);
}

static void g_split_v(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = concat_grads(g, op, dy, op->inputs[2]);
}

const nbi_opdef nbi_opdef_SPLIT_V = {
    .type = "SplitV", .n_inputs = 3, .infer = infer_split_v, .kernel = k_split_v, .grad = g_split_v,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"Tlen", NBI_A_T_IN1}, {"num_split", NBI_A_I0}),
};

nb_output nb_split_v(nb_graph *g, nb_output value, const int64_t *size_splits, int num_split, int axis,
                     const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (num_split < 1 || !size_splits) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_split_v: needs num_split >= 1 sizes (got %d)", num_split);
        return nb_nil;
    }
    /* As tf.split: the sizes are converted outside the op's scope ("Const"). */
    nb_dtype dt = NB_INT32;
    for (int i = 0; i < num_split; i++)
        if (size_splits[i] > INT32_MAX || size_splits[i] < INT32_MIN) dt = NB_INT64;
    nb_output sizes = nbi_const_ints_node(g, dt, size_splits, num_split, false, NULL);
    char *scope = nbi_op_scope_push(g, name, "split");
    if (!scope) return nb_nil;
    nb_output a = nb_constant_i32(g, axis, "split_dim");
    nb_name_scope_pop(g);
    nb_output in[3] = {value, sizes, a};
    nb_op *op = nbi_op_new(g, NBI_OP_SPLIT_V, scope, NULL, in, 3);
    nbi_free(scope);
    if (!op) return nb_nil;
    op->attrs.ints[0] = num_split;
    op->attrs.n_ints = 1;
    return nbi_op_finish(op);
}
