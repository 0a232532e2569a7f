"""load_weights and load_model given files they cannot read: each error names
the function, the file and what was expected, and the model is unchanged."""

import os

import h5py
import numpy as np
import pytest

from tensorlet import keras


def _model():
    m = keras.Sequential([keras.layers.Dense(3, input_shape=(4,)), keras.layers.Dense(2)])
    m.compile("adam", "mse")
    m.fit(np.ones((4, 4), np.float32), np.ones((4, 2), np.float32), verbose=0)
    return m


def _tf_checkpoint(d):
    for suffix in (".index", ".data-00000-of-00001"):
        with open(os.path.join(d, "ckpt" + suffix), "wb") as f:
            f.write(os.urandom(64))
    return os.path.join(d, "ckpt")


def _saved_model(d):
    os.makedirs(os.path.join(d, "saved", "variables"))
    with open(os.path.join(d, "saved", "saved_model.pb"), "wb") as f:
        f.write(os.urandom(64))
    return os.path.join(d, "saved")


def _other_h5(d):
    with h5py.File(os.path.join(d, "other.weights.h5"), "w") as f:
        f["data"] = np.ones(3)
    return os.path.join(d, "other.weights.h5")


def _random(d, name="random.weights.npz"):
    with open(os.path.join(d, name), "wb") as f:
        f.write(os.urandom(300))
    return os.path.join(d, name)


def _truncated(d, name="model.keras"):
    m = _model()
    path = os.path.join(d, name)
    m.save(path) if name.endswith(".keras") else m.save_weights(path)
    data = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(data[:len(data) // 2])
    return path


def _pickled(d):
    np.savez(os.path.join(d, "pickled.weights.npz"), a=np.array([{1: 2}], dtype=object))
    return os.path.join(d, "pickled.weights.npz")


def _wrong_dtype(d):  # the right count and shapes, but text where numbers belong
    arrays = {f"weights/{i}": np.full(w.shape, "x") for i, w in enumerate(_model().weights)}
    np.savez(os.path.join(d, "text.weights.npz"), **arrays)
    return os.path.join(d, "text.weights.npz")


FOREIGN = {
    "tf checkpoint prefix": (_tf_checkpoint, "TensorFlow checkpoint prefix"),
    "saved model folder": (_saved_model, "SavedModel folder"),
    "h5 without keras weights": (_other_h5, "HDF5 file"),
    "random binary": (_random, "neither a zip archive"),
    "missing file": (lambda d: os.path.join(d, "missing.weights.npz"), "no such file"),
    "truncated zip (.keras)": (_truncated, "damaged"),
    "truncated zip (.weights.npz)": (lambda d: _truncated(d, "m.weights.npz"), "zip"),
    "pickled npz": (_pickled, "pickled"),
    "text arrays": (_wrong_dtype, "weight"),
}


@pytest.mark.parametrize("function", ["load_weights", "load_model"])
@pytest.mark.parametrize("kind", list(FOREIGN))
def test_foreign_file_is_refused_by_name_and_changes_nothing(tmp_path, kind, function):
    make, what = FOREIGN[kind]
    path = make(str(tmp_path))
    model = _model()
    before = [w.numpy().copy() for w in model.weights]
    slots = [v.numpy().copy() for v in model.optimizer.variables]
    steps = int(model.optimizer.iterations)
    load = model.load_weights if function == "load_weights" else keras.models.load_model
    with pytest.raises((ValueError, FileNotFoundError)) as info:
        load(path)
    msg = str(info.value)
    assert msg.startswith(function + ": ") and repr(path) in msg, msg
    assert "expected" in msg or "not a .keras model file" in msg, msg
    if function == "load_weights":
        assert what in msg, msg
    for leak in ("invalid literal", "allow_pickle", "Errno", "pickled (object) data"):
        assert leak not in msg, msg
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, model.weights))
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(slots, model.optimizer.variables))
    assert int(model.optimizer.iterations) == steps


def test_load_weights_reads_the_weights_of_a_keras_file(tmp_path):
    saved, other = _model(), _model()
    saved.save(str(tmp_path / "m.keras"))
    other.load_weights(str(tmp_path / "m.keras"))
    for a, b in zip(saved.weights, other.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_an_optimizer_state_that_does_not_convert_is_skipped_whole(tmp_path):
    saved, other = _model(), _model()
    arrays = {f"weights/{i}": w.numpy() for i, w in enumerate(saved.weights)}
    arrays.update({f"optimizer/{i}": np.full(v.shape, "x") for i, v in enumerate(saved.optimizer.variables)})
    arrays["optimizer/iterations"] = np.asarray(7, np.int64)
    np.savez(str(tmp_path / "m.weights.npz"), **arrays)
    slots = [v.numpy().copy() for v in other.optimizer.variables]
    with pytest.warns(UserWarning, match="optimizer starts afresh"):
        other.load_weights(str(tmp_path / "m.weights.npz"))
    for a, b in zip(saved.weights, other.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(slots, other.optimizer.variables))
    assert int(other.optimizer.iterations) == 1
