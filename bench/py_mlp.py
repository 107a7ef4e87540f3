#!/usr/bin/python3
"""py_mlp.py — one Fashion-MNIST MLP epoch from Python against the C program
(examples/fashion_mlp.c), same recipe, same thread count, in the same run.

Recipe (fashion_mlp.c's): 784-256-256-10 ReLU, tf.layers.dense, sparse softmax
cross entropy, Momentum(0.05, 0.9), batches of 64 in a fresh permutation each
epoch, pixels / 255. Python: the batch is gathered with numpy into arrays made
before training (as the C program does with its tensors) and fed with
sess.run([train_op, loss], feed_dict). The C program's own "epoch ... time"
line is its figure; it runs before and after the Python epochs and the best epoch of
each side is compared (the machine's load varies). Threads: --threads for both (default 1; OMP_NUM_THREADS is
exported). Data: Debian's dataset-fashion-mnist.

    PYTHONPATH=build/python /usr/bin/python3 bench/py_mlp.py --c build/fashion_mlp
"""
import argparse
import os
import re
import subprocess
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--c", default=None, help="path of the fashion_mlp C program")
    a = ap.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(a.threads)
    import numpy as np
    import nabla as tf
    from nabla.examples.tutorials.mnist import input_data
    tf.set_num_threads(a.threads)
    ds = input_data.read_data_sets(a.data, validation_size=0)
    images, labels = ds.train.images, ds.train.labels.astype(np.int32)
    n = images.shape[0]

    tf.set_random_seed(1)
    x = tf.placeholder(tf.float32, (None, 784), name="x")
    y = tf.placeholder(tf.int32, (None,), name="y")
    h = tf.layers.dense(x, 256, tf.nn.relu)
    h = tf.layers.dense(h, 256, tf.nn.relu)
    logits = tf.layers.dense(h, 10)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    train_op = tf.train.MomentumOptimizer(0.05, 0.9).minimize(loss)
    acc = tf.reduce_mean(tf.cast(tf.equal(tf.cast(tf.argmax(logits, 1), tf.int32), y),
                                 tf.float32))
    def c_epoch():
        out = subprocess.run([a.c, "--epochs", str(a.epochs), "--threads", str(a.threads),
                              "--data", a.data, "--logdir", "/tmp/py_mlp_bench_logs"],
                             capture_output=True, text=True, check=True).stdout
        return min(float(t) for t in re.findall(r"time ([0-9.]+) s", out)), out

    c_runs = [c_epoch()] if a.c else []   # the C program before and after (the machine's
    bx = np.empty((64, 784), np.float32)  # load varies: the best of each side counts)
    by = np.empty(64, np.int32)
    rng = np.random.RandomState(1)
    times = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(a.epochs):
            t0 = time.perf_counter()
            perm = rng.permutation(n)
            total = 0.0
            steps = 0
            for i in range(0, n, 64):
                idx = perm[i:i + 64]
                m = len(idx)
                if m == 64:
                    np.take(images, idx, axis=0, out=bx)
                    np.take(labels, idx, out=by)
                    fx, fy = bx, by
                else:
                    fx, fy = images[idx], labels[idx]
                _, l = sess.run([train_op, loss], {x: fx, y: fy})
                total += l
                steps += 1
            times.append(time.perf_counter() - t0)
        test_acc = sess.run(acc, {x: ds.test.images, y: ds.test.labels.astype(np.int32)})
    py = min(times)
    print("python: epoch %.2f s, train loss %.4f, test accuracy %.4f, %d thread(s)"
          % (py, total / steps, test_acc, tf.get_num_threads()))
    if a.c:
        c_runs.append(c_epoch())
        ct, out = min(c_runs)
        print("C:      epoch %.2f s  (%s)" % (ct, out.strip().splitlines()[-2].strip()))
        print("python / C: %.3f" % (py / ct))
        print("RESULT python_s=%.3f c_s=%.3f ratio=%.3f threads=%d" % (py, ct, py / ct, a.threads))


if __name__ == "__main__":
    main()
