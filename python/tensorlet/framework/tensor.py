"""Tensor: an immutable n-dimensional array backed by a ``_core.Array``.

Operators (``+``, ``@``, ``<`` ...) are attached by :mod:`tensorlet.ops` as
one-line aliases of the registered ops, so this file holds only what is
particular to the tensor object itself.
"""

import numpy as np

from tensorlet import _core
from tensorlet.framework import dtypes as _dtypes
from tensorlet.framework.tensor_shape import TensorShape

_BY_CODE = _dtypes._BY_CODE

# Active tracers of ``tensorlet.function`` (innermost last). Reading a traced
# tensor's value on the host (``bool``, ``float``, ``numpy``...) would freeze
# it into the graph, so the tracer is asked first (``host_read``).
tracers = []


class Tensor:
    """An immutable multi-dimensional array, as ``tf.Tensor``.

    Create tensors with ``tensorlet.constant``, ``tensorlet.ones`` and the
    other creation functions, or as the result of ops; the constructor is not
    public.
    """

    __slots__ = ("_a", "_keras_mask", "__weakref__")  # _keras_mask: set by Keras layers that mask timesteps
    __array_priority__ = 100

    def __init__(self, *args, **kwargs):
        raise TypeError("Tensors are created with tensorlet.constant(...) or tensorlet.convert_to_tensor(...)")

    @classmethod
    def _from_array(cls, array):
        t = object.__new__(Tensor)
        t._a = array
        return t

    # ---- properties -------------------------------------------------------
    @property
    def shape(self):
        """The tensor's shape, a :class:`TensorShape` that prints as ``(2, 1)``."""
        return TensorShape(self._a.shape)

    @property
    def dtype(self):
        """The element type, a :class:`tensorlet.DType`."""
        return _BY_CODE[self._a.dtype_code]

    @property
    def ndim(self):
        return self._a.ndim

    @property
    def device(self):
        return "/job:localhost/replica:0/task:0/device:" + self._a.device.name + ":0"

    def get_shape(self):
        return self.shape

    # ---- numpy interop ----------------------------------------------------
    def numpy(self):
        """Returns a copy of the values as a numpy array (a numpy scalar for 0-d)."""
        if tracers:
            tracers[-1].host_read(self, "numpy()")
        a = np.array(self._a, copy=True)
        if self._a.dtype_code == 6:  # bfloat16 leaves the buffer as float32
            a = a.astype(_BY_CODE[6].as_numpy_dtype)
        return a[()] if a.ndim == 0 else a

    def __array__(self, dtype=None, copy=None):
        if tracers:
            tracers[-1].host_read(self, "a numpy conversion")
        a = np.asarray(self._a)  # zero-copy, read-only view of the storage
        if dtype is None and self._a.dtype_code == 6:
            dtype = _BY_CODE[6].as_numpy_dtype
        if dtype is not None and a.dtype != dtype:
            return a.astype(dtype)
        if copy:
            return a.copy()
        return a

    # ---- Python protocols --------------------------------------------------
    def _scalar(self, kind):
        if tracers:
            tracers[-1].host_read(self, kind + "()")
        if self._a.size != 1:
            raise TypeError(f"only tensors with one element can be converted to Python {kind}s, "
                            f"got shape {self.shape}")
        return np.asarray(self._a).reshape(()).item()

    def __float__(self):
        return float(self._scalar("float"))

    def __int__(self):
        return int(self._scalar("int"))

    def __index__(self):
        if not self.dtype.is_integer or self._a.ndim != 0:
            raise TypeError(f"only 0-d integer tensors can be used as an index, got {self.dtype.name} "
                            f"with shape {self.shape}")
        return int(self._scalar("int"))

    def __bool__(self):
        if self._a.size != 1:
            raise ValueError(f"The truth value of a tensor with shape {self.shape} is ambiguous; "
                             "use tensorlet.reduce_any or tensorlet.reduce_all")
        return bool(self._scalar("bool"))

    def __len__(self):
        if self._a.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._a.shape[0]

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(self._a.shape[0]):
            yield self[i]

    def __format__(self, spec):
        if self._a.ndim == 0:
            return format(np.asarray(self._a)[()], spec)
        return format(str(self), spec)

    def __setitem__(self, key, value):
        raise TypeError(f"'{type(self).__name__}' object does not support item assignment")

    def __hash__(self):
        return id(self)

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        return (_from_numpy, (self.numpy(),))

    # ---- printing ----------------------------------------------------------
    def __str__(self):
        return f"tf.Tensor({_numpy_text(self._a, False)}, shape={self.shape}, dtype={self.dtype.name})"

    def __repr__(self):
        return f"<tf.Tensor: shape={self.shape}, dtype={self.dtype.name}, numpy={_numpy_text(self._a, True)}>"


def _from_numpy(a):
    """A tensor of the ndarray ``a`` (how a pickled tensor is restored)."""
    return Tensor._from_array(_core.from_numpy(np.asarray(a)))


def _numpy_text(array, is_repr):
    """numpy's own text for the values, on a new line when it spans several."""
    if getattr(array, "symbolic", False):
        return "<symbolic: no values>"
    a = np.asarray(array)
    if a.ndim == 0:
        text = str(a[()])
    else:
        text = repr(a) if is_repr else str(a)
    return "\n" + text if "\n" in text else text
