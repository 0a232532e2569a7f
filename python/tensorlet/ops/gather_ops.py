"""Selection: gather (and its gradient, unsorted_segment_sum), one_hot, where."""


import numpy as np

from tensorlet import _core
from tensorlet.framework import dtypes as _dtypes
from tensorlet.framework.convert import convert_to_tensor
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.tensor import Tensor
from tensorlet.ops import _helpers as h
from tensorlet.ops.creation_ops import zeros_like
from tensorlet.ops.registry import apply, register
from tensorlet.ops.view_ops import cast, reshape

def _gather_shape(shapes, attrs):
    p, i = shapes
    axis = attrs[0] % len(p)
    return tuple(p[:axis]) + tuple(i) + tuple(p[axis + 1:])


def _gather_grad(dy, inputs, attrs, out):
    params, indices = inputs
    return apply(_gather_grad_op, (dy, indices), tuple(params._a.shape), attrs[0]), None


def _gather_samples(rng, dt):
    v = lambda *s: h.sample_values(rng, s, dt)  # noqa: E731
    i = lambda n, *s: rng.integers(0, n, size=s).astype(np.int32 if len(s) % 2 else np.int64)  # noqa: E731
    return [((v(5, 3), i(5, 4)), (0,)), ((v(2, 5, 3), i(5, 2, 2)), (1,)), ((v(4, 3), i(3)), (-1,)),
            ((v(6,), i(6, 0)), (0,)), ((v(3, 4), i(3, 7)), (0,)), ((v(0, 3), i(3, 2)), (1,))]


_gather = register(
    "gather", _core.gather, grad=_gather_grad, diff=(True, False), shape=_gather_shape, dtype=h.first_dtype,
    ref=lambda p, i, axis: np.take(p, i, axis=axis), samples=_gather_samples, dtypes=h.ALL_DTYPES)


def _np_gather_grad(dy, indices, shape, axis):
    out = np.zeros(shape, dy.dtype)
    axis = axis % len(shape)
    moved = np.moveaxis(out, axis, 0)
    g = dy.reshape(dy.shape[:axis] + (-1,) + dy.shape[axis + indices.ndim:]) if indices.ndim else \
        np.expand_dims(dy, axis)
    np.add.at(moved, indices.reshape(-1), np.moveaxis(g, axis, 0))
    return out


def _gather_grad_samples(rng, dt):
    v = lambda *s: h.sample_values(rng, s, dt)  # noqa: E731
    return [((v(4, 3), rng.integers(0, 5, size=(4,)).astype(np.int32)), ((5, 3), 0)),
            ((v(2, 2, 3, 2), rng.integers(0, 3, size=(2, 3)).astype(np.int64)), ((2, 3, 2), 1)),
            ((v(2, 3), np.array([1, 1, 1], np.int32)), ((2, 2), -1)),
            ((v(3, 2), np.array(2, np.int64)), ((3, 4, 2), 1))]


_gather_grad_op = register(
    "gather_grad", _core.gather_grad,
    grad=lambda ddy, inputs, attrs, out: (apply(_gather, (ddy, inputs[1]), attrs[1]), None),
    diff=(True, False), shape=lambda shapes, attrs: tuple(attrs[0]), dtype=h.first_dtype, ref=_np_gather_grad,
    samples=_gather_grad_samples, dtypes=("float32", "float64", "int32", "int64"))


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """Gathers slices of ``params`` along ``axis`` at ``indices``.

    Args:
        params: the tensor to take slices from.
        indices: an int32 or int64 tensor of indices in ``[0, params.shape[axis])``.
        validate_indices: ignored (indices are always checked).
        axis: the axis to gather along (default 0).
        batch_dims: only 0 is supported.
        name: ignored.

    Returns:
        A tensor of shape ``params.shape[:axis] + indices.shape + params.shape[axis + 1:]``.

    Raises:
        InvalidArgumentError: if an index is out of range (naming it and the
            dimension size) or ``axis`` is out of range.
        TypeError: if ``indices`` is not an integer tensor.
    """
    if batch_dims != 0:
        raise NotImplementedError("gather: only batch_dims=0 is supported")
    params = h.to_tensor(params)
    indices = h.to_tensor(indices)
    if not indices.dtype.is_integer:
        raise TypeError(f"gather: indices must be int32 or int64, got {indices.dtype.name}")
    return apply(_gather, (params, indices), 0 if axis is None else int(axis))


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """Sums the slices of ``data`` that share a segment id.

    Args:
        data: a tensor whose leading dimensions match ``segment_ids``' shape.
        segment_ids: an integer tensor of ids in ``[0, num_segments)``.
        num_segments: the number of segments.
        name: ignored.

    Returns:
        A tensor of shape ``[num_segments] + data.shape[segment_ids.ndim:]``.

    Raises:
        InvalidArgumentError: if an id is out of range or the shapes do not match.
    """
    data = h.to_tensor(data)
    ids = h.to_tensor(segment_ids)
    k = ids.ndim
    if tuple(data._a.shape[:k]) != tuple(ids._a.shape):
        raise InvalidArgumentError(f"unsorted_segment_sum: segment_ids of shape {ids.shape} must be a prefix "
                                   f"of data's shape {data.shape}")
    rest = list(data._a.shape[k:])
    flat_ids = reshape(ids, [-1])
    flat = reshape(data, [flat_ids._a.shape[0]] + rest)
    return apply(_gather_grad_op, (flat, flat_ids), tuple([int(num_segments)] + rest), 0)


def _one_hot_shape(shapes, attrs):
    s = list(shapes[0])
    axis = attrs[3]
    s.insert(len(s) if axis == -1 else axis, attrs[0])
    return tuple(s)


def _np_one_hot(i, depth, on, off, axis, dt):
    eq = np.expand_dims(i, -1) == np.arange(depth)
    out = np.where(eq, on, off).astype(_dtypes.from_core(dt).as_numpy_dtype)
    return np.moveaxis(out, -1, axis if axis != -1 else -1)


def _one_hot_samples(rng, dt):
    f32, i64 = _dtypes.float32.core, _dtypes.int64.core
    i = lambda *s: rng.integers(-1, 5, size=s).astype(dt)  # noqa: E731  (-1 and 4 are out of range)
    return [((i(6),), (4, 1.0, 0.0, -1, f32)), ((i(2, 3),), (4, 5.0, -1.0, 0, i64)),
            ((i(2, 3),), (3, 1.0, 0.0, 1, f32)), ((i(),), (4, 1.0, 0.0, -1, f32)), ((i(0, 2),), (3, 1.0, 0.0, -1, f32))]


_one_hot = register(
    "one_hot", _core.one_hot, shape=_one_hot_shape, dtype=lambda dts, attrs: _dtypes.from_core(attrs[4]),
    ref=_np_one_hot, samples=_one_hot_samples, dtypes=("int32", "int64"))


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """One-hot encodes integer indices.

    Args:
        indices: an int32 or int64 tensor; indices outside ``[0, depth)`` give
            rows of ``off_value`` only.
        depth: the size of the new axis.
        on_value: the value where the index matches (default 1).
        off_value: the value elsewhere (default 0).
        axis: where the new axis goes (default -1, last).
        dtype: the result's dtype (default: that of ``on_value``/``off_value``,
            else float32).
        name: ignored.

    Returns:
        A tensor with ``indices``' shape and a new axis of size ``depth``.

    Raises:
        InvalidArgumentError: if ``depth`` is negative or ``axis`` is out of range.
        TypeError: if ``indices`` is not an integer tensor.
    """
    indices = h.to_tensor(indices)
    if not indices.dtype.is_integer:
        raise TypeError(f"one_hot: indices must be int32 or int64, got {indices.dtype.name}")
    if dtype is None:
        given = [v for v in (on_value, off_value) if v is not None]
        dtype = next((v.dtype for v in given if isinstance(v, Tensor)),
                     convert_to_tensor(given[0]).dtype if given else _dtypes.float32)
    dtype = _dtypes.as_dtype(dtype)
    on = 1 if on_value is None else on_value
    off = 0 if off_value is None else off_value
    on, off = (float(np.asarray(v)) for v in (on, off))
    return apply(_one_hot, (indices,), int(depth), on, off, -1 if axis is None else int(axis), dtype.core)


def _ternary_shape(shapes, attrs):
    return h.broadcast_shape(h.broadcast_shape(shapes[0], shapes[1]), shapes[2])


def _where_grad(dy, inputs, attrs, out):
    cond = inputs[0]
    zero = zeros_like(dy)
    return None, apply(_where, (cond, dy, zero)), apply(_where, (cond, zero, dy))


def _where_samples(rng, dt):
    c = lambda *s: rng.random(s) < 0.5  # noqa: E731
    v = lambda *s: h.sample_values(rng, s, dt)  # noqa: E731
    return [((c(3, 4), v(3, 4), v(3, 4)), ()), ((c(3, 1), v(4), v(3, 4)), ()), ((c(), v(2, 3), v(3)), ()),
            ((c(2, 3), v(), v()), ()), ((c(0, 2), v(0, 2), v(2)), ())]


_where = register(
    "where", _core.where, grad=_where_grad, diff=(False, True, True), shape=_ternary_shape,
    dtype=lambda dts, attrs: dts[1], ref=np.where, samples=_where_samples, dtypes=h.ALL_DTYPES)


def where(condition, x=None, y=None, name=None):
    """Selects from ``x`` where ``condition`` is true and from ``y`` elsewhere,
    or, without ``x`` and ``y``, returns the indices of the true elements.

    Args:
        condition: a bool tensor.
        x: values where ``condition`` is true; broadcast with ``condition`` and ``y``.
        y: values where it is false.
        name: ignored.

    Returns:
        With ``x`` and ``y``: a tensor of the broadcast shape. Without: an int64
        tensor of shape ``[number of true elements, rank]``.

    Raises:
        InvalidArgumentError: if the shapes do not broadcast, ``x`` and ``y``
            are tensors of different dtypes, or only one of them is given.
        TypeError: if ``condition`` is not bool.
    """
    condition = h.to_tensor(condition)
    if (x is None) != (y is None):
        raise InvalidArgumentError("where: x and y must both be given or both be None")
    if x is None:
        if not condition.dtype.is_bool:
            condition = cast(condition, _dtypes.bool_)
        idx = np.argwhere(np.asarray(condition._a)).astype(np.int64)
        return Tensor._from_array(_core.from_numpy(idx))
    if not condition.dtype.is_bool:
        raise TypeError(f"where: condition must be bool, got {condition.dtype.name}")
    x, y = h.pair(x, y)
    return apply(_where, (condition, x, y))
