#!/usr/bin/python3
"""peer_kmeans.py — scikit-learn's KMeans on the Fashion-MNIST test images, the peer of bench_kmeans.c.

The 10,000 test images, pixels / 255 as float64 (or --dtype float32), 784 features, k = 10,
algorithm "lloyd", tol 1e-4, max_iter 300:
  given: the first 10 images as centroids (n_init=1), run to convergence;
  pp:    k-means++ with n_init=10 (random_state=--seed, default 0).
Only fit() is timed; the best of --rounds rounds (pp: one round).

Threads: scikit-learn's Lloyd loop uses OpenMP threads (threadpoolctl limits them to
--threads) and calls BLAS single-threaded inside; the caller should also export
OMP_NUM_THREADS and OPENBLAS_NUM_THREADS (see run.sh). Run with /usr/bin/python3.
Prints readable lines and
    RESULT mode=... seconds=... inertia=... iters=... threads=... dtype=...
"""
import argparse
import gzip
import time

import numpy as np
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits


def load(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[4:8], "big")
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, 784)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--mode", default="both", choices=["given", "pp", "both"])
    ap.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fashion", default="/usr/share/datasets/fashion-mnist")
    a = ap.parse_args()
    X = load(a.fashion + "/t10k-images-idx3-ubyte.gz").astype(a.dtype) / np.array(255, dtype=a.dtype)
    modes = ["given", "pp"] if a.mode == "both" else [a.mode]
    with threadpool_limits(limits=a.threads, user_api="openmp"), \
         threadpool_limits(limits=a.threads, user_api="blas"):
        for mode in modes:
            best, km = None, None
            for _ in range(a.rounds if mode == "given" else 1):
                if mode == "given":
                    km = KMeans(10, init=X[:10].copy(), n_init=1, algorithm="lloyd", tol=1e-4, max_iter=300)
                else:
                    km = KMeans(10, init="k-means++", n_init=10, algorithm="lloyd", tol=1e-4,
                                max_iter=300, random_state=a.seed)
                t0 = time.perf_counter()
                km.fit(X)
                t = time.perf_counter() - t0
                best = t if best is None else min(best, t)
            print(f"scikit-learn k-means ({mode}): {best:.3f} s, inertia {km.inertia_:.1f}, "
                  f"{km.n_iter_} iterations, {a.threads} threads")
            print(f"RESULT mode={mode} seconds={best:.4f} inertia={km.inertia_:.2f} iters={km.n_iter_} "
                  f"threads={a.threads} dtype={a.dtype} seed={a.seed}")


if __name__ == "__main__":
    main()
