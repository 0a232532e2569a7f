"""SimpleRNN, LSTM, GRU, Bidirectional and TimeDistributed against direct numpy
recurrences, masks from Embedding/Masking, and gradients through time by
finite differences (float64 layers)."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import layers
from tests.conftest import numeric_gradient


def _sig(x):
    return 1 / (1 + np.exp(-x))


def np_simple(x, W, U, b, h=None):
    h = np.zeros((x.shape[0], U.shape[0])) if h is None else h
    outs = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ W + h @ U + b)
        outs.append(h)
    return np.stack(outs, 1), [h]


def np_lstm(x, W, U, b, h=None, c=None):
    u = U.shape[0]
    h = np.zeros((x.shape[0], u)) if h is None else h
    c = np.zeros((x.shape[0], u)) if c is None else c
    outs = []
    for t in range(x.shape[1]):
        i, f, g, o = np.split(x[:, t] @ W + h @ U + b, 4, -1)
        c = _sig(f) * c + _sig(i) * np.tanh(g)
        h = _sig(o) * np.tanh(c)
        outs.append(h)
    return np.stack(outs, 1), [h, c]


def np_gru(x, W, U, b, h=None, reset_after=True):
    u = U.shape[0]
    h = np.zeros((x.shape[0], u)) if h is None else h
    outs = []
    for t in range(x.shape[1]):
        if reset_after:
            xz, xr, xh = np.split(x[:, t] @ W + b[0], 3, -1)
            rz, rr, rh = np.split(h @ U + b[1], 3, -1)
            z, r = _sig(xz + rz), _sig(xr + rr)
            cand = np.tanh(xh + r * rh)
        else:
            xz, xr, xh = np.split(x[:, t] @ W + b, 3, -1)
            z, r = _sig(xz + h @ U[:, :u]), _sig(xr + h @ U[:, u:2 * u])
            cand = np.tanh(xh + (r * h) @ U[:, 2 * u:])
        h = z * h + (1 - z) * cand
        outs.append(h)
    return np.stack(outs, 1), [h]


CASES = [(layers.SimpleRNN, {}, np_simple), (layers.LSTM, {}, np_lstm), (layers.GRU, {}, np_gru),
         (layers.GRU, {"reset_after": False}, lambda *a: np_gru(*a, reset_after=False))]


def _randomize(layer, rng):
    layer.set_weights([rng.standard_normal(w.shape) * 0.5 for w in layer.get_weights()])
    return [w.numpy() for w in layer.weights]


@pytest.mark.parametrize("cls,kw,ref", CASES)
def test_recurrence_matches_numpy(cls, kw, ref, rng):
    x = rng.standard_normal((3, 5, 4))
    layer = cls(6, return_sequences=True, return_state=True, dtype="float64", **kw)
    layer(x)
    weights = _randomize(layer, rng)
    out, *states = layer(x)
    want_seq, want_states = ref(x, *weights)
    np.testing.assert_allclose(out.numpy(), want_seq, rtol=1e-10, atol=1e-12)
    for got, want in zip(states, want_states):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)
    last = cls(6, dtype="float64", **kw)
    last(x)
    last.set_weights(weights)
    np.testing.assert_allclose(last(x).numpy(), want_seq[:, -1], rtol=1e-10)
    back = cls(6, go_backwards=True, return_sequences=True, dtype="float64", **kw)
    back(x)
    back.set_weights(weights)
    np.testing.assert_allclose(back(x).numpy(), ref(x[:, ::-1], *weights)[0], rtol=1e-10)
    init = [rng.standard_normal((3, 6)) for _ in want_states]
    got = layer(x, initial_state=[tf.constant(s) for s in init])[0].numpy()
    np.testing.assert_allclose(got, ref(x, *weights, *init)[0], rtol=1e-10)


@pytest.mark.parametrize("sequences", [True, False])
@pytest.mark.parametrize("cls,kw,ref", CASES)
def test_gradients_through_time(cls, kw, ref, sequences, rng):
    x = rng.standard_normal((2, 3, 3))
    layer = cls(2, return_sequences=sequences, dtype="float64", **kw)
    layer(x)
    weights = _randomize(layer, rng)
    dy = rng.standard_normal((2, 3, 2))
    if not sequences:  # the loss sees the last step only
        dy[:, :-1] = 0
        layer_dy = dy[:, -1]
    else:
        layer_dy = dy
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        loss = tf.reduce_sum(layer(xt) * layer_dy)
    grads = tape.gradient(loss, [xt] + layer.trainable_weights)
    np.testing.assert_allclose(grads[0].numpy(), numeric_gradient(lambda a: np.sum(ref(a, *weights)[0] * dy), x.copy()),
                               rtol=1e-6, atol=1e-8)
    for k, w in enumerate(weights):
        def f(v, k=k):
            ws = list(weights)
            ws[k] = v
            return np.sum(ref(x, *ws)[0] * dy)
        np.testing.assert_allclose(grads[k + 1].numpy(), numeric_gradient(f, w.copy()), rtol=1e-6, atol=1e-8,
                                   err_msg=layer.weights[k].name)


def test_masks_carry_state_over(rng):
    x = rng.standard_normal((2, 5, 3))
    lstm = layers.LSTM(4, dtype="float64")
    lstm(x)
    weights = _randomize(lstm, rng)
    mask = np.array([[True, True, True, False, False], [False, False, True, True, True]])
    got = lstm(x, mask=tf.constant(mask)).numpy()
    np.testing.assert_allclose(got[0], np_lstm(x[:1, :3], *weights)[1][0][0], rtol=1e-10)
    np.testing.assert_allclose(got[1], np_lstm(x[1:, 2:], *weights)[1][0][0], rtol=1e-10)
    # The same through Masking: padded steps are all-zero features.
    padded = np.where(mask[..., None], x, 0.0)
    np.testing.assert_allclose(lstm(layers.Masking(0.0, dtype="float64")(padded)).numpy(), got, rtol=1e-10)


def test_embedding_mask_zero_reaches_the_lstm(rng):
    ids = np.array([[0, 0, 3, 1], [2, 4, 1, 0]])
    emb = layers.Embedding(5, 3, mask_zero=True, dtype="float64")
    lstm = layers.LSTM(2, dtype="float64")
    model = keras.Sequential([emb, lstm])
    model(ids)
    table = rng.standard_normal((5, 3))
    emb.set_weights([table])
    weights = _randomize(lstm, rng)
    got = model(ids).numpy()
    np.testing.assert_allclose(got[0], np_lstm(table[[[3, 1]]], *weights)[1][0][0], rtol=1e-10)
    np.testing.assert_allclose(got[1], np_lstm(table[[[2, 4, 1]]], *weights)[1][0][0], rtol=1e-10)
    np.testing.assert_array_equal(emb.compute_mask(tf.constant(ids)).numpy(), ids != 0)


def test_bidirectional_and_time_distributed(rng):
    x = rng.standard_normal((2, 4, 3))
    bi = layers.Bidirectional(layers.LSTM(2, return_sequences=True, dtype="float64"), dtype="float64")
    bi(x)
    fw = [w.numpy() for w in bi.forward_layer.weights]
    bw = [w.numpy() for w in bi.backward_layer.weights]
    assert not any(a is b for a, b in zip(bi.forward_layer.weights, bi.backward_layer.weights))
    want = np.concatenate([np_lstm(x, *fw)[0], np_lstm(x[:, ::-1], *bw)[0][:, ::-1]], -1)
    np.testing.assert_allclose(bi(x).numpy(), want, rtol=1e-10)
    assert len(bi.trainable_weights) == 6
    summed = layers.Bidirectional(layers.GRU(2), merge_mode="sum")
    assert summed(x.astype(np.float32)).shape == (2, 2)
    with pytest.raises(ValueError, match="merge_mode"):
        layers.Bidirectional(layers.GRU(2), merge_mode="max")
    td = layers.TimeDistributed(layers.Dense(5, dtype="float64"), dtype="float64")
    out = td(x)
    k, b = (w.numpy() for w in td.layer.weights)
    np.testing.assert_allclose(out.numpy(), x @ k + b, rtol=1e-12)


def test_recurrent_models_train_and_report_shapes(rng):
    inp = keras.Input((None, 3))
    seq = layers.GRU(4, return_sequences=True)(inp)
    out = layers.TimeDistributed(layers.Dense(1))(seq)
    model = keras.Model(inp, out)
    assert tuple(seq.shape) == (None, None, 4) and tuple(out.shape) == (None, None, 1)
    x = rng.standard_normal((16, 6, 3)).astype(np.float32)
    y = np.cumsum(x[..., :1], 1)
    model.compile("adam", "mse")
    h = model.fit(x, y, epochs=5, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
    states = layers.LSTM(3, return_state=True)(keras.Input((5, 2)))
    assert [tuple(s.shape) for s in states] == [(None, 3)] * 3


def test_recurrent_argument_errors():
    with pytest.raises(ValueError, match="stateful=True needs a fixed batch size"):
        keras.Sequential([keras.Input((3, 1)), layers.LSTM(2, stateful=True)])
    with pytest.raises(NotImplementedError, match="kernel_constraint"):
        layers.GRU(2, kernel_constraint="non_neg")
    with pytest.raises(ValueError, match="dropout must be in"):
        layers.SimpleRNN(2, dropout=1.5)
    with pytest.raises(ValueError, match=r"expects inputs of shape \(batch, time, features\)"):
        layers.LSTM(2)(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="has 2 state"):
        layers.LSTM(2)(np.zeros((2, 3, 1), np.float32), initial_state=[np.zeros((2, 2), np.float32)])


def test_recurrent_dropout_only_in_training(rng):
    x = rng.standard_normal((4, 3, 2)).astype(np.float32)
    layer = layers.LSTM(3, dropout=0.5, recurrent_dropout=0.5)
    a, b = layer(x).numpy(), layer(x).numpy()
    np.testing.assert_array_equal(a, b)
    tf.random.set_seed(0)
    assert not np.allclose(layer(x, training=True).numpy(), a)


@pytest.mark.parametrize("sequences", [True, False])
@pytest.mark.parametrize("cls,kw,ref", CASES)
def test_step_path_matches_the_fused_path_with_masks(cls, kw, ref, sequences, rng, monkeypatch):
    """Values and gradients of the written-out backward pass against the
    step-by-step path (which the tape differentiates), with a ragged mask."""
    from tensorlet.keras.layers import recurrent_fused

    x = rng.standard_normal((3, 5, 3))
    mask = tf.constant(np.array([[1, 1, 1, 0, 0], [0, 0, 1, 1, 1], [1, 0, 1, 0, 1]], bool))
    layer = cls(3, return_sequences=sequences, return_state=True, dtype="float64", **kw)
    layer(x)
    _randomize(layer, rng)
    dys = None

    def run():
        nonlocal dys
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            outs = layer(xt, mask=mask)
            if dys is None:
                dys = [rng.standard_normal(o.shape) for o in outs]
            loss = tf.add_n([tf.reduce_sum(o * d) for o, d in zip(outs, dys)])
        return [o.numpy() for o in outs] + [g.numpy() for g in tape.gradient(loss, [xt] + layer.trainable_weights)]

    fused = run()
    monkeypatch.setattr(recurrent_fused, "ENABLED", False)
    for f, s in zip(fused, run()):
        np.testing.assert_allclose(f, s, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls,kw,ref", CASES[1:3])
def test_gradients_of_states_and_initial_states(cls, kw, ref, rng):
    x = rng.standard_normal((2, 3, 2))
    layer = cls(2, return_state=True, dtype="float64", **kw)
    layer(x)
    weights = _randomize(layer, rng)
    init = [rng.standard_normal((2, 2)) for _ in layer.cell.get_initial_state(2)]
    ws = [rng.standard_normal((2, 2)) for _ in init]

    def ref_loss(*s):
        return sum(np.sum(f * w) for f, w in zip(ref(x, *weights, *s)[1], ws))

    ts = [tf.constant(s) for s in init]
    with tf.GradientTape() as tape:
        tape.watch(ts)
        _, *final = layer(x, initial_state=ts)
        loss = tf.add_n([tf.reduce_sum(f * w) for f, w in zip(final, ws)])
    for k, g in enumerate(tape.gradient(loss, ts)):
        want = numeric_gradient(lambda a, k=k: ref_loss(*[a if j == k else s for j, s in enumerate(init)]),
                                init[k].copy())
        np.testing.assert_allclose(g.numpy(), want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("opts", [{"zero_output_for_mask": True}, {"use_bias": False, "go_backwards": True},
                                  {"initial_state": True}, {"time_major": True}])
@pytest.mark.parametrize("cls", [layers.SimpleRNN, layers.LSTM, layers.GRU])
def test_fused_path_matches_the_step_path_with_options(cls, opts, rng, monkeypatch):
    """The fused kernel (taken, as counted) against the step path the tape
    differentiates: outputs, states and gradients, with a ragged mask."""
    from tensorlet.keras.layers import recurrent_fused

    opts = dict(opts)
    init = opts.pop("initial_state", False)
    x = rng.standard_normal((5, 3, 2) if opts.get("time_major") else (3, 5, 2))
    mask = tf.constant(np.array([[1, 1, 1, 0, 0], [0, 0, 1, 1, 1], [1, 0, 1, 0, 1]], bool))
    layer = cls(3, return_sequences=True, return_state=True, dtype="float64", **opts)
    layer(x)
    _randomize(layer, rng)
    states = [tf.constant(rng.standard_normal((3, 3))) for _ in range(2 if cls is layers.LSTM else 1)]
    dys, calls = None, []
    run_fused = recurrent_fused.run
    monkeypatch.setattr(recurrent_fused, "run", lambda *a: calls.append(1) or run_fused(*a))

    def run():
        nonlocal dys
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch([xt] + states)
            outs = layer(xt, mask=mask, initial_state=states if init else None)
            dys = dys or [rng.standard_normal(o.shape) for o in outs]
            loss = tf.add_n([tf.reduce_sum(o * d) for o, d in zip(outs, dys)])
        grads = tape.gradient(loss, [xt] + layer.trainable_weights + (states if init else []))
        return [o.numpy() for o in outs] + [g.numpy() for g in grads]

    fused = run()
    assert calls == [1]
    monkeypatch.setattr(recurrent_fused, "ENABLED", False)
    for f, s in zip(fused, run(), strict=True):
        np.testing.assert_allclose(f, s, rtol=1e-10, atol=1e-12)
    assert calls == [1]


@pytest.mark.parametrize("cls,kw,ref", CASES[:3])
def test_fused_float32_matches_numpy(cls, kw, ref, rng):
    x = rng.standard_normal((4, 7, 5)).astype(np.float32)
    layer = cls(8, return_sequences=True, return_state=True, **kw)
    layer(x)
    weights = _randomize(layer, rng)
    out, *states = layer(x)
    want_seq, want_states = ref(x.astype(np.float64), *[w.astype(np.float64) for w in weights])
    np.testing.assert_allclose(out.numpy(), want_seq, rtol=1e-4, atol=1e-5)
    for got, want in zip(states, want_states):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cls,kw,ref", CASES)
def test_stateful_layers_carry_states_between_batches(cls, kw, ref, rng):
    x = rng.standard_normal((2, 6, 3))
    layer = cls(4, stateful=True, dtype="float64", **kw)
    layer(x[:, :3])
    weights = _randomize(layer, rng)
    layer.reset_state()
    assert len(layer.weights) == len(weights)  # the states are not weights
    first, second = layer(x[:, :3]).numpy(), layer(x[:, 3:]).numpy()
    np.testing.assert_allclose(first, ref(x[:, :3], *weights)[0][:, -1], rtol=1e-10)
    np.testing.assert_allclose(second, ref(x, *weights)[0][:, -1], rtol=1e-10)  # one sequence in two halves
    layer.reset_states()
    np.testing.assert_allclose(layer(x[:, 3:]).numpy(), ref(x[:, 3:], *weights)[0][:, -1], rtol=1e-10)
    with pytest.raises(ValueError, match="keeps states for batches of 2, got a batch of 1"):
        layer(x[:1])
    model = keras.Sequential([keras.Input(batch_shape=(2, 3, 3)), cls(4, stateful=True, **kw), layers.Dense(1)])
    model.compile("adam", "mse")
    model.fit(x[:, :3].astype(np.float32), np.ones((2, 1), np.float32), epochs=2, verbose=0)
    assert np.abs(model.layers[0].states[0].numpy()).sum() > 0
