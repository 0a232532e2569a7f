"""From what ``fit``, ``evaluate`` and ``predict`` are given to batches of
tensors: numpy arrays (or tensors) sliced into batches on the host, or an
iterable of ``x``, ``(x, y)`` or ``(x, y, sample_weight)`` batches; and the
checks that labels fit the loss."""

import math

import numpy as np

import tensorlet as tf
from tensorlet import _core
from tensorlet.keras import losses as losses_module
from tensorlet.keras.keras_tensor import flatten
from tensorlet.keras.utils.py_dataset import PyDataset


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from a batch ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``
    (a list of two or three is read as a tuple, as a PyTorch DataLoader yields batches)."""
    if isinstance(data, list) and len(data) in (2, 3):
        data = tuple(data)
    if isinstance(data, tuple):
        return (tuple(data) + (None, None))[:3]
    return data, None, None


_EXPECTS = {"sparse": "integer class labels in [0, number of classes)", "categorical": "one-hot float labels",
            "binary": "labels 0 or 1 (floats or ints)"}


def check_labels(loss, y, out_shape):
    kind = losses_module.kind(loss)
    y = np.asarray(y)
    n_classes = out_shape[-1] if out_shape else None
    name = getattr(loss, "name", "loss")
    if y.dtype.kind in "USO":
        first = f" such as {y.flat[0].item()!r}" if y.size else ""
        raise ValueError(f"{name} expects {_EXPECTS.get(kind, 'numeric targets')}, but the targets are strings or "
                         f"objects{first}: map them to numbers first, e.g. with keras.layers.StringLookup or "
                         "np.unique(y, return_inverse=True)")
    if kind == "sparse":
        if getattr(loss, "ignore_class", None) is not None:  # those labels are left out, whatever they are
            y = np.where(y == loss.ignore_class, 0, y)
        if y.ndim == len(out_shape) and y.shape[-1] != 1:
            raise ValueError(
                f"{name} expects integer class labels (shape {(y.shape[0],)} or {(y.shape[0], 1)}), but the targets "
                f"have shape {y.shape}, which looks one-hot encoded: use loss='categorical_crossentropy' for one-hot "
                "labels, or pass y.argmax(axis=-1)")
        if y.size:
            if y.dtype.kind == "f" and not np.all(np.floor(y) == y):
                raise ValueError(f"{name} expects integer class labels, but the targets hold non-integer values")
            lo, hi = y.min(), y.max()
            if lo < 0 or (n_classes is not None and hi >= n_classes):
                raise ValueError(
                    f"{name}: labels must be in [0, {n_classes}) for a model with {n_classes} outputs, but they "
                    f"range over [{lo}, {hi}]")
    elif kind == "categorical":
        if n_classes is not None and n_classes > 1 and (y.ndim < len(out_shape) or y.shape[-1] != n_classes):
            raise ValueError(
                f"{name} expects one-hot labels of shape (n, {n_classes}), but the targets have shape {y.shape}: "
                "use loss='sparse_categorical_crossentropy' for integer class labels, or one-hot encode them "
                "with keras.utils.to_categorical")


def is_batch_iterable(x):
    if isinstance(x, PyDataset):
        return True
    if x is None or isinstance(x, (np.ndarray, tf.Tensor, list, tuple, dict)) or np.isscalar(x):
        return False
    return hasattr(x, "__iter__") or hasattr(x, "__next__")


def as_arrays(x):
    """numpy arrays for array-likes, kept in the same list/dict structure."""
    if x is None:
        return None
    if isinstance(x, dict):
        return {k: as_arrays(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)) and x and all(isinstance(v, (np.ndarray, tf.Tensor)) for v in x):
        return [np.asarray(v) for v in x]
    return np.asarray(x)


def map_data(fn, x):
    if isinstance(x, dict):
        return {k: fn(v) for k, v in x.items()}
    if isinstance(x, list):
        return [fn(v) for v in x]
    return fn(x)


def first_array(x):
    return next(iter(x.values())) if isinstance(x, dict) else x[0] if isinstance(x, list) else x


def batch_len(xb):
    first = first_array(xb)
    return first.shape[0] if first.ndim else 1


def num_samples(x, y=None):
    n = len(first_array(x))
    for name, data in (("x", x), ("y", y)):
        if data is None:
            continue
        for a in flatten(data):
            if len(a) != n:
                raise ValueError(f"Data cardinality is ambiguous: x has {n} samples but {name} has an array with "
                                 f"{len(a)} samples; make sure all arrays contain the same number of samples")
    return n


def class_weights(y, class_weight, sample_weight):
    if not class_weight:
        return sample_weight
    if isinstance(y, (dict, list)) and len(y) > 1:
        raise ValueError("class_weight applies to a model with one output; for several, pass sample_weight as a "
                         "dict keyed by output name")
    labels = np.asarray(first_array(y))
    if labels.ndim > 1 and labels.shape[-1] > 1:
        labels = labels.argmax(-1)
    labels = labels.reshape(len(labels)).astype(np.int64)
    w = np.array([class_weight.get(int(c), 1.0) for c in labels], dtype=np.float32)
    return w if sample_weight is None else w * np.asarray(sample_weight, dtype=np.float32)


class ArrayData:
    """Batches of arrays: indices reshuffled every epoch, the last batch possibly smaller."""

    def __init__(self, x, y, sample_weight, batch_size, shuffle, steps, dtype):
        if x is None:
            raise ValueError("No input data given (x is None)")
        self.n = num_samples(x, y)
        for w in flatten(sample_weight) if sample_weight is not None else ():
            if len(w) != self.n:
                raise ValueError(f"sample_weight has {len(w)} entries for {self.n} samples")
        # Float inputs are converted to the model's dtype once, not per batch.
        self.x = map_data(lambda a: a.astype(dtype) if a.dtype.kind == "f" and a.dtype != dtype else a, x)
        self.y, self.sw = y, sample_weight
        self.batch_size, self.shuffle = max(1, int(batch_size)), shuffle
        full = math.ceil(self.n / self.batch_size)
        self.steps = full if steps is None else min(steps, full)

    def first_inputs(self, count=1):
        return map_data(lambda a: tf.convert_to_tensor(a[:count] if count else a), self.x)

    def batches(self):
        order = np.random.permutation(self.n) if self.shuffle else None
        for i in range(self.steps):
            s = slice(i * self.batch_size, min(self.n, (i + 1) * self.batch_size))
            idx = s if order is None else order[s]
            take = _rows(idx)
            xb = map_data(take, self.x)
            if self.y is None:  # x alone, as Keras hands it to train_step (several inputs stay wrapped)
                yield (xb,) if isinstance(xb, (list, tuple)) else xb
            elif self.sw is None:
                yield xb, map_data(take, self.y)
            else:
                yield xb, map_data(take, self.y), map_data(take, self.sw)


def _rows(idx):
    """Takes the rows ``idx`` of an array as a tensor; a shuffled batch of a
    numpy array is gathered straight into the tensor (one copy) when the
    C++ side takes its layout and dtype."""
    def take(a):
        if type(idx) is np.ndarray and type(a) is np.ndarray:
            try:
                return tf.Tensor._from_array(_core.take_rows(a, idx))
            except (TypeError, ValueError):  # strings, widened dtypes (uint16), strided views: as below
                pass
        return tf.convert_to_tensor(np.ascontiguousarray(a[idx]))
    return take


class IterableData:
    """Batches from an iterable, generator or ``PyDataset`` of ``x``, ``(x, y)`` or ``(x, y, sample_weight)``."""

    def __init__(self, source, steps, inputs_only=False):
        self.source, self.steps, self.inputs_only = source, steps, inputs_only
        self.y = None
        self._iterator = source if hasattr(source, "__next__") else None
        if isinstance(source, tf.data.Dataset):  # an endless one is drawn from across epochs
            self.steps, self._iterator = tf.data.experimental.steps_and_iterator(source, steps)
        elif isinstance(source, PyDataset):
            self.steps = source.num_batches if steps is None else steps
        elif steps is None and hasattr(source, "__len__"):
            self.steps = len(source)

    def batches(self):
        it = self._iterator if self._iterator is not None else \
            self.source._epoch() if isinstance(self.source, PyDataset) else iter(self.source)
        count = 0
        while self.steps is None or count < self.steps:
            try:
                item = next(it)
            except StopIteration:
                return
            if isinstance(item, list) and len(item) in (2, 3):  # a DataLoader's [x, y]: read as a tuple
                item = tuple(item)
            if isinstance(item, tuple) and not self.inputs_only:
                x, y, sw = (tuple(item) + (None, None))[:3]
            elif isinstance(item, tuple):
                x, y, sw = item[0], None, None
            else:
                x, y, sw = item, None, None
            conv = lambda a: map_data(tf.convert_to_tensor, as_arrays(a))  # noqa: E731
            for labels in flatten(as_arrays(y)) if y is not None else ():
                if getattr(labels, "dtype", None) is not None and labels.dtype.kind in "USO":
                    check_labels(None, labels, ())  # says that losses take numbers, not strings
            if not isinstance(item, (list, tuple)):  # a lone x reaches train_step as itself, as in Keras
                yield conv(x)
            else:
                yield tuple(conv(a) for a in (x, y, sw) if a is not None)
            count += 1
