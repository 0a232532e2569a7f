"""The README's quick tour runs as written."""

import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_quick_tour_runs(capsys):
    text = README.read_text()
    tour = text.split("## A quick tour", 1)[1]
    code = re.search(r"```python\n(.*?)```", tour, re.S).group(1)
    exec(compile(code, "README quick tour", "exec"), {})
    out = capsys.readouterr().out
    assert "does not support item assignment" in out
    assert "float32" in out and "int32" in out


def test_data_and_saving_block_runs(tmp_path, monkeypatch):
    import numpy as np

    from tensorlet import keras
    from tensorlet.keras import layers

    monkeypatch.chdir(tmp_path)
    code = re.search(r"```python\n(import tensorlet as tf\n\nds = .*?)```", README.read_text(), re.S).group(1)
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    x, y = np.random.rand(64, 4).astype("float32"), np.random.randint(0, 3, size=64)
    exec(compile(code, "README data and saving", "exec"), {"np": np, "keras": keras, "model": model, "x": x, "y": y})
    assert (tmp_path / "digits.keras").exists() and (tmp_path / "ckpts" / "checkpoint").exists()


def test_gpu_block_runs(capsys):
    code = re.search(r"## On a GPU.*?```python\n(.*?)```", README.read_text(), re.S).group(1)
    exec(compile(code, "README GPU block", "exec"), {})
    assert "/job:localhost/replica:0/task:0/device:CPU:0" in capsys.readouterr().out
