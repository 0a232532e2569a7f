"""The confusion-matrix metrics (counts, Precision, Recall, AUC), F-beta, top-k
accuracy and RMSE: state in Variables updated by ops, checked against numpy
written here from the definitions, against Keras's documented values, and
inside compiled fit/evaluate steps."""

import warnings

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import metrics

EPS = 1e-7
KINDS = ("true_positives", "false_positives", "true_negatives", "false_negatives")


# ---- references in numpy ----------------------------------------------------------
def np_counts(y, p, thresholds, w=None):
    """tp, fp, tn, fn of p > t for each t (predictions and weights flattened alike)."""
    p = np.asarray(p, np.float32)
    w = np.ones(p.shape) if w is None else np.broadcast_to(np.asarray(w, np.float64).reshape(
        np.shape(w) + (1,) * (p.ndim - np.ndim(w))), p.shape)
    t, p, w = (np.asarray(y).reshape(p.shape) != 0).ravel(), p.ravel(), w.ravel()
    pos = p[None] > np.asarray(thresholds, np.float32)[:, None]
    return np.stack([(pos & t) @ w, (pos & ~t) @ w, (~pos & ~t) @ w, (~pos & t) @ w])


def np_top_k(p, k):
    """Predictions outside each row's k highest (first index first among equals) set to -1e10."""
    keep = np.zeros(p.shape, bool)
    np.put_along_axis(keep, np.argsort(-p, axis=-1, kind="stable")[..., :k], True, axis=-1)
    return np.where(keep, p, np.float32(-1e10))


def div(a, b):
    a, b = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(b, np.float64))
    return np.divide(a, b, out=np.zeros(a.shape), where=b != 0)


def np_pr_interpolated(tp, fp, fn):
    """The PR AUC with tp and p = tp + fp linear between neighbouring thresholds,
    integrated numerically (midpoint rule)."""
    s = (np.arange(4000) + 0.5) / 4000
    area = 0.0
    for i in range(len(tp) - 1):
        tps = tp[i + 1] + s * (tp[i] - tp[i + 1])
        ps = tp[i + 1] + fp[i + 1] + s * (tp[i] + fp[i] - tp[i + 1] - fp[i + 1])
        area += np.mean(div(tps, ps)) * (tp[i] - tp[i + 1])
    return area / (tp[-1] + fn[-1]) if tp[-1] + fn[-1] else 0.0


def np_auc(counts, curve, method):
    tp, fp, tn, fn = counts
    if curve == "PR" and method == "interpolation":
        return np_pr_interpolated(tp, fp, fn)
    x, y = (div(fp, fp + tn), div(tp, tp + fn)) if curve == "ROC" else (div(tp, tp + fn), div(tp, tp + fp))
    h = {"interpolation": (y[:-1] + y[1:]) / 2, "minoring": np.minimum(y[:-1], y[1:]),
         "majoring": np.maximum(y[:-1], y[1:])}[method]
    return float(np.sum((x[:-1] - x[1:]) * h))


def auc_thresholds(n):
    return [-EPS] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1 + EPS]


@pytest.fixture
def batches():
    r = np.random.default_rng(11)
    return [(r.integers(0, 2, (24, 4)).astype(np.float32), r.uniform(0, 1, (24, 4)).astype(np.float32),
             r.uniform(0, 2, 24).astype(np.float32)) for _ in range(3)]


# ---- counts, precision, recall ----------------------------------------------------------
@pytest.mark.parametrize("thresholds", [None, 0.3, [0.1, 0.5, 0.9]])
@pytest.mark.parametrize("weighted", [False, True])
def test_counts_precision_and_recall_equal_numpy(batches, thresholds, weighted):
    thr = [0.5] if thresholds is None else np.ravel(thresholds)
    total = sum(np_counts(y, p, thr, w if weighted else None) for y, p, w in batches)
    made = {k: getattr(metrics, "".join(p.capitalize() for p in k.split("_")))(thresholds) for k in KINDS}
    made.update(precision=metrics.Precision(thresholds), recall=metrics.Recall(thresholds))
    for y, p, w in batches:
        for m in made.values():
            m.update_state(y, p, sample_weight=w if weighted else None)
    squeeze = (lambda a: a[0]) if len(thr) == 1 else (lambda a: a)
    for kind, want in zip(KINDS, total):
        np.testing.assert_allclose(made[kind]._value(), squeeze(want), rtol=1e-5)
    np.testing.assert_allclose(made["precision"]._value(), squeeze(div(total[0], total[0] + total[1])), rtol=1e-5)
    np.testing.assert_allclose(made["recall"]._value(), squeeze(div(total[0], total[0] + total[3])), rtol=1e-5)
    assert isinstance(made["precision"]._value(), float if len(thr) == 1 else np.ndarray)


@pytest.mark.parametrize("top_k", [None, 1, 2])
@pytest.mark.parametrize("class_id", [None, 0, 3])
def test_top_k_and_class_id_equal_numpy(batches, top_k, class_id):
    p_ = metrics.Precision(top_k=top_k, class_id=class_id)  # with top_k, every kept prediction is positive
    r_ = metrics.Recall(top_k=top_k, class_id=class_id, thresholds=[0.2, 0.6])
    thr_p, thr_r = ([0.5] if top_k is None else [-1e10]), [0.2, 0.6]
    ties = np.array([[0.5, 0.7, 0.7, 0.1]], np.float32)  # a tie at the top: the first index wins
    cp = cr = 0
    for y, p, w in batches + [(np.array([[0, 0, 1, 1]], np.float32), ties, np.ones(1, np.float32))]:
        p_.update_state(y, p, w)
        r_.update_state(y, p, w)
        q = p if top_k is None else np_top_k(p, top_k)
        if class_id is not None:
            y, q = y[:, class_id], q[:, class_id]
        cp, cr = cp + np_counts(y, q, thr_p, w), cr + np_counts(y, q, thr_r, w)
    np.testing.assert_allclose(p_._value(), div(cp[0], cp[0] + cp[1])[0], rtol=1e-5)
    np.testing.assert_allclose(r_._value(), div(cr[0], cr[0] + cr[3]), rtol=1e-5)


def test_values_keras_documents():
    p = metrics.Precision()
    p.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    assert p._value() == pytest.approx(2 / 3)
    p.reset_state()
    p.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    assert p._value() == 1.0
    for k, want in ((2, 0.0), (4, 0.5)):  # all four predictions tie: the first k indices are kept
        m = metrics.Precision(top_k=k)
        m.update_state([0, 0, 1, 1], [1, 1, 1, 1])
        assert m._value() == want
    r = metrics.Recall()
    r.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    assert r._value() == pytest.approx(2 / 3)
    tp = metrics.TruePositives()
    tp.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    assert tp._value() == 1.0
    auc = metrics.AUC(num_thresholds=3)
    auc.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    assert auc._value() == pytest.approx(0.75)
    auc.reset_state()
    auc.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1])
    assert auc._value() == pytest.approx(1.0)
    f1 = metrics.F1Score(threshold=0.5)
    f1.update_state(np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]]), np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6],
                                                                            [0.6, 0.8, 0.0]], np.float32))
    np.testing.assert_allclose(f1._value(), [0.5, 0.8, 2 / 3], rtol=1e-6)


def test_sample_weight_shapes_and_rank_matching():
    y, p = np.array([1, 0, 1, 1], np.float32), np.array([0.9, 0.8, 0.2, 0.7], np.float32)
    w = np.array([1.0, 2.0, 3.0, 0.5], np.float32)
    want = div(1.5, 1.5 + 2.0)
    for yy, pp, ww in ((y, p, w), (y[:, None], p, w[:, None]), (y, p[:, None], w), (y[:, None], p[:, None], w)):
        m = metrics.Precision()
        m.update_state(yy, pp, ww)
        assert m._value() == pytest.approx(want)
    m = metrics.FalsePositives()
    m.update_state(y, p, sample_weight=2.5)  # a scalar weighs everything
    assert m._value() == 2.5


# ---- AUC ----------------------------------------------------------------------
@pytest.mark.parametrize("curve", ["ROC", "PR"])
@pytest.mark.parametrize("method", ["interpolation", "minoring", "majoring"])
def test_auc_equals_numpy(batches, curve, method):
    for n, given in ((3, None), (50, None), (200, None), (6, [0.8, 0.05, 0.4, 0.6])):
        m = metrics.AUC(n, curve, method, thresholds=given)
        thr = auc_thresholds(n) if given is None else [-EPS] + sorted(given) + [1 + EPS]
        assert m.num_thresholds == len(thr) and m.true_positives.shape == (len(thr),)
        for y, p, w in batches:
            m.update_state(y, p, w)
        counts = sum(np_counts(y, p, thr, w) for y, p, w in batches)
        for kind, c in zip(KINDS, counts):
            np.testing.assert_allclose(getattr(m, kind).numpy(), c, rtol=1e-5)
        assert m._value() == pytest.approx(np_auc(counts, curve, method), abs=2e-5)


@pytest.mark.parametrize("curve", ["ROC", "PR"])
def test_multi_label_auc_and_label_weights_equal_numpy(batches, curve):
    thr, lw = auc_thresholds(200), np.array([1.0, 0.0, 2.0, 0.5])
    per_label = [sum(np_counts(y[:, j], p[:, j], thr, w) for y, p, w in batches) for j in range(4)]
    aucs = np.array([np_auc(c, curve, "interpolation") for c in per_label])
    plain = metrics.AUC(curve=curve, multi_label=True)
    weighted = metrics.AUC(curve=curve, multi_label=True, num_labels=4, label_weights=lw.tolist())
    flat = metrics.AUC(curve=curve, label_weights=lw.tolist())  # label weights weigh the flattened counts
    assert plain.variables == [] and weighted.true_positives.shape == (200, 4)
    for y, p, w in batches:
        for m in (plain, weighted, flat):
            m.update_state(y, p, w)
    assert plain.true_positives.shape == (200, 4)
    assert plain._value() == pytest.approx(aucs.mean(), abs=2e-5)
    assert weighted._value() == pytest.approx((aucs * lw).sum() / lw.sum(), abs=2e-5)
    counts = sum(np_counts(y, p, thr, w[:, None] * lw) for y, p, w in batches)
    assert flat._value() == pytest.approx(np_auc(counts, curve, "interpolation"), abs=2e-5)


def test_auc_from_logits_and_a_near_exact_roc_auc():
    r = np.random.default_rng(3)
    y = r.integers(0, 2, 400)
    logits = (y + r.normal(0, 1, 400)).astype(np.float32)
    a, b = metrics.AUC(from_logits=True, num_thresholds=2000), metrics.AUC(num_thresholds=2000)
    a.update_state(y, logits)
    b.update_state(y, 1 / (1 + np.exp(-logits)))
    pairs = logits[y == 1][:, None] > logits[y == 0][None]  # the exact ROC AUC: pairs in order
    assert a._value() == pytest.approx(b._value(), abs=1e-4)
    assert a._value() == pytest.approx(pairs.mean(), abs=2e-3)


def test_zero_denominators_give_zero():
    p, r, a, pr = metrics.Precision(), metrics.Recall(), metrics.AUC(), metrics.AUC(curve="PR")
    f1 = metrics.F1Score(average="weighted", threshold=0.5)
    assert [m._value() for m in (p, r, a, pr, f1)] == [0.0] * 5  # nothing seen yet
    for m in (p, r, a, pr):
        m.update_state([0, 0, 0], [0.1, 0.2, 0.3])  # no positive label, no positive prediction
    f1.update_state(np.zeros((3, 2)), np.full((3, 2), 0.1, np.float32))
    assert [m._value() for m in (p, r, pr, f1)] == [0.0] * 4
    assert a._value() == 0.0  # recall is 0 at every threshold


def test_state_lives_in_variables_and_resets():
    m = metrics.Precision(thresholds=[0.3, 0.7])
    names = [v.name for v in m.variables]
    assert names[0].startswith("precision/true_positives") and names[1].startswith("precision/false_positives")
    assert all(not v.trainable and v.shape == (2,) for v in m.variables)
    m.update_state([1, 0, 1], [0.9, 0.8, 0.1])
    np.testing.assert_array_equal(m.true_positives.numpy(), [1, 1])
    m.reset_state()
    assert all(not v.numpy().any() for v in m.variables) and list(m._value()) == [0.0, 0.0]
    auc = metrics.AUC(multi_label=True)
    auc.reset_state()  # not built yet: nothing to reset
    assert auc._value() == 0.0  # (its compiled result is traced again once the counts exist)
    auc.update_state(np.eye(3), np.eye(3) * 0.9)
    assert len(auc.variables) == 4 and auc._value() == pytest.approx(1.0)
    auc.reset_state()
    assert auc._value() == 0.0
    f = metrics.FBetaScore(beta=0.5)
    f.update_state(np.eye(2), np.eye(2))
    assert [v.shape for v in f.variables] == [(2,)] * 4


def test_bad_input_raises_and_changes_nothing():
    m = metrics.Recall(class_id=1)
    with pytest.raises(ValueError, match="class_id=1 needs predictions"):
        m.update_state([1, 0], [0.3, 0.9])
    auc = metrics.AUC()
    auc.update_state([1, 0], [0.8, 0.3])
    before = [v.numpy() for v in auc.variables]
    with pytest.raises(ValueError, match=r"AUC: labels of shape \(3,\) do not match predictions of shape \(2,\)"):
        auc.update_state([1, 0, 1], [0.8, 0.3])
    for v, b in zip(auc.variables, before):
        np.testing.assert_array_equal(v.numpy(), b)
    ml = metrics.AUC(multi_label=True)
    with pytest.raises(ValueError, match="multi_label=True needs predictions of shape"):
        ml.update_state([1, 0], [0.8, 0.3])
    assert ml.variables == []
    for make, match in ((lambda: metrics.Precision(thresholds=[0.5, 1.5]), r"thresholds must be in \[0, 1\]"),
                        (lambda: metrics.AUC(curve="XY"), "curve must be"),
                        (lambda: metrics.AUC(summation_method="mid"), "summation_method must be"),
                        (lambda: metrics.AUC(num_thresholds=1), "num_thresholds must be"),
                        (lambda: metrics.AUC(num_labels=3), "only with multi_label")):
        with pytest.raises(ValueError, match=match):
            make()


# ---- F-beta, top-k accuracy, RMSE ------------------------------------------------------
@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("threshold", [None, 0.5])
def test_fbeta_equals_numpy(batches, average, threshold):
    beta = 2.0
    m = metrics.FBetaScore(average, beta, threshold)
    tp = fp = fn = support = 0
    for y, p, w in batches:
        m.update_state(y, p, w)
        pred = (p >= p.max(-1, keepdims=True)) if threshold is None else p > threshold
        tp, fp = tp + ((pred & (y > 0)) * w[:, None]).sum(0), fp + ((pred & (y == 0)) * w[:, None]).sum(0)
        fn, support = fn + ((~pred & (y > 0)) * w[:, None]).sum(0), support + (y * w[:, None]).sum(0)
    if average == "micro":
        tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
    prec, rec = div(tp, tp + fp), div(tp, tp + fn)
    score = div((1 + beta ** 2) * prec * rec, beta ** 2 * prec + rec)
    want = {None: score, "micro": score, "macro": np.mean(score), "weighted": (score * support).sum() / support.sum()}
    np.testing.assert_allclose(m._value(), want[average], rtol=1e-5)


def test_top_k_accuracy_equals_numpy():
    r = np.random.default_rng(4)
    p = r.uniform(0, 1, (40, 6)).astype(np.float32)
    p[:5, :3] = 0.9  # ties at the top
    y = r.integers(0, 6, 40)
    y[0] = 2
    for k in (1, 2, 3, 6):
        want = (p > p[np.arange(40), y][:, None]).sum(1) < k  # fewer than k scores beat the label's
        for m, labels in ((metrics.SparseTopKCategoricalAccuracy(k=k), y),
                          (metrics.SparseTopKCategoricalAccuracy(k=k), y[:, None]),
                          (metrics.TopKCategoricalAccuracy(k=k), np.eye(6, dtype=np.float32)[y])):
            m.update_state(labels, p)
            assert m._value() == pytest.approx(want.mean())
    got = metrics.sparse_top_k_categorical_accuracy(np.array([7, -1, 0]), p[:3], k=6).numpy()
    np.testing.assert_array_equal(got, [0.0, 0.0, 1.0])  # a label outside the classes is never in the top k


def test_results_run_inside_a_function():
    def made():
        return [metrics.AUC(), metrics.Precision(), metrics.F1Score(), metrics.RootMeanSquaredError(),
                metrics.SparseTopKCategoricalAccuracy(k=1), metrics.Mean(), metrics.Sum()]

    def update(ms, y, p):
        for m in ms[:4]:
            m.update_state(y, p)
        ms[4].update_state(tf.argmax(y, -1), p)
        for m in ms[5:]:
            m.update_state(p)
        return [m.result() for m in ms]

    y, p = np.eye(3, dtype=np.float32)[[0, 1, 2, 1]], np.eye(3, dtype=np.float32)[[0, 2, 2, 1]] * 0.8
    traced, eager = made(), made()
    step = tf.function(lambda y, p: update(traced, y, p))
    for _ in range(2):
        got = step(tf.constant(y), tf.constant(p))
        update(eager, tf.constant(y), tf.constant(p))
    for g, m, e in zip(got, traced, eager):
        np.testing.assert_allclose(g.numpy(), m._value(), rtol=1e-6)
        np.testing.assert_allclose(m._value(), e._value(), rtol=1e-6)


# ---- inside compiled fit / evaluate -------------------------------------------------------
def _binary_fit(run_eagerly):
    r = np.random.default_rng(0)
    x = r.standard_normal((96, 6)).astype(np.float32)
    y = (x[:, 0] + 0.5 * r.standard_normal(96) > 0).astype(np.float32)
    tf.random.set_seed(5)
    np.random.seed(5)
    model = keras.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", run_eagerly=run_eagerly, metrics=[
        "accuracy", metrics.AUC(name="auc"), metrics.AUC(curve="PR", name="pr_auc"), metrics.Precision(),
        metrics.Recall(thresholds=0.3), metrics.TruePositives(), metrics.FalseNegatives(), metrics.TrueNegatives(),
        metrics.FalsePositives(), metrics.F1Score("micro", 0.5), metrics.RootMeanSquaredError(),
        metrics.Precision(top_k=1, name="top1")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no step may fall back to eager
        hist = model.fit(x, y, batch_size=16, epochs=2, verbose=0, validation_data=(x[:40], y[:40]))
        ev = model.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    return model, hist.history, ev


def test_metrics_stay_in_the_compiled_step_and_equal_eager():
    compiled, h1, e1 = _binary_fit(False)
    _, h2, e2 = _binary_fit(True)
    for fn in (compiled.train_function, compiled.test_function):
        assert len(fn.levels) == 2  # the level with the metric updates traced: nothing fell back
        concretes = list(fn.levels[0]._concrete.values())
        assert concretes and all(c.graph.plan is not None for c in concretes)  # in the C++ runtime
        assert not fn.levels[1]._concrete  # the level without metrics was never needed
    assert h1.keys() == h2.keys() and len(h1) == 2 * 13
    for k in h1:
        np.testing.assert_allclose(h1[k], h2[k], rtol=1e-5, atol=1e-6)
    for k in e1:
        np.testing.assert_allclose(e1[k], e2[k], rtol=1e-5, atol=1e-6)
    assert 0.5 < h1["val_auc"][-1] <= 1 and h1["true_positives"][-1] + h1["false_negatives"][-1] > 0


METRIC_CLASSES = sorted((c for n, c in vars(metrics).items() if isinstance(c, type) and issubclass(c, metrics.Metric)
                         and not n.startswith("_") and c not in (metrics.Metric, metrics.MeanMetricWrapper)),
                        key=lambda c: c.__name__)


@pytest.mark.parametrize("cls", METRIC_CLASSES, ids=lambda c: c.__name__)
def test_every_metric_updates_inside_a_function_run_by_the_cpp_runtime(cls):
    r = np.random.default_rng(2)
    p = r.uniform(0.05, 0.95, (8, 3)).astype(np.float32)
    p /= p.sum(1, keepdims=True)
    labels = r.integers(0, 3, 8)
    y = labels if "Sparse" in cls.__name__ else np.eye(3, dtype=np.float32)[labels]
    args = (0.5,) if cls.__name__.endswith(("AtRecall", "AtPrecision", "AtSpecificity", "AtSensitivity")) else \
        (3, [0, 2]) if cls.__name__ in ("IoU", "OneHotIoU") else (3,) if cls.__name__.endswith("MeanIoU") else ()
    traced, eager = cls(*args), cls(*args)

    def update(m, y, p):
        m.update_state(p) if cls in (metrics.Mean, metrics.Sum) else m.update_state(y, p)
        return m.result()

    step = tf.function(lambda y, p: update(traced, y, p))
    for _ in range(2):
        got = step(tf.constant(y), tf.constant(p))
        update(eager, y, p)
    (concrete,) = step._concrete.values()
    assert concrete.graph.plan is not None
    np.testing.assert_allclose(got.numpy(), eager._value(), rtol=1e-6)
    np.testing.assert_allclose(traced._value(), eager._value(), rtol=1e-6)


def test_a_subclass_result_runs_as_written():
    class Scaled(metrics.Precision):
        scale = 1.0

        def result(self):  # reads a Python attribute: a compiled copy would freeze it
            return super().result() * self.scale

    m = Scaled()
    m.update_state([1, 0, 1], [0.9, 0.8, 0.2])
    assert m._value() == pytest.approx(0.5)
    m.scale = 2.0
    assert m._value() == pytest.approx(1.0)


def test_fit_reports_metrics_with_one_value_per_class_or_threshold(capsys):
    rng = np.random.default_rng(5)
    x = rng.random((40, 4)).astype("f4")
    y = np.eye(3, dtype="f4")[rng.integers(0, 3, 40)]
    model = keras.Sequential([keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "categorical_crossentropy",
                  metrics=[keras.metrics.F1Score(average=None), keras.metrics.Precision(thresholds=[0.3, 0.6])])
    hist = model.fit(x, y, epochs=2, verbose=2, validation_data=(x, y)).history
    assert "f1_score: [" in capsys.readouterr().out
    assert [np.shape(v) for v in hist["f1_score"]] == [(3,), (3,)] and np.shape(hist["val_precision"][1]) == (2,)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["precision"], hist["val_precision"][1], rtol=1e-6)
    np.testing.assert_allclose(logs["f1_score"], hist["val_f1_score"][1], rtol=1e-6)


def test_rates_at_a_constraint_match_keras():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, (64, 1)).astype("f4")
    p = np.clip(y * 0.3 + rng.random((64, 1)) * 0.7, 0, 1).astype("f4")
    w = rng.random((64, 1)).astype("f4")
    yc, pc = np.eye(3, dtype="f4")[rng.integers(0, 3, 64)], rng.random((64, 3)).astype("f4")
    got = []
    for cls, v in [("SensitivityAtSpecificity", 0.5), ("SpecificityAtSensitivity", 0.8), ("PrecisionAtRecall", 0.7),
                   ("RecallAtPrecision", 0.6)]:
        for kw in ({}, {"num_thresholds": 7}, {"num_thresholds": 1}):
            m = getattr(metrics, cls)(v, **kw)
            m.update_state(y, p)
            m.update_state(y, p, sample_weight=w)
            got.append(float(m.result()))
        m = getattr(metrics, cls)(v, class_id=1)
        m.update_state(yc, pc)
        got.append(float(m.result()))
    keras_values = [0.94643, 0.74905, 0.74905, 0.61905, 0.69685, 0.48049, 0.0, 0.34884, 0.79333, 0.77397, 0.77397,
                    0.38462, 1.0, 1.0, 0.74905, 0.09524]  # Keras 3.15 on the same data
    np.testing.assert_allclose(got, keras_values, atol=6e-6)
    with pytest.raises(ValueError, match="PrecisionAtRecall: value must be in"):
        metrics.PrecisionAtRecall(1.5)
