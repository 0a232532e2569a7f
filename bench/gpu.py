"""tensorlet on the GPU beside PyTorch on the same GPU (when importable), in
one process, printed as a markdown table:

* sgemm n x n x n, float32 with TensorFloat-32 off on both sides, then with
  TF32 on (both sides), for n in 1024 .. 8192, with each of tensorlet's GEMM
  kernel families (TL_CUDA_GEMM=blocked, the default, and tiled);
* a 64M-element float32 add beside a device-to-device copy of the same bytes
  (the copy bounds what an elementwise kernel can reach);
* softmax over the rows of an 8192 x 4096 float32 matrix;
* a 3x3 convolution, 64 -> 64 channels on 64 x 32 x 32 NHWC float32 images
  (PyTorch: channels_last, TF32 off), forward and both gradients;
* one epoch of bench/fit_mlp.py's MLP (784-256-10, Adam, 60,000 samples) at
  batch 128 and 1024: tensorlet fit on the GPU, the hand-written PyTorch loop
  on the GPU, and tensorlet fit on the CPU.

Each GPU time is the median of several runs, each run timed from a device
synchronisation to the next.

    python bench/gpu.py [--quick] [--sizes 1024 2048 4096 8192] [--gemm-kernels blocked tiled]
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tensorlet as tf  # noqa: E402
from tensorlet import _core  # noqa: E402

GPU = _core.Device.GPU

try:
    import torch
    HAVE_TORCH = torch.cuda.is_available()
except ImportError:
    torch, HAVE_TORCH = None, False


def tl_sync():
    _core.synchronize(GPU)


def torch_sync():
    torch.cuda.synchronize()


def median_time(fn, sync, repeat=5, number=None, warmup=2):
    """Median seconds per call of fn (number calls per run, chosen to last ~50 ms)."""
    for _ in range(warmup):
        fn()
    sync()
    if number is None:
        t0 = time.perf_counter()
        fn()
        sync()
        number = max(1, int(0.05 / max(time.perf_counter() - t0, 1e-6)))
    runs = []
    for _ in range(repeat):
        sync()
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        sync()
        runs.append((time.perf_counter() - t0) / number)
    return statistics.median(runs)


ROWS = []


def row(name, ours, theirs=None, unit="", higher_better=True):
    ratio = ""
    if theirs:
        ratio = f"{(ours / theirs if higher_better else theirs / ours):.2f}"
    fmt = lambda v: "-" if v is None else f"{v:,.{2 if v < 10 else 1}f} {unit}".strip()  # noqa: E731
    ROWS.append((name, fmt(ours), fmt(theirs), ratio))
    print(f"  {name}: tensorlet {fmt(ours)}, pytorch {fmt(theirs)} {ratio}", flush=True)


def bench_matmul(sizes, tf32, kernels=("blocked", "tiled")):
    """Each size under each GEMM family (TL_CUDA_GEMM's choices), PyTorch once per size."""
    label = "TF32" if tf32 else "fp32, TF32 off"
    before = _core.gemm_kernel()
    tf.config.experimental.enable_tensor_float_32_execution(tf32)
    if HAVE_TORCH:
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.set_float32_matmul_precision("high" if tf32 else "highest")
    try:
        for n in sizes:
            rng = np.random.default_rng(0)
            a = rng.standard_normal((n, n), dtype=np.float32)
            b = rng.standard_normal((n, n), dtype=np.float32)
            flops = 2.0 * n ** 3
            theirs = None
            if HAVE_TORCH:
                xa, xb = torch.from_numpy(a).cuda(), torch.from_numpy(b).cuda()
                theirs = flops / median_time(lambda: xa @ xb, torch_sync, repeat=3) / 1e12
                del xa, xb
            with tf.device("/GPU:0"):
                ta, tb = tf.constant(a), tf.constant(b)
            for kernel in kernels:
                _core.set_gemm_kernel(kernel)
                ours = flops / median_time(lambda x=ta, y=tb: tf.matmul(x, y), tl_sync, repeat=3) / 1e12
                row(f"matmul {n}^3 ({label}, {kernel})", ours, theirs, "TFLOP/s")
            del ta, tb
    finally:
        _core.set_gemm_kernel(before)
        tf.config.experimental.enable_tensor_float_32_execution(False)
        if HAVE_TORCH:
            torch.backends.cuda.matmul.allow_tf32 = False
            torch.set_float32_matmul_precision("highest")


def bench_add(n=64 << 20):
    x = np.random.default_rng(0).random(n, dtype=np.float32)
    with tf.device("/GPU:0"):
        a, b = tf.constant(x), tf.constant(x)
    gb = n * 4 / 1e9
    add = 3 * gb / median_time(lambda: a + b, tl_sync)
    copy = 2 * gb / median_time(lambda: a._a.copy(), tl_sync)
    t_add = t_copy = None
    if HAVE_TORCH:
        xa, xb = torch.from_numpy(x).cuda(), torch.from_numpy(x).cuda()
        out = torch.empty_like(xa)
        t_add = 3 * gb / median_time(lambda: xa + xb, torch_sync)
        t_copy = 2 * gb / median_time(lambda: out.copy_(xa), torch_sync)
        del xa, xb, out
    row(f"add {n >> 20}M float32 (read + write)", add, t_add, "GB/s")
    row(f"device-to-device copy {n >> 20}M float32", copy, t_copy, "GB/s")
    ROWS.append(("add / copy bandwidth", f"{add / copy:.0%}", f"{t_add / t_copy:.0%}" if HAVE_TORCH else "-", ""))
    print(f"  add reaches {add / copy:.0%} of the copy bandwidth", flush=True)


def bench_softmax(shape=(8192, 4096)):
    x = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
    with tf.device("/GPU:0"):
        t = tf.constant(x)
    ours = median_time(lambda: tf.nn.softmax(t), tl_sync) * 1e3
    theirs = None
    if HAVE_TORCH:
        xt = torch.from_numpy(x).cuda()
        theirs = median_time(lambda: torch.softmax(xt, dim=-1), torch_sync) * 1e3
    row(f"softmax {shape[0]}x{shape[1]} float32", ours, theirs, "ms", higher_better=False)


def bench_conv(n=64, hw=32, c=64, o=64):
    from tensorlet.ops.registry import REGISTRY, apply
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((n, hw, hw, c), np.float32), rng.standard_normal((3, 3, c, o), np.float32)
    dy = rng.standard_normal((n, hw, hw, o), np.float32)
    attrs = ((1, 1), "SAME", (1, 1), 1, "NHWC")
    with tf.device("/GPU:0"):
        xg, wg, dyg = tf.constant(x), tf.constant(w), tf.constant(dy)
    ours = {"forward": lambda: apply(REGISTRY["conv2d"], [xg, wg], *attrs),
            "input gradient": lambda: apply(REGISTRY["conv2d_backprop_input"], [wg, dyg], x.shape, *attrs),
            "filter gradient": lambda: apply(REGISTRY["conv2d_backprop_filter"], [xg, dyg], w.shape, *attrs)}
    theirs = {}
    if HAVE_TORCH:
        cl = torch.channels_last
        xt = torch.from_numpy(x).cuda().permute(0, 3, 1, 2).contiguous(memory_format=cl)
        wt = torch.from_numpy(w).cuda().permute(3, 2, 0, 1).contiguous(memory_format=cl)
        dyt = torch.from_numpy(dy).cuda().permute(0, 3, 1, 2).contiguous(memory_format=cl)
        G = torch.nn.grad
        theirs = {"forward": lambda: torch.nn.functional.conv2d(xt, wt, padding=1),
                  "input gradient": lambda: G.conv2d_input(xt.shape, wt, dyt, padding=1),
                  "filter gradient": lambda: G.conv2d_weight(xt, wt.shape, dyt, padding=1)}
        tf32, torch.backends.cudnn.allow_tf32 = torch.backends.cudnn.allow_tf32, False
    try:
        for what, fn in ours.items():
            t = median_time(fn, tl_sync) * 1e3
            p = median_time(theirs[what], torch_sync) * 1e3 if what in theirs else None
            row(f"conv2d 3x3 {c}->{o} {n}x{hw}x{hw} {what}", t, p, "ms", higher_better=False)
    finally:
        if HAVE_TORCH:
            torch.backends.cudnn.allow_tf32 = tf32


def bench_fit(batches, samples, repeats):
    import fit_mlp

    x, y = fit_mlp.data(samples)

    def rate(make, device, sync):
        with tf.device(device):
            epoch = make(x, y, batch)
            return samples / median_time(epoch, sync, repeat=repeats, number=1, warmup=1)

    for batch in batches:
        ours = rate(fit_mlp.tensorlet_epoch, "/GPU:0", tl_sync)
        theirs = None
        if HAVE_TORCH:
            epoch = fit_mlp.torch_epoch(x, y, batch, "cuda")
            theirs = samples / median_time(epoch, torch_sync, repeat=repeats, number=1, warmup=1)
        row(f"MLP fit epoch, batch {batch}", ours, theirs, "samples/s")
        cpu = rate(fit_mlp.tensorlet_epoch, "/CPU:0", lambda: None)
        ROWS.append((f"MLP fit epoch, batch {batch}, tensorlet on the CPU", f"{cpu:,.0f} samples/s", "",
                     f"GPU {ours / cpu:.2f}x CPU"))
        print(f"  tensorlet CPU: {cpu:,.0f} samples/s", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048, 4096, 8192])
    parser.add_argument("--batches", type=int, nargs="+", default=[128, 1024])
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--gemm-kernels", nargs="+", default=["blocked", "tiled"], choices=["blocked", "tiled"],
                        help="the GEMM kernel families to time (TL_CUDA_GEMM's choices)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    args = parser.parse_args()
    if not _core.device_available(GPU):
        sys.exit("bench/gpu.py: no CUDA GPU available to tensorlet (is it built with TENSORLET_CUDA=ON?)")
    if args.quick:
        args.sizes, args.samples, args.repeats = [256, 512], 4096, 1
    name = _core.gpu_name()
    print(f"# tensorlet on {name}; PyTorch {torch.__version__ if HAVE_TORCH else 'not available'}", flush=True)
    sections = [("matmul fp32", lambda: bench_matmul(args.sizes, False, args.gemm_kernels)),
                ("matmul tf32", lambda: bench_matmul(args.sizes, True, args.gemm_kernels)),
                ("add", bench_add if not args.quick else lambda: bench_add(1 << 20)),
                ("softmax", bench_softmax if not args.quick else lambda: bench_softmax((256, 512))),
                ("conv", bench_conv if not args.quick else lambda: bench_conv(4, 8, 8, 8)),
                ("fit", lambda: bench_fit(args.batches, args.samples, args.repeats))]
    for label, fn in sections:
        try:
            fn()
        except Exception as e:  # one failing section must not lose the others' figures
            print(f"  {label} failed: {type(e).__name__}: {e}", flush=True)
            ROWS.append((f"{label}: FAILED", type(e).__name__, "", ""))
    print(f"\n**GPU: {name}**, tensorlet beside PyTorch {torch.__version__ if HAVE_TORCH else '(absent)'} "
          "on the same GPU, same process; ratio = tensorlet / PyTorch (higher is better for tensorlet)\n")
    print("| benchmark | tensorlet | pytorch | ratio |")
    print("|---|---:|---:|---:|")
    for r in ROWS:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
