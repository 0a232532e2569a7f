"""``tf.linalg``: linear algebra."""

from tensorlet.ops.composite_ops import global_norm, norm, tensordot
from tensorlet.ops.einsum_op import einsum
from tensorlet.ops.linalg_ops import matmul

__all__ = ["einsum", "global_norm", "matmul", "norm", "tensordot"]
