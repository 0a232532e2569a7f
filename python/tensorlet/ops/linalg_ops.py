"""Linear algebra ops: matrix multiplication."""

import numpy as np

from tensorlet import _core
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.tensor import Tensor
from tensorlet.ops import _helpers as h
from tensorlet.ops.registry import apply, is_tensor, op_function, register



def _matmul_shape(shapes, attrs):
    (a, b), (ta, tb) = shapes, attrs
    a, b = tuple(a), tuple(b)
    if len(a) < 2 or len(b) < 2:
        raise InvalidArgumentError(f"matmul: both operands must have rank >= 2, got shapes {a} @ {b}")
    if ta:
        a = a[:-2] + (a[-1], a[-2])
    if tb:
        b = b[:-2] + (b[-1], b[-2])
    if a[-1] is not None and b[-2] is not None and a[-1] != b[-2]:
        raise InvalidArgumentError(f"matmul: inner dimensions differ: {a} @ {b}")
    batch = h.broadcast_shape(a[:-2], b[:-2], "matmul")
    return batch + (a[-2], b[-1])


def _matmul_ref(a, b, ta, tb):
    if ta:
        a = np.swapaxes(a, -1, -2)
    if tb:
        b = np.swapaxes(b, -1, -2)
    return np.matmul(a, b)


# (a shape, b shape, transpose_a, transpose_b), shapes as stored.
_SAMPLE_SHAPES = [
    ((3, 4), (4, 5), False, False),
    ((4, 3), (4, 5), True, False),
    ((3, 4), (5, 4), False, True),
    ((4, 3), (5, 4), True, True),
    ((1, 4), (4, 3), False, False),
    ((3, 1), (1, 4), False, False),
    ((2, 3, 4), (2, 4, 2), False, False),
    ((2, 3, 4), (4, 2), False, False),
    ((3, 4), (2, 4, 3), False, False),
    ((2, 1, 2, 3), (3, 2, 3), False, True),
    ((2, 4, 3), (1, 4, 2), True, False),
    ((0, 3), (3, 2), False, False),
    ((2, 0), (0, 3), False, False),
    ((13, 37), (37, 40), False, False),
    ((40, 37), (29, 40), True, True),
]


def _matmul_samples(rng, dtype):
    return [((h.sample_values(rng, a, dtype), h.sample_values(rng, b, dtype)), (ta, tb))
            for a, b, ta, tb in _SAMPLE_SHAPES]


# Gradients of op(a) @ op(b), where op transposes when the flag is set, one
# function per input so a constant operand costs no product. For broadcast
# batch axes they have the full batch shape; the tape sums them back to each
# input's shape.
def _matmul_grad_a(dy, inputs, attrs, out):
    a, b = inputs
    ta, tb = attrs
    if ta:
        return apply(_op, [b, dy], tb, True)
    return apply(_op, [dy, b], False, not tb)


def _matmul_grad_b(dy, inputs, attrs, out):
    a, b = inputs
    ta, tb = attrs
    if tb:
        return apply(_op, [dy, a], True, ta)
    return apply(_op, [a, dy], not ta, False)


_MATMUL_DOC = '''Multiplies matrix ``a`` by matrix ``b``, producing ``a @ b``.

Both inputs have rank >= 2; the product is taken over the last two axes
and the leading (batch) axes broadcast with numpy's rules, so a
``(batch, m, k)`` tensor times a ``(k, n)`` matrix gives ``(batch, m, n)``.
Transposition is folded into the multiplication, so the flags cost no copy.

Args:
    a: a Tensor, Variable, numpy array or nested list of float32, float64,
        int32 or int64, of rank >= 2.
    b: the same, of the same dtype as ``a``.
    transpose_a: if True, ``a`` is transposed (its last two axes swapped)
        before the product.
    transpose_b: if True, ``b`` is transposed before the product.
    adjoint_a: if True, ``a`` is conjugated and transposed; for real
        tensors the same as ``transpose_a``.
    adjoint_b: if True, ``b`` is conjugated and transposed.
    name: ignored; accepted for TensorFlow compatibility.

Returns:
    A Tensor of the dtype of ``a`` and shape
    ``broadcast(batch_a, batch_b) + (m, n)``.

Raises:
    InvalidArgumentError: if a rank is below 2, the inner dimensions differ,
        the batch axes do not broadcast, or the dtypes differ.
    TypeError: for a bool tensor.
    ValueError: if both ``transpose_a`` and ``adjoint_a`` (or both
        ``transpose_b`` and ``adjoint_b``) are True.'''

_op = register("matmul", _core.matmul, grad=(_matmul_grad_a, _matmul_grad_b), diff=(True, True), shape=_matmul_shape,
               dtype=h.first_dtype, ref=_matmul_ref, samples=_matmul_samples,
               dtypes=("float32", "float64", "int32", "int64"))


def _matmul_convert(a, b, transpose_a, transpose_b, adjoint_a, adjoint_b):
    if adjoint_a or adjoint_b:
        if (adjoint_a and transpose_a) or (adjoint_b and transpose_b):
            raise ValueError("matmul: only one of transpose_a and adjoint_a (or transpose_b and adjoint_b) "
                             "can be True")
        transpose_a = transpose_a or adjoint_a
        transpose_b = transpose_b or adjoint_b
    if type(a) is not Tensor or type(b) is not Tensor:
        a, b = h.pair(a, b)
    return a, b, bool(transpose_a), bool(transpose_b), False, False


matmul = op_function(
    _op, "a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False, name=None", ("a", "b"),
    ("transpose_a", "transpose_b"), convert=_matmul_convert, doc=_MATMUL_DOC,
    fast=f"{is_tensor('a')} and {is_tensor('b')} and transpose_a is False and transpose_b is False "
         "and adjoint_a is False and adjoint_b is False")
