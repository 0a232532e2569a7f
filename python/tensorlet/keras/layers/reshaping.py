"""Spatial reshaping layers for images: ZeroPadding2D, Cropping2D, UpSampling2D."""

import tensorlet as tf
from tensorlet.keras.layers.conv import normalize_data_format, normalize_tuple
from tensorlet.keras.layers.layer import Layer


def _pairs(value, name, layer):
    """((top, bottom), (left, right)) from an int, a pair of ints or a pair of pairs."""
    if isinstance(value, int):
        value = ((value, value), (value, value))
    value = tuple(value)
    if len(value) == 2 and all(isinstance(v, int) for v in value):
        value = ((value[0], value[0]), (value[1], value[1]))
    if len(value) != 2 or any(len(tuple(v)) != 2 or any(not isinstance(i, int) or i < 0 for i in v)
                              for v in value):
        raise ValueError(f"{layer}: {name} must be an int, 2 ints or 2 pairs of non-negative ints, got {value!r}")
    return tuple(tuple(v) for v in value)


class _Spatial2D(Layer):
    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, type(self).__name__)

    def _dims(self, shape):
        if len(shape) != 4:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects inputs of rank 4, got shape "
                             f"{tuple(shape)}")
        return (2, 3) if self.data_format == "channels_first" else (1, 2)

    def compute_output_shape(self, input_shape):
        s = list(input_shape)
        for i, a in enumerate(self._dims(s)):
            s[a] = None if s[a] is None else self._size(s[a], i)
        return tuple(s)


class ZeroPadding2D(_Spatial2D):
    """Adds rows and columns of zeros around images.

    Args:
        padding: an int (all sides), a pair ``(rows, columns)`` (each on both
            sides) or ``((top, bottom), (left, right))``.
        data_format: 'channels_last' (default) or 'channels_first'.
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.padding = _pairs(padding, "padding", "ZeroPadding2D")

    def _size(self, n, i):
        return n + sum(self.padding[i])

    def call(self, inputs):
        pads = [[0, 0]] * 4
        for i, a in enumerate(self._dims(inputs.shape)):
            pads[a] = list(self.padding[i])
        return tf.pad(inputs, pads)


class Cropping2D(_Spatial2D):
    """Removes rows and columns at the edges of images.

    Args:
        cropping: an int, a pair ``(rows, columns)`` or ``((top, bottom), (left, right))``.
        data_format: 'channels_last' (default) or 'channels_first'.
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.cropping = _pairs(cropping, "cropping", "Cropping2D")

    def _size(self, n, i):
        return n - sum(self.cropping[i])

    def call(self, inputs):
        index = [slice(None)] * 4
        for i, a in enumerate(self._dims(inputs.shape)):
            n, (lo, hi) = inputs.shape[a], self.cropping[i]
            if lo + hi >= n:
                raise ValueError(f"Cropping2D '{self.name}': cropping {self.cropping} leaves nothing of an input "
                                 f"of shape {tuple(inputs.shape)}")
            index[a] = slice(lo, n - hi)
        return inputs[tuple(index)]


class UpSampling2D(_Spatial2D):
    """Repeats rows and columns: ``(batch, h, w, c)`` -> ``(batch, h * size[0], w * size[1], c)``.

    Args:
        size: an int or a pair of ints.
        data_format: 'channels_last' (default) or 'channels_first'.
        interpolation: 'nearest' (each pixel repeated) or 'bilinear'.
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(data_format, **kwargs)
        self.size = normalize_tuple(size, 2, "size", "UpSampling2D")
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"UpSampling2D: interpolation must be 'nearest' or 'bilinear', got {interpolation!r}")
        self.interpolation = interpolation

    def _size(self, n, i):
        return n * self.size[i]

    def call(self, inputs):
        ah, aw = self._dims(inputs.shape)
        if self.interpolation == "bilinear":  # half-pixel centres, edges clamped
            first = self.data_format == "channels_first"
            x = tf.transpose(inputs, (0, 2, 3, 1)) if first else inputs
            x = tf.image.resize(x, (x.shape[1] * self.size[0], x.shape[2] * self.size[1]))
            return tf.transpose(x, (0, 3, 1, 2)) if first else x
        s = list(inputs.shape)
        # (.., h, 1, w, 1, ..) broadcast to (.., h, sh, w, sw, ..), then merged.
        x = tf.expand_dims(tf.expand_dims(inputs, aw + 1), ah + 1)
        shape = list(x.shape)
        shape[ah + 1], shape[aw + 2] = self.size
        out = list(s)
        out[ah], out[aw] = s[ah] * self.size[0], s[aw] * self.size[1]
        return tf.reshape(tf.broadcast_to(x, shape), out)

