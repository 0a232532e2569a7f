"""The linear classifier example trains to a low loss and a high accuracy."""

import importlib.util
import pathlib

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "linear_classifier.py"


def test_linear_classifier_trains():
    spec = importlib.util.spec_from_file_location("linear_classifier", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    W, b, losses, accuracy, _, _ = module.train(verbose=False)
    assert losses[-1] < 0.05, losses
    assert losses[-1] < losses[0] / 5
    assert accuracy > 0.97
    assert W.shape == (2, 1) and b.shape == (1,)
