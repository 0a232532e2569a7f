"""Keras layers."""

from tensorlet.keras.layers.layer import Layer
from tensorlet.keras.layers.core import (
    Activation, Add, Concatenate, Dense, Dropout, Flatten, Input, InputLayer, Lambda, LeakyReLU, Multiply, ReLU,
    Reshape, Softmax,
)
