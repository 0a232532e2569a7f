"""Tensor's Python operators, as one-line aliases of the registered ops."""

from tensorlet.framework.tensor import Tensor
from tensorlet.ops import array_ops
from tensorlet.ops import elementwise as ew
from tensorlet.ops.linalg_ops import matmul as _matmul


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
Tensor.__getitem__ = array_ops.getitem
Tensor.T = property(lambda self: array_ops.transpose(self))
