"""Fused recurrent sequences: a whole SimpleRNN, LSTM or GRU sequence in one
kernel call, and its backpropagation through time in another (csrc/rnn.h).

The forward result packs, per (batch, step), the state and the gate values
the backward pass reuses: ``[h]`` (simple_rnn), ``[h, c, i, f, g, o]``
(lstm) or ``[h, z, r, hh, rh]`` (gru with ``reset_after``), each ``units``
wide. Callers slice what they need (views); the gradient of every slot is
exact, so the op is an ordinary differentiable function of its inputs, to
any order (see :func:`_bptt_vjp`).
"""

from types import SimpleNamespace

import numpy as np

from tensorlet import _core
from tensorlet.ops import _helpers as h
from tensorlet.ops.creation_ops import zeros_like
from tensorlet.ops.elementwise import tanh
from tensorlet.ops.join_ops import concat, stack
from tensorlet.ops.reductions import reduce_sum
from tensorlet.ops.registry import apply, register
from tensorlet.ops.view_ops import cast, expand_dims, reshape, transpose

GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}
WIDTH = {"simple_rnn": 1, "lstm": 6, "gru": 5}


def _sig(v):
    return 1 / (1 + np.exp(-v))


def _np_rnn(*args):
    """The recurrence written directly in numpy (the reference)."""
    *arrays, kind = args
    x, w, r, b, mask, hs = arrays[:6]
    c, u = (arrays[6] if kind == "lstm" else None), r.shape[0]
    b_in, b_rec = (b[0], b[1]) if kind == "gru" else (b, 0)
    steps = []
    for t in range(x.shape[1]):
        xw, rw, keep = x[:, t] @ w + b_in, hs @ r + b_rec, mask[:, t:t + 1]
        if kind == "lstm":
            i, f, g, o = np.split(xw + rw, 4, -1)
            i, f, g, o = _sig(i), _sig(f), np.tanh(g), _sig(o)
            c_new = f * c + i * g
            hs, c = np.where(keep, o * np.tanh(c_new), hs), np.where(keep, c_new, c)
            steps.append([hs, c, i, f, g, o])
        elif kind == "gru":
            z, rr, rh = _sig(xw[:, :u] + rw[:, :u]), _sig(xw[:, u:2 * u] + rw[:, u:2 * u]), rw[:, 2 * u:]
            hh = np.tanh(xw[:, 2 * u:] + rr * rh)
            hs = np.where(keep, z * hs + (1 - z) * hh, hs)
            steps.append([hs, z, rr, hh, rh])
        else:
            hs = np.where(keep, np.tanh(xw + rw), hs)
            steps.append([hs])
    return np.stack([np.concatenate(s, -1) for s in steps], 1).astype(x.dtype)


def _bptt(xp, dy, out, x, w, r, mask, h0, c0, kind):
    """Backpropagation through time of the packed result, written once for two
    namespaces: numpy (the reference) and tensorlet's ops (a composite the
    tape can differentiate, for the gradient of the fused gradient)."""
    u, steps, keep_all = r.shape[0], x.shape[1], xp.cast(mask, x.dtype)
    dh, dc, dzs, drs = xp.zeros_like(h0), xp.zeros_like(h0), [None] * steps, [None] * steps
    for t in reversed(range(steps)):
        keep, s = keep_all[:, t:t + 1], (lambda a, k: a[:, t, k * u:(k + 1) * u])
        dh = dh + s(dy, 0)
        dhn, carry = keep * dh, (1 - keep) * dh
        if kind == "lstm":
            c, i, f, g, o = (s(out, k) for k in range(1, 6))
            cp, dct, tc = (out[:, t - 1, u:2 * u] if t else c0), dc + s(dy, 1), xp.tanh(c)
            dcc = keep * dct + dhn * o * (1 - tc * tc)
            dzs[t] = drs[t] = xp.concat([(dcc * g + s(dy, 2)) * i * (1 - i), (dcc * cp + s(dy, 3)) * f * (1 - f),
                                         (dcc * i + s(dy, 4)) * (1 - g * g), (dhn * tc + s(dy, 5)) * o * (1 - o)], -1)
            dc = dcc * f + (1 - keep) * dct
        elif kind == "gru":
            z, rr, hh, rh = (s(out, k) for k in range(1, 5))
            hp = out[:, t - 1, :u] if t else h0
            dah = (dhn * (1 - z) + s(dy, 3)) * (1 - hh * hh)
            pz, pr = (dhn * (hp - hh) + s(dy, 1)) * z * (1 - z), (dah * rh + s(dy, 2)) * rr * (1 - rr)
            dzs[t], drs[t] = xp.concat([pz, pr, dah], -1), xp.concat([pz, pr, dah * rr + s(dy, 4)], -1)
            carry = carry + dhn * z
        else:
            dzs[t] = drs[t] = dhn * (1 - s(out, 0) * s(out, 0))
        dh = carry + drs[t] @ xp.transpose(r)
    dz, dr = (xp.reshape(xp.stack(a, 1), (-1, a[0].shape[-1])) for a in (dzs, drs))
    hprev = xp.reshape(xp.concat([xp.expand_dims(h0, 1), out[:, :steps - 1, :u]], 1), (-1, u))
    db = xp.stack([xp.reduce_sum(dz, 0), xp.reduce_sum(dr, 0)]) if kind == "gru" else xp.reduce_sum(dz, 0)
    parts = [dz @ xp.transpose(w), xp.transpose(xp.reshape(x, (-1, x.shape[-1]))) @ dz, xp.transpose(hprev) @ dr,
             db, dh] + ([dc] if kind == "lstm" else [])
    return xp.concat([xp.reshape(p, (-1,)) for p in parts], 0)


_NP = SimpleNamespace(cast=lambda a, dtype: a.astype(dtype), zeros_like=np.zeros_like, tanh=np.tanh,
                      concat=np.concatenate, stack=np.stack, transpose=np.transpose, reshape=np.reshape,
                      expand_dims=np.expand_dims, reduce_sum=np.sum)
_TL = SimpleNamespace(cast=cast, zeros_like=zeros_like, tanh=tanh, concat=concat, stack=stack, transpose=transpose,
                      reshape=reshape, expand_dims=expand_dims, reduce_sum=reduce_sum)


def _np_rnn_grad(*args):
    *arrays, kind = args
    return _bptt(_NP, *arrays[:7], arrays[7] if kind == "lstm" else None, kind)


def _bptt_vjp(v, inputs, attrs, flat):
    """The fused gradient's own gradient: the composite :func:`_bptt`
    differentiated by a tape (second-order gradients are rare; this keeps
    them exact without a second fused kernel)."""
    from tensorlet.autodiff.tape import GradientTape

    sources = inputs[:5] + inputs[6:]  # all but the mask
    with GradientTape() as tape:
        tape.watch(sources)
        again = _bptt(_TL, *inputs[:7], inputs[7] if attrs[0] == "lstm" else None, attrs[0])
    grads = tape.gradient(again, sources, output_gradients=v, unconnected_gradients="zero")
    return tuple(grads[:5]) + (None,) + tuple(grads[5:])


def _samples(grad):
    def samples(rng, dtype):
        out = []
        for kind in GATES:
            for batch, steps, features, units in ((2, 3, 2, 2), (1, 2, 3, 1)):
                g = GATES[kind] * units
                mask = rng.random((batch, steps)) < 0.7
                mask[0, -1] = False
                arrays = [h.sample_values(rng, s, dtype, -1, 1) for s in
                          ((batch, steps, features), (features, g), (units, g), (2, g) if kind == "gru" else (g,))]
                states = [h.sample_values(rng, (batch, units), dtype, -1, 1) for _ in range(1 + (kind == "lstm"))]
                arrays = arrays + [mask] + states
                if grad:
                    fwd = _np_rnn(*arrays, kind)
                    arrays = [h.sample_values(rng, fwd.shape, dtype, -1, 1), fwd] + arrays[:3] + arrays[4:]
                out.append((arrays, (kind,)))
        return out
    return samples


def _seq_shape(shapes, attrs):
    return (shapes[0][0], shapes[0][1], None if shapes[2][0] is None else WIDTH[attrs[0]] * shapes[2][0])


def _grad_shape(shapes, attrs):
    (b, t, f), (u, g) = shapes[2], shapes[4]
    dims = (b, t, f, u, g)
    if None in dims:
        return (None,)
    return (b * t * f + f * g + u * g + g * (2 if attrs[0] == "gru" else 1) + b * u * (len(shapes) - 6),)


_rnn_grad_op = register(
    "rnn_sequence_grad", _core.rnn_sequence_grad, grad=_bptt_vjp, diff=(True,) * 5 + (False, True, True),
    shape=_grad_shape, dtype=h.first_dtype, ref=_np_rnn_grad,
    samples=_samples(True))


def _rnn_grad(dy, inputs, attrs, out):
    x, w, r, b, mask = inputs[:5]
    states = inputs[5:]
    flat = apply(_rnn_grad_op, (dy, out, x, w, r, mask) + tuple(states), attrs[0])
    grads, start = [], 0
    for t in (x, w, r, b) + tuple(states):
        n = int(np.prod(t.shape))
        grads.append(reshape(flat[start:start + n], t.shape))
        start += n
    return tuple(grads[:4]) + (None,) + tuple(grads[4:])


_rnn = register(
    "rnn_sequence", _core.rnn_sequence, grad=_rnn_grad, diff=(True, True, True, True, False, True, True),
    shape=_seq_shape, dtype=h.first_dtype, ref=_np_rnn, samples=_samples(False))


def rnn_sequence(kind, x, kernel, recurrent, bias, mask, h, c=None):
    """Runs a whole SimpleRNN, LSTM or GRU sequence (tanh and sigmoid
    activations) in one kernel call.

    Args:
        kind: ``'simple_rnn'``, ``'lstm'`` or ``'gru'`` (Keras's
            ``reset_after=True`` GRU).
        x: ``(batch, time, features)``.
        kernel, recurrent: ``(features, gates * units)`` and ``(units, gates * units)``,
            the gates in Keras's order (i, f, c, o; z, r, h).
        bias: ``(gates * units,)``, or ``(2, 3 * units)`` for the GRU (input
            and recurrent biases).
        mask: bool ``(batch, time)``; where false, the states carry over.
        h, c: the initial states ``(batch, units)`` (``c`` for the LSTM only).

    Returns:
        The packed ``(batch, time, width * units)`` result (see the module's
        docstring): ``[..., :units]`` is every step's output.
    """
    return apply(_rnn, (x, kernel, recurrent, bias, mask, h) + ((c,) if kind == "lstm" else ()), kind)
