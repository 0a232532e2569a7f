"""CIFAR-100: 50,000 training and 10,000 test 32x32 colour images in 100 classes (20 coarse)."""

from tensorlet.keras.datasets import _cifar

FILES = {"cifar-100-python.tar.gz": "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"}
_ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"


def load_data(label_mode="fine"):
    """Loads CIFAR-100 with ``'fine'`` (100 classes) or ``'coarse'`` (20) labels.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images (n, 32, 32, 3), uint8 labels (n, 1).

    Raises:
        ValueError: for another ``label_mode``.
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f"cifar100.load_data: label_mode must be 'fine' or 'coarse', got {label_mode!r}")
    (x_train, y_train), (x_test, y_test) = _cifar.batches(
        "cifar-100-python", "cifar-100-python.tar.gz", _ORIGIN, FILES["cifar-100-python.tar.gz"], ["train", "test"],
        label_mode + "_labels")
    return (x_train, y_train.reshape(-1, 1)), (x_test, y_test.reshape(-1, 1))
