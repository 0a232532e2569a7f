"""The Layer base class: state (weights) plus computation (``call``).

A layer creates its weights in ``build(input_shape)``, which ``__call__`` runs
on first use with the shape of the input it sees; ``add_weight`` is the one
way a layer gets state. Layers and variables assigned as attributes are
tracked, so a layer's (or model's) ``weights`` include those of its parts.
"""

import functools
import inspect
import math
import threading

import numpy as np

import tensorlet as tf
from tensorlet.framework import symbolic
from tensorlet.framework.convert import numpy_in_dtype, short_repr
from tensorlet.keras import backend, constraints, initializers, regularizers
from tensorlet.keras.keras_tensor import KerasTensor, Node, flatten, map_structure
from tensorlet.keras.saving.serialization import Serializable

_context = threading.local()  # .training: the training flag of the outermost call in progress; .in_call


class _Seen:
    """Whether any layer has made a mask or added a loss yet: until then a call
    skips looking for masks on its inputs and clearing the losses of the last call."""
    masks = losses = False


def _training_flag():
    return getattr(_context, "training", None)


class Layer(Serializable):
    """Base class of all layers; subclass it and override ``build`` and ``call``.

    Args:
        trainable: whether the layer's weights are updated by training.
        name: a unique name; by default the snake-cased class name (``dense``, ``dense_1``...).
        dtype: the dtype of the weights and computation (float32 by default).
        activity_regularizer: a penalty on the layer's outputs (divided by the
            batch size), added to the loss as ``add_loss`` adds one.
        input_shape / input_dim: the shape of one sample, so that a model
            starting with this layer is built at once.

    Masks: a layer whose ``supports_masking`` is True passes the mask of its
    input (``tensor._keras_mask``) on to its output, through
    ``compute_mask(inputs, mask)``; ``call`` receives it as ``mask=`` when its
    signature has that argument.
    """

    supports_masking = _makes_mask = False
    input_spec = None  # an InputSpec (or a list, one per input) checked at every call

    def __init__(self, trainable=True, name=None, dtype=None, activity_regularizer=None, **kwargs):
        input_shape = kwargs.pop("input_shape", None)
        if "input_dim" in kwargs:
            input_shape = (kwargs.pop("input_dim"),)
        if "batch_input_shape" in kwargs:
            input_shape = tuple(kwargs.pop("batch_input_shape"))[1:]
        kwargs.pop("autocast", None)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword arguments {sorted(kwargs)}")
        object.__setattr__(self, "_layers", [])
        self._trainable_weights = []
        self._non_trainable_weights = []
        self._regularized = []  # (regularizer, variable)
        self._inbound_nodes = []
        self._input_shape_arg = None if input_shape is None else tuple(input_shape)
        self._build_shapes = None
        self._output_shape = None
        self.name = name or backend.unique_name(backend.snake_case(type(self).__name__))
        self.trainable = trainable
        self.dtype = tf.as_dtype(dtype or backend.floatx()).name
        self.built = False
        params = inspect.signature(self.call).parameters
        self._call_takes_training, self._call_takes_mask = "training" in params, "mask" in params
        # A call(inputs, training) without a default gets None rather than no argument.
        self._training_required = "training" in params and params["training"].default is inspect.Parameter.empty
        self.activity_regularizer = regularizers.get(activity_regularizer)

    def __init_subclass__(cls, **kwargs):
        # Whoever calls ``build`` (``__call__``, or the user directly), the layer
        # is built afterwards, so a later call does not build it again.
        super().__init_subclass__(**kwargs)
        cls._makes_mask = cls.compute_mask is not Layer.compute_mask
        if "compute_mask" in cls.__dict__ and "supports_masking" not in cls.__dict__:
            cls.supports_masking = True  # as in Keras 3: a layer that computes masks supports them
        build = cls.__dict__.get("build")
        if build is not None:
            @functools.wraps(build)
            def build_once(self, input_shape=None, *args, **kwargs):
                out = build(self, input_shape, *args, **kwargs)
                self.built = True
                if self._build_shapes is None and input_shape is not None:  # built by hand: check later calls
                    several = isinstance(input_shape, (list, tuple)) and input_shape and \
                        isinstance(input_shape[0], (list, tuple, tf.TensorShape))
                    self._build_shapes = [tuple(s) for s in (input_shape if several else [input_shape])]
                return out

            cls.build = build_once

    # ---- attribute tracking --------------------------------------------------
    def __setattr__(self, name, value):
        if "_layers" not in self.__dict__ and isinstance(value, (Layer, tf.Variable)):
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before assigning layers or "
                               "variables as attributes")
        for item in (value if isinstance(value, (list, tuple)) else (value,)):
            if isinstance(item, Layer) and item is not self and all(item is not l for l in self._layers):
                self._layers.append(item)
            elif isinstance(item, tf.Variable) and not any(item is w for w in self._own_weights()):
                (self._trainable_weights if item.trainable else self._non_trainable_weights).append(item)
        object.__setattr__(self, name, value)

    # ---- the pieces a subclass overrides --------------------------------------
    def build(self, input_shape):
        """Creates the weights, given the input's shape (with the batch dim)."""
        self.built = True

    def call(self, inputs, *args, **kwargs):
        """The layer's computation."""
        return inputs

    def compute_mask(self, inputs, mask=None):
        """The mask of the outputs, given the inputs and their mask: by default
        the input's mask where ``supports_masking``, else None."""
        return mask if self.supports_masking else None

    def compute_output_shape(self, input_shape):
        """The output's shape for an input of ``input_shape`` (found by a symbolic call)."""
        spec = _map_shapes(lambda s: KerasTensor(s, self.dtype), input_shape)
        return map_structure(lambda t: t.shape, self._symbolic_call(spec, (), {}, record=False))

    def get_config(self):
        """The constructor arguments that recreate this layer (without weights)."""
        return {**self._constructor_config(), "name": self.name, "trainable": self.trainable, "dtype": self.dtype}

    # ---- calling -------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        inputs = args[0] if args else kwargs.pop("inputs")
        args = args[1:]
        mask = None
        if _Seen.masks:  # read before a cast makes new tensors
            mask = kwargs["mask"] if "mask" in kwargs else _mask_of(inputs)
        if isinstance(inputs, tf.Tensor):  # the common case, kept short
            dtype = inputs.dtype
            if dtype.is_floating and dtype.name != self.dtype:
                inputs = tf.cast(inputs, self.dtype)
        elif any(isinstance(t, KerasTensor) for t in flatten(inputs)):
            return self._symbolic_call(inputs, args, kwargs)
        else:
            flat = flatten(inputs)
            if not flat or all(x is None for x in flat) or isinstance(inputs, str):
                raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) expects a tensor, array or nested "
                                 f"structure of them as inputs, got {short_repr(inputs)}")
            inputs = map_structure(self._convert, inputs)
        first_call = not self.built
        if self.input_spec is not None or (not first_call and self._build_shapes is not None and self._own_weights()):
            self._check_shapes(inputs)
        if first_call:
            self._build_for(inputs)
        if mask is not None and self._call_takes_mask and "mask" not in kwargs:
            kwargs["mask"] = mask
        outer = _training_flag()
        training = kwargs.pop("training", None)
        if training is None:
            training = outer
        if self._call_takes_training and (training is not None or self._training_required):  # else call's default
            kwargs["training"] = training
        entry = not getattr(_context, "in_call", False)
        if entry:  # the outermost call: the losses its layers add replace those of the last one
            _context.in_call = True
            if _Seen.losses:
                self._clear_losses()
        _context.training = training
        try:
            outputs = self.call(inputs, *args, **kwargs)
            if first_call and "_deferred_restore" in self.__dict__:
                # A checkpoint restored before the weights existed: fill them, then compute with them.
                self.__dict__.pop("_deferred_restore")()
                outputs = self.call(inputs, *args, **kwargs)
        finally:
            _context.training = outer
            if entry:
                _context.in_call = False
        if self.activity_regularizer is not None:
            for out in flatten(outputs):
                if isinstance(out, tf.Tensor) and not symbolic.is_symbolic(out):
                    self.add_loss(self.activity_regularizer(out) / float(max(1, out.shape[0] if out.ndim else 1)))
        if self.supports_masking and (mask is not None or self._makes_mask):
            _attach_masks(outputs, self.compute_mask(inputs, mask))
        if self._output_shape is None:
            self._output_shape = map_structure(lambda t: (None,) + tuple(t.shape)[1:], outputs)
        return outputs

    def _convert(self, x):
        if not isinstance(x, tf.Tensor):
            if x is None or isinstance(x, (str, bool)):
                return x
            x = np.asarray(x)
            if x.dtype.kind == "f" and x.dtype != np.dtype(self.dtype):
                x = x.astype(self.dtype)
            return tf.convert_to_tensor(x)
        if x.dtype.is_floating and x.dtype.name != self.dtype:
            return tf.cast(x, self.dtype)
        return x

    def _build_for(self, inputs):
        shapes = map_structure(lambda t: tf.TensorShape(t.shape), inputs)
        try:
            self.build(shapes)
        except Exception:
            self._trainable_weights.clear()
            self._non_trainable_weights.clear()
            raise
        self.built = True
        self._build_shapes = [tuple(t.shape) for t in flatten(inputs)]

    def _check_shapes(self, inputs):
        if self.input_spec is not None:
            specs = self.input_spec if isinstance(self.input_spec, (list, tuple)) else [self.input_spec]
            for i, (spec, t) in enumerate(zip(specs, flatten(inputs))):
                spec.check(self.name, i, tuple(t.shape))
            return
        if isinstance(inputs, tf.Tensor):
            want, got = self._build_shapes[0], inputs.shape
            if want and got and want[-1] == got[-1]:
                return
        for i, (t, want) in enumerate(zip(flatten(inputs), self._build_shapes)):
            got = tuple(t.shape)
            if want is None or not got or not want:
                continue
            if want[-1] is not None and got[-1] != want[-1]:
                expected = (None,) + tuple(want)[1:]
                raise tf.errors.InvalidArgumentError(  # a ValueError, and what TensorFlow raises there
                    f"Input {i} of layer '{self.name}' is incompatible with the layer: expected shape "
                    f"{_fmt(expected)} (last axis {want[-1]}), but received input with shape {_fmt(got)}")

    def _symbolic_call(self, inputs, args, kwargs, record=True):
        """Builds the layer for KerasTensor inputs and returns KerasTensor outputs."""
        if self.input_spec is not None or (self.built and self._own_weights()):
            self._check_shapes(inputs)
        if not self.built:
            self._build_for(inputs)
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            shapes = self.compute_output_shape(map_structure(lambda t: t.shape, inputs))
            outputs = _map_shapes(lambda s: KerasTensor(s, self.dtype), shapes)
        else:
            outputs = map_structure(lambda t: KerasTensor(tuple(t.shape), t.dtype), self._infer(inputs, args, kwargs))
        self._output_shape = map_structure(lambda t: tuple(t.shape), outputs)
        if record:
            node = Node(self, (inputs,) + tuple(args), kwargs, outputs)
            self._inbound_nodes.append(node)
            for t in flatten(outputs):
                t._keras_history = node
                t.name = self.name
        return outputs

    def _infer(self, inputs, args, kwargs):
        """Runs ``call`` on symbolic tensors (a shape and dtype, no values): each
        op computes its output from its registered shape and dtype rules."""
        spec = lambda t: symbolic.tensor(t.shape, t.dtype) if isinstance(t, KerasTensor) else t  # noqa: E731
        inputs, args, kwargs = map_structure(spec, (inputs, args, kwargs))
        try:
            return self(inputs, *args, **{**kwargs, "training": False})
        except TypeError as e:
            raise TypeError(
                f"Could not infer the output shape of layer '{self.name}' ({type(self).__name__}) from the shape "
                f"rules of the ops it calls: {e}. Its call() reads values that a symbolic input does not have; "
                f"implement {type(self).__name__}.compute_output_shape(input_shape).") from e

    # ---- weights -------------------------------------------------------------
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation=None, name=None):
        """Creates a weight variable of this layer and returns it.

        Args:
            shape: the weight's shape (``()`` for a scalar).
            initializer: a name (``'glorot_uniform'`` by default, ``'zeros'``...),
                an initializer object or a callable ``(shape, dtype)``.
            dtype: the weight's dtype (the layer's by default).
            trainable: whether training updates it.
            regularizer: a name (``'l2'``) or callable adding ``regularizer(weight)``
                to the model's loss.
            constraint: a name (``'non_neg'``) or callable projecting the weight
                after each optimizer step (``keras.constraints``).
            name: the weight's name (``kernel``); the variable is named ``layer/name``.

        Returns:
            A ``tensorlet.Variable``.
        """
        shape = tuple(() if shape is None else shape)
        dtype = tf.as_dtype(dtype or self.dtype)
        init = initializers.get(initializer or ("glorot_uniform" if dtype.is_floating else "zeros"))
        value = init(shape, dtype=dtype)
        name = name or f"variable_{len(self._own_weights())}"
        var = tf.Variable(value, trainable=trainable, name=f"{self.name}/{name}",
                          constraint=constraints.get(constraint))
        (self._trainable_weights if trainable else self._non_trainable_weights).append(var)
        if regularizer is not None:
            self._regularized.append((regularizers.get(regularizer), var))
        return var

    def _own_weights(self):
        return self._trainable_weights + self._non_trainable_weights

    def _gather(self, pick):
        seen, out = set(), []
        for w in pick(self):
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        return out

    @property
    def layers(self):
        return list(self._layers)

    @property
    def weights(self):
        """All weights, this layer's then its sublayers', trainable first within each."""
        return self._gather(lambda l: l._own_weights() + [w for s in l._layers for w in s.weights])

    variables = weights

    @property
    def trainable(self):
        return self.__dict__.get("_trainable", True)

    @trainable.setter
    def trainable(self, value):  # as in Keras: this layer and every layer inside it
        self.__dict__["_trainable"] = bool(value)
        for layer in self.__dict__.get("_layers", ()):
            layer.trainable = value

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return self._gather(lambda l: l._trainable_weights + [w for s in l._layers for w in s.trainable_weights])

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return self._gather(
            lambda l: l._non_trainable_weights + [w for s in l._layers for w in s.non_trainable_weights])

    non_trainable_variables = non_trainable_weights

    def add_loss(self, loss):
        """Adds a loss (a tensor, summed to a scalar, or a list of them) to the training loss.

        Called in ``call``: ``losses`` (of this layer and of every model that
        contains it) then holds it until the next outermost call, and
        ``fit``/``evaluate``/``train_on_batch`` add it to the compiled loss. A
        zero-argument callable is kept and evaluated whenever ``losses`` is read.
        """
        for item in loss if isinstance(loss, (list, tuple)) else [loss]:
            if callable(item) and not isinstance(item, tf.Tensor):
                self.__dict__.setdefault("_loss_callables", []).append(item)
            elif not (isinstance(item, KerasTensor) or symbolic.is_symbolic(item)):  # not from a shape inference
                item = tf.convert_to_tensor(item)
                self.__dict__.setdefault("_added_losses", []).append(item if item.ndim == 0 else tf.reduce_sum(item))
                _Seen.losses = True

    def _clear_losses(self):
        self.__dict__.pop("_added_losses", None)
        for layer in self._layers:
            layer._clear_losses()

    @property
    def losses(self):
        """The losses of this layer and its sublayers (scalar tensors): weight
        regularization penalties and those added with ``add_loss`` in the last call."""
        out = [reg(v) for reg, v in self._regularized] + self.__dict__.get("_added_losses", []) + \
            [fn() for fn in self.__dict__.get("_loss_callables", [])]
        for s in self._layers:
            out.extend(s.losses)
        return out

    def get_weights(self):
        """The weights' values, as a list of numpy arrays."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Sets the weights from a list of numpy arrays (as ``get_weights`` returns).

        Raises:
            ValueError: if the number of arrays or any shape differs; no weight
                changes in that case.
        """
        mine = self.weights
        if len(weights) != len(mine):
            raise ValueError(f"Layer '{self.name}' expects {len(mine)} weight arrays, but received "
                             f"{len(weights)}")
        arrays = []
        for w, value in zip(mine, weights):
            try:
                value = numpy_in_dtype(value, w.dtype)
            except TypeError as e:
                raise TypeError(f"Layer '{self.name}' weight '{w.name}': {e}") from None
            if tuple(value.shape) != tuple(w.shape):
                raise ValueError(f"Layer '{self.name}' weight '{w.name}' has shape {_fmt(tuple(w.shape))}, "
                                 f"but the provided array has shape {_fmt(value.shape)}")
            arrays.append(value)
        for w, value in zip(mine, arrays):
            w.assign(value)

    def count_params(self):
        """The number of scalars in all weights."""
        if not self.built:
            raise ValueError(f"Layer '{self.name}' is not built yet, so it has no weights to count; call it "
                             "on data or build it with layer.build(input_shape) first.")
        return sum(math.prod(w.shape) for w in self.weights)

    # ---- the layer in a functional graph ---------------------------------------
    def _node_value(self, what):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer '{self.name}' has never been called on a symbolic input (keras.Input), "
                                 f"so it has no defined {what}")
        node = self._inbound_nodes[0]
        return (node.args[0] if node.args else node.outputs) if what == "input" else node.outputs

    @property
    def input(self):
        """The input tensor(s) of the layer's first call in a functional graph."""
        return self._node_value("input")

    @property
    def output(self):
        """The output tensor(s) of the layer's first call in a functional graph."""
        return self._node_value("output")

    def _node_shape(self, what):
        shapes = [map_structure(lambda t: tuple(t.shape), n.args[0] if what == "input" and n.args else n.outputs)
                  for n in self._inbound_nodes]
        if any(s != shapes[0] for s in shapes):
            raise AttributeError(f"Layer '{self.name}' has multiple inbound nodes with different {what} shapes "
                                 f"({', '.join(map(str, shapes))}), so its {what} shape is ill-defined; read "
                                 f"layer._inbound_nodes[i] instead")
        return shapes[0] if shapes else None

    @property
    def input_shape(self):
        """The input shape (batch dim None) of the layer's calls in a functional graph."""
        shape = self._node_shape("input")
        if shape is None and self._build_shapes:
            shape = [(None,) + tuple(s)[1:] for s in self._build_shapes]
            shape = shape[0] if len(shape) == 1 else shape
        if shape is None:
            raise AttributeError(f"Layer '{self.name}' has never been called, so it has no defined input shape")
        return shape

    @property
    def output_shape(self):
        """The output shape (batch dim None) of the layer's calls."""
        shape = self._node_shape("output")
        if shape is None and self._output_shape is None:
            raise AttributeError(f"Layer '{self.name}' has never been called, so it has no defined output shape")
        return self._output_shape if shape is None else shape

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


class InputSpec:
    """What a layer accepts, checked at every call: ``ndim`` (or ``min_ndim``
    / ``max_ndim``), ``shape`` (None for any size) and ``axes`` ({axis: size}).
    A layer sets ``self.input_spec`` (one, or a list with one per input)."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype, self.name, self.optional = dtype, name, optional
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim, self.min_ndim, self.axes = max_ndim, min_ndim, dict(axes or {})

    def check(self, layer_name, i, shape):
        """Raises ValueError naming the layer if an input of ``shape`` does not fit."""
        rank, bad = len(shape), None
        for rule, ok in ((f"ndim={self.ndim}", self.ndim is None or rank == self.ndim),
                         (f"min_ndim={self.min_ndim}", self.min_ndim is None or rank >= self.min_ndim),
                         (f"max_ndim={self.max_ndim}", self.max_ndim is None or rank <= self.max_ndim)):
            bad = bad or (None if ok else f"expected {rule}, found ndim={rank}")
        wanted = dict(self.axes, **{j: d for j, d in enumerate(self.shape or ())})
        for axis, size in wanted.items():
            got = shape[axis] if -rank <= axis < rank else None
            if not bad and size is not None and got is not None and got != size:
                bad = f"expected axis {axis} of the input shape to have value {size}"
        if bad:
            raise ValueError(f"Input {i} of layer '{layer_name}' is incompatible with the layer: {bad}, but received "
                             f"input with shape {_fmt(shape)}")

    def __repr__(self):
        parts = {k: v for k, v in vars(self).items() if v not in (None, {}, False)}
        return "InputSpec(" + ", ".join(f"{k}={v}" for k, v in parts.items()) + ")"


def _mask_of(inputs):
    """The ``_keras_mask`` of the inputs (the same structure), or None when none has one."""
    if isinstance(inputs, tf.Tensor):
        return getattr(inputs, "_keras_mask", None)
    masks = map_structure(lambda t: getattr(t, "_keras_mask", None), inputs)
    return None if all(m is None for m in flatten(masks)) else masks


def _attach_masks(outputs, masks):
    if masks is None:
        return
    outs = flatten(outputs)
    for out, m in zip(outs, flatten(masks) if isinstance(masks, (list, tuple)) else [masks] * len(outs)):
        if m is not None and isinstance(out, tf.Tensor):
            out._keras_mask = m
            _Seen.masks = True


def _map_shapes(fn, shape):
    """``fn`` of a shape, or a list of ``fn`` of each shape in a list of shapes."""
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [fn(tuple(s)) for s in shape]
    return fn(tuple(shape))


def _fmt(shape):
    shape = tuple(shape)
    return f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(str(d) for d in shape) + ")"
