
import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import layers


def _lecture_model():
    return keras.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(256, activation="relu"),
                             layers.Dense(10, activation="softmax")])


def _summary(model):
    lines = []
    model.summary(print_fn=lines.append)
    return "\n".join(lines)


def test_summary_of_the_lecture_model():
    text = _summary(_lecture_model())
    assert 'Model: "sequential"' in text
    assert "flatten (Flatten)" in text and "(None, 784)" in text
    assert "dense (Dense)" in text and "(None, 256)" in text and "200,960" in text
    assert "dense_1 (Dense)" in text and "(None, 10)" in text and "2,570" in text
    assert "Total params: 203,530" in text and "Trainable params: 203,530" in text
    assert "Non-trainable params: 0" in text


def test_input_is_not_among_sequential_layers():
    model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten(), layers.Dense(8), layers.Dense(2)])
    assert model.built
    assert [type(l).__name__ for l in model.layers] == ["Flatten", "Dense", "Dense"]
    assert model.layers[1].name == "dense"
    assert model.get_layer("dense_1") is model.layers[2]
    with pytest.raises(ValueError, match="No such layer"):
        model.get_layer("nope")


def test_add_and_shape_inference_from_first_batch():
    model = keras.Sequential()
    model.add(layers.Dense(4, activation="relu"))
    model.add(layers.Dense(1))
    assert not model.built
    with pytest.raises(ValueError, match="input_shape"):
        model.summary()
    with pytest.raises(ValueError, match="keras.Input"):
        model.weights
    out = model(np.ones((5, 3), np.float32))
    assert out.shape == (5, 1) and model.built
    assert [tuple(w.shape) for w in model.weights] == [(3, 4), (4,), (4, 1), (1,)]
    assert model.count_params() == 16 + 5
    assert "(None, 4)" in _summary(model)


def test_input_dim_and_build():
    m = keras.Sequential([layers.Dense(3, input_dim=5)])
    assert m.built and m.count_params() == 18
    m2 = keras.Sequential([layers.Dense(3)])
    m2.build((None, 4))
    assert m2.count_params() == 15


def test_functional_two_inputs_concatenated():
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(2,), name="b")
    h = layers.Concatenate()([layers.Dense(4, activation="relu")(a), b])
    out = layers.Dense(1)(h)
    model = keras.Model(inputs=[a, b], outputs=out)
    xa, xb = np.ones((6, 3), np.float32), np.ones((6, 2), np.float32)
    y = model([xa, xb])
    assert y.shape == (6, 1)
    d1, d2 = [l for l in model.layers if isinstance(l, layers.Dense)]
    h_np = np.concatenate([np.maximum(xa @ d1.kernel.numpy() + d1.bias.numpy(), 0), xb], -1)
    np.testing.assert_allclose(y.numpy(), h_np @ d2.kernel.numpy() + d2.bias.numpy(), rtol=1e-5)
    np.testing.assert_allclose(model({"b": xb, "a": xa}).numpy(), y.numpy())
    text = _summary(model)
    assert "Connected to" in text and "concatenate" in text
    model.compile("sgd", "mse")
    h = model.fit({"a": xa, "b": xb}, np.zeros((6, 1), np.float32), batch_size=4, verbose=0)
    assert h.params["steps"] == 2


def test_functional_residual_add():
    inp = keras.Input(shape=(4,))
    h = layers.Dense(4)(inp)
    out = layers.Add()([inp, h])
    model = keras.Model(inp, out)
    x = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    d = model.layers[1]
    np.testing.assert_allclose(model(x).numpy(), x + x @ d.kernel.numpy() + d.bias.numpy(), rtol=1e-5)
    assert model.name == "functional"


def test_functional_disconnected_graph_raises():
    a, b = keras.Input(shape=(2,)), keras.Input(shape=(2,))
    out = layers.Add()([a, b])
    with pytest.raises(ValueError, match="disconnected"):
        keras.Model(a, out)


def test_subclassed_model():
    class MLP(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(8, activation="relu")
            self.out = layers.Dense(2)

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    m = MLP()
    assert m.name == "mlp"
    with pytest.raises(ValueError, match="not been built"):
        m.summary()
    y = m(np.ones((4, 3), np.float32))
    assert y.shape == (4, 2) and len(m.trainable_weights) == 4
    assert m.layers == [m.hidden, m.out]
    assert "(None, 8)" in _summary(m)


def test_model_call_returns_tensor_and_nested_models():
    inner = keras.Sequential([layers.Dense(3, input_shape=(2,))])
    inp = keras.Input(shape=(2,))
    outer = keras.Model(inp, layers.Dense(1)(inner(inp)))
    y = outer(np.ones((2, 2), np.float32))
    assert isinstance(y, tf.Tensor) and y.shape == (2, 1)
    assert len(outer.weights) == 4


def test_sequential_config_round_trip():
    m = keras.Sequential([layers.Dense(3, activation="relu", input_shape=(2,)), layers.Dense(1)])
    clone = keras.Sequential.from_config(m.get_config())
    assert [type(l).__name__ for l in clone.layers] == ["Dense", "Dense"]
    assert clone.count_params() == m.count_params()
