"""Merging layers beside Add, Multiply and Concatenate: Subtract, Average,
Maximum, Minimum, Dot, and the functional spellings (``layers.add([a, b])``)."""

import string

import tensorlet as tf
from tensorlet.keras.layers.core import Add, Concatenate, Multiply, _Merge


class Subtract(Add):
    """``inputs[0] - inputs[1]`` (exactly two inputs of one shape)."""

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"Subtract '{self.name}' takes exactly two inputs, got {len(input_shape)}")

    def call(self, inputs):
        return inputs[0] - inputs[1]


class Average(Add):
    """The elementwise mean of a list of inputs of one shape."""

    def call(self, inputs):
        return super().call(inputs) * (1.0 / len(inputs))


class Maximum(Add):
    """The elementwise maximum of a list of inputs of one shape."""

    def call(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = tf.maximum(out, x)
        return out


class Minimum(Add):
    """The elementwise minimum of a list of inputs of one shape."""

    def call(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = tf.minimum(out, x)
        return out


class Dot(_Merge):
    """The dot product of two batches of samples along ``axes``.

    Args:
        axes: one axis for both inputs, or a pair ``(axis_a, axis_b)``
            (counting the batch axis as 0; negative counts from the end).
        normalize: L2-normalise along the axes first (giving cosine similarity).

    Output: for inputs ``(batch, n)`` and ``(batch, n)``, ``(batch, 1)``; in
    general the remaining axes of the first input, then of the second.
    """

    def compute_mask(self, inputs, mask=None):
        return None

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        self.axes = tuple(axes) if isinstance(axes, (list, tuple)) else (axes, axes)
        self.normalize = normalize

    def _equation(self, ra, rb):
        ax = [a % r for a, r in zip(self.axes, (ra, rb))]
        if 0 in ax:
            raise ValueError(f"Dot '{self.name}': cannot contract the batch axis (axes={self.axes})")
        letters = iter(string.ascii_lowercase[1:])
        a = ["z"] + [next(letters) for _ in range(ra - 1)]
        b = ["z"] + [next(letters) for _ in range(rb - 1)]
        b[ax[1]] = a[ax[0]]
        out = ["z"] + [c for i, c in enumerate(a) if i not in (0, ax[0])] + \
              [c for i, c in enumerate(b) if i not in (0, ax[1])]
        return "".join(a) + "," + "".join(b) + "->" + "".join(out), ax

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"Dot '{self.name}' takes exactly two inputs, got {len(input_shape)}")
        (sa, sb) = input_shape
        _, ax = self._equation(len(sa), len(sb))
        if sa[ax[0]] is not None and sb[ax[1]] is not None and sa[ax[0]] != sb[ax[1]]:
            raise ValueError(f"Dot '{self.name}': dimension {ax[0]} of {tuple(sa)} and dimension {ax[1]} of "
                             f"{tuple(sb)} differ")

    def call(self, inputs):
        a, b = inputs
        eq, ax = self._equation(a.ndim, b.ndim)
        if self.normalize:
            a, b = tf.nn.l2_normalize(a, ax[0]), tf.nn.l2_normalize(b, ax[1])
        out = tf.einsum(eq, a, b)
        return tf.expand_dims(out, 1) if out.ndim == 1 else out

    def compute_output_shape(self, input_shape):
        sa, sb = (tuple(s) for s in input_shape)
        _, ax = self._equation(len(sa), len(sb))
        out = (sa[0],) + tuple(d for i, d in enumerate(sa) if i not in (0, ax[0])) + \
            tuple(d for i, d in enumerate(sb) if i not in (0, ax[1]))
        return out if len(out) > 1 else out + (1,)


def _functional(cls, doc):
    def merge(inputs, **kwargs):
        return cls(**kwargs)(inputs)
    merge.__doc__ = doc
    merge.__name__ = cls.__name__.lower()
    return merge


add = _functional(Add, "``layers.Add()(inputs)``: the elementwise sum of a list of inputs.")
subtract = _functional(Subtract, "``layers.Subtract()(inputs)``: ``inputs[0] - inputs[1]``.")
multiply = _functional(Multiply, "``layers.Multiply()(inputs)``: the elementwise product.")
average = _functional(Average, "``layers.Average()(inputs)``: the elementwise mean.")
maximum = _functional(Maximum, "``layers.Maximum()(inputs)``: the elementwise maximum.")
minimum = _functional(Minimum, "``layers.Minimum()(inputs)``: the elementwise minimum.")


def concatenate(inputs, axis=-1, **kwargs):
    """``layers.Concatenate(axis)(inputs)``: joins a list of inputs along ``axis``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """``layers.Dot(axes, normalize)(inputs)``: the dot product of two inputs along ``axes``."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
