"""Neural-network ops: softmax and log_softmax, relu's gradient, gelu, the
fused softmax crossentropies, and activations and losses composed from other
ops (leaky_relu, elu, selu, silu, l2_normalize, sigmoid crossentropy,
moments)."""

import math

import numpy as np

from tensorlet import _core
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.tensor import Tensor
from tensorlet.ops import _helpers as h
from tensorlet.ops import elementwise as ew
from tensorlet.ops.linalg_ops import matmul as _matmul_fn
from tensorlet.ops.reductions import reduce_mean, reduce_sum
from tensorlet.ops.registry import apply, register
from tensorlet.ops.view_ops import expand_dims, reshape, transpose

# ---- numpy references ---------------------------------------------------------------


def _np_log_softmax(x, axis=-1):
    x64 = x.astype(np.float64)
    s = x64 - x64.max(axis=axis, keepdims=True)
    return (s - np.log(np.exp(s).sum(axis=axis, keepdims=True))).astype(x.dtype)


def _np_softmax(x, axis=-1):
    return np.exp(_np_log_softmax(x.astype(np.float64), axis)).astype(x.dtype)


def _np_onehot(labels, c, dtype):
    out = np.zeros((labels.size, c), dtype)
    out[np.arange(labels.size), labels] = 1
    return out


def _np_gelu(x, approximate):
    x64 = x.astype(np.float64)
    if approximate:
        return (0.5 * x64 * (1 + np.tanh(math.sqrt(2 / math.pi) * (x64 + 0.044715 * x64 ** 3)))).astype(x.dtype)
    return (0.5 * x64 * (1 + np.vectorize(math.erf, otypes=[np.float64])(x64 / math.sqrt(2)))).astype(x.dtype)


def _np_gelu_slope(x, approximate):
    x64 = x.astype(np.float64)
    if approximate:
        c = math.sqrt(2 / math.pi)
        t = np.tanh(c * (x64 + 0.044715 * x64 ** 3))
        return 0.5 * (1 + t) + 0.5 * x64 * (1 - t * t) * c * (1 + 3 * 0.044715 * x64 ** 2)
    cdf = 0.5 * (1 + np.vectorize(math.erf, otypes=[np.float64])(x64 / math.sqrt(2)))
    return cdf + x64 * np.exp(-0.5 * x64 * x64) / math.sqrt(2 * math.pi)


# ---- samples ----------------------------------------------------------------------------

_AXIS_CASES = [((3, 4), -1), ((2, 3, 4), 1), ((2, 3, 4), 0), ((5,), 0), ((0, 3), -1), ((2, 1), -1)]


def _softmax_samples(rng, dtype):
    out = [((h.sample_values(rng, s, dtype, -3, 3),), (ax,)) for s, ax in _AXIS_CASES]
    out.append(((np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1002.0, -1001.0]], dtype),), (-1,)))  # stability
    return out


def _pair_samples(lo=0.0, hi=1.0):
    def samples(rng, dtype):
        return [((h.sample_values(rng, s, dtype, lo, hi), h.sample_values(rng, s, dtype)), (ax,))
                for s, ax in _AXIS_CASES]
    return samples


def _sparse_samples(with_grad):
    def samples(rng, dtype):
        out = []
        for (n, c), ldt in [((4, 5), np.int64), ((3, 1), np.int32), ((6, 3), np.int32), ((0, 4), np.int64)]:
            arrays = [h.sample_values(rng, (n, c), dtype, -3, 3), rng.integers(0, c, n).astype(ldt)]
            if with_grad:
                arrays.append(h.sample_values(rng, (n,), dtype))
            out.append((tuple(arrays), ()))
        return out
    return samples


def _dense_samples(with_grad):
    def samples(rng, dtype):
        out = []
        for n, c in [(4, 5), (3, 1), (2, 3), (0, 4)]:
            arrays = [h.sample_values(rng, (n, c), dtype, -3, 3), h.sample_values(rng, (n, c), dtype, 0, 1)]
            if with_grad:
                arrays.append(h.sample_values(rng, (n,), dtype))
            out.append((tuple(arrays), ()))
        return out
    return samples


def _shape_of_first(shapes, attrs):
    # Not h.same_shape: these ops take attributes and same-shaped inputs, they
    # are not broadcasting elementwise ops.
    return tuple(shapes[0])


def _rows_shape(shapes, attrs):
    return tuple(shapes[0][:1])


# ---- softmax / log_softmax and their gradient ops ----------------------------------------

def _softmax_grad_grad(ddx, inputs, attrs, out):
    # out = y * (dy - s) with s = sum(dy * y) along the axis.
    y, dy = inputs
    axis = attrs[0]
    s = reduce_sum(dy * y, axis, keepdims=True)
    u = reduce_sum(ddx * y, axis, keepdims=True)
    return ddx * (dy - s) - dy * u, apply(_softmax_grad, (y, ddx), axis)


def _log_softmax_grad_grad(ddx, inputs, attrs, out):
    # out = dy - exp(y) * sum(dy) along the axis.
    y, dy = inputs
    axis = attrs[0]
    e = ew.exp(y)
    return (ew.negative(ddx) * e * reduce_sum(dy, axis, keepdims=True),
            ddx - reduce_sum(ddx * e, axis, keepdims=True))


_softmax_grad = register(
    "softmax_grad", _core.softmax_grad, grad=_softmax_grad_grad, diff=(True, True), shape=_shape_of_first,
    dtype=h.first_dtype, ref=lambda y, dy, ax: y * (dy - np.sum(dy * y, axis=ax, keepdims=True)),
    samples=_pair_samples())
_log_softmax_grad = register(
    "log_softmax_grad", _core.log_softmax_grad, grad=_log_softmax_grad_grad, diff=(True, True),
    shape=_shape_of_first, dtype=h.first_dtype,
    ref=lambda y, dy, ax: dy - np.exp(y) * np.sum(dy, axis=ax, keepdims=True), samples=_pair_samples(-3.0, 0.0))

_softmax = register(
    "softmax", _core.softmax, grad=lambda dy, i, a, out: (apply(_softmax_grad, (out, dy), a[0]),), diff=(True,),
    shape=_shape_of_first, dtype=h.first_dtype, ref=_np_softmax, samples=_softmax_samples)
_log_softmax = register(
    "log_softmax", _core.log_softmax, grad=lambda dy, i, a, out: (apply(_log_softmax_grad, (out, dy), a[0]),),
    diff=(True,), shape=_shape_of_first, dtype=h.first_dtype, ref=_np_log_softmax, samples=_softmax_samples)


def softmax(logits, axis=None, name=None):
    """Softmax along ``axis``: ``exp(x) / sum(exp(x))``, computed stably.

    Args:
        logits: a float tensor of rank >= 1.
        axis: the axis to normalise (-1, the last, when None).
        name: ignored.

    Returns:
        A tensor of the same shape and dtype whose slices along ``axis`` sum to 1.

    Raises:
        InvalidArgumentError: if ``axis`` is out of range.
        TypeError: if ``logits`` is not float32 or float64.
    """
    return apply(_softmax, (h.to_tensor(logits),), -1 if axis is None else int(axis))


def log_softmax(logits, axis=None, name=None):
    """``log(softmax(x))`` along ``axis``, computed as ``x - max - log(sum(exp(x - max)))``.

    Args:
        logits: a float tensor of rank >= 1.
        axis: the axis to normalise (-1, the last, when None).
        name: ignored.

    Returns:
        A tensor of the same shape and dtype.

    Raises:
        InvalidArgumentError: if ``axis`` is out of range.
        TypeError: if ``logits`` is not float32 or float64.
    """
    return apply(_log_softmax, (h.to_tensor(logits),), -1 if axis is None else int(axis))


# ---- relu (registered with the elementwise ops, with its gradient op) ----------------------

relu = ew.relu
_relu_grad = ew.relu_grad_op


# ---- dense: activation(x @ w + b) in one kernel --------------------------------------------

_FC_ACTIVATIONS = ("linear", "relu")
_matmul = _matmul_fn.op


def _fc_shape(shapes, attrs):
    x, w = tuple(shapes[0]), tuple(shapes[1])
    if len(x) != 2 or len(w) != 2:
        raise InvalidArgumentError(f"dense: inputs and kernel must be matrices, got shapes {x} @ {w}")
    if x[1] is not None and w[0] is not None and x[1] != w[0]:
        raise InvalidArgumentError(f"dense: inner dimensions differ: {x} @ {w}")
    if len(shapes) == 3:
        b = tuple(shapes[2])
        if len(b) != 1 or (b[0] is not None and w[1] is not None and b[0] != w[1]):
            raise InvalidArgumentError(f"dense: bias must have shape ({w[1]},), got {b}")
    return (x[0], w[1])


def _fc_dtype(dtypes, attrs):
    if any(d != dtypes[0] for d in dtypes[1:]):
        raise InvalidArgumentError("dense: inputs, kernel and bias must have the same dtype, got "
                                   + ", ".join(d.name for d in dtypes))
    return dtypes[0]


def _fc_ref(x, w, *rest):
    *bias, act = rest
    y = x @ w + (bias[0] if bias else 0)
    return (np.maximum(y, 0) if act == "relu" else y).astype(x.dtype)


def _fc_samples(rng, dtype):
    out = []
    # Small ones for the finite differences, pre-activations kept away from
    # relu's kink; larger ones through the GEMM's edge tiles and threads (short
    # k: the generic test's float32 tolerance is absolute).
    for (m, k, n), act, with_bias in [((3, 4, 5), "relu", True), ((2, 3, 4), "linear", True),
                                      ((4, 3, 2), "relu", False), ((1, 5, 3), "linear", False),
                                      ((33, 24, 45), "relu", True), ((130, 16, 10), "linear", True),
                                      ((70, 30, 40), "relu", False)]:
        while True:
            x, w = h.sample_values(rng, (m, k), dtype), h.sample_values(rng, (k, n), dtype)
            b = h.sample_values(rng, (n,), dtype)
            pre = x.astype(np.float64) @ w + (b if with_bias else 0)
            if np.abs(pre).min() > 1e-2:
                break
        out.append(((x, w, b) if with_bias else (x, w), (act,)))
    return out


# One gradient function per input, so a tape computes only what its sources
# need (no inputs gradient for a model's first layer). They share the
# gradient at the pre-activation, computed once by _fc_pre: out > 0 exactly
# where the pre-activation is, so relu's gradient op can take the output.
def _fc_pre(dy, inputs, attrs, out):
    return apply(_relu_grad, (out, dy)) if attrs[0] == "relu" else dy


def _fc_grad_x(dpre, inputs, attrs, out):
    return apply(_matmul, (dpre, inputs[1]), False, True)


def _fc_grad_w(dpre, inputs, attrs, out):
    return apply(_matmul, (inputs[0], dpre), True, False)


def _fc_grad_b(dpre, inputs, attrs, out):
    return reduce_sum(dpre, axis=0)


_fc = register("dense", _core.dense, grad=(_fc_grad_x, _fc_grad_w, _fc_grad_b), grad_prep=_fc_pre,
               diff=(True, True, True), shape=_fc_shape, dtype=_fc_dtype, ref=_fc_ref, samples=_fc_samples)


def dense(inputs, kernel, bias=None, activation=None, name=None):
    """A Dense layer's forward pass, ``activation(inputs @ kernel + bias)``, as
    one op: the bias add and the activation happen while the product is
    written, with no intermediate tensors. (tensorlet's own: TensorFlow has
    no such function; ``keras.layers.Dense`` uses it for linear and relu.)

    Args:
        inputs: a float32 or float64 matrix ``(batch, in_features)``.
        kernel: a matrix ``(in_features, units)`` of the same dtype.
        bias: None, or a vector ``(units,)`` of the same dtype.
        activation: None or ``'linear'`` (no activation), or ``'relu'``.
        name: ignored.

    Returns:
        A Tensor ``(batch, units)``.

    Raises:
        InvalidArgumentError: for shapes that do not fit or differing dtypes.
        ValueError: for an activation other than linear or relu.
        TypeError: for non-float inputs.
    """
    act = "linear" if activation is None else activation
    if act not in _FC_ACTIVATIONS:
        raise ValueError(f"dense: activation must be None, 'linear' or 'relu', got {activation!r}")
    x = h.to_tensor(inputs)
    w = kernel if isinstance(kernel, Tensor) else h.convert_like(kernel, x)
    args = (x, w) if bias is None else (x, w, bias if isinstance(bias, Tensor) else h.convert_like(bias, x))
    return apply(_fc, args, act)  # the kernel checks shapes and dtypes


# ---- gelu ----------------------------------------------------------------------------------

def _gelu_grad_grad(ddx, inputs, attrs, out):
    x, dy = inputs
    approximate = attrs[0]
    if approximate:
        c = math.sqrt(2 / math.pi)
        t = ew.tanh(c * (x + 0.044715 * x * x * x))
        s = 1 - t * t
        du = c * (1 + 3 * 0.044715 * x * x)
        second = s * du - x * t * s * du * du + 0.5 * x * s * (6 * 0.044715 * c) * x
    else:
        second = ew.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi)) * (2 - x * x)
    return ddx * dy * second, apply(_gelu_grad, (x, ddx), approximate)


def _gelu_samples(rng, dtype):
    return [((h.sample_values(rng, s, dtype, -4, 4),), (a,)) for s in h.UNARY_SHAPES for a in (False, True)]


_gelu_grad = register(
    "gelu_grad", _core.gelu_grad, grad=_gelu_grad_grad, diff=(True, True), shape=_shape_of_first,
    dtype=h.first_dtype, ref=lambda x, dy, a: (dy * _np_gelu_slope(x, a)).astype(x.dtype),
    samples=lambda rng, dt: [((h.sample_values(rng, s, dt, -4, 4), h.sample_values(rng, s, dt)), (a,))
                             for s in h.UNARY_SHAPES for a in (False, True)])
_gelu = register(
    "gelu", _core.gelu, grad=lambda dy, i, a, out: (apply(_gelu_grad, (i[0], dy), a[0]),), diff=(True,),
    shape=_shape_of_first, dtype=h.first_dtype, ref=_np_gelu, samples=_gelu_samples)


def gelu(features, approximate=False, name=None):
    """Gaussian error linear unit: ``x * P(X <= x)`` for a standard normal X.

    Args:
        features: a float tensor.
        approximate: use the tanh approximation
            ``0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))``.
        name: ignored.

    Returns:
        A tensor of the same shape and dtype.
    """
    return apply(_gelu, (h.to_tensor(features),), bool(approximate))


# ---- crossentropies: fused forward and backward kernels ------------------------------------

def _sparse_grad_grad(u, inputs, attrs, out):
    logits, labels, g = inputs
    ones = ew.add(ew.multiply(g, 0), 1)
    return (apply(_softmax_grad, (softmax(logits), u * expand_dims(g, -1)), -1), None,
            reduce_sum(u * apply(_sparse_xent_grad, (logits, labels, ones)), -1))


_sparse_xent_grad = register(
    "sparse_softmax_cross_entropy_with_logits_grad", _core.sparse_softmax_cross_entropy_with_logits_grad,
    grad=_sparse_grad_grad, diff=(True, False, True), shape=_shape_of_first, dtype=h.first_dtype,
    ref=lambda x, lab, g: (_np_softmax(x) - _np_onehot(lab, x.shape[1], x.dtype)) * g[:, None],
    samples=_sparse_samples(True))
_sparse_xent = register(
    "sparse_softmax_cross_entropy_with_logits", _core.sparse_softmax_cross_entropy_with_logits,
    grad=lambda dy, i, a, out: (apply(_sparse_xent_grad, (i[0], i[1], dy)), None), diff=(True, False),
    shape=_rows_shape, dtype=h.first_dtype,
    ref=lambda x, lab: -_np_log_softmax(x)[np.arange(lab.size), lab] if lab.size else np.zeros(0, x.dtype),
    samples=_sparse_samples(False))


def _dense_grad_grad(u, inputs, attrs, out):
    # out = (p * sum(labels) - labels) * g, p = softmax(logits), per row.
    logits, labels, g = inputs
    p = softmax(logits)
    g2 = expand_dims(g, -1)
    total = reduce_sum(labels, -1, keepdims=True)
    ones = ew.add(ew.multiply(g, 0), 1)
    return (apply(_softmax_grad, (p, u * g2 * total), -1),
            g2 * (reduce_sum(u * p, -1, keepdims=True) - u),
            reduce_sum(u * apply(_dense_xent_grad, (logits, labels, ones)), -1))


_dense_xent_grad = register(
    "softmax_cross_entropy_with_logits_grad", _core.softmax_cross_entropy_with_logits_grad,
    grad=_dense_grad_grad, diff=(True, True, True), shape=_shape_of_first, dtype=h.first_dtype,
    ref=lambda x, lab, g: (_np_softmax(x) * lab.sum(-1, keepdims=True) - lab) * g[:, None],
    samples=_dense_samples(True))
_dense_xent = register(
    "softmax_cross_entropy_with_logits", _core.softmax_cross_entropy_with_logits,
    grad=lambda dy, i, a, out: (apply(_dense_xent_grad, (i[0], i[1], dy)),
                                ew.negative(log_softmax(i[0])) * expand_dims(dy, -1)),
    diff=(True, True), shape=_rows_shape, dtype=h.first_dtype,
    ref=lambda x, lab: -(lab * _np_log_softmax(x)).sum(-1), samples=_dense_samples(False))


def sparse_softmax_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """Per-example crossentropy between integer class labels and logits.

    Computes ``-log(softmax(logits)[label])`` in one fused, stable kernel; its
    gradient with respect to ``logits`` is ``softmax(logits) - onehot(labels)``.

    Args:
        labels: int32 or int64 tensor of shape ``logits.shape[:-1]``, each in
            ``[0, num_classes)``.
        logits: float tensor of shape ``[..., num_classes]`` (unnormalised
            log-probabilities).
        name: ignored.

    Returns:
        A tensor of shape ``labels.shape`` with the dtype of ``logits``.

    Raises:
        InvalidArgumentError: if the shapes do not fit or a label is out of range
            (the message names the label and the number of classes).
        TypeError: if ``labels`` are not integers or ``logits`` not floats.
    """
    op = "sparse_softmax_cross_entropy_with_logits"
    logits = h.to_tensor(logits)
    labels = h.to_tensor(labels)
    ls, xs = tuple(labels.shape), tuple(logits.shape)
    if len(xs) == 0 or ls != xs[:-1]:
        raise InvalidArgumentError(
            f"{op}: labels of shape {ls} do not fit logits of shape {xs}; labels must have the logits' shape "
            f"without its last (class) axis. For one-hot labels use softmax_cross_entropy_with_logits")
    if not labels.dtype.is_integer:
        raise TypeError(f"{op}: labels must be int32 or int64 class indices, got {labels.dtype.name}")
    c = xs[-1]
    loss = apply(_sparse_xent, (reshape(logits, [-1, c]) if len(xs) != 2 else logits,
                                reshape(labels, [-1]) if len(ls) != 1 else labels))
    return loss if len(ls) == 1 else reshape(loss, list(ls))


def softmax_cross_entropy_with_logits(labels=None, logits=None, axis=-1, name=None):
    """Per-example crossentropy ``-sum(labels * log_softmax(logits))`` along ``axis``.

    Args:
        labels: a probability distribution per example (one-hot, say), the shape
            of ``logits``.
        logits: float tensor of unnormalised log-probabilities.
        axis: the class axis (the last by default).
        name: ignored.

    Returns:
        A tensor of ``logits``' shape without ``axis``.

    Raises:
        InvalidArgumentError: if the shapes differ or ``axis`` is out of range.
    """
    op = "softmax_cross_entropy_with_logits"
    logits = h.to_tensor(logits)
    labels = labels if isinstance(labels, Tensor) else h.convert_like(labels, logits)
    if tuple(labels.shape) != tuple(logits.shape):
        raise InvalidArgumentError(f"{op}: labels of shape {tuple(labels.shape)} do not match logits of shape "
                                   f"{tuple(logits.shape)}; for integer class labels use "
                                   f"sparse_softmax_cross_entropy_with_logits")
    nd = logits.ndim
    if nd == 0:
        raise InvalidArgumentError(f"{op}: logits must have rank >= 1, got a scalar")
    if not -nd <= axis < nd:
        raise InvalidArgumentError(f"{op}: axis {axis} is out of range for a tensor of rank {nd}")
    axis %= nd
    if axis != nd - 1:
        perm = [d for d in range(nd) if d != axis] + [axis]
        logits, labels = transpose(logits, perm), transpose(labels, perm)
    outer = list(logits.shape[:-1])
    c = logits.shape[-1]
    if nd != 2:
        logits, labels = reshape(logits, [-1, c]), reshape(labels, [-1, c])
    loss = apply(_dense_xent, (logits, labels))
    return loss if nd == 2 else reshape(loss, outer)


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """Elementwise crossentropy of independent binary labels and logits, stable
    for any logit: ``max(x, 0) - x * z + log(1 + exp(-|x|))``.

    Args:
        labels: tensor of the shape of ``logits`` with values in [0, 1].
        logits: float tensor.
        name: ignored.

    Returns:
        A tensor of the shape and dtype of ``logits``.

    Raises:
        InvalidArgumentError: if the shapes differ.
    """
    logits = h.to_tensor(logits)
    labels = h.convert_like(labels, logits)
    if tuple(labels.shape) != tuple(logits.shape):
        raise InvalidArgumentError(f"sigmoid_cross_entropy_with_logits: labels of shape {tuple(labels.shape)} "
                                   f"do not match logits of shape {tuple(logits.shape)}")
    return relu(logits) - logits * labels + ew.log1p(ew.exp(ew.negative(ew.abs(logits))))


# ---- activations and helpers composed of other ops -----------------------------------------

def leaky_relu(features, alpha=0.2, name=None):
    """``x`` where ``x > 0``, else ``alpha * x`` (for ``alpha <= 1``).

    Args:
        features: a tensor.
        alpha: slope for negative inputs.
        name: ignored.

    Returns:
        A tensor of the same shape and dtype.
    """
    x = h.to_tensor(features)
    return ew.maximum(x, x * alpha)


def relu6(features, name=None):
    """``min(max(x, 0), 6)`` element-wise.

    Args:
        features: a tensor.
        name: ignored.

    Returns:
        A tensor of the same shape and dtype.
    """
    return ew.minimum(relu(h.to_tensor(features)), 6)


def bias_add(value, bias, data_format=None, name=None):
    """Adds a 1-D ``bias`` along the channel axis of ``value`` (the last one,
    or axis 1 with ``data_format='NCHW'``/``'NCW'``...).

    Args:
        value: a tensor of rank >= 2.
        bias: a 1-D tensor with as many entries as ``value`` has channels.
        data_format: None or ``'N...C'`` for channels last, ``'NC...'`` for channels first.
        name: ignored.

    Returns:
        ``value + bias`` broadcast along the channel axis.

    Raises:
        InvalidArgumentError: if ``bias`` is not 1-D or its length differs from the channels.
    """
    value = h.to_tensor(value)
    bias = bias if isinstance(bias, Tensor) else h.convert_like(bias, value)
    channels_first = data_format is not None and data_format.startswith("NC")
    axis = 1 if channels_first else value.ndim - 1
    if bias.ndim != 1 or value.ndim < 2 or value.shape[axis] != bias.shape[0]:
        raise InvalidArgumentError(f"bias_add: bias of shape {tuple(bias.shape)} does not fit the channel axis "
                                   f"{axis} of value of shape {tuple(value.shape)}")
    if channels_first:
        bias = reshape(bias, [-1] + [1] * (value.ndim - 2))
    return value + bias


def elu(features, name=None):
    """Exponential linear unit: ``x`` where ``x > 0``, else ``exp(x) - 1``.

    Args:
        features: a float tensor.
        name: ignored.

    Returns:
        A tensor of the same shape and dtype.
    """
    x = h.to_tensor(features)
    return relu(x) + (ew.exp(ew.minimum(x, 0)) - 1)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(features, name=None):
    """Scaled ELU: ``scale * (x if x > 0 else alpha * (exp(x) - 1))`` with the
    self-normalising constants alpha ~ 1.6733, scale ~ 1.0507.

    Args:
        features: a float tensor.
        name: ignored.

    Returns:
        A tensor of the same shape and dtype.
    """
    x = h.to_tensor(features)
    return _SELU_SCALE * (relu(x) + _SELU_ALPHA * (ew.exp(ew.minimum(x, 0)) - 1))


def silu(features, beta=1.0, name=None):
    """Sigmoid linear unit (swish): ``x * sigmoid(beta * x)``.

    Args:
        features: a float tensor.
        beta: scale inside the sigmoid.
        name: ignored.

    Returns:
        A tensor of the same shape and dtype.
    """
    x = h.to_tensor(features)
    return x * ew.sigmoid(x if beta == 1.0 else x * beta)


swish = silu


def l2_normalize(x, axis=None, epsilon=1e-12, name=None):
    """``x / sqrt(max(sum(x ** 2), epsilon))`` along ``axis`` (every axis when None).

    Args:
        x: a float tensor.
        axis: None, an int or a list of ints.
        epsilon: lower bound on the squared norm (guards against division by 0).
        name: ignored.

    Returns:
        A tensor of the same shape and dtype.
    """
    x = h.to_tensor(x)
    return x * ew.rsqrt(ew.maximum(reduce_sum(ew.square(x), axis, keepdims=True), epsilon))


def moments(x, axes, shift=None, keepdims=False, name=None):
    """Mean and (population) variance of ``x`` over ``axes``.

    Args:
        x: a float tensor.
        axes: an int or list of ints.
        shift: ignored (accepted for TensorFlow compatibility).
        keepdims: keep reduced axes with length 1.
        name: ignored.

    Returns:
        A tuple ``(mean, variance)``.
    """
    x = h.to_tensor(x)
    mean = reduce_mean(x, axes, keepdims=True)
    variance = reduce_mean(ew.square(x - mean), axes, keepdims=True)
    if not keepdims:
        axes = list(h.normalize_axes(axes, x.ndim, "moments"))
        mean, variance = reduce_sum(mean, axes), reduce_sum(variance, axes)
    return mean, variance

