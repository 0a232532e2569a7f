"""``tf.nn.dropout`` and ``tf.nn.embedding_lookup``, compositions of registered ops."""

import numbers

from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.ops import _helpers as h


def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """Zeroes each element with probability ``rate`` and scales the rest by ``1 / (1 - rate)``.

    Args:
        x: a floating tensor.
        rate: the drop probability, in ``[0, 1)``.
        noise_shape: the shape of the keep mask, broadcast against ``x``
            (``[batch, 1, features]`` drops whole features across time, say).
        seed: an op seed for repeatable masks.
        name: ignored.

    Returns:
        A tensor of ``x``'s shape and dtype.

    Raises:
        InvalidArgumentError: if ``rate`` is outside ``[0, 1)``.
    """
    from tensorlet.ops import random_ops
    from tensorlet.ops.array_ops import cast, shape

    x = h.to_tensor(x)
    if not x.dtype.is_floating:
        raise InvalidArgumentError(f"dropout: x must be a floating tensor, got {x.dtype.name}")
    if not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
        raise InvalidArgumentError(f"dropout: rate must be a number in [0, 1), got {rate!r}")
    if rate == 0:
        return x + 0
    mask_shape = shape(x) if noise_shape is None else noise_shape
    keep = random_ops.uniform(mask_shape, dtype=x.dtype, seed=seed) >= rate
    return x * (cast(keep, x.dtype) * (1.0 / (1.0 - rate)))


def embedding_lookup(params, ids, max_norm=None, name=None):
    """Rows of ``params`` at ``ids``: ``gather(params, ids)``.

    Args:
        params: a tensor (or a list holding one tensor) of shape ``[vocab, dim...]``.
        ids: an integer tensor of row indices.
        max_norm: if given, rows whose L2 norm exceeds it are scaled down to it.
        name: ignored.

    Returns:
        A tensor of shape ``ids.shape + params.shape[1:]``.

    Raises:
        InvalidArgumentError: for an id out of range.
    """
    from tensorlet.ops.array_ops import clip_by_norm, gather

    if isinstance(params, (list, tuple)):
        if len(params) != 1:
            raise InvalidArgumentError("embedding_lookup: sharded params (a list of several tensors) are not "
                                       "supported; concatenate them first")
        params = params[0]
    out = gather(params, ids)
    if max_norm is not None:
        out = clip_by_norm(out, max_norm, axes=list(range(out.ndim - (params.ndim - 1), out.ndim)))
    return out
