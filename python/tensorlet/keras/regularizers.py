"""Weight regularizers: penalties added to the loss (``'l1'``, ``'l2'``, objects)."""

import tensorlet as tf
from tensorlet.keras.saving.serialization import Serializable, deserialize_keras_object


class Regularizer(Serializable):
    """Base class: ``regularizer(weight)`` -> a scalar penalty."""

    def __call__(self, x):
        return 0.0


class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x**2)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x):
        out = 0.0
        if self.l1:
            out = out + self.l1 * tf.reduce_sum(tf.abs(x))
        if self.l2:
            out = out + self.l2 * tf.reduce_sum(tf.square(x))
        return out


class L1(L1L2):
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)


class L2(L1L2):
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)


l1, l2, l1_l2 = L1, L2, L1L2


def get(identifier):
    """A regularizer from a name (``'l2'``), a config dict, a class, an instance or a callable."""
    if isinstance(identifier, dict):
        return deserialize_keras_object(identifier, printable_module_name="regularizer")
    if identifier is None or callable(identifier) and not isinstance(identifier, type):
        return identifier
    if isinstance(identifier, str):
        table = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2}
        if identifier.lower() not in table:
            raise ValueError(f"Unknown regularizer {identifier!r}; valid names: l1, l2, l1_l2")
        return table[identifier.lower()]()
    return identifier()
