"""Random numbers with TensorFlow's seed semantics, on the counter-based
Philox generator of ``_core`` (the same stream on every thread count and
device).

Each random op draws a (key, counter) pair from the one :data:`seed_state`:

* no global and no op seed: a key from operating-system entropy, so results
  differ between runs;
* a global seed (``set_seed``) and no op seed: ops are numbered in call order
  from the last ``set_seed``, so the same program gives the same numbers;
* an op seed: the key combines it with the global seed (TensorFlow's default
  global seed when none is set), and the counter counts the calls with that
  pair, so repeated calls differ but restart after ``set_seed``.

Keras initializers draw through the same functions and state.
"""

import os

import numpy as np

from tensorlet import _core
from tensorlet.framework import dtypes as _dtypes
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.tensor import Tensor
from tensorlet.ops import _helpers as h
from tensorlet.ops.creation_ops import _dims
from tensorlet.ops.elementwise import add, multiply, subtract
from tensorlet.ops.gather_ops import gather
from tensorlet.ops.registry import apply, register

_MASK = (1 << 64) - 1
_DEFAULT_GLOBAL_SEED = 87654321  # TensorFlow's, used when only an op seed is given
_AUTO = 0x5EED5EED  # marks keys of ops numbered in call order (no op seed)


def _mix(*values):
    """A 64-bit hash of integers (splitmix64 finalisation over each value)."""
    x = 0x9E3779B97F4A7C15
    for v in values:
        x = (x ^ (int(v) & _MASK)) & _MASK
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
        x ^= x >> 31
    return x


class SeedState:
    """The global seed and the per-op counters derived from it.

    Attributes:
        global_seed: the seed given to ``set_seed``, or None.
    """

    def __init__(self):
        self.global_seed = None
        self._entropy = int.from_bytes(os.urandom(8), "little")
        self._calls = {}
        self._next_op = 0

    def set_seed(self, seed):
        """Sets (or with None clears) the global seed and restarts every counter."""
        self.global_seed = None if seed is None else int(seed)
        self._calls.clear()
        self._next_op = 0

    def next(self, op_seed=None):
        """The (key, counter) pair for the next random op with ``op_seed``."""
        if op_seed is None:
            self._next_op += 1
            if self.global_seed is None:
                return _mix(self._entropy, self._next_op), 0
            return _mix(self.global_seed, _AUTO, self._next_op), 0
        g = _DEFAULT_GLOBAL_SEED if self.global_seed is None else self.global_seed
        pair = (g, int(op_seed))
        n = self._calls.get(pair, 0)
        self._calls[pair] = n + 1
        return _mix(*pair), n


seed_state = SeedState()


# ---- the draws: stateful ops consuming a (key, counter) pair ----------------------
# Attributes: (dims, low or mean, high or stddev, dtype, key, counter).

def _draws(lo, hi, dtypes):
    def samples(rng, dt):
        key = int(rng.integers(0, 2**62))
        return [((), (dims, lo, hi, getattr(_dtypes, dt).core, key, c)) for dims in ([3, 4], [0], [1001])
                for c in (0, 7)]
    return samples


def _seeded(name, lo, hi, dtypes=("float32", "float64")):
    return register(name, getattr(_core, name), seeded=True, shape=lambda shapes, attrs: tuple(attrs[0]),
                    dtype=lambda dts, attrs: _dtypes.from_core(attrs[3]), samples=_draws(lo, hi, dtypes), dtypes=dtypes)


_random_uniform = _seeded("random_uniform", -1.0, 3.0)
_random_uniform_int = _seeded("random_uniform_int", -5, 9, ("int32", "int64"))
_random_normal = _seeded("random_normal", 1.0, 2.0)
_truncated_normal = _seeded("truncated_normal", 1.0, 2.0)


def set_seed(seed):
    """Sets the global random seed.

    After ``set_seed(s)`` the same sequence of random ops gives the same
    numbers; ops given their own ``seed`` combine it with ``s``.

    Args:
        seed: an int, or None to go back to nondeterministic numbers.
    """
    seed_state.set_seed(seed)


def _as_scalar(v):
    """A Python number for a scalar argument, or None for a non-scalar one."""
    a = np.asarray(v.numpy() if isinstance(v, Tensor) else v)
    return a.item() if a.ndim == 0 else None


def _affine(base, scale, shift):
    """``base * scale + shift`` for non-scalar scale/shift, with broadcasting."""
    return add(multiply(base, scale), shift)


def uniform(shape, minval=0, maxval=None, dtype=_dtypes.float32, seed=None, name=None):
    """Uniform random values in ``[minval, maxval)``.

    Args:
        shape: the output shape.
        minval: the lower bound (inclusive).
        maxval: the upper bound (exclusive); default 1 for floats, required for integers.
        dtype: float32, float64, int32 or int64.
        seed: an op seed (see :func:`set_seed`).
        name: ignored.

    Returns:
        A tensor of ``shape``.

    Raises:
        ValueError: if ``dtype`` is an integer type and ``maxval`` is not given.
        InvalidArgumentError: if ``minval >= maxval`` for integers.
    """
    dtype = _dtypes.as_dtype(dtype)
    dims = _dims(shape, "random.uniform")
    if dtype.is_integer:
        if maxval is None:
            raise ValueError(f"random.uniform: maxval must be given for integer dtype {dtype.name}")
        lo, hi = _as_scalar(minval), _as_scalar(maxval)
        if lo is None or hi is None:
            raise InvalidArgumentError("random.uniform: integer minval and maxval must be scalars")
        info = np.iinfo(dtype.as_numpy_dtype)
        if not (isinstance(lo, int) and isinstance(hi, int) and info.min <= lo and hi <= info.max):
            raise InvalidArgumentError(f"random.uniform: minval {lo!r} and maxval {hi!r} must be integers in the "
                                       f"{dtype.name} range [{info.min}, {info.max}]")
        key, counter = seed_state.next(seed)
        return apply(_random_uniform_int, (), dims, int(lo), int(hi), dtype.core, key, counter)
    if not dtype.is_floating:
        raise TypeError(f"random.uniform: dtype must be floating or integer, got {dtype.name}")
    maxval = 1 if maxval is None else maxval
    lo, hi = _as_scalar(minval), _as_scalar(maxval)
    key, counter = seed_state.next(seed)
    if lo is None or hi is None:
        base = apply(_random_uniform, (), dims, 0.0, 1.0, dtype.core, key, counter)
        lo_t = minval if isinstance(minval, Tensor) else h.convert_like(minval, base)
        hi_t = maxval if isinstance(maxval, Tensor) else h.convert_like(maxval, base)
        return _affine(base, subtract(hi_t, lo_t), lo_t)
    return apply(_random_uniform, (), dims, float(lo), float(hi), dtype.core, key, counter)


def _normal_like(kernel, op, shape, mean, stddev, dtype, seed):
    dtype = _dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise TypeError(f"{op}: dtype must be float32 or float64, got {dtype.name}")
    dims = _dims(shape, op)
    m, s = _as_scalar(mean), _as_scalar(stddev)
    key, counter = seed_state.next(seed)
    if m is None or s is None:
        return _affine(apply(kernel, (), dims, 0.0, 1.0, dtype.core, key, counter), stddev, mean)
    return apply(kernel, (), dims, float(m), float(s), dtype.core, key, counter)


def normal(shape, mean=0.0, stddev=1.0, dtype=_dtypes.float32, seed=None, name=None):
    """Normally distributed random values.

    Args:
        shape: the output shape.
        mean: the mean.
        stddev: the standard deviation.
        dtype: float32 or float64.
        seed: an op seed (see :func:`set_seed`).
        name: ignored.

    Returns:
        A tensor of ``shape``.
    """
    return _normal_like(_random_normal, "random.normal", shape, mean, stddev, dtype, seed)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=_dtypes.float32, seed=None, name=None):
    """Normal random values redrawn until within two standard deviations of the mean.

    Args:
        shape: the output shape.
        mean: the mean of the untruncated distribution.
        stddev: its standard deviation.
        dtype: float32 or float64.
        seed: an op seed (see :func:`set_seed`).
        name: ignored.

    Returns:
        A tensor of ``shape`` with values in ``[mean - 2 stddev, mean + 2 stddev]``.
    """
    return _normal_like(_truncated_normal, "random.truncated_normal", shape, mean, stddev, dtype, seed)


def shuffle(value, seed=None, name=None):
    """Randomly permutes ``value`` along its first dimension.

    Args:
        value: a tensor of rank at least 1.
        seed: an op seed (see :func:`set_seed`).
        name: ignored.

    Returns:
        A tensor of the same shape and dtype.

    Raises:
        InvalidArgumentError: if ``value`` is a scalar.
    """
    value = h.to_tensor(value)
    if value.ndim == 0:
        raise InvalidArgumentError("random.shuffle: value must have rank at least 1, got a scalar")
    n = value._a.shape[0]
    key, counter = seed_state.next(seed)
    # Sorting random 64-bit keys gives a uniform permutation (ties have
    # probability ~n^2 / 2^64).
    keys = apply(_random_uniform_int, (), [n], -(2**63), 2**63 - 1, _dtypes.int64.core, key, counter).numpy()
    perm = np.argsort(keys, kind="stable").astype(np.int64)
    return gather(value, Tensor._from_array(_core.from_numpy(perm)))


def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """Draws class indices from the categorical distributions ``softmax(logits)``.

    Args:
        logits: ``(batch, classes)`` unnormalized log-probabilities.
        num_samples: draws per row.
        dtype: int32 or int64 (the default).
        seed: an op seed (see :func:`set_seed`).
        name: ignored.

    Returns:
        ``(batch, num_samples)`` class indices.

    Raises:
        InvalidArgumentError: unless ``logits`` is 2-D with at least one class.
    """
    from tensorlet.ops.elementwise import log, negative
    from tensorlet.ops.reductions import argmax
    from tensorlet.ops.view_ops import cast
    logits = h.to_tensor(logits)
    if logits.ndim != 2 or logits.shape[1] == 0:
        raise InvalidArgumentError(f"random.categorical: logits must be (batch, classes), got shape "
                                   f"{tuple(logits.shape)}")
    dt = logits.dtype if logits.dtype.is_floating else _dtypes.float32
    # Gumbel-max: the argmax of logits plus Gumbel noise is distributed as softmax(logits).
    u = uniform((logits.shape[0], int(num_samples), logits.shape[1]), np.finfo(dt.as_numpy_dtype).tiny, 1.0, dt,
                seed)
    scores = add(cast(logits, dt)[:, None, :], negative(log(negative(log(u)))))
    return argmax(scores, -1, output_type=_dtypes.as_dtype(dtype or _dtypes.int64))


# ---- stateless variants: the numbers are a function of ``seed`` alone ---------

def _stateless_key(seed, op):
    s = seed.numpy().tolist() if isinstance(seed, Tensor) else list(np.asarray(seed).reshape(-1).tolist())
    if len(s) != 2:
        raise InvalidArgumentError(f"{op}: seed must be a pair of ints, got {seed!r}")
    return _mix(0x57A7E1E55, int(s[0]), int(s[1])), 0


def stateless_uniform(shape, seed, minval=0, maxval=None, dtype=_dtypes.float32, name=None):
    """Like :func:`uniform`, but the same ``seed`` (a pair of ints) always gives the same numbers.

    Raises:
        InvalidArgumentError: if ``seed`` is not a pair of ints.
    """
    dtype = _dtypes.as_dtype(dtype)
    dims = _dims(shape, "random.stateless_uniform")
    key, counter = _stateless_key(seed, "random.stateless_uniform")
    if dtype.is_integer:
        if maxval is None:
            raise ValueError(f"random.stateless_uniform: maxval must be given for integer dtype {dtype.name}")
        return apply(_random_uniform_int, (), dims, int(minval), int(maxval), dtype.core, key, counter)
    maxval = 1 if maxval is None else maxval
    return apply(_random_uniform, (), dims, float(minval), float(maxval), dtype.core, key, counter)


def stateless_normal(shape, seed, mean=0.0, stddev=1.0, dtype=_dtypes.float32, name=None):
    """Like :func:`normal`, but the same ``seed`` (a pair of ints) always gives the same numbers."""
    key, counter = _stateless_key(seed, "random.stateless_normal")
    dims = _dims(shape, "random.stateless_normal")
    return apply(_random_normal, (), dims, float(mean), float(stddev), _dtypes.as_dtype(dtype).core, key,
                 counter)


def stateless_truncated_normal(shape, seed, mean=0.0, stddev=1.0, dtype=_dtypes.float32, name=None):
    """Like :func:`truncated_normal`, but the same ``seed`` (a pair of ints) always gives the same numbers."""
    key, counter = _stateless_key(seed, "random.stateless_truncated_normal")
    dims = _dims(shape, "random.stateless_truncated_normal")
    return apply(_truncated_normal, (), dims, float(mean), float(stddev), _dtypes.as_dtype(dtype).core, key,
                 counter)
