"""The progress bar ``fit``/``evaluate``/``predict`` print to stdout.

On a terminal the line is redrawn in place (at most every ``interval``
seconds); elsewhere (a log file, a pipe) one line is written when the pass
ends, as Keras's log then reads.
"""

import os
import sys
import time


def _format_duration(seconds):
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


def _format_per_step(seconds, unit):
    if seconds >= 1:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


def _format_value(value):
    if getattr(value, "ndim", 0):  # one value per class or threshold
        return "[" + " ".join(_format_value(float(v)) for v in value.ravel()) + "]"
    if isinstance(value, float) or hasattr(value, "__float__"):
        value = float(value)
        return f"{value:.4f}" if 1e-3 <= abs(value) < 1e4 or value == 0 else f"{value:.4e}"
    return str(value)


class Progbar:
    """A progress bar.

    Args:
        target: the total number of steps, or None when unknown.
        width: the bar's width in characters.
        verbose: 1 for the bar, 2 for one line when finished, 0 for nothing.
        interval: the least time between redraws, in seconds.
        stateful_metrics: names of values shown as given; the others are
            averaged over the steps so far (all of them, by default).
        stateless_metrics: the names to average instead (the others shown as given).
        unit_name: the name of a step (``step``).
        stream: where to write (stdout by default).
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None, unit_name="step",
                 stream=None, stateless_metrics=None):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError("Progbar: give stateful_metrics or stateless_metrics, not both")
        stateful = set(stateful_metrics or ())
        self._averaged = set(stateless_metrics).__contains__ if stateless_metrics is not None else \
            (lambda k: k not in stateful)
        self._sums = {}
        self.target, self.width, self.verbose, self.interval = target, width, verbose, interval
        self.unit_name = unit_name
        self.stream = stream or sys.stdout
        self._dynamic = (hasattr(self.stream, "isatty") and self.stream.isatty()) or "ipykernel" in sys.modules \
            or "posix" == os.environ.get("TENSORLET_PROGBAR", "")
        self._start = time.time()
        self._last_update = 0.0
        self._prev_width = 0
        self._values = {}
        self._seen = 0

    def update(self, current, values=None, finalize=None):
        """Moves the bar to step ``current`` with the (already averaged) ``values``."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for k, v in values or ():
            if self._averaged(k):  # weighted by the steps since the last update
                s = self._sums.setdefault(k, [0.0, 0])
                s[0], s[1] = s[0] + float(v) * max(current - self._seen, 1), s[1] + max(current - self._seen, 1)
                v = s[0] / s[1]
            self._values[k] = v
        self._seen = current
        if self.verbose == 0:
            return
        now = time.time()
        if not finalize and (self.verbose == 2 or not self._dynamic):
            return
        if not finalize and now - self._last_update < self.interval:
            return
        self._last_update = now
        elapsed = now - self._start
        per_step = elapsed / current if current else 0.0
        metrics = "".join(f" - {k}: {_format_value(v)}" for k, v in sorted(self._values.items()))
        if self.verbose == 2:
            total = f"{current}/{self.target}" if self.target else f"{current}"
            line = f"{total} - {_format_duration(elapsed)} - {_format_per_step(per_step, self.unit_name)}{metrics}"
            self.stream.write(line + "\n")
            self.stream.flush()
            return
        if self.target is not None:
            digits = len(str(self.target))
            done = int(self.width * current / self.target) if self.target else self.width
            bar = f"{current:>{digits}}/{self.target} " + "\u2501" * done + "\u2500" * (self.width - done)
        else:
            bar = f"{current:>7}/Unknown"
        if finalize:
            timing = f"{_format_duration(elapsed)} {_format_per_step(per_step, self.unit_name)}"
        elif self.target is not None:
            timing = f"{_format_duration(per_step * (self.target - current))} " \
                     f"{_format_per_step(per_step, self.unit_name)}"
        else:
            timing = f"{_format_duration(elapsed)} {_format_per_step(per_step, self.unit_name)}"
        line = f"{bar} {timing}{metrics}"
        if self._dynamic:
            pad = max(0, self._prev_width - len(line))
            self.stream.write("\r" + line + " " * pad + ("\n" if finalize else ""))
            self._prev_width = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def add(self, n, values=None):
        self.update(self._seen + n, values)
