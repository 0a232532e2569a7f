"""Optimizers with Keras's defaults: SGD, RMSprop, Adam, AdamW, Adamax, Nadam, Adagrad.

``apply_gradients(zip(grads, variables))`` builds each optimizer's slots
(momentum, moments...) on first use, then runs its ``update_step`` per
variable. The built-in ones make one fused call each
(``tf.raw_ops.apply_adam`` and friends), which updates the variable and its slots in
place in a single pass; a subclass may write its own ``update_step`` with
``assign``/``assign_sub`` instead.

The step count (``iterations``) and a constant learning rate live in
Variables updated by ops, as in Keras, so a step compiled by
``tensorlet.function`` reads their current values on every call.
"""


import tensorlet as tf
from tensorlet.framework.convert import short_repr as _short
from tensorlet.framework.interrupts import deferred_interrupts
from tensorlet.framework.tensor import tracers
from tensorlet.keras.optimizers import schedules
from tensorlet.keras.optimizers.schedules import LearningRateSchedule
from tensorlet.keras.saving.serialization import Serializable, serialize_keras_object


def _folds_weight_decay(update_step):
    """Marks an ``update_step`` that applies ``weight_decay`` itself, inside
    its fused kernel; for any other the base class applies it first."""
    update_step.folds_weight_decay = True
    return update_step


class Optimizer(Serializable):
    """Base class. Subclasses define ``build(variables)`` and ``update_step(grad, var, lr)``.

    Args:
        learning_rate: a float or a ``LearningRateSchedule``.
        weight_decay: if set, decoupled weight decay: each variable is
            scaled by ``1 - learning_rate * weight_decay`` before its update.
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to [-clipvalue, clipvalue].
        global_clipnorm: clip all gradients together to this global L2 norm.
        name: the optimizer's name.
    """

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name=None, **kwargs):
        self._iterations = tf.Variable(0, dtype=tf.int64, trainable=False, name="iteration")
        self._lr = tf.Variable(0.0, dtype=tf.float64, trainable=False, name="learning_rate")
        self.learning_rate = learning_rate
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.weight_decay = weight_decay
        self.name = name or type(self).__name__.lower()
        # variable -> tuple of slot variables, in the order the variables were
        # built (tensors hash by identity, and the key keeps the variable alive).
        self._slots = {}
        self.built = False

    # The learning rate reads as a float (a schedule's value at the current
    # step) and may be set to a float at any time (LearningRateScheduler does).
    @property
    def learning_rate(self):
        lr = self._learning_rate
        return lr(int(self._iterations)) if isinstance(lr, LearningRateSchedule) else lr

    @learning_rate.setter
    def learning_rate(self, value):
        if not isinstance(value, LearningRateSchedule) and not callable(value):
            value = float(value)
            self._lr.assign(value)
        self._learning_rate = value

    @property
    def iterations(self):
        """The number of updates applied so far: an int64 Variable."""
        return self._iterations

    @iterations.setter
    def iterations(self, value):
        self._iterations.assign(int(value))

    def _current_lr(self):
        """The learning rate for this step: the Variable holding a constant
        one (so a compiled step reads its current value), or a schedule's
        value at the current step."""
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule) or callable(lr):
            return lr(self._iterations) if isinstance(lr, LearningRateSchedule) else lr()
        return self._lr

    lr = learning_rate

    def build(self, variables):
        """Creates the slot variables for ``variables``; override in subclasses."""
        self.built = True

    def add_variable_from_reference(self, variable, name, initial_value=0.0):
        """A zero (or ``initial_value``) variable shaped like ``variable``."""
        base = variable.name.split(":")[0]
        return tf.Variable(tf.fill(tuple(variable.shape), tf.cast(initial_value, variable.dtype)),
                           trainable=False, name=f"{base}/{name}")

    def update_step(self, gradient, variable, learning_rate):
        """Updates ``variable`` in place from ``gradient`` (already of its dtype)."""
        raise NotImplementedError

    def _folded_decay(self):
        """The weight decay a fused ``update_step`` applies itself: None when
        a subclass overrides it (the base class then applied the decay)."""
        return self.weight_decay if getattr(type(self).update_step, "folds_weight_decay", False) else None

    def apply_gradients(self, grads_and_vars):
        """Applies one update to each variable from its gradient.

        Args:
            grads_and_vars: pairs (gradient, variable), e.g. ``zip(grads, model.trainable_weights)``.

        Returns:
            The iteration count after the update.

        Raises:
            ValueError: if a gradient is None (the variable named).
            InvalidArgumentError: if a gradient's shape differs from its
                variable's. No variable changes in either case.
        """
        grads, variables = [], []
        for g, v in grads_and_vars:
            if g is None:
                raise ValueError(
                    f"No gradient provided for variable '{v.name}' (shape {tuple(v.shape)}): it does not "
                    "influence the loss. Check that the loss is computed from the model's output inside the "
                    "GradientTape, or leave the variable out (trainable=False).")
            if not isinstance(v, tf.Variable):
                raise TypeError(f"apply_gradients: expected a tf.Variable to update, got {type(v).__name__} "
                                f"{_short(v)}; no variable was changed")
            if not v.dtype.is_floating:
                raise TypeError(f"apply_gradients: variable '{v.name}' has dtype {v.dtype.name}; only floating "
                                "variables can be trained; no variable was changed")
            if not isinstance(g, tf.Tensor):
                g = tf.convert_to_tensor(g, dtype=v.dtype)
            if not (g.dtype.is_floating or g.dtype.is_integer):
                raise TypeError(f"apply_gradients: gradient of '{v.name}' has dtype {g.dtype.name}; no variable "
                                "was changed")
            if g.shape != v.shape:  # checked up front so a bad pair changes no variable
                raise tf.errors.InvalidArgumentError(
                    f"apply_gradients: gradient of shape {tuple(g.shape)} does not match variable '{v.name}' of "
                    f"shape {tuple(v.shape)}")
            grads.append(g)
            variables.append(v)
        if not variables:
            return self._iterations
        grads = self._clip(grads)
        missing = [v for v in variables if v not in self._slots]
        if missing:
            self.build(missing)
            if "_deferred_restore" in self.__dict__:  # a checkpoint restored before the slots existed
                self.__dict__.pop("_deferred_restore")()
        lr = self._current_lr()
        fused = getattr(type(self).update_step, "folds_weight_decay", False)
        if tracers:  # the 1-based step the updates are for: a tensor in a trace, read each run
            self._step = self._iterations + 1
        else:  # eager: the step's scalars read once, not once per variable
            self._step = int(self._iterations) + 1
            lr = float(lr) if isinstance(lr, tf.Tensor) and lr.shape.rank == 0 else lr
        self._begin_step()
        with deferred_interrupts():  # Ctrl-C lands after every variable has its update, not between two
            for g, v in zip(grads, variables):
                if g.dtype != v.dtype:
                    g = tf.cast(g, v.dtype)
                tensor_lr = isinstance(lr, tf.Tensor)
                if self.weight_decay and not fused:
                    decay = tf.cast(lr * self.weight_decay, v.dtype) if tensor_lr else lr * self.weight_decay
                    v.assign_sub(v * decay)
                self.update_step(g, v, lr if fused or not tensor_lr else tf.cast(lr, v.dtype))
                if getattr(v, "constraint", None) is not None:  # kernel_constraint=...: project after the step
                    v.assign(v.constraint(v))
            self._iterations.assign_add(1)
        return self._iterations

    def _begin_step(self):
        """Updates state shared by all variables, once per step (before their updates)."""

    def _power(self, base, dtype, ahead=0):
        """``base ** (step + ahead)`` for this step, as ``dtype``."""
        if isinstance(self._step, tf.Tensor):
            return tf.pow(tf.constant(base, dtype), tf.cast(self._step + ahead, dtype))
        return base ** (self._step + ahead)

    def apply(self, grads, trainable_variables):
        return self.apply_gradients(zip(grads, trainable_variables))

    def minimize(self, loss, var_list, tape=None):
        """Computes gradients of ``loss`` (a tensor with ``tape``, or a callable) and applies them."""
        if tape is None:
            with tf.GradientTape() as tape:
                value = loss()
        else:
            value = loss
        self.apply_gradients(zip(tape.gradient(value, var_list), var_list))

    def _clip(self, grads):
        if self.clipvalue is not None:
            grads = [tf.clip_by_value(g, -self.clipvalue, self.clipvalue) for g in grads]
        if self.clipnorm is not None:
            grads = [_clip_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm is not None:  # branch-free, so a compiled step can run it
            total = tf.sqrt(tf.add_n([tf.reduce_sum(tf.square(g)) for g in grads]))
            scale = self.global_clipnorm / tf.maximum(total, self.global_clipnorm)
            grads = [g * tf.cast(scale, g.dtype) for g in grads]
        return grads

    @property
    def variables(self):
        return [s for slots in self._slots.values() for s in slots]

    def __repr__(self):
        lr = self._learning_rate
        return f"<{type(self).__name__} name={self.name}, learning_rate={lr if callable(lr) else float(lr):g}>"

    def get_config(self):
        """The constructor arguments, with the current learning rate (or its schedule)."""
        return {**self._constructor_config(), "name": self.name,
                "learning_rate": serialize_keras_object(self._learning_rate)}


def _clip_norm(g, clipnorm):
    norm = tf.sqrt(tf.reduce_sum(tf.square(g)))
    return g * (clipnorm / tf.maximum(norm, clipnorm))


class SGD(Optimizer):
    """Gradient descent, optionally with (Nesterov) momentum.

    ``m = momentum * m - lr * g``; ``w += m`` (or ``w += momentum * m - lr * g``
    with ``nesterov``); plain ``w -= lr * g`` without momentum.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        if not 0 <= momentum <= 1:
            raise ValueError(f"SGD: momentum must be in [0, 1], got {momentum}")
        self.momentum, self.nesterov = float(momentum), nesterov

    def build(self, variables):
        for v in variables:
            self._slots[v] = (self.add_variable_from_reference(v, "momentum"),) if self.momentum else ()
        self.built = True

    @_folds_weight_decay
    def update_step(self, g, v, lr):
        slots = self._slots[v]
        tf.raw_ops.apply_sgd(v, g, lr, self.momentum, self.nesterov, slots[0] if slots else None,
                               self._folded_decay())


class RMSprop(Optimizer):
    """Divides the gradient by a running RMS of recent gradients.

    ``s = rho * s + (1 - rho) * g**2``; ``w -= lr * g / sqrt(s + epsilon)``
    (with ``centered``, the running mean of g squared is subtracted from s).
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 name="rmsprop", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = float(rho), float(momentum), float(epsilon), centered

    def build(self, variables):
        for v in variables:
            slots = [self.add_variable_from_reference(v, "velocity")]
            slots.append(self.add_variable_from_reference(v, "momentum") if self.momentum else None)
            slots.append(self.add_variable_from_reference(v, "average_gradient") if self.centered else None)
            self._slots[v] = tuple(slots)
        self.built = True

    @_folds_weight_decay
    def update_step(self, g, v, lr):
        s, mom, avg = self._slots[v]
        tf.raw_ops.apply_rmsprop(v, s, g, lr, self.rho, self.epsilon, self.momentum, mom, avg,
                                   self._folded_decay())

    @property
    def variables(self):
        return [s for slots in self._slots.values() for s in slots if s is not None]


class Adam(Optimizer):
    """Adam: bias-corrected running moments of the gradient and its square.

    ``m += (g - m) * (1 - beta_1)``; ``v += (g**2 - v) * (1 - beta_2)``;
    ``w -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)``.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, name="adam",
                 **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = float(beta_1), float(beta_2), float(epsilon), amsgrad

    def build(self, variables):
        for v in variables:
            slots = (self.add_variable_from_reference(v, "m"), self.add_variable_from_reference(v, "v"))
            if self.amsgrad:
                slots += (self.add_variable_from_reference(v, "v_hat"),)
            self._slots[v] = slots
        self.built = True

    @_folds_weight_decay
    def update_step(self, g, var, lr):
        slots = self._slots[var]
        tf.raw_ops.apply_adam(var, slots[0], slots[1], g, lr, self.beta_1, self.beta_2, self.epsilon,
                                self._step, slots[2] if self.amsgrad else None, self._folded_decay())


class AdamW(Adam):
    """Adam with decoupled weight decay (``weight_decay`` 0.004 by default):
    each variable shrinks by ``lr * weight_decay`` times itself per step."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name="adamw", **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, name, weight_decay=weight_decay, **kwargs)


class Adamax(Adam):
    """Adam with the infinity norm: ``u = max(beta_2 * u, |g|)``,
    ``w -= lr * m / ((1 - beta_1**t) * (u + epsilon))``."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="adamax", **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name=name, **kwargs)

    def build(self, variables):
        for v in variables:
            self._slots[v] = (self.add_variable_from_reference(v, "m"), self.add_variable_from_reference(v, "u"))
        self.built = True

    def update_step(self, g, var, lr):
        m, u = self._slots[var]
        m.assign_add((g - m) * (1 - self.beta_1))
        u.assign(tf.maximum(u * self.beta_2, tf.abs(g)))
        var.assign_sub(lr * m / ((1 - self._power(self.beta_1, var.dtype)) * (u + self.epsilon)))


class Nadam(Adam):
    """Adam with Nesterov momentum, its momentum warmed up by ``0.96 ** t``
    (Dozat's schedule, as Keras)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="nadam", **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name=name, **kwargs)
        self._u_product = tf.Variable(1.0, trainable=False, name="u_product")

    def _mu(self, ahead, dtype):
        return self.beta_1 * (1.0 - 0.5 * self._power(0.96, dtype, ahead))

    def _begin_step(self):
        self._u_product.assign(self._u_product * self._mu(0, tf.float32))

    def update_step(self, g, var, lr):
        m, v = self._slots[var][:2]
        u_t, u_next = self._mu(0, var.dtype), self._mu(1, var.dtype)
        product = tf.cast(self._u_product, var.dtype)
        m.assign_add((g - m) * (1 - self.beta_1))
        v.assign_add((tf.square(g) - v) * (1 - self.beta_2))
        m_hat = u_next * m / (1 - product * u_next) + (1 - u_t) * g / (1 - product)
        v_hat = v / (1 - self._power(self.beta_2, var.dtype))
        var.assign_sub(m_hat * lr / (tf.sqrt(v_hat) + self.epsilon))

    @property
    def variables(self):
        return [self._u_product] + super().variables


class Adagrad(Optimizer):
    """Scales each step by the root of the sum of all past squared gradients.

    ``a += g**2``; ``w -= lr * g / sqrt(a + epsilon)``.
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, name="adagrad",
                 **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.initial_accumulator_value, self.epsilon = float(initial_accumulator_value), float(epsilon)

    def build(self, variables):
        for v in variables:
            self._slots[v] = (self.add_variable_from_reference(v, "accumulator",
                                                                   self.initial_accumulator_value),)
        self.built = True

    @_folds_weight_decay
    def update_step(self, g, v, lr):
        (acc,) = self._slots[v]
        tf.raw_ops.apply_adagrad(v, acc, g, lr, self.epsilon, self._folded_decay())


_BY_NAME = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW, "adamax": Adamax, "nadam": Nadam,
            "adagrad": Adagrad}


def get(identifier):
    """An optimizer from a name (case-insensitive), a class or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(f"Unknown optimizer {identifier!r}; valid names: {', '.join(sorted(_BY_NAME))}")
        return cls()
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    raise TypeError(f"Could not interpret optimizer {identifier!r}")
