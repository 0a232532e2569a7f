"""Variable: a tensor whose storage can be updated in place.

A Variable is a :class:`Tensor` whose ``_a`` is its own storage, so every op
accepts it directly (reading its current value) and a gradient tape sees the
variable object itself as the op's input. ``assign``, ``assign_add`` and
``assign_sub`` (registered ops of ``ops/state_ops.py``) write into that
storage with C++ kernels, also through a slice (``v[0, :].assign(...)``); no
new buffer is allocated per update.
"""

import weakref

import numpy as np

from tensorlet import _core
from tensorlet.framework.convert import constant, convert_like, numpy_in_dtype
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.tensor import Tensor, _numpy_text, tracers
from tensorlet.framework.tensor_shape import TensorShape

_name_counts = {}


# Every variable alive, so a trace that must not change state can restore them.
live = weakref.WeakSet()


def _unique_name(base):
    """``'Variable'``, then ``'Variable_1'``... as TensorFlow names variables."""
    n = _name_counts.get(base, 0)
    _name_counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


class Variable(Tensor):
    """A mutable tensor, as ``tf.Variable``.

    It acts as a tensor wherever one is accepted (ops, operators, numpy,
    printing, indexing), reading its current value, and changes only through
    :meth:`assign`, :meth:`assign_add` and :meth:`assign_sub`, also on slices:
    ``v[0, 0].assign(3.)``. Trainable variables read inside a
    ``GradientTape`` are watched automatically.

    Args:
        initial_value: a Tensor, numpy array, Python scalar or nested list, or
            a callable taking no arguments that returns one.
        trainable: whether gradient tapes watch the variable automatically.
        name: the name's base; made unique as ``'name:0'``, ``'name_1:0'``...
        dtype: the variable's dtype; the initial value is converted to it.
        shape: the expected shape (None dims allowed, which also let
            ``assign`` change that dim); by default the initial value's shape.
        constraint: an optional function applied to the variable by
            optimizers after each update (kept as ``v.constraint``).
        validate_shape, caching_device, synchronization, aggregation:
            accepted for TensorFlow compatibility; ignored.

    Raises:
        InvalidArgumentError: if the initial value does not fit ``shape``.
        TypeError: if the initial value cannot be converted to ``dtype``.
    """

    __slots__ = ("_name", "_trainable", "_shape_spec", "_version", "constraint")

    def __init__(self, initial_value=None, trainable=True, name=None, dtype=None, shape=None, constraint=None,
                 validate_shape=True, caching_device=None, synchronization=None, aggregation=None):
        if initial_value is None:
            raise ValueError("Variable: initial_value is required")
        if callable(initial_value):
            initial_value = initial_value()
        value = constant(initial_value, dtype=dtype)
        self._a = value._a.copy()  # own storage, never shared with the initial value
        self._trainable = bool(trainable)
        self._version = 0  # counts assignments, so tapes can tell a value they recorded has changed
        self.constraint = constraint
        self._shape_spec = self._a.shape if shape is None else tuple(TensorShape(shape))
        if not _fits(self._a.shape, self._shape_spec):
            raise InvalidArgumentError(f"Variable: initial value of shape {TensorShape(self._a.shape)} does not "
                                       f"fit the shape {TensorShape(self._shape_spec)}")
        self._name = _unique_name(name.split(":")[0] if name else "Variable") + ":0"
        live.add(self)
        if tracers:
            tracers[-1].creating(self)

    # ---- attributes -------------------------------------------------------
    @property
    def name(self):
        """The unique name, ``'Variable:0'``, ``'W_1:0'``..."""
        return self._name

    @property
    def trainable(self):
        """Whether gradient tapes watch this variable when it is read."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)


    def __array__(self, dtype=None, copy=None):
        # A copy: a view would change under later assignments.
        if tracers:
            tracers[-1].host_read(self, "a numpy conversion")
        a = np.array(self._a, copy=True)
        return a if dtype is None or a.dtype == dtype else a.astype(dtype)

    # ``read_value``/``value``, ``assign``, ``assign_add``, ``assign_sub`` and
    # ``__getitem__`` are ops, attached in tensorlet/ops/operators.py.

    def _operand(self, value, op):
        """``value`` as a tensor of this variable's dtype, not sharing its storage."""
        if isinstance(value, Tensor):
            if value.dtype is not self.dtype:
                raise InvalidArgumentError(f"{op}: variable '{self._name}' has dtype {self.dtype.name} but the "
                                           f"value has dtype {value.dtype.name}; use tensorlet.cast")
            if value._a.shares_storage(self._a):
                return Tensor._from_array(value._a.copy())
            return value
        if type(value) in (float, int, bool):  # v.assign_add(1): the cached scalar of expressions
            return convert_like(value, self)
        return Tensor._from_array(_core.from_numpy(numpy_in_dtype(value, self.dtype), self._a.device))

    def __setitem__(self, key, value):
        raise TypeError("'Variable' object does not support item assignment; use v[key].assign(value)")

    # ---- copying and printing ---------------------------------------------
    def __deepcopy__(self, memo):
        return Variable(self.numpy(), trainable=self._trainable, name=self._name.split(":")[0])

    def __reduce__(self):
        return (Variable, (np.array(self._a, copy=True), self._trainable, self._name.split(":")[0]))

    def __repr__(self):
        return (f"<tf.Variable '{self._name}' shape={self.shape} dtype={self.dtype.name}, "
                f"numpy={_numpy_text(self._a, True)}>")

    __str__ = __repr__


class VariableSlice(Tensor):
    """``variable[key]``: a tensor holding the slice's value when it was taken,
    with ``assign``, ``assign_add`` and ``assign_sub`` writing into the
    variable's storage (attached in tensorlet/ops/operators.py). Each returns
    the variable."""

    __slots__ = ("_var", "_items")


def _fits(shape, spec):
    if spec is None:
        return True
    return len(shape) == len(spec) and all(s is None or s == d for d, s in zip(shape, spec))


def _items_text(items):
    def one(k):
        if isinstance(k, slice):
            return ":".join("" if p is None else str(p) for p in (k.start, k.stop)) + (
                f":{k.step}" if k.step is not None else "")
        return "..." if k is Ellipsis else ("None" if k is None else str(k))

    return "[" + ", ".join(one(k) for k in items) + "]"

