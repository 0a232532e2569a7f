"""tf.train.Checkpoint / CheckpointManager / latest_checkpoint and tf.saved_model."""

import os

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import layers


def _model():
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(4, activation="relu"), layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.01), "mse")
    return model


def _data():
    x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
    return x, x.sum(1, keepdims=True)


def test_save_restore_model_optimizer_and_step(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    step = tf.Variable(7)
    ckpt = tf.train.Checkpoint(model=model, optimizer=model.optimizer, step=step)
    path = ckpt.save(str(tmp_path / "ckpt"))
    assert path == str(tmp_path / "ckpt-1") and int(ckpt.save_counter) == 1
    assert tf.train.latest_checkpoint(str(tmp_path)) == path

    fresh = _model()
    new_step = tf.Variable(0)
    status = tf.train.Checkpoint(model=fresh, optimizer=fresh.optimizer, step=new_step).restore(path)
    status.assert_consumed()
    assert int(new_step) == 7 and fresh.optimizer.iterations == 8
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))
    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    fresh.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_restore_none_and_mismatches(tmp_path):
    model = _model()
    ckpt = tf.train.Checkpoint(model=model)
    ckpt.restore(None)  # a first run: nothing to restore
    path = ckpt.save(str(tmp_path / "c"))
    other = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(5), layers.Dense(1)])
    before = other.get_weights()
    with pytest.raises(ValueError, match="shape"):
        tf.train.Checkpoint(model=other).restore(path)
    np.testing.assert_array_equal(before[0], other.get_weights()[0])
    with pytest.raises(FileNotFoundError):
        ckpt.restore(str(tmp_path / "nothing-3"))
    with pytest.raises(AssertionError, match="not tracked"):
        tf.train.Checkpoint(model=model).restore(
            tf.train.Checkpoint(model=model, extra=tf.Variable(1.0)).save(str(tmp_path / "d"))).assert_consumed()
    with pytest.raises(TypeError, match="holds no variables"):
        tf.train.Checkpoint(model="not a model")


def test_manager_keeps_the_newest(tmp_path):
    model = _model()
    ckpt = tf.train.Checkpoint(model=model)
    manager = tf.train.CheckpointManager(ckpt, str(tmp_path / "ckpts"), max_to_keep=2)
    assert manager.latest_checkpoint is None
    paths = [manager.save() for _ in range(4)]
    assert manager.checkpoints == paths[2:] and manager.latest_checkpoint == paths[-1]
    assert sorted(os.listdir(tmp_path / "ckpts")) == ["checkpoint", "ckpt-3.npz", "ckpt-4.npz"]
    again = tf.train.CheckpointManager(tf.train.Checkpoint(model=_model()), str(tmp_path / "ckpts"), max_to_keep=2)
    assert again.latest_checkpoint == paths[-1]
    assert again.restore_or_initialize() == paths[-1]
    np.testing.assert_array_equal(again.checkpoint.model.get_weights()[0], model.get_weights()[0])
    assert manager.save(checkpoint_number=100).endswith("ckpt-100")


def test_saved_model_keras(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=1, verbose=0)
    tf.saved_model.save(model, str(tmp_path / "export"))
    loaded = tf.saved_model.load(str(tmp_path / "export"))
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(model(x)))
    out = loaded.signatures["serving_default"](tf.constant(x))
    np.testing.assert_array_equal(np.asarray(list(out.values())[0]), np.asarray(model(x)))
    with pytest.raises(FileNotFoundError, match="no tensorlet saved model"):
        tf.saved_model.load(str(tmp_path))


@keras.saving.register_keras_serializable("CheckpointTests")
class Affine:
    def __init__(self, n=2):
        self.n = n
        self.w = tf.Variable(tf.ones((n, n)))
        self.b = tf.Variable(tf.zeros((n,)))

    @property
    def variables(self):
        return [self.w, self.b]

    def __call__(self, x):
        return tf.matmul(x, self.w) + self.b

    def get_config(self):
        return {"n": self.n}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def test_saved_model_module(tmp_path):
    m = Affine(3)
    m.w.assign(np.arange(9, dtype="float32").reshape(3, 3))
    tf.saved_model.save(m, str(tmp_path / "m"))
    loaded = tf.saved_model.load(str(tmp_path / "m"))
    x = tf.ones((2, 3))
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(m(x)))

    class Unregistered:
        variables = []

    with pytest.raises(ValueError, match="register_keras_serializable"):
        tf.saved_model.save(Unregistered(), str(tmp_path / "u"))
