/*
 * exec.h — what the kernel services (kernel.c) and the executor
 * (src/run/session.c) share, and kernels never use: a compiled plan, its
 * steps, and the state a run's kernels may touch (variables, random-op
 * counters, the run's first error). Kernels see only nbi_kctx and the nbi_k*
 * functions.
 */
#ifndef NB_KERNEL_EXEC_H
#define NB_KERNEL_EXEC_H

#include "kernel/kernel.h"

/* The part of a session the kernels of a run reach (through nbi_kctx.state). */
typedef struct nbi_kstate {
    nb_tensor **vars;     /* variable values, by VariableV2 var_index */
    int n_vars;
    uint32_t *runs;       /* per op id: how often a random op ran */
    int n_runs;
    uint64_t session_seed;
    nb_status status;     /* the session's last result; a run's first error */
    char errmsg[NBI_MSG_MAX];
} nbi_kstate;

typedef struct nbi_step {
    nb_op *op;
    nbi_kernel_fn kernel;
    int n_in;
    int *in_slot;     /* -1 for a ref input (a variable updated in place) */
    int out_base;     /* slot of output 0 */
    int n_release;
    int *release;     /* slots whose last use is this step */
    int *hint;        /* per output allocation: pool index used last time */
    int n_hint;
    int n_alloc;      /* allocations made by the kernel in this run */
    nb_tensor *view;  /* the view header this step made last run (nbi_kview) */
    void *scratch;    /* nbi_kscratch: kept across runs, freed with the plan */
    size_t scratch_size;
    /* Run-time fusion (nbi_opdef.fused): the step whose op runs this step's op
     * inside its own (fused_into), or the step this one runs inside it
     * (fused_from); -1 when none. */
    int fused_into;
    int fused_from;
} nbi_step;

typedef struct nbi_plan {
    nb_output *feeds;
    int n_feeds;
    nb_output *fetches;
    int n_fetches;
    int n_graph_ops;  /* graph size when compiled (the graph only grows) */
    nbi_step *steps;
    int n_steps;
    nb_tensor **values;
    int n_slots;
    int *feed_slot;
    int *fetch_slot;  /* -1: fetch of an op with no value */
    int *end_slots;   /* slots still holding values when a run ends (feeds, fetches) */
    int n_end;
    nb_tensor **in_buf;
    nb_tensor **in_buf2; /* a fused producer's inputs */
    nb_tensor **in_buf3; /* its own producer's, in a chain */
    nb_tensor **pool;
    int n_pool, cap_pool;
} nbi_plan;

#endif /* NB_KERNEL_EXEC_H */
