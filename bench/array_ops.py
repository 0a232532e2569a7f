"""Array movement and random numbers beside numpy, in one run.

    python bench/array_ops.py

Prints median milliseconds per call (lower is better) and numpy's time over
tensorlet's (above 1: tensorlet is faster).
"""

import numpy as np

import tensorlet as tf
from _timing import median_seconds_each


def main():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2048, 1024)).astype(np.float32)
    b = rng.standard_normal((2048, 512)).astype(np.float32)
    ta, tb = tf.constant(a), tf.constant(b)
    rows_idx = rng.integers(0, 2048, size=4096)
    flat = rng.standard_normal(1 << 20).astype(np.float32)
    flat_idx = rng.integers(0, 1 << 20, size=1 << 22)
    tflat, tri, tfi = tf.constant(flat), tf.constant(rows_idx), tf.constant(flat_idx)
    cond = rng.random((2048, 1024)) < 0.5
    tcond = tf.constant(cond)
    gen = np.random.default_rng(1)
    n = 1 << 22
    cases = [
        ("concat 2048x(1024+512) f32", lambda: tf.concat([ta, tb], 1), lambda: np.concatenate([a, b], 1)),
        ("stack 2x(2048x1024) f32", lambda: tf.stack([ta, ta]), lambda: np.stack([a, a])),
        ("gather 4096 rows of 1024", lambda: tf.gather(ta, tri), lambda: a[rows_idx]),
        ("gather 4M of 1M elements", lambda: tf.gather(tflat, tfi), lambda: flat[flat_idx]),
        ("where 2048x1024", lambda: tf.where(tcond, ta, 0.0), lambda: np.where(cond, a, np.float32(0))),
        ("clip 2048x1024", lambda: tf.clip_by_value(ta, -1.0, 1.0), lambda: np.clip(a, -1, 1)),
        ("uniform 4M f32", lambda: tf.random.uniform([n]), lambda: gen.random(n, np.float32)),
        ("normal 4M f32", lambda: tf.random.normal([n]), lambda: gen.standard_normal(n, np.float32)),
        ("truncated_normal 4M f32", lambda: tf.random.truncated_normal([n]), None),
    ]
    print(f"{'work':30s}{'tensorlet ms':>14s}{'numpy ms':>10s}{'np/tl':>8s}")
    for title, tl_fn, np_fn in cases:
        ms = median_seconds_each({"tl": tl_fn, "np": np_fn} if np_fn else {"tl": tl_fn})
        t = ms["tl"] * 1e3
        if np_fn is None:
            print(f"{title:30s}{t:14.2f}{'-':>10s}{'-':>8s}")
            continue
        nt = ms["np"] * 1e3
        print(f"{title:30s}{t:14.2f}{nt:10.2f}{nt / t:8.2f}")
    print(f"(threads: {tf._core.get_num_threads()})")


if __name__ == "__main__":
    main()
