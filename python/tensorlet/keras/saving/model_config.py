"""Configs of functional and Sequential models, in Keras 3's layout.

A functional model's config lists its layers, each with the calls
(``inbound_nodes``) that feed it: every KerasTensor argument is written as
``[layer_name, node_index, tensor_index]`` of the call that produced it, so
the graph can be replayed from the JSON alone.
"""

from tensorlet.keras.keras_tensor import KerasTensor, flatten, map_structure
from tensorlet.keras.saving.serialization import deserialize_keras_object, serialize_keras_object


def functional_get_config(model):
    """The config of a functional ``Model``: its layers, their calls, inputs and outputs."""
    from tensorlet.keras.layers.core import InputLayer

    in_model = {id(n) for n in model._nodes} | {id(t._keras_history) for t in model.inputs}
    nodes = {id(l): [n for n in l._inbound_nodes if id(n) in in_model] for l in model.layers}

    def ref(t):
        node = t._keras_history
        index = next(i for i, n in enumerate(nodes[id(node.layer)]) if n is node)
        return [node.layer.name, index, next(i for i, o in enumerate(flatten(node.outputs)) if o is t)]

    def arg(value):
        if isinstance(value, KerasTensor):
            return {"class_name": "__keras_tensor__",
                    "config": {"shape": list(value.shape), "dtype": value.dtype.name, "keras_history": ref(value)}}
        return serialize_keras_object(value)

    layers = []
    for layer in model.layers:
        entry = serialize_keras_object(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [] if isinstance(layer, InputLayer) else [
            {"args": map_structure(arg, list(n.args)), "kwargs": map_structure(arg, n.kwargs)}
            for n in nodes[id(layer)]]
        layers.append(entry)
    refs = lambda s: [ref(s)] if isinstance(s, KerasTensor) else map_structure(ref, s)  # noqa: E731
    return {"name": model.name, "trainable": model.trainable, "layers": layers,
            "input_layers": refs(model._graph_inputs), "output_layers": refs(model._graph_outputs)}


def functional_from_config(cls, config, custom_objects=None):
    """Rebuilds a functional model by replaying the calls recorded in ``config``.

    Raises:
        ValueError: if the config is not a functional model's, or a call needs
            a tensor that no layer in it produces.
    """
    from tensorlet.keras.layers.core import InputLayer

    if "layers" not in config or "input_layers" not in config:
        raise ValueError(f"{cls.__name__}.from_config: not a functional model's config (keys {sorted(config)})")
    outputs, pending, order = {}, {}, []
    for spec in config["layers"]:
        layer = deserialize_keras_object(spec, custom_objects=custom_objects, printable_module_name="layer")
        name = spec.get("name") or layer.name
        order.append((name, layer))
        outputs[name] = [layer.output] if isinstance(layer, InputLayer) else []
        pending[name] = list(spec.get("inbound_nodes", []))

    def find(history):
        name, node_index, tensor_index = history
        made = outputs.get(name, [])
        return flatten(made[node_index])[tensor_index] if node_index < len(made) else None

    def resolve(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            return find(value["config"]["keras_history"])
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    progress = True
    while progress:
        progress = False
        for name, layer in order:
            while pending[name]:
                node = pending[name][0]
                args, kwargs = resolve(node.get("args", [])), resolve(node.get("kwargs", {}))
                if any(v is None for v in flatten((args, kwargs))):
                    break
                outputs[name].append(layer(*args, **kwargs))
                pending[name].pop(0)
                progress = True
    stuck = [name for name, nodes in pending.items() if nodes]
    if stuck:
        raise ValueError(f"{cls.__name__}.from_config: the inputs of layer(s) {stuck} are never produced")

    def tensors(spec):
        if isinstance(spec, list) and len(spec) == 3 and isinstance(spec[0], str):
            return find(spec)
        if isinstance(spec, dict):
            return {k: tensors(v) for k, v in spec.items()}
        return [tensors(s) for s in spec]

    inputs, outs = tensors(config["input_layers"]), tensors(config["output_layers"])
    unwrap = lambda s: s[0] if isinstance(s, list) and len(s) == 1 else s  # noqa: E731
    return cls(inputs=unwrap(inputs), outputs=unwrap(outs), name=config.get("name"))


def sequential_get_config(model):
    """A Sequential model's config: its layers in order (its Input first) and the built input shape."""
    layers = [serialize_keras_object(model._input_layer)] if model._input_layer is not None else []
    layers += [serialize_keras_object(l) for l in model._layers]
    config = {"name": model.name, "trainable": model.trainable, "dtype": model.dtype, "layers": layers}
    if model._input_layer is None and model.built and model._build_shapes:
        config["build_input_shape"] = [None] + list(model._build_shapes[0][1:])
    return config


def sequential_from_config(cls, config, custom_objects=None):
    """Rebuilds a Sequential model (and builds it when the config knows its input shape)."""
    model = cls(name=config.get("name"), trainable=config.get("trainable", True))
    for spec in config["layers"]:
        model.add(deserialize_keras_object(spec, custom_objects=custom_objects, printable_module_name="layer"))
    if not model.built and config.get("build_input_shape"):
        model.build(config["build_input_shape"])
    return model
