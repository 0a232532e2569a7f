"""Keeps the Python package small: counts the non-blank, non-comment lines
(docstrings count: they are part of what a reader reads) of python/tensorlet
per layer of DESIGN.md and fails when a layer, or the whole package, is over
its budget.

    python tools/line_budget.py

The budgets leave a little room in each layer and room for tensorlet.function;
raising one is a decision to make in review, not to work around.
"""

import io
import pathlib
import sys
import tokenize

ROOT = pathlib.Path(__file__).resolve().parent.parent / "python" / "tensorlet"

# layer -> (folders or top-level modules of python/tensorlet, budget in lines)
# Budgets: the counts after convolutions, recurrent layers, tf.data, saving,
# checkpoints, the CUDA device placement and the wider TF/Keras surface
# (15.5k lines in all: framework 687, ops 4544, autodiff 506, public API 1231,
# keras 7133, data and saving 1367) with ~5-10% to spare per layer, plus
# room for tensorlet.function (~900, not written yet). keras +200 for the
# multi-output compile matching, add_loss, masks through Layer.__call__,
# InputSpec and PyDataset; +100 ops for the 3-D convolution and pooling ops;
# +120 tensors and +170 public API for the narrow, complex and string dtypes
# (string tensors, tf.strings, tf.io.decode_raw); then, in review, ops +250
# for the fused recurrent ops and the composites' input checks, keras +100 for
# stateful recurrent layers and constraints; keras +100 and the total +100
# for the 1-D padding, cropping and upsampling layers and RandomCrop and
# RandomBrightness in front of convnets; public API +160 and the total +150
# for tf.image's adjustments, crops, pads and random forms (input pipelines);
# keras +110 and the total +110 for the confusion-matrix metrics in ops
# (Precision/Recall top_k and class_id, multi-label AUC, label weights, the
# interpolated PR AUC) so that compiled steps keep them; ops +50 and the
# total +50 for multi-output ops in the registry and the fused
# training-mode batch-norm ops; function +60 and the total +170 for
# in-graph branch and loop nodes (state changes in tensorlet.cond and
# tensorlet.while_loop, loops without maximum_iterations); keras +110 and the
# total +110 for AdamW, Adamax, Nadam and the piecewise-constant,
# polynomial and cosine learning-rate schedules; keras +40 and the total
# +40 for the rate-at-a-constraint metrics (PrecisionAtRecall and kin);
# keras +120 and the total +120 for the IoU family and R2Score; ops +30
# and the total +20 for tf.random.categorical; public API +100, keras +330,
# ops, function +40 and the total +500 (graph operations and structured
# outputs of a concrete function among them) for the image utilities and tf.io image decoding,
# tf.compat and tf.autograph, operators on KerasTensors, the fixes real
# tutorial programs needed, model.summary() laid out as Keras lays it out
# and the TensorBoard callback's event files.
LAYERS = {
    "tensors (framework/)": (["framework"], 920),
    "ops (ops/)": (["ops"], 5390),
    "autodiff (autodiff/)": (["autodiff"], 700),
    "function (function/)": (["function"], 990),
    "public API (top-level modules)": (["*.py"], 1820),
    "keras (keras/)": (["keras"], 8810),
    "data and saving (data/, train/, saved_model/)": (["data", "train", "saved_model"], 1500),
}
TOTAL_BUDGET = 19790


def code_lines(path):
    """Lines that are not blank and not only a comment."""
    lines = set()
    for tok in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
        if tok.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                            tokenize.ENDMARKER):
            lines.update(range(tok.start[0], tok.end[0] + 1))
    return len(lines)


def files(patterns):
    for p in patterns:
        yield from sorted(ROOT.glob(p) if p.endswith(".py") else (ROOT / p).rglob("*.py"))


def main():
    total, over = 0, []
    print(f"{'layer':48s}{'lines':>7s}{'budget':>8s}")
    for layer, (patterns, budget) in LAYERS.items():
        n = sum(code_lines(f) for f in files(patterns))
        total += n
        print(f"{layer:48s}{n:7d}{budget:8d}{'  OVER' if n > budget else ''}")
        if n > budget:
            over.append(layer)
    print(f"{'total':48s}{total:7d}{TOTAL_BUDGET:8d}{'  OVER' if total > TOTAL_BUDGET else ''}")
    counted = {f for patterns, _ in LAYERS.values() for f in files(patterns)}
    stray = [str(f.relative_to(ROOT)) for f in ROOT.rglob("*.py") if f not in counted]
    if stray:
        print(f"files outside every layer: {stray}; add them to LAYERS")
    if over or total > TOTAL_BUDGET or stray:
        print("over the line budget: make the code smaller (or argue for a new budget in review)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
