"""Activation functions, by name (``'relu'``) or as functions (``keras.activations.relu``)."""

import math

import tensorlet as tf

# Softmax outputs remember their logits (weakly, by identity) so that a
# crossentropy on probabilities can use the fused, exact logits op instead of
# log(clip(p)): the same result to rounding, faster and without the clipping
# error. Keras does the same through a `_keras_logits` attribute.
_softmax_logits = {}


def _remember_logits(out, logits):
    if len(_softmax_logits) > 64:
        _softmax_logits.clear()
    _softmax_logits[id(out)] = (out, logits)


def logits_of(probs):
    """The logits a softmax output was computed from, or None."""
    entry = _softmax_logits.get(id(probs))
    return entry[1] if entry is not None and entry[0] is probs else None


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
    return tf.maximum(x, x * negative_slope)


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
    return tf.where(x > 0, x, alpha * (tf.exp(tf.minimum(x, 0.0)) - 1.0))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x):
    """Scaled exponential linear unit (Klambauer et al.)."""
    return _SELU_SCALE * elu(x, _SELU_ALPHA)


def gelu(x, approximate=False):
    """Gaussian error linear unit (the tanh approximation when ``approximate``)."""
    if approximate:
        c = math.sqrt(2.0 / math.pi)
        return 0.5 * x * (1.0 + tf.tanh(c * (x + 0.044715 * x * x * x)))
    return 0.5 * x * (1.0 + _erf(x * (1.0 / math.sqrt(2.0))))


def _erf(x):
    fn = getattr(getattr(tf, "math", None), "erf", None)
    if fn is not None:
        return fn(x)
    # Abramowitz & Stegun 7.1.26: |error| < 1.5e-7, below float32 resolution near 1.
    a = tf.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return tf.sign(x) * (1.0 - poly * tf.exp(-a * a))


def swish(x):
    """x * sigmoid(x) (also called silu)."""
    return x * tf.sigmoid(x)


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
