"""Every registered gradient against central finite differences in float64,
walked from the registry. The op's gradient function is called directly (a
vector-Jacobian product with a random upstream gradient), so this checks each
op's own rule; the tape's chaining is tested in tests/autodiff."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet.ops.registry import REGISTRY, apply
from tests.conftest import numeric_gradient

CASES = sorted(n for n, op in REGISTRY.items()  # multi-output ops: tests/ops/test_multi_output.py
               if op.grad is not None and op.samples and "float64" in op.dtypes and op.outputs == 1)


def _unbroadcast(g, shape):
    g = np.asarray(g)
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for i, d in enumerate(shape):
        if d == 1 and g.shape[i] != 1:
            g = g.sum(axis=i, keepdims=True)
    return g


def _numeric_vjp(op, arrays, attrs, k, dy):
    def f(x):
        args = list(arrays)
        args[k] = x
        return np.sum(apply(op, [tf.constant(a) for a in args], *attrs).numpy() * dy)

    return numeric_gradient(f, arrays[k].copy())


@pytest.mark.parametrize("name", CASES)
def test_gradient_matches_finite_differences(name, rng):
    op = REGISTRY[name]
    for arrays, attrs in op.samples(rng, "float64"):
        if any(a.size > 60 for a in arrays):
            continue
        inputs = [tf.constant(a) for a in arrays]
        out = apply(op, inputs, *attrs)
        if out.dtype != tf.float64:  # finite differences need a float64 output
            continue
        dy = rng.standard_normal(out.shape)
        grads = op.grad(tf.constant(dy), inputs, attrs, out)
        assert len(grads) == len(arrays), f"{name}: one gradient per input expected"
        for k, g in enumerate(grads):
            if not op.diff[k] or arrays[k].dtype.kind != "f":
                continue
            assert g is not None, f"{name}: missing gradient for input {k}"
            got = _unbroadcast(g, arrays[k].shape)
            want = _numeric_vjp(op, arrays, attrs, k, dy)
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6,
                                       err_msg=f"{name} input {k} shapes {[a.shape for a in arrays]} {attrs}")
