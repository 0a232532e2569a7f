"""Fused optimizer updates: one C++ pass per variable and step.

Each function updates a variable and its slot variables (moments,
accumulators) in place, as TensorFlow's ``ResourceApply*`` ops do, instead of
a dozen separate tensor ops each reading and writing the whole variable. The
arithmetic is that of the Keras optimizers' update rules, in the same order
and rounding, so the result equals the op-by-op update bit for bit.

Each is a registered stateful op (mutating the variable and its slots) that
goes through the one hot path, as ``Variable.assign`` does: it writes into the
variables' own storage (which no tensor shares) after every operand has been
checked, counting one assignment on each variable written, and the op path's
observers see it. A call that raises leaves every variable unchanged. They
are not differentiable. Published as ``tensorlet.raw_ops``.
"""

import numpy as np

from tensorlet import _core
from tensorlet.framework.variable import Variable
from tensorlet.ops import _helpers as h
from tensorlet.ops.registry import op_function, register


def _check(op, name, value, optional=False):
    """Raises unless ``value`` is a Variable (or None for an optional slot)."""
    if not isinstance(value, Variable) and not (optional and value is None):
        raise TypeError(f"{op}: {name} must be a tf.Variable (updated in place), got {type(value).__name__}")


def _grad(op, var, grad):
    """The gradient: of ``var``'s dtype, not sharing its storage (as ``assign``
    reads values) and contiguous. Its shape and the slots' shapes and dtypes
    are checked by the kernel, before it writes anything."""
    _check(op, "var", var)
    g = var._operand(grad, op)
    return g if g._a.is_contiguous() else h.Tensor._from_array(g._a.contiguous())


def _decay(weight_decay):
    return float(weight_decay) if weight_decay else 0.0


# ---- numpy references (the new values of the variables written) ----------------

def _decayed(w, lr, wd):
    return w - w * w.dtype.type(lr * wd) if wd else w


def _ref_sgd(w, m, g, lr, momentum, nesterov, wd):
    c, w = w.dtype.type, _decayed(w, lr, wd)
    if m is None:
        return w - g * c(lr), None
    m = m * c(momentum) - g * c(lr)
    return (w + (m * c(momentum) - g * c(lr)) if nesterov else w + m), m


def _ref_rmsprop(w, s, mom, mg, g, lr, rho, momentum, eps, wd):
    c, w = w.dtype.type, _decayed(w, lr, wd)
    s = s * c(rho) + g * g * c(1.0 - rho)
    if mg is not None:
        mg = mg * c(rho) + g * c(1.0 - rho)
    step = g * c(lr) / np.sqrt(s + c(eps) if mg is None else s - mg * mg + c(eps))
    if mom is not None:
        mom = mom * c(momentum) + step
    return w - (step if mom is None else mom), s, mom, mg


def _ref_adam(w, m, v, vh, g, lr, b1, b2, eps, t, wd):
    c, w = w.dtype.type, _decayed(w, lr, wd)
    alpha = lr * np.sqrt(1.0 - b2 ** t) / (1.0 - b1 ** t)
    m = m + (g - m) * c(1.0 - b1)
    v = v + (g * g - v) * c(1.0 - b2)
    vh = None if vh is None else np.maximum(vh, v)
    return w - m * c(alpha) / (np.sqrt(v if vh is None else vh) + c(eps)), m, v, vh


def _ref_adagrad(w, acc, g, lr, eps, wd):
    c, w = w.dtype.type, _decayed(w, lr, wd)
    acc = acc + g * g
    return w - g * c(lr) / np.sqrt(acc + c(eps)), acc


def _samples(n_slots, optional, attrs, small=()):
    """Variable and slots of one shape (optional slots absent and present), then
    the gradient; ``small`` slots in [-0.1, 0.1] (centered RMSprop's mean)."""
    def samples(rng, dt):
        out = []
        for shape in ((5, 3), (7,)):
            v = lambda lo=-1.0, hi=1.0: h.sample_values(rng, shape, dt, lo, hi)  # noqa: E731
            for present in (False, True):
                slots = [(v(-0.1, 0.1) if i in small else v(0.1, 1.0)) if i not in optional or present else None
                         for i in range(n_slots)]
                out.append(([v()] + slots + [v()], attrs))
        return out
    return samples


def _register(name, kernel, mutates, ref, samples):
    return register(name, kernel, mutates=mutates, shape=lambda shapes, attrs: tuple(shapes[0]), dtype=h.first_dtype,
                    ref=ref, samples=samples)


# ---- the updates -----------------------------------------------------------------

def _sgd_convert(var, accum, grad, lr, momentum, nesterov, weight_decay):
    _check("apply_sgd", "accum", accum, optional=True)
    g = _grad("apply_sgd", var, grad)
    if accum is None and momentum:
        raise ValueError(f"apply_sgd: momentum={momentum} needs the momentum slot `accum`")
    return var, accum, g, lr, momentum, bool(nesterov), _decay(weight_decay)


apply_sgd = op_function(
    _register("apply_sgd", _core.apply_sgd, (0, 1), _ref_sgd, _samples(1, (0,), (0.1, 0.9, True, 0.01))),
    "var, grad, lr, momentum=0.0, nesterov=False, accum=None, weight_decay=None, name=None",
    ("var", "accum", "grad"), ("lr", "momentum", "nesterov", "weight_decay"), fast="False", convert=_sgd_convert,
    optional=("accum",), doc='''SGD step, with optional (Nesterov) momentum, in place.

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
    name: ignored.

Returns:
    ``var``.

Raises:
    TypeError: if ``var`` or ``accum`` is not a Variable, or not float.
    InvalidArgumentError: if shapes or dtypes differ. Nothing changes.''')


def _rmsprop_convert(var, ms, mom, mg, grad, lr, rho, momentum, epsilon, weight_decay):
    _check("apply_rmsprop", "ms", ms)
    _check("apply_rmsprop", "mom", mom, optional=True)
    _check("apply_rmsprop", "mg", mg, optional=True)
    g = _grad("apply_rmsprop", var, grad)
    if mom is None and momentum:
        raise ValueError(f"apply_rmsprop: momentum={momentum} needs the momentum slot `mom`")
    return var, ms, mom, mg, g, lr, rho, momentum, epsilon, _decay(weight_decay)


apply_rmsprop = op_function(
    _register("apply_rmsprop", _core.apply_rmsprop, (0, 1, 2, 3), _ref_rmsprop,
              _samples(3, (1, 2), (0.1, 0.9, 0.5, 1e-7, 0.0), small=(2,))),
    "var, ms, grad, lr, rho=0.9, epsilon=1e-7, momentum=0.0, mom=None, mg=None, weight_decay=None, name=None",
    ("var", "ms", "mom", "mg", "grad"), ("lr", "rho", "momentum", "epsilon", "weight_decay"), fast="False",
    convert=_rmsprop_convert, optional=("mom", "mg"),
    doc='''RMSprop step (optionally centered, with momentum), in place.

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
    name: ignored.

Returns:
    ``var``.

Raises:
    TypeError: if ``var`` or a slot is not a Variable, or not float.
    InvalidArgumentError: if shapes or dtypes differ. Nothing changes.''')


def _adam_convert(var, m, v, v_hat, grad, lr, beta_1, beta_2, epsilon, step, weight_decay):
    _check("apply_adam", "m", m)
    _check("apply_adam", "v", v)
    _check("apply_adam", "v_hat", v_hat, optional=True)
    g = _grad("apply_adam", var, grad)
    return var, m, v, v_hat, g, lr, beta_1, beta_2, epsilon, step, _decay(weight_decay)


apply_adam = op_function(
    _register("apply_adam", _core.apply_adam, (0, 1, 2, 3), _ref_adam,
              _samples(3, (2,), (0.1, 0.9, 0.999, 1e-7, 3, 0.01))),
    "var, m, v, grad, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7, step=1, v_hat=None, weight_decay=None, name=None",
    ("var", "m", "v", "v_hat", "grad"), ("lr", "beta_1", "beta_2", "epsilon", "step", "weight_decay"), fast="False",
    convert=_adam_convert, optional=("v_hat",), doc='''Adam step (optionally AMSGrad), in place.

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
    name: ignored.

Returns:
    ``var``.

Raises:
    TypeError: if ``var`` or a slot is not a Variable, or not float.
    InvalidArgumentError: if shapes or dtypes differ, or ``step < 1``.
        Nothing changes.''')


def _adagrad_convert(var, accum, grad, lr, epsilon, weight_decay):
    _check("apply_adagrad", "accum", accum)
    return var, accum, _grad("apply_adagrad", var, grad), lr, epsilon, _decay(weight_decay)


apply_adagrad = op_function(
    _register("apply_adagrad", _core.apply_adagrad, (0, 1), _ref_adagrad, _samples(1, (), (0.1, 1e-7, 0.01))),
    "var, accum, grad, lr, epsilon=1e-7, weight_decay=None, name=None", ("var", "accum", "grad"),
    ("lr", "epsilon", "weight_decay"), fast="False", convert=_adagrad_convert, doc='''Adagrad step, in place.

``accum += grad**2``; ``var -= grad * lr / sqrt(accum + epsilon)``.

Args:
    var: the ``Variable`` to update.
    accum: the sum of squared gradients, a ``Variable`` like ``var``.
    grad: its gradient, of ``var``'s dtype and shape.
    lr, epsilon: Python floats.
    weight_decay: if nonzero, ``var -= var * lr * weight_decay`` first.
    name: ignored.

Returns:
    ``var``.

Raises:
    TypeError: if ``var`` or ``accum`` is not a Variable, or not float.
    InvalidArgumentError: if shapes or dtypes differ. Nothing changes.''')
