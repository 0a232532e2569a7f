"""The one timing loop shared by the Python benchmarks in this folder."""

import statistics
import time


def median_seconds_each(fns, repeat=7, min_time=0.2, warmup=1, warmup_time=0.0, setup=None, number=None):
    """Median wall time of one call of each function, in seconds.

    Each function is warmed up and sampled completely before the next one
    starts: libraries keep their worker threads spinning for a while after a
    parallel region, so on a small machine samples taken in turns would each
    pay for the previous library's spinning threads.

    Args:
      fns: a dict of name -> the work, a function called with no arguments.
      repeat: how many samples each median is taken over.
      min_time: seconds one function's samples should last together; each
        sample calls its function as often as that needs (at least once), so
        calls of a microsecond are not lost in the clock's resolution.
      warmup: untimed calls of each function first (caches, thread pools,
        lazy initialisation).
      warmup_time: at least this many seconds of such calls, which also
        outlasts the threads another library left spinning.
      setup: optional, called untimed before each sample.
      number: calls per sample, fixed (None: from ``min_time``).

    Returns:
      A dict of name -> the median over ``repeat`` samples of seconds per call.
    """
    def sample(fn, number):
        if setup is not None:
            setup()
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        return (time.perf_counter() - t0) / number

    medians = {}
    for name, fn in fns.items():
        t0 = time.perf_counter()
        calls = 0
        while calls < warmup or time.perf_counter() - t0 < warmup_time:
            fn()
            calls += 1
        samples = []
        calls = number
        if calls is None:
            one = max(sample(fn, 1), 1e-9)
            calls = max(1, int(min_time / repeat / one))
            # A call long enough to be a sample on its own is kept as the first one.
            samples = [one] if calls == 1 else []
        while len(samples) < repeat:
            samples.append(sample(fn, calls))
        medians[name] = statistics.median(samples)
    return medians


def median_seconds(fn, **kwargs):
    """Median wall time of one call of ``fn``, in seconds (arguments as
    ``median_seconds_each``)."""
    return median_seconds_each({"": fn}, **kwargs)[""]


def print_ratio_table(rows, names):
    """Prints ``rows`` of ``(title, {library: figure}, 'lower'|'higher')`` with a
    tensorlet/numpy column in which > 1 always means tensorlet is better."""
    print(f"{'work':28s}" + "".join(f"{k:>12s}" for k in names) + f"{'tl/numpy':>10s}")
    for title, vals, better in rows:
        ratio = vals["numpy"] / vals["tensorlet"] if better == "lower" else vals["tensorlet"] / vals["numpy"]
        print(f"{title:28s}" + "".join(f"{vals[k]:12.2f}" for k in names) + f"{ratio:10.2f}")
    print("(tl/numpy > 1 means tensorlet is faster)")
