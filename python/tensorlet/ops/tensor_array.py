"""TensorArray: a list of same-shaped tensors written one at a time (in a
loop) and stacked at the end. Reads and ``stack`` are registered ops, so
gradients flow from the stacked result back to each written tensor."""

from tensorlet.framework import dtypes as _dtypes
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.ops import _helpers as h


class TensorArray:
    """A growable array of tensors of one dtype, as ``tf.TensorArray``.

    ``write`` returns the array, so both ``ta = ta.write(i, x)`` (the
    TensorFlow idiom) and ``ta.write(i, x)`` work.

    Args:
        dtype: the elements' dtype.
        size: the initial number of elements.
        dynamic_size: whether writes past the end grow the array.
        clear_after_read: whether reading an element frees it (a second read raises).
        element_shape: the shape every element must have (None: that of the first write).
        infer_shape: ignored (shapes are always checked).
        name, tensor_array_name: ignored.
    """

    def __init__(self, dtype, size=None, dynamic_size=None, clear_after_read=None, tensor_array_name=None,
                 handle=None, flow=None, infer_shape=True, element_shape=None, colocate_with_first_write_call=True,
                 name=None):
        self._dtype = _dtypes.as_dtype(dtype)
        self._items = [None] * (0 if size is None else int(size))
        self._dynamic = bool(dynamic_size)
        self._clear = True if clear_after_read is None else bool(clear_after_read)
        self._shape = None if element_shape is None else tuple(element_shape)

    @property
    def dtype(self):
        return self._dtype

    @property
    def element_shape(self):
        from tensorlet.framework.tensor_shape import TensorShape

        return None if self._shape is None else TensorShape(self._shape)

    @property
    def dynamic_size(self):
        return self._dynamic

    def size(self, name=None):
        """The number of elements, as a 0-d int32 tensor."""
        from tensorlet.framework.convert import constant

        return constant(len(self._items), _dtypes.int32)

    def _index(self, index, op):
        i = int(index)
        if i < 0 or (i >= len(self._items) and not (op == "write" and self._dynamic)):
            raise InvalidArgumentError(f"TensorArray.{op}: index {i} is out of range for a TensorArray of size "
                                       f"{len(self._items)}" + ("" if self._dynamic or op != "write" else
                                                                 "; create it with dynamic_size=True to grow it"))
        return i

    def write(self, index, value, name=None):
        """Stores ``value`` at ``index``; returns the array.

        Raises:
            InvalidArgumentError: for an index out of range, a second write to
                one index, or a value of another dtype or shape.
        """
        from tensorlet.framework.convert import convert_to_tensor

        i = self._index(index, "write")
        value = value if hasattr(value, "_a") else convert_to_tensor(value, self._dtype)
        if value.dtype != self._dtype:
            raise InvalidArgumentError(f"TensorArray.write: the array holds {self._dtype.name}, got "
                                       f"{value.dtype.name}")
        shape = tuple(value.shape)
        if self._shape is not None and any(a is not None and a != b for a, b in zip(self._shape, shape)) or (
                self._shape is not None and len(self._shape) != len(shape)):
            raise InvalidArgumentError(f"TensorArray.write: elements have shape {self._shape}, got {shape}")
        if i >= len(self._items):
            self._items.extend([None] * (i + 1 - len(self._items)))
        if self._items[i] is not None:
            raise InvalidArgumentError(f"TensorArray.write: index {i} was already written")
        self._shape = shape
        self._items[i] = value
        return self

    def read(self, index, name=None):
        """The element at ``index``.

        Raises:
            InvalidArgumentError: for an index out of range or never written
                (or already read with ``clear_after_read``).
        """
        i = self._index(index, "read")
        value = self._items[i]
        if value is None:
            raise InvalidArgumentError(f"TensorArray.read: index {i} has not been written"
                                       + (" (or was already read: clear_after_read=True)" if self._clear else ""))
        if self._clear:
            self._items[i] = None
        return value

    def _all(self, op):
        from tensorlet.ops.array_ops import zeros

        out = []
        for i, v in enumerate(self._items):
            if v is None:
                if self._shape is None:
                    raise InvalidArgumentError(f"TensorArray.{op}: index {i} has not been written and the "
                                               "element shape is unknown")
                v = zeros(list(self._shape), self._dtype)  # unwritten elements read as zeros, as in TensorFlow
            out.append(v)
        return out

    def stack(self, name=None):
        """All elements stacked along a new first axis."""
        from tensorlet.ops.array_ops import stack, zeros

        if not self._items:
            return zeros([0] + list(self._shape or ()), self._dtype)
        return stack(self._all("stack"), 0)

    def gather(self, indices, name=None):
        """The elements at ``indices``, stacked."""
        from tensorlet.ops.array_ops import stack

        idx = indices.numpy().tolist() if hasattr(indices, "numpy") else list(indices)
        items = self._all("gather")
        return stack([items[self._index(i, "gather")] for i in idx], 0)

    def concat(self, name=None):
        """All elements joined along their first axis."""
        from tensorlet.ops.array_ops import concat

        return concat(self._all("concat"), 0)

    def unstack(self, value, name=None):
        """Fills the array with the slices of ``value`` along its first axis; returns the array."""
        from tensorlet.ops.array_ops import unstack

        parts = unstack(h.to_tensor(value), axis=0)
        if not self._dynamic and self._items and len(parts) > len(self._items):
            raise InvalidArgumentError(f"TensorArray.unstack: {len(parts)} slices do not fit a TensorArray of "
                                       f"size {len(self._items)}")
        self._items = [None] * max(len(self._items), len(parts))
        for i, p in enumerate(parts):
            self.write(i, p)
        return self

    def scatter(self, indices, value, name=None):
        """Writes the slices of ``value`` at ``indices``; returns the array."""
        from tensorlet.ops.array_ops import unstack

        idx = indices.numpy().tolist() if hasattr(indices, "numpy") else list(indices)
        for i, p in zip(idx, unstack(h.to_tensor(value), axis=0)):
            self.write(i, p)
        return self

    def close(self, name=None):
        self._items = []

    def __repr__(self):
        return f"<TensorArray dtype={self._dtype.name} size={len(self._items)}>"
