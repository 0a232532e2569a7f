"""tensorlet.data: input pipelines, as ``tf.data``.

    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(1024).batch(32).prefetch(tf.data.AUTOTUNE)
    model.fit(ds, epochs=5)
"""

from tensorlet.data import experimental
from tensorlet.data.dataset import AUTOTUNE, Dataset, Options
from tensorlet.data.readers import TextLineDataset
from tensorlet.data.structure import INFINITE as INFINITE_CARDINALITY
from tensorlet.data.structure import UNKNOWN as UNKNOWN_CARDINALITY
from tensorlet.data.structure import TensorSpec
