"""Fuzzing every registered op (see engine.py): perturbed sample inputs must
give numpy's answer or a documented, readable refusal; never anything else."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz import engine

_SETTINGS = settings(deadline=None, max_examples=20000, derandomize=True, database=None,
                     suppress_health_check=list(HealthCheck))
_SAMPLES = {}


def _samples(name):
    if name not in _SAMPLES:
        _SAMPLES[name] = engine.samples_of(name, np.random.default_rng(0))
    return _SAMPLES[name]


@_SETTINGS
@given(data=st.data(), name=st.sampled_from(engine.OPS), kind=st.sampled_from(engine.PERTURBATIONS))
def test_every_op_gives_numpys_answer_or_a_documented_refusal(data, name, kind):
    samples = _samples(name)
    _, arrays, attrs = samples[data.draw(st.integers(0, len(samples) - 1), label="sample")]
    pick = lambda n: data.draw(st.integers(0, max(n, 1) - 1))  # noqa: E731
    arrays, attrs, strided = engine.perturb(arrays, attrs, kind, pick)
    outcome, detail = engine.run_case(name, arrays, attrs, strided)
    assert outcome != "failure", f"{name} [{kind}] shapes {[a.shape for a in arrays]} attrs {attrs!r}: {detail}"


def test_the_fuzzer_catches_a_wrong_answer(monkeypatch):
    # The engine must be able to fail: a kernel that adds one is caught.
    from tensorlet.ops.registry import REGISTRY

    op = REGISTRY["abs"]
    real = op.kernel
    from tensorlet import _core

    monkeypatch.setattr(op, "kernel", lambda a: _core.add(real(a), _core.from_numpy(np.ones((), np.float32))))
    outcome, _ = engine.run_case("abs", [np.array([-1.0, 2.0], np.float32)], ())
    assert outcome == "failure"
