"""Convolutions, pooling and batch normalization beyond the generic registry
tests: element-by-element nested-loop references, column tiles that split
images, second-order gradients, argmax gradients, the tensorlet.nn
functions, and their errors."""

import itertools

import numpy as np
import pytest

import tensorlet as tf
from tensorlet.ops import conv_ops
from tests.conftest import numeric_gradient


def loop_conv2d(x, w, strides, pads, dilations, groups):
    """NHWC convolution one output element at a time; pads (top, bottom, left, right)."""
    n, hh, ww, c = x.shape
    kh, kw, cg, o = w.shape
    og = o // groups
    oh = (hh + pads[0] + pads[1] - (kh - 1) * dilations[0] - 1) // strides[0] + 1
    ow = (ww + pads[2] + pads[3] - (kw - 1) * dilations[1] - 1) // strides[1] + 1
    out = np.zeros((n, oh, ow, o))
    for b, i, j, k in itertools.product(range(n), range(oh), range(ow), range(o)):
        g = k // og
        for p, q, r in itertools.product(range(kh), range(kw), range(cg)):
            ih = i * strides[0] - pads[0] + p * dilations[0]
            iw = j * strides[1] - pads[2] + q * dilations[1]
            if 0 <= ih < hh and 0 <= iw < ww:
                out[b, i, j, k] += x[b, ih, iw, g * cg + r] * w[p, q, r, k]
    return out


def same_pads(size, k, s, d):
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


@pytest.mark.parametrize("padding", ["VALID", "SAME", "EXPLICIT"])
@pytest.mark.parametrize("strides", [(1, 1), (2, 1), (2, 3)])
@pytest.mark.parametrize("dilations", [(1, 1), (2, 1)])
@pytest.mark.parametrize("groups,cin,cout", [(1, 3, 2), (2, 4, 6), (4, 4, 8)])
def test_conv2d_against_nested_loops(padding, strides, dilations, groups, cin, cout, rng):
    x = rng.standard_normal((2, 6, 7, cin))
    w = rng.standard_normal((3, 2, cin // groups, cout))
    if padding == "SAME":
        pads = same_pads(6, 3, strides[0], dilations[0]) + same_pads(7, 2, strides[1], dilations[1])
        arg = "SAME"
    elif padding == "VALID":
        pads, arg = (0, 0, 0, 0), "VALID"
    else:
        pads = (1, 2, 0, 1)
        arg = [[0, 0], [1, 2], [0, 1], [0, 0]]
    want = loop_conv2d(x, w, strides, pads, dilations, groups)
    got = tf.nn.conv2d(x, w, strides, arg, dilations=list(dilations))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-10)
    # NCHW gives the same numbers, transposed.
    argc = arg if isinstance(arg, str) else [[0, 0], [0, 0], [1, 2], [0, 1]]
    got_c = tf.nn.conv2d(x.transpose(0, 3, 1, 2), w, strides, argc, data_format="NCHW", dilations=list(dilations))
    np.testing.assert_allclose(got_c.numpy(), want.transpose(0, 3, 1, 2), rtol=1e-10, atol=1e-10)


def test_column_tiles_split_images(rng):
    # K = 3*3*64 = 576: a tile holds 7281 rows, so 8 images of 32x32 outputs
    # take two tiles, the first ending inside an image.
    x = rng.uniform(-1, 1, (8, 32, 32, 64)).astype(np.float32)
    w = rng.uniform(-0.1, 0.1, (3, 3, 64, 8)).astype(np.float32)
    dy = rng.uniform(-1, 1, (8, 32, 32, 8)).astype(np.float32)
    a = ((1, 1), "SAME", (1, 1), 1, "NHWC")
    x64, w64, dy64 = (v.astype(np.float64) for v in (x, w, dy))
    np.testing.assert_allclose(tf.nn.conv2d(x, w, 1, "SAME").numpy(), conv_ops._np_conv2d(x64, w64, *a),
                               rtol=1e-4, atol=1e-4)
    dx = conv_ops.apply(conv_ops._conv2d_backprop_input, (tf.constant(w), tf.constant(dy)), x.shape, *a)
    np.testing.assert_allclose(dx.numpy(), conv_ops._np_conv2d_backprop_input(w64, dy64, x.shape, *a),
                               rtol=1e-4, atol=1e-4)
    dw = conv_ops.apply(conv_ops._conv2d_backprop_filter, (tf.constant(x), tf.constant(dy)), w.shape, *a)
    np.testing.assert_allclose(dw.numpy(), conv_ops._np_conv2d_backprop_filter(x64, dy64, w.shape, *a),
                               rtol=1e-4, atol=2e-3)


def test_conv2d_gradients_through_the_tape(rng):
    x = tf.Variable(rng.standard_normal((2, 5, 5, 2)))
    w = tf.Variable(rng.standard_normal((3, 3, 2, 3)))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.nn.conv2d(x, w, 2, "SAME") ** 2)
    gx, gw = tape.gradient(y, [x, w])

    def f_x(v):
        return float(np.sum(tf.nn.conv2d(v, w, 2, "SAME").numpy() ** 2))

    np.testing.assert_allclose(gx.numpy(), numeric_gradient(f_x, x.numpy().copy()), rtol=1e-6, atol=1e-6)

    def f_w(v):
        return float(np.sum(tf.nn.conv2d(x, v, 2, "SAME").numpy() ** 2))

    np.testing.assert_allclose(gw.numpy(), numeric_gradient(f_w, w.numpy().copy()), rtol=1e-6, atol=1e-6)


def test_conv2d_second_order(rng):
    x0 = rng.standard_normal((1, 4, 4, 2))
    w = tf.constant(rng.standard_normal((2, 2, 2, 2)))

    def grad_norm(xv):
        x = tf.constant(xv)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(tf.nn.conv2d(x, w, 1, "VALID") ** 3)
        return inner.gradient(y, x)

    x = tf.constant(x0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(tf.nn.conv2d(x, w, 1, "VALID") ** 3)
        g = inner.gradient(y, x)
        z = tf.reduce_sum(g * g)
    got = outer.gradient(z, x)
    want = numeric_gradient(lambda v: float(np.sum(grad_norm(v).numpy() ** 2)), x0.copy())
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-5)


def test_depthwise_and_transpose(rng):
    x = rng.standard_normal((2, 5, 6, 3))
    w = rng.standard_normal((3, 3, 3, 2))
    got = tf.nn.depthwise_conv2d(x, w, [1, 2, 2, 1], "SAME")
    # Channel c's multiplier m is output channel c * 2 + m.
    for c, m in itertools.product(range(3), range(2)):
        want = loop_conv2d(x[..., c:c + 1], w[:, :, c:c + 1, m:m + 1], (2, 2), same_pads(5, 3, 2, 1) +
                           same_pads(6, 3, 2, 1), (1, 1), 1)
        np.testing.assert_allclose(got.numpy()[..., c * 2 + m], want[..., 0], rtol=1e-10, atol=1e-10)
    # conv2d_transpose is the adjoint of conv2d: <conv(x), y> = <x, conv_t(y)>.
    wt = rng.standard_normal((3, 3, 4, 5))
    xs = rng.standard_normal((2, 7, 7, 4))
    y = rng.standard_normal((2, 4, 4, 5))
    lhs = np.sum(tf.nn.conv2d(xs, wt, 2, "SAME").numpy() * y)
    rhs = np.sum(xs * tf.nn.conv2d_transpose(y, wt, (2, 7, 7, 4), 2, "SAME").numpy())
    assert abs(lhs - rhs) < 1e-9 * max(1.0, abs(lhs))


def test_conv1d(rng):
    x = rng.standard_normal((2, 9, 3))
    w = rng.standard_normal((3, 3, 4))
    got = tf.nn.conv1d(x, w, 2, "SAME").numpy()
    want = loop_conv2d(x[:, None], w[None], (1, 2), (0, 0) + same_pads(9, 3, 2, 1), (1, 1), 1)[:, 0]
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_max_pool_gradient_goes_to_the_first_maximum():
    x = np.array([[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, 0.0, 0.0]]).reshape(1, 2, 4, 1)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = tf.nn.max_pool2d(xt, 2, 2, "VALID")
    np.testing.assert_array_equal(y.numpy().ravel(), [3.0, 3.0])
    g = tape.gradient(y, xt, output_gradients=tf.constant(np.array([5.0, 7.0]).reshape(1, 1, 2, 1)))
    np.testing.assert_array_equal(g.numpy().reshape(2, 4), [[0, 5, 7, 0], [0, 0, 0, 0]])


def test_pools_in_nn(rng):
    x = rng.standard_normal((2, 7, 6, 3))
    got = tf.nn.avg_pool2d(x, 3, 2, "SAME").numpy()
    want = conv_ops._np_pool(x, (3, 3), (2, 2), "SAME", "NHWC", False)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    got = tf.nn.max_pool1d(x[:, 0], 2, 2, "VALID").numpy()
    np.testing.assert_allclose(got, x[:, 0, :6].reshape(2, 3, 2, 3).max(axis=2))


def test_fused_batch_norm_training_gradient(rng):
    x0 = rng.standard_normal((3, 2, 2, 4))
    scale = tf.constant(rng.uniform(0.5, 1.5, 4))
    offset = tf.constant(rng.standard_normal(4))
    dy = rng.standard_normal(x0.shape)

    def f(v):
        return float(np.sum(tf.nn.fused_batch_norm(v, scale, offset, epsilon=1e-3)[0].numpy() * dy))

    x = tf.constant(x0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y, mean, var = tf.nn.fused_batch_norm(x, scale, offset, epsilon=1e-3)
        loss = tf.reduce_sum(y * dy)
    np.testing.assert_allclose(mean.numpy(), x0.mean(axis=(0, 1, 2)), rtol=1e-12)
    np.testing.assert_allclose(var.numpy(), x0.var(axis=(0, 1, 2)), rtol=1e-12)
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), numeric_gradient(f, x0.copy()), rtol=1e-5, atol=1e-6)


def test_batch_normalization_matches_formula(rng):
    x = rng.standard_normal((4, 5))
    m, v, o, s = rng.standard_normal(5), rng.uniform(0.5, 1, 5), rng.standard_normal(5), rng.standard_normal(5)
    want = (x - m) / np.sqrt(v + 1e-3) * s + o
    np.testing.assert_allclose(tf.nn.batch_normalization(x, m, v, o, s, 1e-3).numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(tf.nn.batch_normalization(x, m, v, None, None, 1e-3).numpy(),
                               (x - m) / np.sqrt(v + 1e-3), rtol=1e-12)
    # Per-channel along axis 1 (channels first): the fused op with that axis.
    xc = rng.standard_normal((2, 5, 3, 3))
    shaped = [v.reshape(1, 5, 1, 1) for v in (m, v, o, s)]
    np.testing.assert_allclose(tf.nn.batch_normalization(xc, *shaped[:2], shaped[2], shaped[3], 1e-3).numpy(),
                               (xc - shaped[0]) / np.sqrt(shaped[1] + 1e-3) * shaped[3] + shaped[2], rtol=1e-12)
    stats = tf.nn.batch_norm_stats(xc, axis=1).numpy()
    np.testing.assert_allclose(stats, [xc.mean(axis=(0, 2, 3)), xc.var(axis=(0, 2, 3))], rtol=1e-12)
    # Not per-channel: the elementwise form.
    m2 = rng.standard_normal((4, 1))
    np.testing.assert_allclose(tf.nn.batch_normalization(x, m2, v, o, s, 1e-3).numpy(),
                               (x - m2) / np.sqrt(v + 1e-3) * s + o, rtol=1e-12)


def test_errors_name_the_function():
    x = np.zeros((1, 4, 4, 3), np.float32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="conv2d.*multiple"):
        tf.nn.conv2d(x, np.zeros((3, 3, 2, 4), np.float32), 1, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="conv2d.*window"):
        tf.nn.conv2d(x, np.zeros((5, 5, 3, 4), np.float32), 1, "VALID")
    with pytest.raises(tf.errors.InvalidArgumentError, match="conv2d.*same dtype"):
        tf.nn.conv2d(x, np.zeros((3, 3, 3, 4)), 1, "SAME")
    with pytest.raises(TypeError, match="conv2d"):
        tf.nn.conv2d(x.astype(np.int32), np.zeros((3, 3, 3, 4), np.int32), 1, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="padding"):
        tf.nn.conv2d(x, np.zeros((3, 3, 3, 4), np.float32), 1, "FULL")
    with pytest.raises(tf.errors.InvalidArgumentError, match="max_pool2d.*rank 4"):
        tf.nn.max_pool2d(np.zeros((4, 4, 3), np.float32), 2, 2, "VALID")
    with pytest.raises(tf.errors.InvalidArgumentError, match="strides"):
        tf.nn.max_pool2d(x, 2, [2, 2, 2, 2], "VALID")
    with pytest.raises(tf.errors.InvalidArgumentError, match="conv2d_transpose|conv2d_backprop_input"):
        tf.nn.conv2d_transpose(np.zeros((1, 3, 3, 2), np.float32), np.zeros((3, 3, 4, 2), np.float32),
                               (1, 4, 4, 4), 1, "SAME")


def test_empty_batch():
    y = tf.nn.conv2d(np.zeros((0, 5, 5, 2), np.float32), np.ones((3, 3, 2, 4), np.float32), 1, "SAME")
    assert y.shape == (0, 5, 5, 4)
    assert tf.nn.max_pool2d(np.zeros((0, 4, 4, 2), np.float32), 2, 2, "VALID").shape == (0, 2, 2, 2)


def test_a_huge_dilation_on_a_one_tap_axis_changes_nothing():
    # Found by the sanitized fuzz run: the window walk stepped past its last tap and overflowed.
    x = np.random.default_rng(0).standard_normal((1, 5, 5, 2)).astype(np.float32)
    w = np.random.default_rng(1).standard_normal((3, 1, 2, 3)).astype(np.float32)
    plain = tf.nn.conv2d(x, w, 1, "VALID").numpy()
    np.testing.assert_allclose(tf.nn.conv2d(x, w, 1, "VALID", dilations=[1, 2**62]).numpy(), plain, rtol=1e-6)
