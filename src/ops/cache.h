/*
 * cache.h — the L2-cache budgets of the convolution kernels, in one place.
 *
 * The kernels size their blocks for one core's L2, taken as 1 MiB (Zen 3/4
 * and recent Intel server cores have 512 KiB to 2 MiB). Each kernel keeps a
 * different working set there besides its block, so each gets its own share
 * (the values each file used before they were gathered here):
 *
 * - im2col + GEMM (conv.c, block_rows): the block's patch matrix, 3/4 of L2;
 *   the GEMM's packed panels of the filter use the rest.
 * - direct convolution (conv_direct.c, make_plan): a band's input slab, 1/4
 *   of L2; the filter vectors, the dy band (backprop) and the partial df sit
 *   beside it, and bands must stay small enough to keep every thread busy.
 * - Winograd F(m, r) (conv_winograd.c, block_tiles): a block's transformed
 *   input and products together with the transformed filter every block
 *   reads, 5/8 of L2.
 */
#ifndef NB_OPS_CACHE_H
#define NB_OPS_CACHE_H

#define NBI_L2_BYTES (1024 * 1024)                   /* one core's L2, as assumed */
#define NBI_L2_IM2COL_BYTES (NBI_L2_BYTES / 4 * 3)   /* 768 KiB: conv.c */
#define NBI_L2_DIRECT_SLAB_BYTES (NBI_L2_BYTES / 4)  /* 256 KiB: conv_direct.c */
#define NBI_L2_WINOGRAD_BYTES (NBI_L2_BYTES / 8 * 5) /* 640 KiB: conv_winograd.c */

#endif /* NB_OPS_CACHE_H */
