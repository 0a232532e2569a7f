"""Eager against compiled (``tensorlet.function``) steps, same run:
``fit`` samples/s for the MLP of ``fit_mlp.py`` (784-256-10, Adam) at batch 32
and 128 with ``run_eagerly=True`` and by default, and the 2x2 forward +
gradient round trip of ``tape_overhead.py`` eagerly and through a function.

    python bench/function_step.py [--samples 8000] [--repeats 3]
"""

import argparse

import numpy as np

import tensorlet as tf
from _timing import median_seconds
from fit_mlp import data
from tensorlet import keras
from tensorlet.keras import layers


def fit_epoch(x, y, batch, eager):
    tf.random.set_seed(0)
    model = keras.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(256, activation="relu"),
                              layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", run_eagerly=eager)
    model.fit(x[:batch * 2], y[:batch * 2], batch_size=batch, epochs=1, verbose=0)  # builds, traces
    return lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0)


def round_trip():
    x = tf.constant(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    w, b = tf.Variable(np.eye(2, dtype=np.float32)), tf.Variable(np.zeros(2, np.float32))

    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(x @ w + b))
        return tape.gradient(loss, [w, b])

    compiled = tf.function(step)
    compiled(x)
    return (lambda: step(x)), (lambda: compiled(x))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=8000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    x, y = data(args.samples)
    for batch in (32, 128):
        rates = {}
        for name, eager in (("eager", True), ("compiled", False)):
            seconds = median_seconds(fit_epoch(x, y, batch, eager), repeat=args.repeats, number=1)
            rates[name] = args.samples / seconds
        print(f"MLP fit, batch {batch:4d}: eager {rates['eager']:9,.0f} samples/s, compiled "
              f"{rates['compiled']:9,.0f} samples/s ({rates['compiled'] / rates['eager']:.2f}x)")
    eager, compiled = round_trip()
    e = median_seconds(eager, number=2000, repeat=7) * 1e6
    c = median_seconds(compiled, number=2000, repeat=7) * 1e6
    print(f"2x2 forward + gradient: eager {e:.1f} us, through tensorlet.function {c:.1f} us ({e / c:.2f}x)")


if __name__ == "__main__":
    main()
