"""``tf.linalg``: linear algebra."""

from tensorlet.ops.einsum_op import einsum
from tensorlet.ops.linalg_ops import matmul

__all__ = ["einsum", "matmul"]
