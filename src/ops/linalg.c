/*
 * linalg.c — MatMul (rank 2, optional transposes) and BatchMatMulV2 (rank >= 3,
 * batch dims broadcast). Float types go through OpenBLAS's cblas_?gemm, or for float32
 * batch-sized products nabla's AVX-512 kernel (gemm_small.c); integer
 * types use a plain triple loop with wrapping arithmetic.
 */
#include "ops/elementwise.h"
#include "ops/gemm_small.h"
#include "graph/graphdef_attrs.h"

#include <cblas.h>

static nb_status infer_matmul(nb_op *op) {
    nb_dtype a = nbi_in_dtype(op, 0), b = nbi_in_dtype(op, 1);
    bool batch = op->type == NBI_OP_BATCH_MATMUL;
    if (a != b) /* TF's Python message: MatMul's inputs are a, b; BatchMatMulV2's x, y */
        return nbi_infer_error(op, NB_ERR_DTYPE,
                               "Input '%s' of '%s' Op has type %s that does not match type %s of argument '%s'",
                               batch ? "y" : "b", op->def->type, nb_dtype_name(b), nb_dtype_name(a),
                               batch ? "x" : "a");
    if (a != NB_FLOAT32 && a != NB_FLOAT64 && a != NB_INT32 && a != NB_INT64)
        return nbi_infer_error(op, NB_ERR_DTYPE, "MatMul does not support %s", nbi_dtype_tfname(a));
    const nb_shape *sa = nbi_in_shape(op, 0), *sb = nbi_in_shape(op, 1);
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = a;
    if (!batch) {
        if (sa->rank >= 0 && sa->rank != 2)
            return nbi_infer_error(op, NB_ERR_SHAPE, "Shape must be rank 2 but is rank %d", sa->rank);
        if (sb->rank >= 0 && sb->rank != 2)
            return nbi_infer_error(op, NB_ERR_SHAPE, "Shape must be rank 2 but is rank %d", sb->rank);
    } else if ((sa->rank >= 0 && sa->rank < 2) || (sb->rank >= 0 && sb->rank < 2)) {
        return nbi_infer_error(op, NB_ERR_SHAPE, "BatchMatMul inputs must have rank >= 2");
    }
    if (sa->rank < 0 || sb->rank < 0) {
        op->out_shape[0] = batch ? nb_shape_make(-1, NULL) : NB_SHAPE(-1, -1);
        return NB_OK;
    }
    bool ta = op->attrs.transpose_a, tb = op->attrs.transpose_b;
    int ra = sa->rank, rb = sb->rank;
    int64_t m = sa->dims[ra - (ta ? 1 : 2)], ka = sa->dims[ra - (ta ? 2 : 1)];
    int64_t kb = sb->dims[rb - (tb ? 1 : 2)], n = sb->dims[rb - (tb ? 2 : 1)];
    if (ka >= 0 && kb >= 0 && ka != kb)
        return nbi_infer_error(op, NB_ERR_SHAPE, "Dimensions must be equal, but are %lld and %lld",
                               (long long)ka, (long long)kb);
    nb_shape o;
    if (batch) {
        nb_shape ba = nb_shape_make(ra - 2, sa->dims), bb = nb_shape_make(rb - 2, sb->dims), bo;
        if (!nbi_shape_broadcast(&ba, &bb, &bo))
            return nbi_infer_error(op, NB_ERR_SHAPE, "batch dimensions cannot be broadcast");
        o = bo;
        o.dims[o.rank++] = m;
        o.dims[o.rank++] = n;
    } else {
        o = NB_SHAPE(m, n);
    }
    op->out_shape[0] = o;
    return NB_OK;
}

/*** BLAS calls that fit the BLAS's integers ***/

int64_t nbi_blas_max(void) { return sizeof(blasint) >= 8 ? INT64_MAX : INT32_MAX; }

/* One call, every size and leading dimension <= the BLAS's limit. */
static void blas_call(nb_dtype dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k,
                      const void *a, int64_t lda, const void *b, int64_t ldb, double beta, void *c,
                      int64_t ldc) {
    if (dt == NB_FLOAT32)
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    (blasint)m, (blasint)n, (blasint)k, 1.0f, a, (blasint)lda, b, (blasint)ldb,
                    (float)beta, c, (blasint)ldc);
    else
        cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    (blasint)m, (blasint)n, (blasint)k, 1.0, a, (blasint)lda, b, (blasint)ldb, beta,
                    c, (blasint)ldc);
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

void nbi_gemm_lim(nb_dtype dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void *a,
                  int64_t lda, const void *b, int64_t ldb, double beta, void *c, int64_t ldc,
                  int64_t lim) {
    if (m <= 0 || n <= 0) return;
    if (lim < 1) lim = 1;
    size_t es = nb_dtype_size(dt);
    if (k <= 0) { /* C = beta C: the BLAS may not be asked with k = 0 everywhere */
        for (int64_t i = 0; i < m; i++) {
            char *row = (char *)c + (size_t)(i * ldc) * es;
            for (int64_t j = 0; j < n; j++) {
                if (dt == NB_FLOAT32)
                    ((float *)row)[j] = beta == 0 ? 0.0f : (float)beta * ((float *)row)[j];
                else
                    ((double *)row)[j] = beta == 0 ? 0.0 : beta * ((double *)row)[j];
            }
        }
        return;
    }
    if (m <= lim && n <= lim && k <= lim && lda <= lim && ldb <= lim && ldc <= lim) {
        /* batch-sized float32 products: nabla's AVX-512 kernel where it wins */
        if (dt == NB_FLOAT32 && nbi_sgemm_small(ta, tb, m, n, k, a, lda, b, ldb, (float)beta, c, ldc,
                                                nbi_num_threads()))
            return;
        blas_call(dt, ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    /* Block sizes: each at most lim; a matrix whose leading dimension is too
     * large is taken one stored row at a time (A is stored [m,k], or [k,m] when
     * transposed; B [k,n] or [n,k]; C [m,n]). */
    int64_t bm = min64(m, lim), bn = min64(n, lim), bk = min64(k, lim);
    if (lda > lim) {
        if (ta) bk = 1;
        else bm = 1;
    }
    if (ldb > lim) {
        if (tb) bn = 1;
        else bk = 1;
    }
    if (ldc > lim) bm = 1;
    const char *A = a, *B = b;
    char *C = c;
    for (int64_t i0 = 0; i0 < m; i0 += bm) {
        int64_t mi = min64(bm, m - i0);
        for (int64_t j0 = 0; j0 < n; j0 += bn) {
            int64_t nj = min64(bn, n - j0);
            for (int64_t p0 = 0; p0 < k; p0 += bk) {
                int64_t kp = min64(bk, k - p0);
                /* A(i,p) is at a[i*lda + p], or a[p*lda + i] when transposed */
                const char *ab = A + (size_t)(ta ? p0 * lda + i0 : i0 * lda + p0) * es;
                const char *bb = B + (size_t)(tb ? j0 * ldb + p0 : p0 * ldb + j0) * es;
                char *cb = C + (size_t)(i0 * ldc + j0) * es;
                /* one stored row: its leading dimension is only its length */
                int64_t la = (ta ? kp : mi) == 1 ? (ta ? mi : kp) : lda;
                int64_t lb = (tb ? nj : kp) == 1 ? (tb ? kp : nj) : ldb;
                int64_t lc = mi == 1 ? nj : ldc;
                blas_call(dt, ta, tb, mi, nj, kp, ab, la, bb, lb, p0 == 0 ? beta : 1.0, cb, lc);
            }
        }
    }
}

void nbi_gemm(nb_dtype dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void *a,
              int64_t lda, const void *b, int64_t ldb, double beta, void *c, int64_t ldc) {
    nbi_gemm_lim(dt, ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc, nbi_blas_max());
}

/* Products of at most 1024 multiply-adds, which gemm computes with plain
 * loops (a BLAS call costs more than the arithmetic); never fused. */
static bool tiny_product(int64_t m, int64_t n, int64_t k) {
    return m <= 1024 && n <= 1024 && k <= 1024 && m * n * k <= 1024;
}

/* One [m,k] x [k,n] product (with transposes) into c (row-major). */
static void gemm(nb_dtype dt, bool ta, bool tb, int64_t m, int64_t n, int64_t kk, const void *a,
                 const void *b, void *c) {
    int64_t lda = ta ? m : kk, ldb = tb ? kk : n;
    if (m == 0 || n == 0) return;
    if (kk == 0) {
        memset(c, 0, (size_t)(m * n) * nb_dtype_size(dt));
        return;
    }
    if ((dt == NB_FLOAT32 || dt == NB_FLOAT64) && tiny_product(m, n, kk)) {
        /* Tiny products: a BLAS call costs more than the arithmetic. */
        int64_t asi = ta ? 1 : lda, asp = ta ? lda : 1; /* A(i,p) = a[i*asi + p*asp] */
        int64_t bsp = tb ? 1 : ldb, bsj = tb ? ldb : 1; /* B(p,j) = b[p*bsp + j*bsj] */
        if (dt == NB_FLOAT32) {
            const float *A = a, *B = b;
            float *C = c;
            for (int64_t i = 0; i < m; i++)
                for (int64_t j = 0; j < n; j++) {
                    float acc = 0;
                    for (int64_t p = 0; p < kk; p++) acc += A[i * asi + p * asp] * B[p * bsp + j * bsj];
                    C[i * n + j] = acc;
                }
        } else {
            const double *A = a, *B = b;
            double *C = c;
            for (int64_t i = 0; i < m; i++)
                for (int64_t j = 0; j < n; j++) {
                    double acc = 0;
                    for (int64_t p = 0; p < kk; p++) acc += A[i * asi + p * asp] * B[p * bsp + j * bsj];
                    C[i * n + j] = acc;
                }
        }
        return;
    }
    if (dt == NB_FLOAT32 || dt == NB_FLOAT64) {
        nbi_gemm(dt, ta, tb, m, n, kk, a, lda, b, ldb, 0.0, c, n);
    } else {
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
                uint64_t acc = 0;
                for (int64_t p = 0; p < kk; p++) {
                    int64_t ia = ta ? p * lda + i : i * lda + p;
                    int64_t ib = tb ? j * ldb + p : p * ldb + j;
                    /* typed loads: int64 through double would round beyond 2^53 */
                    uint64_t x = dt == NB_INT32 ? (uint64_t)((const int32_t *)a)[ia]
                                                : (uint64_t)((const int64_t *)a)[ia];
                    uint64_t y = dt == NB_INT32 ? (uint64_t)((const int32_t *)b)[ib]
                                                : (uint64_t)((const int64_t *)b)[ib];
                    acc += x * y;
                }
                if (dt == NB_INT32) ((int32_t *)c)[i * n + j] = (int32_t)acc;
                else ((int64_t *)c)[i * n + j] = (int64_t)acc;
            }
    }
}

/* The inputs' ranks and shapes, as k_matmul checks them (the MatMul's
 * nbi_opdef.check: a fused MatMul's errors come at its own step). */
static nb_status matmul_check(nbi_kctx *k) {
    const nb_tensor *a = k->in[0], *b = k->in[1];
    bool ta = k->op->attrs.transpose_a, tb = k->op->attrs.transpose_b;
    bool batch = k->op->type == NBI_OP_BATCH_MATMUL;
    char sa[128], sb[128];
    if ((!batch && (a->rank != 2 || b->rank != 2)) || a->rank < 2 || b->rank < 2)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "In[0] and In[1] must be %s: %s, %s",
                          batch ? "at least rank 2" : "2-dimensional",
                          nbi_dims_string(a->rank, a->dims, false, sa, sizeof sa),
                          nbi_dims_string(b->rank, b->dims, false, sb, sizeof sb));
    int ra = a->rank, rb = b->rank;
    int64_t ka = a->dims[ra - (ta ? 2 : 1)], kb = b->dims[rb - (tb ? 1 : 2)];
    if (ka != kb)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Matrix size-incompatible: In[0]: %s, In[1]: %s",
                          nbi_dims_string(a->rank, a->dims, false, sa, sizeof sa),
                          nbi_dims_string(b->rank, b->dims, false, sb, sizeof sb));
    int br;
    int64_t bd[NB_MAX_RANK];
    if (!nbi_dims_broadcast(ra - 2, a->dims, rb - 2, b->dims, &br, bd))
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "In[0] and In[1] batch dimensions cannot be broadcast: %s, %s",
                          nbi_dims_string(a->rank, a->dims, false, sa, sizeof sa),
                          nbi_dims_string(b->rank, b->dims, false, sb, sizeof sb));
    return NB_OK;
}

static nb_status k_matmul(nbi_kctx *k) {
    const nb_tensor *a = k->in[0], *b = k->in[1];
    bool ta = k->op->attrs.transpose_a, tb = k->op->attrs.transpose_b;
    nb_status cst = matmul_check(k);
    if (cst != NB_OK) return cst;
    int ra = a->rank, rb = b->rank;
    int64_t m = a->dims[ra - (ta ? 1 : 2)], ka = a->dims[ra - (ta ? 2 : 1)];
    int64_t n = b->dims[rb - (tb ? 2 : 1)];
    int br;
    int64_t bd[NB_MAX_RANK];
    nbi_dims_broadcast(ra - 2, a->dims, rb - 2, b->dims, &br, bd); /* checked above */
    int64_t od[NB_MAX_RANK];
    for (int i = 0; i < br; i++) od[i] = bd[i];
    od[br] = m;
    od[br + 1] = n;
    nb_tensor *o = nbi_kalloc(k, a->dtype, br + 2, od);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    size_t es = nb_dtype_size(a->dtype);
    if (a->size == 0 || b->size == 0) { /* sums over nothing, or no output: zeros; and an empty */
        if (o->nbytes) memset(o->data, 0, o->nbytes); /* operand's m*k may overflow int64 */
        return NB_OK;
    }
    int64_t nb = nbi_numel(br, bd);
    int64_t asz = a->dims[ra - 2] * a->dims[ra - 1], bsz = b->dims[rb - 2] * b->dims[rb - 1];
    int64_t idx[NB_MAX_RANK] = {0};
    for (int64_t t = 0; t < nb; t++) {
        /* batch offsets with broadcasting */
        int64_t oa = 0, ob = 0;
        for (int i = 0; i < ra - 2; i++) {
            int oi = br - (ra - 2) + i;
            oa = oa * a->dims[i] + (a->dims[i] == 1 ? 0 : idx[oi]);
        }
        for (int i = 0; i < rb - 2; i++) {
            int oi = br - (rb - 2) + i;
            ob = ob * b->dims[i] + (b->dims[i] == 1 ? 0 : idx[oi]);
        }
        gemm(a->dtype, ta, tb, m, n, ka, (const char *)a->data + (size_t)(oa * asz) * es,
             (const char *)b->data + (size_t)(ob * bsz) * es, (char *)o->data + (size_t)(t * m * n) * es);
        for (int j = br - 1; j >= 0; j--) {
            if (++idx[j] < bd[j]) break;
            idx[j] = 0;
        }
    }
    return NB_OK;
}

/*** run-time fusion with a MatMul producer ***/

bool nbi_is_f32_matmul(const nb_op *op) { return op->def == &nbi_opdef_MATMUL && op->out_dtype[0] == NB_FLOAT32; }

bool nbi_matmul_fusable(const nbi_kctx *kp, nbi_sgemm_geom *g, int kind) {
    const nb_tensor *a = kp->in[0], *b = kp->in[1];
    if (kp->op->def != &nbi_opdef_MATMUL || a->dtype != NB_FLOAT32 || b->dtype != NB_FLOAT32 || a->rank != 2 ||
        b->rank != 2)
        return false;
    g->ta = kp->op->attrs.transpose_a;
    g->tb = kp->op->attrs.transpose_b;
    g->m = a->dims[g->ta ? 1 : 0];
    g->k = a->dims[g->ta ? 0 : 1];
    g->n = b->dims[g->tb ? 0 : 1];
    g->lda = a->dims[1];
    g->ldb = b->dims[1];
    g->a = a->data;
    g->b = b->data;
    int64_t lim = nbi_blas_max();
    /* k_matmul's own route: an empty or tiny product does not reach the kernel */
    if (g->k != b->dims[g->tb ? 1 : 0] || g->m == 0 || g->n == 0 || g->k == 0 ||
        tiny_product(g->m, g->n, g->k))
        return false;
    if (g->m > lim || g->n > lim || g->k > lim || g->lda > lim || g->ldb > lim) return false;
    return nbi_sgemm_small_epi_takes(g, kind);
}

bool nbi_fused_to_output(nbi_kctx *k, const nbi_sgemm_geom *g, int kind, const float *side, nb_status *st) {
    nb_tensor *o = nbi_kalloc(k, NB_FLOAT32, 2, (int64_t[]){g->m, g->n});
    if (!o) {
        *st = NB_ERR_OUT_OF_MEMORY;
        return true;
    }
    nbi_gemm_epi e = {.kind = kind, .side = side};
    if (!nbi_sgemm_small_epi(g, o->data, &e, nbi_num_threads())) {
        nb_tensor_unref(o);
        return false;
    }
    k->out[0] = o;
    *st = NB_OK;
    return true;
}

nb_status nbi_fused_apart(nbi_kctx *k, nbi_kctx *kp, nbi_kernel_fn own) {
    /* a producer in the middle of a chain runs its own fused kernel */
    nb_status st = kp->producer ? kp->op->def->fused(kp, kp->producer) : kp->op->def->kernel(kp);
    if (st != NB_OK) return st;
    k->in[k->op->def->fuse_input] = kp->out[0];
    return own(k);
}

static nb_output mm(nb_graph *g, int type, nb_output a, nb_output b, bool ta, bool tb,
                    const char *name) {
    nb_op *op = nbi_op_new(g, type, name, NULL, (nb_output[]){a, b}, 2);
    if (!op) return nb_nil;
    op->attrs.transpose_a = ta;
    op->attrs.transpose_b = tb;
    return nbi_op_finish(op);
}

static void g_matmul(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output a = op->inputs[0], b = op->inputs[1], d = dy[0];
    bool ta = op->attrs.transpose_a, tb = op->attrs.transpose_b;
    int t = op->type;
    nb_output da, db;
    if (!ta && !tb) {
        da = mm(g, t, d, b, false, true, "MatMul");
        db = mm(g, t, a, d, true, false, "MatMul_1");
    } else if (!ta && tb) {
        da = mm(g, t, d, b, false, false, "MatMul");
        db = mm(g, t, d, a, true, false, "MatMul_1");
    } else if (ta && !tb) {
        da = mm(g, t, b, d, false, true, "MatMul");
        db = mm(g, t, a, d, false, false, "MatMul_1");
    } else {
        da = mm(g, t, b, d, true, true, "MatMul");
        db = mm(g, t, d, a, true, true, "MatMul_1");
    }
    if (t == NBI_OP_BATCH_MATMUL) { /* undo batch broadcasting */
        da = nbi_sum_to_shape_of(g, da, a);
        db = nbi_sum_to_shape_of(g, db, b);
    }
    dx[0] = da;
    dx[1] = db;
}

const nbi_opdef nbi_opdef_MATMUL = {
    .type = "MatMul", .n_inputs = 2, .infer = infer_matmul, .kernel = k_matmul, .grad = g_matmul, .check = matmul_check,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"transpose_a", NBI_A_TRANSPOSE_A}, {"transpose_b", NBI_A_TRANSPOSE_B}),
};
const nbi_opdef nbi_opdef_BATCH_MATMUL = {
    .type = "BatchMatMulV2", .n_inputs = 2, .infer = infer_matmul, .kernel = k_matmul, .grad = g_matmul,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"adj_x", NBI_A_TRANSPOSE_A}, {"adj_y", NBI_A_TRANSPOSE_B}),
};

nb_output nb_matmul(nb_graph *g, nb_output a, nb_output b, bool transpose_a, bool transpose_b,
                    const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    nb_shape sa = nb_output_shape(a), sb = nb_output_shape(b);
    /* TF1's tf.matmul: BatchMatMulV2 when a rank is above 2 or unknown (a
     * MatMul would fail at run time on a rank-3 value). */
    bool batch = sa.rank > 2 || sb.rank > 2 || sa.rank < 0 || sb.rank < 0;
    return mm(g, batch ? NBI_OP_BATCH_MATMUL : NBI_OP_MATMUL, a, b, transpose_a, transpose_b,
              name ? name : "MatMul");
}
