"""The fused optimizer updates of tensorlet.ops.training_ops against numpy
references of the same update rules, step by step, and their checks."""

import os
import subprocess
import sys

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import _core
from tensorlet.ops import training_ops as T

from tests.conftest import strided

DTYPES = [np.float32, np.float64]
# Odd sizes leave remainders after the vector loops; the largest runs on several threads.
SHAPES = [(37, 5), (1,), (0, 3), (70001,)]


def _grads(rng, shape, dtype, steps=4):
    # Shrinking gradients make Adam's v fall below its maximum (AMSGrad matters).
    return [(rng.standard_normal(shape) * 2.0 ** -k).astype(dtype) for k in range(steps)]


def _decay(w, lr, wd):
    return w - w * w.dtype.type(lr * wd) if wd else w


# ---- numpy references: the Keras update rules, in the variable's dtype ----------


def _ref_sgd(w, m, g, lr, momentum, nesterov, wd):
    c = w.dtype.type
    w = _decay(w, lr, wd)
    if m is None:
        return w - g * c(lr), None
    m = m * c(momentum) - g * c(lr)
    return (w + (m * c(momentum) - g * c(lr)) if nesterov else w + m), m


def _ref_rmsprop(w, s, mom, avg, g, lr, rho, eps, momentum, wd):
    c = w.dtype.type
    w = _decay(w, lr, wd)
    s = s * c(rho) + g * g * c(1.0 - rho)
    if avg is not None:
        avg = avg * c(rho) + g * c(1.0 - rho)
        denom = s - avg * avg + c(eps)
    else:
        denom = s + c(eps)
    step = g * c(lr) / np.sqrt(denom)
    if mom is not None:
        mom = mom * c(momentum) + step
        return w - mom, s, mom, avg
    return w - step, s, mom, avg


def _ref_adam(w, m, v, vh, g, lr, b1, b2, eps, t, wd):
    c = w.dtype.type
    w = _decay(w, lr, wd)
    alpha = lr * np.sqrt(1.0 - b2 ** t) / (1.0 - b1 ** t)
    m = m + (g - m) * c(1.0 - b1)
    v = v + (g * g - v) * c(1.0 - b2)
    if vh is not None:
        vh = np.maximum(vh, v)
    return w - m * c(alpha) / (np.sqrt(v if vh is None else vh) + c(eps)), m, v, vh


def _ref_adagrad(w, acc, g, lr, eps, wd):
    c = w.dtype.type
    w = _decay(w, lr, wd)
    acc = acc + g * g
    return w - g * c(lr) / np.sqrt(acc + c(eps)), acc


def _var(a):
    return tf.Variable(np.array(a, copy=True))


def _close(variables, arrays):
    # The kernels do the references' operations in the same order without
    # contracting them into fused multiply-adds: the results are identical.
    for var, a in zip(variables, arrays):
        if a is not None:
            np.testing.assert_array_equal(var.numpy(), a)


# ---- each update against its reference ----------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("momentum,nesterov", [(0.0, False), (0.9, False), (0.7, True)])
@pytest.mark.parametrize("wd", [None, 0.1])
def test_sgd(rng, shape, dtype, momentum, nesterov, wd):
    w = rng.standard_normal(shape).astype(dtype)
    m = np.zeros(shape, dtype) if momentum else None
    var, slot = _var(w), (_var(m) if momentum else None)
    for g in _grads(rng, shape, dtype):
        assert T.apply_sgd(var, tf.constant(g), 0.05, momentum, nesterov, slot, wd) is var
        w, m = _ref_sgd(w, m, g, 0.05, momentum, nesterov, wd)
    _close([var, slot], [w, m])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("momentum", [0.0, 0.5])
@pytest.mark.parametrize("wd", [None, 0.2])
def test_rmsprop(rng, shape, dtype, centered, momentum, wd):
    w = rng.standard_normal(shape).astype(dtype)
    s = np.full(shape, 0.5, dtype)  # keeps the centered estimate positive
    mom = np.zeros(shape, dtype) if momentum else None
    avg = np.zeros(shape, dtype) if centered else None
    var, vs = _var(w), _var(s)
    vmom = _var(mom) if momentum else None
    vavg = _var(avg) if centered else None
    for g in _grads(rng, shape, dtype):
        T.apply_rmsprop(var, vs, tf.constant(g), 0.01, 0.8, 1e-3, momentum, vmom, vavg, wd)
        w, s, mom, avg = _ref_rmsprop(w, s, mom, avg, g, 0.01, 0.8, 1e-3, momentum, wd)
    _close([var, vs, vmom, vavg], [w, s, mom, avg])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("wd", [None, 0.1])
def test_adam(rng, shape, dtype, amsgrad, wd):
    w = rng.standard_normal(shape).astype(dtype)
    m, v = np.zeros(shape, dtype), np.zeros(shape, dtype)
    vh = np.zeros(shape, dtype) if amsgrad else None
    var, vm, vv = _var(w), _var(m), _var(v)
    vvh = _var(vh) if amsgrad else None
    for t, g in enumerate(_grads(rng, shape, dtype), 1):
        T.apply_adam(var, vm, vv, tf.constant(g), 0.01, 0.8, 0.9, 1e-3, t, vvh, wd)
        w, m, v, vh = _ref_adam(w, m, v, vh, g, 0.01, 0.8, 0.9, 1e-3, t, wd)
    _close([var, vm, vv, vvh], [w, m, v, vh])
    if amsgrad and v.size:
        assert (vh > v).any()  # the maximum was used somewhere


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("wd", [None, 0.3])
def test_adagrad(rng, shape, dtype, wd):
    w = rng.standard_normal(shape).astype(dtype)
    acc = np.full(shape, 0.1, dtype)
    var, vacc = _var(w), _var(acc)
    for g in _grads(rng, shape, dtype):
        T.apply_adagrad(var, vacc, tf.constant(g), 0.1, 1e-3, wd)
        w, acc = _ref_adagrad(w, acc, g, 0.1, 1e-3, wd)
    _close([var, vacc], [w, acc])


def test_gradient_forms(rng):
    # A strided tensor, a numpy array and a nested list all give the same step.
    g = rng.standard_normal((3, 4)).astype(np.float32)
    want, _ = _ref_sgd(np.ones((3, 4), np.float32), None, g, 0.5, 0.0, False, None)
    for grad in (strided(g), g, g.tolist()):
        var = _var(np.ones((3, 4), np.float32))
        T.apply_sgd(var, grad, 0.5)
        np.testing.assert_array_equal(var.numpy(), want)


def test_gradient_sharing_a_slot_or_the_variable_is_read_before_the_update(rng):
    w = rng.standard_normal(50)
    var = _var(w)
    T.apply_sgd(var, var, 0.25)  # g = w
    np.testing.assert_array_equal(var.numpy(), w - w * 0.25)
    m0, v0 = rng.standard_normal(50), rng.random(50)
    var, m, v = _var(w), _var(m0), _var(v0)
    T.apply_adam(var, m, v, m, 0.1, step=2)  # g = m's value before the step
    ref = _ref_adam(w, m0, v0, None, m0, 0.1, 0.9, 0.999, 1e-7, 2, None)
    _close([var, m, v], ref[:3])


def test_assignment_counts_like_assign(rng):
    var, m, v = _var(np.ones(3)), _var(np.zeros(3)), _var(np.zeros(3))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(var * var)
    T.apply_adam(var, m, v, np.ones(3), 0.1)
    assert (var._version, m._version, v._version) == (1, 1, 1)
    with pytest.raises(RuntimeError, match="assigned after"):
        tape.gradient(y, var)


# ---- checks: a bad call names the op and changes nothing ----------------------------


def _state(*variables):
    return [(v.numpy(), v._version) for v in variables]


def _unchanged(before, variables):
    for (a, version), v in zip(before, variables):
        np.testing.assert_array_equal(v.numpy(), a)
        assert v._version == version


@pytest.mark.parametrize("call,error,match", [
    (lambda w, m, v, g: T.apply_adam(w, m, _var(np.zeros(3, np.float32)), g, 0.1), tf.errors.InvalidArgumentError,
     r"apply_adam: v of shape \(3,\) and dtype float32 does not match var of shape \(2, 3\)"),
    (lambda w, m, v, g: T.apply_adam(w, m, _var(np.zeros((2, 3))), g, 0.1), tf.errors.InvalidArgumentError,
     r"apply_adam: v of shape \(2, 3\) and dtype float64 does not match var of shape \(2, 3\) and dtype float32"),
    (lambda w, m, v, g: T.apply_adam(w, m, v, np.ones((3, 2), np.float32), 0.1), tf.errors.InvalidArgumentError,
     r"apply_adam: grad of shape \(3, 2\) .* does not match var of shape \(2, 3\)"),
    (lambda w, m, v, g: T.apply_adam(w, m, v, tf.ones((2, 3), tf.float64), 0.1), tf.errors.InvalidArgumentError,
     r"apply_adam: .*float32 .*float64"),
    (lambda w, m, v, g: T.apply_adam(w, m, m, g, 0.1), tf.errors.InvalidArgumentError,
     r"apply_adam: m and v share memory"),
    (lambda w, m, v, g: T.apply_adam(w, m, v, g, 0.1, step=0), tf.errors.InvalidArgumentError,
     r"apply_adam: step must be >= 1"),
    (lambda w, m, v, g: T.apply_adam(w, m, tf.zeros((2, 3)), g, 0.1), TypeError,
     r"apply_adam: v must be a tf.Variable"),
    (lambda w, m, v, g: T.apply_adam(w, m, None, g, 0.1), TypeError, r"apply_adam: v must be a tf.Variable"),
    (lambda w, m, v, g: T.apply_adam(w, m, v, g, 0.1, v_hat=w), tf.errors.InvalidArgumentError,
     r"apply_adam: var and v_hat share memory"),
    (lambda w, m, v, g: T.apply_rmsprop(w, m, g, 0.1, mom=v, mg=_var(np.zeros(6, np.float32))),
     tf.errors.InvalidArgumentError, r"apply_rmsprop: mg of shape \(6,\)"),
    (lambda w, m, v, g: T.apply_rmsprop(w, m, g, 0.1, momentum=0.9), ValueError,
     r"apply_rmsprop: momentum=0.9 needs the momentum slot"),
    (lambda w, m, v, g: T.apply_sgd(w, g, 0.1, 0.9), ValueError, r"apply_sgd: momentum=0.9 needs"),
    (lambda w, m, v, g: T.apply_sgd(w, g, 0.1, 0.9, accum=_var(np.zeros((2, 3), np.int32))),
     tf.errors.InvalidArgumentError, r"apply_sgd: accum of shape \(2, 3\) and dtype int32"),
    (lambda w, m, v, g: T.apply_adagrad(w[0], m, g, 0.1), TypeError, r"apply_adagrad: var must be a tf.Variable"),
])
def test_errors_change_nothing(call, error, match):
    w = _var(np.arange(6, dtype=np.float32).reshape(2, 3))
    m, v = _var(np.ones((2, 3), np.float32)), _var(np.full((2, 3), 2.0, np.float32))
    before = _state(w, m, v)
    with pytest.raises(error, match=match):
        call(w, m, v, tf.ones((2, 3)))
    _unchanged(before, [w, m, v])


def test_integer_variables_are_refused():
    w, acc = _var(np.arange(4, dtype=np.int32)), _var(np.zeros(4, np.int32))
    with pytest.raises(TypeError, match="apply_adagrad: var has dtype int32; optimizer updates need float16, bfloat16, "
                       "float32"):
        T.apply_adagrad(w, acc, np.ones(4, np.int32), 0.1)
    np.testing.assert_array_equal(w.numpy(), np.arange(4))


def test_kernels_refuse_non_contiguous_operands():
    w, m = _var(np.ones((4, 6), np.float32)), _var(np.zeros((4, 6), np.float32))
    g = strided(np.ones((4, 6), np.float32))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"apply_sgd: grad \(shape \(4, 6\), strides \(12, 2\)\) "
                                                             "is not contiguous"):
        _core.apply_sgd(w._a, m._a, g._a, 0.1, 0.9, False, 0.0)
    column = w._a.index((slice(None), slice(0, 1)))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"apply_adagrad: var \(shape \(4, 1\).*not contiguous"):
        _core.apply_adagrad(column, m._a.index((slice(None), slice(0, 1))), g._a.index((slice(None), slice(0, 1))),
                            0.1, 1e-7, 0.0)
    np.testing.assert_array_equal(w.numpy(), 1.0)
    np.testing.assert_array_equal(m.numpy(), 0.0)


@pytest.mark.parametrize("isa", ["baseline", "avx2"])
def test_every_instruction_set_gives_the_same_updates(isa):
    # Each ISA's loops against the same numpy references (run in a fresh
    # process: the level is chosen at import).
    script = (
        "import numpy as np, tensorlet as tf\n"
        "from tests.ops import test_training_ops as t\n"
        "rng = np.random.default_rng(5)\n"
        "for dtype in t.DTYPES:\n"
        "    t.test_adam(rng, (1003,), dtype, True, 0.1)\n"
        "    t.test_rmsprop(rng, (1003,), dtype, True, 0.5, 0.2)\n"
        "    t.test_sgd(rng, (1003,), dtype, 0.7, True, 0.1)\n"
        "    t.test_adagrad(rng, (1003,), dtype, 0.3)\n"
        "print(tf._core.isa())\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, TENSORLET_ISA=isa)
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=root)
    assert out.returncode == 0, out.stderr
    order = ["baseline", "avx2", "avx512"]
    assert out.stdout.strip() == order[min(order.index(isa), order.index(tf._core.isa()))]
