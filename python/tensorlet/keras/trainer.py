"""compile / fit / evaluate / predict, mixed into ``keras.Model``.

One training step is: forward pass under a GradientTape, loss, gradients of
the trainable weights, one optimizer update, metric updates. Data become
batches in ``keras/data_adapter.py``.

``fit``/``evaluate``/``predict`` call the step ``make_train_function`` (and
its test/predict siblings) return. Unless ``run_eagerly``, the built-in
step's tensor work (forward, loss, gradients, optimizer update) runs through
``tensorlet.function``; the metrics are updated on the host from its outputs.
A step that cannot be traced (it reads a tensor's value in Python) runs
eagerly under ``jit_compile='auto'``, with a warning, and raises under
``jit_compile=True``. An overridden ``train_step`` runs eagerly.
"""

import math
import warnings

import numpy as np

import tensorlet as tf
from tensorlet.keras import callbacks as callbacks_module
from tensorlet.keras import compile_utils
from tensorlet.keras import metrics as metrics_module
from tensorlet.keras import optimizers as optimizers_module
from tensorlet.keras.data_adapter import (
    ArrayData, IterableData, as_arrays, batch_len, check_labels, class_weights, is_batch_iterable, map_data,
    num_samples, unpack_x_y_sample_weight,
)
from tensorlet.framework.tensor import tracers as _tracers
from tensorlet.function import OperatorNotAllowedInGraphError
from tensorlet.function.polymorphic import _fast_key
from tensorlet.keras.keras_tensor import KerasTensor, flatten
from tensorlet.keras.layers.layer import _map_shapes, _Seen


class Trainer:
    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self.stop_training = False
        self.history = None
        self._compile_loss = None
        self._compile_metrics = compile_utils.CompileMetrics()
        self._loss_tracker = metrics_module.Mean("loss")
        self.run_eagerly = False
        self.jit_compile = "auto"
        self.train_function = self.test_function = self.predict_function = None

    # ---- compile -----------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None, weighted_metrics=None,
                run_eagerly=None, steps_per_execution=1, jit_compile=None, auto_scale_loss=None):
        """Configures the model for training.

        Args:
            optimizer: a name (``'adam'``, ``'sgd'``, ``'rmsprop'``, ``'adagrad'``) or optimizer object.
            loss: a name (``'mse'``, ``'sparse_categorical_crossentropy'``...), a Loss object or a
                function ``fn(y_true, y_pred)``; for several outputs one loss for
                all, a list in output order or a dict keyed by output name
                (targets and sample weights are matched the same way).
            metrics: a list of names (``'accuracy'``, ``'mae'``...), Metric objects or functions.
                For several outputs: a dict of lists by output name, a list of
                lists in output order, or one list for every output; each is
                reported as ``<output>_<metric>``.
            loss_weights: weights of the outputs' losses (a list, or a dict by output name).
            weighted_metrics: metrics weighted by the sample weights (as ``metrics``).
            run_eagerly: run every step eagerly, op by op (for debugging).
            jit_compile: ``'auto'`` (the default): compile the steps with
                ``tensorlet.function``, running a step that cannot be traced
                eagerly (with a warning); True: compile, raising if a step
                cannot be traced; False: compile without fusion (the same
                until the C++ graph runtime fuses ops).

        Raises:
            ValueError: for an unknown optimizer, loss or metric name (valid names listed).
        """
        self.optimizer = optimizers_module.get(optimizer)
        self.loss, self._loss_weights = loss, loss_weights
        self._compile_loss = None if loss is None else compile_utils.CompileLoss(loss, loss_weights)
        self._compile_metrics = compile_utils.CompileMetrics(metrics, weighted_metrics)
        self._metric_specs, self._weighted_metric_specs = metrics, weighted_metrics
        if self._compile_loss is not None and self.built and self._output_shape is not None:
            self._compile_loss.build(self._output_names())  # dict keys that name no output fail here
        self.compiled = True
        self._train_vars = None
        self.run_eagerly = bool(run_eagerly)
        if jit_compile not in (None, True, False, "auto"):
            raise ValueError(f"compile: jit_compile must be True, False or 'auto', got {jit_compile!r}")
        self.jit_compile = "auto" if jit_compile is None else jit_compile
        self.train_function = self.test_function = self.predict_function = None

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    @property
    def metrics(self):
        """The metrics whose results ``fit``/``evaluate`` report (the loss, each output's loss,
        the compiled metrics); reset every epoch."""
        per_output = [t for t in self._compile_loss.trackers if t] if self._compile_loss else []
        compiled = self._compile_metrics
        if compiled.entries is None and any(compiled.specs):  # built on the first update, as in Keras 3
            return [self._loss_tracker] + per_output + [_CompiledMetrics(self)]
        return [self._loss_tracker] + per_output + compiled.metrics

    @property
    def compiled_loss(self):
        """The Keras 2 ``self.compiled_loss(y, y_pred, sample_weight, regularization_losses)`` of
        a custom ``train_step``; Keras 3 spells it ``self.compute_loss(x, y, y_pred, sample_weight)``."""
        def compiled_loss(y, y_pred, sample_weight=None, regularization_losses=None):
            warnings.warn("model.compiled_loss(...) is the Keras 2 spelling; use self.compute_loss(x, y, y_pred, "
                          "sample_weight) in Keras 3", DeprecationWarning, stacklevel=2)
            self._require_loss()
            loss = self._compile_loss(self, y, y_pred, sample_weight)
            for r in regularization_losses or []:
                loss = loss + r
            n = flatten(y_pred)[0].shape[0]
            self._loss_tracker._add(tf.cast(loss, tf.float64) * float(n), n)  # as Keras 2 tracked it
            return loss
        return compiled_loss

    @property
    def compiled_metrics(self):
        """The Keras 2 ``self.compiled_metrics.update_state(y, y_pred, sample_weight)``; Keras 3
        updates them with ``self.compute_metrics(x, y, y_pred, sample_weight)``."""
        return _CompiledMetrics(self, warn=True)

    def get_metrics_result(self):
        """The current value of every metric, as a dict of Python floats (of tensors inside a compiled step)."""
        if _tracers:  # in a compiled step of the user's: tensors the graph computes
            return {m.name: m.result() for m in self.metrics}
        return _floats({m.name: m._value() if hasattr(m, "_value") else m.result() for m in self.metrics})

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    def _require_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(f"You must call compile() before {what}(): e.g. "
                               "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', "
                               "metrics=['accuracy'])")

    def _require_loss(self):
        if self._compile_loss is None:
            raise ValueError("The model was compiled without a loss; give compile(loss=...), or override "
                             "train_step/test_step")

    def _output_names(self, y_pred=None):
        """The output names (from ``y_pred``, or from the built model's output shapes)."""
        if y_pred is None:
            shape = self._output_shape
            y_pred = {k: KerasTensor(v) for k, v in shape.items()} if isinstance(shape, dict) else \
                _map_shapes(KerasTensor, shape)
        return compile_utils.output_names(self, y_pred)

    def _loss_fns_for(self, y_pred):
        return None if self._compile_loss is None else self._compile_loss.build(self._output_names(y_pred))

    # ---- one step ----------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The total loss: the compiled loss of each output (matched to ``y`` and
        ``sample_weight`` by output name or position) plus the layers' losses
        (weight regularizers, activity regularizers, ``add_loss``)."""
        loss = None if self._compile_loss is None else self._compile_loss(self, y, y_pred, sample_weight)
        for r in self.losses:
            loss = r if loss is None else loss + r
        if loss is None:
            raise ValueError("compute_loss: the model was compiled without a loss and its layers add none")
        return loss

    def train_step(self, data):
        """One optimizer step on a batch ``(x, y)`` or ``(x, y, sample_weight)``.

        Override it to customise ``fit`` (as in Keras); return a dict of logs.
        """
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        self._require_loss()
        loss, y_pred = self._train_core(x, y, sample_weight)
        return self.compute_metrics(x, y, y_pred, sample_weight, loss)

    def _train_core(self, x, y, sample_weight):
        """The tensor work of a training step: returns the loss and the predictions."""
        if self._train_vars is None:
            self._train_vars = self.trainable_weights
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight)
        grads = tape.gradient(loss, self._train_vars)
        self.optimizer.apply_gradients(zip(grads, self._train_vars))
        return loss, y_pred

    def _test_core(self, x, y, sample_weight):
        y_pred = self(x, training=False)
        return self.compute_loss(x, y, y_pred, sample_weight), y_pred

    def _train_and_measure(self, x, y, sample_weight):
        """A training step with its metric updates (the whole step a compiled
        function runs when every metric updates with ops)."""
        loss, y_pred = self._train_core(x, y, sample_weight)
        self._update_metrics(x, y, y_pred, sample_weight, loss)

    def _test_and_measure(self, x, y, sample_weight):
        loss, y_pred = self._test_core(x, y, sample_weight)
        self._update_metrics(x, y, y_pred, sample_weight, loss)

    def _predict_core(self, x):
        return self(x, training=False)

    # ---- the seam fit / evaluate / predict call ------------------------------------
    def make_train_function(self, force=False):
        """The function ``fit`` calls on each batch, returning the logs.

        The built-in step runs compiled unless ``run_eagerly`` (see
        ``compile``); an overridden ``train_step`` runs as written.
        """
        if self.train_function is None or force:
            self.train_function = self._make(
                Trainer.train_step, "train_step", self.train_step,
                lambda mode: _Step(self, (self._train_and_measure, self._train_core), self._train_core, mode))
        return self.train_function

    def make_test_function(self, force=False):
        """The function ``evaluate`` calls on each batch, returning the logs."""
        if self.test_function is None or force:
            self.test_function = self._make(
                Trainer.test_step, "test_step", self.test_step,
                lambda mode: _Step(self, (self._test_and_measure, self._test_core), self._test_core, mode))
        return self.test_function

    def make_predict_function(self, force=False):
        """The function ``predict`` calls on each batch, returning the outputs."""
        if self.predict_function is None or force:
            self.predict_function = self._make(
                Trainer.predict_step, "predict_step", self.predict_step,
                lambda mode: _Step(self, (self._predict_core,), self._predict_core, mode, predict=True))
        return self.predict_function

    def _make(self, base, name, eager, compiled):
        if self.run_eagerly:
            return eager
        if getattr(type(self), name) is not base:  # an overridden step is compiled as written, as Keras does
            return _Step(self, (eager,), eager, self.jit_compile, custom=True)
        return compiled(self.jit_compile)

    def test_step(self, data):
        """The loss and metrics on a batch, without training; returns a dict of logs."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        self._require_loss()
        y_pred = self(x, training=False)
        return self.compute_metrics(x, y, y_pred, sample_weight, self.compute_loss(x, y, y_pred, sample_weight))

    def predict_step(self, data):
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def compute_metrics(self, x, y, y_pred, sample_weight=None, loss=None):
        """Updates the loss tracker and the compiled metrics; returns the current logs."""
        self._update_metrics(x, y, y_pred, sample_weight, loss)
        return self.get_metrics_result()

    def _update_metrics(self, x, y, y_pred, sample_weight, loss):
        if loss is not None:
            # The epoch loss is the mean of batch losses weighted by batch size, as Keras reports it.
            n = batch_len(x)
            self._loss_tracker._add(tf.cast(loss, tf.float64) * float(n), n)
        self._compile_metrics.update(self, y, y_pred, sample_weight, self._loss_fns_for(y_pred))

    # ---- fit ---------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
        """Trains the model for ``epochs`` passes over the data.

        Args:
            x: inputs: a numpy array or tensor (a list of them for several inputs), or an
                iterable/generator of ``(x, y)`` or ``(x, y, sample_weight)`` batches.
            y: targets (omitted when ``x`` yields batches).
            batch_size: samples per step (32).
            epochs: the index of the last epoch (training starts at ``initial_epoch``).
            verbose: 'auto' or 1 (progress bar), 2 (one line per epoch), 0 (silent).
            callbacks: a list of ``keras.callbacks.Callback``.
            validation_split: the fraction of the data (taken from the end, before
                shuffling) held out for validation.
            validation_data: ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight)``.
            shuffle: reshuffle the training samples every epoch.
            class_weight: a dict class -> weight, multiplying each sample's loss.
            sample_weight: per-sample loss weights.
            initial_epoch: the epoch to start from (for resuming).
            steps_per_epoch: batches per epoch (required for endless generators).

        Returns:
            A ``History`` (also ``model.history``) whose ``.history`` maps ``loss``,
            each metric's name and their ``val_`` versions to one float per epoch.

        Raises:
            RuntimeError: if the model is not compiled.
            ValueError: for inconsistent data or labels that do not fit the loss;
                nothing is trained in that case.
        """
        self._require_compiled("fit")
        if type(self).train_step is Trainer.train_step:
            self._require_loss()
        verbose = 1 if verbose == "auto" else verbose
        batch_size = batch_size or 32
        val = None
        if is_batch_iterable(x):
            _no_separate_targets(y, "fit")
            data = IterableData(x, steps_per_epoch)
        else:
            x, y, sample_weight = as_arrays(x), as_arrays(y), as_arrays(sample_weight)
            if validation_split and validation_data is None:
                if not 0 < validation_split < 1:
                    raise ValueError(f"validation_split must be in (0, 1), got {validation_split}")
                n = num_samples(x, y)
                split = int(math.floor(n * (1.0 - validation_split)))
                if split == 0 or split == n:
                    raise ValueError(f"validation_split={validation_split} leaves no training or no validation "
                                     f"samples out of {n}")
                cut = lambda a, s: None if a is None else map_data(lambda v: v[s], a)  # noqa: E731
                val = (cut(x, slice(split, None)), cut(y, slice(split, None)), cut(sample_weight, slice(split, None)))
                x, y, sample_weight = cut(x, slice(None, split)), cut(y, slice(None, split)), \
                    cut(sample_weight, slice(None, split))
            sample_weight = class_weights(y, class_weight, sample_weight)
            data = ArrayData(x, y, sample_weight, batch_size, shuffle, steps_per_epoch, self.dtype)
            self._preflight(data, "fit")
        if validation_data is not None:
            if is_batch_iterable(validation_data):
                val = validation_data
            else:
                val = tuple(as_arrays(v) for v in validation_data) + (None,) * (3 - len(validation_data))
        if val is not None and not is_batch_iterable(val):
            self._preflight_validation(val, validation_batch_size or batch_size)
        history = callbacks_module.History()
        cbs = list(callbacks or [])
        if verbose:
            cbs.append(callbacks_module.ProgbarLogger(verbose))
        cbs.append(history)
        cb = callbacks_module.CallbackList(cbs, model=self, verbose=verbose, epochs=epochs, steps=data.steps,
                                           in_fit=True)
        self.stop_training = False
        self._train_vars = None
        train_function = self.make_train_function()
        cb.on_train_begin()
        epoch_logs = {}
        nonfinite_warned = False
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            cb.on_epoch_begin(epoch)
            logs = {}
            for step, batch in enumerate(data.batches()):
                cb.on_train_batch_begin(step)
                logs = _floats(train_function(batch))
                if not nonfinite_warned and not math.isfinite(logs.get("loss", 0.0)):
                    nonfinite_warned = True  # Keras keeps training; say so once (TerminateOnNaN stops it)
                    warnings.warn(f"fit: the loss is {logs['loss']} at epoch {epoch}, step {step}; training "
                                  "continues (pass keras.callbacks.TerminateOnNaN() to stop)", RuntimeWarning,
                                  stacklevel=2)
                cb.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            epoch_logs = dict(logs)
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate(val, validation_batch_size or batch_size, validation_steps,
                                          callback_list=cb)
                epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
            cb.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        cb.on_train_end(epoch_logs)
        history.params = {"verbose": verbose, "epochs": epochs, "steps": data.steps}
        self.history = history
        return history

    def _preflight_validation(self, val, batch_size):
        """Checks validation arrays against the model (one forward pass on
        their first batch) before the first training step changes a weight."""
        source = ArrayData(*val, batch_size, False, None, self.dtype)
        try:
            self._preflight(source, "fit")
            self(source.first_inputs(), training=False)
        except (ValueError, TypeError) as e:
            raise type(e)(f"fit: validation_data does not fit the model: {e}") from None

    def _preflight(self, data, what):
        """Builds the model and checks labels against the loss before any weight changes."""
        if not self.built or self._output_shape is None:
            try:
                self(data.first_inputs(), training=False)
            except NotImplementedError:  # no call() (a GAN's): its own train_step/test_step says what runs
                if type(self).train_step is Trainer.train_step and type(self).test_step is Trainer.test_step:
                    raise
                return
        if data.y is None or self._compile_loss is None:
            return
        names = self._output_names()
        shape = self._output_shape
        shapes = list(shape.values()) if isinstance(shape, dict) else _map_shapes(lambda s: s, shape)
        shapes = shapes if isinstance(shapes, list) else [shapes]
        ys = compile_utils.per_output(data.y, names, f"{what}: the targets (y)")
        for fn, yt, out_shape in zip(self._compile_loss.build(names), ys, shapes):
            if fn is not None and yt is not None:
                check_labels(fn, yt, tuple(out_shape))

    # ---- evaluate / predict ----------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """Computes the loss and metrics on the data, in batches.

        Returns:
            The loss (a float) when there are no metrics, else ``[loss, *metrics]``;
            a dict name -> value with ``return_dict=True``.
        """
        self._require_compiled("evaluate")
        if type(self).test_step is Trainer.test_step:
            self._require_loss()
        verbose = 1 if verbose == "auto" else verbose
        if is_batch_iterable(x):
            _no_separate_targets(y, "evaluate")
        data = x if is_batch_iterable(x) else (as_arrays(x), as_arrays(y), as_arrays(sample_weight))
        logs = self._evaluate(data, batch_size or 32, steps, callbacks, verbose)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def _evaluate(self, data, batch_size, steps=None, callbacks=None, verbose=0, callback_list=None):
        if is_batch_iterable(data):
            source = IterableData(data, steps)
        else:
            x, y, sw = data
            source = ArrayData(x, y, sw, batch_size, False, steps, self.dtype)
            self._preflight(source, "evaluate")
        if callback_list is not None:  # validation inside fit: the fit's callbacks see the test hooks
            cb = callback_list
        else:
            cbs = list(callbacks or [])
            if verbose:
                cbs.append(callbacks_module.ProgbarLogger(verbose))
            cb = callbacks_module.CallbackList(cbs, model=self, verbose=verbose, steps=source.steps)
        self.reset_metrics()
        test_function = self.make_test_function()
        cb.on_test_begin()
        logs = {}
        for step, batch in enumerate(source.batches()):
            cb.on_test_batch_begin(step)
            logs = _floats(test_function(batch))
            cb.on_test_batch_end(step, logs)
        cb.on_test_end(logs)
        return logs

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for ``x``, computed in batches, as numpy arrays."""
        verbose = 1 if verbose == "auto" else verbose
        source = IterableData(x, steps, inputs_only=True) if is_batch_iterable(x) else \
            ArrayData(as_arrays(x), None, None, batch_size or 32, False, steps, self.dtype)
        cbs = list(callbacks or [])
        if verbose:
            cbs.append(callbacks_module.ProgbarLogger(verbose))
        cb = callbacks_module.CallbackList(cbs, model=self, verbose=verbose, steps=source.steps)
        predict_function = self.make_predict_function()
        cb.on_predict_begin()
        outs = []
        for step, batch in enumerate(source.batches()):
            cb.on_predict_batch_begin(step)
            out = predict_function(batch)
            outs.append([np.asarray(o) for o in flatten(out)] if isinstance(out, (list, tuple)) else np.asarray(out))
            cb.on_predict_batch_end(step, {"outputs": out})
        cb.on_predict_end()
        if not outs:
            raise ValueError("predict: no input data")
        if isinstance(outs[0], list):
            return [np.concatenate([o[i] for o in outs]) for i in range(len(outs[0]))]
        return np.concatenate(outs)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One optimizer step on one batch; returns the loss (and metrics) on that batch."""
        self._require_compiled("train_on_batch")
        x, y, sample_weight = as_arrays(x), as_arrays(y), as_arrays(sample_weight)
        sample_weight = class_weights(y, class_weight, sample_weight)
        data = ArrayData(x, y, sample_weight, num_samples(x, y), False, None, self.dtype)
        self._preflight(data, "train_on_batch")
        self.reset_metrics()
        logs = _floats(self.train_step(next(data.batches())))
        self._train_vars = None
        return self._batch_result(logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """The loss (and metrics) on one batch, without training."""
        self._require_compiled("test_on_batch")
        x, y, sample_weight = as_arrays(x), as_arrays(y), as_arrays(sample_weight)
        logs = self._evaluate((x, y, sample_weight), num_samples(x, y))
        return self._batch_result(logs, return_dict)

    def predict_on_batch(self, x):
        """The model's outputs for one batch, as numpy."""
        out = self(ArrayData(as_arrays(x), None, None, 1, False, None, self.dtype).first_inputs(None),
                   training=False)
        return [np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else np.asarray(out)

    @staticmethod
    def _batch_result(logs, return_dict):
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values


# ---- helpers -------------------------------------------------------------------------
class _Step:
    """A built-in step run through ``tensorlet.function``: the first of
    ``levels`` (with the metric updates, or without them, the metrics then
    updating eagerly from its outputs) that traces. The first trace of each
    signature changes no state. A step that cannot be traced at all runs
    ``eager`` (``jit_compile='auto'``, with a warning) or raises (True)."""

    def __init__(self, model, levels, eager, mode, predict=False, custom=False):
        self.model, self.eager, self.mode, self.predict, self.custom = model, eager, mode, predict, custom
        self.levels = [tf.function(f, reduce_retracing=True) for f in levels]

    def __call__(self, data):
        if self.custom:  # the user's own step takes the batch as it comes
            args = (data,)
        else:
            x, y, sample_weight = unpack_x_y_sample_weight(data)
            args = (x,) if self.predict else (x, y, sample_weight)
        if not (self.predict or self.custom):
            self.model._require_loss()
        while self.levels:
            f = self.levels[0]
            try:
                key, tensors = _fast_key(args)
                if key is None:
                    key, tensors = f._key(args, {})
                out = (f._concrete.get(key) or f.get_concrete_function(*args))._replay(tensors)
                break
            except OperatorNotAllowedInGraphError as e:
                if len(self.levels) > 1:
                    self.levels.pop(0)
                    continue
                if self.mode is True:
                    raise
                self.levels = []
                warnings.warn(f"{type(self.model).__name__}: the step cannot be compiled, so it runs eagerly: {e}",
                              stacklevel=3)
        else:
            out = self.eager(*args)
        if _Seen.losses:  # what add_loss left behind came from the trace, not from this batch
            self.model._clear_losses()
        if self.predict or self.custom:
            return out
        if out is None:  # the metrics were updated inside
            return self.model.get_metrics_result()
        return self.model.compute_metrics(x, y, out[1], sample_weight, out[0])


def _floats(logs):
    """Python floats of float32 values, as Keras reports them (0.6931471824645996); a metric
    with one value per class or threshold stays an array; a dict value (the compiled
    metrics' results) gives its entries."""
    out = {}
    for k, v in logs.items():
        if isinstance(v, dict):
            out.update(_floats(v))
        else:
            out[k] = float(np.float32(v)) if np.ndim(v) == 0 else np.asarray(v, np.float32)
    return out

class _CompiledMetrics:
    """The compiled metrics as one metric (``compile_metrics`` in ``model.metrics``
    until the first update builds them): ``update_state(y, y_pred)`` updates each,
    ``result()`` gives a dict. Also the Keras 2 ``model.compiled_metrics``."""

    name = "compile_metrics"

    def __init__(self, model, warn=False):
        self.model, self.warn = model, warn

    @property
    def metrics(self):
        return self.model._compile_metrics.metrics

    def update_state(self, y, y_pred, sample_weight=None):
        if self.warn:
            warnings.warn("model.compiled_metrics.update_state(...) is the Keras 2 spelling; use "
                          "self.compute_metrics(x, y, y_pred, sample_weight) in Keras 3", DeprecationWarning,
                          stacklevel=2)
        self.model._compile_metrics.update(self.model, y, y_pred, sample_weight, self.model._loss_fns_for(y_pred))

    def result(self):
        return {m.name: m.result() for m in self.metrics}

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()


def _no_separate_targets(y, what):
    if y is not None:
        raise ValueError(f"{what}: x yields batches (a dataset or generator), so the targets come from it: do not "
                         "also pass y; yield (x, y) pairs instead")
