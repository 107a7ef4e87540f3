#!/usr/bin/python3
"""peer_conv.py — the peer of bench_conv.c: the course CNN's two conv layers in PyTorch.

x [B,1,28,28] -> conv 5x5 1->32 (padding 2) -> relu -> maxpool 2 -> conv 5x5 32->64
(padding 2) -> relu -> maxpool 2 -> sum, float32, no bias (as the nabla graph).
"fwd" runs the forward pass under no_grad; "step" runs forward and backward for
the two filters. Median of --reps runs after 3 warm-up runs, in ms.

Threads: torch.set_num_threads(--threads); the caller also sets OMP_NUM_THREADS
and OPENBLAS_NUM_THREADS=1 (torch's matmuls use the system OpenBLAS, which
ignores set_num_threads; ../shared/reference/peers.md). Run with /usr/bin/python3.
Prints RESULT torch_fwd_ms=... torch_step_ms=... threads=...
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--reps", type=int, default=20)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x = torch.rand(a.batch, 1, 28, 28)
    w1 = (torch.randn(32, 1, 5, 5) * 0.1).requires_grad_()
    w2 = (torch.randn(64, 32, 5, 5) * 0.05).requires_grad_()

    def net():
        h = F.max_pool2d(F.relu(F.conv2d(x, w1, padding=2)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, padding=2)), 2)
        return h.sum()

    def fwd():
        with torch.no_grad():
            net()

    def step():
        w1.grad = None
        w2.grad = None
        net().backward()

    res = {}
    for name, fn in (("fwd", fwd), ("step", step)):
        ts = []
        for i in range(3 + a.reps):
            t0 = time.perf_counter()
            fn()
            if i >= 3:
                ts.append((time.perf_counter() - t0) * 1e3)
        res[name] = statistics.median(ts)
    print(f"RESULT torch_fwd_ms={res['fwd']:.3f} torch_step_ms={res['step']:.3f} threads={a.threads}")


if __name__ == "__main__":
    main()
