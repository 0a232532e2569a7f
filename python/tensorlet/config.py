"""``tensorlet.config``: the devices tensorlet can see and its thread settings, as ``tf.config``."""

import types as _types

from tensorlet import _core


class PhysicalDevice:
    """A device on this machine, as ``tf.config.PhysicalDevice``.

    Attributes:
        name: ``'/physical_device:CPU:0'``, ``'/physical_device:GPU:0'``, ...
        device_type: ``'CPU'`` or ``'GPU'``.
    """

    __slots__ = ("name", "device_type")

    def __init__(self, name, device_type):
        self.name = name
        self.device_type = device_type

    def __repr__(self):
        return f"PhysicalDevice(name={self.name!r}, device_type={self.device_type!r})"

    def __eq__(self, other):
        return isinstance(other, PhysicalDevice) and (self.name, self.device_type) == (other.name, other.device_type)

    def __hash__(self):
        return hash((self.name, self.device_type))


def list_physical_devices(device_type=None):
    """The devices of ``device_type`` (``'CPU'``, ``'GPU'``; None: all).

    Returns:
        A list of :class:`PhysicalDevice`; the GPU list is empty without CUDA.
    """
    devices = [PhysicalDevice("/physical_device:CPU:0", "CPU")]
    devices += [PhysicalDevice(f"/physical_device:GPU:{i}", "GPU") for i in range(_core.cuda_device_count())]
    if device_type is None:
        return devices
    return [d for d in devices if d.device_type == str(device_type).upper()]


def list_logical_devices(device_type=None):
    """The same devices as :func:`list_physical_devices` (one logical device each)."""
    return list_physical_devices(device_type)


def get_visible_devices(device_type=None):
    """The devices ops may run on (all of them: see :func:`set_visible_devices`)."""
    return list_physical_devices(device_type)


def set_visible_devices(devices, device_type=None):
    """Accepted for compatibility: without CUDA devices there is nothing to hide, so only the arguments are checked."""
    devices = [devices] if isinstance(devices, PhysicalDevice) else list(devices)
    for d in devices:
        if not isinstance(d, PhysicalDevice):
            raise TypeError(f"set_visible_devices: expected PhysicalDevice objects, got {type(d).__name__}")


def _set_intra(num_threads):
    """Sets the threads one op may use; 0 restores the default (all cores)."""
    _core.set_num_threads(int(num_threads))


def _get_intra():
    """The threads one op may use."""
    return _core.get_num_threads()


_inter = [0]


def _set_inter(num_threads):
    """Accepted for compatibility: ops run one at a time, so this has no effect."""
    _inter[0] = int(num_threads)


threading = _types.SimpleNamespace(
    set_intra_op_parallelism_threads=_set_intra,
    get_intra_op_parallelism_threads=_get_intra,
    set_inter_op_parallelism_threads=_set_inter,
    get_inter_op_parallelism_threads=lambda: _inter[0],
)


def _set_memory_growth(device, enable):
    """Accepted for compatibility: tensorlet allocates per tensor."""


def _check_cpu(device, fn):
    name = device if isinstance(device, str) else getattr(device, "name", device)
    if str(name).upper().replace("/PHYSICAL_DEVICE:", "").replace("/DEVICE:", "") not in ("CPU", "CPU:0"):
        raise ValueError(f"{fn}: unknown device {device!r}; this build has only 'CPU' (or 'CPU:0')")


def get_memory_info(device):
    """Host memory used by tensors, as ``tf.config.experimental.get_memory_info``.

    Args:
        device: ``'CPU'`` or ``'CPU:0'``.

    Returns:
        A dict: ``current`` and ``peak`` bytes held by tensors and variables,
        ``cached`` bytes of freed buffers kept for reuse, and ``cache_limit``,
        the most the cache may keep.

    Raises:
        ValueError: for a device other than the CPU.
    """
    _check_cpu(device, "get_memory_info")
    return _core.host_memory_info()


def reset_memory_stats(device):
    """Resets the ``peak`` of :func:`get_memory_info` to the current use."""
    _check_cpu(device, "reset_memory_stats")
    _core.reset_host_peak()


experimental = _types.SimpleNamespace(
    get_memory_info=get_memory_info,
    reset_memory_stats=reset_memory_stats,
    list_physical_devices=list_physical_devices,
    set_memory_growth=_set_memory_growth,
    get_memory_growth=lambda device: False,
)
