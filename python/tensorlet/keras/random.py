"""``keras.random``: random tensors with Keras 3's names, and SeedGenerator.

``seed`` may be None (the global stream: ``keras.utils.set_random_seed``
repeats it), an int (the same draws on every call, as in Keras) or a
:class:`SeedGenerator` (a fresh, repeatable draw on each call).
"""

import tensorlet as tf
from tensorlet.keras import backend


class SeedGenerator:
    """A repeatable source of seeds: each draw using it advances its state.

    Args:
        seed: the initial seed (an int); None draws one from the global stream.
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if seed is None:
            seed = int(tf.random.uniform((), 0, 2 ** 31 - 1, dtype="int64"))
        if not isinstance(seed, int):
            raise ValueError(f"SeedGenerator: seed must be an int or None, got {seed!r}")
        self.initial_seed = seed
        self.state = tf.Variable([seed, 0], dtype="int64", trainable=False, name=name or "seed_generator_state")

    def next(self):
        """The current seed pair; advances the state."""
        pair = self.state.numpy().tolist()
        self.state.assign_add([0, 1])
        return pair

    def __repr__(self):
        return f"<SeedGenerator initial_seed={self.initial_seed}>"


def _draw(stateless, stateful, shape, seed, **kw):
    if isinstance(seed, SeedGenerator):
        return stateless(shape, seed=seed.next(), **kw)
    if isinstance(seed, int):
        return stateless(shape, seed=[seed, 0], **kw)
    if seed is not None:
        raise ValueError(f"keras.random: seed must be None, an int or a SeedGenerator, got {seed!r}")
    return stateful(shape, **kw)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal draws of ``shape``."""
    return _draw(tf.random.stateless_normal, tf.random.normal, shape, seed, mean=mean, stddev=stddev,
                 dtype=dtype or backend.floatx())


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal draws of ``shape``, redrawn beyond two standard deviations."""
    return _draw(tf.random.stateless_truncated_normal, tf.random.truncated_normal, shape, seed, mean=mean,
                 stddev=stddev, dtype=dtype or backend.floatx())


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Uniform draws on ``[minval, maxval)``."""
    return _draw(tf.random.stateless_uniform, tf.random.uniform, shape, seed, minval=minval, maxval=maxval,
                 dtype=dtype or backend.floatx())


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers drawn uniformly from ``[minval, maxval)``."""
    return _draw(tf.random.stateless_uniform, tf.random.uniform, shape, seed, minval=minval, maxval=maxval,
                 dtype=dtype)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zeroes a fraction ``rate`` of ``inputs`` and scales the rest by ``1 / (1 - rate)``."""
    inputs = tf.convert_to_tensor(inputs)
    if not 0 <= rate < 1:
        raise ValueError(f"keras.random.dropout: rate must be in [0, 1), got {rate}")
    shape = list(inputs.shape) if noise_shape is None else [inputs.shape[i] if d is None else d
                                                            for i, d in enumerate(noise_shape)]
    keep = uniform(shape, dtype=inputs.dtype, seed=seed) >= rate
    return inputs * (tf.cast(keep, inputs.dtype) * (1.0 / (1.0 - rate)))


def shuffle(x, axis=0, seed=None):
    """``x`` with its slices along ``axis`` in random order."""
    x = tf.convert_to_tensor(x)
    order = tf.argsort(uniform([x.shape[axis]], seed=seed))
    return tf.gather(x, order, axis=axis)


def categorical(logits, num_samples, dtype="int32", seed=None):
    """``num_samples`` class ids per row of ``logits`` (unnormalised log-probabilities)."""
    logits = tf.convert_to_tensor(logits)
    u = uniform([logits.shape[0], num_samples, logits.shape[1]], minval=1e-12, maxval=1.0, dtype=logits.dtype,
                seed=seed)
    gumbel = -tf.math.log(-tf.math.log(u))  # argmax of logits + Gumbel noise samples the softmax
    return tf.cast(tf.argmax(tf.expand_dims(logits, 1) + gumbel, axis=-1), dtype)
