"""``tensorlet.sparse`` (as ``tf.sparse``): SparseTensor and the everyday functions.

A SparseTensor holds ``indices`` (int64, ``(nnz, rank)``), ``values``
(``(nnz,)``) and ``dense_shape``; the functions are compositions of
registered ops (scatter_nd, gather, unsorted_segment_sum), so
``sparse_dense_matmul`` is differentiable in the values and the dense operand.
"""

import numpy as np

import tensorlet as tf
from tensorlet.framework.errors import InvalidArgumentError

__all__ = ["SparseTensor", "from_dense", "reorder", "reduce_sum", "sparse_dense_matmul", "to_dense"]


class SparseTensor:
    """A sparse tensor: the value ``values[k]`` at ``indices[k]``, zero elsewhere.

    Args:
        indices: ``(nnz, rank)`` integer coordinates.
        values: ``(nnz,)`` values.
        dense_shape: the shape of the dense tensor.

    Raises:
        InvalidArgumentError: if the pieces do not fit together or an index is
            out of bounds.
    """

    def __init__(self, indices, values, dense_shape):
        indices = indices if isinstance(indices, tf.Tensor) else tf.convert_to_tensor(np.asarray(indices, np.int64))
        self.indices = indices if indices.dtype == tf.int64 else tf.cast(indices, "int64")
        self.values = values if isinstance(values, tf.Tensor) else tf.convert_to_tensor(values)
        shape = dense_shape.numpy().tolist() if hasattr(dense_shape, "numpy") else list(dense_shape)
        self.dense_shape = tf.constant([int(d) for d in shape], "int64")
        idx = self.indices.numpy().reshape(-1, len(shape)) if self.indices.shape[0] else np.zeros((0, len(shape)))
        if self.indices.ndim != 2 or self.indices.shape[1] != len(shape) or self.values.ndim != 1 or \
                self.values.shape[0] != self.indices.shape[0]:
            raise InvalidArgumentError(f"SparseTensor: indices {tuple(self.indices.shape)} must be (nnz, "
                                       f"{len(shape)}) and values {tuple(self.values.shape)} must be (nnz,)")
        if idx.size and ((idx < 0).any() or (idx >= np.asarray(shape)).any()):
            bad = idx[((idx < 0) | (idx >= np.asarray(shape))).any(1)][0].tolist()
            raise InvalidArgumentError(f"SparseTensor: index {bad} is out of bounds for dense shape {tuple(shape)}")

    @property
    def shape(self):
        return tf.TensorShape(self.dense_shape.numpy().tolist())

    @property
    def dtype(self):
        return self.values.dtype

    def __repr__(self):
        return (f"SparseTensor(indices={self.indices!r}, values={self.values!r}, "
                f"dense_shape={self.dense_shape!r})")


def to_dense(sp_input, default_value=None, validate_indices=True, name=None):
    """The dense tensor (``default_value``, 0 by default, where no value is given)."""
    dense = tf.scatter_nd(sp_input.indices, sp_input.values, sp_input.shape)
    if default_value is None or default_value == 0:
        return dense
    filled = tf.scatter_nd(sp_input.indices, tf.ones_like(sp_input.values), sp_input.shape)
    return dense + (1 - filled) * default_value


def from_dense(tensor, name=None):
    """The SparseTensor of ``tensor``'s nonzero elements (in row-major order)."""
    tensor = tf.convert_to_tensor(tensor)
    indices = tf.where(tf.not_equal(tensor, tf.zeros_like(tensor)))
    return SparseTensor(indices, tf.gather_nd(tensor, indices), tensor.shape)


def reorder(sp_input, name=None):
    """The same SparseTensor with its entries in row-major order."""
    idx = sp_input.indices.numpy()
    order = np.lexsort(idx.T[::-1]) if len(idx) else np.zeros(0, np.int64)
    return SparseTensor(idx[order], tf.gather(sp_input.values, order), sp_input.shape)


def reduce_sum(sp_input, axis=None, keepdims=False, output_is_sparse=False, name=None):
    """Sums the values (over ``axis``) as a dense tensor."""
    if output_is_sparse:
        raise NotImplementedError("sparse.reduce_sum: output_is_sparse=True is not supported yet")
    return tf.reduce_sum(to_dense(sp_input), axis=axis, keepdims=keepdims)


def sparse_dense_matmul(sp_a, b, adjoint_a=False, adjoint_b=False, name=None):
    """``sp_a @ b`` for a 2-D SparseTensor ``sp_a`` and a dense matrix ``b``.

    Raises:
        InvalidArgumentError: if the inner dimensions differ.
    """
    b = tf.convert_to_tensor(b)
    if adjoint_b:
        b = tf.transpose(b)
    rows, cols = sp_a.indices[:, 0], sp_a.indices[:, 1]
    n_rows, inner = sp_a.shape
    if adjoint_a:
        rows, cols, n_rows, inner = cols, rows, inner, n_rows
    if b.ndim != 2 or b.shape[0] != inner:
        raise InvalidArgumentError(f"sparse_dense_matmul: inner dimensions differ: ({n_rows}, {inner}) @ "
                                   f"{tuple(b.shape)}")
    values = tf.cast(sp_a.values, b.dtype) if sp_a.values.dtype != b.dtype else sp_a.values
    contributions = tf.expand_dims(values, 1) * tf.gather(b, cols)
    return tf.unsorted_segment_sum(contributions, rows, n_rows)
