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
from tensorlet.keras.saving import keras_file
from tensorlet.keras.saving import weights as weights_io


@pytest.fixture(params=["npz", "h5"])
def weights_format(request, monkeypatch):
    """Runs a test with weights in .npz (h5py absent) and in Keras 3's .h5 (h5py present)."""
    if request.param == "h5":
        pytest.importorskip("h5py")
    else:
        monkeypatch.setattr(keras_file, "_has_h5py", lambda: False)
    return request.param


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


@pytest.mark.parametrize("optimizer", ["adam", "sgd_momentum", "sgd", "rmsprop"])
def test_round_trip_predicts_the_same_and_training_continues(tmp_path, rng, optimizer, weights_format):
    opt = {"sgd_momentum": keras.optimizers.SGD(0.05, momentum=0.9), "sgd": keras.optimizers.SGD(0.05)}.get(
        optimizer, optimizer)
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


def test_file_layout_is_a_zip_of_json_and_weights(tmp_path, rng, weights_format):
    model = _sequential()
    model.fit(*_data(rng), epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        assert sorted(z.namelist()) == ["config.json", "metadata.json", f"model.weights.{weights_format}"]
        config = json.loads(z.read("config.json"))
    assert config["class_name"] == "Sequential"
    if weights_format == "h5":  # Keras 3's module names, so that Keras finds its classes
        assert config["module"] == "keras" and config["config"]["layers"][1]["module"] == "keras.layers"
        assert config["compile_config"]["optimizer"]["module"] == "keras.optimizers"
    assert [l["class_name"] for l in config["config"]["layers"]] == ["InputLayer", "Dense", "Dropout", "Dense"]
    assert config["compile_config"]["loss"] == "sparse_categorical_crossentropy"
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"


def test_functional_and_compile_objects(tmp_path, rng, weights_format):
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


def test_custom_objects(tmp_path, rng, weights_format):
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


def test_subclassed_model_without_constructor_arguments(tmp_path, rng):
    @keras.saving.register_keras_serializable(package="SavingTests")
    class Plain(keras.Model):
        def __init__(self):
            super().__init__()
            self.out = layers.Dense(1)

        def call(self, x):
            return self.out(x)

    model = Plain()
    x, _ = _data(rng)
    model(x)
    model.save(tmp_path / "p.keras")
    loaded = keras.models.load_model(tmp_path / "p.keras")
    assert loaded.name == model.name
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_lambda_layers_are_refused_at_save_time(tmp_path):
    model = keras.Sequential([keras.Input(shape=(2,)), layers.Lambda(lambda t: t * 2)])
    with pytest.raises(ValueError, match="lambda"):
        model.save(tmp_path / "l.keras")
    assert _files(tmp_path) == []


def test_crash_mid_save_keeps_the_previous_file(tmp_path, rng, monkeypatch):
    monkeypatch.setattr(keras_file, "_has_h5py", lambda: False)
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


def test_tampered_and_foreign_files_are_refused(tmp_path, rng, weights_format):
    model = _sequential()
    model.fit(*_data(rng), epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    member = f"model.weights.{weights_format}"
    weights = bytearray(members[member])
    weights[len(weights) // 2] ^= 0xFF
    tampered = tmp_path / "t.keras"
    with zipfile.ZipFile(tampered, "w") as z:
        for name, data in members.items():
            z.writestr(name, bytes(weights) if name == member else data)
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
    with pytest.raises(ValueError, match="load_model: .* is neither a zip archive .* starts with b'hello'"):
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


@pytest.mark.parametrize("suffix", ["npz", "h5"])
def test_weights_into_a_model_with_another_optimizer(tmp_path, rng, suffix):
    if suffix == "h5":
        pytest.importorskip("h5py")
    x, y = _data(rng)
    model = _sequential("adam")
    model.fit(x, y, epochs=1, verbose=0)
    model.save_weights(tmp_path / f"w.weights.{suffix}")
    other = _sequential(keras.optimizers.SGD(0.1, momentum=0.9))
    other.fit(x, y, epochs=1, verbose=0)
    with pytest.warns(UserWarning, match="optimizer starts afresh"):
        other.load_weights(tmp_path / f"w.weights.{suffix}")
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))


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
    every = callbacks.ModelCheckpoint(str(tmp_path / "b-{epoch}-{batch}.keras"), save_freq=3)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[every])  # 4 batches an epoch
    assert sorted(f for f in _files(tmp_path) if f.startswith("b-")) == ["b-1-3.keras", "b-2-2.keras"]
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.ModelCheckpoint(tmp_path / "x.keras", save_freq=0)


def test_loads_in_a_new_process(tmp_path, rng):
    x, y = _data(rng)
    model = _sequential()
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "m.keras")
    np.save(tmp_path / "x.npy", x)
    script = ("import sys, numpy as np; from tensorlet import keras; m = keras.models.load_model(sys.argv[1]); "
              "np.save(sys.argv[3], m.predict(np.load(sys.argv[2]), verbose=0))")
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


def test_loads_a_file_in_keras_3_layout(tmp_path):
    """A .keras file as Keras 3.15 writes it (config.json with dtype policies and Keras-only
    options, metadata.json, model.weights.h5), built here without Keras."""
    h5py = pytest.importorskip("h5py")
    policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}
    dense = {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
             "config": {"name": "dense", "trainable": True, "dtype": policy, "units": 2, "activation": "relu",
                        "use_bias": True, "kernel_initializer": {
                            "module": "keras.initializers", "class_name": "GlorotUniform", "registered_name": None,
                            "config": {"seed": None, "input_axes": None, "output_axes": None}},
                        "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {},
                                             "registered_name": None},
                        "kernel_regularizer": None, "bias_regularizer": None, "kernel_constraint": None,
                        "bias_constraint": None, "quantization_config": None},
             "build_config": {"input_shape": [None, 3]}}
    config = {"module": "keras", "class_name": "Sequential", "registered_name": None,
              "config": {"name": "sequential", "trainable": True, "dtype": policy, "layers": [
                  {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
                   "config": {"batch_shape": [None, 3], "dtype": "float32", "sparse": False, "ragged": False,
                              "name": "input_layer", "optional": False}}, dense]},
              "build_config": {"input_shape": [None, 3]},
              "compile_config": {"optimizer": {
                  "module": "keras.optimizers", "class_name": "SGD", "registered_name": None,
                  "config": {"name": "SGD", "learning_rate": 0.5, "momentum": 0.0, "nesterov": False, "use_ema": False,
                             "ema_momentum": 0.99, "loss_scale_factor": None}},
                                 "loss": "mse", "loss_weights": None, "metrics": ["mae"], "weighted_metrics": None,
                                 "run_eagerly": False, "steps_per_execution": 1, "jit_compile": True}}
    kernel = np.array([[1.0, -1.0], [2.0, 0.5], [0.0, 1.0]], np.float32)
    weights = tmp_path / "w.h5"
    with h5py.File(weights, "w") as f:
        f.create_group("vars")
        f["layers/dense/vars/0"] = kernel
        f["layers/dense/vars/1"] = np.array([0.5, -0.5], np.float32)
        f["optimizer/vars/0"] = np.int64(7)
        f["optimizer/vars/1"] = np.float32(0.5)
        f.create_group("metrics/mean/vars")
    path = tmp_path / "from_keras.keras"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("config.json", json.dumps(config))
        z.writestr("metadata.json", json.dumps({"keras_version": "3.15.1", "date_saved": "2026-01-01@00:00:00"}))
        z.writestr("model.weights.h5", weights.read_bytes())
    model = keras.models.load_model(path)
    x = np.array([[1.0, 1.0, 1.0], [-1.0, 0.0, 2.0]], np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), np.maximum(x @ kernel + [0.5, -0.5], 0))
    assert model.optimizer.learning_rate == 0.5 and model.optimizer.iterations == 7
    model.fit(x, np.zeros((2, 2), np.float32), epochs=1, verbose=0)  # fine-tunes
    config["config"]["layers"][1]["config"]["quantization_config"] = {"mode": "int8"}
    with zipfile.ZipFile(tmp_path / "q.keras", "w") as z:
        z.writestr("config.json", json.dumps(config))
        z.writestr("model.weights.h5", weights.read_bytes())
    with pytest.raises(ValueError, match="quantization_config"):
        keras.models.load_model(tmp_path / "q.keras")


def test_optimizer_slots_in_keras_order():
    from tensorlet.keras.saving.h5_format import keras_slots

    a, b = tf.Variable([1.0]), tf.Variable([2.0, 3.0])
    rms = keras.optimizers.RMSprop(momentum=0.5, centered=True)
    rms.build([a, b])
    names = [v.name.split("/")[-1].split(":")[0] + str(v.shape[0]) for v in keras_slots(rms)]
    assert names == ["velocity1", "velocity2", "momentum1", "momentum2", "average_gradient1", "average_gradient2"]
    adam = keras.optimizers.Adam(amsgrad=True)
    adam.build([a, b])
    names = [v.name.split("/")[-1].split(":")[0] + str(v.shape[0]) for v in keras_slots(adam)]
    assert names == ["m1", "v1", "m2", "v2", "v_hat1", "v_hat2"]


def test_folders_and_legacy_h5_are_named(tmp_path):
    with pytest.raises(ValueError, match="SavedModel"):
        keras.models.load_model(tmp_path)
    legacy = tmp_path / "old.h5"
    legacy.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    with pytest.raises(ValueError, match="legacy HDF5"):
        keras.models.load_model(legacy)
