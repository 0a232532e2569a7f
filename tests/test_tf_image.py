"""tf.image adjustments and crops against numpy references (the figures TensorFlow
2.21 gives for the same inputs agree to float32 rounding)."""

import numpy as np
import pytest

import tensorlet as tf


@pytest.fixture
def images():
    rng = np.random.default_rng(0)
    return rng.uniform(0, 1, (2, 7, 9, 3)).astype("float32"), rng.integers(0, 256, (7, 9, 3)).astype("uint8")


def test_adjustments_match_numpy(images):
    f, u = images
    np.testing.assert_allclose(tf.image.adjust_brightness(f, 0.2).numpy(), f + 0.2, rtol=1e-6)
    mean = f.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(tf.image.adjust_contrast(f, 1.7).numpy(), (f - mean) * 1.7 + mean, rtol=1e-5,
                               atol=1e-6)
    n = f[0].size
    std = (f - f.mean(axis=(1, 2, 3), keepdims=True)) / np.maximum(f.std(axis=(1, 2, 3), keepdims=True),
                                                                   1 / np.sqrt(n))
    np.testing.assert_allclose(tf.image.per_image_standardization(f).numpy(), std, rtol=1e-4, atol=1e-5)
    gray = (f * np.array([0.2989, 0.5870, 0.1140], "float32")).sum(-1, keepdims=True)
    np.testing.assert_allclose(tf.image.rgb_to_grayscale(f).numpy(), gray, rtol=1e-6)
    np.testing.assert_array_equal(tf.image.grayscale_to_rgb(gray).numpy(), np.concatenate([gray] * 3, -1))
    # uint8 images are adjusted in the [0, 1] scale and converted back, saturating.
    bright = tf.image.adjust_brightness(u, 0.2)
    assert bright.dtype == tf.uint8
    np.testing.assert_array_equal(bright.numpy(), np.clip(u / 255 + 0.2, 0, 1) * 255.5 // 1)
    std_u = tf.image.per_image_standardization(u)
    assert std_u.dtype == tf.float32 and abs(float(tf.reduce_mean(std_u))) < 1e-5


def test_crops_and_pads(images):
    f, u = images
    np.testing.assert_array_equal(tf.image.central_crop(f, 0.5).numpy(), f[:, 1:6, 2:7])
    np.testing.assert_array_equal(tf.image.resize_with_crop_or_pad(u, 4, 12).numpy(),
                                  np.pad(u[1:5], [(0, 0), (1, 2), (0, 0)]))
    np.testing.assert_array_equal(tf.image.resize_with_crop_or_pad(f, 10, 5).numpy(),
                                  np.pad(f[:, :, 2:7], [(0, 0), (1, 2), (0, 0), (0, 0)]))
    crop = tf.image.random_crop(u, (3, 4, 3)).numpy()
    assert crop.shape == (3, 4, 3)
    assert any(np.array_equal(crop, u[i:i + 3, j:j + 4]) for i in range(5) for j in range(6))
    with pytest.raises(tf.errors.InvalidArgumentError, match="does not fit"):
        tf.image.random_crop(u, (8, 4, 3))
    with pytest.raises(ValueError, match="central_fraction"):
        tf.image.central_crop(f, 0.0)


def test_random_flips_and_adjustments(images):
    f, _ = images
    tf.random.set_seed(3)
    flipped = tf.image.random_flip_left_right(f).numpy()
    for img, out in zip(f, flipped):  # each image on its own: unchanged or mirrored
        assert np.array_equal(out, img) or np.array_equal(out, img[:, ::-1])
    draws = [tf.image.random_flip_up_down(f[0]).numpy() for _ in range(12)]
    assert any(np.array_equal(d, f[0]) for d in draws) and any(np.array_equal(d, f[0, ::-1]) for d in draws)
    delta = tf.image.random_brightness(f, 0.1).numpy() - f
    assert np.ptp(delta) < 1e-6 and abs(delta.flat[0]) <= 0.1  # one delta for the whole batch
    with pytest.raises(ValueError, match="lower < upper"):
        tf.image.random_contrast(f, 1.5, 0.5)
    # In a dataset pipeline, as the tutorials use them.
    ds = tf.data.Dataset.from_tensor_slices(f).map(lambda x: tf.image.random_flip_left_right(x)).batch(2)
    assert next(iter(ds)).shape == (2, 7, 9, 3)
