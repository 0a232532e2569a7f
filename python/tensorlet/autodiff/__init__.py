"""Automatic differentiation: GradientTape, stop_gradient, custom_gradient."""

from tensorlet.autodiff.custom_gradient import custom_gradient
from tensorlet.autodiff.tape import GradientTape, UnconnectedGradients
from tensorlet.ops.view_ops import stop_gradient
