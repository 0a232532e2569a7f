import pytest

from tensorlet import _core

HAVE_GPU = _core.device_available(_core.Device.GPU)


def pytest_collection_modifyitems(config, items):
    """Every test here needs a GPU: without one they are skipped, not failed."""
    if HAVE_GPU:
        return
    skip = pytest.mark.skip(reason="no CUDA GPU (or a build without CUDA)")
    for item in items:
        if "/tests/cuda/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(skip)
