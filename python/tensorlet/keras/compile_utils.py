"""How ``compile``'s loss, loss_weights, metrics and weighted_metrics, and
``fit``'s targets and sample weights, meet a model's outputs: a dict is
matched by output name, a list by position, and a single value serves every
output. With several outputs each output's loss is also tracked as
``<output>_loss`` and its metrics are named ``<output>_<metric>``, as Keras 3
reports them."""

import tensorlet as tf
from tensorlet.keras import losses as losses_module
from tensorlet.keras import metrics as metrics_module
from tensorlet.keras.keras_tensor import flatten


def output_names(model, y_pred):
    """The names of the outputs ``y_pred`` (a structure of tensors) holds."""
    if isinstance(y_pred, dict):
        return list(y_pred)
    n = len(flatten(y_pred))
    outs = getattr(model, "outputs", None) or []
    if len(outs) == n:
        names = [t.name for t in outs]
    elif n == 1 and model.layers:
        names = [model.layers[-1].name]
    else:
        names = [f"output_{i + 1}" for i in range(n)]
    for i, name in enumerate(names):  # one layer with several outputs: name them apart
        if names.index(name) < i:
            names[i] = f"{name}_{names[:i].count(name)}"
    return names


def per_output(value, names, what, default=None):
    """One entry per output from ``value``: a dict keyed by output name (an
    output it leaves out gets ``default``), a list in output order, or one
    value for every output.

    Raises:
        ValueError: for a key that is not an output name, or a list of the wrong length.
    """
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            verb = "is not an output name" if len(unknown) == 1 else "are not output names"
            raise ValueError(f"{what}: {unknown} {verb}; the model's outputs are {names}")
        return [value.get(n, default) for n in names]
    if isinstance(value, (list, tuple)) and (len(names) > 1 or len(value) == 1):
        if len(value) != len(names):
            raise ValueError(f"{what}: got {len(value)} entries for the model's {len(names)} outputs {names}; pass "
                             "one per output, or a dict keyed by output name")
        return list(value)
    return [value] * len(names)


def loss_object(loss):
    """A ``Loss`` for a name, a Loss object or a function ``fn(y_true, y_pred)``."""
    if loss is None:
        return None
    fn = losses_module.get(loss)
    if isinstance(fn, losses_module.Loss):
        return fn
    return losses_module.LossFunctionWrapper(fn, name=getattr(fn, "__name__", "loss"))


class CompileLoss:
    """The compiled loss: the sum of each output's loss times its weight."""

    def __init__(self, loss, loss_weights=None):
        self.loss, self.loss_weights = loss, loss_weights
        self.names, self.trackers = None, []
        if not isinstance(loss, (dict, list, tuple)):
            loss_object(loss)  # an unknown name fails at compile

    def build(self, names):
        """Resolves the losses and weights for outputs ``names``; returns the loss of each output (or None)."""
        if self.names != names:
            fns = [loss_object(l) for l in per_output(self.loss, names, "compile(loss=...)")]
            if not any(fns):
                raise ValueError(f"compile(loss=...) gives no loss for any of the outputs {names}")
            weights = [1.0] * len(names) if self.loss_weights is None else \
                per_output(self.loss_weights, names, "compile(loss_weights=...)", 1.0)
            several = sum(f is not None for f in fns) > 1
            self.trackers = [metrics_module.Mean(f"{n}_loss") if f is not None and several else None
                             for n, f in zip(names, fns)]
            self.names, self.fns, self.weights = names, fns, weights
        return self.fns

    def __call__(self, model, y, y_pred, sample_weight=None):
        names = output_names(model, y_pred)
        self.build(names)
        outs = list(y_pred.values()) if isinstance(y_pred, dict) else flatten(y_pred)
        ys = per_output(y, names, "the targets (y)")
        sws = per_output(sample_weight, names, "sample_weight")
        n = outs[0].shape[0] if outs[0].ndim else 1
        total = None
        for name, fn, w, yt, yp, sw, tracker in zip(names, self.fns, self.weights, ys, outs, sws, self.trackers):
            if fn is None:
                continue
            if yt is None:
                raise ValueError(f"No target for output '{name}', which has a loss; give y as a dict keyed by output "
                                 f"name (outputs: {names}) or a list in output order")
            part = fn(yt, yp, sw)
            if tracker is not None:  # weighted by batch size, as the total loss is
                tracker._add(tf.cast(part, tf.float64) * float(n), n)
            part = part if w == 1 else part * w
            total = part if total is None else total + part
        return total


class CompileMetrics:
    """The compiled metrics of each output: ``metrics`` unweighted,
    ``weighted_metrics`` weighted by the sample weights."""

    def __init__(self, metrics=None, weighted_metrics=None):
        self.specs = (metrics, weighted_metrics)
        for spec in self.specs:
            for m in flatten(spec):
                metrics_module.check_name(m)
        self.entries = None  # (output index, metric, weighted)

    @property
    def metrics(self):
        return [m for _, m, _ in self.entries or []]

    def build(self, names, ys, outs, loss_fns):
        entries, taken, used = [], set(), set()
        for spec, weighted in zip(self.specs, (False, True)):
            for i, chosen in enumerate(_metrics_per_output(spec, names)):
                for ident in chosen:
                    m = metrics_module.get(ident, _shape(ys[i]), _shape(outs[i]), loss_fns[i])
                    if id(m) in used:  # one object asked for on several outputs: each gets its own
                        m = type(m).from_config(m.get_config())
                    used.add(id(m))
                    base = f"weighted_{m.name}" if weighted and _named(m.name, names, i) in taken else m.name
                    m.name = _named(base, names, i)
                    taken.add(m.name)
                    entries.append((i, m, weighted))
        self.entries = entries

    def update(self, model, y, y_pred, sample_weight, loss_fns):
        if not any(self.specs):
            return
        names = output_names(model, y_pred)
        outs = list(y_pred.values()) if isinstance(y_pred, dict) else flatten(y_pred)
        ys = per_output(y, names, "the targets (y)")
        if self.entries is None:
            self.build(names, ys, outs, loss_fns or [None] * len(names))
        sws = per_output(sample_weight, names, "sample_weight")
        for i, m, weighted in self.entries:
            if ys[i] is not None:
                m.update_state(ys[i], outs[i], sws[i] if weighted else None)


def _metrics_per_output(spec, names):
    """A list of metrics for each output: a dict by output name, a list of
    lists (one per output), or one list (or metric) for every output."""
    if spec is None:
        return [[] for _ in names]
    if isinstance(spec, dict):
        return [v if isinstance(v, (list, tuple)) else [] if v is None else [v]
                for v in per_output(spec, names, "compile(metrics=...)")]
    if isinstance(spec, (list, tuple)):
        if len(names) > 1 and any(isinstance(v, (list, tuple)) or v is None for v in spec):
            return [list(v or []) for v in per_output(spec, names, "compile(metrics=...)")]
        return [list(spec) for _ in names]
    return [[spec] for _ in names]


def _named(name, names, i):
    return f"{names[i]}_{name}" if len(names) > 1 else name


def _shape(x):
    return None if x is None else tuple(getattr(x, "shape", ()))
