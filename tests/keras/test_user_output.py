"""What a user sees: the progress bar in a log file, history values, callback
messages, reprs, logical devices, a wrong TENSORLET_ISA, 1-D inputs."""

import os
import subprocess
import sys

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import layers

X = np.linspace(-1, 1, 40, dtype=np.float32)[:, None]
Y = 2 * X


def _model():
    model = keras.Sequential([keras.Input((1,)), layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    return model


def test_progress_bar_writes_one_line_per_epoch_when_not_a_terminal(capsys):
    model = _model()
    model.fit(X, Y, batch_size=10, epochs=2, verbose=1)
    out = capsys.readouterr().out.splitlines()
    assert [line.split(" ")[0] for line in out] == ["Epoch", "4/4", "Epoch", "4/4"]
    model.predict(X, batch_size=10, verbose=1)
    assert len(capsys.readouterr().out.splitlines()) == 1


def test_history_and_evaluate_report_float32_values():
    model = _model()
    h = model.fit(X, Y, batch_size=10, epochs=2, verbose=0, validation_data=(X, Y))
    for values in h.history.values():
        assert all(type(v) is float and v == float(np.float32(v)) for v in values)
    loss = model.evaluate(X, Y, verbose=0)
    assert loss == float(np.float32(loss))
    pred = model.predict(X, verbose=0)
    assert loss == pytest.approx(((pred - Y) ** 2).mean(), rel=1e-6)


def test_model_checkpoint_messages_say_from_what(tmp_path, capsys):
    model = _model()
    path = str(tmp_path / "best.keras")
    check = keras.callbacks.ModelCheckpoint(path, monitor="loss", save_best_only=True, verbose=1)
    check.set_model(model)
    for epoch, loss in enumerate([2.0, 3.0, 1.0]):
        check.on_epoch_end(epoch, {"loss": loss})
    out = capsys.readouterr().out
    assert "Epoch 1: loss improved from inf to 2.00000, saving model to " + path in out
    assert "Epoch 2: loss did not improve from 2.00000" in out
    assert "Epoch 3: loss improved from 2.00000 to 1.00000" in out
    every = keras.callbacks.ModelCheckpoint(str(tmp_path / "m.keras"), verbose=1)
    every.set_model(model)
    every.on_epoch_end(0, {})
    assert "Epoch 1: saving model to " in capsys.readouterr().out


def test_reprs_and_logical_devices():
    assert repr(keras.optimizers.Adam(0.01)) == "<Adam name=adam, learning_rate=0.01>"
    assert repr(keras.losses.MeanSquaredError()) == \
        "<MeanSquaredError name=mean_squared_error, reduction=sum_over_batch_size>"
    devices = tf.config.list_logical_devices("CPU")
    assert repr(devices) == "[LogicalDevice(name='/device:CPU:0', device_type='CPU')]"
    with tf.device(devices[0].name):
        assert tf.ones(2).device.endswith("CPU:0")


def test_an_unknown_isa_is_refused():
    env = dict(os.environ, TENSORLET_ISA="foo")
    run = subprocess.run([sys.executable, "-c", "import tensorlet"], env=env, capture_output=True, text=True)
    assert run.returncode != 0
    assert "TENSORLET_ISA='foo' is not a valid value: use baseline, avx2 or avx512" in run.stderr


def test_one_dimensional_inputs_train_a_model_built_for_scalar_features():
    x = np.linspace(0, 1, 201).astype(np.float32)
    model = keras.Sequential([keras.Input(()), layers.Reshape((1,)), layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.5), "mse")
    h = model.fit(x, 3 * x, epochs=20, verbose=0)
    assert h.history["loss"][-1] < 0.05 * h.history["loss"][0]
    assert model.predict(x[:5], verbose=0).shape == (5, 1)


def test_progbar_averages_what_is_not_stateful():
    import io

    out = io.StringIO()
    bar = keras.utils.Progbar(4, verbose=2, stream=out, stateful_metrics=["acc"])
    for step, value in enumerate([1.0, 2.0, 3.0, 6.0], 1):
        bar.update(step, [("loss", value), ("acc", value)])
    assert out.getvalue().rstrip().endswith("- acc: 6.0000 - loss: 3.0000")
