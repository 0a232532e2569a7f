"""Activation functions, by name (``'relu'``) or as functions (``keras.activations.relu``)."""

import weakref

import tensorlet as tf

# Softmax outputs remember their logits (while the output lives) so that a
# crossentropy on probabilities can use the fused, exact logits op instead of
# log(clip(p)): the same value to rounding, faster, and without the clipping
# error. Keras does the same through a `_keras_logits` attribute.
_softmax_logits = {}


def _remember_logits(out, logits):
    key = id(out)
    _softmax_logits[key] = (weakref.ref(out, lambda _: _softmax_logits.pop(key, None)), logits)


def logits_of(probs):
    """The logits a softmax output was computed from, or None."""
    entry = _softmax_logits.get(id(probs))
    return entry[1] if entry is not None and entry[0]() is probs else None


def linear(x):
    """Returns x unchanged."""
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """max(x, 0), with an optional leak below zero and a cap."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return tf.nn.relu(x)
    y = tf.where(x >= threshold, x, negative_slope * (x - threshold))
    if max_value is not None:
        y = tf.minimum(y, max_value)
    return y


def leaky_relu(x, negative_slope=0.2):
    """x for x >= 0, negative_slope * x below."""
    return tf.nn.leaky_relu(x, alpha=negative_slope)


def sigmoid(x):
    """1 / (1 + exp(-x))."""
    return tf.sigmoid(x)


def tanh(x):
    """Hyperbolic tangent."""
    return tf.tanh(x)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along ``axis`` (the last by default)."""
    out = tf.nn.softmax(x, axis=axis)
    if axis == -1 or axis == len(x.shape) - 1:
        _remember_logits(out, x)
    return out


def log_softmax(x, axis=-1):
    """log(softmax(x)), computed stably."""
    return tf.nn.log_softmax(x, axis=axis)


def softplus(x):
    """log(1 + exp(x)) without overflow."""
    return tf.nn.softplus(x)


def elu(x, alpha=1.0):
    """x for x > 0, alpha * (exp(x) - 1) below."""
    if alpha == 1.0:
        return tf.nn.elu(x)
    return tf.where(x > 0, x, alpha * (tf.exp(tf.minimum(x, 0.0)) - 1.0))


def selu(x):
    """Scaled exponential linear unit (Klambauer et al.)."""
    return tf.nn.selu(x)


def gelu(x, approximate=False):
    """Gaussian error linear unit (the tanh approximation when ``approximate``)."""
    return tf.nn.gelu(x, approximate=approximate)


def swish(x):
    """x * sigmoid(x) (also called silu)."""
    return tf.nn.silu(x)


silu = swish

_ALL = {f.__name__: f for f in (linear, relu, leaky_relu, sigmoid, tanh, softmax, log_softmax, softplus, elu,
                                selu, gelu, swish)}
_ALL["silu"] = swish


def get(identifier):
    """An activation function from a name, a function, or None (linear)."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if isinstance(identifier, str):
        fn = _ALL.get(identifier.lower())
        if fn is None:
            raise ValueError(f"Unknown activation {identifier!r}; valid names: {', '.join(sorted(_ALL))}")
        return fn
    raise TypeError(f"Could not interpret activation {identifier!r}")


def serialize(fn):
    """The name of an activation function (for get_config)."""
    return getattr(fn, "__name__", fn)
from tensorlet.keras.activations_extra import *  # noqa: E402,F401,F403  (relu6, softsign, mish, hard_sigmoid ...)
