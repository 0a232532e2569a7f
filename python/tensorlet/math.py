"""``tensorlet.math``: elementwise math, comparisons, logic and reductions (as ``tf.math``)."""

from tensorlet.ops.elementwise import (
    abs, add, ceil, cos, divide, equal, exp, floor, floordiv, floormod, greater, greater_equal, less,
    less_equal, log, log1p, logical_and, logical_not, logical_or, maximum, minimum, multiply, negative,
    not_equal, pow, reciprocal, round, rsqrt, sigmoid, sign, sin, softplus, sqrt, square, subtract, tanh,
)
from tensorlet.ops.nn_ops import l2_normalize, log_softmax, softmax
from tensorlet.ops.reductions import (
    argmax, argmin, count_nonzero, reduce_all, reduce_any, reduce_logsumexp, reduce_max, reduce_mean,
    reduce_min, reduce_prod, reduce_std, reduce_sum, reduce_variance,
)
from tensorlet.ops.array_ops import unsorted_segment_sum
from tensorlet.ops.composite_ops import (
    bincount, confusion_matrix, cosh, divide_no_nan, in_top_k, is_finite, is_inf, is_nan, log_sigmoid, logical_xor,
    reduce_euclidean_norm, segment_mean, segment_sum, sinh, softsign, squared_difference, tan, truediv,
    unsorted_segment_mean, xlogy,
)
from tensorlet.ops.sequence_ops import add_n, cumsum
from tensorlet.ops.sort_ops import top_k
from tensorlet.ops.complex_ops import angle, conj, imag, real

__all__ = ["angle", "conj", "imag", "real",
           "add_n", "cumsum", "top_k", "unsorted_segment_sum", "bincount", "confusion_matrix", "cosh", "divide_no_nan",
           "in_top_k", "is_finite", "is_inf", "is_nan", "log_sigmoid", "logical_xor", "reduce_euclidean_norm",
           "segment_mean", "segment_sum", "sinh", "softsign", "squared_difference", "tan", "truediv",
           "unsorted_segment_mean", "xlogy", "l2_normalize",

    "abs", "add", "argmax", "argmin", "ceil", "cos", "count_nonzero", "divide", "equal", "exp", "floor",
    "floordiv", "floormod", "greater", "greater_equal", "less", "less_equal", "log", "log1p", "log_softmax",
    "logical_and", "logical_not", "logical_or", "maximum", "minimum", "multiply", "negative", "not_equal", "pow",
    "reciprocal", "reduce_all", "reduce_any", "reduce_logsumexp", "reduce_max", "reduce_mean", "reduce_min",
    "reduce_prod", "reduce_std", "reduce_sum", "reduce_variance", "round", "rsqrt", "sigmoid", "sign", "sin",
    "softmax", "softplus", "sqrt", "square", "subtract", "tanh",
]
