"""Every Keras layer, loss and optimizer gives the same fit, evaluate and
predict results compiled (the default) as with ``run_eagerly=True``, and
the compiled steps trace instead of falling back to eager execution."""

import warnings

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import layers

R = np.random.default_rng(11)
IMG = R.standard_normal((24, 8, 8, 2)).astype("f4")
SEQ = R.standard_normal((24, 5, 3)).astype("f4")
VOL = R.standard_normal((24, 4, 4, 4, 1)).astype("f4")
VEC = R.standard_normal((24, 6)).astype("f4")
IDS = R.integers(0, 9, (24, 5))

# name -> (layers before the Flatten -> Dense(2) head, input)
LAYERS = {
    "Dense+Activation": (lambda: [layers.Dense(4), layers.Activation("tanh")], VEC),
    "ReLU+LeakyReLU+Softmax": (lambda: [layers.Dense(4), layers.ReLU(), layers.LeakyReLU(0.2), layers.Softmax()],
                               VEC),
    "Dropout+GaussianNoise+GaussianDropout": (
        lambda: [layers.Dense(5), layers.Dropout(0.3), layers.GaussianNoise(0.2), layers.GaussianDropout(0.2)], VEC),
    "Reshape+Permute+RepeatVector": (lambda: [layers.Reshape((3, 2)), layers.Permute((2, 1)), layers.Flatten(),
                                              layers.RepeatVector(2)], VEC),
    "Conv1D+pooling1D": (lambda: [layers.Conv1D(4, 2, padding="causal"), layers.MaxPooling1D(2, padding="same"),
                                  layers.AveragePooling1D(1), layers.SpatialDropout1D(0.2)], SEQ),
    "GlobalPooling1D": (lambda: [layers.Conv1D(3, 2), layers.GlobalMaxPooling1D()], SEQ),
    "Conv2D+BatchNorm+pooling2D": (
        lambda: [layers.Conv2D(4, 3, padding="same", strides=1, dilation_rate=1), layers.BatchNormalization(),
                 layers.MaxPooling2D(), layers.AveragePooling2D(padding="same"), layers.SpatialDropout2D(0.1)], IMG),
    "DepthwiseConv2D+SeparableConv2D": (lambda: [layers.DepthwiseConv2D(3, depth_multiplier=2),
                                                 layers.SeparableConv2D(3, 3, padding="same")], IMG),
    "Conv2DTranspose+UpSampling+ZeroPadding+Cropping": (
        lambda: [layers.Conv2DTranspose(2, 3, strides=2), layers.Cropping2D(2), layers.ZeroPadding2D(1),
                 layers.UpSampling2D(), layers.GlobalAveragePooling2D()], IMG),
    "GlobalMaxPooling2D": (lambda: [layers.Conv2D(3, 2), layers.GlobalMaxPooling2D()], IMG),
    "preprocessing": (lambda: [layers.Rescaling(0.5, 0.1), layers.RandomFlip(seed=1),
                               layers.RandomRotation(0.1, seed=2),
                               layers.RandomZoom(0.1, seed=3), layers.RandomTranslation(0.1, 0.1, seed=4),
                               layers.RandomContrast(0.2, seed=5), layers.RandomBrightness(0.1, (-3, 3), seed=6),
                               layers.Resizing(7, 7), layers.RandomCrop(6, 6, seed=7), layers.CenterCrop(4, 4),
                               layers.Conv2D(2, 2)], IMG),
    "1-D padding, cropping, upsampling": (lambda: [layers.ZeroPadding1D((1, 2)), layers.Cropping1D(1),
                                                   layers.UpSampling1D(2), layers.Conv1D(2, 3)], SEQ),
    "Conv3D+pooling3D": (lambda: [layers.Conv3D(2, 2, padding="same"), layers.MaxPooling3D(),
                                  layers.UpSampling3D(), layers.ZeroPadding3D(1), layers.Cropping3D(1),
                                  layers.AveragePooling3D(), layers.SpatialDropout3D(0.1),
                                  layers.GlobalAveragePooling3D()], VOL),
    "Embedding+Masking+LSTM": (lambda: [layers.Embedding(9, 4, mask_zero=True), layers.LSTM(3)], IDS),
    "GRU+SimpleRNN": (lambda: [layers.GRU(4, return_sequences=True), layers.SimpleRNN(3)], SEQ),
    "Bidirectional+TimeDistributed": (lambda: [layers.Bidirectional(layers.LSTM(2, return_sequences=True)),
                                               layers.TimeDistributed(layers.Dense(2))], SEQ),
    "RNN cells": (lambda: [layers.RNN(layers.LSTMCell(3), return_sequences=True),
                           layers.RNN(layers.GRUCell(2), go_backwards=True)], SEQ),
    "LayerNormalization+Lambda+Identity": (lambda: [layers.LayerNormalization(), layers.Lambda(lambda t: t * 2.0),
                                                    layers.Identity()], SEQ),
    "Normalization": (lambda: [_adapted_normalization(), layers.Dense(3)], VEC),
}


def _adapted_normalization():
    n = layers.Normalization()
    n.adapt(VEC)
    return n


def _merging():
    inp = keras.Input((6,))
    a, b = layers.Dense(3)(inp), layers.Dense(3)(inp)
    merged = [layers.Add()([a, b]), layers.Subtract()([a, b]), layers.Multiply()([a, b]),
              layers.Average()([a, b]), layers.Maximum()([a, b]), layers.Minimum()([a, b]),
              layers.Dot(axes=1)([a, b])]
    out = layers.Dense(2)(layers.Concatenate()(merged))
    return keras.Model(inp, out)


def _fit_both(build, x, y, loss, optimizer=lambda: "adam", metrics=()):
    results = []
    for eager in (True, False):
        tf.random.set_seed(0)
        np.random.seed(0)
        model = build()
        model.compile(optimizer(), loss, metrics=list(metrics), run_eagerly=eager)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a compiled step that falls back to eager warns
            hist = model.fit(x, y, batch_size=8, epochs=2, verbose=0, validation_data=(x[:8], y[:8]))
            results.append((hist.history, model.evaluate(x, y, batch_size=16, verbose=0),
                            model.predict(x, batch_size=16, verbose=0), model.get_weights()))
        if not eager:
            assert model.train_function is not model.train_step
    (h1, e1, p1, w1), (h2, e2, p2, w2) = results
    assert h1.keys() == h2.keys()
    for k in h1:
        np.testing.assert_allclose(h2[k], h1[k], rtol=2e-5, atol=2e-6, err_msg=k)
    np.testing.assert_allclose(e2, e1, rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(p2, p1, rtol=2e-5, atol=2e-5)
    for a, b in zip(w2, w1):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_every_layer_fits_alike_compiled_and_eagerly(name):
    body, x = LAYERS[name]
    y = np.random.default_rng(1).standard_normal((len(x), 2)).astype("f4")
    _fit_both(lambda: keras.Sequential(body() + [layers.Flatten(), layers.Dense(2)]), x, y, "mse")


def test_merging_layers_fit_alike_compiled_and_eagerly():
    _fit_both(_merging, VEC, R.standard_normal((24, 2)).astype("f4"), "mae")


LABELS = R.integers(0, 3, 24)
ONE_HOT = np.eye(3, dtype="f4")[LABELS]
POSITIVE = R.uniform(0.1, 2.0, (24, 3)).astype("f4")
SIGNS = np.where(ONE_HOT > 0, 1.0, -1.0).astype("f4")
# loss -> (targets, last activation)
LOSSES = {
    "BinaryCrossentropy": (ONE_HOT, "sigmoid"), "CategoricalCrossentropy": (ONE_HOT, "softmax"),
    "SparseCategoricalCrossentropy": (LABELS, "softmax"), "CategoricalHinge": (ONE_HOT, None),
    "CosineSimilarity": (POSITIVE, None), "Hinge": (SIGNS, "tanh"), "SquaredHinge": (SIGNS, "tanh"),
    "Huber": (POSITIVE, None), "KLDivergence": (ONE_HOT * 0.8 + 0.05, "softmax"), "LogCosh": (POSITIVE, None),
    "MeanAbsoluteError": (POSITIVE, None), "MeanAbsolutePercentageError": (POSITIVE, None),
    "MeanSquaredError": (POSITIVE, None), "MeanSquaredLogarithmicError": (POSITIVE, "softplus"),
    "Poisson": (POSITIVE, "softplus"),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_every_loss_fits_alike_compiled_and_eagerly(name):
    y, last = LOSSES[name]
    build = lambda: keras.Sequential([layers.Dense(8, activation="relu"), layers.Dense(3, activation=last)])  # noqa: E731
    _fit_both(build, VEC, y, getattr(keras.losses, name)())


def test_loss_classes_are_all_swept():
    import inspect
    names = {n for n in dir(keras.losses) if inspect.isclass(getattr(keras.losses, n))
             and issubclass(getattr(keras.losses, n), keras.losses.Loss)} - {"Loss", "LossFunctionWrapper"}
    assert names == set(LOSSES)


OPTIMIZERS = {
    "SGD": lambda: keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "Adam": lambda: keras.optimizers.Adam(0.01, amsgrad=True),
    "RMSprop": lambda: keras.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "Adagrad": lambda: keras.optimizers.Adagrad(0.05),
    "Adamax": lambda: keras.optimizers.Adamax(0.02), "Nadam": lambda: keras.optimizers.Nadam(0.02),
    "AdamW, cosine warm-up": lambda: keras.optimizers.AdamW(keras.optimizers.schedules.CosineDecay(
        0.0, 4, warmup_target=0.02, warmup_steps=2)),
    "SGD, piecewise constant": lambda: keras.optimizers.SGD(
        keras.optimizers.schedules.PiecewiseConstantDecay([2, 4], [0.05, 0.02, 0.01])),
    "RMSprop, polynomial decay": lambda: keras.optimizers.RMSprop(
        keras.optimizers.schedules.PolynomialDecay(0.01, 5, cycle=True)),
    "Adam, clipnorm and decay": lambda: keras.optimizers.Adam(
        keras.optimizers.schedules.InverseTimeDecay(0.01, 2, 0.5), clipnorm=0.5, weight_decay=0.01),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_fits_alike_compiled_and_eagerly(name):
    build = lambda: keras.Sequential([layers.Dense(8, activation="relu"), layers.Dense(3)])  # noqa: E731
    _fit_both(build, VEC, POSITIVE, "mse", OPTIMIZERS[name])
