"""``tensorlet.Module`` (as ``tf.Module``): a named container whose variables
and submodules are found by walking its attributes, and ``name_scope``."""

import functools
import re
import threading

_scopes = threading.local()


def get_current_name_scope():
    """The current name scope, ``'outer/inner'`` (``''`` at the top)."""
    return "/".join(getattr(_scopes, "stack", []))


class name_scope:
    """A context manager naming a scope (``with tf.name_scope('block'):``).

    Scopes nest; ``tensorlet.get_current_name_scope()`` reads the current one.
    They serve for naming only: tensors and variables behave the same inside.
    """

    def __init__(self, name):
        if not isinstance(name, str):
            raise TypeError(f"name_scope: name must be a string, got {name!r}")
        self._name = name.rstrip("/")

    @property
    def name(self):
        return self._name

    def __enter__(self):
        stack = getattr(_scopes, "stack", None)
        if stack is None:
            stack = _scopes.stack = []
        stack.append(self._name)
        return get_current_name_scope() + "/"

    def __exit__(self, *exc):
        _scopes.stack.pop()
        return False


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-/]*$")


def _snake(name):
    return re.sub(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))", r"_\1", name).lower()


class Module:
    """Base class for a named collection of variables and submodules.

    Variables and modules assigned as attributes (directly or inside lists,
    tuples and dicts) are found by ``variables``, ``trainable_variables`` and
    ``submodules``; Keras layers held by a module count as submodules too.

    Args:
        name: the module's name (default: the snake-cased class name); a
            valid Python identifier.

    Raises:
        ValueError: for a name that is not a valid identifier.
    """

    def __init__(self, name=None):
        name = _snake(type(self).__name__) if name is None else name
        if not isinstance(name, str) or not _IDENTIFIER.match(name):
            raise ValueError(f"Module: {name!r} is not a valid module name; use a Python identifier")
        self._name = name
        self._scope = name_scope(name)

    @property
    def name(self):
        return self._name

    @property
    def name_scope(self):
        """A ``name_scope`` of this module's name, for ``with self.name_scope:``."""
        return self._scope

    @property
    def variables(self):
        """Every Variable of this module and its submodules, each once, in attribute-name order."""
        return tuple(self._walk(_is_variable))

    @property
    def trainable_variables(self):
        """The variables with ``trainable=True``."""
        return tuple(v for v in self._walk(_is_variable) if v.trainable)

    @property
    def non_trainable_variables(self):
        return tuple(v for v in self._walk(_is_variable) if not v.trainable)

    @property
    def submodules(self):
        """Every module (and Keras layer) reachable from this one, breadth first, each once."""
        out, seen, queue = [], {id(self)}, [self]
        while queue:
            node = queue.pop(0)
            for child in _leaves(_attrs(node)):
                if _is_module(child) and id(child) not in seen:
                    seen.add(id(child))
                    out.append(child)
                    queue.append(child)
        return tuple(out)

    def _walk(self, pick):
        out, seen = [], set()
        for m in (self,) + self.submodules:
            for leaf in (_leaves(_attrs(m)) if isinstance(m, Module) else list(m.weights)):
                if pick(leaf) and id(leaf) not in seen:
                    seen.add(id(leaf))
                    out.append(leaf)
        return out

    @classmethod
    def with_name_scope(cls, method):
        """Decorates a method so that it runs inside the module's name scope."""
        @functools.wraps(method)
        def wrapped(self, *args, **kwargs):
            with self.name_scope:
                return method(self, *args, **kwargs)
        return wrapped

    def __repr__(self):
        return f"<{type(self).__name__} name={self._name}>"


def _is_variable(x):
    from tensorlet.framework.variable import Variable

    return isinstance(x, Variable)


def _is_module(x):
    # Keras layers are modules too: recognised by their weight lists, so that
    # this file need not import Keras.
    return isinstance(x, Module) or hasattr(type(x), "trainable_weights") and hasattr(x, "_trainable_weights")


def _attrs(obj):
    if not isinstance(obj, Module):  # a Keras layer: its sublayers
        return list(getattr(obj, "_layers", []))
    return [obj.__dict__[k] for k in sorted(obj.__dict__) if k not in ("_scope",)]


def _leaves(values):
    out = []
    for v in values:
        if isinstance(v, dict):
            out.extend(_leaves([v[k] for k in sorted(v, key=str)]))
        elif isinstance(v, (list, tuple)):
            out.extend(_leaves(v))
        else:
            out.append(v)
    return out
