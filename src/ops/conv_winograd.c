/*
 * conv_winograd.c — 5x5 and 3x3, stride-1 float32 convolutions by Winograd's
 * minimal filtering (Lavin & Gray, "Fast Algorithms for Convolutional Neural
 * Networks", 2016): F(2x2, 5x5) and F(4x4, 3x3), for Conv2D and both of its
 * backprop ops.
 *
 * An m x m block of outputs ("tile") of an r x r filter needs a 6x6 block of
 * input (m + r - 1 = 6: m = 2 for r = 5, m = 4 for r = 3). With the
 * interpolation points 0, 1, -1, 2, -2 and infinity,
 *
 *     Y = A^T [ (G g G^T) .* (B^T d B) ] A          (g: r x r filter, d: 6x6 input)
 *
 * and summed over input channels the elementwise product becomes, for each of
 * the 36 transformed positions, a matrix product [tiles x C] . [C x O]: 36
 * multiplies per tile instead of m*m*r*r, 2.8 (5x5) and 4 (3x3) times less
 * arithmetic than im2col + GEMM. The matrices come from the Vandermonde
 * matrices of the points, with B^T's rows scaled to integers (gmat and amat
 * below give G and A^T for any m, r); B^T is the same for every (m, r):
 *
 *   B^T = [ 4  0 -5  0  1  0 ]   G (r = 5) = [ 1/4     0     0     0    0 ]   A^T (m = 2) = [ 1 1  1 1  1 0 ]
 *         [ 0  4  4 -1 -1  0 ]               [ 1/6   1/6   1/6   1/6  1/6 ]                 [ 0 1 -1 2 -2 1 ]
 *         [ 0 -4  4  1 -1  0 ]               [ 1/6  -1/6   1/6  -1/6  1/6 ]
 *         [ 0 -2 -1  2  1  0 ]               [ 1/24  1/12  1/6   1/3  2/3 ]   (r = 3: the first three
 *         [ 0  2 -1 -2  1  0 ]               [ 1/24 -1/12  1/6  -1/3  2/3 ]    columns, last row [0 0 1];
 *         [ 0  4  0 -5  0  1 ]               [ 0     0     0     0    1   ]    m = 4: rows p^0..p^3)
 *
 * - Conv2D: per block of tiles, transform the input (B^T d B, 8 channels per
 *   vector), multiply by the transformed filter U = G g G^T, transform back.
 * - Conv2DBackpropInput is the same forward convolution of dy with the filter
 *   rotated by 180 degrees and its channel axes swapped, padded r - 1 - pad.
 * - Conv2DBackpropFilter is F(r x r, m x m) with the same B^T: the m x m tile
 *   of dy plays the filter (G' = gmat for m, 6 x m), the 6x6 input the data,
 *   and the r x r result, summed over all tiles in the transformed domain (one
 *   [C x tiles] . [tiles x O] product per position), is transformed back once
 *   by A'^T (amat for r, r x 6).
 *
 * Tiles are processed in blocks small enough for a block's transformed input
 * and products to stay in L2; blocks are spread over OpenMP threads. The 36
 * small products use a register-blocked kernel (6 rows x 16 columns) written
 * with GCC vector extensions, which compile to AVX2/FMA under x86-64-v3 and to
 * SSE otherwise.
 *
 * Accuracy: the transforms scale values by up to 25 before the products and
 * cancel afterwards, so the rounding error is about 1e-6 of the outputs'
 * largest magnitude forward (both sizes, by a float32 simulation) and 1e-5
 * for the filter gradient (which sums over every tile), against about 1e-7
 * for im2col; tests/test_conv.c bounds it at 5e-5. nb_set_winograd(false) or NABLA_WINOGRAD=0 routes these shapes to
 * im2col instead.
 */
#include "conv_impl.h"
#include "ops/ops_impl.h"
#include "ops/cache.h"

#include <omp.h>
#include <string.h>

/* Without AVX (NABLA_MARCH=x86-64-v2) GCC warns that passing 32-byte vectors
 * changes the ABI; every function here is static, so no ABI is crossed. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

typedef float v8f __attribute__((vector_size(32)));
typedef float v8f_u __attribute__((vector_size(32), aligned(4), may_alias));
typedef int32_t v8i __attribute__((vector_size(32)));

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

/* a + b, or SIZE_MAX when it would not fit (SIZE_MAX, nbi_mul_size's overflow,
 * stays SIZE_MAX, which nbi_kscratch refuses). */
static size_t add_size(size_t a, size_t b) { return a >= SIZE_MAX - b ? SIZE_MAX : a + b; }

enum { TILE = 6, NPOS = 36 };

bool nbi_wino_applies(const nbi_conv_geom *g) {
    return nb_get_winograd() && (g->fh == 5 || g->fh == 3) && g->fw == g->fh && g->sh == 1 && g->sw == 1 &&
           g->dh == 1 && g->dw == 1 && g->c >= 8 && g->o >= 8 && g->c % 8 == 0 && g->o % 8 == 0 &&
           g->pt >= 0 && g->pt < g->fh && g->pl >= 0 && g->pl < g->fw && g->n > 0 && g->oh > 0 && g->ow > 0 &&
           g->h > 0 && g->w > 0;
}

/* The transforms' matrices, for the points 0, 1, -1, 2, -2 and infinity (the
 * rows of B^T scaled to integers, G scaled back): G[j][k] = gs[j] * p_j^k for
 * the finite points and [0 .. 0 1] for infinity; A^T[i][j] = p_j^i, with a 1
 * for infinity in the last row only. The same six points serve F(2,5), F(4,3)
 * and the filter gradients' F(5,2) and F(3,4). */
static const double pts[5] = {0, 1, -1, 2, -2}, gs[5] = {1.0 / 4, 1.0 / 6, 1.0 / 6, 1.0 / 24, 1.0 / 24};

static double ipow(double p, int k) {
    double v = 1;
    while (k-- > 0) v *= p;
    return v;
}

/* G (6 x r): row j, column k */
static double gmat(int j, int k, int r) { return j < 5 ? gs[j] * ipow(pts[j], k) : (double)(k == r - 1); }
/* A^T (m x 6): row i, column j */
static double amat(int i, int j, int m) { return j < 5 ? ipow(pts[j], i) : (double)(i == m - 1); }

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

/* A^T c for six vectors: F(2,5)'s 2 rows and F(4,3)'s 4 rows (see amat),
 * sharing a = c1 + c2, b = c1 - c2, p = c3 + c4, q = c3 - c4. */
#define AT2(c, o)                                                  \
    do {                                                           \
        (o)[0] = (c)[0] + ((c)[1] + (c)[2]) + ((c)[3] + (c)[4]);   \
        (o)[1] = ((c)[1] - (c)[2]) + 2 * ((c)[3] - (c)[4]) + (c)[5]; \
    } while (0)
#define AT4(c, o)                                                  \
    do {                                                           \
        v8f a_ = (c)[1] + (c)[2], b_ = (c)[1] - (c)[2];            \
        v8f p_ = (c)[3] + (c)[4], q_ = (c)[3] - (c)[4];            \
        (o)[0] = (c)[0] + a_ + p_;                                 \
        (o)[1] = b_ + 2 * q_;                                      \
        (o)[2] = a_ + 4 * p_;                                      \
        (o)[3] = b_ + 8 * q_ + (c)[5];                             \
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

/* f: HWIO [r,r,C,O]. rotate: transform the filter of the input gradient,
 * f'[ky][kx][o][c] = f[r-1-ky][r-1-kx][c][o], into U[pos][O][C]; else U[pos][C][O].
 * 8 filters at a time along U's rows (C and O are multiples of 8): G g then
 * (G g) G^T in float vectors, unrolled. */
static inline __attribute__((always_inline)) void filter_transform_r(const int r, const float *f, int64_t C,
                                                                     int64_t O, bool rotate, float *U, int nt) {
    int64_t rows = rotate ? O : C, cols = rotate ? C : O;
    float G[TILE][5];
    for (int j = 0; j < TILE; j++)
        for (int k = 0; k < 5; k++) G[j][k] = k < r ? (float)gmat(j, k, r) : 0.0f;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t row = 0; row < rows; row++) {
        for (int64_t q = 0; q < cols; q += 8) {
            /* zeroed: GCC (x86-64-v2) cannot see that r = 3 reads only what it wrote */
            v8f g[5][5] = {{{0}}}, h[TILE][5] = {{{0}}};
#pragma GCC unroll 5
            for (int ky = 0; ky < r; ky++)
#pragma GCC unroll 5
                for (int kx = 0; kx < r; kx++) {
                    if (!rotate) {
                        g[ky][kx] = ld8(f + ((ky * r + kx) * C + row) * O + q);
                    } else {
                        const float *src = f + (((r - 1 - ky) * r + (r - 1 - kx)) * C + q) * O + row;
                        g[ky][kx] = (v8f){src[0], src[O], src[2 * O], src[3 * O],
                                          src[4 * O], src[5 * O], src[6 * O], src[7 * O]};
                    }
                }
#pragma GCC unroll 6
            for (int i = 0; i < TILE; i++)
#pragma GCC unroll 5
                for (int kx = 0; kx < r; kx++) {
                    v8f acc = bc8(0);
#pragma GCC unroll 5
                    for (int ky = 0; ky < r; ky++) acc = FMA8(bc8(G[i][ky]), g[ky][kx], acc);
                    h[i][kx] = acc;
                }
#pragma GCC unroll 6
            for (int i = 0; i < TILE; i++)
#pragma GCC unroll 6
                for (int j = 0; j < TILE; j++) {
                    v8f acc = bc8(0);
#pragma GCC unroll 5
                    for (int kx = 0; kx < r; kx++) acc = FMA8(bc8(G[j][kx]), h[i][kx], acc);
                    st8(U + ((int64_t)(i * TILE + j) * rows + row) * cols + q, acc);
                }
        }
    }
}

static void filter_transform(const float *f, int r, int64_t C, int64_t O, bool rotate, float *U, int nt) {
    if (r == 5) filter_transform_r(5, f, C, O, rotate, U, nt);
    else filter_transform_r(3, f, C, O, rotate, U, nt);
}

/*** Forward convolution over tiles ***/

typedef struct {
    int64_t n, h, w, c;   /* input */
    int64_t oh, ow, o;    /* output */
    int64_t pt, pl;       /* top/left padding (0..r-1) */
    int m, r;             /* outputs per tile side (2 or 4), filter size (5 or 3): m + r - 1 = 6 */
    int64_t th, tw;       /* tiles per column/row of an image */
} wgeom;

static wgeom wgeom_make(int64_t n, int64_t h, int64_t w, int64_t c, int64_t oh, int64_t ow, int64_t o,
                        int64_t pt, int64_t pl, int r) {
    int m = TILE + 1 - r;
    wgeom g = {n, h, w, c, oh, ow, o, pt, pl, m, r, (oh + m - 1) / m, (ow + m - 1) / m};
    return g;
}

/* Tiles per block: a block's transformed input [36][tb][c] and products
 * [36][tb][o], together with the transformed filter (or the filter gradient's
 * accumulator) [36][c][o] that every block reads, should stay within L2
 * (NBI_L2_WINOGRAD_BYTES, ops/cache.h); a multiple of the product kernel's 6 rows. */
static int64_t block_tiles(int64_t c, int64_t o) {
    int64_t budget = (int64_t)NBI_L2_WINOGRAD_BYTES - NPOS * c * o * (int64_t)sizeof(float);
    int64_t tb = budget / (NPOS * (c + o) * (int64_t)sizeof(float));
    tb -= tb % 6;
    return tb < 12 ? 12 : tb > 120 ? 120 : tb;
}

/* Transforms the input blocks of tiles t0..t0+nb-1 into V[nb][pos][C],
 * 8 channels at a time: B^T d B as a horizontal pass (B^T along each of the
 * tile's 6 rows) then a vertical one, every loop unrolled so that the 6x6
 * block lives in registers and on fixed stack slots. Rows and columns outside
 * the image read a clamped address inside it and are masked to 0 by bits, so
 * edge tiles take the same branch-free path as inner ones. */
static void transform_inputs(const wgeom *g, const float *x, int64_t t0, int64_t nb, float *V) {
    int64_t per = g->th * g->tw, C = g->c;
    for (int64_t b = 0; b < nb; b++) {
        int64_t t = t0 + b, n = t / per, r = t % per, ty = r / g->tw, tx = r % g->tw;
        int64_t y0 = g->m * ty - g->pt, x0 = g->m * tx - g->pl;
        const float *xi = x + n * g->h * g->w * C;
        const float *rowp[TILE];
        int64_t coff[TILE];
        int32_t rm[TILE], cm[TILE];
        for (int i = 0; i < TILE; i++) {
            int64_t y = y0 + i, xc = x0 + i;
            bool yok = y >= 0 && y < g->h, xok = xc >= 0 && xc < g->w;
            rowp[i] = xi + (yok ? y : 0) * g->w * C;
            rm[i] = yok ? -1 : 0;
            coff[i] = (xok ? xc : 0) * C;
            cm[i] = xok ? -1 : 0;
        }
        float *vb = V + b * NPOS * C;
        for (int64_t c = 0; c < C; c += 8) {
            v8f h[TILE][TILE];
#pragma GCC unroll 6
            for (int i = 0; i < TILE; i++) {
                v8f d[TILE];
#pragma GCC unroll 6
                for (int j = 0; j < TILE; j++) d[j] = (v8f)((v8i)ld8(rowp[i] + coff[j] + c) & (rm[i] & cm[j]));
                BT6(d[0], d[1], d[2], d[3], d[4], d[5], h[i]);
            }
#pragma GCC unroll 6
            for (int j = 0; j < TILE; j++) {
                v8f o[TILE];
                BT6(h[0][j], h[1][j], h[2][j], h[3][j], h[4][j], h[5][j], o);
#pragma GCC unroll 6
                for (int i = 0; i < TILE; i++) st8(vb + (i * TILE + j) * C + c, o[i]);
            }
        }
    }
}

/* Y = A^T M A for tiles t0..t0+nb-1 (products M[nb][pos][O]) into y, 8
 * output channels at a time; MM (the tile's outputs per side) is a constant
 * in each instance, so the loops unroll. */
static inline __attribute__((always_inline)) void output_transform(const int MM, const wgeom *g, const float *M,
                                                                   int64_t t0, int64_t nb, float *y) {
    int64_t per = g->th * g->tw;
    for (int64_t b = 0; b < nb; b++) {
        int64_t t = t0 + b, n = t / per, r = t % per, ty = r / g->tw, tx = r % g->tw;
        int64_t oy = MM * ty, ox = MM * tx;
        int ny = oy + MM <= g->oh ? MM : (int)(g->oh - oy), nx = ox + MM <= g->ow ? MM : (int)(g->ow - ox);
        float *yi = y + ((n * g->oh + oy) * g->ow + ox) * g->o;
        for (int64_t o = 0; o < g->o; o += 8) {
            const float *m = M + b * NPOS * g->o + o;
            /* constant loop bounds (and guards inside) keep s and out in registers */
            v8f s[4][TILE], out[4];
#pragma GCC unroll 6
            for (int j = 0; j < TILE; j++) {
                v8f c[TILE];
#pragma GCC unroll 6
                for (int i = 0; i < TILE; i++) c[i] = ld8(m + (i * TILE + j) * g->o);
                if (MM == 2) AT2(c, out);
                else AT4(c, out);
#pragma GCC unroll 4
                for (int i = 0; i < MM; i++) s[i][j] = out[i];
            }
#pragma GCC unroll 4
            for (int i = 0; i < MM; i++) {
                if (i >= ny) break;
                if (MM == 2) AT2(s[i], out);
                else AT4(s[i], out);
#pragma GCC unroll 4
                for (int j = 0; j < MM; j++)
                    if (j < nx) st8(yi + (i * g->ow + j) * g->o + o, out[j]);
            }
        }
    }
}

/* y[N, OH, OW, O] from transformed filter U[pos][C][O]. */
static void wino_conv(const wgeom *g, const float *x, const float *U, float *y,
                           float *scratch, int64_t tb, int nt) {
    int64_t T = g->n * g->th * g->tw, nblk = (T + tb - 1) / tb;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (int64_t blk = 0; blk < nblk; blk++) {
        float *V = scratch + (int64_t)omp_get_thread_num() * (NPOS * tb * (g->c + g->o));
        float *M = V + NPOS * tb * g->c;
        int64_t t0 = blk * tb, nb = t0 + tb <= T ? tb : T - t0;
        transform_inputs(g, x, t0, nb, V);
        for (int p = 0; p < NPOS; p++)
            small_gemm(nb, g->o, g->c, V + p * g->c, NPOS * g->c, 1, U + p * g->c * g->o, g->o,
                       M + p * g->o, NPOS * g->o, false);
        if (g->m == 2) output_transform(2, g, M, t0, nb, y);
        else output_transform(4, g, M, t0, nb, y);
    }
}

/* Runs a forward convolution with geometry wg and filter f (rotated or not). */
static nb_status run_forward(nbi_kctx *k, const wgeom *wg, const float *f, int64_t fc, int64_t fo,
                             bool rotate, const float *x, float *y) {
    int64_t tb = block_tiles(wg->c, wg->o), T = wg->n * wg->th * wg->tw;
    int nt = nbi_conv_threads((T + tb - 1) / tb);
    /* sizes from the filter (data: C*O*r*r floats exist) and tb tiles of output */
    size_t usz = nbi_mul_size(NPOS, nbi_mul_size((size_t)wg->c, (size_t)wg->o));
    size_t per = nbi_mul_size(nbi_mul_size(NPOS, (size_t)tb), (size_t)(wg->c + wg->o));
    float *U = nbi_kscratch(k, nbi_mul_size(add_size(usz, nbi_mul_size((size_t)nt, per)), sizeof(float)));
    if (!U) return NB_ERR_OUT_OF_MEMORY;
    filter_transform(f, wg->r, fc, fo, rotate, U, nbi_num_threads());
    wino_conv(wg, x, U, y, U + usz, tb, nt);
    return NB_OK;
}

nb_status nbi_wino_forward(nbi_kctx *k, const nbi_conv_geom *g, const float *x, const float *f, float *y) {
    wgeom wg = wgeom_make(g->n, g->h, g->w, g->c, g->oh, g->ow, g->o, g->pt, g->pl, (int)g->fh);
    return run_forward(k, &wg, f, g->c, g->o, false, x, y);
}

nb_status nbi_wino_backprop_input(nbi_kctx *k, const nbi_conv_geom *g, const float *f, const float *dy,
                                  float *dx) {
    /* dx = conv(dy, rot180(f) with C and O swapped), padding r - 1 - pad */
    wgeom wg = wgeom_make(g->n, g->oh, g->ow, g->o, g->h, g->w, g->c, g->fh - 1 - g->pt, g->fw - 1 - g->pl,
                          (int)g->fh);
    return run_forward(k, &wg, f, g->c, g->o, true, dy, dx);
}

/*** Filter gradient: F(r x r, m x m) ***/

/* W[nb][pos][O] = G' g G'^T for the m x m dy tiles of tiles t0..t0+nb-1, with
 * G' = gmat(., ., m) (6 x m); dy outside the output is 0. */
/* G' = gmat(., ., m) for m = 2 and 4, as constants the compiler can fold
 * (test_conv checks the algorithm end to end against reference loops). */
static const float Gd2[TILE][4] = {
    {1.0f / 4, 0}, {1.0f / 6, 1.0f / 6}, {1.0f / 6, -1.0f / 6}, {1.0f / 24, 1.0f / 12}, {1.0f / 24, -1.0f / 12}, {0, 1},
};
static const float Gd4[TILE][4] = {
    {1.0f / 4, 0, 0, 0},
    {1.0f / 6, 1.0f / 6, 1.0f / 6, 1.0f / 6},
    {1.0f / 6, -1.0f / 6, 1.0f / 6, -1.0f / 6},
    {1.0f / 24, 1.0f / 12, 1.0f / 6, 1.0f / 3},
    {1.0f / 24, -1.0f / 12, 1.0f / 6, -1.0f / 3},
    {0, 0, 0, 1},
};

static inline __attribute__((always_inline)) void transform_dy_m(const int m, const wgeom *g, const float *dy,
                                                                 int64_t t0, int64_t nb, float *W) {
    int64_t per = g->th * g->tw;
    const float(*Gd)[4] = m == 2 ? Gd2 : Gd4;
    for (int64_t b = 0; b < nb; b++) {
        int64_t t = t0 + b, n = t / per, r = t % per, ty = r / g->tw, tx = r % g->tw;
        int64_t oy = m * ty, ox = m * tx;
        int ny = oy + m <= g->oh ? m : (int)(g->oh - oy), nx = ox + m <= g->ow ? m : (int)(g->ow - ox);
        const float *di = dy + ((n * g->oh + oy) * g->ow + ox) * g->o;
        for (int64_t o = 0; o < g->o; o += 8) {
            v8f q[4][4], h[TILE][4];
#pragma GCC unroll 4
            for (int a = 0; a < m; a++)
#pragma GCC unroll 4
                for (int c = 0; c < m; c++) q[a][c] = a < ny && c < nx ? ld8(di + (a * g->ow + c) * g->o + o) : bc8(0);
#pragma GCC unroll 6
            for (int i = 0; i < TILE; i++)
#pragma GCC unroll 4
                for (int c = 0; c < m; c++) {
                    v8f acc = bc8(0);
#pragma GCC unroll 4
                    for (int a = 0; a < m; a++) acc += Gd[i][a] * q[a][c];
                    h[i][c] = acc;
                }
#pragma GCC unroll 6
            for (int i = 0; i < TILE; i++)
#pragma GCC unroll 6
                for (int j = 0; j < TILE; j++) {
                    v8f acc = bc8(0);
#pragma GCC unroll 4
                    for (int c = 0; c < m; c++) acc += Gd[j][c] * h[i][c];
                    st8(W + (b * NPOS + i * TILE + j) * g->o + o, acc);
                }
        }
    }
}

static void transform_dy(const wgeom *g, const float *dy, int64_t t0, int64_t nb, float *W) {
    if (g->m == 2) transform_dy_m(2, g, dy, t0, nb, W);
    else transform_dy_m(4, g, dy, t0, nb, W);
}

nb_status nbi_wino_backprop_filter(nbi_kctx *k, const nbi_conv_geom *g, const float *x, const float *dy,
                                   float *df) {
    /* tiles of dy (the conv's output), each reading a 6x6 input block */
    wgeom wg = wgeom_make(g->n, g->h, g->w, g->c, g->oh, g->ow, g->o, g->pt, g->pl, (int)g->fh);
    const int R = wg.r;
    float Ad[5][TILE]; /* A'^T (r x 6) */
    for (int i = 0; i < R; i++)
        for (int j = 0; j < TILE; j++) Ad[i][j] = (float)amat(i, j, R);
    int64_t C = g->c, O = g->o, tb = block_tiles(C, O), T = wg.n * wg.th * wg.tw;
    int64_t nblk = (T + tb - 1) / tb;
    int nt = nbi_conv_threads(nblk);
    size_t acc = nbi_mul_size(NPOS, nbi_mul_size((size_t)C, (size_t)O));
    size_t per = add_size(nbi_mul_size(nbi_mul_size(NPOS, (size_t)tb), (size_t)(C + O)), acc);
    float *scratch = nbi_kscratch(k, nbi_mul_size(nbi_mul_size((size_t)nt, per), sizeof(float)));
    if (!scratch) return NB_ERR_OUT_OF_MEMORY;
#pragma omp parallel num_threads(nt)
    {
        float *V = scratch + (size_t)omp_get_thread_num() * per, *W = V + NPOS * tb * C, *Macc = W + NPOS * tb * O;
        bool first = true;
        /* static: a fixed share of blocks per thread, so the partial sums, and
         * the gradient, are the same on every run (for a given thread count) */
#pragma omp for schedule(static)
        for (int64_t blk = 0; blk < nblk; blk++) {
            int64_t t0 = blk * tb, nb = t0 + tb <= T ? tb : T - t0;
            transform_inputs(&wg, x, t0, nb, V);
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
#pragma omp parallel for num_threads(nbi_conv_threads(C)) schedule(static)
    for (int64_t c = 0; c < C; c++)
        for (int64_t o = 0; o < O; o += 8) {
            v8f m[TILE][TILE], h[5][TILE];
            for (int p = 0; p < NPOS; p++) m[p / TILE][p % TILE] = ld8(Macc + (p * C + c) * O + o);
            for (int ky = 0; ky < R; ky++)
                for (int j = 0; j < TILE; j++) {
                    v8f s = bc8(0);
                    for (int i = 0; i < TILE; i++) s += Ad[ky][i] * m[i][j];
                    h[ky][j] = s;
                }
            for (int ky = 0; ky < R; ky++)
                for (int kx = 0; kx < R; kx++) {
                    v8f s = bc8(0);
                    for (int j = 0; j < TILE; j++) s += Ad[kx][j] * h[ky][j];
                    st8(df + ((ky * R + kx) * C + c) * O + o, s);
                }
        }
    return NB_OK;
}
