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
from tensorlet.keras import backend, initializers, regularizers
from tensorlet.keras.keras_tensor import KerasTensor, Node, flatten, map_structure
from tensorlet.keras.saving.serialization import Serializable

_context = threading.local()  # .training: the training flag of the outermost call in progress


def _training_flag():
    return getattr(_context, "training", None)


class Layer(Serializable):
    """Base class of all layers; subclass it and override ``build`` and ``call``.

    Args:
        trainable: whether the layer's weights are updated by training.
        name: a unique name; by default the snake-cased class name (``dense``, ``dense_1``...).
        dtype: the dtype of the weights and computation (float32 by default).
        input_shape / input_dim: the shape of one sample, so that a model
            starting with this layer is built at once.
    """

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
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
        self._call_takes_training = "training" in inspect.signature(self.call).parameters

    def __init_subclass__(cls, **kwargs):
        # Whoever calls ``build`` (``__call__``, or the user directly), the layer
        # is built afterwards, so a later call does not build it again.
        super().__init_subclass__(**kwargs)
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
        if first_call:
            self._build_for(inputs)
        elif self._build_shapes is not None and (self._trainable_weights or self._non_trainable_weights):
            self._check_shapes(inputs)
        outer = _training_flag()
        training = kwargs.pop("training", None)
        if training is None:
            training = outer
        if self._call_takes_training:
            kwargs["training"] = training
        _context.training = training
        try:
            outputs = self.call(inputs, *args, **kwargs)
            if first_call and "_deferred_restore" in self.__dict__:
                # A checkpoint restored before the weights existed: fill them, then compute with them.
                self.__dict__.pop("_deferred_restore")()
                outputs = self.call(inputs, *args, **kwargs)
        finally:
            _context.training = outer
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
                raise ValueError(
                    f"Input {i} of layer '{self.name}' is incompatible with the layer: expected shape "
                    f"{_fmt(expected)} (last axis {want[-1]}), but received input with shape {_fmt(got)}")

    def _symbolic_call(self, inputs, args, kwargs, record=True):
        """Builds the layer for KerasTensor inputs and returns KerasTensor outputs."""
        if not self.built:
            self._build_for(inputs)
        elif self._own_weights():
            self._check_shapes(inputs)
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
            return self(inputs, *args, training=False, **kwargs)
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
            name: the weight's name (``kernel``); the variable is named ``layer/name``.

        Returns:
            A ``tensorlet.Variable``.
        """
        shape = tuple(() if shape is None else shape)
        dtype = tf.as_dtype(dtype or self.dtype)
        init = initializers.get(initializer or ("glorot_uniform" if dtype.is_floating else "zeros"))
        value = init(shape, dtype=dtype)
        name = name or f"variable_{len(self._own_weights())}"
        var = tf.Variable(value, trainable=trainable, name=f"{self.name}/{name}")
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

    @property
    def losses(self):
        """Regularization losses of this layer and its sublayers (scalar tensors)."""
        out = [reg(v) for reg, v in self._regularized]
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

    @property
    def output_shape(self):
        if self._output_shape is None:
            raise AttributeError(f"Layer '{self.name}' has not been called yet, so its output shape is unknown")
        return self._output_shape

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _map_shapes(fn, shape):
    """``fn`` of a shape, or a list of ``fn`` of each shape in a list of shapes."""
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [fn(tuple(s)) for s in shape]
    return fn(tuple(shape))


def _fmt(shape):
    shape = tuple(shape)
    return f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(str(d) for d in shape) + ")"
