import pytest

import tensorlet as tf
from tensorlet.keras import backend


@pytest.fixture(autouse=True)
def _fresh_names():
    backend.clear_session()
    tf.random.set_seed(1234)
    yield
