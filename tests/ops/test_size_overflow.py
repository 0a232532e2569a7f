"""Every size computation is overflow-checked; integer division never traps;
slices follow Python's rules for every bound and step."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras

BIG = 7905747460161236407  # 7 * BIG wraps past 2**64 to 1


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64])
def test_min_integer_divided_by_minus_one_wraps(dtype):
    lo = np.iinfo(dtype).min
    x = tf.constant(np.array([lo, lo, 7, -7], dtype))
    y = tf.constant(np.array([-1, 1, -1, -1], dtype))
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal((x // y).numpy(), np.floor_divide(x.numpy(), y.numpy()))
        np.testing.assert_array_equal((x % y).numpy(), np.mod(x.numpy(), y.numpy()))
        np.testing.assert_array_equal(tf.math.floormod(x, y).numpy(), np.mod(x.numpy(), y.numpy()))
        np.testing.assert_array_equal(tf.math.floordiv(x, y).numpy(), np.floor_divide(x.numpy(), y.numpy()))


@pytest.mark.parametrize("make", [
    lambda: tf.reshape(tf.constant(1.0), [7, BIG]),
    lambda: tf.reshape(tf.constant(1.0), [-1, 7, BIG]),
    lambda: keras.layers.Reshape((7, BIG))(tf.ones([1, 1])),
    lambda: tf.concat([tf.zeros([0, 2**62])] * 4, 1),
    lambda: tf.zeros([2**40, 2**30]),
    lambda: tf.broadcast_to(tf.ones([1, 1]), [2**40, 2**30]),
    lambda: tf.ones([2**31, 2**31, 4]),
    lambda: tf.range(0, 1e30),
])
def test_sizes_that_overflow_are_refused(make):
    with pytest.raises((tf.errors.InvalidArgumentError, tf.errors.ResourceExhaustedError)):
        make()


def test_zero_size_shapes_are_valid_in_any_dim_order():
    assert tf.zeros([2**62, 0]).shape == (2**62, 0)
    assert tf.zeros([0, 2**62]).shape == (0, 2**62)
    assert tf.zeros([2**62, 0, 2**62]).shape == (2**62, 0, 2**62)


def test_an_impossible_allocation_names_its_shape():
    with pytest.raises(tf.errors.ResourceExhaustedError, match=r"\(1152921504606846976, 4\)"):
        tf.zeros([2**60, 4], tf.float64)


@pytest.mark.parametrize("key", [
    slice(None, None, -(2**63)), slice(None, None, 2**63), slice(-(2**63), None), slice(None, -(2**63)),
    slice(100, -100, -(2**63) + 1), slice(-(2**63), 2**63 - 1, 2**62), slice(2**70, -(2**70), -1),
    slice(None, None, -1), slice(-(2**63), None, -1), slice(None, -(2**63), -1), slice(3, None, 2**63 - 1),
])
def test_slices_follow_python_for_extreme_bounds_and_steps(key):
    ref = np.arange(5)
    got = tf.range(5)[key]
    np.testing.assert_array_equal(got.numpy(), ref[key])
    assert tf.ones([3, 2])[key].shape == np.ones([3, 2])[key].shape


def test_slice_assign_through_extreme_step_writes_only_its_elements():
    v = tf.Variable(np.arange(5.0))
    v[::-(2**63)].assign([9.0])
    ref = np.arange(5.0)
    ref[::-(2**63)] = 9.0
    np.testing.assert_array_equal(v.numpy(), ref)


def test_out_of_range_integer_index_is_a_clear_error():
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of bounds"):
        tf.range(5)[2**64]


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_integer_arithmetic_wraps_as_numpy(dtype):
    info = np.iinfo(dtype)
    a = np.array([info.max, info.min, -1, 3], dtype)
    x = tf.constant(a)
    with np.errstate(all="ignore"):
        for got, want in [(x + x, a + a), (x - (-x), a - (-a)), (x * x, a * a), (tf.square(x), a * a),
                          (-x, -a), (tf.abs(x), np.abs(a)), (x ** 3, a ** 3)]:
            np.testing.assert_array_equal(got.numpy(), want)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_integer_sums_of_gathered_gradients_wrap_as_numpy(dtype):
    # gather's gradient (and unsorted_segment_sum, built on it) adds rows that
    # share an index: in the integer dtype, wrapping as numpy's sums do.
    info = np.iinfo(dtype)
    data = np.array([info.max, 1, info.min, -1, 5], dtype)
    ids = np.array([0, 0, 1, 1, 0], np.int32)
    with np.errstate(all="ignore"):
        want = np.array([data[ids == k].sum(dtype=dtype) for k in (0, 1)], dtype)
    np.testing.assert_array_equal(tf.math.unsorted_segment_sum(data, ids, 2).numpy(), want)


# The kernels' own entry points, reached with no Python wrapper in front (as
# registry.apply and tf.raw_ops reach them): attributes whose sizes overflow
# int64 are refused by the kernel itself (the sanitizer build showed each one
# overflowing before; tests/fuzz/core.py fuzzes every entry point this way).
_X = np.ones((1, 4, 4, 2), np.float32)
_W = np.ones((2, 2, 2, 3), np.float32)


@pytest.mark.parametrize("name, attrs", [
    ("max_pool2d", ([2**61, 2**61], [1, 1], "SAME", "NHWC")),
    ("avg_pool2d", ([2, 2], [2**63 - 1, 1], "SAME", "NHWC")),
    ("max_pool2d", ([3, 3], [2**63 - 1, 1], "SAME", "NHWC")),
    ("conv2d", ([1, 1], "SAME", [2**63 - 1, 1], 1, "NHWC")),
    ("conv2d", ([1, 1], [2**63 - 1, 2, 0, 0], [1, 1], 1, "NHWC")),
    ("conv2d", ([2**63 - 1, 1], "SAME", [1, 1], 1, "NHWC")),
])
def test_kernels_refuse_window_geometry_that_overflows(name, attrs):
    from tensorlet.ops.registry import REGISTRY, apply

    op = REGISTRY[name]
    inputs = [tf.constant(_X)] + ([tf.constant(_W)] if name == "conv2d" else [])
    with pytest.raises(tf.errors.InvalidArgumentError, match=f"{name}: .*overflows int64"):
        apply(op, inputs, *attrs)


def test_a_pool_window_wider_than_the_image_is_clipped_to_it():
    x = np.arange(32, dtype=np.float32).reshape(1, 4, 4, 2)
    got = tf.nn.max_pool2d(x, [2**20, 2**20], 1, "SAME").numpy()  # every window covers the whole image
    np.testing.assert_array_equal(got, np.broadcast_to(x.max(axis=(1, 2), keepdims=True), x.shape))


@pytest.mark.parametrize("start, limit, delta, dtype", [
    (2.0**31 - 2, 2.0**31 + 2, 1.0, "int32"),   # the last values do not fit int32
    (-(2.0**63), 0.0, 2.0**62, "int64"),         # i * delta alone overflows
    (0.0, 4.0, 2.0**63, "int64"),                # delta is not an int64
])
def test_integer_range_kernel_refuses_values_outside_its_dtype(start, limit, delta, dtype):
    from tensorlet import _core

    want = np.arange(start, limit, delta, dtype=np.float64)
    if want.size and want.min() >= np.iinfo(dtype).min and want.max() <= np.iinfo(dtype).max and \
            abs(delta) < 2.0**63:
        np.testing.assert_array_equal(np.asarray(_core.arange(start, limit, delta, getattr(_core.DType, dtype))),
                                      want.astype(dtype))
    else:
        with pytest.raises(tf.errors.InvalidArgumentError, match="range: .*must be"):
            _core.arange(start, limit, delta, getattr(_core.DType, dtype))
