"""fit / evaluate / predict through tensorlet.function give the eager results."""

import warnings

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.function import OperatorNotAllowedInGraphError


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((70, 8)).astype(np.float32), rng.integers(0, 3, 70)


def _model(run_eagerly, optimizer, jit_compile="auto"):
    tf.random.set_seed(3)
    np.random.seed(3)  # fit's shuffling
    model = keras.Sequential([keras.layers.Dense(16, activation="relu"), keras.layers.Dropout(0.3),
                              keras.layers.Dense(3)])
    model.compile(optimizer, keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"],
                  run_eagerly=run_eagerly, jit_compile=jit_compile)
    return model


@pytest.mark.parametrize("make_optimizer", [
    lambda: keras.optimizers.Adam(0.01),
    lambda: keras.optimizers.SGD(keras.optimizers.schedules.ExponentialDecay(0.1, 3, 0.5, staircase=True),
                                 momentum=0.9),
    lambda: keras.optimizers.RMSprop(0.01, weight_decay=0.01),
])
def test_compiled_fit_evaluate_predict_equal_eager(make_optimizer):
    x, y = _data()
    results = []
    for eager in (True, False):
        model = _model(eager, make_optimizer())
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the compiled run must not fall back to eager
            hist = model.fit(x, y, batch_size=16, epochs=3, validation_data=(x[:20], y[:20]), verbose=0)
            results.append((hist.history, model.evaluate(x, y, batch_size=32, verbose=0),
                            model.predict(x, batch_size=32, verbose=0), [w.numpy() for w in model.weights],
                            int(model.optimizer.iterations)))
    (h1, e1, p1, w1, i1), (h2, e2, p2, w2, i2) = results
    assert h1.keys() == h2.keys() and i1 == i2 == 15
    for k in h1:
        np.testing.assert_allclose(h2[k], h1[k], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(e2, e1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(p2, p1, rtol=1e-5, atol=1e-5)
    for a, b in zip(w2, w1):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_steps_run_compiled_by_default_and_eagerly_on_request():
    x, y = _data()
    compiled, eager = _model(False, "adam"), _model(True, "adam")
    assert compiled.make_train_function() is not compiled.train_step
    assert eager.make_train_function() == eager.train_step
    assert eager.make_test_function() == eager.test_step and eager.make_predict_function() == eager.predict_step
    compiled.fit(x, y, epochs=1, verbose=0)
    assert len(compiled.train_function.levels) == 2  # the metric updates run inside the compiled step
    with pytest.raises(ValueError, match="jit_compile"):
        compiled.compile("adam", "mse", jit_compile="yes")


def test_learning_rate_changed_by_a_callback_reaches_the_compiled_step():
    x, y = _data()
    weights = []
    for eager in (True, False):
        model = _model(eager, keras.optimizers.SGD(0.1))
        sched = keras.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))
        model.fit(x, y, batch_size=35, epochs=3, callbacks=[sched], verbose=0)
        assert model.optimizer.learning_rate == pytest.approx(0.1 / 3)
        weights.append([w.numpy() for w in model.weights])
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def _host_loss(y_true, y_pred):
    # Reads a value on the host: this step cannot be traced.
    scale = 2.0 if float(tf.reduce_mean(y_pred)) > 0 else 1.0
    return tf.reduce_mean(tf.square(tf.cast(y_true, y_pred.dtype)[:, None] - y_pred)) * scale


def test_an_untraceable_step_falls_back_to_eager_under_auto_and_raises_under_true():
    x, y = _data()
    model = _model(False, "sgd")
    model.compile("sgd", _host_loss)
    with pytest.warns(UserWarning, match="runs eagerly"):
        model.fit(x, y, epochs=1, verbose=0)
    assert int(model.optimizer.iterations) == 3  # each step applied once, none twice
    strict = _model(False, "sgd", jit_compile=True)
    strict.compile("sgd", _host_loss, jit_compile=True)
    strict(x[:1])
    before = [w.numpy() for w in strict.weights]
    with pytest.raises(OperatorNotAllowedInGraphError, match="frozen"):
        strict.fit(x, y, epochs=1, verbose=0)
    for a, b in zip(strict.weights, before):  # the failed trace changed nothing
        np.testing.assert_array_equal(a.numpy(), b)
    assert int(strict.optimizer.iterations) == 0


def test_an_overridden_train_step_is_compiled_as_keras_does():
    results = []
    for run_eagerly in (True, False):
        calls = []

        class Custom(keras.Sequential):
            def train_step(self, data):
                calls.append(1)
                return super().train_step(data)

        tf.random.set_seed(3)
        x, y = _data()
        model = Custom([keras.layers.Dense(3)])
        model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"],
                      run_eagerly=run_eagerly)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # compiled, not run eagerly after a failed trace
            history = model.fit(x, y, batch_size=35, epochs=2, shuffle=False, verbose=0).history
        # Eagerly the body runs once per batch; compiled, once per trace (one batch shape here).
        assert len(calls) == (4 if run_eagerly else 1)
        results.append((history, model.get_weights()))
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(results[0][0][key], results[1][0][key], rtol=1e-5)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


class _HostMean(keras.metrics.Metric):
    """The mean prediction, summed with numpy: it cannot run inside a compiled step."""

    def __init__(self, name="host_mean"):
        super().__init__(name)
        self.total, self.count = self.add_variable(name="total"), self.add_variable(name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.total.assign_add(float(np.sum(np.asarray(y_pred))))
        self.count.assign_add(float(np.size(y_pred)))

    def result(self):
        return self.total / self.count


def test_a_metric_updated_on_the_host_leaves_the_rest_of_the_step_compiled():
    x, y = _data()
    y1 = (y == 1).astype(np.float32)
    results = []
    for eager in (True, False):
        tf.random.set_seed(3)
        np.random.seed(3)
        model = keras.Sequential([keras.layers.Dense(1, activation="sigmoid")])
        model.compile("adam", "binary_crossentropy", metrics=["accuracy", _HostMean()], run_eagerly=eager)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            results.append(model.fit(x, y1, batch_size=16, epochs=2, verbose=0).history)
        if not eager:
            assert len(model.train_function.levels) == 1  # the host metric updates outside the compiled step
    for k in results[0]:
        np.testing.assert_allclose(results[1][k], results[0][k], rtol=1e-5, atol=1e-6)
