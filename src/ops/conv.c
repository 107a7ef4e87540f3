/*
 * conv.c — Conv2D with its two backprop ops and MaxPool/AvgPool with their
 * gradients (FusedBatchNorm is in norm.c). NHWC data, HWIO
 * filters; output sizes and the SAME padding split follow TensorFlow's
 * GetWindowedOutputSizeVerbose (tensorflow/core/framework/kernel_shape_util.cc).
 *
 * float32 convolutions first try the specialised kernels of conv_impl.h: a
 * direct kernel for few input channels (conv_direct.c) and Winograd F(2x2,5x5)
 * for 5x5 stride-1 layers (conv_winograd.c). Everything else (and float64) is
 * lowered to GEMM (im2col): the patches of a block of output
 * pixels are gathered into a [rows, fh*fw*C] matrix (HWIO filters are already
 * that matrix's [fh*fw*C, O] partner), multiplied with the BLAS, and for the
 * input gradient scattered back (col2im). Blocks of output rows are spread over
 * OpenMP threads, each thread calling the BLAS on its own block: inside a
 * parallel region OpenMP OpenBLAS runs single-threaded, so the two pools never
 * compete, and each block's patch matrix stays in the thread's L2 cache. The
 * patch buffers are per-step scratch (nbi_kscratch), kept across runs. A 1x1,
 * stride-1 convolution needs no patches and is one BLAS call over the batch.
 *
 * Attributes (nbi_attrs): ints[0..1] strides (h, w); ints[2..3] dilations (conv)
 * or ksize (pools); ints[4] padding (1 SAME, 0 VALID).
 */
#include "conv_impl.h"
#include "ops/ops_impl.h"
#include "graph/graphdef_attrs.h"
#include "ops/cache.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>

enum { A_SH, A_SW, A_DH, A_DW, A_SAME, A_N };

/*** Geometry ***/

typedef nbi_conv_geom geom; /* conv_impl.h */

/* TF's windowed output size (GetWindowedOutputSizeVerbose), in arithmetic that
 * cannot overflow for any sizes, strides and dilations up to 2^63-1: WIN_OK,
 * WIN_NEGATIVE (the size would be negative) or WIN_OVERFLOW (the effective
 * filter size (k - 1) * d + 1 does not fit in int64). in < 0: unknown. */
enum { WIN_OK, WIN_NEGATIVE, WIN_OVERFLOW };
static int win_size(int64_t in, int64_t k, int64_t d, int64_t s, bool same, int64_t *out,
                    int64_t *pad, int64_t *ek_out) {
    int64_t ek;
    *pad = 0;
    *out = -1;
    if (k < 1 || d < 1 || s < 1 || __builtin_mul_overflow(k - 1, d, &ek) || ek == INT64_MAX)
        return WIN_OVERFLOW;
    *ek_out = ++ek;
    if (in < 0) return WIN_OK;
    if (same) {
        *out = in / s + (in % s != 0); /* ceil(in / s) */
        /* (out - 1) * s + ek - in, as ek - (in - (out - 1) * s): in - (out-1)*s is in [1, s] */
        int64_t tot = *out > 0 ? ek - (in - (*out - 1) * s) : ek - in - s;
        *pad = tot > 0 ? tot / 2 : 0;
    } else {
        /* (in - ek + s) / s, truncating toward zero as C++ does */
        *out = in >= ek ? (in - ek) / s + 1 : (s - (ek - in)) / s;
    }
    return *out >= 0 ? WIN_OK : WIN_NEGATIVE;
}

/* Fills g's spatial output fields from its input, window and attrs. On a
 * negative size or an overflow writes a message into msg and returns false. */
static bool geom_out(geom *g, const nbi_attrs *a, char *msg, size_t n) {
    bool same = a->ints[A_SAME] != 0;
    for (int i = 0; i < 2; i++) {
        int64_t in = i ? g->w : g->h, k = i ? g->fw : g->fh, d = i ? g->dw : g->dh, s = i ? g->sw : g->sh;
        int64_t *out = i ? &g->ow : &g->oh, *pad = i ? &g->pl : &g->pt, ek = 0;
        switch (win_size(in, k, d, s, same, out, pad, &ek)) {
        case WIN_NEGATIVE:
            snprintf(msg, n, "Computed output size would be negative: %lld [input_size: %lld, effective_filter_size: %lld, stride: %lld]",
                     (long long)*out, (long long)in, (long long)ek, (long long)s);
            return false;
        case WIN_OVERFLOW:
            snprintf(msg, n, "The effective filter %s (filter_size - 1) * dilation + 1 overflows int64: "
                             "filter_size %lld, dilation %lld",
                     i ? "width" : "height", (long long)k, (long long)d);
            return false;
        default:
            break;
        }
    }
    return true;
}

static bool is_conv(int type) {
    return type == NBI_OP_CONV2D || type == NBI_OP_CONV2D_BACKPROP_INPUT ||
           type == NBI_OP_CONV2D_BACKPROP_FILTER;
}

/* Geometry from an input shape [N,H,W,C] and, for convolutions, a filter shape
 * [fh,fw,C,O] (pools take the window from ksize). Dims may be -1 (unknown). */
static void geom_make(geom *g, const int64_t *x, const int64_t *f, const nbi_attrs *a, bool conv) {
    g->n = x[0], g->h = x[1], g->w = x[2], g->c = x[3];
    g->sh = a->ints[A_SH], g->sw = a->ints[A_SW];
    if (conv) {
        g->fh = f[0], g->fw = f[1], g->o = f[3];
        g->dh = a->ints[A_DH], g->dw = a->ints[A_DW];
    } else {
        g->fh = a->ints[A_DH], g->fw = a->ints[A_DW], g->o = g->c;
        g->dh = g->dw = 1;
    }
}

static const int64_t unknown4[4] = {-1, -1, -1, -1};

static bool float_type(nb_dtype dt) { return dt == NB_FLOAT32 || dt == NB_FLOAT64; }

static nb_status check_rank4(nb_op *op, int i) {
    const nb_shape *s = nbi_in_shape(op, i);
    if (s->rank >= 0 && s->rank != 4)
        return nbi_infer_error(op, NB_ERR_SHAPE, "Shape must be rank 4 but is rank %d", s->rank);
    return NB_OK;
}

static const int64_t *dims4(const nb_shape *s) { return s->rank == 4 ? s->dims : unknown4; }

/*** Shape inference ***/

/* Output shape of a forward conv/pool from known-or-unknown input/filter dims. */
static nb_status infer_forward(nb_op *op, const int64_t *x, const int64_t *f, nb_shape *out) {
    geom g;
    bool conv = is_conv(op->type);
    geom_make(&g, x, f, &op->attrs, conv);
    if (conv && g.c >= 0 && f[2] >= 0 && g.c != f[2])
        return nbi_infer_error(op, NB_ERR_SHAPE, "Depth of input (%lld) does not match the input depth of filter (%lld)",
                               (long long)g.c, (long long)f[2]);
    if (conv && (g.fh == 0 || g.fw == 0))
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "filter must have a positive height and width");
    char msg[256];
    if ((!conv || g.fh >= 0) && (!conv || g.fw >= 0)) {
        if (!geom_out(&g, &op->attrs, msg, sizeof msg))
            return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "%s", msg);
    } else {
        g.oh = g.ow = -1;
    }
    if (conv && g.fh < 0) g.oh = -1;
    if (conv && g.fw < 0) g.ow = -1;
    *out = NB_SHAPE(g.n, g.oh, g.ow, conv ? g.o : g.c);
    return NB_OK;
}

static nb_status infer_conv_family(nb_op *op) {
    int t = op->type;
    /* data inputs: Conv2D (x, f); BackpropInput (sizes, f, dy); BackpropFilter (x, sizes, dy);
     * MaxPool (x); MaxPoolGrad (x, y, dy); AvgPool (x); AvgPoolGrad (sizes, dy) */
    int sizes = t == NBI_OP_CONV2D_BACKPROP_INPUT || t == NBI_OP_AVG_POOL_GRAD ? 0
                : t == NBI_OP_CONV2D_BACKPROP_FILTER                         ? 1
                                                                             : -1;
    nb_dtype dt = NB_DTYPE_INVALID;
    for (int i = 0; i < op->n_inputs; i++) {
        nb_dtype d = nbi_in_dtype(op, i);
        if (i == sizes) {
            if (d != NB_INT32 && d != NB_INT64)
                return nbi_infer_error(op, NB_ERR_DTYPE, "input %d (the sizes) must be int32, got %s", i,
                                       nbi_dtype_tfname(d));
            const nb_shape *s = nbi_in_shape(op, i);
            if (s->rank >= 0 && (s->rank != 1 || (s->dims[0] >= 0 && s->dims[0] != 4)))
                return nbi_infer_error(op, NB_ERR_SHAPE, "input %d (the sizes) must be a vector of 4 ints", i);
            continue;
        }
        if (!float_type(d))
            return nbi_infer_error(op, NB_ERR_DTYPE, "%s supports float and double, not %s", op->def->type,
                                   nbi_dtype_tfname(d));
        if (dt != NB_DTYPE_INVALID && d != dt)
            return nbi_infer_error(op, NB_ERR_DTYPE, "input %d has type %s, expected %s", i, nbi_dtype_tfname(d),
                                   nbi_dtype_tfname(dt));
        dt = d;
        nb_status st = check_rank4(op, i);
        if (st != NB_OK) return st;
    }
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = dt;
    nb_shape o;
    nb_status st = NB_OK;
    int64_t sz[4];
    switch (t) {
    case NBI_OP_CONV2D:
        st = infer_forward(op, dims4(nbi_in_shape(op, 0)), dims4(nbi_in_shape(op, 1)), &o);
        break;
    case NBI_OP_MAX_POOL:
    case NBI_OP_AVG_POOL:
        st = infer_forward(op, dims4(nbi_in_shape(op, 0)), NULL, &o);
        break;
    case NBI_OP_MAX_POOL_GRAD: {
        const int64_t *x = dims4(nbi_in_shape(op, 0));
        st = infer_forward(op, x, NULL, &o);
        if (st == NB_OK) {
            const int64_t *dy = dims4(nbi_in_shape(op, 2));
            for (int i = 0; i < 4; i++)
                if (dy[i] >= 0 && o.dims[i] >= 0 && dy[i] != o.dims[i])
                    return nbi_infer_error(op, NB_ERR_SHAPE, "grad does not match the pooled shape of orig_input");
        }
        o = nb_shape_make(4, x);
        break;
    }
    case NBI_OP_CONV2D_BACKPROP_INPUT:
    case NBI_OP_AVG_POOL_GRAD: {
        const int64_t *dy = dims4(nbi_in_shape(op, op->n_inputs - 1));
        if (nbi_const_ints(op, 0, sz, 4) == 4) {
            o = nb_shape_make(4, sz);
        } else {
            int64_t c = t == NBI_OP_AVG_POOL_GRAD ? dy[3] : dims4(nbi_in_shape(op, 1))[2];
            o = NB_SHAPE(dy[0], -1, -1, c);
        }
        break;
    }
    case NBI_OP_CONV2D_BACKPROP_FILTER:
    default: {
        const int64_t *x = dims4(nbi_in_shape(op, 0)), *dy = dims4(nbi_in_shape(op, 2));
        if (nbi_const_ints(op, 1, sz, 4) == 4) {
            o = nb_shape_make(4, sz);
            if (x[3] >= 0 && x[3] != sz[2])
                return nbi_infer_error(op, NB_ERR_SHAPE, "Depth of input (%lld) does not match the input depth of filter (%lld)",
                                       (long long)x[3], (long long)sz[2]);
        } else {
            o = NB_SHAPE(-1, -1, x[3], dy[3]);
        }
        break;
    }
    }
    if (st != NB_OK) return st;
    for (int i = 0; i < 4; i++)
        if (o.dims[i] < -1) return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "sizes must not be negative");
    op->out_shape[0] = o;
    return NB_OK;
}

/*** BLAS and thread helpers ***/

/* C[m,n] = A[m,k] B[k,n] + beta C, row-major, optional transposes; sizes
 * beyond the BLAS's 32-bit integers go in blocks (nbi_gemm). */
static void gemm(nb_dtype dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void *a,
                 int64_t lda, const void *b, int64_t ldb, double beta, void *c, int64_t ldc) {
    nbi_gemm(dt, ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
}

/* Rows of patches per block: enough for an efficient GEMM, small enough for the
 * block's patch matrix to stay near L2 size (ops/cache.h), and enough blocks to balance threads. */
static int64_t block_rows(int64_t total, int64_t kbytes, int nt) {
    int64_t r = (int64_t)NBI_L2_IM2COL_BYTES / (kbytes > 0 ? kbytes : 1);
    if (r < 64) r = 64;
    if (r > 4096) r = 4096;
    int64_t bal = (total + 4 * nt - 1) / (4 * nt);
    if (nt > 1 && bal < r) r = bal < 32 ? 32 : bal;
    if (r > total) r = total; /* scratch follows the output: 1 row for a 1x1 output */
    return r < 1 ? 1 : r;
}

/*** im2col / col2im ***/

/* Writes the patch rows r0..r1-1 (global output pixel index n*OH*OW + p) of x
 * into col ([r1-r0, fh*fw*C]). Element-size generic: NHWC keeps a pixel's
 * channels contiguous, so each copy is C (or fw*C) elements. */
static void im2col(const geom *g, const char *x, int64_t r0, int64_t r1, char *col, size_t es) {
    int64_t P = g->oh * g->ow;
    size_t cb = (size_t)g->c * es, rowb = (size_t)g->fw * cb, kb = (size_t)g->fh * rowb;
    for (int64_t r = r0; r < r1; r++) {
        int64_t n = r / P, p = r % P, oy = p / g->ow, ox = p % g->ow;
        const char *xi = x + (size_t)(n * g->h * g->w) * cb;
        char *d = col + (size_t)(r - r0) * kb;
        int64_t ix0 = ox * g->sw - g->pl;
        bool full = g->dw == 1 && ix0 >= 0 && ix0 + g->fw <= g->w;
        for (int64_t ky = 0; ky < g->fh; ky++, d += rowb) {
            int64_t iy = oy * g->sh - g->pt + ky * g->dh;
            if (iy < 0 || iy >= g->h) {
                memset(d, 0, rowb);
                continue;
            }
            const char *xr = xi + (size_t)(iy * g->w) * cb;
            if (full) {
                memcpy(d, xr + (size_t)ix0 * cb, rowb);
                continue;
            }
            for (int64_t kx = 0; kx < g->fw; kx++) {
                int64_t ix = ix0 + kx * g->dw;
                if (ix < 0 || ix >= g->w) memset(d + (size_t)kx * cb, 0, cb);
                else memcpy(d + (size_t)kx * cb, xr + (size_t)ix * cb, cb);
            }
        }
    }
}

/* Adds the patch rows of images n0..n0+nb-1 (col: [nb*OH*OW, fh*fw*C]) into
 * dx, which the caller zeroed. Images are disjoint, so blocks of whole images
 * may run in parallel. */
#define COL2IM_BODY(T)                                                                   \
    {                                                                                    \
        int64_t C = g->c;                                                                \
        const T *s = col;                                                                \
        for (int64_t n = n0; n < n0 + nb; n++) {                                         \
            T *di = dx + n * g->h * g->w * C;                                            \
            for (int64_t oy = 0; oy < g->oh; oy++)                                       \
                for (int64_t ox = 0; ox < g->ow; ox++) {                                 \
                    for (int64_t ky = 0; ky < g->fh; ky++) {                             \
                        int64_t iy = oy * g->sh - g->pt + ky * g->dh;                    \
                        if (iy < 0 || iy >= g->h) {                                      \
                            s += g->fw * C;                                              \
                            continue;                                                    \
                        }                                                                \
                        for (int64_t kx = 0; kx < g->fw; kx++, s += C) {                 \
                            int64_t ix = ox * g->sw - g->pl + kx * g->dw;                \
                            if (ix < 0 || ix >= g->w) continue;                          \
                            T *d = di + (iy * g->w + ix) * C;                            \
                            for (int64_t c = 0; c < C; c++) d[c] += s[c];                \
                        }                                                                \
                    }                                                                    \
                }                                                                        \
        }                                                                                \
    }
static void col2im_f32(const geom *g, const float *col, int64_t n0, int64_t nb, float *dx)
    COL2IM_BODY(float)
static void col2im_f64(const geom *g, const double *col, int64_t n0, int64_t nb, double *dx)
    COL2IM_BODY(double)

/*** Convolution kernels ***/

static bool one_by_one(const geom *g) {
    return g->fh == 1 && g->fw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 &&
           g->oh == g->h && g->ow == g->w;
}

/* y[N*OH*OW, O] = patches(x) . f[K, O] */
static nb_status conv_forward(nbi_kctx *k, const geom *g, nb_dtype dt, const char *x, const void *f,
                              char *y) {
    size_t es = nbi_dtype_size(dt);
    int64_t K = g->fh * g->fw * g->c, R = g->n * g->oh * g->ow;
    if (R == 0 || g->o == 0) return NB_OK;
    if (K == 0) {
        memset(y, 0, (size_t)(R * g->o) * es);
        return NB_OK;
    }
    if (dt == NB_FLOAT32 && nbi_convd_applies(g)) return nbi_convd_forward(k, g, (const float *)x, f, (float *)y);
    if (dt == NB_FLOAT32 && nbi_wino_applies(g)) return nbi_wino_forward(k, g, (const float *)x, f, (float *)y);
    if (one_by_one(g)) {
        gemm(dt, false, false, R, g->o, K, x, K, f, g->o, 0.0, y, g->o);
        return NB_OK;
    }
    int nt = nbi_num_threads();
    int64_t br = block_rows(R, K * (int64_t)es, nt), nblk = (R + br - 1) / br;
    nt = nbi_conv_threads(nblk);
    char *col = nbi_kscratch(k, nbi_mul_size(nbi_mul_size((size_t)nt, (size_t)br), nbi_mul_size((size_t)K, es)));
    if (!col) return NB_ERR_OUT_OF_MEMORY;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (int64_t b = 0; b < nblk; b++) {
        char *cb = col + (size_t)(omp_get_thread_num() * br * K) * es;
        int64_t r0 = b * br, r1 = r0 + br < R ? r0 + br : R;
        im2col(g, x, r0, r1, cb, es);
        gemm(dt, false, false, r1 - r0, g->o, K, cb, K, f, g->o, 0.0, y + (size_t)(r0 * g->o) * es, g->o);
    }
    return NB_OK;
}

/* dx = col2im(dy[N*OH*OW, O] . f[K, O]^T) */
static nb_status conv_backprop_input(nbi_kctx *k, const geom *g, nb_dtype dt, const void *f,
                                     const char *dy, char *dx) {
    size_t es = nbi_dtype_size(dt);
    int64_t K = g->fh * g->fw * g->c, P = g->oh * g->ow, X = g->h * g->w * g->c;
    if (g->n * X == 0) return NB_OK;
    if (K == 0 || P == 0 || g->o == 0) {
        memset(dx, 0, (size_t)(g->n * X) * es);
        return NB_OK;
    }
    if (dt == NB_FLOAT32 && nbi_wino_applies(g))
        return nbi_wino_backprop_input(k, g, f, (const float *)dy, (float *)dx);
    if (one_by_one(g)) {
        gemm(dt, false, true, g->n * P, K, g->o, dy, g->o, f, g->o, 0.0, dx, K);
        return NB_OK;
    }
    int nt = nbi_num_threads();
    /* blocks of whole images: col2im of two images never overlaps */
    int64_t ipb = block_rows(g->n * P, K * (int64_t)es, nt) / P;
    if (ipb < 1) ipb = 1;
    int64_t nblk = (g->n + ipb - 1) / ipb;
    nt = nbi_conv_threads(nblk);
    char *col = nbi_kscratch(k, nbi_mul_size(nbi_mul_size((size_t)nt, (size_t)ipb),
                                             nbi_mul_size(nbi_mul_size((size_t)P, (size_t)K), es)));
    if (!col) return NB_ERR_OUT_OF_MEMORY;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (int64_t b = 0; b < nblk; b++) {
        char *cb = col + (size_t)(omp_get_thread_num() * ipb * P * K) * es;
        int64_t n0 = b * ipb, nb = n0 + ipb < g->n ? ipb : g->n - n0;
        memset(dx + (size_t)(n0 * X) * es, 0, (size_t)(nb * X) * es);
        gemm(dt, false, true, nb * P, K, g->o, dy + (size_t)(n0 * P * g->o) * es, g->o, f, g->o, 0.0,
             cb, K);
        if (dt == NB_FLOAT32) col2im_f32(g, (const float *)cb, n0, nb, (float *)dx);
        else col2im_f64(g, (const double *)cb, n0, nb, (double *)dx);
    }
    return NB_OK;
}

/* df[K, O] = patches(x)^T . dy[N*OH*OW, O]; each thread sums its blocks into
 * its own partial, then the partials are added. */
static nb_status conv_backprop_filter(nbi_kctx *k, const geom *g, nb_dtype dt, const char *x,
                                      const char *dy, char *df) {
    size_t es = nbi_dtype_size(dt);
    int64_t K = g->fh * g->fw * g->c, R = g->n * g->oh * g->ow, KO = K * g->o;
    if (KO == 0) return NB_OK;
    if (R == 0) {
        memset(df, 0, (size_t)KO * es);
        return NB_OK;
    }
    if (dt == NB_FLOAT32 && nbi_convd_applies(g))
        return nbi_convd_backprop_filter(k, g, (const float *)x, (const float *)dy, (float *)df);
    if (dt == NB_FLOAT32 && nbi_wino_applies(g))
        return nbi_wino_backprop_filter(k, g, (const float *)x, (const float *)dy, (float *)df);
    if (one_by_one(g)) {
        gemm(dt, true, false, K, g->o, R, x, K, dy, g->o, 0.0, df, g->o);
        return NB_OK;
    }
    int nt = nbi_num_threads();
    int64_t br = block_rows(R, K * (int64_t)es, nt), nblk = (R + br - 1) / br;
    nt = nbi_conv_threads(nblk);
    /* layout: nt patch blocks, then nt - 1 partials (thread 0 sums into df) */
    size_t colsz = nbi_mul_size(nbi_mul_size((size_t)nt, (size_t)br), nbi_mul_size((size_t)K, es));
    size_t partsz = nbi_mul_size((size_t)(nt - 1), nbi_mul_size((size_t)KO, es));
    char *col = nbi_kscratch(k, colsz > SIZE_MAX - partsz ? SIZE_MAX : colsz + partsz);
    if (!col) return NB_ERR_OUT_OF_MEMORY;
    char *part = col + colsz;
#pragma omp parallel num_threads(nt)
    {
        int t = omp_get_thread_num();
        char *acc = t == 0 ? df : part + (size_t)((t - 1) * KO) * es;
        memset(acc, 0, (size_t)KO * es);
        char *cb = col + (size_t)(t * br * K) * es;
        /* static: each thread's share of the blocks is fixed, so its partial
         * sum, and the result, are the same on every run (per thread count) */
#pragma omp for schedule(static)
        for (int64_t b = 0; b < nblk; b++) {
            int64_t r0 = b * br, r1 = r0 + br < R ? r0 + br : R;
            im2col(g, x, r0, r1, cb, es);
            gemm(dt, true, false, K, g->o, r1 - r0, cb, K, dy + (size_t)(r0 * g->o) * es, g->o, 1.0,
                 acc, g->o);
        }
    }
    for (int t = 1; t < nt; t++) {
        if (dt == NB_FLOAT32) {
            float *d = (float *)df;
            const float *s = (const float *)(part + (size_t)((t - 1) * KO) * es);
            for (int64_t i = 0; i < KO; i++) d[i] += s[i];
        } else {
            double *d = (double *)df;
            const double *s = (const double *)(part + (size_t)((t - 1) * KO) * es);
            for (int64_t i = 0; i < KO; i++) d[i] += s[i];
        }
    }
    return NB_OK;
}

/* Reads a sizes input (4 ints, non-negative) into out. */
static nb_status read_sizes(nbi_kctx *k, int i, const char *what, int64_t *out) {
    const nb_tensor *t = k->in[i];
    if (t->rank != 1 || t->size != 4)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "%s must be a vector of 4 ints, got %lld values", what,
                          (long long)t->size);
    for (int j = 0; j < 4; j++) {
        out[j] = nbi_load_int(t->data, t->dtype, j);
        if (out[j] < 0)
            return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "%s must not be negative", what);
    }
    return NB_OK;
}

/* Checks the data inputs' ranks and dtypes at run time (shapes fed may differ
 * from the static ones only where those were unknown, but stay defensive). */
static nb_status check_data(nbi_kctx *k, const int *idx, int n) {
    nb_dtype dt = k->in[idx[0]]->dtype;
    char b[128];
    for (int j = 0; j < n; j++) {
        const nb_tensor *t = k->in[idx[j]];
        if (t->rank != 4)
            return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "input %d must be 4-dimensional: %s", idx[j],
                              nbi_dims_string(t->rank, t->dims, false, b, sizeof b));
        if (t->dtype != dt || !float_type(dt))
            return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "inputs must be float or double of one type");
    }
    return NB_OK;
}

/* Geometry of a conv from input dims x and filter dims f, with run-time checks. */
static nb_status conv_geom(nbi_kctx *k, const int64_t *x, const int64_t *f, geom *g) {
    bool conv = is_conv(k->op->type);
    geom_make(g, x, f, &k->op->attrs, conv);
    if (conv && x[3] != f[2])
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Depth of input (%lld) does not match the input depth of filter (%lld)",
                          (long long)x[3], (long long)f[2]);
    if (conv && (f[0] == 0 || f[1] == 0))
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "filter must have a positive height and width");
    char msg[256];
    if (!geom_out(g, &k->op->attrs, msg, sizeof msg)) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "%s", msg);
    return NB_OK;
}

static nb_status check_dy(nbi_kctx *k, const geom *g, const nb_tensor *dy) {
    int64_t want[4] = {g->n, g->oh, g->ow, g->o};
    if (!nbi_same_dims(dy, 4, want)) {
        char a[128], c[128];
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Size of out_backprop doesn't match computed: actual = %s, computed = %s",
                          nbi_dims_string(dy->rank, dy->dims, false, a, sizeof a),
                          nbi_dims_string(4, want, false, c, sizeof c));
    }
    return NB_OK;
}

static nb_status k_conv2d(nbi_kctx *k) {
    nb_status st = check_data(k, (int[]){0, 1}, 2);
    if (st != NB_OK) return st;
    const nb_tensor *x = k->in[0], *f = k->in[1];
    geom g;
    if ((st = conv_geom(k, x->dims, f->dims, &g)) != NB_OK) return st;
    nb_tensor *y = nbi_kalloc(k, x->dtype, 4, (int64_t[]){g.n, g.oh, g.ow, g.o});
    if (!y) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = y;
    return conv_forward(k, &g, x->dtype, x->data, f->data, y->data);
}

static nb_status k_conv2d_backprop_input(nbi_kctx *k) {
    nb_status st = check_data(k, (int[]){1, 2}, 2);
    if (st != NB_OK) return st;
    int64_t xs[4];
    if ((st = read_sizes(k, 0, "input_sizes", xs)) != NB_OK) return st;
    const nb_tensor *f = k->in[1], *dy = k->in[2];
    geom g;
    if ((st = conv_geom(k, xs, f->dims, &g)) != NB_OK) return st;
    if ((st = check_dy(k, &g, dy)) != NB_OK) return st;
    nb_tensor *dx = nbi_kalloc(k, f->dtype, 4, xs);
    if (!dx) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = dx;
    return conv_backprop_input(k, &g, f->dtype, f->data, dy->data, dx->data);
}

static nb_status k_conv2d_backprop_filter(nbi_kctx *k) {
    nb_status st = check_data(k, (int[]){0, 2}, 2);
    if (st != NB_OK) return st;
    int64_t fs[4];
    if ((st = read_sizes(k, 1, "filter_sizes", fs)) != NB_OK) return st;
    const nb_tensor *x = k->in[0], *dy = k->in[2];
    geom g;
    if ((st = conv_geom(k, x->dims, fs, &g)) != NB_OK) return st;
    if ((st = check_dy(k, &g, dy)) != NB_OK) return st;
    nb_tensor *df = nbi_kalloc(k, x->dtype, 4, fs);
    if (!df) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = df;
    return conv_backprop_filter(k, &g, x->dtype, x->data, dy->data, df->data);
}

/*** Pooling kernels ***/

/* Valid window rows [ky0, ky1) for output row oy (no dilation in pools). */
#define WIN(o, s, p, in, k, lo, hi)                       \
    int64_t lo = (o) * (s) - (p), hi = lo + (k);          \
    if (lo < 0) lo = 0;                                    \
    if (hi > (in)) hi = (in);

#define MAXPOOL_BODY(T)                                                                   \
    {                                                                                     \
        int64_t C = g->c;                                                                 \
        _Pragma("omp parallel for num_threads(nt) schedule(static)")                      \
        for (int64_t row = 0; row < g->n * g->oh; row++) {                                \
            int64_t n = row / g->oh, oy = row % g->oh;                                    \
            WIN(oy, g->sh, g->pt, g->h, g->fh, y0, y1)                                    \
            for (int64_t ox = 0; ox < g->ow; ox++) {                                      \
                WIN(ox, g->sw, g->pl, g->w, g->fw, x0, x1)                                \
                T *o = y + (row * g->ow + ox) * C;                                        \
                bool first = true;                                                        \
                for (int64_t iy = y0; iy < y1; iy++)                                      \
                    for (int64_t ix = x0; ix < x1; ix++) {                                \
                        const T *s = x + ((n * g->h + iy) * g->w + ix) * C;               \
                        if (first) {                                                      \
                            for (int64_t c = 0; c < C; c++) o[c] = s[c];                  \
                            first = false;                                                \
                        } else {                                                          \
                            for (int64_t c = 0; c < C; c++) o[c] = s[c] > o[c] ? s[c] : o[c]; \
                        }                                                                 \
                    }                                                                     \
                if (first)                                                                \
                    for (int64_t c = 0; c < C; c++) o[c] = (T)-INFINITY;                  \
            }                                                                             \
        }                                                                                 \
    }
static void maxpool_f32(const geom *g, const float *x, float *y, int nt) MAXPOOL_BODY(float)
static void maxpool_f64(const geom *g, const double *x, double *y, int nt) MAXPOOL_BODY(double)

/* Gradient to the first maximum of each window (row-major window order). Work
 * is split by image, since windows of one image may overlap. best/arg: per
 * thread scratch of C values and C offsets. */
#define MAXPOOL_GRAD_BODY(T)                                                              \
    {                                                                                     \
        int64_t C = g->c, X = g->h * g->w * C;                                            \
        _Pragma("omp parallel for num_threads(nt) schedule(static)")                      \
        for (int64_t n = 0; n < g->n; n++) {                                              \
            int64_t *arg = (int64_t *)(scratch + (size_t)omp_get_thread_num() * stride);  \
            T *best = (T *)(arg + C);                                                     \
            const T *xi = x + n * X;                                                      \
            T *di = dx + n * X;                                                           \
            memset(di, 0, (size_t)X * sizeof(T));                                         \
            for (int64_t oy = 0; oy < g->oh; oy++) {                                      \
                WIN(oy, g->sh, g->pt, g->h, g->fh, y0, y1)                                \
                for (int64_t ox = 0; ox < g->ow; ox++) {                                  \
                    WIN(ox, g->sw, g->pl, g->w, g->fw, x0, x1)                            \
                    const T *d = dy + ((n * g->oh + oy) * g->ow + ox) * C;                \
                    bool first = true;                                                    \
                    for (int64_t iy = y0; iy < y1; iy++)                                  \
                        for (int64_t ix = x0; ix < x1; ix++) {                            \
                            int64_t off = (iy * g->w + ix) * C;                           \
                            const T *s = xi + off;                                        \
                            if (first) {                                                  \
                                for (int64_t c = 0; c < C; c++) best[c] = s[c], arg[c] = off + c; \
                                first = false;                                            \
                            } else {                                                      \
                                for (int64_t c = 0; c < C; c++)                           \
                                    if (s[c] > best[c]) best[c] = s[c], arg[c] = off + c; \
                            }                                                             \
                        }                                                                 \
                    if (!first)                                                           \
                        for (int64_t c = 0; c < C; c++) di[arg[c]] += d[c];               \
                }                                                                         \
            }                                                                             \
        }                                                                                 \
    }
static void maxpool_grad_f32(const geom *g, const float *x, const float *dy, float *dx, char *scratch,
                             size_t stride, int nt) MAXPOOL_GRAD_BODY(float)
static void maxpool_grad_f64(const geom *g, const double *x, const double *dy, double *dx,
                             char *scratch, size_t stride, int nt) MAXPOOL_GRAD_BODY(double)

/* MaxPool and its gradient for 2x2 windows of stride 2 with no padding on top
 * and left and every window whole (oh*2 <= h, ow*2 <= w): the pooling of
 * almost every image network. 8 channels per vector; a later value replaces
 * the running maximum only when strictly greater, in the window's row-major
 * order, as in MAXPOOL_BODY and MAXPOOL_GRAD_BODY, so the results are the same
 * bit for bit (ties and NaN included). The windows are disjoint, so the
 * gradient writes each input element once (no zeroing pass, no scatter);
 * inputs no window covers (the last row/column of an odd VALID size) get 0. */
typedef float pv8f __attribute__((vector_size(32)));
typedef int32_t pv8i __attribute__((vector_size(32)));
typedef float pv8f_u __attribute__((vector_size(32), aligned(4), may_alias));

/* Macros, not functions: passing a 32-byte vector to a function without AVX
 * (NABLA_MARCH=x86-64-v2) changes the ABI, which -Wpsabi reports. */
#define PLD(p) (*(const pv8f_u *)(p))
#define PST(p, v) (*(pv8f_u *)(p) = (v))
/* m ? a : b, lane by lane (m: all ones or all zeros) */
#define PSEL(m, a, b) ((pv8f)(((pv8i)(a) & (m)) | ((pv8i)(b) & ~(m))))

static bool pool2x2_applies(const geom *g) {
    return g->fh == 2 && g->fw == 2 && g->sh == 2 && g->sw == 2 && g->pt == 0 && g->pl == 0 &&
           g->oh * 2 <= g->h && g->ow * 2 <= g->w;
}

static void maxpool2x2_f32(const geom *g, const float *x, float *y) {
    int64_t C = g->c, C8 = C - C % 8, rs = g->w * C;
    int nt = nbi_conv_threads(g->n * g->oh);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t row = 0; row < g->n * g->oh; row++) {
        int64_t n = row / g->oh, oy = row % g->oh;
        const float *xr = x + (n * g->h + 2 * oy) * rs;
        float *yr = y + row * g->ow * C;
        for (int64_t ox = 0; ox < g->ow; ox++) {
            const float *p0 = xr + 2 * ox * C, *p1 = p0 + C, *p2 = p0 + rs, *p3 = p2 + C;
            float *o = yr + ox * C;
            int64_t c = 0;
            for (; c < C8; c += 8) {
                pv8f m = PLD(p0 + c), v = PLD(p1 + c);
                m = PSEL(v > m, v, m);
                v = PLD(p2 + c);
                m = PSEL(v > m, v, m);
                v = PLD(p3 + c);
                m = PSEL(v > m, v, m);
                PST(o + c, m);
            }
            for (; c < C; c++) {
                float m = p0[c];
                if (p1[c] > m) m = p1[c];
                if (p2[c] > m) m = p2[c];
                if (p3[c] > m) m = p3[c];
                o[c] = m;
            }
        }
    }
}

static void maxpool2x2_grad_f32(const geom *g, const float *x, const float *dy, float *dx) {
    int64_t C = g->c, C8 = C - C % 8, rs = g->w * C;
    int nt = nbi_conv_threads(g->n * g->oh);
#pragma omp parallel num_threads(nt)
    {
#pragma omp for schedule(static)
        for (int64_t row = 0; row < g->n * g->oh; row++) {
            int64_t n = row / g->oh, oy = row % g->oh;
            const float *xr = x + (n * g->h + 2 * oy) * rs;
            float *dr = dx + (n * g->h + 2 * oy) * rs;
            const float *dyr = dy + row * g->ow * C;
            for (int64_t ox = 0; ox < g->ow; ox++) {
                int64_t off = 2 * ox * C;
                const float *p0 = xr + off, *p1 = p0 + C, *p2 = p0 + rs, *p3 = p2 + C, *d = dyr + ox * C;
                float *q0 = dr + off, *q1 = q0 + C, *q2 = q0 + rs, *q3 = q2 + C;
                int64_t c = 0;
                for (; c < C8; c += 8) {
                    pv8f m = PLD(p0 + c), v = PLD(p1 + c), dv = PLD(d + c);
                    pv8i k = {0, 0, 0, 0, 0, 0, 0, 0}, gt = v > m;
                    m = PSEL(gt, v, m), k = (gt & 1) | (k & ~gt);
                    v = PLD(p2 + c), gt = v > m;
                    m = PSEL(gt, v, m), k = (gt & 2) | (k & ~gt);
                    v = PLD(p3 + c), gt = v > m;
                    k = (gt & 3) | (k & ~gt);
                    PST(q0 + c, (pv8f)((pv8i)dv & (k == 0)));
                    PST(q1 + c, (pv8f)((pv8i)dv & (k == 1)));
                    PST(q2 + c, (pv8f)((pv8i)dv & (k == 2)));
                    PST(q3 + c, (pv8f)((pv8i)dv & (k == 3)));
                }
                for (; c < C; c++) {
                    float m = p0[c];
                    int k = 0;
                    if (p1[c] > m) m = p1[c], k = 1;
                    if (p2[c] > m) m = p2[c], k = 2;
                    if (p3[c] > m) k = 3;
                    q0[c] = k == 0 ? d[c] : 0, q1[c] = k == 1 ? d[c] : 0;
                    q2[c] = k == 2 ? d[c] : 0, q3[c] = k == 3 ? d[c] : 0;
                }
            }
            /* an odd width's last column, in both rows of the window row */
            for (int64_t ix = 2 * g->ow; ix < g->w; ix++) {
                memset(dr + ix * C, 0, (size_t)C * sizeof(float));
                memset(dr + rs + ix * C, 0, (size_t)C * sizeof(float));
            }
        }
        /* an odd height's last row */
        if (g->h > 2 * g->oh) {
#pragma omp for schedule(static)
            for (int64_t n = 0; n < g->n; n++)
                memset(dx + (n * g->h + 2 * g->oh) * rs, 0, (size_t)((g->h - 2 * g->oh) * rs) * sizeof(float));
        }
    }
}

#define AVGPOOL_BODY(T)                                                                   \
    {                                                                                     \
        int64_t C = g->c;                                                                 \
        _Pragma("omp parallel for num_threads(nt) schedule(static)")                      \
        for (int64_t row = 0; row < g->n * g->oh; row++) {                                \
            int64_t n = row / g->oh, oy = row % g->oh;                                    \
            WIN(oy, g->sh, g->pt, g->h, g->fh, y0, y1)                                    \
            for (int64_t ox = 0; ox < g->ow; ox++) {                                      \
                WIN(ox, g->sw, g->pl, g->w, g->fw, x0, x1)                                \
                T *o = y + (row * g->ow + ox) * C;                                        \
                for (int64_t c = 0; c < C; c++) o[c] = 0;                                 \
                for (int64_t iy = y0; iy < y1; iy++)                                      \
                    for (int64_t ix = x0; ix < x1; ix++) {                                \
                        const T *s = x + ((n * g->h + iy) * g->w + ix) * C;               \
                        for (int64_t c = 0; c < C; c++) o[c] += s[c];                     \
                    }                                                                     \
                int64_t cnt = (y1 - y0) * (x1 - x0);                                      \
                T inv = cnt > 0 ? (T)1 / (T)cnt : (T)0;                                   \
                for (int64_t c = 0; c < C; c++) o[c] *= inv;                              \
            }                                                                             \
        }                                                                                 \
    }
static void avgpool_f32(const geom *g, const float *x, float *y, int nt) AVGPOOL_BODY(float)
static void avgpool_f64(const geom *g, const double *x, double *y, int nt) AVGPOOL_BODY(double)

#define AVGPOOL_GRAD_BODY(T)                                                              \
    {                                                                                     \
        int64_t C = g->c, X = g->h * g->w * C;                                            \
        _Pragma("omp parallel for num_threads(nt) schedule(static)")                      \
        for (int64_t n = 0; n < g->n; n++) {                                              \
            T *di = dx + n * X;                                                           \
            memset(di, 0, (size_t)X * sizeof(T));                                         \
            for (int64_t oy = 0; oy < g->oh; oy++) {                                      \
                WIN(oy, g->sh, g->pt, g->h, g->fh, y0, y1)                                \
                for (int64_t ox = 0; ox < g->ow; ox++) {                                  \
                    WIN(ox, g->sw, g->pl, g->w, g->fw, x0, x1)                            \
                    const T *d = dy + ((n * g->oh + oy) * g->ow + ox) * C;                \
                    int64_t cnt = (y1 - y0) * (x1 - x0);                                  \
                    T inv = cnt > 0 ? (T)1 / (T)cnt : (T)0;                               \
                    for (int64_t iy = y0; iy < y1; iy++)                                  \
                        for (int64_t ix = x0; ix < x1; ix++) {                            \
                            T *s = di + (iy * g->w + ix) * C;                             \
                            for (int64_t c = 0; c < C; c++) s[c] += d[c] * inv;           \
                        }                                                                 \
                }                                                                         \
            }                                                                             \
        }                                                                                 \
    }
static void avgpool_grad_f32(const geom *g, const float *dy, float *dx, int nt) AVGPOOL_GRAD_BODY(float)
static void avgpool_grad_f64(const geom *g, const double *dy, double *dx, int nt)
    AVGPOOL_GRAD_BODY(double)

static nb_status k_pool(nbi_kctx *k) {
    nb_status st = check_data(k, (int[]){0}, 1);
    if (st != NB_OK) return st;
    const nb_tensor *x = k->in[0];
    geom g;
    if ((st = conv_geom(k, x->dims, NULL, &g)) != NB_OK) return st;
    nb_tensor *y = nbi_kalloc(k, x->dtype, 4, (int64_t[]){g.n, g.oh, g.ow, g.c});
    if (!y) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = y;
    if (y->size == 0) return NB_OK;
    int nt = nbi_conv_threads(g.n * g.oh);
    bool f32 = x->dtype == NB_FLOAT32;
    if (k->op->type == NBI_OP_MAX_POOL) {
        if (f32 && pool2x2_applies(&g)) maxpool2x2_f32(&g, x->data, y->data);
        else if (f32) maxpool_f32(&g, x->data, y->data, nt);
        else maxpool_f64(&g, x->data, y->data, nt);
    } else {
        if (f32) avgpool_f32(&g, x->data, y->data, nt);
        else avgpool_f64(&g, x->data, y->data, nt);
    }
    return NB_OK;
}

static nb_status k_max_pool_grad(nbi_kctx *k) {
    nb_status st = check_data(k, (int[]){0, 1, 2}, 3);
    if (st != NB_OK) return st;
    const nb_tensor *x = k->in[0], *y = k->in[1], *dy = k->in[2];
    geom g;
    if ((st = conv_geom(k, x->dims, NULL, &g)) != NB_OK) return st;
    if ((st = check_dy(k, &g, dy)) != NB_OK) return st;
    if (!nbi_same_dims(y, 4, dy->dims))
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "orig_output must have the shape of grad");
    nb_tensor *dx = nbi_kalloc(k, x->dtype, 4, x->dims);
    if (!dx) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = dx;
    if (dx->size == 0) return NB_OK;
    if (dy->size == 0) {
        memset(dx->data, 0, dx->nbytes);
        return NB_OK;
    }
    if (x->dtype == NB_FLOAT32 && pool2x2_applies(&g)) {
        maxpool2x2_grad_f32(&g, x->data, dy->data, dx->data);
        return NB_OK;
    }
    int nt = nbi_conv_threads(g.n);
    size_t es = nbi_dtype_size(x->dtype);
    /* per thread: C offsets (int64) then C values, padded to 64 bytes */
    size_t stride = (nbi_mul_size((size_t)g.c, es + sizeof(int64_t)) + 63) & ~(size_t)63;
    char *scratch = nbi_kscratch(k, nbi_mul_size((size_t)nt, stride));
    if (!scratch) return NB_ERR_OUT_OF_MEMORY;
    if (x->dtype == NB_FLOAT32) maxpool_grad_f32(&g, x->data, dy->data, dx->data, scratch, stride, nt);
    else maxpool_grad_f64(&g, x->data, dy->data, dx->data, scratch, stride, nt);
    return NB_OK;
}

static nb_status k_avg_pool_grad(nbi_kctx *k) {
    nb_status st = check_data(k, (int[]){1}, 1);
    if (st != NB_OK) return st;
    int64_t xs[4];
    if ((st = read_sizes(k, 0, "orig_input_shape", xs)) != NB_OK) return st;
    const nb_tensor *dy = k->in[1];
    geom g;
    if ((st = conv_geom(k, xs, NULL, &g)) != NB_OK) return st;
    if ((st = check_dy(k, &g, dy)) != NB_OK) return st;
    nb_tensor *dx = nbi_kalloc(k, dy->dtype, 4, xs);
    if (!dx) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = dx;
    if (dx->size == 0) return NB_OK;
    int nt = nbi_conv_threads(g.n);
    if (dy->dtype == NB_FLOAT32) avgpool_grad_f32(&g, dy->data, dx->data, nt);
    else avgpool_grad_f64(&g, dy->data, dx->data, nt);
    return NB_OK;
}

/*** Gradient builders ***/

static void conv_attrs_copy(nb_op *dst, const nb_op *src) {
    for (int i = 0; i < A_N; i++) dst->attrs.ints[i] = src->attrs.ints[i];
    dst->attrs.n_ints = A_N;
}

static nb_output conv_like(nb_graph *g, int type, const nb_output *in, int n, const nb_op *like,
                           const char *name) {
    nb_op *op = nbi_op_new(g, type, name, NULL, in, n);
    if (!op) return nb_nil;
    conv_attrs_copy(op, like);
    return nbi_op_finish(op);
}

static void g_conv2d(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output x = op->inputs[0], f = op->inputs[1];
    nb_output xs = nb_shape_of(g, x, "ShapeN"), fs = nb_shape_of(g, f, "ShapeN");
    dx[0] = conv_like(g, NBI_OP_CONV2D_BACKPROP_INPUT, (nb_output[]){xs, f, dy[0]}, 3, op, NULL);
    dx[1] = conv_like(g, NBI_OP_CONV2D_BACKPROP_FILTER, (nb_output[]){x, fs, dy[0]}, 3, op, NULL);
}

static void g_max_pool(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    dx[0] = conv_like(g, NBI_OP_MAX_POOL_GRAD, (nb_output[]){op->inputs[0], nbi_out(op, 0), dy[0]}, 3,
                      op, NULL);
}

static void g_avg_pool(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    nb_output xs = nb_shape_of(g, op->inputs[0], "Shape");
    dx[0] = conv_like(g, NBI_OP_AVG_POOL_GRAD, (nb_output[]){xs, dy[0]}, 2, op, NULL);
}

/* Second derivatives are out of scope: the backprop ops are NBI_NO_GRAD, so
 * nb_gradients treats them as constants (as for any NBI_NO_GRAD op). */
const nbi_opdef nbi_opdef_CONV2D = {
    .type = "Conv2D", .n_inputs = 2, .infer = infer_conv_family, .kernel = k_conv2d, .grad = g_conv2d,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"data_format", NBI_A_NHWC}, {"dilations", NBI_A_DILATIONS},
                       {"padding", NBI_A_PADDING}, {"strides", NBI_A_STRIDES}, {"use_cudnn_on_gpu", NBI_A_TRUE}),
};
const nbi_opdef nbi_opdef_CONV2D_BACKPROP_INPUT = {
    .type = "Conv2DBackpropInput", .n_inputs = 3, .flags = NBI_NO_GRAD, .infer = infer_conv_family,
    .kernel = k_conv2d_backprop_input,
    .attrs = NBI_ATTRS({"T", NBI_A_T_IN1}, {"data_format", NBI_A_NHWC}, {"dilations", NBI_A_DILATIONS},
                       {"padding", NBI_A_PADDING}, {"strides", NBI_A_STRIDES}, {"use_cudnn_on_gpu", NBI_A_TRUE}),
};
const nbi_opdef nbi_opdef_CONV2D_BACKPROP_FILTER = {
    .type = "Conv2DBackpropFilter", .n_inputs = 3, .flags = NBI_NO_GRAD, .infer = infer_conv_family,
    .kernel = k_conv2d_backprop_filter,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"data_format", NBI_A_NHWC}, {"dilations", NBI_A_DILATIONS},
                       {"padding", NBI_A_PADDING}, {"strides", NBI_A_STRIDES}, {"use_cudnn_on_gpu", NBI_A_TRUE}),
};
const nbi_opdef nbi_opdef_MAX_POOL = {
    .type = "MaxPool", .n_inputs = 1, .infer = infer_conv_family, .kernel = k_pool, .grad = g_max_pool,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"data_format", NBI_A_NHWC}, {"ksize", NBI_A_KSIZE},
                       {"padding", NBI_A_PADDING}, {"strides", NBI_A_STRIDES}),
};
const nbi_opdef nbi_opdef_MAX_POOL_GRAD = {
    .type = "MaxPoolGrad", .n_inputs = 3, .flags = NBI_NO_GRAD, .infer = infer_conv_family,
    .kernel = k_max_pool_grad,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"data_format", NBI_A_NHWC}, {"ksize", NBI_A_KSIZE},
                       {"padding", NBI_A_PADDING}, {"strides", NBI_A_STRIDES}),
};
const nbi_opdef nbi_opdef_AVG_POOL = {
    .type = "AvgPool", .n_inputs = 1, .infer = infer_conv_family, .kernel = k_pool, .grad = g_avg_pool,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"data_format", NBI_A_NHWC}, {"ksize", NBI_A_KSIZE},
                       {"padding", NBI_A_PADDING}, {"strides", NBI_A_STRIDES}),
};
const nbi_opdef nbi_opdef_AVG_POOL_GRAD = {
    .type = "AvgPoolGrad", .n_inputs = 2, .flags = NBI_NO_GRAD, .infer = infer_conv_family,
    .kernel = k_avg_pool_grad,
    .attrs = NBI_ATTRS({"T", NBI_A_T_IN1}, {"data_format", NBI_A_NHWC}, {"ksize", NBI_A_KSIZE},
                       {"padding", NBI_A_PADDING}, {"strides", NBI_A_STRIDES}),
};

/*** Constructors ***/

/* Validates strides/dilations/ksize/padding into op's attrs; on a bad value
 * records an error naming the op, discards it and returns false. */
static bool set_window_attrs(nb_op *op, const int *strides, const int *win, const char *win_name,
                             const char *padding) {
    static const int ones[4] = {1, 1, 1, 1};
    if (!win) win = ones;
    const char *what[2] = {"strides", win_name};
    const int *v[2] = {strides, win};
    for (int i = 0; i < 2; i++) {
        if (!v[i]) {
            nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "%s must be 4 ints, got NULL", what[i]);
            goto bad;
        }
        if (v[i][0] != 1 || v[i][3] != 1) {
            nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT,
                            "%s [%d,%d,%d,%d]: the batch and depth entries must be 1", what[i], v[i][0],
                            v[i][1], v[i][2], v[i][3]);
            goto bad;
        }
        if (v[i][1] < 1 || v[i][2] < 1) {
            nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "%s [%d,%d,%d,%d] must be positive", what[i],
                            v[i][0], v[i][1], v[i][2], v[i][3]);
            goto bad;
        }
    }
    if (!padding || (strcmp(padding, "SAME") != 0 && strcmp(padding, "VALID") != 0)) {
        nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT,
                        "Value for attr 'padding' of \"%s\" is not in the list of allowed values: \"SAME\", \"VALID\"",
                        padding ? padding : "(null)");
        goto bad;
    }
    op->attrs.ints[A_SH] = strides[1];
    op->attrs.ints[A_SW] = strides[2];
    op->attrs.ints[A_DH] = win[1];
    op->attrs.ints[A_DW] = win[2];
    op->attrs.ints[A_SAME] = padding[0] == 'S';
    op->attrs.n_ints = A_N;
    return true;
bad:
    nbi_op_discard(op);
    return false;
}

static nb_output window_op(nb_graph *g, int type, const nb_output *in, int n, const int *strides,
                           const int *win, const char *win_name, const char *padding, const char *name) {
    nb_op *op = nbi_op_new(g, type, name, NULL, in, n);
    if (!op) return nb_nil;
    if (!set_window_attrs(op, strides, win, win_name, padding)) return nb_nil;
    return nbi_op_finish(op);
}

/* A NULL ksize is reported as the invalid window [0,0,0,0]. */
static const int no_window[4] = {0, 0, 0, 0};

nb_output nb_nn_conv2d(nb_graph *g, nb_output input, nb_output filter, const int *strides,
                       const char *padding, const int *dilations, const char *name) {
    return window_op(g, NBI_OP_CONV2D, (nb_output[]){input, filter}, 2, strides, dilations, "dilations",
                     padding, name);
}

nb_output nb_nn_conv2d_backprop_input(nb_graph *g, nb_output input_sizes, nb_output filter,
                                      nb_output out_backprop, const int *strides,
                                      const char *padding, const int *dilations, const char *name) {
    return window_op(g, NBI_OP_CONV2D_BACKPROP_INPUT, (nb_output[]){input_sizes, filter, out_backprop}, 3,
                     strides, dilations, "dilations", padding, name);
}

nb_output nb_nn_conv2d_backprop_filter(nb_graph *g, nb_output input, nb_output filter_sizes,
                                       nb_output out_backprop, const int *strides,
                                       const char *padding, const int *dilations, const char *name) {
    return window_op(g, NBI_OP_CONV2D_BACKPROP_FILTER, (nb_output[]){input, filter_sizes, out_backprop}, 3,
                     strides, dilations, "dilations", padding, name);
}

nb_output nb_nn_max_pool(nb_graph *g, nb_output value, const int *ksize, const int *strides,
                         const char *padding, const char *name) {
    if (!ksize) ksize = no_window; /* rejected with a message */
    return window_op(g, NBI_OP_MAX_POOL, &value, 1, strides, ksize, "ksize", padding, name);
}

nb_output nb_nn_max_pool_grad(nb_graph *g, nb_output orig_input, nb_output orig_output,
                              nb_output grad, const int *ksize, const int *strides,
                              const char *padding, const char *name) {
    if (!ksize) ksize = no_window;
    return window_op(g, NBI_OP_MAX_POOL_GRAD, (nb_output[]){orig_input, orig_output, grad}, 3, strides,
                     ksize, "ksize", padding, name);
}

nb_output nb_nn_avg_pool(nb_graph *g, nb_output value, const int *ksize, const int *strides,
                         const char *padding, const char *name) {
    if (!ksize) ksize = no_window;
    return window_op(g, NBI_OP_AVG_POOL, &value, 1, strides, ksize, "ksize", padding, name);
}

nb_output nb_nn_avg_pool_grad(nb_graph *g, nb_output orig_input_shape, nb_output grad,
                              const int *ksize, const int *strides, const char *padding,
                              const char *name) {
    if (!ksize) ksize = no_window;
    return window_op(g, NBI_OP_AVG_POOL_GRAD, (nb_output[]){orig_input_shape, grad}, 2, strides, ksize,
                     "ksize", padding, name);
}
