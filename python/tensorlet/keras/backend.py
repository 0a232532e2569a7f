"""Session-wide Keras state: unique layer names, the float epsilon, clear_session."""

import collections
import re

_name_counts = collections.Counter()
_EPSILON = 1e-7
_FLOATX = "float32"


def epsilon():
    """The fuzz factor used to keep logs and divisions finite (1e-7)."""
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def floatx():
    """The default float type of layers and weights ('float32')."""
    return _FLOATX


def snake_case(name):
    """``'DenseBlock'`` -> ``'dense_block'``, as Keras names layers from classes."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(prefix):
    """``prefix`` on its first use, then ``prefix_1``, ``prefix_2``, ..."""
    n = _name_counts[prefix]
    _name_counts[prefix] += 1
    return prefix if n == 0 else f"{prefix}_{n}"


def clear_session():
    """Resets the layer and variable name counters (``dense`` is ``dense``
    again, and its kernel ``dense/kernel:0``)."""
    from tensorlet.framework import variable

    _name_counts.clear()
    variable._name_counts.clear()


def get_value(x):
    """A Python float / numpy array for a float, tensor or variable."""
    import numpy as np

    if isinstance(x, (int, float)):
        return x
    a = np.asarray(x)
    return a[()] if a.ndim == 0 else a
