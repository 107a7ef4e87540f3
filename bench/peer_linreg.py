#!/usr/bin/python3
"""peer_linreg.py — the course's linear regression in PyTorch eager, the peer of bench_linreg.c.

25-row blood-fat table, W = zeros [2,1], b = 0, float32,
loss = sum((Y - (X W + b)^T)^2), torch.optim.SGD(lr=1e-6), 10,000 steps
(zero_grad, forward, backward, step). The training loop alone is timed; it is
repeated --rounds times from fresh parameters and the best round is reported
in µs per step, with the final W, b and loss.

Threads: torch.set_num_threads(--threads) is called explicitly; the caller
should also export OMP_NUM_THREADS and OPENBLAS_NUM_THREADS (see run.sh).
Run it with /usr/bin/python3. Prints readable lines and
    RESULT us_per_step=... W0=... W1=... b=... loss=... threads=...
"""
import argparse
import os
import time

import torch

TABLE = [
    (84, 46, 354), (73, 20, 190), (65, 52, 405), (70, 30, 263), (76, 57, 451),
    (69, 25, 302), (63, 28, 288), (72, 36, 385), (79, 57, 402), (75, 44, 365),
    (27, 24, 209), (89, 31, 290), (65, 52, 346), (57, 23, 254), (59, 60, 395),
    (69, 48, 434), (60, 34, 220), (79, 51, 374), (75, 50, 308), (82, 34, 220),
    (59, 46, 311), (67, 23, 181), (85, 37, 274), (55, 40, 303), (63, 30, 244),
]


def train(X, Y, steps):
    W = torch.zeros(2, 1, dtype=torch.float32, requires_grad=True)
    b = torch.zeros((), dtype=torch.float32, requires_grad=True)
    opt = torch.optim.SGD([W, b], lr=1e-6)
    t0 = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.sum((Y - torch.t(X @ W + b)) ** 2)
        loss.backward()
        opt.step()
    dt = time.perf_counter() - t0
    with torch.no_grad():
        final = torch.sum((Y - torch.t(X @ W + b)) ** 2).item()
    return dt, W.detach(), b.detach(), final


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)

    X = torch.tensor([[w, age] for w, age, _ in TABLE], dtype=torch.float32)
    Y = torch.tensor([fat for _, _, fat in TABLE], dtype=torch.float32)
    train(X, Y, 200)  # warm-up
    times = []
    for _ in range(a.rounds):
        dt, W, b, final = train(X, Y, a.steps)
        times.append(dt / a.steps)
    times.sort()
    best, med = times[0], times[len(times) // 2]
    w0, w1, bb = W[0, 0].item(), W[1, 0].item(), b.item()
    print(f"PyTorch {torch.__version__} eager + SGD: {a.steps} steps, best of {a.rounds} rounds, "
          f"torch.get_num_threads()={torch.get_num_threads()}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    print(f"  best   {best * 1e6:.2f} us per step ({best * a.steps:.3f} s), median {med * 1e6:.2f}")
    print(f"  final W = [{w0:.8g}, {w1:.8g}], b = {bb:.8g}, loss = {final:.8g}")
    print(f"RESULT us_per_step={best * 1e6:.4f} median_us_per_step={med * 1e6:.4f} "
          f"W0={w0:.8g} W1={w1:.8g} b={bb:.8g} loss={final:.8g} threads={torch.get_num_threads()}")


if __name__ == "__main__":
    main()
