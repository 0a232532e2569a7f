"""Training throughput of ``fit``: samples/s of one epoch (after a warm-up
epoch) for Flatten(28x28) -> Dense(256, relu) -> Dense(10, softmax), Adam,
sparse categorical crossentropy, on 60,000 synthetic samples, at batch 32 and
128. Keras on TensorFlow, a hand-written PyTorch loop and a jitted JAX/optax
step (with and without buffer donation) run beside tensorlet in the same
process when importable; Keras on JAX with ``--only tensorlet "keras (jax)"``
(Keras takes one backend per process). The peers' packages are looked for in
``$TL_PEERS`` (default /work/peers) when not installed beside tensorlet.
Medians of ``--repeats`` epochs.

    python bench/fit_mlp.py [--samples 60000] [--repeats 3] [--batch 32 128] [--only NAME ...] [--interleave]
"""

import argparse
import os
import statistics

import numpy as np

from _timing import median_seconds


def add_peers():
    """Makes the peer frameworks importable from ``$TL_PEERS`` (a virtual
    environment) when they are not installed here; appended, so this
    environment's own packages come first."""
    import glob
    import sys

    for site in glob.glob(os.path.join(os.environ.get("TL_PEERS", "/work/peers"), "lib", "python3*", "site-packages")):
        if site not in sys.path:
            sys.path.append(site)


def cpu_name():
    """The CPU's model name (lscpu's), to quote with every figure."""
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        return f"{names[0]}, {len(names)} logical CPUs"
    except (OSError, IndexError):
        import platform
        return platform.processor() or "unknown"


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


def keras_tf_epoch(x, y, batch, backend="tensorflow"):
    """A function that runs one epoch of Keras 3 ``fit`` on TensorFlow (or
    on ``backend``: Keras picks it once per process, at its import)."""
    os.environ.setdefault("KERAS_BACKEND", backend)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    if keras.backend.backend() != backend:
        raise ImportError(f"keras runs on {keras.backend.backend()} in this process", name=f"keras[{backend}]")
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


def jax_epoch(x, y, batch, donate=False):
    """A function that runs one epoch of a jitted JAX step (optax Adam), the
    loss read on the host every step as ``fit`` does; ``donate`` lets XLA
    update the parameters and optimizer state in place."""
    import jax
    import jax.numpy as jnp
    import optax

    k1, k2 = jax.random.split(jax.random.PRNGKey(0))

    def glorot(k, shape):
        lim = (6 / sum(shape)) ** 0.5
        return jax.random.uniform(k, shape, jnp.float32, -lim, lim)

    params = {"w1": glorot(k1, (784, 256)), "b1": jnp.zeros(256), "w2": glorot(k2, (256, 10)), "b2": jnp.zeros(10)}
    opt = optax.adam(1e-3, eps=1e-7)
    state = [params, opt.init(params)]

    def loss_fn(p, xb, yb):
        h = jax.nn.relu(xb.reshape(xb.shape[0], -1) @ p["w1"] + p["b1"])
        logits = jax.nn.log_softmax(h @ p["w2"] + p["b2"])
        return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()

    def step(p, s, xb, yb):
        loss, g = jax.value_and_grad(loss_fn)(p, xb, yb)
        updates, s = opt.update(g, s, p)
        return optax.apply_updates(p, updates), s, loss

    step = jax.jit(step, donate_argnums=(0, 1) if donate else ())

    def epoch():
        order = np.random.permutation(len(x))
        for i in range(0, len(x), batch):
            idx = order[i:i + batch]
            state[0], state[1], loss = step(state[0], state[1], x[idx], y[idx])
            float(loss)

    return epoch


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--only", nargs="+", help="run only these frameworks (names as printed, tensorlet first)")
    parser.add_argument("--interleave", action="store_true",
                        help="time one epoch of each framework in turn, --repeats rounds (fairer on a machine "
                             "whose load changes; the ratio column is then the median of per-round ratios)")
    args = parser.parse_args()
    x, y = data(args.samples)
    add_peers()
    runners = [("tensorlet", tensorlet_epoch), ("keras (tensorflow)", keras_tf_epoch), ("pytorch loop", torch_epoch),
               ("jax jit", jax_epoch), ("jax jit, donated", lambda x, y, b: jax_epoch(x, y, b, donate=True)),
               ("keras (jax)", lambda x, y, b: keras_tf_epoch(x, y, b, "jax"))]
    runners = [r for r in runners if (r[0] in args.only if args.only else r[0] != "keras (jax)")]
    print(f"CPU: {cpu_name()}")
    print(f"fit of Flatten(28x28) -> Dense(256, relu) -> Dense(10, softmax), Adam, {args.samples} samples, "
          f"median of {args.repeats} epochs after a warm-up epoch" + (", interleaved" if args.interleave else ""))
    print(f"{'framework':<20} {'batch':>6} {'epoch s':>9} {'samples/s':>11} {'tensorlet speed-up':>19}")
    for batch in args.batch:
        epochs = {}
        for name, fn in runners:
            try:
                epochs[name] = fn(x, y, batch)
            except ImportError as e:
                print(f"{name:<20} {batch:>6} {'-':>9} {'-':>11} {'':>19}  (not installed: {e.name})")
        if args.interleave:
            for run in epochs.values():
                run()  # warm-up
            rounds = [{k: median_seconds(run, repeat=1, number=1, warmup=0) for k, run in epochs.items()}
                      for _ in range(args.repeats)]
            seconds = {k: statistics.median(r[k] for r in rounds) for k in epochs}
            ratios = {k: statistics.median(r[k] / r["tensorlet"] for r in rounds)
                      for k in epochs if "tensorlet" in epochs}
        else:
            seconds = {k: time_epochs(run, args.repeats) for k, run in epochs.items()}
            ratios = {k: seconds[k] / seconds["tensorlet"] for k in epochs if "tensorlet" in epochs}
        for name, s in seconds.items():
            ratio = f"{ratios[name]:>18.2f}x" if name in ratios else ""
            print(f"{name:<20} {batch:>6} {s:>9.2f} {args.samples / s:>11,.0f} {ratio}")

if __name__ == "__main__":
    main()
