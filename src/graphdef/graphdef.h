/*
 * graphdef.h — the graphdef room's private header (src/graphdef/): GraphDef
 * import (import.c) and graph files (file.c). They sit above the ops because
 * the importer finds each node's op in the registry by its TF type and builds
 * it as a constructor does. The export (src/graph/graphdef_export.c) needs no
 * registry: it reads the entry each node carries.
 */
#ifndef NB_GRAPHDEF_H
#define NB_GRAPHDEF_H

#include "ops/ops_impl.h"
#include "graph/graphdef_attrs.h"

/* The rows of an op type (its entry's .attrs), ended by {NULL, NBI_A_END};
 * static storage. */
const nbi_attr_row *nbi_graphdef_attr_rows(int type);

#endif /* NB_GRAPHDEF_H */
