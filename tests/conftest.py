import numpy as np
import pytest

import tensorlet as tf


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def strided(a):
    """A tensor equal to ``a`` whose storage is not contiguous (every other
    element of a buffer twice as long on the last axis)."""
    a = np.asarray(a)
    if a.ndim == 0:
        return tf.constant(a)
    wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
    wide[..., ::2] = a
    t = tf.constant(wide)
    view = tf.Tensor._from_array(t._a.index((Ellipsis, slice(None, None, 2))))
    if a.size > 1 and a.shape[-1] > 1:
        assert not view._a.is_contiguous()
    return view


def tolerance(dtype):
    f32, f64 = dict(rtol=2e-5, atol=2e-6), dict(rtol=1e-12, atol=1e-12)
    return {"float32": f32, "float64": f64, "complex64": f32, "complex128": f64,
            "float16": dict(rtol=2e-3, atol=2e-3)}.get(
        str(dtype), dict(rtol=0, atol=0))


def numeric_gradient(f, x, eps=1e-6):
    """Central finite differences of the scalar function ``f`` at the float64
    array ``x`` (which is restored afterwards)."""
    x = np.asarray(x)
    grad = np.zeros(x.shape, np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        hi = f(x)
        flat[i] = old - eps
        lo = f(x)
        flat[i] = old
        gflat[i] = (hi - lo) / (2 * eps)
    return grad
