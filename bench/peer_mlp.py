#!/usr/bin/python3
"""peer_mlp.py — the peer of bench_mlp.c: one training epoch of the Fashion-MNIST MLP in PyTorch.

784-256-256-10 with ReLU (nn.Linear's default init), CrossEntropyLoss (mean),
SGD(lr=0.05, momentum=0.9), batch 64, float32. The data set is read from
Debian's dataset-fashion-mnist (gzip IDX) into one float32 tensor scaled to
[0, 1], as a PyTorch user would; each epoch draws a seeded torch.randperm and
indexes the batches out of it (the last batch holds the remaining 32). The timed
loop is zero_grad, forward, loss, backward, step, with loss.item() per batch
(nabla fetches the loss too). First --warmup W (default 5) batches run untimed
(PyTorch builds its oneDNN primitives and allocator caches in the first batches);
they are the epoch's first W batches, which the timed window starts again from,
as bench_mlp.c / bench_cnn.c do. --batches N times N batches only and
extrapolates to the epoch (the output says so), timing the window's halves
separately: their per-batch times differing by d% bounds the extrapolation
error by about d%. --epochs E (default 1) goes on
training, untimed, for E epochs in all and prints the test accuracy after each;
--seed S (default 1) seeds torch and the permutations. Peak memory: ru_maxrss of the
process after the epoch and a test-accuracy pass (resource module).

Threads: torch.set_num_threads(--threads); the caller sets OMP_NUM_THREADS and
OPENBLAS_NUM_THREADS (torch's matmuls go through the system OpenBLAS, which
ignores set_num_threads; ../shared/reference/peers.md). Run with /usr/bin/python3.
Prints RESULT threads=T epoch_s=... batches=B of=938 extrapolated=0|1 halves_pct=... per10k_s=... warmup=W
loss=... acc=... maxrss_mib=...
"""
import argparse
import gzip
import os
import resource
import time

import numpy as np
import torch
import torch.nn as nn

DATA = "/usr/share/datasets/fashion-mnist"


def idx(path):
    with gzip.open(path, "rb") as f:
        b = f.read()
    rank = b[3]
    dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def load(data, prefix):
    x = idx(f"{data}/{prefix}-images-idx3-ubyte.gz")
    y = idx(f"{data}/{prefix}-labels-idx1-ubyte.gz")
    return torch.from_numpy(x.astype(np.float32) / 255.0), torch.from_numpy(y.astype(np.int64))


def model():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def main(name="peer_mlp", make=model, lr=0.05, default_batches=0, shape=(784,)):
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batches", type=int, default=default_batches)
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    xtr, ytr = load(a.data, "train")
    xte, yte = load(a.data, "t10k")
    xtr = xtr.reshape(-1, *shape)
    xte = xte.reshape(-1, *shape)
    net = make()
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    lossf = nn.CrossEntropyLoss()
    n, bs = xtr.shape[0], 64
    per_epoch = (n + bs - 1) // bs
    batches = a.batches if 0 < a.batches < per_epoch else per_epoch
    gen = torch.Generator().manual_seed(a.seed)
    perm = torch.randperm(n, generator=gen)
    warmup = max(0, min(a.warmup, per_epoch - 1))
    for b in range(warmup):  # untimed
        i = perm[b * bs:(b + 1) * bs]
        opt.zero_grad()
        loss = lossf(net(xtr[i]), ytr[i])
        loss.backward()
        opt.step()
        loss.item()
    total = 0.0
    half = batches // 2
    t0 = th = time.perf_counter()
    for b in range(batches):
        if b == half:
            th = time.perf_counter()
        i = perm[b * bs:(b + 1) * bs]
        opt.zero_grad()
        loss = lossf(net(xtr[i]), ytr[i])
        loss.backward()
        opt.step()
        total += loss.item()
    t1 = time.perf_counter()
    dt = t1 - t0
    epoch_s = dt * per_epoch / batches
    r1 = (th - t0) / half if half else 0.0
    r2 = (t1 - th) / (batches - half)
    halves_pct = 100.0 * (r2 - r1) / r1 if r1 > 0 else 0.0
    per10k = dt * 10000.0 / min(batches * bs, n)

    def accuracy():
        correct = 0
        with torch.no_grad():
            for i in range(0, xte.shape[0], bs):
                correct += (net(xte[i:i + bs]).argmax(1) == yte[i:i + bs]).sum().item()
        return correct / xte.shape[0]

    acc = accuracy()
    # --epochs E > 1 (accuracy runs, not timed): whole epochs 2..E, each in a fresh
    # permutation from the same generator, the test accuracy printed after each
    if a.epochs > 1:
        print(f"{name}: epoch 1 test accuracy {acc:.4f}")
    for e in range(2, a.epochs + 1):
        perm = torch.randperm(n, generator=gen)
        for b in range(per_epoch):
            i = perm[b * bs:(b + 1) * bs]
            opt.zero_grad()
            lossf(net(xtr[i]), ytr[i]).backward()
            opt.step()
        acc = accuracy()
        print(f"{name}: epoch {e} test accuracy {acc:.4f}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    extra = batches < per_epoch
    print(f"{name}: torch {torch.__version__}, set_num_threads({a.threads}) "
          f"(OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')} "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}), batch {bs}: "
          f"{warmup} untimed, then {batches} of {per_epoch} batches in {dt:.2f} s ({per10k:.3f} s per 10,000 images; "
          f"2nd half per batch {halves_pct:+.1f}% vs 1st) -> epoch {epoch_s:.2f} s"
          f"{' (EXTRAPOLATED from the timed batches)' if extra else ''}; mean loss {total / batches:.4f}; "
          f"test accuracy {acc:.4f}; peak RSS {rss:.1f} MiB")
    print(f"RESULT threads={a.threads} epoch_s={epoch_s:.3f} batches={batches} of={per_epoch} "
          f"extrapolated={int(extra)} halves_pct={halves_pct:.1f} per10k_s={per10k:.3f} warmup={warmup} loss={total / batches:.4f} acc={acc:.4f} maxrss_mib={rss:.1f}")


if __name__ == "__main__":
    main()
