"""Stateful metrics (``update_state`` / ``result`` / ``reset_state``) and metric functions.

A metric accumulates over batches: ``fit`` reports each metric's value over
the epoch so far. The running totals are Variables updated with tensorlet
ops, so a compiled training step updates them in its graph; ``result()`` is
computed with ops too.
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

    # Built-in metrics whose result() reads nothing but their Variables: fit reads it after every
    # step, so it runs as one compiled call (traced again once the Variables are made). A subclass's
    # own result() runs as written.
    _compiled_result = False

    def _value(self):
        if type(self).result is Metric.result:
            raise NotImplementedError(f"{type(self).__name__}: implement result()")
        result = self.result
        if self._compiled_result and type(self).result.__module__.startswith("tensorlet."):
            if getattr(self, "_result_fn", (None,))[0] != len(self._variables):
                self._result_fn = (len(self._variables), tf.function(self.result))
            result = self._result_fn[1]
        r = np.asarray(result())
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


def _weights_like(sample_weight, values):
    """``sample_weight`` broadcast to ``values``: (batch,) weights weigh whole rows; trailing 1s are dropped."""
    sw = sample_weight
    while sw.ndim > values.ndim and sw.shape[-1] == 1:
        sw = tf.squeeze(sw, -1)
    return tf.broadcast_to(tf.reshape(sw, tuple(sw.shape) + (1,) * (values.ndim - sw.ndim)), values.shape)


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
            sw = _weights_like(tf.cast(sample_weight, tf.float64), values)
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


_BY_NAME = {
    "accuracy": accuracy, "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy, "mse": mean_squared_error,
    "mean_squared_error": mean_squared_error, "mae": mean_absolute_error,
    "mean_absolute_error": mean_absolute_error,
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
from tensorlet.keras.metrics.confusion import *  # noqa: E402,F401,F403  (confusion counts, precision, recall, AUC)
from tensorlet.keras.metrics.extra import *  # noqa: E402,F401,F403  (top-k, RMSE, F1 ...)
from tensorlet.keras.metrics.regions import *  # noqa: E402,F401,F403  (IoU family, R2Score)
