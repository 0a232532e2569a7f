"""``tensorlet.device`` (as ``tf.device``): a device scope."""

import re

from tensorlet import _core
from tensorlet.framework.errors import InvalidArgumentError, UnimplementedError

_SPEC = re.compile(r"^(/job:[^/]+)?(/replica:\d+)?(/task:\d+)?(/?(device:)?(?P<type>cpu|gpu):(?P<index>\d+|\*))?$",
                   re.IGNORECASE)


class device:
    """``with tf.device('/CPU:0'):`` runs the block's ops on that device.

    Every op runs on the CPU in this build. A GPU spec on a machine without
    a GPU falls back to the CPU, as TensorFlow's soft placement does; with a
    GPU present, placing ops on it by scope is not implemented yet and raises.

    Raises:
        InvalidArgumentError: for a malformed device string.
        UnimplementedError: for a GPU scope on a machine with a GPU.
    """

    def __init__(self, device_name):
        name = "" if device_name is None else str(device_name)
        m = _SPEC.match(name)
        if m is None:
            raise InvalidArgumentError(f"device: {device_name!r} is not a device specification such as "
                                       "'/CPU:0', '/GPU:0' or '/job:localhost/replica:0/task:0/device:CPU:0'")
        if (m.group("type") or "").lower() == "gpu" and _core.cuda_device_count():
            raise UnimplementedError("device: placing ops on a GPU with a device scope is not implemented yet")
        self.name = name

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
