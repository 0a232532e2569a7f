"""A failed or interrupted update changes nothing or everything: optimizer
steps check every pair first, Ctrl-C lands between steps, validation data is
checked before the first step; non-finite losses keep training (as Keras) with
one warning, and TerminateOnNaN stops."""

import os
import signal
import warnings

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras


@pytest.fixture
def python_sigint():
    """Python's own Ctrl-C handler, whatever this process inherited: a job
    started in the background by a shell has SIGINT ignored."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def _model():
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(1)])
    m.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    return m


@pytest.mark.parametrize("bad", [
    lambda: (tf.constant([1, 1]), tf.Variable([1, 2])),              # an int variable
    lambda: (tf.constant([1.0, 1.0]), tf.constant([1.0, 2.0])),      # a plain tensor
    lambda: (tf.constant([1.0, 1.0, 1.0]), tf.Variable([1.0, 2.0])),  # a wrong shape
    lambda: (None, tf.Variable([1.0, 2.0])),                         # no gradient
])
@pytest.mark.parametrize("opt", [lambda: keras.optimizers.SGD(0.1, momentum=0.9), lambda: keras.optimizers.Adam()])
def test_apply_gradients_checks_every_pair_before_updating_any(bad, opt):
    a, b = tf.Variable([1.0, 2.0]), tf.Variable([3.0])
    o = opt()
    with pytest.raises((TypeError, ValueError)):
        o.apply_gradients([(tf.constant([1.0, 1.0]), a), (tf.constant([1.0]), b), bad()])
    np.testing.assert_array_equal(a.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(b.numpy(), [3.0])
    assert int(o.iterations) == 0


class _InterruptMidUpdate(keras.optimizers.SGD):
    """Sends itself SIGINT while updating the first of several variables."""

    sent = False

    def update_step(self, gradient, variable, learning_rate):
        if not self.sent:
            self.sent = True
            os.kill(os.getpid(), signal.SIGINT)
        super().update_step(gradient, variable, learning_rate)


def test_sigint_during_an_update_lands_after_every_variable_is_updated(python_sigint):
    vs = [tf.Variable([1.0]), tf.Variable([2.0]), tf.Variable([3.0])]
    o = _InterruptMidUpdate(0.5)
    with pytest.raises(KeyboardInterrupt):
        o.apply_gradients([(tf.constant([1.0]), v) for v in vs])
    np.testing.assert_array_equal([v.numpy()[0] for v in vs], [0.5, 1.5, 2.5])
    assert int(o.iterations) == 1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.parametrize("run_eagerly", [True, False])
def test_sigint_during_fit_leaves_a_whole_number_of_steps(run_eagerly, python_sigint):
    m = _model()
    m.compile(optimizer=_InterruptMidUpdate(0.01), loss="mse", run_eagerly=run_eagerly)
    x, y = np.ones((8, 3), np.float32), np.ones((8, 1), np.float32)
    start = m.get_weights()
    with pytest.raises(KeyboardInterrupt):
        m.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=False)
    # Eagerly the interrupt lands after the first step's update; a compiled
    # step is interrupted while it is traced, before it changes anything.
    # Either way the weights are those of a whole number of steps.
    ref = _model()
    ref.set_weights(start)
    ref.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse", run_eagerly=True)
    ref.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    after = [start, ref.get_weights()]
    steps = [k for k, w in enumerate(after)
             if all(np.allclose(a, b, rtol=1e-6, atol=0) for a, b in zip(m.get_weights(), w))]
    assert len(steps) == 1 and (steps == [1] or not run_eagerly), steps


def test_wrong_width_validation_data_fails_before_any_step():
    m = _model()
    before = m.get_weights()
    with pytest.raises(ValueError, match="validation_data"):
        m.fit(np.ones((16, 3)), np.ones((16, 1)), validation_data=(np.ones((4, 5)), np.ones((4, 1))), verbose=0)
    for a, b in zip(m.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_non_finite_loss_warns_once_and_keeps_training():
    m = _model()
    x = np.ones((16, 3), np.float32)
    x[0, 0] = np.nan
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        h = m.fit(x, np.ones((16, 1)), batch_size=4, epochs=2, verbose=0, shuffle=False)
    assert len(h.history["loss"]) == 2
    assert sum("loss is nan" in str(w.message) for w in caught) == 1


def test_terminate_on_nan_stops_at_the_first_non_finite_loss():
    m = _model()
    x = np.ones((16, 3), np.float32)
    x[4, 0] = np.inf
    seen = []
    cb = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(b))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = m.fit(x, np.ones((16, 1)), batch_size=4, epochs=3, verbose=0, shuffle=False,
                  callbacks=[keras.callbacks.TerminateOnNaN(), cb])
    assert seen == [0, 1] and len(h.history["loss"]) == 1
