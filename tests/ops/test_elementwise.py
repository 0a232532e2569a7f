"""Elementwise ops on random broadcast shapes (hypothesis), every vector
instruction set, and the errors users meet."""

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tensorlet as tf
from tensorlet.ops.elementwise import softplus
from tests.conftest import strided

BINARY = [(tf.add, np.add), (tf.subtract, np.subtract), (tf.multiply, np.multiply), (tf.maximum, np.maximum),
          (tf.minimum, np.minimum), (tf.less, np.less), (tf.equal, np.equal)]


@settings(max_examples=60, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=0, max_side=5),
       which=st.integers(0, len(BINARY) - 1), dtype=st.sampled_from(["float32", "float64", "int32", "int64"]),
       view=st.booleans(), seed=st.integers(0, 2**16))
def test_binary_broadcasting(shapes, which, dtype, view, seed):
    rng = np.random.default_rng(seed)
    a = (rng.standard_normal(shapes.input_shapes[0]) * 4).astype(dtype)
    b = (rng.standard_normal(shapes.input_shapes[1]) * 4).astype(dtype)
    make = strided if view else tf.constant
    fn, ref = BINARY[which]
    got = fn(make(a), make(b))
    want = ref(a, b)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.numpy(), want)


# Shapes around the same-shape/single-element fast path: a single element
# of higher rank raises the result's rank; empty and strided operands.
@pytest.mark.parametrize("sa, sb", [((2, 2), (2, 2)), ((2, 2), ()), ((), (2, 2)), ((1, 1), (1,)), ((1,), (1, 1)),
                                    ((3,), (1, 1)), ((1, 1, 1), (2, 3)), ((0,), ()), ((1,), (0,)), ((), ())])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_fast_path_shapes(sa, sb, dtype):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(sa).astype(dtype), rng.standard_normal(sb).astype(dtype)
    for fn, ref in [(tf.add, np.add), (tf.divide, np.divide), (tf.maximum, np.maximum)]:
        got = fn(tf.constant(a), tf.constant(b))
        assert got.shape == ref(a, b).shape
        np.testing.assert_array_equal(got.numpy(), ref(a, b))
    if a.ndim == 2 and a.shape == b.shape:
        np.testing.assert_array_equal((strided(a) - strided(b)).numpy(), a - b)


@settings(max_examples=40, deadline=None)
@given(arr=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6),
                      elements=st.floats(-50, 50)))
def test_unary_on_random_arrays(arr):
    for fn, ref in [(tf.exp, np.exp), (tf.tanh, np.tanh), (tf.abs, np.abs), (tf.square, np.square),
                    (tf.negative, np.negative), (tf.sigmoid, lambda x: 1 / (1 + np.exp(-x)))]:
        np.testing.assert_allclose(fn(tf.constant(arr)).numpy(), ref(arr), rtol=1e-12, atol=1e-300)


def test_large_inputs_use_threads_and_match():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((300, 1000)).astype(np.float32)
    b = rng.standard_normal((1000,)).astype(np.float32)
    for fn, ref in [(tf.add, np.add), (tf.multiply, np.multiply), (tf.maximum, np.maximum)]:
        np.testing.assert_array_equal(fn(tf.constant(a), tf.constant(b)).numpy(), ref(a, b))
    np.testing.assert_array_equal(tf.square(tf.constant(a)).numpy(), np.square(a))
    t = tf.constant(a)
    np.testing.assert_array_equal((t.T + 1.0).numpy(), a.T + 1.0)


def test_special_values():
    x = tf.constant([np.nan, -0.0, 0.0, np.inf, -np.inf, -1.0])
    np.testing.assert_array_equal(tf.abs(x).numpy(), np.abs(x.numpy()))
    np.testing.assert_array_equal(tf.maximum(x, 0.0).numpy(), np.maximum(x.numpy(), 0.0))
    np.testing.assert_array_equal(tf.sigmoid(tf.constant([-1000.0, 1000.0])).numpy(), [0.0, 1.0])
    np.testing.assert_allclose(softplus(tf.constant([-1000.0, 1000.0, 0.0])).numpy(), [0.0, 1000.0, np.log(2)])
    np.testing.assert_array_equal(tf.round(tf.constant([0.5, 1.5, 2.5, -0.5])).numpy(), [0, 2, 2, -0.0])


def test_integer_semantics_follow_python():
    a = tf.constant([7, -7, 7, -7])
    b = tf.constant([2, 2, -2, -2])
    np.testing.assert_array_equal((a // b).numpy(), np.array([7, -7, 7, -7]) // np.array([2, 2, -2, -2]))
    np.testing.assert_array_equal((a % b).numpy(), np.array([7, -7, 7, -7]) % np.array([2, 2, -2, -2]))
    assert (a / b).dtype == tf.float64  # true division, as TensorFlow
    np.testing.assert_array_equal((tf.constant([2, 3]) ** tf.constant([10, 3])).numpy(), [1024, 27])
    with pytest.raises(tf.errors.InvalidArgumentError, match="negative integer powers"):
        tf.constant([2]) ** tf.constant([-1])


def test_errors_name_op_and_shapes():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        tf.add(tf.constant(np.zeros((2, 3))), tf.constant(np.zeros(4)))
    with pytest.raises(TypeError, match="logical_and: expects bool"):
        tf.logical_and(tf.constant([1]), tf.constant([1]))
    with pytest.raises(TypeError, match="not defined for bool"):
        tf.constant([True]) + tf.constant([False])


@pytest.mark.parametrize("isa", ["baseline", "avx2"])
def test_every_instruction_set_gives_the_same_results(isa):
    script = (
        "import numpy as np, tensorlet as tf, sys\n"
        "rng = np.random.default_rng(3)\n"
        # The larger sizes (8 MiB and up) take the streaming-store path; odd
        # lengths give chunks that start unaligned; NaNs check max/min.
        "for n, dt in [(100003, np.float32), (2**21 + 7, np.float32), (2**20 + 3, np.float64)]:\n"
        "    a = rng.standard_normal(n).astype(dt); b = rng.standard_normal(n).astype(dt); a[5] = b[n // 2] = np.nan\n"
        "    for f, r in [(tf.add, np.add), (tf.subtract, np.subtract), (tf.multiply, np.multiply),"
        " (tf.divide, np.divide), (tf.maximum, np.maximum), (tf.minimum, np.minimum)]:\n"
        "        np.testing.assert_array_equal(f(tf.constant(a), tf.constant(b)).numpy(), r(a, b))\n"
        "        np.testing.assert_array_equal(f(tf.constant(a), 2.0).numpy(), r(a, dt(2.0)))\n"
        "        np.testing.assert_array_equal(f(2.0, tf.constant(b)).numpy(), r(dt(2.0), b))\n"
        "    np.testing.assert_array_equal(tf.sqrt(tf.abs(tf.constant(a))).numpy(), np.sqrt(np.abs(a)))\n"
        "print(tf._core.isa())\n"
    )
    env = dict(os.environ, TENSORLET_ISA=isa)
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    native = tf._core.isa()
    order = ["baseline", "avx2", "avx512"]
    assert out.stdout.strip() == order[min(order.index(isa), order.index(native))]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "bool"])
def test_casts_and_row_broadcasts_match_numpy(dtype):
    # Whole contiguous casts split over threads; (m, 1) op (n,) takes the hoisted-scalar loop.
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((300, 1)) * 3).astype(dtype)
    y = (rng.standard_normal(257) * 3).astype(dtype)
    big = (rng.standard_normal(70000) * 3).astype(dtype)
    for target in ("float32", "float64", "int32", "bool"):
        np.testing.assert_array_equal(tf.cast(big, target).numpy(), big.astype(target))
    np.testing.assert_array_equal((tf.constant(x) > tf.constant(y)).numpy(), x > y)
    np.testing.assert_array_equal((tf.constant(y) <= tf.constant(x)).numpy(), y <= x)
    if dtype != "bool":
        np.testing.assert_array_equal((tf.constant(x) - tf.constant(y)).numpy(), x - y)
