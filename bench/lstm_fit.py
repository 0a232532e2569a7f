"""Training throughput of an LSTM: one epoch of ``fit`` (after a warm-up
epoch) for LSTM(units) -> Dense(1, sigmoid) on random sequences (binary
labels), Adam, at one batch size. Keras on TensorFlow and a hand-written
PyTorch loop run beside tensorlet in the same process when importable.
Beside the wall time, the process's CPU time per epoch (all its threads):
on a shared machine, where the wall time follows the scheduler, it shows
how much work each framework does.

    python bench/lstm_fit.py [--samples 20000] [--steps 100] [--features 8] [--units 64] [--batch 64]
"""

import argparse
import os
import statistics
import time

import numpy as np

from _timing import median_seconds


def data(n, steps, features, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, steps, features)).astype(np.float32)
    return x, (x[:, :, 0].sum(1) > 0).astype(np.float32)[:, None]


def tensorlet_epoch(x, y, units, batch):
    import tensorlet as tf
    from tensorlet import keras
    from tensorlet.keras import layers

    tf.random.set_seed(0)
    model = keras.Sequential([keras.Input(x.shape[1:]), layers.LSTM(units), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0)


def keras_tf_epoch(x, y, units, batch):
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input(x.shape[1:]), layers.LSTM(units), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0)


def torch_epoch(x, y, units, batch):
    import torch

    torch.manual_seed(0)
    lstm, head = torch.nn.LSTM(x.shape[-1], units, batch_first=True), torch.nn.Linear(units, 1)
    opt = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def epoch():
        order = torch.randperm(len(xt))
        for i in range(0, len(xt), batch):
            idx = order[i:i + batch]
            opt.zero_grad()
            out, _ = lstm(xt[idx])
            loss = loss_fn(head(out[:, -1]), yt[idx])
            loss.backward()
            opt.step()
            loss.item()

    return epoch


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20000)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--features", type=int, default=8)
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    x, y = data(args.samples, args.steps, args.features)
    print(f"fit of LSTM({args.units}) -> Dense(1) on {args.samples} x {args.steps} steps x {args.features} "
          f"features, batch {args.batch}, median of {args.repeats} epoch(s) after a warm-up epoch")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'framework':<20} {'epoch s':>9} {'samples/s':>11} {'cpu s':>7} {'tensorlet speed-up':>19}")
    base = None
    for name, fn in [("tensorlet", tensorlet_epoch), ("keras (tensorflow)", keras_tf_epoch),
                     ("pytorch loop", torch_epoch)]:
        try:
            epoch, cpu = fn(x, y, args.units, args.batch), []

            def timed(epoch=epoch, cpu=cpu):
                start = time.process_time()
                epoch()
                cpu.append(time.process_time() - start)

            seconds = median_seconds(timed, repeat=args.repeats, number=1)
        except ImportError as e:
            print(f"{name:<20} {'-':>9} {'-':>11} {'-':>7} {'':>19}  (not installed: {e.name})")
            continue
        rate = args.samples / seconds
        base = rate if name == "tensorlet" else base
        print(f"{name:<20} {seconds:>9.2f} {rate:>11,.0f} {statistics.median(cpu[1:]):>7.2f} "
              f"{f'{base / rate:>18.2f}x' if base else ''}")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
