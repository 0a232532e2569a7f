"""One optimizer step beside numpy (and PyTorch when installed), in one run.

    python bench/optimizer_step.py

Prints medians in µs of one ``apply_gradients`` for the variables of the
MLP in fit_mlp.py (784x256, 256, 256x10, 10; float32). numpy runs the same
update rule with in-place ufuncs into preallocated scratch buffers (the least
memory traffic numpy allows); PyTorch runs ``torch.optim``'s ``step()``.
"""

import numpy as np

import tensorlet as tf
from tensorlet.keras import optimizers
from _timing import median_seconds_each, print_ratio_table

try:
    import torch
except ImportError:
    torch = None

SHAPES = [(784, 256), (256,), (256, 10), (10,)]


def numpy_step(name, state):
    """The optimizer's update on numpy arrays: state holds (w, slots..., g, scratch) per variable."""
    t = [0]

    def adam():
        t[0] += 1
        alpha = np.float32(1e-3 * np.sqrt(1 - 0.999 ** t[0]) / (1 - 0.9 ** t[0]))
        for w, m, v, g, tmp in state:
            np.subtract(g, m, out=tmp)
            tmp *= np.float32(0.1)
            m += tmp
            np.multiply(g, g, out=tmp)
            tmp -= v
            tmp *= np.float32(0.001)
            v += tmp
            np.sqrt(v, out=tmp)
            tmp += np.float32(1e-7)
            np.divide(m, tmp, out=tmp)
            tmp *= alpha
            w -= tmp

    def sgd():  # momentum 0.9, Nesterov
        for w, m, g, tmp in state:
            np.multiply(g, np.float32(0.01), out=tmp)
            m *= np.float32(0.9)
            m -= tmp
            w -= tmp
            np.multiply(m, np.float32(0.9), out=tmp)
            w += tmp

    def rmsprop():
        for w, s, g, tmp in state:
            s *= np.float32(0.9)
            np.multiply(g, g, out=tmp)
            tmp *= np.float32(0.1)
            s += tmp
            np.add(s, np.float32(1e-7), out=tmp)
            np.sqrt(tmp, out=tmp)
            np.divide(g, tmp, out=tmp)
            tmp *= np.float32(1e-3)
            w -= tmp

    def adagrad():
        for w, a, g, tmp in state:
            np.multiply(g, g, out=tmp)
            a += tmp
            np.add(a, np.float32(1e-7), out=tmp)
            np.sqrt(tmp, out=tmp)
            np.divide(g, tmp, out=tmp)
            tmp *= np.float32(1e-3)
            w -= tmp

    return {"Adam": adam, "SGD": sgd, "RMSprop": rmsprop, "Adagrad": adagrad}[name]


def main():
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal(s).astype(np.float32) * 0.05 for s in SHAPES]
    grads = [rng.standard_normal(s).astype(np.float32) * 1e-3 for s in SHAPES]
    configs = [("Adam", {}, 2), ("SGD", {"learning_rate": 0.01, "momentum": 0.9, "nesterov": True}, 1),
               ("RMSprop", {}, 1), ("Adagrad", {}, 1)]
    rows = []
    for name, kwargs, n_slots in configs:
        variables = [tf.Variable(w) for w in weights]
        pairs = list(zip([tf.constant(g) for g in grads], variables))
        opt = getattr(optimizers, name)(**kwargs)
        state = [(w.copy(),) + tuple(np.zeros_like(w) for _ in range(n_slots)) + (g, np.empty_like(w))
                 for w, g in zip(weights, grads)]
        fns = {"tensorlet": lambda: opt.apply_gradients(pairs), "numpy": numpy_step(name, state)}
        if torch is not None:
            params = [torch.nn.Parameter(torch.from_numpy(w.copy())) for w in weights]
            for p, g in zip(params, grads):
                p.grad = torch.from_numpy(g)
            torch_kwargs = {"Adam": {"lr": 1e-3, "eps": 1e-7}, "SGD": {"lr": 0.01, "momentum": 0.9, "nesterov": True},
                            "RMSprop": {"lr": 1e-3, "alpha": 0.9, "eps": 1e-7},
                            "Adagrad": {"lr": 1e-3, "initial_accumulator_value": 0.1, "eps": 1e-7}}[name]
            fns["torch"] = getattr(torch.optim, name)(params, **torch_kwargs).step
        res = median_seconds_each(fns, repeat=9, warmup_time=0.1)
        label = name + (" (momentum, nesterov)" if name == "SGD" else "") + ", µs"
        rows.append((label, {k: v * 1e6 for k, v in res.items()}, "lower"))
    print(f"one apply_gradients over {', '.join(str(s) for s in SHAPES)} float32; "
          f"threads {tf.config.threading.get_intra_op_parallelism_threads()}, isa {tf._core.isa()}")
    print_ratio_table(rows, ["tensorlet", "numpy"] + (["torch"] if torch is not None else []))


if __name__ == "__main__":
    main()
