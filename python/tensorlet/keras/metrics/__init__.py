"""Stateful metrics (``update_state`` / ``result`` / ``reset_state``) and metric functions.

A metric accumulates over batches: ``fit`` reports each metric's value over
the epoch so far. The per-batch values are computed with tensorlet ops; the
running totals are kept on the host, where reading them costs nothing.
"""

import inspect

import numpy as np

import tensorlet as tf
from tensorlet.keras import backend
from tensorlet.keras import losses as _losses
from tensorlet.keras.saving.serialization import Serializable


# ---- functions -----------------------------------------------------------------
def accuracy(y_true, y_pred):
    """1.0 where y_pred equals y_true, else 0.0."""
    y_true, y_pred = _losses._prep(y_true, y_pred)
    return tf.cast(tf.equal(y_true, y_pred), backend.floatx())


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Mean over the last axis of (y_pred > threshold) == y_true."""
    y_true, y_pred = _losses._prep(y_true, y_pred)
    hit = tf.equal(y_true, tf.cast(y_pred > threshold, y_pred.dtype))
    return tf.reduce_mean(tf.cast(hit, backend.floatx()), axis=-1)


def categorical_accuracy(y_true, y_pred):
    """1.0 where argmax(y_pred) equals argmax(y_true) (one-hot labels)."""
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.convert_to_tensor(y_true)
    return tf.cast(tf.equal(tf.argmax(y_true, axis=-1), tf.argmax(y_pred, axis=-1)), backend.floatx())


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where argmax(y_pred) equals the integer label."""
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.convert_to_tensor(y_true)
    if y_true.ndim == y_pred.ndim:
        y_true = tf.reshape(y_true, tuple(y_true.shape)[:-1])
    return tf.cast(tf.equal(tf.argmax(y_pred, axis=-1), tf.cast(y_true, tf.int64)), backend.floatx())


mean_squared_error = mse = _losses.mean_squared_error
mean_absolute_error = mae = _losses.mean_absolute_error
binary_crossentropy = _losses.binary_crossentropy
categorical_crossentropy = _losses.categorical_crossentropy
sparse_categorical_crossentropy = _losses.sparse_categorical_crossentropy
kl_divergence = _losses.kl_divergence


# ---- classes -------------------------------------------------------------------
class Metric(Serializable):
    """Base class of stateful metrics.

    Subclasses implement ``update_state(...)``, ``result()`` and ``reset_state()``.
    """

    def __init__(self, name=None, dtype=None):
        self.name = name or backend.snake_case(type(self).__name__)
        self.dtype = dtype or backend.floatx()
        self._variables = []  # (variable, initial value), from add_variable

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum", name=None):
        """Creates a state variable of this metric (a custom metric's running totals).

        ``reset_state`` sets it back to its initial value.
        """
        from tensorlet.keras import initializers

        value = initializers.get(initializer)(tuple(shape), dtype=dtype or self.dtype)
        var = tf.Variable(value, trainable=False, name=f"{self.name}/{name or 'variable'}")
        self._variables.append((var, value))
        return var

    def add_weight(self, name=None, shape=(), initializer="zeros", dtype=None, aggregation="sum", **kwargs):
        """The Keras 2 spelling of :meth:`add_variable`."""
        return self.add_variable(shape, initializer, dtype, aggregation, name)

    @property
    def variables(self):
        return [v for v, _ in self._variables]

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        """The metric's value, a scalar tensor."""
        return tf.constant(self._value(), dtype=self.dtype)

    def _value(self):
        if type(self).result is Metric.result:
            raise NotImplementedError(f"{type(self).__name__}: implement result()")
        r = np.asarray(self.result())  # a custom metric's own result()
        return float(r) if r.ndim == 0 else r

    def reset_state(self):
        if not self._variables:
            raise NotImplementedError(f"{type(self).__name__}: implement reset_state, or create the state with "
                                      "add_variable so that it resets itself")
        for var, value in self._variables:
            var.assign(value)

    reset_states = lambda self: self.reset_state()  # noqa: E731  (the Keras 2 name)

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {**self._constructor_config(), "name": self.name, "dtype": self.dtype}

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _host(x, dtype=np.float64):
    return np.asarray(x).astype(dtype, copy=False)


class Mean(Metric):
    """The (weighted) mean of all values seen.

    The running total and count are float64 Variables updated by ops, so a
    compiled training step updates them too."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name, dtype)
        self._total = tf.Variable(0.0, dtype=tf.float64, trainable=False, name=f"{self.name}/total")
        self._count = tf.Variable(0.0, dtype=tf.float64, trainable=False, name=f"{self.name}/count")

    total = property(lambda self: float(self._total), lambda self, v: self._total.assign(float(v)))
    count = property(lambda self: float(self._count), lambda self, v: self._count.assign(float(v)))

    def reset_state(self):
        self._total.assign(0.0)
        self._count.assign(0.0)

    def update_state(self, values, sample_weight=None):
        values = tf.cast(values, tf.float64)
        if sample_weight is None:
            self._total.assign_add(tf.reduce_sum(values))
            self._count.assign_add(float(int(np.prod(values.shape, dtype=np.int64))))
        else:
            sw = tf.cast(sample_weight, tf.float64)
            while sw.ndim > values.ndim and sw.shape[-1] == 1:
                sw = tf.squeeze(sw, -1)
            sw = tf.broadcast_to(tf.reshape(sw, tuple(sw.shape) + (1,) * (values.ndim - sw.ndim)), values.shape)
            self._total.assign_add(tf.reduce_sum(values * sw))
            self._count.assign_add(tf.reduce_sum(sw))

    def _add(self, total, count):
        """Adds ``total`` (a tensor) and ``count`` to the running sums."""
        self._total.assign_add(tf.cast(total, tf.float64))
        self._count.assign_add(float(count))

    def result(self):
        return tf.cast(tf.math.divide_no_nan(self._total, self._count), self.dtype)

    def _value(self):  # on the host: fit reads it after every step
        count = self.count
        return self.total / count if count else 0.0


class Sum(Mean):
    """The (weighted) sum of all values seen."""

    def result(self):
        return tf.cast(self._total, self.dtype)

    def _value(self):
        return self.total


class MeanMetricWrapper(Mean):
    """The mean of ``fn(y_true, y_pred, **kwargs)`` over all samples seen."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if isinstance(fn, str):  # from a config
            fn = globals()[fn] if inspect.isfunction(globals().get(fn)) else _losses.get(fn)
        super().__init__(name=name or fn.__name__, dtype=dtype)
        self._fn, self._fn_kwargs = fn, kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name, dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often (prediction > threshold) matches a 0/1 label."""

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name, dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often argmax(prediction) matches argmax(one-hot label)."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name, dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often argmax(prediction) matches an integer label."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name, dtype)


class MeanSquaredError(MeanMetricWrapper):
    """Mean squared error over all samples seen."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name, dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """Mean absolute error over all samples seen."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name, dtype)


class _Confusion(Metric):
    """Counts of true/false positives/negatives at fixed thresholds."""

    def __init__(self, thresholds, name=None, dtype=None, class_id=None):
        super().__init__(name, dtype)
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.class_id = class_id
        self.reset_state()

    def reset_state(self):
        n = len(self.thresholds)
        self.tp, self.fp, self.tn, self.fn = (np.zeros(n) for _ in range(4))

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = _host(y_true)
        y_pred = _host(y_pred)
        if getattr(self, "from_logits", False):
            y_pred = 1 / (1 + np.exp(-y_pred))
        if self.class_id is not None:
            y_true, y_pred = y_true[..., self.class_id], y_pred[..., self.class_id]
        if y_true.shape != y_pred.shape and y_true.size == y_pred.size:
            y_true = y_true.reshape(y_pred.shape)
        truth = (y_true > 0.5).ravel()
        w = np.ones(truth.shape) if sample_weight is None else np.broadcast_to(
            _host(sample_weight).reshape(-1, *([1] * (y_pred.ndim - 1))), y_pred.shape).ravel()
        pred = y_pred.ravel()[None, :] > self.thresholds[:, None]
        self.tp += (pred & truth) @ w
        self.fp += (pred & ~truth) @ w
        self.fn += (~pred & truth) @ w
        self.tn += (~pred & ~truth) @ w


def _unsupported(owner, **given):
    for arg, value in given.items():
        if value is not None:
            raise NotImplementedError(f"{owner}: {arg}={value!r} is not supported yet")


def _ratio(a, b):
    return float(a / b) if b else 0.0


class Precision(_Confusion):
    """tp / (tp + fp) with predictions thresholded at ``thresholds`` (0.5)."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="precision", dtype=None):
        _unsupported("Precision", top_k=top_k)
        super().__init__([0.5 if thresholds is None else thresholds], name, dtype, class_id)

    def _value(self):
        return _ratio(self.tp[0], self.tp[0] + self.fp[0])


class Recall(_Confusion):
    """tp / (tp + fn) with predictions thresholded at ``thresholds`` (0.5)."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="recall", dtype=None):
        _unsupported("Recall", top_k=top_k)
        super().__init__([0.5 if thresholds is None else thresholds], name, dtype, class_id)

    def _value(self):
        return _ratio(self.tp[0], self.tp[0] + self.fn[0])


class AUC(_Confusion):
    """Area under the ROC (or precision-recall) curve over ``num_thresholds``
    evenly spaced thresholds in [0, 1]: by the trapezoid rule
    (``summation_method='interpolation'``), or the lower ('minoring') or upper
    ('majoring') Riemann sum."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name="auc",
                 dtype=None, thresholds=None, multi_label=False, num_labels=None, label_weights=None,
                 from_logits=False):
        _unsupported("AUC", multi_label=multi_label or None, num_labels=num_labels, label_weights=label_weights)
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f"AUC: summation_method must be 'interpolation', 'minoring' or 'majoring', got "
                             f"{summation_method!r}")
        self.from_logits, self.summation_method = from_logits, summation_method
        eps = backend.epsilon()
        if thresholds is None:
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        else:
            inner = list(thresholds)
        super().__init__([0.0 - eps] + inner + [1.0 + eps], name, dtype)
        self.num_thresholds, self.curve = len(self.thresholds), curve.upper()

    def _value(self):
        div = lambda a, b: np.divide(a, b, out=np.zeros_like(a), where=b != 0)  # noqa: E731
        if self.curve == "PR":
            x, y = div(self.tp, self.tp + self.fn), div(self.tp, self.tp + self.fp)
        else:
            x, y = div(self.fp, self.fp + self.tn), div(self.tp, self.tp + self.fn)
        heights = {"interpolation": (y[:-1] + y[1:]) / 2, "minoring": np.minimum(y[:-1], y[1:]),
                   "majoring": np.maximum(y[:-1], y[1:])}[self.summation_method]
        return float(np.sum((x[:-1] - x[1:]) * heights))


_BY_NAME = {
    "accuracy": accuracy, "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy, "mse": mean_squared_error,
    "mean_squared_error": mean_squared_error, "mae": mean_absolute_error,
    "mean_absolute_error": mean_absolute_error, "precision": Precision, "recall": Recall, "auc": AUC,
    "binary_crossentropy": binary_crossentropy, "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy, "kl_divergence": kl_divergence,
    "kld": kl_divergence,
}


def get(identifier, y_true_shape=None, y_pred_shape=None, loss=None):
    """A Metric for a name, a Metric object/class or a function ``fn(y_true, y_pred)``.

    ``'accuracy'``/``'acc'`` picks binary, categorical or sparse categorical
    accuracy from the loss and the shapes of the labels and predictions, as
    Keras does; the metric keeps the name it was given.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in ("accuracy", "acc"):
            fn = _pick_accuracy(y_true_shape, y_pred_shape, loss)
            return MeanMetricWrapper(fn, name=identifier)
        if key not in _BY_NAME:
            raise ValueError(f"Unknown metric {identifier!r}; valid names: acc, "
                             f"{', '.join(sorted(_BY_NAME))}")
        target = _BY_NAME[key]
        if isinstance(target, type):
            return target()
        return MeanMetricWrapper(target, name=identifier)
    if callable(identifier):
        return MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", "metric"))
    raise TypeError(f"Could not interpret metric {identifier!r}")


def _pick_accuracy(y_true_shape, y_pred_shape, loss):
    kind = _losses.kind(loss)
    if kind == "sparse":
        return sparse_categorical_accuracy
    if kind == "categorical":
        return categorical_accuracy
    if kind == "binary":
        return binary_accuracy
    if y_pred_shape is None or y_true_shape is None:
        return accuracy
    if y_pred_shape[-1] == 1:
        return binary_accuracy
    if len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and y_pred_shape[-1] > 1):
        return sparse_categorical_accuracy
    return categorical_accuracy


def check_name(identifier):
    """Raises ValueError now (at compile) for a metric name that does not exist."""
    if isinstance(identifier, str) and identifier.lower() not in _BY_NAME and identifier.lower() not in (
            "accuracy", "acc"):
        get(identifier)
from tensorlet.keras.metrics.extra import *  # noqa: E402,F401,F403  (confusion counts, top-k, RMSE, F1 ...)
