"""Device placement, as TensorFlow's: new tensors and variables go to the GPU
when there is one, else the CPU, and ``tensorlet.device`` scopes choose
another. Ops run where their inputs are; the kernels raise when inputs of one
op are on different devices."""

import contextlib
import re

from tensorlet import _core

_NAME = re.compile(r"^(?:/job:[^/]+)?(?:/replica:\d+)?(?:/task:\d+)?/?(?:(?:physical_)?device:)?([A-Za-z]+)(?::(\d+))?$")


def _parse(name):
    m = _NAME.match(str(name).strip())
    kind = m and m.group(1).upper()
    if kind not in ("CPU", "GPU"):
        raise ValueError(f"device: unknown device {name!r}; expected '/CPU:0' or '/GPU:0'")
    if m.group(2) not in (None, "0"):
        raise ValueError(f"device: {name!r} names device {m.group(2)}; tensorlet uses one device of each kind (:0)")
    return _core.Device.GPU if kind == "GPU" else _core.Device.CPU


@contextlib.contextmanager
def device(device_name):
    """Places the tensors and variables created in the block on a device.

    Args:
        device_name: ``'/CPU:0'``, ``'/GPU:0'``, ``'GPU'``, or a full name such
            as ``'/job:localhost/replica:0/task:0/device:GPU:0'``; None or
            ``''`` leaves the placement as it is.

    Returns:
        A context manager; scopes nest and are per thread.

    Raises:
        ValueError: for a name that is not a CPU or GPU device.
        InvalidArgumentError: for a device this machine does not have.
    """
    if device_name is None or device_name == "":
        yield
        return
    target = _parse(device_name)
    previous = _core.default_device()
    _core.set_default_device(target)
    try:
        yield
    finally:
        _core.set_default_device(previous)
