"""Eager against compiled (``tensorlet.function``) steps, same run: ``fit``
samples/s for the MLP of ``fit_mlp.py`` (784-256-10, Adam) at batch 32 and 128
with ``run_eagerly=True``, compiled with the graph replayed in Python, and
compiled in the C++ graph runtime (the default); and the 2x2 forward +
gradient round trip of ``tape_overhead.py`` eagerly, through a function, and
beside JAX's jitted ``value_and_grad`` and PyTorch's eager autograd when
importable (see ``fit_mlp.add_peers``).

    python bench/function_step.py [--samples 8000] [--repeats 3]
"""

import argparse

import numpy as np

import tensorlet as tf
from _timing import median_seconds
from fit_mlp import add_peers, cpu_name, data
from tensorlet import keras
from tensorlet.function import graph
from tensorlet.keras import layers


def fit_epoch(x, y, batch, eager, native=True):
    graph.native = native
    tf.random.set_seed(0)
    model = keras.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(256, activation="relu"),
                              layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", run_eagerly=eager)
    model.fit(x[:batch * 2], y[:batch * 2], batch_size=batch, epochs=1, verbose=0)  # builds, traces
    graph.native = True
    return lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0)


X2 = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)


def round_trip():
    x = tf.constant(X2)
    w, b = tf.Variable(np.eye(2, dtype=np.float32)), tf.Variable(np.zeros(2, np.float32))

    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(x @ w + b))
        return tape.gradient(loss, [w, b])

    compiled = tf.function(step)
    compiled(x)
    return (lambda: step(x)), (lambda: compiled(x))


def jax_round_trip():
    import jax
    import jax.numpy as jnp

    x, w, b = jnp.asarray(X2), jnp.eye(2, dtype=jnp.float32), jnp.zeros(2, jnp.float32)
    grad = jax.jit(jax.grad(lambda w, b, x: jnp.mean(jnp.square(x @ w + b)), argnums=(0, 1)))
    grad(w, b, x)
    return lambda: jax.block_until_ready(grad(w, b, x))


def torch_round_trip():
    import torch

    x = torch.tensor(X2)
    w, b = torch.eye(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    return lambda: torch.autograd.grad(torch.mean(torch.square(x @ w + b)), [w, b])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=8000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"CPU: {cpu_name()}")
    x, y = data(args.samples)
    for batch in (32, 128):
        rates = {}
        for name, eager, native in (("eager", True, True), ("replay", False, False), ("native", False, True)):
            seconds = median_seconds(fit_epoch(x, y, batch, eager, native), repeat=args.repeats, number=1)
            rates[name] = args.samples / seconds
        print(f"MLP fit, batch {batch:4d}: eager {rates['eager']:9,.0f} samples/s, compiled with the Python replay "
              f"{rates['replay']:9,.0f}, in the C++ runtime {rates['native']:9,.0f} "
              f"({rates['native'] / rates['eager']:.2f}x eager)")
    eager, compiled = round_trip()
    times = {"eager": eager, "tensorlet.function": compiled}
    add_peers()
    for name, make in (("jax jit", jax_round_trip), ("pytorch eager", torch_round_trip)):
        try:
            times[name] = make()
        except ImportError as e:
            print(f"{name}: not installed ({e.name})")
    us = {k: median_seconds(f, number=2000, repeat=7) * 1e6 for k, f in times.items()}
    print("2x2 forward + gradient: " + ", ".join(f"{k} {v:.1f} us" for k, v in us.items()) +
          f" (function {us['eager'] / us['tensorlet.function']:.2f}x eager" +
          (f", {us['jax jit'] / us['tensorlet.function']:.2f}x jax jit)" if "jax jit" in us else ")"))


if __name__ == "__main__":
    main()
