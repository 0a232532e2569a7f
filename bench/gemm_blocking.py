"""sgemm GFLOP/s under several GEMM blockings, beside numpy and PyTorch, in one run.

    python bench/gemm_blocking.py [--sizes 256,512,1024,2048] [--blockings derived,144/256/4096]
                                  [--peer-python /work/peers/bin/python] [--rounds 3]

Each blocking ("mc/kc/nc", or "derived": what tensorlet reads from the caches)
runs in its own process (TENSORLET_GEMM_BLOCKING is read once at start); the
processes take turns for --rounds rounds and each figure is the median over
all the samples. numpy and PyTorch are timed the same way, PyTorch in
--peer-python when this interpreter lacks it.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

WORKER = r"""
import json, sys, time
import numpy as np
lib, sizes = sys.argv[1], [int(s) for s in sys.argv[2].split(",")]
if lib == "tensorlet":
    import tensorlet as tl
    mm, conv = tl.matmul, tl.constant
elif lib == "torch":
    import torch
    mm, conv = torch.matmul, torch.from_numpy
else:
    mm, conv = np.matmul, lambda a: a
out = {}
rng = np.random.default_rng(0)
for n in sizes:
    a, b = (conv(rng.standard_normal((n, n), dtype=np.float32)) for _ in range(2))
    mm(a, b)
    number = max(1, int(0.15 / (2 * n**3 / 150e9)))
    samples = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(number):
            mm(a, b)
        samples.append((time.perf_counter() - t0) / number)
    out[n] = [2 * n**3 / s / 1e9 for s in samples]
print(json.dumps(out))
"""


def run(python, lib, sizes, blocking=None):
    env = dict(os.environ)
    env.pop("TENSORLET_GEMM_BLOCKING", None)
    if blocking and blocking != "derived":
        env["TENSORLET_GEMM_BLOCKING"] = blocking.replace("/", ",")
    res = subprocess.run([python, "-c", WORKER, lib, sizes], env=env, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="256,512,1024,2048")
    ap.add_argument("--blockings", default="derived,144/256/4096")
    ap.add_argument("--peer-python", default="/work/peers/bin/python")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    import tensorlet._core as core

    try:
        import torch  # noqa: F401
        torch_python = sys.executable
    except ImportError:
        torch_python = args.peer_python if os.path.exists(args.peer_python) else None
    columns = [("tensorlet " + b, sys.executable, "tensorlet", b) for b in args.blockings.split(",")]
    columns.append(("numpy", sys.executable, "numpy", None))
    if torch_python:
        columns.append(("PyTorch", torch_python, "torch", None))
    samples = {c[0]: {} for c in columns}
    for _ in range(args.rounds):
        for name, python, lib, blocking in columns:
            for n, vals in run(python, lib, args.sizes, blocking).items():
                samples[name].setdefault(n, []).extend(vals)
    cpu = platform.processor() or platform.machine()
    if os.path.exists("/proc/cpuinfo"):
        names = [ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")]
        cpu = f"{names[0]} x{len(names)}" if names else cpu
    print(f"CPU: {cpu}; load average {os.getloadavg()[0]:.1f}; caches and derived blocking: {core.gemm_blocking()}")
    print("sgemm GFLOP/s (median of %d samples)" % (5 * args.rounds))
    print("| n | " + " | ".join(c[0] for c in columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for n in args.sizes.split(","):
        print(f"| {n} | " + " | ".join(f"{statistics.median(samples[c[0]][n]):.0f}" for c in columns) + " |")


if __name__ == "__main__":
    main()
