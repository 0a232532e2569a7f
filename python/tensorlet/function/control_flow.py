"""``tensorlet.cond`` and ``tensorlet.while_loop``, as ``tf.cond`` / ``tf.while_loop``.

Eagerly (and inside a function, on a predicate that does not depend on the
call: a Python value or a constant) they branch and loop in Python. Inside
``tensorlet.function``, on a predicate computed from the arguments or
variables:

- ``cond`` with branches that change no state traces both and selects each
  output with ``where`` (so the graph, and its gradient, hold both);
  ``while_loop`` with ``maximum_iterations`` and a body that changes no state
  unrolls that many masked iterations (an iteration after the condition
  turned false keeps the loop variables). Both stay differentiable.
- Otherwise (assignments, random draws or print in a branch or body, or a
  loop without ``maximum_iterations``) they become one branch or loop node
  whose regions (the ops of each branch, or of the condition and body) run
  each call as the predicate decides. Tracing runs both branches once (the
  one this call does not take with its state changes undone), or the
  condition and body once on the initial values, so their Python side
  effects happen at trace time only, as in TensorFlow. A gradient tape may
  not record through such a node.
"""

import contextlib

import numpy as np

from tensorlet.framework import tensor as _tensor
from tensorlet.framework.convert import convert_to_tensor
from tensorlet.framework.tensor import Tensor
from tensorlet.function.graph import NODE, VARIABLE, Node, compiled, execute
from tensorlet.function.snapshot import state_kept
from tensorlet.function.tracer import _UNSET, OperatorNotAllowedInGraphError, Tracer
from tensorlet.ops import registry
from tensorlet.nest import flatten, pack_sequence_as
from tensorlet.ops.elementwise import logical_and
from tensorlet.ops.gather_ops import where


def _traced(pred):
    """The active tracer when ``pred`` depends on the traced call, else None."""
    if _tensor.tracers and isinstance(pred, Tensor):
        tracer = _tensor.tracers[-1]
        return tracer if id(pred) in tracer.traced else None
    return None


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
        OperatorNotAllowedInGraphError: for branches that change state, on a
            traced predicate, while a gradient tape records.
    """
    if not callable(true_fn) or not callable(false_fn):
        raise TypeError(f"cond: true_fn and false_fn must be callables, got {type(true_fn).__name__} and "
                        f"{type(false_fn).__name__}")
    tracer = _traced(pred)
    if tracer is not None:
        return _traced_cond(tracer, pred, true_fn, false_fn)
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
        OperatorNotAllowedInGraphError: for a loop node (a traced condition
            without ``maximum_iterations``, or a body that changes state)
            while a gradient tape records.
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
            if running is None:
                limit = None if maximum_iterations is None else int(maximum_iterations) - i
                done = _traced_while(tracer, cond, step, vars_, limit)
                if done is not None:
                    vars_ = done
                    break
            running = c if running is None else logical_and(running, c)
            vars_ = list(_select(running, step(vars_), vars_, "while_loop"))
        i += 1
    return vars_[0] if single else type(loop_vars)(vars_) if type(loop_vars) in (list, tuple) else vars_


# ---- branch and loop nodes --------------------------------------------------------


@contextlib.contextmanager
def _dry(quiet=True):
    """Tracing a region this call does not run as traced: its state changes
    are undone and ``tensorlet.print`` stays silent (``quiet``)."""
    from tensorlet import printing
    printing.quiet += quiet
    try:
        with state_kept():
            yield
    finally:
        printing.quiet -= quiet


def _changes_state(nodes):
    return any(n.op.mutates or n.op.seeded or n.op.effect for n in nodes)


def _taping():
    return any(not isinstance(o, Tracer) for o in registry.observers)


def _no_tape(what, tracer):
    if _taping():
        raise OperatorNotAllowedInGraphError(
            f"tensorlet.{what} in tensorlet.function {tracer.name}: a branch or loop that changes state (or a loop "
            "without maximum_iterations) becomes an in-graph node, and a gradient tape cannot record through it. "
            "Move the state change out of it, give maximum_iterations, or take the gradient outside.")


def _reads(regions, produced):
    """The slots the regions read that they do not produce themselves."""
    own, reads = set(produced), set()
    for nodes in regions:
        for n in nodes:
            reads.update(i for i in n.inputs if i >= 0 and i not in own)
            reads.update(s for _, s in n.slot_attrs if s not in own)
            if not n.op.mutates:  # an assignment's output slot is its variable's
                own.update(n.outputs)
    return sorted(reads)


def _slots(tracer, leaves):
    """Each tensor leaf's slot and whether it must be copied out (a variable's)."""
    slots = [tracer.output_slot(convert_to_tensor(x)) for x in leaves]
    return slots, [tracer.graph.kinds[s] is VARIABLE for s in slots]


def _run_now(tracer, node):
    """Runs ``node`` on this call's values (tracing runs eagerly); its outputs as traced tensors."""
    vals = tracer.values()
    node.op.run(node, vals)
    tracer._seed = _UNSET  # draws in the regions took their keys from the seed state, not for a recorded op
    return [tracer.bind_new(vals[s], s) for s in node.outputs]


class _Branch:
    """The op of a branch node: runs the region the predicate picks."""

    name, kernel, mutates, seeded, effect = "cond", None, (), False, True

    @staticmethod
    def run(node, vals):
        plan, slots, copies = node.attrs[0 if bool(np.asarray(vals[node.inputs[0]])) else 1]
        execute(plan, vals)
        for o, s, c in zip(node.outputs, slots, copies):
            vals[o] = vals[s].copy() if c else vals[s]


class _Loop:
    """The op of a loop node: the condition's region, then the body's, until
    the condition is false (or ``limit`` iterations)."""

    name, kernel, mutates, seeded, effect = "while_loop", None, (), False, True

    @staticmethod
    def run(node, vals):
        cond_plan, cond_slot, body_plan, body_slots, copies, var_slots, limit = node.attrs
        for v, s in zip(var_slots, node.inputs):
            vals[v] = vals[s]
        i = 0
        while limit is None or i < limit:
            execute(cond_plan, vals)
            if not bool(np.asarray(vals[cond_slot])):
                break
            execute(body_plan, vals)
            new = [vals[s].copy() if c else vals[s] for s, c in zip(body_slots, copies)]
            for v, a in zip(var_slots, new):
                vals[v] = a
            i += 1
        for o, v in zip(node.outputs, var_slots):
            vals[o] = vals[v]


def _traced_cond(tracer, pred, true_fn, false_fn):
    taken = bool(np.asarray(pred._a))  # this call's value, to keep only the taken branch's state changes
    # The taken branch first (its state changes undone only under a tape, which
    # cannot record through a branch node), then the other one, undone.
    taken_fn, other_fn = (true_fn, false_fn) if taken else (false_fn, true_fn)
    first = _dry(quiet=False) if _taping() else contextlib.nullcontext()
    regions, results = [], []
    for fn, undo in ((taken_fn, first), (other_fn, _dry())):
        with tracer.region() as nodes, undo:
            results.append(fn())
        regions.append(nodes)
    t_out, f_out = results if taken else results[::-1]
    if not _changes_state(regions[0] + regions[1]):
        tracer.graph.nodes += regions[0] + regions[1]
        return _select(pred, t_out, f_out, "cond")
    _no_tape("cond", tracer)
    lt, lf = flatten(t_out), flatten(f_out)
    if len(lt) != len(lf) or any(isinstance(x, Tensor) != isinstance(y, Tensor) or (
            not isinstance(x, Tensor) and not (x is y or x == y)) for x, y in zip(lt, lf)):
        raise ValueError(f"cond: the branches return different structures or Python values: {t_out!r} and "
                         f"{f_out!r}; return tensors of the same structure")
    tensors = [i for i, x in enumerate(lt) if isinstance(x, Tensor)]
    per_branch = [_slots(tracer, [leaves[i] for i in tensors]) for leaves in (lt, lf)]
    t_nodes, f_nodes = regions if taken else regions[::-1]
    outs = tuple(tracer.graph.new_slot(NODE) for _ in tensors)
    node = Node(_Branch, [tracer.output_slot(pred)] + _reads(regions, ()),
                ((compiled(t_nodes), *per_branch[0]), (compiled(f_nodes), *per_branch[1])), [], outs, None, False,
                ())
    tracer.graph.nodes.append(node)
    now = tracer.values()
    values = [now[s] for s in per_branch[0 if taken else 1][0]]
    leaves = list(lt if taken else lf)
    for i, s, a, c in zip(tensors, outs, values, per_branch[0 if taken else 1][1]):
        leaves[i] = tracer.bind_new(a.copy() if c else a, s)
    return pack_sequence_as(t_out, leaves)


def _traced_while(tracer, cond, step, vars_, limit):
    """A loop node for a traced condition, run now for this call; None when
    the masked unrolling does (a body without state changes, and a limit)."""
    leaves = [convert_to_tensor(x) for x in flatten(vars_)]
    inner = [tracer.bind_new(t._a) for t in leaves]
    var_slots = [tracer.output_slot(t) for t in inner]
    inner_vars = pack_sequence_as(vars_, inner)
    with _dry():
        with tracer.region() as cond_nodes:
            c = cond(*inner_vars)
        with tracer.region() as body_nodes:
            out = step(inner_vars)
    if limit is not None and not _changes_state(cond_nodes + body_nodes):
        return None
    _no_tape("while_loop", tracer)
    body_slots, copies = _slots(tracer, flatten(out))
    node = Node(_Loop, [tracer.output_slot(t) for t in leaves] + _reads([cond_nodes, body_nodes], var_slots),
                (compiled(cond_nodes), _slots(tracer, [c])[0][0], compiled(body_nodes), body_slots, copies,
                 var_slots, limit), [], tuple(tracer.graph.new_slot(NODE) for _ in leaves), None, False, ())
    tracer.graph.nodes.append(node)
    return list(pack_sequence_as(vars_, _run_now(tracer, node)))
