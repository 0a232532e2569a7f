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
from tensorlet.framework.convert import numpy_in_dtype


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
    for i, (w, a) in enumerate(zip(mine, weights)):
        if tuple(a.shape) != tuple(w.shape):
            raise ValueError(f"{source}: weight '{w.name}' of model '{model.name}' has shape {tuple(w.shape)}, but "
                             f"the file's array has shape {tuple(a.shape)}")
        try:  # every array converted before anything is assigned
            weights[i] = numpy_in_dtype(a, w.dtype)
        except TypeError as e:
            raise ValueError(f"{source}: weight '{w.name}' of model '{model.name}' cannot be read from the file's "
                             f"{a.dtype} array: {e}") from None
    slots = _numbered(arrays, "optimizer/")
    opt = getattr(model, "optimizer", None)
    targets = []
    restore_optimizer = opt is not None and "optimizer/iterations" in arrays
    if restore_optimizer:
        if not opt._slots:
            opt.build(model.trainable_weights)
        targets = opt.variables
        try:
            if len(targets) != len(slots) or any(tuple(t.shape) != tuple(a.shape) for t, a in zip(targets, slots)):
                raise TypeError("the counts or shapes differ")
            slots = [numpy_in_dtype(a, t.dtype) for t, a in zip(targets, slots)]
            iterations = arrays["optimizer/iterations"]
            if iterations.shape or iterations.dtype.kind not in "iu":
                raise TypeError(f"the step count is a {iterations.dtype} array of shape {iterations.shape}")
            iterations = int(iterations)
        except (TypeError, ValueError) as e:
            warnings.warn(f"{source}: the saved optimizer state ({len(slots)} arrays) does not fit the optimizer "
                          f"{type(opt).__name__} of model '{model.name}' ({len(targets)} variables: {e}); the "
                          "weights are loaded and the optimizer starts afresh", stacklevel=3)
            targets, restore_optimizer = [], False
    model.set_weights(weights)
    for t, a in zip(targets, slots):
        t.assign(a)
    if restore_optimizer:
        opt.iterations = iterations


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


_EXPECTED = ("expected a .weights.npz or .weights.h5 file written by save_weights, or a .keras file written by "
             "model.save")


def file_kind(function, filepath, expected=_EXPECTED):
    """``'zip'`` or ``'hdf5'``, from the first bytes of ``filepath``; for
    anything else an error naming ``function``, the file, what it looks
    like (a TensorFlow checkpoint prefix or SavedModel folder, say) and what
    was ``expected``.

    Raises:
        FileNotFoundError: if there is no such file.
        FileFormatError: if it is a folder or neither a zip nor an HDF5 file.
    """
    if not os.path.exists(filepath):
        if os.path.exists(filepath + ".index"):
            raise FileFormatError(f"{function}: {filepath!r} is a TensorFlow checkpoint prefix ({filepath}.index "
                                  f"exists), which tensorlet does not read; {expected} (in TensorFlow, "
                                  "model.save_weights('name.weights.h5') writes one)")
        raise FileNotFoundError(f"{function}: no such file: {filepath!r}; {expected}")
    if os.path.isdir(filepath):
        what = "a TensorFlow SavedModel folder" if os.path.exists(os.path.join(filepath, "saved_model.pb")) else \
            "a folder"
        raise FileFormatError(f"{function}: {filepath!r} is {what}, not a file; {expected} (SavedModel folders "
                              "load with tf.saved_model.load)")
    with open(filepath, "rb") as f:
        head = f.read(8)
    if head.startswith(b"PK"):
        return "zip"
    if head == b"\x89HDF\r\n\x1a\n":
        return "hdf5"
    raise FileFormatError(f"{function}: {filepath!r} is neither a zip archive (.weights.npz, .keras) nor an HDF5 "
                          f"file (.weights.h5): it starts with {head!r}; {expected}")


def load_weights(model, filepath):
    """Sets the weights of ``model`` from a file written by ``save_weights``
    (or from the weights of a ``.keras`` file), whatever its name says.

    Raises:
        FileNotFoundError: if there is no such file.
        ValueError: if the file is foreign or damaged, or does not fit the model;
            no weight changes in that case.
    """
    filepath = os.fspath(filepath)
    kind = file_kind("load_weights", filepath)
    try:
        if kind == "hdf5":
            from tensorlet.keras.saving import h5_format

            h5_format.load_keras_layout(model, filepath)
        elif "config.json" in zip_names(filepath):  # a .keras file: its weights, into this model
            from tensorlet.keras.saving.keras_file import load_weights_of

            load_weights_of(model, filepath)
        else:
            set_model_arrays(model, read_npz(filepath, repr(filepath)), source=repr(filepath))
    except ValueError as e:  # FileFormatError and mismatches, which name the file
        if str(e).startswith("load_weights:"):
            raise
        wanted = f"; {_EXPECTED}" if isinstance(e, FileFormatError) and "expected" not in str(e) else ""
        raise type(e)(f"load_weights: {e}{wanted}") from None


def zip_names(filepath):
    """The member names of the zip archive ``filepath``.

    Raises:
        FileFormatError: if it is damaged (truncated, say).
    """
    import zipfile

    try:
        with zipfile.ZipFile(filepath) as z:
            return z.namelist()
    except zipfile.BadZipFile as e:
        raise FileFormatError(f"{filepath!r} is a damaged zip archive ({e}); {_EXPECTED}") from None
