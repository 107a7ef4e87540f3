/*
 * gradients_ready.h — nb_gradients with a callback that learns each x's
 * gradient as soon as the backward pass has finished it (src/grad/gradients.c).
 * Used by the distributed optimizer (src/dist/) to start a layer's all-reduce
 * right after its gradients are made, before the gradient ops of the layers
 * below are created, so that the executor (which runs ops in creation order)
 * runs the all-reduce's start while the lower layers' backward pass remains.
 */
#ifndef NB_GRADIENTS_READY_H
#define NB_GRADIENTS_READY_H

#include "nb_internal.h"

/* ready(ctx, i, dx) is called once per x, in the order the gradients become
 * final: right after the gradient op of x's last-visited consumer (the one of
 * lowest creation id) is built, or at the end for an x without consumers
 * (dx nil). The dx it receives is the dxs[i] nb_gradients returns; ops the
 * callback creates come before the remaining gradient ops in creation order.
 * The gradient ops are the same as nb_gradients' (same AddN operand order). */
typedef void (*nbi_grad_ready_fn)(void *ctx, int i, nb_output dx);
void nbi_gradients_ready(nb_graph *g, const nb_output *ys, int n_ys, const nb_output *xs, int n_xs,
                         const nb_output *grad_ys, nb_output *dxs, nbi_grad_ready_fn ready, void *ctx);

#endif
