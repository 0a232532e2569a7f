"""tf.data.experimental: CSV readers, cardinality and the constants TF keeps here."""

from tensorlet.data.dataset import AUTOTUNE, Dataset, steps_and_iterator  # noqa: F401
from tensorlet.data.readers import CsvDataset, make_csv_dataset  # noqa: F401
from tensorlet.data.structure import INFINITE as INFINITE_CARDINALITY  # noqa: F401
from tensorlet.data.structure import UNKNOWN as UNKNOWN_CARDINALITY  # noqa: F401


def cardinality(dataset):
    """``dataset.cardinality()``."""
    return dataset.cardinality()


def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False):
    """``tf.data.Dataset.sample_from_datasets``."""
    return Dataset.sample_from_datasets(datasets, weights, seed, stop_on_empty_dataset)
