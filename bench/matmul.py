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
    shapes = [(128, 128, 128), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048), (128, 784, 256)]
    libs = ["tensorlet", "numpy"] + (["torch"] if torch else [])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"matmul {args.dtype}, tensorlet ISA {_core.isa()}, {_core.get_num_threads()} threads, "
          f"{os.cpu_count()} CPUs, load average {load:.1f}; median of {args.repeat} interleaved samples; "
          f"GFLOP/s (higher is better)")
    head = f"{'m x k @ k x n':>22}" + "".join(f"{lib:>11}" for lib in libs)
    head += "".join(f"{'tl/' + lib:>11}" for lib in libs[1:])
    print(head)
    rng = np.random.default_rng(0)
    for m, k, n in shapes:
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        ta, tb = tf.constant(a), tf.constant(b)
        fns = {"tensorlet": lambda: tf.matmul(ta, tb), "numpy": lambda: a @ b}
        if torch:
            xa, xb = torch.from_numpy(a), torch.from_numpy(b)
            fns["torch"] = lambda: xa @ xb
        flops = 2.0 * m * n * k
        rate = {lib: flops / s / 1e9 for lib, s in median_seconds_each(fns, repeat=args.repeat, warmup=2).items()}
        row = f"{f'{m}x{k} @ {k}x{n}':>22}" + "".join(f"{rate[lib]:>11.1f}" for lib in libs)
        row += "".join(f"{rate['tensorlet'] / rate[lib]:>11.2f}" for lib in libs[1:])
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
