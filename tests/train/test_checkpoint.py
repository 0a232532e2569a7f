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


class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.l1 = layers.Dense(5)

    def call(self, x):
        return self.l1(x)


def _toy_dataset():
    inputs = np.arange(10, dtype="float32").reshape(-1, 1) * np.ones((1, 5), "float32")
    return tf.data.Dataset.from_tensor_slices(dict(x=inputs, y=inputs * 2.0 + 1.0)).repeat().batch(2)


def _train(net, opt, iterator, ckpt, manager, steps):
    for _ in range(steps):
        example = next(iterator)
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.abs(net(example["x"]) - example["y"]))
        grads = tape.gradient(loss, net.trainable_variables)
        opt.apply_gradients(zip(grads, net.trainable_variables))
        ckpt.step.assign_add(1)
        if int(ckpt.step) % 5 == 0:
            manager.save()
    return float(loss)


def test_the_tensorflow_checkpoint_guide(tmp_path):
    """TensorFlow's "Training checkpoints" guide: restore comes before the model's first call and the
    optimizer's first step, and the dataset iterator is checkpointed too."""
    def run(steps):
        net, opt = Net(), keras.optimizers.Adam(0.1)
        iterator = iter(_toy_dataset())
        ckpt = tf.train.Checkpoint(step=tf.Variable(1), optimizer=opt, net=net, iterator=iterator)
        manager = tf.train.CheckpointManager(ckpt, str(tmp_path / "tf_ckpts"), max_to_keep=3)
        status = ckpt.restore(manager.latest_checkpoint)
        loss = _train(net, opt, iterator, ckpt, manager, steps)
        status.assert_consumed()
        return net, opt, int(ckpt.step), loss

    tf.random.set_seed(1234)
    run(9)  # saves at steps 5 and 10
    net, opt, step, _ = run(5)  # restored from step 10, trains 5 more
    assert step == 15 and opt.iterations == 14
    tf.random.set_seed(1234)
    reference = Net()
    ref_opt = keras.optimizers.Adam(0.1)
    it = iter(_toy_dataset())
    ckpt = tf.train.Checkpoint(step=tf.Variable(1), optimizer=ref_opt, net=reference, iterator=it)
    ref_manager = tf.train.CheckpointManager(ckpt, str(tmp_path / "ref"), max_to_keep=1)
    _train(reference, ref_opt, it, ckpt, ref_manager, 9)  # the same 9 steps, uninterrupted: 14 in all
    _train(reference, ref_opt, it, ckpt, ref_manager, 5)
    np.testing.assert_allclose(net.l1.kernel.numpy(), reference.l1.kernel.numpy(), rtol=1e-5, atol=1e-6)


def test_deferred_restore_waits_for_the_first_call(tmp_path):
    net = Net()
    net(tf.ones((1, 5)))
    path = tf.train.Checkpoint(net=net).save(str(tmp_path / "n"))
    fresh = Net()
    status = tf.train.Checkpoint(net=fresh).restore(path)
    with pytest.raises(AssertionError, match="waiting"):
        status.assert_consumed()
    np.testing.assert_array_equal(fresh(tf.ones((2, 5))).numpy(), net(tf.ones((2, 5))).numpy())
    status.assert_consumed()
