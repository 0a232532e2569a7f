"""The Masking layer: marks padded timesteps.

Its ``compute_mask`` gives the mask that ``Layer.__call__`` attaches to the
output (``_keras_mask``), for the layers after it that support masking.
"""

import tensorlet as tf
from tensorlet.keras.layers.layer import Layer


class Masking(Layer):
    """Masks timesteps whose features all equal ``mask_value``.

    Masked timesteps are zeroed and skipped by the recurrent layers that follow
    (their state carries over).

    Args:
        mask_value: the padding value.
    """

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value

    def compute_mask(self, inputs, mask=None):
        return tf.reduce_any(tf.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        return inputs * tf.cast(tf.expand_dims(self.compute_mask(inputs), -1), inputs.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)
