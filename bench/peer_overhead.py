#!/usr/bin/python3
"""peer_overhead.py — PyTorch eager per-op overhead, the peer of bench_overhead.c.

The same chain as nabla's benchmark: x_{i+1} = x_i + c for 1,000 ops on
4-element float32 tensors, run many times; the best of several rounds is
reported in µs per op, under torch.no_grad() and (for reference) with autograd
on (x_0 requires grad, so every add records a graph node).

Threads: torch.set_num_threads(--threads) is called explicitly; the caller
should also export OMP_NUM_THREADS and OPENBLAS_NUM_THREADS (see run.sh).
Run it with /usr/bin/python3 (Debian's torch). Prints readable lines and
    RESULT nograd_us_per_op=... autograd_us_per_op=... threads=...
"""
import argparse
import os
import time

import torch


def chain(x, c, n_ops):
    for _ in range(n_ops):
        x = x + c
    return x


def best_per_op(x0, c, n_ops, runs, rounds):
    for _ in range(20):  # warm-up
        chain(x0, c, n_ops)
    per_op = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(runs):
            chain(x0, c, n_ops)
        per_op.append((time.perf_counter() - t0) / (runs * n_ops))
    per_op.sort()
    return per_op[0], per_op[len(per_op) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ops", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)

    c = torch.tensor([0.5, 0.25, 0.125, 1.0], dtype=torch.float32)
    x0 = torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float32)
    with torch.no_grad():
        ng_best, ng_med = best_per_op(x0, c, a.ops, a.runs, a.rounds)
    xg = x0.clone().requires_grad_(True)
    ag_best, ag_med = best_per_op(xg, c, a.ops, a.runs, a.rounds)

    print(f"PyTorch {torch.__version__} eager: chain of {a.ops} adds on [4] float32, "
          f"{a.runs} runs x {a.rounds} rounds, torch.get_num_threads()={torch.get_num_threads()}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    print(f"  no_grad:  best {ng_best * 1e6:.3f} us per op (median {ng_med * 1e6:.3f})")
    print(f"  autograd: best {ag_best * 1e6:.3f} us per op (median {ag_med * 1e6:.3f})")
    print(f"RESULT nograd_us_per_op={ng_best * 1e6:.4f} autograd_us_per_op={ag_best * 1e6:.4f} "
          f"nograd_median_us_per_op={ng_med * 1e6:.4f} threads={torch.get_num_threads()}")


if __name__ == "__main__":
    main()
