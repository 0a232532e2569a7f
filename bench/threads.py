"""Parallel kernels on a quiet or a busy machine: medians and slow tails.

    python bench/threads.py

Times float32 ops whose kernels split their work over threads (a 16M add
into an existing output and with a new one, a 16M sum, adds near the
parallel threshold), beside numpy in the same run. Run it once more with a
competing process on one core (``python -c "while True: pass" &``) to see
how the thread pool copes when a worker thread is not scheduled at once.
Prints medians and the 99th percentile of single calls.
"""

import time

import numpy as np

import tensorlet as tf
from tensorlet import _core

ADD = 0  # BinaryOp::Add


def stats(fn, seconds=1.0, min_calls=20):
    """Median and 99th percentile of single calls, in seconds."""
    fn()
    times = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(times) < min_calls:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]


def main():
    rng = np.random.default_rng(0)
    rows = []
    n = 16 << 20
    x = rng.standard_normal(n).astype(np.float32)
    y = rng.standard_normal(n).astype(np.float32)
    o = np.empty_like(x)
    tx, ty, to = tf.constant(x), tf.constant(y), tf.constant(o)
    gb = 3 * 4 * n / 1e9
    rows.append(("16M add into output", gb, lambda: _core.binary_into(to._a, tx._a, ty._a, ADD),
                 lambda: np.add(x, y, out=o)))
    rows.append(("16M add, new output", gb, lambda: tx + ty, lambda: x + y))
    rows.append(("16M sum", 4 * n / 1e9, lambda: tf.reduce_sum(tx), lambda: x.sum()))
    for m in (1 << 15, 1 << 16, 1 << 20):
        xs, ys, os_ = x[:m].copy(), y[:m].copy(), o[:m].copy()
        txs, tys, tos = tf.constant(xs), tf.constant(ys), tf.constant(os_)
        rows.append((f"{m} add into output", 3 * 4 * m / 1e9,
                     (lambda a, b, c: lambda: _core.binary_into(c._a, a._a, b._a, ADD))(txs, tys, tos),
                     (lambda a, b, c: lambda: np.add(a, b, out=c))(xs, ys, os_)))
    print(f"threads: {_core.get_num_threads()}")
    print(f"{'op':<22} {'tensorlet med µs':>17} {'p99 µs':>9} {'GB/s':>7} "
          f"{'numpy med µs':>13} {'p99 µs':>9} {'GB/s':>7}")
    for name, gbytes, ours, ref in rows:
        m1, p1 = stats(ours)
        m2, p2 = stats(ref)
        print(f"{name:<22} {m1 * 1e6:>17.1f} {p1 * 1e6:>9.1f} {gbytes / m1:>7.1f} "
              f"{m2 * 1e6:>13.1f} {p2 * 1e6:>9.1f} {gbytes / m2:>7.1f}")


if __name__ == "__main__":
    main()
