"""GradientTape: records the ops run on watched tensors, then runs them backwards.

The hot path (``registry.apply`` and the functions generated like it) offers
every op to the observers in ``registry.observers``, the active tapes among
them. A tape keeps an op when one of its inputs is watched, and then watches
the op's output too. ``gradient`` walks the kept
ops in reverse, calling each op's ``grad`` with the gradient of its output
(of a multi-output op: one gradient per output, None for an output the
target does not depend on) and adding up the gradients of its inputs (summed back to each input's shape
where the op broadcast it). Gradient functions are written in tensorlet ops,
so an enclosing tape records them: nested tapes give higher-order gradients.
"""

import contextlib

import numpy as np

from tensorlet import _core
from tensorlet.framework.convert import convert_like, convert_to_tensor
from tensorlet.framework.tensor import Tensor
from tensorlet.framework.variable import Variable
from tensorlet.ops import registry
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.ops.creation_ops import ones, zeros
from tensorlet.ops.join_ops import stack
from tensorlet.ops.view_ops import broadcast_to, reshape, transpose
from tensorlet.ops.reductions import _sum as _reduce_sum

_is_float = _core.is_floating  # of an Array; cheaper than reading its dtype


class UnconnectedGradients:
    """What ``gradient`` returns for a source the target does not depend on."""

    NONE = "none"
    ZERO = "zero"


class GradientTape:
    """Records operations for automatic differentiation, as ``tf.GradientTape``.

    Example::

        x = tf.Variable(3.0)
        with tf.GradientTape() as tape:
            y = x * x
        tape.gradient(y, x)   # 6.0

    Args:
        persistent: if False (the default) ``gradient`` (or ``jacobian``) may
            be called once, after which the tape releases what it recorded.
        watch_accessed_variables: whether trainable variables read while the
            tape is active are watched automatically. With False, only
            tensors and variables passed to :meth:`watch` are.

    When ``gradient`` returns None for a source, :meth:`explain_none` says why
    (a constant that was not watched, a target computed after the ``with``
    block, an integer source, ...).

    The tape records variables themselves, not copies of their values:
    compute gradients before updating the variables they read, as a training
    step does. ``gradient`` raises RuntimeError rather than use a value that
    was assigned after an op read it.
    """

    differentiates = True  # ops recorded while it observes need gradients (see ops/conv_ops.py)

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._persistent = persistent
        self._watch_accessed = watch_accessed_variables
        self._watched = {}   # id -> tensor; holding them keeps the ids unique
        self._records = []   # (op, inputs, attrs, output, variable reads), in execution order
        self._used = False
        self._why_none = {}  # id(source) -> reason, from the last gradient call

    # ---- recording --------------------------------------------------------
    def __enter__(self):
        if not registry.enter(self):
            raise ValueError("GradientTape: this tape is already recording; it cannot be entered again "
                             "inside its own `with` block")
        return self

    def __exit__(self, *exc):
        registry.leave(self)

    def _record(self, op, inputs, attrs, out):
        watched = self._watched
        hit = False
        reads = ()
        for x in inputs:
            if type(x) is not Tensor and isinstance(x, Variable):
                # Gradient functions read variables when they run: note each
                # variable's version so a later assignment is caught, not used.
                reads += ((x, x._version),)
                if id(x) in watched:
                    hit = True
                elif self._watch_accessed and x._trainable:
                    watched[id(x)] = x
                    hit = True
            elif id(x) in watched:
                hit = True
        if hit and op.grad is not None:
            if type(out) is tuple:  # a multi-output op: one record, each output watched
                for o in out:
                    watched[id(o)] = o
            else:
                watched[id(out)] = out
            self._records.append((op, inputs, attrs, out, reads))

    def watch(self, tensor):
        """Watches a tensor or variable (or a list/tuple/dict of them) so that
        gradients with respect to it can be computed.

        Raises:
            ValueError: if given something that is not a tensor.
        """
        for t in _flatten(tensor)[0]:
            if not isinstance(t, Tensor):
                raise ValueError(f"GradientTape.watch: expected a tensor or variable, got {type(t).__name__}")
            self._watched[id(t)] = t

    def watched_variables(self):
        """The variables this tape watches, in the order they were first watched."""
        return tuple(t for t in self._watched.values() if isinstance(t, Variable))

    @contextlib.contextmanager
    def stop_recording(self):
        """A context in which this tape records nothing (other tapes still do)."""
        with _paused(self):
            yield

    def reset(self):
        """Forgets everything recorded and watched so far."""
        self._watched.clear()
        self._records.clear()
        self._used = False

    # ---- gradients -----------------------------------------------------------
    def gradient(self, target, sources, output_gradients=None, unconnected_gradients=UnconnectedGradients.NONE):
        """Computes the gradient of ``target`` with respect to ``sources``.

        Args:
            target: a tensor, or a list of tensors (their gradients are added).
                A non-scalar target is summed, unless ``output_gradients`` is given.
            sources: a tensor or variable, or a list, tuple or dict of them.
            output_gradients: the gradient of some loss with respect to
                ``target`` (same structure and shapes), to chain from.
            unconnected_gradients: ``'none'`` (the default) gives None for a
                source the target does not depend on, ``'zero'`` gives zeros.

        Returns:
            The gradients, in the structure of ``sources``. A source gets None
            when the target does not depend on it through differentiable ops,
            when it is a constant the tape did not watch, when the target was
            not computed on this tape, or when it has an integer or bool
            dtype; :meth:`explain_none` says which.

        Raises:
            RuntimeError: if this non-persistent tape has already computed
                gradients, or a variable was assigned after a recorded op read it.
            ValueError: for an unknown ``unconnected_gradients``.
        """
        self._check_usable("gradient")
        zero = _zero_mode(unconnected_gradients)
        srcs, rebuild = _flatten(sources)
        targets = [target] if isinstance(target, Tensor) else _flatten(target)[0]
        dys = [None] * len(targets) if output_gradients is None else _flatten(output_gradients)[0]
        with _paused(self):
            grads = self._backward(targets, srcs, dys)
        for g in grads:
            if g is None:
                self._explain(targets, srcs, grads)
                break
        else:
            if self._why_none:
                self._why_none = {}
        if zero:
            grads = [_zeros_like(s) if g is None else g for s, g in zip(srcs, grads)]
        self._finish()
        return rebuild(grads)

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """The Jacobian of ``target`` with respect to each source: a tensor of
        shape ``target.shape + source.shape`` per source (one backward pass per
        element of ``target``).

        Args:
            target: a tensor.
            sources: a tensor or variable, or a list, tuple or dict of them.
            unconnected_gradients: ``'none'`` or ``'zero'``, as in :meth:`gradient`.
            parallel_iterations, experimental_use_pfor: ignored.

        Returns:
            The Jacobians in the structure of ``sources`` (None where unconnected).

        Raises:
            RuntimeError: if this non-persistent tape has already computed gradients.
        """
        self._check_usable("jacobian")
        zero = _zero_mode(unconnected_gradients)
        target = convert_to_tensor(target)
        srcs, rebuild = _flatten(sources)
        shape = tuple(target._a.shape)
        n = int(np.prod(shape, dtype=np.int64))
        rows = [[] for _ in srcs]
        with _paused(self):
            for i in range(n):
                seed = np.zeros(n, target.dtype.as_numpy_dtype)
                seed[i] = 1
                for row, g in zip(rows, self._backward([target], srcs, [seed.reshape(shape)])):
                    row.append(g)
        results = []
        for s, row in zip(srcs, rows):
            if all(g is None for g in row) and not (zero and n):
                results.append(None)
                continue
            row = [_zeros_like(s) if g is None else g for g in row]
            results.append(_stack(row, shape + tuple(s._a.shape)))
        self._finish()
        return rebuild(results)

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """The Jacobian of each row of ``target`` with respect to the same row
        of ``source``, for targets whose rows depend only on the matching
        source rows: shape ``(batch,) + target.shape[1:] + source.shape[1:]``.

        Raises:
            InvalidArgumentError: if the first dimensions differ.
            RuntimeError: if this non-persistent tape has already computed gradients.
        """

        self._check_usable("batch_jacobian")
        zero = _zero_mode(unconnected_gradients)
        target = convert_to_tensor(target)
        ts, ss = tuple(target._a.shape), tuple(source._a.shape)
        if not ts or not ss or ts[0] != ss[0]:
            raise InvalidArgumentError(f"batch_jacobian: target of shape {ts} and source of shape {ss} need the "
                                       "same first (batch) dimension")
        b, m = ts[0], int(np.prod(ts[1:], dtype=np.int64))
        cols = []
        with _paused(self):
            for j in range(m):
                seed = np.zeros((b, m), target.dtype.as_numpy_dtype)
                seed[:, j] = 1
                cols.append(self._backward([target], [source], [seed.reshape(ts)])[0])
        self._finish()
        if all(g is None for g in cols) and not (zero and m):
            return None
        cols = [_zeros_like(source) if g is None else g for g in cols]
        # (m, b, *source[1:]) -> (b, m, *source[1:]) -> (b, *target[1:], *source[1:])
        stacked = _stack(cols, (m,) + ss)
        perm = [1, 0] + list(range(2, len(ss) + 1))
        return reshape(transpose(stacked, perm), ts + ss[1:])

    def explain_none(self, source=None):
        """Why the last ``gradient`` call returned None for ``source`` (or for
        every such source when ``source`` is None); None if it did not.

        Returns:
            A sentence saying what to change, or None.
        """
        if source is not None:
            return self._why_none.get(id(source), (None, None))[1]
        return "\n".join(r for _, r in self._why_none.values()) or None

    # ---- the backward pass -------------------------------------------------
    def _backward(self, targets, sources, dys):
        """The gradients of ``sum(target * dy)`` for each source (None if unconnected)."""
        # Only ops whose output depends on a source need running backwards.
        # Gradients flow only through floating-point tensors.
        watched = self._watched
        live = {id(s) for s in sources if id(s) in watched and _is_float(s._a)}
        for op, inputs, attrs, out, _ in self._records:
            if not live.isdisjoint(map(id, inputs)):
                if type(out) is tuple:
                    live.update(id(o) for o in out if _is_float(o._a))
                elif _is_float(out._a):
                    live.add(id(out))
        grads = {}
        for t, dy in zip(targets, dys):
            if id(t) not in live:
                continue
            if dy is None:
                dy = convert_like(1, t) if t._a.ndim == 0 else _ones_like(t)
            else:
                dy = convert_to_tensor(dy, dtype=t.dtype)
                if dy._a.shape != t._a.shape:
                    raise ValueError(f"gradient: output gradient of shape {dy.shape} does not match the target "
                                     f"of shape {t.shape}")
            _accumulate(grads, t, dy)
        for op, inputs, attrs, out, reads in reversed(self._records):
            if type(out) is tuple:  # one gradient per output, None where unused
                dy = [grads.get(id(o)) for o in out]
                if all(d is None for d in dy):
                    continue
            else:
                dy = grads.get(id(out))
                if dy is None:
                    continue
            for v, version in reads:
                if v._version != version:
                    raise RuntimeError(f"gradient: variable '{v.name}' was assigned after the tape recorded "
                                       f"{op.name} reading it; compute the gradients before updating variables")
            diff = op.diff
            per_input = op.input_grads
            if per_input is None:
                gs = op.grad(dy, inputs, attrs, out)
            elif op.grad_prep is not None:
                dy = op.grad_prep(dy, inputs, attrs, out)
            for k, x in enumerate(inputs):
                if id(x) not in live or (diff is not None and not diff[k]):
                    continue
                g = per_input[k](dy, inputs, attrs, out) if per_input is not None else gs[k]
                if g is not None:
                    if not g._a.same_shape(x._a):
                        g = _unbroadcast(g, x)
                    old = grads.get(id(x))
                    grads[id(x)] = g if old is None else old + g
        return [grads.get(id(s)) for s in sources]

    def _check_usable(self, what):
        if self._used:
            raise RuntimeError(f"GradientTape.{what}: this tape has already computed gradients and released what "
                               "it recorded. Create it with tf.GradientTape(persistent=True) to compute gradients "
                               "several times.")

    def _finish(self):
        if not self._persistent:
            self._used = True
            self._records = []  # keeps the watched variables, for watched_variables()
            self._watched = {k: v for k, v in self._watched.items() if isinstance(v, Variable)}

    def _explain(self, targets, sources, grads):
        self._why_none = {}
        targets = [t for t in targets if isinstance(t, Tensor)]
        recorded = any(id(t) in self._watched for t in targets)
        float_target = any(t.dtype.is_floating for t in targets)
        for s, g in zip(sources, grads):
            if g is None:
                self._why_none[id(s)] = (s, _reason(self, s, recorded, float_target))

    def __repr__(self):
        return (f"<GradientTape persistent={self._persistent} watched={len(self._watched)} "
                f"recorded_ops={len(self._records)}>")


def _reason(tape, s, target_recorded, float_target):
    what = f"variable '{s.name}'" if isinstance(s, Variable) else "the source"
    if not isinstance(s, Tensor):
        return f"the source {s!r} is not a tensor or variable"
    if not s.dtype.is_floating:
        return (f"{what} has dtype {s.dtype.name}: only floating-point tensors have gradients; cast it to a "
                "float dtype before computing with it")
    if id(s) not in tape._watched:
        if not isinstance(s, Variable):
            return (f"{what} (shape {s.shape}) is a constant the tape did not watch: call tape.watch(x) inside the "
                    "`with tape:` block before computing with it (variables are watched automatically, "
                    "tensors are not)")
        if not s.trainable:
            return f"{what} is not trainable, so the tape did not watch it: call tape.watch(v)"
        if not tape._watch_accessed:
            return f"{what} was not watched (watch_accessed_variables=False): call tape.watch(v)"
    if not float_target:
        return "the target is not a floating-point tensor, so it has no gradient"
    if not target_recorded:
        return ("the target was not computed on this tape: compute it inside the `with tape:` block (not after "
                "it, and not under tape.stop_recording())")
    return (f"the target does not depend on {what} through differentiable ops (comparisons, rounding, casts to "
            "integers, argmax and tf.stop_gradient pass no gradient)")


# ---- helpers --------------------------------------------------------------------

class _paused:
    """Takes a tape off the active list for a while, so it records nothing."""

    def __init__(self, tape):
        self.tape = tape

    def __enter__(self):
        self.where = registry.leave(self.tape)

    def __exit__(self, *exc):
        if self.where is not None:
            registry.rejoin(self.tape, self.where)


def _accumulate(grads, x, g):
    old = grads.get(id(x))
    grads[id(x)] = g if old is None else old + g


def _unbroadcast(g, x):
    """``g`` summed (or broadcast) to the shape of ``x``, which differs from
    its own: ops may return the gradient of a broadcast input in the
    broadcast shape."""
    gs, xs = g._a.shape, x._a.shape
    lead = len(gs) - len(xs)
    if lead > 0 and gs[lead:] == xs:  # the usual case: a bias added to every row
        return registry.apply(_reduce_sum, (g,), list(range(lead)), False)
    if lead < 0 or any(d != 1 and d != gs[lead + i] for i, d in enumerate(xs)):
        return broadcast_to(g, xs)
    ones = [lead + i for i, d in enumerate(xs) if d == 1 and gs[lead + i] != 1]
    g = registry.apply(_reduce_sum, (g,), list(range(lead)) + ones, False)
    return reshape(g, xs) if ones else g


def _ones_like(t):
    return ones(t._a.shape, t.dtype)


def _zeros_like(t):
    return zeros(t._a.shape, t.dtype)


def _stack(parts, shape):
    """Stacks same-shaped tensors (differentiably) into one of ``shape``."""
    return reshape(stack(parts, 0), shape)


def _zero_mode(mode):
    if mode == "none":
        return False
    mode = getattr(mode, "value", mode)
    if mode not in ("none", "zero"):
        raise ValueError(f"unconnected_gradients must be 'none' or 'zero', got {mode!r}")
    return mode == "zero"


def _flatten(structure):
    """A flat list of the leaves of nested lists, tuples and dicts, and a
    function rebuilding the structure from a list of new leaves."""
    kind = type(structure)
    if kind is list or kind is tuple:  # the usual flat list of tensors
        for x in structure:
            if not isinstance(x, Tensor):
                break
        else:
            return list(structure), kind
    if isinstance(structure, dict):
        keys = list(structure)
        parts = [_flatten(structure[k]) for k in keys]
        make = lambda items: dict(zip(keys, items))  # noqa: E731
    elif isinstance(structure, (list, tuple)):
        parts = [_flatten(x) for x in structure]
        make = kind if kind in (list, tuple) else lambda items: kind(*items)  # noqa: E731  (namedtuples)
    else:
        return [structure], lambda leaves: leaves[0]

    def rebuild(leaves):
        items, i = [], 0
        for flat, sub in parts:
            items.append(sub(leaves[i:i + len(flat)]))
            i += len(flat)
        return make(items)

    return [leaf for flat, _ in parts for leaf in flat], rebuild
