/*
 * reduce.c — Sum, Mean, Prod, Max, Min over a set of axes, ArgMax and ArgMin.
 *
 * The axes are an int32 input (a Const the constructors make), as in
 * TensorFlow. Kernels view the input as [outer, reduced, inner] when the
 * reduced axes are contiguous (after dropping size-1 dims), which covers
 * every reduction the course and the gradients make; other axis sets take a
 * general odometer loop. Float sums accumulate in double when inner == 1.
 */
#include "ops/ops_impl.h"
#include "graph/graphdef_attrs.h"

#include <float.h>
#include <math.h>

enum { R_SUM, R_MEAN, R_PROD, R_MAX, R_MIN };

static const int8_t rkinds[NBI_OP_COUNT] = {
    [NBI_OP_SUM] = R_SUM, [NBI_OP_MEAN] = R_MEAN, [NBI_OP_PROD] = R_PROD, [NBI_OP_MAX] = R_MAX, [NBI_OP_MIN] = R_MIN,
};
static int rkind(int type) { return rkinds[type]; }

/* Normalizes axes against rank into a mask: AX_OK, AX_RANGE (*bad: the axis
 * out of range) or AX_DUP (*bad: the dimension named twice, normalized, as
 * TF reports it: {1, -1} of a matrix names 1 twice). */
enum { AX_OK, AX_RANGE, AX_DUP };
static int axes_mask(const int64_t *ax, int n, int rank, bool *mask, int64_t *bad) {
    for (int i = 0; i < rank; i++) mask[i] = false;
    for (int i = 0; i < n; i++) {
        int64_t a = ax[i];
        if (a < -rank || a >= rank) {
            *bad = a;
            return AX_RANGE;
        }
        if (a < 0) a += rank;
        if (mask[a]) {
            *bad = a;
            return AX_DUP;
        }
        mask[a] = true;
    }
    return AX_OK;
}

/* TF's texts for the two errors of axes_mask. */
#define AX_RANGE_MSG "Invalid reduction dimension %lld for input with %d dimensions"
#define AX_DUP_MSG "Invalid reduction arguments: Axes contains duplicate dimension: %lld"

static nb_status infer_reduce(nb_op *op) {
    nb_dtype dt = nbi_in_dtype(op, 0), adt = nbi_in_dtype(op, 1);
    if (adt != NB_INT32 && adt != NB_INT64)
        return nbi_infer_error(op, NB_ERR_DTYPE, "reduction indices must be int32 or int64, got %s", nbi_dtype_tfname(adt));
    if (dt == NB_BOOL)
        return nbi_infer_error(op, NB_ERR_DTYPE, "Value for attr 'T' of bool is not in the list of allowed values");
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = dt;
    const nb_shape *s = nbi_in_shape(op, 0);
    int64_t ax[2 * NB_MAX_RANK];
    int n = nbi_const_ints(op, 1, ax, 2 * NB_MAX_RANK);
    bool keep = op->attrs.keep_dims;
    if (s->rank < 0 || n < 0) {
        if (keep && s->rank >= 0)
            op->out_shape[0] = nb_shape_make(s->rank, (int64_t[NB_MAX_RANK]){-1, -1, -1, -1, -1, -1, -1, -1});
        return NB_OK; /* unknown rank otherwise */
    }
    bool mask[NB_MAX_RANK];
    int64_t bad;
    switch (axes_mask(ax, n, s->rank, mask, &bad)) {
    case AX_RANGE:
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, AX_RANGE_MSG, (long long)bad, s->rank);
    case AX_DUP:
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, AX_DUP_MSG, (long long)bad);
    default:
        break;
    }
    nb_shape o;
    o.rank = 0;
    for (int i = 0; i < s->rank; i++) {
        if (!mask[i]) o.dims[o.rank++] = s->dims[i];
        else if (keep) o.dims[o.rank++] = 1;
    }
    op->out_shape[0] = o;
    return NB_OK;
}

/* The identity of a float reduction (integers use iinit). */
static void init_acc(int kind, nb_dtype dt, double *acc) {
    (void)dt;
    switch (kind) {
    case R_PROD: *acc = 1.0; break;
    case R_MAX: *acc = -INFINITY; break;
    case R_MIN: *acc = INFINITY; break;
    default: *acc = 0.0;
    }
}

static inline double combine(int kind, double acc, double v) {
    switch (kind) {
    case R_PROD: return acc * v;
    case R_MAX: return (v > acc || v != v) ? v : acc;
    case R_MIN: return (v < acc || v != v) ? v : acc;
    default: return acc + v;
    }
}

/* Integer reductions read and accumulate in int64 (never through double, which
 * would round int64 values beyond 2^53); sums and products wrap like TF's. */
static inline int64_t iload(const nb_tensor *x, int64_t i) {
    switch (x->dtype) {
    case NB_INT32: return ((const int32_t *)x->data)[i];
    case NB_UINT8: return ((const uint8_t *)x->data)[i];
    default: return ((const int64_t *)x->data)[i];
    }
}

/* Stores with two's-complement wrapping to the output dtype. */
static inline void istore(nb_tensor *o, int64_t i, int64_t v) {
    switch (o->dtype) {
    case NB_INT32: ((int32_t *)o->data)[i] = (int32_t)(uint32_t)(uint64_t)v; break;
    case NB_UINT8: ((uint8_t *)o->data)[i] = (uint8_t)(uint64_t)v; break;
    default: ((int64_t *)o->data)[i] = v; break;
    }
}

/* The identity of a reduction in dtype dt: what an empty reduction gives. */
static int64_t iinit(int kind, nb_dtype dt) {
    switch (kind) {
    case R_PROD: return 1;
    case R_MAX: return dt == NB_UINT8 ? 0 : dt == NB_INT32 ? INT32_MIN : INT64_MIN;
    case R_MIN: return dt == NB_UINT8 ? UINT8_MAX : dt == NB_INT32 ? INT32_MAX : INT64_MAX;
    default: return 0;
    }
}

static inline int64_t icombine(int kind, int64_t acc, int64_t v) {
    switch (kind) {
    case R_PROD: return (int64_t)((uint64_t)acc * (uint64_t)v);
    case R_MAX: return v > acc ? v : acc;
    case R_MIN: return v < acc ? v : acc;
    default: return (int64_t)((uint64_t)acc + (uint64_t)v);
    }
}

/* Integer Mean: the int64 sum divided by the count, truncating (int32 and uint8
 * sums cannot overflow int64; int64 sums wrap, as TF's); an empty mean is 0. */
static inline int64_t imean(int64_t sum, int64_t cnt) { return cnt ? sum / cnt : 0; }

static void reduce_int(int kind, const nb_tensor *x, nb_tensor *o, int64_t outer, int64_t red,
                       int64_t inner) {
    for (int64_t a = 0; a < outer; a++)
        for (int64_t c = 0; c < inner; c++) {
            int64_t acc = iinit(kind, x->dtype);
            for (int64_t b = 0; b < red; b++)
                acc = icombine(kind, acc, iload(x, (a * red + b) * inner + c));
            if (kind == R_MEAN) acc = imean(acc, red);
            istore(o, a * inner + c, acc);
        }
}

static void reduce_float(int kind, const nb_tensor *x, nb_tensor *o, int64_t outer, int64_t red,
                         int64_t inner) {
    bool f32 = x->dtype == NB_FLOAT32;
    if (inner == 1) {
        for (int64_t a = 0; a < outer; a++) {
            double acc;
            init_acc(kind, x->dtype, &acc);
            if (f32 && (kind == R_SUM || kind == R_MEAN)) {
                const float *p = (const float *)x->data + a * red;
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                int64_t b = 0;
                for (; b + 4 <= red; b += 4) {
                    s0 += p[b];
                    s1 += p[b + 1];
                    s2 += p[b + 2];
                    s3 += p[b + 3];
                }
                for (; b < red; b++) s0 += p[b];
                acc = (s0 + s1) + (s2 + s3);
            } else {
                for (int64_t b = 0; b < red; b++)
                    acc = combine(kind, acc, nbi_load(x->data, x->dtype, a * red + b));
            }
            if (kind == R_MEAN) acc /= (double)red;
            nbi_store(o->data, o->dtype, a, acc);
        }
        return;
    }
    for (int64_t a = 0; a < outer; a++) {
        for (int64_t c = 0; c < inner; c++) {
            double acc;
            init_acc(kind, x->dtype, &acc);
            nbi_store(o->data, o->dtype, a * inner + c, acc);
        }
        for (int64_t b = 0; b < red; b++) {
            int64_t base = (a * red + b) * inner;
            if (f32 && (kind == R_SUM || kind == R_MEAN)) {
                float *po = (float *)o->data + a * inner;
                const float *px = (const float *)x->data + base;
                for (int64_t c = 0; c < inner; c++) po[c] += px[c];
            } else {
                for (int64_t c = 0; c < inner; c++) {
                    double v = nbi_load(o->data, o->dtype, a * inner + c);
                    nbi_store(o->data, o->dtype, a * inner + c,
                              combine(kind, v, nbi_load(x->data, x->dtype, base + c)));
                }
            }
        }
        if (kind == R_MEAN)
            for (int64_t c = 0; c < inner; c++) {
                double v = nbi_load(o->data, o->dtype, a * inner + c);
                nbi_store(o->data, o->dtype, a * inner + c, v / (double)red);
            }
    }
}

static nb_status k_reduce(nbi_kctx *k) {
    const nb_tensor *x = k->in[0], *at = k->in[1];
    int kind = rkind(k->op->type);
    if (at->rank > 1 || at->size > 2 * NB_MAX_RANK)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "reduction indices must be a scalar or vector");
    int64_t ax[2 * NB_MAX_RANK];
    for (int i = 0; i < at->size; i++) ax[i] = nbi_load_int(at->data, at->dtype, i);
    bool mask[NB_MAX_RANK];
    int64_t bad;
    switch (axes_mask(ax, (int)at->size, x->rank, mask, &bad)) {
    case AX_RANGE:
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, AX_RANGE_MSG, (long long)bad, x->rank);
    case AX_DUP:
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, AX_DUP_MSG, (long long)bad);
    default:
        break;
    }
    int64_t od[NB_MAX_RANK];
    int orank = 0;
    for (int i = 0; i < x->rank; i++) {
        if (!mask[i]) od[orank++] = x->dims[i];
        else if (k->op->attrs.keep_dims) od[orank++] = 1;
    }
    nb_tensor *o = nbi_kalloc(k, x->dtype, orank, od);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    /* Drop size-1 dims; if the reduced dims left form one block, the input is
     * [outer, red, inner]. */
    int64_t ed[NB_MAX_RANK];
    bool em[NB_MAX_RANK];
    int er = 0;
    for (int i = 0; i < x->rank; i++)
        if (x->dims[i] != 1) {
            ed[er] = x->dims[i];
            em[er++] = mask[i];
        }
    int first = -1, lastr = -1;
    for (int i = 0; i < er; i++)
        if (em[i]) {
            if (first < 0) first = i;
            lastr = i;
        }
    bool contiguous = true;
    int64_t outer = 1, red = 1, inner = 1;
    if (first < 0) {
        outer = x->size;
    } else if (x->size != 0) { /* (empty: below; dims products of [0, 3, 2^62] overflow) */
        for (int i = 0; i < er; i++) {
            if (i < first) outer *= ed[i];
            else if (i <= lastr) {
                if (!em[i]) contiguous = false;
                red *= ed[i];
            } else inner *= ed[i];
        }
    }
    if (x->size == 0) {
        /* empty input: every output is the identity of the reduction */
        red = 0;
        inner = o->size;
        outer = 1;
        contiguous = true;
    }
    if (contiguous) {
        if (nbi_dtype_is_float(x->dtype)) reduce_float(kind, x, o, outer, red, inner);
        else reduce_int(kind, x, o, outer, red, inner);
        return NB_OK;
    }
    /* General case: odometer over the input, accumulating into the output in
     * double (floats) or int64 (integers). */
    int64_t cnt_per_out = 1, ostride[NB_MAX_RANK], idx[NB_MAX_RANK] = {0};
    int64_t acc_s = 1;
    for (int i = x->rank - 1; i >= 0; i--) {
        if (mask[i]) {
            ostride[i] = 0;
            cnt_per_out *= x->dims[i];
        } else {
            ostride[i] = acc_s;
            acc_s *= x->dims[i];
        }
    }
    bool is_f = nbi_dtype_is_float(x->dtype);
    double *acc = nbi_malloc(sizeof(double) * (size_t)(o->size ? o->size : 1));
    int64_t *iacc = nbi_malloc(sizeof(int64_t) * (size_t)(o->size ? o->size : 1));
    if (!acc || !iacc) {
        nbi_free(acc);
        nbi_free(iacc);
        return nbi_kerror(k, NB_ERR_OUT_OF_MEMORY, "out of memory");
    }
    for (int64_t i = 0; i < o->size; i++) {
        init_acc(kind, x->dtype, &acc[i]);
        iacc[i] = iinit(kind, x->dtype);
    }
    int64_t off = 0;
    for (int64_t i = 0; i < x->size; i++) {
        if (is_f) acc[off] = combine(kind, acc[off], nbi_load(x->data, x->dtype, i));
        else iacc[off] = icombine(kind, iacc[off], iload(x, i));
        for (int j = x->rank - 1; j >= 0; j--) {
            off += ostride[j];
            if (++idx[j] < x->dims[j]) break;
            off -= ostride[j] * x->dims[j];
            idx[j] = 0;
        }
    }
    for (int64_t i = 0; i < o->size; i++) {
        if (is_f)
            nbi_store(o->data, o->dtype, i, kind == R_MEAN ? acc[i] / (double)cnt_per_out : acc[i]);
        else
            istore(o, i, kind == R_MEAN ? imean(iacc[i], cnt_per_out) : iacc[i]);
    }
    nbi_free(acc);
    nbi_free(iacc);
    return NB_OK;
}

/*** Gradients ***/

/* dy brought back to x's rank with the reduced axes as size 1 (keep_dims form).
 * *known tells whether the axes (and x's rank) are known; they are needed only
 * when keep_dims is false. */
static nb_output kept_dims(nb_graph *g, nb_op *op, nb_output dy, bool *mask, bool *known) {
    const nb_shape *s = nbi_in_shape(op, 0);
    int64_t ax[2 * NB_MAX_RANK], bad;
    int n = nbi_const_ints(op, 1, ax, 2 * NB_MAX_RANK);
    *known = s->rank >= 0 && n >= 0 && axes_mask(ax, n, s->rank, mask, &bad) == AX_OK;
    if (op->attrs.keep_dims) return dy;
    if (!*known) {
        /* Axes or rank known only at run time: kept = shape - (shape - 1) * mask,
         * where mask marks the reduced axes (TF builds the same with DynamicStitch). */
        nb_output x = op->inputs[0], axes = op->inputs[1];
        nb_output r = nb_rank(g, x, NULL), shape = nb_shape_of(g, x, NULL);
        nb_output axn = nb_mod(g, nb_cast(g, axes, NB_INT32, NULL), r, NULL);
        nb_output cnt = nb_unsorted_segment_sum(g, nb_ones_like(g, axn, NULL), axn, r, NULL);
        nb_output one = nb_constant_i32(g, 1, NULL);
        nb_output marked = nb_minimum(g, cnt, one, NULL);
        nb_output kept = nb_subtract(g, shape, nb_multiply(g, nb_subtract(g, shape, one, NULL), marked, NULL), NULL);
        return nb_reshape_t(g, dy, kept, NULL);
    }
    if (nbi_shape_known(s)) {
        int64_t kd[NB_MAX_RANK];
        for (int i = 0; i < s->rank; i++) kd[i] = mask[i] ? 1 : s->dims[i];
        return nb_reshape(g, dy, s->rank, kd, NULL);
    }
    nb_output r = dy;
    for (int i = 0; i < s->rank; i++)
        if (mask[i]) r = nb_expand_dims(g, r, i, NULL);
    return r;
}

/* Broadcasts a keep-dims gradient back to x's shape. */
static nb_output broadcast_back(nb_graph *g, nb_op *op, nb_output kd, const bool *mask, bool known) {
    const nb_shape *s = nbi_in_shape(op, 0);
    if (known && nbi_shape_known(s)) {
        int64_t m[NB_MAX_RANK];
        bool any = false;
        for (int i = 0; i < s->rank; i++) {
            m[i] = mask[i] ? s->dims[i] : 1;
            any |= m[i] != 1;
        }
        return any ? nb_tile(g, kd, m, s->rank, NULL) : kd;
    }
    return nb_add(g, kd, nb_zeros_like(g, op->inputs[0], NULL), NULL);
}

static void g_sum(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    bool mask[NB_MAX_RANK], known;
    nb_output kd = kept_dims(g, op, dy[0], mask, &known);
    if (kd.op) dx[0] = broadcast_back(g, op, kd, mask, known);
}

static void g_mean(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    bool mask[NB_MAX_RANK], known;
    nb_output kd = kept_dims(g, op, dy[0], mask, &known);
    if (!kd.op) return;
    nb_output sum = broadcast_back(g, op, kd, mask, known);
    const nb_shape *s = nbi_in_shape(op, 0);
    nb_dtype dt = nbi_in_dtype(op, 0);
    int64_t cnt = 1;
    bool cnt_known = known && s->rank >= 0;
    for (int i = 0; cnt_known && i < s->rank; i++)
        if (mask[i]) {
            if (s->dims[i] < 0) cnt_known = false;
            else cnt *= s->dims[i];
        }
    nb_output div;
    if (cnt_known) {
        div = nbi_const_owning(g, nb_tensor_scalar(dt, (double)cnt), "Const", "Const");
    } else {
        div = nb_divide(g, nb_cast(g, nb_size(g, op->inputs[0], NULL), dt, NULL),
                        nb_cast(g, nb_size(g, nbi_out(op, 0), NULL), dt, NULL), NULL);
    }
    dx[0] = nb_divide(g, sum, div, NULL);
}

static nb_output reduce_t(nb_graph *g, int type, nb_output x, nb_output axes, bool keep,
                          const char *name);

/* d prod / d x_i = the product of the other elements of x_i's reduction group,
 * which must not be computed as prod / x_i where x_i is zero (TF never divides
 * there either). With z = the number of zeros in the group and p = the product
 * of its non-zero elements:
 *   x_i != 0: z == 0 ? p / x_i : 0
 *   x_i == 0: z == 1 ? p       : 0
 * Built from ordinary ops, for any axes and known or unknown shapes. */
static void g_prod(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    bool mask[NB_MAX_RANK], known;
    nb_output kd = kept_dims(g, op, dy[0], mask, &known);
    if (!kd.op) return;
    nb_output x = op->inputs[0], axes = op->inputs[1];
    nb_dtype dt = nbi_in_dtype(op, 0);
    nb_output zeros = nb_zeros_like(g, x, NULL);
    nb_output is_zero = nb_equal(g, x, zeros, NULL);
    nb_output x_safe = nb_where(g, is_zero, nb_ones_like(g, x, NULL), x, NULL);
    nb_output p = reduce_t(g, NBI_OP_PROD, x_safe, axes, true, NULL);
    nb_output z = reduce_t(g, NBI_OP_SUM, nb_cast(g, is_zero, dt, NULL), axes, true, NULL);
    nb_output no_zero = nb_equal(g, z, nb_zeros_like(g, z, NULL), NULL);
    nb_output one_zero = nb_equal(g, z, nb_ones_like(g, z, NULL), NULL);
    nb_output at_nonzero = nb_where_v2(g, no_zero, nb_divide(g, p, x_safe, NULL), zeros, NULL);
    nb_output at_zero = nb_where_v2(g, one_zero, nb_add(g, p, zeros, NULL), zeros, NULL);
    nb_output others = nb_where(g, is_zero, at_zero, at_nonzero, NULL);
    dx[0] = nb_multiply(g, others, kd, NULL);
}

static void g_maxmin(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    bool mask[NB_MAX_RANK], known;
    nb_output kd = kept_dims(g, op, dy[0], mask, &known);
    nb_output yk = kept_dims(g, op, nbi_out(op, 0), mask, &known);
    if (!kd.op || !yk.op) return;
    nb_dtype dt = nbi_in_dtype(op, 0);
    nb_output ind = nb_cast(g, nb_equal(g, yk, op->inputs[0], NULL), dt, NULL);
    nb_output num = nb_reduce_sum_t(g, ind, op->inputs[1], true, NULL);
    dx[0] = nb_multiply(g, nb_divide(g, ind, num, NULL), kd, NULL);
}

const nbi_opdef nbi_opdef_SUM = {
    .type = "Sum", .n_inputs = 2, .infer = infer_reduce, .kernel = k_reduce, .grad = g_sum,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"Tidx", NBI_A_T_IN1}, {"keep_dims", NBI_A_KEEP_DIMS}),
};
const nbi_opdef nbi_opdef_MEAN = {
    .type = "Mean", .n_inputs = 2, .infer = infer_reduce, .kernel = k_reduce, .grad = g_mean,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"Tidx", NBI_A_T_IN1}, {"keep_dims", NBI_A_KEEP_DIMS}),
};
const nbi_opdef nbi_opdef_PROD = {
    .type = "Prod", .n_inputs = 2, .infer = infer_reduce, .kernel = k_reduce, .grad = g_prod,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"Tidx", NBI_A_T_IN1}, {"keep_dims", NBI_A_KEEP_DIMS}),
};
const nbi_opdef nbi_opdef_MAX = {
    .type = "Max", .n_inputs = 2, .infer = infer_reduce, .kernel = k_reduce, .grad = g_maxmin,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"Tidx", NBI_A_T_IN1}, {"keep_dims", NBI_A_KEEP_DIMS}),
};
const nbi_opdef nbi_opdef_MIN = {
    .type = "Min", .n_inputs = 2, .infer = infer_reduce, .kernel = k_reduce, .grad = g_maxmin,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"Tidx", NBI_A_T_IN1}, {"keep_dims", NBI_A_KEEP_DIMS}),
};

/*** ArgMax, ArgMin ***/

/* The output dtype, TF's output_type attr: attrs.dtype, set by nb_argmax_ex /
 * nb_argmin_ex or a GraphDef; unset (0) is TF's default int64. */
static nb_dtype arg_out_type(const nb_op *op) {
    return op->attrs.dtype == NB_DTYPE_INVALID ? NB_INT64 : op->attrs.dtype;
}

static nb_status infer_arg(nb_op *op) {
    nb_dtype dt = nbi_in_dtype(op, 0);
    if (dt == NB_BOOL) return nbi_infer_error(op, NB_ERR_DTYPE, "ArgMax/ArgMin of bool");
    nb_dtype ot = arg_out_type(op);
    if (ot != NB_INT32 && ot != NB_INT64)
        return nbi_infer_error(op, NB_ERR_DTYPE,
                               "Value for attr 'output_type' of %s is not in the list of allowed values: int32, int64",
                               nbi_dtype_valid(ot) ? nbi_dtype_tfname(ot) : "an invalid dtype");
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = ot;
    const nb_shape *s = nbi_in_shape(op, 0);
    int64_t ax;
    if (s->rank < 0 || nbi_const_ints(op, 1, &ax, 1) != 1) return NB_OK;
    if (ax < -s->rank || ax >= s->rank || s->rank == 0)
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Expected dimension in the range [%d, %d), but got %lld",
                               -s->rank, s->rank, (long long)ax);
    if (ax < 0) ax += s->rank;
    nb_shape o;
    o.rank = 0;
    for (int i = 0; i < s->rank; i++)
        if (i != ax) o.dims[o.rank++] = s->dims[i];
    op->out_shape[0] = o;
    return NB_OK;
}

static nb_status k_arg(nbi_kctx *k) {
    const nb_tensor *x = k->in[0];
    int64_t ax = nbi_load_int(k->in[1]->data, k->in[1]->dtype, 0), dim = ax;
    if (ax < -x->rank || ax >= x->rank || x->rank == 0)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Expected dimension in the range [%d, %d), but got %lld",
                          -x->rank, x->rank, (long long)ax);
    if (ax < 0) ax += x->rank;
    if (x->dims[ax] == 0) { /* TF names the axis as given, and the shape */
        char sh[256];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Reduction axis %lld is empty in shape %s",
                          (long long)dim, nbi_dims_string(x->rank, x->dims, false, sh, sizeof sh));
    }
    int64_t od[NB_MAX_RANK], outer = 1, inner = 1, n = x->dims[ax];
    int r = 0;
    for (int i = 0; i < x->rank; i++) {
        if (i == ax) continue;
        od[r++] = x->dims[i];
        if (i < ax) outer *= x->dims[i];
        else inner *= x->dims[i];
    }
    nb_dtype ot = arg_out_type(k->op);
    if (ot == NB_INT32 && n > INT32_MAX)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                          "output_type is int32 but the reduction axis has %lld entries; use int64",
                          (long long)n);
    nb_tensor *o = nbi_kalloc(k, ot, r, od);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    bool is_max = k->op->type == NBI_OP_ARG_MAX;
    bool is_f = nbi_dtype_is_float(x->dtype); /* integers compare exactly, not as doubles */
    for (int64_t a = 0; a < outer; a++)
        for (int64_t c = 0; c < inner; c++) {
            int64_t best = 0, i0 = a * n * inner + c;
            double bv = is_f ? nbi_load(x->data, x->dtype, i0) : 0;
            int64_t biv = is_f ? 0 : iload(x, i0);
            for (int64_t b = 1; b < n; b++) {
                int64_t i = (a * n + b) * inner + c;
                bool better;
                if (is_f) {
                    double v = nbi_load(x->data, x->dtype, i);
                    better = is_max ? v > bv : v < bv;
                    if (better) bv = v;
                } else {
                    int64_t v = iload(x, i);
                    better = is_max ? v > biv : v < biv;
                    if (better) biv = v;
                }
                if (better) best = b; /* strict: the first of equal values wins */
            }
            if (ot == NB_INT32) ((int32_t *)o->data)[a * inner + c] = (int32_t)best;
            else ((int64_t *)o->data)[a * inner + c] = best;
        }
    return NB_OK;
}

const nbi_opdef nbi_opdef_ARG_MAX = {
    .type = "ArgMax", .n_inputs = 2, .flags = NBI_NO_GRAD, .infer = infer_arg, .kernel = k_arg,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"Tidx", NBI_A_T_IN1}, {"output_type", NBI_A_OUT_TYPE}),
};
const nbi_opdef nbi_opdef_ARG_MIN = {
    .type = "ArgMin", .n_inputs = 2, .flags = NBI_NO_GRAD, .infer = infer_arg, .kernel = k_arg,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"Tidx", NBI_A_T_IN1}, {"output_type", NBI_A_OUT_TYPE}),
};

/*** Constructors ***/

bool nbi_all_axes_node(nb_graph *g, nb_output x, nb_output *ax) {
    nb_shape s = nb_output_shape(x);
    if (s.rank < 0) {
        /* rank unknown until run time: range(0, rank(x)), as TF builds it */
        nb_output r = nb_rank(g, x, NULL);
        char *rs = nbi_op_scope_push(g, NULL, "range");
        if (!rs) return false;
        nb_output st = nb_constant_i32(g, 0, "start"), de = nb_constant_i32(g, 1, "delta");
        nb_name_scope_pop(g);
        *ax = nb_range(g, st, r, de, rs);
        nbi_free(rs);
        return true;
    }
    int64_t a[NB_MAX_RANK];
    for (int i = 0; i < s.rank; i++) a[i] = i;
    *ax = nbi_const_ints_node(g, NB_INT32, a, s.rank, false, "Const");
    return true;
}

static nb_output reduce_ctor(nb_graph *g, int type, nb_output x, const int *axes, int n_axes,
                             bool keep, const char *name, const char *defname) {
    if (!nbi_graph_ok(g)) return nb_nil;
    nb_output ax;
    int64_t a[2 * NB_MAX_RANK];
    if (n_axes == NB_ALL_AXES || (n_axes == 0 && !axes)) {
        /* axis=None: TF makes a Const [0..rank-1] in the current scope. */
        if (!nbi_all_axes_node(g, x, &ax)) return nb_nil;
    } else {
        if (n_axes < 0 || n_axes > 2 * NB_MAX_RANK || (n_axes && !axes)) {
            nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "%s: bad axes list", defname);
            return nb_nil;
        }
        for (int i = 0; i < n_axes; i++) a[i] = axes[i];
        char *scope = nbi_op_scope_push(g, name, defname);
        if (!scope) return nb_nil;
        ax = nbi_const_ints_node(g, NB_INT32, a, n_axes, false, "reduction_indices");
        nb_name_scope_pop(g);
        nb_op *op = nbi_op_new(g, type, scope, NULL, (nb_output[]){x, ax}, 2);
        nbi_free(scope);
        if (!op) return nb_nil;
        op->attrs.keep_dims = keep;
        return nbi_op_finish(op);
    }
    nb_op *op = nbi_op_new(g, type, name, defname, (nb_output[]){x, ax}, 2);
    if (!op) return nb_nil;
    op->attrs.keep_dims = keep;
    return nbi_op_finish(op);
}

#define REDUCE_CTOR(fn, E, DEF)                                                           \
    nb_output fn(nb_graph *g, nb_output x, const int *axes, int n_axes, bool keep_dims,   \
                 const char *name) {                                                      \
        return reduce_ctor(g, NBI_OP_##E, x, axes, n_axes, keep_dims, name, DEF);         \
    }
REDUCE_CTOR(nb_reduce_sum, SUM, "Sum")
REDUCE_CTOR(nb_reduce_mean, MEAN, "Mean")
REDUCE_CTOR(nb_reduce_prod, PROD, "Prod")
REDUCE_CTOR(nb_reduce_max, MAX, "Max")
REDUCE_CTOR(nb_reduce_min, MIN, "Min")

static nb_output reduce_t(nb_graph *g, int type, nb_output x, nb_output axes, bool keep,
                          const char *name) {
    nb_op *op = nbi_op_new(g, type, name, NULL, (nb_output[]){x, axes}, 2);
    if (!op) return nb_nil;
    op->attrs.keep_dims = keep;
    return nbi_op_finish(op);
}

nb_output nb_reduce_sum_t(nb_graph *g, nb_output x, nb_output axes, bool keep_dims, const char *name) {
    return reduce_t(g, NBI_OP_SUM, x, axes, keep_dims, name);
}
nb_output nb_reduce_mean_t(nb_graph *g, nb_output x, nb_output axes, bool keep_dims, const char *name) {
    return reduce_t(g, NBI_OP_MEAN, x, axes, keep_dims, name);
}

static nb_output arg_ctor(nb_graph *g, int type, nb_output x, int axis, nb_dtype out, const char *name,
                          const char *defname, const char *fn) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (out != NB_INT32 && out != NB_INT64) {
        nbi_graph_error(g, NB_ERR_DTYPE,
                        "%s: Value for attr 'output_type' of %s is not in the list of allowed values: int32, int64",
                        fn, nbi_dtype_valid(out) ? nbi_dtype_tfname(out) : "an invalid dtype");
        return nb_nil;
    }
    char *scope = nbi_op_scope_push(g, name, defname);
    if (!scope) return nb_nil;
    int64_t a = axis;
    nb_output d = nbi_const_ints_node(g, NB_INT32, &a, 1, true, "dimension");
    nb_name_scope_pop(g);
    nb_op *op = nbi_op_new(g, type, scope, NULL, (nb_output[]){x, d}, 2);
    nbi_free(scope);
    if (!op) return nb_nil;
    op->attrs.dtype = out;
    return nbi_op_finish(op);
}

nb_output nb_argmax(nb_graph *g, nb_output x, int axis, const char *name) {
    return arg_ctor(g, NBI_OP_ARG_MAX, x, axis, NB_INT64, name, "ArgMax", "nb_argmax");
}
nb_output nb_argmin(nb_graph *g, nb_output x, int axis, const char *name) {
    return arg_ctor(g, NBI_OP_ARG_MIN, x, axis, NB_INT64, name, "ArgMin", "nb_argmin");
}
nb_output nb_argmax_ex(nb_graph *g, nb_output x, int axis, nb_dtype output_type, const char *name) {
    return arg_ctor(g, NBI_OP_ARG_MAX, x, axis, output_type, name, "ArgMax", "nb_argmax_ex");
}
nb_output nb_argmin_ex(nb_graph *g, nb_output x, int axis, nb_dtype output_type, const char *name) {
    return arg_ctor(g, NBI_OP_ARG_MIN, x, axis, output_type, name, "ArgMin", "nb_argmin_ex");
}
