"""The device seam as a CPU-only machine sees it."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import _core
InvalidArgumentError = tf.errors.InvalidArgumentError


def test_arrays_live_on_the_cpu():
    t = tf.constant([[1.0, 2.0]])
    assert t._a.device == _core.Device.CPU
    assert t.device.endswith("device:CPU:0")
    assert _core.device_available(_core.Device.CPU)


def test_gpu_unavailable_here_is_a_clear_error():
    if _core.device_available(_core.Device.GPU):
        pytest.skip("this machine has a GPU")
    a = _core.from_numpy(np.ones((2, 2), np.float32))
    for make in (lambda: a.to_device(_core.Device.GPU),
                 lambda: _core.from_numpy(np.ones(3, np.float32), _core.Device.GPU),
                 lambda: _core.empty([2], _core.DType.float32, _core.Device.GPU)):
        with pytest.raises(InvalidArgumentError, match="device GPU is not available"):
            make()


@pytest.mark.parametrize("dtype", [np.bool_, np.int32, np.int64, np.float32, np.float64])
def test_to_host_round_trips(dtype):
    x = (np.arange(24).reshape(2, 3, 4) % 3).astype(dtype)
    a = _core.from_numpy(x)
    h = a.to_host()
    assert h.device == _core.Device.CPU and h.shares_storage(a)  # already contiguous on the host
    np.testing.assert_array_equal(np.asarray(h), x)
    v = a.transpose([2, 0, 1])  # strided: to_host makes it contiguous
    hv = v.to_host()
    assert hv.is_contiguous() and not hv.shares_storage(a)
    np.testing.assert_array_equal(np.asarray(hv), x.transpose(2, 0, 1))
    d = a.to_device(_core.Device.CPU)
    np.testing.assert_array_equal(np.asarray(d), x)
