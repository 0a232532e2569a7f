"""``tensorlet.nn``: activations, softmax and the crossentropies (as ``tf.nn``)."""

import numpy as _np

from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.ops.elementwise import relu, sigmoid, softplus, tanh
from tensorlet.ops.registry import composite
from tensorlet.ops.nn_ops import (
    bias_add, dense, elu, gelu, l2_normalize, leaky_relu, log_softmax, moments, relu6, selu,
    sigmoid_cross_entropy_with_logits, silu, softmax, softmax_cross_entropy_with_logits,
    sparse_softmax_cross_entropy_with_logits, swish,
)
from tensorlet.ops.composite_ops import in_top_k, softsign
from tensorlet.ops.nn_extra_ops import dropout, embedding_lookup
from tensorlet.ops.sort_ops import top_k

__all__ = ["dropout", "embedding_lookup", "in_top_k", "softsign", "top_k",

    "bias_add", "dense", "elu", "gelu", "l2_normalize", "leaky_relu", "log_softmax", "moments", "relu", "relu6", "selu",
    "sigmoid", "sigmoid_cross_entropy_with_logits", "silu", "softmax", "softmax_cross_entropy_with_logits",
    "softplus", "sparse_softmax_cross_entropy_with_logits", "swish", "tanh",
    "avg_pool1d", "avg_pool2d", "batch_norm_stats", "batch_norm_training", "batch_normalization", "conv1d", "conv2d", "conv2d_transpose", "depthwise_conv2d", "fused_batch_norm", "fused_conv2d", "max_pool1d", "max_pool2d",  # noqa: E501
    "avg_pool3d", "conv3d", "max_pool3d", "avg_pool", "convolution", "max_pool", "separable_conv2d",
]
from tensorlet.ops.conv_ops import avg_pool1d, avg_pool2d, batch_norm_stats, batch_norm_training, batch_normalization, conv1d, conv2d, conv2d_transpose, depthwise_conv2d, fused_batch_norm, fused_conv2d, max_pool1d, max_pool2d  # noqa: E402,E501
from tensorlet.ops.conv3d_ops import avg_pool3d, conv3d, max_pool3d  # noqa: E402


def _by_rank(kind, by_rank):
    """A ``tf.nn`` op over 1, 2 or 3 spatial dims, chosen by the input's rank."""
    def op(input, *args, data_format=None, **kwargs):
        rank = len(input.shape) if hasattr(input, "shape") else _np.ndim(_np.asarray(input))
        if rank not in by_rank:
            raise InvalidArgumentError(f"{kind}: the input must have rank 3, 4 or 5 (batch, 1 to 3 spatial dims, "
                                       f"channels), got rank {rank}")
        return by_rank[rank](input, *args, **kwargs, **({} if data_format is None else {"data_format": data_format}))
    op.__name__, op.__doc__ = kind, f"{kind} by the input's rank: {', '.join(f.__name__ for f in by_rank.values())}."
    return composite(op)


max_pool = _by_rank("max_pool", {3: max_pool1d, 4: max_pool2d, 5: max_pool3d})
avg_pool = _by_rank("avg_pool", {3: avg_pool1d, 4: avg_pool2d, 5: avg_pool3d})
_conv = _by_rank("convolution", {3: conv1d, 4: conv2d, 5: conv3d})


@composite
def convolution(input, filters, strides=None, padding="VALID", data_format=None, dilations=None, name=None):
    """``conv1d``, ``conv2d`` or ``conv3d`` by the input's rank (3, 4 or 5);
    ``strides`` None is 1. Raises InvalidArgumentError for another rank."""
    return _conv(input, filters, 1 if strides is None else strides, padding, data_format=data_format,
                 dilations=dilations)


@composite
def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding, data_format=None, dilations=None,
                     name=None):
    """A depthwise convolution followed by a 1x1 convolution mixing channels.

    Args:
        input: a 4-D tensor.
        depthwise_filter: ``(h, w, in_channels, multiplier)``.
        pointwise_filter: ``(1, 1, in_channels * multiplier, out_channels)``.
        strides, padding, data_format, dilations: as for ``depthwise_conv2d``.
        name: ignored.

    Returns:
        The 4-D result.
    """
    y = depthwise_conv2d(input, depthwise_filter, strides, padding, data_format, dilations)
    return conv2d(y, pointwise_filter, 1, "VALID", data_format or "NHWC")
