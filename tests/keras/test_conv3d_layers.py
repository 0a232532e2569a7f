"""3-D layers (Conv3D, MaxPooling3D, AveragePooling3D, global 3-D pooling):
values against direct numpy sums, gradients through the tape, shapes and
parameter counts as Keras reports them, and their errors."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.keras import layers
from tensorlet.ops.conv3d_ops import _np_backprop_filter, _np_backprop_input, _np_conv3d, _np_pool


def _loop_conv3d(x, w, strides, dilations):
    """VALID NDHWC convolution by nested loops over every output element."""
    n, dd, hh, ww, _ = x.shape
    kd, kh, kw, _, o = w.shape
    span = [(k - 1) * d + 1 for k, d in zip((kd, kh, kw), dilations)]
    out_sp = [(s - sp) // st + 1 for s, sp, st in zip((dd, hh, ww), span, strides)]
    out = np.zeros((n, *out_sp, o))
    for b in range(n):
        for i in range(out_sp[0]):
            for j in range(out_sp[1]):
                for k in range(out_sp[2]):
                    for a in range(kd):
                        for c in range(kh):
                            for e in range(kw):
                                px = x[b, i * strides[0] + a * dilations[0], j * strides[1] + c * dilations[1],
                                       k * strides[2] + e * dilations[2]]
                                out[b, i, j, k] += px @ w[a, c, e]
    return out


def test_numpy_reference_matches_nested_loops(rng):
    x, w = rng.standard_normal((2, 5, 6, 7, 3)), rng.standard_normal((2, 3, 2, 3, 4))
    for strides, dil in (((1, 1, 1), (1, 1, 1)), ((2, 1, 3), (1, 2, 1))):
        np.testing.assert_allclose(_np_conv3d(x, w, strides, "VALID", dil, 1, "NDHWC"),
                                   _loop_conv3d(x, w, strides, dil), rtol=1e-12, atol=1e-12)
        got = tf.nn.conv3d(x, w, strides, "VALID", dilations=dil).numpy()
        np.testing.assert_allclose(got, _loop_conv3d(x, w, strides, dil), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
def test_conv3d_layer_is_conv_plus_bias_and_activation(rng, fmt):
    x = rng.standard_normal((2, 5, 6, 4, 3)).astype(np.float32)
    xin = x if fmt == "channels_last" else x.transpose(0, 4, 1, 2, 3)
    layer = layers.Conv3D(5, (3, 2, 3), strides=(1, 2, 1), padding="same", dilation_rate=1, activation="relu",
                          data_format=fmt, bias_initializer="ones")
    y = layer(xin).numpy()
    k, b = layer.kernel.numpy(), layer.bias.numpy()
    assert k.shape == (3, 2, 3, 3, 5)
    want = np.maximum(_np_conv3d(x.astype(np.float64), k.astype(np.float64), (1, 2, 1), "SAME", (1, 1, 1), 1,
                                 "NDHWC") + b, 0)
    if fmt == "channels_first":
        want = want.transpose(0, 4, 1, 2, 3)
    assert y.shape == want.shape == layer.compute_output_shape(xin.shape)
    np.testing.assert_allclose(y, want, rtol=1e-4, atol=1e-4)


def test_conv3d_layer_gradients_match_numpy(rng):
    x = rng.standard_normal((2, 4, 5, 4, 6))
    layer = layers.Conv3D(4, 3, padding="valid", dilation_rate=(1, 1, 1), groups=2, dtype="float64")
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt)
        dy = rng.standard_normal(tuple(y.shape))
        loss = tf.reduce_sum(y * dy)
    dx, dk, db = tape.gradient(loss, [xt, layer.kernel, layer.bias])
    k = layer.kernel.numpy()
    attrs = ((1, 1, 1), "VALID", (1, 1, 1), 2, "NDHWC")
    np.testing.assert_allclose(dx.numpy(), _np_backprop_input(k, dy, x.shape, *attrs), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dk.numpy(), _np_backprop_filter(x, dy, k.shape, *attrs), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(db.numpy(), dy.sum(axis=(0, 1, 2, 3)), rtol=1e-10)


def test_volumetric_model_summary_and_fit(rng):
    # Shapes and parameter counts as Keras reports them for this model.
    model = keras.Sequential([
        keras.Input(shape=(8, 8, 8, 1)),
        layers.Conv3D(8, 3, activation="relu"),
        layers.MaxPooling3D(2),
        layers.Conv3D(16, (2, 2, 2), padding="same", activation="relu"),
        layers.AveragePooling3D(pool_size=(1, 2, 2)),
        layers.GlobalAveragePooling3D(),
        layers.Dense(2, activation="softmax"),
    ])
    assert [l.output_shape for l in model.layers] == [(None, 6, 6, 6, 8), (None, 3, 3, 3, 8),
                                                      (None, 3, 3, 3, 16), (None, 3, 1, 1, 16), (None, 16),
                                                      (None, 2)]
    assert [l.count_params() for l in model.layers] == [224, 0, 1040, 0, 0, 34]
    x = rng.standard_normal((32, 8, 8, 8, 1)).astype(np.float32)
    y = (x.mean(axis=(1, 2, 3, 4)) > 0).astype(np.int32)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    hist = model.fit(x, y, epochs=8, batch_size=16, verbose=0).history["loss"]
    assert hist[-1] < hist[0]


@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
def test_pooling3d_layers_match_numpy(rng, fmt):
    x = rng.permutation(2 * 5 * 6 * 4 * 3).reshape(2, 5, 6, 4, 3).astype(np.float32)
    xin = x if fmt == "channels_last" else x.transpose(0, 4, 1, 2, 3)
    tf_fmt = "NDHWC" if fmt == "channels_last" else "NCDHW"
    for cls, is_max in ((layers.MaxPooling3D, True), (layers.AveragePooling3D, False)):
        layer = cls((2, 3, 2), strides=(2, 2, 1), padding="same", data_format=fmt)
        got = layer(xin).numpy()
        want = _np_pool(xin, (2, 3, 2), (2, 2, 1), "SAME", tf_fmt, is_max)
        assert got.shape == layer.compute_output_shape(xin.shape)
        np.testing.assert_allclose(got, want, rtol=1e-6)
    axes = (1, 2, 3) if fmt == "channels_last" else (2, 3, 4)
    np.testing.assert_allclose(layers.GlobalMaxPooling3D(data_format=fmt)(xin).numpy(), xin.max(axis=axes))
    np.testing.assert_allclose(layers.GlobalAveragePooling3D(data_format=fmt, keepdims=True)(xin).numpy(),
                               xin.mean(axis=axes, keepdims=True), rtol=1e-6)


def test_max_pool3d_gradient_goes_to_each_windows_first_maximum():
    x = np.zeros((1, 2, 2, 2, 1))
    x[0, 1, 0, 1, 0] = 1.0
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = tf.nn.max_pool3d(xt, 2, 2, "VALID")
    want = np.zeros_like(x)
    want[0, 1, 0, 1, 0] = 1.0
    np.testing.assert_array_equal(tape.gradient(y, xt).numpy(), want)
    # All tied: the first element of the window takes it.
    xt = tf.constant(np.ones((1, 2, 2, 2, 1)))
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = tf.nn.max_pool3d(xt, 2, 2, "VALID")
    assert tape.gradient(y, xt).numpy().ravel().tolist() == [1.0] + [0.0] * 7


def test_conv3d_errors_name_the_op_and_shapes():
    x, w = np.zeros((1, 4, 4, 4, 3), np.float32), np.zeros((2, 2, 2, 3, 2), np.float32)
    with pytest.raises(InvalidArgumentError, match=r"conv3d: the input must have rank 5, got shape \(4, 4, 4, 3\)"):
        tf.nn.conv3d(x[0], w, 1, "VALID")
    with pytest.raises(InvalidArgumentError, match="not a multiple of the filter's in_channels"):
        tf.nn.conv3d(x, np.zeros((2, 2, 2, 2, 2), np.float32), 1, "VALID")
    with pytest.raises(InvalidArgumentError, match="larger than the padded input"):
        tf.nn.conv3d(x, np.zeros((5, 2, 2, 3, 2), np.float32), 1, "VALID")
    with pytest.raises(InvalidArgumentError, match="data_format must be 'NDHWC' or 'NCDHW'"):
        tf.nn.conv3d(x, w, 1, "VALID", data_format="NHWC")
    with pytest.raises(InvalidArgumentError, match="strides on the batch and channel axes must be 1"):
        tf.nn.conv3d(x, w, [2, 1, 1, 1, 1], "VALID")
    with pytest.raises(ValueError, match="Conv3D 'c3' expects inputs of rank 5"):
        layers.Conv3D(2, 2, name="c3")(np.zeros((1, 4, 4, 3), np.float32))
    with pytest.raises(ValueError, match="MaxPooling3D .* expects inputs of rank 5"):
        layers.MaxPooling3D()(np.zeros((1, 4, 4, 3), np.float32))


@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
def test_volume_reshaping_layers_match_numpy(rng, fmt):
    x = rng.standard_normal((2, 3, 4, 5, 2)).astype(np.float32)
    xin = x if fmt == "channels_last" else x.transpose(0, 4, 1, 2, 3)
    back = (lambda a: a) if fmt == "channels_last" else (lambda a: a.transpose(0, 2, 3, 4, 1))
    sp = ((1, 0), (2, 1), (0, 3))
    layer = layers.ZeroPadding3D(sp, data_format=fmt)
    got = layer(xin).numpy()
    np.testing.assert_array_equal(back(got), np.pad(x, ((0, 0),) + sp + ((0, 0),)))
    assert got.shape == layer.compute_output_shape(xin.shape)
    layer = layers.Cropping3D(((1, 0), (1, 2), (0, 1)), data_format=fmt)
    got = layer(xin).numpy()
    np.testing.assert_array_equal(back(got), x[:, 1:, 1:2, 0:4])
    assert got.shape == layer.compute_output_shape(xin.shape)
    layer = layers.UpSampling3D((2, 1, 3), data_format=fmt)
    got = layer(xin).numpy()
    np.testing.assert_array_equal(back(got), x.repeat(2, 1).repeat(1, 2).repeat(3, 3))
    assert got.shape == layer.compute_output_shape(xin.shape)
    assert layers.ZeroPadding3D(1).padding == ((1, 1),) * 3 and layers.UpSampling3D().size == (2, 2, 2)
    with pytest.raises(ValueError, match="Cropping3D .* leaves nothing"):
        layers.Cropping3D(2)(xin)
    with pytest.raises(ValueError, match="ZeroPadding3D: padding must be an int, 3 ints or 3 pairs"):
        layers.ZeroPadding3D((1, 2))
