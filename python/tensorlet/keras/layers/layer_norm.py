"""LayerNormalization: normalise each sample over its feature axes."""

import tensorlet as tf
from tensorlet.keras import constraints, initializers, regularizers
from tensorlet.keras.layers.layer import Layer


class LayerNormalization(Layer):
    """``gamma * (x - mean) / sqrt(var + epsilon) + beta``, the moments taken per sample over ``axis``.

    Args:
        axis: the axis or axes to normalise over (the last by default).
        epsilon: added to the variance.
        center: whether to add the learned offset ``beta``.
        scale: whether to multiply by the learned ``gamma``.
        rms_scaling: divide by the root mean square instead (no centering).
        beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer:
            as for any weight.

    """

    supports_masking = True  # a mask on the input passes to the output

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.axis = axis if isinstance(axis, int) else tuple(axis)
        self.epsilon, self.center, self.scale, self.rms_scaling = float(epsilon), center, scale, rms_scaling
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def build(self, input_shape):
        n = len(input_shape)
        axes = [self.axis] if isinstance(self.axis, int) else list(self.axis)
        self._axes = sorted(a % n for a in axes)
        if any(input_shape[a] is None for a in self._axes):
            raise ValueError(f"LayerNormalization '{self.name}': the normalised axes of {tuple(input_shape)} must "
                             "have known sizes")
        self._shape = [input_shape[i] if i in self._axes else 1 for i in range(n)]
        pshape = [input_shape[a] for a in self._axes]
        self.gamma = self.add_weight(pshape, self.gamma_initializer, name="gamma",
                                     regularizer=self.gamma_regularizer, constraint=self.gamma_constraint) \
            if self.scale else None
        self.beta = self.add_weight(pshape, self.beta_initializer, name="beta", regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint) if self.center and not self.rms_scaling else None

    def call(self, inputs):
        if self.rms_scaling:
            y = inputs * tf.math.rsqrt(tf.reduce_mean(tf.square(inputs), self._axes, keepdims=True) + self.epsilon)
        else:
            mean, var = tf.nn.moments(inputs, self._axes, keepdims=True)
            y = (inputs - mean) * tf.math.rsqrt(var + self.epsilon)
        if self.gamma is not None:
            y = y * tf.reshape(self.gamma, self._shape)
        if self.beta is not None:
            y = y + tf.reshape(self.beta, self._shape)
        return y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)
