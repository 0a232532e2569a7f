"""Element types: ``tensorlet.float32`` and friends."""

import numpy as np

from tensorlet import _core


class DType:
    """A tensor element type, comparable with other DTypes and numpy dtypes.

    Attributes:
        name: ``'float32'``, ``'int64'``, ...
        as_numpy_dtype: the matching numpy scalar type.
        is_floating, is_integer, is_bool: the dtype's family.
    """

    __slots__ = ("name", "as_numpy_dtype", "core", "is_floating", "is_integer", "is_bool", "size")

    def __init__(self, name, np_type, core):
        self.name = name
        self.as_numpy_dtype = np_type
        self.core = core
        self.is_floating = name.startswith("float")
        self.is_integer = name.startswith("int")
        self.is_bool = name == "bool"
        self.size = np.dtype(np_type).itemsize

    @property
    def base_dtype(self):
        return self

    @property
    def min(self):
        return np.finfo(self.as_numpy_dtype).min if self.is_floating else np.iinfo(self.as_numpy_dtype).min

    @property
    def max(self):
        return np.finfo(self.as_numpy_dtype).max if self.is_floating else np.iinfo(self.as_numpy_dtype).max

    def __repr__(self):
        return f"tf.{self.name}"

    def __eq__(self, other):
        if other is self:
            return True
        try:
            return as_dtype(other) is self
        except (TypeError, ValueError):
            return False

    def __hash__(self):
        return hash(self.name)

    def __reduce__(self):
        return (as_dtype, (self.name,))


bool_ = DType("bool", np.bool_, _core.DType.bool)
int32 = DType("int32", np.int32, _core.DType.int32)
int64 = DType("int64", np.int64, _core.DType.int64)
float32 = DType("float32", np.float32, _core.DType.float32)
float64 = DType("float64", np.float64, _core.DType.float64)
double = float64

_ALL = (bool_, int32, int64, float32, float64)
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update(float="float32", double="float64", int="int32", long="int64")
_BY_CORE = {d.core: d for d in _ALL}
_BY_NP = {np.dtype(d.as_numpy_dtype): d for d in _ALL}


def as_dtype(value):
    """Converts a DType, name, numpy dtype or Python type to a tensorlet DType.

    Args:
        value: ``tf.float32``, ``'float32'``, ``np.float32``, ``np.dtype('f4')``,
            ``float``, ``int`` or ``bool``.

    Returns:
        The DType.

    Raises:
        TypeError: if ``value`` names no dtype tensorlet supports.
    """
    if isinstance(value, DType):
        return value
    if isinstance(value, str):
        d = _BY_NAME.get(value)
        if isinstance(d, str):
            d = _BY_NAME[d]
        if d is not None:
            return d
    elif value is float:
        return float32
    elif value is int:
        return int32
    elif value is bool:
        return bool_
    elif isinstance(value, _core.DType):
        return _BY_CORE[value]
    elif value is not None:  # numpy reads None as float64; TensorFlow refuses it
        try:
            d = _BY_NP.get(np.dtype(value))
        except TypeError:
            d = None
        if d is not None:
            return d
    raise TypeError(
        f"Cannot convert {value!r} to a tensorlet dtype; supported dtypes are "
        "bool, int32, int64, float32 and float64"
    )


_BY_CODE = tuple(_BY_CORE[_core.DType(i)] for i in range(len(_ALL)))


def from_code(code):
    """Returns the DType for an ``Array.dtype_code`` (the hot path's lookup)."""
    return _BY_CODE[code]


def from_core(core_dtype):
    """Returns the DType for a ``_core.DType`` (the hot path's lookup)."""
    return _BY_CORE[core_dtype]
