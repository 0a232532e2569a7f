"""The composite functions (tan, sinh, segment sums, norms, repeat, roll,
slice, sequence_mask, tensordot, clip_by_global_norm, map_fn, ...) against
numpy, with finite-difference gradients for the differentiable ones."""

import numpy as np
import pytest

import tensorlet as tf
from tests.conftest import numeric_gradient


def _grad_check(fn, ref, x, rng):
    w = rng.standard_normal(np.shape(ref(x)))
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = tf.reduce_sum(fn(xt) * w)
    np.testing.assert_allclose(tape.gradient(y, xt).numpy(), numeric_gradient(lambda a: np.sum(ref(a) * w), x.copy()),
                               rtol=1e-6, atol=1e-8)


_M = np.random.default_rng(5).standard_normal((4, 2))


@pytest.mark.parametrize("fn,ref", [
    (tf.math.tan, np.tan), (tf.math.sinh, np.sinh), (tf.math.cosh, np.cosh),
    (tf.math.log_sigmoid, lambda x: -np.log1p(np.exp(-x))), (tf.math.softsign, lambda x: x / (1 + np.abs(x))),
    (lambda x: tf.math.reduce_euclidean_norm(x, 1), lambda x: np.linalg.norm(x, axis=1)),
    (lambda x: tf.norm(x, ord=1), lambda x: np.abs(x).sum()),
    (lambda x: tf.linalg.norm(x, axis=0), lambda x: np.linalg.norm(x, axis=0)),
    (lambda x: tf.repeat(x, [1, 0, 2], axis=0), lambda x: np.repeat(x, [1, 0, 2], axis=0)),
    (lambda x: tf.roll(x, [1, -2], [0, 1]), lambda x: np.roll(x, (1, -2), (0, 1))),
    (lambda x: tf.slice(x, [1, 0], [2, -1]), lambda x: x[1:3, 0:]),
    (lambda x: tf.math.segment_sum(x, [0, 0, 2]), lambda x: np.stack([x[0] + x[1], 0 * x[0], x[2]])),
    (lambda x: tf.math.unsorted_segment_mean(x, [1, 0, 1], 3), lambda x: np.stack([x[1], (x[0] + x[2]) / 2, 0 * x[0]])),
    (lambda x: tf.tensordot(x, x, [[0], [0]]), lambda x: np.tensordot(x, x, [[0], [0]])),
    (lambda x: tf.tensordot(x, _M, 1), lambda x: np.tensordot(x, _M, 1)),
])
def test_composites_match_numpy(fn, ref, rng):
    x = rng.uniform(-1.2, 1.2, (3, 4))
    np.testing.assert_allclose(fn(tf.constant(x)).numpy(), ref(x), rtol=1e-10, atol=1e-12)
    _grad_check(fn, ref, x, rng)


def test_safe_divisions_and_predicates():
    x, y = np.array([1.0, 2.0, 0.0]), np.array([2.0, 0.0, 0.0])
    np.testing.assert_array_equal(tf.math.divide_no_nan(x, y).numpy(), [0.5, 0.0, 0.0])
    np.testing.assert_allclose(tf.math.xlogy(np.array([0.0, 2.0]), np.array([0.0, 3.0])).numpy(), [0, 2 * np.log(3)])
    z = np.array([np.nan, np.inf, -np.inf, 1.0])
    assert tf.math.is_nan(z).numpy().tolist() == [True, False, False, False]
    assert tf.math.is_inf(z).numpy().tolist() == [False, True, True, False]
    assert tf.math.is_finite(z).numpy().tolist() == [False, False, False, True]
    assert tf.math.logical_xor([True, True, False], [True, False, False]).numpy().tolist() == [False, True, False]
    assert tf.truediv(3, 2).numpy() == 1.5 and tf.math.squared_difference(3.0, 1.0).numpy() == 4.0
    dt = tf.constant([1.0, 0.0])
    with tf.GradientTape() as tape:
        tape.watch(dt)
        y = tf.reduce_sum(tf.math.divide_no_nan(tf.constant([1.0, 1.0]), dt))
    assert np.isfinite(tape.gradient(y, dt).numpy()).all()


def test_counting_functions():
    np.testing.assert_array_equal(tf.math.bincount([1, 1, 3]).numpy(), [0, 2, 0, 1])
    np.testing.assert_array_equal(tf.math.bincount([1, 1, 3], minlength=6).numpy(), [0, 2, 0, 1, 0, 0])
    np.testing.assert_allclose(tf.math.bincount([0, 2, 2], weights=[0.5, 1.0, 2.0]).numpy(), [0.5, 0, 3.0])
    cm = tf.math.confusion_matrix([0, 1, 2, 2], [0, 2, 2, 1], num_classes=3).numpy()
    np.testing.assert_array_equal(cm, [[1, 0, 0], [0, 0, 1], [0, 1, 1]])
    hit = tf.math.in_top_k([2, 0], np.array([[0.1, 0.2, 0.7], [0.3, 0.6, 0.1]]), 1).numpy()
    assert hit.tolist() == [True, False]
    np.testing.assert_array_equal(tf.sequence_mask([1, 3], 4).numpy(), [[1, 0, 0, 0], [1, 1, 1, 0]])
    assert tf.sequence_mask([2, 1]).shape == (2, 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="sorted"):
        tf.math.segment_sum([1.0, 2.0], [1, 0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="do not fit"):
        tf.slice(np.zeros((2, 2)), [1, 1], [2, 1])


def test_clip_by_global_norm_and_map_fn(rng):
    a, b = rng.standard_normal((3,)), rng.standard_normal((2, 2))
    total = np.sqrt((a ** 2).sum() + (b ** 2).sum())
    (ca, none, cb), norm = tf.clip_by_global_norm([a, None, b], 1.0)
    assert none is None and float(norm) == pytest.approx(total)
    np.testing.assert_allclose(ca.numpy(), a / total, rtol=1e-10)
    np.testing.assert_allclose(cb.numpy(), b / total, rtol=1e-10)
    (same,), _ = tf.clip_by_global_norm([a], 100.0)
    np.testing.assert_allclose(same.numpy(), a)
    assert float(tf.linalg.global_norm([a, b])) == pytest.approx(total)
    x = rng.standard_normal((4, 3))
    np.testing.assert_allclose(tf.map_fn(lambda r: tf.reduce_sum(r * r), x).numpy(), (x ** 2).sum(1))
    pair = tf.map_fn(lambda t: (t[0] * 2, t[1]), (x, x[:, 0]))
    np.testing.assert_allclose(pair[0].numpy(), 2 * x)
    assert tf.executing_eagerly()
