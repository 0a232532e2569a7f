"""``tensorlet.print`` (as ``tf.print``): prints tensors by value, summarized."""

import sys

import numpy as np

from tensorlet import _core
from tensorlet.framework.dtypes import int32
from tensorlet.framework.tensor import Tensor
from tensorlet.nest import flatten, pack_sequence_as
from tensorlet.ops.registry import apply, register


def _text(value, summarize):
    if hasattr(value, "numpy") and hasattr(value, "dtype"):
        a = np.asarray(value.numpy())
        if a.ndim == 0:
            return _scalar(a.item())
        threshold = sys.maxsize if summarize is None or summarize < 0 else 2 * summarize
        return np.array2string(a, separator=" ", threshold=threshold, edgeitems=max(summarize or 3, 1),
                               formatter={"float_kind": _scalar, "int": str, "bool": lambda b: str(bool(b))},
                               max_line_width=sys.maxsize)
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_text(v, summarize) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_text(v, summarize)}" for k, v in value.items()) + "}"
    return str(value)


def _scalar(v):
    return f"{v:g}" if isinstance(v, (float, np.floating)) else str(v)


def print(*inputs, **kwargs):
    """Prints its arguments, tensors shown by value (``[1 2 3]``), as ``tf.print``.

    Args:
        *inputs: tensors, Python values and nested lists/dicts of them.
        output_stream: ``sys.stderr`` (default), ``sys.stdout``, a file-like
            object, or ``'file://path'`` to append to a file.
        summarize: how many leading and trailing elements of each axis to show
            (3 by default; -1 or None for all).
        sep: the separator between inputs (a space).
        end: what ends the line (a newline).
        name: ignored.

    Raises:
        TypeError: for an unexpected keyword argument.
    """
    stream = kwargs.pop("output_stream", None)  # None: sys.stderr when it prints
    summarize = kwargs.pop("summarize", 3)
    sep, end = kwargs.pop("sep", " "), kwargs.pop("end", "\n")
    kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"print: unexpected keyword arguments {sorted(kwargs)}")
    if isinstance(stream, str) and not stream.startswith("file://"):
        raise ValueError(f"print: output_stream must be a stream or 'file://path', got {stream!r}")
    leaves = flatten(inputs)
    tensors = tuple(x for x in leaves if isinstance(x, Tensor))
    # A registered op with an effect, so a compiled function prints on every call.
    apply(_print, tensors, (inputs, stream, summarize, sep, end))


quiet = 0  # above 0 while tracing a branch or loop body that this call does not run (no output then)


def _print_kernel(*args):
    if quiet:
        return _NOTHING
    arrays, (inputs, stream, summarize, sep, end) = args[:-1], args[-1]
    it = iter(arrays)
    values = pack_sequence_as(inputs, [Tensor._from_array(next(it)) if isinstance(x, Tensor) else x
                                       for x in flatten(inputs)])
    _write(stream, sep.join(_text(v, summarize) for v in values) + end)
    return _NOTHING


def _write(stream, text):
    stream = sys.stderr if stream is None else stream
    if isinstance(stream, str):
        if not stream.startswith("file://"):
            raise ValueError(f"print: output_stream must be a stream or 'file://path', got {stream!r}")
        with open(stream[len("file://"):], "a") as f:
            f.write(text)
        return
    stream.write(text)


_NOTHING = _core.from_numpy(np.zeros((), np.int32))
_print = register("print", _print_kernel, effect=True, shape=lambda shapes, attrs: (), dtype=lambda d, a: int32)
