"""``tensorlet.image`` (as ``tf.image``): flips, rotations, resizing, and
(``image_adjust.py``) colour adjustments, crops, pads and random forms.

Images are ``(height, width, channels)`` or batches ``(batch, height, width,
channels)``. Every function is a composition of registered ops, so it is
differentiable where the result is floating.
"""

import numpy as np

import tensorlet as tf
from tensorlet.framework.errors import InvalidArgumentError

__all__ = ["convert_image_dtype", "flip_left_right", "flip_up_down", "resize", "rot90", "ResizeMethod"]


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


from tensorlet.image_adjust import *  # noqa: E402,F401,F403
from tensorlet.image_adjust import __all__ as _adjust  # noqa: E402

__all__ += _adjust
