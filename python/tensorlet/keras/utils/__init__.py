"""Keras utilities: one-hot encoding, normalization, seeding, files, datasets
from folders, plotting, the progress bar."""

import numpy as np

from tensorlet.keras.utils.directory_datasets import image_dataset_from_directory, text_dataset_from_directory
from tensorlet.keras.utils.file_utils import get_file
from tensorlet.keras.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from tensorlet.keras.utils.plot import model_to_dot, plot_model
from tensorlet.keras.utils.progbar import Progbar
from tensorlet.keras.utils.py_dataset import PyDataset, Sequence
from tensorlet.keras.utils.sequence_utils import pad_sequences


def to_categorical(y, num_classes=None, dtype="float32"):
    """One-hot encodes integer labels: ``[0, 2] -> [[1, 0, 0], [0, 0, 1]]``."""
    y = np.asarray(y, dtype=np.int64)
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y[..., 0]
    num_classes = int(y.max()) + 1 if num_classes is None else num_classes
    out = np.zeros(y.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(out, y[..., None], 1, axis=-1)
    return out


def normalize(x, axis=-1, order=2):
    """``x`` divided by its ``order``-norm along ``axis`` (zero vectors stay zero).

    Args:
        x: an array or tensor.
        axis: the axis along which to normalize.
        order: the norm's order (2 for L2).

    Returns:
        A numpy array of ``x``'s shape.
    """
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from a batch ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``."""
    data = tuple(data) if isinstance(data, list) else data
    return (data + (None, None))[:3] if isinstance(data, tuple) else (data, None, None)


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The batch ``unpack_x_y_sample_weight`` reads back (``(x,)`` for a list or tuple ``x`` alone)."""
    if y is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    return (x, y) if sample_weight is None else (x, y, sample_weight)


def set_random_seed(seed):
    """Seeds tensorlet's random ops, numpy and Python's random module."""
    import random

    import tensorlet as tf

    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
