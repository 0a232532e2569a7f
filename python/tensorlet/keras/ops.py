"""``keras.ops``: Keras 3's backend-neutral op namespace, as thin aliases of
tensorlet's registered ops with Keras's argument names and defaults (numpy's:
``axis=None`` reduces over everything, ``concatenate`` joins on axis 0)."""

import numpy as np

import tensorlet as tf
from tensorlet.keras import activations as _act
from tensorlet.keras import losses as _losses

# Same name, same meaning.
abs = absolute = tf.abs
add, subtract, multiply, divide, true_divide = tf.add, tf.subtract, tf.multiply, tf.divide, tf.divide
negative, square, sqrt, exp, log, log1p, rsqrt = tf.negative, tf.square, tf.sqrt, tf.exp, tf.math.log, \
    tf.math.log1p, tf.math.rsqrt
sin, cos, tanh, sign, floor, ceil, round = tf.sin, tf.cos, tf.tanh, tf.sign, tf.floor, tf.ceil, tf.round
maximum, minimum, power, reciprocal = tf.maximum, tf.minimum, tf.pow, tf.math.reciprocal
equal, not_equal, greater, greater_equal, less, less_equal = tf.equal, tf.not_equal, tf.greater, \
    tf.greater_equal, tf.less, tf.less_equal
logical_and, logical_or, logical_not = tf.logical_and, tf.logical_or, tf.logical_not
floor_divide, mod = tf.math.floordiv, tf.math.floormod
matmul, einsum, reshape, expand_dims, broadcast_to, tile = tf.matmul, tf.einsum, tf.reshape, tf.expand_dims, \
    tf.broadcast_to, tf.tile
cast, convert_to_tensor, is_tensor, stop_gradient, identity = tf.cast, tf.convert_to_tensor, tf.is_tensor, \
    tf.stop_gradient, tf.identity
zeros_like, ones_like, eye, meshgrid, cumsum = tf.zeros_like, tf.ones_like, tf.eye, tf.meshgrid, tf.cumsum
sigmoid, relu, relu6, softplus, silu, swish, gelu, elu, selu = tf.sigmoid, tf.nn.relu, tf.nn.relu6, \
    tf.nn.softplus, tf.nn.silu, tf.nn.swish, tf.nn.gelu, tf.nn.elu, tf.nn.selu
leaky_relu = _act.leaky_relu


def _axis(axis):
    return list(axis) if isinstance(axis, tuple) else axis


def sum(x, axis=None, keepdims=False):
    return tf.reduce_sum(x, _axis(axis), keepdims)


def mean(x, axis=None, keepdims=False):
    return tf.reduce_mean(x, _axis(axis), keepdims)


def max(x, axis=None, keepdims=False, initial=None):
    return tf.reduce_max(x, _axis(axis), keepdims)


def min(x, axis=None, keepdims=False, initial=None):
    return tf.reduce_min(x, _axis(axis), keepdims)


amax, amin = max, min


def prod(x, axis=None, keepdims=False, dtype=None):
    return tf.reduce_prod(x, _axis(axis), keepdims)


def all(x, axis=None, keepdims=False):
    return tf.reduce_all(tf.cast(x, "bool"), _axis(axis), keepdims)


def any(x, axis=None, keepdims=False):
    return tf.reduce_any(tf.cast(x, "bool"), _axis(axis), keepdims)


def var(x, axis=None, keepdims=False):
    return tf.math.reduce_variance(x, _axis(axis), keepdims)


def std(x, axis=None, keepdims=False):
    return tf.math.reduce_std(x, _axis(axis), keepdims)


def logsumexp(x, axis=None, keepdims=False):
    return tf.reduce_logsumexp(x, _axis(axis), keepdims)


def count_nonzero(x, axis=None):
    return tf.math.count_nonzero(x, _axis(axis))


def argmax(x, axis=None, keepdims=False):
    """Index of the largest value along ``axis`` (of the flattened input when None), as int32."""
    x = tf.convert_to_tensor(x)
    out = tf.argmax(tf.reshape(x, [-1]) if axis is None else x, 0 if axis is None else axis, output_type="int32")
    return tf.expand_dims(out, axis) if keepdims and axis is not None else out


def argmin(x, axis=None, keepdims=False):
    """Index of the smallest value along ``axis`` (of the flattened input when None), as int32."""
    x = tf.convert_to_tensor(x)
    out = tf.argmin(tf.reshape(x, [-1]) if axis is None else x, 0 if axis is None else axis, output_type="int32")
    return tf.expand_dims(out, axis) if keepdims and axis is not None else out


def transpose(x, axes=None):
    return tf.transpose(x, axes)


def squeeze(x, axis=None):
    return tf.squeeze(x, axis)


def concatenate(xs, axis=0):
    return tf.concat(xs, axis)


def stack(x, axis=0):
    return tf.stack(x, axis)


def unstack(x, num=None, axis=0):
    return tf.unstack(x, num, axis)


def split(x, indices_or_sections, axis=0):
    """numpy's split: a number of equal pieces, or the indices to cut before."""
    x = tf.convert_to_tensor(x)
    if isinstance(indices_or_sections, int):
        return tf.split(x, indices_or_sections, axis)
    cuts = [0] + [int(i) for i in indices_or_sections] + [x.shape[axis]]
    return tf.split(x, [b - a for a, b in zip(cuts, cuts[1:])], axis)


def where(condition, x1=None, x2=None):
    return tf.where(tf.cast(condition, "bool"), x1, x2)


def clip(x, x_min, x_max):
    return tf.clip_by_value(x, x_min, x_max)


def take(x, indices, axis=None):
    x = tf.convert_to_tensor(x)
    return tf.gather(tf.reshape(x, [-1]) if axis is None else x, indices, axis=0 if axis is None else axis)


def take_along_axis(x, indices, axis=None):
    x = tf.convert_to_tensor(x)
    idx = np.asarray(indices)
    if axis is None:
        return tf.gather(tf.reshape(x, [-1]), idx.reshape(-1))
    axis = axis % x.ndim
    grid = list(np.indices(idx.shape))
    grid[axis] = idx
    return tf.gather_nd(x, np.stack(grid, -1))


def flip(x, axis=None):
    x = tf.convert_to_tensor(x)
    return tf.reverse(x, list(range(x.ndim)) if axis is None else ([axis] if isinstance(axis, int) else axis))


def pad(x, pad_width, mode="constant", constant_values=None):
    return tf.pad(x, pad_width, mode.upper(), 0 if constant_values is None else constant_values)


def zeros(shape, dtype=None):
    return tf.zeros(shape, dtype or "float32")


def ones(shape, dtype=None):
    return tf.ones(shape, dtype or "float32")


def full(shape, fill_value, dtype=None):
    return tf.fill(shape, tf.cast(fill_value, dtype or "float32"))


def full_like(x, fill_value, dtype=None):
    x = tf.convert_to_tensor(x)
    return full(x.shape, fill_value, dtype or x.dtype)


def arange(start, stop=None, step=1, dtype=None):
    return tf.range(start, stop, step, dtype=dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    if not endpoint or retstep:
        raise NotImplementedError("keras.ops.linspace: endpoint=False and retstep=True are not supported")
    out = tf.linspace(start, stop, num, axis=axis)
    return tf.cast(out, dtype) if dtype is not None else out


def dot(x1, x2):
    """numpy's dot: a product of scalars, an inner product of vectors, else a matrix product."""
    x1, x2 = tf.convert_to_tensor(x1), tf.convert_to_tensor(x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return x1 * x2
    if x2.ndim == 1:
        return tf.einsum("...i,i->...", x1, x2)
    if x1.ndim == 1:
        return tf.einsum("i,...ij->...j", x1, x2)
    return tf.matmul(x1, x2)


def shape(x):
    return tuple(tf.convert_to_tensor(x).shape)


def ndim(x):
    return tf.convert_to_tensor(x).ndim


def size(x):
    return int(np.prod(shape(x)))


def sort(x, axis=-1):
    return tf.sort(x, axis)


def argsort(x, axis=-1):
    return tf.argsort(x, axis)


def top_k(x, k, sorted=True):
    return tf.math.top_k(x, k, sorted)


def one_hot(x, num_classes, axis=-1, dtype=None):
    return tf.one_hot(tf.cast(x, "int32"), num_classes, axis=axis, dtype=dtype or "float32")


def softmax(x, axis=-1):
    return tf.nn.softmax(x, axis)


def log_softmax(x, axis=-1):
    return tf.nn.log_softmax(x, axis)


def convert_to_numpy(x):
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x)


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary crossentropy (no mean over the last axis, as in Keras 3)."""
    target, output = _losses._prep(target, output)
    if from_logits:
        return tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    eps = tf.keras.backend.epsilon()
    p = tf.clip_by_value(output, eps, 1.0 - eps)
    return -(target * tf.math.log(p) + (1.0 - target) * tf.math.log(1.0 - p))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return _losses.categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return _losses.sparse_categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


# Compositions shared with tf.math / tf.linalg.
tan, sinh, cosh, log_sigmoid, softsign = tf.math.tan, tf.math.sinh, tf.math.cosh, tf.math.log_sigmoid, \
    tf.math.softsign
isnan, isinf, isfinite, logical_xor, divide_no_nan = tf.math.is_nan, tf.math.is_inf, tf.math.is_finite, \
    tf.math.logical_xor, tf.math.divide_no_nan
tensordot = tf.tensordot


def repeat(x, repeats, axis=None):
    return tf.repeat(x, repeats, axis)


def roll(x, shift, axis=None):
    x = tf.convert_to_tensor(x)
    if axis is None:
        return tf.reshape(tf.roll(tf.reshape(x, [-1]), shift, 0), x.shape)
    return tf.roll(x, shift, axis)


def norm(x, ord=None, axis=None, keepdims=False):
    """The vector norm (2 by default; 1 or inf) over ``axis`` (all elements when None)."""
    return tf.norm(x, "euclidean" if ord is None else ord, axis, keepdims)


def log2(x):
    return tf.math.log(x) * (1.0 / np.log(2.0))


def log10(x):
    return tf.math.log(x) * (1.0 / np.log(10.0))


def moments(x, axes, keepdims=False, synchronized=False):
    return tf.nn.moments(x, list(axes) if isinstance(axes, tuple) else axes, keepdims=keepdims)


def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    ids = np.asarray(segment_ids)
    n = int(ids.max()) + 1 if num_segments is None else num_segments
    return tf.math.unsorted_segment_sum(data, ids, n)


def in_top_k(targets, predictions, k):
    return tf.math.in_top_k(targets, predictions, k)


def l2_normalize(x, axis=-1, epsilon=1e-12):
    return tf.nn.l2_normalize(x, axis, epsilon)


normalize = l2_normalize
