"""Fused optimizer updates: one C++ pass per variable and step.

Each function updates a variable and its slot variables (moments,
accumulators) in place, as TensorFlow's ``ResourceApply*`` ops do, instead of
a dozen separate tensor ops each reading and writing the whole variable. The
arithmetic is that of the Keras optimizers' update rules, in the same order
and rounding, so the result equals the op-by-op update bit for bit.

They write through the same path as ``Variable.assign``: into the variable's
own storage (which no tensor shares), after every operand has been checked,
counting one assignment on each variable written. A call that raises leaves
every variable unchanged. Gradients are not recorded by gradient tapes.
"""

from tensorlet import _core
from tensorlet.framework.variable import Variable


def _check(op, name, value, optional=False):
    """Raises unless ``value`` is a Variable (or None for an optional slot)."""
    if not isinstance(value, Variable) and not (optional and value is None):
        raise TypeError(f"{op}: {name} must be a tf.Variable (updated in place), got {type(value).__name__}")


def _grad(op, var, grad):
    """The gradient's array: of ``var``'s dtype, not sharing its storage (as
    ``assign`` reads values) and contiguous. Its shape and the slots' shapes
    and dtypes are checked by the kernel, before it writes anything."""
    _check(op, "var", var)
    g = var._operand(grad, op)._a
    return g if g.is_contiguous() else g.contiguous()


def _wrote(var, *slots):
    # Same bookkeeping as assign: tapes that recorded a read of these see the change.
    var._version += 1
    for s in slots:
        if s is not None:
            s._version += 1
    return var


def _decay(weight_decay):
    return float(weight_decay) if weight_decay else 0.0


def apply_sgd(var, grad, lr, momentum=0.0, nesterov=False, accum=None, weight_decay=None):
    """SGD step, with optional (Nesterov) momentum, in place.

    Without ``accum``: ``var -= grad * lr``. With it:
    ``accum = accum * momentum - grad * lr``, then ``var += accum``, or with
    ``nesterov`` ``var += accum * momentum - grad * lr``.

    Args:
        var: the ``Variable`` to update.
        grad: its gradient: a tensor of ``var``'s dtype and shape (or a value
            converted to it).
        lr: the learning rate, a Python float.
        momentum: the momentum coefficient; used only with ``accum``.
        nesterov: whether to use Nesterov momentum.
        accum: the momentum slot, a ``Variable`` like ``var``, or None for
            plain SGD.
        weight_decay: if nonzero, ``var -= var * lr * weight_decay`` first.

    Returns:
        ``var``.

    Raises:
        TypeError: if ``var`` or ``accum`` is not a Variable, or not float.
        InvalidArgumentError: if shapes or dtypes differ. Nothing changes.
    """
    _check("apply_sgd", "accum", accum, optional=True)
    g = _grad("apply_sgd", var, grad)
    if accum is None and momentum:
        raise ValueError(f"apply_sgd: momentum={momentum} needs the momentum slot `accum`")
    _core.apply_sgd(var._a, None if accum is None else accum._a, g, lr, momentum, bool(nesterov),
                    _decay(weight_decay))
    return _wrote(var, accum)


def apply_rmsprop(var, ms, grad, lr, rho=0.9, epsilon=1e-7, momentum=0.0, mom=None, mg=None, weight_decay=None):
    """RMSprop step (optionally centered, with momentum), in place.

    ``ms = ms * rho + grad**2 * (1 - rho)``; with ``mg`` (centered)
    ``mg = mg * rho + grad * (1 - rho)`` and ``denom = ms - mg**2 + epsilon``,
    else ``denom = ms + epsilon``; ``step = grad * lr / sqrt(denom)``. With
    ``mom``: ``mom = mom * momentum + step``, ``var -= mom``; else ``var -= step``.

    Args:
        var: the ``Variable`` to update.
        ms: the running mean of squared gradients, a ``Variable`` like ``var``.
        grad: its gradient, of ``var``'s dtype and shape.
        lr, rho, epsilon, momentum: Python floats.
        mom: the momentum slot, or None without momentum.
        mg: the running mean of gradients for centered RMSprop, or None.
        weight_decay: if nonzero, ``var -= var * lr * weight_decay`` first.

    Returns:
        ``var``.

    Raises:
        TypeError: if ``var`` or a slot is not a Variable, or not float.
        InvalidArgumentError: if shapes or dtypes differ. Nothing changes.
    """
    _check("apply_rmsprop", "ms", ms)
    _check("apply_rmsprop", "mom", mom, optional=True)
    _check("apply_rmsprop", "mg", mg, optional=True)
    g = _grad("apply_rmsprop", var, grad)
    if mom is None and momentum:
        raise ValueError(f"apply_rmsprop: momentum={momentum} needs the momentum slot `mom`")
    _core.apply_rmsprop(var._a, ms._a, None if mom is None else mom._a, None if mg is None else mg._a, g, lr, rho,
                        momentum, epsilon, _decay(weight_decay))
    return _wrote(var, ms, mom, mg)


def apply_adam(var, m, v, grad, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7, step=1, v_hat=None,
               weight_decay=None):
    """Adam step (optionally AMSGrad), in place.

    ``m += (grad - m) * (1 - beta_1)``; ``v += (grad**2 - v) * (1 - beta_2)``;
    with ``v_hat``: ``v_hat = maximum(v_hat, v)``, used in place of ``v``;
    ``var -= m * alpha / (sqrt(v) + epsilon)`` with
    ``alpha = lr * sqrt(1 - beta_2**step) / (1 - beta_1**step)``.

    Args:
        var: the ``Variable`` to update.
        m, v: the first and second moment slots, ``Variable``s like ``var``.
        grad: its gradient, of ``var``'s dtype and shape.
        lr, beta_1, beta_2, epsilon: Python floats.
        step: this update's 1-based count, for the bias corrections.
        v_hat: the AMSGrad slot (maximum of past ``v``), or None for Adam.
        weight_decay: if nonzero, ``var -= var * lr * weight_decay`` first.

    Returns:
        ``var``.

    Raises:
        TypeError: if ``var`` or a slot is not a Variable, or not float.
        InvalidArgumentError: if shapes or dtypes differ, or ``step < 1``.
            Nothing changes.
    """
    _check("apply_adam", "m", m)
    _check("apply_adam", "v", v)
    _check("apply_adam", "v_hat", v_hat, optional=True)
    g = _grad("apply_adam", var, grad)
    _core.apply_adam(var._a, m._a, v._a, None if v_hat is None else v_hat._a, g, lr, beta_1, beta_2, epsilon,
                     step, _decay(weight_decay))
    return _wrote(var, m, v, v_hat)


def apply_adagrad(var, accum, grad, lr, epsilon=1e-7, weight_decay=None):
    """Adagrad step, in place.

    ``accum += grad**2``; ``var -= grad * lr / sqrt(accum + epsilon)``.

    Args:
        var: the ``Variable`` to update.
        accum: the sum of squared gradients, a ``Variable`` like ``var``.
        grad: its gradient, of ``var``'s dtype and shape.
        lr, epsilon: Python floats.
        weight_decay: if nonzero, ``var -= var * lr * weight_decay`` first.

    Returns:
        ``var``.

    Raises:
        TypeError: if ``var`` or ``accum`` is not a Variable, or not float.
        InvalidArgumentError: if shapes or dtypes differ. Nothing changes.
    """
    _check("apply_adagrad", "accum", accum)
    g = _grad("apply_adagrad", var, grad)
    _core.apply_adagrad(var._a, accum._a, g, lr, epsilon, _decay(weight_decay))
    return _wrote(var, accum)
