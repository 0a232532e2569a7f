"""The op registry: one definition per op, and the one hot path that runs it.

An :class:`Op` holds everything about an op: its name, the ``_core`` kernel,
its shape and dtype rules (for symbolic shape inference and the generic
tests), its gradient (a function written in tensorlet ops, so gradients are
differentiable too), which inputs are differentiable, a numpy reference and
sample inputs for the generic tests.

:func:`apply` is the hot path every op goes through: it calls the kernel on
the inputs' arrays, wraps the result, and hands the op to the active gradient
tapes when there are any (one test of a module-level list otherwise).
"""

from tensorlet.framework.tensor import Tensor

# Active gradient tapes, innermost last; maintained by tensorlet.autodiff.
active_tapes = []

REGISTRY = {}

_new_tensor = Tensor._from_array


class Op:
    """One registered op.

    Attributes:
        name: the op's public name (``'add'``).
        kernel: the ``_core`` function, called as ``kernel(*arrays, *attrs)``.
        grad: ``grad(dy, inputs, attrs, output) -> tuple`` with one gradient (or
            None) per input, or None for a non-differentiable op.
        input_grads: when the op was registered with one gradient function per
            input (``grad=(f0, f1, ...)``, each ``f(dy, inputs, attrs, output)``
            returning one gradient), those functions, so a tape computes only
            the gradients it needs (not the gradient of a constant operand);
            None otherwise. An op with optional trailing inputs lists a
            function for each possible input.
        grad_prep: with ``input_grads``, an optional ``prep(dy, inputs,
            attrs, output)`` computing what all of them share (a Dense op's
            gradient at its pre-activation, say): run once per backward
            step, its result is passed to each of them in place of ``dy``.
        diff: per input, whether it can receive a gradient.
        shape: ``shape(input_shapes, attrs) -> output shape`` (tuples, None for
            unknown dims).
        dtype: ``dtype(input_dtypes, attrs) -> output DType``.
        ref: numpy reference, ``ref(*ndarrays, *attrs) -> ndarray``.
        samples: ``samples(rng, dtype) -> [(ndarrays, attrs), ...]``.
        dtypes: names of the dtypes the generic tests run it in.
    """

    __slots__ = ("name", "kernel", "grad", "input_grads", "grad_prep", "diff", "shape", "dtype", "ref", "samples", "dtypes")

    def __init__(self, name, kernel, grad, diff, shape, dtype, ref, samples, dtypes, grad_prep=None):
        self.name = name
        self.kernel = kernel
        self.input_grads = None
        self.grad_prep = grad_prep
        if isinstance(grad, tuple):
            self.input_grads = grad
            grad = _all_inputs(grad, grad_prep)
        self.grad = grad
        self.diff = diff
        self.shape = shape
        self.dtype = dtype
        self.ref = ref
        self.samples = samples
        self.dtypes = dtypes

    def __repr__(self):
        return f"<Op {self.name}>"


def _all_inputs(input_grads, prep):
    def grad(dy, inputs, attrs, out):
        if prep is not None:
            dy = prep(dy, inputs, attrs, out)
        return tuple(f(dy, inputs, attrs, out) for f in input_grads[:len(inputs)])
    return grad


def register(name, kernel, *, grad=None, diff=None, shape=None, dtype=None, ref=None, samples=None,
             dtypes=("float32", "float64"), grad_prep=None):
    """Registers an op and returns its :class:`Op`. Names must be unique.

    ``grad`` is one function returning a tuple of per-input gradients, or a
    tuple of functions, one per input, optionally with ``grad_prep`` (see
    :class:`Op`)."""
    if name in REGISTRY:
        raise ValueError(f"op {name!r} is registered twice")
    if grad_prep is not None and not isinstance(grad, tuple):
        raise ValueError(f"op {name!r}: grad_prep needs one gradient function per input")
    op = Op(name, kernel, grad, diff, shape, dtype, ref, samples, dtypes, grad_prep)
    REGISTRY[name] = op
    return op


def apply(op, inputs, *attrs):
    """Runs ``op`` on ``inputs`` (Tensors) with ``attrs``; returns a Tensor."""
    out = _new_tensor(op.kernel(*[t._a for t in inputs], *attrs))
    if active_tapes:
        record(op, inputs, attrs, out)
    return out


def record(op, inputs, attrs, out):
    """Offers one op execution to every active tape."""
    for tape in active_tapes:
        tape._record(op, inputs, attrs, out)
