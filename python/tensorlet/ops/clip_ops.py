"""Clipping: clip_by_value, clip_by_norm."""


import numpy as np

from tensorlet import _core
from tensorlet.framework.convert import convert_like
from tensorlet.ops import _helpers as h
from tensorlet.ops import elementwise as _ew
from tensorlet.ops.creation_ops import ones_like, zeros_like
from tensorlet.ops.gather_ops import _ternary_shape, where
from tensorlet.ops.reductions import reduce_sum
from tensorlet.ops.registry import apply, register
from tensorlet.ops.view_ops import cast

def _clip_grad(dy, inputs, attrs, out):
    x, lo, hi = inputs
    below, above = _ew.less(x, lo), _ew.greater(x, hi)
    inside = _ew.logical_not(_ew.logical_or(below, above))
    return dy * cast(inside, dy.dtype), dy * cast(below, dy.dtype), dy * cast(above, dy.dtype)


def _clip_samples(rng, dt):
    v = lambda lo, hi, *s: h.sample_values(rng, s, dt, lo, hi)  # noqa: E731
    return [((v(-3, 3, 4, 5), v(-1.5, -0.5), v(0.5, 1.5)), ()), ((v(-3, 3, 3, 4), v(-2, -1, 4), v(1, 2, 3, 1)), ()),
            ((v(-3, 3), v(-1, -1), v(1, 1)), ()), ((v(-3, 3, 0, 2), v(-1, -1), v(1, 1)), ())]


_clip = register(
    "clip_by_value", _core.clip, grad=_clip_grad, diff=(True, True, True), shape=_ternary_shape,
    dtype=h.first_dtype, ref=lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi), samples=_clip_samples,
    dtypes=("float32", "float64", "int32", "int64"))


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """Clips values to ``[clip_value_min, clip_value_max]`` element-wise.

    Args:
        t: a tensor.
        clip_value_min: the lower bound (a scalar or a tensor broadcastable with ``t``).
        clip_value_max: the upper bound.
        name: ignored.

    Returns:
        A tensor of the broadcast shape and ``t``'s dtype; the gradient flows to
        ``t`` where it lies within the bounds, otherwise to the bound.

    Raises:
        InvalidArgumentError: if the shapes do not broadcast or dtypes differ.
    """
    t = h.to_tensor(t)
    lo = convert_like(clip_value_min, t)
    hi = convert_like(clip_value_max, t)
    return apply(_clip, (t, lo, hi))


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """Rescales ``t`` so that its L2 norm (over ``axes``, default all) is at most ``clip_norm``.

    Args:
        t: a floating tensor.
        clip_norm: the largest norm allowed (a positive scalar).
        axes: the axes the norm is taken over; None means all.
        name: ignored.

    Returns:
        ``t * clip_norm / max(norm, clip_norm)``, of ``t``'s shape and dtype.
    """
    t = h.to_tensor(t)
    axes = h.normalize_axes(axes, t.ndim, "clip_by_norm")
    sq = reduce_sum(t * t, axis=list(axes), keepdims=True)
    clip = convert_like(clip_norm, t)
    # Where the norm is 0, sqrt's gradient would be infinite: use 1 there (the
    # output is t itself then, as clip / max(0, clip) = 1).
    positive = _ew.greater(sq, 0)
    norm = _ew.sqrt(where(positive, sq, ones_like(sq)))
    norm = where(positive, norm, zeros_like(norm))
    return t * clip / _ew.maximum(norm, clip)
