"""A longer fuzzing run over every registered op (see tests/fuzz/engine.py):
prints the number of calls and the outcomes by class, then each failure.

    python tools/fuzz.py [--calls N] [--seed S] [--op NAME]
"""

import argparse
import collections
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from tests.fuzz import engine  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--calls", type=int, default=20000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--op", action="append", help="only this op (repeatable)")
    args = p.parse_args()
    rng = np.random.default_rng(args.seed)
    ops = args.op or engine.OPS
    samples = {n: engine.samples_of(n, np.random.default_rng(args.seed)) for n in ops}
    counts, failures = collections.Counter(), collections.defaultdict(list)
    by_kind = collections.Counter()
    start = time.perf_counter()
    for _ in range(args.calls):
        name = ops[rng.integers(len(ops))]
        _, arrays, attrs = samples[name][rng.integers(len(samples[name]))]
        kind = engine.PERTURBATIONS[rng.integers(len(engine.PERTURBATIONS))]
        arrays, attrs, strided = engine.perturb(arrays, attrs, kind, lambda n: int(rng.integers(max(n, 1))))
        outcome, detail = engine.run_case(name, arrays, attrs, strided)
        counts[outcome] += 1
        by_kind[(kind, outcome)] += 1
        if outcome == "failure":
            failures[(name, detail.split(":")[0])].append((kind, [a.shape for a in arrays], attrs, detail))
    took = time.perf_counter() - start
    print(f"{args.calls} calls over {len(ops)} ops in {took:.1f} s")
    outcomes = ("ok", "refused", "unchecked", "failure")
    for outcome in outcomes:
        print(f"  {outcome:10s} {counts[outcome]:7d}")
    print("by perturbation:")
    for kind in engine.PERTURBATIONS:
        print(f"  {kind:12s} " + "  ".join(f"{o} {by_kind[(kind, o)]}" for o in outcomes))
    for (name, what), cases in sorted(failures.items()):
        kind, shapes, attrs, detail = cases[0]
        print(f"FAIL {name} x{len(cases)} [{kind}] shapes {shapes} attrs {attrs!r:.80}: {detail}")
    return 1 if counts["failure"] else 0


if __name__ == "__main__":
    sys.exit(main())
