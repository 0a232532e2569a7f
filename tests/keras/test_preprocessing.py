"""Preprocessing and augmentation layers against numpy, and their training-only randomness."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import layers


def np_resize_bilinear(x, out_h, out_w):
    """Half-pixel-centre bilinear resize of (n, h, w, c), edges clamped."""
    def axis(a, n_out, ax):
        n = a.shape[ax]
        src = np.clip((np.arange(n_out) + 0.5) * n / n_out - 0.5, 0, n - 1)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, n - 1)
        t = (src - lo).reshape([-1 if d == ax else 1 for d in range(a.ndim)])
        return np.take(a, lo, axis=ax) * (1 - t) + np.take(a, hi, axis=ax) * t
    return axis(axis(x, out_h, 1), out_w, 2)


def test_rescaling_and_resizing(rng):
    x = rng.uniform(0, 255, (2, 5, 7, 3)).astype(np.float32)
    np.testing.assert_allclose(layers.Rescaling(1 / 255.0, offset=-0.5)(x).numpy(), x / 255 - 0.5, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(layers.Resizing(8, 4)(x).numpy(), np_resize_bilinear(x.astype(np.float64), 8, 4),
                               rtol=1e-5)
    near = layers.Resizing(10, 14, interpolation="nearest")(x).numpy()
    np.testing.assert_array_equal(near, x.repeat(2, axis=1).repeat(2, axis=2))
    assert layers.Resizing(4, 4, crop_to_aspect_ratio=True)(x).shape == (2, 4, 4, 3)
    assert layers.CenterCrop(3, 3)(x).shape == (2, 3, 3, 3)
    np.testing.assert_array_equal(layers.CenterCrop(3, 5)(x[0]).numpy(), x[0, 1:4, 1:6])


def test_random_layers_only_when_training(rng):
    x = rng.uniform(0, 1, (4, 6, 6, 2)).astype(np.float32)
    for layer in (layers.RandomFlip(), layers.RandomRotation(0.2), layers.RandomZoom(0.3),
                  layers.RandomTranslation(0.2, 0.2), layers.RandomContrast(0.5)):
        np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
        assert not np.allclose(layer(x, training=True).numpy(), x), layer
        # Called directly (a tf.data map, say) they augment, as in Keras 3; predict does not.
        assert not np.allclose(layer(x).numpy(), x), layer
        model = keras.Sequential([keras.Input((6, 6, 2)), layer])
        np.testing.assert_array_equal(model.predict(x, verbose=0), x)
        assert not np.allclose(model(x).numpy(), x), layer


def test_random_flip_is_a_flip_and_repeatable(rng):
    x = rng.uniform(0, 1, (8, 3, 4, 1)).astype(np.float32)
    tf.random.set_seed(3)
    a = layers.RandomFlip("horizontal", seed=5)(x, training=True).numpy()
    tf.random.set_seed(3)
    b = layers.RandomFlip("horizontal", seed=5)(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    flipped = [np.array_equal(a[i], x[i, :, ::-1]) for i in range(8)]
    assert all(f or np.array_equal(a[i], x[i]) for i, f in enumerate(flipped)) and 0 < sum(flipped) < 8


def test_geometric_transforms(rng):
    x = rng.uniform(0, 1, (2, 5, 6, 3)).astype(np.float32)
    half_turn = layers.RandomRotation((0.5, 0.5))(x, training=True).numpy()
    np.testing.assert_allclose(half_turn, x[:, ::-1, ::-1], atol=1e-5)
    np.testing.assert_allclose(layers.RandomZoom((0.0, 0.0))(x, training=True).numpy(), x, atol=1e-6)
    # A shift by exactly one row (0.2 of 5) down, the top row from the fill value.
    shifted = layers.RandomTranslation((0.2, 0.2), (0.0, 0.0), fill_mode="constant", fill_value=-1.0)(
        x, training=True).numpy()
    np.testing.assert_allclose(shifted[:, 1:], x[:, :-1], atol=1e-6)
    np.testing.assert_allclose(shifted[:, 0], -1.0)
    # Reflect fill: a one-row shift up repeats the last row (d c b a | a b c d).
    up = layers.RandomTranslation((-0.2, -0.2), (0.0, 0.0))(x, training=True).numpy()
    np.testing.assert_allclose(up[:, -1], x[:, -1], atol=1e-6)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = tf.reduce_sum(layers.RandomRotation(0.1, seed=1)(xt, training=True))
    assert tape.gradient(y, xt).shape == x.shape


def test_random_contrast_keeps_the_mean(rng):
    x = rng.uniform(0, 1, (3, 4, 4, 2)).astype(np.float32)
    y = layers.RandomContrast(0.5, value_range=(-10, 10))(x, training=True).numpy()
    np.testing.assert_allclose(y.mean(axis=(1, 2)), x.mean(axis=(1, 2)), rtol=1e-5)


def test_normalization_adapt(rng):
    data = rng.standard_normal((100, 3)) * [1.0, 5.0, 0.1] + [0.0, 3.0, -2.0]
    norm = layers.Normalization()
    norm.adapt([data[:30], data[30:]])  # batches merge to the whole data's moments
    np.testing.assert_allclose(norm.adapt_mean.numpy(), data.mean(0), rtol=1e-5)
    np.testing.assert_allclose(norm.adapt_variance.numpy(), data.var(0), rtol=1e-5)
    y = norm(data.astype(np.float32)).numpy()
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(0), 1, rtol=1e-4)
    assert norm.count_params() == 7 and not norm.trainable_weights  # Keras: mean, variance and an int64 count
    assert int(norm.adapt_count) == 100
    inv = layers.Normalization(mean=data.mean(0), variance=data.var(0), invert=True)
    np.testing.assert_allclose(inv(y).numpy(), data, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="both"):
        layers.Normalization(mean=[0.0])


def test_random_crop_takes_every_window_when_training_and_resizes_otherwise(rng):
    x = rng.uniform(0, 255, (4, 7, 9, 3)).astype(np.float32)
    crop, seen = layers.RandomCrop(5, 6), set()
    for _ in range(60):
        y = crop(x, training=True).numpy()
        windows = [(i, j) for i in range(3) for j in range(4) if np.array_equal(x[:, i:i + 5, j:j + 6], y)]
        assert len(windows) == 1
        seen.add(windows[0])
    assert len(seen) == 12  # every offset in [0, 2] x [0, 3] turns up
    np.testing.assert_allclose(crop(x, training=False).numpy(),
                               layers.Resizing(5, 6, crop_to_aspect_ratio=True)(x).numpy())
    np.testing.assert_allclose(layers.RandomCrop(9, 9)(x, training=True).numpy(),
                               tf.image.resize(x, (9, 9)).numpy())
    assert crop.compute_output_shape((None, 7, 9, 3)) == (None, 5, 6, 3)


def test_random_brightness_shifts_each_image_by_one_delta_and_clips(rng):
    x = rng.uniform(0, 255, (6, 4, 5, 3)).astype(np.float32)
    y = layers.RandomBrightness((-0.2, 0.1))(x, training=True).numpy()
    assert y.min() >= 0 and y.max() <= 255
    for i in range(6):
        inside = (y[i] > 0) & (y[i] < 255)
        delta = (y[i] - x[i])[inside]
        assert np.ptp(delta) < 1e-3 and -0.2 * 255 - 1e-3 <= delta[0] <= 0.1 * 255 + 1e-3
    assert len({round(float(np.median(y[i] - x[i])), 3) for i in range(6)}) > 1
    np.testing.assert_array_equal(layers.RandomBrightness(0.3)(x, training=False).numpy(), x)
    with pytest.raises(ValueError, match="RandomBrightness: factor must be within"):
        layers.RandomBrightness(1.5)


def test_one_dimensional_padding_cropping_and_upsampling():
    x = np.arange(2 * 5 * 3, dtype=np.float32).reshape(2, 5, 3)
    np.testing.assert_array_equal(layers.ZeroPadding1D(2)(x).numpy(), np.pad(x, ((0, 0), (2, 2), (0, 0))))
    np.testing.assert_array_equal(layers.ZeroPadding1D((1, 3))(x).numpy(), np.pad(x, ((0, 0), (1, 3), (0, 0))))
    np.testing.assert_array_equal(layers.Cropping1D((1, 2))(x).numpy(), x[:, 1:3])
    np.testing.assert_array_equal(layers.UpSampling1D(3)(x).numpy(), x.repeat(3, axis=1))
    inp = keras.Input((5, 3))
    out = layers.UpSampling1D(2)(layers.Cropping1D(1)(layers.ZeroPadding1D((0, 2))(inp)))
    assert tuple(out.shape) == (None, 10, 3)
    assert layers.GlobalAvgPool2D is layers.GlobalAveragePooling2D and layers.GlobalMaxPool1D is \
        layers.GlobalMaxPooling1D and layers.Convolution1D is layers.Conv1D
