"""Every op, defined once through :mod:`tensorlet.ops.registry`.

Importing this package also gives Tensor its operators and Variable its
reading, slicing and assignment methods, each an alias of a registered op.
"""

from tensorlet.ops import array_ops  # noqa: F401
from tensorlet.ops import conv_ops  # noqa: F401
from tensorlet.ops import conv3d_ops  # noqa: F401
from tensorlet.ops import elementwise  # noqa: F401
from tensorlet.ops import linalg_ops  # noqa: F401
from tensorlet.ops import nn_ops  # noqa: F401
from tensorlet.ops import reductions  # noqa: F401
from tensorlet.ops import random_ops  # noqa: F401
from tensorlet.ops import rnn_ops  # noqa: F401
from tensorlet.ops import training_ops  # noqa: F401
from tensorlet.ops import operators  # noqa: F401  (attaches Tensor and Variable methods)
