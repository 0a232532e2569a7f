"""Automatic differentiation: GradientTape, stop_gradient, custom_gradient."""

from tensorlet.autodiff.custom_gradient import custom_gradient
from tensorlet.autodiff.tape import GradientTape, UnconnectedGradients, stop_gradient
