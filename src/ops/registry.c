/*
 * registry.c — the op table, generated from ops.def.
 */
#include "nb_internal.h"

const nbi_opdef *const nbi_registry[NBI_OP_COUNT] = {
#define NB_OP(e, tfname) [NBI_OP_##e] = &nbi_opdef_##e,
#include "ops/ops.def"
#undef NB_OP
};

const char *const nbi_registry_names[NBI_OP_COUNT] = {
#define NB_OP(e, tfname) [NBI_OP_##e] = tfname,
#include "ops/ops.def"
#undef NB_OP
};

/* While an op family is being written its entries are weak (nb_internal.h),
 * and weak references do not pull objects out of a static library; these
 * strong references to one function of each family file do. */
void nbi_train_ops_anchor(void);
void (*const nbi_registry_anchors[])(void) = {
    (void (*)(void))nb_placeholder, (void (*)(void))nb_add,    (void (*)(void))nb_reduce_sum,
    (void (*)(void))nb_reshape,     (void (*)(void))nb_matmul, (void (*)(void))nb_random_normal,
    nbi_train_ops_anchor,
};
