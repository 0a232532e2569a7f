"""``tf.image``'s colour adjustments, crops and pads, and their random forms,
as input pipelines use them in front of convnets. Integer images are
adjusted in float and converted back, saturating, as TensorFlow does."""

import tensorlet as tf
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.image import _image, convert_image_dtype, flip_left_right, flip_up_down

__all__ = ["adjust_brightness", "adjust_contrast", "central_crop", "crop_to_bounding_box", "grayscale_to_rgb",
           "pad_to_bounding_box", "per_image_standardization", "random_brightness", "random_contrast", "random_crop",
           "random_flip_left_right", "random_flip_up_down", "resize_with_crop_or_pad", "rgb_to_grayscale"]


def _in_float(image, fn):
    """fn applied to the image in float, converted back to its dtype."""
    image = tf.convert_to_tensor(image)
    if image.dtype.is_floating:
        return fn(image)
    return convert_image_dtype(fn(convert_image_dtype(image, "float32")), image.dtype, saturate=True)


def adjust_brightness(image, delta):
    """``image + delta`` (for an integer image, ``delta`` is a fraction of its range)."""
    return _in_float(image, lambda x: x + tf.cast(delta, x.dtype))


def adjust_contrast(images, contrast_factor):
    """Each channel's deviation from its mean over height and width, times
    ``contrast_factor``: ``(x - mean) * contrast_factor + mean``."""
    def adjust(x):
        mean = tf.reduce_mean(x, axis=[-3, -2], keepdims=True)
        return (x - mean) * tf.cast(contrast_factor, x.dtype) + mean
    return _in_float(_image(images, "adjust_contrast"), adjust)


def random_brightness(image, max_delta, seed=None):
    """``adjust_brightness`` by one delta drawn from ``[-max_delta, max_delta)``.

    Raises:
        InvalidArgumentError: if ``max_delta`` is negative.
    """
    if max_delta < 0:
        raise InvalidArgumentError(f"image.random_brightness: max_delta must be non-negative, got {max_delta}")
    return adjust_brightness(image, tf.random.uniform((), -max_delta, max_delta, seed=seed))


def random_contrast(image, lower, upper, seed=None):
    """``adjust_contrast`` by one factor drawn from ``[lower, upper)``.

    Raises:
        InvalidArgumentError: unless ``0 <= lower < upper``.
    """
    if not 0 <= lower < upper:
        raise InvalidArgumentError(f"image.random_contrast: need 0 <= lower < upper, got lower={lower}, "
                                   f"upper={upper}")
    return adjust_contrast(image, tf.random.uniform((), lower, upper, seed=seed))


def _random_flip(image, flip, seed, op):
    """``flip(image)`` or ``image``, each image of a batch with probability 1/2."""
    image = _image(image, op)
    shape = (image.shape[0], 1, 1, 1) if image.ndim == 4 else ()
    return tf.where(tf.random.uniform(shape, seed=seed) < 0.5, flip(image), image)


def random_flip_left_right(image, seed=None):
    """The image (each image of a batch) mirrored horizontally with probability 1/2."""
    return _random_flip(image, flip_left_right, seed, "random_flip_left_right")


def random_flip_up_down(image, seed=None):
    """The image (each image of a batch) mirrored vertically with probability 1/2."""
    return _random_flip(image, flip_up_down, seed, "random_flip_up_down")


def random_crop(value, size, seed=None, name=None):
    """A window of shape ``size`` (one entry per dimension of ``value``) at an
    offset drawn uniformly along each dimension.

    Raises:
        InvalidArgumentError: if ``size`` has the wrong length or exceeds the shape.
    """
    value = tf.convert_to_tensor(value)
    size = [int(s) for s in (size.numpy() if hasattr(size, "numpy") else size)]
    shape = tuple(value.shape)
    if len(size) != len(shape) or any(s < 0 or s > d for s, d in zip(size, shape)):
        raise InvalidArgumentError(f"image.random_crop: size {size} does not fit inside a value of shape {shape}")
    for axis, (s, d) in enumerate(zip(size, shape)):
        if s < d:
            start = tf.minimum(tf.cast(tf.random.uniform((), 0, d - s + 1, "float64", seed=seed), tf.int64), d - s)
            value = tf.gather(value, start + tf.range(s, dtype=tf.int64), axis=axis)
    return value


def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """The ``target_height`` x ``target_width`` window at the given offsets.

    Raises:
        InvalidArgumentError: if the window does not lie inside the image.
    """
    image = _image(image, "crop_to_bounding_box")
    h, w = image.shape[-3:-1]
    if min(offset_height, offset_width) < 0 or min(target_height, target_width) <= 0 or \
            offset_height + target_height > h or offset_width + target_width > w:
        raise InvalidArgumentError(f"image.crop_to_bounding_box: the window ({offset_height}, {offset_width}) + "
                                   f"({target_height}, {target_width}) does not lie inside a {h}x{w} image")
    return image[..., offset_height:offset_height + target_height, offset_width:offset_width + target_width, :]


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """The image placed at the offsets in a zero ``target_height`` x ``target_width`` canvas.

    Raises:
        InvalidArgumentError: if the image does not fit.
    """
    image = _image(image, "pad_to_bounding_box")
    h, w = image.shape[-3:-1]
    after_h, after_w = target_height - offset_height - h, target_width - offset_width - w
    if min(offset_height, offset_width, after_h, after_w) < 0:
        raise InvalidArgumentError(f"image.pad_to_bounding_box: a {h}x{w} image at ({offset_height}, "
                                   f"{offset_width}) does not fit in {target_height}x{target_width}")
    pads = [[offset_height, after_h], [offset_width, after_w], [0, 0]]
    return tf.pad(image, [[0, 0]] * (image.ndim - 3) + pads)


def resize_with_crop_or_pad(image, target_height, target_width):
    """The image centred in ``target_height`` x ``target_width``: cropped
    where larger, padded with zeros where smaller."""
    image = _image(image, "resize_with_crop_or_pad")
    h, w = image.shape[-3:-1]
    image = crop_to_bounding_box(image, max((h - target_height) // 2, 0), max((w - target_width) // 2, 0),
                                 min(h, target_height), min(w, target_width))
    return pad_to_bounding_box(image, max((target_height - h) // 2, 0), max((target_width - w) // 2, 0),
                               target_height, target_width)


def central_crop(image, central_fraction):
    """The centred ``central_fraction`` (in (0, 1]) of the image's height and width.

    Raises:
        InvalidArgumentError: for a fraction outside (0, 1].
    """
    if not 0 < central_fraction <= 1:
        raise InvalidArgumentError(f"image.central_crop: central_fraction must be in (0, 1], got {central_fraction}")
    image = _image(image, "central_crop")
    h, w = image.shape[-3:-1]
    top, left = int((h - h * central_fraction) / 2), int((w - w * central_fraction) / 2)
    return crop_to_bounding_box(image, top, left, h - 2 * top, w - 2 * left)


def rgb_to_grayscale(images, name=None):
    """Luma (0.2989 R + 0.5870 G + 0.1140 B) with the channel axis kept, size 1.

    Raises:
        InvalidArgumentError: unless the last axis has 3 channels.
    """
    images = tf.convert_to_tensor(images)
    if not images.ndim or images.shape[-1] != 3:
        raise InvalidArgumentError(f"image.rgb_to_grayscale: the last axis must hold 3 channels, got shape "
                                   f"{tuple(images.shape)}")
    return _in_float(images, lambda x: tf.reduce_sum(x * tf.constant([0.2989, 0.5870, 0.1140], x.dtype), -1,
                                                     keepdims=True))


def grayscale_to_rgb(images, name=None):
    """A 1-channel image repeated into 3 channels."""
    images = tf.convert_to_tensor(images)
    if not images.ndim or images.shape[-1] != 1:
        raise InvalidArgumentError(f"image.grayscale_to_rgb: the last axis must hold 1 channel, got shape "
                                   f"{tuple(images.shape)}")
    return tf.concat([images] * 3, axis=-1)


def per_image_standardization(image):
    """Each image scaled to mean 0 and variance 1 over its pixels and
    channels, dividing by ``max(stddev, 1 / sqrt(pixels * channels))``."""
    image = _image(image, "per_image_standardization")
    x = image if image.dtype.is_floating else tf.cast(image, "float32")
    mean, var = tf.nn.moments(x, axes=[-3, -2, -1], keepdims=True)
    n = int(x.shape[-3] * x.shape[-2] * x.shape[-1])
    return (x - mean) / tf.maximum(tf.sqrt(var), 1.0 / n ** 0.5)
