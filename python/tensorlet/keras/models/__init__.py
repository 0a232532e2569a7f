"""Keras models: functional and subclassed ``Model``, and ``Sequential``."""

from tensorlet.keras.models.model import Model
from tensorlet.keras.models.sequential import Sequential
