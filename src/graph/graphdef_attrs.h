/*
 * graphdef_attrs.h — the kinds of GraphDef attr an op entry can carry. Each op's
 * entry (nbi_opdef.attrs, in its family file) lists its TF attrs as rows
 * {TF name, kind}; the kind says which nb_op field the attr maps to. The
 * exporter (graphdef_export.c) reads the rows forwards to write attrs, the
 * importer (src/graphdef/import.c) backwards to store them. Family files that
 * define entries include this header; nothing else about GraphDef is theirs.
 */
#ifndef NB_GRAPHDEF_ATTRS_H
#define NB_GRAPHDEF_ATTRS_H

#include "graph/graph_impl.h"

typedef enum nbi_attr_kind {
    NBI_A_END = 0,
    NBI_A_T_IN0, NBI_A_T_IN1, NBI_A_T_IN2, NBI_A_T_LAST, /* type: dtype of an input (LAST: the last one) */
    NBI_A_T_OUT0,                             /* type: dtype of output 0 */
    NBI_A_DTYPE,                              /* type: attrs.dtype */
    NBI_A_INT32, NBI_A_INT64,                 /* type: fixed */
    NBI_A_SHAPE,                              /* shape: attrs.shape */
    NBI_A_VALUE,                              /* tensor: op->value */
    NBI_A_TRANSPOSE_A, NBI_A_TRANSPOSE_B,     /* b: attrs.transpose_a / transpose_b */
    NBI_A_KEEP_DIMS, NBI_A_USE_NESTEROV,      /* b: attrs.keep_dims / use_nesterov */
    NBI_A_TRUE, NBI_A_FALSE,                  /* b: fixed */
    NBI_A_SEED, NBI_A_SEED2,                  /* i: attrs.seed / seed2 */
    NBI_A_AXIS,                               /* i: attrs.axis */
    NBI_A_ZERO,                               /* i: 0 */
    NBI_A_N,                                  /* i: number of inputs */
    NBI_A_N_MINUS_1,                          /* i: number of inputs - 1 (ConcatV2's axis) */
    NBI_A_INTS,                               /* list(int): attrs.ints[0 .. n_ints) */
    NBI_A_EMPTY_S,                            /* s: "" */
    NBI_A_CLASS,                              /* list(s): "loc:@<variable>" when colocated with one */
    /* Convolution and pooling keep their geometry in attrs.ints (src/ops/conv.c):
     * ints[0], ints[1] strides h, w; ints[2], ints[3] dilations (conv) or the
     * window (pooling) h, w; ints[4] 1 for SAME padding. */
    NBI_A_STRIDES,                            /* list(int): [1, ints[0], ints[1], 1] */
    NBI_A_DILATIONS,                          /* list(int): [1, ints[2], ints[3], 1] (conv; TF default 1s) */
    NBI_A_KSIZE,                              /* list(int): [1, ints[2], ints[3], 1] (pooling) */
    NBI_A_PADDING,                            /* s: "SAME" when ints[4] else "VALID" */
    NBI_A_NHWC,                               /* s: "NHWC" */
    NBI_A_F0,                                 /* f: attrs.f[0] (alpha, epsilon) */
    NBI_A_IS_TRAINING,                        /* b: attrs.keep_dims (FusedBatchNorm; TF default true) */
    NBI_A_APPROXIMATE,                        /* b: attrs.ints[0] (Gelu) */
    NBI_A_I0, NBI_A_I1, NBI_A_I2, NBI_A_I3, NBI_A_I4, /* i: attrs.ints[k] (StridedSlice's masks, num_split, ...) */
    NBI_A_MESSAGE,                            /* s: attrs.message (Print) */
    NBI_A_T_REST,                             /* list(type): dtypes of inputs 1.. (Print's U) */
    NBI_A_B0, NBI_A_B1,                       /* b: attrs.ints[k] != 0 (Cumsum's exclusive, reverse) */
    NBI_A_MIRROR_MODE,                        /* s: "REFLECT" / "SYMMETRIC" for attrs.ints[0] 1 / 2 (MirrorPad) */
    NBI_A_OUT_TYPE,                           /* type: attrs.dtype, the chosen int32 / int64 output (Shape's out_type) */
    NBI_A_VALUE_DTYPE,                        /* type: attrs.dtype, a Const's (DT_STRING for a tag: uint8 here) */
    NBI_A_BAD_COLOR,                          /* tensor: uint8 [ints[1]] from ints[2..] (ImageSummary; 0: default red) */
    /* Attrs whose TF default is not nabla's zero: their kind carries it. */
    NBI_A_ALPHA,                              /* f: attrs.f[0] (LeakyRelu; TF default 0.2) */
    NBI_A_EPSILON,                            /* f: attrs.f[0] (FusedBatchNorm; TF default 0.0001) */
    NBI_A_AXIS_LAST,                          /* i: attrs.axis (OneHot; TF default -1) */
    NBI_A_FIRST_N,                            /* i: attrs.ints[0] (Print; TF default -1) */
    NBI_A_SUMMARIZE,                          /* i: attrs.ints[1] (Print; TF default 3) */
    NBI_A_MAX_IMAGES,                         /* i: attrs.ints[0] (ImageSummary; TF default 3) */
} nbi_attr_kind;
/* A NodeDef without one of its attrs (TF writes GraphDefs with defaults
 * stripped, and older ones lack attrs added later, as Conv2D's dilations
 * before TF 1.5) imports with TF's default, as TF's importer adds an OpDef's
 * defaults: nabla's zero for every kind but those marked "TF default" above. */

typedef struct nbi_attr_row {
    const char *name;   /* the TF attr name; NULL ends the rows */
    nbi_attr_kind kind;
} nbi_attr_row;

/* An entry's rows: .attrs = NBI_ATTRS(NBI_ATTR_T, {"keep_dims", NBI_A_KEEP_DIMS}).
 * Every entry has rows (the registry test checks it): NBI_ATTRS_T for the many
 * ops whose only attr is T, NBI_ATTRS_NONE for those with none. */
#define NBI_ATTRS(...) ((const nbi_attr_row[]){__VA_ARGS__, {NULL, NBI_A_END}})
#define NBI_ATTR_T {"T", NBI_A_T_IN0}
#define NBI_ATTRS_T NBI_ATTRS(NBI_ATTR_T)
#define NBI_ATTRS_NONE ((const nbi_attr_row[]){{NULL, NBI_A_END}})

#endif /* NB_GRAPHDEF_ATTRS_H */
