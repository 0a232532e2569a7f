"""``tensorlet.custom_gradient``: a function with a gradient of its own."""

import functools
import inspect

from tensorlet.framework.convert import convert_to_tensor
from tensorlet.framework.tensor import Tensor
from tensorlet.autodiff.tape import GradientTape, _zeros_like
from tensorlet.framework.variable import Variable
from tensorlet.ops import registry
from tensorlet.ops.registry import Op, observers


class _VariableWatcher:
    """Stands in for the tapes while the decorated function runs: records
    nothing, only notes the trainable variables the function reads."""

    def __init__(self):
        self.variables = {}

    def _record(self, op, inputs, attrs, out):
        for x in inputs:
            if isinstance(x, Variable) and x.trainable:
                self.variables[id(x)] = x


def custom_gradient(f=None):
    """Decorates a function that computes its value and its own gradient, as
    ``tf.custom_gradient``.

    ``f(*args, **kwargs)`` returns ``(y, grad_fn)``; tapes do not record the
    ops inside ``f``, they record one op from ``args`` to ``y`` whose gradient
    is ``grad_fn(dy)``, returning one gradient (or None) per positional
    argument. If ``f`` reads trainable variables, ``grad_fn`` must accept a
    keyword argument ``variables`` and return ``(arg_grads, variable_grads)``.
    When ``y`` is a list or tuple of tensors, ``grad_fn`` receives one ``dy``
    per output.

    Example::

        @tf.custom_gradient
        def clip_gradient(x):
            def grad(dy):
                return tf.clip_by_value(dy, -1.0, 1.0)
            return tf.identity(x), grad

    Args:
        f: the function.

    Returns:
        The decorated function.

    Raises:
        TypeError: (when called) if ``f`` reads variables and ``grad_fn`` does
            not accept ``variables``.
    """
    if f is None:
        return custom_gradient

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        if not any(isinstance(o, GradientTape) for o in observers):
            return f(*args, **kwargs)[0]
        # The tapes do not see the ops inside f (the watcher stands in for
        # them); other observers (a tracer) do, as they compute the value.
        watcher = _VariableWatcher()
        saved = observers[:]
        observers[:] = [o for o in saved if not isinstance(o, GradientTape)] + [watcher]
        try:
            result, grad_fn = f(*args, **kwargs)
        finally:
            observers[:] = saved
        inputs = [_as_input(a) for a in args]
        used = [i for i, x in enumerate(inputs) if x is not None]
        input_ids = {id(inputs[i]) for i in used}
        variables = [v for k, v in watcher.variables.items() if k not in input_ids]
        takes_variables = _accepts_variables(grad_fn)
        if variables and not takes_variables:
            raise TypeError(f"custom_gradient: {f.__name__} reads the variables "
                            f"{[v.name for v in variables]}, so its gradient function must accept a keyword "
                            "argument `variables` and return (input_gradients, variable_gradients)")
        outs = list(result) if isinstance(result, (list, tuple)) else [result]
        outs = [_fresh(o) for o in outs]
        all_inputs = tuple(inputs[i] for i in used) + tuple(variables)

        def grad(dys, _inputs, _attrs, _out):  # one call for all outputs; zeros for an unused one
            dys = [_zeros_like(o) if d is None else d for d, o in zip(dys, outs)]
            res = grad_fn(*dys, variables=variables) if takes_variables else grad_fn(*dys)
            arg_grads, var_grads = res if takes_variables else (res, ())
            if not isinstance(arg_grads, (list, tuple)):
                arg_grads = [arg_grads]
            if len(arg_grads) != len(args):
                raise ValueError(f"custom_gradient: the gradient function of {f.__name__} returned "
                                 f"{len(arg_grads)} gradients for {len(args)} arguments")
            return tuple(arg_grads[i] for i in used) + tuple(var_grads or [None] * len(variables))

        # One op (with an output per output of f) whose "kernel" hands back
        # the outputs already computed, so the one hot path wraps them and
        # offers them to the tapes.
        arrays = [o._a for o in outs]
        name = f"custom_gradient:{f.__name__}"
        if len(outs) == 1:
            op = Op(name, lambda *_: arrays[0], lambda dy, *a: grad([dy], *a), None, None, None, None, None, ())
            outs = [registry.apply(op, all_inputs)]
        else:
            op = Op(name, lambda *_: arrays, grad, None, None, None, None, None, (), outputs=len(outs))
            outs = list(registry.apply_multi(op, all_inputs))
        if isinstance(result, (list, tuple)):
            return type(result)(outs)
        return outs[0]

    return wrapper


def _as_input(a):
    if isinstance(a, Tensor):
        return a
    try:
        return convert_to_tensor(a)
    except (TypeError, ValueError):
        return None  # not a tensor argument (a flag, a callable ...): it gets no gradient


def _fresh(out):
    """The output's array, never aliasing a variable's storage."""
    out = convert_to_tensor(out)
    return Tensor._from_array(out._a.copy()) if isinstance(out, Variable) else out


def _accepts_variables(fn):
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "variables" or p.kind is p.VAR_KEYWORD for p in params)
