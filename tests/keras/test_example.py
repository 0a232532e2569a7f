import pathlib
import runpy
import sys

import pytest

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "mnist_mlp.py"


@pytest.fixture
def mnist_cache(tmp_path, monkeypatch):
    """A small MNIST-shaped file (noisy class prototypes, uint8) in a Keras cache the example finds."""
    import numpy as np

    rng = np.random.default_rng(0)
    protos = rng.uniform(0, 255, size=(10, 28, 28))

    def split(n):
        y = rng.integers(0, 10, size=n).astype(np.uint8)
        return np.clip(protos[y] + rng.normal(0, 60, size=(n, 28, 28)), 0, 255).astype(np.uint8), y

    (x_train, y_train), (x_test, y_test) = split(1000), split(300)
    (tmp_path / "keras" / "datasets").mkdir(parents=True)
    np.savez(tmp_path / "keras" / "datasets" / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test,
             y_test=y_test)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))


def test_mnist_mlp_example_runs(capsys, monkeypatch, tmp_path, mnist_cache):
    monkeypatch.setattr(sys, "argv", [str(EXAMPLE), "--epochs", "3", "--plot", str(tmp_path / "c.png")])
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "data: MNIST: 900 training, 100 validation and 300 test images of shape (28, 28)" in out
    assert "Total params:" in out and "Epoch 3/3" in out and "val_accuracy:" in out
    acc = float(out.split("test accuracy:")[1].split()[0])
    assert acc > 0.5  # ten classes: well above chance after three epochs
    assert float(out.split("wall time:")[1].split()[0]) >= 0  # a quiet machine may take under 5 ms


def test_mnist_mlp_example_says_what_data_it_lacks(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(sys, "argv", [str(EXAMPLE), "--data", "mnist"])
    with pytest.raises(SystemExit, match="MNIST is not in the Keras cache .*mnist.npz.*--data digits"):
        runpy.run_path(str(EXAMPLE), run_name="__main__")


def test_readme_keras_block_runs(capsys):
    import re

    readme = EXAMPLE.parents[1] / "README.md"
    blocks = re.findall(r"```python\n(.*?)```", readme.read_text(), re.S)
    code = next(b for b in blocks if "model.fit" in b)
    exec(compile("import numpy as np\n" + code, "README keras", "exec"), {})
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out and "Total params: 4,810" in out


def test_example_model_saved_and_loaded_in_a_new_process(tmp_path, capsys, mnist_cache):
    import importlib.util
    import subprocess

    import numpy as np

    spec = importlib.util.spec_from_file_location("mnist_mlp", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path / "mlp.keras"
    model, x_test = module.main(["--epochs", "2", "--plot", "", "--save", str(path)])
    assert "model saved to" in capsys.readouterr().out
    np.save(tmp_path / "x.npy", x_test)
    script = ("import sys, numpy as np; from tensorlet import keras; m = keras.models.load_model(sys.argv[1]); "
              "np.save(sys.argv[3], m.predict(np.load(sys.argv[2]), verbose=0)); print(int(m.optimizer.iterations))")
    done = subprocess.run([sys.executable, "-c", script, str(path), str(tmp_path / "x.npy"), str(tmp_path / "p.npy")],
                          check=True, capture_output=True, text=True)
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"), model.predict(x_test, verbose=0))
    assert int(done.stdout.split()[-1]) == model.optimizer.iterations
