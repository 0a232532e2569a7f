"""What compiled metrics cost in ``fit``: a binary MLP (20 -> 64 -> 64 -> 1,
Adam, binary crossentropy, 4,096 synthetic samples) with ``metrics=['accuracy']``
and with ``['accuracy', AUC(), Precision(), Recall()]``. Prints, per batch
size, the median time of one ``train_function`` call on a fixed batch (the
step with its metric updates, and the metric reads ``fit`` makes after it),
the median samples/s of ``--repeats`` epochs of ``fit``, and how many levels
the compiled step kept (2: the metric updates are inside the compiled step;
1: they fell back to eager updates after each step). Run it under two builds
to compare them; read the figures from runs made one after the other.

    python bench/fit_metrics.py [--batch 32 128] [--repeats 5]
"""

import argparse
import os
import statistics
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _timing import median_seconds  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    import tensorlet as tf
    from tensorlet import keras

    warnings.simplefilter("ignore")
    print(f"load average {os.getloadavg()[0]:.2f}")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4096, 20)).astype(np.float32)
    y = (x[:, :3].sum(1) > 0).astype(np.float32)
    for batch in args.batch:
        for label, make in (("accuracy", lambda: ["accuracy"]),
                            ("accuracy+AUC+P+R", lambda: ["accuracy", keras.metrics.AUC(), keras.metrics.Precision(),
                                                          keras.metrics.Recall()])):
            tf.random.set_seed(0)
            model = keras.Sequential([keras.layers.Dense(64, activation="relu"),
                                      keras.layers.Dense(64, activation="relu"),
                                      keras.layers.Dense(1, activation="sigmoid")])
            model.compile("adam", "binary_crossentropy", metrics=make())
            model.fit(x[:batch * 4], y[:batch * 4], batch_size=batch, epochs=1, verbose=0)  # traces
            step = model.train_function
            data = (tf.constant(x[:batch]), tf.constant(y[:batch]))
            step_s = median_seconds(lambda: step(data), repeat=7)
            epochs = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
                epochs.append(time.perf_counter() - t0)
            print(f"batch {batch:4d}  {label:18s} levels={len(step.levels)}  step {step_s * 1e6:7.1f} us  "
                  f"fit {len(x) / statistics.median(epochs):10,.0f} samples/s")


if __name__ == "__main__":
    main()
