/*
 * conv_impl.h — what conv.c shares with its specialised convolution kernels:
 * the geometry of one Conv2D (NHWC data, HWIO filters) and the fast paths
 * conv.c dispatches to before falling back to im2col + GEMM.
 *
 * Every fast path is float32 only and is chosen by its *_applies predicate;
 * each writes the whole output (no accumulation into the caller's buffer).
 */
#ifndef NABLA_CONV_IMPL_H
#define NABLA_CONV_IMPL_H

#include "ops/ops_impl.h"

typedef struct nbi_conv_geom {
    int64_t n, h, w, c;  /* input */
    int64_t fh, fw, o;   /* window and output channels */
    int64_t oh, ow;      /* output spatial size */
    int64_t sh, sw, dh, dw;
    int64_t pt, pl;      /* padding on top and left */
} nbi_conv_geom;

/* Threads for `tasks` independent pieces of work: nbi_num_threads(), but
 * never more than the tasks and at least 1. */
static inline int nbi_conv_threads(int64_t tasks) {
    int nt = nbi_num_threads();
    if (nt > tasks) nt = (int)(tasks > 0 ? tasks : 1);
    return nt < 1 ? 1 : nt;
}

/* Winograd F(2x2, 5x5) and F(4x4, 3x3) (src/ops/conv_winograd.c): 5x5 or 3x3
 * filters, stride 1, no dilation, channel counts multiples of 8 (>= 8). */
bool nbi_wino_applies(const nbi_conv_geom *g);
/* y[N,OH,OW,O] = conv(x[N,H,W,C], f[r,r,C,O]) */
nb_status nbi_wino_forward(nbi_kctx *k, const nbi_conv_geom *g, const float *x, const float *f, float *y);
/* dx[N,H,W,C] from dy[N,OH,OW,O] and f */
nb_status nbi_wino_backprop_input(nbi_kctx *k, const nbi_conv_geom *g, const float *f, const float *dy,
                                  float *dx);
/* df[r,r,C,O] from x and dy */
nb_status nbi_wino_backprop_filter(nbi_kctx *k, const nbi_conv_geom *g, const float *x, const float *dy,
                                   float *df);

/* Direct kernels for few input channels (src/ops/conv_direct.c), where an
 * im2col GEMM would have a tiny inner dimension (the first layer of an image
 * network: C = 1 or 3). */
bool nbi_convd_applies(const nbi_conv_geom *g);
nb_status nbi_convd_forward(nbi_kctx *k, const nbi_conv_geom *g, const float *x, const float *f, float *y);
nb_status nbi_convd_backprop_filter(nbi_kctx *k, const nbi_conv_geom *g, const float *x, const float *dy,
                                    float *df);

#endif
