"""Losses, as classes (``keras.losses.MeanSquaredError()``) and functions
(``keras.losses.mean_squared_error``). Functions return one value per sample;
classes reduce them (mean over the batch by default) and apply sample weights.

Crossentropies on probabilities clip them to [epsilon, 1 - epsilon] as Keras
does, except after a softmax, where the fused logits ops give the exact value.
"""

import tensorlet as tf
from tensorlet.keras import backend
from tensorlet.keras.activations import logits_of
from tensorlet.keras.saving.serialization import Serializable
from tensorlet.ops.registry import composite as named  # errors name the loss, not its inner op


def _prep(y_true, y_pred, cast_true=True):
    y_pred = tf.convert_to_tensor(y_pred)
    if not isinstance(y_true, tf.Tensor):
        import numpy as np

        y_true = np.asarray(y_true)
        if cast_true:
            y_true = y_true.astype(y_pred.dtype.name, copy=False)
        y_true = tf.convert_to_tensor(y_true)
    elif cast_true and y_true.dtype != y_pred.dtype:
        y_true = tf.cast(y_true, y_pred.dtype)
    # Keras's rank matching: (n,) targets against (n, 1) predictions and back.
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        y_true = tf.expand_dims(y_true, -1)
    elif y_pred.ndim == y_true.ndim - 1 and y_true.shape[-1] == 1:
        y_true = tf.squeeze(y_true, -1)
    return y_true, y_pred


@named
def mean_squared_error(y_true, y_pred):
    """mean((y_pred - y_true)**2) over the last axis."""
    y_true, y_pred = _prep(y_true, y_pred)
    return tf.reduce_mean(tf.square(y_pred - y_true), axis=-1)


@named
def mean_absolute_error(y_true, y_pred):
    """mean(|y_pred - y_true|) over the last axis."""
    y_true, y_pred = _prep(y_true, y_pred)
    return tf.reduce_mean(tf.abs(y_pred - y_true), axis=-1)


@named
def huber(y_true, y_pred, delta=1.0):
    """0.5 * e**2 where |e| <= delta, else delta * |e| - 0.5 * delta**2; mean over the last axis."""
    y_true, y_pred = _prep(y_true, y_pred)
    err = tf.abs(y_pred - y_true)
    quad = tf.minimum(err, delta)
    # = 0.5*e^2 inside, delta*|e| - 0.5*delta^2 outside, with no branch.
    return tf.reduce_mean(0.5 * tf.square(quad) + delta * (err - quad), axis=-1)


@named
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """-(y log p + (1 - y) log(1 - p)), mean over the last axis."""
    y_true, y_pred = _prep(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        per = tf.nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred)
    else:
        eps = backend.epsilon()
        p = tf.clip_by_value(y_pred, eps, 1.0 - eps)
        per = -(y_true * tf.math.log(p) + (1.0 - y_true) * tf.math.log(1.0 - p))
    return tf.reduce_mean(per, axis=axis)


def _one_hot_check(y_true, y_pred, name):
    if y_true.ndim < y_pred.ndim or (y_pred.shape[-1] > 1 and y_true.shape[-1] == 1):
        raise ValueError(
            f"{name} expects one-hot labels of the predictions' shape {tuple(y_pred.shape)}, but received labels of "
            f"shape {tuple(y_true.shape)}, which look like integer class ids: use "
            "sparse_categorical_crossentropy (SparseCategoricalCrossentropy) for integer labels, or one-hot "
            "encode them with keras.utils.to_categorical")


@named
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """-sum(y * log p) over the last axis, for one-hot (or soft) labels."""
    _last_axis(axis, tf.convert_to_tensor(y_pred), "categorical_crossentropy")
    y_true, y_pred = _prep(y_true, y_pred)
    _one_hot_check(y_true, y_pred, "categorical_crossentropy")
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(f"categorical_crossentropy: labels of shape {tuple(y_true.shape)} do not match "
                         f"predictions of shape {tuple(y_pred.shape)}")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_pred.shape[-1]
    logits = y_pred if from_logits else logits_of(y_pred)
    if logits is not None:
        return tf.nn.softmax_cross_entropy_with_logits(labels=y_true, logits=logits)
    eps = backend.epsilon()
    p = tf.clip_by_value(y_pred / tf.reduce_sum(y_pred, axis=-1, keepdims=True), eps, 1.0 - eps)
    return -tf.reduce_sum(y_true * tf.math.log(p), axis=-1)


@named
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """-log p[label] for integer class labels; 0 where the label is ``ignore_class``
    (and the ``Loss`` then averages over the other samples only, as Keras does)."""
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.convert_to_tensor(y_true)
    _last_axis(axis, y_pred, "sparse_categorical_crossentropy")
    if y_true.ndim == y_pred.ndim:
        if y_true.shape[-1] == 1:
            y_true = tf.squeeze(y_true, -1)
        else:
            raise ValueError(
                f"sparse_categorical_crossentropy expects integer class labels of shape {tuple(y_pred.shape)[:-1]} "
                f"(one per sample), but received labels of shape {tuple(y_true.shape)}, which look one-hot "
                "encoded: use categorical_crossentropy (CategoricalCrossentropy) for one-hot labels, or pass "
                "argmax(labels, axis=-1)")
    if y_true.dtype.name not in ("int32", "int64"):  # float, uint8 (CIFAR's labels)... as Keras casts
        y_true = tf.cast(y_true, "int32")
    kept = None if ignore_class is None else tf.not_equal(y_true, ignore_class)
    if kept is not None:
        y_true = tf.where(kept, y_true, tf.zeros_like(y_true))
    logits = y_pred if from_logits else logits_of(y_pred)
    if logits is None:
        eps = backend.epsilon()
        logits = tf.math.log(tf.clip_by_value(y_pred / tf.reduce_sum(y_pred, axis=-1, keepdims=True), eps,
                                              1.0 - eps))
    out = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y_true, logits=logits)
    if kept is not None:
        out = out * tf.cast(kept, out.dtype)
        out._keras_mask = kept
    return out


def _last_axis(axis, y_pred, name):
    if axis not in (-1, y_pred.ndim - 1):
        raise NotImplementedError(f"{name}: only the last axis can hold the classes (axis=-1), got axis={axis}")


@named
def kl_divergence(y_true, y_pred):
    """sum(y * log(y / p)) over the last axis, both clipped to [epsilon, 1]."""
    y_true, y_pred = _prep(y_true, y_pred)
    eps = backend.epsilon()
    y_true = tf.clip_by_value(y_true, eps, 1.0)
    y_pred = tf.clip_by_value(y_pred, eps, 1.0)
    return tf.reduce_sum(y_true * tf.math.log(y_true / y_pred), axis=-1)


def _l2_normalize(x, axis):
    return x / tf.sqrt(tf.maximum(tf.reduce_sum(tf.square(x), axis=axis, keepdims=True), 1e-12))


@named
def cosine_similarity(y_true, y_pred, axis=-1):
    """-cos(y_true, y_pred) along ``axis`` (so that minimising it aligns the vectors)."""
    y_true, y_pred = _prep(y_true, y_pred)
    return -tf.reduce_sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
kld = KLD = kullback_leibler_divergence = kl_divergence


class Loss(Serializable):
    """Base class: ``loss(y_true, y_pred, sample_weight=None)`` -> a scalar tensor.

    Subclasses implement ``call(y_true, y_pred)`` returning per-sample values.

    Args:
        name: the loss's name.
        reduction: ``'sum_over_batch_size'`` (mean; the default), ``'sum'`` or ``'none'``.
        dtype: the float dtype the loss is computed in (predictions and
            float targets are cast to it); None keeps the predictions' dtype.
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction not in ("sum_over_batch_size", "sum", "none", None, "auto", "mean"):
            raise ValueError(f"Invalid reduction {reduction!r}; use 'sum_over_batch_size', 'sum' or 'none'")
        if dtype is not None and not tf.as_dtype(dtype).is_floating:
            raise ValueError(f"{type(self).__name__}: dtype must be a float dtype, got {dtype!r}")
        self.name = name or backend.snake_case(type(self).__name__)
        self.reduction = reduction
        self.dtype = None if dtype is None else tf.as_dtype(dtype)

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        if self.dtype is not None:
            y_pred = tf.cast(y_pred, self.dtype)
            y_true = tf.convert_to_tensor(y_true)
            y_true = tf.cast(y_true, self.dtype) if y_true.dtype.is_floating else y_true
        values = self.call(y_true, y_pred)
        return reduce_values(values, sample_weight, self.reduction)

    def get_config(self):
        return {**self._constructor_config(), "name": self.name, "reduction": self.reduction}

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, reduction={self.reduction}>"


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Applies sample weights and the reduction to per-sample loss values (a mean
    over the samples a ``_keras_mask`` on ``values`` keeps, where there is one)."""
    kept = getattr(values, "_keras_mask", None)
    if sample_weight is not None:
        sw = tf.convert_to_tensor(sample_weight)
        if sw.dtype != values.dtype:
            sw = tf.cast(sw, values.dtype)
        while sw.ndim > values.ndim and sw.shape[-1] == 1:
            sw = tf.squeeze(sw, -1)
        while sw.ndim < values.ndim:
            sw = tf.expand_dims(sw, -1)
        values = values * sw
    if reduction in ("none", None):
        return values
    if reduction == "sum":
        return tf.reduce_sum(values)
    if kept is not None:
        return tf.reduce_sum(values) / tf.maximum(tf.reduce_sum(tf.cast(kept, values.dtype)), 1.0)
    return tf.reduce_mean(values)


class LossFunctionWrapper(Loss):
    """A Loss that calls ``fn(y_true, y_pred, **kwargs)``."""

    def __init__(self, fn, name=None, reduction="sum_over_batch_size", dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn, self._fn_kwargs = fn, kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


def _wrapper(fn, default_name, doc, **defaults):
    import inspect

    params = list(defaults)

    def __init__(self, *args, reduction="sum_over_batch_size", name=default_name, dtype=None, **kwargs):
        values = dict(defaults)
        values.update(zip(params, args))
        values.update(kwargs)
        LossFunctionWrapper.__init__(self, fn, name=name, reduction=reduction, dtype=dtype, **values)
        for k, v in values.items():
            setattr(self, k, v)

    P = inspect.Parameter
    __init__.__signature__ = inspect.Signature(
        [P("self", P.POSITIONAL_ONLY)] + [P(k, P.POSITIONAL_OR_KEYWORD, default=v) for k, v in defaults.items()]
        + [P("reduction", P.KEYWORD_ONLY, default="sum_over_batch_size"),
           P("name", P.KEYWORD_ONLY, default=default_name), P("dtype", P.KEYWORD_ONLY, default=None)])
    cls_name = "".join(part.capitalize() for part in default_name.split("_"))
    return type(cls_name, (LossFunctionWrapper,), {"__init__": __init__, "__doc__": doc,
                                                     "__module__": __name__})


MeanSquaredError = _wrapper(mean_squared_error, "mean_squared_error", "Mean of squared errors.")
MeanAbsoluteError = _wrapper(mean_absolute_error, "mean_absolute_error", "Mean of absolute errors.")
Huber = _wrapper(huber, "huber_loss", "Huber loss: quadratic within delta, linear beyond.", delta=1.0)
Huber.__name__ = "Huber"
BinaryCrossentropy = _wrapper(binary_crossentropy, "binary_crossentropy",
                              "Crossentropy for 0/1 labels and probabilities (or logits with from_logits=True).",
                              from_logits=False, label_smoothing=0.0, axis=-1)
CategoricalCrossentropy = _wrapper(categorical_crossentropy, "categorical_crossentropy",
                                   "Crossentropy for one-hot labels.", from_logits=False, label_smoothing=0.0,
                                   axis=-1)
SparseCategoricalCrossentropy = _wrapper(sparse_categorical_crossentropy, "sparse_categorical_crossentropy",
                                         "Crossentropy for integer class labels.", from_logits=False,
                                         ignore_class=None, axis=-1)
KLDivergence = _wrapper(kl_divergence, "kl_divergence", "Kullback-Leibler divergence.")
KLDivergence.__name__ = "KLDivergence"
CosineSimilarity = _wrapper(cosine_similarity, "cosine_similarity", "Negative cosine similarity.", axis=-1)

_BY_NAME = {
    "mean_squared_error": mean_squared_error, "mse": mean_squared_error,
    "mean_absolute_error": mean_absolute_error, "mae": mean_absolute_error,
    "binary_crossentropy": binary_crossentropy, "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "kl_divergence": kl_divergence, "kld": kl_divergence, "kullback_leibler_divergence": kl_divergence,
    "cosine_similarity": cosine_similarity, "huber": huber, "huber_loss": huber,
}


def get(identifier):
    """A loss from a name (case-insensitive), a Loss object/class or a function."""
    if isinstance(identifier, str):
        fn = _BY_NAME.get(identifier.lower())
        if fn is None:
            raise ValueError(f"Unknown loss {identifier!r}; valid names: {', '.join(sorted(_BY_NAME))}")
        return fn
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret loss {identifier!r}")


def kind(loss):
    """'sparse', 'categorical', 'binary' or None: which labels a loss expects."""
    fn = getattr(loss, "fn", loss)
    return {sparse_categorical_crossentropy: "sparse", categorical_crossentropy: "categorical",
            binary_crossentropy: "binary"}.get(fn)
from tensorlet.keras.losses_extra import *  # noqa: E402,F401,F403  (hinge, log_cosh, poisson, msle, mape ...)
