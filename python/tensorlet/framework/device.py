"""Device placement, as TensorFlow's: new tensors and variables go to the GPU
when there is one, else the CPU, and ``tensorlet.device`` scopes choose
another. Ops run where their inputs are; the kernels raise when inputs of one
op are on different devices."""

import re

from tensorlet import _core
from tensorlet.framework.errors import InvalidArgumentError

_NAME = re.compile(r"^(?:/job:[^/]+)?(?:/replica:\d+)?(?:/task:\d+)?/?"
                   r"(?:(?:physical_)?device:)?([A-Za-z]+)(?::(\d+))?$")


def _parse(name):
    m = _NAME.match(str(name).strip())
    kind = m and m.group(1).upper()
    if kind not in ("CPU", "GPU"):
        raise InvalidArgumentError(f"device: {name!r} is not a device specification such as '/CPU:0', '/GPU:0' "
                                   "or '/job:localhost/replica:0/task:0/device:CPU:0'")
    if m.group(2) not in (None, "0"):
        raise InvalidArgumentError(f"device: {name!r} names device {m.group(2)}; tensorlet uses one device of "
                                   "each kind (:0)")
    # Soft placement, as TensorFlow's default: a GPU scope on a machine
    # without one places on the CPU.
    if kind == "GPU" and _core.device_available(_core.Device.GPU):
        return _core.Device.GPU
    return _core.Device.CPU


class device:
    """Places the tensors and variables created in the block on a device.

    Ops run where their inputs are; a GPU scope on a machine without a GPU
    places on the CPU (TensorFlow's soft placement).

    Args:
        device_name: ``'/CPU:0'``, ``'/GPU:0'``, ``'GPU'``, or a full name such
            as ``'/job:localhost/replica:0/task:0/device:GPU:0'``; None or
            ``''`` leaves the placement as it is.

    Returns:
        A context manager; scopes nest and are per thread.

    Raises:
        InvalidArgumentError: (a ValueError) for a name that is not a CPU or
            GPU device, or names a device index other than 0.
    """

    def __init__(self, device_name):
        self._target = None if device_name is None or device_name == "" else _parse(device_name)
        self._previous = []

    def __enter__(self):
        self._previous.append(_core.default_device())
        if self._target is not None:
            _core.set_default_device(self._target)
        return self

    def __exit__(self, *exc):
        _core.set_default_device(self._previous.pop())
        return False
