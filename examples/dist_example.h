/*
 * dist_example.h — `--distributed` for the training examples (fashion_mlp,
 * fashion_cnn, image_folder_cnn): data-parallel training over MPI through
 * libnabla_dist when the examples were built with it (NB_HAVE_DIST, set by
 * CMake when MPI is found).
 *
 *   mpirun -np 4 ./fashion_cnn --distributed
 *
 * Every rank builds the same graph; the optimizer's gradients are averaged
 * over the ranks (nb_dist_minimize); rank 0's initial variables are broadcast
 * after the initializer; each rank trains on its share of every global batch
 * (the per-rank batch stays the example's batch, so the effective batch is
 * batch x ranks; the learning rate is left as it is, scale it yourself with
 * --lr where the example has one); only rank 0 prints and writes event files
 * and checkpoints; each rank uses cores / (ranks on its machine) threads unless
 * --threads is given.
 * Started without mpirun (or built without MPI) it runs as one process and
 * says so. Included by the examples (not the library).
 */
#ifndef NABLA_EXAMPLES_DIST_EXAMPLE_H
#define NABLA_EXAMPLES_DIST_EXAMPLE_H

#include <nabla.h>

#include <stdio.h>

typedef struct dist_state {
    int on;         /* running over MPI with libnabla_dist */
    int rank, size; /* 0 and 1 when not */
} dist_state;

/* Starts the runtime when asked (--distributed) and launched by mpirun. */
static int dist_start(int requested, int *argc, char ***argv, dist_state *d) {
    d->on = 0, d->rank = 0, d->size = 1;
    if (!requested) return 0;
#ifdef NB_HAVE_DIST
    if (!nb_dist_launched()) {
        printf("note: --distributed, but this process was not started by mpirun: running as one "
               "process (mpirun -np N %s --distributed runs N)\n", (*argv)[0]);
        return 0;
    }
    nb_error err;
    if (nb_dist_init(argc, argv, &err) != NB_OK) {
        fprintf(stderr, "nb_dist_init: %s\n", err.message);
        return 1;
    }
    d->on = 1, d->rank = nb_dist_rank(), d->size = nb_dist_size();
    /* The ranks on this machine share its cores: each gets cores / ranks
     * threads (at least 1) unless --threads says otherwise, so that the
     * kernels' threads and MPI's spinning waits do not fight for cores. */
    int t = nb_get_num_threads() / nb_dist_local_size();
    nb_set_num_threads(t < 1 ? 1 : t);
#else
    (void)argc;
    printf("note: --distributed, but nabla was built without MPI (no libnabla_dist): running as one "
           "process, not started by mpirun\n");
    (void)argv;
#endif
    return 0;
}

/* minimize, averaging the gradients over the ranks when distributed. */
static nb_output dist_minimize(const dist_state *d, nb_optimizer *opt, nb_output loss) {
#ifdef NB_HAVE_DIST
    if (d->on) return nb_dist_minimize(opt, loss, NULL, 0, NB_DIST_AVERAGE, nb_nil);
#endif
    (void)d;
    return nb_optimizer_minimize(opt, loss, NULL, 0, nb_nil);
}

/* The op that gives every rank rank 0's variables (nil when not distributed). */
static nb_output dist_broadcast_op(const dist_state *d, nb_graph *g) {
#ifdef NB_HAVE_DIST
    if (d->on) return nb_dist_broadcast_global_variables(g, NULL);
#endif
    (void)d, (void)g;
    return nb_nil;
}

/* Sums a double over the ranks (test-set hits); unchanged when not distributed. */
static int dist_sum(const dist_state *d, double *v) {
#ifdef NB_HAVE_DIST
    if (d->on) {
        nb_error err;
        if (nb_dist_allreduce_buffer(v, 1, NB_FLOAT64, NB_DIST_SUM, &err) != NB_OK) {
            fprintf(stderr, "rank %d: %s\n", d->rank, err.message);
            return 1;
        }
    }
#endif
    (void)d, (void)v;
    return 0;
}

/* A rank's rows [*b0, *b1) of a global batch of n rows. */
static void dist_share(const dist_state *d, int64_t n, int64_t *b0, int64_t *b1) {
    *b0 = n * d->rank / d->size;
    *b1 = n * (d->rank + 1) / d->size;
}

/* Ends the runtime; after a failed collective ends the whole job instead. */
static void dist_end(const dist_state *d, int failed) {
#ifdef NB_HAVE_DIST
    if (d->on) {
        if (failed) nb_dist_abort(1);
        nb_dist_finalize();
    }
#endif
    (void)d, (void)failed;
}

#endif
