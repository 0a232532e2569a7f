"""Permute, RepeatVector and Identity."""

import tensorlet as tf
from tensorlet.keras.layers.layer import Layer


class Permute(Layer):
    """Permutes the non-batch axes: ``Permute((2, 1))`` swaps the two axes of each sample.

    Args:
        dims: a permutation of ``1..rank`` (1-based; the batch axis stays first).

    Raises:
        ValueError: if ``dims`` is not such a permutation.
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute: dims must be a permutation of 1..{len(self.dims)}, got {self.dims}")

    def call(self, inputs):
        if inputs.ndim != len(self.dims) + 1:
            raise ValueError(f"Permute '{self.name}': dims {self.dims} need inputs of rank {len(self.dims) + 1}, "
                             f"got shape {tuple(inputs.shape)}")
        return tf.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)


class RepeatVector(Layer):
    """Repeats each ``(batch, features)`` sample ``n`` times: ``(batch, n, features)``."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"RepeatVector: n must be a positive int, got {n!r}")
        self.n = n

    def call(self, inputs):
        if inputs.ndim != 2:
            raise ValueError(f"RepeatVector '{self.name}' expects inputs of shape (batch, features), got "
                             f"{tuple(inputs.shape)}")
        return tf.tile(tf.expand_dims(inputs, 1), [1, self.n, 1])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])


class Identity(Layer):
    """Returns its input unchanged (a placeholder in a model)."""

    supports_masking = True  # a mask on the input passes to the output

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
