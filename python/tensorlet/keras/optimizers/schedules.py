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
