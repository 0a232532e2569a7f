"""Tensors made from a shape: fill, zeros, ones (and their _like forms), range, eye."""


import math

import numpy as np

from tensorlet import _core
from tensorlet.framework import dtypes as _dtypes
from tensorlet.framework import symbolic
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.tensor import Tensor
from tensorlet.framework.tensor import tracers as _tracers
from tensorlet.ops import _helpers as h
from tensorlet.ops.registry import apply, op_function, register
from tensorlet.ops.view_ops import _shape_list, broadcast_to, shape

_SCALARS = {}


def _scalar(value, dtype):
    """A cached 0-d tensor of ``value`` in ``dtype`` (zeros and ones are made often)."""
    key = (value, dtype)
    t = _SCALARS.get(key)
    if t is None:
        t = _SCALARS[key] = Tensor._from_array(_core.from_numpy(np.asarray(value, dtype.as_numpy_dtype)))
    return t


def _dims(shape, op):
    dims = _shape_list(shape, op)
    if any(d is not None and d < 0 for d in dims):
        raise InvalidArgumentError(f"{op}: dimensions must be non-negative, got {tuple(dims)}")
    return dims


_fill = register(
    "fill", lambda v, shape, dt: _core.fill(shape, v, dt), grad=lambda dy, inputs, attrs, out: (dy,),
    diff=(True,), shape=lambda shapes, attrs: tuple(attrs[0]), dtype=lambda dts, attrs: _dtypes.from_core(attrs[1]),
    ref=lambda v, shape, dt: np.full(shape, v, _dtypes.from_core(dt).as_numpy_dtype),
    samples=lambda rng, dt: [((h.sample_values(rng, (), dt),), ([2, 3], _dtypes.as_dtype(dt).core)),
                             ((h.sample_values(rng, (), dt),), ([], _dtypes.as_dtype(dt).core)),
                             ((h.sample_values(rng, (), dt),), ([0, 4], _dtypes.as_dtype(dt).core))],
    dtypes=h.ALL_DTYPES)


_fill_with = op_function(_fill, "value, dims, dtype", ("value",), ("dims", "dtype"), name="fill_with")


def fill(dims, value, name=None):
    """Creates a tensor of shape ``dims`` filled with the scalar ``value``.

    Args:
        dims: the shape, a list of non-negative ints (or a 1-D integer tensor).
        value: a scalar; the result has its dtype (Python floats give float32).
        name: ignored.

    Returns:
        A tensor of shape ``dims``.

    Raises:
        InvalidArgumentError: if ``value`` is not a scalar or a dimension is negative.
    """
    value = h.to_tensor(value)
    if value._a.size != 1:
        raise InvalidArgumentError(f"fill: value must be a scalar, got shape {value.shape}")
    return apply(_fill, (value,), _dims(dims, "fill"), value.dtype.core)


def zeros(shape, dtype=_dtypes.float32, name=None):
    """A tensor of ``shape`` (a list of ints, or an int) filled with zeros of ``dtype``."""
    dtype = _dtypes.as_dtype(dtype)
    return _fill_with(_scalar(0, dtype), _dims(shape, "zeros"), dtype.core)


def ones(shape, dtype=_dtypes.float32, name=None):
    """A tensor of ``shape`` (a list of ints, or an int) filled with ones of ``dtype``."""
    dtype = _dtypes.as_dtype(dtype)
    return _fill_with(_scalar(1, dtype), _dims(shape, "ones"), dtype.core)


def _like(input):
    """The shape of ``input`` for a new tensor: a list, or for a symbolic input
    its shape tensor (which knows which dims are unknown)."""
    return shape(input) if symbolic.is_symbolic(input) else list(input._a.shape)


def zeros_like(input, dtype=None, name=None):
    """Zeros with the shape of ``input`` and its dtype (or ``dtype``)."""
    input = h.to_tensor(input)
    return zeros(_like(input), dtype or input.dtype)


def ones_like(input, dtype=None, name=None):
    """Ones with the shape of ``input`` and its dtype (or ``dtype``)."""
    input = h.to_tensor(input)
    return ones(_like(input), dtype or input.dtype)


_RANGE_ORDER = ("int32", "int64", "float32", "float64")


def _range_dtype(value):
    if isinstance(value, Tensor):
        return value.dtype
    if isinstance(value, (np.ndarray, np.generic)):
        return _dtypes.as_dtype(value.dtype)
    if isinstance(value, (bool, np.bool_)):
        return _dtypes.int32
    if isinstance(value, (int, np.integer)):
        return _dtypes.int32 if -(2**31) <= value < 2**31 else _dtypes.int64
    return _dtypes.float32


def _range_shape(shapes, attrs):
    start, limit, delta = attrs[:3]
    return (max(0, math.ceil((limit - start) / delta)) if delta else 0,)


def _creation(name, kernel, shape, ref, attrs):
    return register(name, kernel, shape=shape, dtype=lambda dts, a: _dtypes.from_core(a[-1]),
                    ref=lambda *a: ref(*a[:-1], dtype=_dtypes.from_core(a[-1]).as_numpy_dtype),
                    samples=lambda rng, dt: [((), a + (_dtypes.as_dtype(dt).core,)) for a in attrs],
                    dtypes=("float32", "float64", "int32", "int64"))


_range = _creation("range", _core.arange, _range_shape, np.arange,
                   [(0.0, 5.0, 1.0), (7.0, -2.0, -3.0), (1.0, 1.0, 1.0), (0.5, 2.0, 0.25)])
_eye = _creation("eye", _core.eye, lambda shapes, attrs: tuple(attrs[:2]), np.eye, [(3, 3), (2, 4), (0, 2)])


def range(start, limit=None, delta=1, dtype=None, name="range"):
    """A 1-D tensor of ``start, start + delta, ...`` up to (not including) ``limit``.

    ``range(n)`` counts from 0 to ``n - 1``. Without ``dtype``, the result is
    int32 for Python ints and float32 for Python floats (the widest of the
    arguments' dtypes, as in TensorFlow).

    Args:
        start: the first value (the limit when ``limit`` is None).
        limit: the exclusive upper (lower, for negative ``delta``) bound.
        delta: the step; not zero.
        dtype: the result's dtype.
        name: ignored.

    Returns:
        A 1-D tensor.

    Raises:
        InvalidArgumentError: if ``delta`` is zero.
    """
    if limit is None:
        start, limit = 0, start
    args = (start, limit, delta)
    if dtype is None:
        dtype = max((_range_dtype(a) for a in args), key=lambda d: _RANGE_ORDER.index(d.name))
    dtype = _dtypes.as_dtype(dtype)
    if dtype.is_bool:
        raise TypeError("range: dtype must be integer or floating, got bool")
    for a in args:  # a bound traced in tensorlet.function: a loop of varying length, which the tracer refuses
        if _tracers and isinstance(a, Tensor):
            _tracers[-1].host_read(a, "range()")
    vals = [a.numpy().item() if isinstance(a, Tensor) else np.asarray(a).item() for a in args]
    if dtype.is_integer:
        vals = [int(v) for v in vals]  # TensorFlow casts the arguments to the dtype first
    return apply(_range, (), float(vals[0]), float(vals[1]), float(vals[2]), dtype.core)


def eye(num_rows, num_columns=None, batch_shape=None, dtype=_dtypes.float32, name=None):
    """An identity matrix (ones on the diagonal), optionally repeated over ``batch_shape``.

    Args:
        num_rows: the number of rows.
        num_columns: the number of columns (default ``num_rows``).
        batch_shape: leading dimensions the matrix is repeated over.
        dtype: the element type.
        name: ignored.

    Returns:
        A tensor of shape ``batch_shape + [num_rows, num_columns]``.
    """
    n = int(num_rows)
    m = n if num_columns is None else int(num_columns)
    out = apply(_eye, (), n, m, _dtypes.as_dtype(dtype).core)
    if batch_shape is not None:
        out = broadcast_to(out, _dims(batch_shape, "eye") + [n, m])
    return out
