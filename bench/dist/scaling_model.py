#!/usr/bin/env python3
"""scaling_model.py: the on-paper weak-scaling table of src/dist/README.md
("Scaling on paper"), recomputed from its stated inputs.

Ring all-reduce of S bytes on p machines: T = 2(p-1)/p * S/BW + 2(p-1)*alpha.
Without overlap E = t / (t + T(all bytes)). With overlap the gradients are cut
into buckets (greedy, in the order the backward pass makes them, a bucket
closing when the next gradient would overflow it, as
compute_gradients_overlapped does); the last bucket cannot hide, the earlier
ones hide behind the backward time h that remains below them:
exposed = T(last) + max(0, sum T(earlier) - h), E = t / (t + exposed).

  python3 bench/dist/scaling_model.py
"""

MIB = 1 << 20
# gradient sizes in bytes (float32), in the order the backward pass makes them
MLP = [10 * 4, 2560 * 4, 256 * 4, 65536 * 4, 256 * 4, 784 * 256 * 4]  # b3 w3 b2 w2 b1 w1
CNN = [10 * 4, 10240 * 4, 1024 * 4, 3136 * 1024 * 4,                   # out b, W; dense b, W
       64 * 4, 5 * 5 * 32 * 64 * 4, 32 * 4, 5 * 5 * 1 * 32 * 4]         # conv2 b, W; conv1 b, W
MODELS = {  # name: (gradients, step time t in s (1 thread, load 4-6), h / t)
    "MLP": (MLP, 64 / 65581, 0.33),
    "CNN": (CNN, 64 / 1105, 0.55),
}
LINKS = {"10 Gbit/s": (1.25e9, 20e-6), "100 Gbit/s": (12.5e9, 5e-6)}


def buckets(sizes, cap):
    out, cur = [], 0
    for s in sizes:
        if cur and cur < cap and cur + s <= cap:
            cur += s
        else:
            if cur:
                out.append(cur)
            cur = s
    out.append(cur)
    return out


def ring(S, p, bw, a):
    return 2 * (p - 1) / p * S / bw + 2 * (p - 1) * a


def eff(sizes, t, hfrac, p, bw, a, cap):
    if cap == 0:
        return t / (t + ring(sum(sizes), p, bw, a)), 1
    b = buckets(sizes, cap)
    early = sum(ring(s, p, bw, a) for s in b[:-1])
    exposed = ring(b[-1], p, bw, a) + max(0.0, early - hfrac * t)
    return t / (t + exposed), len(b)


def default_bucket(p):  # src/dist/dist.c, overlap_bucket()
    return max(MIB, p * 64 * 1024)


print("| model | link | 8 machines | 32 machines | 128 machines |")
print("|---|---|---|---|---|")
for name, (sizes, t, h) in MODELS.items():
    for link, (bw, a) in LINKS.items():
        cells = []
        for p in (8, 32, 128):
            e0, _ = eff(sizes, t, h, p, bw, a, 0)
            e1, n1 = eff(sizes, t, h, p, bw, a, MIB)
            e2, n2 = eff(sizes, t, h, p, bw, a, default_bucket(p))
            cells.append(f"{e0:.2f} / {e1:.2f} ({n1}) / **{e2:.2f}** ({n2})")
        print(f"| {name} | {link} | " + " | ".join(cells) + " |")
print("cells: E without overlap / with 1 MiB buckets (buckets) / with the default max(1 MiB, p x 64 KiB) (buckets)")
