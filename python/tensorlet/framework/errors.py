"""Exception types, named as in TensorFlow."""

from tensorlet import _core


class OpError(Exception):
    """Base class for errors raised while running an op."""


class InvalidArgumentError(OpError, ValueError):
    """An op received an argument of the wrong shape, value or dtype."""


class UnimplementedError(OpError, NotImplementedError):
    """The operation is not implemented for these arguments."""


class ResourceExhaustedError(OpError, MemoryError):
    """Not enough memory to run the operation."""


_core._set_error_types(InvalidArgumentError, ResourceExhaustedError)
