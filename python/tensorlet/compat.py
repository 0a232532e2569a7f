"""``tensorlet.compat`` (as ``tf.compat``): the text/bytes conversions programs still use."""

import os

__all__ = ["as_bytes", "as_str", "as_text", "path_to_str"]


def as_bytes(bytes_or_text, encoding="utf-8"):
    """``bytes`` from ``str`` (encoded) or bytes-like values.

    Raises:
        TypeError: for anything else.
    """
    if isinstance(bytes_or_text, (bytes, bytearray)):
        return bytes(bytes_or_text)
    if isinstance(bytes_or_text, str):
        return bytes_or_text.encode(encoding)
    raise TypeError(f"compat.as_bytes: expected bytes or str, got {bytes_or_text!r}")


def as_text(bytes_or_text, encoding="utf-8"):
    """``str`` from bytes (decoded) or ``str``.

    Raises:
        TypeError: for anything else.
    """
    if isinstance(bytes_or_text, str):
        return bytes_or_text
    if isinstance(bytes_or_text, (bytes, bytearray)):
        return bytes(bytes_or_text).decode(encoding)
    raise TypeError(f"compat.as_text: expected bytes or str, got {bytes_or_text!r}")


as_str = as_text


def path_to_str(path):
    """A path-like object as ``str``."""
    return os.fspath(path) if isinstance(path, os.PathLike) else path
