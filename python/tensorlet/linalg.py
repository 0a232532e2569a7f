"""``tf.linalg``: linear algebra."""

from tensorlet.ops.linalg_ops import matmul

__all__ = ["matmul"]
