"""Tensor's Python operators, as one-line aliases of the registered ops, and
Variable's reading, slicing and assignment methods, which are ops too."""

from tensorlet.framework.tensor import Tensor
from tensorlet.framework.variable import Variable, VariableSlice
from tensorlet.ops import state_ops, view_ops
from tensorlet.ops import elementwise as ew
from tensorlet.ops.linalg_ops import matmul as _matmul
from tensorlet.ops.registry import op_function


def _reflect(fn):
    return lambda self, other: fn(other, self)


_BINARY = {
    "add": ew.add, "sub": ew.subtract, "mul": ew.multiply, "truediv": ew.divide,
    "floordiv": ew.floordiv, "mod": ew.floormod, "pow": ew.pow,
}
for _name, _fn in _BINARY.items():
    setattr(Tensor, f"__{_name}__", _fn)
    setattr(Tensor, f"__r{_name}__", _reflect(_fn))

Tensor.__matmul__ = _matmul
Tensor.__rmatmul__ = _reflect(_matmul)
Tensor.__eq__ = ew.equal
Tensor.__ne__ = ew.not_equal
Tensor.__lt__ = ew.less
Tensor.__le__ = ew.less_equal
Tensor.__gt__ = ew.greater
Tensor.__ge__ = ew.greater_equal
Tensor.__and__ = ew.logical_and
Tensor.__rand__ = _reflect(ew.logical_and)
Tensor.__or__ = ew.logical_or
Tensor.__ror__ = _reflect(ew.logical_or)
Tensor.__invert__ = ew.logical_not
Tensor.__neg__ = ew.negative
Tensor.__abs__ = ew.abs
Tensor.__pos__ = lambda self: self
# __eq__ is elementwise, so tensors hash by identity as in TensorFlow.
Tensor.__hash__ = object.__hash__
Tensor.__getitem__ = view_ops.getitem
Tensor.T = property(lambda self: view_ops.transpose(self))


# ---- Variable: reading, slicing and assignment are ops -------------------------

def _new_slice(a):
    s = object.__new__(VariableSlice)
    s._a = a.copy()  # a snapshot: later assignments do not change it
    return s


_read_slice = op_function(view_ops._index, "var, items", ("var",), ("items",), new=_new_slice, name="read_slice")


def _variable_getitem(self, key):
    """``v[key]``: a snapshot tensor of the slice that can also assign to it
    (``v[0, :].assign(...)``, ``assign_add``, ``assign_sub``)."""
    items = view_ops._index_items(key)
    s = _read_slice(self, items)
    s._var, s._items = self, items
    return s


def _read_value(self):
    """Returns the current value as a new Tensor (a snapshot; gradients flow to the variable)."""
    return view_ops.identity(self)


def _slice_method(fn):
    """``fn(ref, value, items)`` as a method of VariableSlice."""
    def method(self, value, use_locking=None, name=None, read_value=True):
        return fn(self._var, value, self._items)
    method.__name__ = method.__qualname__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


Variable.__getitem__ = _variable_getitem
Variable.read_value = Variable.value = _read_value
for _fn in (state_ops.assign, state_ops.assign_add, state_ops.assign_sub):
    setattr(Variable, _fn.__name__, state_ops.variable_method(_fn))
    setattr(VariableSlice, _fn.__name__, _slice_method(_fn))
