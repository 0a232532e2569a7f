"""``tensorlet.nn``: activations, softmax and the crossentropies (as ``tf.nn``)."""

from tensorlet.ops.elementwise import relu, sigmoid, softplus, tanh
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
    "avg_pool3d", "conv3d", "max_pool3d",
]
from tensorlet.ops.conv_ops import avg_pool1d, avg_pool2d, batch_norm_stats, batch_norm_training, batch_normalization, conv1d, conv2d, conv2d_transpose, depthwise_conv2d, fused_batch_norm, fused_conv2d, max_pool1d, max_pool2d  # noqa: E402,E501
from tensorlet.ops.conv3d_ops import avg_pool3d, conv3d, max_pool3d  # noqa: E402
