"""The lecture's MLP: Flatten -> Dense(relu) -> Dense(10, softmax), trained with fit.

Uses scikit-learn's bundled 8x8 digits when scikit-learn is installed, else a
small synthetic 10-class set of the same shape. Prints the history and the
test accuracy; saves a learning-curve plot when matplotlib is installed.

    python examples/mnist_mlp.py [--epochs 20] [--plot curve.png] [--save mlp.keras]

With --save, the trained model is written to a .keras file, which
keras.models.load_model reads back (in any later program) with its weights
and optimizer state.
"""

import argparse

import numpy as np

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import layers


def load_digits():
    """(x_train, y_train), (x_test, y_test) as 8x8 float images in [0, 1] and int labels."""
    try:
        from sklearn.datasets import load_digits as sk_digits

        data = sk_digits()
        x, y = data.images.astype(np.float32) / 16.0, data.target.astype(np.int64)
        source = "scikit-learn digits"
    except ImportError:
        # Ten noisy prototype images, one per class.
        rng = np.random.default_rng(0)
        protos = rng.uniform(0, 1, size=(10, 8, 8)).astype(np.float32)
        y = rng.integers(0, 10, size=1800)
        x = np.clip(protos[y] + 0.6 * rng.normal(size=(1800, 8, 8)), 0, 1).astype(np.float32)
        source = "synthetic digits (scikit-learn not installed)"
    order = np.random.default_rng(1).permutation(len(x))
    x, y = x[order], y[order]
    split = int(0.8 * len(x))
    print(f"data: {source}, {split} training and {len(x) - split} test images of shape {x.shape[1:]}")
    return (x[:split], y[:split]), (x[split:], y[split:])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--plot", default="mnist_mlp_curve.png", help="where to save the learning curve")
    parser.add_argument("--save", default=None, help="where to save the trained model (a .keras file)")
    args = parser.parse_args(argv)

    tf.random.set_seed(0)
    (x_train, y_train), (x_test, y_test) = load_digits()
    model = keras.Sequential([
        layers.Flatten(input_shape=x_train.shape[1:]),
        layers.Dense(256, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.summary()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=32,
                        validation_data=(x_test, y_test), verbose=2)
    print("history:")
    for key, values in history.history.items():
        print(f"  {key}: {' '.join(f'{v:.4f}' for v in values)}")
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss: {test_loss:.4f}  test accuracy: {test_acc:.4f}")
    if args.save:
        model.save(args.save)
        print(f"model saved to {args.save}; load it with keras.models.load_model({args.save!r})")
    if args.plot:
        plot_history(history, args.plot)
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
