"""TensorSpec: the shape (``None`` for unknown dims) and dtype a tensor should have."""

import numpy as np

from tensorlet.framework import dtypes as _dtypes
from tensorlet.framework.tensor_shape import TensorShape


class TensorSpec:
    """Describes a tensor: ``TensorSpec(shape=(None, 3), dtype=tf.float32)``.

    Args:
        shape: a shape; ``None`` entries match any size.
        dtype: the dtype (float32 by default).
        name: an optional name.
    """

    __slots__ = ("_shape", "_dtype", "_name")

    def __init__(self, shape, dtype=_dtypes.float32, name=None):
        self._shape = TensorShape(shape)
        # Text has no tensor dtype yet: datasets of strings name it "string".
        self._dtype = dtype if dtype == "string" else _dtypes.as_dtype(dtype)
        self._name = name

    @classmethod
    def from_tensor(cls, tensor, name=None):
        """The spec of ``tensor`` (its shape and dtype)."""
        return cls(tensor.shape, tensor.dtype, name)

    shape = property(lambda self: self._shape)
    dtype = property(lambda self: self._dtype)
    name = property(lambda self: self._name)

    def is_compatible_with(self, spec_or_tensor):
        """Whether a tensor (or spec) has this dtype and a shape this spec admits."""
        other = spec_or_tensor
        dtype = getattr(other, "dtype", None)
        if dtype is not None and self._dtype != "string":
            if getattr(dtype, "kind", None) in ("U", "S", "O") or _dtypes.as_dtype(dtype) != self._dtype:
                return False
        shape = other.shape if hasattr(other, "shape") else np.shape(other)
        return self._shape.is_compatible_with(TensorShape(tuple(shape)))

    def __eq__(self, other):
        return (isinstance(other, TensorSpec) and tuple(self._shape) == tuple(other._shape)
                and self._dtype == other._dtype and self._name == other._name)

    def __hash__(self):
        return hash((tuple(self._shape), str(self._dtype), self._name))

    def __repr__(self):
        return f"TensorSpec(shape={self._shape}, dtype={self._dtype!r}, name={self._name!r})"
