"""Learning-rate schedules: callables of the step number.

Given a Python number they compute in Python; given the optimizer's step
Variable they compute with float64 ops, so a compiled training step reads
the schedule's current value on every call.
"""

import math

import tensorlet as tf

from tensorlet.keras.saving.serialization import Serializable


class LearningRateSchedule(Serializable):
    """Base class: ``schedule(step) -> learning rate``."""

    def __call__(self, step):
        raise NotImplementedError


class _StepDecay(LearningRateSchedule):
    """Shared by the decays driven by ``step / decay_steps`` (floored with ``staircase``)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        if decay_steps <= 0:
            raise ValueError(f"{type(self).__name__}: decay_steps must be positive, got {decay_steps}")
        self.initial_learning_rate, self.decay_steps = float(initial_learning_rate), decay_steps
        self.decay_rate, self.staircase = float(decay_rate), staircase

    def _progress(self, step):
        if isinstance(step, tf.Tensor):
            p = tf.cast(step, tf.float64) / float(self.decay_steps)
            return tf.floor(p) if self.staircase else p
        p = float(step) / self.decay_steps
        return math.floor(p) if self.staircase else p


class ExponentialDecay(_StepDecay):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (floored with ``staircase``)."""

    def __call__(self, step):
        p = self._progress(step)
        if isinstance(p, tf.Tensor):
            return self.initial_learning_rate * tf.pow(tf.constant(self.decay_rate, tf.float64), p)
        return self.initial_learning_rate * self.decay_rate ** p


class InverseTimeDecay(_StepDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``."""

    def __call__(self, step):
        return self.initial_learning_rate / (1.0 + self.decay_rate * self._progress(step))


def _float_step(step):
    """The step as a float, or as a float64 tensor (the optimizer's step Variable)."""
    return tf.cast(step, tf.float64) if isinstance(step, tf.Tensor) else float(step)


def _pick(cond, a, b):
    return tf.where(cond, a, b) if isinstance(cond, tf.Tensor) else (a if cond else b)


def _min(a, b):
    return tf.minimum(a, b) if isinstance(a, tf.Tensor) else min(a, b)


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` up to ``boundaries[0]`` (inclusive), ``values[1]`` up to
    ``boundaries[1]``, ..., ``values[-1]`` after the last boundary.

    Raises:
        ValueError: unless there is one more value than boundaries.
    """

    def __init__(self, boundaries, values, name=None):
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"PiecewiseConstantDecay: needs one more value than boundaries, got {len(boundaries)} "
                             f"boundaries and {len(values)} values")
        self.boundaries, self.values = list(boundaries), list(values)

    def __call__(self, step):
        s, lr = _float_step(step), float(self.values[-1])
        for b, v in zip(reversed(self.boundaries), reversed(self.values[:-1])):
            lr = _pick(s <= b, float(v), lr)
        return lr


class PolynomialDecay(LearningRateSchedule):
    """``(initial - end) * (1 - step / decay_steps) ** power + end``, the step
    held at ``decay_steps`` (or, with ``cycle``, ``decay_steps`` stretched to
    the next multiple above the step)."""

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False,
                 name=None):
        if decay_steps <= 0:
            raise ValueError(f"PolynomialDecay: decay_steps must be positive, got {decay_steps}")
        self.initial_learning_rate, self.decay_steps = float(initial_learning_rate), decay_steps
        self.end_learning_rate, self.power, self.cycle = float(end_learning_rate), float(power), cycle

    def __call__(self, step):
        s, steps = _float_step(step), float(self.decay_steps)
        if self.cycle:
            periods = tf.math.ceil(s / steps) if isinstance(s, tf.Tensor) else math.ceil(s / steps)
            steps = steps * _pick(s == 0, 1.0, periods)
        else:
            s = _min(s, steps)
        span = self.initial_learning_rate - self.end_learning_rate
        return span * (1.0 - s / steps) ** self.power + self.end_learning_rate


class CosineDecay(LearningRateSchedule):
    """A linear warm-up from ``initial_learning_rate`` to ``warmup_target``
    over ``warmup_steps`` (when a target is given), then a half cosine from
    there down to ``alpha`` times it over ``decay_steps``."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name=None, warmup_target=None,
                 warmup_steps=0):
        if decay_steps <= 0:
            raise ValueError(f"CosineDecay: decay_steps must be positive, got {decay_steps}")
        self.initial_learning_rate, self.decay_steps, self.alpha = float(initial_learning_rate), decay_steps, alpha
        self.warmup_target, self.warmup_steps = warmup_target, warmup_steps

    def __call__(self, step):
        s = _float_step(step)
        top = self.initial_learning_rate if self.warmup_target is None else float(self.warmup_target)
        warm = 0 if self.warmup_target is None else self.warmup_steps
        done = _min(s - warm, float(self.decay_steps))
        cos = tf.cos(done * (math.pi / self.decay_steps)) if isinstance(s, tf.Tensor) else \
            math.cos(max(done, 0.0) * math.pi / self.decay_steps)
        decayed = top * ((1.0 - self.alpha) * 0.5 * (1.0 + cos) + self.alpha)
        if not warm:
            return decayed
        rise = self.initial_learning_rate + (top - self.initial_learning_rate) * s / self.warmup_steps
        return _pick(s < self.warmup_steps, rise, decayed)
