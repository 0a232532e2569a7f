"""tf.data.Dataset: sources, transformations, cardinality, specs, and fit/evaluate/predict on datasets."""

import collections
import gzip
import threading

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras

D = tf.data.Dataset


def values(ds):
    return list(ds.as_numpy_iterator())


def test_from_tensor_slices_tuples_dicts_and_lists():
    x, y = np.arange(12, dtype=np.float32).reshape(6, 2), np.arange(6)
    ds = D.from_tensor_slices((x, y))
    first = next(iter(ds))
    assert isinstance(first[0], tf.Tensor) and first[0].dtype == tf.float32 and tuple(first[0].shape) == (2,)
    assert len(ds) == 6 and int(ds.cardinality()) == 6
    assert ds.element_spec == (tf.data.TensorSpec((2,), tf.float32), tf.data.TensorSpec((), tf.int64))
    got = values(ds)
    np.testing.assert_array_equal(np.stack([a for a, _ in got]), x)
    feats = D.from_tensor_slices({"a": [1.0, 2.0], "b": [[1, 2], [3, 4]]})
    assert values(feats)[1]["a"] == np.float32(2.0) and feats.element_spec["b"].dtype == tf.int32
    np.testing.assert_array_equal(values(feats)[1]["b"], [3, 4])
    assert values(D.from_tensor_slices([1, 2, 3])) == [1, 2, 3]  # a list is one tensor, not a structure
    with pytest.raises(tf.errors.InvalidArgumentError, match="same size"):
        D.from_tensor_slices((np.zeros(3), np.zeros(4)))


def test_from_tensors_range_zip_concatenate_enumerate():
    assert [v.tolist() for v in values(D.from_tensors([1, 2]))] == [[1, 2]]
    assert values(D.range(2, 10, 3)) == [2, 5, 8] and D.range(3).element_spec.dtype == tf.int64
    z = D.zip((D.range(3), D.range(10, 20)))
    assert values(z) == [(0, 10), (1, 11), (2, 12)] and len(z) == 3
    zd = D.zip({"a": D.range(2), "b": D.range(5, 7)})
    assert values(zd) == [{"a": 0, "b": 5}, {"a": 1, "b": 6}]
    assert values(D.range(2).concatenate(D.range(5, 7))) == [0, 1, 5, 6]
    assert values(D.range(3).enumerate(start=10)) == [(10, 0), (11, 1), (12, 2)]


def test_map_filter_take_skip_repeat():
    ds = D.range(10).map(lambda v: v * 2, num_parallel_calls=tf.data.AUTOTUNE)
    assert values(ds) == list(range(0, 20, 2)) and len(ds) == 10
    pairs = D.from_tensor_slices((np.arange(4), np.arange(4) * 10)).map(lambda a, b: a + b)
    assert values(pairs) == [0, 11, 22, 33]
    odd = D.range(10).filter(lambda v: v % 2 == 1)
    assert values(odd) == [1, 3, 5, 7, 9] and int(odd.cardinality()) == tf.data.UNKNOWN_CARDINALITY
    with pytest.raises(TypeError, match="unknown"):
        len(odd)
    assert values(D.range(10).skip(7)) == [7, 8, 9] and values(D.range(10).take(2)) == [0, 1]
    assert values(D.range(3).repeat(2)) == [0, 1, 2, 0, 1, 2] and len(D.range(3).repeat(2)) == 6
    forever = D.range(3).repeat()
    assert int(forever.cardinality()) == tf.data.INFINITE_CARDINALITY
    assert values(forever.take(7)) == [0, 1, 2, 0, 1, 2, 0] and len(forever.take(7)) == 7
    with pytest.raises(TypeError, match="infinite"):
        len(forever)
    assert values(D.range(0).repeat()) == []
    with pytest.raises(tf.errors.InvalidArgumentError, match="filter"):
        values(D.range(3).filter(lambda v: v * 2))
    assert D.range(5).reduce(np.int64(0), lambda s, v: s + v) == 10


def test_batch_and_unbatch():
    ds = D.from_tensor_slices((np.arange(10).reshape(5, 2), np.arange(5))).batch(2)
    batches = values(ds)
    assert [b[1].tolist() for b in batches] == [[0, 1], [2, 3], [4]] and len(ds) == 3
    assert ds.element_spec[0] == tf.data.TensorSpec((None, 2), tf.int64)
    dropped = D.range(5).batch(2, drop_remainder=True)
    assert [b.tolist() for b in values(dropped)] == [[0, 1], [2, 3]] and len(dropped) == 2
    assert dropped.element_spec.shape == (2,)
    assert values(ds.unbatch().map(lambda a, b: b)) == [0, 1, 2, 3, 4]
    gen_batches = D.range(5).map(lambda v: v + 1).batch(3)  # the general (not index-based) path
    assert [b.tolist() for b in values(gen_batches)] == [[1, 2, 3], [4, 5]]
    with pytest.raises(tf.errors.InvalidArgumentError, match="padded_batch"):
        values(D.from_generator(lambda: iter([[1], [1, 2]]), output_signature=tf.data.TensorSpec((None,), "int32"))
               .batch(2))


def test_padded_batch():
    ds = D.from_generator(lambda: iter([[1], [2, 3], [4, 5, 6]]),
                          output_signature=tf.data.TensorSpec((None,), tf.int32))
    out = values(ds.padded_batch(2))
    np.testing.assert_array_equal(out[0], [[1, 0], [2, 3]])
    np.testing.assert_array_equal(out[1], [[4, 5, 6]])
    np.testing.assert_array_equal(values(ds.padded_batch(3, padded_shapes=[4], padding_values=-1))[0],
                                  [[1, -1, -1, -1], [2, 3, -1, -1], [4, 5, 6, -1]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="larger"):
        values(ds.padded_batch(3, padded_shapes=[2]))
    np.testing.assert_array_equal(values(ds.take(1).padded_batch(1, padded_shapes=(2,)))[0], [[1, 0]])
    pairs = ds.map(lambda v: (v, tf.size(v)))
    out = values(pairs.padded_batch(3, padded_shapes=([None], []), padding_values=(-1, 0)))
    np.testing.assert_array_equal(out[0][0], [[1, -1, -1], [2, 3, -1], [4, 5, 6]])
    assert out[0][1].tolist() == [1, 2, 3]


def test_shuffle_is_a_permutation_seeded_and_reshuffled():
    ds = D.range(100).shuffle(100, seed=3)
    a, b = values(ds), values(ds)
    assert sorted(a) == list(range(100)) and a != list(range(100)) and a != b
    same = D.range(100).shuffle(100, seed=3, reshuffle_each_iteration=False)
    assert values(same) == values(same)
    tf.random.set_seed(9)
    first = values(D.range(50).shuffle(50))
    tf.random.set_seed(9)
    assert values(D.range(50).shuffle(50)) == first
    small = values(D.range(20).shuffle(4, seed=1))  # a buffer of 4: an element moves at most 3 ahead
    assert sorted(small) == list(range(20)) and small[0] in (0, 1, 2, 3, 4)
    gen = D.from_generator(lambda: iter(range(30)), output_signature=tf.data.TensorSpec((), tf.int64))
    assert sorted(values(gen.shuffle(8, seed=2))) == list(range(30))
    batched = values(D.from_tensor_slices(np.arange(10)).shuffle(10, seed=5).batch(4))
    assert sorted(np.concatenate(batched).tolist()) == list(range(10))


def test_from_generator():
    def gen(n):
        for i in range(n):
            yield np.full((i + 1,), i, np.float64), i

    sig = (tf.data.TensorSpec((None,), tf.float32), tf.data.TensorSpec((), tf.int32))
    ds = D.from_generator(gen, args=(3,), output_signature=sig)
    out = values(ds)
    assert out[2][0].dtype == np.float32 and out[2][0].tolist() == [2, 2, 2] and out[2][1] == 2
    assert len(values(ds)) == len(values(ds)) == 3  # the generator is called anew on each pass
    assert ds.element_spec == sig
    old = D.from_generator(lambda: iter([(1, 2.0)]), output_types=(tf.int64, tf.float32))
    assert values(old)[0][0].dtype == np.int64
    with pytest.raises(tf.errors.InvalidArgumentError, match="shape"):
        values(D.from_generator(lambda: iter([[1, 2]]), output_signature=tf.data.TensorSpec((3,), tf.int32)))
    with pytest.raises(TypeError, match="callable"):
        D.from_generator(iter([1, 2]))


def test_cache_prefetch_and_errors_cross_threads():
    calls = collections.Counter()

    def count(v):
        calls[int(v)] += 1
        return v

    ds = D.range(5).map(count).cache()
    assert values(ds) == values(ds) == [0, 1, 2, 3, 4]
    assert set(calls.values()) == {1}
    pre = D.range(100).map(lambda v: v * 3).prefetch(tf.data.AUTOTUNE)
    assert values(pre) == [v * 3 for v in range(100)]
    assert values(D.range(1000).prefetch(2).take(3)) == [0, 1, 2]  # the producer thread stops

    def broken():
        yield 1
        raise RuntimeError("bad record")

    with pytest.raises(RuntimeError, match="bad record"):
        values(D.from_generator(broken, output_signature=tf.data.TensorSpec((), tf.int32)).prefetch(1))
    names = [t.name for t in threading.enumerate()]
    assert names.count("tensorlet-prefetch") <= 1


def test_strings_text_and_csv(tmp_path):
    lines = tmp_path / "a.txt"
    lines.write_text("first line\nsecond\n\nlast")
    ds = tf.data.TextLineDataset(str(lines))
    assert values(ds) == [b"first line", b"second", b"", b"last"]
    gz = tmp_path / "b.txt.gz"
    with gzip.open(gz, "wt") as f:
        f.write("x\ny\n")
    assert values(tf.data.TextLineDataset([str(gz)], compression_type="GZIP")) == [b"x", b"y"]
    assert [len(b) for b in values(ds.batch(3))] == [3, 1]
    with pytest.raises(FileNotFoundError):
        tf.data.TextLineDataset(str(tmp_path / "none.txt"))

    csv_file = tmp_path / "d.csv"
    csv_file.write_text("age,height,name,label\n30,1.8,ann,1\n,1.6,\"bo, b\",0\n41,,cy,1\n")
    rows = values(tf.data.experimental.CsvDataset(str(csv_file), [0, 0.0, "", tf.int32], header=True))
    assert rows[1] == (0, np.float32(1.6), b"bo, b", 0) and rows[2][1] == 0.0
    with pytest.raises(tf.errors.InvalidArgumentError, match="required"):
        values(tf.data.experimental.CsvDataset(str(csv_file), [tf.int32, 0.0, "", 0], header=True))
    ds = tf.data.experimental.make_csv_dataset(str(csv_file), batch_size=2, label_name="label", num_epochs=1,
                                               shuffle=False)
    feats, label = next(iter(ds))
    assert sorted(feats) == ["age", "height", "name"] and feats["age"].dtype == tf.int32
    assert feats["height"].dtype == tf.float32 and feats["name"].numpy().tolist() == [b"ann", b"bo, b"]
    np.testing.assert_array_equal(label.numpy(), [1, 0])
    with pytest.raises(ValueError, match="label_name"):
        tf.data.experimental.make_csv_dataset(str(csv_file), 2, label_name="nope")
    assert int(tf.data.experimental.make_csv_dataset(str(csv_file), 2).cardinality()) == \
        tf.data.INFINITE_CARDINALITY


def test_list_files(tmp_path):
    for name in ("b.txt", "a.txt", "c.csv"):
        (tmp_path / name).write_text(name)
    ordered = values(D.list_files(str(tmp_path / "*.txt"), shuffle=False))
    assert ordered == [str(tmp_path / "a.txt").encode(), str(tmp_path / "b.txt").encode()]
    assert sorted(values(D.list_files(str(tmp_path / "*"), seed=1))) == sorted(
        str(tmp_path / n).encode() for n in ("a.txt", "b.txt", "c.csv"))
    lines = tf.data.TextLineDataset(D.list_files(str(tmp_path / "*.txt"), shuffle=False))
    assert values(lines) == [b"a.txt", b"b.txt"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="no files"):
        D.list_files(str(tmp_path / "*.png"))


def test_shard_interleave_flat_map():
    assert values(D.range(10).shard(3, 1)) == [1, 4, 7]
    assert values(D.range(3).flat_map(lambda v: D.range(v))) == [0, 0, 1]
    assert values(D.range(1, 3).interleave(lambda v: D.range(v * 10, v * 10 + 3), cycle_length=2)) == \
        [10, 20, 11, 21, 12, 22]


def test_bad_arguments():
    with pytest.raises(tf.errors.InvalidArgumentError, match="batch"):
        D.range(3).batch(0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="take"):
        D.range(3).take(-5)
    with pytest.raises(tf.errors.InvalidArgumentError, match="shuffle"):
        D.range(3).shuffle(0)


# ---- Keras on datasets --------------------------------------------------------------------------
def _model():
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _xy(n=96):
    x = np.random.default_rng(0).normal(size=(n, 4)).astype("float32")
    return x, (x[:, 0] > 0).astype("int64") + (x[:, 1] > 1).astype("int64")


def test_fit_on_a_dataset_equals_fit_on_arrays():
    x, y = _xy()
    a, b = _model(), _model()
    b.set_weights(a.get_weights())
    ha = a.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    hb = b.fit(D.from_tensor_slices((x, y)).batch(16), epochs=2, verbose=0)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-6)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    ds = D.from_tensor_slices((x, y)).batch(32)
    np.testing.assert_allclose(a.evaluate(x, y, verbose=0), b.evaluate(ds, verbose=0), rtol=1e-6)
    np.testing.assert_array_equal(a.predict(x, verbose=0), b.predict(ds, verbose=0))
    np.testing.assert_array_equal(a.predict(x, verbose=0), b.predict(D.from_tensor_slices(x).batch(7), verbose=0))


def test_fit_with_steps_and_validation_datasets():
    x, y = _xy()
    model = _model()
    train = D.from_tensor_slices((x, y)).shuffle(96, seed=1).batch(16).repeat()
    val = D.from_tensor_slices((x[:32], y[:32])).batch(8).repeat()
    hist = model.fit(train, epochs=3, steps_per_epoch=4, validation_data=val, validation_steps=2, verbose=0)
    assert model.optimizer.iterations == 12 and len(hist.history["val_loss"]) == 3
    with pytest.raises(ValueError, match="steps_per_epoch"):
        model.fit(train, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="do not also pass y"):
        model.fit(D.from_tensor_slices(x).batch(8), y, verbose=0)
    with pytest.raises(ValueError, match="do not also pass y"):
        model.evaluate(D.from_tensor_slices(x).batch(8), y, verbose=0)
    dict_model_in = keras.Input(shape=(4,), name="feat")
    m2 = keras.Model(dict_model_in, keras.layers.Dense(1)(dict_model_in))
    m2.compile("sgd", "mse")
    m2.fit(D.from_tensor_slices(({"feat": x}, x[:, :1])).batch(32), epochs=1, verbose=0)
