"""N-dimensional indexing: gather_nd, scatter_nd, tensor_scatter_nd_update /
_add / _sub and boolean_mask. gather_nd and scatter_nd are each other's
gradient; the index arithmetic runs on the host (numpy)."""

import numpy as np

from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.ops import _helpers as h
from tensorlet.ops import _host
from tensorlet.ops.registry import apply, register

_DTYPES = ("float32", "float64", "int32", "int64")


def _coords(indices, shape, op):
    """The index tuple of ``indices`` (last axis: coordinates), checked."""
    if getattr(indices.dtype, "kind", "i") not in "iu":  # (a symbolic run's indices have a tensorlet dtype)
        raise TypeError(f"{op}: indices must be int32 or int64, got {indices.dtype}")
    if indices.ndim == 0:
        raise InvalidArgumentError(f"{op}: indices must have rank >= 1 (the last axis holds coordinates), got a "
                                   "scalar")
    k = indices.shape[-1]
    if k > len(shape):
        raise InvalidArgumentError(f"{op}: index depth {k} exceeds the rank {len(shape)} of shape {tuple(shape)}")
    bound = np.asarray(shape[:k], np.int64)
    bad = (indices < 0) | (indices >= bound)
    if bad.any():
        at = tuple(np.argwhere(bad)[0][:-1])
        raise InvalidArgumentError(f"{op}: index {indices[at].tolist()} (at position {list(at)}) is out of "
                                   f"bounds for shape {tuple(shape)}")
    return tuple(np.moveaxis(indices, -1, 0))


def _np_gather_nd(params, indices):
    return params[_coords(indices, params.shape, "gather_nd")]


def _np_scatter_nd(updates, indices, shape):
    out = np.zeros(shape, updates.dtype)
    np.add.at(out, _coords(indices, shape, "scatter_nd"), updates)
    return out


def _np_update(tensor, indices, updates):
    out = np.array(tensor, copy=True)
    out[_coords(indices, tensor.shape, "tensor_scatter_nd_update")] = updates
    return out


def _unique_rows(rng, n, shape, k):
    """``n`` distinct coordinate rows into ``shape[:k]``, as int32."""
    flat = rng.permutation(int(np.prod(shape[:k])))[:n]
    return np.stack(np.unravel_index(flat, shape[:k]), -1).astype(np.int32)


def _gather_nd_samples(rng, dt):
    v = lambda *s: h.sample_values(rng, s, dt)  # noqa: E731
    i = lambda shape, *lead: rng.integers(0, shape, size=lead + (len(shape),)).astype(np.int64)  # noqa: E731
    return [((v(4, 5), i((4, 5), 3)), ()), ((v(4, 5, 2), i((4,), 2, 3)), ()), ((v(3, 2), i((3, 2))), ()),
            ((v(3, 4), i((3,), 0)), ())]


def _scatter_samples(rng, dt):
    v = lambda *s: h.sample_values(rng, s, dt)  # noqa: E731
    dup = np.array([[1], [3], [1]], np.int32)  # a repeated index: its updates add up
    return [((v(4), _unique_rows(rng, 4, (5, 6), 2)), ((5, 6),)), ((v(3, 2), dup), ((5, 2),)),
            ((v(2, 3, 4), rng.integers(0, 3, size=(2, 3, 1)).astype(np.int64)), ((3, 4),))]


def _update_samples(rng, dt):
    v = lambda *s: h.sample_values(rng, s, dt)  # noqa: E731
    return [((v(5, 6), _unique_rows(rng, 4, (5, 6), 2), v(4)), ()),
            ((v(5, 2), _unique_rows(rng, 3, (5,), 1), v(3, 2)), ())]


def _nd_shape(shapes, attrs):
    p, i = shapes
    if i[-1] is None:  # it sets the output's rank
        raise InvalidArgumentError(f"gather_nd: the index depth (last dim of indices {tuple(i)}) is unknown")
    return tuple(i[:-1]) + tuple(p[i[-1]:])


_gather_nd = register(
    "gather_nd", _host.kernel(_np_gather_nd),
    grad=lambda dy, inputs, attrs, out: (apply(_scatter_nd, (dy, inputs[1]), tuple(inputs[0].shape)), None),
    diff=(True, False), shape=_nd_shape, dtype=h.first_dtype, ref=_np_gather_nd, samples=_gather_nd_samples,
    dtypes=_DTYPES + ("bool",))

_scatter_nd = register(
    "scatter_nd", _host.kernel(_np_scatter_nd),
    grad=lambda dy, inputs, attrs, out: (apply(_gather_nd, (dy, inputs[1])), None),
    diff=(True, False), shape=lambda shapes, attrs: tuple(attrs[0]), dtype=h.first_dtype, ref=_np_scatter_nd,
    samples=_scatter_samples, dtypes=_DTYPES)


def _update_grad(dy, inputs, attrs, out):
    _, indices, updates = inputs
    from tensorlet.ops.array_ops import zeros_like

    return (apply(_update, (dy, indices, zeros_like(updates))), None, apply(_gather_nd, (dy, indices)))


_update = register(
    "tensor_scatter_nd_update", _host.kernel(_np_update), grad=_update_grad, diff=(True, False, True),
    shape=h.same_shape, dtype=h.first_dtype, ref=_np_update, samples=_update_samples, dtypes=_DTYPES)


def _indices(indices, op):
    indices = h.to_tensor(indices)
    if not indices.dtype.is_integer:
        raise TypeError(f"{op}: indices must be int32 or int64, got {indices.dtype.name}")
    if indices.ndim == 0:
        raise InvalidArgumentError(f"{op}: indices must have at least one dimension (the coordinates), got a scalar")
    return indices


def _check_updates(updates, indices, shape, op):
    want = tuple(indices.shape[:-1]) + tuple(shape[indices.shape[-1]:])
    if tuple(updates.shape) != want:
        raise InvalidArgumentError(f"{op}: updates must have shape {want} (indices.shape[:-1] + "
                                   f"shape[{indices.shape[-1]}:]), got {tuple(updates.shape)}")


def gather_nd(params, indices, batch_dims=0, name=None):
    """Gathers slices of ``params`` at n-dimensional ``indices``.

    Args:
        params: the tensor to index.
        indices: an integer tensor whose last axis holds coordinates into the
            first ``indices.shape[-1]`` axes of ``params`` (after ``batch_dims``).
        batch_dims: the number of leading axes that ``params`` and ``indices``
            share and that index in step.
        name: ignored.

    Returns:
        A tensor of shape ``indices.shape[:-1] + params.shape[batch_dims + k:]``.

    Raises:
        InvalidArgumentError: if an index is out of bounds (naming it) or the
            batch dimensions differ.
        TypeError: if ``indices`` is not an integer tensor.
    """
    params = h.to_tensor(params)
    indices = _indices(indices, "gather_nd")
    b = int(batch_dims)
    if b:
        if tuple(params.shape[:b]) != tuple(indices.shape[:b]):
            raise InvalidArgumentError(f"gather_nd: with batch_dims={b}, params {params.shape} and indices "
                                       f"{indices.shape} must share their first {b} dimensions")
        idx = indices.numpy()
        grid = np.indices(idx.shape[:-1])[:b]
        indices = _host.tensor(np.concatenate([np.moveaxis(grid, 0, -1).astype(idx.dtype), idx], -1))
    return apply(_gather_nd, (params, indices))


def scatter_nd(indices, updates, shape, name=None):
    """Scatters ``updates`` into a zero tensor of ``shape``; repeated indices add up.

    Args:
        indices: an integer tensor of coordinates (last axis) into ``shape``.
        updates: values of shape ``indices.shape[:-1] + shape[k:]``.
        shape: the output's shape.
        name: ignored.

    Returns:
        A tensor of ``shape`` and ``updates``' dtype.

    Raises:
        InvalidArgumentError: for an out-of-bounds index or mismatched shapes.
    """
    from tensorlet.ops.array_ops import _dims

    indices = _indices(indices, "scatter_nd")
    updates = h.to_tensor(updates)
    shape = tuple(_dims(shape, "scatter_nd"))
    _check_updates(updates, indices, shape, "scatter_nd")
    return apply(_scatter_nd, (updates, indices), shape)


def tensor_scatter_nd_update(tensor, indices, updates, name=None):
    """A copy of ``tensor`` with the slices at ``indices`` replaced by ``updates``.

    Args:
        tensor: the tensor to copy.
        indices: an integer tensor of coordinates (last axis) into ``tensor``.
        updates: values of shape ``indices.shape[:-1] + tensor.shape[k:]``.
        name: ignored.

    Returns:
        A tensor of ``tensor``'s shape and dtype.

    Raises:
        InvalidArgumentError: for an out-of-bounds index or mismatched shapes.
    """
    tensor, updates = h.pair(tensor, updates)
    indices = _indices(indices, "tensor_scatter_nd_update")
    _check_updates(updates, indices, tensor.shape, "tensor_scatter_nd_update")
    return apply(_update, (tensor, indices, updates))


def tensor_scatter_nd_add(tensor, indices, updates, name=None):
    """``tensor`` plus ``updates`` scattered at ``indices`` (repeated indices add up)."""
    tensor, updates = h.pair(tensor, updates)
    return tensor + scatter_nd(indices, updates, tensor.shape)


def tensor_scatter_nd_sub(tensor, indices, updates, name=None):
    """``tensor`` minus ``updates`` scattered at ``indices``."""
    tensor, updates = h.pair(tensor, updates)
    return tensor - scatter_nd(indices, updates, tensor.shape)


def boolean_mask(tensor, mask, axis=None, name=None):
    """The slices of ``tensor`` where ``mask`` is true.

    Args:
        tensor: the input.
        mask: a bool tensor matching ``tensor.shape[axis:axis + mask.ndim]``.
        axis: where the mask's axes start (default 0).
        name: ignored.

    Returns:
        A tensor whose masked axes are replaced by one axis of the number of
        true elements.

    Raises:
        InvalidArgumentError: if the mask's shape does not match.
    """
    from tensorlet.ops.array_ops import gather, reshape

    tensor = h.to_tensor(tensor)
    m = np.asarray(mask.numpy() if hasattr(mask, "numpy") else mask)
    if m.dtype != np.bool_:
        raise TypeError(f"boolean_mask: mask must be bool, got {m.dtype}")
    axis = 0 if axis is None else int(axis) % max(tensor.ndim, 1)
    span = tuple(tensor.shape[axis:axis + m.ndim])
    if m.ndim == 0 or span != m.shape:
        raise InvalidArgumentError(f"boolean_mask: mask of shape {m.shape} does not match dimensions "
                                   f"{axis}..{axis + m.ndim - 1} of the tensor's shape {tensor.shape}")
    shape = list(tensor.shape)
    flat = reshape(tensor, shape[:axis] + [-1 if m.size else 0] + shape[axis + m.ndim:])
    return gather(flat, _host.tensor(np.flatnonzero(m).astype(np.int64)), axis=axis)
