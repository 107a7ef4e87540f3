/*
 * scan.c — ops that walk a tensor along its axes: ReverseV2 (tf.reverse),
 * Cumsum (tf.cumsum) and the boolean reductions Any and All (tf.reduce_any,
 * tf.reduce_all), with shape inference, CPU kernels and gradient builders.
 *
 * Semantics and messages follow TensorFlow 1.x (reverse_op.cc, scan_ops.cc,
 * reduction_ops_common.cc, math_grad.py, array_grad.py). Cumsum keeps exclusive
 * in attrs.ints[0] and reverse in attrs.ints[1]; Any and All keep_dims in
 * attrs.keep_dims.
 */
#include "ops/ops_impl.h"
#include "graph/graphdef_attrs.h"

#include <stdio.h>

static nb_status check_index_dtype(nb_op *op, int i, const char *attr) {
    nb_dtype dt = nbi_in_dtype(op, i);
    if (dt != NB_INT32 && dt != NB_INT64)
        return nbi_infer_error(op, NB_ERR_DTYPE, "Value for attr '%s' of %s is not in the list of allowed values: int32, int64",
                               attr, nbi_dtype_tfname(dt));
    return NB_OK;
}

/*** ReverseV2 ***/

/* Marks the axes of a rank-r tensor in flip; false with msg on a bad axis. */
static bool reverse_axes(const int64_t *ax, int n, int r, bool *flip, char *msg, size_t msz) {
    for (int i = 0; i < r; i++) flip[i] = false;
    for (int i = 0; i < n; i++) {
        int64_t a = ax[i];
        if (a < -r || a >= r) {
            snprintf(msg, msz, "'axis'[%d] = %lld is out of valid range [0, %d]", i, (long long)a, r - 1);
            return false;
        }
        if (a < 0) a += r;
        if (flip[a]) {
            snprintf(msg, msz, "axis %lld specified more than once.", (long long)a);
            return false;
        }
        flip[a] = true;
    }
    return true;
}

static nb_status infer_reverse(nb_op *op) {
    nb_status st = check_index_dtype(op, 1, "Tidx");
    if (st != NB_OK) return st;
    const nb_shape *s = nbi_in_shape(op, 0), *as = nbi_in_shape(op, 1);
    if (as->rank >= 0 && as->rank != 1)
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Shape must be rank 1 but is rank %d", as->rank);
    int64_t ax[NB_MAX_RANK + 1];
    int n = nbi_const_ints(op, 1, ax, NB_MAX_RANK + 1);
    if (s->rank >= 0 && n >= 0) {
        bool flip[NB_MAX_RANK];
        char msg[160];
        if (n > s->rank && s->rank >= 0)
            return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "'dims' shape must be [%d], got [%d]", s->rank, n);
        if (!reverse_axes(ax, n, s->rank, flip, msg, sizeof msg))
            return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "%s", msg);
    }
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 0);
    op->out_shape[0] = *s;
    return NB_OK;
}

static nb_status k_reverse(nbi_kctx *k) {
    const nb_tensor *x = k->in[0], *at = k->in[1];
    int r = x->rank;
    if (at->rank != 1 || at->size > r) {
        char a[64];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "'dims' must be a vector of at most %d axes, got shape %s", r,
                          nbi_dims_string(at->rank, at->dims, false, a, sizeof a));
    }
    int64_t ax[NB_MAX_RANK];
    for (int64_t i = 0; i < at->size; i++) ax[i] = nbi_load_index(at, i);
    bool flip[NB_MAX_RANK];
    char msg[160];
    if (!reverse_axes(ax, (int)at->size, r, flip, msg, sizeof msg))
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "%s", msg);
    nb_tensor *o = nbi_kalloc(k, x->dtype, r, x->dims);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    if (x->size == 0) return NB_OK;
    size_t es = nb_dtype_size(x->dtype);
    /* rows of the innermost dim: copied whole unless that dim flips */
    int64_t inner = r ? x->dims[r - 1] : 1, rows = x->size / inner;
    bool flip_inner = r && flip[r - 1];
    int64_t st[NB_MAX_RANK] = {0}, idx[NB_MAX_RANK] = {0};
    int64_t acc = 1;
    for (int i = r - 1; i >= 0; i--) {
        st[i] = acc;
        acc *= x->dims[i];
    }
    const char *src = x->data;
    char *dst = o->data;
    for (int64_t row = 0; row < rows; row++) {
        int64_t off = 0;
        for (int i = 0; i < r - 1; i++) off += (flip[i] ? x->dims[i] - 1 - idx[i] : idx[i]) * st[i];
        const char *s = src + (size_t)off * es;
        if (!flip_inner) {
            memcpy(dst, s, (size_t)inner * es);
        } else {
            for (int64_t j = 0; j < inner; j++) memcpy(dst + (size_t)j * es, s + (size_t)(inner - 1 - j) * es, es);
        }
        dst += (size_t)inner * es;
        for (int i = r - 2; i >= 0; i--) {
            if (++idx[i] < x->dims[i]) break;
            idx[i] = 0;
        }
    }
    return NB_OK;
}

static void g_reverse(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output in[2] = {dy[0], op->inputs[1]};
    dx[0] = nbi_op_finish(nbi_op_new(g, NBI_OP_REVERSE_V2, NULL, NULL, in, 2));
}

const nbi_opdef nbi_opdef_REVERSE_V2 = {
    .type = "ReverseV2", .n_inputs = 2, .infer = infer_reverse, .kernel = k_reverse, .grad = g_reverse,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"Tidx", NBI_A_T_IN1}),
};

nb_output nb_reverse(nb_graph *g, nb_output x, const int *axes, int n_axes, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (n_axes < 0 || n_axes > NB_MAX_RANK || (n_axes && !axes)) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_reverse: bad axes list (%d axes)", n_axes);
        return nb_nil;
    }
    int64_t a[NB_MAX_RANK];
    for (int i = 0; i < n_axes; i++) a[i] = axes[i];
    char *scope = nbi_op_scope_push(g, name, "ReverseV2");
    if (!scope) return nb_nil;
    nb_output ax = nbi_const_ints_node(g, NB_INT32, a, n_axes, false, "axis");
    nb_name_scope_pop(g);
    nb_output in[2] = {x, ax};
    nb_output r = nbi_op_finish(nbi_op_new(g, NBI_OP_REVERSE_V2, scope, NULL, in, 2));
    nbi_free(scope);
    return r;
}

/*** Cumsum, Cumprod ***/

static nb_status infer_cumsum(nb_op *op) {
    nb_dtype dt = nbi_in_dtype(op, 0);
    if (!nbi_dtype_is_float(dt) && dt != NB_INT32 && dt != NB_INT64)
        return nbi_infer_error(op, NB_ERR_DTYPE,
                               "Value for attr 'T' of %s is not in the list of allowed values: float, double, int32, int64",
                               nbi_dtype_tfname(dt));
    nb_status st = check_index_dtype(op, 1, "Tidx");
    if (st != NB_OK) return st;
    const nb_shape *s = nbi_in_shape(op, 0), *as = nbi_in_shape(op, 1);
    if (as->rank > 0)
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Shape must be rank 0 but is rank %d", as->rank);
    int64_t a;
    if (s->rank >= 0 && nbi_const_ints(op, 1, &a, 1) == 1 && (a < -s->rank || a >= s->rank))
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "ScanOp: Expected scan axis in the range [%d, %d), but got %lld",
                               -s->rank, s->rank, (long long)a);
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = dt;
    op->out_shape[0] = *s;
    return NB_OK;
}

#define SCAN_LOOP(T, ADD, INIT)                                                                           \
    do {                                                                                          \
        const T *xs = x->data;                                                                    \
        T *ys = o->data;                                                                          \
        for (int64_t p = 0; p < outer; p++)                                                       \
            for (int64_t q = 0; q < inner; q++) {                                                 \
                T acc = INIT;                                                                     \
                for (int64_t j = 0; j < len; j++) {                                               \
                    int64_t jj = rev ? len - 1 - j : j;                                           \
                    int64_t e = (p * len + jj) * inner + q;                                       \
                    if (excl) {                                                                   \
                        ys[e] = acc;                                                              \
                        acc = ADD(acc, xs[e]);                                                    \
                    } else {                                                                      \
                        acc = ADD(acc, xs[e]);                                                    \
                        ys[e] = acc;                                                              \
                    }                                                                             \
                }                                                                                 \
            }                                                                                     \
    } while (0)

/* Integer sums wrap on overflow (two's complement), as TF's do. */
#define FADD(a, b) ((a) + (b))
#define IADD32(a, b) ((int32_t)((uint32_t)(a) + (uint32_t)(b)))
#define IADD64(a, b) ((int64_t)((uint64_t)(a) + (uint64_t)(b)))
/* Products likewise (Cumprod). */
#define FMUL(a, b) ((a) * (b))
#define IMUL32(a, b) ((int32_t)((uint32_t)(a) * (uint32_t)(b)))
#define IMUL64(a, b) ((int64_t)((uint64_t)(a) * (uint64_t)(b)))

/* Cumsum, or Cumprod when prod. */
static nb_status k_scan(nbi_kctx *k, bool prod) {
    const nb_tensor *x = k->in[0], *at = k->in[1];
    if (at->rank != 0) {
        char b[64];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "ScanOp: axis must be a scalar, not %s",
                          nbi_dims_string(at->rank, at->dims, false, b, sizeof b));
    }
    int r = x->rank;
    int64_t a = nbi_load_index(at, 0);
    if (a < -r || a >= r)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "ScanOp: Expected scan axis in the range [%d, %d), but got %lld", -r, r,
                          (long long)a);
    if (a < 0) a += r;
    nb_tensor *o = nbi_kalloc(k, x->dtype, r, x->dims);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    /* Empty: nothing to sum, and dims products of [0, 3, 2^62] overflow int64
     * (or [2^62, 3, 0] would loop 2^62 times over nothing). */
    if (x->size == 0) return NB_OK;
    int64_t outer = nbi_dims_prod(x->dims, 0, (int)a), len = x->dims[a], inner = nbi_dims_prod(x->dims, (int)a + 1, r);
    bool excl = k->op->attrs.ints[0] != 0, rev = k->op->attrs.ints[1] != 0;
    switch (x->dtype) {
    case NB_FLOAT32:
        if (prod) SCAN_LOOP(float, FMUL, 1);
        else SCAN_LOOP(float, FADD, 0);
        break;
    case NB_FLOAT64:
        if (prod) SCAN_LOOP(double, FMUL, 1);
        else SCAN_LOOP(double, FADD, 0);
        break;
    case NB_INT32:
        if (prod) SCAN_LOOP(int32_t, IMUL32, 1);
        else SCAN_LOOP(int32_t, IADD32, 0);
        break;
    default:
        if (prod) SCAN_LOOP(int64_t, IMUL64, 1);
        else SCAN_LOOP(int64_t, IADD64, 0);
        break;
    }
    return NB_OK;
}
static nb_status k_cumsum(nbi_kctx *k) { return k_scan(k, false); }
static nb_status k_cumprod(nbi_kctx *k) { return k_scan(k, true); }

static nb_output scan_op(nb_graph *g, int type, nb_output x, nb_output axis, bool exclusive, bool reverse,
                         const char *name) {
    nb_output in[2] = {x, axis};
    nb_op *op = nbi_op_new(g, type, name, NULL, in, 2);
    if (!op) return nb_nil;
    op->attrs.ints[0] = exclusive;
    op->attrs.ints[1] = reverse;
    op->attrs.n_ints = 2;
    return nbi_op_finish(op);
}

/* math_grad.py: cumsum(dy, axis, exclusive, reverse = !reverse) */
static void g_cumsum(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = scan_op(g, NBI_OP_CUMSUM, dy[0], op->inputs[1], op->attrs.ints[0] != 0, op->attrs.ints[1] == 0, NULL);
}

/* math_grad.py: cumsum(cumprod(x) * dy, exclusive, reverse = !reverse) / x,
 * defined where x has no zeros (as TensorFlow's). */
static void g_cumprod(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output s = scan_op(g, NBI_OP_CUMSUM, nb_multiply(g, nbi_out(op, 0), dy[0], NULL), op->inputs[1],
                          op->attrs.ints[0] != 0, op->attrs.ints[1] == 0, NULL);
    dx[0] = nb_divide(g, s, op->inputs[0], NULL);
}

const nbi_opdef nbi_opdef_CUMSUM = {
    .type = "Cumsum", .n_inputs = 2, .infer = infer_cumsum, .kernel = k_cumsum, .grad = g_cumsum,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"Tidx", NBI_A_T_IN1}, {"exclusive", NBI_A_B0}, {"reverse", NBI_A_B1}),
};
const nbi_opdef nbi_opdef_CUMPROD = {
    .type = "Cumprod", .n_inputs = 2, .infer = infer_cumsum, .kernel = k_cumprod, .grad = g_cumprod,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"Tidx", NBI_A_T_IN1}, {"exclusive", NBI_A_B0}, {"reverse", NBI_A_B1}),
};

static nb_output scan(nb_graph *g, int type, nb_output x, int axis, bool exclusive, bool reverse, const char *name,
                      const char *defname) {
    char *scope = nbi_op_scope_push(g, name, defname);
    if (!scope) return nb_nil;
    nb_output a = nb_constant_i32(g, axis, "axis");
    nb_name_scope_pop(g);
    nb_output r = scan_op(g, type, x, a, exclusive, reverse, scope);
    nbi_free(scope);
    return r;
}

nb_output nb_cumsum(nb_graph *g, nb_output x, int axis, bool exclusive, bool reverse, const char *name) {
    return scan(g, NBI_OP_CUMSUM, x, axis, exclusive, reverse, name, "Cumsum");
}

nb_output nb_cumprod(nb_graph *g, nb_output x, int axis, bool exclusive, bool reverse, const char *name) {
    return scan(g, NBI_OP_CUMPROD, x, axis, exclusive, reverse, name, "Cumprod");
}

/*** Any, All ***/

static nb_status infer_bool_reduce(nb_op *op) {
    nb_dtype dt = nbi_in_dtype(op, 0);
    if (dt != NB_BOOL)
        return nbi_infer_error(op, NB_ERR_DTYPE, "Input 'input' of '%s' Op has type %s that does not match expected type of bool",
                               op->def->type, nbi_dtype_tfname(dt));
    nb_status st = check_index_dtype(op, 1, "Tidx");
    if (st != NB_OK) return st;
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = NB_BOOL;
    const nb_shape *s = nbi_in_shape(op, 0);
    int64_t ax[2 * NB_MAX_RANK];
    int n = nbi_const_ints(op, 1, ax, 2 * NB_MAX_RANK);
    bool keep = op->attrs.keep_dims;
    if (s->rank < 0 || n < 0) {
        if (keep && s->rank >= 0) {
            int64_t u[NB_MAX_RANK];
            for (int i = 0; i < NB_MAX_RANK; i++) u[i] = NB_DIM_UNKNOWN;
            op->out_shape[0] = nb_shape_make(s->rank, u);
        }
        return NB_OK;
    }
    bool mask[NB_MAX_RANK] = {false};
    for (int i = 0; i < n; i++) {
        if (ax[i] < -s->rank || ax[i] >= s->rank)
            return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Invalid reduction dimension %lld for input with %d dimensions",
                                   (long long)ax[i], s->rank);
        int64_t a = ax[i] < 0 ? ax[i] + s->rank : ax[i];
        if (mask[a])
            return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT,
                                   "Invalid reduction arguments: Axes contains duplicate dimension: %lld", (long long)a);
        mask[a] = true;
    }
    nb_shape o = {0, {0}};
    for (int i = 0; i < s->rank; i++) {
        if (!mask[i]) o.dims[o.rank++] = s->dims[i];
        else if (keep) o.dims[o.rank++] = 1;
    }
    op->out_shape[0] = o;
    return NB_OK;
}

static nb_status k_bool_reduce(nbi_kctx *k) {
    const nb_tensor *x = k->in[0], *at = k->in[1];
    int r = x->rank;
    if (at->rank > 1) {
        char b[64];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "reduction indices must be a scalar or vector, not %s",
                          nbi_dims_string(at->rank, at->dims, false, b, sizeof b));
    }
    bool mask[NB_MAX_RANK] = {false};
    for (int64_t i = 0; i < at->size; i++) {
        int64_t a = nbi_load_index(at, i);
        if (a < -r || a >= r)
            return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Invalid reduction dimension %lld for input with %d dimensions",
                              (long long)a, r);
        if (a < 0) a += r;
        if (mask[a])
            return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                              "Invalid reduction arguments: Axes contains duplicate dimension: %lld", (long long)a);
        mask[a] = true;
    }
    int64_t od[NB_MAX_RANK], kd[NB_MAX_RANK];
    int orank = 0;
    for (int i = 0; i < r; i++) {
        kd[i] = mask[i] ? 1 : x->dims[i];
        if (!mask[i]) od[orank++] = x->dims[i];
        else if (k->op->attrs.keep_dims) od[orank++] = 1;
    }
    nb_tensor *o = nbi_kalloc(k, NB_BOOL, orank, od);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    bool any = k->op->type == NBI_OP_ANY;
    uint8_t *y = o->data;
    memset(y, any ? 0 : 1, (size_t)o->size);
    /* walk x; the output position drops (zeroes) the reduced coordinates */
    int64_t ost[NB_MAX_RANK] = {0}, idx[NB_MAX_RANK] = {0}, acc = 1;
    for (int i = r - 1; i >= 0; i--) {
        ost[i] = mask[i] ? 0 : acc;
        acc *= kd[i];
    }
    const uint8_t *xs = x->data;
    for (int64_t e = 0; e < x->size; e++) {
        int64_t off = 0;
        for (int i = 0; i < r; i++) off += idx[i] * ost[i];
        if (any) y[off] |= xs[e] != 0;
        else y[off] &= xs[e] != 0;
        for (int i = r - 1; i >= 0; i--) {
            if (++idx[i] < x->dims[i]) break;
            idx[i] = 0;
        }
    }
    return NB_OK;
}

const nbi_opdef nbi_opdef_ANY = {
    .type = "Any", .n_inputs = 2, .flags = NBI_NO_GRAD, .infer = infer_bool_reduce, .kernel = k_bool_reduce,
    .attrs = NBI_ATTRS({"Tidx", NBI_A_T_IN1}, {"keep_dims", NBI_A_KEEP_DIMS}),
};
const nbi_opdef nbi_opdef_ALL = {
    .type = "All", .n_inputs = 2, .flags = NBI_NO_GRAD, .infer = infer_bool_reduce, .kernel = k_bool_reduce,
    .attrs = NBI_ATTRS({"Tidx", NBI_A_T_IN1}, {"keep_dims", NBI_A_KEEP_DIMS}),
};

static nb_output bool_reduce(nb_graph *g, int type, nb_output x, const int *axes, int n_axes, bool keep,
                             const char *name, const char *defname) {
    if (!nbi_graph_ok(g)) return nb_nil;
    nb_output ax;
    int64_t a[2 * NB_MAX_RANK];
    char *scope = NULL;
    if (n_axes == NB_ALL_AXES) {
        /* axis=None: a Const [0 .. rank-1] outside the op's scope (TF's
         * _ReductionDims), or range(0, rank(x)) when the rank is unknown */
        if (nb_output_is_nil(x) || x.op->graph != g) {
            nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "%s: x is not an output of this graph", defname);
            return nb_nil;
        }
        if (!nbi_all_axes_node(g, x, &ax)) return nb_nil;
    } else {
        if (n_axes < 0 || n_axes > 2 * NB_MAX_RANK || (n_axes && !axes)) {
            nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "%s: bad axes list", defname);
            return nb_nil;
        }
        for (int i = 0; i < n_axes; i++) a[i] = axes[i];
        scope = nbi_op_scope_push(g, name, defname);
        if (!scope) return nb_nil;
        ax = nbi_const_ints_node(g, NB_INT32, a, n_axes, false, "reduction_indices");
        nb_name_scope_pop(g);
    }
    nb_op *op = nbi_op_new(g, type, scope ? scope : name, defname, (nb_output[]){x, ax}, 2);
    nbi_free(scope);
    if (!op) return nb_nil;
    op->attrs.keep_dims = keep;
    return nbi_op_finish(op);
}

nb_output nb_reduce_any(nb_graph *g, nb_output x, const int *axes, int n_axes, bool keep_dims, const char *name) {
    return bool_reduce(g, NBI_OP_ANY, x, axes, n_axes, keep_dims, name, "Any");
}

nb_output nb_reduce_all(nb_graph *g, nb_output x, const int *axes, int n_axes, bool keep_dims, const char *name) {
    return bool_reduce(g, NBI_OP_ALL, x, axes, n_axes, keep_dims, name, "All");
}
