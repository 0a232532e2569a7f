"""Masks through Layer.__call__: made by Embedding(mask_zero)/Masking, attached
to outputs as ``_keras_mask``, passed to ``call(mask=...)``, propagated by the
layers that support masking (compute_mask), in eager and functional models.
A masked recurrent layer equals the numpy recurrence on the trimmed sequences."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import layers
from tests.keras.test_recurrent_layers import np_gru, np_lstm

IDS = np.array([[3, 1, 4, 0, 0], [2, 0, 0, 0, 0], [1, 2, 3, 4, 2]])
LENGTHS = [3, 1, 5]


def _trimmed_lstm(emb, lstm, ids, backwards=False):
    """The final output of the numpy LSTM run on each sequence without its padding."""
    table = emb.embeddings.numpy()
    W, U, b = (w.numpy() for w in lstm.cell.weights)
    outs = []
    for row, n in zip(ids, LENGTHS):
        x = table[row[:n]][None]
        outs.append(np_lstm(x[:, ::-1] if backwards else x, W, U, b)[0][0, -1])
    return np.stack(outs)


def test_masked_lstm_equals_the_lstm_on_trimmed_sequences():
    emb, lstm = layers.Embedding(5, 3, mask_zero=True, dtype="float64"), layers.LSTM(4, dtype="float64")
    out = lstm(emb(IDS))
    np.testing.assert_allclose(out.numpy(), _trimmed_lstm(emb, lstm, IDS), rtol=1e-10, atol=1e-12)
    # in a functional model the mask travels the same way, compiled or not
    inp = keras.Input((5,), dtype="int32")
    model = keras.Model(inp, lstm(emb(inp)))
    np.testing.assert_allclose(model.predict(IDS, verbose=0), _trimmed_lstm(emb, lstm, IDS), rtol=1e-10)
    model.compile("sgd", "mse")
    target = np.zeros((3, 4))
    assert model.evaluate(IDS, target, verbose=0) == pytest.approx((_trimmed_lstm(emb, lstm, IDS) ** 2).mean())


def test_masking_layer_feeds_a_gru_and_the_mask_follows_return_sequences():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 5, 2))
    for row, n in zip(x, LENGTHS):
        row[n:] = 0.0
    masked = layers.Masking(0.0, dtype="float64")(tf.constant(x))
    np.testing.assert_array_equal(masked._keras_mask.numpy(), np.arange(5)[None] < np.array(LENGTHS)[:, None])
    gru = layers.GRU(3, return_sequences=True, dtype="float64")
    seq = gru(masked)
    np.testing.assert_array_equal(seq._keras_mask.numpy(), masked._keras_mask.numpy())
    W, U, b = (w.numpy() for w in gru.cell.weights)
    for i, n in enumerate(LENGTHS):
        want = np_gru(x[i:i + 1, :n], W, U, b)[0][0]
        np.testing.assert_allclose(seq.numpy()[i, :n], want, rtol=1e-10)
        np.testing.assert_allclose(seq.numpy()[i, n:], np.repeat(want[-1:], 5 - n, 0), rtol=1e-10)  # carried over
    dense = layers.Dense(2, dtype="float64")(seq)  # Dense passes the mask on
    np.testing.assert_array_equal(dense._keras_mask.numpy(), masked._keras_mask.numpy())
    assert getattr(layers.GRU(3, dtype="float64")(masked), "_keras_mask", None) is None  # last step only: no mask


def test_bidirectional_runs_the_backward_layer_over_the_kept_steps():
    emb = layers.Embedding(5, 3, mask_zero=True, dtype="float64")
    bi = layers.Bidirectional(layers.LSTM(2, dtype="float64"), merge_mode="concat")
    out = bi(emb(IDS)).numpy()
    np.testing.assert_allclose(out[:, :2], _trimmed_lstm(emb, bi.forward_layer, IDS), rtol=1e-10)
    np.testing.assert_allclose(out[:, 2:], _trimmed_lstm(emb, bi.backward_layer, IDS, backwards=True), rtol=1e-10)
    seq = layers.Bidirectional(layers.LSTM(2, return_sequences=True, dtype="float64"))(emb(IDS))
    np.testing.assert_array_equal(seq._keras_mask.numpy(), IDS != 0)


def test_time_distributed_pooling_and_merges_follow_keras():
    emb = layers.Embedding(5, 4, mask_zero=True)
    e = emb(IDS)
    td = layers.TimeDistributed(layers.Dense(3))(e)
    np.testing.assert_array_equal(td._keras_mask.numpy(), IDS != 0)
    pooled = layers.GlobalAveragePooling1D()(e)
    table = emb.embeddings.numpy()
    want = np.stack([table[row[:n]].mean(0) for row, n in zip(IDS, LENGTHS)])
    np.testing.assert_allclose(pooled.numpy(), want, rtol=1e-6)
    assert getattr(pooled, "_keras_mask", None) is None
    other = layers.Embedding(5, 4, mask_zero=True)(np.array([[1, 0, 0, 0, 0]] * 3))
    np.testing.assert_array_equal(layers.Add()([e, other])._keras_mask.numpy(), (IDS != 0) | (np.arange(5) < 1))
    unmasked = tf.ones((3, 5, 2))
    np.testing.assert_array_equal(layers.Concatenate()([e, unmasked])._keras_mask.numpy(), np.ones((3, 5), bool))
    assert getattr(layers.Add()([e, tf.ones((3, 5, 4))]), "_keras_mask", None) is None
    assert getattr(layers.Flatten()(e), "_keras_mask", None) is None  # no support for masking: the mask stops


def test_call_receives_the_mask_and_compute_mask_makes_one():
    seen = {}

    class Probe(layers.Layer):
        supports_masking = True

        def call(self, inputs, mask=None):
            seen["mask"] = mask
            return inputs * 2.0

    class DropFirst(layers.Layer):
        def compute_mask(self, inputs, mask=None):
            return tf.constant(np.arange(inputs.shape[1]) > 0)[None] & tf.ones(inputs.shape[:2], "bool")

        def call(self, inputs):
            return inputs

    x = DropFirst()(tf.ones((2, 3, 1)))
    assert DropFirst().supports_masking  # overriding compute_mask turns it on, as in Keras 3
    y = Probe()(x)
    np.testing.assert_array_equal(seen["mask"].numpy(), [[False, True, True]] * 2)
    np.testing.assert_array_equal(y._keras_mask.numpy(), [[False, True, True]] * 2)
    Probe()(tf.ones((2, 3, 1)))
    assert seen["mask"] is None


def test_sequences_of_a_masked_bidirectional_layer_are_zero_where_masked():
    """As Keras does (it sets zero_output_for_mask on both directions when they return sequences)."""
    emb = layers.Embedding(5, 3, mask_zero=True, dtype="float64")
    bi = layers.Bidirectional(layers.LSTM(2, return_sequences=True, dtype="float64"))
    seq = bi(emb(IDS)).numpy()
    table = emb.embeddings.numpy()
    fw, bw = ([w.numpy() for w in l.cell.weights] for l in (bi.forward_layer, bi.backward_layer))
    for i, n in enumerate(LENGTHS):
        x = table[IDS[i, :n]][None]
        np.testing.assert_allclose(seq[i, :n, :2], np_lstm(x, *fw)[0][0], rtol=1e-10)
        np.testing.assert_allclose(seq[i, :n, 2:], np_lstm(x[:, ::-1], *bw)[0][0][::-1], rtol=1e-10)
        np.testing.assert_array_equal(seq[i, n:], 0.0)
    last = layers.LSTM(2, zero_output_for_mask=True, dtype="float64")(emb(IDS)).numpy()
    np.testing.assert_array_equal(last[:2], 0.0)  # their last step is padding
    assert np.abs(last[2]).min() > 0


def test_wrappers_build_their_layers_in_a_functional_model():
    inp = keras.Input((5,), dtype="int32")
    seq = layers.Bidirectional(layers.LSTM(2, return_sequences=True))(layers.Embedding(5, 3, mask_zero=True)(inp))
    model = keras.Model(inp, layers.TimeDistributed(layers.Dense(4))(seq))
    assert [tuple(w.shape) for w in model.weights] == [(5, 3), (3, 8), (2, 8), (8,), (3, 8), (2, 8), (8,), (4, 4),
                                                       (4,)]
