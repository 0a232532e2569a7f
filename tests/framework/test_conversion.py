"""The one conversion layer: every numpy dtype and byte order converts to the
right values or is refused with a message naming the function; nothing lossy
happens silently."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras


@pytest.mark.parametrize("order", ["<", ">", "="])
@pytest.mark.parametrize("code", ["i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8", "b1"])
def test_every_numpy_dtype_and_byte_order_keeps_its_values(code, order):
    src = np.array([0, 1, 2, 100], dtype=np.dtype(code).newbyteorder(order) if code != "b1" else code)
    got = tf.constant(src).numpy()
    np.testing.assert_array_equal(got, src.astype(got.dtype))
    assert got.tolist() == src.tolist()


@pytest.mark.parametrize("value,dtype", [
    (np.array([2**63], np.uint64), None),
    (np.array([1.5]), tf.int32),
    (np.array([np.nan]), tf.int64),
    (np.array([np.inf]), tf.int32),
    (np.array([2**40]), tf.int32),
    (np.array([1 + 2j]), tf.float32),
    (None, tf.float64),
    (None, None),
    ("abc", tf.bool),
    ([[1], [1, 2]], None),
    (2**64, None),
    ([2.0, 3.0], tf.bool),
])
def test_lossy_or_impossible_conversions_are_refused(value, dtype):
    with pytest.raises(TypeError, match="Cannot convert"):
        tf.constant(value, dtype)


def test_a_float_array_with_an_int_tensor_is_refused_naming_the_op():
    with pytest.raises(TypeError, match="^add: .*int32"):
        tf.constant([1, 2]) + np.array([1.5, 2.0])
    with pytest.raises(TypeError, match="^multiply: .*ragged"):
        tf.multiply([[1], [1, 2]], 2)
    np.testing.assert_array_equal((tf.constant([1, 2]) + np.array([1.0, 2.0])).numpy(), [2, 4])


def test_a_float_array_assigned_to_an_int_variable_is_refused_and_changes_nothing():
    v = tf.Variable([1, 2])
    with pytest.raises(TypeError, match="int32"):
        v.assign(np.array([1.5, np.nan]))
    np.testing.assert_array_equal(v.numpy(), [1, 2])


def test_complex_weights_are_refused_and_change_nothing():
    layer = keras.layers.Dense(2)
    layer.build((None, 3))
    before = [w.copy() for w in layer.get_weights()]
    with pytest.raises(TypeError, match="complex"):
        layer.set_weights([np.ones((3, 2)) * 1j, np.zeros(2)])
    for a, b in zip(layer.get_weights(), before):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("shape", [[2.7, 2], [True, 2], "abc", [2, None], [2**64], 2.0])
def test_shapes_must_be_ints(shape):
    with pytest.raises((TypeError, tf.errors.InvalidArgumentError), match="^zeros: "):
        tf.zeros(shape)


@pytest.mark.parametrize("call", [
    lambda: tf.zeros([2], dtype=None), lambda: tf.ones([2], dtype=None), lambda: tf.eye(2, dtype=None),
    lambda: tf.cast(tf.constant([1.5]), None), lambda: tf.argmax([1, 2], output_type=None),
])
def test_dtype_none_is_refused_not_float64(call):
    with pytest.raises(TypeError, match="None"):
        call()


def test_random_integer_bounds_must_fit_the_dtype():
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32"):
        tf.random.uniform([5], maxval=2**40, dtype=tf.int32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32"):
        tf.random.uniform([5], minval=-(2**40), maxval=3, dtype=tf.int32)
    x = tf.random.uniform([1000], minval=-(2**31), maxval=2**31 - 1, dtype=tf.int32).numpy()
    assert x.min() >= -(2**31) and x.max() < 2**31 - 1


def test_softmax_crossentropy_with_huge_logits():
    for dtype in (tf.float32, tf.float64):
        logits = tf.constant([[1e17, 1e17, 1e17], [-1e17, 0, 1e17]], dtype)
        labels = tf.constant([[0, 0, 1], [0, 0, 1]], dtype)
        got = tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits).numpy()
        np.testing.assert_allclose(got, [np.log(3), 0.0], rtol=1e-6)


@pytest.mark.parametrize("layer,inputs", [
    (lambda: keras.layers.Dense(1), {}), (lambda: keras.layers.Softmax(), None), (lambda: keras.layers.Dense(1), []),
    (lambda: keras.layers.Dense(1), "abc"),
])
def test_layers_refuse_inputs_that_are_not_tensors_naming_the_layer(layer, inputs):
    with pytest.raises(ValueError, match="expects a tensor"):
        layer()(inputs)


@pytest.mark.parametrize("call,name", [
    (lambda: tf.one_hot([1], 2**63), "one_hot"), (lambda: tf.expand_dims(tf.ones([2]), 2**63), "expand_dims"),
    (lambda: tf.concat([tf.ones([2])] * 2, 2**63), "concat"), (lambda: tf.eye(2**63), "eye"),
    (lambda: tf.range(2**63), "range"), (lambda: tf.ones([2])[2**63], "index"),
])
def test_ints_beyond_int64_are_refused_in_python_terms(call, name):
    with pytest.raises((TypeError, ValueError)) as info:
        call()
    msg = str(info.value)
    assert msg.startswith(name + ":"), msg
    assert "incompatible function arguments" not in msg and "Unable to cast" not in msg
