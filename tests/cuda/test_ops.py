"""Every registered op, and every registered gradient, on the GPU against the
same op on the CPU, walked from the registry with its own sample inputs
(contiguous and strided). The two devices compute the same formulas, but sums
run in another order (reductions, matmul, softmax) and the GPU's exp, log, tanh
... may differ in the last bit, hence the tolerances below; integer and bool
results, and float results of exact arithmetic, must agree exactly. A mutating
op (assign, the optimizer updates) writes Variables made on each device; the
values it wrote are compared (bit for bit: the GPU's updates round as the
CPU's)."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet.ops.registry import REGISTRY, apply, apply_mutating
from tests.conftest import strided

# (rtol, atol) per dtype. Exact ops keep the default of zero.
_ROUNDING = {"float32": (1e-5, 1e-6), "float64": (1e-12, 1e-13)}  # last-bit formulas
_SUMS = {"float32": (1e-5, 1e-5), "float64": (1e-11, 1e-12)}      # another summation order
_GEMM = {"float32": (1e-4, 1e-4), "float64": (1e-11, 1e-11)}      # k-long dot products
_EXACT = {"float32": (0, 0), "float64": (0, 0)}

_BY_OP = {name: _GEMM for name in (
    "matmul", "dense", "conv2d", "fused_conv2d", "conv2d_backprop_input", "conv2d_backprop_filter")}
_BY_OP.update({name: _SUMS for name in (
    "batch_norm_stats", "batch_norm_grad_sums", "reduce_sum", "reduce_mean", "reduce_prod", "softmax",
    "log_softmax", "softmax_grad", "log_softmax_grad",
    "softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits_grad",
    "sparse_softmax_cross_entropy_with_logits", "sparse_softmax_cross_entropy_with_logits_grad", "gather_grad")})
_BY_OP.update({name: _EXACT for name in (
    "add", "subtract", "multiply", "negative", "abs", "square", "maximum", "minimum", "relu", "relu_grad",
    "reduce_max", "reduce_min", "cast", "concat", "stack", "gather", "where", "clip_by_value", "transpose",
    "reshape", "squeeze", "expand_dims", "broadcast_to", "identity", "fill", "strided_slice", "one_hot",
    "floor", "ceil", "round", "sign", "sqrt", "divide", "floor_div", "max_pool2d", "max_pool2d_grad",
    "max_pool2d_grad_grad")})
_BY_OP.update({name: _EXACT for name, op in REGISTRY.items() if op.mutates})


def tolerance(name, dtype):
    rtol, atol = _BY_OP.get(name, _ROUNDING).get(str(dtype), (0, 0))
    return dict(rtol=rtol, atol=atol)


def run_on(device, op, arrays, attrs, make):
    with tf.device(device):
        inputs = [make(a) for a in arrays]
        return inputs, apply(op, inputs, *attrs)


def run_mutating(device, op, arrays, attrs):
    """The values a mutating op writes on `device`: Variables there for the
    inputs it writes, constants for the others (None stays absent)."""
    with tf.device(device):
        inputs = [None if a is None else tf.Variable(a) if i in op.mutates else tf.constant(a)
                  for i, a in enumerate(arrays)]
        out = apply_mutating(op, inputs, *attrs)
    assert out is inputs[0]
    return [inputs[i] for i in op.mutates if inputs[i] is not None]


CASES = [(name, dt) for name, op in sorted(REGISTRY.items()) if op.samples for dt in op.dtypes]


@pytest.mark.parametrize("name,dtype", CASES)
def test_forward_matches_cpu(name, dtype, rng):
    op = REGISTRY[name]
    for arrays, attrs in op.samples(rng, dtype):
        if op.mutates:
            want, got = run_mutating("/CPU:0", op, arrays, attrs), run_mutating("/GPU:0", op, arrays, attrs)
            assert len(got) == len(want)
            for k, (g, w) in enumerate(zip(got, want)):
                assert g.device.endswith("device:GPU:0"), f"{name}: input {k} on {g.device}"
                np.testing.assert_allclose(g.numpy(), w.numpy(), **tolerance(name, dtype),
                                           err_msg=f"{name} {dtype} written input {k} {attrs}")
            continue
        for make in (tf.constant, strided):
            _, want = run_on("/CPU:0", op, arrays, attrs, make)
            _, got = run_on("/GPU:0", op, arrays, attrs, make)
            assert got.device.endswith("device:GPU:0"), f"{name}: result on {got.device}"
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_allclose(got.numpy(), want.numpy(), **tolerance(name, dtype),
                                       err_msg=f"{name} {dtype} {[a.shape for a in arrays]} {attrs}")


GRAD_CASES = [(name, dt) for name, op in sorted(REGISTRY.items()) if op.grad is not None and op.samples
              for dt in op.dtypes if dt in ("float32", "float64")]


@pytest.mark.parametrize("name,dtype", GRAD_CASES)
def test_gradient_matches_cpu(name, dtype, rng):
    op = REGISTRY[name]
    for arrays, attrs in op.samples(rng, dtype):
        results = {}
        for device in ("/CPU:0", "/GPU:0"):
            inputs, out = run_on(device, op, arrays, attrs, tf.constant)
            if not out.dtype.is_floating:
                break
            dy = np.random.default_rng(7).standard_normal(out.shape).astype(out.dtype.as_numpy_dtype)
            with tf.device(device):
                results[device] = op.grad(tf.constant(dy), inputs, attrs, out)
        if len(results) < 2:
            continue
        tol = tolerance(name, dtype)
        tol = dict(rtol=max(tol["rtol"], _SUMS[dtype][0]), atol=max(tol["atol"], _SUMS[dtype][1]))
        if name in ("matmul", "dense"):
            tol = tolerance(name, dtype)
        for k, (w, g) in enumerate(zip(results["/CPU:0"], results["/GPU:0"])):
            assert (w is None) == (g is None), f"{name}: gradient {k} missing on one device"
            if w is None:
                continue
            assert g.device.endswith("device:GPU:0"), f"{name}: gradient {k} on {g.device}"
            np.testing.assert_allclose(g.numpy(), w.numpy(), **tol, err_msg=f"{name} {dtype} gradient {k}")
