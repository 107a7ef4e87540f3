/*
 * fashion_cnn.c — the course's convolutional network on Fashion-MNIST (the
 * TensorFlow tutorial's convnet), in nabla:
 *
 *   x = tf.placeholder(tf.float32, (None, 28, 28, 1), name="x")   # pixels / 255
 *   y = tf.placeholder(tf.int32, (None,), name="y")
 *   h = tf.layers.conv2d(x, 32, 5, padding="same", activation=tf.nn.relu)
 *   h = tf.layers.max_pooling2d(h, 2, 2)                           # 14x14x32
 *   h = tf.layers.conv2d(h, 64, 5, padding="same", activation=tf.nn.relu)
 *   h = tf.layers.max_pooling2d(h, 2, 2)                           # 7x7x64
 *   h = tf.layers.dense(tf.layers.flatten(h), 1024, tf.nn.relu)
 *   logits = tf.layers.dense(h, 10)
 *   loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
 *   train_op = tf.train.MomentumOptimizer(0.01, 0.9).minimize(loss)
 *
 * Batches of 64 in a fresh seeded permutation each epoch, copied into tensors
 * allocated before training (nb_tensor_data). Prints each epoch's time, mean
 * training loss and test accuracy; the loss curve, the per-epoch figures and
 * the graph go to logs/fashion_cnn for TensorBoard. Measured (seed 1, 2 threads,
 * --epochs 10): test accuracy 0.865, 0.878, 0.893, 0.903, 0.894, 0.908, 0.913,
 * 0.915, 0.912, 0.917 after epochs 1-10, so the default of 8 epochs reaches the
 * issue's 0.91 (the TensorFlow tutorial convnet's published figure is 0.916).
 *
 * The data are Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist).
 * With --smoke (the tests) it trains 2 epochs on the first 512 training images,
 * tests on 256, and checks that the loss falls; without the data set --smoke
 * uses a synthetic stand-in (ten noisy prototype images) and says so, while a
 * normal run reports the missing files.
 *
 * --distributed (under mpirun: mpirun -np 2 ./fashion_cnn --distributed) trains
 * data-parallel over MPI: see examples/dist_example.h for what changes.
 *
 * Usage: fashion_cnn [--data DIR] [--epochs N] [--train-size N] [--seed N]
 *                    [--threads N] [--logdir DIR] [--smoke]
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, clock_gettime */
#include <nabla.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fashion_data.h"

#define BATCH 64
#define EVAL_CHUNK 250

int main(int argc, char **argv) {
    const char *data = "/usr/share/datasets/fashion-mnist", *logdir = "logs/fashion_cnn";
    int epochs = 8, smoke = 0, threads = 0, distributed = 0;
    int64_t train_size = 0;
    uint64_t seed = 1;
    const char *save = NULL; /* --save PATH: a safetensors checkpoint at the end */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--data") && i + 1 < argc) data = argv[++i];
        else if (!strcmp(argv[i], "--epochs") && i + 1 < argc) epochs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--train-size") && i + 1 < argc) train_size = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--logdir") && i + 1 < argc) logdir = argv[++i];
        else if (!strcmp(argv[i], "--save") && i + 1 < argc) save = argv[++i];
        else if (!strcmp(argv[i], "--smoke")) smoke = 1;
        else if (!strcmp(argv[i], "--distributed")) distributed = 1;
        else {
            fprintf(stderr, "usage: %s [--data DIR] [--epochs N] [--train-size N] [--seed N] "
                            "[--threads N] [--logdir DIR] [--save PATH] [--smoke] [--distributed]\n", argv[0]);
            return 2;
        }
    }
    dist_state dist;
    if (dist_start(distributed, &argc, &argv, &dist)) return 1;
    if (epochs < 1) epochs = 1;
    /* --smoke runs on one thread unless told otherwise: on a loaded 2-core machine two
     * OpenMP threads wait on each other at every parallel region (see bench/README.md). */
    if (smoke && threads <= 0) threads = 1;
    if (threads > 0) nb_set_num_threads(threads);
    int64_t test_size = 0;
    if (smoke) {
        epochs = 2;
        if (train_size <= 0) train_size = 512 * dist.size; /* the same steps per rank as one process */
        test_size = 256;
    }

    /* ---- data ---- */
    split tr = {0}, te = {0};
    if (fashion_load(data, smoke, train_size, test_size, &tr, &te, dist.on)) return 1;
    if (dist.rank == 0)
        printf("fashion_cnn: %lld training and %lld test images, conv5x5x32-pool-conv5x5x64-pool-"
           "dense1024-dense10, Momentum(0.01, 0.9), batch %d, %d epoch(s), %d thread(s)\n",
               (long long)tr.n, (long long)te.n, BATCH, epochs, nb_get_num_threads());
    if (dist.on && dist.rank == 0)
        printf("distributed: %d ranks, batch %d per rank (effective batch %d), same learning rate\n", dist.size,
               BATCH, BATCH * dist.size);

    /* ---- graph ---- */
    nb_graph *g = nb_graph_new();
    nb_graph_set_seed(g, (int64_t)seed);
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 28, 28, 1), "x");
    nb_output y = nb_placeholder(g, NB_INT32, NB_SHAPE(NB_DIM_UNKNOWN), "y");
    const int pool[4] = {1, 2, 2, 1};
    nb_output h = nb_layers_conv2d(g, x, 32, 5, 5, 1, "SAME", NB_ACT_RELU, NULL);
    h = nb_nn_max_pool(g, h, pool, pool, "VALID", "max_pooling2d");
    h = nb_layers_conv2d(g, h, 64, 5, 5, 1, "SAME", NB_ACT_RELU, NULL);
    h = nb_nn_max_pool(g, h, pool, pool, "VALID", "max_pooling2d_1");
    h = nb_layers_dense(g, nb_layers_flatten(g, h, NULL), 1024, NB_ACT_RELU, NULL);
    nb_output logits = nb_layers_dense(g, h, CLASSES, NB_ACT_NONE, NULL);
    nb_name_scope_push(g, "loss");
    nb_output xent = nb_nn_sparse_softmax_cross_entropy_with_logits(g, y, logits, NULL);
    nb_output loss = nb_reduce_mean(g, xent, NULL, NB_ALL_AXES, false, NULL);
    nb_name_scope_pop(g);
    nb_output train_op = dist_minimize(&dist, nb_train_momentum(g, 0.01, 0.9, false), loss);
    nb_name_scope_push(g, "accuracy");
    nb_output correct = nb_equal(g, nb_argmax(g, logits, 1, NULL), nb_cast(g, y, NB_INT64, NULL), NULL);
    nb_output n_correct = nb_reduce_sum(g, nb_cast(g, correct, NB_FLOAT32, NULL), NULL, NB_ALL_AXES, false, NULL);
    nb_name_scope_pop(g);
    nb_output init = nb_global_variables_initializer(g);
    nb_output bcast = dist_broadcast_op(&dist, g); /* rank 0's initial values, to every rank */
    if (nb_graph_status(g) != NB_OK) {
        fprintf(stderr, "graph error: %s\n", nb_graph_errmsg(g));
        return 1;
    }

    char tmpdir[] = "/tmp/fashion_cnn_XXXXXX";
    if (smoke) logdir = mkdtemp(tmpdir) ? tmpdir : NULL;
    nb_error werr = {0};
    if (dist.rank != 0) logdir = NULL, save = NULL; /* only rank 0 writes logs and checkpoints */
    nb_summary_writer *w = logdir ? nb_summary_writer_open(logdir, g, &werr) : NULL;
    if (!w && logdir) fprintf(stderr, "warning: no TensorBoard log: %s\n", werr.message);

    nb_session *s = nb_session_new(g);
    int ok = 1;
    if (nb_session_run(s, NULL, 0, &init, 1, NULL) != NB_OK) goto run_error;
    if (dist.on && nb_session_run(s, NULL, 0, &bcast, 1, NULL) != NB_OK) goto run_error;
    fashion_model fm = {x, y, loss, train_op, n_correct, 4, BATCH, EVAL_CHUNK, 2, &dist};
    fashion_result res;
    if (fashion_fit(s, &fm, &tr, &te, epochs, seed, w, &res) != NB_OK) goto run_error;
    double first_loss = res.first_loss, last_loss = res.last_loss, acc = res.acc;
    if (smoke && dist.rank == 0) {
        ok = last_loss < first_loss - 0.05;
        printf("smoke check: loss over the first/last batches %.4f -> %.4f, test accuracy %.4f "
               "(chance 0.1): %s\n", first_loss, last_loss, acc, ok ? "passed" : "FAILED");
    } else if (logdir && !smoke) {
        printf("TensorBoard: tensorboard --logdir %s\n", logdir);
    }
    if (w) {
        char path[1024];
        snprintf(path, sizeof path, "%s", nb_summary_writer_path(w));
        nb_summary_writer_close(w);
        if (smoke) { /* the smoke run's log was only a check that logging works */
            unlink(path);
            rmdir(tmpdir);
        }
    }
    if (save) {
        nb_error serr;
        if (nb_checkpoint_save(s, save, &serr) != NB_OK) {
            fprintf(stderr, "%s\n", serr.message);
            ok = 0;
        }
    }
    nb_session_free(s);
    nb_graph_free(g);
    split_free(&tr);
    split_free(&te);
    dist_end(&dist, 0);
    return ok ? 0 : 1;
run_error:
    fprintf(stderr, "run error (rank %d): %s\n", dist.rank, nb_session_errmsg(s));
    dist_end(&dist, 1);
    return 1;
}
