"""tensorlet.saved_model: ``save(obj, export_dir)`` and ``load(export_dir)``.

tensorlet's own format (not TensorFlow's protobufs): a folder holding
``saved_model.json`` and either ``model.keras`` (a Keras model or layer, its
architecture and weights) or ``variables.npz`` plus the config of a
registered ``tf.Module``. The computation is never stored as code: the loaded
object is rebuilt from classes this process knows, so it can be called.
"""

import json
import os

import numpy as np

from tensorlet.file_io import FileFormatError, atomic_path, read_npz

_MARKER = "saved_model.json"


def save(obj, export_dir, signatures=None, options=None):
    """Saves ``obj`` (a Keras model, or a ``tf.Module`` registered with
    ``keras.saving.register_keras_serializable`` that has ``get_config``) to ``export_dir``.

    Raises:
        ValueError: for an object whose computation could only be restored by
            storing code; the message says what to do instead.
    """
    from tensorlet.keras.layers import Layer
    from tensorlet.keras.models import Model, Sequential
    from tensorlet.keras.saving.serialization import serialize_keras_object

    export_dir = os.fspath(export_dir)
    os.makedirs(export_dir, exist_ok=True)
    if isinstance(obj, Layer):
        if not isinstance(obj, Model):
            obj = Sequential([obj]) if obj.built else obj
        obj.save(os.path.join(export_dir, "model.keras"))
        meta = {"kind": "keras"}
    else:
        if not hasattr(obj, "get_config") or "_registered_name" not in type(obj).__dict__:
            raise ValueError(
                f"tf.saved_model.save: tensorlet stores no code, so a {type(obj).__name__} can only be saved if its "
                "class is registered (@keras.saving.register_keras_serializable()) and has get_config() returning "
                "its constructor arguments; otherwise save its variables with tf.train.Checkpoint and rebuild "
                "the object in code")
        variables = list(obj.variables)
        with atomic_path(os.path.join(export_dir, "variables.npz")) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, **{f"variables/{i}": np.asarray(v) for i, v in enumerate(variables)})
        meta = {"kind": "module", "object": serialize_keras_object(obj)}
    with atomic_path(os.path.join(export_dir, _MARKER)) as tmp:
        with open(tmp, "w") as f:
            json.dump({"format": "tensorlet.saved_model/1", **meta}, f, indent=1)


def load(export_dir, tags=None, options=None):
    """Loads what ``save`` wrote; the result can be called as the original.

    Raises:
        FileNotFoundError: if ``export_dir`` holds no tensorlet saved model
            (a TensorFlow SavedModel is named as such).
    """
    from tensorlet.keras.saving import load_model
    from tensorlet.keras.saving.serialization import deserialize_keras_object

    export_dir = os.fspath(export_dir)
    marker = os.path.join(export_dir, _MARKER)
    if not os.path.exists(marker):
        tf_model = os.path.exists(os.path.join(export_dir, "saved_model.pb"))
        raise FileNotFoundError(
            f"tf.saved_model.load: {export_dir!r} holds no tensorlet saved model" +
            (" (it is a TensorFlow SavedModel, whose graph tensorlet cannot run; save the Keras model with "
             "model.save('name.keras') in TensorFlow and load that)" if tf_model else ""))
    try:
        with open(marker) as f:
            meta = json.load(f)
    except ValueError as e:
        raise FileFormatError(f"tf.saved_model.load: {marker!r} is damaged: {e}") from None
    if meta.get("kind") == "keras":
        model = load_model(os.path.join(export_dir, "model.keras"))
        model.signatures = {"serving_default": _Serving(model)}
        return model
    obj = deserialize_keras_object(meta["object"], printable_module_name="object")
    arrays = read_npz(os.path.join(export_dir, "variables.npz"), export_dir)
    values = [arrays[f"variables/{i}"] for i in range(len(arrays))]
    variables = list(obj.variables)
    if len(values) != len(variables) or any(tuple(v.shape) != a.shape for v, a in zip(variables, values)):
        raise FileFormatError(f"tf.saved_model.load: the saved variables do not fit the rebuilt "
                              f"{type(obj).__name__} ({len(values)} saved, {len(variables)} now)")
    for v, a in zip(variables, values):
        v.assign(a)
    return obj


class _Serving:
    """``loaded.signatures['serving_default'](x)``: a dict of the outputs by name."""

    def __init__(self, model):
        self.model = model

    def __call__(self, *args, **kwargs):
        inputs = args[0] if args else (list(kwargs.values())[0] if len(kwargs) == 1 else kwargs)
        out = self.model(inputs, training=False)
        outs = out if isinstance(out, (list, tuple)) else [out]
        names = [getattr(t, "name", None) for t in (self.model.outputs or [])] if hasattr(self.model, "_nodes") \
            else []
        if len(names) != len(outs) or None in names:
            names = [f"output_{i}" for i in range(len(outs))]
        return dict(zip(names, outs))
