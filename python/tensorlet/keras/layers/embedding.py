"""Embedding: integer ids to dense vectors (rows of a trainable table)."""

import tensorlet as tf
from tensorlet.keras import constraints, initializers, regularizers
from tensorlet.keras.layers.layer import InputSpec, Layer


class Embedding(Layer):
    """Maps each integer id in ``[0, input_dim)`` to a vector of ``output_dim`` values.

    Args:
        input_dim: the vocabulary size.
        output_dim: the size of each vector.
        embeddings_initializer: the table's initializer (uniform on ±0.05).
        embeddings_regularizer: an optional penalty on the table.
        mask_zero: whether id 0 is padding: the output then carries a mask
            (``compute_mask``) that the recurrent layers after it use to skip those steps.
        input_length: the Keras 2 spelling of ``input_shape=(input_length,)``.

    Raises:
        ValueError: for non-positive sizes.
        NotImplementedError: for ``sparse=True``.
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, input_length=None, sparse=False, **kwargs):
        if input_length is not None and "input_shape" not in kwargs:
            kwargs["input_shape"] = (input_length,)
        super().__init__(**kwargs)
        if sparse:
            raise NotImplementedError("Embedding: sparse=True is not supported yet")
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        if int(input_dim) <= 0 or int(output_dim) <= 0:
            raise ValueError(f"Embedding: input_dim and output_dim must be positive, got {input_dim} and {output_dim}")
        self.input_dim, self.output_dim, self.mask_zero = int(input_dim), int(output_dim), bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.input_spec = InputSpec(min_ndim=1)  # ids of any shape: their last axis is not a feature axis
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)

    def build(self, input_shape):
        self.embeddings = self.add_weight((self.input_dim, self.output_dim), self.embeddings_initializer,
                                          name="embeddings", regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)

    def call(self, inputs):
        ids = inputs if inputs.dtype.is_integer else tf.cast(inputs, "int32")
        return tf.gather(self.embeddings, ids)

    def compute_mask(self, inputs, mask=None):
        return tf.not_equal(inputs, 0) if self.mask_zero else None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)
