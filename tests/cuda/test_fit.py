"""A whole Keras ``fit`` on the GPU against the same fit on the CPU: same
seed, same data, so the same weights up to the GPU's summation order. An
MLP, and a small convnet (convolutions, batch normalization, max and average
pooling, forward and backward)."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import layers


def mlp():
    return keras.Sequential([layers.Flatten(input_shape=(8, 8)), layers.Dense(32, activation="relu"),
                             layers.Dense(10, activation="softmax")])


def convnet():
    return keras.Sequential([layers.Reshape((8, 8, 1), input_shape=(8, 8)), layers.Conv2D(8, 3, activation="relu"),
                             layers.BatchNormalization(), layers.MaxPooling2D(2, padding="same"),
                             layers.Conv2D(16, 3, padding="same", strides=2), layers.AveragePooling2D(2),
                             layers.Flatten(), layers.Dense(10, activation="softmax")])


def fit_on(device, x, y, build=mlp):
    with tf.device(device):
        tf.random.set_seed(0)
        model = build()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, batch_size=32, epochs=3, verbose=0, shuffle=False)
        assert model.weights[0].device.endswith(device[1:])
        return history.history, [w.numpy() for w in model.weights], model.predict(x[:5], verbose=0)


@pytest.mark.parametrize("build", [mlp, convnet])
def test_fit_on_gpu_matches_cpu(build):
    rng = np.random.default_rng(0)
    x = rng.random((256, 8, 8), dtype=np.float32)
    y = (x.reshape(256, -1).sum(axis=1) > 32).astype(np.int64) + rng.integers(0, 2, 256) * 2
    h_cpu, w_cpu, p_cpu = fit_on("/CPU:0", x, y, build)
    h_gpu, w_gpu, p_gpu = fit_on("/GPU:0", x, y, build)
    np.testing.assert_allclose(h_gpu["loss"], h_cpu["loss"], rtol=1e-4)
    assert h_gpu["loss"][-1] < h_gpu["loss"][0]  # it learns
    for a, b in zip(w_gpu, w_cpu):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(p_gpu, p_cpu, rtol=1e-3, atol=1e-5)
