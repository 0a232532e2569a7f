"""``tensorlet.function``: trace a Python step once, replay it as a graph.

See :mod:`tensorlet.function.polymorphic` (signatures and retracing),
:mod:`tensorlet.function.tracer` (recording through the op path) and
:mod:`tensorlet.function.graph` (the graph a runtime consumes)."""

from tensorlet.function.control_flow import cond, while_loop
from tensorlet.function.polymorphic import ConcreteFunction, Function, function
from tensorlet.function.tracer import OperatorNotAllowedInGraphError

__all__ = ["ConcreteFunction", "Function", "OperatorNotAllowedInGraphError", "cond", "function", "while_loop"]
