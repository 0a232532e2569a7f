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
