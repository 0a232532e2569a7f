"""A small convnet: Conv2D(32, 3x3, relu) -> MaxPooling2D -> Conv2D(64, 3x3,
relu) -> Flatten -> Dense(10, softmax), trained with fit.

Data, all offline: MNIST (28x28) with ``--mnist`` (from
``~/.keras/datasets/mnist.npz``); else scikit-learn's 8x8 digits when it is
installed; else 28x28 seven-segment digits drawn at random sizes, places and
stroke widths, with noise. Prints the model summary, the history and the test
accuracy.

    python examples/convnet.py [--epochs 10] [--batch-size 64] [--samples 10000] [--mnist]
"""

import argparse
import os
import sys

import numpy as np

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import layers

# Segments (top, top-left, top-right, middle, bottom-left, bottom-right, bottom) lit per digit.
SEGMENTS = ["1110111", "0010010", "1011101", "1011011", "0111010", "1101011", "1101111", "1010010", "1111111",
            "1111011"]


def segment_digits(n, size=28, seed=0):
    """n noisy seven-segment digits, (n, size, size) floats in [0, 1], and their labels."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    x = np.zeros((n, size, size), np.float32)
    for img, label in zip(x, y):
        h = rng.integers(size // 2, size - 4)
        w = rng.integers(h // 2, h - 2)
        top, left = rng.integers(1, size - h), rng.integers(1, size - w)
        t = rng.integers(2, 4)  # stroke width
        mid = top + h // 2
        bars = [(top, top + t, left, left + w), (top, mid, left, left + t), (top, mid, left + w - t, left + w),
                (mid - t // 2, mid - t // 2 + t, left, left + w), (mid, top + h, left, left + t),
                (mid, top + h, left + w - t, left + w), (top + h - t, top + h, left, left + w)]
        for lit, (r0, r1, c0, c1) in zip(SEGMENTS[label], bars):
            if lit == "1":
                img[r0:r1, c0:c1] = 1.0
    x = np.clip(x + rng.normal(0, 0.3, x.shape), 0, 1).astype(np.float32)
    return x, y.astype(np.int64)


def load(mnist, n):
    if mnist:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        return (x_train / np.float32(255), y_train.astype(np.int64)), (x_test / np.float32(255),
                                                                      y_test.astype(np.int64))
    try:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import sklearn  # noqa: F401  (mnist_mlp's loader uses its digits when installed)
        from mnist_mlp import load_digits
        return load_digits()
    except ImportError:
        x, y = segment_digits(n)
        split = int(0.8 * n)
        print(f"data: seven-segment digits, {split} training and {n - split} test images of shape {x.shape[1:]}")
        return (x[:split], y[:split]), (x[split:], y[split:])


def build(input_shape):
    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--mnist", action="store_true", help="train on MNIST (28x28) from ~/.keras/datasets")
    parser.add_argument("--samples", type=int, default=10000, help="how many seven-segment digits to draw")
    args = parser.parse_args()

    tf.random.set_seed(0)
    (x_train, y_train), (x_test, y_test) = load(args.mnist, args.samples)
    x_train, x_test = x_train[..., None].astype(np.float32), x_test[..., None].astype(np.float32)
    model = build(x_train.shape[1:])
    model.summary()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                        validation_data=(x_test, y_test), verbose=2)
    print("history:")
    for key, values in history.history.items():
        print(f"  {key}: {' '.join(f'{v:.4f}' for v in values)}")
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy: {acc:.4f}")


if __name__ == "__main__":
    main()
