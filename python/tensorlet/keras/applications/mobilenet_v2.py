"""MobileNetV2 (Sandler et al., 2018): inverted residual blocks of 1x1
expansion, 3x3 depthwise and 1x1 linear projection convolutions."""

from tensorlet.keras import layers
from tensorlet.keras.applications import _common as c


def _make_divisible(v, divisor=8):
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


def _bn(name):
    return layers.BatchNormalization(epsilon=1e-3, momentum=0.999, name=name)


def _correct_pad(x, k=3):
    """Padding before a stride-2 3x3 depthwise convolution, as Keras pads it."""
    adjust = (1, 1) if x.shape[1] is None else (1 - x.shape[1] % 2, 1 - x.shape[2] % 2)
    return ((k // 2 - adjust[0], k // 2), (k // 2 - adjust[1], k // 2))


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    in_channels = inputs.shape[-1]
    out = _make_divisible(int(filters * alpha))
    x = inputs
    prefix = f"block_{block_id}_" if block_id else "expanded_conv_"
    if block_id:
        x = layers.Conv2D(expansion * in_channels, 1, padding="same", use_bias=False, name=prefix + "expand")(x)
        x = _bn(prefix + "expand_BN")(x)
        x = layers.ReLU(6.0, name=prefix + "expand_relu")(x)
    if stride == 2:
        x = layers.ZeroPadding2D(_correct_pad(x), name=prefix + "pad")(x)
    x = layers.DepthwiseConv2D(3, strides=stride, use_bias=False, padding="same" if stride == 1 else "valid",
                               name=prefix + "depthwise")(x)
    x = _bn(prefix + "depthwise_BN")(x)
    x = layers.ReLU(6.0, name=prefix + "depthwise_relu")(x)
    x = layers.Conv2D(out, 1, padding="same", use_bias=False, name=prefix + "project")(x)
    x = _bn(prefix + "project_BN")(x)
    if in_channels == out and stride == 1:
        return layers.Add(name=prefix + "add")([inputs, x])
    return x


# (filters, stride, expansion) of blocks 0 .. 16
_BLOCKS = [(16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6), (64, 1, 6),
           (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6),
           (320, 1, 6)]


def MobileNetV2(input_shape=None, alpha=1.0, include_top=True, weights=None, input_tensor=None, pooling=None,
                classes=1000, classifier_activation="softmax", name=None):
    """MobileNetV2.

    Args:
        input_shape: (height, width, 3), at least 32x32 (224x224x3 by default with the top).
        alpha: the width multiplier of every layer's filters.
        include_top: whether to end with global average pooling and the classifier.
        weights: None (random initialization) or the path of a weights file.
        input_tensor: an optional KerasTensor to build on.
        pooling: without the top: None, 'avg' or 'max' global pooling.
        classes: the classifier's classes.
        classifier_activation: the classifier's activation.
        name: the model's name (``mobilenetv2_<alpha>_<rows>`` by default).

    Returns:
        A functional ``Model``.
    """
    c.check_weights(weights, include_top, classes, "MobileNetV2")
    inputs = c.model_input(input_tensor, input_shape, include_top, 224, 32, "MobileNetV2")
    x = layers.Conv2D(_make_divisible(32 * alpha), 3, strides=(2, 2), padding="same", use_bias=False,
                      name="Conv1")(inputs)
    x = _bn("bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, expansion, stride, alpha, filters, block_id)
    x = layers.Conv2D(_make_divisible(1280 * alpha) if alpha > 1.0 else 1280, 1, use_bias=False, name="Conv_1")(x)
    x = _bn("Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
    x = c.top(x, include_top, pooling, classes, classifier_activation)
    rows = inputs.shape[1]
    return c.finish(inputs, x, name or f"mobilenetv2_{alpha:0.2f}_{rows}", weights)


from tensorlet.keras.applications._common import preprocess_tf as preprocess_input  # noqa: E402,F401
