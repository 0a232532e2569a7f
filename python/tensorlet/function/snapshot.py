"""Tracing without changing state: every variable's value and the random seed
state are restored afterwards (``Function.get_concrete_function``)."""

import contextlib

from tensorlet import _core
from tensorlet.framework import variable as _variable
from tensorlet.ops.random_ops import seed_state


@contextlib.contextmanager
def state_kept():
    saved = [(v, v._version, v._a.copy()) for v in list(_variable.live)]
    calls, next_op = dict(seed_state._calls), seed_state._next_op
    try:
        yield
    finally:
        for v, version, a in saved:
            if v._version != version:  # assigned meanwhile (an unchanged one keeps its version for tapes)
                _core.copy_into(v._a, a) if v._a.shape == a.shape else setattr(v, "_a", a)
                v._version += 1
        seed_state._calls, seed_state._next_op = calls, next_op

