"""A longer fuzzing run over every registered op (see tests/fuzz/engine.py)
and, with --core, over every C++ entry point called directly (tests/fuzz/core.py):
prints the number of calls and the outcomes by class, then each failure.

    python tools/fuzz.py [--calls N] [--seed S] [--op NAME] [--core] [--chunk N]

The calls run in child processes of --chunk calls each, so a crash (a
signal, or a sanitizer abort under tools/sanitize.sh's build) is counted as
an outcome, with the case that caused it, and the run goes on.
"""

import argparse
import collections
import json
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

OUTCOMES = ("ok", "refused", "unchecked", "failure", "crash")


def run_chunk(args, seed, calls):
    """Runs ``calls`` cases from ``seed`` in this process, printing each case
    before it runs (for a crash report) and its outcome after."""
    from tests.fuzz import core, engine

    rng = np.random.default_rng(seed)
    ops = args.op or engine.OPS
    samples = {n: engine.samples_of(n, np.random.default_rng(seed)) for n in ops}
    points = core.entry_points() + core.registered_entry_points() if args.core else []
    for _ in range(calls):
        if points and rng.integers(2):
            name, call = points[rng.integers(len(points))]
            kind, shapes, attrs = "core", [], ()
            print(f"CASE core {name}", flush=True)
            outcome, detail = core.run_case(call, rng)
        else:
            name = ops[rng.integers(len(ops))]
            _, arrays, attrs = samples[name][rng.integers(len(samples[name]))]
            kind = engine.PERTURBATIONS[rng.integers(len(engine.PERTURBATIONS))]
            arrays, attrs, strided = engine.perturb(arrays, attrs, kind, lambda n: int(rng.integers(max(n, 1))))
            shapes = [a.shape for a in arrays]
            print(f"CASE {kind} {name} shapes {shapes} attrs {attrs!r:.80}", flush=True)
            outcome, detail = engine.run_case(name, arrays, attrs, strided)
        print(f"OUT {kind} {outcome}")
        if outcome == "failure":
            print("FAIL " + json.dumps([name, kind, str(shapes), repr(attrs)[:80], detail]))
    print("END", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--calls", type=int, default=20000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--op", action="append", help="only this op (repeatable)")
    p.add_argument("--core", action="store_true", help="also call the C++ entry points directly (half the calls)")
    p.add_argument("--chunk", type=int, default=5000, help="calls per child process")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return run_chunk(args, args.seed, args.calls)
    counts, by_kind, failures, crashes = collections.Counter(), collections.Counter(), [], []
    start, done, seed = time.perf_counter(), 0, args.seed
    while done < args.calls:
        n = min(args.chunk, args.calls - done)
        cmd = [sys.executable, __file__, "--child", "--calls", str(n), "--seed", str(seed)] + \
            ["--core"] * args.core + [a for op in args.op or () for a in ("--op", op)]
        out = subprocess.run(cmd, capture_output=True, text=True)
        lines = out.stdout.splitlines()
        for ln in lines:
            if ln.startswith("OUT "):
                kind, outcome = ln.split()[1:]
                counts[outcome] += 1
                by_kind[f"{kind} {outcome}"] += 1
            elif ln.startswith("FAIL "):
                failures.append(json.loads(ln[5:]))
        done += sum(ln.startswith("OUT ") for ln in lines)
        if lines[-1:] != ["END"]:  # the child died in its last case: a crash; go on from the next seed
            cases = [ln for ln in lines if ln.startswith("CASE ")]
            counts["crash"] += 1
            done += 1
            crashes.append((seed, cases[-1][5:] if cases else "?", f"exit {out.returncode}: {out.stderr[-300:]}"))
        seed += 1
    took = time.perf_counter() - start
    print(f"{done} calls ({'ops and C++ entry points' if args.core else 'ops'}) in {took:.1f} s, "
          f"seeds {args.seed}..{seed - 1}")
    for outcome in OUTCOMES:
        print(f"  {outcome:10s} {counts[outcome]:8d}")
    print("by perturbation:")
    from tests.fuzz import engine

    for kind in engine.PERTURBATIONS + (("core",) if args.core else ()):
        print(f"  {kind:12s} " + "  ".join(f"{o} {by_kind[f'{kind} {o}']}" for o in OUTCOMES[:4]))
    groups = collections.defaultdict(list)
    for f in failures:
        groups[(f[0], f[4].split(":")[0])].append(f)
    for (name, _), cases in sorted(groups.items()):
        _, kind, shapes, attrs, detail = cases[0]
        print(f"FAIL {name} x{len(cases)} [{kind}] shapes {shapes} attrs {attrs}: {detail}")
    for seed, case, why in crashes:
        print(f"CRASH seed {seed}: {case}: {why}")
    return 1 if counts["failure"] or counts["crash"] else 0


if __name__ == "__main__":
    sys.exit(main())
