"""Everyday functions that are compositions of registered ops (so they have
no gradient code of their own): more elementwise math, segment sums, norms,
repeat/roll/slice/sequence_mask, tensordot, clip_by_global_norm, map_fn."""

import builtins as _builtins
import math as _math

import numpy as np

from tensorlet.framework import dtypes as _dtypes
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.ops import _helpers as h
from tensorlet.ops import array_ops as _a
from tensorlet.ops import elementwise as _e
from tensorlet.ops import reductions as _r


# ---- elementwise ---------------------------------------------------------------
def tan(x, name=None):
    """sin(x) / cos(x) element-wise."""
    x = h.to_tensor(x)
    return _e.sin(x) / _e.cos(x)


def sinh(x, name=None):
    """(e**x - e**-x) / 2 element-wise."""
    x = h.to_tensor(x)
    return (_e.exp(x) - _e.exp(-x)) * 0.5


def cosh(x, name=None):
    """(e**x + e**-x) / 2 element-wise."""
    x = h.to_tensor(x)
    return (_e.exp(x) + _e.exp(-x)) * 0.5


def log_sigmoid(x, name=None):
    """log(sigmoid(x)) = -softplus(-x), without overflow."""
    return -_e.softplus(-h.to_tensor(x))


def softsign(features, name=None):
    """x / (1 + |x|) element-wise."""
    x = h.to_tensor(features)
    return x / (1.0 + _e.abs(x))


def squared_difference(x, y, name=None):
    """(x - y)**2 element-wise."""
    x, y = h.pair(x, y)
    return _e.square(x - y)


def divide_no_nan(x, y, name=None):
    """x / y, and 0 where y is 0 (with a zero gradient there)."""
    x, y = h.pair(x, y)
    zero = _e.equal(y, 0)
    safe = _a.where(zero, _a.ones_like(y), y)
    return _a.where(zero, _a.zeros_like(x * safe), x / safe)


def xlogy(x, y, name=None):
    """x * log(y), and 0 where x is 0."""
    x, y = h.pair(x, y)
    zero = _e.equal(x, 0)
    return _a.where(zero, _a.zeros_like(x * y), x * _e.log(_a.where(zero, _a.ones_like(y), y)))


def is_nan(x, name=None):
    """True where x is NaN."""
    x = h.to_tensor(x)
    return _e.not_equal(x, x)


def is_inf(x, name=None):
    """True where x is +inf or -inf."""
    x = h.to_tensor(x)
    return _e.equal(_e.abs(x), _a.cast(_math.inf, x.dtype)) if x.dtype.is_floating else _a.zeros_like(x, "bool")


def is_finite(x, name=None):
    """True where x is neither NaN nor infinite."""
    return _e.logical_not(_e.logical_or(is_nan(x), is_inf(x)))


def logical_xor(x, y, name=None):
    """x XOR y element-wise (bool inputs)."""
    return _e.logical_and(_e.logical_or(x, y), _e.logical_not(_e.logical_and(x, y)))


def truediv(x, y, name=None):
    """x / y element-wise (integers become floats, as Python's /)."""
    x, y = h.pair(x, y)
    if x.dtype.is_integer:
        dt = _dtypes.float64 if x.dtype == _dtypes.int64 else _dtypes.float32
        x, y = _a.cast(x, dt), _a.cast(y, dt)
    return x / y


# ---- reductions and segments --------------------------------------------------------
def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    """sqrt(sum(x**2)) over ``axis``."""
    x = h.to_tensor(input_tensor)
    return _e.sqrt(_r.reduce_sum(_e.square(x), axis=axis, keepdims=keepdims))


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):
    """The vector norm over ``axis`` (all elements by default): ord 'euclidean'/2, 1 or inf.

    Raises:
        InvalidArgumentError: for another ``ord`` (matrix norms are not supported).
    """
    x = h.to_tensor(tensor)
    keep = bool(keepdims)
    if ord in ("euclidean", 2, 2.0, "fro"):
        return reduce_euclidean_norm(x, axis, keep)
    if ord == 1:
        return _r.reduce_sum(_e.abs(x), axis=axis, keepdims=keep)
    if ord in (np.inf, "inf"):
        return _r.reduce_max(_e.abs(x), axis=axis, keepdims=keep)
    raise InvalidArgumentError(f"norm: ord must be 'euclidean', 1, 2 or inf, got {ord!r}")


def _segments(data, segment_ids, op):
    idx = h.host_numbers(segment_ids, op, "segment_ids", integer=True)
    ids = h.to_tensor(segment_ids)
    if idx.ndim != 1 or (idx.size and (np.diff(idx) < 0).any()):
        raise InvalidArgumentError(f"{op}: segment_ids must be a sorted 1-D tensor, got {idx.tolist()}")
    return ids, (int(idx[-1]) + 1 if idx.size else 0)


def segment_sum(data, segment_ids, name=None):
    """Sums of the rows of ``data`` sharing a (sorted) segment id."""
    ids, n = _segments(data, segment_ids, "segment_sum")
    return _a.unsorted_segment_sum(data, ids, n)


def unsorted_segment_mean(data, segment_ids, num_segments, name=None):
    """Means of the rows of ``data`` sharing a segment id (0 for empty segments)."""
    data = h.to_tensor(data)
    ids = h.to_tensor(segment_ids)
    total = _a.unsorted_segment_sum(data, ids, num_segments)
    ones = _a.ones(list(ids.shape), data.dtype)
    count = _a.unsorted_segment_sum(ones, ids, num_segments)
    count = _a.reshape(count, list(count.shape) + [1] * (total.ndim - count.ndim))
    return total / _e.maximum(count, 1.0)


def segment_mean(data, segment_ids, name=None):
    """Means of the rows of ``data`` sharing a (sorted) segment id."""
    ids, n = _segments(data, segment_ids, "segment_mean")
    return unsorted_segment_mean(data, ids, n)


def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=_dtypes.int32, name=None, axis=None):
    """How often each value 0, 1, ... occurs in the non-negative integer ``arr`` (or the sum of its weights)."""
    a = h.host_numbers(arr, "bincount", "arr", integer=True).reshape(-1)
    if a.size and a.min() < 0:
        raise InvalidArgumentError(f"bincount: values must be non-negative, got {int(a.min())}")
    n = max(int(a.max()) + 1 if a.size else 0, int(minlength or 0))
    if maxlength is not None:
        n = min(n, int(maxlength))
    keep = a < n
    if weights is None:
        from tensorlet.ops._host import tensor

        return tensor(np.bincount(a[keep], minlength=n).astype(_dtypes.as_dtype(dtype).as_numpy_dtype))
    w = _a.reshape(h.to_tensor(weights), [-1])
    return _a.unsorted_segment_sum(_a.gather(w, np.flatnonzero(keep)), a[keep].astype(np.int64), n)


def in_top_k(targets, predictions, k, name=None):
    """Whether each target class is among the ``k`` highest predictions of its row (ties count as in)."""
    p = h.host_numbers(predictions, "in_top_k", "predictions")
    t = h.host_numbers(targets, "in_top_k", "targets", integer=True).astype(np.int64)
    if p.ndim != 2 or t.shape != p.shape[:1]:
        raise InvalidArgumentError(f"in_top_k: expects predictions of shape (batch, classes) and targets of shape "
                                   f"(batch,), got {p.shape} and {t.shape}")
    valid = (t >= 0) & (t < p.shape[1])  # an out-of-range target is not in the top k, as in TensorFlow
    score = np.take_along_axis(p, np.where(valid, t, 0)[:, None], 1)
    from tensorlet.ops._host import tensor

    return tensor(valid & (np.sum(p > score, 1) < int(k)))


def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype=_dtypes.int32, name=None):
    """Counts (or summed weights) of each (label, prediction) pair: a ``num_classes`` square matrix."""
    lab = h.host_numbers(labels, "confusion_matrix", "labels").astype(np.int64).reshape(-1)
    pred = h.host_numbers(predictions, "confusion_matrix", "predictions").astype(np.int64).reshape(-1)
    n = int(num_classes) if num_classes is not None else int(max(lab.max(initial=-1), pred.max(initial=-1)) + 1)
    w = np.ones(lab.shape) if weights is None else h.host_numbers(weights, "confusion_matrix", "weights").reshape(-1)
    if not lab.shape == pred.shape == w.shape:
        raise InvalidArgumentError(f"confusion_matrix: labels, predictions and weights must have the same size, got "
                                   f"{lab.size}, {pred.size} and {w.size}")
    if lab.size and min(lab.min(), pred.min()) < 0 or max(lab.max(initial=0), pred.max(initial=0)) >= n:
        raise InvalidArgumentError(f"confusion_matrix: labels and predictions must be in [0, {n}) "
                                   f"(num_classes={num_classes})")
    out = np.zeros((n, n))
    np.add.at(out, (lab, pred), w)
    from tensorlet.ops._host import tensor

    return tensor(out.astype(_dtypes.as_dtype(dtype).as_numpy_dtype))


# ---- shapes -----------------------------------------------------------------------
def repeat(input, repeats, axis=None, name=None):
    """Repeats each element (along ``axis``; of the flattened input when None) ``repeats`` times."""
    x = h.to_tensor(input)
    if axis is None:
        x, axis = _a.reshape(x, [-1]), 0
    axis = h.normalize_axes(int(axis), x.ndim, "repeat")[0]
    reps = np.broadcast_to(np.asarray(repeats.numpy() if hasattr(repeats, "numpy") else repeats, np.int64),
                           (x.shape[axis],))
    return _a.gather(x, np.repeat(np.arange(x.shape[axis]), reps), axis=axis)


def roll(input, shift, axis, name=None):
    """Rotates elements along ``axis`` by ``shift`` (both may be lists)."""
    x = h.to_tensor(input)
    shifts = [shift] if np.ndim(shift) == 0 else list(shift)
    axes = [axis] if np.ndim(axis) == 0 else list(axis)
    for s, ax in zip(shifts, axes):
        ax = h.normalize_axes(int(ax), x.ndim, "roll")[0]
        n = x.shape[ax]
        if n:
            x = _a.gather(x, (np.arange(n) - int(s)) % n, axis=ax)
    return x


_py_slice = _builtins.slice


def slice(input_, begin, size, name=None):
    """The block of ``input_`` starting at ``begin`` with ``size`` (-1: to the end) per axis."""
    x = h.to_tensor(input_)
    begin, size = _a._shape_list(begin, "slice"), _a._shape_list(size, "slice")
    if len(begin) != x.ndim or len(size) != x.ndim:
        raise InvalidArgumentError(f"slice: begin and size need one entry per axis of {x.shape}")
    key = tuple(_py_slice(b, None if s == -1 else b + s) for b, s in zip(begin, size))
    for b, s, d in zip(begin, size, x.shape):
        if b < 0 or (s != -1 and b + s > d) or s < -1:
            raise InvalidArgumentError(f"slice: begin {begin} and size {size} do not fit shape {x.shape}")
    return _a.getitem(x, key)


def sequence_mask(lengths, maxlen=None, dtype=_dtypes.bool_, name=None):
    """``mask[..., j] = j < lengths[...]``: a mask of the first ``lengths`` positions."""
    lengths = h.to_tensor(lengths)
    if maxlen is None:
        maxlen = int(_r.reduce_max(lengths)) if lengths._a.size else 0
    cols = _a.range(int(maxlen), dtype=lengths.dtype)
    mask = _e.less(cols, _a.expand_dims(lengths, -1))
    return mask if _dtypes.as_dtype(dtype).is_bool else _a.cast(mask, dtype)


def tensordot(a, b, axes, name=None):
    """Sums the products of ``a`` and ``b`` over ``axes`` (an int: the last/first n; or two lists)."""
    from tensorlet.ops.einsum_op import einsum

    a, b = h.pair(a, b)
    axes = axes.numpy().tolist() if hasattr(axes, "numpy") else axes
    if not isinstance(axes, (list, tuple)):
        n = int(axes)
        if not 0 <= n <= min(a.ndim, b.ndim):
            raise InvalidArgumentError(f"tensordot: axes={n} must be in [0, {min(a.ndim, b.ndim)}] for shapes "
                                       f"{a.shape} and {b.shape}")
        axes = [list(range(a.ndim - n, a.ndim)), list(range(n))]
    if len(axes) != 2:
        raise InvalidArgumentError(f"tensordot: axes must be an int or two lists of axes, got {axes!r}")
    ax_a, ax_b = ([int(v) for v in (ax if isinstance(ax, (list, tuple)) else [ax])] for ax in axes)
    for ax, t in ((ax_a, a), (ax_b, b)):
        h.normalize_axes(ax, t.ndim, "tensordot")  # in range, none repeated
    ax_a, ax_b = [v % max(a.ndim, 1) for v in ax_a], [v % max(b.ndim, 1) for v in ax_b]
    if len(ax_a) != len(ax_b):
        raise InvalidArgumentError(f"tensordot: the two lists of axes differ in length: {axes!r}")
    letters = iter("abcdefghijklmnopqrstuvwxyz")
    sa = [next(letters) for _ in range(a.ndim)]
    sb = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(ax_a, ax_b):
        sb[j] = sa[i]
    out = [c for i, c in enumerate(sa) if i not in ax_a] + [c for j, c in enumerate(sb) if j not in ax_b]
    return einsum("".join(sa) + "," + "".join(sb) + "->" + "".join(out), a, b)


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """Scales a list of tensors so that their joint L2 norm is at most ``clip_norm``.

    Returns:
        ``(clipped_list, global_norm)``; None entries stay None.
    """
    ts = list(t_list)
    present = [h.to_tensor(t) for t in ts if t is not None]
    if use_norm is None:
        sq = [_r.reduce_sum(_e.square(_a.cast(t, "float32") if not t.dtype.is_floating else t)) for t in present]
        total = sq[0] if sq else _a.zeros([])
        for s in sq[1:]:
            total = total + _a.cast(s, total.dtype)
        use_norm = _e.sqrt(total)
    use_norm = h.to_tensor(use_norm)
    scale = clip_norm / _e.maximum(use_norm, clip_norm)
    out = [None if t is None else h.to_tensor(t) * _a.cast(scale, h.to_tensor(t).dtype) for t in ts]
    return out, use_norm


def global_norm(t_list, name=None):
    """sqrt(sum of the squares of every element of every tensor in the list)."""
    return clip_by_global_norm(t_list, 1.0)[1]


def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True, swap_memory=False, infer_shape=True,
           name=None, fn_output_signature=None):
    """``fn`` applied to each slice of ``elems`` along axis 0, the results stacked (differentiable)."""
    from tensorlet.nest import flatten, pack_sequence_as

    leaves = [h.to_tensor(e) for e in flatten(elems)]
    n = leaves[0].shape[0]
    outs = [fn(pack_sequence_as(elems, [leaf[i] for leaf in leaves])) for i in range(n)]
    if not outs:
        raise InvalidArgumentError("map_fn: elems has no rows")
    flat = [flatten(o) for o in outs]
    return pack_sequence_as(outs[0], [_a.stack([f[k] for f in flat], 0) for k in range(len(flat[0]))])


def executing_eagerly():
    """True: tensorlet runs every op eagerly."""
    return True
