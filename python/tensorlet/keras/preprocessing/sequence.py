"""``keras.preprocessing.sequence``."""

from tensorlet.keras.utils.sequence_utils import pad_sequences  # noqa: F401
