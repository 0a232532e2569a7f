"""Regularisation by noise, active only in training: GaussianNoise,
GaussianDropout and the spatial dropouts (whole channels at once)."""

import math

import tensorlet as tf
from tensorlet.keras.layers.conv import normalize_data_format
from tensorlet.keras.layers.layer import Layer


class _Noise(Layer):
    supports_masking = True  # a mask on the input passes to the output

    def __init__(self, rate, seed=None, name_of_rate="rate", **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self._rate_name = name_of_rate
        if not 0 <= rate < 1 and name_of_rate == "rate":
            raise ValueError(f"{type(self).__name__}: rate must be in [0, 1), got {rate}")
        if rate < 0:
            raise ValueError(f"{type(self).__name__}: {name_of_rate} must be non-negative, got {rate}")
        setattr(self, name_of_rate, float(rate))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class GaussianNoise(_Noise):
    """Adds zero-mean normal noise of ``stddev`` during training."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(stddev, seed, "stddev", **kwargs)

    def call(self, inputs, training=None):
        if not training or self.stddev == 0:
            return inputs
        return inputs + tf.random.normal(tf.shape(inputs), 0.0, self.stddev, dtype=inputs.dtype, seed=self.seed)


class GaussianDropout(_Noise):
    """Multiplies by normal noise of mean 1 and stddev ``sqrt(rate / (1 - rate))`` during training."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, seed, **kwargs)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        std = math.sqrt(self.rate / (1.0 - self.rate))
        return inputs * tf.random.normal(tf.shape(inputs), 1.0, std, dtype=inputs.dtype, seed=self.seed)


class _SpatialDropout(_Noise):
    _rank = 3

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed, **kwargs)
        self.data_format = normalize_data_format(data_format, type(self).__name__)

    def call(self, inputs, training=None):
        if inputs.ndim != self._rank:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects inputs of rank {self._rank}, got shape "
                             f"{tuple(inputs.shape)}")
        if not training or self.rate == 0:
            return inputs
        shape = [1] * inputs.ndim
        shape[0] = inputs.shape[0]
        channel = -1 if self.data_format == "channels_last" else 1
        shape[channel] = inputs.shape[channel]
        return tf.nn.dropout(inputs, self.rate, noise_shape=shape, seed=self.seed)


class SpatialDropout1D(_SpatialDropout):
    """Drops whole feature channels of ``(batch, steps, channels)`` inputs during training."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, None, seed, **kwargs)


class SpatialDropout2D(_SpatialDropout):
    """Drops whole feature maps of 4-D inputs during training."""
    _rank = 4


class SpatialDropout3D(_SpatialDropout):
    """Drops whole feature volumes of 5-D inputs during training."""
    _rank = 5
