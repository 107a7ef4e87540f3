#!/usr/bin/python3
"""py_linreg.py — the course's linear regression loop from Python: 10,000
sess.run(train_op, feed_dict=...) calls, against the same loop in PyTorch eager.

Model: the 25-row blood-fat table, W = zeros [2,1], b = 0, float32,
loss = sum((Y - (X W + b)^T)^2), gradient descent with lr 1e-6, 10,000 steps.
  nabla, fed:   X, Y placeholders, sess.run(train_op, feed_dict={X: xs, Y: ys})
  nabla, course: X, Y constants (the course's program), sess.run([train_op])
  torch:        zero_grad, forward, backward, SGD step (tensors made once)
Each loop runs --rounds times from fresh parameters; the best round counts.
The final W, b and loss are printed for each (they must agree).

Threads: nabla and torch both set to --threads (default 1), OMP_NUM_THREADS too.
Run with PYTHONPATH=<build>/python /usr/bin/python3 bench/py_linreg.py.
"""
import argparse
import os
import sys
import time

TABLE = [
    (84, 46, 354), (73, 20, 190), (65, 52, 405), (70, 30, 263), (76, 57, 451),
    (69, 25, 302), (63, 28, 288), (72, 36, 385), (79, 57, 402), (75, 44, 365),
    (27, 24, 209), (89, 31, 290), (65, 52, 346), (57, 23, 254), (59, 60, 395),
    (69, 48, 434), (60, 34, 220), (79, 51, 374), (75, 50, 308), (82, 34, 220),
    (59, 46, 311), (67, 23, 181), (85, 37, 274), (55, 40, 303), (63, 30, 244),
]


def nabla_loop(tf, np, steps, rounds, fed):
    xs = np.array([r[:2] for r in TABLE], np.float32)
    ys = np.array([r[2] for r in TABLE], np.float32)
    tf.reset_default_graph()
    W = tf.Variable(tf.zeros([2, 1]), name="weights")
    b = tf.Variable(0., name="bias")
    if fed:
        X = tf.placeholder(tf.float32, [25, 2])
        Y = tf.placeholder(tf.float32, [25])
        feed = {X: xs, Y: ys}
    else:
        X, Y = tf.to_float(xs.tolist()), tf.to_float(ys.tolist())
        feed = None
    loss = tf.reduce_sum(tf.squared_difference(Y, tf.transpose(tf.matmul(X, W) + b)))
    train_op = tf.train.GradientDescentOptimizer(0.000001).minimize(loss)
    init = tf.global_variables_initializer()
    best = None
    with tf.Session() as sess:
        for _ in range(rounds):
            sess.run(init)
            if fed:
                t0 = time.perf_counter()
                for _ in range(steps):
                    sess.run(train_op, feed_dict=feed)
                dt = time.perf_counter() - t0
            else:
                t0 = time.perf_counter()
                for _ in range(steps):
                    sess.run([train_op])
                dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
        w, bv, l = sess.run([W, b, loss], feed)
    return best, w.ravel(), float(bv), float(l)


def torch_loop(torch, steps, rounds):
    X = torch.tensor([r[:2] for r in TABLE], dtype=torch.float32)
    Y = torch.tensor([r[2] for r in TABLE], dtype=torch.float32)
    best = None
    for _ in range(rounds):
        W = torch.zeros(2, 1, requires_grad=True)
        b = torch.zeros((), requires_grad=True)
        opt = torch.optim.SGD([W, b], lr=1e-6)
        t0 = time.perf_counter()
        for _ in range(steps):
            opt.zero_grad()
            loss = ((Y - (X @ W + b).t()) ** 2).sum()
            loss.backward()
            opt.step()
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    with torch.no_grad():
        loss = ((Y - (X @ W + b).t()) ** 2).sum()
    return best, W.detach().numpy().ravel(), float(b), float(loss)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(a.threads)
    import numpy as np
    import nabla as tf
    import torch
    tf.set_num_threads(a.threads)
    torch.set_num_threads(a.threads)
    fed = nabla_loop(tf, np, a.steps, a.rounds, True)
    course = nabla_loop(tf, np, a.steps, a.rounds, False)
    pt = torch_loop(torch, a.steps, a.rounds)
    print("threads: nabla %d, torch %d; %d steps, best of %d rounds"
          % (tf.get_num_threads(), torch.get_num_threads(), a.steps, a.rounds))
    for name, (dt, w, b, l) in (("nabla fed", fed), ("nabla course", course), ("torch", pt)):
        print("%-13s %8.1f ms  %6.2f us/step  W=[%.7g %.7g] b=%.7g loss=%.8g"
              % (name, dt * 1e3, dt / a.steps * 1e6, w[0], w[1], b, l))
    print("speed-up over torch eager: fed %.1fx, course %.1fx" % (pt[0] / fed[0], pt[0] / course[0]))
    print("RESULT fed_us_per_step=%.3f course_us_per_step=%.3f torch_us_per_step=%.3f "
          "speedup_fed=%.2f speedup_course=%.2f threads=%d"
          % (fed[0] / a.steps * 1e6, course[0] / a.steps * 1e6, pt[0] / a.steps * 1e6,
             pt[0] / fed[0], pt[0] / course[0], a.threads))


if __name__ == "__main__":
    main()
