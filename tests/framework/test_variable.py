"""tensorlet.Variable: construction, names, acting as a tensor, in-place assignment."""

import copy
import pickle

import numpy as np
import pytest

import tensorlet as tf
from tensorlet.framework import variable as variable_module
InvalidArgumentError = tf.errors.InvalidArgumentError


@pytest.fixture(autouse=True)
def fresh_names(monkeypatch):
    monkeypatch.setattr(variable_module, "_name_counts", {})


def test_initial_values():
    assert tf.Variable(3.0).dtype == tf.float32
    assert tf.Variable(3).dtype == tf.int32
    assert tf.Variable(np.zeros((2, 3))).dtype == tf.float64
    v = tf.Variable([[1, 2], [3, 4]], dtype=tf.float32)
    assert v.dtype == tf.float32 and v.shape == (2, 2)
    v = tf.Variable(lambda: tf.constant([1.0, 2.0]))
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    t = tf.constant([1.0, 2.0])
    v = tf.Variable(t)
    v.assign([5.0, 6.0])
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])  # the variable owns its storage
    a = np.ones(2, np.float32)
    v = tf.Variable(a)
    v.assign_add([1.0, 1.0])
    np.testing.assert_array_equal(a, [1.0, 1.0])
    with pytest.raises(InvalidArgumentError):
        tf.Variable([1.0, 2.0], shape=(3,))
    assert tf.Variable([1.0, 2.0], shape=(None,)).shape == (2,)


def test_names_are_unique():
    assert tf.Variable(1.0).name == "Variable:0"
    assert tf.Variable(1.0).name == "Variable_1:0"
    assert tf.Variable(1.0, name="W").name == "W:0"
    assert tf.Variable(1.0, name="W").name == "W_1:0"
    assert tf.Variable(1.0).name == "Variable_2:0"


def test_repr_and_str():
    v = tf.Variable([[1.0], [2.0], [3.0]])
    want = ("<tf.Variable 'Variable:0' shape=(3, 1) dtype=float32, numpy=\n"
            "array([[1.],\n       [2.],\n       [3.]], dtype=float32)>")
    assert repr(v) == want and str(v) == want
    assert repr(tf.Variable(2.0, name="s")) == "<tf.Variable 's:0' shape=() dtype=float32, numpy=2.0>"


def test_acts_as_a_tensor():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    assert isinstance(v, tf.Tensor) and tf.is_tensor(v)
    np.testing.assert_array_equal((v + 1).numpy(), [[2.0, 3.0], [4.0, 5.0]])
    np.testing.assert_array_equal((2 * v).numpy(), [[2.0, 4.0], [6.0, 8.0]])
    np.testing.assert_array_equal(tf.matmul(v, v).numpy(), [[7.0, 10.0], [15.0, 22.0]])
    np.testing.assert_array_equal(np.add(v, 1), [[2.0, 3.0], [4.0, 5.0]])
    np.testing.assert_array_equal(tf.transpose(v).numpy(), [[1.0, 3.0], [2.0, 4.0]])
    assert float(v[1, 1]) == 4.0 and f"{v[0, 1]:.2f}" == "2.00"
    assert type(v[0] + 0.0) is tf.Tensor
    assert v.trainable and tf.Variable(1.0, trainable=False).trainable is False


def test_reads_are_snapshots():
    v = tf.Variable([1.0, 2.0])
    r, view, t, a, s = v.read_value(), tf.reshape(v, (2, 1)), tf.transpose(v), np.asarray(v), v[0]
    v.assign([7.0, 8.0])
    np.testing.assert_array_equal(r.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(view.numpy(), [[1.0], [2.0]])
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(a, [1.0, 2.0])
    assert float(s) == 1.0
    np.testing.assert_array_equal(v.value().numpy(), [7.0, 8.0])


def test_assign_add_sub_in_place():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    storage = v._a
    assert v.assign([[0.0, 1.0], [2.0, 3.0]]) is v
    assert v.assign_add(tf.ones((2, 2))) is v
    assert v.assign_sub(np.full((2, 2), 0.5)) is v
    assert v._a is storage
    np.testing.assert_array_equal(v.numpy(), [[0.5, 1.5], [2.5, 3.5]])
    i = tf.Variable([1, 2])
    i.assign_add([10, 20])
    np.testing.assert_array_equal(i.numpy(), [11, 22])
    v.assign(v * 2)  # from a value computed from the variable itself
    np.testing.assert_array_equal(v.numpy(), [[1.0, 3.0], [5.0, 7.0]])


def test_slice_assignment():
    v = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3))
    assert v[0, 0].assign(30.0) is v
    v[0:2, 0].assign(3.0)
    v[:, 2].assign([10.0, 11.0])
    v[1].assign_add(100.0)
    v[:, 1:].assign_sub(tf.constant([[1.0, 1.0]]))
    np.testing.assert_array_equal(v.numpy(), [[3.0, 0.0, 9.0], [103.0, 103.0, 110.0]])
    w = tf.Variable(np.arange(8.0))
    w[::2].assign(w[1::2])  # the value is a snapshot: no overlap trouble
    np.testing.assert_array_equal(w.numpy(), [1, 1, 3, 3, 5, 5, 7, 7])


@pytest.mark.parametrize("bad", [
    lambda v: v.assign([1.0, 2.0]),                      # wrong shape
    lambda v: v.assign(tf.constant([[1, 2, 3], [4, 5, 6]])),  # tensor of another dtype
    lambda v: v.assign_add(tf.constant(np.ones((2, 3)))),  # float64 into float32
    lambda v: v.assign_sub(tf.ones((3, 2))),
    lambda v: v.assign([[1.0, 2.0, 3.0]]),               # broadcasting is only for slices
    lambda v: v[0].assign([1.0, 2.0]),
    lambda v: v[:, 0].assign([1.0, 2.0, 3.0]),
    lambda v: v[0, 0].assign_add(tf.constant(1)),
    lambda v: v[0].assign("text"),
    lambda v: v.assign(tf.zeros((2, 3), dtype=tf.float64)),
])
def test_failed_assignment_changes_nothing(bad):
    v = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3))
    before = v.numpy().copy()
    with pytest.raises((InvalidArgumentError, TypeError)):
        bad(v)
    np.testing.assert_array_equal(v.numpy(), before)


def test_error_messages_name_variable_and_shapes():
    v = tf.Variable(np.zeros((2, 3), np.float32), name="kernel")
    with pytest.raises(InvalidArgumentError, match=r"kernel:0.*\(2, 3\)"):
        v.assign(np.zeros(3))
    with pytest.raises(InvalidArgumentError, match="float32.*int32"):
        v.assign(tf.zeros((2, 3), dtype=tf.int32))
    with pytest.raises(TypeError, match="assign"):
        v[0, 0] = 1.0


def test_integer_variable_refuses_fractions():
    v = tf.Variable([1, 2])
    with pytest.raises(TypeError):
        v.assign([1.5, 2.0])
    np.testing.assert_array_equal(v.numpy(), [1, 2])


def test_copy_and_pickle():
    v = tf.Variable([1.0, 2.0], name="w", trainable=False)
    c = copy.deepcopy(v)
    c.assign([0.0, 0.0])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    p = pickle.loads(pickle.dumps(v))
    assert isinstance(p, tf.Variable) and not p.trainable
    np.testing.assert_array_equal(p.numpy(), [1.0, 2.0])
