"""The fused recurrent sequences beyond the registry's small samples: batches
large enough to split across threads, against the numpy recurrence and its
backpropagation through time, and the errors bad operands get."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import _core
from tensorlet.ops import rnn_ops


def _operands(rng, kind, batch=37, steps=6, features=3, units=16, dtype=np.float64):
    g = rnn_ops.GATES[kind] * units
    arrays = [rng.uniform(-1, 1, s).astype(dtype) for s in
              ((batch, steps, features), (features, g), (units, g), (2, g) if kind == "gru" else (g,))]
    mask = rng.random((batch, steps)) < 0.8
    states = [rng.uniform(-1, 1, (batch, units)).astype(dtype) for _ in range(1 + (kind == "lstm"))]
    return arrays + [mask] + states


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
def test_large_batches_match_numpy_on_any_thread_count(kind, threads, rng):
    arrays = _operands(rng, kind)
    old = _core.get_num_threads()
    _core.set_num_threads(threads)
    try:
        out = rnn_ops.rnn_sequence(kind, *[tf.constant(a) for a in arrays])
        dy = rng.standard_normal(out.shape)
        flat = _core.rnn_sequence_grad(tf.constant(dy)._a, out._a, *[tf.constant(a)._a for a in arrays[:3]],
                                       *[tf.constant(a)._a for a in arrays[4:]], kind)
    finally:
        _core.set_num_threads(old)
    want = rnn_ops._np_rnn(*arrays, kind)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-10, atol=1e-12)
    want_grad = rnn_ops._np_rnn_grad(dy, want, *arrays[:3], *arrays[4:], kind)
    np.testing.assert_allclose(np.asarray(flat), want_grad, rtol=1e-9, atol=1e-10)


def test_bad_operands_are_refused_by_name(rng):
    x, w, r, b, mask, h, c = [tf.constant(a) for a in _operands(rng, "lstm", batch=2, units=3)]
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"rnn_sequence \(lstm\): the kernel must have shape "
                                                             r"\(3, 12\), got \(3, 8\)"):
        rnn_ops.rnn_sequence("lstm", x, w[:, :8], r, b, mask, h, c)
    with pytest.raises(tf.errors.InvalidArgumentError, match="kind must be 'simple_rnn', 'lstm' or 'gru', got 'rnn'"):
        rnn_ops.rnn_sequence("rnn", x, w, r, b, mask, h, c)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"the initial state h must have shape \(2, 3\)"):
        rnn_ops.rnn_sequence("lstm", x, w, r, b, mask, h[:1], c)
    with pytest.raises(tf.errors.InvalidArgumentError, match="the bias has dtype float32, expected float64"):
        rnn_ops.rnn_sequence("lstm", x, w, r, tf.cast(b, "float32"), mask, h, c)
    with pytest.raises(TypeError, match="the mask must be bool, got float64"):
        rnn_ops.rnn_sequence("lstm", x, w, r, b, tf.cast(mask, "float64"), h, c)
    with pytest.raises(tf.errors.InvalidArgumentError, match="an initial cell state c is missing for lstm"):
        _core.rnn_sequence(x._a, w._a, r._a, b._a, mask._a, h._a, "lstm")


def test_long_batches_sum_their_weight_gradients_in_pieces(rng):
    # batch * time > 4096 rows: the weight gradients are summed in pieces.
    arrays = _operands(rng, "gru", batch=700, steps=7, features=2, units=3)
    out = rnn_ops.rnn_sequence("gru", *[tf.constant(a) for a in arrays])
    dy = rng.standard_normal(out.shape)
    flat = _core.rnn_sequence_grad(tf.constant(dy)._a, out._a, *[tf.constant(a)._a for a in arrays[:3]],
                                   *[tf.constant(a)._a for a in arrays[4:]], "gru")
    want = rnn_ops._np_rnn_grad(dy, rnn_ops._np_rnn(*arrays, "gru"), *arrays[:3], *arrays[4:], "gru")
    np.testing.assert_allclose(np.asarray(flat), want, rtol=1e-9, atol=1e-9)
