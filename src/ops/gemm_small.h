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

/* Run-time fusion (nbi_opdef.fused): what happens to each tile of a product
 * as it is finished, instead of storing the product g. Each is rounded step
 * by step exactly as the consumer's own kernel rounds (no fused
 * multiply-add), so a fused run is bit-identical to the unfused one.
 *   NBI_EPI_MOMENTUM   C is the accumulator: acc = acc * mu + g; then
 *                      var -= lr * acc (ApplyMomentum; var as C, stride n)
 *   NBI_EPI_BIAS       C = g + bias[j] (BiasAdd; bias [n])
 *   NBI_EPI_RELU_GRAD  C = feat > 0 ? g : 0 (ReluGrad; feat as C, stride n)
 *   NBI_EPI_BIAS_RELU  x = g + bias[j]; C = x < 0 ? 0 : x (BiasAdd, then Relu) */
enum { NBI_EPI_MOMENTUM = 1, NBI_EPI_BIAS, NBI_EPI_RELU_GRAD, NBI_EPI_BIAS_RELU };
typedef struct nbi_gemm_epi {
    int kind;
    float *var;          /* MOMENTUM */
    float lr, mu;        /* MOMENTUM */
    const float *side;   /* BIAS, BIAS_RELU: the bias; RELU_GRAD: the features */
} nbi_gemm_epi;

/* A float32 product op(A) op(B), [m,k] x [k,n], as nbi_sgemm_small's arguments. */
typedef struct nbi_sgemm_geom {
    bool ta, tb;
    int64_t m, n, k, lda, ldb;
    const float *a, *b;
} nbi_sgemm_geom;

/* Whether the kernel computes this product with an epilogue of this kind:
 * exactly the products nbi_sgemm_small takes (so the sums, depth block by
 * depth block, are the unfused run's), and for NBI_EPI_MOMENTUM only those
 * whose depth fits one block (k <= 256: the accumulator cannot hold partial
 * sums). */
bool nbi_sgemm_small_epi_takes(const nbi_sgemm_geom *g, int kind);
/* The product with epilogue e into c ([m,n], row stride n); only where
 * nbi_sgemm_small_epi_takes. Up to `threads` OpenMP threads. False, with
 * nothing touched, when the memory for a transposed B panel is not there. */
bool nbi_sgemm_small_epi(const nbi_sgemm_geom *g, float *c, const nbi_gemm_epi *e, int threads);
/* How many products have run with an epilogue in this process (tests). */
long nbi_sgemm_small_epi_taken(void);

/* Whether this CPU runs the kernel (AVX-512F) and NABLA_SMALL_GEMM is not 0. */
bool nbi_sgemm_small_available(void);

#endif
