"""``tensorlet.cond`` and ``tensorlet.while_loop``, as ``tf.cond`` / ``tf.while_loop``.

Eagerly (and inside a function, on a predicate that does not depend on the
call: a Python value or a constant) they branch and loop in Python. A
predicate computed from a function's arguments or variables would need an
in-graph branch or loop node; that is not supported inside
``tensorlet.function`` yet and raises, rather than freezing one call's path.
"""

from tensorlet.framework import tensor as _tensor
from tensorlet.framework.tensor import Tensor
from tensorlet.function.tracer import OperatorNotAllowedInGraphError
from tensorlet.nest import flatten


def _check(pred, what):
    if _tensor.tracers and isinstance(pred, Tensor):
        tracer = _tensor.tracers[-1]
        if id(pred) in tracer.traced:
            raise OperatorNotAllowedInGraphError(
                f"tensorlet.{what}: a predicate that depends on the function's arguments or variables is not "
                f"supported inside tensorlet.function {tracer.name} yet (it needs an in-graph {what} node). Call "
                "the function eagerly, or branch on a Python value.")
    return bool(pred)


def cond(pred, true_fn=None, false_fn=None, name=None):
    """Returns ``true_fn()`` if ``pred`` is true, else ``false_fn()``.

    Args:
        pred: a scalar bool tensor or Python bool.
        true_fn, false_fn: callables taking no arguments.
        name: ignored.

    Returns:
        What the chosen callable returns.

    Raises:
        TypeError: if a branch is not callable.
        OperatorNotAllowedInGraphError: for a traced predicate inside a
            ``tensorlet.function``.
    """
    if not callable(true_fn) or not callable(false_fn):
        raise TypeError(f"cond: true_fn and false_fn must be callables, got {type(true_fn).__name__} and "
                        f"{type(false_fn).__name__}")
    return true_fn() if _check(pred, "cond") else false_fn()


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10, back_prop=True,
               swap_memory=False, maximum_iterations=None, name=None):
    """Repeats ``body`` while ``cond`` is true, as ``tf.while_loop``.

    Args:
        cond: a callable taking the loop variables, returning a scalar bool.
        body: a callable taking the loop variables, returning new ones of the
            same structure.
        loop_vars: a tensor, or a list/tuple (nested) of tensors and values.
        maximum_iterations: stop after this many iterations at most.
        shape_invariants, parallel_iterations, back_prop, swap_memory, name: ignored.

    Returns:
        The loop variables after the last iteration, in their structure.

    Raises:
        TypeError: if ``cond`` or ``body`` is not callable.
        ValueError: if ``body`` returns a different structure.
        OperatorNotAllowedInGraphError: for a traced condition inside a
            ``tensorlet.function``.
    """
    if not callable(cond) or not callable(body):
        raise TypeError("while_loop: cond and body must be callables")
    single = not isinstance(loop_vars, (list, tuple))
    vars_ = [loop_vars] if single else list(loop_vars)
    n = len(flatten(vars_))
    i = 0
    while (maximum_iterations is None or i < int(maximum_iterations)) and _check(cond(*vars_), "while_loop"):
        out = body(*vars_)
        out = [out] if single or not isinstance(out, (list, tuple)) else list(out)
        if len(out) != len(vars_) or len(flatten(out)) != n:
            raise ValueError(f"while_loop: body returned {len(out)} loop variables, expected {len(vars_)} in the "
                             "same structure as loop_vars")
        vars_ = out
        i += 1
    return vars_[0] if single else type(loop_vars)(vars_) if type(loop_vars) in (list, tuple) else vars_
