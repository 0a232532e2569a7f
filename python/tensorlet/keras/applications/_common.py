"""What every application shares: its input, its top, its weights."""

import os

from tensorlet.keras import layers
from tensorlet.keras.layers.core import Input


def check_weights(weights, include_top, classes, name):
    if weights == "imagenet":
        raise ValueError(f"{name}: weights='imagenet' would need a download; pass weights=None, or the path of a "
                         f"local Keras weights file (weights='{name.lower()}_weights.h5')")
    if weights is not None and not os.path.exists(weights):
        raise ValueError(f"{name}: weights must be None or the path of a weights file, got {weights!r} (no such "
                         f"file)")
    if not isinstance(classes, int) or classes < 1:
        raise ValueError(f"{name}: classes must be a positive int, got {classes!r}")


def model_input(input_tensor, input_shape, include_top, default_size, min_size, name):
    """The model's input: input_tensor, or an Input of input_shape (the default
    size when the top needs a fixed one, else any height and width)."""
    if input_tensor is not None:
        return input_tensor
    if input_shape is None:
        input_shape = (default_size, default_size, 3) if include_top else (None, None, 3)
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or input_shape[-1] != 3:
        raise ValueError(f"{name}: input_shape must be (height, width, 3), got {input_shape}")
    if any(d is not None and d < min_size for d in input_shape[:2]):
        raise ValueError(f"{name}: input height and width must be at least {min_size}, got {input_shape}")
    return Input(shape=input_shape)


def top(x, include_top, pooling, classes, classifier_activation, flatten=False):
    """The classifier (Keras's top) or the optional global pooling."""
    if include_top:
        return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name="max_pool")(x)
    if pooling is not None:
        raise ValueError(f"pooling must be None, 'avg' or 'max', got {pooling!r}")
    return x


def finish(inputs, outputs, name, weights):
    from tensorlet.keras.models import Model

    model = Model(inputs, outputs, name=name)
    if weights is not None:
        model.load_weights(weights)
    return model


def preprocess_caffe(x, data_format=None):
    """ImageNet 'caffe' preprocessing (VGG, ResNet): RGB to BGR, then each
    channel less its ImageNet mean (103.939, 116.779, 123.68); values 0-255 in."""
    import numpy as np

    import tensorlet as tf
    first = data_format == "channels_first"
    mean = np.array([103.939, 116.779, 123.68], np.float32).reshape((3, 1, 1) if first else (3,))
    if isinstance(x, tf.Tensor):
        x = tf.cast(x, "float32") if not x.dtype.is_floating else x
        return tf.reverse(x, [-3 if first else -1]) - tf.constant(mean, dtype=x.dtype)
    if _symbolic(x) and not first:  # a functional model's KerasTensor: operators only (RGB to BGR as a product)
        return x @ np.eye(3, dtype=np.float32)[::-1] - mean
    x = np.asarray(x, np.float32)
    return (x[..., ::-1, :, :] if first else x[..., ::-1]) - mean


def preprocess_tf(x, data_format=None):
    """ImageNet 'tf' preprocessing (MobileNetV2): 0-255 to [-1, 1]."""
    import numpy as np

    import tensorlet as tf
    if isinstance(x, tf.Tensor):
        return (tf.cast(x, "float32") if not x.dtype.is_floating else x) / 127.5 - 1.0
    return (x if _symbolic(x) else np.asarray(x, np.float32)) / 127.5 - 1.0


def _symbolic(x):
    from tensorlet.keras.keras_tensor import KerasTensor

    return isinstance(x, KerasTensor)
