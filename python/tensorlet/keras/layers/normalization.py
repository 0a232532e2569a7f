"""BatchNormalization."""

import tensorlet as tf
from tensorlet.keras import constraints, initializers, regularizers
from tensorlet.keras.layers.layer import Layer


class BatchNormalization(Layer):
    """Normalizes each channel to zero mean and unit variance, then scales by
    ``gamma`` and shifts by ``beta``.

    While training (``training=True``, as ``fit`` calls it, on a trainable
    layer) it uses the batch's mean and variance and moves the non-trainable
    ``moving_mean`` / ``moving_variance`` toward them:
    ``moving = moving * momentum + batch * (1 - momentum)``. Otherwise it
    normalizes with the moving statistics and changes nothing.

    Args:
        axis: the channel axis (-1; 1 for channels-first images).
        momentum: of the moving statistics.
        epsilon: added to the variance.
        center, scale: whether to learn ``beta`` / ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer,
            moving_variance_initializer, beta_regularizer, gamma_regularizer:
            for the weights.
    """

    supports_masking = True  # a mask on the input passes to the output

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 synchronized=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            if len(axis) != 1:
                raise ValueError(f"BatchNormalization: only one channel axis is supported, got {axis!r}")
            axis = axis[0]
        self.axis = int(axis)
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.center, self.scale = center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def build(self, input_shape):
        nd = len(input_shape)
        if not -nd <= self.axis < nd:
            raise ValueError(f"BatchNormalization '{self.name}': axis {self.axis} is out of range for inputs of "
                             f"shape {tuple(input_shape)}")
        self._axis = self.axis % nd
        c = input_shape[self._axis]
        if c is None:
            raise ValueError(f"BatchNormalization '{self.name}': the channel dim (axis {self.axis}) must be known, "
                             f"got {tuple(input_shape)}")
        self.gamma = self.add_weight((c,), self.gamma_initializer, name="gamma",
                                     regularizer=self.gamma_regularizer, constraint=self.gamma_constraint) \
            if self.scale else None
        self.beta = self.add_weight((c,), self.beta_initializer, name="beta", regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint) if self.center else None
        self.moving_mean = self.add_weight((c,), self.moving_mean_initializer, name="moving_mean", trainable=False)
        self.moving_variance = self.add_weight((c,), self.moving_variance_initializer, name="moving_variance",
                                               trainable=False)

    def call(self, inputs, training=None):
        c = self.moving_mean.shape[0]
        shape = [c if d == self._axis else 1 for d in range(inputs.ndim)]
        bc = (lambda v: v) if self._axis == inputs.ndim - 1 else (lambda v: tf.reshape(v, shape))  # noqa: E731
        gamma = None if self.gamma is None else bc(self.gamma)
        beta = None if self.beta is None else bc(self.beta)
        if training and self.trainable:
            y, mean, var = tf.nn.batch_norm_training(inputs, self.gamma, self.beta, self.epsilon, self._axis)
            # Updated after the output exists: a failed call changes nothing.
            m = self.momentum
            self.moving_mean.assign(self.moving_mean * m + tf.stop_gradient(mean) * (1.0 - m))
            self.moving_variance.assign(self.moving_variance * m + tf.stop_gradient(var) * (1.0 - m))
            return y
        return tf.nn.batch_normalization(inputs, bc(self.moving_mean), bc(self.moving_variance), beta, gamma,
                                         self.epsilon)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)
