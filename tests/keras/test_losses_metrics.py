import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import losses, metrics

EPS = 1e-7


def _np_softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_regression_losses():
    yt = np.array([[0.0, 1.0], [2.0, -1.0]], np.float32)
    yp = np.array([[0.5, 1.0], [0.0, 1.0]], np.float32)
    assert float(losses.MeanSquaredError()(yt, yp)) == pytest.approx(((yp - yt) ** 2).mean(), rel=1e-6)
    assert float(losses.MeanAbsoluteError()(yt, yp)) == pytest.approx(np.abs(yp - yt).mean(), rel=1e-6)
    np.testing.assert_allclose(losses.mean_squared_error(yt, yp).numpy(), [0.125, 4.0], rtol=1e-6)
    e = np.abs(yp - yt)
    hub = np.where(e <= 1, 0.5 * e**2, e - 0.5).mean()
    assert float(losses.Huber()(yt, yp)) == pytest.approx(hub, rel=1e-6)
    # sample weights: sum of weighted per-sample values over the batch size
    assert float(losses.MeanSquaredError()(yt, yp, sample_weight=[1.0, 0.0])) == pytest.approx(0.125 / 2)
    assert float(losses.MeanSquaredError(reduction="sum")(yt, yp)) == pytest.approx(4.125)


def test_binary_crossentropy():
    yt = np.array([[1.0], [0.0], [1.0]], np.float32)
    p = np.array([[0.9], [0.2], [1.0]], np.float32)
    pc = np.clip(p, EPS, 1 - EPS)
    want = -(yt * np.log(pc) + (1 - yt) * np.log(1 - pc)).mean()
    assert float(losses.BinaryCrossentropy()(yt, p)) == pytest.approx(want, rel=1e-5)
    z = np.array([[2.0], [-1.0], [30.0]], np.float32)
    want_l = (np.maximum(z, 0) - z * yt + np.log1p(np.exp(-np.abs(z)))).mean()
    assert float(losses.BinaryCrossentropy(from_logits=True)(yt, z)) == pytest.approx(want_l, rel=1e-5)
    # (n,) labels against (n, 1) predictions
    assert float(losses.binary_crossentropy(yt[:, 0], p).numpy().mean()) == pytest.approx(want, rel=1e-5)


def test_categorical_and_sparse_crossentropy():
    z = np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]], np.float32)
    labels = np.array([1, 2])
    onehot = np.eye(3, dtype=np.float32)[labels]
    logp = np.log(_np_softmax(z))
    want = -logp[np.arange(2), labels].mean()
    assert float(losses.SparseCategoricalCrossentropy(from_logits=True)(labels, z)) == pytest.approx(want, rel=1e-5)
    assert float(losses.CategoricalCrossentropy(from_logits=True)(onehot, z)) == pytest.approx(want, rel=1e-5)
    p = np.array([[0.2, 0.7, 0.1], [0.0, 0.5, 0.5]], np.float32)
    pc = np.clip(p, EPS, 1 - EPS)
    want_p = -np.log(pc[np.arange(2), labels]).mean()
    assert float(losses.SparseCategoricalCrossentropy()(labels, p)) == pytest.approx(want_p, rel=1e-5)
    assert float(losses.CategoricalCrossentropy()(onehot, p)) == pytest.approx(want_p, rel=1e-5)
    # after a softmax the exact logits path is taken
    probs = keras.activations.softmax(tf.constant(z))
    assert float(losses.SparseCategoricalCrossentropy()(labels, probs)) == pytest.approx(want, rel=1e-5)
    with pytest.raises(ValueError, match="categorical_crossentropy"):
        losses.SparseCategoricalCrossentropy()(onehot, p)
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        losses.CategoricalCrossentropy()(labels, p)


def test_crossentropy_gradient_from_logits():
    z = tf.constant(np.array([[1.0, 2.0, 0.5]], np.float32))
    with tf.GradientTape() as tape:
        tape.watch(z)
        loss = losses.sparse_categorical_crossentropy(np.array([0]), z, from_logits=True)
    g = tape.gradient(loss, z).numpy()
    np.testing.assert_allclose(g, _np_softmax(z.numpy()) - np.eye(3)[[0]], rtol=1e-5, atol=1e-6)


def test_kld_and_cosine():
    yt = np.array([[0.2, 0.8], [0.5, 0.5]], np.float32)
    yp = np.array([[0.4, 0.6], [0.9, 0.1]], np.float32)
    want = (yt * np.log(yt / yp)).sum(-1).mean()
    assert float(losses.KLDivergence()(yt, yp)) == pytest.approx(want, rel=1e-5)
    cos = (yt * yp).sum(-1) / np.linalg.norm(yt, axis=-1) / np.linalg.norm(yp, axis=-1)
    assert float(losses.CosineSimilarity()(yt, yp)) == pytest.approx(-cos.mean(), rel=1e-5)
    assert losses.get("KLD") is losses.kl_divergence and losses.get("MSE") is losses.mean_squared_error


def test_unknown_loss_lists_valid_names():
    with pytest.raises(ValueError, match="mean_squared_error"):
        losses.get("mean_sqared_error")


def test_accuracy_metrics_accumulate():
    m = metrics.SparseCategoricalAccuracy()
    m.update_state([1, 0], [[0.1, 0.9], [0.3, 0.7]])
    assert float(m.result()) == pytest.approx(0.5)
    m.update_state([[0]], [[0.8, 0.2]])
    assert float(m.result()) == pytest.approx(2 / 3)
    m.reset_state()
    assert float(m.result()) == 0.0
    c = metrics.CategoricalAccuracy()
    c.update_state([[0, 1], [1, 0]], [[0.1, 0.9], [0.3, 0.7]])
    assert float(c.result()) == pytest.approx(0.5)
    b = metrics.BinaryAccuracy()
    b.update_state([[1], [0], [1], [0]], [[0.6], [0.4], [0.3], [0.7]])
    assert float(b.result()) == pytest.approx(0.5)
    assert b.name == "binary_accuracy"
    a = metrics.Accuracy()
    a.update_state([1, 2, 3, 4], [1, 2, 0, 4])
    assert float(a.result()) == pytest.approx(0.75)
    mean = metrics.Mean()
    mean.update_state([1.0, 2.0, 3.0], sample_weight=[1.0, 0.0, 1.0])
    assert float(mean.result()) == pytest.approx(2.0)


def test_regression_metrics():
    m = metrics.MeanSquaredError()
    m.update_state([[1.0], [2.0]], [[2.0], [2.0]])
    assert float(m.result()) == pytest.approx(0.5)
    a = metrics.MeanAbsoluteError()
    a.update_state([[1.0], [2.0]], [[3.0], [2.0]])
    assert float(a.result()) == pytest.approx(1.0)


def test_precision_recall_auc():
    yt = np.array([1, 0, 1, 1, 0, 0], np.float32)
    yp = np.array([0.9, 0.6, 0.4, 0.8, 0.2, 0.1], np.float32)
    p, r = metrics.Precision(), metrics.Recall()
    p.update_state(yt, yp)
    r.update_state(yt, yp)
    assert float(p.result()) == pytest.approx(2 / 3)
    assert float(r.result()) == pytest.approx(2 / 3)
    auc = metrics.AUC()
    auc.update_state(yt, yp)
    # exact ROC AUC: fraction of (positive, negative) pairs ranked correctly = 8/9
    assert float(auc.result()) == pytest.approx(8 / 9, abs=1e-3)


def test_metric_name_resolution():
    from tensorlet.keras.metrics import get

    assert get("accuracy", (4,), (4, 3))._fn is metrics.sparse_categorical_accuracy
    assert get("acc", (4, 3), (4, 3))._fn is metrics.categorical_accuracy
    assert get("accuracy", (4, 1), (4, 1))._fn is metrics.binary_accuracy
    assert get("acc", (4, 1), (4, 1)).name == "acc"
    with pytest.raises(ValueError, match="valid names"):
        get("acuracy")
