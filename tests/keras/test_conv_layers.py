"""Convolution, pooling, batch-normalization and image reshaping layers:
values against tensorlet.nn and numpy, shapes and parameter counts as Keras
reports them, and batch normalization's training and inference modes."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import layers


def test_keras_mnist_convnet_summary_matches_keras():
    # The Keras MNIST convnet example; Keras reports these shapes and 34,826 parameters.
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    shapes = [l.output_shape for l in model.layers]
    assert shapes == [(None, 26, 26, 32), (None, 13, 13, 32), (None, 11, 11, 64), (None, 5, 5, 64),
                      (None, 1600), (None, 1600), (None, 10)]
    assert [l.count_params() for l in model.layers] == [320, 0, 18496, 0, 0, 0, 16010]
    assert model.count_params() == 34826
    assert model.layers[0].name.startswith("conv2d") and model.layers[1].name.startswith("max_pooling2d")


def test_conv2d_layer_is_conv_plus_bias_and_activation(rng):
    x = rng.standard_normal((2, 7, 6, 3)).astype(np.float32)
    for fmt, xin in (("channels_last", x), ("channels_first", x.transpose(0, 3, 1, 2))):
        layer = layers.Conv2D(4, (3, 2), strides=2, padding="same", activation="relu", data_format=fmt,
                              bias_initializer="ones")
        y = layer(xin)
        k, b = layer.kernel.numpy(), layer.bias.numpy()
        want = np.maximum(tf.nn.conv2d(x, k, 2, "SAME").numpy() + b, 0)
        got = y.numpy() if fmt == "channels_last" else y.numpy().transpose(0, 2, 3, 1)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
        assert tuple(layer.compute_output_shape((None,) + xin.shape[1:])) == (None,) + y.shape[1:]


def test_grouped_depthwise_transpose_and_1d_shapes():
    cases = [
        (layers.Conv2D(8, 3, groups=2, dilation_rate=2), (None, 9, 9, 4), (None, 5, 5, 8), 3 * 3 * 2 * 8 + 8),
        (layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same"), (None, 8, 8, 3), (None, 8, 8, 6),
         3 * 3 * 3 * 2 + 6),
        (layers.Conv2DTranspose(16, 3, strides=2, padding="same"), (None, 7, 7, 8), (None, 14, 14, 16),
         3 * 3 * 16 * 8 + 16),
        (layers.Conv2DTranspose(16, 3, strides=2), (None, 7, 7, 8), (None, 15, 15, 16), 3 * 3 * 16 * 8 + 16),
        (layers.Conv2DTranspose(4, 3, strides=2, padding="same", output_padding=1), (None, 5, 5, 2),
         (None, 10, 10, 4), 3 * 3 * 4 * 2 + 4),
        (layers.SeparableConv2D(8, 3, depth_multiplier=2), (None, 9, 9, 4), (None, 7, 7, 8), 3 * 3 * 4 * 2 + 8 * 8 + 8),
        (layers.Conv1D(5, 3, padding="causal", dilation_rate=2), (None, 10, 2), (None, 10, 5), 3 * 2 * 5 + 5),
        (layers.Conv1D(5, 3, strides=2), (None, 10, 2), (None, 4, 5), 3 * 2 * 5 + 5),
        (layers.MaxPooling1D(2), (None, 9, 3), (None, 4, 3), 0),
        (layers.AveragePooling2D(3, strides=2, padding="same"), (None, 7, 8, 3), (None, 4, 4, 3), 0),
        (layers.GlobalAveragePooling2D(), (None, 5, 5, 3), (None, 3), 0),
        (layers.GlobalMaxPooling2D(keepdims=True), (None, 5, 5, 3), (None, 1, 1, 3), 0),
        (layers.ZeroPadding2D(((1, 2), (0, 3))), (None, 5, 5, 3), (None, 8, 8, 3), 0),
        (layers.Cropping2D(((1, 0), (2, 1))), (None, 5, 6, 3), (None, 4, 3, 3), 0),
        (layers.UpSampling2D((2, 3)), (None, 3, 4, 2), (None, 6, 12, 2), 0),
    ]
    for layer, in_shape, out_shape, params in cases:
        inp = keras.Input(shape=in_shape[1:])
        model = keras.Model(inp, layer(inp))
        assert tuple(model.output_shape) == out_shape, layer
        assert model.count_params() == params, layer
        # The symbolic shape is what the layer computes on data.
        y = layer(np.random.default_rng(0).standard_normal((2,) + in_shape[1:]).astype(np.float32))
        assert tuple(y.shape) == (2,) + out_shape[1:], layer


def test_separable_is_depthwise_then_pointwise(rng):
    x = rng.standard_normal((2, 6, 6, 3)).astype(np.float32)
    layer = layers.SeparableConv2D(4, 3, padding="same", depth_multiplier=2, bias_initializer="ones")
    y = layer(x).numpy()
    d = tf.nn.depthwise_conv2d(x, layer.depthwise_kernel, [1, 1, 1, 1], "SAME").numpy()
    want = d @ layer.pointwise_kernel.numpy()[0, 0] + 1.0
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)


def test_conv1d_causal_sees_only_the_past(rng):
    layer = layers.Conv1D(1, 3, padding="causal", use_bias=False)
    x = rng.standard_normal((1, 6, 1)).astype(np.float32)
    y0 = layer(x).numpy()
    x2 = x.copy()
    x2[0, 4] += 1.0
    y1 = layer(x2).numpy()
    np.testing.assert_array_equal(y0[0, :4], y1[0, :4])
    assert not np.allclose(y0[0, 4:], y1[0, 4:])


def test_reshaping_values(rng):
    x = rng.standard_normal((2, 3, 4, 2)).astype(np.float32)
    np.testing.assert_array_equal(layers.UpSampling2D((2, 3))(x).numpy(), x.repeat(2, axis=1).repeat(3, axis=2))
    np.testing.assert_array_equal(layers.ZeroPadding2D(1)(x).numpy(), np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0))))
    np.testing.assert_array_equal(layers.Cropping2D(((1, 0), (1, 2)))(x).numpy(), x[:, 1:, 1:2])
    row = np.array([0.0, 1.0], np.float32).reshape(1, 1, 2, 1)
    got = layers.UpSampling2D((1, 2), interpolation="bilinear")(row).numpy().ravel()
    np.testing.assert_allclose(got, [0.0, 0.25, 0.75, 1.0])


def test_global_pooling_values(rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    np.testing.assert_allclose(layers.GlobalAveragePooling2D()(x).numpy(), x.mean(axis=(1, 2)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layers.GlobalMaxPooling2D()(x).numpy(), x.max(axis=(1, 2)))
    np.testing.assert_allclose(layers.GlobalAveragePooling2D(data_format="channels_first")(x).numpy(),
                               x.mean(axis=(2, 3)), rtol=1e-5, atol=1e-6)


def test_batch_normalization_training_and_inference(rng):
    x = (rng.standard_normal((16, 4, 4, 3)) * 3 + 5).astype(np.float32)
    bn = layers.BatchNormalization()
    y_inf = bn(x).numpy()  # inference: moving statistics (0, 1) and no update
    np.testing.assert_allclose(y_inf, x / np.sqrt(1 + 1e-3), rtol=1e-5)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), 0)
    assert [w.name.split("/")[-1].split(":")[0] for w in bn.weights] == ["gamma", "beta", "moving_mean",
                                                                         "moving_variance"]
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2

    y = bn(x, training=True).numpy()
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.01 * mean, rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.99 + 0.01 * var, rtol=1e-5)

    bn.trainable = False  # a frozen layer runs in inference mode even when training
    before = bn.moving_mean.numpy().copy()
    y = bn(x, training=True).numpy()
    np.testing.assert_array_equal(bn.moving_mean.numpy(), before)
    np.testing.assert_allclose(y, (x - before) / np.sqrt(bn.moving_variance.numpy() + 1e-3), rtol=1e-4,
                               atol=1e-4)


def test_batch_normalization_channels_first_gradient(rng):
    x = tf.constant(rng.standard_normal((4, 3, 2, 2)))
    bn = layers.BatchNormalization(axis=1, dtype="float64")
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = bn(x, training=True)
        loss = tf.reduce_sum(y * y * tf.constant(np.arange(48.0).reshape(4, 3, 2, 2)))
    gx, gg, gb = tape.gradient(loss, [x, bn.gamma, bn.beta])

    def f(v):
        m = v.mean(axis=(0, 2, 3), keepdims=True)
        s = v.var(axis=(0, 2, 3), keepdims=True)
        yv = (v - m) / np.sqrt(s + 1e-3)
        return float(np.sum(yv * yv * np.arange(48.0).reshape(4, 3, 2, 2)))

    from tests.conftest import numeric_gradient
    np.testing.assert_allclose(gx.numpy(), numeric_gradient(f, x.numpy().copy()), rtol=1e-5, atol=1e-6)
    assert gg.shape == (3,) and gb.shape == (3,)


def test_layer_errors():
    with pytest.raises(ValueError, match="Conv2D.*rank 4"):
        layers.Conv2D(2, 3)(np.zeros((2, 5, 5), np.float32))
    with pytest.raises(ValueError, match="padding"):
        layers.Conv2D(2, 3, padding="full")
    with pytest.raises(ValueError, match="groups"):
        layers.Conv2D(3, 3, groups=2)
    with pytest.raises(ValueError, match="kernel_size"):
        layers.Conv2D(3, (3, 0))
