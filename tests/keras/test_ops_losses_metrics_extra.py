"""keras.ops, pad_sequences, keras.constraints, and the added losses and
metrics, each against numpy formulas or known values."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import ops


def test_keras_ops_follow_numpy_conventions(rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(ops.sum(x).numpy(), x.sum(), rtol=1e-6)
    np.testing.assert_allclose(ops.mean(x, axis=(0, 1)).numpy(), x.mean(), rtol=1e-6)
    np.testing.assert_allclose(ops.max(x, axis=1, keepdims=True).numpy(), x.max(1, keepdims=True))
    assert int(ops.argmax(x)) == np.argmax(x)  # None flattens, as numpy
    np.testing.assert_array_equal(ops.argmax(x, axis=0).numpy(), np.argmax(x, 0))
    np.testing.assert_array_equal(ops.concatenate([x, x]).numpy(), np.concatenate([x, x]))
    np.testing.assert_array_equal(ops.transpose(x).numpy(), x.T)
    np.testing.assert_array_equal(ops.take(x, [5, 0]).numpy(), x.reshape(-1)[[5, 0]])
    idx = np.argsort(x, 1)
    np.testing.assert_array_equal(ops.take_along_axis(x, idx, axis=1).numpy(), np.take_along_axis(x, idx, 1))
    np.testing.assert_array_equal(ops.flip(x, 1).numpy(), x[:, ::-1])
    np.testing.assert_array_equal(ops.arange(5).numpy(), np.arange(5))
    np.testing.assert_allclose(ops.dot(x, x.T).numpy(), x @ x.T, rtol=1e-5)
    np.testing.assert_allclose(ops.dot(x[0], x[1]).numpy(), x[0] @ x[1], rtol=1e-5)
    parts = ops.split(np.arange(6), [2, 5])
    assert [p.numpy().tolist() for p in parts] == [[0, 1], [2, 3, 4], [5]]
    np.testing.assert_allclose(ops.full((2, 2), 3.0).numpy(), np.full((2, 2), 3.0))
    assert ops.shape(x) == (3, 4) and ops.ndim(x) == 2 and ops.size(x) == 12
    np.testing.assert_allclose(ops.binary_crossentropy(np.array([1.0, 0.0]), np.array([0.8, 0.3])).numpy(),
                               [-np.log(0.8), -np.log(0.7)], rtol=1e-6)
    np.testing.assert_array_equal(ops.one_hot(np.array([1, 0]), 3).numpy(), [[0, 1, 0], [1, 0, 0]])


def test_pad_sequences():
    seqs = [[1, 2, 3], [4], [5, 6, 7, 8]]
    assert keras.utils.pad_sequences(seqs).tolist() == [[0, 1, 2, 3], [0, 0, 0, 4], [5, 6, 7, 8]]
    assert keras.preprocessing.sequence.pad_sequences(seqs, maxlen=2, padding="post", truncating="post").tolist() \
        == [[1, 2], [4, 0], [5, 6]]
    assert keras.utils.pad_sequences(seqs, maxlen=3, value=-1).tolist() == [[1, 2, 3], [-1, -1, 4], [6, 7, 8]]
    out = keras.utils.pad_sequences([[[1.0, 2.0]], []], dtype="float32")
    assert out.shape == (2, 1, 2) and out.dtype == np.float32
    with pytest.raises(ValueError, match="padding and truncating"):
        keras.utils.pad_sequences(seqs, padding="middle")
    with pytest.raises(ValueError, match="sequence 1 is not a sequence"):
        keras.utils.pad_sequences([[1], 2])


def test_constraints(rng):
    w = rng.standard_normal((4, 3)).astype(np.float32) * 3
    mn = keras.constraints.MaxNorm(2.0)(tf.constant(w)).numpy()
    norms = np.linalg.norm(w, axis=0)
    np.testing.assert_allclose(mn, w * np.minimum(norms, 2.0) / (norms + 1e-7), rtol=1e-5)
    np.testing.assert_array_equal(keras.constraints.NonNeg()(tf.constant(w)).numpy(), np.maximum(w, 0))
    np.testing.assert_allclose(np.linalg.norm(keras.constraints.UnitNorm()(tf.constant(w)).numpy(), axis=0), 1.0,
                               rtol=1e-5)
    mm = keras.constraints.MinMaxNorm(1.0, 1.5, rate=0.5)(tf.constant(w)).numpy()
    want = 0.5 * np.clip(norms, 1.0, 1.5) + 0.5 * norms
    np.testing.assert_allclose(np.linalg.norm(mm, axis=0), want, rtol=1e-5)
    assert isinstance(keras.constraints.get("max_norm"), keras.constraints.MaxNorm)
    c = keras.constraints.deserialize(keras.constraints.serialize(keras.constraints.MaxNorm(3, axis=1)))
    assert c.max_value == 3 and c.axis == 1
    with pytest.raises(ValueError, match="Unknown constraint"):
        keras.constraints.get("positive")


def test_added_losses_against_numpy(rng):
    y = rng.integers(0, 2, (5, 3)).astype(np.float32)
    p = rng.uniform(0.05, 2.0, (5, 3)).astype(np.float32)
    s = 2 * y - 1
    cases = {
        "hinge": np.maximum(1 - s * p, 0).mean(-1),
        "squared_hinge": (np.maximum(1 - s * p, 0) ** 2).mean(-1),
        "log_cosh": np.log(np.cosh(p - y)).mean(-1),
        "poisson": (p - y * np.log(p + 1e-7)).mean(-1),
        "msle": ((np.log1p(p) - np.log1p(np.maximum(y, 1e-7))) ** 2).mean(-1),
        "mape": 100 * (np.abs(y - p) / np.maximum(np.abs(y), 1e-7)).mean(-1),
    }
    for name, want in cases.items():
        np.testing.assert_allclose(keras.losses.get(name)(y, p).numpy(), want, rtol=1e-5, err_msg=name)
    onehot = np.eye(3, dtype=np.float32)[[0, 2, 1, 1, 0]]
    ch = np.maximum(((1 - onehot) * p).max(-1) - (onehot * p).sum(-1) + 1, 0)
    np.testing.assert_allclose(keras.losses.categorical_hinge(onehot, p).numpy(), ch, rtol=1e-6)
    np.testing.assert_allclose(float(keras.losses.CategoricalHinge()(onehot, p)), ch.mean(), rtol=1e-6)
    np.testing.assert_allclose(float(keras.losses.Hinge(reduction="sum")(y, p)), cases["hinge"].sum(), rtol=1e-5)
    for cls in ("Hinge", "SquaredHinge", "LogCosh", "Poisson", "MeanSquaredLogarithmicError",
                "MeanAbsolutePercentageError", "CategoricalHinge"):
        assert getattr(keras.losses, cls).__name__ == cls


def test_losses_train_a_model():
    x = np.random.default_rng(0).standard_normal((64, 4)).astype(np.float32)
    y = (x.sum(1, keepdims=True) > 0).astype(np.float32)
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(4,))])
    model.compile("adam", loss="hinge")
    h = model.fit(x, y, epochs=3, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]


def test_confusion_count_metrics():
    y, p = [0, 1, 1, 1, 0], [0.6, 0.2, 0.7, 0.9, 0.1]
    got = {cls: float(getattr(keras.metrics, cls)()(y, p)) for cls in
           ("TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives")}
    assert got == {"TruePositives": 2, "FalsePositives": 1, "TrueNegatives": 1, "FalseNegatives": 1}
    m = keras.metrics.TruePositives(thresholds=[0.15, 0.5, 0.8])
    m.update_state(y, p)
    np.testing.assert_array_equal(m.result().numpy(), [3, 2, 1])
    w = keras.metrics.FalsePositives()
    w.update_state(y, p, sample_weight=[3, 1, 1, 1, 1])
    assert float(w.result()) == 3.0


def test_top_k_accuracy():
    p = np.array([[0.1, 0.5, 0.4], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6]], np.float32)
    sparse = keras.metrics.SparseTopKCategoricalAccuracy(k=2)
    sparse.update_state([2, 2, 1], p)
    assert float(sparse.result()) == pytest.approx(2 / 3)  # row 1: class 2 is last; row 2: a tie counts as in
    onehot = keras.metrics.TopKCategoricalAccuracy(k=1)
    onehot.update_state(np.eye(3)[[1, 1, 2]], p)
    assert float(onehot.result()) == pytest.approx(2 / 3)


def test_error_and_crossentropy_metrics(rng):
    y = rng.uniform(0.5, 2, (6, 2)).astype(np.float32)
    p = rng.uniform(0.5, 2, (6, 2)).astype(np.float32)
    rmse = keras.metrics.RootMeanSquaredError()
    rmse.update_state(y[:3], p[:3])
    rmse.update_state(y[3:], p[3:])
    assert float(rmse.result()) == pytest.approx(np.sqrt(((y - p) ** 2).mean()), rel=1e-5)
    mape = keras.metrics.MeanAbsolutePercentageError()
    mape.update_state(y, p)
    assert float(mape.result()) == pytest.approx((100 * np.abs(y - p) / y).mean(), rel=1e-5)
    msle = keras.metrics.MeanSquaredLogarithmicError()
    msle.update_state(y, p)
    assert float(msle.result()) == pytest.approx(((np.log1p(y) - np.log1p(p)) ** 2).mean(), rel=1e-5)
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], np.float32)
    labels = np.array([0, 2])
    sce = keras.metrics.SparseCategoricalCrossentropy()
    sce.update_state(labels, probs)
    assert float(sce.result()) == pytest.approx(-np.log([0.7, 0.8]).mean(), rel=1e-5)
    cce = keras.metrics.CategoricalCrossentropy()
    cce.update_state(np.eye(3)[labels], probs)
    assert float(cce.result()) == pytest.approx(-np.log([0.7, 0.8]).mean(), rel=1e-5)
    bce = keras.metrics.BinaryCrossentropy(from_logits=True)
    bce.update_state([[1.0], [0.0]], [[2.0], [-1.0]])
    assert float(bce.result()) == pytest.approx(np.mean([np.log1p(np.exp(-2)), np.log1p(np.exp(-1))]), rel=1e-5)


def test_f1_and_fbeta():
    y = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]], np.float32)
    p = np.array([[0.8, 0.1, 0.1], [0.6, 0.3, 0.1], [0.1, 0.2, 0.7], [0.3, 0.6, 0.1]], np.float32)
    f1 = keras.metrics.F1Score()
    f1.update_state(y, p)
    # class 0: tp 1 fp 1 fn 1 -> 0.5; class 1: tp 0 -> 0; class 2: tp 1 -> 1
    np.testing.assert_allclose(f1.result().numpy(), [0.5, 0.0, 1.0], rtol=1e-6)
    macro = keras.metrics.F1Score(average="macro")
    macro.update_state(y, p)
    assert float(macro.result()) == pytest.approx(0.5)
    micro = keras.metrics.F1Score(average="micro")
    micro.update_state(y, p)
    assert float(micro.result()) == pytest.approx(0.5)  # tp 2, fp 2, fn 2
    fb = keras.metrics.FBetaScore(beta=2.0, threshold=0.5, average="weighted")
    fb.update_state(y, p)
    # thresholded at 0.5: class 0 tp1 fp1 fn1 (F2 = 0.5), class 1 tp0 (0), class 2 tp1 (1); support 2, 1, 1
    assert float(fb.result()) == pytest.approx((0.5 * 2 + 0 + 1 * 1) / 4)
    with pytest.raises(ValueError, match="average must be"):
        keras.metrics.F1Score(average="mean")


def test_metric_names_compile(rng):
    x = rng.standard_normal((32, 3)).astype(np.float32)
    y = rng.integers(0, 3, 32)
    model = keras.Sequential([keras.layers.Dense(3, activation="softmax", input_shape=(3,))])
    model.compile("sgd", "sparse_categorical_crossentropy",
                  metrics=["sparse_top_k_categorical_accuracy", keras.metrics.SparseCategoricalCrossentropy()])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["sparse_top_k_categorical_accuracy"] == pytest.approx(1.0)  # k=5 > 3 classes
    assert logs["sparse_categorical_crossentropy"] == pytest.approx(logs["loss"], rel=1e-4)


def test_every_callback_hook_gets_a_logs_dict(rng):
    seen = []

    def note(name):
        def hook(self, *args):
            logs = args[-1]
            assert isinstance(logs, dict), f"{name} got {logs!r}"
            seen.append((name, sorted(logs.keys())))
        return hook

    hooks = ("on_train_begin", "on_epoch_begin", "on_train_batch_begin", "on_test_begin", "on_test_batch_begin",
             "on_predict_begin", "on_predict_batch_begin", "on_predict_end", "on_train_end", "on_test_end")
    Recorder = type("Recorder", (keras.callbacks.Callback,), {h: note(h) for h in hooks})

    model = keras.Sequential([keras.layers.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    x, y = rng.standard_normal((8, 2)).astype(np.float32), rng.standard_normal((8, 1)).astype(np.float32)
    model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y), callbacks=[Recorder()])
    model.predict(x, verbose=0, callbacks=[Recorder()])
    names = {n for n, _ in seen}
    assert {"on_train_begin", "on_epoch_begin", "on_train_batch_begin", "on_test_begin",
            "on_predict_begin", "on_predict_batch_begin"} <= names


def test_keras_ops_composites(rng):
    x = rng.uniform(0.5, 2.0, (3, 4)).astype(np.float32)
    np.testing.assert_allclose(ops.log2(x).numpy(), np.log2(x), rtol=1e-6)
    np.testing.assert_allclose(ops.log10(x).numpy(), np.log10(x), rtol=1e-6)
    np.testing.assert_allclose(ops.norm(x).numpy(), np.linalg.norm(x), rtol=1e-6)
    np.testing.assert_array_equal(ops.roll(x, 2).numpy(), np.roll(x, 2))
    np.testing.assert_array_equal(ops.repeat(x, 2, axis=1).numpy(), np.repeat(x, 2, axis=1))
    np.testing.assert_allclose(ops.segment_sum(x, [0, 2, 0]).numpy(), np.stack([x[0] + x[2], 0 * x[0], x[1]]))
    mean, var = ops.moments(x, axes=(0,))
    np.testing.assert_allclose(mean.numpy(), x.mean(0), rtol=1e-6)
    np.testing.assert_allclose(var.numpy(), x.var(0), rtol=1e-5)


def test_more_activations(rng):
    x = rng.uniform(-4, 4, (5, 6))
    sp = np.log1p(np.exp(x))
    want = {"relu6": np.clip(x, 0, 6), "softsign": x / (1 + np.abs(x)), "log_sigmoid": -np.log1p(np.exp(-x)),
            "exponential": np.exp(x), "hard_sigmoid": np.clip(x + 3, 0, 6) / 6,
            "hard_silu": x * np.clip(x + 3, 0, 6) / 6, "hard_tanh": np.clip(x, -1, 1), "mish": x * np.tanh(sp),
            "celu": np.maximum(x, 0) + np.minimum(np.exp(x) - 1, 0), "tanh_shrink": x - np.tanh(x),
            "hard_shrink": np.where(np.abs(x) > 0.5, x, 0), "squareplus": (x + np.sqrt(x * x + 4)) / 2,
            "soft_shrink": np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0))}
    for name, w in want.items():
        np.testing.assert_allclose(keras.activations.get(name)(tf.constant(x)).numpy(), w, rtol=1e-10, atol=1e-12,
                                   err_msg=name)
    a, b = x[:, :3], x[:, 3:]
    np.testing.assert_allclose(keras.activations.glu(tf.constant(x)).numpy(), a / (1 + np.exp(-b)), rtol=1e-10)
    layer = keras.layers.Dense(3, activation="mish")
    assert layer(np.ones((1, 2), np.float32)).shape == (1, 3)


def test_custom_stateful_metric_with_add_variable(rng):
    class PositiveCount(keras.metrics.Metric):
        def __init__(self, name="positive_count", **kwargs):
            super().__init__(name=name, **kwargs)
            self.count = self.add_variable(shape=(), initializer="zeros", name="count")
            self.seen = self.add_weight(name="seen", initializer="ones")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.count.assign_add(tf.reduce_sum(tf.cast(y_pred > 0, "float32")))
            self.seen.assign_add(float(np.size(y_pred)))

        def result(self):
            return self.count / self.seen

    m = PositiveCount()
    m.update_state(None, np.array([1.0, -1.0, 2.0]))
    assert float(m.result()) == pytest.approx(2 / 4)
    m.reset_state()
    assert float(m.count) == 0.0 and float(m.seen) == 1.0 and len(m.variables) == 2
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse", metrics=[PositiveCount()])
    x = rng.standard_normal((16, 2)).astype(np.float32)
    logs = model.evaluate(x, x[:, :1], verbose=0, return_dict=True)
    want = (model.predict(x, verbose=0) > 0).sum() / 17
    assert logs["positive_count"] == pytest.approx(want, rel=1e-5)
    with pytest.raises(NotImplementedError, match="reset_state"):
        keras.metrics.Metric().reset_state()
