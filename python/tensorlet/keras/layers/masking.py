"""Masks of padded timesteps, and the Masking layer.

A layer that makes a mask (``Embedding(mask_zero=True)``, ``Masking``) files
it against the tensor it returns; a layer that takes a ``mask`` argument
(the recurrent layers, their wrappers) reads it from its input when it is
not passed. The mask lives as long as that tensor does.
"""

import weakref

import tensorlet as tf
from tensorlet.keras.layers.layer import Layer

_MASKS = {}  # id(tensor) -> bool mask of shape (batch, time)


def set_mask(tensor, mask):
    """Files ``mask`` against ``tensor``; returns ``tensor``."""
    if mask is not None and isinstance(tensor, tf.Tensor):
        key = id(tensor)
        _MASKS[key] = mask
        weakref.finalize(tensor, _MASKS.pop, key, None)
    return tensor


def get_mask(tensor):
    """The mask filed against ``tensor``, or None."""
    return _MASKS.get(id(tensor)) if isinstance(tensor, tf.Tensor) else None


class Masking(Layer):
    """Masks timesteps whose features all equal ``mask_value``.

    Masked timesteps are zeroed and skipped by the recurrent layers that follow
    (their state carries over).

    Args:
        mask_value: the padding value.
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value

    def compute_mask(self, inputs, mask=None):
        return tf.reduce_any(tf.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        keep = self.compute_mask(inputs)
        return set_mask(inputs * tf.cast(tf.expand_dims(keep, -1), inputs.dtype), keep)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)
