"""The built-in cells over a whole sequence in one fused kernel call.

Left to the tape, a recurrent layer records every step's ops and replays
them one by one. ``tensorlet.ops.rnn_ops.rnn_sequence`` instead runs the
whole sequence in C++ (one GEMM for every step's input term, then per step
the recurrent GEMM and the fused gate arithmetic) and its gradient is
backpropagation through time in one more call.

Used for SimpleRNN, LSTM and GRU (``reset_after=True``) with their default
activations (tanh, sigmoid), masks included, and no recurrent dropout in
training, on the CPU; RNN runs the step-by-step path otherwise, or when
ENABLED is false.
"""

import tensorlet as tf
from tensorlet.keras import activations
from tensorlet.ops.rnn_ops import rnn_sequence

ENABLED = True


def kind(cell, x, training):
    """The fused kernel's name for ``cell`` on ``x``, or None where it does not apply."""
    from tensorlet.keras.layers.recurrent import GRUCell, LSTMCell, SimpleRNNCell

    name = {SimpleRNNCell: "simple_rnn", LSTMCell: "lstm", GRUCell: "gru"}.get(type(cell))
    if (not ENABLED or name is None or (training and cell.recurrent_dropout) or "GPU" in x.device
            or cell.activation is not activations.tanh):
        return None  # (no GPU kernel yet: the step path runs there)
    if name != "simple_rnn" and cell.recurrent_activation is not activations.sigmoid:
        return None
    return None if name == "gru" and not cell.reset_after else name


def run(name, cell, x, states, mask):
    """The cell over ``x`` (B, T, F), T > 0: ``(packed, final_states)``, the
    steps' outputs being ``packed[:, :, :units]`` (see rnn_ops); differentiable
    in ``x``, the initial states and the cell's weights. Where ``mask`` (B, T)
    is false the states carry over from the previous step."""
    u, batch, steps = cell.units, x.shape[0], x.shape[1]
    bias = cell.bias
    if bias is None:
        bias = tf.zeros((2, 3 * u) if name == "gru" else (cell.gates * u,), x.dtype)
    mask = tf.ones((batch, steps), "bool") if mask is None else tf.cast(mask, "bool")
    packed = rnn_sequence(name, x, cell.kernel, cell.recurrent_kernel, bias, mask, *states)
    # Each state one slice of packed (one gradient of packed's size each, not two).
    return packed, [packed[:, steps - 1, :u]] + ([packed[:, steps - 1, u:2 * u]] if name == "lstm" else [])
