"""One rank of test_distributed.py's MPI jobs (run under mpirun, or alone as the
1-process reference): python3 dist_worker.py OUTDIR MODE [args].

MODE collectives: each collective on values every rank can compute for every
rank (x_r = arange(n) + 10 r); asserts here, writes OUTDIR/ok.<rank>.
MODE train B UNEVEN: 20 steps of GD, Momentum and Adam on a small MLP, each
rank on its rows floor(B r/N)..floor(B (r+1)/N) of every global batch of B;
variables start from rank-dependent seeds and are made equal by
broadcast_global_variables; writes OUTDIR/w.<rank>.npz (the final weights).
UNEVEN=1: each rank's loss is its cross-entropy sum / B, all-reduced with Sum
(the rule for shares that differ); 0: its mean, averaged.
"""
import os
import sys

import numpy as np

import nabla as tf
import nabla.distributed as hvd

STEPS, IN, HID, OUT = 20, 5, 4, 3


def data(B):
    """The global batches (the same on every rank and in the reference)."""
    rs = np.random.RandomState(7)
    x = rs.uniform(-1, 1, (STEPS, B, IN)).astype(np.float32)
    y = rs.randint(0, OUT, (STEPS, B)).astype(np.int32)
    return x, y


def init_values(seed):
    rs = np.random.RandomState(seed)
    return [rs.uniform(-0.5, 0.5, s).astype(np.float32) for s in ((IN, HID), (HID,), (HID, OUT), (OUT,))]


def train(opt_name, B, uneven, rank, size, distributed, fusion=None, overlap=None, starts=None):
    """Final weights after STEPS steps of opt_name on this rank's share (the
    fusion threshold / overlap bucket set for this graph, then restored);
    starts (a list) gets the number of NablaAllreduceStart ops of the graph."""
    if distributed:
        old = (hvd.get_fusion_threshold(), hvd.get_overlap())
        try:
            if fusion is not None:
                hvd.set_fusion_threshold(fusion)
            if overlap is not None:
                hvd.set_overlap(overlap)
            return _train(opt_name, B, uneven, rank, size, True, starts)
        finally:
            hvd.set_fusion_threshold(old[0])
            hvd.set_overlap(old[1])
    return _train(opt_name, B, uneven, rank, size, False, starts)


def _train(opt_name, B, uneven, rank, size, distributed, starts):
    g = tf.Graph()
    with g.as_default():
        # rank 0 (and the reference) start from seed 0, the others elsewhere:
        # only the broadcast can make them equal
        iv = init_values(0 if rank == 0 else 100 + rank)
        w1, b1, w2, b2 = [tf.Variable(v, name=n) for v, n in zip(iv, ("w1", "b1", "w2", "b2"))]
        x = tf.placeholder(tf.float32, [None, IN])
        y = tf.placeholder(tf.int32, [None])
        logits = tf.matmul(tf.nn.relu(tf.matmul(x, w1) + b1), w2) + b2
        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        loss = tf.reduce_sum(ce) / float(B) if uneven else tf.reduce_mean(ce)
        base = {"gd": lambda: tf.train.GradientDescentOptimizer(0.5),
                "momentum": lambda: tf.train.MomentumOptimizer(0.2, 0.9),
                "adam": lambda: tf.train.AdamOptimizer(0.05)}[opt_name]()
        if distributed:
            opt = hvd.DistributedOptimizer(base, op=hvd.Sum if uneven else hvd.Average)
        else:
            opt = base
        step = opt.minimize(loss)
        if starts is not None:
            starts.append(sum(op.type == "NablaAllreduceStart" for op in g.get_operations()))
        bcast = hvd.broadcast_global_variables(0) if distributed else None
        X, Y = data(B)
        lo, hi = B * rank // size, B * (rank + 1) // size
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            if bcast is not None:
                sess.run(bcast)
            for s in range(STEPS):
                sess.run(step, {x: X[s, lo:hi], y: Y[s, lo:hi]})
            return [sess.run(v) for v in (w1, b1, w2, b2)]


def check_collectives(rank, size):
    n = 5
    tri = 10 * size * (size - 1) // 2       # sum over r of 10 r
    g = tf.Graph()
    with g.as_default():
        fetch, want = [], []
        for dt in (np.float32, np.float64, np.int32, np.int64, np.uint8):
            xr = (np.arange(n) + 10 * rank).astype(dt)
            t = tf.constant(xr)
            fetch.append(hvd.allreduce(t, op=hvd.Sum))
            want.append((size * np.arange(n) + tri).astype(dt))      # uint8 wraps as numpy does
            fetch.append(hvd.broadcast(t))
            want.append(np.arange(n).astype(dt))
            # rank r gives r+1 rows of r: rows 0, 1, 1, 2, 2, 2, ...
            fetch.append(hvd.allgather(tf.constant(np.full((rank + 1, 2), rank, dt))))
            want.append(np.repeat(np.arange(size), np.arange(1, size + 1))[:, None].repeat(2, 1).astype(dt))
            if dt in (np.float32, np.float64):
                fetch.append(hvd.allreduce(t))                        # Average
                want.append(((size * np.arange(n) + tri) / size).astype(dt))
        # bool Sum is logical or: only rank 0 has a True at 0, only the last at 1
        bv = np.zeros(3, bool)
        bv[0] = rank == 0
        bv[1] = rank == size - 1
        fetch.append(hvd.allreduce(tf.constant(bv), op=hvd.Sum))
        want.append(np.array([True, True, False]))
        # empty tensors
        fetch.append(hvd.allreduce(tf.zeros([0, 3], tf.float32)))
        want.append(np.zeros((0, 3), np.float32))
        # fused == unfused, the same bits (values that round differently in another order)
        shapes = ((3, 4), (7,), (2, 2))

        def parts_of(r):
            rs = np.random.RandomState(r)
            return [rs.standard_normal(s).astype(np.float32) * np.float32(10 ** r) for s in shapes]
        parts = [tf.constant(p) for p in parts_of(rank)]
        fused = hvd.grouped_allreduce(parts, op=hvd.Sum)
        alone = [hvd.allreduce(p, op=hvd.Sum) for p in parts]
        with tf.Session() as sess:
            got = sess.run(fetch)
            for k, (a, b) in enumerate(zip(got, want)):
                assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b), (k, a, b)
            f, u = sess.run(fused), sess.run(alone)
            # the float32 sum in rank order 0..size-1, from every rank's values
            every = [parts_of(r) for r in range(size)]
            for j in range(len(shapes)):
                acc = every[0][j]
                for r in range(1, size):
                    acc = (acc + every[r][j]).astype(np.float32)
                assert f[j].tobytes() == acc.tobytes() and u[j].tobytes() == acc.tobytes(), j
    # outside a graph
    v = hvd.allreduce_value(np.array([rank + 1.0, 2.0 * rank]), op=hvd.Sum)
    assert np.array_equal(v, [size * (size + 1) / 2, size * (size - 1)])
    # Horovod's argument rules
    for bad in (lambda: hvd.broadcast(tf.constant(1.0), root_rank=1),
                lambda: hvd.allreduce(tf.constant(1.0), op=7),
                lambda: hvd.allreduce(tf.constant(1.0), average=True, op=hvd.Sum)):
        try:
            bad()
        except ValueError:
            pass
        else:
            raise AssertionError("no ValueError")


def main():
    out, mode = sys.argv[1], sys.argv[2]
    hvd.init()
    rank, size = hvd.rank(), hvd.size()
    if mode == "collectives":
        check_collectives(rank, size)
        open(os.path.join(out, "ok.%d" % rank), "w").write("ok\n")
    elif mode == "train":
        B, uneven = int(sys.argv[3]), sys.argv[4] == "1"
        res = {}
        starts = []
        for name in ("gd", "momentum", "adam"):
            for k, w in enumerate(train(name, B, uneven, rank, size, True, starts=starts)):
                res["%s_%d" % (name, k)] = w
        for k, w in enumerate(train("gd", B, uneven, rank, size, True, fusion=0, starts=starts)):
            res["gd_unfused_%d" % k] = w
        for k, w in enumerate(train("gd", B, uneven, rank, size, True, overlap=0, starts=starts)):
            res["gd_blocking_%d" % k] = w
        res["starts"] = np.array(starts, np.int64)
        np.savez(os.path.join(out, "w.%d.npz" % rank), **res)
    else:
        raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    main()
