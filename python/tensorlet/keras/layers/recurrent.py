"""Recurrent layers: SimpleRNN, LSTM, GRU (and their cells), and RNN, which
runs any cell over the time axis.

The built-in cells with their default activations run a whole sequence in
one fused C++ call, and its gradient in another (recurrent_fused.py). Other
cells and options take the step path: each step a composition of registered
ops (one matmul for the recurrent term, then the gate arithmetic),
differentiated by the tape through time; the input projection of every step
is one matmul over the whole sequence.
"""

import inspect

import tensorlet as tf
from tensorlet.framework import symbolic
from tensorlet.keras import activations, initializers, regularizers
from tensorlet.keras.keras_tensor import KerasTensor, flatten
from tensorlet.keras.layers.layer import Layer
from tensorlet.keras.layers import recurrent_fused


def _no_constraints(owner, **given):
    for arg, value in given.items():
        if value is not None:
            raise NotImplementedError(f"{owner}: {arg} is not supported yet (weight constraints are applied by "
                                      "optimizers, which do not yet do so)")


def _dropout_mask(like, rate, seed):
    keep = tf.cast(tf.random.uniform(tf.shape(like), dtype=like.dtype, seed=seed) >= rate, like.dtype)
    return keep * (1.0 / (1.0 - rate))


class _Cell(Layer):
    """What the cells share: arguments, weights, dropout masks, the step contract.

    A cell's ``call(inputs, states, training=None)`` returns ``(output, new_states)``;
    ``project`` and ``step`` split it so that RNN projects every input at once.
    """

    gates = 1

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        _no_constraints(type(self).__name__, kernel_constraint=kernel_constraint,
                        recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint)
        if not isinstance(units, int) or units <= 0:
            raise ValueError(f"{type(self).__name__}: units must be a positive int, got {units!r}")
        for arg, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0 <= rate < 1:
                raise ValueError(f"{type(self).__name__}: {arg} must be in [0, 1), got {rate}")
        self.units, self.use_bias, self.seed = units, use_bias, seed
        self.activation = activations.get(activation)
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self._masks = (None, None)

    def get_config(self):
        # Complete, as Keras writes it: the arguments every cell takes, defaults included, under the given ones.
        shared = inspect.signature(_Cell.__init__).parameters.values()
        return {**{p.name: p.default for p in shared if p.default is not p.empty}, **super().get_config()}

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def build(self, input_shape):
        width = self.gates * self.units
        self.kernel = self.add_weight((input_shape[-1], width), self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer)
        self.recurrent_kernel = self.add_weight((self.units, width), self.recurrent_initializer,
                                                name="recurrent_kernel", regularizer=self.recurrent_regularizer)
        self.bias = self.add_weight(self._bias_shape(), self._bias_init(), name="bias",
                                    regularizer=self.bias_regularizer) if self.use_bias else None

    def _bias_shape(self):
        return (self.gates * self.units,)

    def _bias_init(self):
        return self.bias_initializer

    def get_initial_state(self, batch_size=None, dtype=None):
        n = 2 if isinstance(self.state_size, (list, tuple)) else 1
        return [tf.zeros((batch_size, self.units), dtype or self.dtype) for _ in range(n)]

    def begin(self, inputs, state, training):
        """Draws this sequence's dropout masks (one per sequence, as Keras does)."""
        self._masks = (_dropout_mask(inputs, self.dropout, self.seed) if training and self.dropout else None,
                       _dropout_mask(state, self.recurrent_dropout, self.seed)
                       if training and self.recurrent_dropout else None)

    def project(self, x):
        """The input term of every step: ``x @ kernel (+ input bias)`` over the last axis."""
        if self._masks[0] is not None:
            x = x * (self._masks[0] if x.ndim == 2 else tf.expand_dims(self._masks[0], 1))
        lead = list(x.shape[:-1])
        y = tf.matmul(tf.reshape(x, (-1, x.shape[-1])), self.kernel)
        if self.bias is not None:
            y = y + self._input_bias()
        return tf.reshape(y, lead + [y.shape[-1]])

    def _input_bias(self):
        return self.bias

    def _recurrent_input(self, h):
        return h if self._masks[1] is None else h * self._masks[1]

    def call(self, inputs, states, training=None):
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        self.begin(inputs, states[0], training)
        return self.step(self.project(inputs), states)


class SimpleRNNCell(_Cell):
    """``h = activation(x @ kernel + h @ recurrent_kernel + bias)``."""

    def step(self, xw, states):
        h = self.activation(xw + tf.matmul(self._recurrent_input(states[0]), self.recurrent_kernel))
        return h, [h]


class LSTMCell(_Cell):
    """The LSTM step: gates i, f, c, o (in that order in the kernels).

    Args (beyond SimpleRNNCell's):
        recurrent_activation: the gates' activation (sigmoid).
        unit_forget_bias: start the forget gate's bias at 1.
    """

    gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", unit_forget_bias=True, **kwargs):
        kwargs.pop("implementation", None)  # Keras 2's choice of kernel layout; the result is the same
        super().__init__(units, activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias

    @property
    def state_size(self):
        return [self.units, self.units]

    def _bias_init(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        init, u = self.bias_initializer, self.units
        return lambda shape, dtype=None: tf.concat([init((u,), dtype=dtype), tf.ones((u,), dtype or self.dtype),
                                                    init((2 * u,), dtype=dtype)], 0)

    def step(self, xw, states):
        h, c = states
        z = xw + tf.matmul(self._recurrent_input(h), self.recurrent_kernel)
        i, f, g, o = tf.split(z, 4, axis=-1)
        act, gate = self.activation, self.recurrent_activation
        c = gate(f) * c + gate(i) * act(g)
        h = gate(o) * act(c)
        return h, [h, c]


class GRUCell(_Cell):
    """The GRU step: gates z (update), r (reset), h (candidate), in that order.

    Args (beyond SimpleRNNCell's):
        recurrent_activation: the gates' activation (sigmoid).
        reset_after: apply the reset gate after the recurrent matmul (Keras 3's
            default, with separate input and recurrent biases) or before it.
    """

    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", reset_after=True, **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(units, activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = reset_after

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        return self.bias[0] if self.reset_after else self.bias

    def step(self, xw, states):
        h = states[0]
        u = self.units
        hr = self._recurrent_input(h)
        x_z, x_r, x_h = tf.split(xw, 3, axis=-1)
        gate = self.recurrent_activation
        if self.reset_after:
            rec = tf.matmul(hr, self.recurrent_kernel)
            if self.bias is not None:
                rec = rec + self.bias[1]
            r_z, r_r, r_h = tf.split(rec, 3, axis=-1)
            z, r = gate(x_z + r_z), gate(x_r + r_r)
            cand = self.activation(x_h + r * r_h)
        else:
            rec = tf.matmul(hr, self.recurrent_kernel[:, :2 * u])
            r_z, r_r = tf.split(rec, 2, axis=-1)
            z, r = gate(x_z + r_z), gate(x_r + r_r)
            cand = self.activation(x_h + tf.matmul(r * hr, self.recurrent_kernel[:, 2 * u:]))
        h = z * h + (1.0 - z) * cand
        return h, [h]


class RNN(Layer):
    """Runs a cell over the time axis of ``(batch, time, features)`` inputs.

    Args:
        cell: a cell layer (``LSTMCell(32)``, or any layer with ``state_size``
            and ``call(inputs, states) -> (output, new_states)``).
        return_sequences: return every step's output ``(batch, time, units)``
            instead of the last one.
        return_state: also return the final states (``[output, *states]``).
        go_backwards: run from the last step to the first (the outputs come
            in that order).
        stateful: keep each batch's final states (row i of the batch) as
            the next batch's initial states; needs a fixed batch size
            (``Input(batch_size=...)`` or the first call's data).
            ``reset_state()`` zeroes them.
        unroll: accepted; the loop is always unrolled in eager execution.
        time_major: inputs are ``(time, batch, features)``.
        zero_output_for_mask: masked steps output zeros instead of the
            previous output.

    Call arguments: ``mask`` (bool ``(batch, time)``; by default the mask an
    ``Embedding(mask_zero=True)`` or ``Masking`` layer attached to the input),
    ``training``, ``initial_state`` (a list of tensors).
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, time_major=False, zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(cell, (list, tuple)):
            raise NotImplementedError("RNN: a list of cells (StackedRNNCells) is not supported yet; stack RNN layers")
        self.cell = cell
        self.return_sequences, self.return_state = return_sequences, return_state
        self.go_backwards, self.unroll, self.time_major = go_backwards, unroll, time_major
        self.zero_output_for_mask = zero_output_for_mask
        self.stateful, self.states = stateful, None

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects inputs of shape (batch, time, features), "
                             f"got {tuple(input_shape)}")
        if not self.cell.built:
            self.cell._build_for(KerasTensor((None, input_shape[-1]), self.cell.dtype))
        if self.stateful and self.states is None:
            batch = input_shape[1 if self.time_major else 0]
            if batch is None:
                raise ValueError(f"{type(self).__name__} '{self.name}': stateful=True needs a fixed batch size: give "
                                 "it with keras.Input(batch_size=...) (or batch_shape=...), or call the layer on data")
            # Not weights (Keras does not save them): kept out of the attribute tracking.
            object.__setattr__(self, "states", [tf.Variable(s, trainable=False, name="rnn_state") for s in
                                                self._initial_states(None, batch, self.cell.dtype)])

    def reset_state(self):
        """Zeroes the states a ``stateful`` layer carries from batch to batch."""
        for v in self.states or []:
            v.assign(tf.zeros_like(v))

    reset_states = reset_state

    def _finish(self, out, states):
        if self.stateful and not symbolic.is_symbolic(out):
            for v, s in zip(self.states, states):
                v.assign(s)
        return [out] + list(states) if self.return_state else out

    supports_masking = True

    def compute_mask(self, inputs, mask=None):
        mask = flatten(mask)[0] if isinstance(mask, (list, tuple)) else mask
        out = mask if self.return_sequences else None
        n = len(self.cell.state_size) if isinstance(self.cell.state_size, (list, tuple)) else 1
        return [out] + [None] * n if self.return_state else out

    def call(self, inputs, mask=None, training=None, initial_state=None):
        if self.time_major:
            inputs = tf.transpose(inputs, [1, 0, 2])
        if inputs.ndim != 3:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects inputs of shape (batch, time, features), "
                             f"got {tuple(inputs.shape)}")
        cell = self.cell
        batch, steps = inputs.shape[0], inputs.shape[1]
        states = self._initial_states(initial_state, batch, inputs.dtype)
        if self.stateful and initial_state is None:
            if self.states[0].shape[0] != batch and not symbolic.is_symbolic(inputs):
                raise ValueError(f"{type(self).__name__} '{self.name}': stateful=True keeps states for batches of "
                                 f"{self.states[0].shape[0]}, got a batch of {batch}")
            states = [tf.identity(v) for v in self.states]  # values: the variables change after this call
        if self.go_backwards:
            inputs = tf.reverse(inputs, [1])
            mask = None if mask is None else tf.reverse(mask, [1])
        fused = recurrent_fused.kind(cell, inputs, training) if steps else None
        if fused:
            if training and getattr(cell, "dropout", 0):
                cell.begin(inputs[:, 0], states[0], training)
                inputs = inputs * tf.expand_dims(cell._masks[0], 1)
            packed, states = recurrent_fused.run(fused, cell, inputs, states, mask)
            seq, out = packed[:, :, :cell.units] if self.return_sequences else None, states[0]
            if mask is not None and (self.zero_output_for_mask or initial_state is not None):
                keep = tf.cast(mask, "int32")  # masked steps output zeros, or the previous output (zeros at first)
                keep = keep if self.zero_output_for_mask else tf.cast(tf.cumsum(keep, 1) > 0, "int32")
                seq = packed[:, :, :cell.units] * tf.cast(tf.expand_dims(keep, -1), packed.dtype)
                out = seq[:, steps - 1]
            out = seq if self.return_sequences else out
            if self.return_sequences and self.time_major:
                out = tf.transpose(out, [1, 0, 2])
            return self._finish(out, states)
        fast = hasattr(cell, "step")
        if fast:
            cell.begin(inputs[:, 0] if steps else tf.zeros((batch, inputs.shape[-1]), inputs.dtype), states[0],
                       training)
            xw = cell.project(inputs)
        keep = None if mask is None else tf.cast(tf.expand_dims(tf.cast(mask, "bool"), -1), inputs.dtype)
        outputs, out = [], tf.zeros((batch, _size(cell.output_size if hasattr(cell, "output_size") else
                                                  cell.state_size)), inputs.dtype)
        for t in range(steps):
            if fast:
                new, new_states = cell.step(xw[:, t], states)
            else:
                new, new_states = cell(inputs[:, t], states, training=training)
                new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
            if keep is not None:  # masked steps carry the state (and the output) over
                k = keep[:, t]
                new_states = [k * s + (1.0 - k) * p for s, p in zip(new_states, states)]
                new = k * new + (1.0 - k) * (tf.zeros_like(new) if self.zero_output_for_mask else out)
            states, out = new_states, new
            if self.return_sequences:
                outputs.append(new)
        if self.return_sequences:
            out = tf.stack(outputs, 1) if outputs else tf.zeros((batch, 0, out.shape[-1]), inputs.dtype)
            if self.time_major:
                out = tf.transpose(out, [1, 0, 2])
        return self._finish(out, states)

    def _initial_states(self, initial_state, batch, dtype):
        n = len(self.cell.state_size) if isinstance(self.cell.state_size, (list, tuple)) else 1
        if initial_state is None:
            sizes = self.cell.state_size if n > 1 else [self.cell.state_size]
            return [tf.zeros((batch, _size(s)), dtype) for s in sizes]
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        if len(states) != n:
            raise ValueError(f"{type(self).__name__} '{self.name}' has {n} state(s), but initial_state has "
                             f"{len(states)}")
        return [tf.convert_to_tensor(s, dtype) if not isinstance(s, tf.Tensor) else s for s in states]

    def compute_output_shape(self, input_shape):
        batch, steps = input_shape[0], input_shape[1]
        if self.time_major:
            batch, steps = steps, batch
        units = _size(getattr(self.cell, "output_size", self.cell.state_size))
        out = (batch, steps, units) if self.return_sequences else (batch, units)
        if self.time_major and self.return_sequences:
            out = (steps, batch, units)
        if not self.return_state:
            return out
        sizes = self.cell.state_size if isinstance(self.cell.state_size, (list, tuple)) else [self.cell.state_size]
        return [out] + [(batch, _size(s)) for s in sizes]


def _size(s):
    return s[0] if isinstance(s, (list, tuple)) else s


class _Recurrent(RNN):
    """SimpleRNN, LSTM and GRU: an RNN over a cell built from the layer's own arguments."""

    _cell_class = None
    _rnn_args = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "time_major",
                 "zero_output_for_mask")
    _layer_args = ("name", "trainable", "dtype", "input_shape", "input_dim", "batch_input_shape")

    def __init__(self, units, **kwargs):
        rnn = {k: kwargs.pop(k) for k in self._rnn_args if k in kwargs}
        base = {k: kwargs.pop(k) for k in self._layer_args if k in kwargs}
        cell = self._cell_class(units, dtype=base.get("dtype"), **kwargs)
        super().__init__(cell, **rnn, **base)

    def __getattr__(self, name):  # units, activation, dropout, ...: the cell's
        cell = self.__dict__.get("cell")
        if cell is None or name.startswith("_"):
            raise AttributeError(name)
        return getattr(cell, name)

    def get_config(self):
        # Complete, as Keras writes it: the cell's arguments and the RNN's (all False by default), defaults included.
        cell = {k: v for k, v in self.cell.get_config().items() if k not in ("name", "trainable", "dtype")}
        return {**cell, **{k: getattr(self, k, False) for k in self._rnn_args}, **super().get_config()}


class SimpleRNN(_Recurrent):
    """A fully connected RNN: ``h_t = activation(x_t @ W + h_{t-1} @ U + b)``.

    Args:
        units: the size of the state and output.
        activation ('tanh'), use_bias, kernel/recurrent/bias initializers and
        regularizers, dropout and recurrent_dropout (one mask per sequence),
        and the RNN arguments (return_sequences, return_state, go_backwards, ...).
    """

    _cell_class = SimpleRNNCell


class LSTM(_Recurrent):
    """Long short-term memory (Hochreiter and Schmidhuber, 1997).

    Args:
        units: the size of the state and output.
        activation ('tanh'), recurrent_activation ('sigmoid'),
        unit_forget_bias (True), use_bias, kernel/recurrent/bias initializers
        and regularizers, dropout, recurrent_dropout, and the RNN arguments
        (return_sequences, return_state, go_backwards, ...).
    """

    _cell_class = LSTMCell


class GRU(_Recurrent):
    """Gated recurrent unit (Cho et al., 2014); ``reset_after=True`` as Keras 3 (and cuDNN).

    Args:
        units: the size of the state and output.
        activation ('tanh'), recurrent_activation ('sigmoid'), reset_after,
        use_bias, kernel/recurrent/bias initializers and regularizers, dropout,
        recurrent_dropout, and the RNN arguments.
    """

    _cell_class = GRUCell
