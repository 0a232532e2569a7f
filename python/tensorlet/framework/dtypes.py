"""Element types: ``tensorlet.float32`` and friends."""

import numpy as np

from tensorlet import _core


try:  # numpy has no bfloat16; ml_dtypes (installed with TensorFlow or JAX) adds one
    from ml_dtypes import bfloat16 as _np_bfloat16
except ImportError:
    _np_bfloat16 = None

_LIMITS = {"bfloat16": (-3.3895313892515355e38, 3.3895313892515355e38)}


class DType:
    """A tensor element type, comparable with other DTypes and numpy dtypes.

    float16 and bfloat16 are stored in two bytes and computed in float32;
    int8, int16 and uint8 are computed in int32 and wrap to their width.
    bfloat16 values reach numpy as ``ml_dtypes.bfloat16`` when ml_dtypes is
    installed, else as float32. Complex dtypes are host (CPU) tensors.

    Attributes:
        name: ``'float32'``, ``'int64'``, ...
        as_numpy_dtype: the matching numpy scalar type.
        is_floating, is_integer, is_complex, is_bool, is_unsigned: the dtype's family.
        size, itemsize: bytes per element.
    """

    __slots__ = ("name", "as_numpy_dtype", "core", "is_floating", "is_integer", "is_bool", "is_complex",
                 "is_unsigned", "size")

    def __init__(self, name, np_type, core, size=None):
        self.name = name
        self.as_numpy_dtype = np_type
        self.core = core
        self.is_floating = name.startswith(("float", "bfloat"))
        self.is_integer = name.startswith(("int", "uint"))
        self.is_complex = name.startswith("complex")
        self.is_unsigned = name.startswith("uint") or name == "bool"
        self.is_bool = name == "bool"
        self.size = size or np.dtype(np_type).itemsize

    itemsize = property(lambda self: self.size)
    base_dtype = property(lambda self: self)
    is_numpy_compatible = property(lambda self: self.name != "bfloat16" or _np_bfloat16 is not None)

    @property
    def real_dtype(self):
        """float32 for complex64, float64 for complex128, the dtype itself otherwise."""
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    def _limit(self, i):
        if self.name in _LIMITS:
            return _LIMITS[self.name][i]
        if self.is_bool or self.name == "string":
            raise TypeError(f"tf.{self.name} has no min or max")
        info = np.finfo if (self.is_floating or self.is_complex) else np.iinfo
        return getattr(info(self.as_numpy_dtype), ("min", "max")[i])

    min = property(lambda self: self._limit(0), doc="The smallest finite value of the dtype.")
    max = property(lambda self: self._limit(1), doc="The largest finite value of the dtype.")

    def __repr__(self):
        return f"tf.{self.name}"

    def __str__(self):  # print(t.dtype), as TensorFlow prints it
        return f"<dtype: '{self.name}'>"

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


_C = _core.DType
bool_ = DType("bool", np.bool_, _C.bool)
int32 = DType("int32", np.int32, _C.int32)
int64 = DType("int64", np.int64, _C.int64)
float32 = DType("float32", np.float32, _C.float32)
float64 = DType("float64", np.float64, _C.float64)
float16 = DType("float16", np.float16, _C.float16)
bfloat16 = DType("bfloat16", _np_bfloat16 or np.float32, _C.bfloat16, size=2)
int8 = DType("int8", np.int8, _C.int8)
int16 = DType("int16", np.int16, _C.int16)
uint8 = DType("uint8", np.uint8, _C.uint8)
complex64 = DType("complex64", np.complex64, _C.complex64)
complex128 = DType("complex128", np.complex128, _C.complex128)
# Strings are host tensors held by numpy (framework/strings.py); no kernel sees them.
string = DType("string", np.object_, None, size=8)
double, half = float64, float16

_ALL = (bool_, int32, int64, float32, float64, float16, bfloat16, int8, int16, uint8, complex64, complex128)
_BY_NAME = {d.name: d for d in _ALL + (string,)}
_BY_NAME.update(float="float32", double="float64", int="int32", long="int64", half="float16", complex="complex128",
                cfloat="complex64", cdouble="complex128", str="string", bytes="string")
_BY_CORE = {d.core: d for d in _ALL}
_BY_NP = {np.dtype(d.as_numpy_dtype): d for d in _ALL if d is not bfloat16 or _np_bfloat16 is not None}


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
    elif value is complex:
        return complex128
    elif value in (str, bytes):
        return string
    elif isinstance(value, _core.DType):
        return _BY_CORE[value]
    elif value is not None:  # numpy reads None as float64; TensorFlow refuses it
        try:
            npd = np.dtype(value)
        except TypeError:
            npd = None
        d = None if npd is None else _BY_NP.get(npd) or (string if npd.kind in "SUO" else None)
        if d is not None:
            return d
    raise TypeError(
        f"Cannot convert {value!r} to a tensorlet dtype; supported dtypes are "
        "bool, int8, int16, int32, int64, uint8, float16, bfloat16, float32, float64, complex64, complex128 "
        "and string"
    )


_BY_CODE = tuple(_BY_CORE[_core.DType(i)] for i in range(len(_ALL))) + (string,)  # code 12: a string tensor


def from_code(code):
    """Returns the DType for an ``Array.dtype_code`` (the hot path's lookup)."""
    return _BY_CODE[code]


def from_core(core_dtype):
    """Returns the DType for a ``_core.DType`` (the hot path's lookup)."""
    return _BY_CORE[core_dtype]
