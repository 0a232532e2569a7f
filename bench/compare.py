"""tensorlet beside numpy, PyTorch and TensorFlow (each when importable), in one run.

    python bench/compare.py [--quick] [--rows KEY,...] [--json PATH]

Every figure is a median of repeated timings after a warm-up, taken in this
one process (import times in fresh subprocesses) with every library at its
default thread count. The "vs" columns state tensorlet against each peer so
that > 1 means tensorlet is better (faster, or more per second). A row whose
tensorlet piece is missing prints "n/a" and the reason below the table;
"-" marks a peer that has no counterpart for that row.
"""

import argparse
import dataclasses
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
from typing import Callable

import numpy as np

import fit_mlp
from _timing import median_seconds

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # log noise only; no effect on speed


def _optional_import(name):
    try:
        return __import__(name)
    except ImportError:
        return None


tl = _optional_import("tensorlet")
torch = _optional_import("torch")
tf = _optional_import("tensorflow")

LIBS = {"tensorlet": tl, "numpy": np, "torch": torch, "tf": tf}
TITLES = {"tensorlet": "tensorlet", "numpy": "numpy", "torch": "PyTorch", "tf": "TensorFlow"}
PEERS = ["numpy", "torch", "tf"]
RNG = np.random.default_rng(0)
N16M = 16 * 1024 * 1024
MLP_SAMPLES = 60_000


@dataclasses.dataclass
class Row:
    key: str
    title: str
    unit: str
    better: str  # "higher" or "lower"
    convert: Callable  # seconds per call -> figure in `unit`
    make: Callable  # lib -> the work (a callable), or None where the lib has no counterpart
    target: str = ""
    goals: tuple = ()  # (peer, factor): vs-peer ratio >= factor; (None, x): tensorlet's figure within x
    repeat: int = 0  # caps the number of samples (0: the command line's)
    min_time: float = None
    self_timed: bool = False  # the work returns the seconds it measured itself


def rate(amount):
    return lambda s: amount / s


def scaled(factor):
    return lambda s: s * factor


def _as(lib, a):
    """The ndarray ``a`` as ``lib``'s tensor."""
    if lib == "tensorlet":
        return tl.constant(a)
    if lib == "torch":
        return torch.from_numpy(a)
    if lib == "tf":
        return tf.constant(a)
    return a


def _rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def matmul(m, k, n):
    def make(lib):
        x, y = _as(lib, _rand(m, k)), _as(lib, _rand(k, n))
        fn = LIBS[lib].matmul  # every library spells it the same
        return lambda: fn(x, y)
    return make


def add(n, into=False):
    def make(lib):
        a = _rand(n)
        x, y = _as(lib, a), _as(lib, a.copy())
        if not into:
            return lambda: x + y
        if lib == "numpy":
            out = np.empty_like(a)
            return lambda: np.add(x, y, out=out)
        if lib == "torch":
            out = torch.empty_like(x)
            return lambda: torch.add(x, y, out=out)
        if lib == "tensorlet":  # the kernel under Variable.assign_add; no public `out=` in the TF API
            out, code = tl.zeros([n]), 0  # BinaryOp::Add
            return lambda: tl._core.binary_into(out._a, x._a, y._a, code)
        return None
    return make


def reduce_sum(lib):
    x = _as(lib, _rand(N16M))
    fn = LIBS[lib].reduce_sum if lib in ("tensorlet", "tf") else LIBS[lib].sum
    return lambda: fn(x)


def _np_softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax(lib):
    x = _as(lib, _rand(4096, 1000))
    if lib == "numpy":
        return lambda: _np_softmax(x)
    if lib == "torch":
        return lambda: torch.softmax(x, dim=1)
    fn = LIBS[lib].nn.softmax  # tensorlet and TF: over the last axis
    return lambda: fn(x)


X2 = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
W2 = np.array([[0.5, -0.5], [0.25, 1.0]], np.float32)
B2 = np.zeros(2, np.float32)


def tape_round_trip(lib):
    """Forward and gradient of reduce_mean(square(x @ w + b)) w.r.t. w and b."""
    if lib == "numpy":
        def by_hand():
            y = X2 @ W2 + B2
            dy = y * (2.0 / y.size)
            return np.mean(y * y), X2.T @ dy, dy.sum(axis=0)
        return by_hand
    if lib == "torch":
        x, w, b = torch.from_numpy(X2), torch.tensor(W2, requires_grad=True), torch.zeros(2, requires_grad=True)

        def autograd():
            loss = torch.mean(torch.square(x @ w + b))
            return torch.autograd.grad(loss, [w, b])
        return autograd
    mod = LIBS[lib]  # the same code for tensorlet and TensorFlow
    x, w, b = mod.constant(X2), mod.Variable(W2), mod.Variable(B2)

    def tape():
        with mod.GradientTape() as t:
            loss = mod.reduce_mean(mod.square(mod.matmul(x, w) + b))
        return t.gradient(loss, [w, b])
    return tape


def tape_round_trip_tf_function(lib):
    if lib == "tf":
        return tf.function(tape_round_trip("tf"))
    return tape_round_trip(lib) if lib == "tensorlet" else None


@functools.cache
def _mnist_like():
    return fit_mlp.data(MLP_SAMPLES)


def mlp_fit(batch):
    """One epoch of an MLP 784-256-10 trained with Adam (Keras fit, or PyTorch's usual loop)."""
    builders = {"tensorlet": fit_mlp.tensorlet_epoch, "tf": fit_mlp.keras_tf_epoch, "torch": fit_mlp.torch_epoch}

    def make(lib):
        return builders[lib](*_mnist_like(), batch) if lib in builders else None
    return make


def import_time(lib):
    module = "tensorflow" if lib == "tf" else lib
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"

    def fresh_process():
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        return float(out.stdout.split()[-1])
    return fresh_process


ROWS = [
    Row("sgemm1024", "sgemm 1024³", "GFLOP/s", "higher", rate(2 * 1024**3 / 1e9), matmul(1024, 1024, 1024),
        ">= PyTorch", (("torch", 1),)),
    Row("sgemm2048", "sgemm 2048³", "GFLOP/s", "higher", rate(2 * 2048**3 / 1e9), matmul(2048, 2048, 2048),
        ">= PyTorch", (("torch", 1),)),
    Row("sgemm128", "sgemm 128³", "GFLOP/s", "higher", rate(2 * 128**3 / 1e9), matmul(128, 128, 128),
        ">= PyTorch", (("torch", 1),)),
    Row("sgemm512", "sgemm 512³", "GFLOP/s", "higher", rate(2 * 512**3 / 1e9), matmul(512, 512, 512),
        ">= PyTorch", (("torch", 1),)),
    Row("sgemm_dense", "sgemm 128x784 @ 784x256 (Dense, batch 128)", "GFLOP/s", "higher",
        rate(2 * 128 * 784 * 256 / 1e9), matmul(128, 784, 256)),
    Row("add2x2", "2x2 add", "µs", "lower", scaled(1e6), add(4), "<= 1.0 µs", ((None, 1.0),)),
    Row("matmul2x2", "2x2 matmul", "µs", "lower", scaled(1e6), matmul(2, 2, 2), "<= 1.0 µs", ((None, 1.0),)),
    Row("tape", "fwd + grad of reduce_mean(square(x@w+b)), 2x2 (numpy by hand, PyTorch autograd, TF eager)",
        "µs", "lower", scaled(1e6), tape_round_trip, "<= 25 µs", ((None, 25.0),)),
    Row("tape_tf_function", "the same, TF in tf.function", "µs", "lower", scaled(1e6), tape_round_trip_tf_function),
    Row("add16m", "16M float32 add, new output", "GB/s", "higher", rate(3 * 4 * N16M / 1e9), add(N16M),
        ">= TensorFlow", (("tf", 1),)),
    Row("add16m_out", "16M float32 add into an existing output", "GB/s", "higher", rate(3 * 4 * N16M / 1e9),
        add(N16M, into=True)),
    Row("sum16m", "16M float32 sum", "GB/s", "higher", rate(4 * N16M / 1e9), reduce_sum,
        "time <= PyTorch", (("torch", 1),)),
    Row("softmax", "softmax over rows of 4096x1000", "ms", "lower", scaled(1e3), softmax,
        "<= PyTorch", (("torch", 1),)),
    Row("mlp32", "MLP 784-256-10 Adam fit, batch 32 (PyTorch loop, Keras 3 fit on TF)", "samples/s", "higher",
        rate(MLP_SAMPLES), mlp_fit(32), ">= 4x Keras-TF, >= 3x PyTorch", (("tf", 4), ("torch", 3)),
        repeat=1, min_time=0),
    Row("mlp128", "MLP 784-256-10 Adam fit, batch 128", "samples/s", "higher", rate(MLP_SAMPLES), mlp_fit(128),
        ">= 2x PyTorch", (("torch", 2),), repeat=1, min_time=0),
    Row("import", "import (fresh process)", "s", "lower", scaled(1), import_time, "<= 0.3 s", ((None, 0.3),),
        repeat=5, self_timed=True),
]


def ratio(row, mine, theirs):
    """tensorlet against a peer, > 1 when tensorlet is better."""
    if mine is None or theirs is None:
        return None
    return mine / theirs if row.better == "higher" else theirs / mine


def target_met(row, values, ratios):
    if not row.goals:
        return None
    verdicts = []
    for peer, factor in row.goals:
        if peer is None:
            mine = values["tensorlet"]
            verdicts.append(None if mine is None else (mine >= factor if row.better == "higher" else mine <= factor))
        else:
            r = ratios.get(peer)
            verdicts.append(None if r is None else r >= factor)
    if False in verdicts:
        return False
    return None if None in verdicts else True


def run_row(row, libs, repeat, min_time):
    """Times ``row`` for each library; a library whose piece is missing or
    fails gets None and its error, and the run goes on."""
    repeat = min(repeat, row.repeat or repeat)
    min_time = min_time if row.min_time is None else row.min_time
    seconds, errors = {}, {}
    for lib in libs:
        try:
            work = row.make(lib)
            if work is None:
                seconds[lib] = None
            elif row.self_timed:
                work()  # warm-up (file cache)
                seconds[lib] = statistics.median(work() for _ in range(repeat))
            else:
                seconds[lib] = median_seconds(work, repeat=repeat, min_time=min_time, warmup_time=min_time / 3)
        except Exception as e:
            seconds[lib] = None
            errors[lib] = f"{type(e).__name__}: {e}".splitlines()[0][:160]
    values = {lib: (None if s is None else row.convert(s)) for lib, s in seconds.items()}
    ratios = {p: ratio(row, values.get("tensorlet"), values[p]) for p in libs if p != "tensorlet"}
    return {"key": row.key, "title": row.title, "unit": row.unit, "better": row.better,
            "seconds": seconds, "values": values, "ratios": ratios, "target": row.target,
            "met": target_met(row, values, ratios), "errors": errors}


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown"


def environment(libs):
    env = {"cpu": _cpu_model(), "cpus": os.cpu_count(), "python": platform.python_version(),
           "load_average": list(os.getloadavg()), "versions": {}, "threads": {}}
    for lib in libs:
        env["versions"][lib] = getattr(LIBS[lib], "__version__", "?")
    if tl is not None:
        env["tensorlet_isa"] = tl._core.isa()
        env["threads"]["tensorlet"] = tl._core.get_num_threads()
    env["threads"]["numpy"] = "BLAS default"
    if torch is not None:
        env["threads"]["torch"] = torch.get_num_threads()
    if tf is not None:
        intra = tf.config.threading.get_intra_op_parallelism_threads()
        env["threads"]["tf"] = intra or f"default (intra-op 0 = {os.cpu_count()} cores)"
    return env


def _fmt(v):
    if v is None:
        return "n/a"
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}" if abs(v) >= 0.1 else f"{v:.3f}"


def print_table(env, results, libs):
    load = lambda xs: " ".join(f"{x:.2f}" for x in xs)
    print(f"CPU: {env['cpu']} ({env['cpus']} logical CPUs), Python {env['python']}, "
          f"tensorlet ISA: {env.get('tensorlet_isa', 'n/a')}")
    print("versions: " + ", ".join(f"{TITLES[lib]} {v}" for lib, v in env["versions"].items()))
    print("threads (defaults): " + ", ".join(f"{TITLES[lib]} {v}" for lib, v in env["threads"].items()))
    print(f"load average 1/5/15 min: {load(env['load_average'])} at start, {load(env['load_average_end'])} at end")
    print("vs columns: tensorlet against the peer, > 1 means tensorlet is better\n")
    peers = [p for p in libs if p != "tensorlet"]
    head = ["work", "unit"] + [TITLES[lib] for lib in libs] + [f"vs {TITLES[p]}" for p in peers] + ["target", "met"]
    lines = [head]
    notes = []
    for r in results:
        cells = [r["title"], r["unit"]]
        for lib in libs:
            if lib in r["errors"]:
                cells.append("n/a")
                notes.append(f"{r['key']}, {TITLES[lib]}: {r['errors'][lib]}")
            else:
                cells.append("-" if r["values"][lib] is None else _fmt(r["values"][lib]))
        cells += ["" if r["ratios"][p] is None else f"{r['ratios'][p]:.2f}" for p in peers]
        cells += [r["target"], {True: "met", False: "NOT met", None: "n/a" if r["target"] else ""}[r["met"]]]
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    for n, line in enumerate(lines):
        print("| " + " | ".join(c.ljust(w) if i < 2 or i >= len(line) - 2 else c.rjust(w)
                                for i, (c, w) in enumerate(zip(line, widths))) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for note in notes:
        print(f"n/a: {note}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", help="comma-separated row keys or their prefixes (default: all): "
                    + ", ".join(r.key for r in ROWS))
    ap.add_argument("--quick", action="store_true", help="fewer, shorter samples (3, about 0.05 s per figure)")
    ap.add_argument("--json", metavar="PATH", help="also write every median, figure and ratio to PATH")
    args = ap.parse_args()
    rows = ROWS
    if args.rows:
        wanted = [w.strip() for w in args.rows.split(",") if w.strip()]
        rows = [r for r in ROWS if any(r.key.startswith(w) for w in wanted)]
        if not rows:
            ap.error(f"no row matches {args.rows!r}")
    repeat, min_time = (3, 0.05) if args.quick else (7, 0.3)
    libs = [lib for lib, mod in LIBS.items() if mod is not None]

    env = environment(libs)
    results = []
    for row in rows:
        print(f"[{row.key}] ...", file=sys.stderr, flush=True)
        results.append(run_row(row, libs, repeat, min_time))
    env["load_average_end"] = list(os.getloadavg())
    print_table(env, results, libs)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": env, "repeat": repeat, "min_time": min_time, "rows": results}, f, indent=1)


if __name__ == "__main__":
    main()
