"""``tensorlet.io`` (as ``tf.io``): reading files, decoding raw bytes and images into numbers."""

import numpy as np

from tensorlet.framework import dtypes as _dtypes
from tensorlet.framework.convert import constant as _constant
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.strings import to_bytes

__all__ = ["decode_image", "decode_jpeg", "decode_png", "decode_raw", "read_file", "write_file"]


def decode_raw(input_bytes, out_type, little_endian=True, fixed_length=None, name=None):
    """Reinterprets the bytes of each string as a vector of ``out_type`` numbers.

    Args:
        input_bytes: a string tensor (or bytes); every string must have the
            same length, a multiple of the dtype's size (or use ``fixed_length``).
        out_type: the numeric dtype, e.g. ``tf.uint8`` or ``tf.float32``.
        little_endian: the byte order of the data.
        fixed_length: pad or cut every string to this many bytes first.

    Returns:
        A tensor of ``out_type`` with one more dim than ``input_bytes``.

    Raises:
        InvalidArgumentError: if the lengths differ or do not fit the dtype.
    """
    dt = _dtypes.as_dtype(out_type)
    a = to_bytes(input_bytes)
    flat = [v if fixed_length is None else v[:fixed_length].ljust(fixed_length, b"\0") for v in a.reshape(-1)]
    n = {len(v) for v in flat}
    if len(n) > 1 or (flat and flat[0] and len(flat[0]) % dt.size):
        raise InvalidArgumentError(f"decode_raw: every string must have the same length, a multiple of {dt.size} "
                                   f"bytes for {dt.name}; got lengths {sorted(n)}")
    np_type = np.dtype(np.float32 if dt is _dtypes.bfloat16 else dt.as_numpy_dtype).newbyteorder(
        "<" if little_endian else ">")
    if dt is _dtypes.bfloat16:  # two bytes each: the top half of a float32
        raw = np.frombuffer(b"".join(flat), np.dtype("<u2" if little_endian else ">u2")).astype(np.uint32) << 16
        values = raw.view(np.float32)
    else:
        values = np.frombuffer(b"".join(flat), np_type).astype(np_type.newbyteorder("="))
    width = (len(flat[0]) // dt.size) if flat else 0
    return _constant(values.reshape(a.shape + (width,)), dtype=dt)


def read_file(filename, name=None):
    """The whole contents of a file, as a scalar string tensor."""
    with open(to_bytes(filename).item().decode(), "rb") as f:
        return _constant(np.array(f.read(), dtype=object))


def write_file(filename, contents, name=None):
    """Writes a scalar string tensor (or bytes) to a file."""
    with open(to_bytes(filename).item().decode(), "wb") as f:
        f.write(to_bytes(contents).item())


def decode_image(contents, channels=None, dtype=_dtypes.uint8, name=None, expand_animations=True):
    """Decodes a PNG, JPEG, BMP or GIF (its first frame) into a ``(height, width, channels)`` tensor.

    Args:
        contents: a scalar string tensor (as :func:`read_file` gives).
        channels: 0 or None keeps the image's own; 1 (grayscale), 3 (RGB) or 4 (RGBA) converts.
        dtype: ``uint8`` (0-255), or a float dtype scaled to [0, 1].

    Raises:
        InvalidArgumentError: if the bytes are not an image Pillow can read.
        ImportError: without Pillow (``pip install Pillow``).
    """
    import io

    try:
        from PIL import Image
    except ImportError:
        raise ImportError("tensorlet.io decodes images with Pillow: pip install Pillow") from None
    try:
        img = Image.open(io.BytesIO(to_bytes(contents).item()))
        img.load()
    except Exception as e:  # Pillow raises several kinds for bad data
        raise InvalidArgumentError(f"decode_image: the contents are not a readable image ({e})") from None
    modes = {1: "L", 3: "RGB", 4: "RGBA"}
    if channels:
        img = img.convert(modes[channels])
    elif img.mode not in modes.values():
        img = img.convert("RGBA" if "A" in img.mode else "RGB")
    a = np.asarray(img, dtype=np.uint8)
    a = a[..., None] if a.ndim == 2 else a
    dt = _dtypes.as_dtype(dtype)
    return _constant(a if dt is _dtypes.uint8 else a.astype(dt.as_numpy_dtype) / 255.0, dtype=dt)


def decode_png(contents, channels=0, dtype=_dtypes.uint8, name=None):
    """Decodes a PNG image; see :func:`decode_image`."""
    return decode_image(contents, channels, dtype)


def decode_jpeg(contents, channels=0, ratio=1, fancy_upscaling=True, try_recover_truncated=False,
                acceptable_fraction=1, dct_method="", name=None):
    """Decodes a JPEG image into uint8; see :func:`decode_image`."""
    return decode_image(contents, channels)
