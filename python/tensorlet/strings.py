"""``tensorlet.strings`` (as ``tf.strings``): functions of string tensors.

String tensors are host tensors of ``bytes`` (framework/strings.py); these
functions work on their numpy values, element by element, and return string,
number or ragged tensors as TensorFlow does. Text is UTF-8."""

import builtins
import re

import numpy as np

from tensorlet.framework import dtypes as _dtypes
from tensorlet.framework.convert import constant as _constant
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.strings import StringTensor, to_bytes, wrap
from tensorlet.framework.tensor import Tensor

__all__ = ["as_string", "bytes_split", "format", "join", "length", "lower", "reduce_join", "regex_full_match",
           "regex_replace", "split", "strip", "substr", "to_number", "unicode_decode", "unicode_split", "upper"]


def _map(fn, x, out=None):
    """``fn`` on each element of the string tensor or text ``x``: a string
    tensor, or a tensor of dtype ``out``."""
    a = to_bytes(x)
    r = np.frompyfunc(fn, 1, 1)(a) if a.size else np.empty(a.shape, object)
    r = np.asarray(r, object).reshape(a.shape)
    return wrap(r) if out is None else _constant(r.astype(_dtypes.as_dtype(out).as_numpy_dtype))


def _ragged(x, fn, dtype=None):
    """The ragged tensor of the lists ``fn`` gives for each element of
    ``x`` (one more dim), or a dense vector for a scalar ``x``."""
    from tensorlet.ragged import RaggedTensor

    a = to_bytes(x)
    rows = [fn(v) for v in a.reshape(-1)]
    make = (lambda v: wrap(np.array(v + [b""], object)[:-1])) if dtype is None else \
        (lambda v: _constant(np.asarray(v, _dtypes.as_dtype(dtype).as_numpy_dtype)))
    if a.ndim == 0:
        return make(rows[0])
    out = RaggedTensor.from_row_lengths(make([v for r in rows for v in r]), [len(r) for r in rows])
    for n in reversed(a.shape[1:]):
        out = RaggedTensor.from_row_lengths(out, [n] * (out.nrows_int() // n))
    return out


def _units(unit, fn):
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise InvalidArgumentError(f"{fn}: unit must be 'BYTE' or 'UTF8_CHAR', got {unit!r}")
    return unit == "UTF8_CHAR"


def _decode(v, fn, errors="strict"):
    try:
        return v.decode("utf-8", errors)
    except UnicodeDecodeError as e:
        raise InvalidArgumentError(f"{fn}: invalid UTF-8 in {v!r}: {e.reason}") from None


def split(input, sep=None, maxsplit=-1, name=None):
    """Splits each string at ``sep`` (runs of whitespace when None).

    Returns:
        A RaggedTensor of strings with one more dim (a 1-D string tensor
        for a scalar input).
    """
    s = None if sep is None else (sep.encode() if isinstance(sep, str) else sep)
    if s == b"":
        raise InvalidArgumentError("split: sep must not be empty (use bytes_split or unicode_split)")
    return _ragged(input, lambda v: v.split(s, maxsplit))


def bytes_split(input, name=None):
    """Splits each string into single bytes (a RaggedTensor of strings)."""
    return _ragged(input, lambda v: [v[i:i + 1] for i in range(len(v))])


def unicode_split(input, input_encoding="UTF-8", errors="replace", name=None):
    """Splits each UTF-8 string into its characters (a RaggedTensor of strings)."""
    return _ragged(input, lambda v: [c.encode() for c in _decode(v, "unicode_split", "replace" if
                                                                  errors == "replace" else "strict")])


def unicode_decode(input, input_encoding="UTF-8", errors="replace", name=None):
    """The code points of each UTF-8 string (a RaggedTensor of int32)."""
    return _ragged(input, lambda v: [ord(c) for c in _decode(v, "unicode_decode", "replace" if errors == "replace"
                                                              else "strict")], "int32")


def length(input, unit="BYTE", name=None):
    """The length of each string in bytes (``unit='BYTE'``) or characters (``'UTF8_CHAR'``); int32."""
    chars = _units(unit, "length")
    return _map(lambda v: len(_decode(v, "length")) if chars else len(v), input, "int32")


def join(inputs, separator="", name=None):
    """Joins the strings of several tensors element-wise (broadcast), with ``separator`` between."""
    if isinstance(inputs, (Tensor, str, bytes)):
        inputs = [inputs]
    sep = separator.encode() if isinstance(separator, str) else separator
    arrays = np.broadcast_arrays(*[to_bytes(x) for x in inputs])
    out = np.empty(arrays[0].shape, object)
    for i in np.ndindex(out.shape):
        out[i] = sep.join(a[i] for a in arrays)
    return wrap(out)


def reduce_join(inputs, axis=None, keepdims=False, separator="", name=None):
    """Joins the strings along ``axis`` (all axes when None), with ``separator`` between."""
    a = to_bytes(inputs)
    sep = separator.encode() if isinstance(separator, str) else separator
    axes = tuple(range(a.ndim)) if axis is None else tuple(np.atleast_1d(axis).tolist())
    axes = tuple(x % a.ndim for x in axes) if a.ndim else ()
    keep = [d for d in range(a.ndim) if d not in axes]
    moved = a.transpose(keep + list(axes)).reshape([a.shape[d] for d in keep] + [-1])
    out = np.empty(moved.shape[:-1], object)
    for i in np.ndindex(out.shape):
        out[i] = sep.join(moved[i])
    if keepdims:
        out = out.reshape([1 if d in axes else a.shape[d] for d in range(a.ndim)])
    return wrap(out)


def lower(input, encoding="", name=None):
    """Lowercases each string (ASCII letters; all letters with ``encoding='utf-8'``)."""
    return _map(lambda v: v.decode().lower().encode() if encoding else v.lower(), input)


def upper(input, encoding="", name=None):
    """Uppercases each string (ASCII letters; all letters with ``encoding='utf-8'``)."""
    return _map(lambda v: v.decode().upper().encode() if encoding else v.upper(), input)


def strip(input, name=None):
    """Removes leading and trailing whitespace from each string."""
    return _map(bytes.strip, input)


def _pattern(pattern, fn):
    p = pattern.numpy() if isinstance(pattern, StringTensor) else pattern
    try:
        return re.compile(p.encode() if isinstance(p, str) else p)
    except re.error as e:
        raise InvalidArgumentError(f"{fn}: invalid regular expression {p!r}: {e}") from None


def regex_replace(input, pattern, rewrite, replace_global=True, name=None):
    """Replaces matches of the regular expression ``pattern`` with ``rewrite``
    (``\\1`` names a group) in each string; only the first match when
    ``replace_global`` is False."""
    p, r = _pattern(pattern, "regex_replace"), rewrite.encode() if isinstance(rewrite, str) else rewrite
    return _map(lambda v: p.sub(r, v, count=0 if replace_global else 1), input)


def regex_full_match(input, pattern, name=None):
    """Whether each whole string matches the regular expression ``pattern`` (bool)."""
    p = _pattern(pattern, "regex_full_match")
    return _map(lambda v: p.fullmatch(v) is not None, input, "bool")


def substr(input, pos, len, unit="BYTE", name=None):
    """The substring of ``len`` bytes (or characters) from ``pos`` of each string; a negative ``pos`` counts
    from the end.

    Raises:
        InvalidArgumentError: if ``pos`` lies outside a string.
    """
    chars, n = _units(unit, "substr"), int(len)

    def cut(v):
        s = _decode(v, "substr") if chars else v
        p = int(pos) + (builtins.len(s) if int(pos) < 0 else 0)
        if not 0 <= p <= builtins.len(s):
            raise InvalidArgumentError(f"substr: pos {int(pos)} is out of range for {v!r}")
        out = s[p:p + n]
        return out.encode() if chars else out
    return _map(cut, input)


def to_number(string_tensor, out_type="float32", name=None):
    """Parses each string as a number of ``out_type``.

    Raises:
        InvalidArgumentError: if a string is not a number.
    """
    dt = _dtypes.as_dtype(out_type)

    def parse(v):
        try:
            return int(v) if dt.is_integer else float(v)
        except ValueError:
            raise InvalidArgumentError(f"to_number: cannot convert {v!r} to {dt.name}") from None
    return _map(parse, string_tensor, dt)


def as_string(input, precision=-1, scientific=False, shortest=False, width=-1, fill="", name=None):
    """Formats each number as a string (floats with 6 decimals unless ``precision`` says otherwise;
    bools as ``true``/``false``)."""
    x = input if isinstance(input, Tensor) else _constant(input)
    if x.dtype is _dtypes.string:
        return x
    a = x.numpy()
    if x.dtype.is_floating:
        spec = ("g" if shortest else "e" if scientific else "f") if precision < 0 else \
            f".{precision}{'e' if scientific else 'f'}"
    else:
        spec = "d"
    spec = f"{fill or ''}{'>' if fill else ''}{width if width > 0 else ''}{spec}"
    if x.dtype.is_bool:
        f = lambda v: b"true" if v else b"false"  # noqa: E731
    elif x.dtype.is_complex:
        f = lambda v: f"({builtins.format(v.real, spec)},{builtins.format(v.imag, spec)})".encode()  # noqa: E731
    else:
        f = lambda v: builtins.format(v.item(), spec).encode()  # noqa: E731
    out = np.empty(np.shape(a), object)
    for i in np.ndindex(out.shape):
        out[i] = f(np.asarray(a)[i])
    return wrap(out)


def format(template, inputs, placeholder="{}", summarize=3, name=None):
    """``template`` with each ``placeholder`` replaced by the next input's value (a scalar string tensor)."""
    inputs = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    parts = template.split(placeholder)
    if builtins.len(parts) != builtins.len(inputs) + 1:
        raise InvalidArgumentError(f"format: {builtins.len(parts) - 1} placeholders for {builtins.len(inputs)} inputs")
    text = [str(_constant(x).numpy() if not isinstance(x, Tensor) else x.numpy()) for x in inputs]
    return wrap("".join(p + t for p, t in zip(parts, text + [""])).encode())


def __getattr__(name):  # a tf.strings name tensorlet lacks says so
    from tensorlet import _missing

    return _missing.attribute(__name__, name)
