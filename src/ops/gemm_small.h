/*
 * gemm_small.h — nabla's own float32 GEMM for products with a small side
 * (a training batch of 64 rows against a dense layer's weights), where
 * OpenBLAS's packing and its beta pass cost a visible share of the time.
 * AVX-512 only, chosen at run time; everything else stays with the BLAS.
 */
#ifndef NB_GEMM_SMALL_H
#define NB_GEMM_SMALL_H

#include <stdbool.h>
#include <stdint.h>

/* C = op(A) op(B) + beta C, row-major, float32, op(A) [m,k], op(B) [k,n]
 * (A stored [m,k] with row stride lda, or [k,m] when ta; B [k,n] or [n,k]
 * when tb). Returns false, touching nothing, when it does not take the
 * product (no AVX-512 on this CPU, NABLA_SMALL_GEMM=0, or a shape the BLAS
 * runs better); the caller then calls the BLAS. With beta == 0, C is
 * written without being read (NaNs in it do not propagate). Uses up to
 * `threads` OpenMP threads. */
bool nbi_sgemm_small(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float *a,
                     int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
                     int threads);

/* The same product with no shape rule (still false without AVX-512), so
 * tests can compare every shape against a reference. */
bool nbi_sgemm_small_force(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float *a,
                           int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                           int64_t ldc, int threads);

/* A Momentum update applied to each tile of a product as it is finished,
 * instead of storing the product: with g the product's element,
 *   acc = acc * mu + g;  var -= lr * acc
 * rounded step by step exactly as the ApplyMomentum kernel's loop (no fused
 * multiply-add), so a fused run is bit-identical to the unfused one. */
typedef struct nbi_gemm_epi {
    float *var;  /* [m,n], row stride n, as the accumulator */
    float lr, mu;
} nbi_gemm_epi;

/* op(A) op(B) with the Momentum epilogue e over acc ([m,n], row stride n).
 * Returns false, touching nothing, unless nbi_sgemm_small would take the
 * product with its whole depth in one block (k <= 256); the caller then
 * computes the product and the update apart. */
bool nbi_sgemm_small_momentum(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float *a,
                              int64_t lda, const float *b, int64_t ldb, float *acc,
                              const nbi_gemm_epi *e, int threads);
/* How many products nbi_sgemm_small_momentum has taken in this process (tests). */
long nbi_sgemm_small_momentum_taken(void);

/* Whether this CPU runs the kernel (AVX-512F) and NABLA_SMALL_GEMM is not 0. */
bool nbi_sgemm_small_available(void);

#endif
