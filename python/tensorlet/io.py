"""``tensorlet.io`` (as ``tf.io``): decoding raw bytes into numbers."""

import numpy as np

from tensorlet.framework import dtypes as _dtypes
from tensorlet.framework.convert import constant as _constant
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.strings import to_bytes

__all__ = ["decode_raw"]


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
