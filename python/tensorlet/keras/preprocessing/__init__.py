"""``keras.preprocessing``: the Keras 2 home of ``sequence.pad_sequences`` and ``image.load_img``."""

from tensorlet.keras.preprocessing import image, sequence  # noqa: F401
