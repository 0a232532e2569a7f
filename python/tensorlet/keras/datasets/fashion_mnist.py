"""Fashion-MNIST: 70,000 28x28 uint8 images of 10 kinds of clothing, in MNIST's idx format."""

import gzip
import os

import numpy as np

from tensorlet.keras.datasets._files import fetch

FILES = {
    "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
}


def _read(name, header):
    with gzip.open(fetch(name, FILES[name], cache_subdir=os.path.join("datasets", "fashion-mnist")), "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=header)


def load_data():
    """Loads Fashion-MNIST from ``~/.keras/datasets/fashion-mnist/`` (downloading the four idx files if absent).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images (n, 28, 28), uint8 labels (n,).
    """
    y_train = _read("train-labels-idx1-ubyte.gz", 8)
    x_train = _read("train-images-idx3-ubyte.gz", 16).reshape(len(y_train), 28, 28)
    y_test = _read("t10k-labels-idx1-ubyte.gz", 8)
    x_test = _read("t10k-images-idx3-ubyte.gz", 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
