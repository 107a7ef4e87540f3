/*
 * array_impl.h — the helpers the array families share (shape.c, layout.c,
 * index.c): exact index loads, products of dims, box copies, and the small
 * graph-building shorthands their gradient builders use.
 */
#ifndef NABLA_ARRAY_IMPL_H
#define NABLA_ARRAY_IMPL_H

#include "nb_internal.h"

#include <string.h>

static const int64_t unknown_dims[NB_MAX_RANK] = {-1, -1, -1, -1, -1, -1, -1, -1};

static inline bool is_index_dtype(nb_dtype dt) { return dt == NB_INT32 || dt == NB_INT64; }

/* Element i of an int32/int64 tensor, read exactly (no trip through double). */
static inline int64_t load_index(const nb_tensor *t, int64_t i) {
    if (t->dtype == NB_INT32) return ((const int32_t *)t->data)[i];
    if (t->dtype == NB_INT64) return ((const int64_t *)t->data)[i];
    return nbi_load_int(t->data, t->dtype, i);
}

static inline int64_t prod(const int64_t *d, int lo, int hi) {
    int64_t p = 1;
    for (int i = lo; i < hi; i++) p *= d[i];
    return p;
}

/* Copies the box of extent ext (rank r) from src (dims sd) at corner sb into dst
 * (dims dd) at corner db. Whole innermost rows go through memcpy. */
static inline void copy_box(void *dst, const int64_t *dd, const int64_t *db, const void *src,
                            const int64_t *sd, const int64_t *sb, const int64_t *ext, int r, size_t es) {
    if (prod(ext, 0, r) == 0) return;
    if (r == 0) {
        memcpy(dst, src, es);
        return;
    }
    int64_t ss[NB_MAX_RANK], ds[NB_MAX_RANK], idx[NB_MAX_RANK] = {0};
    int64_t sacc = 1, dacc = 1;
    for (int i = r - 1; i >= 0; i--) {
        ss[i] = sacc;
        ds[i] = dacc;
        sacc *= sd[i];
        dacc *= dd[i];
    }
    size_t row = (size_t)ext[r - 1] * es;
    int64_t rows = prod(ext, 0, r - 1);
    for (int64_t k = 0; k < rows; k++) {
        int64_t so = 0, dof = 0;
        for (int i = 0; i < r; i++) {
            so += (sb[i] + idx[i]) * ss[i];
            dof += (db[i] + idx[i]) * ds[i];
        }
        memcpy((char *)dst + (size_t)dof * es, (const char *)src + (size_t)so * es, row);
        for (int i = r - 2; i >= 0; i--) {
            if (++idx[i] < ext[i]) break;
            idx[i] = 0;
        }
    }
}

/* An op built directly from graph tensors (for gradients whose constants are unknown). */
static inline nb_output op3(nb_graph *g, int type, nb_output a, nb_output b, nb_output c,
                            const char *name) {
    nb_output in[3] = {a, b, c};
    return nbi_op_finish(nbi_op_new(g, type, name, NULL, in, 3));
}

/* An int32 vector constant. */
static inline nb_output ivec(nb_graph *g, const int64_t *v, int n, const char *name) {
    return nbi_const_ints_node(g, NB_INT32, v, n, false, name);
}

static inline nb_output to_int32(nb_graph *g, nb_output x) {
    return nb_output_dtype(x) == NB_INT32 ? x : nb_cast(g, x, NB_INT32, NULL);
}

/* dy reshaped to the static shape of x, or to Shape(x) when that is not fully known. */
static inline nb_output reshape_like(nb_graph *g, nb_output dy, nb_output x) {
    nb_shape s = nb_output_shape(x);
    if (nbi_shape_known(&s)) return nb_reshape(g, dy, s.rank, s.dims, NULL);
    return nb_reshape_t(g, dy, nb_shape_of(g, x, NULL), NULL);
}

/* An int constant of the given dims: int32, or int64 when a value does not fit. */
static inline nb_output ints_const(nb_graph *g, const int64_t *v, int rank, const int64_t *dims,
                                   const char *name) {
    nb_dtype dt = NB_INT32;
    int64_t n = prod(dims, 0, rank);
    for (int64_t i = 0; i < n; i++)
        if (v[i] > INT32_MAX || v[i] < INT32_MIN) dt = NB_INT64;
    nb_tensor *t = nb_tensor_new(dt, rank, dims, NULL);
    if (!t) {
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory creating a constant");
        return nb_nil;
    }
    for (int64_t i = 0; i < n; i++) {
        if (dt == NB_INT32) ((int32_t *)t->data)[i] = (int32_t)v[i];
        else ((int64_t *)t->data)[i] = v[i];
    }
    return nbi_const_owning(g, t, name, "Const");
}

#endif
