"""The GPU as users meet it: placement, device strings, copies to the host,
mixing devices, the caching allocator, and random numbers and optimizer
steps that equal the CPU's."""

import gc

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras

InvalidArgumentError = tf.errors.InvalidArgumentError


def test_new_tensors_go_to_the_gpu_and_scopes_move_them():
    assert tf.config.list_physical_devices("GPU")
    assert tf.constant([1.0, 2.0]).device == "/job:localhost/replica:0/task:0/device:GPU:0"
    assert tf.Variable(tf.zeros((2, 3))).device.endswith("device:GPU:0")
    with tf.device("/CPU:0"):
        c = tf.ones((2, 2))
        assert c.device.endswith("device:CPU:0")
        with tf.device("/job:localhost/replica:0/task:0/device:GPU:0"):
            assert tf.random.uniform((3,)).device.endswith("device:GPU:0")
        assert tf.range(4).device.endswith("device:CPU:0")
    assert tf.ones((2, 2)).device.endswith("device:GPU:0")


def test_numpy_copies_to_the_host():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    with tf.device("/GPU:0"):
        t = tf.constant(x)
    np.testing.assert_array_equal(t.numpy(), x)
    np.testing.assert_array_equal(np.asarray(t[1:, ::2]), x[1:, ::2])  # a strided view
    assert float(tf.reduce_sum(t)) == float(x.sum())


def test_scalars_and_numpy_follow_the_tensor():
    with tf.device("/GPU:0"):
        g = tf.constant([1.0, 2.0, 3.0])
    with tf.device("/CPU:0"):  # the scalar and the array still join g on the GPU
        assert (g * 2.0).device.endswith("GPU:0")
        assert (np.ones(3, np.float32) + g).device.endswith("GPU:0")
        np.testing.assert_array_equal((g * 2.0 + 1).numpy(), [3.0, 5.0, 7.0])


def test_mixing_devices_is_an_error_naming_both():
    with tf.device("/CPU:0"):
        c = tf.constant([1.0, 2.0])
    with tf.device("/GPU:0"):
        g = tf.constant([1.0, 2.0])
    with pytest.raises(InvalidArgumentError, match=r"CPU.*GPU|GPU.*CPU"):
        c + g
    with pytest.raises(InvalidArgumentError, match=r"CPU.*GPU|GPU.*CPU"):
        tf.matmul(tf.reshape(c, (1, 2)), tf.reshape(g, (2, 1)))


def test_allocator_reuses_freed_blocks():
    gc.collect()
    info = tf.config.experimental.get_memory_info("GPU:0")
    assert info["current"] >= 0 and info["peak"] >= info["current"]
    with tf.device("/GPU:0"):
        a = tf.ones((1024, 1024))
        held = tf.config.experimental.get_memory_info("GPU:0")
        assert held["current"] >= info["current"] + (4 << 20)
        del a
        gc.collect()
        freed = tf.config.experimental.get_memory_info("GPU:0")
        assert freed["current"] <= held["current"] - (4 << 20) and freed["cached"] >= (4 << 20)
        b = tf.ones((1024, 1024))  # the same size class comes back from the cache
        again = tf.config.experimental.get_memory_info("GPU:0")
        assert again["reused"] > freed["reused"]
        np.testing.assert_array_equal(b.numpy(), np.ones((1024, 1024), np.float32))
    tf.config.experimental.reset_memory_stats("GPU:0")
    now = tf.config.experimental.get_memory_info("GPU:0")
    assert now["peak"] == now["current"]


def test_integer_division_by_zero_raises():
    with tf.device("/GPU:0"):
        a, z = tf.constant([4, 5]), tf.constant([2, 0])
        with pytest.raises(InvalidArgumentError, match="division by zero"):
            (a // z).numpy()


@pytest.mark.parametrize("axes", [None, 0, 1, 2, (0, 2), (1, 2)])
def test_reductions_over_any_axes(axes):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((33, 65, 130))
    with tf.device("/GPU:0"):
        t = tf.constant(x)
        np.testing.assert_allclose(tf.reduce_sum(t, axis=axes).numpy(), x.sum(axis=axes), rtol=1e-11, atol=1e-11)
        np.testing.assert_array_equal(tf.reduce_max(t, axis=axes).numpy(), x.max(axis=axes))
    with tf.device("/GPU:0"):
        big = tf.ones((1 << 22,))
        assert float(tf.reduce_sum(big)) == float(1 << 22)
        np.testing.assert_array_equal(tf.argmax(tf.constant(x), axis=1).numpy(), x.argmax(axis=1))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_random_streams_equal_the_cpu(dtype):
    draws = {}
    for device in ("/CPU:0", "/GPU:0"):
        with tf.device(device):
            tf.random.set_seed(1234)
            u = tf.random.uniform((1001,), -2.0, 3.0, dtype=dtype)
            i = tf.random.uniform((999,), 0, 1000, dtype="int64")
            n = tf.random.normal((1003,), 1.0, 2.0, dtype=dtype)
            t = tf.random.truncated_normal((1005,), dtype=dtype)
            assert u.device.endswith(device[1:])
            draws[device] = [x.numpy() for x in (u, i, n, t)]
    cpu, gpu = draws["/CPU:0"], draws["/GPU:0"]
    np.testing.assert_array_equal(gpu[0], cpu[0])  # uniforms: bit for bit
    np.testing.assert_array_equal(gpu[1], cpu[1])
    rtol = 1e-6 if dtype == "float32" else 1e-14  # normals: the last bit of log/sin/cos
    np.testing.assert_allclose(gpu[2], cpu[2], rtol=rtol, atol=rtol)
    np.testing.assert_allclose(gpu[3], cpu[3], rtol=rtol, atol=rtol)


@pytest.mark.parametrize("name", ["sgd", "momentum", "rmsprop", "adam", "adagrad"])
def test_optimizer_steps_equal_the_cpu_bit_for_bit(name):
    make = {"sgd": lambda: keras.optimizers.SGD(0.1),
            "momentum": lambda: keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
            "rmsprop": lambda: keras.optimizers.RMSprop(0.01, centered=True, momentum=0.5),
            "adam": lambda: keras.optimizers.Adam(0.01, amsgrad=True),
            "adagrad": lambda: keras.optimizers.Adagrad(0.1)}[name]
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal((64, 33)).astype(np.float32)
    grads = [rng.standard_normal((64, 33)).astype(np.float32) for _ in range(3)]
    result = {}
    for device in ("/CPU:0", "/GPU:0"):
        with tf.device(device):
            v = tf.Variable(w0)
            opt = make()
            for g in grads:
                opt.apply_gradients([(tf.constant(g), v)])
            result[device] = v.numpy()
    np.testing.assert_array_equal(result["/GPU:0"], result["/CPU:0"])
