"""Layer wrappers: Bidirectional (a recurrent layer run both ways) and
TimeDistributed (a layer applied to every timestep)."""

import tensorlet as tf
from tensorlet.keras.layers.layer import Layer

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges the outputs.

    Args:
        layer: an RNN layer (``LSTM(32)``, ...); its copy runs with
            ``go_backwards`` flipped and its own weights.
        merge_mode: ``'concat'`` (default), ``'sum'``, ``'mul'``, ``'ave'`` or
            None (a list of the two outputs).
        backward_layer: the backward layer, instead of a copy.

    Raises:
        ValueError: for an unknown ``merge_mode`` or a backward layer whose
            ``return_sequences``/``return_state`` differ.
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        super().__init__(**{"dtype": layer.dtype, **kwargs})  # computes in the wrapped layer's dtype
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Bidirectional: merge_mode must be one of {_MERGE_MODES}, got {merge_mode!r}")
        if weights is not None:
            raise NotImplementedError("Bidirectional: weights= is not supported; call set_weights after building")
        if backward_layer is None:
            config = layer.get_config()
            config.update(name="backward_" + layer.name, go_backwards=not layer.go_backwards)
            backward_layer = type(layer).from_config(config)
        for attr in ("return_sequences", "return_state"):
            if getattr(layer, attr) != getattr(backward_layer, attr):
                raise ValueError(f"Bidirectional: forward and backward layers must agree on {attr}")
        for rnn in (layer, backward_layer):  # as Keras: masked steps of the sequences are zeros, in both directions
            if hasattr(rnn, "zero_output_for_mask"):
                rnn.zero_output_for_mask = rnn.return_sequences
        self.forward_layer, self.backward_layer = layer, backward_layer
        self.merge_mode = merge_mode
        self.return_sequences, self.return_state = layer.return_sequences, layer.return_state

    supports_masking = True

    def build(self, input_shape):  # the weights exist once a functional model is made, as in Keras
        for layer in (self.forward_layer, self.backward_layer):
            if not layer.built:
                layer.build(tf.TensorShape(input_shape))

    def compute_mask(self, inputs, mask=None):
        mask = mask[0] if isinstance(mask, (list, tuple)) else mask
        out = (mask if self.merge_mode else [mask, mask]) if self.return_sequences else \
            (None if self.merge_mode else [None, None])
        if not self.return_state:
            return out
        n = len(self.forward_layer.cell.state_size) if isinstance(self.forward_layer.cell.state_size, (list, tuple)) \
            else 1
        return (out if isinstance(out, list) else [out]) + [None] * (2 * n)

    def call(self, inputs, mask=None, training=None, initial_state=None):
        fw_state = bw_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            fw_state, bw_state = initial_state[:half], initial_state[half:]
        fw = self.forward_layer(inputs, mask=mask, training=training, initial_state=fw_state)
        bw = self.backward_layer(inputs, mask=mask, training=training, initial_state=bw_state)
        states = []
        if self.return_state:
            states = list(fw[1:]) + list(bw[1:])
            fw, bw = fw[0], bw[0]
        if self.return_sequences:
            bw = tf.reverse(bw, [1])
        if self.merge_mode == "concat":
            out = tf.concat([fw, bw], -1)
        elif self.merge_mode == "sum":
            out = fw + bw
        elif self.merge_mode == "mul":
            out = fw * bw
        elif self.merge_mode == "ave":
            out = (fw + bw) * 0.5
        else:
            out = [fw, bw]
        if self.return_state:
            return (out if isinstance(out, list) else [out]) + states
        return out

    def compute_output_shape(self, input_shape):
        fw = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            states = list(fw[1:]) * 2
            fw = fw[0]
        if self.merge_mode == "concat":
            out = tuple(fw[:-1]) + (None if fw[-1] is None else 2 * fw[-1],)
        elif self.merge_mode is None:
            out = [tuple(fw), tuple(fw)]
        else:
            out = tuple(fw)
        if self.return_state:
            return (out if isinstance(out, list) else [out]) + states
        return out


class TimeDistributed(Layer):
    """Applies ``layer`` to every timestep of ``(batch, time, ...)`` inputs (one call over batch * time samples).

    Args:
        layer: the layer to apply; its weights are shared across timesteps.
    """

    supports_masking = True  # the mask of (batch, time) passes on to the output

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed wraps a Layer, got {type(layer).__name__}")
        super().__init__(**{"dtype": layer.dtype, **kwargs})
        self.layer = layer

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(tf.TensorShape((None,) + tuple(input_shape)[2:]))

    def call(self, inputs, training=None, mask=None):
        if inputs.ndim < 3:
            raise ValueError(f"TimeDistributed '{self.name}' expects inputs of shape (batch, time, ...), got "
                             f"{tuple(inputs.shape)}")
        batch, steps = inputs.shape[0], inputs.shape[1]
        flat = tf.reshape(inputs, [batch * steps] + list(inputs.shape[2:]))
        kwargs = {"training": training}
        if mask is not None and self.layer._call_takes_mask:  # each (sample, step) is one sample of the layer
            kwargs["mask"] = tf.reshape(mask, [batch * steps] + list(mask.shape[2:]))
        out = self.layer(flat, **kwargs)
        return tf.reshape(out, [batch, steps] + list(out.shape[1:]))

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape((None,) + tuple(input_shape[2:]))
        return tuple(input_shape[:2]) + tuple(inner[1:])
