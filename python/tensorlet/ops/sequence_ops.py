"""Cumulative sums, sums of lists and evenly spaced grids: cumsum, add_n,
linspace, meshgrid. cumsum is one registered op (its gradient is a cumsum in
the other direction); the rest are compositions of registered ops."""

import builtins

import numpy as np

from tensorlet.framework import dtypes as _dtypes
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.ops import _helpers as h
from tensorlet.ops import _host
from tensorlet.ops.registry import apply, register


def _np_cumsum(x, axis, exclusive, reverse):
    if reverse:
        x = np.flip(x, axis)
    out = np.cumsum(x, axis=axis, dtype=x.dtype)
    if exclusive:
        out = np.concatenate([np.zeros_like(np.take(out, [0], axis)), np.delete(out, -1, axis)], axis) \
            if x.shape[axis] else out
    return np.flip(out, axis) if reverse else out


def _cumsum_samples(rng, dt):
    v = lambda *s: h.sample_values(rng, s, dt)  # noqa: E731
    return [((v(5),), (0, False, False)), ((v(3, 4),), (1, True, False)), ((v(3, 4),), (0, False, True)),
            ((v(2, 3, 4),), (2, True, True)), ((v(0, 3),), (0, False, False))]


_cumsum = register(
    "cumsum", _host.kernel(_np_cumsum),
    grad=lambda dy, inputs, attrs, out: (apply(_cumsum, (dy,), attrs[0], attrs[1], not attrs[2]),),
    diff=(True,), shape=h.same_shape, dtype=h.first_dtype, ref=_np_cumsum, samples=_cumsum_samples,
    dtypes=("float32", "float64", "int32", "int64"))


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Cumulative sum along ``axis``: ``cumsum([a, b, c]) = [a, a + b, a + b + c]``.

    Args:
        x: a numeric tensor.
        axis: the axis to sum along (default 0).
        exclusive: if true, each sum leaves out its own element: ``[0, a, a + b]``.
        reverse: if true, sum from the end: ``[a + b + c, b + c, c]``.
        name: ignored.

    Returns:
        A tensor of ``x``'s shape and dtype.

    Raises:
        InvalidArgumentError: if ``axis`` is out of range.
        TypeError: for a bool tensor.
    """
    x = h.to_tensor(x)
    if x.dtype.is_bool:
        raise TypeError("cumsum: x must be numeric, got bool")
    if x.ndim == 0:
        raise InvalidArgumentError("cumsum: x must have at least one dimension, got a scalar")
    axis = h.normalize_axes(int(axis), x.ndim, "cumsum")[0]
    return apply(_cumsum, (x,), axis, bool(exclusive), bool(reverse))


def add_n(inputs, name=None):
    """The elementwise sum of a list of tensors of one shape and dtype.

    Raises:
        InvalidArgumentError: if the list is empty or the shapes differ.
    """
    from tensorlet.ops.array_ops import _tensors

    inputs = _tensors(inputs, "add_n")
    shapes = {tuple(t.shape) for t in inputs}
    if len(shapes) > 1:
        raise InvalidArgumentError(f"add_n: all inputs must have one shape, got {sorted(shapes)}")
    out = inputs[0]
    for t in inputs[1:]:
        out = out + t
    return out if len(inputs) > 1 else out + 0


def linspace(start, stop, num, name=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` (both included).

    Args:
        start: a float scalar or tensor (ints become float32).
        stop: the last value, of ``start``'s shape.
        num: the number of values (a positive int).
        name: ignored.
        axis: where the new axis goes when ``start`` and ``stop`` are tensors.

    Returns:
        A float tensor; differentiable in ``start`` and ``stop``.

    Raises:
        InvalidArgumentError: if ``num`` is not positive or the shapes differ.
    """
    from tensorlet.ops.array_ops import cast, concat, expand_dims, range, reshape

    start, stop = h.pair(start, stop)
    if not start.dtype.is_floating:
        start, stop = cast(start, _dtypes.float32), cast(stop, _dtypes.float32)
    num = int(num)
    if num < 1:
        raise InvalidArgumentError(f"linspace: num must be positive, got {num}")
    if tuple(start.shape) != tuple(stop.shape):
        start, stop = start + stop * 0, stop + start * 0  # broadcast to one shape
    axis = int(axis) % (start.ndim + 1)
    first, last = expand_dims(start, axis), expand_dims(stop, axis)
    if num == 1:
        return first
    shape = [1] * (start.ndim + 1)
    shape[axis] = num - 1
    steps = reshape(range(num - 1, dtype=start.dtype), shape)
    return concat([first + steps * ((last - first) / (num - 1)), last], axis)


lin_space = linspace


def meshgrid(*args, **kwargs):
    """Coordinate grids from 1-D tensors.

    Args:
        *args: 1-D tensors of one dtype.
        indexing: ``'xy'`` (default; the first two outputs' axes are swapped,
            as for plotting) or ``'ij'`` (matrix indexing).

    Returns:
        A list of ``len(args)`` tensors, each of the grid's shape.

    Raises:
        InvalidArgumentError: for an input that is not 1-D or a bad ``indexing``.
    """
    from tensorlet.ops.array_ops import _tensors, broadcast_to, reshape

    indexing = kwargs.pop("indexing", "xy")
    kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"meshgrid: unexpected keyword arguments {sorted(kwargs)}")
    if indexing not in ("xy", "ij"):
        raise InvalidArgumentError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    if not args:
        return []
    xs = [reshape(t, [-1]) for t in _tensors(args, "meshgrid")]
    n = len(xs)
    pos = list(builtins.range(n))
    if indexing == "xy" and n > 1:
        pos[0], pos[1] = 1, 0
    full = [0] * n
    for i, x in enumerate(xs):
        full[pos[i]] = x.shape[0]
    out = []
    for i, x in enumerate(xs):
        shape = [1] * n
        shape[pos[i]] = -1
        out.append(broadcast_to(reshape(x, shape), full))
    return out
