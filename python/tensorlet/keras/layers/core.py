"""The core layers: Input, Dense, Flatten, Activation, Dropout, Reshape,
Softmax, ReLU, and the merging layers Concatenate and Add."""

import math
import operator

import tensorlet as tf
from tensorlet.keras import activations, backend, constraints, initializers, regularizers
from tensorlet.keras.keras_tensor import KerasTensor, Node, flatten, map_structure
from tensorlet.keras.layers.conv import normalize_data_format
from tensorlet.keras.layers.layer import Layer
from tensorlet.keras.saving.serialization import register_keras_serializable


class InputLayer(Layer):
    """The entry point of a model: produces a KerasTensor of ``(batch_size,) + shape``."""

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, **kwargs):
        kwargs.pop("sparse", None)
        if batch_shape is not None:  # Keras 3's spelling of batch_size + shape
            if shape is not None or batch_size is not None:
                raise ValueError("InputLayer: give either batch_shape or shape/batch_size, not both")
            batch_size, shape = tuple(batch_shape)[0], tuple(batch_shape)[1:]
        if shape is None:
            shape = kwargs.pop("input_shape", None)
            if shape is None and "batch_input_shape" in kwargs:
                bis = tuple(kwargs.pop("batch_input_shape"))
                batch_size, shape = bis[0], bis[1:]
        if shape is None:
            raise ValueError("InputLayer needs a shape, e.g. keras.Input(shape=(784,))")
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.shape = (batch_size,) + tuple(shape)
        self.batch_size = batch_size
        self.built = True
        output = KerasTensor(self.shape, self.dtype, name=self.name)
        node = Node(self, (), {}, output)
        self._inbound_nodes.append(node)
        output._keras_history = node
        self._output_shape = self.shape

    def get_config(self):
        return {"batch_shape": list(self.shape), "dtype": self.dtype, "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, name=None, **kwargs):
    """A symbolic input for a functional model (or the start of a Sequential).

    Args:
        shape: the shape of one sample, without the batch dim: ``(784,)``.
        batch_size: an optional fixed batch size.
        dtype: the input's dtype (float32 by default).
        name: the input layer's name.

    Returns:
        A KerasTensor.
    """
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name, **kwargs).output


# Activations that tf.nn.dense applies itself.
_FUSED_ACTIVATIONS = {activations.linear: "linear", activations.relu: "relu"}


class Dense(Layer):
    """``activation(inputs @ kernel + bias)``: a densely connected layer.

    Args:
        units: the size of the output's last dim.
        activation: a name (``'relu'``) or function; None for linear.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: names or initializer objects.
        kernel_regularizer, bias_regularizer: optional weight penalties.
        activity_regularizer: an optional penalty on the outputs.
        kernel_constraint, bias_constraint: optional projections applied after each optimizer step.
    """

    supports_masking = True  # a mask on the input passes to the output

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        if not isinstance(units, int) or units <= 0:
            raise ValueError(f"Dense: units must be a positive int, got {units!r}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def build(self, input_shape):
        last = input_shape[-1]
        if last is None:
            raise ValueError(f"Dense '{self.name}': the last dim of the input must be known, got {input_shape}")
        self.kernel = self.add_weight((last, self.units), self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = self.add_weight((self.units,), self.bias_initializer, name="bias",
                                    regularizer=self.bias_regularizer, constraint=self.bias_constraint) \
            if self.use_bias else None

    def call(self, inputs):
        if not inputs.dtype.is_floating:  # integer features, as Keras's type promotion allows
            inputs = tf.cast(inputs, self.dtype)
        fused = _FUSED_ACTIVATIONS.get(self.activation)
        if inputs.ndim == 2 and fused is not None:
            # One kernel: the bias add and relu happen as the product is written.
            return tf.nn.dense(inputs, self.kernel, self.bias, fused)
        if inputs.ndim == 2:
            y = tf.matmul(inputs, self.kernel)
        else:
            lead = tf.shape(inputs)[:-1]
            y = tf.reshape(tf.matmul(tf.reshape(inputs, (-1, inputs.shape[-1])), self.kernel),
                           tf.concat([lead, [self.units]], 0))
        if self.bias is not None:
            y = y + self.bias
        return self.activation(y)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)[:-1] + (self.units,)



class Flatten(Layer):
    """Reshapes each sample to one dim: ``(batch, 28, 28)`` -> ``(batch, 784)``."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, "Flatten")

    def call(self, inputs):
        if inputs.ndim == 2:
            return inputs
        if self.data_format == "channels_first":  # flattened in channels_last order, as Keras keeps weights valid
            inputs = tf.transpose(inputs, [0] + list(range(2, inputs.ndim)) + [1])
        return tf.reshape(inputs, (-1, math.prod(inputs.shape[1:])) if inputs.shape[0] != 0 else (0, -1))

    def compute_output_shape(self, input_shape):
        rest = tuple(input_shape)[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))


class Activation(Layer):
    """Applies an activation function (a name or a callable)."""

    supports_masking = True  # a mask on the input passes to the output

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)



class Dropout(Layer):
    """Zeroes a fraction ``rate`` of the inputs during training, scaling the rest by 1 / (1 - rate).

    At inference (``training`` false, as in ``predict`` and ``evaluate``) it passes inputs through.
    """

    supports_masking = True  # a mask on the input passes to the output

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        self.rate, self.noise_shape, self.seed = float(rate), noise_shape, seed

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        shape = self.noise_shape or tf.shape(inputs)
        keep = tf.cast(tf.random.uniform(shape, dtype=inputs.dtype, seed=self.seed) >= self.rate, inputs.dtype)
        return inputs * (keep * (1.0 / (1.0 - self.rate)))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)



class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)

    def call(self, inputs):
        return tf.reshape(inputs, (-1,) + self.target_shape if inputs.shape[0] != 0 else (0,) + self.target_shape)

    def compute_output_shape(self, input_shape):
        rest = tuple(input_shape)[1:]
        target = list(self.target_shape)
        if -1 in target:
            known = math.prod(d for d in target if d != -1)
            target[target.index(-1)] = None if None in rest else math.prod(rest) // known
        elif None not in rest and math.prod(rest) != math.prod(target):
            raise ValueError(f"Reshape '{self.name}': cannot reshape samples of shape {rest} "
                             f"({math.prod(rest)} values) to {self.target_shape}")
        return (input_shape[0],) + tuple(target)



class Softmax(Layer):
    """softmax along ``axis`` (the last by default)."""

    supports_masking = True  # a mask on the input passes to the output

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        return activations.softmax(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)



class ReLU(Layer):
    """max(x, 0), with optional ``max_value``, ``negative_slope`` and ``threshold``."""

    supports_masking = True  # a mask on the input passes to the output

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold

    def call(self, inputs):
        return activations.relu(inputs, self.negative_slope, self.max_value, self.threshold)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)



class LeakyReLU(ReLU):
    """x for x >= 0, ``negative_slope * x`` below."""

    def __init__(self, negative_slope=0.3, **kwargs):
        super().__init__(negative_slope=negative_slope, **kwargs)


class _Merge(Layer):
    supports_masking = True

    def compute_mask(self, inputs, mask=None):
        """A step is kept where any input keeps it; no mask unless every input has one."""
        if mask is None or any(m is None for m in mask):
            return None
        out = mask[0]
        for m in mask[1:]:
            out = tf.logical_or(out, m)
        return out

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not input_shape or not isinstance(input_shape[0], tuple):
            raise ValueError(f"{type(self).__name__} '{self.name}' must be called on a list of inputs")


class Concatenate(_Merge):
    """Joins a list of inputs along ``axis`` (the last by default)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def build(self, input_shape):
        super().build(input_shape)
        first = input_shape[0]
        axis = self.axis % len(first)
        for shape in input_shape[1:]:
            if len(shape) != len(first) or any(
                    a is not None and b is not None and a != b
                    for i, (a, b) in enumerate(zip(shape, first)) if i not in (0, axis)):
                raise ValueError(f"Concatenate '{self.name}': inputs must match except on the concat axis "
                                 f"({self.axis}), got shapes {[tuple(s) for s in input_shape]}")

    def call(self, inputs):
        return tf.concat(list(inputs), axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        """The inputs' masks (all-true for an input without one) joined as the inputs are, then
        reduced over the last axis."""
        if mask is None:
            return None
        full = [tf.ones_like(x, "bool") if m is None else
                tf.logical_or(tf.expand_dims(m, -1), tf.zeros_like(x, "bool")) if m.ndim < x.ndim else m
                for x, m in zip(inputs, mask)]
        return tf.reduce_any(tf.concat(full, axis=self.axis), axis=-1)

    def compute_output_shape(self, input_shape):
        axis = self.axis % len(input_shape[0])
        out = list(input_shape[0])
        dims = [s[axis] for s in input_shape]
        out[axis] = None if None in dims else sum(dims)
        return tuple(out)



class Add(_Merge):
    """The elementwise sum of a list of inputs of one shape."""

    def build(self, input_shape):
        super().build(input_shape)
        rests = {tuple(s[1:]) for s in input_shape}
        if len(rests) > 1:
            raise ValueError(f"Add '{self.name}': inputs must have one shape, got {[tuple(s) for s in input_shape]}")

    def call(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])


class Multiply(Add):
    """The elementwise product of a list of inputs of one shape."""

    def call(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out * x
        return out


class Lambda(Layer):
    """Wraps a function of the inputs as a layer."""

    def __init__(self, function, output_shape=None, **kwargs):
        super().__init__(**kwargs)
        self.function, self.output_shape_arg = function, output_shape

    def call(self, inputs):
        return self.function(inputs)

    def _infer(self, inputs, args, kwargs):
        """Keras models take ``output_shape`` (a shape without the batch dim, or a
        function of the input shape) on trust where given; else the function runs on symbolic inputs."""
        shape = self.output_shape_arg
        if shape is None:
            return super()._infer(inputs, args, kwargs)
        given = map_structure(lambda t: tuple(t.shape), inputs)
        return KerasTensor(tuple(shape(given)) if callable(shape) else (flatten(given)[0],) + tuple(shape), self.dtype)


@register_keras_serializable("tensorlet")
class TensorOperator(Layer):
    """A Python operator applied to a KerasTensor (``inputs / 127.5 - 1``, ``a * b``),
    recorded as a layer of the functional model as Keras records it.

    Args:
        op: a name in Python's ``operator`` module (``'add'``, ``'truediv'``, ``'neg'``...).
        operand: the other operand when it is a constant (a number or nested list), else None:
            the layer then takes the two KerasTensors as a list.
        reflected: the layer's input is the right operand (``1 - x``).
    """

    _NAMES = {"add": "add", "sub": "subtract", "mul": "multiply", "truediv": "true_divide", "pow": "power",
              "matmul": "matmul", "floordiv": "floor_divide", "mod": "mod", "neg": "negative"}

    def __init__(self, op, operand=None, reflected=False, **kwargs):
        if op not in self._NAMES:
            raise ValueError(f"TensorOperator: op must be one of {sorted(self._NAMES)}, got {op!r}")
        kwargs.setdefault("name", backend.unique_name(self._NAMES[op]))
        super().__init__(**kwargs)
        self.op, self.operand, self.reflected = op, operand, reflected
        self._summary_type = self._NAMES[op].title().replace("_", "")  # TrueDivide, as Keras's summary shows

    def call(self, inputs):
        fn = getattr(operator, self.op)
        if self.op == "neg":
            return fn(inputs)
        a, b = (inputs[0], inputs[1]) if self.operand is None else (inputs, self.operand)
        return fn(b, a) if self.reflected else fn(a, b)

    def get_config(self):
        operand = self.operand.tolist() if hasattr(self.operand, "tolist") else self.operand
        return {**super().get_config(), "op": self.op, "operand": operand, "reflected": self.reflected}
