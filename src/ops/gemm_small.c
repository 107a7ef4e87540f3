/*
 * gemm_small.c — float32 GEMM for products with a small side (see
 * gemm_small.h). OpenBLAS runs a [64,784]x[784,256] training-batch product at
 * 80-85 % of this machine's FMA peak: it packs both operands on every call and
 * zeroes C before a beta = 0 product. Here A is never packed, B only when
 * its rows run the wrong way (B stored [n,k]: 16 x 16 blocks transposed in
 * registers) or when it is over 1 MiB (a depth block at a time), C is written
 * once, and the register tile is 8 rows x 32 columns (16 AVX-512
 * accumulators): per step of k, two loads of B, eight broadcasts of A,
 * sixteen FMAs. On the MLP's seven products per step it runs at 104-115
 * GFLOP/s against OpenBLAS's 92-97 (peak_fma: 117), one thread.
 * NABLA_SMALL_GEMM=0 in the environment (read once) turns it off.
 *
 * Operands are read in place: A(i,p) is a[i*lda + p] (or a[p*lda + i] when
 * transposed), so each of the tile's eight rows is a stream along p (or the
 * eight values are adjacent); B(p, j..j+31) is a row segment b[p*ldb + j..],
 * or a slice of the packed panel. Column tails use masked loads and stores,
 * row tails a smaller tile. Threads split the 32-column panels (or the row
 * blocks when there are fewer panels than threads).
 *
 * Compiled for AVX-512F through function attributes and entered only when
 * the CPU has it (__builtin_cpu_supports), so the library's baseline ISA is
 * unchanged; without it, or off x86-64/GCC-compatible compilers, the callers
 * use the BLAS.
 */
#include "ops/gemm_small.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
#define NB_HAVE_SMALL_GEMM 1
#include <immintrin.h>
#else
#define NB_HAVE_SMALL_GEMM 0
#endif

#define MR 8  /* rows of the register tile */
#define NR 32 /* columns of the register tile: two vectors of 16 */
#ifndef KC
#define KC 256 /* depth of a block */
#endif
/* Operands larger than this many floats (1 MiB) do not stay in the L2: a
 * larger A or C goes to the BLAS, a larger B is copied a depth block at a
 * time into a contiguous panel (its rows may be a page apart). */
#define FOOT (1024.0 * 1024.0 / sizeof(float))

/* -1 unknown, 0 off, 1 on */
static atomic_int g_avail = -1;

bool nbi_sgemm_small_available(void) {
    int v = atomic_load_explicit(&g_avail, memory_order_relaxed);
    if (v < 0) {
#if NB_HAVE_SMALL_GEMM
        __builtin_cpu_init();
        v = __builtin_cpu_supports("avx512f") ? 1 : 0;
#else
        v = 0;
#endif
        const char *e = getenv("NABLA_SMALL_GEMM");
        if (e && e[0] == '0' && e[1] == '\0') v = 0;
        atomic_store_explicit(&g_avail, v, memory_order_relaxed);
    }
    return v == 1;
}

#if NB_HAVE_SMALL_GEMM

#define TGT __attribute__((target("avx512f")))
#define INL __attribute__((always_inline)) inline

/* One tile: rows [0, R) of A (R <= MR, a compile-time constant after
 * inlining), columns under masks m0 | m1 of B, all k. A(r,p) is
 * a[r*lda + p], or a[p*lda + r] when AT. B(p, .) starts at b + p*ldb. */
static INL TGT void tile(const int R, const bool AT, const bool FULL, int64_t k, const float *restrict a, int64_t lda,
                         const float *restrict b, int64_t ldb, float beta, float *restrict c,
                         int64_t ldc, __mmask16 m0, __mmask16 m1, const nbi_gemm_epi *e, float *restrict v) {
    __m512 c0[MR], c1[MR];
    const float *ar[MR];
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
        c0[r] = _mm512_setzero_ps();
        c1[r] = _mm512_setzero_ps();
        ar[r] = AT ? a + r : a + r * lda;
        if (e && e->kind == NBI_EPI_MOMENTUM) { /* the next tile's accumulator and variable lines (the rows below; a
                  * prefetch past the end never faults) arrive while these sums are made */
            const float *cn = c + (MR + r) * ldc, *vn = v + (MR + r) * ldc;
            _mm_prefetch((const char *)cn, _MM_HINT_T0);
            _mm_prefetch((const char *)(cn + 16), _MM_HINT_T0);
            _mm_prefetch((const char *)vn, _MM_HINT_T0);
            _mm_prefetch((const char *)(vn + 16), _MM_HINT_T0);
        }
    }
    if (FULL) { /* 32 columns: plain loads, no masks to keep live */
#pragma GCC unroll 2
        for (int64_t p = 0; p < k; p++) {
            const float *bp = b + p * ldb;
            __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + 16);
            const float *ap = a + p * lda;
#pragma GCC unroll 8
            for (int r = 0; r < R; r++) {
                __m512 av = _mm512_set1_ps(AT ? ap[r] : ar[r][p]);
                c0[r] = _mm512_fmadd_ps(av, b0, c0[r]);
                c1[r] = _mm512_fmadd_ps(av, b1, c1[r]);
            }
        }
    } else if (m1) {
        for (int64_t p = 0; p < k; p++) {
            const float *bp = b + p * ldb;
            __m512 b0 = _mm512_maskz_loadu_ps(m0, bp), b1 = _mm512_maskz_loadu_ps(m1, bp + 16);
            const float *ap = a + p * lda; /* AT: the row of A holding A(0..R-1, p) */
#pragma GCC unroll 8
            for (int r = 0; r < R; r++) {
                __m512 av = _mm512_set1_ps(AT ? ap[r] : ar[r][p]);
                c0[r] = _mm512_fmadd_ps(av, b0, c0[r]);
                c1[r] = _mm512_fmadd_ps(av, b1, c1[r]);
            }
        }
    } else { /* at most 16 columns: one vector */
        for (int64_t p = 0; p < k; p++) {
            __m512 b0 = _mm512_maskz_loadu_ps(m0, b + p * ldb);
            const float *ap = a + p * lda;
#pragma GCC unroll 8
            for (int r = 0; r < R; r++)
                c0[r] = _mm512_fmadd_ps(_mm512_set1_ps(AT ? ap[r] : ar[r][p]), b0, c0[r]);
        }
    }
    if (beta != 0.0f) { /* a later depth block: add the partial sums stored in C (beta == 0 must
                         * not read C, which may hold NaNs) */
        __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) {
            c0[r] = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, c + r * ldc), c0[r]);
            if (m1) c1[r] = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, c + r * ldc + 16), c1[r]);
        }
    }
    if (!e) {
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) {
            _mm512_mask_storeu_ps(c + r * ldc, m0, c0[r]);
            if (m1) _mm512_mask_storeu_ps(c + r * ldc + 16, m1, c1[r]);
        }
    } else if (e->kind == NBI_EPI_MOMENTUM) { /* C is the accumulator, v the variable (beta is 0) */
        __m512 vmu = _mm512_set1_ps(e->mu), vlr = _mm512_set1_ps(e->lr);
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) {
            float *cr = c + r * ldc, *vr = v + r * ldc;
            __m512 a0 = _mm512_add_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(m0, cr), vmu), c0[r]);
            _mm512_mask_storeu_ps(cr, m0, a0);
            _mm512_mask_storeu_ps(vr, m0, _mm512_sub_ps(_mm512_maskz_loadu_ps(m0, vr), _mm512_mul_ps(vlr, a0)));
            if (m1) {
                __m512 a1 = _mm512_add_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(m1, cr + 16), vmu), c1[r]);
                _mm512_mask_storeu_ps(cr + 16, m1, a1);
                _mm512_mask_storeu_ps(vr + 16, m1,
                                      _mm512_sub_ps(_mm512_maskz_loadu_ps(m1, vr + 16), _mm512_mul_ps(vlr, a1)));
            }
        }
    } else if (e->kind == NBI_EPI_BIAS) { /* v: the bias at this tile's first column */
        __m512 b0 = _mm512_maskz_loadu_ps(m0, v), b1 = _mm512_maskz_loadu_ps(m1, v + 16);
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) {
            _mm512_mask_storeu_ps(c + r * ldc, m0, _mm512_add_ps(c0[r], b0));
            if (m1) _mm512_mask_storeu_ps(c + r * ldc + 16, m1, _mm512_add_ps(c1[r], b1));
        }
    } else if (e->kind == NBI_EPI_BIAS_RELU) { /* Relu's row, x < 0 ? 0 : x (NaN kept, as in the row) */
        __m512 b0 = _mm512_maskz_loadu_ps(m0, v), b1 = _mm512_maskz_loadu_ps(m1, v + 16), z = _mm512_setzero_ps();
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) {
            __m512 x0 = _mm512_add_ps(c0[r], b0);
            x0 = _mm512_mask_mov_ps(x0, _mm512_cmp_ps_mask(x0, z, _CMP_LT_OQ), z);
            _mm512_mask_storeu_ps(c + r * ldc, m0, x0);
            if (m1) {
                __m512 x1 = _mm512_add_ps(c1[r], b1);
                x1 = _mm512_mask_mov_ps(x1, _mm512_cmp_ps_mask(x1, z, _CMP_LT_OQ), z);
                _mm512_mask_storeu_ps(c + r * ldc + 16, m1, x1);
            }
        }
    } else { /* NBI_EPI_RELU_GRAD: v the features */
        __m512 z = _mm512_setzero_ps();
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) {
            const float *fr = v + r * ldc;
            __mmask16 p0 = _mm512_mask_cmp_ps_mask(m0, _mm512_maskz_loadu_ps(m0, fr), z, _CMP_GT_OQ);
            _mm512_mask_storeu_ps(c + r * ldc, m0, _mm512_maskz_mov_ps(p0, c0[r]));
            if (m1) {
                __mmask16 p1 = _mm512_mask_cmp_ps_mask(m1, _mm512_maskz_loadu_ps(m1, fr + 16), z, _CMP_GT_OQ);
                _mm512_mask_storeu_ps(c + r * ldc + 16, m1, _mm512_maskz_mov_ps(p1, c1[r]));
            }
        }
    }
}

#define TILE_FNS(R)                                                                                \
    static TGT void tile_n##R(int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,  \
                              float beta, float *c, int64_t ldc, __mmask16 m0, __mmask16 m1,        \
                              const nbi_gemm_epi *e, float *v) {                                    \
        if (m0 == 0xFFFF && m1 == 0xFFFF) tile(R, false, true, k, a, lda, b, ldb, beta, c, ldc, m0, m1, e, v); \
        else tile(R, false, false, k, a, lda, b, ldb, beta, c, ldc, m0, m1, e, v);                  \
    }                                                                                              \
    static TGT void tile_t##R(int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,  \
                              float beta, float *c, int64_t ldc, __mmask16 m0, __mmask16 m1,        \
                              const nbi_gemm_epi *e, float *v) {                                    \
        if (m0 == 0xFFFF && m1 == 0xFFFF) tile(R, true, true, k, a, lda, b, ldb, beta, c, ldc, m0, m1, e, v); \
        else tile(R, true, false, k, a, lda, b, ldb, beta, c, ldc, m0, m1, e, v);                   \
    }
TILE_FNS(1)
TILE_FNS(2)
TILE_FNS(3)
TILE_FNS(4)
TILE_FNS(5)
TILE_FNS(6)
TILE_FNS(7)
TILE_FNS(8)

typedef void (*tile_fn)(int64_t, const float *, int64_t, const float *, int64_t, float, float *,
                        int64_t, __mmask16, __mmask16, const nbi_gemm_epi *, float *);
static const tile_fn TILES[2][MR + 1] = {
    {NULL, tile_n1, tile_n2, tile_n3, tile_n4, tile_n5, tile_n6, tile_n7, tile_n8},
    {NULL, tile_t1, tile_t2, tile_t3, tile_t4, tile_t5, tile_t6, tile_t7, tile_t8},
};

static inline int64_t min64(int64_t x, int64_t y) { return x < y ? x : y; }

/* Columns [j0, j0 + nw) of B stored [n,k] (row stride ldb), as a [k][NR]
 * panel; columns past nw are zero. Whole 16 x 16 blocks are transposed in
 * registers: unpack pairs of rows, shuffle within 128-bit lanes (each lane
 * then holds one column's four rows of a group of four), then gather the
 * four groups' lanes with two rounds of 128-bit lane shuffles. */
static TGT void pack_bt(int64_t k, const float *b, int64_t ldb, int64_t j0, int64_t nw, float *P) {
    if (nw < NR) memset(P, 0, (size_t)k * NR * sizeof(float));
    int64_t jf = nw / 16 * 16, pf = k / 16 * 16;
    for (int64_t jj = 0; jj < jf; jj += 16) {
        const float *src = b + (j0 + jj) * ldb;
        for (int64_t p = 0; p < pf; p += 16) {
            __m512 r[16], t[16], u[16];
#pragma GCC unroll 16
            for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(src + i * ldb + p);
#pragma GCC unroll 8
            for (int i = 0; i < 16; i += 2) {
                t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
                t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
            }
            /* u[4g + c]: lane L holds column 4L + c of rows 4g .. 4g+3 */
#pragma GCC unroll 4
            for (int g = 0; g < 4; g++) {
                u[4 * g + 0] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
                u[4 * g + 1] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
                u[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
                u[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
            }
#pragma GCC unroll 4
            for (int c = 0; c < 4; c++) {
                __m512 v0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x88);
                __m512 v1 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xDD);
                __m512 w0 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x88);
                __m512 w1 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xDD);
                float *d = P + (p + c) * NR + jj;
                _mm512_storeu_ps(d, _mm512_shuffle_f32x4(v0, w0, 0x88));          /* column c */
                _mm512_storeu_ps(d + 4 * NR, _mm512_shuffle_f32x4(v1, w1, 0x88)); /* 4 + c */
                _mm512_storeu_ps(d + 8 * NR, _mm512_shuffle_f32x4(v0, w0, 0xDD)); /* 8 + c */
                _mm512_storeu_ps(d + 12 * NR, _mm512_shuffle_f32x4(v1, w1, 0xDD)); /* 12 + c */
            }
        }
        if (pf < k && ldb <= INT32_MAX / 16) { /* the depth's tail (all of a depth under 16): a
                                                * gather of one element from each of the 16 rows */
            __m512i rows = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                              _mm512_set1_epi32((int)ldb));
            for (int64_t p = pf; p < k; p++) _mm512_storeu_ps(P + p * NR + jj, _mm512_i32gather_ps(rows, src + p, 4));
        } else {
            for (int64_t i = 0; i < 16; i++)
                for (int64_t p = pf; p < k; p++) P[p * NR + jj + i] = src[i * ldb + p];
        }
    }
    for (int64_t jj = jf; jj < nw; jj++) {
        const float *src = b + (j0 + jj) * ldb;
        for (int64_t p = 0; p < k; p++) P[p * NR + jj] = src[p];
    }
}

/* Depth block [p0, p0 + kc) of panel jp, row blocks [i0, i1) (multiples of
 * MR but the last), B's slice at bp with row stride bs. */
static TGT void block(bool ta, int64_t n, int64_t p0, int64_t kc, const float *a, int64_t lda,
                      const float *bp, int64_t bs, float beta, float *c, int64_t ldc, int64_t jp,
                      int64_t i0, int64_t i1, const nbi_gemm_epi *e) {
    int64_t j0 = jp * NR, nw = min64(NR, n - j0);
    __mmask16 m0 = (__mmask16)(nw >= 16 ? 0xFFFF : (1u << nw) - 1u);
    __mmask16 m1 = (__mmask16)(nw >= 32 ? 0xFFFF : nw > 16 ? (1u << (nw - 16)) - 1u : 0u);
    float bt = p0 == 0 ? beta : 1.0f;
    for (int64_t i = i0; i < i1; i += MR) {
        int r = (int)min64(MR, i1 - i);
        const float *ai = ta ? a + p0 * lda + i : a + i * lda + p0;
        float *side = !e ? NULL
                      : e->kind == NBI_EPI_MOMENTUM ? e->var + i * ldc + j0
                      : e->kind == NBI_EPI_BIAS || e->kind == NBI_EPI_BIAS_RELU ? (float *)(uintptr_t)(e->side + j0)
                                                    : (float *)(uintptr_t)(e->side + i * ldc + j0);
        TILES[ta][r](kc, ai, lda, bp, bs, bt, c + i * ldc + j0, ldc, m0, m1, e, side);
    }
}

/* Panel jp, all depth blocks (KC keeps the panel's slice of B in L1 across
 * the row blocks); with tb each slice is first transposed into P. */
static TGT void panel(bool ta, bool tb, int64_t n, int64_t k, const float *a, int64_t lda,
                      const float *b, int64_t ldb, float beta, float *c, int64_t ldc, int64_t jp,
                      int64_t i0, int64_t i1, float *P, const nbi_gemm_epi *e) {
    int64_t j0 = jp * NR, nw = min64(NR, n - j0);
    for (int64_t p0 = 0; p0 < k; p0 += KC) {
        int64_t kc = min64(KC, k - p0);
        if (tb) {
            pack_bt(kc, b + p0, ldb, j0, nw, P);
            block(ta, n, p0, kc, a, lda, P, NR, beta, c, ldc, jp, i0, i1, p0 + kc >= k ? e : NULL);
        } else {
            block(ta, n, p0, kc, a, lda, b + p0 * ldb + j0, ldb, beta, c, ldc, jp, i0, i1, p0 + kc >= k ? e : NULL);
        }
    }
}

/* Rows [p0, p0 + kc) of B stored [k,n], panels [jp0, jp1), into P as
 * [panel][KC][NR] (whole rows read in order: the prefetchers follow). */
static void pack_rows(int64_t n, int64_t p0, int64_t kc, const float *b, int64_t ldb, int64_t jp0,
                      int64_t jp1, float *P) {
    for (int64_t p = 0; p < kc; p++) {
        const float *src = b + (p0 + p) * ldb;
        for (int64_t jp = jp0; jp < jp1; jp++) {
            int64_t j0 = jp * NR, nw = min64(NR, n - j0);
            memcpy(P + (jp * KC + p) * NR, src + j0, (size_t)nw * sizeof(float));
        }
    }
}

/* e (NULL or an epilogue) is applied by the tiles of the last depth block,
 * which add the partial sums stored in C first; so a Momentum epilogue, whose
 * C is the accumulator, needs k <= KC (one block). */
static bool run(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                const float *b, int64_t ldb, float beta, float *c, int64_t ldc, int threads,
                const nbi_gemm_epi *e) {
    int64_t np = (n + NR - 1) / NR, nmb = (m + MR - 1) / MR;
    double flops = 2.0 * (double)m * (double)n * (double)k;
    /* B too large to be read in place (its rows may be a page apart): one
     * depth block of every panel at a time is copied, row by row */
    bool pack = !tb && (double)k * (double)ldb > FOOT;
    int nt = threads < 1 ? 1 : threads;
    if (flops < 4e5) nt = 1; /* a fork costs more than it saves */
    bool by_rows = np < nt && nmb >= 2 * nt && !tb && !pack; /* too few panels: split the rows */
    if (!by_rows && np < nt) nt = (int)np;
    float *P = NULL;
    size_t per = (size_t)KC * NR, cnt = pack ? (size_t)np * per : tb ? (size_t)nt * per : 0;
    if (cnt) {
        P = aligned_alloc(64, cnt * sizeof(float));
        if (!P) return false;
    }
    if (pack) {
#pragma omp parallel num_threads(nt) if (nt > 1)
        {
            int t = omp_get_thread_num(), tn = omp_get_num_threads();
            for (int64_t p0 = 0; p0 < k; p0 += KC) {
                int64_t kc = min64(KC, k - p0);
                pack_rows(n, p0, kc, b, ldb, np * t / tn, np * (t + 1) / tn, P);
#pragma omp barrier
#pragma omp for schedule(static)
                for (int64_t jp = 0; jp < np; jp++)
                    block(ta, n, p0, kc, a, lda, P + (size_t)jp * per, NR, beta, c, ldc, jp, 0, m,
                          p0 + kc >= k ? e : NULL);
                /* the implicit barrier: P is refilled next */
            }
        }
    } else if (nt == 1) {
        for (int64_t jp = 0; jp < np; jp++) panel(ta, tb, n, k, a, lda, b, ldb, beta, c, ldc, jp, 0, m, P, e);
    } else if (!by_rows) {
#pragma omp parallel for num_threads(nt) schedule(static)
        for (int64_t jp = 0; jp < np; jp++)
            panel(ta, tb, n, k, a, lda, b, ldb, beta, c, ldc, jp, 0, m,
                  P ? P + (size_t)omp_get_thread_num() * per : NULL, e);
    } else {
        /* B read in place: each thread a share of the row blocks */
#pragma omp parallel num_threads(nt)
        {
            int t = omp_get_thread_num(), tn = omp_get_num_threads();
            int64_t b0 = nmb * t / tn, b1 = nmb * (t + 1) / tn;
            int64_t i0 = b0 * MR, i1 = min64(b1 * MR, m);
            if (i0 < i1)
                for (int64_t jp = 0; jp < np; jp++)
                    panel(ta, false, n, k, a, lda, b, ldb, beta, c, ldc, jp, i0, i1, NULL, e);
        }
    }
    free(P);
    return true;
}

#endif /* NB_HAVE_SMALL_GEMM */

bool nbi_sgemm_small_force(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float *a,
                           int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                           int64_t ldc, int threads) {
#if NB_HAVE_SMALL_GEMM
    if (m <= 0 || n <= 0 || k <= 0 || !nbi_sgemm_small_available()) return false;
    return run(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc, threads, NULL);
#else
    (void)ta, (void)tb, (void)m, (void)n, (void)k, (void)a, (void)lda, (void)b, (void)ldb;
    (void)beta, (void)c, (void)ldc, (void)threads;
    return false;
#endif
}

/* Where the kernel beats OpenBLAS 0.3.21 on this machine (Zen 4, measured
 * shape by shape): at least 8 rows and 16 columns (narrower products waste
 * half a tile), and A and C within FOOT (A is re-read for every panel; the
 * CNN's dense-layer weight gradient, a [3136,1024] C, stays with the BLAS). */
static bool shape_wins(bool ta, int64_t m, int64_t n, int64_t k, int64_t lda, int64_t ldc) {
    if (m < 8 || n < 16 || k < 1) return false;
    double afoot = (double)(ta ? k : m) * (double)lda;
    return afoot <= FOOT && (double)m * (double)ldc <= FOOT;
}

bool nbi_sgemm_small(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float *a,
                     int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
                     int threads) {
    if (!shape_wins(ta, m, n, k, lda, ldc)) return false;
    return nbi_sgemm_small_force(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc, threads);
}

static atomic_long g_epi_taken;

long nbi_sgemm_small_epi_taken(void) { return atomic_load(&g_epi_taken); }

bool nbi_sgemm_small_epi_takes(const nbi_sgemm_geom *g, int kind) {
#if NB_HAVE_SMALL_GEMM
    /* exactly the products nbi_sgemm_small takes (same tiles, same sums; C's row stride is n) */
    if (!shape_wins(g->ta, g->m, g->n, g->k, g->lda, g->n) || !nbi_sgemm_small_available()) return false;
    /* the accumulator cannot hold partial sums: one depth block */
    return kind != NBI_EPI_MOMENTUM || g->k <= KC;
#else
    (void)g, (void)kind;
    return false;
#endif
}

bool nbi_sgemm_small_epi(const nbi_sgemm_geom *g, float *c, const nbi_gemm_epi *e, int threads) {
#if NB_HAVE_SMALL_GEMM
    if (!run(g->ta, g->tb, g->m, g->n, g->k, g->a, g->lda, g->b, g->ldb, 0.0f, c, g->n, threads, e))
        return false; /* out of memory for the transposed panel, before anything is touched */
    atomic_fetch_add_explicit(&g_epi_taken, 1, memory_order_relaxed);
    return true;
#else
    (void)g, (void)c, (void)e, (void)threads;
    return false;
#endif
}
