"""Elements of datasets: nested tuples and dicts of values, their specs, and
conversion between numpy (inside pipelines) and tensors (handed to users).

As in TensorFlow, tuples and dicts are structure and a list is one value
(``from_tensor_slices([1, 2])`` slices a vector). Inside pipelines string
values stay numpy (``bytes``, or arrays of ``bytes``); users get string tensors.
"""

import numpy as np

import tensorlet as tf
from tensorlet.framework.tensor_spec import TensorSpec  # noqa: F401  (re-exported for the data package)

INFINITE = -1
UNKNOWN = -2


def _dtype_name(dtype):
    return dtype if isinstance(dtype, str) else dtype.name


def is_structure(x):
    return isinstance(x, (tuple, dict))


def map_structure(fn, *structures):
    """``fn`` applied leaf by leaf over structures of the same nesting."""
    first = structures[0]
    if isinstance(first, dict):
        return {k: map_structure(fn, *(s[k] for s in structures)) for k in first}
    if isinstance(first, tuple):
        items = [map_structure(fn, *parts) for parts in zip(*structures)]
        return type(first)(*items) if hasattr(first, "_fields") else tuple(items)
    return fn(*structures)


def flatten(x):
    if isinstance(x, dict):
        return [leaf for k in x for leaf in flatten(x[k])]
    if isinstance(x, tuple):
        return [leaf for item in x for leaf in flatten(item)]
    return [x]


def same_structure(a, b):
    if isinstance(a, dict):
        return isinstance(b, dict) and set(a) == set(b) and all(same_structure(a[k], b[k]) for k in a)
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(same_structure(x, y) for x, y in zip(a, b))
    return not is_structure(b)


def to_numpy(value):
    """A numpy array for a tensor, array, Python value or string (TF's default dtypes)."""
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, tf.Tensor):
        return value.numpy()
    if isinstance(value, (str, bytes)):
        return np.array(value.encode() if isinstance(value, str) else value, dtype=object)
    a = np.asarray(value)
    if a.dtype == np.float64 and not isinstance(value, np.generic):
        return a.astype(np.float32)  # a Python float is float32, as tf.constant makes it
    if a.dtype == np.int64 and not isinstance(value, np.generic):
        return a.astype(np.int32)
    if a.dtype.kind == "U" or a.dtype.kind == "S":
        return np.vectorize(lambda s: s.encode() if isinstance(s, str) else s, otypes=[object])(a)
    return a


def is_string(a):
    return isinstance(a, (bytes, str)) or (isinstance(a, np.ndarray) and a.dtype.kind in "OSU")


def to_output(value):
    """What users see: a tensor (a string tensor for text)."""
    if isinstance(value, tf.Tensor):
        return value
    return tf.convert_to_tensor(value, "string" if is_string(value) else None)


def to_numpy_output(value):
    """What ``as_numpy_iterator`` yields: numpy values, ``bytes`` for a string scalar."""
    a = to_numpy(value) if not isinstance(value, bytes) else value
    if isinstance(a, np.ndarray) and a.ndim == 0:
        return a.item() if a.dtype == object else a[()]
    return a


def spec_of(value, batch_unknown=False):
    """The TensorSpec of one value (with the first dim ``None`` when ``batch_unknown``)."""
    a = value if isinstance(value, tf.Tensor) else to_numpy(value)
    shape = tuple(a.shape)
    if batch_unknown and shape:
        shape = (None,) + shape[1:]
    dtype = "string" if is_string(a) else a.dtype
    return TensorSpec(shape, dtype)


def stack(values):
    """One batch from a list of values of one shape."""
    if is_string(values[0]):
        out = np.empty((len(values),) + np.shape(values[0]), dtype=object)
        for i, v in enumerate(values):
            out[i] = v.item() if isinstance(v, np.ndarray) and v.ndim == 0 else v
        return out
    try:
        return np.stack([to_numpy(v) for v in values])
    except ValueError:
        shapes = sorted({tuple(np.shape(v)) for v in values})
        raise tf.errors.InvalidArgumentError(
            f"Dataset.batch: cannot batch elements of different shapes {shapes}; use padded_batch, or map them to "
            "one shape first") from None
