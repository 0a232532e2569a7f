"""Symbolic tensors: a shape (None for an unknown dim) and a dtype, no values.

Keras learns a layer's output shape by running its ``call`` on symbolic
tensors. They are ordinary :class:`Tensor` objects whose array is a
:class:`SymbolicArray`; a kernel refuses it, and the op path then computes
the output from the op's registered shape and dtype rules instead
(``registry.apply``). A small integer tensor computed from shapes
(``tf.shape(x)``, and slices of it) also carries its partly known value, so
``tf.shape(x)[0]`` can size a new tensor with an unknown dim.
"""

import math

import numpy as np

from tensorlet import _core
from tensorlet.framework.tensor import Tensor


class SymbolicValueError(TypeError):
    """Raised when the values of a symbolic tensor are read."""


class SymbolicArray:
    """Stands in for a ``_core.Array``: shape, dtype, no storage.

    Attributes:
        shape: a tuple of ints, None for an unknown dim.
        dtype, dtype_code: the ``_core`` dtype and its code, as an Array's.
        value: for a tensor computed from shapes, an object ndarray of its
            values (None where unknown); else None.
    """

    __slots__ = ("shape", "dtype", "dtype_code", "value")
    symbolic = True  # how printing tells it from an Array

    def __init__(self, shape, dtype, value=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtype.core
        self.dtype_code = int(dtype.core)
        self.value = value

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return None if None in self.shape else math.prod(self.shape)

    @property
    def device(self):
        return _core.default_device()  # where a constant mixed in (x * 2.0) is made

    @property
    def kind_code(self):
        return self.dtype_code | int(self.device) << 8

    def shares_storage(self, other):
        return False

    def is_contiguous(self):
        return True

    def copy(self):
        return self

    contiguous = copy

    def __getattr__(self, name):
        # An Array method a kernel calls (index, broadcast_to ...): a TypeError,
        # as the C++ kernels raise, sends the op to its shape rules. Protocol
        # probes (numpy's __array_struct__ ...) get the usual AttributeError.
        if name.startswith("__"):
            raise AttributeError(name)
        raise TypeError(f"a symbolic tensor has no storage ({name})")

    def __array__(self, dtype=None, copy=None):
        v = self.value
        if v is None or any(x is None for x in v.flat):
            raise SymbolicValueError(f"a symbolic tensor of shape {_text(self.shape)} has no values "
                                     "(it stands for any input of that shape)")
        return v.astype(dtype or np.int64)


def tensor(shape, dtype, value=None):
    """A symbolic tensor of ``shape`` (None dims allowed) and ``dtype``."""
    return Tensor._from_array(SymbolicArray(shape, dtype, value))


def is_symbolic(x):
    return isinstance(x, Tensor) and type(x._a) is SymbolicArray


def dim(d):
    """An int from ``d`` (an int or a 0-d tensor), or None for an unknown dim."""
    if is_symbolic(d):
        v = d._a.value
        return None if v is None or v.ndim else v[()]
    return int(d)


def value_of(x):
    """The values of ``x`` as an ndarray (object dtype, None where unknown),
    or None when they are unknown altogether."""
    if is_symbolic(x):
        return x._a.value
    return np.asarray(x._a)


def _text(shape):
    return "(" + ", ".join(str(d) for d in shape) + (",)" if len(shape) == 1 else ")")
