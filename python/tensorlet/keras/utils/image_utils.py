"""``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``: single images
through Pillow (``pip install Pillow``), as ``keras.utils`` has them."""

import numpy as np


def _pil(who):
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"{who} reads and writes images with Pillow: pip install Pillow (or pip install "
                          "'tensorlet[images]')") from None
    return Image


_MODES = {"rgb": "RGB", "grayscale": "L", "rgba": "RGBA"}


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """Loads an image file (a path or an open binary file) as a PIL image, in ``color_mode`` ('rgb',
    'grayscale', 'rgba'), resized to ``target_size`` (height, width) with ``interpolation`` ('nearest',
    'bilinear', 'bicubic', 'lanczos', 'box', 'hamming'), its middle first cropped to the target's aspect
    ratio with ``keep_aspect_ratio``.

    Raises:
        ValueError: for an unknown ``color_mode`` or ``interpolation``.
    """
    Image = _pil("load_img")
    if color_mode not in _MODES:
        raise ValueError(f"load_img: color_mode must be one of {sorted(_MODES)}, got {color_mode!r}")
    filters = {k: getattr(Image, k.upper()) for k in ("nearest", "bilinear", "bicubic", "lanczos", "box", "hamming")}
    if interpolation not in filters:
        raise ValueError(f"load_img: interpolation must be one of {sorted(filters)}, got {interpolation!r}")
    img = Image.open(path)
    img.load()
    img = img.convert(_MODES[color_mode]) if img.mode != _MODES[color_mode] else img
    if target_size is not None:
        height, width = target_size
        if keep_aspect_ratio:
            from tensorlet.keras.utils.directory_datasets import _crop

            img = _crop(img, width / height)
        if img.size != (width, height):
            img = img.resize((width, height), filters[interpolation])
    return img


def img_to_array(img, data_format=None, dtype="float32"):
    """A PIL image as a numpy array of shape (height, width, channels) (``'channels_first'``: channels first)."""
    x = np.asarray(img, dtype=dtype)
    if x.ndim == 2:
        x = x[..., None]
    if x.ndim != 3:
        raise ValueError(f"img_to_array: expected an image of 2 or 3 dims, got shape {x.shape}")
    return np.moveaxis(x, -1, 0) if data_format == "channels_first" else x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A (height, width, channels) array (1, 3 or 4 channels) as a PIL image; ``scale`` maps
    its range onto [0, 255]."""
    Image = _pil("array_to_img")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3 or x.shape[-1 if data_format != "channels_first" else 0] not in (1, 3, 4):
        raise ValueError(f"array_to_img: expected an image of shape (height, width, 1, 3 or 4), got {x.shape}")
    if data_format == "channels_first":
        x = np.moveaxis(x, 0, -1)
    if scale:
        x = x - x.min()
        x = x / x.max() * 255 if x.max() > 0 else x
    x = np.clip(x, 0, 255).astype(np.uint8)
    return Image.fromarray(x[..., 0] if x.shape[-1] == 1 else x, {1: "L", 3: "RGB", 4: "RGBA"}[x.shape[-1]])


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Saves an array (as :func:`array_to_img` reads it) as an image file."""
    array_to_img(x, data_format, scale).save(path, format=file_format, **kwargs)
