"""The one timing loop shared by the Python benchmarks in this folder."""

import statistics
import time


def median_seconds_each(fns, repeat=7, min_time=0.2, warmup=1, setup=None):
    """Median wall time of one call of each function, in seconds.

    The samples are taken in turns (one of each function, then the next round),
    so a change in the machine's load while this runs touches every function
    alike: the ratios stay fair on a shared machine.

    Args:
      fns: a dict of name -> the work, a function called with no arguments.
      repeat: how many samples each median is taken over.
      min_time: seconds one function's samples should last together; each
        sample calls its function as often as that needs (at least once), so
        calls of a microsecond are not lost in the clock's resolution.
      warmup: untimed calls of each function first (caches, thread pools,
        lazy initialisation).
      setup: optional, called untimed before each sample.

    Returns:
      A dict of name -> the median over ``repeat`` samples of seconds per call.
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()

    def sample(fn, number):
        if setup is not None:
            setup()
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        return (time.perf_counter() - t0) / number

    samples = {name: [max(sample(fn, 1), 1e-9)] for name, fn in fns.items()}
    numbers = {name: max(1, int(min_time / repeat / s[0])) for name, s in samples.items()}
    for name, number in numbers.items():
        if number > 1:  # the single call was only a measure of how many calls a sample needs
            samples[name] = []
    for _ in range(repeat):
        for name, fn in fns.items():
            if len(samples[name]) < repeat:
                samples[name].append(sample(fn, numbers[name]))
    return {name: statistics.median(s) for name, s in samples.items()}


def median_seconds(fn, **kwargs):
    """Median wall time of one call of ``fn``, in seconds (arguments as
    ``median_seconds_each``)."""
    return median_seconds_each({"": fn}, **kwargs)[""]
