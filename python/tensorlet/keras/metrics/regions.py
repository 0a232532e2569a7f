"""Segmentation and regression scores: intersection over union (IoU,
MeanIoU, OneHotIoU, OneHotMeanIoU, BinaryIoU) from a running confusion
matrix, and R2Score. State is Variables updated with ops, as for the other
metrics, re-exported by ``keras.metrics``."""

import tensorlet as tf
from tensorlet.keras import backend
from tensorlet.keras import metrics as _m

__all__ = ["BinaryIoU", "IoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU", "R2Score"]


class IoU(_m.Metric):
    """Intersection over union, ``tp / (tp + fp + fn)`` per class, averaged
    over ``target_class_ids`` (classes that never occur, in labels or
    predictions, are left out of the average). Sample weights count as
    given (Keras 3 keeps the matrix in integers and truncates them).

    Args:
        num_classes: the number of classes.
        target_class_ids: the classes to average over.
        ignore_class: a label to leave out (pixels without a label).
        sparse_y_true, sparse_y_pred: whether labels / predictions are class
            ids (True) or scores over the classes on ``axis`` (argmax taken).
        axis: the class axis of non-sparse inputs.
        name, dtype: as for every metric.
    """

    _compiled_result = True

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(name, dtype)
        self.num_classes, self.target_class_ids = int(num_classes), [int(c) for c in target_class_ids]
        if any(not 0 <= c < self.num_classes for c in self.target_class_ids):
            raise ValueError(f"{type(self).__name__}: target_class_ids must be in [0, {self.num_classes}), got "
                             f"{list(target_class_ids)}")
        self.ignore_class, self.axis = ignore_class, axis
        self.sparse_y_true, self.sparse_y_pred = sparse_y_true, sparse_y_pred
        self.total_cm = self.add_variable((self.num_classes, self.num_classes), name="total_confusion_matrix")

    def _ids(self, y, sparse):
        y = tf.convert_to_tensor(y)
        return tf.reshape(tf.cast(y if sparse else tf.argmax(y, self.axis), tf.int64), (-1,))

    def update_state(self, y_true, y_pred, sample_weight=None):
        t, p = self._ids(y_true, self.sparse_y_true), self._ids(y_pred, self.sparse_y_pred)
        if t.shape != p.shape:
            raise ValueError(f"{type(self).__name__}: {t.shape[0]} labels for {p.shape[0]} predictions")
        w = tf.ones(t.shape, self.dtype) if sample_weight is None else \
            tf.broadcast_to(tf.reshape(tf.cast(sample_weight, self.dtype), (-1,)), t.shape)
        if self.ignore_class is not None:
            w = tf.where(tf.equal(t, self.ignore_class), 0.0, w)
        # cm[i, j]: weight of label i predicted as j (labels out of range count nowhere).
        rows = tf.one_hot(t, self.num_classes, dtype=self.dtype) * tf.expand_dims(w, -1)
        self.total_cm.assign_add(tf.matmul(rows, tf.one_hot(p, self.num_classes, dtype=self.dtype),
                                           transpose_a=True))

    def result(self):
        cm = tf.identity(self.total_cm)
        tp = tf.reduce_sum(cm * tf.eye(self.num_classes, dtype=self.dtype), 0)
        pick = lambda v: tf.gather(v, self.target_class_ids)  # noqa: E731
        tp, denom = pick(tp), pick(tf.reduce_sum(cm, 0) + tf.reduce_sum(cm, 1) - tp)
        valid = tf.reduce_sum(tf.cast(denom > 1e-9, self.dtype))
        eps = backend.epsilon()  # as Keras: an IoU of 0 for a class seen nowhere, left out of the mean
        return tf.reduce_sum(tp / (denom + eps)) / (valid + eps)


class MeanIoU(IoU):
    """IoU averaged over all ``num_classes`` classes; arguments as for :class:`IoU`."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, range(num_classes), name, dtype, ignore_class, sparse_y_true, sparse_y_pred,
                         axis)


class OneHotIoU(IoU):
    """IoU of one-hot labels and class scores (argmax on ``axis``)."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None, sparse_y_pred=False,
                 axis=-1):
        super().__init__(num_classes, target_class_ids, name, dtype, ignore_class, False, sparse_y_pred, axis)


class OneHotMeanIoU(MeanIoU):
    """MeanIoU of one-hot labels and class scores (argmax on ``axis``)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name, dtype, ignore_class, False, sparse_y_pred, axis)


class BinaryIoU(IoU):
    """IoU of binary labels and predictions thresholded at ``threshold``,
    averaged over ``target_class_ids`` (0, 1 or both)."""

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(2, target_class_ids, name, dtype)
        self.threshold = float(threshold)

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(y_true, tf.cast(tf.convert_to_tensor(y_pred) >= self.threshold, tf.int64), sample_weight)


class R2Score(_m.Metric):
    """The coefficient of determination, ``1 - residual / total`` sums of
    squares, per output and averaged (``class_aggregation``:
    ``'uniform_average'``, ``'variance_weighted_average'`` or None), adjusted
    for ``num_regressors`` when given."""

    _compiled_result = True

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None):
        super().__init__(name, dtype)
        if class_aggregation not in ("uniform_average", "variance_weighted_average", None):
            raise ValueError(f"R2Score: class_aggregation must be 'uniform_average', 'variance_weighted_average' or "
                             f"None, got {class_aggregation!r}")
        if num_regressors < 0:
            raise ValueError(f"R2Score: num_regressors must be >= 0, got {num_regressors}")
        self.class_aggregation, self.num_regressors = class_aggregation, int(num_regressors)
        self._sums = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = (tf.cast(tf.convert_to_tensor(v), self.dtype) for v in (y_true, y_pred))
        y_true, y_pred = (v if v.ndim == 2 else tf.reshape(v, (-1, 1)) for v in (y_true, y_pred))
        if self._sums is None:  # per output: sum of y, of y^2, of squared residuals, and the weight
            self._sums = [self.add_variable((y_true.shape[1],), name=n) for n in ("sum", "squared_sum", "res", "count")]
            self._seen = self.add_variable((), name="num_samples")
        w = tf.ones((y_true.shape[0], 1), self.dtype) if sample_weight is None else \
            tf.reshape(tf.cast(sample_weight, self.dtype), (-1, 1))
        for var, v in zip(self._sums, (y_true, tf.square(y_true), tf.square(y_true - y_pred), tf.ones_like(y_true))):
            var.assign_add(tf.reduce_sum(v * w, 0))
        self._seen.assign_add(float(y_true.shape[0] * y_true.shape[1]))

    def result(self):
        if self._sums is None:
            return tf.constant(0.0, self.dtype)
        total, squares, res, count = (tf.identity(v) for v in self._sums)
        spread = squares - total * tf.math.divide_no_nan(total, count)
        raw = 1.0 - tf.math.divide_no_nan(res, spread)
        raw = tf.where(tf.equal(spread, 0.0), 0.0, raw)
        if self.class_aggregation is None:
            r2 = raw
        elif self.class_aggregation == "uniform_average":
            r2 = tf.reduce_mean(raw)
        else:
            r2 = tf.math.divide_no_nan(tf.reduce_sum(raw * spread), tf.reduce_sum(spread))
        if self.num_regressors:  # n: the values seen (rows times outputs), as Keras counts them
            n = tf.identity(self._seen)
            r2 = 1.0 - (1.0 - r2) * (n - 1.0) / (n - self.num_regressors - 1.0)
        return r2

    def reset_state(self):
        if self._sums is not None:
            super().reset_state()
