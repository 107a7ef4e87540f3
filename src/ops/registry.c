/*
 * registry.c — the op table, generated from ops.def: entry NBI_OP_<ENUM> is
 * the family file's nbi_opdef_<ENUM>, which holds every fact about the op.
 */
#include "nb_internal.h"

const nbi_opdef *const nbi_registry[NBI_OP_COUNT] = {
#define NB_OP(e) [NBI_OP_##e] = &nbi_opdef_##e,
#include "ops/ops.def"
#undef NB_OP
};
