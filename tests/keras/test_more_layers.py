"""Embedding, Masking, LayerNormalization, the noise layers, Permute,
RepeatVector, Identity, the merging layers and their functional spellings."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import layers
from tests.conftest import numeric_gradient


def test_embedding(rng):
    emb = layers.Embedding(6, 3)
    ids = np.array([[1, 5], [0, 2]])
    out = emb(ids)
    np.testing.assert_array_equal(out.numpy(), emb.embeddings.numpy()[ids])
    assert np.abs(emb.embeddings.numpy()).max() <= 0.05
    assert emb.compute_mask(tf.constant(ids)) is None
    with pytest.raises(tf.errors.InvalidArgumentError, match="6"):
        emb(np.array([[6]]))
    model = keras.Sequential([layers.Embedding(10, 4, input_length=3), layers.Flatten(), layers.Dense(1)])
    assert model.output_shape == (None, 1) and model.layers[0].output_shape == (None, 3, 4)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(emb(ids) * 2.0)
    g = tape.gradient(y, emb.embeddings)
    want = np.zeros((6, 3))
    np.add.at(want, ids.reshape(-1), 2.0)
    np.testing.assert_allclose(g.numpy(), want)
    constrained = layers.Embedding(3, 2, embeddings_constraint="non_neg", embeddings_initializer="ones")
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(constrained(np.array([0, 2])))
    keras.optimizers.SGD(5.0).apply_gradients(zip(tape.gradient(loss, [constrained.embeddings]),
                                                  [constrained.embeddings]))
    np.testing.assert_array_equal(constrained.embeddings.numpy(), [[0, 0], [1, 1], [0, 0]])  # 1 - 5 -> 0


def test_layer_normalization(rng):
    x = rng.standard_normal((4, 3, 5))
    ln = layers.LayerNormalization(dtype="float64")
    y = ln(x).numpy()
    want = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(y, want, rtol=1e-10)
    ln.set_weights([rng.standard_normal(5), rng.standard_normal(5)])
    gamma, beta = ln.get_weights()
    np.testing.assert_allclose(ln(x).numpy(), want * gamma + beta, rtol=1e-10)
    two = layers.LayerNormalization(axis=[1, 2], epsilon=1e-5, dtype="float64")
    m, v = x.mean((1, 2), keepdims=True), x.var((1, 2), keepdims=True)
    np.testing.assert_allclose(two(x).numpy(), (x - m) / np.sqrt(v + 1e-5), rtol=1e-10)
    assert two.gamma.shape == (3, 5)
    dy = rng.standard_normal(x.shape)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        loss = tf.reduce_sum(ln(xt) * dy)
    gx = tape.gradient(loss, xt).numpy()
    ref = lambda a: np.sum(((a - a.mean(-1, keepdims=True)) / np.sqrt(a.var(-1, keepdims=True) + 1e-3) * gamma  # noqa: E731
                            + beta) * dy)
    np.testing.assert_allclose(gx, numeric_gradient(ref, x.copy()), rtol=1e-6, atol=1e-8)
    rms = layers.LayerNormalization(rms_scaling=True, dtype="float64")
    np.testing.assert_allclose(rms(x).numpy(), x / np.sqrt((x ** 2).mean(-1, keepdims=True) + 1e-3), rtol=1e-10)
    assert rms.beta is None


def test_masking_layer():
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]], np.float32)
    layer = layers.Masking(0.0)
    out = layer(x)
    np.testing.assert_array_equal(out.numpy(), x)
    np.testing.assert_array_equal(layer.compute_mask(tf.constant(x)).numpy(), [[True, False, True]])


def test_noise_layers():
    tf.random.set_seed(1)
    x = np.ones((400, 30), np.float32)
    assert np.array_equal(layers.GaussianNoise(0.5)(x).numpy(), x)
    noisy = layers.GaussianNoise(0.5)(x, training=True).numpy() - 1
    assert abs(noisy.std() - 0.5) < 0.02 and abs(noisy.mean()) < 0.02
    gd = layers.GaussianDropout(0.2)(x, training=True).numpy()
    assert abs(gd.mean() - 1) < 0.02 and abs(gd.std() - np.sqrt(0.2 / 0.8)) < 0.02
    seq = np.ones((50, 7, 20), np.float32)
    sd = layers.SpatialDropout1D(0.5)(seq, training=True).numpy()
    assert np.all(sd.min(axis=1) == sd.max(axis=1))  # whole channels, across all steps
    assert abs((sd[:, 0] == 0).mean() - 0.5) < 0.06
    assert np.array_equal(layers.SpatialDropout1D(0.5)(seq).numpy(), seq)
    with pytest.raises(ValueError, match="rank 3"):
        layers.SpatialDropout1D(0.5)(x, training=True)


def test_permute_repeat_identity(rng):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    np.testing.assert_array_equal(layers.Permute((2, 1))(x).numpy(), x.transpose(0, 2, 1))
    with pytest.raises(ValueError, match="permutation"):
        layers.Permute((1, 3))
    v = rng.standard_normal((2, 5)).astype(np.float32)
    np.testing.assert_array_equal(layers.RepeatVector(3)(v).numpy(), np.repeat(v[:, None], 3, 1))
    assert layers.Identity()(x) is not None and np.array_equal(layers.Identity()(x).numpy(), x)
    inp = keras.Input((3, 4))
    assert tuple(layers.Permute((2, 1))(inp).shape) == (None, 4, 3)
    assert tuple(layers.RepeatVector(6)(keras.Input((5,))).shape) == (None, 6, 5)


def test_merging_layers(rng):
    a, b, c = (rng.standard_normal((4, 3)).astype(np.float32) for _ in range(3))
    np.testing.assert_allclose(layers.Subtract()([a, b]).numpy(), a - b)
    np.testing.assert_allclose(layers.Average()([a, b, c]).numpy(), (a + b + c) / 3, rtol=1e-6)
    np.testing.assert_array_equal(layers.Maximum()([a, b, c]).numpy(), np.maximum(np.maximum(a, b), c))
    np.testing.assert_array_equal(layers.Minimum()([a, b]).numpy(), np.minimum(a, b))
    np.testing.assert_allclose(layers.Dot(axes=1)([a, b]).numpy(), (a * b).sum(1, keepdims=True), rtol=1e-6)
    cos = layers.Dot(axes=-1, normalize=True)([a, b]).numpy()
    want = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(cos[:, 0], want, rtol=1e-5)
    s, t = rng.standard_normal((2, 3, 5)).astype(np.float32), rng.standard_normal((2, 4, 5)).astype(np.float32)
    np.testing.assert_allclose(layers.Dot(axes=(2, 2))([s, t]).numpy(), s @ t.transpose(0, 2, 1), rtol=1e-5)
    with pytest.raises(ValueError, match="exactly two inputs"):
        layers.Subtract()([a, b, c])
    x1, x2 = keras.Input((3,)), keras.Input((3,))
    outs = [layers.add([x1, x2]), layers.subtract([x1, x2]), layers.multiply([x1, x2]), layers.average([x1, x2]),
            layers.maximum([x1, x2]), layers.minimum([x1, x2]), layers.concatenate([x1, x2]),
            layers.dot([x1, x2], axes=1)]
    model = keras.Model([x1, x2], outs)
    got = model([a, b])
    wants = [a + b, a - b, a * b, (a + b) / 2, np.maximum(a, b), np.minimum(a, b), np.concatenate([a, b], 1),
             (a * b).sum(1, keepdims=True)]
    for g, w, o in zip(got, wants, outs):
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-6)
        assert tuple(o.shape) == (None,) + w.shape[1:]


def test_input_batch_shape():
    x = keras.Input(batch_shape=(8, 3))
    assert tuple(x.shape) == (8, 3)
    assert tuple(keras.Input(batch_shape=(None, 5, 2)).shape) == (None, 5, 2)
    with pytest.raises(ValueError, match="either batch_shape or shape"):
        keras.Input(shape=(3,), batch_shape=(None, 3))
