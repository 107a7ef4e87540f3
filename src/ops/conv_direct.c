/*
 * conv_direct.c — direct float32 Conv2D and Conv2DBackpropFilter for few input
 * channels (C <= 4), the first layer of an image network. There im2col + GEMM
 * multiplies over an inner dimension of only fh*fw*C (25 for a 5x5 filter on
 * grey images) and spends its time gathering patches and packing thin panels;
 * these kernels read the input in place and keep their sums in registers.
 *
 * Both kernels work on a "slab": the input rows that one band of output rows
 * reads, copied into a zero-padded buffer, so that the tap (ky, kx, c) of output
 * pixel (oy, ox) is always at slab[(oy*sh + ky*dh) row][(ox*sw + kx*dw) col][c]
 * and no border tests remain in the inner loops. The taps are flattened into
 * one list of slab offsets (xoff), in HWIO filter order, so any window,
 * stride and dilation take the same path.
 *
 * - Conv2D: a tile of PX output pixels of one row times NV vectors of output
 *   channels (2 pixels x 32 channels: 8 accumulators) lives in registers; per
 *   tap the NV filter vectors are loaded once into registers and each pixel's
 *   input scalar is broadcast against them. The last tile of a row may run
 *   past the row into the slab's zero margin; only its valid pixels are stored.
 * - Conv2DBackpropFilter: df[tap][o] = sum over pixels x(pixel + tap) dy[pixel][o].
 *   A block of T taps times NV vectors (5 taps x 16 channels for a 5x5x1
 *   filter: 10 accumulators) lives in registers while the band's pixels stream
 *   past: per pixel NV dy vectors and T broadcast inputs. Each thread adds its
 *   sums into a private partial df; the partials are added at the end in
 *   thread order, so results do not depend on scheduling.
 *
 * For x [64,28,28,1] and a 5x5x1x32 filter (SAME) each kernel takes about
 * 0.9 ms at one thread on a Zen 3 core with AVX2 (80 GFLOP/s), against 4-6 ms
 * for im2col + OpenBLAS.
 *
 * Work is spread over OpenMP threads in (image, band of output rows) tasks,
 * statically. O need not be a multiple of 8: the filter (forward) and the
 * dy band (backprop) are then copied with O rounded up, and the tails of the
 * outputs are stored through a small buffer.
 *
 * Vectors are GCC vector extensions: 8 floats with AVX, 4 with SSE only
 * (x86-64-v2). GCC in ISO C mode (-std=c11) does not contract a*b + c into an
 * FMA, so FMAV names the instruction when the target has it; clang contracts
 * within an expression by default.
 */
#include "conv_impl.h"
#include "nb_internal.h"
#include "ops/cache.h"

#include <omp.h>
#include <string.h>

typedef nbi_conv_geom geom;

/* One vector register of floats: 8 with AVX, else 4 (x86-64-v2). The
 * accessors are macros: a function taking or returning a 32-byte vector
 * without AVX changes the ABI, which -Wpsabi reports. */
#if defined(__AVX__)
enum { VW = 8 };
typedef float vf __attribute__((vector_size(32)));
typedef float vf_u __attribute__((vector_size(32), aligned(4), may_alias));
#define BCV(s) ((vf){(s), (s), (s), (s), (s), (s), (s), (s)})
#else
enum { VW = 4 };
typedef float vf __attribute__((vector_size(16)));
typedef float vf_u __attribute__((vector_size(16), aligned(4), may_alias));
#define BCV(s) ((vf){(s), (s), (s), (s)})
#endif
#define LDV(p) (*(const vf_u *)(p))
#define STV(p, v) (*(vf_u *)(p) = (v))
/* a*b + c as one FMA where the target has it: GCC in ISO C mode (-std=c11)
 * does not contract a*b + c; clang does within an expression. */
#if defined(__FMA__) && defined(__AVX__) && defined(__GNUC__) && !defined(__clang__)
#define FMAV(a, b, c) __builtin_ia32_vfmaddps256((a), (b), (c))
#else
#define FMAV(a, b, c) ((a) * (b) + (c))
#endif
/* Keeps v in a register: without this GCC folds a filter vector's load into
 * every FMA that uses it, and the forward loop becomes bound by loads. */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define PIN(v) __asm__("" : "+x"(v))
#else
#define PIN(v) ((void)0)
#endif

/* X(a, i); for i = 0 .. N-1, N a constant of at most 8, unrolled by the
 * preprocessor: the accumulator arrays below are only ever indexed by
 * constants, so every compiler keeps them in registers. REP_B is REP_A again,
 * for use inside it. Arrays indexed this way have REPMAX entries, so that the
 * branches not taken index within bounds. */
enum { REPMAX = 8 };
#define REP_A(N, X, a)                     \
    do {                                   \
        if (0 < (N)) { X(a, 0); }          \
        if (1 < (N)) { X(a, 1); }          \
        if (2 < (N)) { X(a, 2); }          \
        if (3 < (N)) { X(a, 3); }          \
        if (4 < (N)) { X(a, 4); }          \
        if (5 < (N)) { X(a, 5); }          \
        if (6 < (N)) { X(a, 6); }          \
        if (7 < (N)) { X(a, 7); }          \
    } while (0)
#define REP_B(N, X, a)                     \
    do {                                   \
        if (0 < (N)) { X(a, 0); }          \
        if (1 < (N)) { X(a, 1); }          \
        if (2 < (N)) { X(a, 2); }          \
        if (3 < (N)) { X(a, 3); }          \
        if (4 < (N)) { X(a, 4); }          \
        if (5 < (N)) { X(a, 5); }          \
        if (6 < (N)) { X(a, 6); }          \
        if (7 < (N)) { X(a, 7); }          \
    } while (0)

enum {
    MAXNV = 4, /* forward: output-channel vectors per tile */
    MAXPX = 8, /* forward: pixels per tile, at most */
    BNV = 2,   /* backprop: output-channel vectors per block */
    BT = 6,    /* backprop: taps per block, at most */
};

/* The slab holds (MAXPX - 1) strides past the last output pixel and the whole
 * dilated window: with strides or dilations beyond a few pixels it would be far
 * larger than the data (a stride of 2^31-1 asked for 180 GB), so those go to
 * im2col, whose scratch follows the output. */
enum { MAX_STEP = 16 };
bool nbi_convd_applies(const nbi_conv_geom *g) {
    return g->c >= 1 && g->c <= 4 && g->fh >= 1 && g->fw >= 1 && g->o >= 1 && g->sh >= 1 && g->sw >= 1 &&
           g->dh >= 1 && g->dw >= 1 && g->n >= 0 && g->h >= 0 && g->w >= 0 && g->oh >= 0 && g->ow >= 0 &&
           g->sh <= MAX_STEP && g->sw <= MAX_STEP && g->dh <= MAX_STEP && g->dw <= MAX_STEP;
}

/*** Slabs ***/

typedef struct {
    int64_t K;      /* taps: fh*fw*C */
    int64_t op;     /* O rounded up to a multiple of 8 */
    int64_t wp;     /* slab width in pixels, with the forward tile's overrun */
    int64_t ws;     /* floats per slab row: wp*C */
    int64_t rb;     /* output rows per band */
    int64_t nbands; /* bands per image */
    int64_t srows;  /* slab rows of a full band */
} plan;

static size_t round16(size_t floats) { return floats > SIZE_MAX - 15 ? SIZE_MAX : (floats + 15) & ~(size_t)15; }

/* Sizes and bands. Bands split images only when there are too few images to
 * keep nt threads busy, or when an image's slab would not stay near L2 (ops/cache.h). */
static void make_plan(const geom *g, int nt, plan *p) {
    p->K = g->fh * g->fw * g->c;
    p->op = (g->o + 7) / 8 * 8;
    p->wp = (g->ow - 1) * g->sw + (g->fw - 1) * g->dw + 1 + (MAXPX - 1) * g->sw;
    p->ws = p->wp * g->c;
    int64_t rb = g->oh;
    if (nt > 1 && g->n > 0) {
        int64_t want = (4 * (int64_t)nt + g->n - 1) / g->n;
        if (want > 1) rb = (g->oh + want - 1) / want;
    }
    int64_t cap = (int64_t)(NBI_L2_DIRECT_SLAB_BYTES / sizeof(float)) / (p->ws * g->sh);
    if (rb > cap) rb = cap;
    if (rb < 1) rb = 1;
    p->rb = rb;
    p->nbands = g->oh > 0 ? (g->oh + rb - 1) / rb : 0;
    p->srows = (rb - 1) * g->sh + (g->fh - 1) * g->dh + 1;
}

/* Offsets of the taps (ky, kx, c), in filter order, from a pixel's origin. */
static void tap_offsets(const geom *g, const plan *p, int64_t *xoff) {
    int64_t t = 0;
    for (int64_t ky = 0; ky < g->fh; ky++)
        for (int64_t kx = 0; kx < g->fw; kx++)
            for (int64_t c = 0; c < g->c; c++) xoff[t++] = ky * g->dh * p->ws + kx * g->dw * g->c + c;
}

/* Copies the input rows that output rows oy0.. read (nrows slab rows) of image
 * xi into slab, zero where the window hangs over the image. */
static void fill_slab(const geom *g, const plan *p, const float *xi, int64_t oy0, int64_t nrows, float *slab) {
    int64_t C = g->c, c0 = g->pl < 0 ? 0 : g->pl, c1 = g->pl + g->w;
    if (c0 > p->wp) c0 = p->wp;
    if (c1 > p->wp) c1 = p->wp;
    if (c1 < c0) c1 = c0;
    for (int64_t r = 0; r < nrows; r++) {
        float *d = slab + r * p->ws;
        int64_t iy = oy0 * g->sh + r - g->pt;
        if (iy < 0 || iy >= g->h) {
            memset(d, 0, sizeof(float) * (size_t)p->ws);
            continue;
        }
        memset(d, 0, sizeof(float) * (size_t)(c0 * C));
        memcpy(d + c0 * C, xi + (iy * g->w + c0 - g->pl) * C, sizeof(float) * (size_t)((c1 - c0) * C));
        memset(d + c1 * C, 0, sizeof(float) * (size_t)((p->wp - c1) * C));
    }
}

/*** Conv2D ***/

/* Tile pieces, by (pixel, vector) or (_, index); see fwd_row. */
#define F_ZERO(p, v) acc[p][v] = BCV(0.0f)
#define F_ZERO_P(_, p) REP_B(NV, F_ZERO, p)
#define F_LOAD(_, v) fv[v] = LDV(ft + VW * (v)); PIN(fv[v])
#define F_FMA(p, v) acc[p][v] = FMAV(s, fv[v], acc[p][v])
#define F_PIX(_, p) s = BCV(xt[(p) * xstep]); REP_B(NV, F_FMA, p)
#define F_ST(p, v) STV(yp + (p) * ldy + VW * (v), acc[p][v])
#define F_ST_P(_, p) REP_B(NV, F_ST, p)
#define F_TMP(p, v) STV(tmp[p] + VW * (v), acc[p][v])
#define F_TMP_P(_, p) REP_B(NV, F_TMP, p)

/* One output row, output channels [0, no) of the block at yr (ldy floats
 * between pixels), in tiles of PX pixels x NV vectors. xr: the row's slab
 * origin; xstep: floats between neighbouring pixels in the slab; fb: filter
 * rows, ldf apart (zero beyond no). */
static inline __attribute__((always_inline)) void
fwd_row(const int NV, const int PX, int64_t K, const int64_t *xoff, const float *xr, int64_t xstep,
        const float *fb, int64_t ldf, int64_t ow, float *yr, int64_t ldy, int64_t no) {
    for (int64_t ox = 0; ox < ow; ox += PX) {
        vf acc[REPMAX][REPMAX], fv[REPMAX], s; /* REPMAX: see REP_A */
        REP_A(PX, F_ZERO_P, 0);
        const float *xp = xr + ox * xstep;
        for (int64_t t = 0; t < K; t++) {
            const float *xt = xp + xoff[t], *ft = fb + t * ldf;
            REP_A(NV, F_LOAD, 0);
            REP_A(PX, F_PIX, 0);
        }
        float *yp = yr + ox * ldy;
        int64_t np = ow - ox < PX ? ow - ox : PX;
        if (np == PX && no == VW * NV) {
            REP_A(PX, F_ST_P, 0);
        } else {
            float tmp[REPMAX][VW * REPMAX];
            REP_A(PX, F_TMP_P, 0);
            for (int64_t p = 0; p < np; p++) memcpy(yp + p * ldy, tmp[p], sizeof(float) * (size_t)no);
        }
    }
}

typedef void (*fwd_row_fn)(int64_t, const int64_t *, const float *, int64_t, const float *, int64_t, int64_t,
                           float *, int64_t, int64_t);
#define FWD_ROW_FN(NV, PX)                                                                                  \
    static void fwd_row_##NV(int64_t K, const int64_t *xoff, const float *xr, int64_t xstep, const float *fb, \
                             int64_t ldf, int64_t ow, float *yr, int64_t ldy, int64_t no) {                \
        fwd_row(NV, PX, K, xoff, xr, xstep, fb, ldf, ow, yr, ldy, no);                                     \
    }
/* Tile widths: NV*PX accumulators and NV filter vectors in registers (on Zen 3
 * with AVX2, 2 pixels x 32 channels with the filter in registers beat 3 x 32
 * with the filter read from memory by 40%). */
FWD_ROW_FN(1, 8) FWD_ROW_FN(2, 4) FWD_ROW_FN(3, 4) FWD_ROW_FN(4, 2)
static const fwd_row_fn fwd_rows[MAXNV + 1] = {NULL, fwd_row_1, fwd_row_2, fwd_row_3, fwd_row_4};

nb_status nbi_convd_forward(nbi_kctx *k, const geom *g, const float *x, const float *f, float *y) {
    if (g->n == 0 || g->oh == 0 || g->ow == 0 || g->o == 0) return NB_OK;
    int nt = nbi_num_threads();
    plan p;
    make_plan(g, nt, &p);
    int64_t tasks = g->n * p.nbands;
    nt = nbi_conv_threads(tasks);
    bool pack = p.op != g->o; /* filter rows copied to a multiple of 8 */
    size_t offsz = round16(nbi_mul_size((size_t)p.K, 2)), fsz = pack ? round16(nbi_mul_size((size_t)p.K, (size_t)p.op)) : 0;
    size_t slabsz = round16(nbi_mul_size((size_t)p.srows, (size_t)p.ws));
    size_t total = nbi_mul_size((size_t)nt, slabsz);
    total = total > SIZE_MAX - offsz - fsz ? SIZE_MAX : total + offsz + fsz;
    float *s = nbi_kscratch(k, nbi_mul_size(total, sizeof(float)));
    if (!s) return NB_ERR_OUT_OF_MEMORY;
    int64_t *xoff = (int64_t *)(void *)s;
    tap_offsets(g, &p, xoff);
    const float *fb = f;
    int64_t ldf = g->o;
    if (pack) {
        float *fp = s + offsz;
        for (int64_t t = 0; t < p.K; t++) {
            memcpy(fp + t * p.op, f + t * g->o, sizeof(float) * (size_t)g->o);
            memset(fp + t * p.op + g->o, 0, sizeof(float) * (size_t)(p.op - g->o));
        }
        fb = fp, ldf = p.op;
    }
    float *slabs = s + offsz + fsz;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t task = 0; task < tasks; task++) {
        float *slab = slabs + (size_t)omp_get_thread_num() * slabsz;
        int64_t n = task / p.nbands, oy0 = task % p.nbands * p.rb;
        int64_t oy1 = oy0 + p.rb < g->oh ? oy0 + p.rb : g->oh;
        fill_slab(g, &p, x + n * g->h * g->w * g->c, oy0, (oy1 - oy0 - 1) * g->sh + (g->fh - 1) * g->dh + 1,
                  slab);
        for (int64_t oy = oy0; oy < oy1; oy++) {
            const float *xr = slab + (oy - oy0) * g->sh * p.ws;
            float *yr = y + (n * g->oh + oy) * g->ow * g->o;
            for (int64_t ob = 0; ob < p.op; ob += VW * MAXNV) {
                int64_t nv = (p.op - ob) / VW < MAXNV ? (p.op - ob) / VW : MAXNV;
                int64_t no = g->o - ob < VW * nv ? g->o - ob : VW * nv;
                fwd_rows[nv](p.K, xoff, xr, g->sw * g->c, fb + ob, ldf, g->ow, yr + ob, g->o, no);
            }
        }
    }
    return NB_OK;
}

/*** Conv2DBackpropFilter ***/

/* Block pieces, by (tap, vector) or (_, index); see bf_block. */
#define B_ZERO(t, v) acc[t][v] = BCV(0.0f)
#define B_INIT(_, t) xo[t] = xoff[t]; REP_B(NV, B_ZERO, t)
#define B_LOAD(_, v) d[v] = LDV(dp + VW * (v)); PIN(d[v])
#define B_FMA(t, v) acc[t][v] = FMAV(s, d[v], acc[t][v])
#define B_TAP(_, t) s = BCV(xp[xo[t]]); REP_B(NV, B_FMA, t)
#define B_ADD(t, v) STV(part + (t) * ldp + VW * (v), LDV(part + (t) * ldp + VW * (v)) + acc[t][v])
#define B_ADD_T(_, t) REP_B(NV, B_ADD, t)

/* part[t][0 .. VW*NV) (rows ldp apart) += sum over the band's pixels of
 * x(pixel + xoff[t]) dy[pixel][0 .. VW*NV), for T taps. The band has rows x ow
 * pixels; output row r starts at slab xb + r*rstep, its pixels xstep apart;
 * dy rows of pixels are ldd floats apart. */
static inline __attribute__((always_inline)) void
bf_block(const int NV, const int T, const int64_t *xoff, const float *xb, int64_t rstep, int64_t xstep,
         int64_t rows, int64_t ow, const float *dyb, int64_t ldd, float *part, int64_t ldp) {
    vf acc[REPMAX][REPMAX], d[REPMAX], s; /* REPMAX: see REP_A */
    int64_t xo[REPMAX];
    REP_A(T, B_INIT, 0);
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = xb + r * rstep, *dr = dyb + r * ow * ldd;
        for (int64_t ox = 0; ox < ow; ox++) {
            const float *xp = xr + ox * xstep, *dp = dr + ox * ldd;
            REP_A(NV, B_LOAD, 0);
            REP_A(T, B_TAP, 0);
        }
    }
    REP_A(T, B_ADD_T, 0);
}

typedef void (*bf_block_fn)(const int64_t *, const float *, int64_t, int64_t, int64_t, int64_t, const float *,
                            int64_t, float *, int64_t);
#define BF_BLOCK_FN(NV, T)                                                                              \
    static void bf_block_##NV##_##T(const int64_t *xoff, const float *xb, int64_t rstep, int64_t xstep, \
                                    int64_t rows, int64_t ow, const float *dyb, int64_t ldd, float *part, \
                                    int64_t ldp) {                                                      \
        bf_block(NV, T, xoff, xb, rstep, xstep, rows, ow, dyb, ldd, part, ldp);                          \
    }
BF_BLOCK_FN(1, 1) BF_BLOCK_FN(1, 2) BF_BLOCK_FN(1, 3) BF_BLOCK_FN(1, 4) BF_BLOCK_FN(1, 5) BF_BLOCK_FN(1, 6)
BF_BLOCK_FN(2, 1) BF_BLOCK_FN(2, 2) BF_BLOCK_FN(2, 3) BF_BLOCK_FN(2, 4) BF_BLOCK_FN(2, 5) BF_BLOCK_FN(2, 6)
static const bf_block_fn bf_blocks[BNV + 1][BT + 1] = {
    {NULL},
    {NULL, bf_block_1_1, bf_block_1_2, bf_block_1_3, bf_block_1_4, bf_block_1_5, bf_block_1_6},
    {NULL, bf_block_2_1, bf_block_2_2, bf_block_2_3, bf_block_2_4, bf_block_2_5, bf_block_2_6},
};

nb_status nbi_convd_backprop_filter(nbi_kctx *k, const geom *g, const float *x, const float *dy, float *df) {
    int64_t K = g->fh * g->fw * g->c, KO = K * g->o;
    if (KO == 0) return NB_OK;
    if (g->n == 0 || g->oh == 0 || g->ow == 0) {
        memset(df, 0, sizeof(float) * (size_t)KO);
        return NB_OK;
    }
    int nt = nbi_num_threads();
    plan p;
    make_plan(g, nt, &p);
    int64_t tasks = g->n * p.nbands;
    nt = nbi_conv_threads(tasks);
    bool pad = p.op != g->o; /* dy rows copied to a multiple of 8 */
    size_t offsz = round16(nbi_mul_size((size_t)K, 2)), partsz = round16(nbi_mul_size((size_t)K, (size_t)p.op));
    size_t slabsz = round16(nbi_mul_size((size_t)p.srows, (size_t)p.ws));
    size_t dysz = pad ? round16(nbi_mul_size((size_t)(p.rb * g->ow), (size_t)p.op)) : 0;
    size_t per = partsz + slabsz;
    per = per > SIZE_MAX - dysz ? SIZE_MAX : per + dysz;
    size_t total = nbi_mul_size((size_t)nt, per);
    total = total > SIZE_MAX - offsz ? SIZE_MAX : total + offsz;
    float *s = nbi_kscratch(k, nbi_mul_size(total, sizeof(float)));
    if (!s) return NB_ERR_OUT_OF_MEMORY;
    int64_t *xoff = (int64_t *)(void *)s;
    tap_offsets(g, &p, xoff);
    float *mine0 = s + offsz;
    int64_t nblk = (K + BT - 1) / BT; /* tap blocks of near-equal size */
#pragma omp parallel num_threads(nt)
    {
        float *part = mine0 + (size_t)omp_get_thread_num() * per, *slab = part + partsz, *dyp = slab + slabsz;
        memset(part, 0, sizeof(float) * (size_t)(K * p.op));
#pragma omp for schedule(static)
        for (int64_t task = 0; task < tasks; task++) {
            int64_t n = task / p.nbands, oy0 = task % p.nbands * p.rb;
            int64_t oy1 = oy0 + p.rb < g->oh ? oy0 + p.rb : g->oh, rows = oy1 - oy0;
            fill_slab(g, &p, x + n * g->h * g->w * g->c, oy0, (rows - 1) * g->sh + (g->fh - 1) * g->dh + 1, slab);
            const float *dyb = dy + (n * g->oh + oy0) * g->ow * g->o;
            int64_t ldd = g->o;
            if (pad) {
                for (int64_t i = 0; i < rows * g->ow; i++) {
                    memcpy(dyp + i * p.op, dyb + i * g->o, sizeof(float) * (size_t)g->o);
                    memset(dyp + i * p.op + g->o, 0, sizeof(float) * (size_t)(p.op - g->o));
                }
                dyb = dyp, ldd = p.op;
            }
            for (int64_t b = 0; b < nblk; b++) {
                int64_t t0 = b * K / nblk, t1 = (b + 1) * K / nblk;
                for (int64_t ob = 0; ob < p.op; ob += VW * BNV) {
                    int64_t nv = (p.op - ob) / VW < BNV ? (p.op - ob) / VW : BNV;
                    bf_blocks[nv][t1 - t0](xoff + t0, slab, g->sh * p.ws, g->sw * g->c, rows, g->ow, dyb + ob, ldd,
                                           part + t0 * p.op + ob, p.op);
                }
            }
        }
    }
    for (int64_t t = 0; t < K; t++)
        for (int64_t o = 0; o < g->o; o++) {
            float sum = 0;
            for (int i = 0; i < nt; i++) sum += mine0[(size_t)i * per + (size_t)(t * p.op + o)];
            df[t * g->o + o] = sum;
        }
    return NB_OK;
}
