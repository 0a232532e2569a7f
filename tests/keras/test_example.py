import pathlib
import runpy
import sys

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "mnist_mlp.py"


def test_mnist_mlp_example_runs(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "argv", [str(EXAMPLE), "--epochs", "3", "--plot", str(tmp_path / "c.png")])
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "Total params:" in out and "Epoch 3/3" in out and "val_accuracy:" in out
    acc = float(out.split("test accuracy:")[1].split()[0])
    assert acc > 0.5  # ten classes: well above chance after three epochs


def test_readme_keras_block_runs(capsys):
    import re

    readme = EXAMPLE.parents[1] / "README.md"
    blocks = re.findall(r"```python\n(.*?)```", readme.read_text(), re.S)
    code = next(b for b in blocks if "model.fit" in b)
    exec(compile("import numpy as np\n" + code, "README keras", "exec"), {})
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out and "Total params: 4,810" in out
