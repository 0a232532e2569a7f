"""``tensorlet.image`` (as ``tf.image``): flips, rotations, resizing.

Images are ``(height, width, channels)`` or batches ``(batch, height, width,
channels)``. Every function is a composition of registered ops, so it is
differentiable where the result is floating.
"""

import numpy as np

import tensorlet as tf
from tensorlet.framework.errors import InvalidArgumentError

__all__ = ["adjust_brightness", "adjust_contrast", "central_crop", "convert_image_dtype", "flip_left_right",
           "flip_up_down", "grayscale_to_rgb", "per_image_standardization", "random_brightness", "random_contrast",
           "random_crop", "random_flip_left_right", "random_flip_up_down", "resize", "resize_with_crop_or_pad",
           "rgb_to_grayscale", "rot90", "ResizeMethod"]


class ResizeMethod:
    BILINEAR = "bilinear"
    NEAREST_NEIGHBOR = "nearest"


def _image(image, op):
    image = tf.convert_to_tensor(image)
    if image.ndim not in (3, 4):
        raise InvalidArgumentError(f"image.{op}: expected an image (h, w, c) or a batch (n, h, w, c), got shape "
                                   f"{tuple(image.shape)}")
    return image


def flip_left_right(image):
    """The image mirrored horizontally (the width axis reversed)."""
    image = _image(image, "flip_left_right")
    return tf.reverse(image, [image.ndim - 2])


def flip_up_down(image):
    """The image mirrored vertically (the height axis reversed)."""
    image = _image(image, "flip_up_down")
    return tf.reverse(image, [image.ndim - 3])


def rot90(image, k=1, name=None):
    """The image rotated counter-clockwise by ``k`` quarter turns."""
    image = _image(image, "rot90")
    h, w = image.ndim - 3, image.ndim - 2
    perm = list(range(image.ndim))
    perm[h], perm[w] = w, h
    for _ in range(int(k) % 4):
        image = tf.transpose(tf.reverse(image, [w]), perm)
    return image


def _bilinear_matrix(n_in, n_out):
    """The (n_out, n_in) interpolation weights of half-pixel-centred linear resizing."""
    src = np.maximum((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0.0)
    lo = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = src - lo
    m = np.zeros((n_out, n_in))
    np.add.at(m, (np.arange(n_out), lo), 1.0 - frac)
    np.add.at(m, (np.arange(n_out), hi), frac)
    return m


def _nearest_index(n_in, n_out):
    return np.minimum(np.floor((np.arange(n_out) + 0.5) * (n_in / n_out)).astype(np.int64), n_in - 1)


def resize(images, size, method="bilinear", preserve_aspect_ratio=False, antialias=False, name=None):
    """Resizes images to ``size = (new_height, new_width)``.

    Args:
        images: an image or a batch of images.
        size: the new height and width.
        method: ``'bilinear'`` (default; half-pixel centres, as TensorFlow 2)
            or ``'nearest'``.
        preserve_aspect_ratio: fit within ``size`` keeping the aspect ratio.
        antialias: not supported (raises when true).
        name: ignored.

    Returns:
        Bilinear: float32 (or the input's float dtype). Nearest: the input's dtype.

    Raises:
        InvalidArgumentError: for a bad shape, size or method.
    """
    images = _image(images, "resize")
    if antialias:
        raise NotImplementedError("image.resize: antialias=True is not supported yet")
    new_h, new_w = (int(s) for s in (size.numpy().tolist() if hasattr(size, "numpy") else size))
    if new_h <= 0 or new_w <= 0:
        raise InvalidArgumentError(f"image.resize: size must be positive, got {(new_h, new_w)}")
    batched = images if images.ndim == 4 else tf.expand_dims(images, 0)
    _, h, w, _ = batched.shape
    if preserve_aspect_ratio:
        scale = min(new_h / h, new_w / w)
        new_h, new_w = max(int(round(h * scale)), 1), max(int(round(w * scale)), 1)
    method = getattr(method, "value", method)
    if method in ("nearest", "nearest_neighbor"):
        out = tf.gather(tf.gather(batched, _nearest_index(h, new_h), axis=1), _nearest_index(w, new_w), axis=2)
    elif method == "bilinear":
        if not batched.dtype.is_floating:
            batched = tf.cast(batched, "float32")
        dt = batched.dtype
        my, mx = (tf.constant(_bilinear_matrix(n, m), dt) for n, m in ((h, new_h), (w, new_w)))
        out = tf.einsum("yh,bhwc,xw->byxc", my, batched, mx)
    else:
        raise InvalidArgumentError(f"image.resize: method must be 'bilinear' or 'nearest', got {method!r}")
    return out if images.ndim == 4 else out[0]


def convert_image_dtype(image, dtype, saturate=False, name=None):
    """Converts an image between dtypes, rescaling as TensorFlow does: integer
    images span [0, dtype.max], float images [0, 1).

    Args:
        image: a tensor of a numeric dtype.
        dtype: the target dtype.
        saturate: clip floats to the target's range before casting to an integer.

    Returns:
        The image in ``dtype``.
    """
    image = tf.convert_to_tensor(image)
    dtype = tf.as_dtype(dtype)
    src = image.dtype
    if src is dtype:
        return image
    if src.is_floating and dtype.is_floating:
        return tf.cast(image, dtype)
    if src.is_floating:  # [0, 1) -> [0, max]
        scaled = tf.cast(image, "float32") * (dtype.max + 0.5)
        return tf.cast(tf.clip_by_value(scaled, float(dtype.min), float(dtype.max)) if saturate else scaled, dtype)
    if dtype.is_floating:
        return tf.cast(tf.cast(image, "float64" if src.size >= 4 else "float32") * (1.0 / src.max), dtype)
    wide = tf.cast(image, "int64")  # integer to integer: scale by the ratio of the ranges
    up, down = (int(dtype.max) + 1) // (int(src.max) + 1), (int(src.max) + 1) // (int(dtype.max) + 1)
    return tf.cast(wide * up if up >= 1 else wide // down, dtype)


def _in_float(image, fn):
    """``fn`` applied to the image as float32 in [0, 1] (integer images) and converted back."""
    image = tf.convert_to_tensor(image)
    out = fn(convert_image_dtype(image, "float32") if not image.dtype.is_floating else image)
    return out if image.dtype.is_floating else convert_image_dtype(out, image.dtype, saturate=True)


def _either(image, changed, seed):
    """``changed`` or ``image``, each image of a batch with probability 1/2."""
    shape = (image.shape[0], 1, 1, 1) if image.ndim == 4 else ()
    return tf.where(tf.random.uniform(shape, seed=seed) < 0.5, changed, image)


def random_flip_left_right(image, seed=None):
    """Each image mirrored horizontally with probability 1/2."""
    image = _image(image, "random_flip_left_right")
    return _either(image, flip_left_right(image), seed)


def random_flip_up_down(image, seed=None):
    """Each image mirrored vertically with probability 1/2."""
    image = _image(image, "random_flip_up_down")
    return _either(image, flip_up_down(image), seed)


def adjust_brightness(image, delta):
    """``image + delta`` (integer images: in the [0, 1] scale, then converted back)."""
    return _in_float(image, lambda x: x + tf.cast(delta, x.dtype))


def adjust_contrast(images, contrast_factor):
    """Each channel's distance from its per-image mean, scaled by ``contrast_factor``."""
    def adjust(x):
        mean = tf.reduce_mean(x, axis=[-3, -2], keepdims=True)
        return (x - mean) * tf.cast(contrast_factor, x.dtype) + mean
    return _in_float(_image(images, "adjust_contrast"), adjust)


def random_brightness(image, max_delta, seed=None):
    """:func:`adjust_brightness` by one delta drawn from [-max_delta, max_delta).

    Raises:
        ValueError: if ``max_delta`` is negative.
    """
    if max_delta < 0:
        raise ValueError(f"image.random_brightness: max_delta must be non-negative, got {max_delta}")
    return adjust_brightness(image, tf.random.uniform((), -max_delta, max_delta, seed=seed))


def random_contrast(image, lower, upper, seed=None):
    """:func:`adjust_contrast` by one factor drawn from [lower, upper).

    Raises:
        ValueError: unless 0 <= lower < upper.
    """
    if not 0 <= lower < upper:
        raise ValueError(f"image.random_contrast: need 0 <= lower < upper, got lower={lower}, upper={upper}")
    return adjust_contrast(image, tf.random.uniform((), lower, upper, seed=seed))


def per_image_standardization(image):
    """Each image scaled to mean 0 and variance 1: ``(x - mean) / max(std, 1/sqrt(pixels))``, float32."""
    image = _image(image, "per_image_standardization")
    x = tf.cast(image, "float32") if not image.dtype.is_floating else image
    axes = [-3, -2, -1]
    mean = tf.reduce_mean(x, axis=axes, keepdims=True)
    std = tf.math.reduce_std(x, axis=axes, keepdims=True)
    return (x - mean) / tf.maximum(std, 1.0 / np.sqrt(np.prod(x.shape[-3:])))


def central_crop(image, central_fraction):
    """The central ``central_fraction`` (in (0, 1]) of the height and width."""
    image = _image(image, "central_crop")
    if not 0 < central_fraction <= 1:
        raise ValueError(f"image.central_crop: central_fraction must be in (0, 1], got {central_fraction}")
    h, w = image.shape[-3], image.shape[-2]
    top, left = int((h - h * central_fraction) / 2), int((w - w * central_fraction) / 2)
    return image[..., top:h - top, left:w - left, :]


def resize_with_crop_or_pad(image, target_height, target_width):
    """Crops the middle, or pads evenly with zeros, to ``target_height x target_width``."""
    image = _image(image, "resize_with_crop_or_pad")
    h, w = image.shape[-3], image.shape[-2]
    top, left = max((h - target_height) // 2, 0), max((w - target_width) // 2, 0)
    image = image[..., top:top + min(h, target_height), left:left + min(w, target_width), :]
    pad_h, pad_w = max((target_height - h) // 2, 0), max((target_width - w) // 2, 0)
    pads = [[0, 0]] * (image.ndim - 3) + [[pad_h, target_height - image.shape[-3] - pad_h],
                                          [pad_w, target_width - image.shape[-2] - pad_w], [0, 0]]
    return tf.pad(image, pads)


def random_crop(value, size, seed=None):
    """A slice of shape ``size`` at a random offset.

    Raises:
        InvalidArgumentError: if ``size`` does not fit inside ``value``.
    """
    value = tf.convert_to_tensor(value)
    size = [int(s) for s in size]
    if len(size) != value.ndim or any(s > d or s < 0 for s, d in zip(size, value.shape)):
        raise InvalidArgumentError(f"image.random_crop: size {size} does not fit in shape {tuple(value.shape)}")
    u = tf.random.uniform((value.ndim,), seed=seed).numpy()
    starts = [int(f * (d - s + 1)) for f, d, s in zip(u, value.shape, size)]
    return value[tuple(slice(b, b + s) for b, s in zip(starts, size))]


def rgb_to_grayscale(images):
    """The luminance ``0.2989 R + 0.5870 G + 0.1140 B``, keeping a last axis of 1."""
    weights = [0.2989, 0.5870, 0.1140]
    return _in_float(images, lambda x: tf.reduce_sum(x * tf.constant(weights, x.dtype), axis=-1, keepdims=True))


def grayscale_to_rgb(images):
    """A one-channel image repeated into three channels."""
    return tf.concat([tf.convert_to_tensor(images)] * 3, axis=-1)
