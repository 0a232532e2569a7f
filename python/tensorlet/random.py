"""``tensorlet.random``: random tensors and the global seed, as ``tf.random``."""

from tensorlet.ops.random_ops import (
    categorical, normal, seed_state, set_seed, shuffle, stateless_normal, stateless_truncated_normal, stateless_uniform,
    truncated_normal, uniform,
)

__all__ = ["categorical", "normal",
           "seed_state", "set_seed", "shuffle", "stateless_normal", "stateless_truncated_normal",
           "stateless_uniform", "truncated_normal", "uniform"]
