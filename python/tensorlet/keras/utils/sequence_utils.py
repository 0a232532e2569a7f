"""``pad_sequences``: lists of sequences of varying length to one 2-D array."""

import numpy as np


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pads (or truncates) each sequence to ``maxlen`` and stacks them.

    Args:
        sequences: a list of sequences (lists or arrays; each item a scalar or
            an array of one shape).
        maxlen: the output length (default: the longest sequence's).
        dtype: the output dtype (``'int32'``; use ``'float32'`` or ``object``
            for other values).
        padding: ``'pre'`` (pad at the start) or ``'post'``.
        truncating: ``'pre'`` (drop from the start) or ``'post'``.
        value: the padding value.

    Returns:
        A numpy array of shape ``(len(sequences), maxlen) + item_shape``.

    Raises:
        ValueError: for a bad ``padding``/``truncating``, a non-sequence, or
            items of different shapes.
    """
    if padding not in ("pre", "post") or truncating not in ("pre", "post"):
        raise ValueError(f"pad_sequences: padding and truncating must be 'pre' or 'post', got {padding!r} and "
                         f"{truncating!r}")
    if not hasattr(sequences, "__len__"):
        raise ValueError("pad_sequences: sequences must be a list of sequences")
    seqs = []
    for i, s in enumerate(sequences):
        if not hasattr(s, "__len__"):
            raise ValueError(f"pad_sequences: sequence {i} is not a sequence (got {type(s).__name__}: {s!r})")
        seqs.append(np.asarray(s))
    if maxlen is None:
        maxlen = max((len(s) for s in seqs), default=0)
    item = next((s.shape[1:] for s in seqs if len(s)), ())
    is_text = np.issubdtype(np.dtype(dtype), np.str_) or np.dtype(dtype) == object
    if isinstance(value, str) and not is_text:
        raise ValueError(f"pad_sequences: a string padding value {value!r} needs dtype=object or a string dtype, "
                         f"got {dtype!r}")
    out = np.full((len(seqs), maxlen) + tuple(item), value, dtype=dtype)
    for i, s in enumerate(seqs):
        if not len(s) or not maxlen:
            continue
        s = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        if s.shape[1:] != tuple(item):
            raise ValueError(f"pad_sequences: sequence {i} has items of shape {s.shape[1:]}, others {tuple(item)}")
        if padding == "post":
            out[i, :len(s)] = s
        else:
            out[i, -len(s):] = s
    return out
