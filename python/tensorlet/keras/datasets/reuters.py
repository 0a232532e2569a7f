"""Reuters newswires: 11,228 wires as word ids, labelled with one of 46 topics."""

import json

import numpy as np

from tensorlet.keras.datasets._files import (
    ORIGIN, fetch, limit_vocabulary, load_npz, object_array, offset_and_cut, shuffle,
)

FILES = {"reuters.npz": "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916",
         "reuters_word_index.json": "4d44cc38712099c9e383dc6e5f11a921"}

_LABELS = ("cocoa grain veg-oil earn acq wheat copper housing money-supply coffee sugar trade reserves ship cotton "
           "carcass crude nat-gas cpi money-fx interest gnp meal-feed alum oilseed gold tin strategic-metal "
           "livestock retail ipi iron-steel rubber heat jobs lei bop zinc orange pet-chem dlr gas silver wpi hog "
           "lead").split()


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113, start_char=1,
              oov_char=2, index_from=3, **kwargs):
    """Loads the wires as Keras does (see ``imdb.load_data``), the last ``test_split`` for testing.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: object arrays of lists of ints, int topic labels.
    """
    f = load_npz(fetch(path, FILES["reuters.npz"], origin=ORIGIN + "reuters.npz"))
    xs, labels = shuffle(np.random.RandomState(seed), f["x"], f["y"])
    xs, labels = offset_and_cut(xs, labels, start_char, index_from, maxlen, "reuters.load_data")
    xs = limit_vocabulary(xs, num_words, skip_top, oov_char)
    cut = int(len(xs) * (1 - test_split))
    return (object_array(xs[:cut]), labels[:cut]), (object_array(xs[cut:]), labels[cut:])


def get_word_index(path="reuters_word_index.json"):
    """``{word: id}`` (ids before the ``index_from`` offset)."""
    with open(fetch(path, FILES["reuters_word_index.json"], origin=ORIGIN + "reuters_word_index.json")) as f:
        return json.load(f)


def get_label_names():
    """The 46 topic names, indexed by label."""
    return tuple(_LABELS)
