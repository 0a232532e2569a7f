"""Every registered stateful op, walked from the registry: mutating ops
(assignments, fused optimizer updates) against their numpy references, a
failed call changes nothing, random draws are repeatable from their seed,
and the op path's observers see every state change."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.ops import registry
from tensorlet.ops.registry import REGISTRY, apply, apply_mutating
from tests.conftest import tolerance

MUTATING = [(n, dt) for n, op in sorted(REGISTRY.items()) if op.mutates for dt in op.dtypes]
SEEDED = [(n, dt) for n, op in sorted(REGISTRY.items()) if op.seeded for dt in op.dtypes]


def _inputs(op, arrays):
    """Variables for the inputs the op writes, constants for the others."""
    return [None if a is None else (tf.Variable(a) if i in op.mutates else tf.constant(a))
            for i, a in enumerate(arrays)]


def _state(inputs):
    return [(x.numpy(), x._version) for x in inputs if isinstance(x, tf.Variable)]


class _Recorder:
    def __init__(self):
        self.seen = []

    def _record(self, op, inputs, attrs, out):
        self.seen.append((op, inputs, out))


@pytest.fixture
def recorder():
    r = _Recorder()
    registry.observers.append(r)
    yield r
    registry.observers.remove(r)


def test_stateful_ops_are_registered():
    assert {"assign", "assign_add", "assign_sub", "apply_sgd", "apply_rmsprop", "apply_adam",
            "apply_adagrad"} <= {n for n, _ in MUTATING}
    assert {"random_uniform", "random_uniform_int", "random_normal", "truncated_normal"} <= {n for n, _ in SEEDED}
    for name in {n for n, _ in MUTATING + SEEDED}:
        assert REGISTRY[name].grad is None, f"{name}: a stateful op is not differentiable"


@pytest.mark.parametrize("name,dtype", MUTATING)
def test_mutating_op_matches_numpy_and_is_observed(name, dtype, rng, recorder):
    op = REGISTRY[name]
    for arrays, attrs in op.samples(rng, dtype):
        want = op.ref(*arrays, *attrs)
        want = want if isinstance(want, tuple) else (want,)
        inputs = _inputs(op, arrays)
        before = _state(inputs)
        out = apply_mutating(op, inputs, *attrs)
        assert out is inputs[0]
        assert recorder.seen[-1][0] is op and recorder.seen[-1][1] is inputs
        for i, w in zip(op.mutates, want):
            if inputs[i] is None:
                assert w is None
                continue
            np.testing.assert_allclose(inputs[i].numpy(), w, **tolerance(arrays[0].dtype), err_msg=f"{name} input {i}")
        assert [v for _, v in _state(inputs)] == [v + 1 for _, v in before]


@pytest.mark.parametrize("name,dtype", MUTATING)
def test_failed_mutating_op_changes_nothing(name, dtype, rng, recorder):
    op = REGISTRY[name]
    for arrays, attrs in op.samples(rng, dtype):
        for bad in [i for i, a in enumerate(arrays) if i not in op.mutates and a is not None]:
            inputs = _inputs(op, arrays)
            inputs[bad] = tf.constant(np.ones(arrays[bad].shape + (3,), arrays[bad].dtype))
            before = _state(inputs)
            with pytest.raises((ValueError, TypeError)):
                apply_mutating(op, inputs, *attrs)
            for (a, version), (b, version_after) in zip(before, _state(inputs)):
                np.testing.assert_array_equal(a, b)
                assert version == version_after
    assert not recorder.seen


@pytest.mark.parametrize("name,dtype", SEEDED)
def test_random_draw_is_repeatable_from_its_seed(name, dtype, rng):
    op = REGISTRY[name]
    for arrays, attrs in op.samples(rng, dtype):
        a, b = apply(op, (), *attrs), apply(op, (), *attrs)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        assert tuple(a.shape) == op.shape([], attrs) and a.dtype == op.dtype([], attrs)
        other = apply(op, (), *attrs[:-1], attrs[-1] + 1)
        if a.numpy().size > 4:
            assert not np.array_equal(a.numpy(), other.numpy()), f"{name}: the counter does not change the draw"


@pytest.mark.parametrize("draw", [
    lambda: tf.random.uniform((5, 3)), lambda: tf.random.uniform((4,), 0, 10, tf.int32),
    lambda: tf.random.normal((6,)), lambda: tf.random.truncated_normal((2, 2), seed=3),
    lambda: tf.random.shuffle(tf.range(10)), lambda: keras.initializers.GlorotUniform()((3, 2)),
])
def test_public_random_functions_repeat_after_set_seed(draw):
    tf.random.set_seed(1234)
    first = [draw().numpy() for _ in range(2)]
    tf.random.set_seed(1234)
    second = [draw().numpy() for _ in range(2)]
    tf.random.set_seed(None)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


def test_observers_see_every_state_change(recorder):
    v = tf.Variable(np.zeros((2, 3), np.float32))
    m, s = tf.Variable(np.zeros((2, 3), np.float32)), tf.Variable(np.zeros((2, 3), np.float32))
    one = np.ones((2, 3), np.float32)
    v.assign(one)
    v.assign_add(one)
    v[0, :].assign_sub([1.0, 2.0, 3.0])
    tf.raw_ops.apply_adam(v, m, s, one, 0.1)
    tf.random.normal((2,))
    names = [op.name for op, _, _ in recorder.seen]
    assert names == ["assign", "assign_add", "strided_slice", "assign_sub", "apply_adam", "random_normal"]
    assert all(inputs[0] is v for op, inputs, _ in recorder.seen[:5] if op.mutates)


def test_failed_assign_changes_nothing_and_is_not_observed(recorder):
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    for bad in (lambda: v.assign([1.0, 2.0, 3.0]), lambda: v.assign(tf.constant(np.ones((2, 2)))),
                lambda: v[0].assign_add([1.0, 2.0, 3.0]), lambda: v.assign_sub(np.ones((2, 1), np.float32))):
        with pytest.raises((ValueError, TypeError)):
            bad()
    np.testing.assert_array_equal(v.numpy(), [[1.0, 2.0], [3.0, 4.0]])
    assert v._version == 0
    assert [op.name for op, _, _ in recorder.seen] == ["strided_slice"]
