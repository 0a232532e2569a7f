"""A long training loop must not grow the process: each tape's records are
released when its gradient has been computed."""

import gc
import resource

import numpy as np

import tensorlet as tf


def _rss_bytes():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize()
    except OSError:  # not Linux: the peak is a looser but still useful bound
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def test_training_loop_memory_is_bounded():
    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal((8, 4)).astype(np.float32))
    y = tf.constant(rng.standard_normal((8, 1)).astype(np.float32))
    w = tf.Variable(rng.standard_normal((4, 1)).astype(np.float32) * 0.1)
    b = tf.Variable(np.zeros(1, np.float32))

    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(gw * 0.01)
        b.assign_sub(gb * 0.01)
        return loss

    for _ in range(500):  # warm up allocator pools and caches
        step()
    gc.collect()
    before = _rss_bytes()
    first = float(step())
    for _ in range(10_000):
        loss = step()
    gc.collect()
    growth = _rss_bytes() - before
    assert float(loss) < first  # it did train
    # Keeping the records of 10,000 steps (~20 tensors each) would take well
    # over 10 MB; released records leave the process where it was.
    assert growth < 4 * 2**20, f"RSS grew by {growth / 2**20:.1f} MiB over 10,000 steps"
