"""Convolutional networks: conv2d forward+backward GFLOP/s, max pooling
forward+backward time, training-mode batch normalization forward+backward
time (32x56x56x64), and the samples/s of one epoch of fit of the small
convnet (Conv2D 32 3x3 relu -> MaxPooling2D -> Conv2D 64 3x3 relu -> Flatten
-> Dense(10, softmax), Adam, batch 64, 28x28 inputs). PyTorch (NCHW and
channels_last) and Keras on TensorFlow run beside tensorlet in the same
process when importable; "tl GEMM" is the forward pass's GEMM alone at the
same size, tensorlet's own yardstick. Medians after a warm-up; read ratios
from one run.

    python bench/conv.py [--quick] [--samples 6400]
"""

import argparse
import os

import numpy as np

from _timing import median_seconds_each

# (title, batch, height/width, in channels, out channels, padding)
CONVS = [("N=32 26x26x32 -> 3x3x64 valid", 32, 26, 32, 64, "valid"),
         ("N=32 56x56x64 -> 3x3x64 same", 32, 56, 64, 64, "same")]


def conv_flops(n, hw, cin, cout, padding):
    out = hw - 2 if padding == "valid" else hw
    return 3 * 2 * n * out * out * cout * 9 * cin  # forward, input and filter gradients


def tensorlet_conv(n, hw, cin, cout, padding):
    import tensorlet as tf

    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal((n, hw, hw, cin), dtype=np.float32))
    w = tf.Variable(rng.standard_normal((3, 3, cin, cout), dtype=np.float32) * 0.1)

    def step():
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.nn.conv2d(x, w, 1, padding.upper())
        tape.gradient(y, [x, w], output_gradients=y)
    return step


def tensorlet_gemm(n, hw, cin, cout, padding):
    """The forward pass's GEMM alone, three times (the yardstick: no im2col)."""
    import tensorlet as tf

    out = hw - 2 if padding == "valid" else hw
    rng = np.random.default_rng(0)
    a = tf.constant(rng.standard_normal((n * out * out, 9 * cin), dtype=np.float32))
    b = tf.constant(rng.standard_normal((9 * cin, cout), dtype=np.float32))
    return lambda: [tf.matmul(a, b) for _ in range(3)]


def torch_conv(n, hw, cin, cout, padding, channels_last):
    import torch

    x = torch.randn(n, cin, hw, hw, requires_grad=True)
    conv = torch.nn.Conv2d(cin, cout, 3, padding=padding, bias=False)
    if channels_last:
        x = x.detach().to(memory_format=torch.channels_last).requires_grad_()
        conv = conv.to(memory_format=torch.channels_last)

    def step():
        y = conv(x)
        y.backward(y.detach())
    return step


def tf_conv(n, hw, cin, cout, padding):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    x = tf.random.normal((n, hw, hw, cin))
    w = tf.Variable(tf.random.normal((3, 3, cin, cout)) * 0.1)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.nn.conv2d(x, w, 1, padding.upper())
        return tape.gradient(y, [x, w], output_gradients=y)
    return lambda: [g.numpy() for g in step()]


def tensorlet_pool():
    import tensorlet as tf

    x = tf.constant(np.random.default_rng(0).standard_normal((32, 24, 24, 64), dtype=np.float32))

    def step():
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.nn.max_pool2d(x, 2, 2, "VALID")
        tape.gradient(y, x, output_gradients=y)
    return step


def torch_pool(channels_last):
    import torch

    x = torch.randn(32, 64, 24, 24)
    if channels_last:
        x = x.to(memory_format=torch.channels_last)
    x.requires_grad_()

    def step():
        y = torch.nn.functional.max_pool2d(x, 2)
        y.backward(y.detach())
    return step


def tf_pool():
    import tensorflow as tf

    x = tf.random.normal((32, 24, 24, 64))

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.nn.max_pool2d(x, 2, 2, "VALID")
        return tape.gradient(y, x, output_gradients=y)
    return lambda: step().numpy()


BN_SHAPE = (32, 56, 56, 64)  # NHWC


def tensorlet_bn():
    import tensorlet as tf

    x = tf.constant(np.random.default_rng(0).standard_normal(BN_SHAPE, dtype=np.float32))
    scale, offset = tf.Variable(np.ones(64, np.float32)), tf.Variable(np.zeros(64, np.float32))

    def step():
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.nn.fused_batch_norm(x, scale, offset)[0]
        tape.gradient(y, [x, scale, offset], output_gradients=y)
    return step


def torch_bn(channels_last):
    import torch

    n, h, w, c = BN_SHAPE
    x = torch.randn(n, c, h, w)
    if channels_last:
        x = x.to(memory_format=torch.channels_last)
    x.requires_grad_()
    bn = torch.nn.BatchNorm2d(c)

    def step():
        y = bn(x)
        y.backward(y.detach())
    return step


def tf_bn():
    import tensorflow as tf

    x = tf.random.normal(BN_SHAPE)
    scale, offset = tf.Variable(tf.ones(64)), tf.Variable(tf.zeros(64))

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.compat.v1.nn.fused_batch_norm(x, scale, offset, is_training=True)[0]
        return tape.gradient(y, [x, scale, offset], output_gradients=y)
    return lambda: step()[0].numpy()


def fit_data(n):
    rng = np.random.default_rng(0)
    return rng.random((n, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, n).astype(np.int64)


def tensorlet_fit(x, y):
    import tensorlet as tf
    from tensorlet import keras
    from tensorlet.keras import layers

    tf.random.set_seed(0)
    model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"),
                              layers.MaxPooling2D(), layers.Conv2D(64, 3, activation="relu"), layers.Flatten(),
                              layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return lambda: model.fit(x, y, batch_size=64, epochs=1, verbose=0)


def keras_tf_fit(x, y):
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"),
                              layers.MaxPooling2D(), layers.Conv2D(64, 3, activation="relu"), layers.Flatten(),
                              layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return lambda: model.fit(x, y, batch_size=64, epochs=1, verbose=0)


def torch_fit(x, y):
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                                torch.nn.Linear(11 * 11 * 64, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()), torch.from_numpy(y)

    def epoch():
        order = torch.randperm(len(xt))
        for i in range(0, len(xt), 64):
            idx = order[i:i + 64]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            loss.item()
    return epoch


def measure(makers, **timing):
    """Median seconds of each runnable entry of ``makers`` (name -> maker); missing libraries skipped."""
    fns = {}
    for name, make in makers.items():
        try:
            fns[name] = make()
        except ImportError:
            pass
    return median_seconds_each(fns, **timing)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 short samples per figure")
    parser.add_argument("--samples", type=int, default=6400, help="samples in the fit epoch")
    args = parser.parse_args()
    timing = dict(repeat=3, min_time=0.1) if args.quick else dict(repeat=7, min_time=0.5)
    import tensorlet as tf
    print(f"tensorlet threads {tf._core.get_num_threads()}, isa {tf._core.isa()}, load average "
          f"{os.getloadavg()[0]:.2f}")

    cols = (("tensorlet", 11), ("tl GEMM", 9), ("torch NCHW", 12), ("torch NHWC", 12), ("TF", 8))
    print(f"\n{'conv2d forward+backward, GFLOP/s':44s}" + "".join(f"{k:>{w}s}" for k, w in cols))
    for title, *shape in CONVS:
        secs = measure({"tensorlet": lambda: tensorlet_conv(*shape), "tl GEMM": lambda: tensorlet_gemm(*shape),
                        "torch NCHW": lambda: torch_conv(*shape, False),
                        "torch NHWC": lambda: torch_conv(*shape, True),
                        "TF": lambda: tf_conv(*shape)}, **timing)
        gf = {k: conv_flops(*shape) / s / 1e9 for k, s in secs.items()}
        print(f"{title:44s}" + "".join(f"{gf[k]:>{w}.0f}" if k in gf else f"{'-':>{w}s}" for k, w in cols))

    secs = measure({"tensorlet": tensorlet_pool, "torch NCHW": lambda: torch_pool(False),
                    "torch NHWC": lambda: torch_pool(True), "TF": tf_pool}, **timing)
    print(f"{'max_pool 2x2 fwd+bwd 32x24x24x64, us':44s}" + "".join(
        f"{secs[k] * 1e6:>{w}.0f}" if k in secs else f"{'-':>{w}s}" for k, w in cols))

    secs = measure({"tensorlet": tensorlet_bn, "torch NCHW": lambda: torch_bn(False),
                    "torch NHWC": lambda: torch_bn(True), "TF": tf_bn}, **timing)
    print(f"{'batch norm train fwd+bwd 32x56x56x64, us':44s}" + "".join(
        f"{secs[k] * 1e6:>{w}.0f}" if k in secs else f"{'-':>{w}s}" for k, w in cols))

    x, y = fit_data(args.samples)
    secs = measure({"tensorlet": lambda: tensorlet_fit(x, y), "torch loop": lambda: torch_fit(x, y),
                    "keras (TF)": lambda: keras_tf_fit(x, y)}, repeat=3 if not args.quick else 1, number=1)
    print(f"\nconvnet fit, batch 64, {args.samples} samples of 28x28x1, samples/s:")
    for k in ("tensorlet", "torch loop", "keras (TF)"):
        print(f"  {k:12s} " + (f"{args.samples / secs[k]:>9,.0f}" if k in secs else "        - (not installed)"))


if __name__ == "__main__":
    main()
