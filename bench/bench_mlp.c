/*
 * bench_mlp.c — one training epoch of examples/fashion_mlp.c's network
 * (784-256-256-10, ReLU, Momentum(0.05, 0.9), batch 64, float32) on
 * Fashion-MNIST, against bench/peer_mlp.py (PyTorch) run by bench/run.sh in
 * the same invocation. The timing and memory rules are in fashion_common.h.
 *
 * Usage: bench_mlp [--threads N] [--batches N] [--data DIR]
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <nabla.h>

#define BENCH_NAME "bench_mlp"
#define INPUT_SHAPE NB_SHAPE(NB_DIM_UNKNOWN, 784)
#define LEARNING_RATE 0.05
#define DEFAULT_BATCHES 0

static nb_output build_logits(nb_graph *g, nb_output x) {
    nb_output h = nb_layers_dense(g, x, 256, NB_ACT_RELU, NULL);
    h = nb_layers_dense(g, h, 256, NB_ACT_RELU, NULL);
    return nb_layers_dense(g, h, 10, NB_ACT_NONE, NULL);
}

#include "fashion_common.h"
