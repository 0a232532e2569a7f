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


def test_load_images_tutorial_pipeline(tmp_path):
    """tf.data.Dataset.list_files, tf.io.read_file / decode_png, a label from the path (argmax of a bool
    vector, which TensorFlow takes), resize: the pipeline of TensorFlow's "load images" tutorial."""
    from PIL import Image

    rng = np.random.default_rng(1)
    pixels = {}
    for cls in ("cats", "dogs"):
        (tmp_path / cls).mkdir()
        for i in range(3):
            a = rng.integers(0, 256, (6, 8, 3)).astype("uint8")
            Image.fromarray(a).save(tmp_path / cls / f"{i}.png")
            pixels[f"{cls}/{i}"] = a
    class_names = np.array(["cats", "dogs"])

    def process_path(file_path):
        parts = tf.strings.split(file_path, "/")
        label = tf.argmax(parts[-2] == class_names)
        img = tf.io.decode_png(tf.io.read_file(file_path), channels=3)
        return tf.image.resize(img, [3, 4]), label, img

    ds = tf.data.Dataset.list_files(str(tmp_path / "*/*"), shuffle=False).map(process_path,
                                                                               num_parallel_calls=tf.data.AUTOTUNE)
    seen = 0
    for resized, label, img in ds:
        key = [k for k, v in pixels.items() if v.shape == tuple(img.shape) and np.array_equal(v, img.numpy())]
        assert len(key) == 1 and img.dtype == tf.uint8
        assert int(label) == (1 if key[0].startswith("dogs") else 0) and label.dtype == tf.int64
        assert resized.shape == (3, 4, 3) and resized.dtype == tf.float32
        seen += 1
    assert seen == 6
    contents = tf.io.read_file(str(tmp_path / "cats" / "0.png"))
    np.testing.assert_allclose(tf.io.decode_image(contents, dtype=tf.float32).numpy(), pixels["cats/0"] / 255.0,
                               rtol=1e-6)
    assert tf.io.decode_image(contents, channels=4).shape == (6, 8, 4)
    tf.io.write_file(str(tmp_path / "copy.png"), contents)
    assert (tmp_path / "copy.png").read_bytes() == (tmp_path / "cats" / "0.png").read_bytes()
    with pytest.raises(tf.errors.InvalidArgumentError, match="not a readable image"):
        tf.io.decode_png(tf.constant(b"not an image"))


def test_argmax_of_bools_and_l2_normalize():
    assert int(tf.argmax(tf.constant([False, True, True]))) == 1
    np.testing.assert_array_equal(tf.argmin(tf.constant([[True, False], [True, True]]), axis=1).numpy(), [1, 0])
    np.testing.assert_allclose(tf.math.l2_normalize(tf.constant([3.0, 4.0])).numpy(), [0.6, 0.8], rtol=1e-6)
