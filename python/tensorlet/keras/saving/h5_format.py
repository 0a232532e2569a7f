"""Keras 3's ``.weights.h5`` layout (through h5py, an optional extra).

Keras 3 writes each object's own variables to ``<path>/vars/<i>``: the model's
at ``vars``, its layers' at ``layers/<name>/vars``, where ``<name>`` is the
snake-cased class name counted within the list (``dense``, ``dense_1``), a
layer's sublayers at their attribute names, and the optimizer's at
``optimizer/vars`` (iterations, the learning rate, then the slots).
"""

import numpy as np

from tensorlet.framework.convert import numpy_in_dtype
from tensorlet.keras import backend


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("Reading and writing .h5 files needs h5py: pip install h5py "
                          "(or pip install 'tensorlet[h5]'); .weights.npz files need nothing extra") from None
    return h5py


def _walk(layer, path, out):
    """Fills ``out`` with ``path -> own variables`` for ``layer`` and its sublayers."""
    from tensorlet.keras.layers import InputLayer, Layer
    from tensorlet.keras.models import Model

    inner = {id(w) for sub in layer._layers for w in sub.weights}  # a list of sublayer weights kept as an attribute
    out[f"{path}/vars" if path else "vars"] = [w for w in layer._own_weights() if id(w) not in inner]
    if isinstance(layer, Model):
        children = [("layers", [l for l in layer.layers if not isinstance(l, InputLayer) or hasattr(layer, "_nodes")])]
    else:
        children = sorted((k, v) for k, v in vars(layer).items()
                          if not k.startswith("_") and (isinstance(v, Layer) or isinstance(v, (list, tuple))
                                                         and v and all(isinstance(x, Layer) for x in v)))
    for attr, child in children:
        base = f"{path}/{attr}" if path else attr
        if isinstance(child, Layer):
            _walk(child, base, out)
            continue
        used = {}
        for item in child:
            name = backend.snake_case(type(item).__name__)
            used[name] = used.get(name, -1) + 1
            _walk(item, f"{base}/{name}" + (f"_{used[name]}" if used[name] else ""), out)


def keras_slots(opt):
    """The optimizer's slot variables in the order Keras 3 creates them: slot by
    slot over all variables, except Adam's two moments, interleaved per variable."""
    columns = [list(c) for c in zip(*opt._slots.values())]
    if type(opt).__name__ == "Adam" and len(columns) >= 2:
        columns = [[s for pair in zip(columns[0], columns[1]) for s in pair]] + columns[2:]
    return [s for column in columns for s in column if s is not None]


def keras_layout(model):
    """``{'layers/dense/vars': [arrays...], ...}`` as Keras 3 stores ``model``."""
    groups = {}
    _walk(model, "", groups)
    arrays = {p: [v.numpy() for v in vs] for p, vs in groups.items()}
    opt = getattr(model, "optimizer", None)
    if opt is not None and opt._slots:
        lr = [] if callable(opt._learning_rate) else [np.asarray(opt.learning_rate, np.float32)]
        arrays["optimizer/vars"] = [np.asarray(opt.iterations, np.int64)] + lr + [v.numpy() for v in keras_slots(opt)]
    return arrays


def write(filepath, groups):
    h5py = _h5py()
    with h5py.File(filepath, "w") as f:
        for path, arrays in groups.items():
            g = f.require_group(path)
            for i, a in enumerate(arrays):
                g.create_dataset(str(i), data=a)


def read(filepath, source=None):
    """``{group path: [arrays in numeric order]}`` for every ``vars`` group of the file."""
    h5py = _h5py()
    out = {}
    try:
        with h5py.File(filepath, "r") as f:
            def visit(name, obj):
                if isinstance(obj, h5py.Group) and name.split("/")[-1] == "vars":
                    out[name] = [np.asarray(obj[k]) for k in sorted(obj.keys(), key=int)]
            f.visititems(visit)
            if "vars" in f:
                visit("vars", f["vars"])
    except (OSError, ValueError) as e:
        raise ValueError(f"{source or repr(filepath)} is not a Keras weights file (or it is damaged): {e}") from None
    return out


def load_keras_layout(model, filepath, source=None):
    """Sets the weights (and optimizer state) of ``model`` from a Keras 3
    ``.weights.h5`` (``source`` names it in errors: the path by default).

    Raises:
        ValueError: if a group is missing or a shape differs; nothing changes then.
    """
    source = source or repr(filepath)
    groups = {}
    _walk(model, "", groups)
    stored = read(filepath, source)
    if not stored and any(groups.values()):
        raise ValueError(f"{source} is an HDF5 file with no Keras weights in it (no '.../vars' groups); expected a "
                         ".weights.h5 file written by save_weights")
    pairs = []
    for path, variables in groups.items():
        arrays = stored.get(path, [])
        if len(arrays) != len(variables) and variables:
            raise ValueError(f"{source}: {path} holds {len(arrays)} arrays, but the model has {len(variables)} "
                             f"variables there ({[v.name for v in variables]})")
        for v, a in zip(variables, arrays):
            if tuple(a.shape) != tuple(v.shape):
                raise ValueError(f"{source}: {path}: variable '{v.name}' has shape {tuple(v.shape)}, the file "
                                 f"{tuple(a.shape)}")
            try:  # every array converted before anything is assigned
                pairs.append((v, numpy_in_dtype(a, v.dtype)))
            except TypeError as e:
                raise ValueError(f"{source}: {path}: variable '{v.name}' cannot be read from the file's {a.dtype} "
                                 f"array: {e}") from None
    opt, opt_arrays = getattr(model, "optimizer", None), stored.get("optimizer/vars")
    slots = []
    if opt is not None and opt_arrays:
        if not opt._slots:
            opt.build(model.trainable_weights)
        skip = 1 if callable(opt._learning_rate) else 2
        mine = keras_slots(opt)
        slots = list(zip(mine, opt_arrays[skip:]))
        try:
            slots = [(v, numpy_in_dtype(a, v.dtype)) for v, a in slots]
            int(opt_arrays[0])
        except (TypeError, ValueError):
            slots = []
        if len(opt_arrays) - skip != len(mine) or len(slots) != len(mine) or any(
                tuple(v.shape) != a.shape for v, a in slots):
            import warnings

            warnings.warn(f"{source}: the saved optimizer state does not fit {type(opt).__name__}; the weights "
                          "are loaded and the optimizer starts afresh", stacklevel=3)
            slots, opt_arrays = [], None
    for v, a in pairs + slots:
        v.assign(a)
    if opt is not None and opt_arrays:
        opt.iterations = int(opt_arrays[0])
