"""tf.image basics, tf.sparse, tf.device and keras.random against numpy and known values."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tests.conftest import numeric_gradient


def _np_bilinear(img, new_h, new_w):
    """TensorFlow 2's bilinear resize (half-pixel centres), pixel by pixel."""
    h, w = img.shape[:2]
    out = np.zeros((new_h, new_w) + img.shape[2:])
    for y in range(new_h):
        sy = max((y + 0.5) * h / new_h - 0.5, 0)
        y0 = min(int(np.floor(sy)), h - 1)
        y1, fy = min(y0 + 1, h - 1), sy - y0
        for x in range(new_w):
            sx = max((x + 0.5) * w / new_w - 0.5, 0)
            x0 = min(int(np.floor(sx)), w - 1)
            x1, fx = min(x0 + 1, w - 1), sx - x0
            top = img[y0, x0] * (1 - fx) + img[y0, x1] * fx
            bottom = img[y1, x0] * (1 - fx) + img[y1, x1] * fx
            out[y, x] = top * (1 - fy) + bottom * fy
    return out


def test_image_flips_and_rotations(rng):
    img = rng.standard_normal((2, 4, 5, 3)).astype(np.float32)
    np.testing.assert_array_equal(tf.image.flip_left_right(img).numpy(), img[:, :, ::-1])
    np.testing.assert_array_equal(tf.image.flip_up_down(img[0]).numpy(), img[0, ::-1])
    for k in range(5):
        np.testing.assert_array_equal(tf.image.rot90(img, k).numpy(), np.rot90(img, k, axes=(1, 2)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="expected an image"):
        tf.image.flip_left_right(img[0, 0])


def test_image_resize(rng):
    img = rng.standard_normal((5, 7, 2))
    for size in [(10, 3), (5, 7), (2, 14), (1, 1)]:
        np.testing.assert_allclose(tf.image.resize(img, size).numpy(), _np_bilinear(img, *size), rtol=1e-10)
    small = np.arange(4.0).reshape(1, 4, 1)
    np.testing.assert_array_equal(tf.image.resize(small, (1, 2), method="nearest").numpy()[0, :, 0], [1.0, 3.0])
    ints = np.arange(12).reshape(1, 3, 4, 1).astype(np.int32)
    assert tf.image.resize(ints, (6, 8)).dtype == tf.float32
    assert tf.image.resize(ints, (6, 8), method="nearest").dtype == tf.int32
    assert tf.image.resize(np.zeros((10, 20, 1)), (8, 8), preserve_aspect_ratio=True).shape == (4, 8, 1)
    x = rng.standard_normal((3, 4, 1))
    w = rng.standard_normal((5, 2, 1))
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        loss = tf.reduce_sum(tf.image.resize(xt, (5, 2)) * w)
    np.testing.assert_allclose(tape.gradient(loss, xt).numpy(),
                               numeric_gradient(lambda a: np.sum(_np_bilinear(a, 5, 2) * w), x.copy()), rtol=1e-6)
    np.testing.assert_allclose(tf.image.convert_image_dtype(ints, tf.float32).numpy(),
                               np.asarray(ints) / float(np.iinfo(np.asarray(ints).dtype).max), rtol=1e-6)


def test_sparse(rng):
    sp = tf.sparse.SparseTensor(indices=[[0, 1], [2, 0], [1, 2]], values=[3.0, 4.0, -1.0], dense_shape=[3, 3])
    dense = np.zeros((3, 3), np.float32)
    dense[0, 1], dense[2, 0], dense[1, 2] = 3, 4, -1
    np.testing.assert_array_equal(tf.sparse.to_dense(sp).numpy(), dense)
    assert sp.shape == (3, 3) and sp.dtype == tf.float32 and tf.SparseTensor is tf.sparse.SparseTensor
    np.testing.assert_array_equal(tf.sparse.to_dense(sp, default_value=9.0).numpy(), np.where(dense == 0, 9, dense))
    back = tf.sparse.from_dense(dense)
    np.testing.assert_array_equal(back.indices.numpy(), [[0, 1], [1, 2], [2, 0]])
    np.testing.assert_array_equal(tf.sparse.reorder(sp).indices.numpy(), [[0, 1], [1, 2], [2, 0]])
    b = rng.standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(tf.sparse.sparse_dense_matmul(sp, b).numpy(), dense @ b, rtol=1e-6)
    np.testing.assert_allclose(tf.sparse.sparse_dense_matmul(sp, b[:, :3].T, adjoint_a=True, adjoint_b=True)
                               .numpy(), dense.T @ b[:, :3], rtol=1e-6)
    assert float(tf.sparse.reduce_sum(sp)) == 6.0
    vals, bt = tf.constant([3.0, 4.0, -1.0]), tf.constant(b)
    with tf.GradientTape() as tape:
        tape.watch([vals, bt])
        y = tf.reduce_sum(tf.sparse.sparse_dense_matmul(tf.sparse.SparseTensor(sp.indices, vals, [3, 3]), bt))
    gv, gb = tape.gradient(y, [vals, bt])
    np.testing.assert_allclose(gv.numpy(), [b[1].sum(), b[0].sum(), b[2].sum()], rtol=1e-6)
    np.testing.assert_allclose(gb.numpy(), np.repeat(dense.sum(0)[:, None], 4, 1), rtol=1e-6)
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of bounds"):
        tf.sparse.SparseTensor([[3, 0]], [1.0], [3, 3])
    with pytest.raises(tf.errors.InvalidArgumentError, match="inner dimensions"):
        tf.sparse.sparse_dense_matmul(sp, b[:2])


def test_device_scope():
    with tf.device("/CPU:0"):
        assert tf.ones(2).device.endswith("CPU:0")
    with tf.device("/job:localhost/replica:0/task:0/device:CPU:0"):
        pass
    if not tf.config.list_physical_devices("GPU"):
        with tf.device("/GPU:0"):  # soft placement: the CPU, as TensorFlow does without a GPU
            assert tf.ones(2).device.endswith("CPU:0")
    with pytest.raises(tf.errors.InvalidArgumentError, match="not a device specification"):
        tf.device("/TPU:banana")


def test_keras_random():
    g = keras.random.SeedGenerator(7)
    a, b = keras.random.normal((3,), seed=g), keras.random.normal((3,), seed=g)
    assert not np.array_equal(a.numpy(), b.numpy())
    g2 = keras.random.SeedGenerator(7)
    np.testing.assert_array_equal(keras.random.normal((3,), seed=g2).numpy(), a.numpy())
    np.testing.assert_array_equal(keras.random.uniform((4,), seed=3).numpy(),
                                  keras.random.uniform((4,), seed=3).numpy())
    r = keras.random.randint((1000,), 2, 5, seed=1).numpy()
    assert r.dtype == np.int32 and set(np.unique(r)) == {2, 3, 4}
    x = keras.random.shuffle(np.arange(10), seed=2).numpy()
    assert sorted(x) == list(range(10))
    d = keras.random.dropout(np.ones((100, 100), np.float32), 0.3, seed=4).numpy()
    assert set(np.unique(d)) <= {0.0, np.float32(1 / 0.7)} and abs((d == 0).mean() - 0.3) < 0.02
    c = keras.random.categorical(np.log([[0.2, 0.8]]), 4000, seed=5).numpy()
    assert abs(c.mean() - 0.8) < 0.03
    t = keras.random.truncated_normal((5000,), seed=6).numpy()
    assert np.abs(t).max() <= 2.0
