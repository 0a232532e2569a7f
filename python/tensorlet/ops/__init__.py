"""Every op, defined once through :mod:`tensorlet.ops.registry`.

Importing this package also gives Tensor its operators, each a one-line
alias of a registered op.
"""

from tensorlet.ops import array_ops, elementwise, nn_ops, reductions
from tensorlet.ops import operators  # noqa: F401  (attaches Tensor operators)
