"""Backpropagation through time written out for the built-in cells.

Left to the tape, a recurrent layer's gradient is slow in two ways: every
step's slice of the projected inputs gets a gradient of the whole sequence's
size (quadratic in the length), and each of the step's ops is recorded and
replayed one by one. Here one ``custom_gradient`` op runs the whole sequence:
the forward pass keeps each step's gate values, the backward pass walks the
steps in reverse computing the gates' gradients, and the weights' and
inputs' gradients are then one matmul each over all steps.

Used for SimpleRNN (tanh), LSTM and GRU with their default activations and
no recurrent dropout (masks are handled: a masked step carries the states
over); RNN falls back to the step-by-step path otherwise, or when ENABLED is
false. (A fused C++ step kernel is the next move.)
"""

import tensorlet as tf
from tensorlet.keras import activations


ENABLED = True


def supports(cell, training):
    from tensorlet.keras.layers.recurrent import GRUCell, LSTMCell, SimpleRNNCell

    if not ENABLED or (training and cell.recurrent_dropout) or type(cell) not in (
            SimpleRNNCell, LSTMCell, GRUCell):
        return False
    if cell.activation is not activations.tanh:
        return False
    return type(cell) is SimpleRNNCell or cell.recurrent_activation is activations.sigmoid


def _mm_t(a, b):
    """``a^T @ b`` over all steps: (B, T, m), (B, T, n) -> (m, n)."""
    return tf.matmul(tf.reshape(a, (-1, a.shape[-1])), tf.reshape(b, (-1, b.shape[-1])), transpose_a=True)


def _steps(a):
    """The time slices of ``(B, T, n)`` as views, with no gradient bookkeeping."""
    return [a[:, t] for t in range(a.shape[1])]


def run(cell, x, states, return_sequences, mask=None):
    """The cell over ``x`` (B, T, F): ``(output, final_states)``; differentiable in
    ``x``, the initial states and the cell's weights. Where ``mask`` (B, T) is
    false the states (and so the outputs) carry over from the previous step."""
    from tensorlet.keras.layers.recurrent import GRUCell, LSTMCell

    kind = "lstm" if type(cell) is LSTMCell else "gru" if type(cell) is GRUCell else "simple"
    reset_after = kind == "gru" and cell.reset_after
    n_states = len(states)
    u = cell.units
    keep = None if mask is None else _steps(tf.cast(tf.expand_dims(tf.cast(mask, "bool"), -1), x.dtype))

    @tf.custom_gradient
    def sequence(x, kernel, recurrent, bias, *init):
        b_in = None if bias is None else (bias[0] if reset_after else bias)
        b_rec = bias[1] if reset_after and bias is not None else None
        flat = tf.reshape(x, (-1, x.shape[-1]))
        xw = tf.matmul(flat, kernel)
        if b_in is not None:
            xw = xw + b_in
        xw = tf.reshape(xw, [x.shape[0], x.shape[1], xw.shape[-1]])
        h, c = init[0], (init[1] if kind == "lstm" else None)
        hs_prev, caches, outs = [], [], []
        for t, xw_t in enumerate(_steps(xw)):
            hs_prev.append(h)
            h_prev, c_prev = h, c
            if kind == "lstm":
                i, f, g, o = tf.split(xw_t + tf.matmul(h, recurrent), 4, axis=-1)
                i, f, o, g = tf.sigmoid(i), tf.sigmoid(f), tf.sigmoid(o), tf.tanh(g)
                c_prev, c = c, f * c + i * g
                tc = tf.tanh(c)
                caches.append((c_prev, i, f, g, o, tc))
                h = o * tc
            elif kind == "gru":
                x_z, x_r, x_h = tf.split(xw_t, 3, axis=-1)
                if reset_after:
                    rec = tf.matmul(h, recurrent)
                    if b_rec is not None:
                        rec = rec + b_rec
                    r_z, r_r, r_h = tf.split(rec, 3, axis=-1)
                    z, r = tf.sigmoid(x_z + r_z), tf.sigmoid(x_r + r_r)
                    cand = tf.tanh(x_h + r * r_h)
                else:
                    r_z, r_r = tf.split(tf.matmul(h, recurrent[:, :2 * u]), 2, axis=-1)
                    z, r = tf.sigmoid(x_z + r_z), tf.sigmoid(x_r + r_r)
                    r_h = tf.matmul(r * h, recurrent[:, 2 * u:])
                    cand = tf.tanh(x_h + r_h)
                caches.append((h, z, r, cand, r_h))
                h = z * h + (1.0 - z) * cand
            else:
                h = tf.tanh(xw_t + tf.matmul(h, recurrent))
                caches.append(h)
            if keep is not None:
                k = keep[t]
                h = k * h + (1.0 - k) * h_prev
                c = None if c is None else k * c + (1.0 - k) * c_prev
            if return_sequences:
                outs.append(h)
        final = [h, c] if kind == "lstm" else [h]

        def grad(*dys):
            # With return_sequences the outputs are [sequence, *states]; without, the
            # last output is the first state itself (one tensor, one gradient).
            seq_dy = _steps(dys[0]) if return_sequences else None
            d_final = dys[1:] if return_sequences else dys
            dh = d_final[0]
            dc = d_final[1] if kind == "lstm" else None
            d_xw, d_rec = [None] * len(caches), [None] * len(caches)
            for t in range(len(caches) - 1, -1, -1):
                if seq_dy is not None:
                    dh = dh + seq_dy[t]
                if keep is not None:  # a masked step passes its state's gradient straight back
                    k = keep[t]
                    carry_h, dh = (1.0 - k) * dh, k * dh
                    if dc is not None:
                        carry_c, dc = (1.0 - k) * dc, k * dc
                if kind == "lstm":
                    c_prev, i, f, g, o, tc = caches[t]
                    d_o = dh * tc
                    dc = dc + dh * o * (1.0 - tc * tc)
                    dz = tf.concat([dc * g * i * (1.0 - i), dc * c_prev * f * (1.0 - f), dc * i * (1.0 - g * g),
                                    d_o * o * (1.0 - o)], -1)
                    dc = dc * f
                    d_xw[t] = d_rec[t] = dz
                    dh = tf.matmul(dz, recurrent, transpose_b=True)
                elif kind == "gru":
                    h_prev, z, r, cand, r_h = caches[t]
                    d_cand = dh * (1.0 - z) * (1.0 - cand * cand)
                    d_z = dh * (h_prev - cand) * z * (1.0 - z)
                    if reset_after:
                        d_r = d_cand * r_h * r * (1.0 - r)
                        d_xw[t] = tf.concat([d_z, d_r, d_cand], -1)
                        d_rec[t] = tf.concat([d_z, d_r, d_cand * r], -1)
                        dh = dh * z + tf.matmul(d_rec[t], recurrent, transpose_b=True)
                    else:  # the reset gate scales h before the candidate's matmul
                        d_rh = tf.matmul(d_cand, recurrent[:, 2 * u:], transpose_b=True)
                        d_zr = tf.concat([d_z, d_rh * h_prev * r * (1.0 - r)], -1)
                        d_xw[t] = tf.concat([d_zr, d_cand], -1)
                        d_rec[t] = (d_zr, d_cand)
                        dh = dh * z + tf.matmul(d_zr, recurrent[:, :2 * u], transpose_b=True) + d_rh * r
                else:
                    h_t = caches[t]
                    da = dh * (1.0 - h_t * h_t)
                    d_xw[t] = d_rec[t] = da
                    dh = tf.matmul(da, recurrent, transpose_b=True)
                if keep is not None:
                    dh = dh + carry_h
                    if dc is not None:
                        dc = dc + carry_c
            d_xw_all = tf.stack(d_xw, 1)
            h_prev_all = tf.stack(hs_prev, 1)
            if kind == "gru" and not reset_after:
                zr = tf.stack([p for p, _ in d_rec], 1)
                hh = tf.stack([cache[2] * cache[0] for cache in caches], 1)  # r * h_prev
                d_recurrent = tf.concat([_mm_t(h_prev_all, zr), _mm_t(hh, tf.stack([q for _, q in d_rec], 1))], 1)
            else:
                d_recurrent = _mm_t(h_prev_all, tf.stack(d_rec, 1) if d_rec[0] is not d_xw[0] else d_xw_all)
            d_kernel = _mm_t(x, d_xw_all)
            dx = tf.reshape(tf.matmul(tf.reshape(d_xw_all, (-1, d_xw_all.shape[-1])), kernel, transpose_b=True),
                            x.shape)
            d_bias = None
            if bias is not None:
                d_in = tf.reduce_sum(d_xw_all, [0, 1])
                d_bias = tf.stack([d_in, tf.reduce_sum(tf.stack(d_rec, 1), [0, 1])]) if reset_after else d_in
            d_init = [dh] + ([dc] if kind == "lstm" else [])
            return [dx, d_kernel, d_recurrent, d_bias] + d_init

        return ([tf.stack(outs, 1)] if return_sequences else []) + final, grad

    result = sequence(x, cell.kernel, cell.recurrent_kernel, cell.bias, *states[:n_states])
    return (result[0], list(result[1:])) if return_sequences else (result[0], list(result))
