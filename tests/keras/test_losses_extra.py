"""Loss functions name themselves in their errors, not the op inside that failed."""

import numpy as np
import pytest

from tensorlet import keras


@pytest.mark.parametrize("name", ["mean_squared_error", "mean_absolute_error", "huber", "binary_crossentropy",
                                  "categorical_crossentropy", "kl_divergence", "cosine_similarity", "hinge",
                                  "squared_hinge", "categorical_hinge", "log_cosh", "poisson",
                                  "mean_squared_logarithmic_error", "mean_absolute_percentage_error"])
def test_loss_errors_name_the_loss_not_its_inner_op(name):
    fn = getattr(keras.losses, name)
    with pytest.raises((ValueError, TypeError)) as e:
        fn(np.ones((2, 3), np.float32), np.ones((2, 4), np.float32))
    assert str(e.value).startswith(name + ":"), str(e.value)


def test_loss_dtype_sets_the_computation_dtype():
    y_true, y_pred = np.array([[1.0, 0.0]], np.float32), np.array([[0.1, 0.2]], np.float32)
    loss = keras.losses.MeanSquaredError(dtype="float64")
    value = loss(y_true, y_pred)
    assert value.dtype.name == "float64"
    np.testing.assert_allclose(value.numpy(), np.mean((y_true.astype(np.float64) - np.float64(y_pred)) ** 2))
    assert keras.losses.MeanSquaredError.from_config(loss.get_config())(y_true, y_pred).dtype.name == "float64"
    assert keras.losses.MeanSquaredError()(y_true, y_pred).dtype.name == "float32"
    with pytest.raises(ValueError, match="dtype must be a float dtype"):
        keras.losses.MeanSquaredError(dtype="int32")
