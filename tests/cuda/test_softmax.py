"""Softmax and log_softmax along rows on the GPU, forward and gradient, at
every row length the kernels treat differently: a warp per row holding 1 to
32 values a lane (n <= 1024), a block per row (n <= 8192), and longer rows
read three times; against float64 within stated rounding bounds."""

import numpy as np
import pytest

import tensorlet as tf

LENGTHS = [1, 31, 33, 100, 1000, 1024, 1025, 3000, 4096, 8192, 8193, 20000]


def bound(n, dtype):
    """Relative error allowed for a row of n: gamma_(n+4), the worst case of
    an n-term sum with the division (or log) and a few ulps of exp on top."""
    u = np.finfo(dtype).eps / 2
    return (n + 4) * u / (1 - (n + 4) * u)


@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_rows(n, dtype):
    rng = np.random.default_rng(n)
    rows = 5 if n <= 8192 else 2
    x = (3 * rng.standard_normal((rows, n))).astype(dtype)
    w = rng.standard_normal((rows, n)).astype(dtype)
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    z = x64 - x64.max(axis=1, keepdims=True)
    sm = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    lsm = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    tol = bound(n, dtype)
    with tf.device("/GPU:0"):
        tx, tw = tf.constant(x), tf.constant(w)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(tx)
            y, ly = tf.nn.softmax(tx), tf.nn.log_softmax(tx)
            loss, lloss = tf.reduce_sum(y * tw), tf.reduce_sum(ly * tw)
        dx, ldx = tape.gradient(loss, tx).numpy(), tape.gradient(lloss, tx).numpy()
        y, ly = y.numpy(), ly.numpy()
    assert np.all(np.abs(y - sm) <= tol * sm + np.finfo(dtype).tiny)
    assert np.all(np.abs(ly - lsm) <= tol * (1 + np.abs(lsm)))
    # d softmax: y (w - sum(w y)); d log_softmax: w - softmax sum(w).
    s = (w64 * sm).sum(axis=1, keepdims=True)
    want = sm * (w64 - s)
    scale = sm * (np.abs(w64) + (np.abs(w64) * sm).sum(axis=1, keepdims=True))
    assert np.all(np.abs(dx - want) <= 2 * tol * scale + np.finfo(dtype).tiny)
    lwant = w64 - sm * w64.sum(axis=1, keepdims=True)
    lscale = np.abs(w64) + sm * np.abs(w64).sum(axis=1, keepdims=True)
    assert np.all(np.abs(ldx - lwant) <= 2 * tol * lscale)


def test_softmax_nan_and_empty_rows():
    with tf.device("/GPU:0"):
        for n in (5, 2000):  # a warp's row, a block's row
            x = np.zeros((3, n), np.float32)
            x[1, n // 2] = np.nan
            y = tf.nn.softmax(tf.constant(x)).numpy()
            assert np.isnan(y[1]).all() and np.allclose(y[[0, 2]], 1 / n)
        assert tf.nn.softmax(tf.constant(np.zeros((0, 7), np.float32))).shape == (0, 7)
