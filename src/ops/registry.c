/*
 * registry.c — the op table, generated from ops.def.
 */
#include "ops/ops_impl.h"

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
