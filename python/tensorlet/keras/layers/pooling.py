"""Pooling layers: max and average over windows (1-D, 2-D, 3-D) and global pooling."""

import tensorlet as tf
from tensorlet.keras.layers.conv import conv_output_length, normalize_data_format, normalize_padding, normalize_tuple
from tensorlet.keras.layers.layer import Layer


class _Pooling(Layer):
    rank = 2
    is_max = True

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size", name)
        self.strides = normalize_tuple(self.pool_size if strides is None else strides, self.rank, "strides", name)
        self.padding = normalize_padding(padding, name)
        self.data_format = normalize_data_format(data_format, name)

    def call(self, inputs):
        if inputs.ndim != self.rank + 2:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects inputs of rank {self.rank + 2}, got "
                             f"shape {tuple(inputs.shape)}")
        pool = tf.nn.max_pool2d if self.is_max else tf.nn.avg_pool2d
        first = self.data_format == "channels_first"
        if self.rank == 3:
            pool = tf.nn.max_pool3d if self.is_max else tf.nn.avg_pool3d
            return pool(inputs, self.pool_size, self.strides, self.padding.upper(), "NCDHW" if first else "NDHWC")
        if self.rank == 1:
            pool = tf.nn.max_pool1d if self.is_max else tf.nn.avg_pool1d
            return pool(inputs, self.pool_size[0], self.strides[0], self.padding.upper(), "NCW" if first else "NWC")
        return pool(inputs, self.pool_size, self.strides, self.padding.upper(), "NCHW" if first else "NHWC")

    def compute_output_shape(self, input_shape):
        s = tuple(input_shape)
        first = self.data_format == "channels_first"
        dims = s[2:] if first else s[1:-1]
        out = tuple(conv_output_length(n, k, self.padding, st)
                    for n, k, st in zip(dims, self.pool_size, self.strides))
        return s[:2] + out if first else (s[0],) + out + (s[-1],)


class MaxPooling2D(_Pooling):
    """The maximum over ``pool_size`` windows moved by ``strides`` (default:
    ``pool_size``); ``padding`` 'valid' or 'same'; ``data_format`` as for Conv2D."""

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(MaxPooling2D):
    """The mean over ``pool_size`` windows (padding never counts); arguments as for MaxPooling2D."""

    is_max = False


class MaxPooling1D(_Pooling):
    """The maximum over windows of ``pool_size`` steps of ``(batch, steps, channels)``."""

    rank = 1

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(MaxPooling1D):
    """The mean over windows of ``pool_size`` steps."""

    is_max = False


class MaxPooling3D(_Pooling):
    """The maximum over ``pool_size`` windows of ``(batch, depth, height,
    width, channels)`` (or channels first); arguments as for MaxPooling2D."""

    rank = 3

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(MaxPooling3D):
    """The mean over 3-D windows (padding never counts); arguments as for MaxPooling3D."""

    is_max = False


class _GlobalPooling(Layer):
    rank = 2
    is_max = False

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, type(self).__name__)
        self.keepdims = keepdims

    def _axes(self):
        start = 2 if self.data_format == "channels_first" else 1
        return list(range(start, start + self.rank))

    def call(self, inputs):
        if inputs.ndim != self.rank + 2:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects inputs of rank {self.rank + 2}, got "
                             f"shape {tuple(inputs.shape)}")
        reduce = tf.reduce_max if self.is_max else tf.reduce_mean
        return reduce(inputs, axis=self._axes(), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        s = tuple(input_shape)
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(s))
        return tuple(d for i, d in enumerate(s) if i not in axes)


class GlobalAveragePooling2D(_GlobalPooling):
    """The mean over the spatial dims: ``(batch, h, w, c)`` -> ``(batch, c)``
    (``(batch, 1, 1, c)`` with ``keepdims=True``)."""


class GlobalMaxPooling2D(_GlobalPooling):
    """The maximum over the spatial dims: ``(batch, h, w, c)`` -> ``(batch, c)``."""

    is_max = True


class GlobalAveragePooling1D(_GlobalPooling):
    """The mean over the steps: ``(batch, steps, c)`` -> ``(batch, c)``; with a
    mask (from ``Embedding(mask_zero=True)`` or ``Masking``), over the kept steps."""

    rank = 1
    supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        keep = tf.cast(tf.expand_dims(mask, 2 if self.data_format == "channels_last" else 1), inputs.dtype)
        axis = self._axes()[0]
        return tf.reduce_sum(inputs * keep, axis, keepdims=self.keepdims) / \
            tf.reduce_sum(keep, axis, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalMaxPooling1D(_GlobalPooling):
    """The maximum over the steps: ``(batch, steps, c)`` -> ``(batch, c)``."""

    rank = 1
    is_max = True


class GlobalAveragePooling3D(_GlobalPooling):
    """The mean over the spatial dims: ``(batch, d, h, w, c)`` -> ``(batch, c)``."""

    rank = 3


class GlobalMaxPooling3D(_GlobalPooling):
    """The maximum over the spatial dims: ``(batch, d, h, w, c)`` -> ``(batch, c)``."""

    rank = 3
    is_max = True
