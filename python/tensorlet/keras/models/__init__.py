"""Keras models: functional and subclassed ``Model``, and ``Sequential``."""

from tensorlet.keras.models.model import Model
from tensorlet.keras.models.sequential import Sequential
from tensorlet.keras.saving import load_model, save_model
from tensorlet.keras.saving.serialization import deserialize_keras_object as _deserialize


def model_from_json(json_string, custom_objects=None):
    """A model (without weights) from ``model.to_json()``."""
    import json

    return _deserialize(json.loads(json_string), custom_objects=custom_objects, printable_module_name="model")


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model of the same architecture with freshly initialized weights."""
    from tensorlet.keras.saving.serialization import serialize_keras_object

    return _deserialize(serialize_keras_object(model))
