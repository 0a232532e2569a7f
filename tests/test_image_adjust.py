"""tf.image colour adjustments, crops, pads and their random forms against
numpy (values checked once against TensorFlow 2.21, which they match)."""

import numpy as np
import pytest

import tensorlet as tf

X = np.random.default_rng(0).uniform(0, 1, (2, 7, 9, 3)).astype(np.float32)
U8 = (X * 255).astype(np.uint8)


def test_adjustments_match_their_formulas():
    np.testing.assert_allclose(tf.image.adjust_brightness(X, 0.1).numpy(), X + 0.1)
    mean = X.mean((1, 2), keepdims=True)
    np.testing.assert_allclose(tf.image.adjust_contrast(X, 1.7).numpy(), (X - mean) * 1.7 + mean, atol=1e-6)
    gray = (X * np.array([0.2989, 0.5870, 0.1140], np.float32)).sum(-1, keepdims=True)
    np.testing.assert_allclose(tf.image.rgb_to_grayscale(X).numpy(), gray, rtol=1e-6)
    np.testing.assert_array_equal(tf.image.grayscale_to_rgb(gray).numpy(), np.repeat(gray, 3, -1))
    std = tf.image.per_image_standardization(X).numpy()
    np.testing.assert_allclose(std, (X - X.mean((1, 2, 3), keepdims=True)) / X.std((1, 2, 3), keepdims=True),
                               rtol=1e-4, atol=1e-5)
    flat = tf.image.per_image_standardization(np.full((4, 4, 1), 3.0, np.float32)).numpy()
    np.testing.assert_array_equal(flat, 0.0)  # stddev 0: divided by 1/sqrt(16), not by zero


def test_integer_images_are_adjusted_in_float_and_saturate():
    b = tf.image.adjust_brightness(U8, 0.5)
    assert b.dtype == tf.uint8
    expected = np.clip(U8 / 255.0 + 0.5, 0, 1) * 255.5
    np.testing.assert_array_equal(b.numpy(), expected.astype(np.uint8))
    assert tf.image.rgb_to_grayscale(U8).dtype == tf.uint8


def test_crops_and_pads():
    np.testing.assert_array_equal(tf.image.crop_to_bounding_box(X, 1, 2, 3, 4).numpy(), X[:, 1:4, 2:6])
    padded = tf.image.pad_to_bounding_box(X, 1, 2, 10, 12).numpy()
    np.testing.assert_array_equal(padded, np.pad(X, ((0, 0), (1, 2), (2, 1), (0, 0))))
    np.testing.assert_array_equal(tf.image.central_crop(X, 0.6).numpy(), X[:, 1:6, 1:8])
    np.testing.assert_array_equal(tf.image.resize_with_crop_or_pad(X, 4, 12).numpy(),
                                  np.pad(X[:, 1:5], ((0, 0), (0, 0), (1, 2), (0, 0))))
    with pytest.raises(tf.errors.InvalidArgumentError, match="crop_to_bounding_box: the window"):
        tf.image.crop_to_bounding_box(X, 5, 0, 3, 3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="central_fraction must be in"):
        tf.image.central_crop(X, 0.0)


def test_random_forms_draw_from_their_ranges():
    seen = set()
    for _ in range(40):
        y = tf.image.random_crop(X, (2, 5, 6, 3)).numpy()
        hits = [(i, j) for i in range(3) for j in range(4) if np.array_equal(X[:, i:i + 5, j:j + 6], y)]
        assert len(hits) == 1
        seen.add(hits[0])
    assert len(seen) > 6
    delta = tf.image.random_brightness(X, 0.2).numpy() - X
    assert np.ptp(delta) < 1e-5 and abs(delta.flat[0]) <= 0.2
    flips = [tf.image.random_flip_left_right(X).numpy() for _ in range(10)]
    per_image = {(np.array_equal(f[i], X[i, :, ::-1]), i) for f in flips for i in range(2)}
    assert all(np.array_equal(f[i], X[i]) or np.array_equal(f[i], X[i, :, ::-1]) for f in flips for i in range(2))
    assert len(per_image) == 4  # each image flipped in some draws and kept in others
    with pytest.raises(tf.errors.InvalidArgumentError, match="need 0 <= lower < upper"):
        tf.image.random_contrast(X, 1.5, 0.5)
