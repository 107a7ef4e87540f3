/*
 * elementwise.c — the one elementwise engine (see elementwise.h): the table
 * lookup, the parallel driver, numpy broadcasting, the kernels and shape
 * inference of every op in the families' tables, the constructors' common
 * node builders, and nbi_sum_to_shape_of, the gradients' undoing of a
 * broadcast.
 *
 * Broadcasting is numpy's: align dims from the right; each pair must be equal
 * or one of them 1. The loop calls the op's row function on the innermost
 * dimension with input strides of 0 (broadcast) or 1, after fast paths for
 * same-shape and scalar operands.
 */
#include "ops/elementwise.h"

#include <string.h>

/*** Tables and the driver ***/

static inline const nbi_ew_tab *table_of(int type) {
    if (type < 0 || type >= NBI_OP_COUNT) return NULL;
    if (nbi_ew_math[type].arity) return &nbi_ew_math[type];
    if (nbi_ew_activation[type].arity) return &nbi_ew_activation[type];
    if (nbi_ew_math_more[type].arity) return &nbi_ew_math_more[type];
    return NULL;
}

const nbi_ew_tab *nbi_ew_table(int type) { return table_of(type); }

void nbi_ew_run(int64_t n, nbi_ew_row row, const void *a, size_t ea, int64_t sa, const void *b, size_t eb,
                int64_t sb, void *out, size_t eo, const nbi_attrs *at) {
    if (n < NBI_PAR_MIN) {
        if (n) row(n, a, sa, b, sb, out, at);
        return;
    }
    /* Large tensors: contiguous chunks across the shared OpenMP pool. */
    int64_t chunks = (n + NBI_PAR_MIN - 1) / NBI_PAR_MIN;
#pragma omp parallel for num_threads(nbi_num_threads()) schedule(static)
    for (int64_t c = 0; c < chunks; c++) {
        int64_t lo = c * NBI_PAR_MIN, len = n - lo < NBI_PAR_MIN ? n - lo : NBI_PAR_MIN;
        row(len, (const char *)a + (size_t)(lo * sa) * ea, sa, b ? (const char *)b + (size_t)(lo * sb) * eb : NULL,
            sb, (char *)out + (size_t)lo * eo, at);
    }
}

nb_status nbi_broadcast_apply(nbi_kctx *k, const nb_tensor *a, const nb_tensor *b, nb_dtype out_dt,
                              nbi_ew_row fn, const nbi_attrs *at, nb_tensor **out) {
    if (a->rank == b->rank && nbi_same_dims(a, b->rank, b->dims)) { /* the common case */
        nb_tensor *o = nbi_kalloc(k, out_dt, a->rank, a->dims);
        if (!o) return NB_ERR_OUT_OF_MEMORY;
        *out = o;
        if (o->size < NBI_PAR_MIN) { /* one call, without the driver (per-op overhead) */
            if (o->size) fn(o->size, a->data, 1, b->data, 1, o->data, at);
            return NB_OK;
        }
        nbi_ew_run(o->size, fn, a->data, nbi_dtype_size(a->dtype), 1, b->data, nbi_dtype_size(b->dtype), 1,
                   o->data, nbi_dtype_size(out_dt), at);
        return NB_OK;
    }
    int r;
    int64_t d[NB_MAX_RANK];
    if (!nbi_dims_broadcast(a->rank, a->dims, b->rank, b->dims, &r, d)) {
        char sa[256], sb[256];
        return nbi_kerror(k, NB_ERR_SHAPE, "Incompatible shapes: %s vs. %s",
                          nbi_dims_string(a->rank, a->dims, false, sa, sizeof sa),
                          nbi_dims_string(b->rank, b->dims, false, sb, sizeof sb));
    }
    nb_tensor *o = nbi_kalloc(k, out_dt, r, d);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    *out = o;
    int64_t n = o->size;
    if (n == 0) return NB_OK;
    if (a->size == n && b->size == n) {
        fn(n, a->data, 1, b->data, 1, o->data, at);
        return NB_OK;
    }
    if (a->size == 1 && b->size == n) {
        fn(n, a->data, 0, b->data, 1, o->data, at);
        return NB_OK;
    }
    if (b->size == 1 && a->size == n) {
        fn(n, a->data, 1, b->data, 0, o->data, at);
        return NB_OK;
    }
    /* General case: strides aligned to the output's rank. */
    int64_t sa[NB_MAX_RANK], sb[NB_MAX_RANK];
    int64_t acc_a = 1, acc_b = 1;
    for (int i = r - 1; i >= 0; i--) {
        int ia = a->rank - r + i, ib = b->rank - r + i;
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        sa[i] = da == 1 ? 0 : acc_a;
        sb[i] = db == 1 ? 0 : acc_b;
        acc_a *= da;
        acc_b *= db;
    }
    size_t ea = nb_dtype_size(a->dtype), eb = nb_dtype_size(b->dtype), eo = nb_dtype_size(out_dt);
    int64_t inner = d[r - 1];
    int64_t outer = n / inner;
    int64_t idx[NB_MAX_RANK] = {0};
    int64_t oa = 0, ob = 0;
    const char *pa = a->data, *pb = b->data;
    char *po = o->data;
    for (int64_t t = 0; t < outer; t++) {
        fn(inner, pa + oa * (int64_t)ea, sa[r - 1], pb + ob * (int64_t)eb, sb[r - 1],
           po + t * inner * (int64_t)eo, at);
        for (int i = r - 2; i >= 0; i--) { /* odometer over the outer dims */
            idx[i]++;
            oa += sa[i];
            ob += sb[i];
            if (idx[i] < d[i]) break;
            oa -= sa[i] * d[i];
            ob -= sb[i] * d[i];
            idx[i] = 0;
        }
    }
    return NB_OK;
}

/*** Kernels ***/

/* The op's table row, its check, and the row for dtype dt; *f NULL when done. */
static inline nb_status ew_begin(nbi_kctx *k, nb_dtype dt, const nbi_ew_tab **t, nbi_ew_row *f) {
    *t = table_of(k->op->type);
    *f = NULL;
    if (*t && (*t)->check) {
        bool done = false;
        nb_status st = (*t)->check(k, &done);
        if (st != NB_OK || done) return st;
    }
    *f = nbi_ew_row_for(*t, dt);
    if (!*f)
        return nbi_kerror(k, NB_ERR_INTERNAL, "no %s kernel for %s", k->op->def->type, nbi_dtype_tfname(dt));
    return NB_OK;
}

static nb_dtype out_dtype(const nbi_ew_tab *t, nb_dtype in) { return t->out != NB_DTYPE_INVALID ? t->out : in; }

nb_status nbi_ew_k_unary(nbi_kctx *k) {
    const nb_tensor *a = k->in[0];
    const nbi_ew_tab *t;
    nbi_ew_row f;
    nb_status st = ew_begin(k, a->dtype, &t, &f);
    if (st != NB_OK || !f) return st;
    nb_dtype odt = out_dtype(t, a->dtype);
    nb_tensor *o = nbi_kalloc(k, odt, a->rank, a->dims);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    if (a->size < NBI_PAR_MIN) { /* one call, without the driver (per-op overhead) */
        if (a->size) f(a->size, a->data, 1, NULL, 0, o->data, &k->op->attrs);
        return NB_OK;
    }
    nbi_ew_run(a->size, f, a->data, nbi_dtype_size(a->dtype), 1, NULL, 0, 0, o->data, nbi_dtype_size(odt),
               &k->op->attrs);
    return NB_OK;
}

nb_status nbi_ew_k_binary(nbi_kctx *k) {
    const nb_tensor *a = k->in[0], *b = k->in[1];
    const nbi_ew_tab *t;
    nbi_ew_row f;
    nb_status st = ew_begin(k, a->dtype, &t, &f);
    if (st != NB_OK || !f) return st;
    return nbi_broadcast_apply(k, a, b, out_dtype(t, a->dtype), f, &k->op->attrs, &k->out[0]);
}

nb_status nbi_ew_k_pair(nbi_kctx *k) {
    const nb_tensor *g = k->in[0], *x = k->in[1];
    if (!nbi_same_dims(g, x->rank, x->dims)) {
        char sa[128], sb[128];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "%s must have the same shape: %s vs. %s",
                          "gradients and features", nbi_dims_string(g->rank, g->dims, false, sa, sizeof sa),
                          nbi_dims_string(x->rank, x->dims, false, sb, sizeof sb));
    }
    return nbi_ew_k_binary(k);
}

/*** Shape inference ***/

/* The op's table row; an internal error (naming the op) when no family has it. */
static nb_status ew_tab(nb_op *op, const nbi_ew_tab **t) {
    *t = nbi_ew_table(op->type);
    if (!*t)
        return nbi_infer_error(op, NB_ERR_INTERNAL, "%s is not in an elementwise table", op->def->type);
    return NB_OK;
}

static nb_status dtype_error(nb_op *op, const nbi_ew_tab *t, nb_dtype dt) {
    return nbi_infer_error(op, NB_ERR_DTYPE, "Value for attr 'T' of %s is not in the list of allowed values%s%s",
                           nbi_dtype_tfname(dt), t->allowed ? ": " : "", t->allowed ? t->allowed : "");
}

nb_status nbi_ew_infer_unary(nb_op *op) {
    const nbi_ew_tab *t;
    nb_status st = ew_tab(op, &t);
    if (st != NB_OK) return st;
    nb_dtype a = nbi_in_dtype(op, 0);
    if (!nbi_ew_row_for(t, a)) return dtype_error(op, t, a);
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = out_dtype(t, a);
    op->out_shape[0] = *nbi_in_shape(op, 0);
    return NB_OK;
}

nb_status nbi_ew_infer_binary(nb_op *op) {
    const nbi_ew_tab *t;
    nb_status st = ew_tab(op, &t);
    if (st != NB_OK) return st;
    nb_dtype a = nbi_in_dtype(op, 0), b = nbi_in_dtype(op, 1);
    if (a == b && !nbi_ew_row_for(t, a)) return dtype_error(op, t, a);
    if (a != b)
        return nbi_infer_error(op, NB_ERR_DTYPE,
                               "Input 'y' of '%s' Op has type %s that does not match type %s of argument 'x'",
                               op->def->type, nb_dtype_name(b), nb_dtype_name(a));
    nb_shape s;
    if (!nbi_shape_broadcast(nbi_in_shape(op, 0), nbi_in_shape(op, 1), &s)) {
        const nb_shape *x = nbi_in_shape(op, 0), *y = nbi_in_shape(op, 1);
        int r = x->rank > y->rank ? x->rank : y->rank;
        for (int i = 0; i < r; i++) {
            int ix = x->rank - r + i, iy = y->rank - r + i;
            int64_t dx = ix >= 0 ? x->dims[ix] : 1, dy = iy >= 0 ? y->dims[iy] : 1;
            if (dx >= 0 && dy >= 0 && dx != dy && dx != 1 && dy != 1)
                return nbi_infer_error(op, NB_ERR_SHAPE,
                                       "Dimensions must be equal, but are %lld and %lld",
                                       (long long)dx, (long long)dy);
        }
        return nbi_infer_error(op, NB_ERR_SHAPE, "Incompatible shapes");
    }
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = out_dtype(t, a);
    op->out_shape[0] = s;
    return NB_OK;
}

nb_status nbi_ew_infer_pair(nb_op *op) {
    const nbi_ew_tab *t;
    nb_status st = ew_tab(op, &t);
    if (st != NB_OK) return st;
    nb_dtype a = nbi_in_dtype(op, 0), b = nbi_in_dtype(op, 1);
    if (!nbi_ew_row_for(t, a)) return dtype_error(op, t, a);
    if (b != a)
        return nbi_infer_error(op, NB_ERR_DTYPE, "Input 'features' of '%s' Op has type %s that does not match type %s of argument 'gradients'",
                               op->def->type, nbi_dtype_tfname(b), nbi_dtype_tfname(a));
    nb_shape s;
    if (!nbi_shape_merge(nbi_in_shape(op, 0), nbi_in_shape(op, 1), &s)) {
        char sa[128], sb[128];
        return nbi_infer_error(op, NB_ERR_SHAPE, "%s must have the same shape, but are %s and %s",
                               "gradients and features", nb_shape_string(*nbi_in_shape(op, 0), sa, sizeof sa),
                               nb_shape_string(*nbi_in_shape(op, 1), sb, sizeof sb));
    }
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = out_dtype(t, a);
    op->out_shape[0] = s;
    return NB_OK;
}

/*** Node builders and gradients ***/

nb_output nbi_unary(nb_graph *g, int type, nb_output x, const char *name, const char *defname) {
    return nbi_op_finish(nbi_op_new(g, type, name, defname, &x, 1));
}

nb_output nbi_binary(nb_graph *g, int type, nb_output x, nb_output y, const char *name,
                     const char *defname) {
    nb_output in[2] = {x, y};
    return nbi_op_finish(nbi_op_new(g, type, name, defname, in, 2));
}

/*** Undoing broadcasting (for the gradients of broadcasting ops) ***/

nb_output nbi_sum_to_shape_of(nb_graph *g, nb_output grad, nb_output x) {
    if (!grad.op || !x.op || !nbi_graph_ok(g)) return nb_nil;
    nb_shape sx = nb_output_shape(x), sg = nb_output_shape(grad);
    if (nbi_shape_known(&sx) && nbi_shape_known(&sg)) {
        if (sx.rank == sg.rank && !memcmp(sx.dims, sg.dims, sizeof(int64_t) * (size_t)sx.rank))
            return grad;
        int axes[NB_MAX_RANK], n = 0, lead = sg.rank - sx.rank;
        if (lead < 0) {
            nbi_graph_error(g, NB_ERR_SHAPE, "gradient of rank %d cannot be reduced to rank %d",
                            sg.rank, sx.rank);
            return nb_nil;
        }
        for (int i = 0; i < lead; i++) axes[n++] = i;
        for (int i = 0; i < sx.rank; i++)
            if (sx.dims[i] == 1 && sg.dims[lead + i] != 1) axes[n++] = lead + i;
        nb_output s = n ? nb_reduce_sum(g, grad, axes, n, false, NULL) : grad;
        nb_shape ss = nb_output_shape(s);
        if (ss.rank == sx.rank && !memcmp(ss.dims, sx.dims, sizeof(int64_t) * (size_t)sx.rank))
            return s;
        return nb_reshape(g, s, sx.rank, sx.dims, NULL);
    }
    /* Shapes known only at run time: BroadcastGradientArgs finds the axes. */
    nb_output shx = nb_shape_of(g, x, NULL), shg = nb_shape_of(g, grad, NULL);
    nb_output in[2] = {shx, shg};
    nb_op *bga = nbi_op_new(g, NBI_OP_BROADCAST_GRADIENT_ARGS, NULL, NULL, in, 2);
    nb_output rx = nbi_op_finish(bga);
    /* keep_dims so this Sum's own gradient needs no constant axes */
    nb_output s = nb_reduce_sum_t(g, grad, rx, true, NULL);
    return nb_reshape_t(g, s, shx, NULL);
}
