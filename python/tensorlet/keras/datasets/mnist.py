"""MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28 uint8."""

from tensorlet.file_io import read_npz
from tensorlet.keras.datasets._files import ORIGIN, fetch

FILES = {"mnist.npz": "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"}


def load_data(path="mnist.npz"):
    """Loads MNIST from ``~/.keras/datasets/<path>`` (or ``$KERAS_HOME``), downloading it first if absent.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape (n, 28, 28)
        and uint8 labels 0-9 of shape (n,).

    Raises:
        OSError: offline without the file (the message says where to put it).
    """
    f = read_npz(fetch(path, FILES["mnist.npz"], origin=ORIGIN + "mnist.npz"), path)
    return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
