"""Every differentiable op, differentiated through the tape and checked against
central finite differences in float64, walked from the registry: the op's
output goes through one more op (so the tape chains gradients), inputs are
contiguous, strided views or Variables, broadcasting is undone by the tape.
A second-order check differentiates the tape's gradient with an outer tape."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet.ops import _helpers as h
from tensorlet.ops.registry import REGISTRY, apply
from tests.conftest import numeric_gradient, strided

CASES = sorted(n for n, op in REGISTRY.items()  # multi-output ops: tests/ops/test_multi_output.py
               if op.grad is not None and op.samples and "float64" in op.dtypes and op.outputs == 1)
MAX_SIZE = 40  # finite differences cost two forward passes per element


def _float_inputs(op, arrays):
    return [k for k, a in enumerate(arrays) if a.dtype.kind == "f" and (op.diff is None or op.diff[k])]


def _make(arrays, kinds):
    """Tensors for the arrays: 'c' constant, 's' strided view, 'v' Variable."""
    make = {"c": tf.constant, "s": strided, "v": tf.Variable}
    return [make[k](a) for k, a in zip(kinds, arrays)]


def _forward(op, inputs, attrs, dy):
    """sum(sin(op(inputs)) * dy): a scalar through two recorded ops."""
    return tf.sin(apply(op, inputs, *attrs)) * dy


def _tape_grads(op, arrays, attrs, dy, kinds):
    inputs = _make(arrays, kinds)
    with tf.GradientTape() as tape:
        tape.watch([x for x in inputs if not isinstance(x, tf.Variable)])
        y = _forward(op, inputs, attrs, dy)
    return tape.gradient(y, inputs)


def _numeric(op, arrays, attrs, dy, k):
    def f(x):
        args = list(arrays)
        args[k] = x
        return np.sum(_forward(op, [tf.constant(a) for a in args], attrs, dy).numpy())

    return numeric_gradient(f, arrays[k].astype(np.float64).copy())


def _samples(op, rng):
    for arrays, attrs in op.samples(rng, "float64"):
        if any(a.size > MAX_SIZE for a in arrays) or not _float_inputs(op, arrays):
            continue
        out = apply(op, [tf.constant(a) for a in arrays], *attrs)
        if out.dtype != tf.float64:
            continue
        yield arrays, attrs, rng.standard_normal(out.shape)


@pytest.mark.parametrize("name", CASES)
def test_tape_gradient_matches_finite_differences(name, rng):
    op = REGISTRY[name]
    checked = 0
    for arrays, attrs, dy in _samples(op, rng):
        floats = _float_inputs(op, arrays)
        for kinds in ("c" * len(arrays), "s" * len(arrays), "".join("v" if k == floats[0] else "c"
                                                                     for k in range(len(arrays)))):
            grads = _tape_grads(op, arrays, attrs, dy, kinds)
            for k in floats:
                want = _numeric(op, arrays, attrs, dy, k)
                assert grads[k] is not None, f"{name}: no gradient for input {k}"
                assert grads[k].shape == arrays[k].shape, f"{name}: gradient shape {grads[k].shape}"
                np.testing.assert_allclose(grads[k].numpy(), want, rtol=1e-5, atol=1e-6,
                                           err_msg=f"{name} input {k} ({kinds}) shapes "
                                                   f"{[a.shape for a in arrays]} {attrs}")
            checked += 1
    assert checked, f"{name}: no float64 sample was checked"


def _first_grad(op, arrays, attrs, dy, k):
    inputs = [tf.constant(a) for a in arrays]
    with tf.GradientTape() as tape:
        tape.watch(inputs[k])
        y = _forward(op, inputs, attrs, dy)
    g = tape.gradient(y, inputs[k])
    return np.zeros(arrays[k].shape) if g is None else g.numpy()


@pytest.mark.parametrize("name", CASES)
def test_second_order_matches_finite_differences(name, rng):
    """d/dx <grad_x f(x), v> by nested tapes vs finite differences of the
    tape's own first-order gradient (zero almost everywhere for piecewise ops)."""
    op = REGISTRY[name]
    for arrays, attrs, dy in _samples(op, rng):
        if any(a.dtype.kind == "f" and np.any(a == 0) for a in arrays):
            continue  # rules may special-case exact zeros (reduce_prod): not differentiable again there
        for k in _float_inputs(op, arrays):
            v = rng.standard_normal(arrays[k].shape)
            inputs = [tf.constant(a) for a in arrays]
            with tf.GradientTape() as outer:
                outer.watch(inputs[k])
                with tf.GradientTape() as inner:
                    inner.watch(inputs[k])
                    y = _forward(op, inputs, attrs, dy)
                g = inner.gradient(y, inputs[k])
            hv = outer.gradient(g, inputs[k], output_gradients=v)
            got = np.zeros(arrays[k].shape) if hv is None else hv.numpy()
            x = arrays[k].copy()
            want = np.zeros_like(x)
            eps = 1e-5
            for i in range(x.size):
                vals = []
                for step in (eps, -eps):
                    xs = x.copy()
                    xs.reshape(-1)[i] += step
                    args = list(arrays)
                    args[k] = xs
                    vals.append(np.sum(_first_grad(op, args, attrs, dy, k) * v))
                want.reshape(-1)[i] = (vals[0] - vals[1]) / (2 * eps)
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5,
                                       err_msg=f"{name} input {k} shapes {[a.shape for a in arrays]} {attrs}")


def _is_elementwise(op):
    """Broadcasting binary ops, and unary ops of one input without attributes."""
    samples = op.samples(np.random.default_rng(0), "float64")
    if any(attrs != () for _, attrs in samples):
        return False
    return op.shape is h.binary_shape or (op.shape is h.same_shape and len(samples[0][0]) == 1)


ELEMENTWISE = sorted(n for n in CASES if _is_elementwise(REGISTRY[n]))


def _random_shapes(rng, n_inputs):
    """Random shapes of rank 0-3 that broadcast together: some dims are 1 (or
    missing) in some inputs."""
    full = tuple(int(d) for d in rng.integers(1, 4, size=rng.integers(0, 4)))
    shapes = []
    for _ in range(n_inputs):
        s = tuple(1 if rng.random() < 0.3 else d for d in full)
        shapes.append(s[int(rng.integers(0, len(s) + 1)):] if rng.random() < 0.3 else s)
    return shapes


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_random_shapes_with_broadcasting_and_strides(name, rng):
    op = REGISTRY[name]
    (proto, _), *_ = op.samples(rng, "float64")
    ranges = [(float(a.min()), float(a.max())) if a.size else (-1.0, 1.0) for a in proto]
    for trial in range(6):
        shapes = _random_shapes(rng, len(proto))
        arrays = [rng.uniform(lo, hi, size=s) for (lo, hi), s in zip(ranges, shapes)]
        out = apply(op, [tf.constant(a) for a in arrays])
        dy = rng.standard_normal(out.shape)
        kinds = "".join(rng.choice(["c", "s", "v"]) for _ in arrays)
        grads = _tape_grads(op, arrays, (), dy, kinds)
        for k in _float_inputs(op, arrays):
            np.testing.assert_allclose(grads[k].numpy(), _numeric(op, arrays, (), dy, k), rtol=1e-5, atol=1e-6,
                                       err_msg=f"{name} input {k} ({kinds}) shapes {shapes}")
