"""MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28 uint8."""

import os
import urllib.request

import numpy as np

_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"


def load_data(path="mnist.npz"):
    """Loads MNIST from ``~/.keras/datasets/<path>``, downloading it there first if absent.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape (n, 28, 28)
        and uint8 labels 0-9.
    """
    cache = os.path.join(os.path.expanduser(os.environ.get("KERAS_HOME", "~/.keras")), "datasets")
    full = path if os.path.isabs(path) else os.path.join(cache, path)
    if not os.path.exists(full):
        os.makedirs(os.path.dirname(full), exist_ok=True)
        tmp = full + ".part"
        try:
            urllib.request.urlretrieve(_URL, tmp)
        except OSError as e:
            raise OSError(f"Could not download MNIST from {_URL} ({e}); place mnist.npz at {full}") from None
        os.replace(tmp, full)
    with np.load(full, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
