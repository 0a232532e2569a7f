"""Elementwise ops beside numpy (and PyTorch when installed), in one run.

    python bench/elementwise.py

Prints medians: µs per call for a 2x2 add, GB/s for a 16M-element float32 add
with a new output (bytes moved: two inputs read, one output written).
"""

import numpy as np

import tensorlet as tf
from _timing import median_seconds_each, print_ratio_table

try:
    import torch
except ImportError:
    torch = None


def main():
    rows = []
    small = np.ones((2, 2), np.float32)
    a, b = tf.constant(small), tf.constant(small)
    fns = {"tensorlet": lambda: a + b, "numpy": lambda: small + small}
    if torch is not None:
        ts = torch.from_numpy(small)
        fns["torch"] = lambda: ts + ts
    res = median_seconds_each(fns)
    rows.append(("2x2 add, µs/call", {k: v * 1e6 for k, v in res.items()}, "lower"))

    n = 16 * 1024 * 1024
    big = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    ba, bb = tf.constant(big), tf.constant(big)
    fns = {"tensorlet": lambda: ba + bb, "numpy": lambda: big + big}
    if torch is not None:
        tb = torch.from_numpy(big)
        fns["torch"] = lambda: tb + tb
    res = median_seconds_each(fns, min_time=1.0)
    rows.append(("16M float32 add, GB/s", {k: 3 * 4 * n / v / 1e9 for k, v in res.items()}, "higher"))

    names = ["tensorlet", "numpy"] + (["torch"] if torch is not None else [])
    print_ratio_table(rows, names)


if __name__ == "__main__":
    main()
