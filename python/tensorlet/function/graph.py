"""The recorded graph of a ``tensorlet.function`` trace, and its replay.

A :class:`Graph` is a flat, topologically ordered list of :class:`Node`\\ s
over numbered *slots*. A slot holds one array: a traced argument, a captured
variable (read through the Variable, so later assignments are seen), a
captured constant, or a node's output. A node names its kernel, its input
slots (-1 for an absent optional operand), its attributes, the attributes
read from a slot at run time (a learning rate or step count held in a
Variable), its output slot and, for a random draw, the op seed that gives it a
fresh (key, counter) pair per call. That is all a runtime needs: this module
is consumed once, when a trace is finalised, by the C++ graph runtime
(``csrc/graph/``: ``_core.GraphPlan``), which runs a whole call in one C++
call over preallocated, liveness-shared buffers, with fusion, and without the
GIL. A graph with an op the runtime lacks (``tensorlet.print``, an op whose
kernel is Python) keeps this module's replay, a loop over the kernels.
"""

from tensorlet import _core
from tensorlet.framework.tensor import Tensor
from tensorlet.framework.variable import Variable
from tensorlet.ops.random_ops import seed_state

ARG, VARIABLE, CONSTANT, NODE = "arg", "variable", "constant", "node"
native = True  # whether graphs the C++ runtime can run go to it (tests turn it off to compare)


class Node:
    """One op of a graph.

    Attributes:
        op: the registered :class:`~tensorlet.ops.registry.Op`.
        inputs: input slots (-1: an absent optional operand).
        attrs: the attributes, as the kernel takes them.
        slot_attrs: ``(index, slot)`` pairs: attribute ``index`` is read from
            ``slot`` (a 0-d array) each run.
        output: the output slot (for a mutating op, its first input's slot; for
            a multi-output op, a tuple of slots, one per output).
        seed: for a random draw, ``(op_seed,)``: each run draws a fresh
            (key, counter) pair from the global seed state, as eager does.
        copy: whether the output is copied (a view of a variable would
            change under a later assignment).
        writes: the variables a mutating op writes.
    """

    __slots__ = ("op", "inputs", "attrs", "slot_attrs", "output", "seed", "copy", "writes")

    def __init__(self, op, inputs, attrs, slot_attrs, output, seed, copy, writes):
        self.op, self.inputs, self.attrs, self.slot_attrs = op, inputs, attrs, slot_attrs
        self.output, self.seed, self.copy, self.writes = output, seed, copy, writes

    @property
    def outputs(self):
        """The output slots, as a tuple."""
        return self.output if type(self.output) is tuple else (self.output,)

    type = property(lambda self: self.op.name, doc="The op's name, as a TensorFlow operation's type.")
    name = property(lambda self: f"{self.op.name}_{self.outputs[0]}", doc="A name unique in its graph.")

    def __repr__(self):
        ins = ", ".join("_" if i < 0 else f"%{i}" for i in self.inputs)
        return f"{', '.join(f'%{s}' for s in self.outputs)} = {self.op.name}({ins})"


class Graph:
    """A traced function as data: slots, nodes, inputs and outputs.

    Attributes:
        kinds: per slot, ``'arg'``, ``'variable'``, ``'constant'`` or ``'node'``.
        values: per slot, the captured Variable or constant array (None else).
        nodes: the ops, in execution order.
        inputs: the slots of the tensor arguments, in flattened order.
        outputs: the slots of the tensor outputs, in flattened order.
    """

    def __init__(self, name):
        self.name = name
        self.kinds, self.values, self.nodes, self.inputs, self.outputs = [], [], [], [], []

    def new_slot(self, kind, value=None):
        self.kinds.append(kind)
        self.values.append(value)
        return len(self.kinds) - 1

    @property
    def variables(self):
        """The captured variables."""
        return [v for k, v in zip(self.kinds, self.values) if k == VARIABLE]

    def ops(self):
        """The op names, in execution order."""
        return [n.op.name for n in self.nodes]

    def get_operations(self):
        """The nodes in execution order (``.type``, ``.name``, ``.inputs``), as ``tf.Graph`` lists its operations."""
        return list(self.nodes)

    def prune(self):
        """Drops nodes whose outputs nothing uses (no output, no stateful op
        reads them): a draw for a variable's initial value runs once, on the
        first call, as it does eagerly."""
        live, kept = set(self.outputs), []
        for n in reversed(self.nodes):
            if not live.isdisjoint(n.outputs) or n.op.mutates or n.op.effect:
                live.update(n.inputs)
                live.update(s for _, s in n.slot_attrs)
                kept.append(n)
        self.nodes = kept[::-1]

    def compile(self):
        """Freezes the nodes into the plain tuples :meth:`run` loops over."""
        self._plan = compiled(self.nodes)
        self._vars = [(s, v) for s, (k, v) in enumerate(zip(self.kinds, self.values)) if k is VARIABLE]
        self._seeded = [n.seed[0] for n in self.nodes if n.seed is not None]
        self._written = [v for n in self.nodes for v in n.writes]
        self.plan = self._native() if native else None

    def _native(self):
        """The C++ plan of this graph, or None when an op needs the Python replay."""
        from tensorlet.ops.registry import REGISTRY
        if not all(REGISTRY.get(n.op.name) is n.op and _core.graph_supports(n.op.name) for n in self.nodes):
            return None
        nodes = [(n.op.name, n.inputs, [None if any(i == j for j, _ in n.slot_attrs) else a for i, a in
                                        enumerate(n.attrs)], n.slot_attrs, n.output, n.seed is not None, n.copy,
                  bool(n.writes)) for n in self.nodes]
        consts = [(s, v) for s, (k, v) in enumerate(zip(self.kinds, self.values)) if k is CONSTANT]
        try:
            return _core.GraphPlan(len(self.kinds), nodes, consts, self.inputs, [s for s, _ in self._vars],
                                   self.outputs)
        except (TypeError, ValueError):  # an attribute the runtime does not take
            return None

    def run(self, args):
        """Runs the graph on the argument arrays; returns the output arrays."""
        if self.plan is not None:
            seeds = [k for s in self._seeded for k in seed_state.next(s)]
            outs = self.plan.run(args, [v._a for _, v in self._vars], seeds)
            for v in self._written:
                v._version += 1
            return outs
        vals = list(self.values)
        for s, v in self._vars:
            vals[s] = v._a
        for s, a in zip(self.inputs, args):
            vals[s] = a
        execute(self._plan, vals)
        return [vals[s] for s in self.outputs]

    def __repr__(self):
        lines = [f"graph {self.name}({', '.join(f'%{s}' for s in self.inputs)}):"]
        for s, (k, v) in enumerate(zip(self.kinds, self.values)):
            if k is VARIABLE:
                lines.append(f"  %{s} = variable '{v.name}'")
            elif k is CONSTANT:
                lines.append(f"  %{s} = constant shape={tuple(v.shape)}")
        lines += [f"  {n!r}" for n in self.nodes]
        lines.append(f"  return {', '.join(f'%{s}' for s in self.outputs)}")
        return "\n".join(lines)

    def as_dot(self):
        """The graph as Graphviz DOT text (``dot -Tpng`` draws it)."""
        lines = [f'digraph "{self.name}" {{', "  rankdir=TB;"]
        producer = {}
        for s, (k, v) in enumerate(zip(self.kinds, self.values)):
            if k is ARG:
                lines.append(f'  s{s} [label="arg %{s}", shape=box];')
            elif k is VARIABLE:
                lines.append(f'  s{s} [label="{v.name}", shape=cylinder];')
            elif k is CONSTANT:
                lines.append(f'  s{s} [label="const {tuple(v.shape)}", shape=note];')
            if k is not NODE:
                producer[s] = f"s{s}"
        for j, n in enumerate(self.nodes):
            lines.append(f'  n{j} [label="{n.op.name}"];')
            for i in n.inputs:
                if i >= 0 and i in producer:
                    lines.append(f"  {producer[i]} -> n{j};")
            if n.writes:
                lines.append(f"  n{j} -> {producer.get(n.output, 'out')} [style=dashed];")
            else:
                producer.update((s, f"n{j}") for s in n.outputs)
        for s in self.outputs:
            lines.append(f'  {producer.get(s, f"s{s}")} -> out;')
        lines.append('  out [shape=doublecircle, label="return"];')
        lines.append("}")
        return "\n".join(lines)


def compiled(nodes):
    """The plain tuples :func:`execute` loops over."""
    return [(n.op.kernel, tuple(n.inputs), n.attrs, n.output, n.slot_attrs or n.seed is not None, n.copy, n.writes, n)
            for n in nodes]


def execute(plan, vals):
    """Runs compiled nodes on ``vals`` (an array per slot), in place."""
    for kernel, inputs, attrs, output, late, copy, writes, n in plan:
        if kernel is None:  # a branch or loop node runs its regions
            n.op.run(n, vals)
            continue
        if late:
            attrs = list(attrs)
            for i, s in n.slot_attrs:
                attrs[i] = Tensor._from_array(vals[s])
            if n.seed is not None:
                attrs[-2:] = seed_state.next(n.seed[0])
        out = kernel(*[None if i < 0 else vals[i] for i in inputs], *attrs)
        if writes:
            for v in writes:
                v._version += 1
        elif type(output) is tuple:
            for s, a in zip(output, out):
                vals[s] = a.copy() if copy else a
        else:
            vals[output] = out.copy() if copy else out


def is_variable(x):
    return type(x) is not Tensor and isinstance(x, Variable)
