import pathlib
import runpy
import sys

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "convnet.py"


def test_convnet_example_trains(capsys, monkeypatch):
    # A reduced run: 800 training images, four epochs.
    monkeypatch.setattr(sys, "argv", [str(EXAMPLE), "--epochs", "4", "--samples", "1000", "--batch-size", "32"])
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "Total params:" in out and "(None, 26, 26, 32)" in out and "Epoch 4/4" in out
    acc = float(out.split("test accuracy:")[1].split()[0])
    assert acc > 0.4  # ten classes: four times chance after four short epochs
