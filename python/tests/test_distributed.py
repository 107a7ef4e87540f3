"""nabla.distributed (Horovod's TF1 names over libnabla_dist): jobs of 2 and 3
ranks started with mpirun --oversubscribe running dist_worker.py, checked here
against a 1-process reference computed in this process.

Equivalence tolerance (float32): after 20 steps, max |w_N - w_1| <= 2e-6 for
weights of magnitude <= 1 (the gradients differ from the 1-process ones only
by the order of float32 additions); every rank holds the same bits.
"""
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import nabla as tf
import nabla.distributed as hvd
from nabla import _nabla as _C

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dist_worker  # noqa: E402

TOL = 2e-6


def mpirun(n, out, *args):
    exe = shutil.which("mpirun")
    assert exe, "mpirun not found (scripts/setup.sh installs openmpi-bin)"
    env = dict(os.environ,
               OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1",
               OMPI_MCA_btl_vader_single_copy_mechanism="none",
               NABLA_DIST_TIMEOUT="60", OMP_NUM_THREADS="1")
    p = subprocess.run([exe, "--oversubscribe", "-np", str(n), sys.executable,
                        os.path.join(HERE, "dist_worker.py"), str(out)] + list(args),
                       env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr


def test_without_mpi_the_module_says_so():
    """Built without MPI, init() raises ImportError naming the packages; built
    with it, the module reports it and a 1-process init is rank 0 of 1."""
    if not _C.dist_available():
        with pytest.raises(ImportError, match="libopenmpi-dev"):
            hvd.init()
        assert (hvd.rank(), hvd.size()) == (0, 1)
    else:
        assert hvd.available() and hvd.mpi_built()
        assert (hvd.rank(), hvd.size(), hvd.local_rank(), hvd.local_size()) == (0, 1, 0, 1)


def test_argument_rules_without_running():
    x = tf.constant([1.0, 2.0])
    with pytest.raises(ValueError, match="rank 0 only"):
        hvd.broadcast(x, root_rank=2)
    with pytest.raises(ValueError, match="rank 0 only"):
        hvd.broadcast_global_variables(1)
    with pytest.raises(ValueError, match="Average .0. or Sum .1."):
        hvd.allreduce(x, op=3)
    with pytest.raises(TypeError, match="wraps a nabla.train optimizer"):
        hvd.DistributedOptimizer(object())


@pytest.mark.parametrize("n", [2, 3])
def test_collectives_against_hand_computed_values(tmp_path, n):
    if not _C.dist_available():
        with pytest.raises(ImportError):
            hvd.allreduce(tf.constant(1.0))
        return
    mpirun(n, tmp_path, "collectives")
    assert sorted(os.listdir(tmp_path)) == ["ok.%d" % r for r in range(n)]


@pytest.mark.parametrize("n,B,uneven", [(2, 12, 0), (3, 12, 0), (3, 10, 1)])
def test_n_ranks_equal_one_process_after_20_steps(tmp_path, n, B, uneven):
    """N ranks with B/N rows each (mean loss, Average) or uneven shares of
    B = 10 over 3 ranks (sum / B, Sum) against one process with batch B."""
    if not _C.dist_available():
        with pytest.raises(ImportError):
            hvd.init()
        return
    mpirun(n, tmp_path, "train", str(B), str(uneven))
    w = [np.load(os.path.join(str(tmp_path), "w.%d.npz" % r)) for r in range(n)]
    init = dist_worker.init_values(0)
    for name in ("gd", "momentum", "adam"):
        ref = dist_worker.train(name, B, bool(uneven), 0, 1, False)
        moved = max(float(np.abs(a - b).max()) for a, b in zip(ref, init))
        assert moved > 0.05, (name, moved)          # it trained
        for k in range(4):
            got = w[0]["%s_%d" % (name, k)]
            assert got.dtype == np.float32 and got.shape == ref[k].shape
            assert float(np.abs(got - ref[k]).max()) <= TOL, (name, k)
            for r in range(1, n):                    # every rank the same bits
                assert w[r]["%s_%d" % (name, k)].tobytes() == got.tobytes(), (name, k, r)
    for k in range(4):                               # fusion off: the same bits
        assert w[0]["gd_unfused_%d" % k].tobytes() == w[0]["gd_%d" % k].tobytes()


def test_distributed_optimizer_graph_names_its_collectives():
    """The wrapper adds the all-reduce ops under DistributedOptimizer/, fused
    into one HorovodGroupedAllreduce for small float32 gradients (the graph is
    built without running, so no MPI job is needed)."""
    if not _C.dist_available():
        return test_without_mpi_the_module_says_so()
    w = tf.Variable(np.ones((3, 2), np.float32))
    b = tf.Variable(np.zeros(2, np.float32))
    loss = tf.reduce_sum(tf.matmul(tf.ones([4, 3]), w) + b)
    old = hvd.get_fusion_threshold()
    try:
        hvd.set_fusion_threshold(1 << 20)
        gv = hvd.DistributedOptimizer(tf.train.GradientDescentOptimizer(0.1)).compute_gradients(loss)
        assert [g.op.type for g, _ in gv] == ["HorovodGroupedAllreduce"] * 2
        assert all(g.op.name.startswith("DistributedOptimizer/") for g, _ in gv)
        hvd.set_fusion_threshold(0)
        gv = hvd.DistributedOptimizer(tf.train.GradientDescentOptimizer(0.1)).compute_gradients(loss)
        assert [g.op.type for g, _ in gv] == ["HorovodAllreduce"] * 2
    finally:
        hvd.set_fusion_threshold(old)
