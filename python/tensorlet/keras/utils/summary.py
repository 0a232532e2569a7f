"""``model.summary()``: a table of layers, output shapes and parameter counts."""

import math


def _shape_text(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_shape_text(s) for s in shape)
    shape = tuple(shape)
    return f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(str(d) for d in shape) + ")"


def _size_text(n_params, weights):
    nbytes = sum(math.prod(w.shape) * w.dtype.size for w in weights)
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if nbytes >= scale:
            return f"{n_params:,} ({nbytes / scale:.2f} {unit})"
    return f"{n_params:,} ({nbytes:.2f} B)"


def _count(weights):
    return sum(math.prod(w.shape) for w in weights)


def print_summary(model, line_length=None, print_fn=None):
    """Prints the summary table of ``model`` (through ``print_fn``, ``print`` by default)."""
    print_fn = print_fn or print
    functional = hasattr(model, "_nodes")
    merged = functional and any(len(n.input_tensors) > 1 for n in model._nodes)
    headers = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if merged else [])
    rows = []
    layers = model.layers
    for layer in layers:
        params = _count(layer.weights) if layer.built else 0
        row = [f"{layer.name} ({type(layer).__name__})", _shape_text(layer._output_shape),
               f"{params:,}" if layer.built else "0 (unbuilt)"]
        if merged:
            sources = []
            for node in layer._inbound_nodes:
                if any(node is n for n in model._nodes):
                    sources += [f"{t._keras_history.layer.name}[0][0]" for t in node.input_tensors]
            row.append(", ".join(sources) if sources else "-")
        rows.append(row)
    widths = [max(len(h), *(len(r[i]) for r in rows)) + 2 for i, h in enumerate(headers)] if rows else \
        [len(h) + 2 for h in headers]
    if line_length:
        widths[0] = max(widths[0], line_length - sum(widths[1:]) - len(widths) - 1)
    widths = [max(w, m) for w, m in zip(widths, [33, 24, 15, 20])]

    def line(left, fill, mid, right):
        return left + mid.join(fill * w for w in widths) + right

    def cells(values, edge):
        out = []
        for i, (v, w) in enumerate(zip(values, widths)):
            out.append(" " + (v.rjust(w - 2) if i == 2 else v.ljust(w - 2)) + " ")
        return edge + edge.join(out) + edge

    print_fn(f'Model: "{model.name}"')
    print_fn(line("\u250f", "\u2501", "\u2533", "\u2513"))
    print_fn(cells(headers, "\u2503"))
    print_fn(line("\u2521", "\u2501", "\u2547", "\u2529"))
    for i, row in enumerate(rows):
        print_fn(cells(row, "\u2502"))
        if i < len(rows) - 1:
            print_fn(line("\u251c", "\u2500", "\u253c", "\u2524"))
    print_fn(line("\u2514", "\u2500", "\u2534", "\u2518"))
    weights = model.weights
    trainable = model.trainable_weights
    ids = {id(w) for w in trainable}
    non_trainable = [w for w in weights if id(w) not in ids]
    print_fn(f" Total params: {_size_text(_count(weights), weights)}")
    print_fn(f" Trainable params: {_size_text(_count(trainable), trainable)}")
    print_fn(f" Non-trainable params: {_size_text(_count(non_trainable), non_trainable)}")
