"""Reading the standard dataset archives without running code from them.

IMDB and Reuters store ragged sequences as numpy object arrays and CIFAR its
batches as Python pickles; both are read with an unpickler that may build
only numpy arrays, dtypes, and Python's plain containers.
"""

import io
import pickle
import zipfile

import numpy as np

from tensorlet.keras.utils.file_utils import get_file

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

# _codecs.encode rebuilds bytes in protocol-2 pickles written by Python 3; it runs no other code.
_ARRAY_GLOBALS = {("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
                  ("numpy._core.multiarray", "_reconstruct"), ("_codecs", "encode")}


class ArrayUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and plain Python data; refuses any other global."""

    def find_class(self, module, name):
        if (module, name) in _ARRAY_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"Refusing to load {module}.{name} from a dataset file: only numpy arrays are "
                                     "expected there (the file may be damaged or tampered with)")


def fetch(fname, file_hash, origin=None, cache_subdir="datasets"):
    """The cached path of a dataset file, downloaded from Keras's address when absent."""
    return get_file(fname, origin=origin or ORIGIN + fname, file_hash=file_hash, cache_subdir=cache_subdir)


def load_npz(path):
    """``{name: array}`` of an ``.npz``, object arrays included (through ``ArrayUnpickler``)."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                arrays[member[:-4]] = read_npy(io.BytesIO(archive.read(member)))
    return arrays


def read_npy(f):
    try:
        return np.lib.format.read_array(f, allow_pickle=False)
    except ValueError:  # an object array: its data are a pickle after the header
        f.seek(0)
        major, _ = np.lib.format.read_magic(f)
        (np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0)(f)
        return ArrayUnpickler(f).load()


def shuffle(rng, x, y):
    """``x`` and ``y`` in one random order drawn from ``rng`` (as Keras's loaders draw it)."""
    order = np.arange(len(x))
    rng.shuffle(order)
    return x[order], y[order]


def offset_and_cut(xs, labels, start_char, index_from, maxlen, who):
    """Word ids shifted by ``index_from`` after a ``start_char``; sequences of ``maxlen`` or more dropped."""
    head = [] if start_char is None else [start_char]
    xs = [head + [int(w) + index_from for w in x] for x in xs]
    labels = np.asarray(labels)
    if maxlen:
        keep = [i for i, x in enumerate(xs) if len(x) < maxlen]
        if not keep:
            raise ValueError(f"{who}: no sequence is shorter than maxlen={maxlen}; increase maxlen")
        xs, labels = [xs[i] for i in keep], labels[keep]
    return xs, labels


def limit_vocabulary(xs, num_words, skip_top, oov_char):
    """Ids outside ``[skip_top, num_words)`` become ``oov_char`` (or are dropped when it is None)."""
    if not num_words:
        num_words = max(max(x) for x in xs if x)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def object_array(lists):
    out = np.empty(len(lists), dtype=object)
    out[:] = lists
    return out
