/*
 * conv_winograd.c — 5x5, stride-1 float32 convolutions by Winograd's minimal
 * filtering F(2x2, 5x5) (Lavin & Gray, "Fast Algorithms for Convolutional
 * Neural Networks", 2016), for Conv2D and both of its backprop ops.
 *
 * A 2x2 block of outputs ("tile") needs a 6x6 block of input. With the
 * interpolation points 0, 1, -1, 2, -2 and infinity,
 *
 *     Y = A^T [ (G g G^T) .* (B^T d B) ] A          (g: 5x5 filter, d: 6x6 input)
 *
 * and summed over input channels the elementwise product becomes, for each of
 * the 36 transformed positions, a matrix product [tiles x C] . [C x O]: 36
 * multiplies per 4 outputs instead of 100, 2.8 times less arithmetic than
 * im2col + GEMM. The matrices (derived from the Vandermonde matrices of the
 * points, B^T rows scaled to integers) are written out in the transforms
 * below:
 *
 *   B^T = [ 4  0 -5  0  1  0 ]   G = [ 1/4     0     0     0    0 ]   A^T = [ 1 1  1 1  1 0 ]
 *         [ 0  4  4 -1 -1  0 ]       [ 1/6   1/6   1/6   1/6  1/6 ]         [ 0 1 -1 2 -2 1 ]
 *         [ 0 -4  4  1 -1  0 ]       [ 1/6  -1/6   1/6  -1/6  1/6 ]
 *         [ 0 -2 -1  2  1  0 ]       [ 1/24  1/12  1/6   1/3  2/3 ]
 *         [ 0  2 -1 -2  1  0 ]       [ 1/24 -1/12  1/6  -1/3  2/3 ]
 *         [ 0  4  0 -5  0  1 ]       [ 0     0     0     0    1   ]
 *
 * - Conv2D: per block of tiles, transform the input (B^T d B, 8 channels per
 *   vector), multiply by the transformed filter U = G g G^T, transform back.
 * - Conv2DBackpropInput is the same forward convolution of dy with the filter
 *   rotated by 180 degrees and its channel axes swapped, padded 4 - pad.
 * - Conv2DBackpropFilter is F(5x5, 2x2) with the same B^T: the 2x2 tile of dy
 *   plays the filter (G' = the 6x2 Vandermonde matrix below), the 6x6 input the
 *   data, and the 5x5 result, summed over all tiles in the transformed domain
 *   (one [C x tiles] . [tiles x O] product per position), is transformed back
 *   once by A'^T (5x6).
 *
 * Tiles are processed in blocks small enough for a block's transformed input
 * and products to stay in L2; blocks are spread over OpenMP threads. The 36
 * small products use a register-blocked kernel (6 rows x 16 columns) written
 * with GCC vector extensions, which compile to AVX2/FMA under x86-64-v3 and to
 * SSE otherwise.
 *
 * Accuracy: the transforms scale values by up to 25 before the products and
 * cancel afterwards, so the rounding error is about 1e-6 of the outputs'
 * largest magnitude forward and 1e-5 for the filter gradient (which sums over
 * every tile), against about 1e-7 for im2col; tests/test_conv.c bounds it at
 * 5e-5. nb_set_winograd(false) or NABLA_WINOGRAD=0 routes these shapes to
 * im2col instead.
 */
#include "conv_impl.h"
#include "nb_internal.h"

#include <omp.h>
#include <string.h>

/* Without AVX (NABLA_MARCH=x86-64-v2) GCC warns that passing 32-byte vectors
 * changes the ABI; every function here is static, so no ABI is crossed. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

typedef float v8f __attribute__((vector_size(32)));
typedef float v8f_u __attribute__((vector_size(32), aligned(4), may_alias));

/* a * b + c, fused where the target has FMA (ISO C mode does not contract). */
#if defined(__FMA__)
#include <immintrin.h>
#define FMA8(a, b, c) ((v8f)_mm256_fmadd_ps((__m256)(a), (__m256)(b), (__m256)(c)))
#else
#define FMA8(a, b, c) ((a) * (b) + (c))
#endif

static inline v8f ld8(const float *p) { return *(const v8f_u *)p; }
static inline void st8(float *p, v8f v) { *(v8f_u *)p = v; }
static inline v8f bc8(float s) { return (v8f){s, s, s, s, s, s, s, s}; }

enum { TILE = 6, NPOS = 36 };
#ifndef NB_WINO_KIB
#define NB_WINO_KIB 640
#endif

bool nbi_wino_applies(const nbi_conv_geom *g) {
    return nb_get_winograd() && g->fh == 5 && g->fw == 5 && g->sh == 1 && g->sw == 1 && g->dh == 1 && g->dw == 1 &&
           g->c >= 8 && g->o >= 8 && g->c % 8 == 0 && g->o % 8 == 0 && g->pt >= 0 && g->pt <= 4 &&
           g->pl >= 0 && g->pl <= 4 && g->n > 0 && g->oh > 0 && g->ow > 0 && g->h > 0 && g->w > 0;
}

/*** Transforms ***/

/* One-dimensional B^T d over six vectors into t[0..5], sharing the terms of
 * rows 1/2 (q +- p) and 3/4 (u +- v). */
#define BT6(d0, d1, d2, d3, d4, d5, t)                          \
    do {                                                         \
        v8f p_ = 4 * (d2) - (d4), q_ = 4 * (d1) - (d3);          \
        v8f u_ = (d4) - (d2), v_ = 2 * ((d3) - (d1));            \
        (t)[0] = 4 * (d0) - 5 * (d2) + (d4);                     \
        (t)[1] = q_ + p_;                                        \
        (t)[2] = p_ - q_;                                        \
        (t)[3] = u_ + v_;                                        \
        (t)[4] = u_ - v_;                                        \
        (t)[5] = 4 * (d1) - 5 * (d3) + (d5);                     \
    } while (0)

/*** Small products: C[i][j] (+)= sum_k A(i,k) B[k][j] ***/

/* A(i,k) = a[i*ars + k*aks]; B row-major with ldb; MR x NR block of C. The
 * loops over i and j are unrolled so that the accumulators live in registers. */
static inline __attribute__((always_inline)) void
kern(const int MR, const int NR, int64_t K, const float *a, int64_t ars, int64_t aks, const float *b,
     int64_t ldb, float *c, int64_t ldc, bool acc) {
    v8f s[6][2];
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 2
        for (int j = 0; j < NR / 8; j++) s[i][j] = acc ? ld8(c + i * ldc + 8 * j) : bc8(0);
    for (int64_t k = 0; k < K; k++) {
        v8f b0 = ld8(b + k * ldb), b1 = NR == 16 ? ld8(b + k * ldb + 8) : bc8(0);
        const float *ak = a + k * aks;
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++) {
            v8f ai = bc8(ak[i * ars]);
            s[i][0] = FMA8(ai, b0, s[i][0]);
            if (NR == 16) s[i][1] = FMA8(ai, b1, s[i][1]);
        }
    }
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 2
        for (int j = 0; j < NR / 8; j++) st8(c + i * ldc + 8 * j, s[i][j]);
}

#define KERN_FN(MR, NR)                                                                              \
    static void kern_##MR##_##NR(int64_t K, const float *a, int64_t ars, int64_t aks, const float *b, \
                                 int64_t ldb, float *c, int64_t ldc, bool acc) {                     \
        kern(MR, NR, K, a, ars, aks, b, ldb, c, ldc, acc);                                           \
    }
KERN_FN(1, 8) KERN_FN(2, 8) KERN_FN(3, 8) KERN_FN(4, 8) KERN_FN(5, 8) KERN_FN(6, 8)
KERN_FN(1, 16) KERN_FN(2, 16) KERN_FN(3, 16) KERN_FN(4, 16) KERN_FN(5, 16) KERN_FN(6, 16)

typedef void (*kern_fn)(int64_t, const float *, int64_t, int64_t, const float *, int64_t, float *, int64_t,
                        bool);
static const kern_fn kerns8[7] = {NULL, kern_1_8, kern_2_8, kern_3_8, kern_4_8, kern_5_8, kern_6_8};
static const kern_fn kerns16[7] = {NULL, kern_1_16, kern_2_16, kern_3_16, kern_4_16, kern_5_16, kern_6_16};

/* C[M x N] (+)= A(M x K) . B[K x N], N a multiple of 8. */
static void small_gemm(int64_t M, int64_t N, int64_t K, const float *a, int64_t ars, int64_t aks,
                       const float *b, int64_t ldb, float *c, int64_t ldc, bool acc) {
    for (int64_t i = 0; i < M; i += 6) {
        int mr = M - i < 6 ? (int)(M - i) : 6;
        int64_t j = 0;
        for (; j + 16 <= N; j += 16)
            kerns16[mr](K, a + i * ars, ars, aks, b + j, ldb, c + i * ldc + j, ldc, acc);
        if (j < N) kerns8[mr](K, a + i * ars, ars, aks, b + j, ldb, c + i * ldc + j, ldc, acc);
    }
}

/*** Filter transform: U[pos][ci][co] = (G g G^T)[pos] ***/

static const double Gm[TILE][5] = {
    {1.0 / 4, 0, 0, 0, 0},
    {1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6},
    {1.0 / 6, -1.0 / 6, 1.0 / 6, -1.0 / 6, 1.0 / 6},
    {1.0 / 24, 1.0 / 12, 1.0 / 6, 1.0 / 3, 2.0 / 3},
    {1.0 / 24, -1.0 / 12, 1.0 / 6, -1.0 / 3, 2.0 / 3},
    {0, 0, 0, 0, 1},
};

/* f: HWIO [5,5,C,O]. rotate: transform the filter of the input gradient,
 * f'[ky][kx][o][c] = f[4-ky][4-kx][c][o], into U[pos][O][C]; else U[pos][C][O]. */
static void filter_transform(const float *f, int64_t C, int64_t O, bool rotate, float *U, int nt) {
    int64_t rows = rotate ? O : C, cols = rotate ? C : O;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t q = 0; q < cols; q++) {
            int64_t ci = rotate ? q : r, co = rotate ? r : q;
            double g[5][5], h[TILE][5];
            for (int ky = 0; ky < 5; ky++)
                for (int kx = 0; kx < 5; kx++) {
                    int sy = rotate ? 4 - ky : ky, sx = rotate ? 4 - kx : kx;
                    g[ky][kx] = f[((sy * 5 + sx) * C + ci) * O + co];
                }
            for (int i = 0; i < TILE; i++)
                for (int kx = 0; kx < 5; kx++) {
                    double s = 0;
                    for (int ky = 0; ky < 5; ky++) s += Gm[i][ky] * g[ky][kx];
                    h[i][kx] = s;
                }
            for (int i = 0; i < TILE; i++)
                for (int j = 0; j < TILE; j++) {
                    double s = 0;
                    for (int kx = 0; kx < 5; kx++) s += Gm[j][kx] * h[i][kx];
                    U[((int64_t)(i * TILE + j) * rows + r) * cols + q] = (float)s;
                }
        }
    }
}

/*** Forward convolution over tiles ***/

typedef struct {
    int64_t n, h, w, c;   /* input */
    int64_t oh, ow, o;    /* output */
    int64_t pt, pl;       /* top/left padding (0..4) */
    int64_t th, tw;       /* tiles per column/row of an image */
} wgeom;

static wgeom wgeom_make(int64_t n, int64_t h, int64_t w, int64_t c, int64_t oh, int64_t ow, int64_t o,
                        int64_t pt, int64_t pl) {
    wgeom g = {n, h, w, c, oh, ow, o, pt, pl, (oh + 1) / 2, (ow + 1) / 2};
    return g;
}

/* Tiles per block: a block's transformed input [36][tb][c] and products
 * [36][tb][o], together with the transformed filter (or the filter gradient's
 * accumulator) [36][c][o] that every block reads, should stay within L2 (taken
 * as 640 KiB of a typical 1 MiB); a multiple of the product kernel's 6 rows. */
static int64_t block_tiles(int64_t c, int64_t o) {
    int64_t budget = (int64_t)NB_WINO_KIB * 1024 - NPOS * c * o * (int64_t)sizeof(float);
    int64_t tb = budget / (NPOS * (c + o) * (int64_t)sizeof(float));
    tb -= tb % 6;
    return tb < 12 ? 12 : tb > 120 ? 120 : tb;
}

/* Transforms the input blocks of tiles t0..t0+nb-1 into V[nb][pos][C].
 * B^T d B is done as a vertical pass (B^T down each of the block's 6 input
 * columns) then a horizontal one. Neighbouring tiles of a row overlap by 4
 * columns, so the vertical results are kept in a ring of 6 column slots (slot
 * = column mod 6) in col ([C/8][6 slots][6 rows][8]): a tile that follows its
 * left neighbour transforms only its 2 new columns. */
static void transform_inputs(const wgeom *g, const float *x, int64_t t0, int64_t nb, float *V, float *col) {
    int64_t per = g->th * g->tw;
    int64_t prev = -2; /* tile index of the last tile transformed */
    for (int64_t b = 0; b < nb; b++) {
        int64_t t = t0 + b, n = t / per, r = t % per, ty = r / g->tw, tx = r % g->tw;
        int64_t y0 = 2 * ty - g->pt, x0 = 2 * tx - g->pl;
        int s0 = (int)(((x0 % TILE) + TILE) % TILE), j0 = t == prev + 1 && tx > 0 ? 4 : 0;
        bool rows_in = y0 >= 0 && y0 + TILE <= g->h;
        const float *xi = x + n * g->h * g->w * g->c;
        for (int64_t c = 0; c < g->c; c += 8) {
            float *ct = col + c * NPOS; /* this chunk's [slot][row][8] */
            for (int j = j0; j < TILE; j++) {
                int64_t xc = x0 + j;
                int slot = s0 + j < TILE ? s0 + j : s0 + j - TILE;
                v8f d[TILE], o[TILE];
                bool col_in = xc >= 0 && xc < g->w;
                for (int i = 0; i < TILE; i++) {
                    int64_t y = y0 + i;
                    d[i] = col_in && (rows_in || (y >= 0 && y < g->h)) ? ld8(xi + (y * g->w + xc) * g->c + c)
                                                                        : bc8(0);
                }
                BT6(d[0], d[1], d[2], d[3], d[4], d[5], o);
                for (int i = 0; i < TILE; i++) st8(ct + (slot * TILE + i) * 8, o[i]);
            }
            for (int i = 0; i < TILE; i++) {
                v8f h[TILE], o[TILE];
                for (int j = 0; j < TILE; j++) {
                    int slot = s0 + j < TILE ? s0 + j : s0 + j - TILE;
                    h[j] = ld8(ct + (slot * TILE + i) * 8);
                }
                BT6(h[0], h[1], h[2], h[3], h[4], h[5], o);
                for (int j = 0; j < TILE; j++) st8(V + (b * NPOS + i * TILE + j) * g->c + c, o[j]);
            }
        }
        prev = t;
    }
}

/* y[N, OH, OW, O] from transformed filter U[pos][C][O]. */
static void wino_conv(const wgeom *g, const float *x, const float *U, float *y,
                           float *scratch, int64_t tb, int nt) {
    int64_t T = g->n * g->th * g->tw, nblk = (T + tb - 1) / tb, per = g->th * g->tw;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (int64_t blk = 0; blk < nblk; blk++) {
        float *V = scratch + (int64_t)omp_get_thread_num() * (NPOS * tb * (g->c + g->o) + NPOS * g->c);
        float *M = V + NPOS * tb * g->c, *col = M + NPOS * tb * g->o;
        int64_t t0 = blk * tb, nb = t0 + tb <= T ? tb : T - t0;
        transform_inputs(g, x, t0, nb, V, col);
        for (int p = 0; p < NPOS; p++)
            small_gemm(nb, g->o, g->c, V + p * g->c, NPOS * g->c, 1, U + p * g->c * g->o, g->o,
                       M + p * g->o, NPOS * g->o, false);
        /* Y = A^T M A for each tile, 8 output channels at a time */
        for (int64_t b = 0; b < nb; b++) {
            int64_t t = t0 + b, n = t / per, r = t % per, ty = r / g->tw, tx = r % g->tw;
            int64_t oy = 2 * ty, ox = 2 * tx;
            float *yi = y + ((n * g->oh + oy) * g->ow + ox) * g->o;
            bool y1 = oy + 1 < g->oh, x1 = ox + 1 < g->ow;
            for (int64_t o = 0; o < g->o; o += 8) {
                const float *m = M + b * NPOS * g->o + o;
                int64_t ps = g->o;
                v8f s0[TILE], s1[TILE];
                for (int j = 0; j < TILE; j++) {
                    v8f m0 = ld8(m + (0 * TILE + j) * ps), m1 = ld8(m + (1 * TILE + j) * ps),
                        m2 = ld8(m + (2 * TILE + j) * ps), m3 = ld8(m + (3 * TILE + j) * ps),
                        m4 = ld8(m + (4 * TILE + j) * ps), m5 = ld8(m + (5 * TILE + j) * ps);
                    s0[j] = m0 + m1 + m2 + m3 + m4;
                    s1[j] = m1 - m2 + 2 * (m3 - m4) + m5;
                }
                st8(yi + o, s0[0] + s0[1] + s0[2] + s0[3] + s0[4]);
                if (x1) st8(yi + g->o + o, s0[1] - s0[2] + 2 * (s0[3] - s0[4]) + s0[5]);
                if (y1) {
                    float *yr = yi + g->ow * g->o;
                    st8(yr + o, s1[0] + s1[1] + s1[2] + s1[3] + s1[4]);
                    if (x1) st8(yr + g->o + o, s1[1] - s1[2] + 2 * (s1[3] - s1[4]) + s1[5]);
                }
            }
        }
    }
}

static int threads_for(int64_t tasks) {
    int nt = nbi_num_threads();
    if (nt > tasks) nt = (int)(tasks > 0 ? tasks : 1);
    return nt < 1 ? 1 : nt;
}

/* Runs a forward convolution with geometry wg and filter f (rotated or not). */
static nb_status run_forward(nbi_kctx *k, const wgeom *wg, const float *f, int64_t fc, int64_t fo,
                             bool rotate, const float *x, float *y) {
    int64_t tb = block_tiles(wg->c, wg->o), T = wg->n * wg->th * wg->tw;
    int nt = threads_for((T + tb - 1) / tb);
    size_t usz = (size_t)(NPOS * wg->c * wg->o), per = (size_t)(NPOS * tb * (wg->c + wg->o) + NPOS * wg->c);
    float *U = nbi_kscratch(k, nbi_mul_size(usz + (size_t)nt * per, sizeof(float)));
    if (!U) return NB_ERR_OUT_OF_MEMORY;
    filter_transform(f, fc, fo, rotate, U, nbi_num_threads());
    wino_conv(wg, x, U, y, U + usz, tb, nt);
    return NB_OK;
}

nb_status nbi_wino_forward(nbi_kctx *k, const nbi_conv_geom *g, const float *x, const float *f, float *y) {
    wgeom wg = wgeom_make(g->n, g->h, g->w, g->c, g->oh, g->ow, g->o, g->pt, g->pl);
    return run_forward(k, &wg, f, g->c, g->o, false, x, y);
}

nb_status nbi_wino_backprop_input(nbi_kctx *k, const nbi_conv_geom *g, const float *f, const float *dy,
                                  float *dx) {
    /* dx = conv(dy, rot180(f) with C and O swapped), padding 4 - pad */
    wgeom wg = wgeom_make(g->n, g->oh, g->ow, g->o, g->h, g->w, g->c, 4 - g->pt, 4 - g->pl);
    return run_forward(k, &wg, f, g->c, g->o, true, dy, dx);
}

/*** Filter gradient: F(5x5, 2x2) ***/

/* G' (6x2) */
static const float Gd[TILE][2] = {
    {1.0f / 4, 0}, {1.0f / 6, 1.0f / 6}, {1.0f / 6, -1.0f / 6},
    {1.0f / 24, 1.0f / 12}, {1.0f / 24, -1.0f / 12}, {0, 1},
};

/* A'^T (5x6) */
static const float Ad[5][TILE] = {
    {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 0}, {0, 1, 1, 16, 16, 1},
};

/* W[nb][pos][O] = G' g G'^T for the 2x2 dy tiles of tiles t0..t0+nb-1. */
static void transform_dy(const wgeom *g, const float *dy, int64_t t0, int64_t nb, float *W) {
    int64_t per = g->th * g->tw;
    for (int64_t b = 0; b < nb; b++) {
        int64_t t = t0 + b, n = t / per, r = t % per, ty = r / g->tw, tx = r % g->tw;
        int64_t oy = 2 * ty, ox = 2 * tx;
        bool y1 = oy + 1 < g->oh, x1 = ox + 1 < g->ow;
        const float *di = dy + ((n * g->oh + oy) * g->ow + ox) * g->o;
        for (int64_t o = 0; o < g->o; o += 8) {
            v8f q00 = ld8(di + o), q01 = x1 ? ld8(di + g->o + o) : bc8(0);
            v8f q10 = y1 ? ld8(di + g->ow * g->o + o) : bc8(0);
            v8f q11 = y1 && x1 ? ld8(di + (g->ow + 1) * g->o + o) : bc8(0);
            for (int i = 0; i < TILE; i++) {
                v8f h0 = Gd[i][0] * q00 + Gd[i][1] * q10, h1 = Gd[i][0] * q01 + Gd[i][1] * q11;
                for (int j = 0; j < TILE; j++)
                    st8(W + (b * NPOS + i * TILE + j) * g->o + o, Gd[j][0] * h0 + Gd[j][1] * h1);
            }
        }
    }
}

nb_status nbi_wino_backprop_filter(nbi_kctx *k, const nbi_conv_geom *g, const float *x, const float *dy,
                                   float *df) {
    /* tiles of dy (the conv's output), each reading a 6x6 input block */
    wgeom wg = wgeom_make(g->n, g->h, g->w, g->c, g->oh, g->ow, g->o, g->pt, g->pl);
    int64_t C = g->c, O = g->o, tb = block_tiles(C, O), T = wg.n * wg.th * wg.tw;
    int64_t nblk = (T + tb - 1) / tb;
    int nt = threads_for(nblk);
    size_t acc = (size_t)(NPOS * C * O), per = (size_t)(NPOS * tb * (C + O)) + acc + (size_t)(NPOS * C);
    float *scratch = nbi_kscratch(k, nbi_mul_size((size_t)nt * per, sizeof(float)));
    if (!scratch) return NB_ERR_OUT_OF_MEMORY;
#pragma omp parallel num_threads(nt)
    {
        float *V = scratch + (size_t)omp_get_thread_num() * per, *W = V + NPOS * tb * C, *Macc = W + NPOS * tb * O;
        float *col = Macc + acc;
        bool first = true;
        /* static: a fixed share of blocks per thread, so the partial sums, and
         * the gradient, are the same on every run (for a given thread count) */
#pragma omp for schedule(static)
        for (int64_t blk = 0; blk < nblk; blk++) {
            int64_t t0 = blk * tb, nb = t0 + tb <= T ? tb : T - t0;
            transform_inputs(&wg, x, t0, nb, V, col);
            transform_dy(&wg, dy, t0, nb, W);
            /* Macc[pos][C][O] += V[pos]^T . W[pos] */
            for (int p = 0; p < NPOS; p++)
                small_gemm(C, O, nb, V + p * C, 1, NPOS * C, W + p * O, NPOS * O, Macc + p * C * O, O, !first);
            first = false;
        }
        if (first) memset(Macc, 0, acc * sizeof(float));
    }
    /* sum the threads' accumulators into the first */
    for (int t = 1; t < nt; t++) {
        const float *s = scratch + (size_t)t * per + NPOS * tb * (C + O);
        float *d = scratch + NPOS * tb * (C + O);
        for (size_t i = 0; i < acc; i++) d[i] += s[i];
    }
    const float *Macc = scratch + NPOS * tb * (C + O);
    /* df[ky][kx][c][o] = (A'^T M A')[ky][kx] */
#pragma omp parallel for num_threads(threads_for(C)) schedule(static)
    for (int64_t c = 0; c < C; c++)
        for (int64_t o = 0; o < O; o += 8) {
            v8f m[TILE][TILE], h[5][TILE];
            for (int p = 0; p < NPOS; p++) m[p / TILE][p % TILE] = ld8(Macc + (p * C + c) * O + o);
            for (int ky = 0; ky < 5; ky++)
                for (int j = 0; j < TILE; j++) {
                    v8f s = bc8(0);
                    for (int i = 0; i < TILE; i++) s += Ad[ky][i] * m[i][j];
                    h[ky][j] = s;
                }
            for (int ky = 0; ky < 5; ky++)
                for (int kx = 0; kx < 5; kx++) {
                    v8f s = bc8(0);
                    for (int j = 0; j < TILE; j++) s += Ad[kx][j] * h[ky][j];
                    st8(df + ((ky * 5 + kx) * C + c) * O + o, s);
                }
        }
    return NB_OK;
}
