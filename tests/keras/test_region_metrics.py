"""IoU family and R2Score against Keras 3's values and a numpy confusion matrix."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet.keras import metrics

R = np.random.default_rng(1)
YT, YP = R.integers(0, 4, (6, 5, 5)), R.integers(0, 4, (6, 5, 5))
W = R.random((6, 5, 5)).astype("f4")
SCORES = R.random((6, 5, 5, 4)).astype("f4")
ONE_HOT = np.eye(4, dtype="f4")[YT]


def test_iou_family_matches_keras():
    got = []
    m = metrics.MeanIoU(4)
    m.update_state(YT, YP)
    got.append(float(m.result()))
    m = metrics.IoU(4, [0, 2], ignore_class=3)
    m.update_state(YT, YP)
    got.append(float(m.result()))
    m = metrics.MeanIoU(4, sparse_y_pred=False)
    m.update_state(YT, SCORES)
    got.append(float(m.result()))
    m = metrics.OneHotMeanIoU(4)
    m.update_state(ONE_HOT, SCORES)
    got.append(float(m.result()))
    b, bp = R.integers(0, 2, (20, 1)).astype("f4"), R.random((20, 1)).astype("f4")
    for ids in ([0, 1], [1], [0]):
        m = metrics.BinaryIoU(ids, 0.4)
        m.update_state(b, bp)
        got.append(float(m.result()))
    np.testing.assert_allclose(got, [0.125007, 0.121224, 0.121361, 0.121361, 0.416667, 0.5, 0.333333], atol=2e-6)


def test_iou_weights_count_as_given():
    m = metrics.MeanIoU(4)
    m.update_state(YT, YP, W)
    cm = np.zeros((4, 4))
    np.add.at(cm, (YT.ravel(), YP.ravel()), W.ravel())
    iou = np.diag(cm) / (cm.sum(0) + cm.sum(1) - np.diag(cm))
    np.testing.assert_allclose(float(m.result()), iou.mean(), rtol=1e-5)
    with pytest.raises(ValueError, match="target_class_ids must be in"):
        metrics.IoU(3, [3])


def test_r2_score_matches_keras():
    y = R.normal(size=(30, 2)).astype("f4")
    p = (y + R.normal(size=(30, 2)) * 0.5).astype("f4")
    w = R.random(30).astype("f4")
    got = []
    for kw in ({}, {"class_aggregation": "variance_weighted_average"}, {"num_regressors": 3}):
        m = metrics.R2Score(**kw)
        m.update_state(y, p)
        m.update_state(y[:10], p[:10] * 0.5, w[:10])
        got.append(float(m.result()))
    m = metrics.R2Score(class_aggregation=None)
    m.update_state(y, p)
    got += list(np.asarray(m.result()))
    ref = 1 - ((y - p) ** 2).sum(0) / ((y - y.mean(0)) ** 2).sum(0)
    np.testing.assert_allclose(got[3:], ref, rtol=1e-5)
    np.testing.assert_allclose(got, [0.602819, 0.634917, 0.587141, 0.755626, 0.481654], atol=3e-6)


def test_region_metrics_compile_into_a_fit():
    x = R.random((32, 6)).astype("f4")
    y = R.integers(0, 3, 32)
    model = tf.keras.Sequential([tf.keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=[metrics.MeanIoU(3, sparse_y_pred=False)])
    hist = model.fit(x, y, epochs=2, batch_size=8, verbose=0).history
    assert len(model.train_function.levels) == 2 and 0 <= hist["mean_io_u"][-1] <= 1
