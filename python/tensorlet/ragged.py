"""``tensorlet.ragged`` (as ``tf.ragged``): RaggedTensor, rows of different lengths.

A RaggedTensor is ``values`` (a Tensor, or a RaggedTensor for deeper
nesting) cut into rows by ``row_splits``: row ``i`` is
``values[row_splits[i]:row_splits[i + 1]]``. Elementwise math maps over
``flat_values`` (so it is differentiable there); ``to_tensor`` pads to a
dense tensor with scatter_nd.
"""

import operator

import numpy as np

import tensorlet as tf
from tensorlet.framework.errors import InvalidArgumentError

__all__ = ["RaggedTensor", "constant", "map_flat_values"]


class RaggedTensor:
    """Rows of different lengths; build one with :func:`constant` or the ``from_*`` class methods."""

    def __init__(self, values, row_splits, _checked=False):
        self._values, self._row_splits = values, row_splits
        if not _checked:
            s = row_splits.numpy()
            n = values.shape[0] if isinstance(values, tf.Tensor) else values.nrows_int()
            if s.ndim != 1 or not len(s) or s[0] != 0 or (np.diff(s) < 0).any() or s[-1] != n:
                raise InvalidArgumentError(f"RaggedTensor: row_splits {s.tolist()} must start at 0, never decrease "
                                           f"and end at the number of values ({n})")

    # ---- construction --------------------------------------------------------
    @classmethod
    def from_row_splits(cls, values, row_splits, name=None, validate=True):
        """Rows ``values[row_splits[i]:row_splits[i + 1]]``."""
        values = values if isinstance(values, (tf.Tensor, RaggedTensor)) else tf.convert_to_tensor(values)
        return cls(values, tf.cast(tf.convert_to_tensor(row_splits), "int64"))

    @classmethod
    def from_row_lengths(cls, values, row_lengths, name=None, validate=True):
        """Consecutive rows of the given lengths."""
        lengths = np.asarray(row_lengths.numpy() if hasattr(row_lengths, "numpy") else row_lengths, np.int64)
        return cls.from_row_splits(values, np.concatenate([[0], np.cumsum(lengths)]))

    @classmethod
    def from_value_rowids(cls, values, value_rowids, nrows=None, name=None, validate=True):
        """Rows given by each value's (non-decreasing) row id."""
        ids = np.asarray(value_rowids.numpy() if hasattr(value_rowids, "numpy") else value_rowids, np.int64)
        n = int(nrows) if nrows is not None else (int(ids.max()) + 1 if ids.size else 0)
        return cls.from_row_lengths(values, np.bincount(ids, minlength=n))

    # ---- structure -----------------------------------------------------------
    values = property(lambda self: self._values)
    row_splits = property(lambda self: self._row_splits)

    @property
    def flat_values(self):
        v = self._values
        return v.flat_values if isinstance(v, RaggedTensor) else v

    @property
    def ragged_rank(self):
        return 1 + (self._values.ragged_rank if isinstance(self._values, RaggedTensor) else 0)

    @property
    def dtype(self):
        return self.flat_values.dtype

    @property
    def shape(self):
        inner = self._values.shape[1:]
        return tf.TensorShape((self.nrows_int(), None) + tuple(inner))

    @property
    def ndim(self):
        return len(self.shape)

    def nrows_int(self):
        return self._row_splits.shape[0] - 1

    def nrows(self, out_type="int64", name=None):
        return tf.constant(self.nrows_int(), out_type)

    def row_lengths(self, axis=1, name=None):
        s = self._row_splits
        return s[1:] - s[:-1]

    def with_flat_values(self, new_values):
        """The same row structure over ``new_values`` (of ``flat_values``' leading size)."""
        inner = self._values.with_flat_values(new_values) if isinstance(self._values, RaggedTensor) else new_values
        return RaggedTensor(inner, self._row_splits, _checked=True)

    # ---- reading -------------------------------------------------------------
    def __getitem__(self, key):
        if isinstance(key, tuple):
            head, rest = key[0], key[1:]
            out = self[head]
            return out[rest] if rest and not isinstance(head, slice) else out
        s = self._row_splits.numpy()
        if isinstance(key, (int, np.integer)):
            i = int(key) + (self.nrows_int() if key < 0 else 0)
            if not 0 <= i < self.nrows_int():
                raise IndexError(f"RaggedTensor: row {key} is out of range for {self.nrows_int()} rows")
            return self._values[int(s[i]):int(s[i + 1])]
        if isinstance(key, slice):
            rows = range(*key.indices(self.nrows_int()))
            if key.step not in (None, 1):
                raise NotImplementedError("RaggedTensor: slices with a step are not supported")
            lo, hi = (int(s[rows.start]), int(s[rows.stop])) if len(rows) else (0, 0)
            return RaggedTensor(self._values[lo:hi], tf.constant(s[rows.start:rows.stop + 1] - lo if len(rows)
                                                                  else [0], "int64"), _checked=True)
        raise TypeError(f"RaggedTensor indices must be ints, slices or tuples of them, got {type(key).__name__}")

    def to_tensor(self, default_value=None, name=None, shape=None):
        """A dense tensor, rows padded at the end with ``default_value`` (0).

        Args:
            default_value: the padding value.
            shape: an optional shape to pad (or truncate) to; None entries
                take the longest row.
        """
        inner = self._values.to_tensor(default_value) if isinstance(self._values, RaggedTensor) else self._values
        s = self._row_splits.numpy()
        lengths = np.diff(s)
        width = int(lengths.max()) if lengths.size else 0
        if shape is not None and shape[1] is not None:
            width = int(shape[1])
        rows = np.repeat(np.arange(len(lengths)), lengths)
        cols = np.arange(int(s[-1])) - np.repeat(s[:-1], lengths)
        keep = cols < width
        if inner.dtype == "string":  # host values: pad with numpy
            out = np.full([len(lengths), width] + list(inner.shape[1:]), default_value or b"", object)
            out[rows[keep], cols[keep]] = inner.numpy()[keep]
            return tf.constant(out)
        idx = np.stack([rows[keep], cols[keep]], 1).astype(np.int64)
        kept = tf.gather(inner, np.flatnonzero(keep)) if not keep.all() else inner
        out_shape = [len(lengths), width] + list(inner.shape[1:])
        dense = tf.scatter_nd(idx, kept, out_shape)
        if default_value is not None and default_value != 0:
            filled = tf.scatter_nd(idx, tf.ones_like(kept), out_shape)
            dense = dense + (1 - filled) * default_value
        return dense

    def to_list(self):
        s = self._row_splits.numpy()
        inner = self._values.to_list() if isinstance(self._values, RaggedTensor) else self._values.numpy().tolist()
        return [inner[s[i]:s[i + 1]] for i in range(len(s) - 1)]

    def numpy(self):
        """An object array of rows (numpy arrays), as TensorFlow's RaggedTensor.numpy()."""
        out = np.empty(self.nrows_int(), object)
        for i in range(self.nrows_int()):
            row = self[i]
            out[i] = row.numpy()
        return out

    def __array__(self, *args, **kwargs):
        raise TypeError("A RaggedTensor has rows of different lengths, so it is not one array: use "
                        "rt.to_tensor() (padded), rt.flat_values, or tf.ragged.map_flat_values(fn, rt)")

    def __repr__(self):
        return f"<tf.RaggedTensor {self.to_list()}>"

    def __str__(self):
        return repr(self)

    def __len__(self):
        return self.nrows_int()

    # ---- elementwise math ----------------------------------------------------
    def _map(self, fn, other=None, reflected=False):
        if other is None:
            return self.with_flat_values(fn(self.flat_values))
        if isinstance(other, RaggedTensor):
            if self.to_list_structure() != other.to_list_structure():
                raise InvalidArgumentError("RaggedTensor: elementwise operands must have the same row lengths")
            other = other.flat_values
        elif np.ndim(other.numpy() if hasattr(other, "numpy") else other) != 0:
            raise InvalidArgumentError("RaggedTensor: elementwise math takes a scalar or a RaggedTensor of the same "
                                       "row lengths")
        a, b = (other, self.flat_values) if reflected else (self.flat_values, other)
        return self.with_flat_values(fn(a, b))

    def to_list_structure(self):
        splits = [self._row_splits.numpy().tolist()]
        v = self._values
        while isinstance(v, RaggedTensor):
            splits.append(v._row_splits.numpy().tolist())
            v = v._values
        return splits


def _binary(fn):
    return (lambda self, other: self._map(fn, other), lambda self, other: self._map(fn, other, reflected=True))


for _name, _fn in (("add", operator.add), ("sub", operator.sub), ("mul", operator.mul), ("truediv", operator.truediv),
                   ("pow", operator.pow), ("floordiv", operator.floordiv), ("mod", operator.mod)):
    _f, _r = _binary(_fn)
    setattr(RaggedTensor, f"__{_name}__", _f)
    setattr(RaggedTensor, f"__r{_name}__", _r)
for _name, _fn in (("lt", operator.lt), ("le", operator.le), ("gt", operator.gt), ("ge", operator.ge)):
    setattr(RaggedTensor, f"__{_name}__", _binary(_fn)[0])
RaggedTensor.__neg__ = lambda self: self._map(operator.neg)
RaggedTensor.__abs__ = lambda self: self._map(abs)


def constant(pylist, dtype=None, ragged_rank=None, inner_shape=None, name=None, row_splits_dtype="int64"):
    """A RaggedTensor from nested Python lists: ``tf.ragged.constant([[1, 2], [3]])``.

    Every level of nesting but the innermost values is ragged unless
    ``ragged_rank`` says fewer (the rest must then be uniform).

    Raises:
        ValueError: for mixed nesting depths or non-uniform uniform levels.
    """
    def depth(x):
        if isinstance(x, (list, tuple)):
            ds = {depth(v) for v in x}
            if len(ds) > 1:
                raise ValueError(f"ragged.constant: all values must be nested to one depth, got {pylist!r}")
            return 1 + (ds.pop() if ds else 0)
        return 0

    total = depth(pylist)
    if total < 2:
        raise ValueError("ragged.constant: needs at least two levels of nesting (a list of rows)")
    ragged_rank = total - 1 if ragged_rank is None else int(ragged_rank)
    if not 1 <= ragged_rank < total:
        raise ValueError(f"ragged.constant: ragged_rank must be in [1, {total - 1}], got {ragged_rank}")
    splits, level = [], list(pylist)
    for _ in range(ragged_rank):
        lengths = [len(row) for row in level]
        splits.append(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64))
        level = [v for row in level for v in row]
    try:
        flat = np.asarray(level)
    except ValueError:
        raise ValueError(f"ragged.constant: the levels below ragged_rank={ragged_rank} must be uniform") from None
    if flat.dtype == object:
        raise ValueError(f"ragged.constant: the levels below ragged_rank={ragged_rank} must be uniform")
    # From the Python values, so ints become int32 and floats float32, as in TensorFlow.
    values = tf.constant(flat.tolist() if flat.size else np.zeros(flat.shape, np.float32), dtype=dtype)
    for s in reversed(splits):
        values = RaggedTensor(values, tf.constant(s, "int64"))
    return values


def map_flat_values(op, *args, **kwargs):
    """``op`` applied to the flat values of the RaggedTensor arguments (which must share row lengths)."""
    rts = [a for a in list(args) + list(kwargs.values()) if isinstance(a, RaggedTensor)]
    if not rts:
        raise ValueError("map_flat_values: needs at least one RaggedTensor argument")
    first = rts[0]
    if any(r.to_list_structure() != first.to_list_structure() for r in rts[1:]):
        raise InvalidArgumentError("map_flat_values: the RaggedTensors must have the same row lengths")
    flat = lambda a: a.flat_values if isinstance(a, RaggedTensor) else a  # noqa: E731
    return first.with_flat_values(op(*[flat(a) for a in args], **{k: flat(v) for k, v in kwargs.items()}))
