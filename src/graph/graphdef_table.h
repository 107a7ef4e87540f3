/*
 * graphdef_table.h — the GraphDef attr table shared by the exporter
 * (graphdef.c) and the importer (graphdef_import.c): for each op type, the TF
 * attrs it carries and the nb_op field each one maps to. Read forwards it
 * writes attrs; read backwards it tells the importer where each attr goes.
 */
#ifndef NB_GRAPHDEF_TABLE_H
#define NB_GRAPHDEF_TABLE_H

#include "graph/graph_impl.h"

typedef enum attr_src {
    A_END = 0,
    A_T_IN0, A_T_IN1, A_T_IN2, A_T_LAST, /* type: dtype of an input (LAST: the last one) */
    A_T_OUT0,                            /* type: dtype of output 0 */
    A_DTYPE,                             /* type: attrs.dtype */
    A_INT32, A_INT64,                    /* type: fixed */
    A_SHAPE,                             /* shape: attrs.shape */
    A_VALUE,                             /* tensor: op->value */
    A_TRANSPOSE_A, A_TRANSPOSE_B,        /* b: attrs.transpose_a / transpose_b */
    A_KEEP_DIMS, A_USE_NESTEROV,         /* b: attrs.keep_dims / use_nesterov */
    A_TRUE, A_FALSE,                     /* b: fixed */
    A_SEED, A_SEED2,                     /* i: attrs.seed / seed2 */
    A_AXIS,                              /* i: attrs.axis */
    A_ZERO,                              /* i: 0 */
    A_N,                                 /* i: number of inputs */
    A_N_MINUS_1,                         /* i: number of inputs - 1 (ConcatV2's axis) */
    A_INTS,                              /* list(int): attrs.ints[0 .. n_ints) */
    A_EMPTY_S,                           /* s: "" */
    A_CLASS,                             /* list(s): "loc:@<variable>" when colocated with one */
    /* Convolution and pooling keep their geometry in attrs.ints (src/ops/conv.c):
     * ints[0], ints[1] strides h, w; ints[2], ints[3] dilations (conv) or the
     * window (pooling) h, w; ints[4] 1 for SAME padding. */
    A_STRIDES,                           /* list(int): [1, ints[0], ints[1], 1] */
    A_DILATIONS,                         /* list(int): [1, ints[2], ints[3], 1] (conv) */
    A_KSIZE,                             /* list(int): [1, ints[2], ints[3], 1] (pooling) */
    A_PADDING,                           /* s: "SAME" when ints[4] else "VALID" */
    A_NHWC,                              /* s: "NHWC" */
    A_F0,                                /* f: attrs.f[0] (alpha, epsilon) */
    A_IS_TRAINING,                       /* b: attrs.keep_dims (FusedBatchNorm) */
    A_APPROXIMATE,                       /* b: attrs.ints[0] (Gelu) */
    A_I0, A_I1, A_I2, A_I3, A_I4,        /* i: attrs.ints[k] (StridedSlice's masks, num_split, ...) */
    A_MESSAGE,                           /* s: attrs.message (Print) */
    A_T_REST,                            /* list(type): dtypes of inputs 1.. (Print's U) */
    A_B0, A_B1,                          /* b: attrs.ints[k] != 0 (Cumsum's exclusive, reverse) */
    A_MIRROR_MODE,                       /* s: "REFLECT" / "SYMMETRIC" for attrs.ints[0] 1 / 2 (MirrorPad) */
} attr_src;

typedef struct attr_row {
    const char *name;
    attr_src src;
} attr_row;

/* The rows of an op type, ended by {NULL, A_END}: its table entry, or T only
 * (the dtype of input 0) for ops not in the table. Static storage. */
const attr_row *nbi_graphdef_attr_rows(int type);

#endif /* NB_GRAPHDEF_TABLE_H */
