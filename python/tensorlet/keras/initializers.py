"""Weight initializers, by name (``'glorot_uniform'``) or as objects.

Random initializers draw from ``tensorlet.random``, so ``tensorlet.random.set_seed``
makes them repeatable; ``seed=`` fixes one initializer's draws.
"""

import math

import tensorlet as tf
from tensorlet.keras import backend
from tensorlet.keras.saving.serialization import Serializable, deserialize_keras_object, serialize_keras_object


class Initializer(Serializable):
    """Base class: ``initializer(shape, dtype) -> Tensor``."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype=None):
        return tf.zeros(shape, dtype=dtype or backend.floatx())


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return tf.ones(shape, dtype=dtype or backend.floatx())


class Constant(Initializer):
    """Every element equal to ``value``."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return tf.fill(shape, tf.cast(self.value, dtype or backend.floatx()))



class _Random(Initializer):
    def __init__(self, seed=None):
        self.seed = seed

    def _seed(self):
        # A fixed seed gives the same draws on each call, as in Keras.
        return self.seed



class RandomUniform(_Random):
    """Uniform on [minval, maxval)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        return tf.random.uniform(shape, self.minval, self.maxval, dtype=dtype or backend.floatx(), seed=self._seed())



class RandomNormal(_Random):
    """Normal with the given mean and standard deviation."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        return tf.random.normal(shape, self.mean, self.stddev, dtype=dtype or backend.floatx(), seed=self._seed())



class TruncatedNormal(RandomNormal):
    """Normal, redrawn beyond two standard deviations."""

    def __call__(self, shape, dtype=None):
        return tf.random.truncated_normal(shape, self.mean, self.stddev, dtype=dtype or backend.floatx(),
                                          seed=self._seed())


def _fans(shape):
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class VarianceScaling(_Random):
    """Draws with variance ``scale / n`` where n is fan_in, fan_out or their mean."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = _fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        var = self.scale / max(1.0, n)
        dtype = dtype or backend.floatx()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * var)
            return tf.random.uniform(shape, -limit, limit, dtype=dtype, seed=self._seed())
        if self.distribution == "truncated_normal":
            # 0.8796... is the stddev of a unit normal truncated at two stddevs.
            std = math.sqrt(var) / 0.87962566103423978
            return tf.random.truncated_normal(shape, 0.0, std, dtype=dtype, seed=self._seed())
        return tf.random.normal(shape, 0.0, math.sqrt(var), dtype=dtype, seed=self._seed())



class GlorotUniform(VarianceScaling):
    """Uniform on ±sqrt(6 / (fan_in + fan_out)) (the default for Dense kernels)."""

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "uniform", seed)



class GlorotNormal(VarianceScaling):
    """Truncated normal with stddev sqrt(2 / (fan_in + fan_out))."""

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed)



class HeNormal(VarianceScaling):
    """Truncated normal with stddev sqrt(2 / fan_in)."""

    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "truncated_normal", seed)



class HeUniform(VarianceScaling):
    """Uniform on ±sqrt(6 / fan_in)."""

    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "uniform", seed)



_ALL = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "random_uniform": RandomUniform,
    "random_normal": RandomNormal, "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal, "he_normal": HeNormal,
    "he_uniform": HeUniform,
}
for _cls in set(_ALL.values()):
    _ALL[_cls.__name__.lower()] = _cls


def get(identifier):
    """An initializer from a name, a class, an instance or a callable(shape, dtype)."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _ALL.get(identifier.lower())
        if cls is None:
            raise ValueError(f"Unknown initializer {identifier!r}; valid names: "
                             f"{', '.join(sorted(k for k in _ALL if '_' in k or k in ('zeros', 'ones', 'constant')))}")
        return cls()
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret initializer {identifier!r}")


def serialize(init):
    """The config of an initializer (``{'class_name': ..., 'config': ...}``)."""
    return serialize_keras_object(init)


def deserialize(config, custom_objects=None):
    """An initializer from ``serialize``'s data or a name."""
    if isinstance(config, dict):
        return deserialize_keras_object(config, custom_objects=custom_objects, printable_module_name="initializer")
    return get(config)


# Keras's lower-case aliases.
zeros, ones, constant = Zeros, Ones, Constant
glorot_uniform, glorot_normal, he_normal, he_uniform = GlorotUniform, GlorotNormal, HeNormal, HeUniform
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
from tensorlet.keras.initializers_extra import (  # noqa: E402,F401  (orthogonal, identity, lecun_*)
    Identity, IdentityInitializer, LecunNormal, LecunUniform, Orthogonal, OrthogonalInitializer, identity,
    lecun_normal, lecun_uniform, orthogonal,
)
