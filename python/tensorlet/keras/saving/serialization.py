"""Configs of Keras objects: what recreates a layer, optimizer, loss, metric,
initializer, regularizer or schedule, as JSON-ready data, and back.

Every such object remembers the arguments it was constructed with (captured
by ``Serializable.__new__``, as Keras 3 does), so its ``get_config`` is
complete without each class listing its arguments again. An object is
serialized as ``{"module", "class_name", "config", "registered_name"}`` (Keras
3's layout); classes are found again by name among tensorlet's own, the ones
given in ``custom_objects``, and those registered with
``register_keras_serializable``. Nothing is ever unpickled or evaluated.
"""

import inspect
import threading

import numpy as np

_REGISTERED = {}  # "package>name" -> class or function
_scope = threading.local()


class Serializable:
    """Mixin recording the constructor arguments of the outermost ``__init__``."""

    def __new__(cls, *args, **kwargs):
        obj = super().__new__(cls)
        signature = inspect.signature(cls.__init__)
        try:
            bound = signature.bind(None, *args, **kwargs)
        except TypeError:
            return obj  # __init__ raises the user-facing error itself
        bound.apply_defaults()
        config = {}
        for name, param in list(signature.parameters.items())[1:]:
            if param.kind == param.VAR_KEYWORD:
                config.update(bound.arguments.get(name, {}))
            elif param.kind != param.VAR_POSITIONAL:
                config[name] = bound.arguments[name]
        obj.__dict__["_init_config"] = config
        return obj

    def _constructor_config(self):
        """The constructor's arguments (defaults filled in), serialized."""
        return {k: serialize_keras_object(v) for k, v in self.__dict__.get("_init_config", {}).items()}

    def get_config(self):
        return self._constructor_config()

    @classmethod
    def from_config(cls, config):
        """Calls the constructor with the config; ``name`` and ``trainable`` that a
        subclass's constructor does not take are set on the new object instead."""
        params = inspect.signature(cls.__init__).parameters
        open_ended = any(p.kind == p.VAR_KEYWORD for p in params.values())
        args = {k: deserialize_nested(v) for k, v in config.items() if open_ended or k in params}
        rest = {k: v for k, v in config.items() if k not in args}
        unknown = sorted(set(rest) - {"name", "trainable", "dtype"})
        if unknown:
            raise TypeError(f"{cls.__name__}.from_config: the constructor takes no {unknown}; give the class a "
                            "get_config returning its constructor's arguments, or a from_config that reads them")
        obj = cls(**args)
        for key in ("name", "trainable"):
            if key in rest:
                setattr(obj, key, rest[key])
        return obj


def register_keras_serializable(package="Custom", name=None):
    """Registers a class or function so that saved models find it again by name.

    Args:
        package: a namespace for the name (``'Custom'`` by default).
        name: the name within ``package`` (the class's or function's own by default).

    Returns:
        A decorator that registers its argument and returns it unchanged.

    Raises:
        ValueError: if another object is already registered under that name.
    """
    def decorator(obj):
        key = f"{package}>{name or obj.__name__}"
        if key in _REGISTERED and _REGISTERED[key] is not obj:
            raise ValueError(f"register_keras_serializable: {key!r} is already registered to {_REGISTERED[key]!r}")
        _REGISTERED[key] = obj
        obj._registered_name = key
        return obj

    return decorator


def get_registered_name(obj):
    """The name ``obj`` is registered under (``'package>name'``), or its own name."""
    return obj.__dict__.get("_registered_name") if isinstance(obj, type) and "_registered_name" in obj.__dict__ \
        else getattr(obj, "_registered_name", None) or getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The class or function known as ``name``, or None."""
    for table in (custom_objects, *getattr(_scope, "stack", ()), _REGISTERED, module_objects):
        if table and name in table:
            return table[name]
    return None


class CustomObjectScope:
    """``with keras.saving.custom_object_scope({'MyLayer': MyLayer}):`` makes the names known while loading."""

    def __init__(self, *custom_objects):
        self.tables = [dict(t) for t in custom_objects if t]

    def __enter__(self):
        _scope.stack = getattr(_scope, "stack", []) + self.tables
        return self

    def __exit__(self, *exc):
        _scope.stack = _scope.stack[:len(_scope.stack) - len(self.tables)]


custom_object_scope = CustomObjectScope


_KINDS = ("activations", "metrics", "losses", "regularizers", "initializers", "schedules", "optimizers", "layers",
          "models")


def _builtin_objects(module=None):
    """Every public class and function of tensorlet's Keras modules, by name;
    those of the module named in ``module`` (``'keras.losses'``...) first."""
    import importlib

    kinds = sorted(_KINDS, key=lambda k: k not in (module or "").split("."))
    table = {}
    for kind in kinds:
        mod = importlib.import_module("tensorlet.keras.optimizers.schedules" if kind == "schedules"
                                      else f"tensorlet.keras.{kind}")
        for k, v in vars(mod).items():
            if not k.startswith("_") and (isinstance(v, type) or inspect.isfunction(v)):
                table.setdefault(k, v)
    table.setdefault("Functional", table["Model"])
    return table


def serialize_keras_object(obj):
    """JSON-ready data describing ``obj`` (primitives pass through).

    Raises:
        ValueError: for a function without a name (a lambda), which could only
            be restored by running code from the file.
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (np.generic, np.ndarray)):
        return obj.tolist()
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(v) for v in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if hasattr(obj, "as_numpy_dtype") and hasattr(obj, "name"):  # a DType
        return obj.name
    if isinstance(obj, type) or inspect.isfunction(obj) or inspect.isbuiltin(obj):
        name = getattr(obj, "__name__", "")
        if name == "<lambda>":
            raise ValueError("Cannot save a lambda function: loading it would mean running code from the file. "
                             "Define it with def, decorate it with @keras.saving.register_keras_serializable() "
                             "and pass it in custom_objects when loading.")
        if _builtin_objects(getattr(obj, "__module__", None)).get(name) is obj:
            return name
        return {"module": "builtins", "class_name": "function", "config": name,
                "registered_name": get_registered_name(obj)}
    if hasattr(obj, "get_config"):
        cls = type(obj)
        registered = cls.__dict__.get("_registered_name")
        return {"module": cls.__module__, "class_name": cls.__name__, "config": obj.get_config(),
                "registered_name": registered}
    raise TypeError(f"Cannot serialize {obj!r} of type {type(obj).__name__}: it has no get_config()")


def deserialize_keras_object(config, module_objects=None, custom_objects=None, printable_module_name="object"):
    """Recreates an object from ``serialize_keras_object``'s data (or a name).

    Raises:
        ValueError: if the class or function is unknown; the message says how
            to make it known (``custom_objects`` or ``register_keras_serializable``).
    """
    if config is None:
        return None
    if isinstance(config, str):
        found = get_registered_object(config, custom_objects, module_objects)
        return found if found is not None else config
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not deserialize {printable_module_name} from {config!r}")
    class_name, inner = config["class_name"], config.get("config")
    if class_name in ("DTypePolicy", "FloatDTypePolicy"):  # Keras 3 writes layer dtypes as policies
        return inner["name"]
    if class_name == "__tensor__":
        return np.asarray(inner["value"], dtype=inner.get("dtype"))
    if isinstance(inner, dict) and str(config.get("module", "")).split(".")[0] == "keras":
        inner = _without_keras_only_options(inner, class_name)
    if class_name == "function":
        names = [config.get("registered_name"), inner]
    else:
        names = [config.get("registered_name"), class_name]
    for name in names:
        if not name:
            continue
        found = get_registered_object(name, custom_objects, module_objects)
        if found is None and module_objects is None:
            found = _builtin_objects(config.get("module")).get(name)
        if found is not None:
            break
    else:
        what = inner if class_name == "function" else class_name
        raise ValueError(
            f"Unknown {printable_module_name}: {what!r}. If it is your own, pass it in custom_objects "
            f"(load_model(path, custom_objects={{{what!r}: {what}}})) or decorate it with "
            "@keras.saving.register_keras_serializable().")
    if class_name == "function":
        return found
    with CustomObjectScope(custom_objects):
        return found.from_config(inner if inner is not None else {})


# Options Keras 3 writes into configs that tensorlet's classes do not take, with
# the values that mean "not used"; any other value cannot be honoured.
_KERAS_ONLY = {"lora_rank": None, "lora_alpha": None, "quantization_config": None, "sparse": False, "ragged": False,
               "optional": False, "use_ema": False, "ema_momentum": None, "ema_overwrite_frequency": None,
               "loss_scale_factor": None, "gradient_accumulation_steps": None, "synchronized": False,
               "input_axes": None, "output_axes": None}


def _without_keras_only_options(config, class_name):
    out = {}
    for key, value in config.items():
        if key not in _KERAS_ONLY:
            out[key] = value
        elif value not in (_KERAS_ONLY[key], None) and key != "ema_momentum":
            raise ValueError(f"{class_name}: the Keras option {key}={value!r} is not supported by tensorlet")
    return out


def deserialize_nested(value):
    """A constructor argument from a config: nested objects are recreated, the rest kept."""
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        return deserialize_keras_object(value)
    return value
