"""Functional models learn each layer's output shape from the registered
ops' shape and dtype rules: a layer's call runs on symbolic tensors (a shape
and dtype, no values), never on a batch of data."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.framework import symbolic
from tensorlet.keras import layers


class Probe(layers.Layer):
    """A custom layer without compute_output_shape that notes what it is called on."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units, self.seen = units, []

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="ones")

    def call(self, inputs):
        self.seen.append(symbolic.is_symbolic(inputs))
        y = tf.nn.relu(tf.matmul(inputs, self.w) + 1.0)
        return tf.concat([y, tf.reduce_mean(y, axis=-1, keepdims=True)], axis=-1)


class Sampler(layers.Layer):
    """Deep Learning with Python's VAE sampler: sizes its noise with tf.shape."""

    def call(self, z_mean, z_log_var):
        batch_size, z_size = tf.shape(z_mean)[0], tf.shape(z_mean)[1]
        epsilon = tf.random.normal(shape=(batch_size, z_size))
        return z_mean + tf.exp(0.5 * z_log_var) * epsilon


def test_custom_layer_output_shape_comes_from_the_op_rules():
    probe = Probe(3)
    inputs = keras.Input(shape=(5,))
    out = probe(inputs)
    assert tuple(out.shape) == (None, 4) and out.dtype == tf.float32
    assert probe.seen == [True]  # called once, on a symbolic tensor: no zeros, no data
    model = keras.Model(inputs, out)
    y = model(np.ones((2, 5), np.float32))
    np.testing.assert_allclose(y.numpy(), np.full((2, 4), 6.0))
    assert probe.seen == [True, False]
    assert probe.compute_output_shape((7, 5)) == (7, 4)


def test_shape_values_size_new_tensors_in_a_symbolic_call():
    inputs = keras.Input(shape=(4,))
    sampler = Sampler()
    z = sampler(layers.Dense(2)(inputs), layers.Dense(2)(inputs))
    assert tuple(z.shape) == (None, 2)
    model = keras.Model(inputs, z)  # both inputs of the sampler are replayed
    assert model(np.ones((3, 4), np.float32)).shape == (3, 2)


def test_symbolic_shapes_keep_unknown_dims_and_check_known_ones():
    x = symbolic.tensor((None, 6), tf.float32)
    assert tuple(tf.reshape(x, (-1, 2, 3)).shape) == (None, 2, 3)
    assert tuple(tf.reshape(x, tf.concat([tf.shape(x)[:1], [3, 2]], 0)).shape) == (None, 3, 2)
    assert tuple(tf.zeros_like(x).shape) == (None, 6)
    assert tuple(tf.transpose(x).shape) == (6, None)
    assert tuple(tf.reduce_sum(x, axis=0).shape) == (6,)
    assert tf.cast(x, tf.int32).dtype == tf.int32
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"matmul: inner dimensions differ"):
        tf.matmul(x, tf.ones((5, 2)))
    with pytest.raises(TypeError, match="has no values"):
        x.numpy()


def test_a_layer_that_reads_values_says_to_implement_compute_output_shape():
    class Reads(layers.Layer):
        def call(self, inputs):
            return inputs * float(tf.reduce_max(inputs))

    with pytest.raises(TypeError, match=r"layer 'reads'.*implement Reads.compute_output_shape"):
        Reads(name="reads")(keras.Input(shape=(3,)))


def test_a_symbolic_tensor_cannot_be_written_into_a_variable():
    v = tf.Variable(np.zeros(3, np.float32))
    with pytest.raises(TypeError, match="assign: a symbolic tensor has no values"):
        v.assign(symbolic.tensor((3,), tf.float32))
    np.testing.assert_array_equal(v.numpy(), np.zeros(3))


def test_subclassed_model_builds_from_an_input_shape_without_data():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden, self.out = layers.Dense(8, activation="relu"), Probe(2)

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    net = Net()
    net.build((None, 5))
    assert [tuple(w.shape) for w in net.weights] == [(5, 8), (8,), (8, 2)]
    assert net.out.seen == [True]
    assert net(np.ones((3, 5), np.float32)).shape == (3, 3)


def test_sublayers_inside_a_custom_layer_run_symbolically():
    class Block(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.flat, self.reshape, self.dense = layers.Flatten(), layers.Reshape((4, 3)), layers.Dense(2)

        def call(self, inputs):
            return self.dense(self.reshape(self.flat(inputs)))

    out = Block()(keras.Input(shape=(3, 4)))
    assert tuple(out.shape) == (None, 4, 2)
