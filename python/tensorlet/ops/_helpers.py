"""Shared pieces of op definitions: input conversion, shape rules and sample
inputs for the generic tests."""

import numpy as np

from tensorlet.framework import dtypes as _dtypes
from tensorlet.framework.convert import convert_like, convert_to_tensor
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.tensor import Tensor


ALL_DTYPES = ("float32", "float64", "int32", "int64", "bool")


def to_tensor(x):
    """``x`` itself when it is a Tensor or Variable (so tapes see the variable),
    else its conversion to a tensor."""
    if isinstance(x, Tensor):
        return x
    return convert_to_tensor(x)


def host_numbers(x, op, what, integer=False):
    """``x`` as a numpy array for host-side composites, or a TypeError naming
    ``op`` when it does not hold real numbers (integers, with ``integer``)."""
    t = to_tensor(x)
    ok = t.dtype.is_integer if integer else (t.dtype.is_integer or t.dtype.is_floating or t.dtype.is_bool)
    if not ok:
        kind = "an integer" if integer else "a real-valued"
        raise TypeError(f"{op}: {what} must be {kind} tensor, got {t.dtype.name}")
    return np.asarray(t.numpy())


def pair(x, y):
    """Converts two operands; a non-tensor adopts the dtype of the tensor."""
    if isinstance(x, Tensor):
        return x, convert_like(y, x)
    if isinstance(y, Tensor):
        return convert_like(x, y), y
    x = convert_to_tensor(x)
    return x, convert_like(y, x)


def normalize_axes(axis, ndim, op):
    """A sorted tuple of non-negative axes from None, an int or a sequence."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, Tensor):
        axis = axis.numpy().tolist()
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise InvalidArgumentError(f"{op}: axis {a} is out of range for a tensor of rank {ndim}")
        a = a % ndim if ndim else 0
        if a in out:
            raise InvalidArgumentError(f"{op}: axis {a} is repeated in {axis}")
        out.append(a)
    return tuple(sorted(out))


# ---- shape and dtype rules (tuples of dims; None is an unknown dim) --------

def broadcast_shape(a, b, op="broadcast"):
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + tuple(a)
    b = (1,) * (n - len(b)) + tuple(b)
    out = []
    for da, db in zip(a, b):
        if da == 1:
            out.append(db)
        elif db == 1 or db == da:
            out.append(da)
        elif da is None or db is None:
            out.append(da if db is None else db)
        else:
            raise InvalidArgumentError(f"{op}: shapes {a} and {b} cannot be broadcast together")
    return tuple(out)


def same_shape(shapes, attrs):
    return tuple(shapes[0])


def binary_shape(shapes, attrs):
    return broadcast_shape(shapes[0], shapes[1])


def first_dtype(dtypes, attrs):
    return dtypes[0]


def bool_dtype(dtypes, attrs):
    return _dtypes.bool_


# ---- sample inputs for the generic tests -----------------------------------

BINARY_SHAPES = [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((4, 1), (1, 5)), ((), (3,)), ((2, 3), ()),
                 ((), ()), ((0, 3), (1, 3)), ((2, 1, 3), (4, 1))]
UNARY_SHAPES = [(3, 4), (2, 3, 5), (), (0,), (7,)]


def sample_values(rng, shape, dtype, lo=-2.0, hi=2.0):
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype.startswith("int"):
        return rng.integers(int(lo), int(hi) + 1, size=shape).astype(dtype)
    return rng.uniform(lo, hi, size=shape).astype(dtype)


def binary_samples(lo=-2.0, hi=2.0, lo_b=None, hi_b=None):
    lo_b = lo if lo_b is None else lo_b
    hi_b = hi if hi_b is None else hi_b

    def samples(rng, dtype):
        return [((sample_values(rng, a, dtype, lo, hi), sample_values(rng, b, dtype, lo_b, hi_b)), ())
                for a, b in BINARY_SHAPES]

    return samples


def unary_samples(lo=-2.0, hi=2.0):
    def samples(rng, dtype):
        return [((sample_values(rng, s, dtype, lo, hi),), ()) for s in UNARY_SHAPES]

    return samples
