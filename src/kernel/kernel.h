/*
 * kernel.h — the kernel room's header (src/kernel/): the context a kernel
 * receives and the services it may call (output buffers, views, scratch,
 * run-time errors, variable slots, seeds). Kernels include it (through
 * ops/ops_impl.h); the executor's side is kernel/exec.h.
 */
#ifndef NB_KERNEL_H
#define NB_KERNEL_H

#include "graph/graph_impl.h"

/*** Kernels (src/kernel/kernel.c provides the services, src/run/session.c the context) ***/

struct nbi_kctx {
    struct nbi_kstate *state; /* the session's variables, counters and error (kernel/exec.h) */
    nb_op *op;
    nb_tensor **in;    /* input values (NULL for ref inputs) */
    nb_tensor **out;   /* outputs, set by the kernel (new references) */
    struct nbi_step *step;
    struct nbi_plan *plan;
    /* Run-time fusion (nbi_opdef.fused): in a producer's context, the
     * context of its own producer when it is the middle of a chain (MatMul ->
     * BiasAdd -> Relu); NULL otherwise. */
    nbi_kctx *producer;
};
/* An output buffer of the given dtype/dims from the session's pool (new reference
 * stored by the caller in k->out[i]); NULL after recording OOM. */
nb_tensor *nbi_kalloc(nbi_kctx *k, nb_dtype dt, int rank, const int64_t *dims);
/* A tensor of new dims sharing base's data (a reshape view), reusing the step's
 * view header from the last run when free. New reference; NULL after recording
 * an error. */
nb_tensor *nbi_kview(nbi_kctx *k, nb_tensor *base, int rank, const int64_t *dims);
/* Scratch memory of at least `bytes` (64-byte aligned) private to this plan
 * step, kept across runs and freed with the plan; its contents are undefined
 * on entry. NULL after recording OOM. */
void *nbi_kscratch(nbi_kctx *k, size_t bytes);
/* Records a run-time error naming the node; returns code. */
nb_status nbi_kerror(nbi_kctx *k, nb_status code, const char *fmt, ...) NBI_PRINTF(3, 4);
/* NB_OK when dims (all >= 0) have an element count int64 holds and a byte size
 * size_t holds; otherwise a kernel error in TF's words ("Encountered overflow
 * when multiplying ...", or out of memory "OOM when allocating tensor with
 * shape[...] and type float"). Call it before nbi_kalloc on user-given dims. */
nb_status nbi_kcheck_numel(nbi_kctx *k, nb_dtype dt, int rank, const int64_t *dims);
/* The session's storage slot of the variable behind input i (a VariableV2). */
nb_tensor **nbi_kvar_slot(nbi_kctx *k, int i);
/* Makes the variable behind input i writable in place: records "Attempting to
 * use uninitialized value" when it has no value, and copies it first when
 * anyone else holds a reference (copy-on-write). Returns the tensor or NULL. */
nb_tensor *nbi_kvar_writable(nbi_kctx *k, int i);
/* The seeds of a random op for this run: (seed, seed2) from the op's attrs (or
 * drawn once per session when the op has none) and the number of earlier runs
 * of this op in this session as the stream. */
void nbi_kseed(nbi_kctx *k, uint64_t *seed, uint64_t *seed2, uint32_t *stream);
/* This op's counter in this session: zero when the session is made (or the op
 * is added later), kept across runs, private to the session as a TF1 kernel's
 * member is. Shared with nbi_kseed, which counts a random op's runs in it, so
 * only ops without NBI_SEEDED may use it (Print's first_n). Runs of one session
 * never overlap, so plain reads and writes suffice. */
uint32_t *nbi_kop_counter(nbi_kctx *k);

#endif /* NB_KERNEL_H */
