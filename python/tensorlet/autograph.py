"""``tensorlet.autograph`` (as ``tf.autograph``): tensorlet.function unrolls Python control
flow at trace time instead of converting code, so these only keep programs running."""

import types as _types

__all__ = ["experimental", "set_verbosity"]


def _do_not_convert(func=None):
    """Returns ``func`` unchanged (there is no conversion to turn off)."""
    return func if func is not None else (lambda f: f)


def set_verbosity(level, alsologtostdout=False):
    """Accepted for compatibility: there is no conversion to log."""


experimental = _types.SimpleNamespace(do_not_convert=_do_not_convert)
