"""More activations, re-exported by ``keras.activations`` and known by name."""

import tensorlet as tf
from tensorlet.keras import activations as _act

__all__ = ["celu", "exponential", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh",
           "log_sigmoid", "mish", "relu6", "soft_shrink", "softsign", "squareplus", "tanh_shrink", "threshold"]


def relu6(x):
    """min(max(x, 0), 6)."""
    return tf.nn.relu6(x)


def softsign(x):
    """x / (1 + |x|)."""
    return tf.math.softsign(x)


def log_sigmoid(x):
    """log(sigmoid(x)), without overflow."""
    return tf.math.log_sigmoid(x)


def exponential(x):
    """e**x."""
    return tf.exp(x)


def hard_sigmoid(x):
    """relu6(x + 3) / 6: a piecewise-linear sigmoid (Keras 3's definition)."""
    return tf.nn.relu6(tf.convert_to_tensor(x) + 3.0) * (1.0 / 6.0)


def hard_silu(x):
    """x * hard_sigmoid(x)."""
    x = tf.convert_to_tensor(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def hard_tanh(x):
    """clip(x, -1, 1)."""
    return tf.clip_by_value(x, -1.0, 1.0)


def mish(x):
    """x * tanh(softplus(x))."""
    x = tf.convert_to_tensor(x)
    return x * tf.tanh(tf.math.softplus(x))


def celu(x, alpha=1.0):
    """max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))."""
    x = tf.convert_to_tensor(x)
    return tf.maximum(x, 0.0) + tf.minimum(alpha * (tf.exp(x / alpha) - 1.0), 0.0)


def glu(x, axis=-1):
    """a * sigmoid(b) for the two halves a, b of ``x`` along ``axis``."""
    a, b = tf.split(x, 2, axis=axis)
    return a * tf.sigmoid(b)


def hard_shrink(x, threshold=0.5):
    """x where |x| > threshold, else 0."""
    x = tf.convert_to_tensor(x)
    return tf.where(tf.abs(x) > threshold, x, tf.zeros_like(x))


def soft_shrink(x, threshold=0.5):
    """x - threshold above it, x + threshold below -threshold, else 0."""
    x = tf.convert_to_tensor(x)
    return tf.where(x > threshold, x - threshold, tf.where(x < -threshold, x + threshold, tf.zeros_like(x)))


def tanh_shrink(x):
    """x - tanh(x)."""
    x = tf.convert_to_tensor(x)
    return x - tf.tanh(x)


def squareplus(x, b=4):
    """(x + sqrt(x**2 + b)) / 2."""
    x = tf.convert_to_tensor(x)
    return (x + tf.sqrt(tf.square(x) + float(b))) * 0.5


def threshold(x, threshold, default_value):
    """x where x > threshold, else ``default_value``."""
    x = tf.convert_to_tensor(x)
    return tf.where(x > threshold, x, tf.fill(tf.shape(x), tf.cast(default_value, x.dtype)))


_act._ALL.update({f.__name__: f for f in (relu6, softsign, log_sigmoid, exponential, hard_sigmoid, hard_silu, hard_tanh,
                                          mish, celu, glu, hard_shrink, soft_shrink, tanh_shrink, squareplus)})
_act._ALL["hard_swish"] = hard_silu
