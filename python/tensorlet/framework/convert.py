"""Conversion of Python values and numpy arrays to tensors, with TensorFlow's
dtype rules: Python floats become float32 and ints int32, numpy arrays keep
their dtype, and a value combined with a tensor adopts the tensor's dtype.
"""

import numbers

import numpy as np

from tensorlet import _core
from tensorlet.framework import dtypes as _dtypes
from tensorlet.framework import strings as _strings
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.tensor import Tensor

_new_tensor = Tensor._from_array
_BF16 = np.dtype(_dtypes.bfloat16.as_numpy_dtype)
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def _numpy(value, to=""):
    """``np.asarray(value)``, refusing what has no tensor form (None, strings,
    ragged or mixed nested lists, objects) with a message that says so."""
    try:
        a = np.asarray(value)
    except (ValueError, TypeError, OverflowError):  # ragged nesting, odd objects
        a = None
    if a is None or a.dtype.kind in "OUSVMm" and a.dtype != _BF16:
        what = ("None" if value is None else "strings" if a is not None and a.dtype.kind in "US"
                else "a ragged or mixed nested list" if isinstance(value, (list, tuple))
                else f"a {type(value).__name__}")
        if a is not None and a.dtype.kind == "O" and a.size and all(isinstance(v, int) for v in a.flat):
            what = "an integer outside the int64 range"
        raise TypeError(f"Cannot convert {short_repr(value)} to a tensor{to}: got {what}; expected numbers, "
                        "booleans or equal-length nested lists of them")
    return a


def short_repr(value):
    r = repr(value)
    return r if len(r) <= 80 else r[:77] + "..."


def _default_numpy(value):
    """A numpy array for a Python value, with TensorFlow's default dtypes (a
    numpy array keeps its own; uint16 and uint32, which tensorlet lacks, widen)."""
    a = _numpy(value)
    kind = a.dtype.kind
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        if kind == "u" and a.dtype.itemsize > 1:
            if a.dtype.itemsize == 8 and a.size and a.max() > np.iinfo(np.int64).max:
                raise TypeError(f"Cannot convert {short_repr(value)} to a tensor: uint64 values above the int64 "
                                "maximum do not fit any tensorlet dtype")
            return a.astype(np.int64 if a.dtype.itemsize >= 4 else np.int32)
        return a
    if kind == "f":
        return a.astype(np.float32)
    if kind == "c":
        return a.astype(np.complex128)
    if kind in "iu":
        if a.size and (a.min() < _INT32_MIN or a.max() > _INT32_MAX):
            return numpy_in_dtype(a, _dtypes.int64)
        return a.astype(np.int32)
    return a


def _from_numpy(a, dtype, device=None):
    """The Array of the ndarray ``a`` of ``dtype``'s numpy type (bfloat16 from
    float32 when numpy has no bfloat16)."""
    arr = _core.from_numpy(a, device)
    return _core.cast(arr, dtype.core) if dtype is _dtypes.bfloat16 and arr.dtype != dtype.core else arr


def numpy_in_dtype(value, dtype):
    """A numpy array of ``value`` in ``dtype``, refusing every lossy
    conversion as TensorFlow does: non-integral or non-finite floats into
    integers, integers out of range, complex values, non-0/1 numbers into
    bool."""
    target = dtype.as_numpy_dtype
    a = _numpy(value, f" of dtype {dtype.name}")
    kind, bad = a.dtype.kind, None
    if kind == "c" and not dtype.is_complex:
        bad = "complex values (use tensorlet.math.real, or a complex dtype)"
    elif dtype.is_integer and kind == "f" and not np.all(np.floor(a) == a):
        bad = "non-integral or non-finite floats (use tensorlet.cast to truncate)"
    elif dtype.is_integer and kind in "iuf" and a.size:
        info = np.iinfo(target)
        if a.min() < info.min or a.max() > info.max:
            bad = f"values out of the {dtype.name} range [{info.min}, {info.max}]"
    elif dtype.is_bool and kind != "b" and a.size and not np.all((a == 0) | (a == 1)):
        bad = "numbers other than 0 and 1"
    if bad is not None:
        raise TypeError(f"Cannot convert {short_repr(value)} to a tensor of dtype {dtype.name}: got {bad}")
    return a.astype(target, copy=False)


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None):
    """Converts a Python value, numpy array or tensor to a Tensor.

    Args:
        value: a Tensor, Variable, numpy array, Python scalar or nested list.
        dtype: the required dtype. A tensor of another dtype is an error (use
            ``tensorlet.cast``); other values are converted to it.
        dtype_hint: a dtype used for Python values when ``dtype`` is None.
        name: ignored; accepted for TensorFlow compatibility.

    Returns:
        A Tensor.

    Raises:
        InvalidArgumentError: if ``value`` is a tensor whose dtype differs from ``dtype``.
        TypeError: if ``value`` cannot be converted.
    """
    if (dtype is not None and _dtypes.as_dtype(dtype) is _dtypes.string) or (
            not isinstance(value, Tensor) and _strings.is_strings(value)):
        if dtype is not None and _dtypes.as_dtype(dtype) is not _dtypes.string:
            raise TypeError(f"Cannot convert {short_repr(value)} to a tensor of dtype {_dtypes.as_dtype(dtype).name}:"
                            " got strings (use tf.strings.to_number to parse them)")
        return value if isinstance(value, Tensor) else _strings.constant(value)
    if isinstance(value, Tensor):
        t = value
        if dtype is not None and _dtypes.as_dtype(dtype) is not t.dtype:
            raise InvalidArgumentError(
                f"convert_to_tensor: tensor of dtype {t.dtype.name} requested as {_dtypes.as_dtype(dtype).name}; "
                "use tensorlet.cast to change dtypes")
        return t
    if dtype is not None or (dtype_hint is not None and not isinstance(value, np.ndarray)):
        d = _dtypes.as_dtype(dtype if dtype is not None else dtype_hint)
        if d is _dtypes.string:  # a hint of string for numbers
            d = _dtypes.as_dtype(_default_numpy(value).dtype)
        return _new_tensor(_from_numpy(numpy_in_dtype(value, d), d))
    return _new_tensor(_core.from_numpy(_default_numpy(value)))


def constant(value, dtype=None, shape=None, name=None):
    """Creates a constant tensor from a Python value or numpy array.

    Args:
        value: a scalar, nested list, numpy array or tensor.
        dtype: the dtype of the result; by default float32 for Python floats,
            int32 for Python ints and the array's own dtype for numpy arrays.
        shape: optional shape; a scalar value is broadcast to it, otherwise the
            value is reshaped to it.
        name: ignored; accepted for TensorFlow compatibility.

    Returns:
        A Tensor.

    Raises:
        TypeError: if the value cannot be converted to ``dtype``.
        InvalidArgumentError: if the value does not fit ``shape``.
    """
    if _strings.is_strings(value) or (dtype is not None and _dtypes.as_dtype(dtype) is _dtypes.string):
        return convert_to_tensor(value, dtype) if shape is None else _strings.constant(value, shape)
    if isinstance(value, Tensor):
        t = convert_to_tensor(value)
        if dtype is not None and _dtypes.as_dtype(dtype) is not t.dtype:
            t = _new_tensor(_core.cast(t._a, _dtypes.as_dtype(dtype).core))
    else:
        t = convert_to_tensor(value, dtype=dtype)
    if shape is not None:
        shape = tuple(int(d) for d in shape)
        if t._a.size == 1 and int(np.prod(shape)) != 1:
            return _new_tensor(t._a.reshape(()).broadcast_to(shape).copy())
        return _new_tensor(t._a.reshape(shape))
    return t


# Python scalars met in expressions (x * 2, 1 - p) are converted once per dtype.
# Tensors are immutable, so sharing them is safe; the cache is bounded.
_SCALARS = {}
_SCALAR_TYPES = (float, int, bool)


def convert_like(value, like):
    """Converts ``value`` to a tensor in the dtype of the tensor ``like``
    and on its device (how a Python scalar or numpy array combines with a tensor)."""
    if isinstance(value, Tensor):
        return value
    if like._a.dtype_code == 12:  # a string tensor
        return convert_to_tensor(value, _dtypes.string)
    if type(value) in _SCALAR_TYPES:
        key = (like._a.kind_code, type(value), value)
        t = _SCALARS.get(key)
        if t is None:
            if len(_SCALARS) > 4096:
                _SCALARS.clear()
            t = _SCALARS[key] = _new_tensor(_from_numpy(numpy_in_dtype(value, like.dtype), like.dtype, like._a.device))
        return t
    if isinstance(value, numbers.Number) or isinstance(value, (list, tuple, np.ndarray, np.generic)):
        return _new_tensor(_from_numpy(numpy_in_dtype(value, like.dtype), like.dtype, like._a.device))
    return convert_to_tensor(value)


def is_tensor(x):
    """Whether ``x`` is a tensorlet Tensor or Variable."""
    return isinstance(x, Tensor)
