/*
 * bench_cnn.c — training epoch of examples/fashion_cnn.c's network (conv 5x5x32
 * SAME, ReLU, max-pool 2; conv 5x5x64 SAME, ReLU, max-pool 2; dense 1024 ReLU;
 * dense 10; Momentum(0.01, 0.9), batch 64, float32) on Fashion-MNIST, against
 * bench/peer_cnn.py (PyTorch) run by bench/run.sh in the same invocation.
 * A whole epoch is long, so by default 5 untimed batches are followed by a
 * timed window of 157 batches (10,048 images) and the epoch time is
 * extrapolated (the output says so, with the window's halves compared); pass
 * --batches 0 for a full epoch. Rules in fashion_common.h.
 *
 * Usage: bench_cnn [--threads N] [--batches N] [--data DIR]
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <nabla.h>

#define BENCH_NAME "bench_cnn"
#define INPUT_SHAPE NB_SHAPE(NB_DIM_UNKNOWN, 28, 28, 1)
#define LEARNING_RATE 0.01
#define DEFAULT_BATCHES 157

static nb_output build_logits(nb_graph *g, nb_output x) {
    const int pool[4] = {1, 2, 2, 1};
    nb_output h = nb_layers_conv2d(g, x, 32, 5, 5, 1, "SAME", NB_ACT_RELU, NULL);
    h = nb_nn_max_pool(g, h, pool, pool, "VALID", "max_pooling2d");
    h = nb_layers_conv2d(g, h, 64, 5, 5, 1, "SAME", NB_ACT_RELU, NULL);
    h = nb_nn_max_pool(g, h, pool, pool, "VALID", "max_pooling2d_1");
    h = nb_layers_dense(g, nb_layers_flatten(g, h, NULL), 1024, NB_ACT_RELU, NULL);
    return nb_layers_dense(g, h, 10, NB_ACT_NONE, NULL);
}

#include "fashion_common.h"
