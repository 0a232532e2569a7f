"""More losses: hinge family, log-cosh, Poisson, mean squared logarithmic and
mean absolute percentage errors (functions, one value per sample, and their
classes), re-exported by ``keras.losses``."""

import math

import tensorlet as tf
from tensorlet.keras import backend
from tensorlet.keras import losses as _losses
from tensorlet.keras.losses import named

__all__ = [
    "CategoricalHinge", "Hinge", "LogCosh", "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "Poisson",
    "SquaredHinge", "categorical_hinge", "hinge", "log_cosh", "logcosh", "mape", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "msle", "poisson", "squared_hinge", "MAPE", "MSLE",
]


def _hinge_labels(y_true):
    # 0/1 labels become -1/1, as Keras does; -1/1 labels stay.
    is_binary = tf.reduce_all(tf.logical_or(tf.equal(y_true, 0), tf.equal(y_true, 1)))
    return tf.where(is_binary, 2.0 * y_true - 1.0, y_true)


@named
def hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0)) over the last axis; labels -1/1 (or 0/1)."""
    y_true, y_pred = _losses._prep(y_true, y_pred)
    return tf.reduce_mean(tf.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0), axis=-1)


@named
def squared_hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0)**2) over the last axis; labels -1/1 (or 0/1)."""
    y_true, y_pred = _losses._prep(y_true, y_pred)
    return tf.reduce_mean(tf.square(tf.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0)), axis=-1)


@named
def categorical_hinge(y_true, y_pred):
    """max(max((1 - y) * p) - sum(y * p) + 1, 0), for one-hot labels."""
    y_true, y_pred = _losses._prep(y_true, y_pred)
    pos = tf.reduce_sum(y_true * y_pred, axis=-1)
    neg = tf.reduce_max((1.0 - y_true) * y_pred, axis=-1)
    return tf.maximum(neg - pos + 1.0, 0.0)


@named
def log_cosh(y_true, y_pred):
    """mean(log(cosh(y_pred - y_true))) over the last axis, computed without overflow."""
    y_true, y_pred = _losses._prep(y_true, y_pred)
    x = y_pred - y_true
    return tf.reduce_mean(x + tf.math.softplus(-2.0 * x) - math.log(2.0), axis=-1)


@named
def poisson(y_true, y_pred):
    """mean(y_pred - y_true * log(y_pred + epsilon)) over the last axis."""
    y_true, y_pred = _losses._prep(y_true, y_pred)
    return tf.reduce_mean(y_pred - y_true * tf.math.log(y_pred + backend.epsilon()), axis=-1)


@named
def mean_squared_logarithmic_error(y_true, y_pred):
    """mean((log(1 + y_pred) - log(1 + y_true))**2) over the last axis, values clipped at epsilon."""
    y_true, y_pred = _losses._prep(y_true, y_pred)
    eps = backend.epsilon()
    d = tf.math.log1p(tf.maximum(y_pred, eps)) - tf.math.log1p(tf.maximum(y_true, eps))
    return tf.reduce_mean(tf.square(d), axis=-1)


@named
def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(|y_true - y_pred| / max(|y_true|, epsilon)) over the last axis."""
    y_true, y_pred = _losses._prep(y_true, y_pred)
    return 100.0 * tf.reduce_mean(tf.abs(y_true - y_pred) / tf.maximum(tf.abs(y_true), backend.epsilon()), axis=-1)


logcosh = log_cosh
msle = MSLE = mean_squared_logarithmic_error
mape = MAPE = mean_absolute_percentage_error

Hinge = _losses._wrapper(hinge, "hinge", "Hinge loss for -1/1 (or 0/1) labels.")
SquaredHinge = _losses._wrapper(squared_hinge, "squared_hinge", "Squared hinge loss for -1/1 (or 0/1) labels.")
CategoricalHinge = _losses._wrapper(categorical_hinge, "categorical_hinge", "Hinge loss for one-hot labels.")
LogCosh = _losses._wrapper(log_cosh, "log_cosh", "Logarithm of the hyperbolic cosine of the error.")
Poisson = _losses._wrapper(poisson, "poisson", "Poisson loss: y_pred - y_true * log(y_pred).")
MeanSquaredLogarithmicError = _losses._wrapper(mean_squared_logarithmic_error, "mean_squared_logarithmic_error",
                                               "Mean squared error of log(1 + values).")
MeanAbsolutePercentageError = _losses._wrapper(mean_absolute_percentage_error, "mean_absolute_percentage_error",
                                               "Mean absolute error as a percentage of the labels.")

_losses._BY_NAME.update({
    "hinge": hinge, "squared_hinge": squared_hinge, "categorical_hinge": categorical_hinge, "log_cosh": log_cosh,
    "logcosh": log_cosh, "poisson": poisson, "mean_squared_logarithmic_error": mean_squared_logarithmic_error,
    "msle": mean_squared_logarithmic_error, "mean_absolute_percentage_error": mean_absolute_percentage_error,
    "mape": mean_absolute_percentage_error,
})
