"""CIFAR-10: 50,000 training and 10,000 test 32x32 colour images in 10 classes."""

import numpy as np

from tensorlet.keras.datasets import _cifar

FILES = {"cifar-10-python.tar.gz": "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"}
_ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"


def load_data():
    """Loads CIFAR-10 from ``~/.keras/datasets/cifar-10-batches-py`` (or its archive),
    downloading the archive first if absent.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images (n, 32, 32, 3), uint8 labels (n, 1).
    """
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    parts = _cifar.batches("cifar-10-batches-py", "cifar-10-python.tar.gz", _ORIGIN,
                           FILES["cifar-10-python.tar.gz"], names, "labels")
    x_train = np.concatenate([x for x, _ in parts[:5]])
    y_train = np.concatenate([y for _, y in parts[:5]]).reshape(-1, 1)
    x_test, y_test = parts[5]
    return (x_train, y_train), (x_test, y_test.reshape(-1, 1))
