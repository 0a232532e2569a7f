"""``model.summary()``: a table of layers, output shapes and parameter counts."""

import math
import re
import shutil

from tensorlet.keras.keras_tensor import flatten


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


def _source(t):
    """``layer[node][tensor]``: which call of the layer made ``t``, and which of its outputs it is."""
    node = t._keras_history
    index = next(i for i, n in enumerate(node.layer._inbound_nodes) if n is node)
    return f"{node.layer.name}[{index}][{next(i for i, o in enumerate(flatten(node.outputs)) if o is t)}]"


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
    for word in re.findall(r"\s*\S+\s*", text) or [""]:
        if line and len(line) + len(word.rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        line += word
    lines.append(line.rstrip())
    return [x if len(x) <= width else x[:width - 1] + "\u2026" for x in lines]


def print_summary(model, line_length=None, print_fn=None, expand_nested=False, show_trainable=False):
    """Prints the summary table of ``model`` (through ``print_fn``, ``print`` by default), laid out
    as Keras lays it out: 88 columns at most (108 with "Connected to"), narrower on a narrow terminal;
    ``expand_nested`` lists the layers of nested models, ``show_trainable`` adds a Y/N column."""
    print_fn = print_fn or print
    functional = hasattr(model, "_nodes")
    merged = functional and (any(len(n.input_tensors) > 1 for n in model._nodes) or len(model.inputs) > 1
                             or len(model.outputs) > 1)
    headers = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if merged else []) + \
        (["Trainable"] if show_trainable else [])

    def rows_of(layer, level):
        params = _count(layer.weights) if layer.built else 0
        kind = getattr(layer, "_summary_type", type(layer).__name__)
        kind = "Functional" if kind == "Model" and hasattr(layer, "_nodes") else kind  # as Keras names it
        row = [f"{'   ' * level + chr(0x2514) + ' ' if level else ''}{layer.name} ({kind})",
               _shape_text(layer._output_shape), f"{params:,}" if layer.built else "0 (unbuilt)"]
        if merged:
            sources = []
            for node in layer._inbound_nodes:
                if any(node is n for n in model._nodes):
                    sources += [_source(t) for t in node.input_tensors]
            row.append(", ".join(sources) if sources else "-")
        if show_trainable:
            row.append(("Y" if layer.trainable else "N") if layer.weights else "-")
        nested = getattr(layer, "layers", None) if expand_nested else None
        return [row] + [r for sub in nested or () for r in rows_of(sub, level + 1)]

    rows = [r for layer in model.layers for r in rows_of(layer, 0)]
    default = (108 if merged else 88) + (12 if show_trainable else 0)
    line_length = line_length or min(default, shutil.get_terminal_size().columns - 4)
    positions = [0.3, 0.56, 0.74, 1.0] if merged else [0.45, 0.80, 1.0]
    widths = _column_widths(line_length, [p * 0.9 for p in positions] + [1.0] if show_trainable else positions)

    def line(left, fill, mid, right):
        return left + mid.join(fill * w for w in widths) + right

    def cells(values, edge):
        wrapped = [_wrap(v, w - 2) for v, w in zip(values, widths)]
        out = []
        for k in range(max(map(len, wrapped))):
            texts = [c[k] if k < len(c) else "" for c in wrapped]
            justify = [str.ljust, str.ljust, str.rjust] + [str.ljust] * merged + [str.center] * show_trainable
            out.append(edge + edge.join(" " + j(t, w - 2) + " " for j, t, w in zip(justify, texts, widths)) + edge)
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
