"""The tracer: one more observer of the op path, recording a :class:`Graph`.

A trace runs the Python function once, eagerly, with the tracer among the op
path's observers (``registry.observers``), so every op it offers (kernels,
variable reads and assignments, optimizer updates, random draws, the
backward ops of a gradient tape used inside) becomes a node. Tensors the
tracer has not seen as an argument or a node output are captured: variables
by reference, anything else as a constant.

Values that depend on the arguments or on variables are *traced*: reading
one on the host (``bool``, ``float``, ``.numpy()``) would freeze the value
of this one call into the graph, so it raises, naming ``tensorlet.cond`` /
``tensorlet.while_loop`` for a branch. ``float()``/``int()`` where a
kernel takes a number (an optimizer's learning rate held in a Variable, its
step count) is allowed when the op then takes that tensor as an attribute;
the graph reads it each run.
"""

import contextlib
import threading

from tensorlet.framework import tensor as _tensor
from tensorlet.framework.symbolic import SymbolicArray
from tensorlet.framework.tensor import Tensor
from tensorlet.function.graph import ARG, CONSTANT, NODE, VARIABLE, Graph, Node, is_variable
from tensorlet.ops import registry
from tensorlet.ops.random_ops import seed_state


class OperatorNotAllowedInGraphError(TypeError):
    """A traced tensor's value was needed in Python while tracing a function."""


# Ops whose output depends only on their input's shape, fixed in a trace.
_SHAPE_OPS = frozenset({"shape", "size", "rank", "shape_n"})


class Tracer:
    """Records the ops of one trace into ``self.graph``.

    Args:
        name: the function's name (for messages and the graph).
        allow_variables: whether the traced function may create variables.
    """

    def __init__(self, name, allow_variables):
        self.graph = Graph(name)
        self.name = name
        self.allow_variables = allow_variables
        self.slots = {}        # id(tensor) -> slot
        self.keep = []         # the tensors seen, so their ids stay unique
        self.by_array = {}     # id(array) of a traced tensor -> (slot, the array, kept alive)
        self.traced = set()    # ids of tensors whose value depends on the call
        self.pending = {}      # id(variable) -> (variable, what): read on the host
        self.created = []      # (variable, initial value) created while tracing
        self.eager_reason = None  # why this trace cannot become a graph (the function then runs eagerly)
        self._seed = _UNSET

    # ---- what the function sees ------------------------------------------
    def add_argument(self, t):
        s = self.graph.new_slot(ARG)
        self.graph.inputs.append(s)
        self._bind(t, s)
        self.traced.add(id(t))

    def output_slot(self, t):
        s = self.slots.get(id(t))
        return self._capture(t) if s is None else s

    def _bind(self, t, s):
        self.slots[id(t)] = s
        self.keep.append(t)
        if not is_variable(t):
            self.by_array[id(t._a)] = (s, t._a)

    def _capture(self, t):
        if is_variable(t):
            s = self.graph.new_slot(VARIABLE, t)
            self.traced.add(id(t))
        else:
            s = self.graph.new_slot(CONSTANT, t._a)
        self._bind(t, s)
        return s

    # ---- the observer -------------------------------------------------------
    def _record(self, op, inputs, attrs, out):
        first = out[0] if type(out) is tuple else out
        if first is not None and type(first._a) is SymbolicArray:
            return  # shape inference (a model built on first call inside the trace), not a computation
        slots = self.slots
        ins, traced = [], op.seeded
        for x in inputs:
            if x is None:
                ins.append(-1)
                continue
            s = slots.get(id(x))
            if s is None:
                s = self._capture(x)
            ins.append(s)
            traced = traced or id(x) in self.traced
        slot_attrs = []
        for i, a in enumerate(attrs):
            if isinstance(a, Tensor):
                slot_attrs.append((i, self.output_slot(a)))
                self.pending.pop(id(a), None)
                traced = True
        # A draw that took a (key, counter) pair from the seed state takes a fresh one per run;
        # a stateless draw (its key from the seed argument) repeats.
        seed, self._seed = (None if self._seed is _UNSET else (self._seed,)), _UNSET
        if op.mutates:
            writes = tuple(inputs[i] for i in op.mutates if inputs[i] is not None)
            self.graph.nodes.append(Node(op, ins, tuple(attrs), slot_attrs, ins[0], seed, False, writes))
            return
        if op.name in _SHAPE_OPS:
            traced = False
        if type(out) is tuple and registry.REGISTRY.get(op.name) is not op:
            # A custom_gradient's outputs, computed before: the traced arrays (else constants).
            for o in out:
                alias = self.by_array.get(id(o._a))
                if alias is None:
                    self._bind(o, self.graph.new_slot(CONSTANT, o._a))
                else:
                    slots[id(o)] = alias[0]
                    self.keep.append(o)
                if traced:
                    self.traced.add(id(o))
            return
        if type(out) is tuple:  # a multi-output op: one node with a slot per output
            outs = tuple(self.graph.new_slot(NODE) for _ in out)
            for o, s in zip(out, outs):
                self._bind(o, s)
                if traced:
                    self.traced.add(id(o))
            copy = any(is_variable(x) for x in inputs) and _aliases(op, inputs, attrs)
            self.graph.nodes.append(Node(op, ins, tuple(attrs), slot_attrs, outs, seed, copy, ()))
            return
        # An unregistered op (a custom_gradient's) hands back an array computed before.
        alias = self.by_array.get(id(out._a)) if registry.REGISTRY.get(op.name) is not op else None
        if alias is not None:
            slots[id(out)] = alias[0]
            self.keep.append(out)
        else:
            copy = any(is_variable(x) for x in inputs) and _aliases(op, inputs, attrs)
            s = self.graph.new_slot(NODE)
            self._bind(out, s)
            self.graph.nodes.append(Node(op, ins, tuple(attrs), slot_attrs, s, seed, copy, ()))
        if traced:
            self.traced.add(id(out))

    @contextlib.contextmanager
    def region(self):
        """Records the ops run inside into a fresh node list (a branch or loop
        body), yielded, instead of the graph's."""
        saved, self.graph.nodes = self.graph.nodes, []
        try:
            yield self.graph.nodes
        finally:
            self.graph.nodes = saved

    def values(self):
        """The array of every slot this trace has bound (for running a node now)."""
        vals = [v._a if k is VARIABLE else v for k, v in zip(self.graph.kinds, self.graph.values)]
        for t in self.keep:
            s = self.slots.get(id(t))
            if s is not None and self.graph.kinds[s] is not VARIABLE:
                vals[s] = t._a
        return vals

    def bind_new(self, array, slot=None):
        """A traced tensor holding ``array``, bound to ``slot`` (a new one by default)."""
        t = Tensor._from_array(array)
        self._bind(t, self.graph.new_slot(NODE) if slot is None else slot)
        self.traced.add(id(t))
        return t

    # ---- hooks called by Tensor, Variable and the seed state -----------------
    def host_read(self, t, what):
        if (id(t) not in self.traced and not is_variable(t)) or self.eager_reason or self._other_thread():
            return
        if what == "bool()":
            raise OperatorNotAllowedInGraphError(
                f"tensorlet.function {self.name}: using a traced tensor as a Python bool (an `if`, `while`, `and`, "
                "`or` or `not` on a tensor) is not allowed while tracing: its value differs between calls. Use "
                "tensorlet.cond(pred, true_fn, false_fn) or tensorlet.while_loop(cond, body, loop_vars), or branch "
                "on a Python value.")
        if what == "range()":
            raise OperatorNotAllowedInGraphError(
                f"tensorlet.function {self.name}: tensorlet.range with a bound computed from the arguments or "
                "variables (`for i in tf.range(n)`, say) makes a loop whose length differs between calls, which "
                "cannot be unrolled while tracing. Use tensorlet.while_loop(cond, body, loop_vars) (an in-graph loop), "
                "or pass n as a Python int (each value traces once).")
        if what in ("float()", "int()"):
            self.pending[id(t)] = (t, what)  # fine if an op takes it as an attribute (checked at the end)
            return
        raise OperatorNotAllowedInGraphError(
            f"tensorlet.function {self.name}: {what} of a traced tensor is not allowed while tracing: the value "
            "of this one call would be frozen into the function. Compute with tensorlet ops instead (tensorlet.print "
            "prints a value on every call), or call the function eagerly (outside tensorlet.function).")

    def untraceable(self, reason):
        """Marks the trace as one that must not be replayed (it read host data
        that can change between calls); the function will run eagerly."""
        if not self._other_thread():
            self.eager_reason = self.eager_reason or reason

    def _other_thread(self):
        # The hooks below are global (Tensor, Variable, the seed state): work of another thread (a tf.data
        # pipeline's prefetch, say) during a trace is not part of it.
        return threading.get_ident() != self._thread

    def creating(self, variable):
        if self._other_thread():
            return
        if not self.allow_variables:
            raise ValueError(
                f"tensorlet.function {self.name}: a tf.Variable is created on a later trace. Variables may be "
                "created only on the first call of a function (keep them as attributes and create them once, "
                "e.g. `if self.v is None: self.v = tf.Variable(...)`), or outside it.")
        self.created.append((variable, variable._a.copy()))

    def next_seed(self, op_seed=None):
        if self._other_thread():
            return _next(op_seed)
        self._seed = op_seed
        return _next(op_seed)

    # ---- activation -------------------------------------------------------------
    def __enter__(self):
        self._thread = threading.get_ident()
        registry.enter(self)
        _tensor.tracers.append(self)
        seed_state.next = self.next_seed
        return self

    def __exit__(self, *exc):
        registry.leave(self)
        _tensor.tracers.remove(self)
        if _tensor.tracers:
            seed_state.next = _tensor.tracers[-1].next_seed
        else:
            del seed_state.next  # back to the class's method

    def check(self):
        """Raises if a variable's value was read on the host and frozen."""
        for t, what in () if self.eager_reason else self.pending.values():
            which = f"variable '{t.name}'" if is_variable(t) else "a traced tensor"
            raise OperatorNotAllowedInGraphError(
                f"tensorlet.function {self.name}: {what} read {which} on the host while tracing, so the value of "
                "this one call would be frozen into the function. Compute with tensorlet ops instead "
                "(tensorlet.print prints a value on every call).")


_next = type(seed_state).next.__get__(seed_state)
_UNSET = object()


def _aliases(op, inputs, attrs):
    """Whether ``op``'s kernel returns a view of a variable input (checked
    by running it once more, at trace time only)."""
    if op.seeded or op.effect:
        return False
    arrays = [None if x is None else x._a for x in inputs]
    out = op.kernel(*arrays, *attrs)
    outs = out if isinstance(out, (list, tuple)) else (out,)
    return any(is_variable(x) and o.shares_storage(x._a) for x in inputs for o in outs)
