"""Variable updates as registered stateful ops: ``assign``, ``assign_add`` and
``assign_sub``, of a whole variable or of a slice of it.

Each writes into the variable's own storage (which no tensor shares) after
every operand has been checked, so a call that raises changes nothing, and
goes through the one hot path, so the observers of the op path see every
change. ``Variable.assign`` and friends are these functions, attached in
``ops/operators.py``.
"""

import numpy as np

from tensorlet import _core
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.tensor_shape import TensorShape
from tensorlet.framework.variable import Variable, _fits, _items_text
from tensorlet.ops import _helpers as h
from tensorlet.ops.registry import op_function, register

_ADD, _SUB = _core.BinaryOp.add, _core.BinaryOp.subtract


def _update_ref(fn):
    def ref(var, value, items):
        out = np.array(var, copy=True)
        if items is None:
            out[...] = fn(out, value)
        else:
            out[items] = fn(out[items], value)
        return out
    return ref


def _samples(rng, dt):
    v = lambda s: h.sample_values(rng, s, dt)  # noqa: E731
    return [((v((3, 4)), v((3, 4))), (None,)), ((v(()), v(())), (None,)),
            ((v((3, 4)), v((4,))), ((slice(1, None),),)), ((v((3, 4)), v(())), ((0, 2),)),
            ((v((2, 3, 4)), v((3, 1))), ((Ellipsis, slice(None, None, 2)),))]


def _register(name, kernel, fn):
    return register(name, kernel, mutates=(0,), shape=lambda shapes, attrs: tuple(shapes[0]), dtype=h.first_dtype,
                    ref=_update_ref(fn), samples=_samples, dtypes=("float32", "float64", "int32", "int64"))


def _assign_kernel(t, v, items):
    _core.copy_into(t if items is None else t.index(items), v)


def _add_kernel(t, v, items):
    t = t if items is None else t.index(items)
    _core.binary_into(t, t, v, _ADD)


def _sub_kernel(t, v, items):
    t = t if items is None else t.index(items)
    _core.binary_into(t, t, v, _SUB)


_assign = _register("assign", _assign_kernel, lambda t, v: v)
_assign_add = _register("assign_add", _add_kernel, lambda t, v: t + v)
_assign_sub = _register("assign_sub", _sub_kernel, lambda t, v: t - v)


def _checked(op):
    """Checks ``variable op= value`` (of ``variable[items]`` when ``items``
    is not None) before anything is written."""
    def convert(ref, value, items, *rest):
        if not isinstance(ref, Variable):
            raise TypeError(f"{op}: expected a tf.Variable to update, got {type(ref).__name__}")
        value = ref._operand(value, op)
        vs = value._a.shape
        if items is None:
            if op == "assign" and _fits(vs, ref._shape_spec):
                if vs != ref._a.shape:  # a None dim of the variable's shape takes the value's size
                    ref._a = value._a.copy()
                return (ref, value, items, *rest)
            ok, ts = vs == ref._a.shape, ref._a.shape
        else:
            ts = ref._a.index(items).shape
            ok = _broadcasts(vs, ts)
        if not ok:
            where = f"variable '{ref.name}' of shape {ref.shape}"
            if items is not None:
                where = f"the slice {_items_text(items)} of shape {TensorShape(ts)} of " + where
            raise InvalidArgumentError(f"{op}: a value of shape {TensorShape(vs)} does not fit {where}")
        if op != "assign" and not (ref.dtype.is_floating or ref.dtype.is_integer):
            raise TypeError(f"{op}: not defined for variable '{ref.name}' of dtype {ref.dtype.name}")
        return (ref, value, items, *rest)
    return convert


# The fast path: a whole variable updated with a tensor of its shape and dtype
# (no tensor shares a variable's storage: every read of one is a copy).
_FAST = ("items is None and type(value) is Tensor and type(ref) is Variable and value._a.shape == ref._a.shape "
         "and value._a.dtype == ref._a.dtype")


def _function(op, doc):
    return op_function(op, "ref, value, items=None", ("ref", "value"), ("items",), fast=_FAST,
                       convert=_checked(op.name), doc=doc, env={"Variable": Variable})


def variable_method(fn):
    """``fn`` (``assign``...) as the method of Variable that updates the whole
    variable: generated like ``fn``, so a call costs no extra frame."""
    op = fn.op
    return op_function(op, "ref, value, use_locking=None, name=None, read_value=True", ("ref", "value"), ("items",),
                       fixed={"items": None}, fast=_FAST, convert=_checked(op.name), env={"Variable": Variable},
                       doc=fn.__doc__)


_DOC = """{what}

Args:
    ref: the ``Variable``.
    value: a tensor of the variable's dtype, or a Python value or numpy array
        (converted to it), of the variable's shape (for a slice: broadcast to
        the slice's shape).
    items: the slice's index items, or None for the whole variable.

Returns:
    The variable.

Raises:
    InvalidArgumentError: if the shape does not fit or ``value`` is a tensor
        of another dtype. The variable is left unchanged.
    TypeError: if ``ref`` is not a Variable{extra}."""

assign = _function(_assign, _DOC.format(what="Writes ``value`` into the variable ``ref``.", extra="."))
assign_add = _function(_assign_add, _DOC.format(
    what="Adds ``value`` to the variable ``ref`` in place.", extra=", or for a bool variable."))
assign_sub = _function(_assign_sub, _DOC.format(
    what="Subtracts ``value`` from the variable ``ref`` in place.", extra=", or for a bool variable."))


def _broadcasts(src, dst):
    if len(src) > len(dst):
        return False
    return all(s == 1 or s == d for s, d in zip(src[::-1], dst[::-1]))

