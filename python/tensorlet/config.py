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
        return f"{type(self).__name__}(name={self.name!r}, device_type={self.device_type!r})"

    def __eq__(self, other):
        return type(other) is type(self) and (self.name, self.device_type) == (other.name, other.device_type)

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


class LogicalDevice(PhysicalDevice):
    """A device ops are placed on, as ``tf.config.LogicalDevice``: ``name`` is
    ``'/device:CPU:0'`` (what ``tf.device`` takes), ``device_type`` ``'CPU'`` or ``'GPU'``."""

    __slots__ = ()


def list_logical_devices(device_type=None):
    """The logical devices of ``device_type`` (one for each physical device), as
    :class:`LogicalDevice` objects named ``'/device:CPU:0'``, ``'/device:GPU:0'``..."""
    return [LogicalDevice(d.name.replace("/physical_device:", "/device:"), d.device_type)
            for d in list_physical_devices(device_type)]


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


def _memory_device(device, fn):
    """'CPU' or 'GPU' for a device name such as 'GPU:0' or '/physical_device:CPU:0'."""
    name = device if isinstance(device, str) else getattr(device, "name", device)
    kind = str(name).upper().replace("/PHYSICAL_DEVICE:", "").replace("/DEVICE:", "")
    if kind in ("CPU", "CPU:0"):
        return "CPU"
    if kind in ("GPU", "GPU:0") and _core.cuda_device_count():
        return "GPU"
    have = "'CPU:0' or 'GPU:0'" if _core.cuda_device_count() else "only 'CPU' (or 'CPU:0')"
    raise ValueError(f"{fn}: unknown device {device!r}; this machine has {have}")


def get_memory_info(device):
    """Memory used by tensors on a device, as ``tf.config.experimental.get_memory_info``.

    Args:
        device: ``'CPU:0'`` or ``'GPU:0'`` (``'CPU'``, ``'GPU'`` too).

    Returns:
        A dict: ``current`` and ``peak`` bytes held by tensors and variables,
        and ``cached`` bytes of freed buffers kept for reuse; on the CPU also
        ``cache_limit``, the most the cache may keep, and on the GPU
        ``reused``, the allocations served from the cache so far.

    Raises:
        ValueError: for a device this machine does not have.
    """
    if _memory_device(device, "get_memory_info") == "GPU":
        return _core.gpu_memory_info()
    return _core.host_memory_info()


def reset_memory_stats(device):
    """Resets the ``peak`` of :func:`get_memory_info` to the current use."""
    if _memory_device(device, "reset_memory_stats") == "GPU":
        _core.reset_gpu_peak()
    else:
        _core.reset_host_peak()


def enable_tensor_float_32_execution(enabled):
    """Lets float32 matmuls on the GPU use TensorFloat-32 tensor cores.

    Off by default (unlike TensorFlow): inputs are then rounded to 10-bit
    mantissas, so products carry a relative error of about 1e-3 instead of
    about 1e-6, in exchange for several times the speed.

    Args:
        enabled: bool.
    """
    _core.set_tensor_float_32(bool(enabled))


def tensor_float_32_execution_enabled():
    """Whether float32 matmuls on the GPU may use TensorFloat-32 (see
    :func:`enable_tensor_float_32_execution`)."""
    return _core.tensor_float_32()


experimental = _types.SimpleNamespace(
    get_memory_info=get_memory_info,
    reset_memory_stats=reset_memory_stats,
    list_physical_devices=list_physical_devices,
    set_memory_growth=_set_memory_growth,
    get_memory_growth=lambda device: False,
    enable_tensor_float_32_execution=enable_tensor_float_32_execution,
    tensor_float_32_execution_enabled=tensor_float_32_execution_enabled,
)


def run_functions_eagerly(run_eagerly):
    """Makes every ``tensorlet.function`` run its Python body on each call instead
    of a traced graph (for debugging: prints and breakpoints run every time)."""
    from tensorlet.function.polymorphic import Function

    Function._run_eagerly = bool(run_eagerly)


def functions_run_eagerly():
    """Whether :func:`run_functions_eagerly` is on."""
    from tensorlet.function.polymorphic import Function

    return Function._run_eagerly
