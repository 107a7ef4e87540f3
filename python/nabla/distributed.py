"""nabla.distributed: data-parallel training over MPI with Horovod's TF1 names.

    import nabla as tf
    import nabla.distributed as hvd

    hvd.init()
    opt = hvd.DistributedOptimizer(tf.train.AdamOptimizer(0.001 * hvd.size()))
    train_op = opt.minimize(loss)
    bcast = hvd.broadcast_global_variables(0)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(bcast)
        ...                  # each rank feeds its shard of every global batch

    mpirun -np 4 python3 train.py

Every name maps onto libnabla_dist's C API (include/nabla.h, "Distributed"):
the collectives are graph ops (HorovodAllreduce, HorovodGroupedAllreduce,
HorovodBroadcast, HorovodAllgather) that TensorBoard draws and GraphDef
export/import keeps; nabla's all-reduce sums in rank order, so every rank
gets the same bits.

Without MPI: when nabla was built without MPI (no libnabla_dist),
`import nabla.distributed` still works, `available()` is False, `rank()`,
`size()`, `local_rank()` and `local_size()` answer 0, 1, 0, 1, and every other
function (init() first) raises ImportError naming the missing packages. Before
init() the same 0/1 answers hold, as in the C API; a collective op run before
init() fails with libnabla's "HorovodAllreduce needs the distributed runtime".
A process not started by mpirun that calls init() is one rank of size 1 (Open
MPI's singleton).

Differences from Horovod: broadcasts come from rank 0 only (root_rank must be
0); Adasum and compression are not offered; sparse gradients do not exist in
nabla.
"""
import atexit as _atexit

from . import _nabla as _C
from . import train as _train
from . import math_ops as _m
from .framework import Tensor as _Tensor, get_default_graph as _default_graph, \
    _graph_for, GraphKeys as _GraphKeys

Average = 0
Sum = 1

_started = [False]


def available():
    """Whether this nabla was built with MPI (libnabla_dist); see the module doc."""
    return bool(_C.dist_available())


def mpi_built():
    return available()


def mpi_enabled():
    return available()


def mpi_threads_supported():
    """nabla asks MPI for MPI_THREAD_SERIALIZED (one thread at a time calls MPI),
    which is not MPI_THREAD_MULTIPLE: False, as Horovod reports it."""
    return False


def launched():
    """Whether this process was started by mpirun (Open MPI's / PMIx's variables)."""
    return bool(_C.dist_launched())


def init(comm=None):
    """hvd.init(): starts MPI (MPI_THREAD_SERIALIZED) and installs the collective
    kernels. A second call does nothing. MPI is finalized at interpreter exit.
    Raises ImportError when nabla was built without MPI."""
    if comm is not None:
        raise NotImplementedError("nabla.distributed.init: communicators are not supported "
                                  "(every rank of MPI_COMM_WORLD takes part)")
    _C.dist_init()
    if not _started[0]:
        _started[0] = True
        _atexit.register(_shutdown_at_exit)


def _shutdown_at_exit():
    try:
        _C.dist_finalize()
    except Exception:  # a collective failed: leave MPI to mpirun (finalize could hang)
        pass


def shutdown():
    """Ends the runtime (MPI_Finalize). Raises when a collective failed earlier:
    then end the job with abort()."""
    _C.dist_finalize()


def abort(code=1):
    """Ends every rank of the job (MPI_Abort)."""
    _C.dist_abort(int(code))


def is_initialized():
    return _started[0]


def rank():
    """This process's rank (0 before init and without MPI)."""
    return _C.dist_rank()


def size():
    """The number of ranks (1 before init and without MPI)."""
    return _C.dist_size()


def local_rank():
    """The rank among the processes on this machine."""
    return _C.dist_local_rank()


def local_size():
    """The number of ranks on this machine."""
    return _C.dist_local_size()


def set_timeout(seconds):
    """How long a collective waits for the other ranks before it fails naming
    the silent rank (default 120 s, or NABLA_DIST_TIMEOUT)."""
    _C.dist_set_timeout(float(seconds))


def get_timeout():
    return _C.dist_get_timeout()


def set_fusion_threshold(nbytes):
    """Gradients of one dtype whose bytes add up to at most this are all-reduced
    in one buffer (default 64 MiB, or NABLA_FUSION_THRESHOLD; 0: never fuse)."""
    _C.dist_set_fusion_threshold(int(nbytes))


def get_fusion_threshold():
    return _C.dist_get_fusion_threshold()


def _reduce_op(average, op):
    if op is None:
        return Average if average is None or average else Sum
    if average is not None:
        raise ValueError("The op parameter supersedes average; please provide only one of them.")
    if op not in (Average, Sum):
        raise ValueError("nabla.distributed: op must be Average (0) or Sum (1), not %r" % (op,))
    return op


def _plain(name, what, value, default):
    if value != default:
        raise NotImplementedError("nabla.distributed.%s: %s=%r is not supported"
                                  % (name, what, value))


def allreduce(tensor, average=None, device_dense='', device_sparse='', compression=None,
              op=None, prescale_factor=1.0, postscale_factor=1.0, name=None):
    """hvd.allreduce: the elementwise sum over ranks of tensor (Average: divided
    by size(); the default). Same shape and dtype on every rank, the same bits."""
    _plain("allreduce", "prescale_factor", prescale_factor, 1.0)
    _plain("allreduce", "postscale_factor", postscale_factor, 1.0)
    g = _graph_for(tensor)
    t = _m._tensor(tensor, g)
    return _C.dist_allreduce(g, t, _reduce_op(average, op), name)


def grouped_allreduce(tensors, average=None, op=None, name=None):
    """One all-reduce of several tensors of one dtype packed into one buffer;
    each result is the same bits as allreduce of that tensor."""
    tensors = list(tensors)
    g = _graph_for(*tensors)
    ts = [_m._tensor(t, g) for t in tensors]
    return _C.dist_grouped_allreduce(g, ts, _reduce_op(average, op), name)


def _root(root_rank, what):
    if root_rank != 0:
        raise ValueError("nabla.distributed.%s: nabla broadcasts from rank 0 only, not from "
                         "rank %r" % (what, root_rank))


def broadcast(tensor, root_rank=0, name=None, ignore_name_scope=False):
    """hvd.broadcast: rank 0's tensor on every rank (root_rank must be 0)."""
    _root(root_rank, "broadcast")
    g = _graph_for(tensor)
    return _C.dist_broadcast(g, _m._tensor(tensor, g), name)


def allgather(tensor, name=None, ignore_name_scope=False):
    """hvd.allgather: the ranks' tensors concatenated along axis 0 in rank order
    (the first dimension may differ between ranks)."""
    g = _graph_for(tensor)
    return _C.dist_allgather(g, _m._tensor(tensor, g), name)


def broadcast_global_variables(root_rank=0):
    """hvd.broadcast_global_variables(0): the op that gives every variable of the
    default graph rank 0's value. Run it after the initializer (and after rank 0
    alone restored a checkpoint). Building it first checks, collectively, that
    every rank has the same variables (ValueError naming the first difference
    otherwise), so every rank must call it at the same point."""
    _root(root_rank, "broadcast_global_variables")
    return _C.dist_broadcast_global_variables(_default_graph()).op


def broadcast_variables(variables, root_rank=0):
    """hvd.broadcast_variables: assigns rank 0's value to each of variables."""
    _root(root_rank, "broadcast_variables")
    from .variables import assign
    from .array_ops import group
    return group(*[assign(v, broadcast(v._read if hasattr(v, "_read") else v))
                   for v in variables])


class BroadcastGlobalVariablesHook(object):
    """hvd.BroadcastGlobalVariablesHook for MonitoredTrainingSession: broadcasts
    after the session is created."""

    def __init__(self, root_rank=0, device=''):
        _root(root_rank, "BroadcastGlobalVariablesHook")
        self.bcast_op = None

    def begin(self):
        if self.bcast_op is None or self.bcast_op.graph is not _default_graph():
            self.bcast_op = broadcast_global_variables(0)

    def after_create_session(self, session, coord):
        session.run(self.bcast_op)


def set_overlap(nbytes):
    """nabla: the overlap of the gradients' all-reduce with the backward pass
    (nb_dist_set_overlap): buckets of at most this many bytes are all-reduced
    by a communication thread while the backward pass goes on (default
    max(1 MiB, size() x 64 KiB), or NABLA_DIST_OVERLAP); 0: no overlap, the
    all-reduce ops run after the backward pass. The same bits either way."""
    _C.dist_set_overlap(int(nbytes))


def get_overlap():
    """The overlap bucket in force in bytes (0: no overlap)."""
    return _C.dist_get_overlap()


def _distributed_gradients(optimizer, loss, var_list, grad_loss, op):
    """(gradient, variable) pairs of loss, all-reduced by libnabla_dist's
    nb_dist_gradients: the C distributed optimizer's own code (fusion per
    set_fusion_threshold, overlap per set_overlap), not a copy of it. The
    variables are optimizer's choice (var_list or the trainable ones), and the
    backward pass is nb_gradients, which is what every nabla.train optimizer's
    compute_gradients builds."""
    if grad_loss is not None:
        raise NotImplementedError("nabla.distributed.DistributedOptimizer: grad_loss=%r is not "
                                  "supported" % (grad_loss,))
    if callable(loss):
        loss = loss()
    g = _graph_for(loss)
    loss = _m._tensor(loss, g)
    vs = optimizer._vars(g, var_list)
    if not vs:
        raise ValueError("No variables to optimize.")
    grads = _C.dist_gradients(g, loss, [_train._out(v) for v in vs], op)
    return list(zip(grads, vs))


class DistributedOptimizer(_train.Optimizer):
    """hvd.DistributedOptimizer(optimizer): compute_gradients of the wrapped
    optimizer, then every gradient all-reduced (op Average by default: the mean
    of the ranks' gradients, right for a loss that is each rank's mean over an
    equal share; Sum for a loss already divided by the global batch), fused per
    set_fusion_threshold, under the name scope "DistributedOptimizer";
    apply_gradients is the wrapped optimizer's, so every nabla.train optimizer
    works unchanged. The gradients and their all-reduce are built by
    libnabla_dist (nb_dist_gradients, the code of the C API's
    nb_dist_compute_gradients), so the all-reduce of each bucket overlaps the
    backward pass of the layers below (set_overlap). With size() == 1 (one
    process, or before init()) the gradients are returned as they are, as
    Horovod does."""

    def __init__(self, optimizer, name=None, use_locking=False, device_dense='',
                 device_sparse='', compression=None, sparse_as_dense=False,
                 backward_passes_per_step=1, op=Average, gradient_predivide_factor=1.0,
                 average_aggregated_gradients=False, num_groups=0, groups=None):
        if not isinstance(optimizer, _train.Optimizer):
            raise TypeError("DistributedOptimizer wraps a nabla.train optimizer, not %r"
                            % (optimizer,))
        _plain("DistributedOptimizer", "backward_passes_per_step", backward_passes_per_step, 1)
        _plain("DistributedOptimizer", "gradient_predivide_factor", gradient_predivide_factor,
               1.0)
        _plain("DistributedOptimizer", "num_groups", num_groups, 0)
        _plain("DistributedOptimizer", "groups", groups, None)
        self._optimizer = optimizer
        self._op = _reduce_op(None, op)
        _train.Optimizer.__init__(self, use_locking,
                                  name or "Distributed" + optimizer.get_name())

    def compute_gradients(self, loss, var_list=None, gate_gradients=1, aggregation_method=None,
                          colocate_gradients_with_ops=False, grad_loss=None):
        if _C.dist_size() == 1:  # as Horovod: one process (or before init) needs no all-reduce
            return self._optimizer.compute_gradients(loss, var_list=var_list, grad_loss=grad_loss)
        return _distributed_gradients(self._optimizer, loss, var_list, grad_loss, self._op)

    def apply_gradients(self, *args, **kwargs):
        return self._optimizer.apply_gradients(*args, **kwargs)

    def minimize(self, loss, global_step=None, var_list=None, gate_gradients=1,
                 aggregation_method=None, colocate_gradients_with_ops=False, name=None,
                 grad_loss=None):
        gv = self.compute_gradients(loss, var_list=var_list, grad_loss=grad_loss)
        return self.apply_gradients(gv, global_step=global_step, name=name)

    def get_slot_names(self):
        return self._optimizer.get_slot_names()

    def variables(self):
        return self._optimizer.variables()


def allreduce_value(value, average=None, op=None):
    """nabla: an all-reduce of a numpy value outside any graph (e.g. test-set
    hits); returns a new array, the same bits on every rank."""
    return _C.dist_allreduce_array(value, _reduce_op(average, op))


def barrier():
    """Waits until every rank calls it (within the timeout)."""
    _C.dist_barrier()


# ---------------------------------------------------------------- data shards
# (libnabla's "Data shards"; no MPI needed: they also work without init())

def shard_permutation(n, seed, epoch):
    """The global order of n examples in epoch `epoch` for `seed`: an int64
    permutation of 0..n-1, the same on every rank and machine."""
    return _C.shard_permutation(int(n), int(seed), int(epoch))


def shard_rows(n, global_batch, seed=0, epoch=0, drop_remainder=False, rank=None, size=None):
    """The rows this rank (or `rank` of `size`) trains on in an epoch, in order:
    the epoch's global order cut into global batches of global_batch, and of a
    batch of m rows, rank r's floor(m r/size)..floor(m (r+1)/size) (so with size
    dividing global_batch, consecutive runs of global_batch/size rows are this
    rank's batches). int64 array; ValueError-like errors for rank >= size etc."""
    r = rank if rank is not None else _C.dist_rank()
    n_ranks = size if size is not None else _C.dist_size()
    return _C.shard_rows(int(n), int(global_batch), int(r), int(n_ranks), int(seed), int(epoch),
                         bool(drop_remainder))


def idx_header(path):
    """(dtype, dims) of an IDX file, reading only its header (gzip or plain)."""
    from . import dtypes as _dtypes
    dt, dims = _C.idx_header(path)
    return _dtypes.as_dtype(dt), dims


def read_idx_rows(path, rows):
    """The rows `rows` (along the first axis) of an IDX file: a plain file is
    read with pread at those rows only; a gzip file is decompressed forward up
    to the last row asked for, keeping only those rows."""
    return _C.idx_read_rows(path, rows)


def csv_num_rows(path, has_header=True):
    """The number of data rows of a CSV file (the header not counted)."""
    return _C.csv_num_rows(path, has_header=bool(has_header))


def read_csv_rows(path, rows, has_header=True, columns=None, dtype=None):
    """Data rows `rows` of a CSV file (nb_csv_read's rules; only those rows are
    parsed): a [len(rows), n_cols] array of dtype (float32 by default)."""
    from . import dtypes as _dtypes
    dt = _C.FLOAT32 if dtype is None else _dtypes.as_dtype(dtype).as_datatype_enum
    return _C.csv_read_rows(path, rows, has_header=bool(has_header), columns=columns, dtype=dt)


__all__ = ["init", "shutdown", "abort", "is_initialized", "rank", "size", "local_rank",
           "local_size", "available", "launched", "mpi_built", "mpi_enabled",
           "mpi_threads_supported", "Average", "Sum", "allreduce", "grouped_allreduce",
           "broadcast", "allgather", "broadcast_global_variables", "broadcast_variables",
           "BroadcastGlobalVariablesHook", "DistributedOptimizer", "set_timeout",
           "get_timeout", "set_fusion_threshold", "get_fusion_threshold", "set_overlap",
           "get_overlap", "allreduce_value",
           "barrier", "shard_permutation", "shard_rows", "idx_header", "read_idx_rows",
           "csv_num_rows", "read_csv_rows"]
