"""Reductions and softmax beside numpy (and PyTorch when installed), in one run.

    python bench/reduce_softmax.py

Prints medians: GB/s for a full sum of 16M float32 (bytes read), ms for a
row softmax, log_softmax and a column sum of a 4096x1000 float32 matrix, and
ms for the sparse crossentropy of the same logits.

On a machine whose cores are busy with other work, OpenMP's default of
spinning at barriers makes every parallel region wait for descheduled
threads; compare with OMP_WAIT_POLICY=passive, or with one thread.
"""

import numpy as np

import tensorlet as tf
from _timing import median_seconds, print_ratio_table

try:
    import torch
except ImportError:
    torch = None


def median_time(fn, number, repeat=7):
    return median_seconds(fn, number=number, repeat=repeat)


def np_softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def np_log_softmax(x):
    s = x - x.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))


def np_sparse_xent(x, labels):
    return -np_log_softmax(x)[np.arange(x.shape[0]), labels]


def main():
    rng = np.random.default_rng(0)
    rows = []

    n = 16 * 1024 * 1024
    big = rng.standard_normal(n).astype(np.float32)
    tb = tf.constant(big)
    res = {"tensorlet": median_time(lambda: tf.reduce_sum(tb), 20), "numpy": median_time(lambda: big.sum(), 20)}
    if torch is not None:
        pb = torch.from_numpy(big)
        res["torch"] = median_time(lambda: pb.sum(), 20)
    rows.append(("16M float32 sum, GB/s", {k: 4 * n / v / 1e9 for k, v in res.items()}, "higher"))

    x = (rng.standard_normal((4096, 1000)) * 3).astype(np.float32)
    labels = rng.integers(0, 1000, 4096)
    tx, tl = tf.constant(x), tf.constant(labels)
    px = torch.from_numpy(x) if torch is not None else None
    work = [
        ("4096x1000 softmax, ms", lambda: tf.nn.softmax(tx), lambda: np_softmax(x),
         lambda: torch.softmax(px, 1)),
        ("4096x1000 log_softmax, ms", lambda: tf.nn.log_softmax(tx), lambda: np_log_softmax(x),
         lambda: torch.log_softmax(px, 1)),
        ("4096x1000 sum axis 0, ms", lambda: tf.reduce_sum(tx, 0), lambda: x.sum(0), lambda: px.sum(0)),
        ("4096x1000 max axis 1, ms", lambda: tf.reduce_max(tx, 1), lambda: x.max(1), lambda: px.amax(1)),
        ("4096x1000 sparse xent, ms",
         lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tl, logits=tx),
         lambda: np_sparse_xent(x, labels),
         lambda: torch.nn.functional.cross_entropy(px, torch.from_numpy(labels), reduction="none")),
    ]
    for title, f_tl, f_np, f_torch in work:
        res = {"tensorlet": median_time(f_tl, 10), "numpy": median_time(f_np, 10)}
        if torch is not None:
            res["torch"] = median_time(f_torch, 10)
        rows.append((title, {k: v * 1e3 for k, v in res.items()}, "lower"))

    names = ["tensorlet", "numpy"] + (["torch"] if torch is not None else [])
    print(f"tensorlet ISA {tf._core.isa()}, {tf._core.get_num_threads()} threads")
    print_ratio_table(rows, names)


if __name__ == "__main__":
    main()
