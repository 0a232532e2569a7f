"""Reductions (sum, mean, max, min, prod, any, all over any axes) and
argmax/argmin, plus composites built from them (logsumexp, variance, std,
count_nonzero)."""

import warnings

import numpy as np

from tensorlet import _core
from tensorlet.framework import dtypes as _dtypes
from tensorlet.framework.tensor import Tensor, tracers as _tracers
from tensorlet.ops import _helpers as h
from tensorlet.ops import elementwise as ew
from tensorlet.ops.creation_ops import eye
from tensorlet.ops.registry import apply, register
from tensorlet.ops.view_ops import _broadcast_to, cast, reshape, stop_gradient, transpose

_NUMERIC = ("int32", "int64", "float32", "float64", "float16", "int8", "int16")


# ---- rules, references and samples ----------------------------------------------

def _reduce_shape(shapes, attrs):
    axes, keepdims = attrs
    return tuple(1 if i in axes else d for i, d in enumerate(shapes[0]) if keepdims or i not in axes)


def _np_reduce(fn, **kw):
    def ref(a, axes, keepdims):
        return np.asarray(fn(a, axis=tuple(axes), keepdims=keepdims, **kw)).astype(a.dtype)
    return ref


def _np_typed(fn):
    """numpy reduction in the input's own dtype (integer sums wrap)."""
    def ref(a, axes, keepdims):
        return np.asarray(fn(a, axis=tuple(axes), keepdims=keepdims, dtype=a.dtype))
    return ref


def _np_extreme(fn, float_init, int_info):
    def ref(a, axes, keepdims):
        init = float_init if a.dtype.kind == "f" else int_info(np.iinfo(a.dtype))
        return np.asarray(fn(a, axis=tuple(axes), keepdims=keepdims, initial=init)).astype(a.dtype)
    return ref


def _np_mean(a, axes, keepdims):
    axes = tuple(axes)
    if a.dtype.kind == "f":
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return np.asarray(np.mean(a, axis=axes, keepdims=keepdims, dtype=np.float64)).astype(a.dtype)
    n = max(int(np.prod([a.shape[i] for i in axes])), 1)
    s = np.sum(a.astype(np.int64), axis=axes, keepdims=keepdims)
    return np.asarray(np.sign(s) * (np.abs(s) // n)).astype(a.dtype)  # truncates toward zero


_SAMPLE_CASES = [((3, 4), [1], False), ((3, 4), [0], True), ((2, 3, 4), [0, 2], False), ((2, 3, 4), [1], True),
                 ((2, 3, 4), [], False), ((2, 3, 4), [0, 1, 2], False), ((), [], True), ((5,), [0], False),
                 ((0, 3), [0], False), ((0, 3), [1], True), ((2, 1, 3), [1, 2], False)]


def _samples(extra=()):
    def samples(rng, dtype):
        out = [((h.sample_values(rng, s, dtype),), (axes, k)) for s, axes, k in _SAMPLE_CASES]
        return out + [((np.asarray(a, dtype),), attrs) for a, attrs in extra]
    return samples


# ---- gradients (in tensorlet ops, so they are differentiable again) -----------

def _kept(x, axes):
    """x's shape with the reduced axes set to 1: dy reshaped to it broadcasts back."""
    return [1 if i in axes else d for i, d in enumerate(x._a.shape)]


def _sum_grad(dy, inputs, attrs, out):
    x = inputs[0]
    axes, keepdims = attrs
    if not keepdims and len(axes) < x._a.ndim:  # a full reduction's dy broadcasts as it is
        dy = reshape(dy, _kept(x, axes))
    return (apply(_broadcast_to, (dy,), list(x._a.shape)),)


def _mean_grad(dy, inputs, attrs, out):
    x, axes = inputs[0], attrs[0]
    n = 1
    for a in axes:
        n *= x._a.shape[a]
    # Dividing before broadcasting divides dy's elements, not x's.
    return _sum_grad(dy / float(max(n, 1)), inputs, attrs, out)


def _extreme_grad(dy, inputs, attrs, out):
    # dy goes to the positions holding the extreme value, split evenly on ties.
    x, axes = inputs[0], attrs[0]
    kept = _kept(x, axes)
    mask = cast(ew.equal(x, reshape(out, kept)), x.dtype)
    count = reduce_sum(mask, axes, keepdims=True)
    return (reshape(dy, kept) * mask / count,)


# Above this many elements per product, the gradient with zeros present uses
# a mask formula (exact to first order) instead of an R x R matrix of products.
_PROD_PAIRWISE_LIMIT = 2048




def _prod_grad(dy, inputs, attrs, out):
    # d prod / d x_i is the product of the other entries. Without zeros that
    # is prod / x_i; with zeros it is taken explicitly from a matrix whose
    # row i is x with x_i replaced by 1, so higher orders stay exact too.
    x, axes = inputs[0], attrs[0]
    kept = _kept(x, axes)
    # While tracing a function the zero-safe formula runs: the data may differ between calls.
    if not _tracers and not bool(reduce_any(ew.equal(x, 0))):
        return (reshape(dy, kept) * reshape(out, kept) / x,)
    shape = list(x._a.shape)
    rest = [d for d in range(len(shape)) if d not in axes]
    perm = rest + list(axes)
    outer = int(np.prod([shape[d] for d in rest]))
    r = int(np.prod([shape[d] for d in axes]))
    if r > _PROD_PAIRWISE_LIMIT:
        zero = cast(ew.equal(x, 0), x.dtype)
        nonzero_x = x + zero
        p = reduce_prod(nonzero_x, axes, keepdims=True)
        zeros = reduce_sum(zero, axes, keepdims=True)
        none = cast(ew.equal(zeros, 0), x.dtype)
        one = cast(ew.equal(zeros, 1), x.dtype)
        return (reshape(dy, kept) * p * (none / nonzero_x + one * zero),)
    xt = transpose(x, perm)
    ident = eye(r, dtype=x.dtype)
    others = reduce_prod(reshape(xt, [outer, 1, r]) * (1 - ident) + ident, [2])
    g = reshape(reshape(dy, [outer, 1]) * others, list(xt._a.shape))
    return (transpose(g, [int(i) for i in np.argsort(perm)]),)


# ---- registered ops ---------------------------------------------------------------

def _register(name, ref, grad=None, dtypes=_NUMERIC, dtype=h.first_dtype, samples=None):
    return register(name, getattr(_core, name), grad=grad, diff=(True,), shape=_reduce_shape, dtype=dtype,
                    ref=ref, samples=samples or _samples(), dtypes=dtypes)


_sum = _register("reduce_sum", _np_typed(np.sum), _sum_grad)
_mean = _register("reduce_mean", _np_mean, _mean_grad)
_max = _register("reduce_max", _np_extreme(np.max, -np.inf, lambda i: i.min), _extreme_grad)
_min = _register("reduce_min", _np_extreme(np.min, np.inf, lambda i: i.max), _extreme_grad)
_prod = _register("reduce_prod", _np_typed(np.prod), _prod_grad,
                  samples=_samples([([[0.0, 1.5, -2.0], [0.5, 0.0, 0.0]], ([1], False)),
                                    ([[0.0, 1.5], [2.0, -1.0], [0.5, 3.0]], ([0], True))]))
_any = _register("reduce_any", _np_reduce(np.any), dtypes=("bool",), dtype=h.bool_dtype)
_all = _register("reduce_all", _np_reduce(np.all), dtypes=("bool",), dtype=h.bool_dtype)


def _reduce(op, input_tensor, axis, keepdims):
    x = input_tensor if isinstance(input_tensor, Tensor) else h.to_tensor(input_tensor)
    nd = x._a.ndim
    if axis is None:  # the common cases skip the general axis parsing
        axes = list(range(nd))
    elif type(axis) is int and -nd <= axis < nd:
        axes = [axis % nd]
    elif type(axis) is list and len(axis) == 1 and type(axis[0]) is int and -nd <= axis[0] < nd:
        axes = [axis[0] % nd]
    else:
        axes = list(h.normalize_axes(axis, nd, op.name))
    return apply(op, (x,), axes, bool(keepdims))


_REDUCE_DOC = """

Args:
    input_tensor: the tensor to reduce.
    axis: None (every axis), an int or a list of ints in ``[-rank, rank)``.
    keepdims: keep each reduced axis with length 1.
    name: ignored; accepted for TensorFlow compatibility.

Returns:
    The reduced tensor.

Raises:
    InvalidArgumentError: if an axis is out of range or repeated.
    TypeError: if the dtype is not supported."""


def reduce_sum(input_tensor, axis=None, keepdims=False, name=None):
    return _reduce(_sum, input_tensor, axis, keepdims)


def reduce_mean(input_tensor, axis=None, keepdims=False, name=None):
    return _reduce(_mean, input_tensor, axis, keepdims)


def reduce_max(input_tensor, axis=None, keepdims=False, name=None):
    return _reduce(_max, input_tensor, axis, keepdims)


def reduce_min(input_tensor, axis=None, keepdims=False, name=None):
    return _reduce(_min, input_tensor, axis, keepdims)


def reduce_prod(input_tensor, axis=None, keepdims=False, name=None):
    return _reduce(_prod, input_tensor, axis, keepdims)


def reduce_any(input_tensor, axis=None, keepdims=False, name=None):
    return _reduce(_any, input_tensor, axis, keepdims)


def reduce_all(input_tensor, axis=None, keepdims=False, name=None):
    return _reduce(_all, input_tensor, axis, keepdims)


reduce_sum.__doc__ = "Sum of elements across axes (integer sums wrap like fixed-width arithmetic)." + _REDUCE_DOC
reduce_mean.__doc__ = ("Mean of elements across axes. The mean of integers is an integer, truncated toward "
                       "zero, as in TensorFlow; the mean of no floats is NaN." + _REDUCE_DOC)
reduce_max.__doc__ = ("Maximum across axes; NaN propagates. Over no elements it is the dtype's lowest value "
                      "(-inf for floats), as in TensorFlow." + _REDUCE_DOC)
reduce_min.__doc__ = ("Minimum across axes; NaN propagates. Over no elements it is the dtype's highest value "
                      "(+inf for floats), as in TensorFlow." + _REDUCE_DOC)
reduce_prod.__doc__ = "Product of elements across axes (1 over no elements)." + _REDUCE_DOC
reduce_any.__doc__ = "Logical OR across axes of a bool tensor (False over no elements)." + _REDUCE_DOC
reduce_all.__doc__ = "Logical AND across axes of a bool tensor (True over no elements)." + _REDUCE_DOC


# ---- argmax / argmin ----------------------------------------------------------------

def _arg_samples(rng, dtype):
    cases = [((3, 4), 1), ((3, 4), 0), ((2, 3, 4), 1), ((2, 3, 4), -1), ((5,), 0), ((0, 3), 1)]
    out = [((h.sample_values(rng, s, dtype, -50, 50),), (ax,)) for s, ax in cases]
    out.append(((np.array([[1, 3, 3, 0], [2, 2, 1, 2]], dtype),), (1,)))  # ties: first occurrence
    return out


def _arg_register(name, ref):
    return register(name, getattr(_core, name), diff=(False,),
                    shape=lambda shapes, attrs: tuple(d for i, d in enumerate(shapes[0])
                                                      if i != attrs[0] % len(shapes[0])),
                    dtype=lambda dts, attrs: _dtypes.int64, ref=lambda a, ax: ref(a, axis=ax),
                    samples=_arg_samples, dtypes=_NUMERIC)


_argmax = _arg_register("argmax", np.argmax)
_argmin = _arg_register("argmin", np.argmin)


def _arg(op, input, axis, output_type):
    x = h.to_tensor(input)
    if x.dtype.is_bool:  # TensorFlow takes bools (the first True): as 0 and 1
        x = cast(x, _dtypes.int8)
    if isinstance(axis, Tensor):
        axis = int(axis)
    out = apply(op, (x,), 0 if axis is None else int(axis))
    output_type = _dtypes.as_dtype(output_type)
    return out if output_type is _dtypes.int64 else cast(out, output_type)


def argmax(input, axis=None, output_type=_dtypes.int64, name=None):
    return _arg(_argmax, input, axis, output_type)


def argmin(input, axis=None, output_type=_dtypes.int64, name=None):
    return _arg(_argmin, input, axis, output_type)


_ARG_DOC = """Index of the {} value along ``axis`` (the first one on ties; the
first NaN if there is one, as in numpy).

Args:
    input: a numeric tensor of rank >= 1.
    axis: the axis to reduce; None means 0, as in TensorFlow.
    output_type: ``tf.int64`` (default) or ``tf.int32``.
    name: ignored.

Returns:
    An ``output_type`` tensor with ``axis`` removed.

Raises:
    InvalidArgumentError: if ``axis`` is out of range or has length 0."""
argmax.__doc__ = _ARG_DOC.format("largest")
argmin.__doc__ = _ARG_DOC.format("smallest")


# ---- composites (no gradient code of their own) ---------------------------------------

def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    """``log(sum(exp(x)))`` across axes, computed without overflow.

    Args:
        input_tensor: a float tensor.
        axis: None, an int or a list of ints.
        keepdims: keep reduced axes with length 1.
        name: ignored.

    Returns:
        The reduced tensor (-inf where every element is -inf).
    """
    x = h.to_tensor(input_tensor)
    # The shift only keeps exp in range (it cancels out of the value and of the
    # gradient), so it is a constant; clipping keeps it finite so rows of
    # infinities do not become NaN.
    info = np.finfo(x.dtype.as_numpy_dtype)
    m = stop_gradient(ew.minimum(ew.maximum(reduce_max(x, axis, keepdims=True), info.min), info.max))
    out = ew.log(reduce_sum(ew.exp(x - m), axis, keepdims=True)) + m
    return out if keepdims else reduce_sum(out, axis, keepdims=False)


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """Population variance across axes (a float tensor in, the same dtype out).

    Args:
        input_tensor: a float tensor.
        axis: None, an int or a list of ints.
        keepdims: keep reduced axes with length 1.
        name: ignored.

    Returns:
        ``mean(square(x - mean(x)))`` over ``axis``.
    """
    x = h.to_tensor(input_tensor)
    if not x.dtype.is_floating:
        raise TypeError(f"reduce_variance: expects a float tensor, got {x.dtype.name}; cast it first")
    mean = reduce_mean(x, axis, keepdims=True)
    return reduce_mean(ew.square(x - mean), axis, keepdims=keepdims)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """Population standard deviation across axes: ``sqrt(reduce_variance(x))``.

    Args:
        input_tensor: a float tensor.
        axis: None, an int or a list of ints.
        keepdims: keep reduced axes with length 1.
        name: ignored.

    Returns:
        The reduced tensor.
    """
    return ew.sqrt(reduce_variance(input_tensor, axis, keepdims))


def count_nonzero(input, axis=None, keepdims=False, dtype=_dtypes.int64, name=None):
    """Number of nonzero (or True) elements across axes.

    Args:
        input: a tensor of any dtype.
        axis: None, an int or a list of ints.
        keepdims: keep reduced axes with length 1.
        dtype: the result dtype (int64 by default).
        name: ignored.

    Returns:
        A ``dtype`` tensor.
    """
    x = h.to_tensor(input)
    nonzero = x if x.dtype.is_bool else ew.not_equal(x, 0)
    return reduce_sum(cast(nonzero, dtype), axis, keepdims)
