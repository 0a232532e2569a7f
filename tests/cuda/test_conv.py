"""Convolution, pooling and batch normalization on the GPU against the CPU,
at sizes the registry's samples do not reach: several 64 x 64 output tiles
and many k steps of the implicit GEMM (groups of more than 64 filters),
strides and dilations, overlapping pooling windows with padding, and batch
statistics over many elements per channel on either side of the channel axis."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet.ops.registry import REGISTRY, apply

# x (NHWC), filter, strides, padding, dilations, groups
CONVS = [((3, 17, 19, 20), (3, 3, 20, 70), (1, 1), "SAME", (1, 1), 1),
         ((2, 16, 15, 24), (3, 2, 12, 130), (2, 1), "VALID", (1, 2), 2),
         ((2, 9, 9, 32), (3, 3, 1, 64), (2, 2), "SAME", (1, 1), 32),
         ((4, 8, 8, 96), (1, 1, 96, 80), (1, 1), "VALID", (1, 1), 1)]
TOL = {"float32": dict(rtol=1e-4, atol=1e-4), "float64": dict(rtol=1e-11, atol=1e-11)}


def both(name, arrays, attrs):
    """The op's results on the CPU and on the GPU (which must hold it)."""
    out = {}
    for device in ("/CPU:0", "/GPU:0"):
        with tf.device(device):
            r = apply(REGISTRY[name], [tf.constant(a) for a in arrays], *attrs)
            assert r.device.endswith(device[1:])
            out[device] = r.numpy()
    return out["/GPU:0"], out["/CPU:0"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CONVS)
def test_conv_and_its_gradients_match_cpu(case, dtype):
    xs, fs, strides, padding, dilations, groups = case
    rng = np.random.default_rng(5)
    x, w = (rng.uniform(-0.5, 0.5, s).astype(dtype) for s in (xs, fs))
    b = rng.uniform(-0.5, 0.5, fs[3]).astype(dtype)
    attrs = (strides, padding, dilations, groups, "NHWC")
    got, want = both("conv2d", (x, w), attrs)
    np.testing.assert_allclose(got, want, **TOL[dtype])
    got_f, want_f = both("fused_conv2d", (x, w, b), attrs + ("relu",))
    np.testing.assert_allclose(got_f, want_f, **TOL[dtype])
    np.testing.assert_allclose(want_f, np.maximum(want + b, 0), **TOL[dtype])
    dy = rng.uniform(-0.5, 0.5, want.shape).astype(dtype)
    got, want = both("conv2d_backprop_input", (w, dy), (xs,) + attrs)
    np.testing.assert_allclose(got, want, **TOL[dtype])
    got, want = both("conv2d_backprop_filter", (x, dy), (fs,) + attrs)
    np.testing.assert_allclose(got, want, **TOL[dtype])


# x (NHWC), ksize, strides, padding
POOLS = [((2, 13, 11, 37), (3, 3), (2, 2), "SAME"), ((3, 10, 12, 5), (2, 4), (1, 3), "VALID")]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", POOLS)
def test_pooling_and_its_gradients_match_cpu(case, dtype):
    xs, ksize, strides, padding = case
    rng = np.random.default_rng(6)
    x = (rng.permutation(np.prod(xs)) / np.prod(xs)).reshape(xs).astype(dtype)  # distinct: one maximum per window
    attrs = (ksize, strides, padding, "NHWC")
    exact = dict(rtol=0, atol=0)
    for name in ("max_pool2d", "avg_pool2d"):
        got, want = both(name, (x,), attrs)
        np.testing.assert_allclose(got, want, **(exact if name == "max_pool2d" else TOL[dtype]))
    dy = rng.uniform(-1, 1, want.shape).astype(dtype)
    got, want = both("max_pool2d_grad", (x, dy), attrs)
    np.testing.assert_allclose(got, want, **exact)
    got, want = both("max_pool2d_grad_grad", (x, rng.uniform(-1, 1, xs).astype(dtype)), attrs)
    np.testing.assert_allclose(got, want, **exact)
    got, want = both("avg_pool2d_grad", (dy,), (xs,) + attrs)
    np.testing.assert_allclose(got, want, **TOL[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,axis", [((64, 9, 9, 48), 3), ((16, 40, 12, 12), 1), ((3000, 7), 1)])
def test_batch_norm_ops_match_cpu(shape, axis, dtype):
    rng = np.random.default_rng(7)
    x = (rng.standard_normal(shape) * 3 + 5).astype(dtype)  # an offset mean: the two-pass variance matters
    dy = rng.standard_normal(shape).astype(dtype)
    vec = lambda lo, hi: rng.uniform(lo, hi, shape[axis]).astype(dtype)  # noqa: E731
    mean, var, scale, offset = vec(4, 6), vec(5, 15), vec(0.5, 1.5), vec(-1, 1)
    sums = {"float32": dict(rtol=1e-5, atol=1e-5), "float64": dict(rtol=1e-11, atol=1e-12)}[dtype]
    rounding = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-12, atol=1e-13)}[dtype]
    got, want = both("batch_norm_stats", (x,), (axis,))
    np.testing.assert_allclose(got, want, **sums)
    moved = np.moveaxis(x.astype(np.float64), axis, -1).reshape(-1, shape[axis])
    np.testing.assert_allclose(want, np.stack([moved.mean(0), moved.var(0)]), **sums)
    got, want = both("batch_norm_grad_sums", (dy, x, mean), (axis,))
    np.testing.assert_allclose(got, want, **sums)
    got, want = both("batch_norm_apply", (x, mean, var, scale, offset), (1e-3, axis))
    np.testing.assert_allclose(got, want, **rounding)
    got, want = both("channel_affine", (x, scale, offset), (axis,))
    np.testing.assert_allclose(got, want, **rounding)
