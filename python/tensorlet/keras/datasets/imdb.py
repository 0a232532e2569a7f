"""IMDB movie reviews: 25,000 training and 25,000 test reviews as word ids, labelled 0/1."""

import json

import numpy as np

from tensorlet.keras.datasets._files import (
    ORIGIN, fetch, limit_vocabulary, load_npz, object_array, offset_and_cut, shuffle,
)

FILES = {"imdb.npz": "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
         "imdb_word_index.json": "bfafd718b763782e994055a2d397834f"}


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3, **kwargs):
    """Loads the reviews as Keras does: shuffled with ``seed``, ids offset by
    ``index_from`` after ``start_char``, rare (``num_words``) and top
    (``skip_top``) words replaced by ``oov_char``, sequences of ``maxlen`` or more dropped.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: object arrays of lists of ints, int labels.
    """
    f = load_npz(fetch(path, FILES["imdb.npz"], origin=ORIGIN + "imdb.npz"))
    rng = np.random.RandomState(seed)
    x_train, y_train = shuffle(rng, f["x_train"], f["y_train"])
    x_test, y_test = shuffle(rng, f["x_test"], f["y_test"])
    x_train, y_train = offset_and_cut(x_train, y_train, start_char, index_from, maxlen, "imdb.load_data")
    x_test, y_test = offset_and_cut(x_test, y_test, start_char, index_from, maxlen, "imdb.load_data")
    xs = limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    n = len(x_train)
    return (object_array(xs[:n]), y_train), (object_array(xs[n:]), y_test)


def get_word_index(path="imdb_word_index.json"):
    """``{word: id}`` (ids before the ``index_from`` offset)."""
    with open(fetch(path, FILES["imdb_word_index.json"], origin=ORIGIN + "imdb_word_index.json")) as f:
        return json.load(f)
