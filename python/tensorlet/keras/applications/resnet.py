"""ResNet50 (He et al., 2015), the Keras arrangement: bottleneck blocks with
the stride on the first 1x1 convolution."""

from tensorlet.keras import layers
from tensorlet.keras.applications import _common as c

_EPS = 1.001e-5


def _block(x, filters, stride=1, conv_shortcut=True, name=None):
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=name + "_0_conv")(x)
        shortcut = layers.BatchNormalization(epsilon=_EPS, name=name + "_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=name + "_1_conv")(x)
    x = layers.BatchNormalization(epsilon=_EPS, name=name + "_1_bn")(x)
    x = layers.Activation("relu", name=name + "_1_relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", name=name + "_2_conv")(x)
    x = layers.BatchNormalization(epsilon=_EPS, name=name + "_2_bn")(x)
    x = layers.Activation("relu", name=name + "_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=name + "_3_conv")(x)
    x = layers.BatchNormalization(epsilon=_EPS, name=name + "_3_bn")(x)
    x = layers.Add(name=name + "_add")([shortcut, x])
    return layers.Activation("relu", name=name + "_out")(x)


def _stack(x, filters, blocks, stride=2, name=None):
    x = _block(x, filters, stride=stride, name=name + "_block1")
    for i in range(2, blocks + 1):
        x = _block(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def ResNet50(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", name="resnet50"):
    """ResNet50: a 7x7 stem, then 3, 4, 6 and 3 bottleneck blocks of 64, 128,
    256 and 512 filters (x4 out), global average pooling and the classifier.

    Args:
        include_top: whether to end with global average pooling and the classifier.
        weights: None (random initialization) or the path of a weights file.
        input_tensor: an optional KerasTensor to build on.
        input_shape: (height, width, 3), at least 32x32 (224x224x3 by default with the top).
        pooling: without the top: None, 'avg' or 'max' global pooling.
        classes: the classifier's classes.
        classifier_activation: the classifier's activation.
        name: the model's name.

    Returns:
        A functional ``Model``.
    """
    c.check_weights(weights, include_top, classes, "ResNet50")
    inputs = c.model_input(input_tensor, input_shape, include_top, 224, 32, "ResNet50")
    x = layers.ZeroPadding2D(((3, 3), (3, 3)), name="conv1_pad")(inputs)
    x = layers.Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    x = layers.BatchNormalization(epsilon=_EPS, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = _stack(x, 64, 3, stride=1, name="conv2")
    x = _stack(x, 128, 4, name="conv3")
    x = _stack(x, 256, 6, name="conv4")
    x = _stack(x, 512, 3, name="conv5")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = c.top(x, include_top, pooling, classes, classifier_activation)
    return c.finish(inputs, x, name, weights)
