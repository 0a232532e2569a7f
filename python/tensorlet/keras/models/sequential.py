"""Sequential: a plain stack of layers, each taking the previous one's output."""

from tensorlet.keras import backend
from tensorlet.keras.keras_tensor import KerasTensor
from tensorlet.keras.layers.core import InputLayer
from tensorlet.keras.layers.layer import Layer
from tensorlet.keras.models.model import Model


class Sequential(Model):
    """A model made of a list of layers applied in order.

    The model is built as soon as the input shape is known: from a leading
    ``keras.Input``/``InputLayer``, an ``input_shape=`` on the first layer, or
    the first batch it is called on (``fit``, ``predict``, ``model(x)``).

    Args:
        layers: optional list of layers to add.
        name: the model's name (``sequential``, ``sequential_1``... by default).
    """

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self.__dict__["_input_layer"] = self.__dict__["_output_tensor"] = None
        for layer in layers or ():
            self.add(layer, rebuild=False)
        if self._input_layer is not None and self._layers:
            self._build_from_input()

    def add(self, layer, rebuild=True):
        """Appends a layer (or a ``keras.Input``) to the stack."""
        if isinstance(layer, KerasTensor):
            layer = layer._keras_history.layer
        if isinstance(layer, InputLayer):
            if self._layers or self._input_layer is not None:
                raise ValueError(f"Sequential '{self.name}': an Input must be the first layer")
            self.__dict__["_input_layer"] = layer
            self._build_from_input()
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add takes layers, got {type(layer).__name__}")
        if any(layer is l for l in self._layers):
            raise ValueError(f"Layer '{layer.name}' is already in the model")
        self._layers.append(layer)
        if len(self._layers) == 1 and self._input_layer is None:
            shape = layer._input_shape_arg
            inputs = getattr(layer, "inputs", None) if isinstance(layer, Model) and layer.built else None
            if shape is None and inputs and len(inputs) == 1:  # a model with an input shape, first in the stack
                shape = tuple(inputs[0].shape)[1:]
            if shape is not None:
                self.__dict__["_input_layer"] = InputLayer(shape=shape, dtype=layer.dtype)
        if self._input_layer is not None and rebuild:
            self._build_from_input()

    def pop(self):
        """Removes and returns the last layer."""
        layer = self._layers.pop()
        self.built = False
        if self._input_layer is not None and self._layers:
            self._build_from_input()
        return layer

    def _build_from_input(self):
        if self._layers:  # Keras builds an inner functional model here, which takes a "functional" name
            backend.unique_name("functional")
        x = self._input_layer.output
        for layer in self._layers:
            x = layer(x)
        self.__dict__["_output_tensor"] = x
        self.built = True
        self._build_shapes = [tuple(self._input_layer.shape)]
        self._output_shape = tuple(x.shape)

    def build(self, input_shape=None):
        """Builds every layer for inputs of ``input_shape`` (with the batch dim)."""
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError(f"Sequential '{self.name}'.build() needs an input_shape")
        else:
            input_shape = tuple(input_shape)
            self.__dict__["_input_layer"] = InputLayer(shape=input_shape[1:], dtype=self.dtype)
        self._build_from_input()

    def call(self, inputs, training=None):
        for layer in self._layers:
            inputs = layer(inputs)
        return inputs

    @property
    def inputs(self):
        return [self._input_layer.output] if self._input_layer is not None else None

    @property
    def outputs(self):
        return [self._output_tensor] if self._output_tensor is not None and self.built else None

    def get_config(self):
        from tensorlet.keras.saving.model_config import sequential_get_config

        return sequential_get_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from tensorlet.keras.saving.model_config import sequential_from_config

        return sequential_from_config(cls, config, custom_objects)
