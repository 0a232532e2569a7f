"""tensorlet: the TensorFlow 2 / Keras programming model on small, fast C++ kernels.

    import tensorlet as tf
    from tensorlet import keras
    from tensorlet.keras import layers
"""

import os as _os
import sys as _sys

if _os.environ.get("TENSORLET_ISA", "baseline") not in ("baseline", "avx2", "avx512", ""):
    raise ImportError(f"TENSORLET_ISA={_os.environ['TENSORLET_ISA']!r} is not a valid value: use baseline, avx2 or "
                      "avx512 (it caps the vector instructions the kernels use), or leave it unset")
from tensorlet import _core  # noqa: E402
from tensorlet.framework import errors
from tensorlet.framework.dtypes import (
    DType, as_dtype, bfloat16, bool_ as bool, complex64, complex128, double, float16, float32, float64, half, int8,
    int16, int32, int64, string, uint8,
)
from tensorlet.framework.tensor import Tensor
from tensorlet.framework.tensor_shape import TensorShape
from tensorlet.framework.convert import constant, convert_to_tensor, is_tensor
from tensorlet.framework.device import device
from tensorlet.ops.elementwise import (
    abs, add, ceil, cos, divide, equal, exp, floor, greater, greater_equal, less, less_equal, log,
    logical_and, logical_not, logical_or, maximum, minimum, multiply, negative, not_equal, pow, round,
    sigmoid, sign, sin, sqrt, square, subtract, tanh,
)
from tensorlet.ops.linalg_ops import matmul
from tensorlet import linalg

from tensorlet.ops.array_ops import (
    broadcast_to, cast, clip_by_norm, clip_by_value, concat, expand_dims, eye, fill, gather, identity, one_hot,
    ones, ones_like, pad, range, rank, reshape, reverse, shape, size, split, squeeze, stack, tile, transpose,
    unsorted_segment_sum, unstack, where, zeros, zeros_like,
)
from tensorlet import config, random
from tensorlet.framework.variable import Variable
from tensorlet.autodiff import GradientTape, UnconnectedGradients, custom_gradient, stop_gradient
from tensorlet.ops.reductions import (
    argmax, argmin, count_nonzero, reduce_all, reduce_any, reduce_logsumexp, reduce_max, reduce_mean,
    reduce_min, reduce_prod, reduce_std, reduce_sum, reduce_variance,
)
from tensorlet import math, nn, raw_ops
from tensorlet import data, saved_model, train
from tensorlet.framework.tensor_spec import TensorSpec
from tensorlet.ops.scatter_ops import (
    boolean_mask, gather_nd, scatter_nd, tensor_scatter_nd_add, tensor_scatter_nd_sub, tensor_scatter_nd_update,
)
from tensorlet.ops.sort_ops import argsort, sort, unique, unique_with_counts
from tensorlet.ops.sequence_ops import add_n, cumsum, linspace, meshgrid
from tensorlet.ops.einsum_op import einsum
from tensorlet.ops.composite_ops import (
    clip_by_global_norm, cosh, executing_eagerly, map_fn, norm, repeat, roll, sequence_mask, sinh, slice, tan,
    tensordot, truediv,
)
from tensorlet.ops.tensor_array import TensorArray
from tensorlet.ops.complex_ops import complex
from tensorlet.strings import as_string
from tensorlet.module import Module, get_current_name_scope, name_scope
from tensorlet.printing import print
from tensorlet.function import cond, function, while_loop
from tensorlet import nest, version
from tensorlet import image, ragged, sparse
from tensorlet.ragged import RaggedTensor
from tensorlet.sparse import SparseTensor

newaxis = None

__version__ = version.VERSION
from tensorlet import _missing  # noqa: E402

_missing.install(config, linalg, math, nn, random)

# Composites raise their inner ops' errors under their own public name.
from tensorlet.ops import registry as _registry  # noqa: E402

_OWN = ("tensorlet.ops.registry", "tensorlet.ops.state_ops")
_registry.name_errors(image, *[m for n, m in list(_sys.modules.items()) if n == "tensorlet.image_adjust" or (
    n.startswith("tensorlet.ops.") and "._" not in n and n not in _OWN)])


def __getattr__(name):  # tensorlet.keras loads on first use; names TensorFlow has and tensorlet lacks say so
    return _missing.attribute(__name__, name)

# A forked child of a process that used OpenMP can hang in its first parallel
# region: drop it to one thread.
if hasattr(_os, "register_at_fork"):
    _os.register_at_fork(after_in_child=lambda: _core.set_num_threads(1))
