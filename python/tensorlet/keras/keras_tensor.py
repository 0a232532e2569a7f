"""KerasTensor: a symbolic tensor (shape with a ``None`` batch dim, dtype) that
flows through layers when building functional models, recording which layer
made it so that ``Model(inputs, outputs)`` can replay the graph."""

import tensorlet as tf


class KerasTensor:
    """A placeholder with a shape and dtype but no values."""

    def __init__(self, shape, dtype="float32", name=None, history=None):
        self.shape = tf.TensorShape(shape)
        self.dtype = tf.as_dtype(dtype)
        self.name = name
        self._keras_history = history  # the Node that produced it (None for an Input)

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype.name}, name={self.name}>"

    def __array__(self, *args, **kwargs):
        raise TypeError("A KerasTensor is symbolic (it has a shape but no values); call the model on real "
                        "data instead, or use a layer (keras.layers.Add, ...) to combine KerasTensors.")

    __hash__ = object.__hash__


def _operator(op, reflected=False):
    """A Python operator on KerasTensors: a ``TensorOperator`` layer in the functional model."""
    def apply(self, other=None):
        from tensorlet.keras.layers.core import TensorOperator

        if op == "neg":
            return TensorOperator(op)(self)
        if isinstance(other, KerasTensor):
            return TensorOperator(op, reflected=reflected)([self, other])
        if isinstance(other, tf.Tensor):
            other = other.numpy()
        return TensorOperator(op, other, reflected)(self)
    return apply


for _op in ("add", "sub", "mul", "truediv", "pow", "matmul", "floordiv", "mod"):
    setattr(KerasTensor, f"__{_op}__", _operator(_op))
    setattr(KerasTensor, f"__r{_op}__", _operator(_op, reflected=True))
KerasTensor.__neg__ = _operator("neg")


class Node:
    """One call of a layer on KerasTensors: the positional arguments (the
    inputs first), the keyword arguments and the outputs."""

    def __init__(self, layer, args, kwargs, outputs):
        self.layer, self.args, self.kwargs, self.outputs = layer, args, kwargs, outputs

    @property
    def input_tensors(self):
        return [t for t in flatten((self.args, self.kwargs)) if isinstance(t, KerasTensor)]


def flatten(structure):
    """The leaves of nested lists, tuples and dicts, in order."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for key in structure for leaf in flatten(structure[key])]
    return [structure]


def map_structure(fn, structure):
    """The same nesting with ``fn`` applied to each leaf."""
    if isinstance(structure, (list, tuple)):
        return type(structure)(map_structure(fn, s) for s in structure)
    if isinstance(structure, dict):
        return {k: map_structure(fn, v) for k, v in structure.items()}
    return fn(structure)
