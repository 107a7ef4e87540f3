/*
 * elementwise.c — the broadcasting loop shared by every binary elementwise op,
 * and the constructors' common shape/dtype inference.
 *
 * Broadcasting is numpy's: align dims from the right; each pair must be equal
 * or one of them 1. The loop calls a per-dtype "row" function on the innermost
 * dimension with input strides of 0 (broadcast) or 1, after fast paths for
 * same-shape and scalar operands.
 */
#include "ops/ops_impl.h"

nb_status nbi_broadcast_apply(nbi_kctx *k, const nb_tensor *a, const nb_tensor *b,
                              nb_dtype out_dt, nbi_binrow_fn fn, nb_tensor **out) {
    if (a->rank == b->rank && nbi_same_dims(a, b->rank, b->dims)) { /* the common case */
        nb_tensor *o = nbi_kalloc(k, out_dt, a->rank, a->dims);
        if (!o) return NB_ERR_OUT_OF_MEMORY;
        *out = o;
        int64_t n = o->size;
        if (n < NBI_PAR_MIN) {
            if (n) fn(n, a->data, 1, b->data, 1, o->data);
            return NB_OK;
        }
        size_t ea = nbi_dtype_size(a->dtype), eo = nbi_dtype_size(out_dt);
        int64_t chunks = (n + NBI_PAR_MIN - 1) / NBI_PAR_MIN;
#pragma omp parallel for num_threads(nbi_num_threads()) schedule(static)
        for (int64_t c = 0; c < chunks; c++) {
            int64_t lo = c * NBI_PAR_MIN, len = n - lo < NBI_PAR_MIN ? n - lo : NBI_PAR_MIN;
            fn(len, (const char *)a->data + (size_t)lo * ea, 1, (const char *)b->data + (size_t)lo * ea, 1,
               (char *)o->data + (size_t)lo * eo);
        }
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
        fn(n, a->data, 1, b->data, 1, o->data);
        return NB_OK;
    }
    if (a->size == 1 && b->size == n) {
        fn(n, a->data, 0, b->data, 1, o->data);
        return NB_OK;
    }
    if (b->size == 1 && a->size == n) {
        fn(n, a->data, 1, b->data, 0, o->data);
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
           po + t * inner * (int64_t)eo);
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

nb_output nbi_unary(nb_graph *g, int type, nb_output x, const char *name, const char *defname) {
    return nbi_op_finish(nbi_op_new(g, type, name, defname, &x, 1));
}

nb_output nbi_binary(nb_graph *g, int type, nb_output x, nb_output y, const char *name,
                     const char *defname) {
    nb_output in[2] = {x, y};
    return nbi_op_finish(nbi_op_new(g, type, name, defname, in, 2));
}
