"""``model.summary()``: a table of layers, output shapes and parameter counts."""

import math
import re
import shutil


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


def _column_widths(line_length, positions):
    """Each column's width with its padding, as Keras lays the table out: ``positions`` split
    ``line_length``, then every column gives up an equal share until the table with its borders fits."""
    widths, current = [], 0
    for p in positions:
        widths.append(int(p * line_length) - current + 2)
        current += widths[-1] - 2
    excess, left = sum(widths) - (line_length - len(widths) - 1), len(widths)
    for i, w in enumerate(widths):
        if excess > 0:
            cut = min(w, round(excess / left))
            widths[i], excess = w - cut, excess - cut
        left -= 1
    return widths


def _wrap(text, width):
    """``text`` in lines of at most ``width``: broken at spaces, a word too long cut with an ellipsis."""
    lines, line = [], ""
    for word in re.findall(r"\S+\s*", text) or [""]:
        if line and len(line) + len(word.rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        line += word
    lines.append(line.rstrip())
    return [x if len(x) <= width else x[:width - 1] + "\u2026" for x in lines]


def print_summary(model, line_length=None, print_fn=None):
    """Prints the summary table of ``model`` (through ``print_fn``, ``print`` by default), laid out
    as Keras lays it out: 88 columns at most (108 with "Connected to"), narrower on a narrow terminal."""
    print_fn = print_fn or print
    functional = hasattr(model, "_nodes")
    merged = functional and (any(len(n.input_tensors) > 1 for n in model._nodes) or len(model.inputs) > 1
                             or len(model.outputs) > 1)
    headers = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if merged else [])
    rows = []
    layers = model.layers
    for layer in layers:
        params = _count(layer.weights) if layer.built else 0
        kind = getattr(layer, "_summary_type", type(layer).__name__)
        kind = "Functional" if kind == "Model" and hasattr(layer, "_nodes") else kind  # as Keras names it
        row = [f"{layer.name} ({kind})", _shape_text(layer._output_shape),
               f"{params:,}" if layer.built else "0 (unbuilt)"]
        if merged:
            sources = []
            for node in layer._inbound_nodes:
                if any(node is n for n in model._nodes):
                    sources += [f"{t._keras_history.layer.name}[0][0]" for t in node.input_tensors]
            row.append(", ".join(sources) if sources else "-")
        rows.append(row)
    default = 108 if merged else 88
    line_length = line_length or min(default, shutil.get_terminal_size().columns - 4)
    widths = _column_widths(line_length, [0.3, 0.56, 0.74, 1.0] if merged else [0.45, 0.80, 1.0])

    def line(left, fill, mid, right):
        return left + mid.join(fill * w for w in widths) + right

    def cells(values, edge):
        wrapped = [_wrap(v, w - 2) for v, w in zip(values, widths)]
        out = []
        for k in range(max(map(len, wrapped))):
            texts = [c[k] if k < len(c) else "" for c in wrapped]
            out.append(edge + edge.join(" " + (t.rjust(w - 2) if i == 2 else t.ljust(w - 2)) + " "
                                        for i, (t, w) in enumerate(zip(texts, widths))) + edge)
        return "\n".join(out)

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
