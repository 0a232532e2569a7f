"""The lecture's MLP on handwritten digits: Flatten -> Dense(relu) -> Dense(10, softmax), trained with fit.

The data, offline in either case: MNIST (60,000 + 10,000 images of 28x28) when
it is in the Keras cache (``~/.keras/datasets/mnist.npz``, or under
``$KERAS_HOME``; ``keras.datasets.mnist.load_data()`` puts it there once),
else scikit-learn's bundled 8x8 digits (1,797 images; ``pip install
".[examples]"`` installs scikit-learn). A tenth of the training images is held
out for validation, and the test images are used only once, at the end: the
script ends by printing the test accuracy and the wall time. It saves a
learning-curve plot when matplotlib is installed.

    python examples/mnist_mlp.py [--data auto|mnist|digits] [--epochs N] [--plot curve.png] [--save mlp.keras]

With --save, the trained model is written to a .keras file, which
keras.models.load_model reads back (in any later program) with its weights
and optimizer state.
"""

import argparse
import os
import time

import numpy as np

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import layers

MNIST = os.path.join(os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras"),
                     "datasets", "mnist.npz")


def load_data(which="auto"):
    """(x_train, y_train), (x_test, y_test): float images in [0, 1] and int labels, with the data's name."""
    if which == "mnist" or (which == "auto" and os.path.exists(MNIST)):
        if not os.path.exists(MNIST):
            raise SystemExit(f"MNIST is not in the Keras cache ({MNIST}): run "
                             "keras.datasets.mnist.load_data() once while online, or use --data digits")
        with np.load(MNIST) as f:
            train, test = (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
        return [(x.astype(np.float32) / 255.0, y.astype(np.int64)) for x, y in (train, test)], "MNIST"
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise SystemExit("Neither MNIST in the Keras cache nor scikit-learn was found: install the examples "
                         "extra (pip install \".[examples]\") or put mnist.npz at " + MNIST) from None
    data = load_digits()
    x, y = data.images.astype(np.float32) / 16.0, data.target.astype(np.int64)
    order = np.random.default_rng(1).permutation(len(x))
    x, y = x[order], y[order]
    split = int(0.8 * len(x))
    return [(x[:split], y[:split]), (x[split:], y[split:])], "scikit-learn's 8x8 digits"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=["auto", "mnist", "digits"], default="auto")
    parser.add_argument("--epochs", type=int, default=None, help="5 for MNIST, 20 for the small digits by default")
    parser.add_argument("--plot", default="mnist_mlp_curve.png", help="where to save the learning curve")
    parser.add_argument("--save", default=None, help="where to save the trained model (a .keras file)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    tf.random.set_seed(0)
    ((x_train, y_train), (x_test, y_test)), source = load_data(args.data)
    epochs = args.epochs or (5 if source == "MNIST" else 20)
    n_val = len(x_train) // 10
    (x_train, y_train), (x_val, y_val) = (x_train[n_val:], y_train[n_val:]), (x_train[:n_val], y_train[:n_val])
    print(f"data: {source}: {len(x_train)} training, {len(x_val)} validation and {len(x_test)} test images "
          f"of shape {x_train.shape[1:]}")
    model = keras.Sequential([
        layers.Flatten(input_shape=x_train.shape[1:]),
        layers.Dense(256, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.summary()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=32, validation_data=(x_val, y_val), verbose=2)
    print("history:")
    for key, values in history.history.items():
        print(f"  {key}: {' '.join(f'{v:.4f}' for v in values)}")
    if args.save:
        model.save(args.save)
        print(f"model saved to {args.save}; load it with keras.models.load_model({args.save!r})")
    if args.plot:
        plot_history(history, args.plot)
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss: {test_loss:.4f}  test accuracy: {test_acc:.4f} (on {len(x_test)} images not seen in training "
          "or validation)")
    print(f"wall time: {time.perf_counter() - start:.2f} s")
    return model, x_test


def plot_history(history, path):
    """Saves the loss and accuracy curves to ``path`` (needs matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot")
        return
    epochs = range(1, len(history.history["loss"]) + 1)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(epochs, history.history["loss"], label="training")
    ax1.plot(epochs, history.history["val_loss"], label="validation")
    ax1.set(title="loss", xlabel="epoch")
    ax2.plot(epochs, history.history["accuracy"], label="training")
    ax2.plot(epochs, history.history["val_accuracy"], label="validation")
    ax2.set(title="accuracy", xlabel="epoch")
    ax1.legend()
    fig.tight_layout()
    fig.savefig(path)
    print(f"learning curve saved to {path}")


if __name__ == "__main__":
    main()
