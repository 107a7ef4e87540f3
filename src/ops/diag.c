/*
 * diag.c — batched diagonals: MatrixDiag (tf.matrix_diag, and so tf.eye),
 * MatrixDiagPart (tf.matrix_diag_part, tf.trace's first step) and
 * MatrixSetDiag (tf.matrix_set_diag), with shape inference, CPU kernels and
 * gradient builders (array_grad.py). Semantics and messages follow TF 1.x's
 * matrix_diag_op.cc and matrix_set_diag_op.cc (the main diagonal only).
 */
#include "nb_internal.h"
#include "graph/graphdef_attrs.h"

#include <stdio.h>

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/*** MatrixDiag: [..., n] -> [..., n, n] ***/

static nb_status infer_matrix_diag(nb_op *op) {
    const nb_shape *s = nbi_in_shape(op, 0);
    if (s->rank == 0) return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Shape must be at least rank 1 but is rank 0");
    if (s->rank >= NB_MAX_RANK) return nbi_infer_error(op, NB_ERR_SHAPE, "MatrixDiag: the result would have rank above %d", NB_MAX_RANK);
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 0);
    if (s->rank < 0) return NB_OK;
    nb_shape o = *s;
    o.dims[o.rank++] = s->dims[s->rank - 1];
    op->out_shape[0] = o;
    return NB_OK;
}

static nb_status k_matrix_diag(nbi_kctx *k) {
    const nb_tensor *x = k->in[0];
    if (x->rank < 1 || x->rank >= NB_MAX_RANK) {
        char b[64];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "input must be at least 1-dim, received shape: %s",
                          nbi_dims_string(x->rank, x->dims, false, b, sizeof b));
    }
    int64_t d[NB_MAX_RANK];
    memcpy(d, x->dims, sizeof(int64_t) * (size_t)x->rank);
    int64_t n = x->dims[x->rank - 1];
    d[x->rank] = n;
    nb_tensor *o = nbi_kalloc(k, x->dtype, x->rank + 1, d);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    memset(o->data, 0, o->nbytes);
    size_t es = nb_dtype_size(x->dtype);
    int64_t batch = nbi_dims_prod(x->dims, 0, x->rank - 1);
    for (int64_t b = 0; b < batch; b++)
        for (int64_t i = 0; i < n; i++)
            memcpy((char *)o->data + (size_t)((b * n + i) * n + i) * es, (const char *)x->data + (size_t)(b * n + i) * es, es);
    return NB_OK;
}

static nb_output diag_part(nb_graph *g, nb_output x) {
    return nbi_op_finish(nbi_op_new(g, NBI_OP_MATRIX_DIAG_PART, NULL, NULL, &x, 1));
}
static nb_output set_diag(nb_graph *g, nb_output x, nb_output d) {
    nb_output in[2] = {x, d};
    return nbi_op_finish(nbi_op_new(g, NBI_OP_MATRIX_SET_DIAG, NULL, NULL, in, 2));
}
static nb_output make_diag(nb_graph *g, nb_output d) {
    return nbi_op_finish(nbi_op_new(g, NBI_OP_MATRIX_DIAG, NULL, NULL, &d, 1));
}

static void g_matrix_diag(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    (void)op;
    dx[0] = diag_part(g, dy[0]);
}

const nbi_opdef nbi_opdef_MATRIX_DIAG = {
    .type = "MatrixDiag", .n_inputs = 1, .infer = infer_matrix_diag, .kernel = k_matrix_diag,
    .grad = g_matrix_diag,
    .attrs = NBI_ATTRS_T,
};

/*** MatrixDiagPart: [..., m, n] -> [..., min(m, n)] ***/

static nb_status infer_matrix_diag_part(nb_op *op) {
    const nb_shape *s = nbi_in_shape(op, 0);
    if (s->rank >= 0 && s->rank < 2)
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Shape must be at least rank 2 but is rank %d", s->rank);
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 0);
    if (s->rank < 0) return NB_OK;
    nb_shape o = *s;
    int64_t m = s->dims[s->rank - 2], n = s->dims[s->rank - 1];
    o.rank--;
    o.dims[o.rank - 1] = m >= 0 && n >= 0 ? min64(m, n) : NB_DIM_UNKNOWN;
    op->out_shape[0] = o;
    return NB_OK;
}

static nb_status k_matrix_diag_part(nbi_kctx *k) {
    const nb_tensor *x = k->in[0];
    if (x->rank < 2) {
        char b[64];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "input must be at least 2-dim, received shape: %s",
                          nbi_dims_string(x->rank, x->dims, false, b, sizeof b));
    }
    int64_t m = x->dims[x->rank - 2], n = x->dims[x->rank - 1], q = min64(m, n);
    int64_t d[NB_MAX_RANK];
    memcpy(d, x->dims, sizeof(int64_t) * (size_t)x->rank);
    d[x->rank - 2] = q;
    nb_tensor *o = nbi_kalloc(k, x->dtype, x->rank - 1, d);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    size_t es = nb_dtype_size(x->dtype);
    int64_t batch = nbi_dims_prod(x->dims, 0, x->rank - 2);
    for (int64_t b = 0; b < batch; b++)
        for (int64_t i = 0; i < q; i++)
            memcpy((char *)o->data + (size_t)(b * q + i) * es, (const char *)x->data + (size_t)((b * m + i) * n + i) * es, es);
    return NB_OK;
}

/* array_grad.py: a square matrix of known shape gets MatrixDiag(dy); otherwise
 * MatrixSetDiag(zeros_like(x), dy). */
static void g_matrix_diag_part(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    const nb_shape *s = nbi_in_shape(op, 0);
    if (nbi_shape_known(s) && s->dims[s->rank - 1] == s->dims[s->rank - 2]) dx[0] = make_diag(g, dy[0]);
    else dx[0] = set_diag(g, nb_zeros_like(g, op->inputs[0], NULL), dy[0]);
}

const nbi_opdef nbi_opdef_MATRIX_DIAG_PART = {
    .type = "MatrixDiagPart", .n_inputs = 1, .infer = infer_matrix_diag_part, .kernel = k_matrix_diag_part,
    .grad = g_matrix_diag_part,
    .attrs = NBI_ATTRS_T,
};

/*** MatrixSetDiag: x [..., m, n] with its diagonal replaced by d [..., min(m, n)] ***/

static nb_status set_diag_mismatch(nb_op *op) {
    char a[128], b[128];
    return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT,
                           "must have diagonal.shape == input.shape[:-2] + min(input.shape[-2:]), but received input shape: %s and diagonal shape: %s",
                           nb_shape_string(*nbi_in_shape(op, 0), a, sizeof a), nb_shape_string(*nbi_in_shape(op, 1), b, sizeof b));
}

static nb_status infer_matrix_set_diag(nb_op *op) {
    nb_dtype dt = nbi_in_dtype(op, 0);
    if (nbi_in_dtype(op, 1) != dt)
        return nbi_infer_error(op, NB_ERR_DTYPE,
                               "Input 'diagonal' of 'MatrixSetDiag' Op has type %s that does not match type %s of argument 'input'",
                               nbi_dtype_tfname(nbi_in_dtype(op, 1)), nbi_dtype_tfname(dt));
    const nb_shape *s = nbi_in_shape(op, 0), *ds = nbi_in_shape(op, 1);
    if (s->rank >= 0 && s->rank < 2)
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Shape must be at least rank 2 but is rank %d", s->rank);
    if (s->rank >= 0 && ds->rank >= 0) {
        if (ds->rank != s->rank - 1) return set_diag_mismatch(op);
        for (int i = 0; i < ds->rank - 1; i++)
            if (s->dims[i] >= 0 && ds->dims[i] >= 0 && s->dims[i] != ds->dims[i]) return set_diag_mismatch(op);
        int64_t m = s->dims[s->rank - 2], n = s->dims[s->rank - 1], q = ds->dims[ds->rank - 1];
        if (m >= 0 && n >= 0 && q >= 0 && q != min64(m, n)) return set_diag_mismatch(op);
    }
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = dt;
    op->out_shape[0] = *s;
    return NB_OK;
}

static nb_status k_matrix_set_diag(nbi_kctx *k) {
    const nb_tensor *x = k->in[0], *dg = k->in[1];
    int r = x->rank;
    bool ok = r >= 2 && dg->rank == r - 1;
    for (int i = 0; ok && i < r - 2; i++) ok = x->dims[i] == dg->dims[i];
    int64_t m = ok ? x->dims[r - 2] : 0, n = ok ? x->dims[r - 1] : 0, q = min64(m, n);
    if (!ok || dg->dims[r - 2] != q) {
        char a[128], b[128];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                          "must have diagonal.shape == input.shape[:-2] + min(input.shape[-2:]), but received input shape: %s and diagonal shape: %s",
                          nbi_dims_string(x->rank, x->dims, false, a, sizeof a),
                          nbi_dims_string(dg->rank, dg->dims, false, b, sizeof b));
    }
    nb_tensor *o = nbi_kalloc(k, x->dtype, r, x->dims);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    if (o->nbytes) memcpy(o->data, x->data, o->nbytes);
    size_t es = nb_dtype_size(x->dtype);
    int64_t batch = nbi_dims_prod(x->dims, 0, r - 2);
    for (int64_t b = 0; b < batch; b++)
        for (int64_t i = 0; i < q; i++)
            memcpy((char *)o->data + (size_t)((b * m + i) * n + i) * es, (const char *)dg->data + (size_t)(b * q + i) * es, es);
    return NB_OK;
}

/* array_grad.py: d input = MatrixSetDiag(dy, 0), d diagonal = MatrixDiagPart(dy). */
static void g_matrix_set_diag(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = set_diag(g, dy[0], nb_zeros_like(g, op->inputs[1], NULL));
    dx[1] = diag_part(g, dy[0]);
}

const nbi_opdef nbi_opdef_MATRIX_SET_DIAG = {
    .type = "MatrixSetDiag", .n_inputs = 2, .infer = infer_matrix_set_diag, .kernel = k_matrix_set_diag,
    .grad = g_matrix_set_diag,
    .attrs = NBI_ATTRS_T,
};

/*** Constructors ***/

nb_output nb_matrix_diag(nb_graph *g, nb_output diagonal, const char *name) {
    return nbi_op_finish(nbi_op_new(g, NBI_OP_MATRIX_DIAG, name, NULL, &diagonal, 1));
}

nb_output nb_matrix_diag_part(nb_graph *g, nb_output x, const char *name) {
    return nbi_op_finish(nbi_op_new(g, NBI_OP_MATRIX_DIAG_PART, name, NULL, &x, 1));
}

nb_output nb_matrix_set_diag(nb_graph *g, nb_output x, nb_output diagonal, const char *name) {
    nb_output in[2] = {x, diagonal};
    return nbi_op_finish(nbi_op_new(g, NBI_OP_MATRIX_SET_DIAG, name, NULL, in, 2));
}
