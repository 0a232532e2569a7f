"""``tensorlet.cond`` and ``tensorlet.while_loop``, as ``tf.cond`` / ``tf.while_loop``.

Eagerly (and inside a function, on a predicate that does not depend on the
call: a Python value or a constant) they branch and loop in Python. Inside
``tensorlet.function``, on a predicate computed from the arguments or
variables, ``cond`` traces both branches and selects each output with
``where`` (so the graph, and its gradient, hold both), and ``while_loop``
with ``maximum_iterations`` unrolls that many masked iterations (an iteration
after the condition turned false keeps the loop variables). Both need
branches and bodies without state changes (assignments, random draws,
print): those would need a real branch node and raise instead.
"""

from tensorlet.framework import tensor as _tensor
from tensorlet.framework.tensor import Tensor
from tensorlet.function.tracer import OperatorNotAllowedInGraphError
from tensorlet.nest import flatten, pack_sequence_as
from tensorlet.ops.elementwise import logical_and
from tensorlet.ops.gather_ops import where


def _traced(pred):
    """The active tracer when ``pred`` depends on the traced call, else None."""
    if _tensor.tracers and isinstance(pred, Tensor):
        tracer = _tensor.tracers[-1]
        return tracer if id(pred) in tracer.traced else None
    return None


def _pure(tracer, fn, what, *args):
    """``fn(*args)``, refusing state changes recorded while it ran."""
    start = len(tracer.graph.nodes)
    out = fn(*args)
    for n in tracer.graph.nodes[start:]:
        if n.op.mutates or n.op.seeded or n.op.effect:
            raise OperatorNotAllowedInGraphError(
                f"tensorlet.{what}: on a predicate that depends on the arguments or variables of tensorlet.function "
                f"{tracer.name}, the branches or body may not change state ({n.op.name} here): assignments, "
                "random draws and print need an in-graph branch node, which is not supported yet. Move the state "
                "change out of the branch, or branch on a Python value.")
    return out


def _select(pred, a, b, what):
    """``a`` where ``pred`` else ``b``, leaf by leaf (Python values must agree)."""
    la, lb = flatten(a), flatten(b)
    if len(la) != len(lb):
        raise ValueError(f"{what}: the branches return different structures: {a!r} and {b!r}")
    out = []
    for x, y in zip(la, lb):
        if isinstance(x, Tensor) or isinstance(y, Tensor):
            out.append(where(pred, x, y))
        elif x is y or x == y:
            out.append(x)
        else:
            raise ValueError(f"{what}: the branches return different Python values {x!r} and {y!r}; return tensors")
    return pack_sequence_as(a, out)


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
            ``tensorlet.function`` when a branch changes state.
    """
    if not callable(true_fn) or not callable(false_fn):
        raise TypeError(f"cond: true_fn and false_fn must be callables, got {type(true_fn).__name__} and "
                        f"{type(false_fn).__name__}")
    tracer = _traced(pred)
    if tracer is not None:
        return _select(pred, _pure(tracer, true_fn, "cond"), _pure(tracer, false_fn, "cond"), "cond")
    return true_fn() if pred else false_fn()


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
            ``tensorlet.function`` without ``maximum_iterations``, or whose
            body changes state.
    """
    if not callable(cond) or not callable(body):
        raise TypeError("while_loop: cond and body must be callables")
    single = not isinstance(loop_vars, (list, tuple))
    vars_ = [loop_vars] if single else list(loop_vars)
    n = len(flatten(vars_))
    def step(vars_):
        out = body(*vars_)
        out = [out] if single or not isinstance(out, (list, tuple)) else list(out)
        if len(out) != len(vars_) or len(flatten(out)) != n:
            raise ValueError(f"while_loop: body returned {len(out)} loop variables, expected {len(vars_)} in the "
                             "same structure as loop_vars")
        return out

    i, running = 0, None  # running: a traced bool once the condition depends on the call
    while maximum_iterations is None or i < int(maximum_iterations):
        c = cond(*vars_)
        tracer = _traced(c) or (_traced(running) if running is not None else None)
        if tracer is None and running is None:
            if not c:
                break
            vars_ = step(vars_)
        else:
            if maximum_iterations is None:
                raise OperatorNotAllowedInGraphError(
                    f"tensorlet.while_loop: a condition that depends on the arguments or variables of "
                    f"tensorlet.function {tracer.name} needs maximum_iterations (the loop is unrolled that many "
                    "times, later iterations masked); an in-graph loop node is not supported yet.")
            running = c if running is None else logical_and(running, c)
            vars_ = list(_select(running, _pure(tracer, step, "while_loop", vars_), vars_, "while_loop"))
        i += 1
    return vars_[0] if single else type(loop_vars)(vars_) if type(loop_vars) in (list, tuple) else vars_
