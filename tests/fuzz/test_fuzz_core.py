"""Every C++ entry point checks its own arguments (see core.py): hostile
arguments straight to ``_core`` give a result or a translated error."""

import zlib

import numpy as np
import pytest

from tests.fuzz import core

CALLS = 150  # per entry point


_POINTS = core.entry_points() + core.registered_entry_points()


@pytest.mark.parametrize("name, call", _POINTS, ids=[n for n, _ in _POINTS])
def test_entry_point_checks_its_own_arguments(name, call):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    failures = [d for d in (core.run_case(call, rng) for _ in range(CALLS)) if d[0] == "failure"]
    assert not failures, f"{name}: {failures[:3]}"


def test_every_entry_point_is_fuzzed():
    names = {n for n, _ in core.entry_points()}
    assert {"gather_grad", "conv2d", "index_grad", "Array.index", "Array.reshape", "one_hot"} <= names
    assert len(names) > 100
