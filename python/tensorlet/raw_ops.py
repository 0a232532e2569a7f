"""``tensorlet.raw_ops``: the registered stateful ops by their op names, as
``tf.raw_ops``: the fused optimizer updates and the variable updates. Each
writes its variables in place through the one op path."""

from tensorlet.ops.state_ops import assign, assign_add, assign_sub  # noqa: F401
from tensorlet.ops.training_ops import apply_adagrad, apply_adam, apply_rmsprop, apply_sgd  # noqa: F401
