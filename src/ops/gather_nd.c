/*
 * gather_nd.c — N-dimensional indexing: GatherNd (tf.gather_nd) and ScatterNd
 * (tf.scatter_nd), each the other's gradient, with shape inference and CPU
 * kernels. Semantics and messages follow TensorFlow 1.x (gather_nd_op.cc,
 * scatter_nd_op.cc, array_ops.cc's shape functions, array_grad.py).
 *
 * indices has shape [..., m]: each innermost row addresses the first m dims
 * of params (GatherNd) or of `shape` (ScatterNd); the remaining dims are
 * copied as whole slices.
 */
#include "nb_internal.h"
#include "graph/graphdef_attrs.h"

#include <stdio.h>

/* "[2, 0]": index row j of indices (m values) */
static void row_string(const nb_tensor *ix, int64_t j, int64_t m, char *buf, size_t n) {
    size_t o = (size_t)snprintf(buf, n, "[");
    for (int64_t i = 0; i < m && o < n; i++)
        o += (size_t)snprintf(buf + o, n - o, "%s%lld", i ? ", " : "", (long long)nbi_load_index(ix, j * m + i));
    if (o < n) snprintf(buf + o, n - o, "]");
}

/* "indices[1, 0]": the position of row j in indices.shape[:-1] */
static void where_string(const nb_tensor *ix, int64_t j, char *buf, size_t n) {
    int r = ix->rank - 1;
    int64_t idx[NB_MAX_RANK];
    for (int i = r - 1; i >= 0; i--) {
        idx[i] = j % ix->dims[i];
        j /= ix->dims[i];
    }
    size_t o = (size_t)snprintf(buf, n, "indices[");
    for (int i = 0; i < r && o < n; i++) o += (size_t)snprintf(buf + o, n - o, "%s%lld", i ? "," : "", (long long)idx[i]);
    if (o < n) snprintf(buf + o, n - o, "]");
}

static nb_status check_indices_dtype(nb_op *op, int i) {
    nb_dtype dt = nbi_in_dtype(op, i);
    if (dt != NB_INT32 && dt != NB_INT64)
        return nbi_infer_error(op, NB_ERR_DTYPE, "Value for attr 'Tindices' of %s is not in the list of allowed values: int32, int64",
                               nbi_dtype_tfname(dt));
    return NB_OK;
}

/* Flat offsets (in slices of `slice` elements) of each index row into dims d;
 * false with msg naming the first bad row. */
static bool row_offsets(const nb_tensor *ix, int64_t rows, int64_t m, const int64_t *d, int dr, int64_t *off, char *msg,
                        size_t msz, const char *what) {
    for (int64_t j = 0; j < rows; j++) {
        int64_t o = 0;
        for (int64_t i = 0; i < m; i++) {
            int64_t v = nbi_load_index(ix, j * m + i);
            if (v < 0 || v >= d[i]) {
                char w[96], rs[160], ds[128];
                where_string(ix, j, w, sizeof w);
                row_string(ix, j, m, rs, sizeof rs);
                snprintf(msg, msz, "%s = %s does not index into %s %s", w, rs, what, nbi_dims_string(dr, d, false, ds, sizeof ds));
                return false;
            }
            o = o * d[i] + v;
        }
        off[j] = o;
    }
    return true;
}

/*** GatherNd ***/

static nb_status infer_gather_nd(nb_op *op) {
    nb_status st = check_indices_dtype(op, 1);
    if (st != NB_OK) return st;
    const nb_shape *p = nbi_in_shape(op, 0), *ix = nbi_in_shape(op, 1);
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 0);
    if (ix->rank == 0) return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Shape must be at least rank 1 but is rank 0");
    if (ix->rank < 0 || p->rank < 0 || ix->dims[ix->rank - 1] < 0) return NB_OK;
    int64_t m = ix->dims[ix->rank - 1];
    if (m > p->rank) {
        char a[128], b[128];
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT,
                               "indices.shape[-1] must be <= params.rank, but saw indices shape: %s and params shape: %s",
                               nb_shape_string(*ix, a, sizeof a), nb_shape_string(*p, b, sizeof b));
    }
    if (ix->rank - 1 + p->rank - m > NB_MAX_RANK)
        return nbi_infer_error(op, NB_ERR_SHAPE, "GatherNd: the result would have rank above %d", NB_MAX_RANK);
    nb_shape o;
    o.rank = 0;
    for (int i = 0; i < ix->rank - 1; i++) o.dims[o.rank++] = ix->dims[i];
    for (int i = (int)m; i < p->rank; i++) o.dims[o.rank++] = p->dims[i];
    op->out_shape[0] = o;
    return NB_OK;
}

static nb_status k_gather_nd(nbi_kctx *k) {
    const nb_tensor *p = k->in[0], *ix = k->in[1];
    if (ix->rank < 1) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "indices must be at least a vector");
    int64_t m = ix->dims[ix->rank - 1];
    if (m > p->rank) {
        char a[128];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "index innermost dimension length must be <= params rank; saw: %lld vs. %s",
                          (long long)m, nbi_dims_string(p->rank, p->dims, false, a, sizeof a));
    }
    int orank = ix->rank - 1 + p->rank - (int)m;
    if (orank > NB_MAX_RANK) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "GatherNd: the result would have rank above %d", NB_MAX_RANK);
    int64_t d[NB_MAX_RANK];
    int r = 0;
    for (int i = 0; i < ix->rank - 1; i++) d[r++] = ix->dims[i];
    for (int i = (int)m; i < p->rank; i++) d[r++] = p->dims[i];
    int64_t rows = nbi_dims_prod(ix->dims, 0, ix->rank - 1), slice = nbi_dims_prod(p->dims, (int)m, p->rank);
    int64_t *off = nbi_kscratch(k, (size_t)(rows ? rows : 1) * sizeof *off);
    if (!off) return NB_ERR_OUT_OF_MEMORY;
    char msg[512];
    if (!row_offsets(ix, rows, m, p->dims, p->rank, off, msg, sizeof msg, "param shape"))
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "%s", msg);
    nb_tensor *o = nbi_kalloc(k, p->dtype, orank, d);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    size_t row = (size_t)slice * nb_dtype_size(p->dtype);
    if (row)
        for (int64_t j = 0; j < rows; j++)
            memcpy((char *)o->data + (size_t)j * row, (const char *)p->data + (size_t)off[j] * row, row);
    return NB_OK;
}

static nb_output scatter_nd_op(nb_graph *g, nb_output indices, nb_output updates, nb_output shape) {
    nb_output in[3] = {indices, updates, shape};
    return nbi_op_finish(nbi_op_new(g, NBI_OP_SCATTER_ND, NULL, NULL, in, 3));
}
static nb_output gather_nd_op(nb_graph *g, nb_output params, nb_output indices, const char *name) {
    nb_output in[2] = {params, indices};
    return nbi_op_finish(nbi_op_new(g, NBI_OP_GATHER_ND, name, NULL, in, 2));
}

/* array_grad.py: dparams = ScatterNd(indices, dy, Shape(params)) (duplicates add up). */
static void g_gather_nd(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output shape = nb_shape_of(g, op->inputs[0], NULL);
    if (nbi_in_dtype(op, 1) == NB_INT64) shape = nb_cast(g, shape, NB_INT64, NULL);
    dx[0] = scatter_nd_op(g, op->inputs[1], dy[0], shape);
}

const nbi_opdef nbi_opdef_GATHER_ND = {
    .type = "GatherNd", .n_inputs = 2, .infer = infer_gather_nd, .kernel = k_gather_nd, .grad = g_gather_nd,
    .attrs = NBI_ATTRS({"Tindices", NBI_A_T_IN1}, {"Tparams", NBI_A_T_IN0}),
};

nb_output nb_gather_nd(nb_graph *g, nb_output params, nb_output indices, const char *name) {
    return gather_nd_op(g, params, indices, name);
}

/*** ScatterNd ***/

/* updates must have shape indices.shape[:-1] + shape[m:] */
static bool updates_fit(int ir, const int64_t *id, int ur, const int64_t *ud, int sr, const int64_t *sd, char *msg,
                        size_t msz) {
    int64_t m = id[ir - 1];
    int want = ir - 1 + sr - (int)m;
    bool ok = ur == want;
    for (int i = 0; ok && i < ir - 1; i++) ok = id[i] < 0 || ud[i] < 0 || id[i] == ud[i];
    for (int i = (int)m; ok && i < sr; i++) ok = sd[i] < 0 || ud[ir - 1 + i - m] < 0 || sd[i] == ud[ir - 1 + i - m];
    if (!ok) {
        char a[128], b[128], c[128];
        snprintf(msg, msz, "updates.shape %s must be indices.shape[:-1] + shape[indices.shape[-1]:], got indices.shape %s, shape %s",
                 nbi_dims_string(ur, ud, false, a, sizeof a), nbi_dims_string(ir, id, false, b, sizeof b),
                 nbi_dims_string(sr, sd, false, c, sizeof c));
    }
    return ok;
}

static nb_status infer_scatter_nd(nb_op *op) {
    nb_status st = check_indices_dtype(op, 0);
    if (st != NB_OK) return st;
    if (nbi_in_dtype(op, 2) != nbi_in_dtype(op, 0))
        return nbi_infer_error(op, NB_ERR_DTYPE, "Input 'shape' of 'ScatterNd' Op has type %s that does not match type %s of argument 'indices'",
                               nbi_dtype_tfname(nbi_in_dtype(op, 2)), nbi_dtype_tfname(nbi_in_dtype(op, 0)));
    nb_dtype ut = nbi_in_dtype(op, 1);
    if (!nbi_dtype_is_float(ut) && ut != NB_INT32 && ut != NB_INT64)
        return nbi_infer_error(op, NB_ERR_DTYPE, "Value for attr 'T' of %s is not in the list of allowed values: float, double, int32, int64",
                               nbi_dtype_tfname(ut));
    const nb_shape *ix = nbi_in_shape(op, 0), *u = nbi_in_shape(op, 1), *ss = nbi_in_shape(op, 2);
    if (ix->rank == 0) return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Shape must be at least rank 1 but is rank 0");
    if (ss->rank >= 0 && ss->rank != 1) return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Shape must be rank 1 but is rank %d", ss->rank);
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 1);
    int64_t d[NB_MAX_RANK + 1];
    int r = nbi_const_ints(op, 2, d, NB_MAX_RANK + 1);
    if (r > NB_MAX_RANK) return nbi_infer_error(op, NB_ERR_SHAPE, "ScatterNd: shape has more than %d dims", NB_MAX_RANK);
    if (r < 0) {
        if (ss->rank == 1 && ss->dims[0] >= 0 && ss->dims[0] <= NB_MAX_RANK) {
            int64_t un[NB_MAX_RANK];
            for (int i = 0; i < NB_MAX_RANK; i++) un[i] = NB_DIM_UNKNOWN;
            op->out_shape[0] = nb_shape_make((int)ss->dims[0], un);
        }
        return NB_OK;
    }
    for (int i = 0; i < r; i++)
        if (d[i] < 0) return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Dimension %d must be >= 0", i);
    if (ix->rank > 0 && ix->dims[ix->rank - 1] > r) {
        char a[128];
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "The last dimension of indices (%lld) must be <= the rank of shape %s",
                               (long long)ix->dims[ix->rank - 1], nbi_dims_string(r, d, false, a, sizeof a));
    }
    char msg[512];
    if (ix->rank > 0 && ix->dims[ix->rank - 1] >= 0 && u->rank >= 0 &&
        !updates_fit(ix->rank, ix->dims, u->rank, u->dims, r, d, msg, sizeof msg))
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "%s", msg);
    op->out_shape[0] = nb_shape_make(r, d);
    return NB_OK;
}

#define SCATTER_ADD(T)                                                                 \
    do {                                                                               \
        T *y = o->data;                                                                \
        const T *uu = u->data;                                                         \
        for (int64_t j = 0; j < rows; j++)                                             \
            for (int64_t e = 0; e < slice; e++) y[off[j] * slice + e] += uu[j * slice + e]; \
    } while (0)

static nb_status k_scatter_nd(nbi_kctx *k) {
    const nb_tensor *ix = k->in[0], *u = k->in[1], *st = k->in[2];
    if (st->rank != 1 || st->size > NB_MAX_RANK)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "shape must be a vector of at most %d values", NB_MAX_RANK);
    int r = (int)st->size;
    int64_t d[NB_MAX_RANK];
    for (int i = 0; i < r; i++) {
        d[i] = nbi_load_index(st, i);
        if (d[i] < 0) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Dimension %d must be >= 0", i);
    }
    if (nbi_numel(r, d) < 0) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "shape is too large");
    if (ix->rank < 1) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "indices must be at least a vector");
    int64_t m = ix->dims[ix->rank - 1];
    char msg[512];
    if (m > r) {
        char a[128];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "The last dimension of indices (%lld) must be <= the rank of shape %s",
                          (long long)m, nbi_dims_string(r, d, false, a, sizeof a));
    }
    if (!updates_fit(ix->rank, ix->dims, u->rank, u->dims, r, d, msg, sizeof msg))
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "%s", msg);
    int64_t rows = nbi_dims_prod(ix->dims, 0, ix->rank - 1), slice = nbi_dims_prod(d, (int)m, r);
    int64_t *off = nbi_kscratch(k, (size_t)(rows ? rows : 1) * sizeof *off);
    if (!off) return NB_ERR_OUT_OF_MEMORY;
    if (!row_offsets(ix, rows, m, d, r, off, msg, sizeof msg, "shape"))
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "%s", msg);
    nb_tensor *o = nbi_kalloc(k, u->dtype, r, d);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    memset(o->data, 0, o->nbytes);
    switch (u->dtype) {
    case NB_FLOAT32: SCATTER_ADD(float); break;
    case NB_FLOAT64: SCATTER_ADD(double); break;
    case NB_INT32: SCATTER_ADD(int32_t); break;
    default: SCATTER_ADD(int64_t); break; /* inference admits these four only */
    }
    return NB_OK;
}

/* array_grad.py: dupdates = GatherNd(dy, indices); none to indices and shape. */
static void g_scatter_nd(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[1] = gather_nd_op(g, dy[0], op->inputs[0], NULL);
}

const nbi_opdef nbi_opdef_SCATTER_ND = {
    .type = "ScatterNd", .n_inputs = 3, .infer = infer_scatter_nd, .kernel = k_scatter_nd, .grad = g_scatter_nd,
    .attrs = NBI_ATTRS({"T", NBI_A_T_IN1}, {"Tindices", NBI_A_T_IN0}),
};

nb_output nb_scatter_nd(nb_graph *g, nb_output indices, nb_output updates, const int64_t *shape, int rank,
                        const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (rank < 0 || rank > NB_MAX_RANK || (rank && !shape)) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_scatter_nd: bad shape (rank %d)", rank);
        return nb_nil;
    }
    char *scope = nbi_op_scope_push(g, name, "ScatterNd");
    if (!scope) return nb_nil;
    nb_dtype dt = nb_output_is_nil(indices) ? NB_INT32 : nb_output_dtype(indices);
    nb_output s = nbi_const_ints_node(g, dt == NB_INT64 ? NB_INT64 : NB_INT32, shape, rank, false, "shape");
    nb_name_scope_pop(g);
    nb_output in[3] = {indices, updates, s};
    nb_output r = nbi_op_finish(nbi_op_new(g, NBI_OP_SCATTER_ND, scope, NULL, in, 3));
    nbi_free(scope);
    return r;
}
