"""The Layer and Model API beyond weights: add_loss and model.losses,
activity regularizers, weight constraints, layer.input/output and their
shapes, InputSpec, keras.utils.PyDataset, and the Keras 2 compiled_loss /
compiled_metrics of a custom train_step."""

import warnings

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import layers

RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 3)).astype(np.float32)
Y = RNG.normal(size=(16, 1)).astype(np.float32)


class Penalty(layers.Layer):
    """Adds half the mean square of its input to the loss."""

    def call(self, inputs):
        self.add_loss(0.5 * tf.reduce_mean(tf.square(inputs)))
        return inputs


def _model():
    inp = keras.Input((3,))
    hidden = Penalty()(layers.Dense(4, kernel_initializer="ones", bias_initializer="ones")(inp))
    return keras.Model(inp, layers.Dense(1, kernel_initializer="ones")(hidden))


def _reference():
    hidden = X @ np.ones((3, 4)) + 1
    return ((hidden @ np.ones((4, 1)) - Y) ** 2).mean() + 0.5 * (hidden ** 2).mean()


@pytest.mark.parametrize("eager", [False, True])
def test_add_loss_joins_the_training_loss(eager):
    model = _model()
    model.compile(keras.optimizers.SGD(0.0), "mse", run_eagerly=eager)
    assert model.evaluate(X, Y, batch_size=16, verbose=0) == pytest.approx(_reference(), rel=1e-5)
    assert model.train_on_batch(X, Y) == pytest.approx(_reference(), rel=1e-5)
    h = model.fit(X, Y, batch_size=16, epochs=2, verbose=0)
    assert h.history["loss"] == pytest.approx([_reference()] * 2, rel=1e-5)


def test_model_losses_hold_the_last_call_only():
    model = _model()
    assert model.losses == []
    model(X)
    model(X[:4])
    assert len(model.losses) == 1  # reset at every outermost call
    hidden = X[:4] @ np.ones((3, 4)) + 1
    assert float(model.losses[0]) == pytest.approx(0.5 * (hidden ** 2).mean(), rel=1e-6)
    inner = model.layers[2]
    assert len(inner.losses) == 1 and inner.losses[0] is model.losses[0]
    const = keras.layers.Dense(1)
    const.add_loss(lambda: tf.constant(2.0))  # a callable stays, evaluated on each read
    const(X)
    const(X)
    assert [float(v) for v in const.losses] == [2.0]


def test_activity_regularizer_adds_its_penalty_per_sample():
    dense = layers.Dense(2, kernel_initializer="ones", activity_regularizer=keras.regularizers.L2(0.1))
    out = dense(X).numpy()
    assert float(dense.losses[0]) == pytest.approx(0.1 * (out ** 2).sum() / len(X), rel=1e-6)
    assert dense.get_config()["activity_regularizer"] is not None
    inp = keras.Input((3,))  # in a functional model the penalty joins the loss of every batch
    model = keras.Model(inp, layers.Dense(2, kernel_initializer="ones", activity_regularizer="l2")(inp))
    model.compile("sgd", "mse")
    out = X @ np.ones((3, 2))
    assert model.evaluate(X, np.zeros((16, 2)), batch_size=16, verbose=0) == \
        pytest.approx((out ** 2).mean() + 0.01 * (out ** 2).sum() / 16, rel=1e-5)


@pytest.mark.parametrize("eager", [False, True])
def test_constraints_project_weights_after_each_step(eager):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, kernel_constraint=keras.constraints.NonNeg(),
                                                               bias_constraint=keras.constraints.MaxNorm(0.5))])
    model.compile(keras.optimizers.SGD(0.5), "mse", run_eagerly=eager)
    kernel, bias = model.layers[0].kernel, model.layers[0].bias
    kernel.assign(np.full((3, 2), 0.1, np.float32))
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(X) - 5.0 * np.ones((16, 2), np.float32)))
    gk, gb = (g.numpy() for g in tape.gradient(loss, [kernel, bias]))
    model.train_on_batch(X, 5.0 * np.ones((16, 2), np.float32))
    np.testing.assert_allclose(kernel.numpy(), np.maximum(0.1 - 0.5 * gk, 0), rtol=1e-5, atol=1e-7)
    step = -0.5 * gb
    np.testing.assert_allclose(bias.numpy(), step * min(1.0, 0.5 / np.linalg.norm(step)), rtol=1e-5)


def test_layer_input_output_and_their_shapes():
    inp = keras.Input((3,), name="x")
    dense = layers.Dense(4)
    out = dense(inp)
    assert dense.input is inp and dense.output is out
    assert dense.input_shape == (None, 3) and dense.output_shape == (None, 4)
    model = keras.Model(inp, layers.Dense(1)(out))
    assert model.input is inp and model.output.shape == (None, 1) and model.input_shape == (None, 3)
    seq = keras.Sequential([keras.Input((5,)), layers.Dense(2)])
    assert seq.output.shape == (None, 2) and seq.layers[0].input_shape == (None, 5)
    with pytest.raises(AttributeError, match="never been called .* no defined input"):
        layers.Dense(2).input
    shared = layers.Activation("relu")
    first = keras.Input((3,))
    shared(first)
    shared(keras.Input((5,)))
    assert shared.input is first  # the first call's, as in Keras 3
    with pytest.raises(AttributeError, match="multiple inbound nodes with different input shapes"):
        shared.input_shape
    twice = layers.Dense(2)
    twice(keras.Input((3,)))
    twice(keras.Input((3,)))
    assert twice.input_shape == (None, 3) and twice.output_shape == (None, 2)  # the calls agree


def test_input_spec_and_custom_layer_shape_checks():
    class Pairs(layers.Layer):
        def __init__(self):
            super().__init__()
            self.input_spec = layers.InputSpec(ndim=2, axes={-1: 2})

        def call(self, inputs):
            return inputs

    with pytest.raises(ValueError, match="'pairs.*expected ndim=2, found ndim=3"):
        Pairs()(tf.ones((1, 2, 2)))
    with pytest.raises(ValueError, match="expected axis -1 of the input shape to have value 2, but received input "
                                         "with shape \\(4, 3\\)"):
        Pairs()(tf.ones((4, 3)))
    dense = layers.Dense(2)
    dense(tf.ones((1, 3)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="expected shape \\(None, 3\\)"):
        dense(tf.ones((1, 4)))  # what TensorFlow raises there
    emb = layers.Embedding(5, 2)
    assert emb(np.array([[1, 2, 3]])).shape == (1, 3, 2) and emb(np.array([[1]])).shape == (1, 1, 2)


class Batches(keras.utils.PyDataset):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.epochs_ended = 0

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return X[4 * i:4 * i + 4], Y[4 * i:4 * i + 4]

    def on_epoch_end(self):
        self.epochs_ended += 1


@pytest.mark.parametrize("workers", [1, 3])
def test_py_dataset_feeds_fit_evaluate_and_predict(workers):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    data = Batches(workers=workers)
    assert model.evaluate(data, verbose=0) == pytest.approx(model.evaluate(X, Y, batch_size=4, verbose=0), rel=1e-6)
    np.testing.assert_allclose(model.predict(data, verbose=0), model.predict(X, verbose=0), rtol=1e-6)
    data.epochs_ended = 0
    h = model.fit(data, epochs=3, verbose=0)
    assert len(h.history["loss"]) == 3 and data.epochs_ended == 3
    with pytest.raises(NotImplementedError, match="use_multiprocessing"):
        Batches(use_multiprocessing=True)
    assert keras.utils.Sequence is keras.utils.PyDataset


def test_keras2_compiled_loss_and_metrics_in_a_custom_train_step():
    class Custom(keras.Model):
        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            self.compiled_metrics.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    inp = keras.Input((3,))
    model = Custom(inp, layers.Dense(1)(inp))
    model.compile(keras.optimizers.SGD(0.0), "mse", metrics=["mae"])
    pred = model.predict(X, verbose=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        logs = model.train_on_batch(X, Y, return_dict=True)
    assert logs == pytest.approx({"loss": ((pred - Y) ** 2).mean(), "mae": np.abs(pred - Y).mean()}, rel=1e-5)
    said = " ".join(str(w.message) for w in caught)
    assert "self.compute_loss(x, y, y_pred, sample_weight)" in said and "self.compute_metrics(" in said


def test_arguments_once_accepted_and_ignored_now_act_or_raise():
    loss = keras.losses.SparseCategoricalCrossentropy(ignore_class=0)
    probs = np.array([[0.5, 0.5], [0.2, 0.8], [0.6, 0.4]])
    assert float(loss(np.array([0, 1, 0]), probs)) == pytest.approx(-np.log(0.8))  # the mean over kept samples
    np.testing.assert_allclose(keras.losses.sparse_categorical_crossentropy(np.array([0, 1]), probs[:2],
                                                                           ignore_class=0).numpy(), [0, -np.log(0.8)])
    with pytest.raises(NotImplementedError, match="axis=0"):
        keras.losses.categorical_crossentropy(probs, probs, axis=0)
    logits = np.array([-2.0, 1.0, 0.8, 0.5])  # 3 of the 4 (positive, negative) pairs in order: AUC 0.75
    a, b = keras.metrics.AUC(from_logits=True), keras.metrics.AUC()
    a.update_state([0, 1, 0, 1], logits)
    b.update_state([0, 1, 0, 1], 1 / (1 + np.exp(-logits)))
    assert float(a.result()) == float(b.result()) == pytest.approx(0.75, abs=0.01)
    # three thresholds: ROC points (1, 1), (0.5, 1), (0, 0); the last step's height is 0.5, 0 or 1
    for method, want in (("interpolation", 0.75), ("minoring", 0.5), ("majoring", 1.0)):
        m = keras.metrics.AUC(num_thresholds=3, summation_method=method, from_logits=True)
        m.update_state([0, 1, 0, 1], logits)
        assert float(m.result()) == pytest.approx(want)
    x = np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4)
    np.testing.assert_array_equal(layers.Flatten(data_format="channels_first")(x).numpy(),
                                  np.transpose(x, (0, 2, 3, 1)).reshape(1, -1))
    inp = keras.Input((3,))
    assert layers.Lambda(lambda t: t[:, :2], output_shape=(2,))(inp).shape == (None, 2)
    assert layers.Lambda(lambda t: t, output_shape=lambda s: (s[0], 7))(inp).shape == (None, 7)  # taken on trust
