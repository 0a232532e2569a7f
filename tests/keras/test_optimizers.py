import math

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import optimizers

W0 = np.array([[0.5, -1.0], [2.0, 0.1]], np.float32)
GRADS = [np.array([[0.1, -0.2], [0.3, 0.0]], np.float32) * (k + 1) for k in range(3)]


def _run(opt):
    v = tf.Variable(W0.copy())
    for g in GRADS:
        opt.apply_gradients(zip([tf.constant(g)], [v]))
    return v.numpy()


def _check(opt, ref):
    np.testing.assert_allclose(_run(opt), ref, rtol=1e-5, atol=1e-6)


def test_sgd():
    w = W0.astype(np.float64)
    for g in GRADS:
        w = w - 0.01 * g
    _check(optimizers.SGD(), w)
    w, m = W0.astype(np.float64), 0
    for g in GRADS:
        m = 0.9 * m - 0.1 * g
        w = w + m
    _check(optimizers.SGD(0.1, momentum=0.9), w)
    w, m = W0.astype(np.float64), 0
    for g in GRADS:
        m = 0.9 * m - 0.1 * g
        w = w + 0.9 * m - 0.1 * g
    _check(optimizers.SGD(0.1, momentum=0.9, nesterov=True), w)


def test_rmsprop():
    w, s = W0.astype(np.float64), 0
    for g in GRADS:
        s = 0.9 * s + 0.1 * g**2
        w = w - 0.001 * g / np.sqrt(s + 1e-7)
    _check(optimizers.RMSprop(), w)
    w, s, a, mom = W0.astype(np.float64), 0, 0, 0
    for g in GRADS:
        s = 0.9 * s + 0.1 * g**2
        a = 0.9 * a + 0.1 * g
        mom = 0.5 * mom + 0.01 * g / np.sqrt(s - a**2 + 1e-7)
        w = w - mom
    _check(optimizers.RMSprop(0.01, momentum=0.5, centered=True), w)


def test_adam():
    w, m, v = W0.astype(np.float64), 0, 0
    for t, g in enumerate(GRADS, 1):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g**2
        alpha = 0.001 * np.sqrt(1 - 0.999**t) / (1 - 0.9**t)
        w = w - alpha * m / (np.sqrt(v) + 1e-7)
    _check(optimizers.Adam(), w)
    w, m, v, vh = W0.astype(np.float64), 0, 0, 0
    for t, g in enumerate(GRADS, 1):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g**2
        vh = np.maximum(vh, v)
        alpha = 0.01 * np.sqrt(1 - 0.999**t) / (1 - 0.9**t)
        w = w - alpha * m / (np.sqrt(vh) + 1e-7)
    _check(optimizers.Adam(0.01, amsgrad=True), w)


def test_adagrad():
    w, acc = W0.astype(np.float64), 0.1
    for g in GRADS:
        acc = acc + g**2
        w = w - 0.001 * g / np.sqrt(acc + 1e-7)
    _check(optimizers.Adagrad(), w)


def test_defaults_and_names():
    a = optimizers.get("ADAM")
    assert (a.learning_rate, a.beta_1, a.beta_2, a.epsilon, a.amsgrad) == (0.001, 0.9, 0.999, 1e-7, False)
    s = optimizers.get("sgd")
    assert (s.learning_rate, s.momentum, s.nesterov) == (0.01, 0.0, False)
    r = optimizers.get("RMSprop")
    assert (r.learning_rate, r.rho, r.momentum, r.epsilon, r.centered) == (0.001, 0.9, 0.0, 1e-7, False)
    g = optimizers.get("adagrad")
    assert (g.learning_rate, g.initial_accumulator_value, g.epsilon) == (0.001, 0.1, 1e-7)
    with pytest.raises(ValueError, match="adagrad"):
        optimizers.get("adamw2")


def test_clipping():
    g = np.array([[3.0, 4.0], [0.0, 0.0]], np.float32)  # norm 5
    v = tf.Variable(np.zeros((2, 2), np.float32))
    optimizers.SGD(1.0, clipnorm=1.0).apply_gradients([(tf.constant(g), v)])
    np.testing.assert_allclose(v.numpy(), -g / 5, rtol=1e-6)
    v = tf.Variable(np.zeros((2, 2), np.float32))
    optimizers.SGD(1.0, clipvalue=2.0).apply_gradients([(tf.constant(g), v)])
    np.testing.assert_allclose(v.numpy(), -np.clip(g, -2, 2))


def test_exponential_decay_schedule():
    sched = optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    opt = optimizers.SGD(sched)
    v = tf.Variable(np.zeros((1,), np.float32))
    lrs = []
    for _ in range(3):
        lrs.append(opt.learning_rate)
        opt.apply_gradients([(tf.constant(np.ones(1, np.float32)), v)])
    np.testing.assert_allclose(lrs, [0.1, 0.1 * 0.5**0.5, 0.05])
    np.testing.assert_allclose(v.numpy(), [-sum(lrs)], rtol=1e-6)
    stair = optimizers.schedules.ExponentialDecay(0.1, 2, 0.5, staircase=True)
    assert stair(3) == pytest.approx(0.05)


def test_missing_gradient_names_the_variable_and_changes_nothing():
    a = tf.Variable(np.ones(2, np.float32), name="dense/kernel")
    b = tf.Variable(np.ones(2, np.float32), name="dense/bias")
    opt = optimizers.Adam()
    with pytest.raises(ValueError, match="dense/bias"):
        opt.apply_gradients([(tf.constant(np.ones(2, np.float32)), a), (None, b)])
    np.testing.assert_array_equal(a.numpy(), [1, 1])
    assert opt.iterations == 0


def test_custom_training_loop():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype(np.float32)
    y = (x @ np.array([[2.0], [-1.0]], np.float32)) + 0.5
    w = tf.Variable(np.zeros((2, 1), np.float32))
    b = tf.Variable(np.zeros((1,), np.float32))
    opt = optimizers.SGD(0.1)
    for _ in range(200):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
        grads = tape.gradient(loss, [w, b])
        opt.apply_gradients(zip(grads, [w, b]))
    np.testing.assert_allclose(w.numpy().ravel(), [2.0, -1.0], atol=1e-3)
    np.testing.assert_allclose(b.numpy(), [0.5], atol=1e-3)


def test_weight_decay_scales_the_variable_before_each_step():
    w, m, v = W0.astype(np.float64), 0, 0
    for t, g in enumerate(GRADS, 1):
        w = w - w * (0.01 * 0.5)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g**2
        w = w - 0.01 * np.sqrt(1 - 0.999**t) / (1 - 0.9**t) * m / (np.sqrt(v) + 1e-7)
    _check(optimizers.Adam(0.01, weight_decay=0.5), w)
    w = W0.astype(np.float64)
    for g in GRADS:
        w = w - w * (0.1 * 0.5) - 0.1 * g
    _check(optimizers.SGD(0.1, weight_decay=0.5), w)


class _SignSGD(optimizers.SGD):
    """A user's own update rule: the base class applies weight decay for it."""

    def update_step(self, g, v, lr):
        v.assign_sub(tf.sign(g) * lr)


class _LoggingAdam(optimizers.Adam):
    """Overrides update_step and calls the fused one: decay applied once."""

    def update_step(self, g, v, lr):
        self.calls = getattr(self, "calls", 0) + 1
        super().update_step(g, v, lr)


def test_subclasses_overriding_update_step_get_weight_decay_once():
    w = W0.astype(np.float64)
    for g in GRADS:
        w = w - w * (0.1 * 0.5) - 0.1 * np.sign(g)
    _check(_SignSGD(0.1, weight_decay=0.5), w)
    opt = _LoggingAdam(0.01, weight_decay=0.5)
    _check(opt, _run(optimizers.Adam(0.01, weight_decay=0.5)))
    assert opt.calls == len(GRADS)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradients_of_another_dtype_are_cast(dtype):
    other = np.float64 if dtype == np.float32 else np.float32
    v = tf.Variable(W0.astype(dtype))
    opt = optimizers.RMSprop(0.01, momentum=0.5, centered=True)
    for g in GRADS:
        opt.apply_gradients([(tf.constant(g.astype(other)), v)])
    ref = tf.Variable(W0.astype(dtype))
    opt = optimizers.RMSprop(0.01, momentum=0.5, centered=True)
    for g in GRADS:
        opt.apply_gradients([(tf.constant(g.astype(dtype)), ref)])
    assert v.dtype == dtype
    np.testing.assert_allclose(v.numpy(), ref.numpy(), rtol=1e-6)


def test_gradient_of_wrong_shape_changes_no_variable():
    a = tf.Variable(np.ones(2, np.float32), name="dense/kernel")
    b = tf.Variable(np.ones(3, np.float32), name="dense/bias")
    opt = optimizers.Adam()
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\(2,\) does not match variable 'dense/bias.*\(3,\)"):
        opt.apply_gradients([(tf.ones(2), a), (tf.ones(2), b)])
    np.testing.assert_array_equal(a.numpy(), [1, 1])
    assert opt.iterations == 0


class _OpByOpAdam(optimizers.Adam):
    """Adam written with separate tensor ops, as a user's own update_step."""

    def update_step(self, g, var, lr):
        t = int(self.iterations) + 1
        alpha = float(lr) * math.sqrt(1.0 - self.beta_2 ** t) / (1.0 - self.beta_1 ** t)
        m, v = self._slots[var][:2]
        m.assign_add((g - m) * (1.0 - self.beta_1))
        v.assign_add((tf.square(g) - v) * (1.0 - self.beta_2))
        if self.amsgrad:
            v_hat = self._slots[var][2]
            v_hat.assign(tf.maximum(v_hat, v))
            v = v_hat
        var.assign_sub(m * alpha / (tf.sqrt(v) + self.epsilon))


class _OpByOpRMSprop(optimizers.RMSprop):
    def update_step(self, g, v, lr):
        s, mom, avg = self._slots[v]
        s.assign(s * self.rho + tf.square(g) * (1.0 - self.rho))
        if self.centered:
            avg.assign(avg * self.rho + g * (1.0 - self.rho))
            denom = s - tf.square(avg) + self.epsilon
        else:
            denom = s + self.epsilon
        step = g * lr / tf.sqrt(denom)
        if self.momentum:
            mom.assign(mom * self.momentum + step)
            v.assign_sub(mom)
        else:
            v.assign_sub(step)


@pytest.mark.parametrize("fused,op_by_op", [
    (lambda: optimizers.Adam(0.01, amsgrad=True, weight_decay=0.3),
     lambda: _OpByOpAdam(0.01, amsgrad=True, weight_decay=0.3)),
    (lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True, weight_decay=0.3),
     lambda: _OpByOpRMSprop(0.01, momentum=0.5, centered=True, weight_decay=0.3)),
])
def test_fused_updates_equal_the_op_by_op_ones_exactly(fused, op_by_op):
    rng = np.random.default_rng(7)
    w0 = rng.standard_normal((40, 9)).astype(np.float32)
    grads = [rng.standard_normal((40, 9)).astype(np.float32) * 0.1 for _ in range(6)]
    results = []
    for make in (fused, op_by_op):
        opt, v = make(), tf.Variable(w0)
        for g in grads:
            opt.apply_gradients([(tf.constant(g), v)])
        results.append([v.numpy()] + [s.numpy() for s in opt.variables])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


# Keras 3.15's values at steps 0, 3, 5, 10, 15, 20, 25.
_SCHEDULE_VALUES = [
    (lambda s: s.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]), [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.1]),
    (lambda s: s.PolynomialDecay(0.1, 10, 0.01, 2.0), [0.1, 0.0541, 0.0325, 0.01, 0.01, 0.01, 0.01]),
    (lambda s: s.PolynomialDecay(0.1, 10, 0.01, cycle=True), [0.1, 0.073, 0.055, 0.01, 0.0325, 0.01, 0.025]),
    (lambda s: s.CosineDecay(0.1, 10, 0.1), [0.1, 0.08145, 0.055, 0.01, 0.01, 0.01, 0.01]),
    (lambda s: s.CosineDecay(0.0, 10, warmup_target=0.2, warmup_steps=5), [0.0, 0.12, 0.2, 0.1, 0.0, 0.0, 0.0]),
    (lambda s: s.CosineDecay(0.1, 10, warmup_steps=5), [0.1, 0.079389, 0.05, 0.0, 0.0, 0.0, 0.0]),
]


@pytest.mark.parametrize("make,expected", _SCHEDULE_VALUES)
def test_schedules_match_keras_for_python_and_tensor_steps(make, expected):
    schedule = make(keras.optimizers.schedules)
    steps = (0, 3, 5, 10, 15, 20, 25)
    np.testing.assert_allclose([schedule(s) for s in steps], expected, atol=5e-7)
    np.testing.assert_allclose([float(schedule(tf.constant(s, tf.int64))) for s in steps], expected, atol=5e-7)
    restored = type(schedule).from_config(schedule.get_config())
    assert [restored(s) for s in steps] == [schedule(s) for s in steps]


def test_adamw_is_adam_with_decoupled_weight_decay():
    results = []
    for opt in (keras.optimizers.get("adamw"), keras.optimizers.Adam(weight_decay=0.004)):
        v = tf.Variable([1.0, -2.0])
        for _ in range(3):
            opt.apply_gradients([(tf.constant([0.5, 0.25]), v)])
        results.append(v.numpy())
    np.testing.assert_array_equal(results[0], results[1])
    assert not np.allclose(results[0], _adam_without_decay())
    with pytest.raises(ValueError, match="one more value than boundaries"):
        keras.optimizers.schedules.PiecewiseConstantDecay([1, 2], [0.1])


def _adam_without_decay():
    opt, v = keras.optimizers.Adam(), tf.Variable([1.0, -2.0])
    for _ in range(3):
        opt.apply_gradients([(tf.constant([0.5, 0.25]), v)])
    return v.numpy()


@pytest.mark.parametrize("name,expected", [  # Keras 3.15's values for the same six steps
    ("Adamax", [0.7492806, -1.7492806, 0.2492805]), ("Nadam", [0.7332478, -1.7332479, 0.2332477]),
    ("AdamW", [0.6987727, -1.6975744, 0.199372])])
def test_adamax_nadam_and_adamw_follow_keras(name, expected):
    for compiled in (False, True):
        opt = keras.optimizers.get(name.lower())
        opt.learning_rate = 0.05
        v = tf.Variable(np.array([1.0, -2.0, 0.5], np.float32))
        step = tf.function(lambda g: opt.apply_gradients([(g, v)])) if compiled else \
            (lambda g: opt.apply_gradients([(g, v)]))
        for i in range(6):
            step(tf.constant(np.array([0.5, -0.25, 1.5], np.float32) * (i + 1) ** 0.5))
        np.testing.assert_allclose(v.numpy(), expected, rtol=1e-5, atol=1e-5)
        assert int(opt.iterations) == 6
