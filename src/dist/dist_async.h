/*
 * dist_async.h — the kernels of the split all-reduce (NablaAllreduceStart,
 * NablaAllreduceWait; src/ops/collective.c registers the ops). Like the other
 * collective kernels they need MPI, so libnabla reaches them through this
 * table, which libnabla_dist's nb_dist_init installs and nb_dist_finalize
 * removes (NULL).
 */
#ifndef NB_DIST_ASYNC_H
#define NB_DIST_ASYNC_H

#include "nb_internal.h"

typedef struct nbi_dist_async_hooks {
    nbi_kernel_fn start, wait;
} nbi_dist_async_hooks;
void nbi_dist_install_async(const nbi_dist_async_hooks *h); /* NULL uninstalls */

#endif
