"""``keras.preprocessing``: the Keras 2 home of ``sequence.pad_sequences``."""

from tensorlet.keras.preprocessing import sequence  # noqa: F401
