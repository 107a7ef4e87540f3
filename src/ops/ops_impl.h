/*
 * ops_impl.h — the ops room's private header (src/ops/): the registry table,
 * helpers for op constructors, and what several family files share (BLAS,
 * elementwise machinery, collectives, reductions). Included by the op family
 * files and the rooms above them (grad, train, layers, dist).
 */
#ifndef NB_OPS_IMPL_H
#define NB_OPS_IMPL_H

#include "kernel/kernel.h"

extern const nbi_opdef *const nbi_registry[NBI_OP_COUNT];

/* A new op of a registered type (see "Building an op" in graph/graph_impl.h); an out-of-range
 * type records NB_ERR_INTERNAL on the graph. */
static inline nb_op *nbi_op_new(nb_graph *g, int type, const char *name, const char *default_name,
                                const nb_output *inputs, int n_inputs) {
    const nbi_opdef *def = type >= 0 && type < NBI_OP_COUNT ? nbi_registry[type] : NULL;
    return nbi_op_new_def(g, type, def, name, default_name, inputs, n_inputs);
}

/* Each family file defines `const nbi_opdef nbi_opdef_<ENUM>` for its ops; the
 * link fails if one is missing. */
#define NB_OP(e) extern const nbi_opdef nbi_opdef_##e;
#include "ops/ops.def"
#undef NB_OP

/* Helpers for constructors (src/ops/source.c, src/ops/elementwise.c). */
/* A Const holding t, taking ownership of the reference; a NULL t (a failed
 * allocation) records NB_ERR_OUT_OF_MEMORY. Default name "Const". */
nb_output nbi_const_owning(nb_graph *g, nb_tensor *t, const char *name, const char *defname);
/* An int Const of n values (a scalar when scalar), stored exactly; dt NB_INT32
 * becomes NB_INT64 when a value does not fit int32. */
nb_output nbi_const_ints_node(nb_graph *g, nb_dtype dt, const int64_t *v, int n, bool scalar,
                              const char *name);
nb_output nbi_unary(nb_graph *g, int type, nb_output x, const char *name, const char *defname);
nb_output nbi_binary(nb_graph *g, int type, nb_output x, nb_output y, const char *name,
                     const char *defname);
/* Registers a finished VariableV2 op in g->vars (sets its var_index); false on
 * OOM. nb_variable does it; the GraphDef importer too (src/ops/source.c). */
bool nbi_graph_add_variable(nb_graph *g, nb_op *v);

/*** BLAS (src/ops/linalg.c) ************************************************/

/* The largest size or leading dimension the BLAS takes: its integer (blasint)
 * is 32-bit in Debian's OpenBLAS. */
int64_t nbi_blas_max(void);
/* C = op(A)·op(B) + beta·C for float32/float64 through cblas_?gemm (row-major,
 * alpha 1): op(A) is [m,k], op(B) [k,n], C [m,n] with leading dims lda, ldb, ldc.
 * Sizes or leading dims above nbi_blas_max() would be refused by the BLAS (which
 * prints a message and leaves C as it was): such products are split into blocks
 * that fit. A block that still has a leading dimension too large is cut to one
 * stored row, whose leading dimension then does not matter. Never allocates. */
void nbi_gemm(nb_dtype dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void *a,
              int64_t lda, const void *b, int64_t ldb, double beta, void *c, int64_t ldc);
/* Run-time fusion with a MatMul producer (nbi_opdef.fused; the epilogues are
 * in ops/gemm_small.h). nbi_matmul_fusable: true, with *g filled, when the
 * MatMul of context kp computes its product with nabla's AVX-512 kernel and
 * the kernel takes an epilogue of this kind (NBI_EPI_*), so that a consumer
 * can take the product's tiles as they are finished (float32, rank 2, valid shapes, not the plain loops of a tiny
 * product). nbi_fused_apart: the fallback every fused kernel ends with, the
 * producer's kernel (its fused one, with kp->producer, in a chain) and then
 * the consumer's own (`own`), one after the other. */
struct nbi_sgemm_geom;
bool nbi_matmul_fusable(const nbi_kctx *kp, struct nbi_sgemm_geom *g, int kind);
nb_status nbi_fused_apart(nbi_kctx *k, nbi_kctx *kp, nbi_kernel_fn own);
/* The product g with an epilogue of `kind` (side: its bias or features) into
 * a new float32 [m,n] output 0 of k. True when done, *st then NB_OK or
 * NB_ERR_OUT_OF_MEMORY; false when the kernel declined (the caller falls back
 * to nbi_fused_apart). */
bool nbi_fused_to_output(nbi_kctx *k, const struct nbi_sgemm_geom *g, int kind, const float *side, nb_status *st);
/* Whether op is a MatMul with a float32 output (a fuse_ok's first test). */
bool nbi_is_f32_matmul(const nb_op *op);
/* nbi_gemm with `lim` in place of nbi_blas_max(), so tests can check the
 * blocking on small matrices. */
void nbi_gemm_lim(nb_dtype dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void *a,
                  int64_t lda, const void *b, int64_t ldb, double beta, void *c, int64_t ldc,
                  int64_t lim);

/*** Elementwise machinery: see src/ops/elementwise.h ***********************/

/*** Collective ops (src/ops/collective.c; kernels in src/dist/) *************/

/* The reduction of an all-reduce, in attrs.axis (Horovod's ReduceOp numbers). */
enum { NBI_REDUCE_AVERAGE = 0, NBI_REDUCE_SUM = 1 };
/* The collective kernels, installed by libnabla_dist's nb_dist_init (and
 * removed by nb_dist_finalize). libnabla holds only this table of pointers,
 * so it never links MPI; without it the ops fail with a clear message. */
typedef struct nbi_dist_hooks {
    nbi_kernel_fn allreduce, grouped_allreduce, broadcast, allgather;
} nbi_dist_hooks;
void nbi_dist_install(const nbi_dist_hooks *h); /* NULL uninstalls */

/*** Reductions (src/ops/reduce.c) *****************************************/

/* axis=None of a reduction, as TF's _ReductionDims builds it in the current scope: a Const
 * [0 .. rank-1], or range(0, rank(x)) when x's rank is unknown; stored in *ax. False (with
 * g's error set) only when the range scope cannot be made. Used by reduce.c and scan.c. */
bool nbi_all_axes_node(nb_graph *g, nb_output x, nb_output *ax);

#endif /* NB_OPS_IMPL_H */
