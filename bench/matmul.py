"""tensorlet.matmul beside numpy (and PyTorch when installed), in one run.

    python bench/matmul.py [--threads N] [--dtype float32|float64] [--repeat R]

Prints the median GFLOP/s of each library per shape and tensorlet's ratio to
each, plus the time per call of a 2x2 product (dominated by call overhead).
All libraries use their default thread counts unless --threads is given.
"""

import argparse
import os
import sys

# Thread counts must be set before numpy (OpenBLAS) and OpenMP start.
if __name__ == "__main__":
    for i, arg in enumerate(sys.argv):
        value = arg.split("=", 1)[1] if arg.startswith("--threads=") else (
            sys.argv[i + 1] if arg == "--threads" and i + 1 < len(sys.argv) else None)
        if value and int(value) > 0:
            for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
                os.environ[var] = value

import numpy as np  # noqa: E402

from _timing import median_seconds_each  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=0, help="threads for every library (0: defaults)")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--mlp", action="store_true", help="also the products of an MLP step (with transposes), in us")
    ap.add_argument("--only-mlp", action="store_true", help="only those")
    args = ap.parse_args()

    import tensorlet as tf
    from tensorlet import _core

    if args.threads:
        _core.set_num_threads(args.threads)
    try:
        import torch
        if args.threads:
            torch.set_num_threads(args.threads)
    except ImportError:
        torch = None

    dtype = np.dtype(args.dtype)
    # (m, k, n, transpose_a, transpose_b): squares, then the products of an
    # MLP training step (784 -> 256 -> 10 at batch 32 and 128: forward x @ w,
    # backward dy @ w^T and x^T @ dy).
    shapes = [(128, 128, 128, 0, 0), (512, 512, 512, 0, 0), (1024, 1024, 1024, 0, 0), (2048, 2048, 2048, 0, 0)]
    mlp = []
    if args.mlp or args.only_mlp:
        shapes = [] if args.only_mlp else shapes
        mlp = [(32, 784, 256, 0, 0), (32, 256, 784, 0, 1), (784, 32, 256, 1, 0), (32, 256, 10, 0, 0),
                   (32, 10, 256, 0, 1), (256, 32, 10, 1, 0), (128, 784, 256, 0, 0), (128, 256, 784, 0, 1),
               (784, 128, 256, 1, 0), (128, 256, 10, 0, 0), (256, 128, 10, 1, 0)]
        shapes += mlp
    else:
        shapes.append((128, 784, 256, 0, 0))
    libs = ["tensorlet", "numpy"] + (["torch"] if torch else [])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"matmul {args.dtype}, tensorlet ISA {_core.isa()}, {_core.get_num_threads()} threads, "
          f"{os.cpu_count()} CPUs, load average {load:.1f}; median of {args.repeat} interleaved samples; "
          f"GFLOP/s (higher is better), MLP rows in us per call; tl/x > 1: tensorlet faster")
    head = f"{'m x k x n':>22}" + "".join(f"{lib:>11}" for lib in libs)
    head += "".join(f"{'tl/' + lib:>11}" for lib in libs[1:])
    print(head)
    rng = np.random.default_rng(0)
    for m, k, n, fa, fb in shapes:
        # Stored as a training step holds them: a transposed operand is a plain
        # row-major array passed with the flag.
        a = rng.standard_normal((k, m) if fa else (m, k)).astype(dtype)
        b = rng.standard_normal((n, k) if fb else (k, n)).astype(dtype)
        ta, tb = tf.constant(a), tf.constant(b)
        fns = {"tensorlet": lambda: tf.matmul(ta, tb, transpose_a=bool(fa), transpose_b=bool(fb)),
               "numpy": lambda: (a.T if fa else a) @ (b.T if fb else b)}
        if torch:
            xa, xb = torch.from_numpy(a), torch.from_numpy(b)
            fns["torch"] = lambda: (xa.T if fa else xa) @ (xb.T if fb else xb)
        flops = 2.0 * m * n * k
        secs = median_seconds_each(fns, repeat=args.repeat, warmup=2, warmup_time=0.05)
        title = f"{m}x{k}x{n}" + (" ta" if fa else "") + (" tb" if fb else "")
        if (m, k, n, fa, fb) not in mlp:
            row = f"{title:>22}" + "".join(f"{flops / secs[lib] / 1e9:>11.1f}" for lib in libs)
        else:
            row = f"{title + ' (us)':>22}" + "".join(f"{secs[lib] * 1e6:>11.1f}" for lib in libs)
        row += "".join(f"{secs[lib] / secs['tensorlet']:>11.2f}" for lib in libs[1:])
        print(row)

    a = rng.standard_normal((2, 2)).astype(dtype)
    ta = tf.constant(a)
    fns = {"tensorlet": lambda: tf.matmul(ta, ta), "numpy": lambda: a @ a}
    if torch:
        xa = torch.from_numpy(a)
        fns["torch"] = lambda: xa @ xa
    us = {lib: s * 1e6 for lib, s in median_seconds_each(fns, repeat=args.repeat).items()}
    row = f"{'2x2 @ 2x2 (us/call)':>22}" + "".join(f"{us[lib]:>11.2f}" for lib in libs)
    row += "".join(f"{us[lib] / us['tensorlet']:>11.2f}" for lib in libs[1:])
    print(row)


if __name__ == "__main__":
    main()
