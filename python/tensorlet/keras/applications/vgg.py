"""VGG16 and VGG19 (Simonyan and Zisserman, 2014)."""

from tensorlet.keras import layers
from tensorlet.keras.applications import _common as c

_DOC = """{name}: {depth} weight layers of 3x3 convolutions in five blocks, then
    two 4096-unit layers and the classifier.

    Args:
        include_top: whether to end with Flatten and the three Dense layers
            (then the input must be 224x224x3 unless input_shape says otherwise).
        weights: None (random initialization) or the path of a weights file.
        input_tensor: an optional KerasTensor to build on.
        input_shape: (height, width, 3), at least 32x32.
        pooling: without the top: None, 'avg' or 'max' global pooling.
        classes: the classifier's classes.
        classifier_activation: the classifier's activation.
        name: the model's name.

    Returns:
        A functional ``Model``.
    """


def _vgg(convs, name, include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation):
    c.check_weights(weights, include_top, classes, name)
    inputs = c.model_input(input_tensor, input_shape, include_top, 224, 32, name)
    x = inputs
    for block, (n, filters) in enumerate(zip(convs, (64, 128, 256, 512, 512)), 1):
        for i in range(1, n + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same", name=f"block{block}_conv{i}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
    x = c.top(x, include_top, pooling, classes, classifier_activation)
    return c.finish(inputs, x, name.lower(), weights)


def VGG16(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="VGG16"):
    return _vgg((2, 2, 3, 3, 3), name, include_top, weights, input_tensor, input_shape, pooling, classes,
                classifier_activation)


def VGG19(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="VGG19"):
    return _vgg((2, 2, 4, 4, 4), name, include_top, weights, input_tensor, input_shape, pooling, classes,
                classifier_activation)


VGG16.__doc__ = _DOC.format(name="VGG16", depth=16)
VGG19.__doc__ = _DOC.format(name="VGG19", depth=19)
