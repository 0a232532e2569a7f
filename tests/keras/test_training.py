import os

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import callbacks, layers


def _blobs(n=240, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    centers = np.array([[2.0, 0.0], [-2.0, 2.0], [0.0, -2.5]])
    x = (centers[y] + 0.5 * rng.normal(size=(n, 2))).astype(np.float32)
    return x, y


def _classifier(lr=0.05):
    model = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def test_fit_separable_reaches_high_accuracy_and_history():
    x, y = _blobs()
    model = _classifier()
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0, validation_data=(x[:60], y[:60]))
    assert history is model.history
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(isinstance(v, float) for v in history.history["loss"])
    assert len(history.history["loss"]) == 15 and history.epoch == list(range(15))
    assert history.params["epochs"] == 15 and history.params["steps"] == 8
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.95
    loss, acc = model.evaluate(x, y, verbose=0)
    assert acc > 0.95
    preds = model.predict(x, batch_size=50, verbose=0)
    assert isinstance(preds, np.ndarray) and preds.shape == (240, 3)
    assert (preds.argmax(-1) == y).mean() == pytest.approx(acc, abs=1e-6)


def test_epoch_loss_is_the_sample_weighted_mean_of_batch_losses():
    x, y = _blobs(50)
    model = _classifier(lr=0.0)  # no change between batches: epoch loss == evaluate loss
    model.optimizer.learning_rate = 0.0
    hist = model.fit(x, y, batch_size=16, epochs=1, verbose=0, shuffle=False)
    assert hist.history["loss"][0] == pytest.approx(model.evaluate(x, y, batch_size=7, verbose=0)[0], rel=1e-5)


def test_batch_sizes_not_dividing_the_data():
    x, y = _blobs(103)
    model = _classifier()
    seen = []
    cb = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch))
    model.fit(x, y, batch_size=25, epochs=1, verbose=0, callbacks=[cb])
    assert seen == [0, 1, 2, 3, 4]
    out = model.predict(x, batch_size=25, verbose=0)
    np.testing.assert_allclose(out, model(x).numpy(), rtol=1e-5, atol=1e-6)
    r = model.evaluate(x, y, batch_size=10, verbose=0, return_dict=True)
    assert set(r) == {"loss", "accuracy"}
    p = model(x).numpy()
    want = -np.log(np.clip(p[np.arange(103), y], 1e-7, 1)).mean()
    assert r["loss"] == pytest.approx(want, rel=1e-4)


def test_validation_split_takes_the_tail():
    x, y = _blobs(100)
    model = _classifier()
    h = model.fit(x, y, validation_split=0.2, epochs=2, batch_size=16, verbose=0)
    assert h.params["steps"] == 5  # 80 training samples
    assert len(h.history["val_loss"]) == 2
    loss = model.evaluate(x[80:], y[80:], verbose=0)[0]
    assert h.history["val_loss"][-1] == pytest.approx(loss, rel=1e-5)


def test_compile_with_objects_and_binary_accuracy_name():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(128, 3)).astype(np.float32)
    y = (x.sum(1, keepdims=True) > 0).astype(np.float32)
    model = keras.Sequential([keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.1), loss=keras.losses.BinaryCrossentropy(),
                  metrics=[keras.metrics.BinaryAccuracy()])
    h = model.fit(x, y, epochs=10, batch_size=16, verbose=0)
    assert set(h.history) == {"loss", "binary_accuracy"}
    assert h.history["binary_accuracy"][-1] > 0.9


def test_regression_with_mse_and_mae_metric_and_callable_loss():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(200, 2)).astype(np.float32)
    y = x @ np.array([1.5, -2.0], np.float32) + 0.3
    model = keras.Sequential([layers.Dense(1)])
    model.compile("sgd", loss=lambda yt, yp: tf.reduce_mean(tf.square(yt - yp)), metrics=["mae"])
    model.compile(keras.optimizers.SGD(0.1), loss="MSE", metrics=["mae"])
    h = model.fit(x, y, epochs=20, batch_size=20, verbose=0)
    assert "mae" in h.history and h.history["loss"][-1] < 1e-3
    assert isinstance(model.evaluate(x, y, verbose=0), list)
    model.compile(keras.optimizers.SGD(0.1), loss=lambda yt, yp: tf.reduce_mean(tf.square(yt - yp[:, 0])))
    assert isinstance(model.evaluate(x, y, verbose=0), float)


def test_generator_input():
    x, y = _blobs(96)

    def batches():
        for i in range(0, 96, 32):
            yield x[i:i + 32], y[i:i + 32]

    model = _classifier()
    h = model.fit(batches(), epochs=1, verbose=0)
    assert len(h.history["loss"]) == 1
    model.fit(batches(), steps_per_epoch=3, epochs=1, verbose=0)
    assert model.evaluate(batches(), verbose=0, return_dict=True)["loss"] == pytest.approx(
        model.evaluate(x, y, verbose=0)[0], rel=1e-5)
    np.testing.assert_allclose(model.predict(b[0] for b in batches()), model.predict(x, verbose=0), rtol=1e-6)


def test_train_test_predict_on_batch():
    x, y = _blobs(40)
    model = _classifier()
    before = model.test_on_batch(x, y)
    for _ in range(20):
        model.train_on_batch(x, y)
    after = model.test_on_batch(x, y)
    assert after[0] < before[0]
    np.testing.assert_allclose(model.predict_on_batch(x), model.predict(x, verbose=0), rtol=1e-6)


def test_subclassed_and_functional_fit():
    x, y = _blobs(64)

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.h = layers.Dense(8, activation="relu")
            self.drop = layers.Dropout(0.1)
            self.o = layers.Dense(3)

        def call(self, inputs, training=None):
            return self.o(self.drop(self.h(inputs), training=training))

    net = Net()
    net.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["acc"])
    h = net.fit(x, y, epochs=2, verbose=0)
    assert "acc" in h.history
    inp = keras.Input(shape=(2,))
    f = keras.Model(inp, layers.Dense(3, activation="softmax")(layers.Dense(8, activation="relu")(inp)))
    f.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    f.fit(x, y, epochs=2, verbose=0)


def _weights(model):
    return [w.copy() for w in model.get_weights()]


def _same(a, b):
    return all(np.array_equal(u, v) for u, v in zip(a, b))


def test_errors_raise_before_any_weight_changes():
    x, y = _blobs(64)
    model = keras.Sequential([layers.Dense(3, activation="softmax", input_shape=(2,))])
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(x, y, verbose=0)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    w0 = _weights(model)
    with pytest.raises(ValueError, match="64.*60|60.*64"):
        model.fit(x, y[:60], verbose=0)
    bad = y.copy()
    bad[-1] = 3
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        model.fit(x, bad, verbose=0, batch_size=8)
    with pytest.raises(ValueError, match="categorical_crossentropy"):
        model.fit(x, np.eye(3)[y], verbose=0)
    model.compile("adam", "categorical_crossentropy")
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        model.fit(x, y, verbose=0)
    with pytest.raises(ValueError, match="incompatible"):
        model.fit(np.ones((64, 5), np.float32), np.eye(3)[y], verbose=0)
    assert _same(w0, model.get_weights())
    with pytest.raises(ValueError, match="valid names"):
        model.compile("adam", "categorical_crosentropy")
    with pytest.raises(ValueError, match="valid names"):
        model.compile("adam", "mse", metrics=["acuracy"])
    with pytest.raises(ValueError, match="valid names"):
        model.compile("adamm", "mse")


def test_early_stopping_stops_and_restores():
    x, y = _blobs(64)
    model = _classifier()
    es = callbacks.EarlyStopping(monitor="loss", patience=1, min_delta=10.0)
    h = model.fit(x, y, epochs=20, verbose=0, callbacks=[es])
    assert len(h.history["loss"]) == 2
    model = _classifier()
    es = callbacks.EarlyStopping(monitor="val_loss", patience=2, min_delta=10.0, restore_best_weights=True)
    weights = []
    snap = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: weights.append(_weights(model)))
    h = model.fit(x, y, epochs=20, verbose=0, validation_data=(x, y), callbacks=[snap, es])
    assert len(h.history["loss"]) == 3
    assert _same(weights[0], model.get_weights())


def test_model_checkpoint_and_csv_logger(tmp_path):
    x, y = _blobs(64)
    model = _classifier()
    path = str(tmp_path / "ckpt-{epoch:02d}.weights.npz")
    csv_path = tmp_path / "log.csv"
    model.fit(x, y, epochs=3, verbose=0, validation_data=(x, y),
              callbacks=[callbacks.ModelCheckpoint(path), callbacks.CSVLogger(str(csv_path))])
    files = sorted(os.listdir(tmp_path))
    assert [f for f in files if f.startswith("ckpt")] == [f"ckpt-0{i}.weights.npz" for i in (1, 2, 3)]
    rows = csv_path.read_text().strip().splitlines()
    assert rows[0] == "epoch,accuracy,loss,val_accuracy,val_loss" and len(rows) == 4
    fresh = _classifier()
    fresh(x[:1])
    fresh.load_weights(str(tmp_path / "ckpt-03.weights.npz"))
    assert _same(fresh.get_weights(), model.get_weights())
    best = str(tmp_path / "best.weights.npz")
    model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y),
              callbacks=[callbacks.ModelCheckpoint(best, save_best_only=True)])
    assert os.path.exists(best)


def test_learning_rate_scheduler_and_terminate_on_nan():
    x, y = _blobs(64)
    model = _classifier()
    seen = []
    sched = callbacks.LearningRateScheduler(lambda epoch, lr: 0.01 / (epoch + 1))
    rec = callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: seen.append(model.optimizer.learning_rate))
    h = model.fit(x, y, epochs=3, verbose=0, callbacks=[sched, rec])
    np.testing.assert_allclose(seen, [0.01, 0.005, 0.01 / 3])
    assert "learning_rate" in h.history
    model = keras.Sequential([layers.Dense(1)])
    model.compile(keras.optimizers.SGD(1e30), "mse")
    h = model.fit(x, x[:, :1] * 1e20, epochs=5, verbose=0, callbacks=[callbacks.TerminateOnNaN()])
    assert len(h.history["loss"]) == 1


def test_class_and_sample_weights_scale_the_loss():
    x, y = _blobs(32)
    model = _classifier()
    model.build((None, 2))
    base = model.evaluate(x, y, verbose=0)[0]
    weighted = model.evaluate(x, y, sample_weight=np.full(32, 2.0, np.float32), verbose=0)[0]
    assert weighted == pytest.approx(2 * base, rel=1e-5)
    model.optimizer.learning_rate = 0.0
    h = model.fit(x, y, class_weight={0: 0.0, 1: 0.0, 2: 0.0}, epochs=1, verbose=0)
    assert h.history["loss"][0] == 0.0


def test_progress_output(capsys):
    x, y = _blobs(64)
    model = _classifier()
    model.fit(x, y, epochs=2, batch_size=32, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "2/2" in out and "/step" in out and "loss:" in out and "accuracy:" in out
    model.fit(x, y, epochs=2, batch_size=32, verbose=2)
    lines = [l for l in capsys.readouterr().out.splitlines() if l.strip()]
    assert lines[0] == "Epoch 1/2" and lines[1].startswith("2/2 - ") and "loss:" in lines[1]
    assert len(lines) == 4
    model.fit(x, y, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


def test_progbar_formats(monkeypatch):
    import io

    from tensorlet.keras.utils import Progbar

    s = io.StringIO()
    bar = Progbar(10, verbose=1, stream=s, interval=0)
    for i in range(1, 11):
        bar.update(i, [("loss", 0.5)])
    lines = s.getvalue().splitlines()
    assert len(lines) == 1  # not a terminal: one line when the pass ends, as Keras's log reads
    assert lines[-1].startswith("10/10 " + "\u2501" * 20) and lines[-1].endswith("- loss: 0.5000")
    monkeypatch.setenv("TENSORLET_PROGBAR", "posix")  # redrawn in place, as on a terminal
    s = io.StringIO()
    bar = Progbar(10, verbose=1, stream=s, interval=0)
    for i in range(1, 11):
        bar.update(i, [("loss", 0.5)])
    frames = s.getvalue().split("\r")[1:]
    assert len(frames) == 10 and frames[4].startswith(" 5/10 " + "\u2501" * 10 + "\u2500" * 10)


def test_predict_before_compile_and_weights_roundtrip(tmp_path):
    x, _ = _blobs(10)
    model = keras.Sequential([layers.Dense(3, input_shape=(2,))])
    assert model.predict(x, verbose=0).shape == (10, 3)
    p = str(tmp_path / "m.weights.npz")
    model.save_weights(p)
    old = _weights(model)
    model.set_weights([np.zeros_like(w) for w in old])
    model.load_weights(p)
    assert _same(old, model.get_weights())


def test_chapter_three_listing():
    np.random.seed(0)
    num_samples_per_class = 500
    negative_samples = np.random.multivariate_normal(mean=[0, 3], cov=[[1, 0.5], [0.5, 1]],
                                                     size=num_samples_per_class)
    positive_samples = np.random.multivariate_normal(mean=[3, 0], cov=[[1, 0.5], [0.5, 1]],
                                                     size=num_samples_per_class)
    inputs = np.vstack((negative_samples, positive_samples)).astype(np.float32)
    targets = np.vstack((np.zeros((num_samples_per_class, 1), dtype="float32"),
                         np.ones((num_samples_per_class, 1), dtype="float32")))
    model = keras.Sequential([keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.1), loss=keras.losses.MeanSquaredError(),
                  metrics=[keras.metrics.BinaryAccuracy()])
    indices_permutation = np.random.permutation(len(inputs))
    shuffled_inputs = inputs[indices_permutation]
    shuffled_targets = targets[indices_permutation]
    num_validation_samples = int(0.3 * len(inputs))
    val_inputs = shuffled_inputs[:num_validation_samples]
    val_targets = shuffled_targets[:num_validation_samples]
    training_inputs = shuffled_inputs[num_validation_samples:]
    training_targets = shuffled_targets[num_validation_samples:]
    history = model.fit(training_inputs, training_targets, epochs=5, batch_size=16,
                        validation_data=(val_inputs, val_targets), verbose=0)
    assert sorted(history.history) == ["binary_accuracy", "loss", "val_binary_accuracy", "val_loss"]
    loss_and_metrics = model.evaluate(val_inputs, val_targets, batch_size=128, verbose=0)
    # RMSprop at 0.1 with batches of 16 oscillates from epoch to epoch, as in the book.
    assert max(history.history["val_binary_accuracy"]) > 0.95
    assert loss_and_metrics == pytest.approx([history.history["val_loss"][-1],
                                              history.history["val_binary_accuracy"][-1]])
    predictions = model.predict(val_inputs, batch_size=128, verbose=0)
    assert predictions.shape == (300, 1)
    assert ((predictions > 0.5) == val_targets).mean() == pytest.approx(loss_and_metrics[1])


def test_custom_train_step_listing():
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    loss_tracker = keras.metrics.Mean(name="loss")

    class CustomModel(keras.Model):
        def train_step(self, data):
            inputs, targets = data
            with tf.GradientTape() as tape:
                predictions = self(inputs, training=True)
                loss = loss_fn(targets, predictions)
            gradients = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
            loss_tracker.update_state(loss)
            return {"loss": loss_tracker.result()}

        @property
        def metrics(self):
            return [loss_tracker]

    x, y = _blobs(96)
    inputs = keras.Input(shape=(2,))
    features = keras.layers.Dense(16, activation="relu")(inputs)
    outputs = keras.layers.Dense(3, activation="softmax")(features)
    model = CustomModel(inputs, outputs)
    model.compile(optimizer=keras.optimizers.RMSprop(0.01))
    h = model.fit(x, y, epochs=3, verbose=0)
    assert list(h.history) == ["loss"] and len(h.history["loss"]) == 3
    assert h.history["loss"][-1] < h.history["loss"][0]


def test_two_outputs_with_loss_list_and_weights():
    x, y = _blobs(40)
    inp = keras.Input(shape=(2,))
    h = layers.Dense(8, activation="relu")(inp)
    cls = layers.Dense(3, activation="softmax")(h)
    reg = layers.Dense(1)(h)
    model = keras.Model(inp, [cls, reg])
    target = x[:, :1] * 2.0
    model.compile("adam", loss=["sparse_categorical_crossentropy", "mse"], loss_weights=[1.0, 0.5])
    p_cls, p_reg = model.predict(x, verbose=0)
    ce, mse = -np.log(np.clip(p_cls[np.arange(40), y], 1e-7, 1)).mean(), ((p_reg - target) ** 2).mean()
    # Keras 3 reports the total, then each output's (unweighted) loss
    got = model.evaluate(x, [y, target], batch_size=40, verbose=0, return_dict=True)
    assert got == pytest.approx({"loss": ce + 0.5 * mse, f"{cls.name}_loss": ce, f"{reg.name}_loss": mse}, rel=1e-4)
    h = model.fit(x, [y, target], epochs=2, verbose=0)
    assert len(h.history["loss"]) == 2 and len(h.history[f"{reg.name}_loss"]) == 2


def test_to_categorical():
    np.testing.assert_array_equal(keras.utils.to_categorical([0, 2, 1]), np.eye(3)[[0, 2, 1]])
    assert keras.utils.to_categorical([[1]], num_classes=4).shape == (1, 4)


def test_kernel_regularizer_adds_to_the_loss():
    x = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
    y = np.zeros((16, 1), np.float32)
    model = keras.Sequential([layers.Dense(1, kernel_regularizer=keras.regularizers.L2(0.1), input_shape=(3,))])
    model.compile("sgd", "mse")
    k, b = model.get_weights()
    pred = x @ k + b
    want = (pred ** 2).mean() + 0.1 * (k ** 2).sum()
    assert model.evaluate(x, y, batch_size=16, verbose=0) == pytest.approx(want, rel=1e-5)
    assert len(model.losses) == 1


def test_reduce_lr_on_plateau():
    x, y = _blobs(32)
    model = _classifier(lr=0.01)
    cb = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=10.0)
    model.fit(x, y, epochs=3, verbose=0, callbacks=[cb])
    assert model.optimizer.learning_rate == pytest.approx(0.01 * 0.5 ** 2)


def test_fit_callbacks_see_validation_hooks_in_order():
    x, y = _blobs(32)
    events = []

    class Recorder(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            events.append("epoch_begin")

        def on_test_begin(self, logs=None):
            events.append("test_begin")

        def on_test_end(self, logs=None):
            events.append(("test_end", sorted(logs)))

        def on_epoch_end(self, epoch, logs=None):
            events.append(("epoch_end", sorted(logs)))

    model = _classifier()
    model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y), callbacks=[Recorder()])
    assert events == ["epoch_begin", "test_begin", ("test_end", ["accuracy", "loss"]),
                      ("epoch_end", ["accuracy", "loss", "val_accuracy", "val_loss"])]


@pytest.mark.parametrize("optimizer", [
    keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    keras.optimizers.RMSprop(0.01, centered=True, momentum=0.5),
    keras.optimizers.Adam(0.05, amsgrad=True, weight_decay=1e-3),
    keras.optimizers.Adagrad(0.3),
])
def test_fit_converges_with_each_optimizer(optimizer):
    x, y = _blobs()
    tf.random.set_seed(1)
    model = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.95


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint8", "bool", "uint16", "strided int32"])
def test_shuffled_batches_gather_matching_rows_of_every_input(dtype):
    from tensorlet.keras.data_adapter import ArrayData
    x = (np.arange(70 * 3).reshape(70, 3) % 7).astype(dtype.split()[-1])
    if dtype.startswith("strided"):  # a view the one-copy gather refuses: taken through numpy
        x = np.repeat(x, 2, axis=1)[:, ::2]
    y = np.arange(70)
    xs, ys = [], []
    np.random.seed(3)
    for xb, yb in ArrayData(x, y, None, 16, True, None, "float32").batches():
        assert xb.dtype.name == {"uint16": "int32", "strided int32": "int32"}.get(
            dtype, "float32" if dtype.startswith("float") else dtype)
        xs.append(xb.numpy())
        ys.append(yb.numpy())
    order = np.concatenate(ys)
    assert sorted(order) == list(range(70)) and list(order) != list(range(70))
    np.testing.assert_array_equal(np.concatenate(xs), x[order].astype(xs[0].dtype))


def test_take_rows_checks_every_index_before_copying():
    from tensorlet import _core
    with pytest.raises(tf.errors.InvalidArgumentError, match="take_rows: index 5 is out of range for 5 rows"):
        _core.take_rows(np.zeros((5, 2), np.float32), np.array([0, 5]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="C-contiguous"):
        _core.take_rows(np.zeros((4, 2), np.float32).T, np.array([0]))
