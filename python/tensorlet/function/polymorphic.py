"""``tensorlet.function``: trace a Python function once per input signature,
then replay the recorded graph without running the Python body.

The signature of a call is its argument structure, each tensor's shape and
dtype, and every other argument's Python value (variables by identity).
``input_signature`` fixes it; ``reduce_retracing`` relaxes the dims that
differ between traces to None. A graph records concrete shapes, so a new
size in a None dim traces again without counting as a retrace (the Python
body runs again then; a graph over unknown dims is future work).
"""

import functools
import warnings
import weakref

import numpy as np

from tensorlet.framework.convert import convert_to_tensor
from tensorlet.framework.tensor import Tensor
from tensorlet.framework.tensor_spec import TensorSpec
from tensorlet.function.graph import VARIABLE, is_variable
from tensorlet.function.snapshot import state_kept
from tensorlet.function.tracer import OperatorNotAllowedInGraphError, Tracer
from tensorlet.nest import flatten, pack_sequence_as
from tensorlet.ops import registry

_RETRACE_WARNING = 5  # TensorFlow warns after this many traces of one function


class ConcreteFunction:
    """One trace of a :class:`Function`: its :attr:`graph` and a call that
    replays it on tensors of the traced signature."""

    def __init__(self, graph, structure, outputs):
        self.graph = graph
        self._structure = structure   # the return value's structure
        self._outputs = outputs       # per output leaf: a slot index, or a Python value
        self._single = isinstance(structure, Tensor) and graph.kinds[outputs[0].slot] != VARIABLE
        # A flat list or tuple of tensors computed in the graph (a gradient list, say) skips the repacking.
        flat = type(structure) in (list, tuple) and all(
            type(o) is _Slot and graph.kinds[o.slot] != VARIABLE for o in outputs) and len(outputs) == len(structure)
        self._flat = type(structure) if flat and all(type(x) is Tensor for x in structure) else None
        graph.compile()

    @property
    def structured_outputs(self):
        """The return value's structure, each tensor in it as a ``TensorSpec``."""
        return pack_sequence_as(self._structure, [TensorSpec(x.shape, x.dtype) if isinstance(x, Tensor) else x
                                                  for x in flatten(self._structure)])

    def _replay(self, tensors):
        graph = self.graph
        arrays = graph.run([t._a for t in tensors])
        if self._single:  # the usual return value: one tensor computed in the graph
            return Tensor._from_array(arrays[0])
        if self._flat is not None:
            return self._flat(map(Tensor._from_array, arrays))
        kinds, leaves, k = graph.kinds, [], 0
        for o in self._outputs:
            if type(o) is _Slot:
                a = arrays[k]
                k += 1
                leaves.append(Tensor._from_array(a.copy() if kinds[o.slot] is VARIABLE else a))
            else:
                leaves.append(o)
        return pack_sequence_as(self._structure, leaves)

    def __call__(self, *args, **kwargs):
        return self._replay([convert_to_tensor(x) for x in flatten((args, kwargs)) if _is_tensorish(x)])


class _Slot:
    __slots__ = ("slot",)

    def __init__(self, slot):
        self.slot = slot


class Function:
    """A Python function compiled by tracing; see :func:`function`."""

    _run_eagerly = False  # tensorlet.config.run_functions_eagerly

    def __init__(self, python_function, input_signature=None, reduce_retracing=False, jit_compile=None, name=None):
        self.python_function = python_function
        self.input_signature = None if input_signature is None else list(input_signature)
        self.reduce_retracing = reduce_retracing
        self.jit_compile = jit_compile
        self.name = name or getattr(python_function, "__name__", "function")
        self._concrete = {}      # concrete key -> ConcreteFunction
        self._signatures = {}    # relaxed key -> its dims so far (reduce_retracing)
        self._traces = 0
        self._eager = None       # why the body runs eagerly on every call (a trace that must not be replayed)
        self._descriptor_cache = weakref.WeakKeyDictionary()
        functools.update_wrapper(self, python_function)

    def __get__(self, instance, owner):
        # A decorated method: one Function per instance, bound to it.
        if instance is None:
            return self
        bound = self._descriptor_cache.get(instance)
        if bound is None:
            bound = Function(self.python_function.__get__(instance, owner), self.input_signature,
                             self.reduce_retracing, self.jit_compile, self.name)
            self._descriptor_cache[instance] = bound
        return bound

    def experimental_get_tracing_count(self):
        """How many times the Python function was traced (relaxed signatures)."""
        return self._traces

    def __call__(self, *args, **kwargs):
        if registry.observers or self._eager or self._run_eagerly:
            # A tape or an enclosing trace is recording (run the body so it sees every op), or the body reads
            # data a graph would freeze.
            return self.python_function(*args, **kwargs)
        if not kwargs:  # the usual call: tensors only
            key, tensors = _fast_key(args)
            if key is not None:
                concrete = self._concrete.get(key)
                if concrete is not None:
                    return concrete._replay(tensors)
        key, tensors = self._key(args, kwargs)
        concrete = self._concrete.get(key)
        if concrete is None:
            return self._trace(key, args, kwargs)[1]
        return concrete._replay(tensors)

    def get_concrete_function(self, *args, **kwargs):
        """The trace for these arguments (tensors, or ``TensorSpec``\\ s of known
        shape, which are traced with zeros), tracing if needed. Tracing this way
        runs the body (its Python side effects) but leaves every variable as
        it was.

        Returns:
            A :class:`ConcreteFunction`; ``.graph`` lists its ops.
        """
        if not args and not kwargs and self.input_signature is not None:
            args = tuple(self.input_signature)
        args, kwargs = pack_sequence_as((args, kwargs), [_zeros(x) for x in flatten((args, kwargs))])
        key, _ = self._key(args, kwargs)
        concrete = self._concrete.get(key)
        if concrete is None:
            with state_kept():
                try:
                    concrete = self._trace(key, args, kwargs)[0]
                    if concrete is None:
                        raise OperatorNotAllowedInGraphError(
                            f"tensorlet.function {self.name} cannot be traced into a graph: {self._eager}")
                finally:
                    for v, initial in self._tracer.created:  # created by this trace: back to their initial values
                        v._a = initial
                    self._tracer = None
        return concrete

    # ---- signatures ----------------------------------------------------------
    def _key(self, args, kwargs):
        leaves = flatten((args, kwargs))
        if self.input_signature is not None:
            self._check_signature(args, kwargs, leaves)
        parts, tensors = [], []
        for x in leaves:
            if _is_tensorish(x):
                t = x if isinstance(x, Tensor) else convert_to_tensor(x)
                if is_variable(t):
                    parts.append(("variable", id(t)))
                    continue
                tensors.append(t)
                parts.append((t._a.shape, t._a.dtype_code))
            else:
                try:
                    hash(x)
                    parts.append((type(x), x))
                except TypeError:
                    parts.append((type(x), id(x)))
        structure = pack_sequence_as((args, kwargs), [0] * len(leaves))
        return (repr(structure), tuple(parts)), tensors

    def _check_signature(self, args, kwargs, leaves):
        specs = self.input_signature
        if kwargs or len(args) != len(specs):
            raise TypeError(f"tensorlet.function {self.name}: called with {len(args)} positional and "
                            f"{len(kwargs)} keyword arguments; its input_signature has {len(specs)} entries")
        for spec, x in zip(flatten(specs), leaves):
            t = convert_to_tensor(x) if not isinstance(x, Tensor) else x
            if isinstance(spec, TensorSpec) and not spec.is_compatible_with(t):
                raise TypeError(f"tensorlet.function {self.name}: argument of shape {tuple(t.shape)} and dtype "
                                f"{t.dtype.name} does not match its input_signature {spec}")

    def _counts(self, key):
        """Whether tracing for ``key`` counts as a retrace: a concrete shape
        that a relaxed signature (``input_signature``, or ``reduce_retracing``
        after dims varied) already covers does not."""
        if self.input_signature is not None:
            return not self._concrete
        if not self.reduce_retracing:
            return True
        shapes = [p[0] if type(p[0]) is tuple else None for p in key[1]]
        free = (key[0], tuple((len(p[0]), p[1]) if type(p[0]) is tuple else p for p in key[1]))
        seen = self._signatures.get(free)
        if seen is None:
            self._signatures[free] = shapes
            return True
        if all(a is None or all(d is None or d == e for d, e in zip(a, b)) for a, b in zip(seen, shapes)):
            return False
        self._signatures[free] = [None if a is None else tuple(d if d == e else None for d, e in zip(a, b))
                                  for a, b in zip(seen, shapes)]
        return True

    # ---- tracing -------------------------------------------------------------
    def _trace(self, key, args, kwargs):
        counted = self._counts(key)
        tracer = self._tracer = Tracer(self.name, allow_variables=not self._concrete)
        leaves = flatten((args, kwargs))
        new_leaves = []
        for x in leaves:
            if _is_tensorish(x) and not is_variable(x):
                t = Tensor._from_array(convert_to_tensor(x)._a)  # one tensor object per argument
                tracer.add_argument(t)
                new_leaves.append(t)
            else:
                new_leaves.append(x)
        args, kwargs = pack_sequence_as((args, kwargs), new_leaves)
        with tracer:
            result = self.python_function(*args, **kwargs)
        if tracer.eager_reason:  # this call ran eagerly (its result is right); so will later ones
            self._eager = tracer.eager_reason
            warnings.warn(f"tensorlet.function {self.name} runs eagerly on every call: {self._eager}. Iterate "
                          "outside the function and call it once per batch to compile it.", stacklevel=3)
            return None, result
        tracer.check()
        out_leaves = flatten(result)
        outputs = []
        for x in out_leaves:
            if isinstance(x, Tensor):
                s = tracer.output_slot(x)
                tracer.graph.outputs.append(s)
                outputs.append(_Slot(s))
            else:
                outputs.append(x)
        tracer.graph.prune()
        tracer.keep = tracer.slots = tracer.by_array = tracer.traced = None  # the trace's tensors can go now
        concrete = ConcreteFunction(tracer.graph, result, outputs)
        concrete._created = tracer.created
        self._concrete[key] = concrete
        if counted:
            self._traces += 1
            if self._traces > _RETRACE_WARNING:
                warnings.warn(
                    f"tensorlet.function {self.name} has been traced {self._traces} times. Tracing is expensive: "
                    "pass tensors rather than Python numbers that change between calls, keep shapes fixed, or "
                    "use input_signature=[tf.TensorSpec(...)] or reduce_retracing=True so dims can vary.",
                    stacklevel=3)
        return concrete, pack_sequence_as(result, [_fresh(x) for x in out_leaves])

    def __repr__(self):
        return f"<tensorlet.function {self.name}>"


_NONE = (type(None), None)
_FLAT = {}  # number of arguments -> the structure part of a key of that many tensors


def _fast_key(args):
    """The key ``_key`` gives a call of plain tensors and Nones (a Keras step's
    ``(x, y, None)``), cheaply, and the tensors; else ``(None, args)``."""
    parts = []
    for a in args:
        if type(a) is Tensor:
            parts.append((a._a.shape, a._a.dtype_code))
        elif a is None:
            parts.append(_NONE)
        else:
            return None, args
    n = len(args)
    structure = _FLAT.get(n)
    if structure is None:
        structure = _FLAT[n] = repr(pack_sequence_as((args, {}), [0] * n))
    if _NONE in parts:
        args = [a for a in args if a is not None]
    return (structure, tuple(parts)), args


def _fresh(x):
    """An output as the caller gets it: a variable's value, not the variable."""
    return Tensor._from_array(x._a.copy()) if is_variable(x) else x


def _is_tensorish(x):
    return isinstance(x, (Tensor, np.ndarray))


def _zeros(x):
    if isinstance(x, TensorSpec):
        if x.shape.rank is None or None in tuple(x.shape):
            raise ValueError(f"get_concrete_function: a TensorSpec needs a known shape to trace here, got {x}")
        return convert_to_tensor(np.zeros(tuple(x.shape), x.dtype.as_numpy_dtype))
    return x


def function(func=None, input_signature=None, autograph=True, jit_compile=None, reduce_retracing=False,
             experimental_relax_shapes=None, name=None, **kwargs):
    """Compiles a Python function into a traced graph, as ``tf.function``.

    The first call with a new input signature (argument structure, tensor
    shapes and dtypes, Python values of other arguments) runs the function
    once while recording every op; later calls with the same signature replay
    the recording without running the Python body. Python side effects
    (``print``, appending to a list) happen only while tracing;
    ``tensorlet.print`` runs on every call. Variables may be created only on
    the first trace. An ``if`` or ``while`` on a tensor's value raises
    (use :func:`tensorlet.cond` / :func:`tensorlet.while_loop`). While a
    ``GradientTape`` outside the function records, calls run the body
    eagerly so the tape sees each op.

    Args:
        func: the function (or method); omitted when used as ``@function(...)``.
        input_signature: a list of ``tf.TensorSpec`` fixing the signature
            (None dims accept any size).
        autograph: accepted for compatibility; Python control flow is
            unrolled at trace time.
        jit_compile: accepted; fusion comes with the C++ graph runtime.
        reduce_retracing: relax dims that change between calls to None.
        experimental_relax_shapes: older name of ``reduce_retracing``.
        name: the function's name in messages and graphs.

    Returns:
        A :class:`Function` (or a decorator making one).
    """
    relax = bool(reduce_retracing or experimental_relax_shapes)

    def make(f):
        return Function(f, input_signature, relax, jit_compile, name)

    return make if func is None else make(func)
