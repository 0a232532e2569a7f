"""Spatial reshaping layers for sequences, images and volumes: ZeroPadding1D/2D/3D, Cropping1D/2D/3D,
UpSampling1D/2D/3D."""

import tensorlet as tf
from tensorlet.keras.layers.conv import normalize_data_format, normalize_tuple
from tensorlet.keras.layers.layer import Layer


def _pairs(value, name, layer, n=2):
    """n (before, after) pairs, e.g. ((top, bottom), (left, right)), from an
    int, n ints or n pairs."""
    if isinstance(value, int):
        value = ((value, value),) * n
    value = tuple(value)
    if len(value) == n and all(isinstance(v, int) for v in value):
        value = tuple((v, v) for v in value)
    if len(value) != n or any(len(tuple(v)) != 2 or any(not isinstance(i, int) or i < 0 for i in v)
                              for v in value):
        raise ValueError(f"{layer}: {name} must be an int, {n} ints or {n} pairs of non-negative ints, got "
                         f"{value!r}")
    return tuple(tuple(v) for v in value)


class _Spatial2D(Layer):
    rank = 2

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, type(self).__name__)

    def _dims(self, shape):
        if len(shape) != self.rank + 2:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects inputs of rank {self.rank + 2}, got shape "
                             f"{tuple(shape)}")
        first = 2 if self.data_format == "channels_first" else 1
        return tuple(range(first, first + self.rank))

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
        self.padding = _pairs(padding, "padding", type(self).__name__, self.rank)

    def _size(self, n, i):
        return n + sum(self.padding[i])

    def call(self, inputs):
        pads = [[0, 0]] * (self.rank + 2)
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
        self.cropping = _pairs(cropping, "cropping", type(self).__name__, self.rank)

    def _size(self, n, i):
        return n - sum(self.cropping[i])

    def call(self, inputs):
        index = [slice(None)] * (self.rank + 2)
        for i, a in enumerate(self._dims(inputs.shape)):
            n, (lo, hi) = inputs.shape[a], self.cropping[i]
            if lo + hi >= n:
                raise ValueError(f"{type(self).__name__} '{self.name}': cropping {self.cropping} leaves nothing of "
                                 f"an input of shape {tuple(inputs.shape)}")
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


class ZeroPadding3D(ZeroPadding2D):
    """Adds zeros around volumes: ``padding`` an int, 3 ints or 3 (before,
    after) pairs for depth, height and width; ``data_format`` as for Conv3D."""

    rank = 3

    def __init__(self, padding=(1, 1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class Cropping3D(Cropping2D):
    """Removes planes at the edges of volumes: ``cropping`` an int, 3 ints or 3
    (before, after) pairs; ``data_format`` as for Conv3D."""

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class UpSampling3D(_Spatial2D):
    """Repeats each voxel ``size`` (an int or 3 ints) times along depth,
    height and width; ``data_format`` as for Conv3D."""

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.size = normalize_tuple(size, 3, "size", "UpSampling3D")

    def _size(self, n, i):
        return n * self.size[i]

    def call(self, inputs):
        axes = self._dims(inputs.shape)
        x, out = inputs, list(inputs.shape)
        for i, a in reversed(list(enumerate(axes))):  # (.., d, 1, ..) broadcast to (.., d, s, ..), merged
            x = tf.expand_dims(x, a + 1)
            shape = list(x.shape)
            shape[a + 1] = self.size[i]
            out[a] *= self.size[i]
            x = tf.broadcast_to(x, shape)
        return tf.reshape(x, out)


def _one_pair(v):
    """A 1-D layer's int or ``(start, end)`` pair, as the n-D layers take it."""
    return v if isinstance(v, int) or not all(isinstance(i, int) for i in v) else (tuple(v),)


class ZeroPadding1D(ZeroPadding2D):
    """Adds zeros at both ends of sequences ``(batch, steps, features)``:
    ``padding`` an int (both ends) or a pair ``(start, end)``."""

    rank = 1

    def __init__(self, padding=1, **kwargs):
        super().__init__(_one_pair(padding), None, **kwargs)


class Cropping1D(Cropping2D):
    """Removes steps at both ends of sequences ``(batch, steps, features)``:
    ``cropping`` an int (both ends) or a pair ``(start, end)``."""

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(_one_pair(cropping), None, **kwargs)


class UpSampling1D(UpSampling3D):
    """Repeats each step of sequences ``(batch, steps, features)`` ``size`` times."""

    rank = 1

    def __init__(self, size=2, **kwargs):
        _Spatial2D.__init__(self, None, **kwargs)
        self.size = normalize_tuple(size, 1, "size", "UpSampling1D")
