"""What happens when a program asks for a name tensorlet does not have.

Every public namespace gets a module ``__getattr__`` (PEP 562, installed by
:func:`install` from its package's ``__init__``) that calls :func:`attribute`:
a submodule not imported yet (``tensorlet.keras``) is loaded on first use, a name TensorFlow or Keras has (listed in
:mod:`tensorlet._names`) raises an AttributeError saying tensorlet does not
implement it yet, and anything else raises Python's usual AttributeError.
"""

import importlib
import importlib.util

from tensorlet._names import NAMES, public_name


class NotImplementedYetError(AttributeError):
    """A TensorFlow or Keras name that tensorlet does not implement yet."""


def attribute(module, name):
    """The module-level ``__getattr__`` of ``module`` (a dotted name) for ``name``."""
    if name.startswith("__"):
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    if not name.startswith("_"):
        try:
            spec = importlib.util.find_spec(f"{module}.{name}")
        except (ImportError, ValueError):
            spec = None
        if spec is not None:
            return importlib.import_module(f"{module}.{name}")
    ns = public_name(module)
    if ns is not None and name in NAMES.get(ns, ()):
        what = "Keras" if ns.startswith("keras") else "TensorFlow"
        raise NotImplementedYetError(
            f"tensorlet does not implement {ns}.{name} yet ({what} has it; tensorlet does not). "
            "docs/coverage.md lists what tensorlet covers, by namespace.")
    raise AttributeError(f"module {module!r} has no attribute {name!r}")


def install(*modules):
    """Gives each module that has none a ``__getattr__`` calling :func:`attribute`."""
    for m in modules:
        if "__getattr__" not in vars(m):
            m.__getattr__ = lambda name, _module=m.__name__: attribute(_module, name)
