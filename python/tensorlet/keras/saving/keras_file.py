"""Whole models in ``.keras`` files: a zip of ``config.json`` (the architecture,
optimizer and compile settings, as Keras 3 writes them), ``metadata.json``
(versions and a SHA-256 of every member) and the weights and optimizer state:
``model.weights.h5`` in Keras 3's layout when h5py is installed (so Keras 3
loads the file too), else ``model.weights.npz``. Files Keras 3 wrote load the
same way. Loading runs no code from the file: classes are looked up by name
among known ones, arrays are read without pickle."""

import datetime
import hashlib
import io
import json
import os
import tempfile
import zipfile

from tensorlet.keras.saving import weights as weights_io
from tensorlet.file_io import atomic_path
from tensorlet.keras.saving.serialization import (
    CustomObjectScope, deserialize_keras_object, serialize_keras_object,
)

_WEIGHTS = "model.weights.npz"
_FORMAT = "tensorlet.keras/1"


def _compile_config(model):
    if not getattr(model, "compiled", False):
        return None
    weights = model._loss_weights
    return {"optimizer": serialize_keras_object(model.optimizer), "loss": serialize_keras_object(model.loss),
            "loss_weights": serialize_keras_object(weights), "metrics": serialize_keras_object(model._metric_specs)}


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Saves the architecture, weights and training state of ``model`` to a ``.keras`` file.

    Args:
        model: a built ``keras.Model`` (functional, Sequential, or subclassed
            with a ``get_config``).
        filepath: a path ending in ``.keras``.
        overwrite: whether to replace an existing file.
        include_optimizer: whether to save the optimizer's state too.

    Raises:
        ValueError: for another file name, an unbuilt model, or something in
            the config that cannot be saved (a lambda); the file is then untouched.
    """
    filepath = os.fspath(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError(f"save_model: the file name must end in .keras, got {filepath!r} (for weights only, "
                         "use save_weights('name.weights.npz'))")
    if not model.built:
        raise ValueError(f"save_model: model '{model.name}' is not built yet, so it has no weights to save; call it "
                         "on data (or fit it) first")
    config = serialize_keras_object(model)
    if getattr(model, "_build_shapes", None) and len(model._build_shapes) == 1:
        config["build_config"] = {"input_shape": [None] + list(model._build_shapes[0][1:])}
    config["compile_config"] = _compile_config(model)
    if _has_h5py():
        weights = {"model.weights.h5": _h5_bytes(model, include_optimizer)}
        config = _keras_modules(config)
    else:
        buf = io.BytesIO()
        weights_io.write_npz(buf, weights_io.model_arrays(model, include_optimizer))
        weights = {_WEIGHTS: buf.getvalue()}
    members = {"config.json": json.dumps(config, indent=1).encode(), **weights}
    import tensorlet

    metadata = {"format": _FORMAT, "tensorlet_version": tensorlet.__version__,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
                "sha256": {k: hashlib.sha256(v).hexdigest() for k, v in members.items()}}
    with atomic_path(filepath, overwrite) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as z:
            z.writestr("metadata.json", json.dumps(metadata, indent=1))
            for name, data in members.items():
                z.writestr(name, data)


def _has_h5py():
    try:
        import h5py  # noqa: F401
    except ImportError:
        return False
    return True


def _h5_bytes(model, include_optimizer):
    from tensorlet.keras.saving import h5_format

    arrays = h5_format.keras_layout(model)
    if not include_optimizer:
        arrays.pop("optimizer/vars", None)
    with tempfile.TemporaryDirectory() as folder:  # h5py writes to a path
        path = os.path.join(folder, "model.weights.h5")
        h5_format.write(path, arrays)
        with open(path, "rb") as f:
            return f.read()


_KERAS_MODULES = (("tensorlet.keras.layers", "keras.layers"), ("tensorlet.keras.optimizers.schedules",
                  "keras.optimizers.schedules"), ("tensorlet.keras.optimizers", "keras.optimizers"),
                  ("tensorlet.keras.losses", "keras.losses"), ("tensorlet.keras.metrics", "keras.metrics"),
                  ("tensorlet.keras.initializers", "keras.initializers"),
                  ("tensorlet.keras.regularizers", "keras.regularizers"))


def _keras_modules(obj):
    """The config with tensorlet's module names replaced by Keras 3's, so Keras finds its own classes."""
    if isinstance(obj, list):
        return [_keras_modules(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    out = {k: _keras_modules(v) for k, v in obj.items()}
    module = out.get("module")
    if isinstance(module, str) and module.startswith("tensorlet.keras.models"):
        functional = isinstance(out.get("config"), dict) and "input_layers" in out["config"]
        if out.get("class_name") in ("Model", "Sequential"):
            out["module"], out["class_name"] = (("keras.src.models.functional", "Functional") if functional
                                                else ("keras", "Sequential"))
    elif isinstance(module, str):
        for ours, theirs in _KERAS_MODULES:
            if module.startswith(ours):
                out["module"] = theirs
                break
    return out


_EXPECTED = "expected a .keras file written by model.save('name.keras')"


def _read_members(filepath, function="load_model"):
    bad = lambda why: ValueError(f"{function}: {filepath!r} is not a .keras model file{why}")  # noqa: E731
    try:
        with zipfile.ZipFile(filepath) as z:
            names = set(z.namelist())
            if "config.json" not in names:
                raise bad(" (it has no config.json" + ("; it is a weights file: use model.load_weights)"
                                                       if any(n.startswith("weights/") for n in names) else ")"))
            members = {n: z.read(n) for n in ("config.json", "metadata.json", _WEIGHTS, "model.weights.h5")
                       if n in names}
    except zipfile.BadZipFile as e:
        raise bad(f" (not a zip archive, or a damaged one: {e})") from None
    try:
        meta = json.loads(members.get("metadata.json", b"{}"))
        config = json.loads(members["config.json"])
    except ValueError as e:
        raise bad(f" (its JSON does not parse: {e})") from None
    for name, digest in meta.get("sha256", {}).items():
        if name not in members or hashlib.sha256(members[name]).hexdigest() != digest:
            raise ValueError(f"{function}: {filepath!r} was modified or damaged after it was saved: {name} does not "
                             "match the checksum recorded when saving")
    if not isinstance(config, dict) or "class_name" not in config:
        raise bad(" (config.json does not describe a model)")
    return config, members


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved with ``model.save('name.keras')``.

    Args:
        filepath: the ``.keras`` file.
        custom_objects: ``{'name': class_or_function}`` for your own layers,
            losses, metrics... (or register them with ``register_keras_serializable``).
        compile: whether to compile the model as it was and restore its
            optimizer's state, so that training continues where it stopped.
        safe_mode: accepted for Keras compatibility; loading never runs code
            from the file whatever its value.

    Returns:
        The model, with the saved weights.

    Raises:
        FileNotFoundError: if there is no such file.
        ValueError: if the file is not a ``.keras`` file, was tampered with, or
            names a class that is neither built in nor given in ``custom_objects``.
    """
    filepath = os.fspath(filepath)
    if weights_io.file_kind("load_model", filepath, _EXPECTED) == "hdf5":
        raise ValueError(f"load_model: {filepath!r} is an HDF5 file (a legacy HDF5 Keras 2 model, or weights); "
                         f"{_EXPECTED}: load it in Keras and save it with model.save('name.keras'), or rebuild the "
                         "model in code and use load_weights for a .weights.h5 file")
    config, members = _read_members(filepath)
    with CustomObjectScope(custom_objects):
        model = deserialize_keras_object(config, custom_objects=custom_objects, printable_module_name="model")
        shape = (config.get("build_config") or {}).get("input_shape")
        if not model.built and shape:
            model.build(shape)
        compile_config = config.get("compile_config")
        if compile and compile_config:
            model.compile(
                optimizer=deserialize_keras_object(compile_config["optimizer"], printable_module_name="optimizer"),
                loss=_objects(compile_config.get("loss")), metrics=_objects(compile_config.get("metrics")),
                loss_weights=compile_config.get("loss_weights"))
    _set_weights(model, members, filepath, compile)
    return model


def load_weights_of(model, filepath):
    """Sets the weights of ``model`` from those of the ``.keras`` file ``filepath``
    (``model.load_weights('name.keras')``); nothing changes if they do not fit."""
    _set_weights(model, _read_members(filepath, "load_weights")[1], filepath, True)


def _set_weights(model, members, filepath, compile):
    if _WEIGHTS in members:
        arrays = weights_io.read_npz(io.BytesIO(members[_WEIGHTS]), f"{filepath!r} ({_WEIGHTS})")
        if not compile:
            arrays = {k: v for k, v in arrays.items() if not k.startswith("optimizer/")}
        weights_io.set_model_arrays(model, arrays, source=repr(filepath))
    elif "model.weights.h5" in members:
        from tensorlet.keras.saving import h5_format

        with tempfile.TemporaryDirectory() as folder:  # h5py reads from a path
            path = os.path.join(folder, "model.weights.h5")
            with open(path, "wb") as f:
                f.write(members["model.weights.h5"])
            h5_format.load_keras_layout(model, path, source=repr(filepath))


def _objects(spec):
    """Losses/metrics from a compile config: names stay names, objects are rebuilt."""
    if isinstance(spec, list):
        return [_objects(s) for s in spec]
    if isinstance(spec, dict) and "class_name" not in spec:
        return {k: _objects(v) for k, v in spec.items()}
    return deserialize_keras_object(spec) if isinstance(spec, dict) else spec
