"""Model: a layer that can be trained (``compile``/``fit``/...), built three ways.

* functional: ``keras.Model(inputs, outputs)`` from KerasTensors; the layer
  graph recorded while building is replayed on real data in ``call``;
* subclassed: ``class M(keras.Model)`` with layer attributes and a ``call``;
* ``Sequential`` (in ``sequential.py``): a stack of layers.
"""

from tensorlet.keras.keras_tensor import KerasTensor, flatten, map_structure
from tensorlet.keras.layers.core import InputLayer
from tensorlet.keras.layers.layer import Layer
from tensorlet.keras.trainer import Trainer
from tensorlet.keras.utils import summary as summary_utils

_HOW_TO_BUILD = ("call it on a batch of data (model(x) or model.fit), give the first layer an input_shape, "
                 "start the model with keras.Input(shape=...), or call model.build(input_shape)")


class Model(Trainer, Layer):
    """A trainable stack or graph of layers.

    ``Model(inputs, outputs, name=None)`` makes a functional model from
    KerasTensors (``keras.Input`` and layers called on it); subclasses define
    layers in ``__init__`` and the computation in ``call``.
    """

    def __init__(self, *args, **kwargs):
        if len(args) >= 2 or "inputs" in kwargs or "outputs" in kwargs:
            inputs = args[0] if args else kwargs.pop("inputs")
            outputs = args[1] if len(args) > 1 else kwargs.pop("outputs")
            Layer.__init__(self, name=kwargs.pop("name", None) or _functional_name(type(self)), **kwargs)
            self._init_graph(inputs, outputs)
        else:
            Layer.__init__(self, *args, **kwargs)
        Trainer.__init__(self)

    # ---- functional graphs ------------------------------------------------------
    def _init_graph(self, inputs, outputs):
        for t in flatten(inputs) + flatten(outputs):
            if not isinstance(t, KerasTensor):
                raise TypeError(f"Model(inputs, outputs) takes KerasTensors (from keras.Input and layers called "
                                f"on them), got {type(t).__name__}")
        self._graph_inputs, self._graph_outputs = inputs, outputs
        input_ids = {id(t) for t in flatten(inputs)}
        order, seen, visited, index = [], set(), [], {}  # visited: the input nodes too, in the same (post) order

        def visit(tensor):
            node = tensor._keras_history
            if id(tensor) in input_ids or node is None:
                if id(tensor) not in input_ids:
                    raise ValueError(f"Graph disconnected: {tensor} is not among the model's inputs")
                if node is not None and id(node) not in seen and isinstance(node.layer, InputLayer):
                    seen.add(id(node))
                    index.setdefault(id(node.layer), (node.layer, len(index)))
                    visited.append(node)
                return
            if id(node) in seen:
                return
            seen.add(id(node))
            index.setdefault(id(node.layer), (node.layer, len(index)))  # the layer's first visit, before its inputs
            if isinstance(node.layer, InputLayer):
                raise ValueError(f"Graph disconnected: the input '{node.layer.name}' is needed to compute the "
                                 "outputs but is not among the model's inputs")
            for t in node.input_tensors:
                visit(t)
            order.append(node)
            visited.append(node)

        for t in flatten(outputs):
            visit(t)
        self._nodes = order
        # Layers in Keras's order (model.layers[i] as in Keras): by depth from the outputs, deepest first,
        # then by first visit. A node's depth is one more than its deepest consumer's; a shared layer's, its deepest.
        node_depth, layer_depth, inner = {}, {}, {id(n) for n in order}
        for node in reversed(visited):
            d = max(node_depth.get(id(node), 0), layer_depth.get(id(node.layer), 0))
            node_depth[id(node)] = layer_depth[id(node.layer)] = d
            for t in node.input_tensors if id(node) in inner else ():
                if t._keras_history is not None and id(t._keras_history) in seen:
                    node_depth[id(t._keras_history)] = max(d + 1, node_depth.get(id(t._keras_history), 0))
        for t in flatten(inputs):  # an input no output needs comes last but one, as in Keras
            if t._keras_history is not None and isinstance(t._keras_history.layer, InputLayer) \
                    and id(t._keras_history.layer) not in index:
                index[id(t._keras_history.layer)] = (t._keras_history.layer, -1)
        layers = [l for l, i in sorted(index.values(), key=lambda e: (-layer_depth.get(id(e[0]), 0), e[1]))]
        self._layers[:] = layers
        self.built = True
        self._build_shapes = [tuple(t.shape) for t in flatten(inputs)]
        self._output_shape = map_structure(lambda t: tuple(t.shape), outputs)

    @property
    def inputs(self):
        return flatten(self._graph_inputs) if hasattr(self, "_graph_inputs") else None

    def _check_shapes(self, inputs):
        if isinstance(inputs, dict) and hasattr(self, "_graph_inputs"):  # in the inputs' order, whatever the keys'
            inputs = [inputs[t.name] for t in flatten(self._graph_inputs) if t.name in inputs]
        Layer._check_shapes(self, inputs)

    @property
    def outputs(self):
        return flatten(self._graph_outputs) if hasattr(self, "_graph_outputs") else None

    @property
    def input(self):
        """The model's input KerasTensor (the structure of them, for several)."""
        if hasattr(self, "_graph_inputs"):
            return self._graph_inputs
        return self.inputs[0] if self.inputs else Layer.input.fget(self)

    @property
    def output(self):
        """The model's output KerasTensor (the structure of them, for several)."""
        if hasattr(self, "_graph_outputs"):
            return self._graph_outputs
        return self.outputs[0] if self.outputs else Layer.output.fget(self)

    def call(self, inputs, training=None):
        if not hasattr(self, "_nodes"):
            raise NotImplementedError(f"Model '{self.name}' has no call(): subclasses of keras.Model define "
                                      "call(self, inputs), or use keras.Model(inputs, outputs)")
        values = {}
        wanted = flatten(self._graph_inputs)
        if isinstance(inputs, dict):
            missing = [t.name for t in wanted if t.name not in inputs]
            if missing:
                raise ValueError(f"Model '{self.name}': no data for the input(s) {missing}; got keys {sorted(inputs)}")
            inputs = [inputs[t.name] for t in wanted]
        given = flatten(inputs)
        if len(given) != len(wanted):
            raise ValueError(f"Model '{self.name}' expects {len(wanted)} input(s), but received {len(given)}")
        for t, v in zip(wanted, given):
            values[id(t)] = v
        lookup = lambda t: values[id(t)] if isinstance(t, KerasTensor) else t  # noqa: E731
        for node in self._nodes:
            out = node.layer(*map_structure(lookup, node.args), **map_structure(lookup, node.kwargs))
            for t, v in zip(flatten(node.outputs), flatten(out)):
                values[id(t)] = v
        return map_structure(lookup, self._graph_outputs)

    # ---- state -------------------------------------------------------------------
    def _require_built(self, what):
        if not self.built:
            raise ValueError(f"Model '{self.name}' has not been built yet, so {what} is not available. "
                             f"To build it, {_HOW_TO_BUILD}.")

    @property
    def weights(self):
        self._require_built("weights")
        return Layer.weights.fget(self)

    variables = weights

    def _build_for(self, inputs):
        if type(self).build is Model.build:
            # A subclassed model builds its layers by running call() on the data.
            self.built = True
            self._build_shapes = [tuple(t.shape) for t in flatten(inputs)]
        else:
            Layer._build_for(self, inputs)

    def build(self, input_shape):
        """Builds a subclassed model by calling it on a symbolic tensor of
        ``input_shape`` (a shape and dtype, no values: its layers build, and
        each op's shape rule gives the next shape)."""
        if not hasattr(self, "_nodes") and type(self).call is not Model.call:
            self.built = True
            self._infer(KerasTensor(input_shape, self.dtype), (), {})
        self.built = True

    def get_layer(self, name=None, index=None):
        """The layer named ``name`` (or at position ``index`` of ``model.layers``)."""
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name!r}. Existing layers are: {[l.name for l in self.layers]}")

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False):
        """Prints a table of the layers, their output shapes and parameter counts."""
        self._require_built("summary()")
        summary_utils.print_summary(self, line_length, print_fn, expand_nested, show_trainable)

    def save_weights(self, filepath, overwrite=True):
        """Saves the weights (and optimizer state) to a ``.weights.npz`` or ``.weights.h5`` file."""
        from tensorlet.keras.saving import save_weights

        save_weights(self, filepath, overwrite)

    def save(self, filepath, overwrite=True, **kwargs):
        """Saves the whole model (architecture, weights, optimizer state) to a ``.keras`` file,
        which ``keras.models.load_model`` reads back."""
        from tensorlet.keras.saving import save_model

        save_model(self, filepath, overwrite, **kwargs)

    def load_weights(self, filepath, skip_mismatch=False):
        """Loads weights saved by ``save_weights``."""
        from tensorlet.keras.saving import load_weights

        load_weights(self, filepath)

    def get_config(self):
        """A functional model's graph (layers and the calls between them); a subclassed
        model's constructor arguments."""
        if hasattr(self, "_nodes"):
            from tensorlet.keras.saving.model_config import functional_get_config

            return functional_get_config(self)
        return Layer.get_config(self)

    def to_json(self, **kwargs):
        """The architecture as a JSON string (``keras.models.model_from_json`` reads it)."""
        import json

        from tensorlet.keras.saving.serialization import serialize_keras_object

        return json.dumps(serialize_keras_object(self), **kwargs)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "input_layers" in config:
            from tensorlet.keras.saving.model_config import functional_from_config

            return functional_from_config(cls, config, custom_objects)
        return super().from_config(config)


def _functional_name(cls):
    from tensorlet.keras import backend

    return backend.unique_name("functional" if cls is Model else backend.snake_case(cls.__name__))
