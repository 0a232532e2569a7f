"""Ordering: argsort, sort, top_k (math.top_k), unique. The order is found on
the host (numpy, stable); values are then taken with gather_nd, so sort and
top_k are differentiable through it."""

import collections

import numpy as np

from tensorlet.framework import dtypes as _dtypes
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.ops import _helpers as h
from tensorlet.ops import _host

TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])
Unique = collections.namedtuple("Unique", ["y", "idx"])
UniqueWithCounts = collections.namedtuple("UniqueWithCounts", ["y", "idx", "count"])


def _order(x, axis, descending):
    """Stable order along ``axis``; ties keep their original order in both directions."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    return n - 1 - np.flip(np.argsort(np.flip(x, axis), axis=axis, kind="stable"), axis)


def _take_along(x, order, axis):
    """``x`` taken at ``order`` along ``axis`` (differentiable in ``x``)."""
    from tensorlet.ops.scatter_ops import _gather_nd
    from tensorlet.ops.registry import apply

    grid = list(np.indices(order.shape, sparse=False))
    grid[axis] = order
    return apply(_gather_nd, (x, _host.tensor(np.stack(grid, -1).astype(np.int64))))


def _direction(direction, op):
    d = str(direction).upper()
    if d not in ("ASCENDING", "DESCENDING"):
        raise InvalidArgumentError(f"{op}: direction must be 'ASCENDING' or 'DESCENDING', got {direction!r}")
    return d == "DESCENDING"


def _axis(x, axis, op):
    if x.ndim == 0:
        raise InvalidArgumentError(f"{op}: the input must have at least one dimension, got a scalar")
    return h.normalize_axes(axis, x.ndim, op)[0]


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """The indices that sort ``values`` along ``axis`` (int32; ties keep their order).

    Raises:
        InvalidArgumentError: for a scalar input, a bad axis or direction.
    """
    values = h.to_tensor(values)
    axis = _axis(values, axis, "argsort")
    return _host.tensor(_order(values.numpy(), axis, _direction(direction, "argsort")).astype(np.int32))


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """``values`` sorted along ``axis``; differentiable (the gradient follows each value).

    Args:
        values: a numeric tensor of rank at least 1.
        axis: the axis to sort along (default the last).
        direction: ``'ASCENDING'`` or ``'DESCENDING'``.
        name: ignored.

    Returns:
        A tensor of the same shape and dtype.

    Raises:
        InvalidArgumentError: for a scalar input, a bad axis or direction.
    """
    values = h.to_tensor(values)
    axis = _axis(values, axis, "sort")
    return _take_along(values, _order(values.numpy(), axis, _direction(direction, "sort")), axis)


def top_k(input, k=1, sorted=True, index_type=_dtypes.int32, name=None):
    """The ``k`` largest entries along the last axis and their indices.

    Equal values come in order of their index, as in TensorFlow.

    Args:
        input: a tensor of rank at least 1.
        k: how many to keep, at most ``input.shape[-1]``.
        sorted: ignored (the result is always sorted, largest first).
        index_type: int32 (default) or int64.
        name: ignored.

    Returns:
        ``TopKV2(values, indices)``, each of shape ``input.shape[:-1] + (k,)``;
        ``values`` is differentiable.

    Raises:
        InvalidArgumentError: if ``k`` is negative or larger than the last dimension.
    """
    input = h.to_tensor(input)
    axis = _axis(input, -1, "top_k")
    k = int(k)
    if not 0 <= k <= input.shape[-1]:
        raise InvalidArgumentError(f"top_k: k={k} must be in [0, {input.shape[-1]}] (the last dimension of "
                                   f"shape {input.shape})")
    order = _order(input.numpy(), axis, True)[..., :k]
    indices = _host.tensor(order.astype(_dtypes.as_dtype(index_type).as_numpy_dtype))
    return TopKV2(_take_along(input, order, axis), indices)


def _unique(x, out_idx, op):
    x = h.to_tensor(x)
    if x.ndim != 1:
        raise InvalidArgumentError(f"{op}: x must be 1-D, got shape {x.shape}")
    a = x.numpy()
    vals, first, inverse, counts = np.unique(a, return_index=True, return_inverse=True, return_counts=True)
    order = np.argsort(first, kind="stable")  # TensorFlow lists values in order of first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    idx_dt = _dtypes.as_dtype(out_idx).as_numpy_dtype
    return (_host.tensor(vals[order].astype(a.dtype)), _host.tensor(rank[inverse.reshape(-1)].astype(idx_dt)),
            _host.tensor(counts[order].astype(idx_dt)))


def unique(x, out_idx=_dtypes.int32, name=None):
    """The distinct values of the 1-D ``x`` in order of first appearance, and for
    each element of ``x`` the index of its value in them.

    Returns:
        ``Unique(y, idx)``.

    Raises:
        InvalidArgumentError: if ``x`` is not 1-D.
    """
    y, idx, _ = _unique(x, out_idx, "unique")
    return Unique(y, idx)


def unique_with_counts(x, out_idx=_dtypes.int32, name=None):
    """As :func:`unique`, with how often each value occurs: ``UniqueWithCounts(y, idx, count)``."""
    return UniqueWithCounts(*_unique(x, out_idx, "unique_with_counts"))
