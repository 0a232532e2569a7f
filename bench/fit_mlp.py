"""Training throughput of ``fit``: samples/s of one epoch (after a warm-up
epoch) for Flatten(28x28) -> Dense(256, relu) -> Dense(10, softmax), Adam,
sparse categorical crossentropy, on 60,000 synthetic samples, at batch 32 and
128. Keras on TensorFlow and a hand-written PyTorch loop run beside tensorlet
in the same process when importable. Medians of ``--repeats`` epochs.

    python bench/fit_mlp.py [--samples 60000] [--repeats 3] [--batch 32 128]
"""

import argparse
import os

import numpy as np

from _timing import median_seconds


def data(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 28, 28), dtype=np.float32), rng.integers(0, 10, size=n).astype(np.int64)


def time_epochs(run_epoch, repeats):
    # One warm-up epoch builds weights and optimizer slots and touches memory first.
    return median_seconds(run_epoch, repeat=repeats, number=1)


def tensorlet_epoch(x, y, batch):
    """A function that runs one epoch of tensorlet.keras ``fit``."""
    import tensorlet as tf
    from tensorlet import keras
    from tensorlet.keras import layers

    tf.random.set_seed(0)
    model = keras.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(256, activation="relu"),
                              layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0)


def keras_tf_epoch(x, y, batch):
    """A function that runs one epoch of Keras 3 ``fit`` on TensorFlow."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten(), layers.Dense(256, activation="relu"),
                              layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0)


def torch_epoch(x, y, batch, device="cpu"):
    """A function that runs one epoch of the usual hand-written PyTorch loop
    (model and data on ``device``)."""
    import torch

    torch.manual_seed(0)
    dev = torch.device(device)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, 10)).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x).to(dev), torch.from_numpy(y).to(dev)

    def epoch():
        order = torch.randperm(len(xt), device=dev)
        for i in range(0, len(xt), batch):
            idx = order[i:i + batch]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            loss.item()  # fit reads the loss every step too

    return epoch


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, nargs="+", default=[32, 128])
    args = parser.parse_args()
    x, y = data(args.samples)
    runners = [("tensorlet", tensorlet_epoch), ("keras (tensorflow)", keras_tf_epoch), ("pytorch loop", torch_epoch)]
    print(f"fit of Flatten(28x28) -> Dense(256, relu) -> Dense(10, softmax), Adam, {args.samples} samples, "
          f"median of {args.repeats} epochs after a warm-up epoch")
    print(f"{'framework':<20} {'batch':>6} {'epoch s':>9} {'samples/s':>11} {'tensorlet speed-up':>19}")
    for batch in args.batch:
        base = None  # tensorlet's rate
        for name, fn in runners:
            try:
                seconds = time_epochs(fn(x, y, batch), args.repeats)
            except ImportError as e:
                print(f"{name:<20} {batch:>6} {'-':>9} {'-':>11} {'':>19}  (not installed: {e.name})")
                continue
            rate = args.samples / seconds
            if name == "tensorlet":
                base = rate
            ratio = f"{base / rate:>18.2f}x" if base else ""
            print(f"{name:<20} {batch:>6} {seconds:>9.2f} {rate:>11,.0f} {ratio}")


if __name__ == "__main__":
    main()
