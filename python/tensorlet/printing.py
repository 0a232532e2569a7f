"""``tensorlet.print`` (as ``tf.print``): prints tensors by value, summarized."""

import sys

import numpy as np


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
    stream = kwargs.pop("output_stream", sys.stderr)
    summarize = kwargs.pop("summarize", 3)
    sep, end = kwargs.pop("sep", " "), kwargs.pop("end", "\n")
    kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"print: unexpected keyword arguments {sorted(kwargs)}")
    text = sep.join(_text(v, summarize) for v in inputs) + end
    if isinstance(stream, str):
        if not stream.startswith("file://"):
            raise ValueError(f"print: output_stream must be a stream or 'file://path', got {stream!r}")
        with open(stream[len("file://"):], "a") as f:
            f.write(text)
        return
    stream.write(text)
