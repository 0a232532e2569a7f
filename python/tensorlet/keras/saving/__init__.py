"""Saving and loading model weights as ``.weights.npz`` files."""

import os

import numpy as np


def save_weights(model, filepath, overwrite=True):
    """Writes every weight of ``model``, in order, to a numpy ``.npz`` file."""
    filepath = os.fspath(filepath)
    if not filepath.endswith(".weights.npz"):
        raise ValueError(f"Weights files must end in .weights.npz, got {filepath!r}")
    if os.path.exists(filepath) and not overwrite:
        raise FileExistsError(filepath)
    arrays = {f"{i:04d}:{w.name}": w.numpy() for i, w in enumerate(model.weights)}
    tmp = filepath + ".tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, filepath)


def load_weights(model, filepath):
    """Sets the weights of ``model`` from a file written by :func:`save_weights`."""
    with np.load(os.fspath(filepath)) as data:
        arrays = [data[k] for k in sorted(data.files)]
    model.set_weights(arrays)
