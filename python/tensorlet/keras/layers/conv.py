"""Convolution layers: Conv1D, Conv2D, Conv3D, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose."""

import tensorlet as tf
from tensorlet.keras import activations, constraints, initializers, regularizers
from tensorlet.keras.layers.layer import Layer
from tensorlet.ops.conv_ops import _out_dim


_FUSED = {activations.linear: "linear", activations.relu: "relu"}


def normalize_tuple(value, n, name, layer):
    """An n-tuple of positive ints from an int or a sequence of n ints."""
    v = (value,) * n if isinstance(value, int) else tuple(value)
    if len(v) != n or not all(isinstance(i, int) and i > 0 for i in v):
        raise ValueError(f"{layer}: {name} must be an int or a tuple of {n} positive ints, got {value!r}")
    return v


def normalize_data_format(value, layer):
    fmt = value or "channels_last"
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(f"{layer}: data_format must be 'channels_last' or 'channels_first', got {value!r}")
    return fmt


def normalize_padding(value, layer, allowed=("valid", "same")):
    p = value.lower() if isinstance(value, str) else value
    if p not in allowed:
        raise ValueError(f"{layer}: padding must be one of {', '.join(map(repr, allowed))}, got {value!r}")
    return p


def conv_output_length(n, k, padding, stride, dilation=1):
    return _out_dim(n, k, stride, dilation, padding.upper(), (0, 0))[0]


class _Conv(Layer):
    """The shared part of the convolutions of rank 1, 2 (1 runs as 2) and 3."""

    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        name = type(self).__name__
        if filters is not None and (not isinstance(filters, int) or filters <= 0):
            raise ValueError(f"{name}: filters must be a positive int, got {filters!r}")
        self.filters = filters
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size", name)
        self.strides = normalize_tuple(strides, self.rank, "strides", name)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate", name)
        self.padding = normalize_padding(padding, name)
        self.data_format = normalize_data_format(data_format, name)
        if not isinstance(groups, int) or groups < 1 or (filters and filters % groups):
            raise ValueError(f"{name}: groups must be a positive int dividing filters ({filters}), got {groups!r}")
        self.groups = groups
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    @property
    def _channel_axis(self):
        return 1 if self.data_format == "channels_first" else -1

    def _in_channels(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects inputs of rank {self.rank + 2} "
                             f"(batch, {'spatial dims, ' if self.rank > 1 else 'steps, '}channels), got shape "
                             f"{tuple(input_shape)}")
        c = input_shape[self._channel_axis]
        if c is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': the channel dim of the input must be known, "
                             f"got {tuple(input_shape)}")
        return c

    def _kernel_shape(self, c):
        if c % self.groups:
            raise ValueError(f"{type(self).__name__} '{self.name}': the input's {c} channels are not divisible by "
                             f"groups={self.groups}")
        return self.kernel_size + (c // self.groups, self.filters)

    def build(self, input_shape):
        c = self._in_channels(input_shape)
        self.kernel = self.add_weight(self._kernel_shape(c), self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                    regularizer=self.bias_regularizer, constraint=self.bias_constraint) \
            if self.use_bias else None

    def _fmt(self):
        return "NCHW" if self.data_format == "channels_first" else "NHWC"

    def _convolve(self, x):
        return tf.nn.conv2d(x, self.kernel, self.strides, self.padding.upper(), self._fmt(), self.dilation_rate)

    def _finish(self, y):
        if self.bias is not None:
            y = tf.nn.bias_add(y, self.bias, data_format="NCHW" if self.data_format == "channels_first" else None)
        return self.activation(y)

    def call(self, inputs):
        fused = _FUSED.get(self.activation)
        if type(self)._convolve is _Conv._convolve and self.bias is not None and fused:
            # One op: bias and relu applied as the convolution's GEMM writes.
            return tf.nn.fused_conv2d(inputs, self.kernel, self.bias, self.strides, self.padding.upper(),
                                      self._fmt(), self.dilation_rate, fused)
        return self._finish(self._convolve(inputs))

    def _spatial_out(self, dims):
        return tuple(conv_output_length(n, k, self.padding, s, d)
                     for n, k, s, d in zip(dims, self.kernel_size, self.strides, self.dilation_rate))

    def compute_output_shape(self, input_shape):
        s = tuple(input_shape)
        if self.data_format == "channels_first":
            return (s[0], self.filters) + self._spatial_out(s[2:])
        return (s[0],) + self._spatial_out(s[1:-1]) + (self.filters,)

    def get_config(self):
        # The constructor's arguments, with sizes widened per axis as Keras saves them.
        return {**super().get_config(), **{k: getattr(self, k) for k in ("kernel_size", "strides", "dilation_rate")}}


class Conv2D(_Conv):
    """2-D convolution: ``activation(conv2d(inputs, kernel) + bias)``.

    Args:
        filters: the number of output channels.
        kernel_size: an int or a pair (height, width).
        strides: an int or a pair.
        padding: ``'valid'`` (no padding) or ``'same'`` (output size ``ceil(input / stride)``).
        data_format: ``'channels_last'`` (default, ``(batch, h, w, c)``) or ``'channels_first'``.
        dilation_rate: an int or a pair (atrous convolution).
        groups: split the input channels into this many groups, each with its own filters.
        activation: a name or function; None for linear.
        use_bias: whether to add a bias per filter.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer: as for Dense.

    The kernel has shape ``kernel_size + (in_channels // groups, filters)``.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, **kwargs)


class Conv3D(_Conv):
    """3-D convolution over ``(batch, depth, height, width, channels)`` (or
    channels first): ``activation(conv3d(inputs, kernel) + bias)``. Arguments
    as for Conv2D, sizes an int or a triple; the kernel has shape
    ``kernel_size + (in_channels // groups, filters)``."""

    rank = 3

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1, 1), groups=1, activation=None, use_bias=True, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, **kwargs)

    def _convolve(self, x):
        fmt = "NCDHW" if self.data_format == "channels_first" else "NDHWC"
        return tf.nn.conv3d(x, self.kernel, self.strides, self.padding.upper(), fmt, self.dilation_rate)


class Conv1D(_Conv):
    """1-D (temporal) convolution over ``(batch, steps, channels)``; padding
    ``'valid'``, ``'same'`` or ``'causal'`` (left padding only, so output t sees
    inputs up to t). Arguments as for Conv2D with ints for sizes."""

    rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, **kwargs):
        causal = isinstance(padding, str) and padding.lower() == "causal"
        super().__init__(filters, kernel_size, strides, "valid" if causal else padding, data_format,
                         dilation_rate, groups, activation, use_bias, **kwargs)
        if causal:
            self.padding = "causal"

    def _convolve(self, x):
        axis = 2 if self.data_format == "channels_first" else 1
        x = tf.expand_dims(x, axis)
        kernel = tf.expand_dims(self.kernel, 0)
        if self.padding == "causal":
            left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
            padding = [[0, 0], [0, 0], [0, 0], [left, 0]] if axis == 2 else [[0, 0], [0, 0], [left, 0], [0, 0]]
        else:
            padding = self.padding.upper()
        y = tf.nn.conv2d(x, kernel, (1,) + self.strides, padding, self._fmt(), (1,) + self.dilation_rate)
        return tf.squeeze(y, [axis])

    def _spatial_out(self, dims):
        if self.padding == "causal":
            return tuple(None if n is None else (n - 1) // self.strides[0] + 1 for n in dims)
        return super()._spatial_out(dims)


class DepthwiseConv2D(_Conv):
    """Depthwise 2-D convolution: each input channel convolved with its own
    ``depth_multiplier`` filters (output channel ``c * depth_multiplier + m``).

    Args:
        kernel_size, strides, padding, data_format, dilation_rate, activation,
            use_bias: as for Conv2D.
        depth_multiplier: filters per input channel.
        depthwise_initializer, depthwise_regularizer: for the kernel of shape
            ``kernel_size + (in_channels, depth_multiplier)``.
    """

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(None, kernel_size, strides, padding, data_format, dilation_rate, 1, activation, use_bias,
                         kernel_initializer=depthwise_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=depthwise_regularizer, bias_regularizer=bias_regularizer, **kwargs)
        if not isinstance(depth_multiplier, int) or depth_multiplier < 1:
            raise ValueError(f"DepthwiseConv2D: depth_multiplier must be a positive int, got {depth_multiplier!r}")
        self.depth_multiplier = depth_multiplier

    def build(self, input_shape):
        c = self._in_channels(input_shape)
        self.filters = c * self.depth_multiplier
        self.depthwise_kernel = self.add_weight(self.kernel_size + (c, self.depth_multiplier),
                                                self.kernel_initializer, name="depthwise_kernel",
                                                regularizer=self.kernel_regularizer)
        self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                    regularizer=self.bias_regularizer) if self.use_bias else None

    def _convolve(self, x):
        return tf.nn.depthwise_conv2d(x, self.depthwise_kernel, self.strides, self.padding.upper(), self._fmt(),
                                      self.dilation_rate)

    def compute_output_shape(self, input_shape):
        c = input_shape[self._channel_axis]
        self.filters = None if c is None else c * self.depth_multiplier
        return super().compute_output_shape(input_shape)


class SeparableConv2D(_Conv):
    """A depthwise convolution (each input channel with ``depth_multiplier``
    filters of ``kernel_size``) followed by a 1x1 convolution to ``filters``
    channels, then bias and activation.

    Args:
        filters, kernel_size, strides, padding, data_format, dilation_rate,
            activation, use_bias: as for Conv2D.
        depth_multiplier: depthwise filters per input channel.
        depthwise_initializer, pointwise_initializer, bias_initializer: for the
            kernels ``kernel_size + (in_channels, depth_multiplier)`` and
            ``(1, 1, in_channels * depth_multiplier, filters)``, and the bias.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, 1, activation, use_bias,
                         kernel_initializer=depthwise_initializer, bias_initializer=bias_initializer, **kwargs)
        self.depth_multiplier = depth_multiplier
        self.pointwise_initializer = initializers.get(pointwise_initializer)

    def build(self, input_shape):
        c = self._in_channels(input_shape)
        self.depthwise_kernel = self.add_weight(self.kernel_size + (c, self.depth_multiplier),
                                                self.kernel_initializer, name="depthwise_kernel")
        self.pointwise_kernel = self.add_weight((1, 1, c * self.depth_multiplier, self.filters),
                                                self.pointwise_initializer, name="pointwise_kernel")
        self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias") if self.use_bias else None

    def _convolve(self, x):
        y = tf.nn.depthwise_conv2d(x, self.depthwise_kernel, self.strides, self.padding.upper(), self._fmt(),
                                   self.dilation_rate)
        return tf.nn.conv2d(y, self.pointwise_kernel, 1, "VALID", self._fmt())


class Conv2DTranspose(_Conv):
    """Transposed 2-D convolution (the gradient of Conv2D with respect to its
    input), which upsamples by ``strides``.

    Args:
        filters, kernel_size, strides, padding, data_format, dilation_rate,
            activation, use_bias and the initializers: as for Conv2D.
        output_padding: None, or an int or pair added to one side of the
            output (each less than the stride).

    The kernel has shape ``kernel_size + (filters, in_channels)``. Without
    output_padding the output is ``input * stride`` ('same') or
    ``(input - 1) * stride + dilated kernel size`` ('valid').
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, 1, activation,
                         use_bias, **kwargs)
        self.output_padding = None if output_padding is None else tuple(
            (output_padding,) * 2 if isinstance(output_padding, int) else output_padding)
        if self.output_padding is not None and any(p < 0 or p >= s for p, s in zip(self.output_padding,
                                                                                       self.strides)):
            raise ValueError(f"Conv2DTranspose: output_padding {output_padding!r} must be smaller than the strides "
                             f"{self.strides}")

    def _kernel_shape(self, c):
        return self.kernel_size + (self.filters, c)

    def _geometry(self, n, i):
        """Output size and the (before, after) pads of the forward convolution along spatial axis i."""
        k = (self.kernel_size[i] - 1) * self.dilation_rate[i] + 1
        s = self.strides[i]
        if self.output_padding is None:
            out = n * s if self.padding == "same" else (n - 1) * s + k
            return out, None
        pad = k // 2 if self.padding == "same" else 0
        out = (n - 1) * s + k - 2 * pad + self.output_padding[i]
        return out, (pad, (n - 1) * s + k - out - pad)

    def _spatial_out(self, dims):
        return tuple(None if n is None else self._geometry(n, i)[0] for i, n in enumerate(dims))

    def _convolve(self, x):
        first = self.data_format == "channels_first"
        dims = tuple(x.shape[2:] if first else x.shape[1:3])
        geo = [self._geometry(n, i) for i, n in enumerate(dims)]
        out = tuple(g[0] for g in geo)
        shape = (x.shape[0], self.filters) + out if first else (x.shape[0],) + out + (self.filters,)
        if self.output_padding is None:
            padding = self.padding.upper()
        else:
            if any(g[1][1] < 0 for g in geo):
                raise ValueError(f"Conv2DTranspose '{self.name}': output_padding {self.output_padding} is too "
                                 f"large for padding='{self.padding}' with this kernel")
            spatial = [list(geo[0][1]), list(geo[1][1])]
            padding = [[0, 0], [0, 0]] + spatial if first else [[0, 0]] + spatial + [[0, 0]]
        return tf.nn.conv2d_transpose(x, self.kernel, shape, self.strides, padding, self._fmt(), self.dilation_rate)
