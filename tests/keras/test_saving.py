"""model.save / keras.models.load_model, save_weights / load_weights, atomic
writes, refusing foreign or tampered files, ModelCheckpoint."""

import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import callbacks, layers
from tensorlet.keras.saving import weights as weights_io


def _data(rng, n=64):
    x = rng.normal(size=(n, 6)).astype("float32")
    return x, (x[:, :3].sum(1) > 0).astype("int64") + (x[:, 3] > 1).astype("int64")


def _sequential(optimizer="adam"):
    model = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, activation="relu"),
                              layers.Dropout(0.1), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _files(folder):
    return sorted(os.listdir(folder))


@pytest.mark.parametrize("optimizer", ["adam", "sgd_momentum", "rmsprop"])
def test_round_trip_predicts_the_same_and_training_continues(tmp_path, rng, optimizer):
    opt = keras.optimizers.SGD(0.05, momentum=0.9) if optimizer == "sgd_momentum" else optimizer
    x, y = _data(rng)
    model = _sequential(opt)
    model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.optimizer.iterations == model.optimizer.iterations == 8
    assert type(loaded.optimizer) is type(model.optimizer)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    # One more epoch on each gives the same weights: the optimizer state came back too.
    tf.random.set_seed(5)
    model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    tf.random.set_seed(5)
    loaded.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert _files(tmp_path) == ["m.keras"]


def test_file_layout_is_a_zip_of_json_and_npz(tmp_path, rng):
    model = _sequential()
    model.fit(*_data(rng), epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        assert sorted(z.namelist()) == ["config.json", "metadata.json", "model.weights.npz"]
        config = json.loads(z.read("config.json"))
    assert config["class_name"] == "Sequential"
    assert [l["class_name"] for l in config["config"]["layers"]] == ["InputLayer", "Dense", "Dropout", "Dense"]
    assert config["compile_config"]["loss"] == "sparse_categorical_crossentropy"
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"


def test_functional_and_compile_objects(tmp_path, rng):
    a = keras.Input(shape=(6,), name="features")
    h = layers.Dense(5, activation="tanh", kernel_regularizer=keras.regularizers.L2(0.01))(a)
    out = layers.Dense(1)(layers.Concatenate()([h, a]))
    model = keras.Model(a, out)
    model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(0.01, 5, 0.5)),
                  loss=keras.losses.Huber(delta=0.5), metrics=[keras.metrics.MeanAbsoluteError()])
    x, _ = _data(rng)
    model.fit(x, x[:, :1], epochs=1, verbose=0)
    model.save(tmp_path / "f.keras")
    loaded = keras.models.load_model(tmp_path / "f.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.loss.delta == 0.5 and loaded.optimizer._learning_rate.decay_steps == 5
    np.testing.assert_allclose(loaded.evaluate(x, x[:, :1], verbose=0), model.evaluate(x, x[:, :1], verbose=0))
    uncompiled = keras.models.load_model(tmp_path / "f.keras", compile=False)
    assert not uncompiled.compiled


class Scale(layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight((input_shape[-1],), "ones", name="w")

    def call(self, x):
        return x * self.w * self.factor


def my_loss(y_true, y_pred):
    return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)


def test_custom_objects(tmp_path, rng):
    model = keras.Sequential([keras.Input(shape=(6,)), Scale(3.0), layers.Dense(1)])
    model.compile("sgd", loss=my_loss)
    x, _ = _data(rng)
    model.fit(x, x[:, :1], epochs=1, verbose=0)
    model.save(tmp_path / "c.keras")
    with pytest.raises(ValueError, match="Unknown layer: 'Scale'.*custom_objects"):
        keras.models.load_model(tmp_path / "c.keras")
    loaded = keras.models.load_model(tmp_path / "c.keras", custom_objects={"Scale": Scale, "my_loss": my_loss})
    assert loaded.layers[0].factor == 3.0 and loaded.loss is my_loss
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    with keras.saving.custom_object_scope({"Scale": Scale, "my_loss": my_loss}):
        assert keras.models.load_model(tmp_path / "c.keras").layers[0].factor == 3.0


def test_registered_subclassed_model(tmp_path, rng):
    @keras.saving.register_keras_serializable(package="SavingTests")
    class TwoLayers(keras.Model):
        def __init__(self, hidden=4, **kwargs):
            super().__init__(**kwargs)
            self.hidden = hidden
            self.a, self.b = layers.Dense(hidden, activation="relu"), layers.Dense(2)

        def call(self, x):
            return self.b(self.a(x))

    model = TwoLayers(hidden=7)
    x, _ = _data(rng)
    model.compile("adam", "mse")
    model.fit(x, x[:, :2], epochs=1, verbose=0)
    model.save(tmp_path / "s.keras")
    loaded = keras.models.load_model(tmp_path / "s.keras")
    assert type(loaded) is TwoLayers and loaded.hidden == 7
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_lambda_layers_are_refused_at_save_time(tmp_path):
    model = keras.Sequential([keras.Input(shape=(2,)), layers.Lambda(lambda t: t * 2)])
    with pytest.raises(ValueError, match="lambda"):
        model.save(tmp_path / "l.keras")
    assert _files(tmp_path) == []


def test_crash_mid_save_keeps_the_previous_file(tmp_path, rng, monkeypatch):
    model = _sequential()
    x, y = _data(rng)
    path = tmp_path / "m.keras"
    model.save(path)
    before = path.read_bytes()
    model.fit(x, y, epochs=1, verbose=0)

    def crash(fileobj, arrays):
        fileobj.write(b"partial")
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(weights_io, "write_npz", crash)
    with pytest.raises(KeyboardInterrupt):
        model.save(path)
    with pytest.raises(KeyboardInterrupt):
        model.save_weights(tmp_path / "w.weights.npz")
    assert path.read_bytes() == before
    assert _files(tmp_path) == ["m.keras"]  # no temporary file left behind
    monkeypatch.undo()
    keras.models.load_model(path)


def test_crash_while_zipping_keeps_the_previous_file(tmp_path, rng, monkeypatch):
    model = _sequential()
    path = tmp_path / "m.keras"
    model.save(path)
    before = path.read_bytes()

    def crash(self, name, data, *args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", crash)
    with pytest.raises(OSError, match="No space"):
        model.save(path)
    assert path.read_bytes() == before and _files(tmp_path) == ["m.keras"]


def test_overwrite_false(tmp_path):
    model = _sequential()
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "m.keras", overwrite=False)


def test_tampered_and_foreign_files_are_refused(tmp_path, rng):
    model = _sequential()
    model.fit(*_data(rng), epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    weights = bytearray(members["model.weights.npz"])
    weights[-200] ^= 0xFF
    tampered = tmp_path / "t.keras"
    with zipfile.ZipFile(tampered, "w") as z:
        for name, data in members.items():
            z.writestr(name, bytes(weights) if name == "model.weights.npz" else data)
    with pytest.raises(ValueError, match="modified or damaged"):
        keras.models.load_model(tampered)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    flipped = tmp_path / "flipped.keras"
    flipped.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="flipped.keras"):
        keras.models.load_model(flipped)
    foreign = tmp_path / "foreign.keras"
    foreign.write_text("hello")
    with pytest.raises(ValueError, match="not a .keras model file"):
        keras.models.load_model(foreign)
    with pytest.raises(FileNotFoundError):
        keras.models.load_model(tmp_path / "missing.keras")


def test_pickled_arrays_are_never_loaded(tmp_path):
    model = _sequential()
    path = tmp_path / "evil.weights.npz"
    np.savez(path, **{"weights/0": np.array([object()], dtype=object)})
    before = model.get_weights()
    with pytest.raises(ValueError, match="not a weights file"):
        model.load_weights(path)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_weights_npz_round_trip_orders_keys_numerically(tmp_path, rng):
    model = keras.Sequential([keras.Input(shape=(3,))] + [layers.Dense(3 + i) for i in range(7)])
    path = tmp_path / "w.weights.npz"
    model.save_weights(path)
    with np.load(path) as data:
        assert "weights/13" in data.files
    fresh = keras.Sequential([keras.Input(shape=(3,))] + [layers.Dense(3 + i) for i in range(7)])
    fresh.load_weights(path)
    for a, b in zip(model.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_load_weights_mismatch_changes_nothing(tmp_path):
    small = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])
    small.save_weights(tmp_path / "s.weights.npz")
    big = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(4)])
    before = big.get_weights()
    with pytest.raises(ValueError, match=r"shape \(3, 4\).*\(3, 2\)"):
        big.load_weights(tmp_path / "s.weights.npz")
    np.testing.assert_array_equal(before[0], big.get_weights()[0])
    with pytest.raises(ValueError, match="must end in .weights.npz"):
        small.save_weights(tmp_path / "s.npz")


def test_weights_keep_optimizer_state(tmp_path, rng):
    x, y = _data(rng)
    model = _sequential()
    model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    model.save_weights(tmp_path / "w.weights.npz")
    fresh = _sequential()
    fresh.load_weights(tmp_path / "w.weights.npz")
    assert fresh.optimizer.iterations == 4
    for a, b in zip(model.optimizer.variables, fresh.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_model_checkpoint_whole_model_and_best_only(tmp_path, rng):
    x, y = _data(rng)
    model = _sequential()
    best = tmp_path / "best.keras"
    ckpt = callbacks.ModelCheckpoint(best, monitor="loss", save_best_only=True)
    model.fit(x, y, epochs=3, verbose=0, callbacks=[ckpt])
    assert ckpt.best == min(model.history.history["loss"])
    loaded = keras.models.load_model(best)
    assert loaded.optimizer.iterations in (2, 4, 6)
    weights = tmp_path / "w-{epoch}.weights.npz"
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.ModelCheckpoint(weights, save_weights_only=True)])
    assert {"w-1.weights.npz", "w-2.weights.npz"} <= set(_files(tmp_path))
    with pytest.raises(ValueError, match="save_weights_only"):
        callbacks.ModelCheckpoint(tmp_path / "x.keras", save_weights_only=True)


def test_loads_in_a_new_process(tmp_path, rng):
    x, y = _data(rng)
    model = _sequential()
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "m.keras")
    np.save(tmp_path / "x.npy", x)
    script = ("import sys, numpy as np; from tensorlet import keras; "
              "m = keras.models.load_model(sys.argv[1]); np.save(sys.argv[3], m.predict(np.load(sys.argv[2]), verbose=0))")
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "m.keras"), str(tmp_path / "x.npy"),
                    str(tmp_path / "p.npy")], check=True)
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"), model.predict(x, verbose=0))


def test_model_to_json_and_clone():
    model = _sequential()
    again = keras.models.model_from_json(model.to_json())
    assert [type(l) for l in again.layers] == [type(l) for l in model.layers]
    clone = keras.models.clone_model(model)
    assert clone.count_params() == model.count_params()
    assert not np.array_equal(clone.get_weights()[0], model.get_weights()[0])


# ---- Keras 3's .weights.h5 (h5py is an optional extra) ----------------------------------
def test_weights_h5_in_keras_layout(tmp_path, rng):
    h5py = pytest.importorskip("h5py")
    x, y = _data(rng)
    model = _sequential()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5") as f:
        np.testing.assert_array_equal(f["layers/dense/vars/0"][()], model.layers[0].kernel.numpy())
        np.testing.assert_array_equal(f["layers/dense_1/vars/1"][()], model.layers[2].bias.numpy())
        assert list(f["layers/dropout/vars"]) == []
        assert int(f["optimizer/vars/0"][()]) == 4
    fresh = _sequential()
    fresh.load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))
    assert fresh.optimizer.iterations == 4


def test_reads_a_keras_written_h5_layout(tmp_path):
    h5py = pytest.importorskip("h5py")
    kernel = np.arange(12, dtype="float32").reshape(4, 3)
    with h5py.File(tmp_path / "k.weights.h5", "w") as f:  # as Keras 3 lays out a functional model
        f.create_group("vars")
        f.create_group("layers/input_layer/vars")
        f["layers/dense/vars/0"] = kernel
        f["layers/dense/vars/1"] = np.ones(3, "float32")
    inp = keras.Input(shape=(4,))
    model = keras.Model(inp, layers.Dense(3)(inp))
    model.load_weights(tmp_path / "k.weights.h5")
    np.testing.assert_array_equal(model.predict(np.eye(4, dtype="float32"), verbose=0), kernel + 1)
