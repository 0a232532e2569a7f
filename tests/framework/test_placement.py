"""Device placement as a machine without a GPU sees it: scopes, names, the
default device, and the GPU settings that must still be accepted."""

import threading

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import _core

HAVE_GPU = _core.device_available(_core.Device.GPU)


@pytest.mark.parametrize("name", ["/CPU:0", "CPU", "cpu:0", "/device:CPU:0",
                                  "/job:localhost/replica:0/task:0/device:CPU:0", "/physical_device:CPU:0"])
def test_cpu_scopes_accept_tensorflow_names(name):
    with tf.device(name):
        t = tf.constant([1.0, 2.0]) * 2.0
        assert t.device == "/job:localhost/replica:0/task:0/device:CPU:0"
        assert tf.zeros((2,)).device.endswith("CPU:0") and tf.random.uniform((2,)).device.endswith("CPU:0")


@pytest.mark.parametrize("name", ["/TPU:0", "/GPU:1", "nonsense"])
def test_bad_device_names_are_value_errors(name):
    with pytest.raises(ValueError, match="device"):
        with tf.device(name):
            pass


def test_default_device_and_none_scope():
    want = _core.Device.GPU if HAVE_GPU else _core.Device.CPU
    assert _core.default_device() == want
    with tf.device(None):
        assert _core.default_device() == want
    with tf.device("/CPU:0"):
        assert _core.default_device() == _core.Device.CPU
    assert _core.default_device() == want


def test_scopes_are_per_thread():
    seen = []
    with tf.device("/CPU:0"):
        t = threading.Thread(target=lambda: seen.append(_core.default_device()))
        t.start()
        t.join()
    assert seen == [_core.Device.GPU if HAVE_GPU else _core.Device.CPU]


@pytest.mark.skipif(HAVE_GPU, reason="this machine has a GPU")
def test_gpu_scope_without_a_gpu_places_on_the_cpu():
    assert tf.config.list_physical_devices("GPU") == []
    with tf.device("/GPU:0"):  # soft placement, as TensorFlow's default
        assert tf.ones(2).device.endswith("CPU:0")
    with pytest.raises(ValueError, match="GPU"):
        tf.config.experimental.get_memory_info("GPU:0")
    assert tf.constant(np.ones(2)).device.endswith("CPU:0")


def test_tensor_float_32_setting_round_trips():
    assert not tf.config.experimental.tensor_float_32_execution_enabled()
    tf.config.experimental.enable_tensor_float_32_execution(True)
    try:
        assert tf.config.experimental.tensor_float_32_execution_enabled()
    finally:
        tf.config.experimental.enable_tensor_float_32_execution(False)
    assert not tf.config.experimental.tensor_float_32_execution_enabled()
