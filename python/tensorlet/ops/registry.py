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
            None otherwise.
        diff: per input, whether it can receive a gradient.
        shape: ``shape(input_shapes, attrs) -> output shape`` (tuples, None for
            unknown dims).
        dtype: ``dtype(input_dtypes, attrs) -> output DType``.
        ref: numpy reference, ``ref(*ndarrays, *attrs) -> ndarray``.
        samples: ``samples(rng, dtype) -> [(ndarrays, attrs), ...]``.
        dtypes: names of the dtypes the generic tests run it in.
    """

    __slots__ = ("name", "kernel", "grad", "input_grads", "diff", "shape", "dtype", "ref", "samples", "dtypes")

    def __init__(self, name, kernel, grad, diff, shape, dtype, ref, samples, dtypes):
        self.name = name
        self.kernel = kernel
        self.input_grads = None
        if isinstance(grad, tuple):
            self.input_grads = grad
            grad = _all_inputs(grad)
        self.grad = grad
        self.diff = diff
        self.shape = shape
        self.dtype = dtype
        self.ref = ref
        self.samples = samples
        self.dtypes = dtypes

    def __repr__(self):
        return f"<Op {self.name}>"


def _all_inputs(input_grads):
    def grad(dy, inputs, attrs, out):
        return tuple(f(dy, inputs, attrs, out) for f in input_grads)
    return grad


def register(name, kernel, *, grad=None, diff=None, shape=None, dtype=None, ref=None, samples=None,
             dtypes=("float32", "float64")):
    """Registers an op and returns its :class:`Op`. Names must be unique.

    ``grad`` is one function returning a tuple of per-input gradients, or a
    tuple of functions, one per input (see :class:`Op`)."""
    if name in REGISTRY:
        raise ValueError(f"op {name!r} is registered twice")
    op = Op(name, kernel, grad, diff, shape, dtype, ref, samples, dtypes)
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
