"""tensorlet.keras: the Keras 3 workflow (layers, models, compile/fit/evaluate/predict).

    from tensorlet import keras
    from tensorlet.keras import layers

    model = keras.Sequential([layers.Flatten(input_shape=(28, 28)),
                              layers.Dense(256, activation="relu"),
                              layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=5, validation_data=(x_val, y_val))
"""

from tensorlet.keras import (
    activations, backend, callbacks, datasets, initializers, layers, losses, metrics, models, optimizers,
    regularizers, saving, utils,
)
from tensorlet.keras import constraints, ops, preprocessing, random  # noqa: E402
from tensorlet.keras.keras_tensor import KerasTensor
from tensorlet.keras.layers import Input, InputLayer, InputSpec, Layer
from tensorlet.keras.models import Model, Sequential
from tensorlet.keras import applications  # noqa: E402,F401

from tensorlet import _missing  # noqa: E402  (Keras names tensorlet lacks say so)

_missing.install(__import__(__name__, fromlist=["_"]), activations, backend, callbacks, datasets, initializers,
                 layers, losses, metrics, models, optimizers, regularizers, saving, utils, constraints, ops,
                 preprocessing, random)
