"""Every registered op against its numpy reference, walked from the registry:
contiguous and strided inputs, every dtype the op declares, and its shape and
dtype rules against what the kernel produced."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet.framework import symbolic
from tensorlet.ops.registry import REGISTRY, apply
from tests.conftest import strided, tolerance

# Stateful ops (assignments, optimizer updates, random draws) and multi-output
# ops (tests/ops/test_multi_output.py) have tests of their own.
CASES = [(name, dt) for name, op in sorted(REGISTRY.items())
         if op.ref and op.samples and not (op.mutates or op.seeded) and op.outputs == 1 for dt in op.dtypes]


def _check(op, arrays, attrs, make):
    want = np.asarray(op.ref(*arrays, *attrs))
    got = apply(op, [make(a) for a in arrays], *attrs)
    assert got.shape == want.shape, f"{op.name}: shape {got.shape} != {want.shape}"
    if op.shape is not None:
        assert tuple(op.shape([a.shape for a in arrays], attrs)) == want.shape
    if op.dtype is not None:
        assert op.dtype([tf.as_dtype(a.dtype) for a in arrays], attrs) == got.dtype
    assert got.dtype == want.dtype or not np.issubdtype(want.dtype, np.floating) or got.dtype.is_floating
    np.testing.assert_allclose(got.numpy().astype(want.dtype), want, **tolerance((arrays[0] if arrays else want).dtype),
                               err_msg=f"{op.name} {[a.shape for a in arrays]} {attrs}")


@pytest.mark.parametrize("name,dtype", CASES)
def test_op_matches_numpy(name, dtype, rng):
    op = REGISTRY[name]
    for arrays, attrs in op.samples(rng, dtype):
        _check(op, arrays, attrs, tf.constant)
        _check(op, arrays, attrs, strided)


def test_every_op_has_a_reference():
    # A random draw has no numpy reference: tests/ops/test_stateful_ops.py checks it; nor has print.
    missing = [n for n, op in REGISTRY.items() if op.ref is None and not (op.seeded or op.effect)]
    assert not missing, f"ops without a numpy reference: {missing}"


def _takes_tensors(op):
    return (op.samples and not (op.mutates or op.seeded) and op.outputs == 1
            and op.samples(np.random.default_rng(0), op.dtypes[0])[0][0])


@pytest.mark.parametrize("name", sorted(n for n, op in REGISTRY.items() if _takes_tensors(op)))
def test_op_runs_on_symbolic_inputs_by_its_rules(name, rng):
    # The path a functional Keras model takes to learn its layers' output
    # shapes: each input becomes a symbolic tensor of the same shape and dtype.
    op = REGISTRY[name]
    for arrays, attrs in op.samples(rng, op.dtypes[0]):
        want = apply(op, [tf.constant(a) for a in arrays], *attrs)
        got = apply(op, [symbolic.tensor(a.shape, tf.as_dtype(a.dtype)) for a in arrays], *attrs)
        assert symbolic.is_symbolic(got)
        assert tuple(got.shape) == tuple(want.shape) and got.dtype == want.dtype, f"{name} {attrs}"


@pytest.mark.parametrize("name", sorted(n for n, op in REGISTRY.items() if _takes_tensors(op)))
def test_op_rules_keep_an_unknown_batch_dim(name, rng):
    # As a functional model sees its inputs: the first dim of each is unknown.
    # Every output dim the rules state must be the one the kernel gives.
    op = REGISTRY[name]
    for arrays, attrs in op.samples(rng, op.dtypes[0]):
        want = tuple(apply(op, [tf.constant(a) for a in arrays], *attrs).shape)
        spec = [symbolic.tensor((None,) + a.shape[1:] if a.ndim else (), tf.as_dtype(a.dtype)) for a in arrays]
        try:
            got = tuple(apply(op, spec, *attrs).shape)
        except tf.errors.InvalidArgumentError as e:
            assert "unknown" in str(e), f"{name} {attrs}: {e}"  # a rule that needs the dim says so
            continue
        assert len(got) == len(want) and all(g is None or g == w for g, w in zip(got, want)), f"{name} {attrs}"
