"""Boston housing prices: 506 samples of 13 features and a price (k$)."""

import numpy as np

from tensorlet.file_io import read_npz
from tensorlet.keras.datasets._files import ORIGIN, fetch, shuffle

FILES = {"boston_housing.npz": "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"}


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Loads the data, shuffled with ``seed`` and split as Keras splits them.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: float64 arrays (n, 13) and (n,).

    Raises:
        ValueError: if ``test_split`` is not in [0, 1).
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"boston_housing.load_data: test_split must be in [0, 1), got {test_split}")
    f = read_npz(fetch(path, FILES["boston_housing.npz"], origin=ORIGIN + "boston_housing.npz"), path)
    x, y = shuffle(np.random.RandomState(seed), f["x"], f["y"])
    cut = int(len(x) * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
