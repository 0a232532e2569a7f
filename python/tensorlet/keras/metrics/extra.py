"""More metrics: confusion counts, top-k accuracy, RMSE, losses as metrics
(crossentropies, hinge, Poisson, MSLE, MAPE, ...) and F1/F-beta scores,
re-exported by ``keras.metrics``. Totals are kept on the host, as for the
other metrics."""

import numpy as np

import tensorlet as tf
from tensorlet.keras import backend
from tensorlet.keras import losses as _losses
from tensorlet.keras import losses_extra as _more
from tensorlet.keras import metrics as _m

__all__ = [
    "BinaryCrossentropy", "CategoricalCrossentropy", "CategoricalHinge", "CosineSimilarity", "F1Score",
    "FBetaScore", "FalseNegatives", "FalsePositives", "Hinge", "KLDivergence", "LogCoshError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "Poisson", "RootMeanSquaredError",
    "SparseCategoricalCrossentropy", "SparseTopKCategoricalAccuracy", "SquaredHinge", "TopKCategoricalAccuracy",
    "TrueNegatives", "TruePositives", "categorical_hinge", "hinge", "log_cosh", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "poisson", "sparse_top_k_categorical_accuracy", "squared_hinge",
    "top_k_categorical_accuracy",
]


# ---- confusion counts -------------------------------------------------------------
class _Count(_m._Confusion):
    _field = "tp"

    def __init__(self, thresholds=None, name=None, dtype=None):
        self._many = isinstance(thresholds, (list, tuple, np.ndarray))
        super().__init__(thresholds if self._many else [0.5 if thresholds is None else thresholds], name, dtype)

    def _value(self):
        counts = getattr(self, self._field)
        return counts.copy() if self._many else float(counts[0])

    def get_config(self):
        t = self.thresholds.tolist()
        return {**super().get_config(), "thresholds": t if self._many else t[0]}


class TruePositives(_Count):
    """The (weighted) number of predictions above ``thresholds`` (0.5) whose label is 1."""
    _field = "tp"


class FalsePositives(_Count):
    """The (weighted) number of predictions above ``thresholds`` (0.5) whose label is 0."""
    _field = "fp"


class TrueNegatives(_Count):
    """The (weighted) number of predictions at or below ``thresholds`` (0.5) whose label is 0."""
    _field = "tn"


class FalseNegatives(_Count):
    """The (weighted) number of predictions at or below ``thresholds`` (0.5) whose label is 1."""
    _field = "fn"


# ---- top-k accuracy -----------------------------------------------------------------
def _in_top_k(scores, targets, k):
    # A target is in the top k when fewer than k scores beat it (ties count as in, as tf.math.in_top_k).
    scores = np.asarray(scores)
    target_score = np.take_along_axis(scores, targets[..., None].astype(np.int64), -1)
    return tf.constant((np.sum(scores > target_score, -1) < k).astype(backend.floatx()))


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot label's class is among the ``k`` highest predictions."""
    return _in_top_k(y_pred, np.argmax(np.asarray(y_true), -1), k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the integer label is among the ``k`` highest predictions."""
    y_true = np.asarray(y_true)
    scores = np.asarray(y_pred)
    if y_true.ndim == scores.ndim:
        y_true = y_true[..., 0]
    return _in_top_k(scores, y_true, k)


class TopKCategoricalAccuracy(_m.MeanMetricWrapper):
    """How often the one-hot label is among the ``k`` (5) highest predictions."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name, dtype, k=k)


class SparseTopKCategoricalAccuracy(_m.MeanMetricWrapper):
    """How often the integer label is among the ``k`` (5) highest predictions."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name, dtype, k=k)


# ---- errors -------------------------------------------------------------------------
class RootMeanSquaredError(_m.Mean):
    """sqrt of the mean squared error over every value seen."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name, dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _losses._prep(y_true, y_pred)
        super().update_state(tf.square(y_pred - y_true), sample_weight)

    def result(self):
        return tf.sqrt(super().result())

    def _value(self):
        return float(np.sqrt(super()._value()))


def _wrapped(fn, default, doc, **defaults):
    def __init__(self, name=default, dtype=None, **kwargs):
        _m.MeanMetricWrapper.__init__(self, fn, name, dtype, **{**defaults, **kwargs})

    name = "".join(p.capitalize() for p in default.split("_"))
    return type(name, (_m.MeanMetricWrapper,), {"__init__": __init__, "__doc__": doc})


hinge, squared_hinge, categorical_hinge = _more.hinge, _more.squared_hinge, _more.categorical_hinge
poisson, log_cosh = _more.poisson, _more.log_cosh
mean_squared_logarithmic_error = _more.mean_squared_logarithmic_error
mean_absolute_percentage_error = _more.mean_absolute_percentage_error

MeanAbsolutePercentageError = _wrapped(mean_absolute_percentage_error, "mean_absolute_percentage_error",
                                       "Mean absolute percentage error over all samples seen.")
MeanSquaredLogarithmicError = _wrapped(mean_squared_logarithmic_error, "mean_squared_logarithmic_error",
                                       "Mean squared logarithmic error over all samples seen.")
Hinge = _wrapped(hinge, "hinge", "Mean hinge loss over all samples seen.")
SquaredHinge = _wrapped(squared_hinge, "squared_hinge", "Mean squared hinge loss over all samples seen.")
CategoricalHinge = _wrapped(categorical_hinge, "categorical_hinge", "Mean categorical hinge loss.")
Poisson = _wrapped(poisson, "poisson", "Mean Poisson loss over all samples seen.")
LogCoshError = _wrapped(log_cosh, "logcosh", "Mean log-cosh error over all samples seen.")
LogCoshError.__name__ = "LogCoshError"
KLDivergence = _wrapped(_losses.kl_divergence, "kl_divergence", "Mean KL divergence over all samples seen.")
KLDivergence.__name__ = "KLDivergence"


def _cosine(y_true, y_pred, axis=-1):
    return -_losses.cosine_similarity(y_true, y_pred, axis=axis)


CosineSimilarity = _wrapped(_cosine, "cosine_similarity", "Mean cosine similarity of labels and predictions.",
                            axis=-1)
BinaryCrossentropy = _wrapped(_losses.binary_crossentropy, "binary_crossentropy",
                              "Mean binary crossentropy over all samples seen.", from_logits=False,
                              label_smoothing=0.0)
CategoricalCrossentropy = _wrapped(_losses.categorical_crossentropy, "categorical_crossentropy",
                                   "Mean categorical crossentropy (one-hot labels).", from_logits=False,
                                   label_smoothing=0.0, axis=-1)
SparseCategoricalCrossentropy = _wrapped(_losses.sparse_categorical_crossentropy, "sparse_categorical_crossentropy",
                                         "Mean crossentropy for integer labels.", from_logits=False, axis=-1)


# ---- F-beta ------------------------------------------------------------------------
class FBetaScore(_m.Metric):
    """The F-beta score per class (or averaged) of multi-label or one-hot predictions.

    Args:
        average: None (one score per class), ``'micro'`` (from the summed
            counts), ``'macro'`` (the mean of the class scores) or
            ``'weighted'`` (weighted by each class's number of true labels).
        beta: the weight of recall against precision.
        threshold: predictions above it count as positive; None takes each
            row's highest prediction as its one positive.
        name, dtype: as for every metric.

    Raises:
        ValueError: for an unknown ``average`` or a non-positive ``beta``.
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name, dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(f"{type(self).__name__}: average must be None, 'micro', 'macro' or 'weighted', "
                             f"got {average!r}")
        if not beta > 0:
            raise ValueError(f"{type(self).__name__}: beta must be positive, got {beta!r}")
        self.average, self.beta, self.threshold = average, float(beta), threshold
        self.reset_state()

    def reset_state(self):
        self.tp = self.fp = self.fn = self.support = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = _m._host(y_true)
        y_pred = _m._host(y_pred)
        if y_true.shape != y_pred.shape or y_pred.ndim != 2:
            raise ValueError(f"{type(self).__name__} expects labels and predictions of one shape (batch, classes), "
                             f"got {y_true.shape} and {y_pred.shape}")
        if self.threshold is None:
            pred = (y_pred == y_pred.max(-1, keepdims=True)).astype(np.float64)
        else:
            pred = (y_pred > self.threshold).astype(np.float64)
        w = np.ones((len(y_true), 1)) if sample_weight is None else _m._host(sample_weight).reshape(-1, 1)
        self.tp = self.tp + (pred * y_true * w).sum(0)
        self.fp = self.fp + (pred * (1 - y_true) * w).sum(0)
        self.fn = self.fn + ((1 - pred) * y_true * w).sum(0)
        self.support = self.support + (y_true * w).sum(0)

    def _value(self):
        tp, fp, fn = (np.atleast_1d(np.asarray(v, np.float64)) for v in (self.tp, self.fp, self.fn))
        if self.average == "micro":
            tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
        div = lambda a, b: np.divide(a, b, out=np.zeros_like(np.asarray(a, np.float64)), where=np.asarray(b) != 0)  # noqa: E731
        precision, recall = div(tp, tp + fp), div(tp, tp + fn)
        b2 = self.beta ** 2
        score = div((1 + b2) * precision * recall, b2 * precision + recall)
        if self.average == "macro":
            return float(np.mean(score))
        if self.average == "weighted":
            support = np.atleast_1d(self.support)
            return float(np.sum(score * support) / np.sum(support)) if np.sum(support) else 0.0
        return float(score) if np.ndim(score) == 0 else score

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """The F1 score (harmonic mean of precision and recall); see :class:`FBetaScore`."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average, 1.0, threshold, name, dtype)

    def get_config(self):
        config = super().get_config()
        config.pop("beta")
        return config


_m._BY_NAME.update({
    "top_k_categorical_accuracy": top_k_categorical_accuracy,
    "sparse_top_k_categorical_accuracy": sparse_top_k_categorical_accuracy,
    "root_mean_squared_error": RootMeanSquaredError, "hinge": hinge, "squared_hinge": squared_hinge,
    "categorical_hinge": categorical_hinge, "poisson": poisson, "logcosh": log_cosh, "log_cosh": log_cosh,
    "mean_squared_logarithmic_error": mean_squared_logarithmic_error, "msle": mean_squared_logarithmic_error,
    "mean_absolute_percentage_error": mean_absolute_percentage_error, "mape": mean_absolute_percentage_error,
    "cosine_similarity": CosineSimilarity, "true_positives": TruePositives, "false_positives": FalsePositives,
    "true_negatives": TrueNegatives, "false_negatives": FalseNegatives, "f1_score": F1Score,
})
