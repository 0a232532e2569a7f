"""Weights (and optimizer state) to and from files: numpy ``.npz`` always, and
Keras 3's ``.weights.h5`` layout when h5py is installed.

An ``.npz`` holds ``weights/0``, ``weights/1``... in ``model.weights`` order and,
for a compiled model whose optimizer has run, ``optimizer/iterations`` and
``optimizer/0``... (its slots in variable order). Keys are ordered by their
number, never as text. Files are read with ``allow_pickle=False`` and written
atomically; a failed load changes no weight.
"""

import os
import re
import warnings

import numpy as np

from tensorlet.file_io import FileFormatError, atomic_path, read_npz  # noqa: F401


# ---- state as arrays ---------------------------------------------------------------
def model_arrays(model, include_optimizer=True):
    """``{'weights/i': array, 'optimizer/...': array}`` for ``model``."""
    arrays = {f"weights/{i}": w.numpy() for i, w in enumerate(model.weights)}
    opt = getattr(model, "optimizer", None)
    if include_optimizer and opt is not None and opt.built and opt._slots:
        arrays["optimizer/iterations"] = np.asarray(opt.iterations, np.int64)
        arrays.update({f"optimizer/{i}": v.numpy() for i, v in enumerate(opt.variables)})
    return arrays


def _numbered(arrays, prefix):
    pat = re.compile(re.escape(prefix) + r"(\d+)$")
    found = sorted((int(m.group(1)), k) for k in arrays for m in [pat.match(k)] if m)
    return [arrays[k] for _, k in found]


def set_model_arrays(model, arrays, source="file"):
    """Sets the weights (and optimizer state) of ``model`` from ``model_arrays``'s
    result; checks everything first so that a mismatch changes nothing.

    An optimizer state that does not fit the model's optimizer (another kind
    of optimizer) is skipped with a warning.

    Raises:
        ValueError: if the count or a shape of the weights does not match the model.
    """
    weights = _numbered(arrays, "weights/")
    if not weights and arrays:  # the first tensorlet layout: "0000:layer/kernel:0"
        weights = [arrays[k] for k in sorted(arrays, key=lambda k: int(k.split(":")[0]))]
    mine = model.weights
    if len(weights) != len(mine):
        raise ValueError(f"{source} holds {len(weights)} weight arrays, but model '{model.name}' has {len(mine)}: "
                         "the file was saved from a different architecture")
    for w, a in zip(mine, weights):
        if tuple(a.shape) != tuple(w.shape):
            raise ValueError(f"{source}: weight '{w.name}' of model '{model.name}' has shape {tuple(w.shape)}, but "
                             f"the file's array has shape {tuple(a.shape)}")
    slots = _numbered(arrays, "optimizer/")
    opt = getattr(model, "optimizer", None)
    targets = []
    restore_optimizer = opt is not None and "optimizer/iterations" in arrays
    if restore_optimizer:
        if not opt._slots:
            opt.build(model.trainable_weights)
        targets = opt.variables
        if len(targets) != len(slots) or any(tuple(t.shape) != tuple(a.shape) for t, a in zip(targets, slots)):
            warnings.warn(f"{source}: the saved optimizer state ({len(slots)} arrays) does not fit the optimizer "
                          f"{type(opt).__name__} of model '{model.name}' ({len(targets)} variables); the weights "
                          "are loaded and the optimizer starts afresh", stacklevel=3)
            targets, restore_optimizer = [], False
    model.set_weights(weights)
    for t, a in zip(targets, slots):
        t.assign(a.astype(t.dtype.name, copy=False))
    if restore_optimizer:
        opt.iterations = int(arrays["optimizer/iterations"])


def write_npz(fileobj, arrays):
    np.savez(fileobj, **arrays)




# ---- save_weights / load_weights ---------------------------------------------------
def save_weights(model, filepath, overwrite=True):
    """Writes the weights of ``model`` (and its optimizer's state) to ``filepath``.

    Args:
        model: a built model or layer.
        filepath: a path ending in ``.weights.npz`` or ``.weights.h5`` (the
            latter needs h5py).
        overwrite: whether to replace an existing file.

    Raises:
        ValueError: for another file name ending.
        FileExistsError: if the file exists and ``overwrite`` is false.
    """
    filepath = os.fspath(filepath)
    if filepath.endswith(".weights.h5"):
        from tensorlet.keras.saving import h5_format

        arrays = h5_format.keras_layout(model)
        with atomic_path(filepath, overwrite) as tmp:
            h5_format.write(tmp, arrays)
        return
    if not filepath.endswith(".weights.npz"):
        raise ValueError(f"save_weights: the file name must end in .weights.npz (or .weights.h5 with h5py "
                         f"installed), got {filepath!r}")
    arrays = model_arrays(model)
    with atomic_path(filepath, overwrite) as tmp:
        with open(tmp, "wb") as f:
            write_npz(f, arrays)


def load_weights(model, filepath):
    """Sets the weights of ``model`` from a file written by ``save_weights``.

    Raises:
        FileNotFoundError: if there is no such file.
        ValueError: if the file is foreign or damaged, or does not fit the model;
            no weight changes in that case.
    """
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"load_weights: no such file: {filepath!r}")
    if filepath.endswith(".h5"):
        from tensorlet.keras.saving import h5_format

        h5_format.load_keras_layout(model, filepath)
        return
    set_model_arrays(model, read_npz(filepath, repr(filepath)), source=repr(filepath))
