#!/usr/bin/python3
"""py_overhead.py — the cost of one sess.run from Python for a tiny graph, next to
one PyTorch eager step of the same computation.

Graph: y = x * 2 + 1 on a fed 4-element float32 placeholder (two ops). Timed:
  sess.run(y, feed_dict={x: data})        (TF1's call: dict feed, one fetch)
  sess.run([y], {x: data})                (a list fetch)
  sess.make_callable(y, [x])(data)        (TF1's pre-parsed call)
  sess.run(train_op, {x: data})           (one SGD step on w: loss = sum((w*x-1)^2))
beside PyTorch eager (torch.no_grad) y = x * 2 + 1, and the same SGD step with
autograd (zero_grad, forward, backward, step). Best of --rounds, µs per call.

Threads: nabla and torch both set to --threads (default 1: a tiny graph gains
nothing from more); OMP_NUM_THREADS is exported to match before either starts.
Run with PYTHONPATH=<build>/python /usr/bin/python3 bench/py_overhead.py.
Prints readable lines and a RESULT line.
"""
import argparse
import os
import sys
import time


def best(fn, n, rounds):
    for _ in range(min(n, 2000)):
        fn()
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        out.append((time.perf_counter() - t0) / n * 1e6)
    return min(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--calls", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(a.threads)
    import numpy as np
    import nabla as tf
    tf.set_num_threads(a.threads)

    data = np.arange(4, dtype=np.float32)
    x = tf.placeholder(tf.float32, [4], name="x")
    y = x * 2 + 1
    w = tf.Variable(np.zeros(4, np.float32))
    loss = tf.reduce_sum(tf.square(w * x - 1.0))
    train = tf.train.GradientDescentOptimizer(0.01).minimize(loss)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    call = sess.make_callable(y, [x])
    r = {}
    r["run"] = best(lambda: sess.run(y, feed_dict={x: data}), a.calls, a.rounds)
    r["run_list"] = best(lambda: sess.run([y], {x: data}), a.calls, a.rounds)
    r["callable"] = best(lambda: call(data), a.calls, a.rounds)
    r["train"] = best(lambda: sess.run(train, {x: data}), a.calls, a.rounds)

    import torch
    torch.set_num_threads(a.threads)
    tx = torch.from_numpy(data.copy())

    def eager():
        with torch.no_grad():
            return tx * 2 + 1
    tw = torch.zeros(4, requires_grad=True)
    opt = torch.optim.SGD([tw], lr=0.01)

    def eager_train():
        opt.zero_grad()
        l = ((tw * tx - 1.0) ** 2).sum()
        l.backward()
        opt.step()
    r["torch"] = best(eager, a.calls, a.rounds)
    r["torch_train"] = best(eager_train, a.calls // 4, a.rounds)

    print("threads: nabla %d, torch %d (python %s, torch %s)"
          % (tf.get_num_threads(), torch.get_num_threads(), sys.version.split()[0],
             torch.__version__))
    print("nabla sess.run(y, feed_dict)     %7.2f us/call" % r["run"])
    print("nabla sess.run([y], feed)        %7.2f us/call" % r["run_list"])
    print("nabla make_callable(y, [x])(v)   %7.2f us/call" % r["callable"])
    print("torch eager x*2+1 (no_grad)      %7.2f us/step" % r["torch"])
    print("nabla sess.run(train_op, feed)   %7.2f us/call" % r["train"])
    print("torch eager SGD step (autograd)  %7.2f us/step" % r["torch_train"])
    print("RESULT " + " ".join("%s_us=%.3f" % kv for kv in r.items()) +
          " threads=%d" % a.threads)


if __name__ == "__main__":
    main()
