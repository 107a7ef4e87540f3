/*
 * collective.c — the collective ops of data-parallel training (Horovod's
 * HorovodAllreduce, HorovodGroupedAllreduce, HorovodBroadcast,
 * HorovodAllgather): shape inference, gradients and GraphDef names live here,
 * in libnabla, like every other op; the kernels need MPI, so they live in
 * src/dist/ (libnabla_dist) and are reached through a table of function
 * pointers that nb_dist_init installs. Without it (nabla built without MPI,
 * or nb_dist_init not called) a run of one of these ops fails with a message
 * that says so. The public constructors (nb_dist_allreduce, ...) are in
 * src/dist/dist.c.
 */
#include "dist/dist_async.h"
#include "nb_internal.h"
#include "graph/graphdef_attrs.h"

#include <stdatomic.h>

static _Atomic(const nbi_dist_hooks *) hooks;

static _Atomic(const nbi_dist_async_hooks *) async_hooks;

void nbi_dist_install(const nbi_dist_hooks *h) { atomic_store(&hooks, h); }
void nbi_dist_install_async(const nbi_dist_async_hooks *h) { atomic_store(&async_hooks, h); }

static nb_status no_runtime(nbi_kctx *k) {
    return nbi_kerror(k, NB_ERR_FAILED_PRECONDITION,
                      "%s needs the distributed runtime: nabla was built without MPI, or "
                      "nb_dist_init was not called (link libnabla_dist and call nb_dist_init first)",
                      k->op->def->type);
}

static nb_status k_allreduce(nbi_kctx *k) {
    const nbi_dist_hooks *h = atomic_load(&hooks);
    return h ? h->allreduce(k) : no_runtime(k);
}
static nb_status k_grouped_allreduce(nbi_kctx *k) {
    const nbi_dist_hooks *h = atomic_load(&hooks);
    return h ? h->grouped_allreduce(k) : no_runtime(k);
}
static nb_status k_broadcast(nbi_kctx *k) {
    const nbi_dist_hooks *h = atomic_load(&hooks);
    return h ? h->broadcast(k) : no_runtime(k);
}
static nb_status k_allgather(nbi_kctx *k) {
    const nbi_dist_hooks *h = atomic_load(&hooks);
    return h ? h->allgather(k) : no_runtime(k);
}

static nb_status k_allreduce_start(nbi_kctx *k) {
    const nbi_dist_async_hooks *h = atomic_load(&async_hooks);
    return h ? h->start(k) : no_runtime(k);
}
static nb_status k_allreduce_wait(nbi_kctx *k) {
    const nbi_dist_async_hooks *h = atomic_load(&async_hooks);
    return h ? h->wait(k) : no_runtime(k);
}

static nb_status infer_allreduce(nb_op *op) {
    int r = op->attrs.axis;
    if (r != NBI_REDUCE_AVERAGE && r != NBI_REDUCE_SUM)
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT,
                               "reduce_op must be 0 (Average) or 1 (Sum), got %d", r);
    if (op->n_inputs < 1)
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "needs at least one input");
    nb_dtype dt = nbi_in_dtype(op, 0);
    for (int i = 1; i < op->n_inputs; i++)
        if (nbi_in_dtype(op, i) != dt)
            return nbi_infer_error(op, NB_ERR_DTYPE,
                                   "all inputs must have one dtype: input 0 is %s, input %d is %s",
                                   nbi_dtype_tfname(dt), i, nbi_dtype_tfname(nbi_in_dtype(op, i)));
    if (r == NBI_REDUCE_AVERAGE && !nbi_dtype_is_float(dt))
        return nbi_infer_error(op, NB_ERR_DTYPE,
                               "Average is defined for float and double only, not %s; use Sum",
                               nbi_dtype_tfname(dt));
    if (!nbi_set_outputs(op, op->n_inputs)) return NB_ERR_OUT_OF_MEMORY;
    for (int i = 0; i < op->n_inputs; i++) {
        op->out_dtype[i] = dt;
        op->out_shape[i] = *nbi_in_shape(op, i);
    }
    return NB_OK;
}

/* Start(x_1..x_n) -> handle: int64 scalar; the x's as for HorovodGroupedAllreduce. */
static nb_status infer_allreduce_start(nb_op *op) {
    nb_status st = infer_allreduce(op);
    if (st != NB_OK) return st;
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = NB_INT64;
    op->out_shape[0] = (nb_shape){0};
    return NB_OK;
}

/* Wait(handle) -> y_1..y_n, shaped like the x's of the Start that made handle. */
static nb_status infer_allreduce_wait(nb_op *op) {
    nb_op *start = op->inputs[0].op;
    if (start->def != &nbi_opdef_DIST_ALLREDUCE_START)
        return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT,
                               "input must be the handle of a NablaAllreduceStart, not an output of "
                               "'%s' (%s)", start->name, start->def->type);
    if (!nbi_set_outputs(op, start->n_inputs)) return NB_ERR_OUT_OF_MEMORY;
    for (int i = 0; i < start->n_inputs; i++) {
        op->out_dtype[i] = nbi_in_dtype(start, i);
        op->out_shape[i] = *nbi_in_shape(start, i);
    }
    op->attrs.axis = start->attrs.axis;
    return NB_OK;
}

static nb_status infer_broadcast(nb_op *op) {
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 0);
    op->out_shape[0] = *nbi_in_shape(op, 0);
    return NB_OK;
}

static nb_status infer_allgather(nb_op *op) {
    const nb_shape *s = nbi_in_shape(op, 0);
    if (s->rank == 0)
        return nbi_infer_error(op, NB_ERR_SHAPE, "Shape must be at least rank 1 but is rank 0");
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 0);
    op->out_shape[0] = *s;
    if (s->rank > 0) op->out_shape[0].dims[0] = NB_DIM_UNKNOWN; /* the ranks' rows add up */
    return NB_OK;
}

/* d(allreduce(x))/dx applied to dy: the same all-reduce of dy (every rank's
 * output depends on every rank's input with weight 1, or 1/size). */
static void grad_allreduce(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    for (int i = 0; i < op->n_inputs; i++) {
        if (nb_output_is_nil(dy[i])) continue;
        nb_op *r = nbi_op_new(g, NBI_OP_DIST_ALLREDUCE, NULL, "HorovodAllreduce", &dy[i], 1);
        if (!r) return;
        r->attrs.axis = op->attrs.axis;
        dx[i] = nbi_op_finish(r);
    }
}

const nbi_opdef nbi_opdef_DIST_ALLREDUCE = {
    .type = "HorovodAllreduce", .n_inputs = 1, .flags = NBI_STATEFUL, .infer = infer_allreduce,
    .kernel = k_allreduce, .grad = grad_allreduce,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"reduce_op", NBI_A_AXIS}),
};
const nbi_opdef nbi_opdef_DIST_GROUPED_ALLREDUCE = {
    .type = "HorovodGroupedAllreduce", .n_inputs = -1, .flags = NBI_STATEFUL, .infer = infer_allreduce,
    .kernel = k_grouped_allreduce, .grad = grad_allreduce,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"num_tensors", NBI_A_N}, {"reduce_op", NBI_A_AXIS}),
};
/* The split all-reduce carries no gradient (its handle is an int64): it is
 * built after the backward pass, by the distributed optimizer. */
const nbi_opdef nbi_opdef_DIST_ALLREDUCE_START = {
    .type = "NablaAllreduceStart", .n_inputs = -1, .flags = NBI_STATEFUL | NBI_NO_GRAD,
    .infer = infer_allreduce_start, .kernel = k_allreduce_start,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"num_tensors", NBI_A_N}, {"reduce_op", NBI_A_AXIS}),
};
const nbi_opdef nbi_opdef_DIST_ALLREDUCE_WAIT = {
    .type = "NablaAllreduceWait", .n_inputs = 1, .flags = NBI_STATEFUL | NBI_NO_GRAD,
    .infer = infer_allreduce_wait, .kernel = k_allreduce_wait,
    .attrs = NBI_ATTRS_T,
};
/* No gradient flows through broadcast and all-gather (as through integer
 * ops): Horovod's need cross-rank bookkeeping nabla does not do. */
const nbi_opdef nbi_opdef_DIST_BROADCAST = {
    .type = "HorovodBroadcast", .n_inputs = 1, .flags = NBI_STATEFUL | NBI_NO_GRAD, .infer = infer_broadcast,
    .kernel = k_broadcast,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"root_rank", NBI_A_ZERO}),
};
const nbi_opdef nbi_opdef_DIST_ALLGATHER = {
    .type = "HorovodAllgather", .n_inputs = 1, .flags = NBI_STATEFUL | NBI_NO_GRAD, .infer = infer_allgather,
    .kernel = k_allgather,
    .attrs = NBI_ATTRS_T,
};
