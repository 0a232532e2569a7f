"""Metrics over confusion-matrix counts at fixed thresholds: the counts
themselves, Precision, Recall and AUC, re-exported by ``keras.metrics``.

The counts are Variables (one entry per threshold, and per label for a
multi-label AUC) updated with ops: the predictions are compared with every
threshold at once by broadcasting and the weighted hits summed, so a compiled
training step keeps the updates in its graph.
"""

import numpy as np

import tensorlet as tf
from tensorlet.keras import backend
from tensorlet.keras import losses as _losses
from tensorlet.keras import metrics as _m

__all__ = ["AUC", "FalseNegatives", "FalsePositives", "Precision", "PrecisionAtRecall", "Recall", "RecallAtPrecision",
           "SensitivityAtSpecificity", "SpecificityAtSensitivity", "TrueNegatives", "TruePositives"]

NEG_INF = -1e10  # what a prediction outside the top k becomes: below every threshold
_NAMES = ("true_positives", "false_positives", "true_negatives", "false_negatives")


def _top_k_mask(x, k):
    """True at the ``k`` largest entries of each row (last axis); equal values
    rank by index, as ``top_k`` orders them."""
    xi, xj = tf.expand_dims(x, -1), tf.expand_dims(x, -2)
    earlier = tf.constant(np.tri(x.shape[-1], k=-1, dtype=bool))  # [i, j]: j < i
    ahead = tf.logical_or(xj > xi, tf.logical_and(tf.equal(xj, xi), earlier))
    return tf.reduce_sum(tf.cast(ahead, tf.int32), -1) < k


def confusion_counts(owner, y_true, y_pred, thresholds, sample_weight=None, top_k=None, class_id=None,
                     multi_label=False, label_weights=None):
    """The weighted true/false positives/negatives ``(tp, fp, tn, fn)`` of ``y_pred > t`` at each
    threshold ``t``: each of shape ``(thresholds,)``, or ``(thresholds, labels)`` with ``multi_label``
    (labels on the last axis of 2-D predictions). Labels are positive where nonzero; ``top_k`` keeps
    only each row's ``k`` highest predictions, ``class_id`` one class; ``label_weights`` weigh the
    last axis. ``owner`` (the metric) names errors and gives the counts' dtype.

    Raises:
        ValueError: for labels that do not match the predictions, or predictions of the wrong rank.
    """
    y_true, y_pred = _losses._prep(y_true, tf.cast(y_pred, owner.dtype))
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{type(owner).__name__}: labels of shape {tuple(y_true.shape)} do not match predictions "
                         f"of shape {tuple(y_pred.shape)}")
    w = None if sample_weight is None else _m._weights_like(tf.cast(sample_weight, owner.dtype), y_pred)
    if label_weights is not None:
        w = tf.broadcast_to(label_weights, y_pred.shape) if w is None else w * label_weights
    if top_k is not None:
        y_pred = tf.where(_top_k_mask(y_pred, top_k), y_pred, NEG_INF)
    if class_id is not None:
        if y_pred.ndim < 2:
            raise ValueError(f"{type(owner).__name__}: class_id={class_id} needs predictions of shape (batch, "
                             f"classes), got {tuple(y_pred.shape)}")
        pick = lambda t: t[..., class_id:class_id + 1]  # noqa: E731
        y_true, y_pred, w = pick(y_true), pick(y_pred), None if w is None else pick(w)
    if multi_label and y_pred.ndim != 2:
        raise ValueError(f"{type(owner).__name__}: multi_label=True needs predictions of shape (batch, labels), got "
                         f"{tuple(y_pred.shape)}")
    # (labels, samples) rows: the weighted sums over the samples above, and at or below, each
    # threshold are one batched matmul (exact zeros where nothing counts).
    rows = lambda t: tf.transpose(tf.reshape(t, (-1, y_pred.shape[-1] if multi_label else 1)))  # noqa: E731
    truth = rows(tf.cast(tf.not_equal(y_true, 0), owner.dtype))
    pos, neg = (truth, 1 - truth) if w is None else (truth * rows(w), (1 - truth) * rows(w))
    hit = tf.cast(tf.expand_dims(rows(y_pred), -1) > thresholds, owner.dtype)  # (labels, samples, thresholds)
    n = thresholds.shape[0]
    sums = tf.matmul(tf.stack([pos, neg], 1), tf.concat([hit, 1 - hit], -1))  # (labels, 2, 2 * thresholds)
    counts = [tf.transpose(sums[:, i, j * n:(j + 1) * n]) for i, j in ((0, 0), (1, 0), (1, 1), (0, 1))]
    return counts if multi_label else [tf.reshape(c, (-1,)) for c in counts]


def _thresholds(owner, thresholds, default):
    thresholds = [default] if thresholds is None else list(np.ravel(thresholds))
    bad = [t for t in thresholds if not 0 <= t <= 1]
    if bad and thresholds != [NEG_INF]:
        raise ValueError(f"{owner}: thresholds must be in [0, 1], got {bad}")
    return [float(t) for t in thresholds]


class _Confusion(_m.Metric):
    """Keeps the counts named in ``_counts`` (Variables of shape ``(len(thresholds),)``)
    of ``y_pred > threshold``; see :func:`confusion_counts`."""

    _counts, _compiled_result = _NAMES, True

    def __init__(self, thresholds, name=None, dtype=None, top_k=None, class_id=None):
        super().__init__(name, dtype)
        self.thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        self._thresholds = tf.constant(np.asarray(thresholds), dtype=self.dtype)
        self._build(None)

    def _build(self, shape):
        for name in self._counts:
            setattr(self, name, self.add_variable((len(self.thresholds),) + (shape or ()), name=name))

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(self, y_true, y_pred, self._thresholds, sample_weight, self.top_k, self.class_id)
        self._add(counts)

    def _add(self, counts):
        for name, c in zip(_NAMES, counts):
            if name in self._counts:
                getattr(self, name).assign_add(c)

    def _per_threshold(self, r):
        return tf.reshape(r, ()) if len(self.thresholds) == 1 else r


class _Count(_Confusion):
    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(_thresholds(type(self).__name__, thresholds, 0.5), name, dtype)

    def result(self):
        return self._per_threshold(tf.identity(getattr(self, self._counts[0])))


class TruePositives(_Count):
    """The (weighted) number of predictions above ``thresholds`` (0.5; one count per threshold
    of a list) whose label is 1."""
    _counts = ("true_positives",)


class FalsePositives(_Count):
    """The (weighted) number of predictions above ``thresholds`` (0.5) whose label is 0."""
    _counts = ("false_positives",)


class TrueNegatives(_Count):
    """The (weighted) number of predictions at or below ``thresholds`` (0.5) whose label is 0."""
    _counts = ("true_negatives",)


class FalseNegatives(_Count):
    """The (weighted) number of predictions at or below ``thresholds`` (0.5) whose label is 1."""
    _counts = ("false_negatives",)


class _Ratio(_Confusion):
    def __init__(self, thresholds, top_k, class_id, name, dtype):
        thresholds = _thresholds(type(self).__name__, thresholds, 0.5 if top_k is None else NEG_INF)
        super().__init__(thresholds, name, dtype, top_k, class_id)

    def result(self):
        tp = self.true_positives
        return self._per_threshold(tf.math.divide_no_nan(tp, tp + getattr(self, self._counts[1])))


class Precision(_Ratio):
    """tp / (tp + fp) of predictions above ``thresholds`` (0.5; one value per threshold of a list).

    Args:
        thresholds: a float or a list of floats in [0, 1].
        top_k: only each row's ``k`` highest predictions count as positive
            (above ``thresholds``, which then default to none).
        class_id: only this class (last axis) counts.
        name, dtype: as for every metric.
    """
    _counts = ("true_positives", "false_positives")

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="precision", dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)


class Recall(_Ratio):
    """tp / (tp + fn) of predictions above ``thresholds`` (0.5); arguments as for :class:`Precision`."""
    _counts = ("true_positives", "false_negatives")

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="recall", dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)


class AUC(_Confusion):
    """Area under the ROC (or precision-recall) curve, from the counts at
    ``num_thresholds`` evenly spaced thresholds in [0, 1] (or at ``thresholds``).

    Args:
        num_thresholds: how many thresholds (> 1), both ends included.
        curve: ``'ROC'`` or ``'PR'``.
        summation_method: ``'interpolation'`` (the trapezoid rule; for PR, the
            precision interpolated between thresholds as Davis & Goadrich do),
            or the lower (``'minoring'``) or upper (``'majoring'``) Riemann sum.
        thresholds: thresholds in [0, 1] to use instead of evenly spaced ones.
        multi_label: an AUC per label (last axis of 2-D predictions), averaged;
            else every prediction counts as one of a single label.
        num_labels: the number of labels with ``multi_label`` (else taken from
            the first predictions).
        label_weights: the labels' weights: in the average of the label AUCs
            with ``multi_label``, else as weights of the counts.
        from_logits: the predictions are logits (a sigmoid gives probabilities).
        name, dtype: as for every metric.

    Raises:
        ValueError: for an unknown ``curve`` or ``summation_method``, fewer than
            two thresholds, or ``num_labels`` without ``multi_label``.
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name="auc",
                 dtype=None, thresholds=None, multi_label=False, num_labels=None, label_weights=None,
                 from_logits=False):
        if str(curve).upper() not in ("ROC", "PR"):
            raise ValueError(f"AUC: curve must be 'ROC' or 'PR', got {curve!r}")
        if str(summation_method).lower() not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f"AUC: summation_method must be 'interpolation', 'minoring' or 'majoring', got "
                             f"{summation_method!r}")
        if thresholds is None and not num_thresholds > 1:
            raise ValueError(f"AUC: num_thresholds must be an integer > 1, got {num_thresholds!r}")
        if num_labels and not multi_label:
            raise ValueError("AUC: num_labels is needed only with multi_label=True")
        self.curve, self.summation_method = str(curve).upper(), str(summation_method).lower()
        self.multi_label, self.num_labels, self.from_logits = multi_label, num_labels, from_logits
        self.label_weights = label_weights
        inner = sorted(float(t) for t in thresholds) if thresholds is not None else \
            [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.num_thresholds = len(inner) + 2
        eps = backend.epsilon()
        super().__init__([0.0 - eps] + inner + [1.0 + eps], name, dtype)
        self._label_weights = None if label_weights is None else tf.constant(label_weights, dtype=self.dtype)

    def _build(self, shape):
        # A multi-label AUC counts per label: its counts are made when the number of labels is known.
        if not self.multi_label or shape:
            super()._build(shape)
        elif self.num_labels:
            super()._build((self.num_labels,))

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = tf.convert_to_tensor(y_pred)
        if self.from_logits:
            y_pred = tf.sigmoid(tf.cast(y_pred, self.dtype))
        counts = confusion_counts(self, y_true, y_pred, self._thresholds, sample_weight, multi_label=self.multi_label,
                                  label_weights=None if self.multi_label else self._label_weights)
        if not self.variables:  # a multi-label AUC learns the number of labels here
            self._build(tuple(y_pred.shape[1:]))
        self._add(counts)

    def reset_state(self):
        if self.variables:  # a multi-label AUC not yet built has nothing to reset
            super().reset_state()

    def result(self):
        if not self.variables:
            return tf.constant(0.0, dtype=self.dtype)
        tp, fp, tn, fn = (tf.identity(getattr(self, n)) for n in _NAMES)
        lo, hi = (lambda t: t[:-1]), (lambda t: t[1:])
        if self.curve == "PR" and self.summation_method == "interpolation":
            # Between two thresholds tp and p = tp + fp vary linearly, so precision = tp / p does
            # not: integrate it exactly over each step.
            p = tp + fp
            dtp, dp = lo(tp) - hi(tp), lo(p) - hi(p)
            slope = tf.math.divide_no_nan(dtp, tf.maximum(dp, 0.0))
            intercept = hi(tp) - slope * hi(p)
            ratio = tf.where(tf.logical_and(lo(p) > 0, hi(p) > 0), tf.math.divide_no_nan(lo(p), hi(p)), 1.0)
            terms = tf.math.divide_no_nan(slope * (dtp + intercept * tf.math.log(ratio)),
                                          tf.maximum(hi(tp) + hi(fn), 0.0))
        else:
            recall = tf.math.divide_no_nan(tp, tp + fn)
            if self.curve == "ROC":
                x, y = tf.math.divide_no_nan(fp, fp + tn), recall
            else:
                x, y = recall, tf.math.divide_no_nan(tp, tp + fp)
            heights = {"interpolation": lambda: (lo(y) + hi(y)) / 2, "minoring": lambda: tf.minimum(lo(y), hi(y)),
                       "majoring": lambda: tf.maximum(lo(y), hi(y))}[self.summation_method]()
            terms = (lo(x) - hi(x)) * heights
        if not self.multi_label:
            return tf.reduce_sum(terms)
        by_label = tf.reduce_sum(terms, 0)
        if self._label_weights is None:
            return tf.reduce_mean(by_label)
        return tf.math.divide_no_nan(tf.reduce_sum(by_label * self._label_weights),
                                     tf.reduce_sum(self._label_weights))


class _AtConstraint(_Confusion):
    """The best ``target`` rate over ``num_thresholds`` evenly spaced
    thresholds in [0, 1] at which the ``constraint`` rate is at least
    ``value`` (0 when none is)."""

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if not 0 <= value <= 1:
            raise ValueError(f"{type(self).__name__}: value must be in [0, 1], got {value!r}")
        if num_thresholds <= 0:
            raise ValueError(f"{type(self).__name__}: num_thresholds must be > 0, got {num_thresholds!r}")
        self.value, self.num_thresholds = float(value), num_thresholds
        inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        super().__init__([0.5] if num_thresholds == 1 else [0.0] + inner + [1.0], name, dtype, class_id=class_id)

    def result(self):
        c = dict(zip(("tp", "fp", "tn", "fn"), (tf.identity(getattr(self, n)) for n in _NAMES)))
        ratio = {"sensitivity": ("tp", "fn"), "recall": ("tp", "fn"), "specificity": ("tn", "fp"),
                 "precision": ("tp", "fp")}
        rate = lambda name: tf.math.divide_no_nan(c[ratio[name][0]], c[ratio[name][0]] + c[ratio[name][1]])  # noqa: E731
        best = tf.where(rate(self._constraint) >= self.value, rate(self._target), 0.0)
        return tf.reduce_max(best)


class SensitivityAtSpecificity(_AtConstraint):
    """The best sensitivity (recall) at a specificity of at least ``value``."""
    _target, _constraint = "sensitivity", "specificity"


class SpecificityAtSensitivity(_AtConstraint):
    """The best specificity at a sensitivity (recall) of at least ``value``."""
    _target, _constraint = "specificity", "sensitivity"


class PrecisionAtRecall(_AtConstraint):
    """The best precision at a recall of at least ``value``."""
    _target, _constraint = "precision", "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)


class RecallAtPrecision(_AtConstraint):
    """The best recall at a precision of at least ``value``."""
    _target, _constraint = "recall", "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)


_m._BY_NAME.update({"precision": Precision, "recall": Recall, "auc": AUC, "true_positives": TruePositives,
                    "false_positives": FalsePositives, "true_negatives": TrueNegatives,
                    "false_negatives": FalseNegatives})
