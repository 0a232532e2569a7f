import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import activations, initializers, layers


def _grads(layer, x, upstream):
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        loss = tf.reduce_sum(y * upstream)
    return y, tape.gradient(loss, [x] + layer.trainable_weights)


def test_dense_forward_and_gradients_match_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 4)).astype(np.float32)
    up = rng.normal(size=(5, 3)).astype(np.float32)
    layer = layers.Dense(3, activation="relu")
    y, (gx, gk, gb) = _grads(layer, x, up)
    k, b = layer.get_weights()
    pre = x @ k + b
    np.testing.assert_allclose(y.numpy(), np.maximum(pre, 0), rtol=1e-5, atol=1e-6)
    dpre = up * (pre > 0)
    np.testing.assert_allclose(gx.numpy(), dpre @ k.T, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gk.numpy(), x.T @ dpre, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gb.numpy(), dpre.sum(0), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("activation", [None, "relu", "tanh"])
@pytest.mark.parametrize("use_bias", [True, False])
def test_dense_matches_its_unfused_formula(activation, use_bias):
    # Linear and relu Dense layers run as one fused op on matrices; results and
    # gradients equal those of matmul, bias add and activation done apart.
    rng = np.random.default_rng(1)
    for batch, features, units in [(32, 78, 25), (3, 5, 2), (130, 40, 70)]:
        x = rng.normal(size=(batch, features)).astype(np.float32)
        up = rng.normal(size=(batch, units)).astype(np.float32)
        layer = layers.Dense(units, activation=activation, use_bias=use_bias, bias_initializer="random_normal")
        y, grads = _grads(layer, x, up)
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            pre = tf.matmul(xt, layer.kernel)
            if use_bias:
                pre = pre + layer.bias
            want = activations.get(activation)(pre)
            loss = tf.reduce_sum(want * up)
        want_grads = tape.gradient(loss, [xt] + layer.trainable_weights)
        np.testing.assert_array_equal(y.numpy(), want.numpy())
        assert len(grads) == len(want_grads) == (3 if use_bias else 2)
        for g, w in zip(grads, want_grads):
            np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-5, atol=1e-5)


def test_dense_on_3d_inputs_applies_to_last_axis():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 10
    layer = layers.Dense(2, use_bias=False)
    y = layer(x)
    assert y.shape == (2, 3, 2)
    np.testing.assert_allclose(y.numpy(), x @ layer.kernel.numpy(), rtol=1e-5)


def test_build_is_called_on_first_call_with_the_input_shape():
    seen = []

    class Probe(layers.Layer):
        def build(self, input_shape):
            seen.append(tuple(input_shape))
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, inputs):
            return inputs * self.w

    p = Probe()
    assert not p.built and p.weights == []
    p(np.ones((2, 3), np.float32))
    p(np.ones((4, 3), np.float32))
    assert seen == [(2, 3)] and p.built and len(p.weights) == 1


def test_calling_build_directly_marks_the_layer_built():
    class Lin(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 2), initializer="ones", name="w")

        def call(self, inputs):
            return tf.matmul(inputs, self.w)

    class Scaled(Lin):  # a subclass whose build extends its parent's
        def build(self, input_shape):
            super().build(input_shape)
            self.s = self.add_weight(shape=(), initializer="ones", name="s")

    lin = Lin(name="lin")
    lin.build((None, 3))
    assert lin.built
    y = lin(np.ones((4, 3), np.float32))
    np.testing.assert_array_equal(y.numpy(), np.full((4, 2), 3.0))
    assert [w.name for w in lin.weights] == ["lin/w:0"]
    with pytest.raises(ValueError, match=r"layer 'lin' is incompatible.*expected shape \(None, 3\)"):
        lin(np.ones((4, 5), np.float32))  # the shape given to build is checked as __call__'s would be
    scaled = Scaled(name="scaled")
    scaled.build((None, 3))
    scaled(np.ones((1, 3), np.float32))
    assert [w.name for w in scaled.weights] == ["scaled/w:0", "scaled/s:0"]


def test_simple_dense_listing_runs():
    class SimpleDense(keras.layers.Layer):
        def __init__(self, units, activation=None):
            super().__init__()
            self.units = units
            self.activation = activation

        def build(self, input_shape):
            input_dim = input_shape[-1]
            self.W = self.add_weight(shape=(input_dim, self.units), initializer="random_normal")
            self.b = self.add_weight(shape=(self.units,), initializer="zeros")

        def call(self, inputs):
            y = tf.matmul(inputs, self.W) + self.b
            if self.activation is not None:
                y = self.activation(y)
            return y

    my_dense = SimpleDense(units=32, activation=tf.nn.relu)
    input_tensor = tf.ones(shape=(2, 784))
    output_tensor = my_dense(input_tensor)
    assert output_tensor.shape == (2, 32)
    assert len(my_dense.weights) == 2 and my_dense.count_params() == 784 * 32 + 32
    assert my_dense.name == "simple_dense"

    model = keras.Sequential([SimpleDense(32, tf.nn.relu), SimpleDense(64, tf.nn.relu),
                              SimpleDense(32, tf.nn.relu), SimpleDense(10, tf.nn.softmax)])
    out = model(np.ones((3, 5), np.float32))
    assert out.shape == (3, 10)
    assert [tuple(w.shape) for w in model.layers[1].weights] == [(32, 64), (64,)]
    np.testing.assert_allclose(out.numpy().sum(-1), 1.0, rtol=1e-5)


def test_names_are_unique_per_class_in_snake_case():
    a, b, c = layers.Dense(1), layers.Dense(1), layers.ReLU()
    assert (a.name, b.name, c.name) == ("dense", "dense_1", "re_lu")

    class MyBlock(layers.Layer):
        pass

    assert MyBlock().name == "my_block" and MyBlock().name == "my_block_1"
    assert layers.Dense(2, name="out").name == "out"


def test_nested_layers_and_variables_are_tracked():
    class Block(layers.Layer):
        def __init__(self):
            super().__init__()
            self.d1 = layers.Dense(3)
            self.parts = [layers.Dense(2)]
            self.scale = tf.Variable(1.0, trainable=False)

        def call(self, x):
            return self.parts[0](self.d1(x)) * self.scale

    blk = Block()
    blk(np.ones((1, 4), np.float32))
    assert len(blk.weights) == 5
    assert len(blk.trainable_weights) == 4 and len(blk.non_trainable_weights) == 1
    blk.trainable = False
    assert blk.trainable_weights == [] and len(blk.non_trainable_weights) == 5


def test_wrong_last_dim_names_layer_and_shapes():
    d = layers.Dense(2, name="head")
    d(np.ones((3, 4), np.float32))
    with pytest.raises(ValueError) as e:
        d(np.ones((3, 5), np.float32))
    msg = str(e.value)
    assert "head" in msg and "(None, 4)" in msg and "(3, 5)" in msg


def test_get_set_weights_and_shape_errors():
    d = layers.Dense(2)
    d(np.ones((1, 3), np.float32))
    k = np.arange(6, dtype=np.float32).reshape(3, 2)
    d.set_weights([k, np.array([1.0, -1.0])])
    np.testing.assert_array_equal(d.get_weights()[0], k)
    assert d.get_weights()[1].dtype == np.float32
    before = d.get_weights()
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(2, 3\)"):
        d.set_weights([k.T, np.zeros(2)])
    with pytest.raises(ValueError, match="expects 2 weight arrays"):
        d.set_weights([k])
    for a, b in zip(before, d.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_count_params_unbuilt_raises():
    with pytest.raises(ValueError, match="not built"):
        layers.Dense(3).count_params()


def test_float64_and_integer_inputs_are_cast_to_the_layer_dtype():
    d = layers.Dense(2)
    out = d(np.ones((2, 3)))
    assert out.dtype == tf.float32
    np.testing.assert_allclose(d(np.ones((2, 3), np.int64)).numpy(), out.numpy())


def test_compute_output_shape_and_config_round_trip():
    d = layers.Dense(7, activation="tanh", name="d")
    assert d.compute_output_shape((None, 3)) == (None, 7)
    clone = layers.Dense.from_config(d.get_config())
    assert clone.units == 7 and clone.activation is activations.tanh and clone.name == "d"
    assert layers.Flatten().compute_output_shape((None, 2, 3)) == (None, 6)
    assert layers.Reshape((3, -1)).compute_output_shape((None, 6)) == (None, 3, 2)


def test_simple_layers_match_numpy():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(layers.Flatten()(x).numpy(), x.reshape(2, 12))
    np.testing.assert_allclose(layers.Reshape((4, 3))(x).numpy(), x.reshape(2, 4, 3))
    e = np.exp(x - x.max(-1, keepdims=True))
    np.testing.assert_allclose(layers.Softmax()(x).numpy(), e / e.sum(-1, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(layers.ReLU()(x).numpy(), np.maximum(x, 0))
    np.testing.assert_allclose(layers.ReLU(max_value=0.5)(x).numpy(), np.clip(x, 0, 0.5))
    np.testing.assert_allclose(layers.Activation("tanh")(x).numpy(), np.tanh(x), rtol=1e-5)
    np.testing.assert_allclose(layers.Concatenate()([x, x[..., :2]]).numpy(),
                               np.concatenate([x, x[..., :2]], -1))
    np.testing.assert_allclose(layers.Concatenate(axis=1)([x, x]).numpy(), np.concatenate([x, x], 1))
    np.testing.assert_allclose(layers.Add()([x, x, x]).numpy(), 3 * x, rtol=1e-6)


def test_merge_layer_gradients():
    a = tf.constant(np.ones((2, 3), np.float32))
    b = tf.constant(np.full((2, 2), 2.0, np.float32))
    up = np.arange(10, dtype=np.float32).reshape(2, 5)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(a)
        tape.watch(b)
        loss = tf.reduce_sum(layers.Concatenate()([a, b]) * up)
    ga, gb = tape.gradient(loss, [a, b])
    np.testing.assert_allclose(ga.numpy(), up[:, :3])
    np.testing.assert_allclose(gb.numpy(), up[:, 3:])


def test_dropout_only_when_training():
    x = np.ones((200, 50), np.float32)
    d = layers.Dropout(0.4)
    np.testing.assert_array_equal(d(x).numpy(), x)
    y = d(x, training=True).numpy()
    kept = y != 0
    assert 0.5 < kept.mean() < 0.7
    np.testing.assert_allclose(y[kept], 1 / 0.6, rtol=1e-5)


def test_activations_match_numpy():
    x = np.linspace(-3, 3, 13).astype(np.float32)
    t = tf.constant(x)
    sig = 1 / (1 + np.exp(-x))
    expect = {
        "relu": np.maximum(x, 0), "sigmoid": sig, "tanh": np.tanh(x), "linear": x,
        "softplus": np.log1p(np.exp(x)), "elu": np.where(x > 0, x, np.exp(x) - 1),
        "selu": 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(x) - 1)),
        "swish": x * sig, "leaky_relu": np.where(x > 0, x, 0.2 * x),
        "gelu": 0.5 * x * (1 + np.vectorize(__import__("math").erf)(x / np.sqrt(2))),
    }
    for name, want in expect.items():
        np.testing.assert_allclose(activations.get(name)(t).numpy(), want, rtol=1e-4, atol=1e-5, err_msg=name)
    sm = activations.softmax(tf.constant(x[None]))
    np.testing.assert_allclose(sm.numpy(), np.exp(x)[None] / np.exp(x).sum(), rtol=1e-5)
    with pytest.raises(ValueError, match="valid names"):
        activations.get("relux")


def test_initializers_statistics_and_seeding():
    shape = (400, 300)
    lim = np.sqrt(6 / 700)
    w = initializers.get("glorot_uniform")(shape).numpy()
    assert w.min() >= -lim and w.max() <= lim and abs(w.std() - lim / np.sqrt(3)) < 0.05 * lim
    he = initializers.HeNormal()(shape).numpy()
    assert abs(he.std() - np.sqrt(2 / 400)) < 0.05 * np.sqrt(2 / 400)
    assert np.abs(he).max() <= 2 * np.sqrt(2 / 400) / 0.8796 + 1e-6
    hu = initializers.get("he_uniform")(shape).numpy()
    assert np.abs(hu).max() <= np.sqrt(6 / 400)
    gn = initializers.GlorotNormal()(shape).numpy()
    assert abs(gn.std() - np.sqrt(2 / 700)) < 0.05 * np.sqrt(2 / 700)
    rn = initializers.RandomNormal(stddev=0.5)(shape).numpy()
    assert abs(rn.std() - 0.5) < 0.02
    ru = initializers.RandomUniform(-1, 1)((1000,)).numpy()
    assert ru.min() >= -1 and ru.max() < 1
    tn = initializers.TruncatedNormal(stddev=1.0)((2000,)).numpy()
    assert np.abs(tn).max() <= 2.0
    np.testing.assert_array_equal(initializers.get("zeros")((2, 2)).numpy(), np.zeros((2, 2)))
    np.testing.assert_array_equal(initializers.get("ones")((2,)).numpy(), np.ones(2))
    np.testing.assert_array_equal(initializers.Constant(3.0)((2,)).numpy(), [3.0, 3.0])
    tf.random.set_seed(7)
    a = layers.Dense(4)
    a(np.ones((1, 3), np.float32))
    tf.random.set_seed(7)
    b = layers.Dense(4)
    b(np.ones((1, 3), np.float32))
    np.testing.assert_array_equal(a.get_weights()[0], b.get_weights()[0])


def _np_softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize("make, forward, vjp", [
    (lambda: layers.Flatten(), lambda x: x.reshape(len(x), -1), lambda x, up: up.reshape(x.shape)),
    (lambda: layers.Reshape((12, 1)), lambda x: x.reshape(len(x), 12, 1), lambda x, up: up.reshape(x.shape)),
    (lambda: layers.ReLU(), lambda x: np.maximum(x, 0), lambda x, up: up * (x > 0)),
    (lambda: layers.Activation("tanh"), np.tanh, lambda x, up: up * (1 - np.tanh(x) ** 2)),
    (lambda: layers.Activation("sigmoid"), lambda x: 1 / (1 + np.exp(-x)),
     lambda x, up: up / (1 + np.exp(-x)) * (1 - 1 / (1 + np.exp(-x)))),
    (lambda: layers.Softmax(), _np_softmax,
     lambda x, up: _np_softmax(x) * (up - (up * _np_softmax(x)).sum(-1, keepdims=True))),
    (lambda: layers.Dropout(0.5), lambda x: x, lambda x, up: up),
])
def test_layer_gradients_match_numpy(make, forward, vjp):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    layer = make()
    out = forward(x)
    up = rng.normal(size=out.shape).astype(np.float32)
    y, grads = _grads(layer, x, up)
    np.testing.assert_allclose(y.numpy(), out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grads[0].numpy(), vjp(x, up), rtol=1e-4, atol=1e-5)


def test_add_layer_gradient_reaches_every_input():
    a = tf.constant(np.ones((2, 3), np.float32))
    b = tf.constant(np.zeros((2, 3), np.float32))
    up = np.arange(6, dtype=np.float32).reshape(2, 3)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(a)
        tape.watch(b)
        loss = tf.reduce_sum(layers.Add()([a, b]) * up)
    for g in tape.gradient(loss, [a, b]):
        np.testing.assert_allclose(g.numpy(), up)


def test_training_flag_reaches_layers_that_accept_it():
    seen = []

    class Probe(layers.Layer):
        def call(self, inputs, training=None):
            seen.append(training)
            return inputs

    class NoFlag(layers.Layer):
        def call(self, inputs):
            return inputs

    class Outer(keras.Model):
        def __init__(self):
            super().__init__()
            self.p = Probe()
            self.q = NoFlag()

        def call(self, inputs):  # does not take training: inner layers still see it
            return self.q(self.p(inputs))

    x = np.ones((2, 2), np.float32)
    m = Outer()
    m(x)
    m(x, training=True)
    NoFlag()(x, training=True)
    assert seen == [None, True]
    m.compile("sgd", "mse")
    m.fit(x, x, verbose=0)
    m.predict(x, verbose=0)
    assert seen[2:] == [True, False]  # the training step, then predict
