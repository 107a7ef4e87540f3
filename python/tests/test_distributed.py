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
    for k in range(4):                               # overlap off (blocking ops): the same bits
        assert w[0]["gd_blocking_%d" % k].tobytes() == w[0]["gd_%d" % k].tobytes()
    # the overlapped path ran: the 4 small gradients (< 1 MiB) are one bucket, one
    # NablaAllreduceStart; fusion 0: one per variable; overlap 0: none
    assert list(w[0]["starts"]) == [1, 1, 1, 4, 0]


def test_distributed_optimizer_graph_names_its_collectives():
    """With one process the wrapper returns the wrapped optimizer's gradients
    (as Horovod); with several, the gradients are built by libnabla_dist's
    nb_dist_gradients (built here in one process through the same private
    entry point, without running it): overlapped, one NablaAllreduceStart and
    Wait per bucket under DistributedOptimizer/; with overlap 0, blocking ops
    fused into one HorovodGroupedAllreduce for small float32 gradients, or one
    HorovodAllreduce each with fusion 0."""
    if not _C.dist_available():
        return test_without_mpi_the_module_says_so()
    w = tf.Variable(np.ones((3, 2), np.float32))
    b = tf.Variable(np.zeros(2, np.float32))
    loss = tf.reduce_sum(tf.matmul(tf.ones([4, 3]), w) + b)
    gv = hvd.DistributedOptimizer(tf.train.GradientDescentOptimizer(0.1)).compute_gradients(loss)
    assert len(gv) == 2 and all(g is not None for g, _ in gv)
    assert not any(op.type.startswith(("Horovod", "Nabla"))
                   for op in tf.get_default_graph().get_operations())
    opt = tf.train.GradientDescentOptimizer(0.1)
    old = (hvd.get_fusion_threshold(), hvd.get_overlap())
    try:
        hvd.set_overlap(1 << 20)
        over = hvd._distributed_gradients(opt, loss, None, None, hvd.Average)
        assert [v.name for _, v in over] == [v.name for _, v in gv]
        assert [g.op.type for g, _ in over] == ["NablaAllreduceWait"] * 2
        assert over[0][0].op.name == over[1][0].op.name  # one bucket
        assert over[0][0].op.name.startswith("DistributedOptimizer/")
        assert over[0][0].op.inputs[0].op.type == "NablaAllreduceStart"
        hvd.set_overlap(0)
        hvd.set_fusion_threshold(1 << 20)
        fused = hvd._distributed_gradients(opt, loss, None, None, hvd.Average)
        assert [g.op.type for g, _ in fused] == ["HorovodGroupedAllreduce"] * 2
        # (a second scope of that name in one graph is made unique, as TF does)
        assert all(g.op.name.startswith("DistributedOptimizer_1/") for g, _ in fused)
        hvd.set_fusion_threshold(0)
        alone = hvd._distributed_gradients(opt, loss, None, None, hvd.Average)
        assert [g.op.type for g, _ in alone] == ["HorovodAllreduce"] * 2
        with pytest.raises(NotImplementedError):
            hvd._distributed_gradients(opt, loss, None, tf.ones([]), hvd.Average)
    finally:
        hvd.set_fusion_threshold(old[0])
        hvd.set_overlap(old[1])


# ---------------------------------------------------------------- data shards

def test_shard_rows_follow_the_rule_and_cover_the_epoch():
    """Rank r's rows: of each global batch of m positions of the epoch's order,
    positions floor(m r/size)..floor(m (r+1)/size); all ranks = every row once."""
    n, B = 29, 8
    perm = hvd.shard_permutation(n, 5, 3)
    assert sorted(perm.tolist()) == list(range(n))
    assert perm.tolist() == hvd.shard_permutation(n, 5, 3).tolist()
    assert perm.tolist() != hvd.shard_permutation(n, 5, 4).tolist()
    for size in (1, 2, 3):
        for drop in (False, True):
            union = []
            for r in range(size):
                got = hvd.shard_rows(n, B, seed=5, epoch=3, drop_remainder=drop, rank=r, size=size)
                want = []
                for start in range(0, n, B):
                    m = min(B, n - start)
                    if drop and m < B:
                        break
                    want += perm[start + m * r // size:start + m * (r + 1) // size].tolist()
                assert got.dtype == np.int64 and got.tolist() == want
                union += want
            assert sorted(union) == sorted(perm[:n // B * B if drop else n].tolist())


def test_shard_rows_bad_arguments():
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="rank 2 is not one of the 2 ranks 0..1"):
        hvd.shard_rows(10, 4, rank=2, size=2)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="a global batch of 2 rows leaves some of the 3 ranks without a row"):
        hvd.shard_rows(10, 2, rank=0, size=3)


def _idx(path, arr, gz):
    import gzip
    import struct
    arr = np.asarray(arr, np.uint8)
    data = struct.pack(">BBBB", 0, 0, 8, arr.ndim) + b"".join(struct.pack(">I", d) for d in arr.shape)
    data += arr.tobytes()
    with (gzip.open if gz else open)(path, "wb") as f:
        f.write(data)


def test_read_idx_rows_gives_exactly_the_rows(tmp_path):
    full = np.random.RandomState(0).randint(0, 256, (40, 3, 5))
    for gz in (False, True):
        p = str(tmp_path / ("a.idx" + (".gz" if gz else "")))
        _idx(p, full, gz)
        assert hvd.idx_header(p) == (tf.uint8, (40, 3, 5))
        rows = [39, 0, 7, 7, 12]
        np.testing.assert_array_equal(hvd.read_idx_rows(p, rows), full[rows].astype(np.uint8))
        union = np.concatenate([hvd.read_idx_rows(p, hvd.shard_rows(40, 6, 9, 1, rank=r, size=3))
                                for r in range(3)])
        assert sorted(map(bytes, union)) == sorted(map(bytes, full.astype(np.uint8)))
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"rows\[1\] is 40, outside the "
                           r"file's 40 rows \(0..39\)"):
            hvd.read_idx_rows(p, [1, 40])


def test_read_csv_rows_parses_only_the_rows_asked_for(tmp_path):
    p = tmp_path / "d.csv"
    lines = ["a,b"] + ["%d,%d" % (i, i * i) if i % 3 else "corrupt,row,!" for i in range(12)]
    p.write_text("\n".join(lines) + "\n")
    assert hvd.csv_num_rows(str(p)) == 12
    got = hvd.read_csv_rows(str(p), [5, 1, 11], columns=["b"], dtype=tf.float64)
    np.testing.assert_array_equal(got, [[25.0], [1.0], [121.0]])
    with pytest.raises(tf.errors.OpError, match="d.csv:5: the row has 3 fields, expected 2"):
        hvd.read_csv_rows(str(p), [3])


def test_python_example_trains_on_two_ranks_reading_its_shards(tmp_path):
    """examples/python/fashion_mlp_distributed.py under mpirun -np 2 on a small
    synthetic IDX set; then the same program alone (one process, a note)."""
    from test_examples import _synthetic_idx_dir
    d = str(tmp_path / "data")
    os.makedirs(d)
    _synthetic_idx_dir(d, 1280, 200)
    prog = os.path.join(HERE, "..", "..", "examples", "python", "fashion_mlp_distributed.py")
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1",
               OMPI_MCA_btl_vader_single_copy_mechanism="none", NABLA_DIST_TIMEOUT="60")
    if _C.dist_available():
        p = subprocess.run([shutil.which("mpirun"), "--oversubscribe", "-np", "2", sys.executable,
                            prog, d, "2"], env=env, capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stdout + p.stderr
        assert "2 ranks, 1280 training images, batch 64 per rank (effective 128)" in p.stdout
        accs = [float(a) for a in __import__("re").findall(r"test accuracy (\S+)", p.stdout)]
        assert len(accs) == 2 and accs[-1] > 0.5, p.stdout      # chance is 0.1
    p = subprocess.run([sys.executable, prog, d, "1"], env=env, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "running as one process" in p.stdout and "1 ranks" in p.stdout
