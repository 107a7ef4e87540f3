# The Fashion-MNIST MLP of fashion_mlp.py, data-parallel over MPI with Horovod's
# TF1 names (nabla.distributed):
#
#   mpirun -np 2 python3 examples/python/fashion_mlp_distributed.py [DATA_DIR] [EPOCHS] [TRAIN_SIZE]
#
# Every rank builds the same graph; DistributedOptimizer averages the gradients
# over the ranks; broadcast_global_variables(0) gives every rank rank 0's initial
# weights. Each epoch has one global order (the same on every rank for the seed
# and the epoch); each rank reads from disk only its rows of that epoch
# (shard_rows + read_idx_rows), BATCH of each global batch of BATCH x ranks
# (the effective batch grows with the ranks; the learning rate is left as it
# is). The test set is split in contiguous parts, the hits are summed. Only
# rank 0 prints. Without mpirun (or without MPI) it runs as one process.
import os
import sys
import time

import numpy as np
import nabla as tf
import nabla.distributed as hvd

DATA_DIR = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
EPOCHS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
TRAIN_SIZE = int(sys.argv[3]) if len(sys.argv) > 3 else 0
BATCH, SEED = 64, 1

if hvd.available() and hvd.launched():
    hvd.init()
else:
    print("note: not started by mpirun%s: running as one process"
          % ("" if hvd.available() else " (nabla was built without MPI)"))
rank, size = hvd.rank(), hvd.size()
# the ranks on this machine share its cores
tf.set_num_threads(max(1, tf.get_num_threads() // hvd.local_size()))

path = lambda name: os.path.join(DATA_DIR, name)  # noqa: E731
_, dims = hvd.idx_header(path("train-images-idx3-ubyte.gz"))
n_train = dims[0] if TRAIN_SIZE <= 0 else min(TRAIN_SIZE, dims[0])
n_test = hvd.idx_header(path("t10k-images-idx3-ubyte.gz"))[1][0]
lo, hi = n_test * rank // size, n_test * (rank + 1) // size      # this rank's test rows
test_rows = np.arange(lo, hi)
test_x = hvd.read_idx_rows(path("t10k-images-idx3-ubyte.gz"), test_rows).reshape(-1, 784) / 255.0
test_y = hvd.read_idx_rows(path("t10k-labels-idx1-ubyte.gz"), test_rows).astype(np.int32)

tf.set_random_seed(SEED)
x = tf.placeholder(tf.float32, (None, 784), name="x")
y = tf.placeholder(tf.int32, (None,), name="y")
h = tf.layers.dense(x, 256, tf.nn.relu)
h = tf.layers.dense(h, 256, tf.nn.relu)
logits = tf.layers.dense(h, 10)
loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
# (with one process DistributedOptimizer adds no all-reduce, as Horovod's)
train_op = hvd.DistributedOptimizer(tf.train.MomentumOptimizer(0.05, 0.9)).minimize(loss)
hits = tf.reduce_sum(tf.cast(tf.equal(tf.cast(tf.argmax(logits, 1), tf.int32), y), tf.float32))
bcast = hvd.broadcast_global_variables(0) if size > 1 else tf.no_op()

if rank == 0:
    print("fashion_mlp_distributed: %d ranks, %d training images, batch %d per rank "
          "(effective %d)" % (size, n_train, BATCH, BATCH * size))
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    sess.run(bcast)
    for epoch in range(EPOCHS):
        t0 = time.time()
        rows = hvd.shard_rows(n_train, BATCH * size, seed=SEED, epoch=epoch, drop_remainder=True)
        bx = hvd.read_idx_rows(path("train-images-idx3-ubyte.gz"), rows).reshape(-1, 784) / 255.0
        by = hvd.read_idx_rows(path("train-labels-idx1-ubyte.gz"), rows).astype(np.int32)
        total, steps = 0.0, len(rows) // BATCH
        for s in range(steps):
            _, l = sess.run([train_op, loss], {x: bx[s * BATCH:(s + 1) * BATCH],
                                              y: by[s * BATCH:(s + 1) * BATCH]})
            total += l
        right = sess.run(hits, {x: test_x, y: test_y})
        if size > 1:
            right = hvd.allreduce_value(np.array([right], np.float64), op=hvd.Sum)[0]
        if rank == 0:
            print("epoch %d: %.1f s, mean loss %.4f (rank 0), test accuracy %.4f"
                  % (epoch + 1, time.time() - t0, total / max(steps, 1), right / n_test))
