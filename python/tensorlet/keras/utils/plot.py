"""``plot_model``: a picture of a model's layer graph, drawn by Graphviz.

The graph is written in Graphviz's DOT language here; Graphviz's ``dot``
program renders it (``apt-get install graphviz``, ``brew install graphviz``).
A ``.dot`` file needs nothing installed. ``model_to_dot`` returns a
``pydot.Dot`` when pydot is installed, as Keras's does.
"""

import os
import shutil
import subprocess


def _shape_text(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_shape_text(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _quote(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot_source(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
               show_layer_activations=False, show_trainable=False, dpi=200):
    """The model's layer graph in the DOT language (one box per layer, one arrow per connection)."""
    from tensorlet.keras.layers import InputLayer

    if not model.built:
        raise ValueError(f"plot_model: model '{model.name}' is not built yet; call it on data or give it an Input "
                         "first")
    layers = list(model.layers)
    input_layer = getattr(model, "_input_layer", None)
    if input_layer is not None:
        layers = [input_layer] + layers
    lines = [f"digraph {_quote(model.name)} {{", f"  graph [rankdir={rankdir}, dpi={int(dpi)}];",
             "  node [shape=record, fontname=Helvetica];"]
    for layer in layers:
        label = (f"{layer.name} ({type(layer).__name__})" if show_layer_names else type(layer).__name__)
        if show_layer_activations and hasattr(layer, "activation"):
            label += f" | activation: {getattr(layer.activation, '__name__', layer.activation)}"
        if show_shapes:
            shape = layer.shape if isinstance(layer, InputLayer) else layer._output_shape
            label += f" | output: {_shape_text(shape)}"
        if show_dtype:
            label += f" | dtype: {layer.dtype}"
        if show_trainable:
            label += f" | trainable: {layer.trainable}"
        lines.append(f"  {_quote(id(layer))} [label={_quote('{' + label + '}')}];")
    if hasattr(model, "_nodes"):
        edges = [(t._keras_history.layer, node.layer) for node in model._nodes for t in node.input_tensors]
    else:
        edges = list(zip(layers, layers[1:]))
    for a, b in edges:
        lines.append(f"  {_quote(id(a))} -> {_quote(id(b))};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=200, subgraph=False, show_layer_activations=False, show_trainable=False):
    """The layer graph as a ``pydot.Dot``.

    Raises:
        ImportError: if pydot is not installed (``plot_model`` does not need it).
    """
    try:
        import pydot
    except ImportError:
        raise ImportError("model_to_dot returns a pydot graph: pip install pydot (plot_model needs only "
                          "Graphviz)") from None
    return pydot.graph_from_dot_data(dot_source(model, show_shapes, show_dtype, show_layer_names, rankdir,
                                                show_layer_activations, show_trainable, dpi))[0]


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=True,
               rankdir="TB", expand_nested=False, dpi=200, show_layer_activations=False, show_trainable=False,
               **kwargs):
    """Draws the model's layer graph to ``to_file`` (``.png``, ``.svg``, ``.pdf``... or ``.dot``).

    Raises:
        ImportError: if Graphviz's ``dot`` program is not installed (for any
            format but ``.dot``); the message says how to install it.
    """
    source = dot_source(model, show_shapes, show_dtype, show_layer_names, rankdir, show_layer_activations,
                        show_trainable, dpi)
    to_file = os.fspath(to_file)
    ext = os.path.splitext(to_file)[1][1:].lower() or "png"
    if ext == "dot":
        with open(to_file, "w") as f:
            f.write(source)
        return None
    dot = shutil.which("dot")
    if dot is None:
        raise ImportError("plot_model draws with Graphviz, which is not installed: install it (apt-get install "
                          "graphviz, brew install graphviz, or conda install graphviz), or plot to a .dot file")
    result = subprocess.run([dot, f"-T{ext}", "-o", to_file], input=source.encode(), capture_output=True)
    if result.returncode:
        raise RuntimeError(f"plot_model: Graphviz failed: {result.stderr.decode(errors='replace').strip()}")
    return None
