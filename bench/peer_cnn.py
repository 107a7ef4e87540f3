#!/usr/bin/python3
"""peer_cnn.py — the peer of bench_cnn.c: training epoch of the Fashion-MNIST CNN in PyTorch.

conv 5x5 1->32 (padding 2), ReLU, max-pool 2; conv 5x5 32->64 (padding 2), ReLU,
max-pool 2; dense 3136->1024, ReLU; dense 10 (PyTorch's default inits, NCHW as
torch prefers); CrossEntropyLoss, SGD(lr=0.01, momentum=0.9), batch 64, float32.
Everything else (data, timing, --batches extrapolation, peak RSS, threads) as
peer_mlp.py, whose code this reuses; by default 5 untimed batches, then a timed
window of 157 of the 938 batches (10,048 images), extrapolated to the epoch
(--batches 0: the whole epoch).
Run with /usr/bin/python3.
"""
import os
import sys

import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_mlp  # noqa: E402


def model():
    return nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(7 * 7 * 64, 1024), nn.ReLU(), nn.Linear(1024, 10))


if __name__ == "__main__":
    peer_mlp.main("peer_cnn", model, lr=0.01, default_batches=157, shape=(1, 28, 28))
