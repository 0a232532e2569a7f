"""What recording costs: a 2x2 add without a tape, under a tape that does not
watch its inputs, and under one that records it; and a whole tape round trip
(forward + gradient of ``reduce_mean(square(x @ w + b))`` on 2x2 inputs),
beside PyTorch autograd when it is installed. Medians over many runs, one process.

    python bench/tape_overhead.py
"""

import numpy as np

import tensorlet as tf
from _timing import median_seconds

try:
    import torch
except ImportError:
    torch = None


def median_us(fn, number, repeat=7, setup=None):
    return median_seconds(fn, number=number, repeat=repeat, setup=setup) * 1e6


def _entered_tape(watch=None):
    """A tape made active by hand (as ``with`` does), so only the op is timed."""
    tape = tf.GradientTape(persistent=True)
    tape.__enter__()
    if watch is not None:
        tape.watch(watch)
    return tape


def main():
    x_np = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    a, b = tf.constant(x_np), tf.constant(x_np)

    tapes = []

    def fresh(watch):
        """Before each run: drop the last run's tape, make the next one."""
        def setup():
            for t in tapes:
                t.__exit__(None, None, None)
            tapes[:] = [] if watch is None else [_entered_tape(watch=a if watch else None)]
        return setup

    # Runs of 1000 ops, each on a fresh tape (about what one training step
    # records), so a growing tape does not slow the later runs.
    add = lambda: a + b  # noqa: E731
    rows = [("2x2 add, no tape", median_us(add, 1000, repeat=41, setup=fresh(None))),
            ("2x2 add, tape not watching", median_us(add, 1000, repeat=41, setup=fresh(False))),
            ("2x2 add, tape recording", median_us(add, 1000, repeat=41, setup=fresh(True)))]
    fresh(None)()

    x = tf.constant(x_np)
    w = tf.Variable(np.array([[0.5, -0.5], [0.25, 1.0]], np.float32))
    bias = tf.Variable(np.zeros(2, np.float32))

    def round_trip():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + bias))
        return tape.gradient(loss, [w, bias])

    rt = median_us(round_trip, 2000)
    torch_rt = None
    if torch is not None:
        tx = torch.from_numpy(x_np)
        tw = torch.tensor(w.numpy(), requires_grad=True)
        tb = torch.zeros(2, requires_grad=True)

        def torch_round_trip():
            loss = torch.mean(torch.square(tx @ tw + tb))
            return torch.autograd.grad(loss, [tw, tb])

        torch_rt = median_us(torch_round_trip, 2000)

    print(f"{'work':34s}{'tensorlet µs':>14s}{'torch µs':>10s}")
    for title, us in rows:
        print(f"{title:34s}{us:14.2f}{'':>10s}")
    print(f"{'tape round trip (fwd + gradient)':34s}{rt:14.2f}"
          + (f"{torch_rt:10.2f}" if torch_rt is not None else f"{'n/a':>10s}"))
    base = rows[0][1]
    print(f"recording overhead per op: idle tape +{rows[1][1] - base:.2f} µs, recording +{rows[2][1] - base:.2f} µs")
    if torch_rt is not None:
        print(f"round trip, torch/tensorlet: {torch_rt / rt:.2f} (> 1 means tensorlet is faster)")


if __name__ == "__main__":
    main()
