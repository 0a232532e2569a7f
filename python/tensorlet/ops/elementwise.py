"""Elementwise ops: binary ops with numpy broadcasting, and unary ops."""

import numpy as np

from tensorlet import _core
from tensorlet.framework import dtypes as _dtypes
from tensorlet.ops import _helpers as h
from tensorlet.ops.registry import apply, op_function, register
from tensorlet.ops.view_ops import cast

# float16 computes in float32 and int8/int16/uint8 in int32 (csrc/dtype.h);
# the generic tests walk them too.
_FLOATS = ("float32", "float64", "float16")
_NUMERIC = ("int32", "int64", "float32", "float64", "float16", "int8", "int16", "uint8")
_ALL = ("bool",) + _NUMERIC


def _binary(name, ref, doc, *, grad=None, dtypes=_NUMERIC, dtype=h.first_dtype, samples=None):
    """Registers a broadcasting binary op and returns its public function."""
    op = register(name, getattr(_core, name), grad=grad, diff=(True, True), shape=h.binary_shape,
                  dtype=dtype, ref=ref, samples=samples or h.binary_samples(), dtypes=dtypes)
    return op_function(op, "x, y, name=None", ("x", "y"), convert=h.pair, doc=doc + "\n\n" + _BINARY_DOC)


def _unary(name, ref, doc, *, grad=None, dtypes=_FLOATS, samples=None):
    """Registers a unary op and returns its public function."""
    op = register(name, getattr(_core, name), grad=grad, diff=(True,), shape=h.same_shape,
                  dtype=h.first_dtype, ref=ref, samples=samples or h.unary_samples(), dtypes=dtypes)
    return op_function(op, "x, name=None", ("x",), convert=h.to_tensor, doc=doc + "\n\n" + _UNARY_DOC)


_BINARY_DOC = """Args:
    x: a Tensor, Variable, numpy array or Python value.
    y: the same; broadcast against ``x`` with numpy's rules.
    name: ignored; accepted for TensorFlow compatibility.

Returns:
    A Tensor of the broadcast shape.

Raises:
    InvalidArgumentError: if the shapes do not broadcast, or ``x`` and ``y``
        are tensors of different dtypes (there is no implicit promotion).
    TypeError: if the op is not defined for the dtype."""

_UNARY_DOC = """Args:
    x: a Tensor, Variable, numpy array or Python value.
    name: ignored; accepted for TensorFlow compatibility.

Returns:
    A Tensor of the same shape and dtype.

Raises:
    TypeError: if the op is not defined for the dtype."""


def _cmp(name, ref, doc):
    return _binary(name, ref, doc, dtypes=_ALL if name in ("equal", "not_equal") else _NUMERIC,
                   dtype=h.bool_dtype)


# ---- the ops: each with its gradient, written in tensorlet ops (so it is
# differentiable too). Binary gradients may keep the broadcast shape: the tape
# sums them back. Two functions (one per input) where the two gradients cost
# separate ops, so a tape skips the gradient of a constant operand.


def _mask(cond, like):
    return cast(cond, like.dtype)


def _pow_grad(dy, inputs, attrs, out):
    x, y = inputs
    positive = _mask(greater(x, 0), x)
    safe_log = log(x * positive + (1 - positive)) * positive  # log(x) where x > 0, else 0
    return dy * y * pow(x, y - 1), dy * out * safe_log


def _max_grad(dy, inputs, attrs, out):
    m = _mask(greater_equal(inputs[0], inputs[1]), dy)
    return dy * m, dy * (1 - m)


def _min_grad(dy, inputs, attrs, out):
    m = _mask(less_equal(inputs[0], inputs[1]), dy)
    return dy * m, dy * (1 - m)


# ---- binary ----------------------------------------------------------------
add = _binary("add", np.add, "Returns x + y element-wise.", grad=lambda dy, i, a, o: (dy, dy))
subtract = _binary("subtract", np.subtract, "Returns x - y element-wise.",
                   grad=(lambda dy, i, a, o: dy, lambda dy, i, a, o: negative(dy)))
multiply = _binary("multiply", np.multiply, "Returns x * y element-wise.",
                   grad=(lambda dy, i, a, o: dy * i[1], lambda dy, i, a, o: dy * i[0]))
divide = _binary("divide", np.true_divide,
                 "Returns x / y element-wise (true division: integer inputs give float64).",
                 samples=h.binary_samples(-2.0, 2.0, 1.0, 2.0), dtypes=_NUMERIC[:5],
                 dtype=lambda dts, attrs: dts[0] if dts[0].is_floating else _dtypes.float64 if dts[0].size >= 4
                 else _dtypes.float32,
                 grad=(lambda dy, i, a, o: dy / i[1], lambda dy, i, a, o: negative(dy) * i[0] / square(i[1])))
floordiv = _binary("floor_div", np.floor_divide, "Returns floor(x / y) element-wise.",
                   samples=h.binary_samples(-5.0, 5.0, 1.0, 3.0))
floormod = _binary("mod", np.mod, "Returns x mod y element-wise, with the sign of y (Python's %).",
                   samples=h.binary_samples(-5.0, 5.0, 1.0, 3.0),
                   grad=(lambda dy, i, a, o: dy, lambda dy, i, a, o: negative(dy) * floor(i[0] / i[1])))
pow = _binary("pow", np.power, "Returns x ** y element-wise.", samples=h.binary_samples(0.5, 2.0, 0.0, 3.0),
              grad=_pow_grad)
maximum = _binary("maximum", np.maximum, "Returns max(x, y) element-wise.", grad=_max_grad)
minimum = _binary("minimum", np.minimum, "Returns min(x, y) element-wise.", grad=_min_grad)

equal = _cmp("equal", np.equal, "Returns the truth of x == y element-wise (bool).")
not_equal = _cmp("not_equal", np.not_equal, "Returns the truth of x != y element-wise (bool).")
less = _cmp("less", np.less, "Returns the truth of x < y element-wise (bool).")
less_equal = _cmp("less_equal", np.less_equal, "Returns the truth of x <= y element-wise (bool).")
greater = _cmp("greater", np.greater, "Returns the truth of x > y element-wise (bool).")
greater_equal = _cmp("greater_equal", np.greater_equal, "Returns the truth of x >= y element-wise (bool).")
logical_and = _binary("logical_and", np.logical_and, "Returns x AND y element-wise (bool inputs).",
                      dtypes=("bool",))
logical_or = _binary("logical_or", np.logical_or, "Returns x OR y element-wise (bool inputs).", dtypes=("bool",))

# ---- unary -----------------------------------------------------------------


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x):
    return np.logaddexp(0.0, x).astype(x.dtype)


_pos = h.unary_samples(0.1, 3.0)
negative = _unary("negative", np.negative, "Returns -x element-wise.", dtypes=_NUMERIC,
                  grad=lambda dy, i, a, o: (negative(dy),))
abs = _unary("abs", np.abs, "Returns |x| element-wise.", dtypes=_NUMERIC, grad=lambda dy, i, a, o: (dy * sign(i[0]),))
sign = _unary("sign", np.sign, "Returns -1, 0 or 1 by the sign of x, element-wise.", dtypes=_NUMERIC)
square = _unary("square", np.square, "Returns x * x element-wise.", dtypes=_NUMERIC,
                grad=lambda dy, i, a, o: (dy * 2 * i[0],))
sqrt = _unary("sqrt", np.sqrt, "Returns the square root of x element-wise.", samples=_pos,
              grad=lambda dy, i, a, o: (dy * 0.5 / o,))
rsqrt = _unary("rsqrt", lambda x: 1 / np.sqrt(x), "Returns 1 / sqrt(x) element-wise.", samples=_pos,
               grad=lambda dy, i, a, o: (dy * -0.5 * o * o * o,))
exp = _unary("exp", np.exp, "Returns e ** x element-wise.", grad=lambda dy, i, a, o: (dy * o,))
log = _unary("log", np.log, "Returns the natural logarithm of x element-wise.", samples=_pos,
             grad=lambda dy, i, a, o: (dy / i[0],))
log1p = _unary("log1p", np.log1p, "Returns log(1 + x) element-wise.", samples=h.unary_samples(-0.9, 3.0),
               grad=lambda dy, i, a, o: (dy / (1 + i[0]),))
sin = _unary("sin", np.sin, "Returns sin(x) element-wise.", grad=lambda dy, i, a, o: (dy * cos(i[0]),))
cos = _unary("cos", np.cos, "Returns cos(x) element-wise.", grad=lambda dy, i, a, o: (negative(dy) * sin(i[0]),))
tanh = _unary("tanh", np.tanh, "Returns tanh(x) element-wise.", grad=lambda dy, i, a, o: (dy * (1 - o * o),))
sigmoid = _unary("sigmoid", _sigmoid, "Returns 1 / (1 + exp(-x)) element-wise.",
                 grad=lambda dy, i, a, o: (dy * o * (1 - o),))
# relu's gradient is an op of its own, so second-order gradients go through it.
relu_grad_op = register(
    "relu_grad", _core.relu_grad, grad=lambda ddx, i, a, out: (None, apply(relu_grad_op, (i[0], ddx))),
    diff=(False, True), shape=lambda shapes, attrs: tuple(shapes[0]), dtype=lambda dts, attrs: dts[1],
    ref=lambda x, dy: np.where(x > 0, dy, 0).astype(dy.dtype),
    samples=lambda rng, dt: [((h.sample_values(rng, s, dt), h.sample_values(rng, s, dt)), ()) for s in h.UNARY_SHAPES],
    dtypes=("int32", "float32", "float64"))
relu = _unary("relu", lambda x: np.maximum(x, 0).astype(x.dtype), "Returns max(x, 0) element-wise.",
              dtypes=_NUMERIC, grad=lambda dy, i, a, o: (apply(relu_grad_op, (i[0], dy)),))
softplus = _unary("softplus", _softplus, "Returns log(1 + exp(x)) element-wise, without overflow.",
                  grad=lambda dy, i, a, o: (dy * sigmoid(i[0]),))
reciprocal = _unary("reciprocal", lambda x: 1 / x, "Returns 1 / x element-wise.", samples=_pos,
                    grad=lambda dy, i, a, o: (negative(dy) * o * o,))
floor = _unary("floor", np.floor, "Returns the largest integer not greater than x, element-wise.")
ceil = _unary("ceil", np.ceil, "Returns the smallest integer not less than x, element-wise.")
round = _unary("round", np.round, "Rounds x to the nearest integer element-wise, halves to even.")
logical_not = _unary("logical_not", np.logical_not, "Returns NOT x element-wise (bool input).", dtypes=("bool",))

