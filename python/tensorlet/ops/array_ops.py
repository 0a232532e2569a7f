"""The array ops, by family (as in the C++ kernels): views and shapes
(``view_ops``), creation (``creation_ops``), joining and splitting
(``join_ops``), selection (``gather_ops``) and clipping (``clip_ops``).

This module re-exports them all, so ``tensorlet.ops.array_ops.reshape`` and
friends keep working."""

from tensorlet.ops.clip_ops import clip_by_norm, clip_by_value  # noqa: F401
from tensorlet.ops.creation_ops import eye, fill, ones, ones_like, range, zeros, zeros_like  # noqa: F401
from tensorlet.ops.gather_ops import gather, one_hot, unsorted_segment_sum, where  # noqa: F401
from tensorlet.ops.join_ops import concat, pad, reverse, split, stack, tile, unstack  # noqa: F401
from tensorlet.ops.view_ops import (  # noqa: F401
    _broadcast_to, _index, _index_items, _view, broadcast_to, cast, expand_dims, getitem, identity, rank, reshape,
    shape, size, squeeze, stop_gradient, transpose,
)
