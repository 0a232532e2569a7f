"""Keras utilities: the progress bar, one-hot encoding, seeding."""

import numpy as np

from tensorlet.keras.utils.progbar import Progbar
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


def set_random_seed(seed):
    """Seeds tensorlet's random ops, numpy and Python's random module."""
    import random

    import tensorlet as tf

    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
