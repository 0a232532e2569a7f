"""Image preprocessing and augmentation layers: Rescaling, Resizing,
CenterCrop, Normalization (with adapt), and the random ones (RandomFlip,
RandomRotation, RandomZoom, RandomTranslation, RandomContrast), which change
images only when training and draw from a seed (tensorlet.random's stream,
so ``tensorlet.random.set_seed`` makes them repeatable).

The geometric transforms compute, per image, where each output pixel comes
from (Keras's transform matrices and fill modes), then gather and blend the
input: the result stays differentiable with respect to the images."""

import math

import numpy as np

import tensorlet as tf
from tensorlet.keras.layers.layer import Layer


def _images(x, layer):
    if x.ndim not in (3, 4):
        raise ValueError(f"{type(layer).__name__} '{layer.name}' expects images (height, width, channels) or a "
                         f"batch of them, got shape {tuple(x.shape)}")
    return (tf.expand_dims(x, 0), True) if x.ndim == 3 else (x, False)


def _float(x, dtype):
    return x if x.dtype.is_floating else tf.cast(x, dtype)


def _range(factor, name, layer, around=0.0):
    """(lower, upper) from a float f (-f, f) or a pair."""
    lo, hi = (-abs(factor), abs(factor)) if isinstance(factor, (int, float)) else tuple(factor)
    if lo > hi:
        raise ValueError(f"{layer}: {name} must have lower <= upper, got {factor!r}")
    return lo + around, hi + around


class Rescaling(Layer):
    """``inputs * scale + offset`` (``Rescaling(1. / 255)`` maps bytes to [0, 1])."""

    supports_masking = True  # a mask on the input passes to the output

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset

    def call(self, inputs):
        return _float(inputs, self.dtype) * self.scale + self.offset

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class Resizing(Layer):
    """Resizes images to ``(height, width)``.

    Args:
        height, width: the output size.
        interpolation: 'bilinear' (default) or 'nearest'.
        crop_to_aspect_ratio: first crop the largest centred window of the
            output's aspect ratio, so images are not distorted.
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False, **kwargs):
        super().__init__(**kwargs)
        if interpolation not in ("bilinear", "nearest"):
            raise ValueError(f"Resizing: interpolation must be 'bilinear' or 'nearest', got {interpolation!r}")
        self.height, self.width = int(height), int(width)
        self.interpolation, self.crop_to_aspect_ratio = interpolation, crop_to_aspect_ratio

    def call(self, inputs):
        x, single = _images(_float(inputs, self.dtype), self)
        if self.crop_to_aspect_ratio:
            h, w = x.shape[1:3]
            ch = min(h, round(w * self.height / self.width))
            cw = min(w, round(h * self.width / self.height))
            x = x[:, (h - ch) // 2:(h - ch) // 2 + ch, (w - cw) // 2:(w - cw) // 2 + cw]
        x = tf.image.resize(x, (self.height, self.width), self.interpolation)
        return x[0] if single else x

    def compute_output_shape(self, input_shape):
        s = tuple(input_shape)
        return s[:-3] + (self.height, self.width, s[-1])


class CenterCrop(Layer):
    """The centred ``(height, width)`` window of each image (resized up when smaller)."""

    def __init__(self, height, width, **kwargs):
        super().__init__(**kwargs)
        self.height, self.width = int(height), int(width)

    def call(self, inputs):
        x, single = _images(inputs, self)
        h, w = x.shape[1:3]
        if h < self.height or w < self.width:
            return Resizing(self.height, self.width, crop_to_aspect_ratio=True)(inputs)
        t, l = (h - self.height) // 2, (w - self.width) // 2
        x = x[:, t:t + self.height, l:l + self.width]
        return x[0] if single else x

    def compute_output_shape(self, input_shape):
        s = tuple(input_shape)
        return s[:-3] + (self.height, self.width, s[-1])


class Normalization(Layer):
    """``(inputs - mean) / sqrt(variance)`` per feature along ``axis``, with the
    statistics given or learned by ``adapt(data)``.

    Args:
        axis: the axis (or axes) that keep their own statistics (-1: features
            last); None for one mean and variance over everything.
        mean, variance: the statistics, if known (then no adapt).
        invert: apply the inverse, ``inputs * sqrt(variance) + mean``.
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = () if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
        if (mean is None) != (variance is None):
            raise ValueError("Normalization: give both mean and variance, or neither (then call adapt)")
        self.init_mean, self.init_variance, self.invert = mean, variance, invert
        self.adapted = mean is not None

    def _stat_shape(self, shape):
        nd = len(shape)
        axes = [a % nd for a in self.axis]
        if any(shape[a] is None for a in axes):
            raise ValueError(f"Normalization '{self.name}': axis {self.axis} of shape {tuple(shape)} must be known")
        return tuple(shape[a] if a in axes else 1 for a in range(nd)), axes

    def build(self, input_shape):
        shape, axes = self._stat_shape(tuple(input_shape))
        self._shape = shape
        if self.init_mean is not None:
            self._given = [tf.constant(np.broadcast_to(np.asarray(v, self.dtype), shape))
                           for v in (self.init_mean, self.init_variance)]
        else:
            vec = tuple(shape[a] for a in axes)
            self.adapt_mean = self.add_weight(vec, "zeros", name="mean", trainable=False)
            self.adapt_variance = self.add_weight(vec, "ones", name="variance", trainable=False)
            self.adapt_count = self.add_weight((), "zeros", dtype="int64", name="count", trainable=False)  # as Keras

    def adapt(self, data, batch_size=None, steps=None):
        """Sets the mean and variance from ``data`` (an array, a tensor, or an
        iterable of batches), over every axis but ``axis``."""
        if self.init_mean is not None:
            raise ValueError(f"Normalization '{self.name}': mean and variance were given; adapt would replace them")
        batches = [np.asarray(data)] if hasattr(data, "shape") else [np.asarray(b) for b in data]
        if not batches or batches[0].ndim == 0:
            raise ValueError(f"Normalization '{self.name}': adapt needs data with a batch axis")
        if not self.built:
            self._build_for(tf.constant(batches[0].astype(self.dtype)))
        shape, axes = self._stat_shape(batches[0].shape)
        red = tuple(a for a in range(len(shape)) if a not in axes)
        # Welford-style merge of per-batch moments (float64).
        n, mean, m2 = 0, 0.0, 0.0
        for b in batches:
            b = b.astype(np.float64)
            k = int(np.prod([b.shape[a] for a in red]))
            bm, bv = b.mean(axis=red), b.var(axis=red)
            delta = bm - mean
            total = n + k
            mean = mean + delta * k / total
            m2 = m2 + bv * k + delta ** 2 * n * k / total
            n = total
        self.adapt_mean.assign(np.asarray(mean, self.dtype).reshape(self.adapt_mean.shape))
        self.adapt_variance.assign(np.asarray(m2 / n, self.dtype).reshape(self.adapt_variance.shape))
        self.adapt_count.assign(np.int64(n))
        self.adapted = True

    # The statistics in the inputs' broadcast shape ((1, 1, 1, 3) for images), as Keras exposes them.
    mean = property(lambda self: self._stat(0))
    variance = property(lambda self: self._stat(1))

    def _stat(self, i):
        if self.init_mean is not None:
            return self._given[i]
        return tf.reshape((self.adapt_mean, self.adapt_variance)[i], self._shape)

    def call(self, inputs):
        x = _float(inputs, self.dtype)
        mean, var = self.mean, self.variance
        std = tf.maximum(tf.sqrt(var), 1e-7)
        return x * std + mean if self.invert else (x - mean) / std

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


# ---- random augmentation ---------------------------------------------------------------------


class _Random(Layer):
    """Active when training, and (as in Keras 3) when called directly outside fit/evaluate/predict;
    draws from tensorlet.random with ``seed``."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed

    def _uniform(self, n, lo, hi):
        """n draws in [lo, hi), float64, as a tensor: tensorlet ops all the way,
        so a compiled training step traces the augmentation too."""
        return tf.random.uniform((n,), lo, hi, dtype="float64", seed=self.seed)

    def call(self, inputs, training=True):
        x = _float(inputs, self.dtype)
        if not training:
            return x
        x4, single = _images(x, self)
        y = self._augment(x4)
        return y[0] if single else y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class RandomFlip(_Random):
    """Flips each image left-right and/or up-down with probability 1/2.

    Args:
        mode: 'horizontal', 'vertical' or 'horizontal_and_vertical' (default).
        seed: for repeatable draws.
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, **kwargs):
        super().__init__(seed, **kwargs)
        if mode not in ("horizontal", "vertical", "horizontal_and_vertical"):
            raise ValueError(f"RandomFlip: mode must be 'horizontal', 'vertical' or 'horizontal_and_vertical', "
                             f"got {mode!r}")
        self.mode = mode

    def _augment(self, x):
        n = x.shape[0]
        for axis, on in ((2, "horizontal" in self.mode), (1, "vertical" in self.mode)):
            if on:
                flip = tf.reshape(self._uniform(n, 0, 1) < 0.5, (n, 1, 1, 1))
                x = tf.where(flip, tf.reverse(x, [axis]), x)
        return x


def _fill_index(i, n, mode):
    """Integer coordinates (an int64 tensor) mapped into [0, n) by the fill
    mode; -1 where outside (constant)."""
    if mode == "nearest":
        return tf.clip_by_value(i, 0, n - 1)
    if mode == "wrap":
        return tf.math.floormod(i, n)
    if mode == "reflect":  # d c b a | a b c d | d c b a
        if n == 1:
            return tf.zeros_like(i)
        p = tf.math.floormod(i, 2 * n)
        return tf.where(p >= n, 2 * n - 1 - p, p)
    return tf.where(tf.logical_and(i >= 0, i < n), i, -1)


def _transform(x, mats, interpolation, fill_mode, fill_value):
    """Each output pixel (px, py) of image b is read at (a0 px + a1 py + a2,
    b0 px + b1 py + b2) of the input, for mats = (a0, a1, a2, b0, b1, b2),
    each a float or a tensor of one value per image."""
    n, h, w, c = x.shape
    py, px = (tf.constant(g) for g in np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64),
                                                  indexing="ij"))
    a0, a1, a2, b0, b1, b2 = (tf.reshape(m, (n, 1, 1)) if isinstance(m, tf.Tensor) else m for m in mats)
    sx = a0 * px + a1 * py + a2
    sy = b0 * px + b1 * py + b2
    flat = tf.reshape(x, (n * h * w, c))
    base = tf.constant((np.arange(n, dtype=np.int64) * h * w)[:, None, None])
    if interpolation == "nearest":
        taps = [(tf.round(sy), tf.round(sx), None)]
    else:
        y0, x0 = tf.floor(sy), tf.floor(sx)
        fy, fx = sy - y0, sx - x0
        taps = [(y0, x0, (1 - fy) * (1 - fx)), (y0, x0 + 1, (1 - fy) * fx), (y0 + 1, x0, fy * (1 - fx)),
                (y0 + 1, x0 + 1, fy * fx)]
    out, outside = None, 0.0
    for ty, tx, wt in taps:
        iy = _fill_index(tf.cast(ty, tf.int64), h, fill_mode)
        ix = _fill_index(tf.cast(tx, tf.int64), w, fill_mode)
        valid = tf.logical_and(iy >= 0, ix >= 0)
        wt = tf.ones_like(sx) if wt is None else wt
        outside = outside + tf.where(valid, 0.0, wt)
        idx = tf.reshape(tf.where(valid, base + iy * w + ix, 0), (-1,))
        wgt = tf.cast(tf.reshape(tf.where(valid, wt, 0.0), (n, h, w, 1)), x.dtype)
        term = tf.reshape(tf.gather(flat, idx), (n, h, w, c)) * wgt
        out = term if out is None else out + term
    if fill_mode == "constant" and fill_value:
        out = out + tf.cast(tf.reshape(outside, (n, h, w, 1)) * fill_value, x.dtype)
    return out


class _Geometric(_Random):
    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(seed, **kwargs)
        name = type(self).__name__
        if fill_mode not in ("reflect", "wrap", "constant", "nearest"):
            raise ValueError(f"{name}: fill_mode must be 'reflect', 'wrap', 'constant' or 'nearest', got "
                             f"{fill_mode!r}")
        if interpolation not in ("bilinear", "nearest"):
            raise ValueError(f"{name}: interpolation must be 'bilinear' or 'nearest', got {interpolation!r}")
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, fill_value

    def _augment(self, x):
        n, h, w, _ = x.shape
        return _transform(x, self._matrices(n, h, w), self.interpolation, self.fill_mode, self.fill_value)


class RandomRotation(_Geometric):
    """Rotates each image by a random angle, ``factor`` a fraction of a full
    turn: a float f for [-f, f] or a pair (lower, upper); positive angles turn
    counter-clockwise. Pixels from outside are filled per ``fill_mode``
    ('reflect', 'wrap', 'constant' with ``fill_value``, 'nearest')."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.factor = factor
        self._lo, self._hi = _range(factor, "factor", "RandomRotation")

    def _matrices(self, n, h, w):
        theta = self._uniform(n, self._lo * 2 * math.pi, self._hi * 2 * math.pi)
        cos, sin = tf.cos(theta), tf.sin(theta)
        xo = ((w - 1) - (cos * (w - 1) - sin * (h - 1))) / 2
        yo = ((h - 1) - (sin * (w - 1) + cos * (h - 1))) / 2
        return cos, -sin, xo, sin, cos, yo


class RandomZoom(_Geometric):
    """Zooms each image by a random amount: ``height_factor`` a float f for
    [-f, f] or a pair; positive values zoom out (show more), negative zoom in.
    ``width_factor`` None keeps the aspect ratio. Fill as RandomRotation."""

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._h = _range(height_factor, "height_factor", "RandomZoom", 1.0)
        self._w = None if width_factor is None else _range(width_factor, "width_factor", "RandomZoom", 1.0)

    def _matrices(self, n, h, w):
        zy = self._uniform(n, *self._h)
        zx = zy if self._w is None else self._uniform(n, *self._w)
        return zx, 0.0, (w - 1) / 2 * (1 - zx), 0.0, zy, (h - 1) / 2 * (1 - zy)


class RandomTranslation(_Geometric):
    """Shifts each image by a random fraction of its height and width (each
    factor a float f for [-f, f] or a pair). Fill as RandomRotation."""

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._h = _range(height_factor, "height_factor", "RandomTranslation")
        self._w = _range(width_factor, "width_factor", "RandomTranslation")

    def _matrices(self, n, h, w):
        dy, dx = self._uniform(n, *self._h) * h, self._uniform(n, *self._w) * w
        return 1.0, 0.0, -dx, 0.0, 1.0, -dy


class RandomContrast(_Random):
    """Scales each image's deviation from its per-channel mean by a random
    factor in [1 - lower, 1 + upper] (``factor`` a float for both or a pair),
    then clips to ``value_range``."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed, **kwargs)
        lo, hi = (factor, factor) if isinstance(factor, (int, float)) else tuple(factor)
        if lo < 0 or hi < 0 or lo > 1:
            raise ValueError(f"RandomContrast: factor must be in [0, 1] below and >= 0 above, got {factor!r}")
        self.factor, self.value_range = factor, tuple(value_range)
        self._lo, self._hi = 1.0 - lo, 1.0 + hi

    def _augment(self, x):
        f = tf.cast(tf.reshape(self._uniform(x.shape[0], self._lo, self._hi), (-1, 1, 1, 1)), x.dtype)
        mean = tf.reduce_mean(x, axis=[1, 2], keepdims=True)
        return tf.clip_by_value((x - mean) * f + mean, *self.value_range)


class RandomCrop(_Random):
    """A random ``(height, width)`` window of each batch when training (one
    offset for the batch); otherwise the images resized to that size after a
    centred crop to its aspect ratio. Images smaller than the window are
    resized instead of cropped."""

    def __init__(self, height, width, seed=None, **kwargs):
        super().__init__(seed, **kwargs)
        self.height, self.width = int(height), int(width)

    def call(self, inputs, training=True):
        if training:
            return super().call(inputs, training)
        return Resizing(self.height, self.width, crop_to_aspect_ratio=True, dtype=self.dtype)(inputs)

    def _augment(self, x):
        h, w = x.shape[1:3]
        if h < self.height or w < self.width:
            return tf.image.resize(x, (self.height, self.width))
        picks = []
        for size, n in ((h, self.height), (w, self.width)):  # offsets drawn in [0, size - n]
            start = tf.cast(tf.floor(self._uniform(1, 0, size - n + 1)), tf.int64)
            picks.append(tf.minimum(start, size - n) + tf.range(n, dtype=tf.int64))
        return tf.gather(tf.gather(x, picks[0], axis=1), picks[1], axis=2)

    def compute_output_shape(self, input_shape):
        s = tuple(input_shape)
        return s[:-3] + (self.height, self.width, s[-1])


class RandomBrightness(_Random):
    """Adds to each image a random ``delta * (high - low)`` for ``value_range``
    ``(low, high)``, ``delta`` drawn from ``factor`` (a float f for [-f, f] or
    a pair, within [-1, 1]), then clips to ``value_range``."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed, **kwargs)
        self._lo, self._hi = _range(factor, "factor", "RandomBrightness")
        if self._lo < -1 or self._hi > 1:
            raise ValueError(f"RandomBrightness: factor must be within [-1, 1], got {factor!r}")
        self.factor, self.value_range = factor, tuple(value_range)

    def _augment(self, x):
        span = self.value_range[1] - self.value_range[0]
        delta = tf.reshape(self._uniform(x.shape[0], self._lo, self._hi), (-1, 1, 1, 1)) * span
        return tf.clip_by_value(x + tf.cast(delta, x.dtype), *self.value_range)
