"""Saving and loading: whole models (``.keras``), weights (``.weights.npz``,
``.weights.h5``) and the configs of Keras objects."""

from tensorlet.keras.saving.serialization import (
    CustomObjectScope, custom_object_scope, deserialize_keras_object, get_registered_name, get_registered_object,
    register_keras_serializable, serialize_keras_object,
)


def save_model(model, filepath, overwrite=True, **kwargs):
    """Saves ``model`` to a ``.keras`` file (see ``Model.save``)."""
    from tensorlet.keras.saving.keras_file import save_model as save

    save(model, filepath, overwrite, **kwargs)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved by ``model.save('name.keras')``."""
    from tensorlet.keras.saving.keras_file import load_model as load

    return load(filepath, custom_objects, compile, safe_mode)


def save_weights(model, filepath, overwrite=True):
    """Writes the weights of ``model`` to a ``.weights.npz`` (or ``.weights.h5``) file."""
    from tensorlet.keras.saving.weights import save_weights as save

    save(model, filepath, overwrite)


def load_weights(model, filepath):
    """Sets the weights of ``model`` from a file written by ``save_weights``."""
    from tensorlet.keras.saving.weights import load_weights as load

    load(model, filepath)
