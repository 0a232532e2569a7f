"""Reductions and argmax/argmin against numpy: random shapes, axes and
layouts (hypothesis), the multithreaded and vectorised paths, empty inputs,
NaN, errors, and the same sums under the baseline instruction set."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensorlet as tf
InvalidArgumentError = tf.errors.InvalidArgumentError

NP = {"reduce_sum": np.sum, "reduce_prod": np.prod, "reduce_max": np.max, "reduce_min": np.min}


def _layout(a, kind):
    """a tensor equal to ``a``: contiguous, a transposed view, or a strided slice."""
    if kind == "transposed" and a.ndim >= 2:
        return tf.transpose(tf.constant(np.ascontiguousarray(a.T)))
    if kind == "strided" and a.ndim >= 1:
        wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
        wide[..., ::2] = a
        return tf.constant(wide)[..., ::2]
    return tf.constant(a)


def _np_ref(name, a, axes, keepdims):
    if name == "reduce_mean":
        if a.dtype.kind == "f":
            return np.mean(a.astype(np.float64), axis=axes, keepdims=keepdims)
        n = int(np.prod([a.shape[i] for i in axes]))
        s = np.sum(a.astype(np.int64), axis=axes, keepdims=keepdims)
        return np.sign(s) * (np.abs(s) // max(n, 1))
    if name in ("reduce_max", "reduce_min"):
        init = -np.inf if name == "reduce_max" else np.inf
        if a.dtype.kind == "i":
            info = np.iinfo(a.dtype)
            init = info.min if name == "reduce_max" else info.max
        return NP[name](a, axis=axes, keepdims=keepdims, initial=init)
    return NP[name](a, axis=axes, keepdims=keepdims, dtype=a.dtype)


@st.composite
def reduction_case(draw):
    shape = tuple(draw(st.lists(st.integers(0, 5), min_size=0, max_size=4)))
    nd = len(shape)
    axes = draw(st.lists(st.integers(0, nd - 1), unique=True, max_size=nd)) if nd else []
    signed = [a - nd if draw(st.booleans()) else a for a in axes]
    whole = draw(st.booleans())
    return shape, (None if whole else signed), draw(st.booleans()), draw(
        st.sampled_from(["float32", "float64", "int32", "int64"])), draw(
        st.sampled_from(["contiguous", "transposed", "strided"])), draw(
        st.sampled_from(["reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod"]))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy on empty means
@settings(max_examples=300, deadline=None)
@given(reduction_case(), st.integers(0, 2**32 - 1))
def test_reductions_match_numpy(case, seed):
    shape, axis, keepdims, dtype, layout, name = case
    rng = np.random.default_rng(seed)
    a = rng.uniform(-3, 3, shape).astype(dtype)
    if dtype.startswith("int"):
        a = rng.integers(-3, 4, shape).astype(dtype)
    axes = tuple(range(len(shape))) if axis is None else tuple(ax % len(shape) for ax in axis)
    want = np.asarray(_np_ref(name, a, axes, keepdims))
    got = getattr(tf, name)(_layout(a, layout), axis=axis, keepdims=keepdims)
    assert got.dtype == tf.as_dtype(dtype)
    assert got.shape == want.shape
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got.numpy(), want.astype(dtype), **tol)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=4), st.data())
def test_argmax_argmin_and_any_all_match_numpy(shape, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    a = rng.integers(-2, 3, shape).astype(np.float32)  # small range: plenty of ties
    layout = data.draw(st.sampled_from(["contiguous", "transposed", "strided"]))
    assert np.array_equal(tf.argmax(_layout(a, layout), axis).numpy(), np.argmax(a, axis))
    assert np.array_equal(tf.argmin(_layout(a, layout), axis).numpy(), np.argmin(a, axis))
    b = a > 0
    assert np.array_equal(tf.reduce_any(_layout(b, layout), axis).numpy(), np.any(b, axis))
    assert np.array_equal(tf.reduce_all(_layout(b, layout), [axis]).numpy(), np.all(b, axis))


@pytest.mark.parametrize("axis", [None, 0, 1, [0, 1], 2, [0, 2], [1, 2]])
def test_large_inputs_take_the_threaded_paths(axis):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((64, 300, 40)).astype(np.float32)
    t = tf.constant(a)
    ax = None if axis is None else (axis if isinstance(axis, list) else [axis])
    a64 = a.astype(np.float64)
    np.testing.assert_allclose(tf.reduce_sum(t, axis).numpy(), a64.sum(axis=None if ax is None else tuple(ax)),
                               rtol=1e-5, atol=1e-3)
    np.testing.assert_array_equal(tf.reduce_max(t, axis).numpy(), a.max(axis=None if ax is None else tuple(ax)))
    np.testing.assert_array_equal(tf.reduce_min(t, axis).numpy(), a.min(axis=None if ax is None else tuple(ax)))


def test_float32_sums_are_accurate():
    rng = np.random.default_rng(1)
    a = rng.random(3_000_001).astype(np.float32)
    exact = a.astype(np.float64).sum()
    assert abs(float(tf.reduce_sum(a)) - exact) / exact < 1e-6
    assert abs(float(tf.reduce_mean(a)) - exact / a.size) / (exact / a.size) < 1e-6
    col = rng.random((200_000, 3)).astype(np.float32)  # outer-axis accumulation
    np.testing.assert_allclose(tf.reduce_sum(col, 0).numpy(), col.astype(np.float64).sum(0), rtol=1e-6)
    # A naive float32 running sum of 2**25 ones stalls at 2**24.
    assert float(tf.reduce_sum(np.ones(2**25, np.float32))) == 2.0**25


def test_empty_reductions_follow_tensorflow():
    # TensorFlow's choice, kept here: max/min over no elements is the identity
    # of the operation (-inf / +inf for floats, the dtype's extremes for ints),
    # not an error.
    empty = tf.constant(np.zeros((0, 3), np.float32))
    assert np.array_equal(tf.reduce_sum(empty, 0).numpy(), [0, 0, 0])
    assert np.array_equal(tf.reduce_prod(empty, 0).numpy(), [1, 1, 1])
    assert np.array_equal(tf.reduce_max(empty, 0).numpy(), [-np.inf] * 3)
    assert np.array_equal(tf.reduce_min(empty, 0).numpy(), [np.inf] * 3)
    assert np.isnan(tf.reduce_mean(empty).numpy())
    assert tf.reduce_sum(empty, 1).shape == (0,)
    assert int(tf.reduce_max(np.zeros(0, np.int32))) == np.iinfo(np.int32).min
    assert int(tf.reduce_min(np.zeros(0, np.int64))) == np.iinfo(np.int64).max
    assert bool(tf.reduce_any(np.zeros(0, bool))) is False
    assert bool(tf.reduce_all(np.zeros(0, bool))) is True


def test_scalars_and_empty_axis_lists():
    assert float(tf.reduce_sum(3.5)) == 3.5
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    assert np.array_equal(tf.reduce_sum(x, []).numpy(), x.numpy())
    assert tf.reduce_sum(x, keepdims=True).shape == (1, 1)
    assert float(tf.reduce_sum(x, axis=tf.constant([0, 1]))) == 10.0


def test_integer_semantics():
    assert int(tf.reduce_mean(tf.constant([-1, -2]))) == -1  # truncated, like TensorFlow
    assert int(tf.reduce_mean(tf.constant([1, 2]))) == 1
    big = tf.constant(np.array([2**31 - 1, 1], np.int32))
    assert int(tf.reduce_sum(big)) == -(2**31)  # int32 wraps
    assert tf.reduce_sum(big).dtype == tf.int32


def test_nan_propagates_like_numpy():
    a = np.array([[1.0, np.nan, 3.0, np.nan], [4.0, 2.0, 9.0, 0.0]], np.float32)
    np.testing.assert_array_equal(tf.reduce_max(a, 1).numpy(), [np.nan, 9.0])
    np.testing.assert_array_equal(tf.reduce_min(a, 1).numpy(), [np.nan, 0.0])
    np.testing.assert_array_equal(tf.reduce_max(a.T.copy(), 0).numpy(), [np.nan, 9.0])  # column path
    assert list(tf.argmax(a, 1).numpy()) == [1, 2]
    assert list(tf.argmin(a, 1).numpy()) == [1, 3]
    assert list(tf.argmax(a.T.copy(), 0).numpy()) == [1, 2]
    long_row = np.arange(1000, dtype=np.float64)
    long_row[517] = np.nan
    assert np.isnan(float(tf.reduce_max(long_row)))


def test_argmax_details():
    x = tf.constant([[1, 5, 5], [7, 2, 7]])
    assert list(tf.argmax(x).numpy()) == [1, 0, 1]  # axis None means 0
    assert list(tf.argmax(x, 1).numpy()) == [1, 0]  # first of the ties
    assert list(tf.argmin(x, -1).numpy()) == [0, 1]
    assert tf.argmax(x, 1, output_type=tf.int32).dtype == tf.int32
    assert tf.argmax(x, 1).dtype == tf.int64


def test_errors_name_the_op_axis_and_rank():
    x = tf.constant(np.zeros((2, 3), np.float32))
    with pytest.raises(InvalidArgumentError, match=r"reduce_sum.*axis 2.*rank 2"):
        tf.reduce_sum(x, 2)
    with pytest.raises(InvalidArgumentError, match=r"reduce_max.*axis -3.*rank 2"):
        tf.reduce_max(x, [-3])
    with pytest.raises(InvalidArgumentError, match="repeated"):
        tf.reduce_mean(x, [1, -1])
    with pytest.raises(InvalidArgumentError, match=r"reduce_sum.*rank 0"):
        tf.reduce_sum(1.0, 0)
    with pytest.raises(TypeError, match="reduce_sum.*bool"):
        tf.reduce_sum(tf.constant([True, False]))
    with pytest.raises(TypeError, match="reduce_any.*bool"):
        tf.reduce_any(x)
    with pytest.raises(InvalidArgumentError, match=r"argmax.*axis 0 of size 0.*\(0, 3\)"):
        tf.argmax(tf.constant(np.zeros((0, 3), np.float32)), 0)
    with pytest.raises(InvalidArgumentError, match="argmin.*axis 5.*rank 2"):
        tf.argmin(x, 5)
    from tensorlet import _core  # the kernel checks on its own too
    with pytest.raises(InvalidArgumentError, match="reduce_prod: axis 7"):
        _core.reduce_prod(x._a, [7], False)


def test_composites():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 5)) * 50
    want = np.log(np.sum(np.exp(a - a.max(1, keepdims=True)), 1)) + a.max(1)
    np.testing.assert_allclose(tf.reduce_logsumexp(a, 1).numpy(), want, rtol=1e-12)
    assert tf.reduce_logsumexp(a, 1, keepdims=True).shape == (4, 1)
    np.testing.assert_allclose(float(tf.reduce_logsumexp(np.float32([1000.0, 1000.0]))), 1000 + np.log(2), rtol=1e-6)
    assert float(tf.reduce_logsumexp(np.float32([-np.inf, -np.inf]))) == -np.inf
    np.testing.assert_allclose(tf.reduce_variance(a, 0).numpy(), a.var(0), rtol=1e-12)
    np.testing.assert_allclose(tf.reduce_std(a, [0, 1]).numpy(), a.std(), rtol=1e-12)
    c = tf.count_nonzero(tf.constant([[0, 1, 2], [0, 0, 3]]), axis=1)
    assert c.dtype == tf.int64 and list(c.numpy()) == [2, 1]
    assert int(tf.count_nonzero(tf.constant([True, False, True]))) == 2


def test_public_namespaces():
    for name in ["reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_any",
                 "reduce_all", "argmax", "argmin", "reduce_logsumexp", "reduce_std", "reduce_variance"]:
        assert getattr(tf.math, name) is getattr(tf, name)


_SCRIPT = """
import json, numpy as np, tensorlet as tf
from tensorlet import _core
rng = np.random.default_rng(7)
a = rng.standard_normal((300, 1001)).astype(np.float32)
out = {"isa": _core.isa(),
       "full": float(tf.reduce_sum(a)), "rows": tf.reduce_sum(a, 1).numpy().tolist(),
       "cols": tf.reduce_sum(a, 0).numpy().tolist(), "max": tf.reduce_max(a, 1).numpy().tolist(),
       "softmax": tf.nn.softmax(a[:4]).numpy().tolist()}
print(json.dumps(out))
"""


def _run(isa):
    env = dict(os.environ, TENSORLET_ISA=isa)
    res = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, check=True)
    return json.loads(res.stdout)


def test_baseline_isa_gives_the_same_results():
    base, best = _run("baseline"), _run("avx512")
    assert base["isa"] == "baseline"
    for key in ["full", "rows", "cols", "softmax"]:
        np.testing.assert_allclose(base[key], best[key], rtol=1e-6, atol=1e-6, err_msg=key)
    assert base["max"] == best["max"]


def test_gradients_through_the_tape():
    x = tf.constant([[1.0, 3.0, 3.0], [2.0, 0.0, -1.0]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        mx = tf.reduce_max(x, axis=1)
        mn = tf.reduce_min(x)
        s = tf.reduce_sum(x, [0], keepdims=True)
        m = tf.reduce_mean(x)
        p = tf.reduce_prod(x, 1)
    np.testing.assert_array_equal(tape.gradient(mx, x).numpy(), [[0, 0.5, 0.5], [1, 0, 0]])  # ties split
    np.testing.assert_array_equal(tape.gradient(mn, x).numpy(), [[0, 0, 0], [0, 0, 1]])
    np.testing.assert_array_equal(tape.gradient(s, x).numpy(), np.ones((2, 3)))
    np.testing.assert_allclose(tape.gradient(m, x).numpy(), np.full((2, 3), 1 / 6))
    np.testing.assert_array_equal(tape.gradient(p, x).numpy(), [[9, 3, 3], [0, -2, 0]])  # a zero in row 2


@pytest.mark.parametrize("name", ["reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod"])
def test_tall_narrow_inputs_split_rows(name):
    # Few output columns and many rows: partial results per row slice, merged.
    rng = np.random.default_rng(9)
    a = rng.uniform(0.999, 1.001, (20000, 3, 5))
    a[12345, 1, 2] = np.nan if name in ("reduce_max", "reduce_min") else a[12345, 1, 2]
    want = np.asarray(_np_ref(name, a, (0,), False))
    np.testing.assert_allclose(getattr(tf, name)(a, 0).numpy(), want, rtol=1e-10)
    b = a.astype(np.float32)
    want32 = np.asarray(_np_ref(name, b.astype(np.float64), (0,), False))
    np.testing.assert_allclose(getattr(tf, name)(b, 0).numpy(), want32, rtol=2e-5)
    flags = rng.random((20000, 4)) < 0.0001
    assert np.array_equal(tf.reduce_any(flags, 0).numpy(), flags.any(0))
    assert np.array_equal(tf.reduce_all(~flags, 0).numpy(), (~flags).all(0))
