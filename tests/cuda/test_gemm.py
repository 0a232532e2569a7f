"""Matrix products on the GPU: every tile path of both float32 GEMM families
(TL_CUDA_GEMM=blocked, the default, and tiled), float64, and TensorFloat-32,
each against a float64 reference within a stated rounding bound."""

import os
import subprocess
import sys

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import _core
from tensorlet.ops.nn_ops import dense

U32 = 2.0 ** -24  # float32's unit roundoff


def gamma(n):
    """Higham's gamma_n = n u / (1 - n u): the relative bound of n float32 roundings."""
    return n * U32 / (1 - n * U32)


def assert_within_gemm_bound(got, a, b, tf32=False, bias=None, what="matmul"):
    """Checks got against a @ b (+ bias, relu'd when bias is given) in float64.

    The bound, elementwise over (|a| @ |b|): a float32 sum of k products in any
    order, fused or not, is within gamma_k of the exact sum (Higham, Accuracy
    and Stability of Numerical Algorithms, 3.1); gamma_(k+1) also covers the
    float64 reference's own error (k 2^-53). TF32 rounds each input to 10
    mantissa bits (2^-11 relative each, so 2^-10 + 2^-22 per product, which is
    then exact in float32), and the tensor cores may truncate instead of
    round while summing: gamma_(2(k+1)). The bias add is one more rounding and
    relu is 1-Lipschitz. No safety factor is needed: these are worst cases.
    Returns the error and the float32 bound (for checks that TF32 really ran).
    """
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    k = a.shape[-1]
    want, scale = a64 @ b64, np.abs(a64) @ np.abs(b64)
    rel = 2.0 ** -10 + 2.0 ** -22 + gamma(2 * (k + 1)) if tf32 else gamma(k + 1)
    if bias is not None:
        want = np.maximum(want + bias.astype(np.float64), 0)
        scale, rel = scale + np.abs(bias.astype(np.float64)), rel + 2 * U32
    bound = rel * scale
    err = np.abs(got.astype(np.float64) - want)
    bad = err > bound
    worst = np.unravel_index((err - bound).argmax(), err.shape)
    assert not bad.any(), (f"{what}: {bad.sum()} of {bad.size} elements beyond the bound, "
                           f"worst by {(err - bound).max():.3g} (bound there {bound[worst]:.3g})")
    return err, gamma(k + 1) * scale


@pytest.fixture(params=["tiled", "blocked"])
def gemm_kernel(request):
    """The test runs under each float32 GEMM family, restoring the choice after."""
    before = _core.gemm_kernel()
    _core.set_gemm_kernel(request.param)
    yield request.param
    _core.set_gemm_kernel(before)


def test_tf32_is_off_by_default_and_documented_accuracy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 512)).astype(np.float32)
    w = rng.standard_normal((512, 128)).astype(np.float32)
    want = x.astype(np.float64) @ w.astype(np.float64)
    assert not tf.config.experimental.tensor_float_32_execution_enabled()
    with tf.device("/GPU:0"):
        fp32 = tf.matmul(tf.constant(x), tf.constant(w)).numpy()
        tf.config.experimental.enable_tensor_float_32_execution(True)
        try:
            tf32 = tf.matmul(tf.constant(x), tf.constant(w)).numpy()
        finally:
            tf.config.experimental.enable_tensor_float_32_execution(False)
    scale = np.abs(want).max()
    assert np.abs(fp32 - want).max() < 1e-5 * scale
    err = np.abs(tf32 - want).max()
    assert 1e-6 * scale < err < 5e-3 * scale  # really TF32 (coarser than fp32), within its bound


@pytest.mark.parametrize("shape", [(2, 3, 4), (1000, 3), (4097,), (130, 260)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matmul_shapes_and_layouts(shape, dtype, gemm_kernel):
    """The small-tile paths (shared by both families): edges, transposed and
    strided operands, batches; shape2 (k = 4097) once failed a fixed 1e-4
    tolerance, below float32's own rounding of 4097-term sums."""
    rng = np.random.default_rng(1)
    m, k = shape[0], shape[-1]
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, 37)).astype(dtype)
    batch = rng.standard_normal((3, m, k)).astype(dtype)
    if dtype == "float32":  # against float64, within float32's worst-case rounding bound
        check = assert_within_gemm_bound
    else:
        check = lambda got, x, y: np.testing.assert_allclose(got, x @ y, rtol=1e-10, atol=1e-10)  # noqa: E731
    with tf.device("/GPU:0"):
        ta, tb = tf.constant(a), tf.constant(b)
        check(tf.matmul(ta, tb).numpy(), a, b)
        check(tf.matmul(tf.constant(a.T.copy()), tb, transpose_a=True).numpy(), a, b)
        check(tf.matmul(ta, tf.constant(b.T.copy()), transpose_b=True).numpy(), a, b)
        check(tf.matmul(tf.constant(batch), tb).numpy(), batch, b)


# At least 132 tiles of 128 x 128 (an H100's multiprocessors; 108 on an A100),
# so the large-tile kernels run. Edges in m, n and k; k % 4 == 0 gives 4-float
# loads of plain and transposed operands, k = 301 (and m = 1543) loads one
# float at a time.
LARGE = [(1540, 256, 1500), (1543, 301, 1501)]


@pytest.mark.parametrize("m,k,n", LARGE)
@pytest.mark.parametrize("tf32", [False, True], ids=["fp32", "tf32"])
def test_large_tile_kernels(gemm_kernel, m, k, n, tf32):
    """Both families' 128 x 128 kernels, float32 and TF32: plain, transposed and
    batched operands, and a dense layer's bias and relu written with C."""
    rng = np.random.default_rng(3)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    bias = rng.standard_normal(n, dtype=np.float32)
    batch = rng.standard_normal((2, m, k), dtype=np.float32)
    tf.config.experimental.enable_tensor_float_32_execution(tf32)
    try:
        with tf.device("/GPU:0"):
            ta, tb = tf.constant(a), tf.constant(b)
            got = {"plain": tf.matmul(ta, tb),
                   "transpose_a": tf.matmul(tf.constant(a.T.copy()), tb, transpose_a=True),
                   "transpose_b": tf.matmul(ta, tf.constant(b.T.copy()), transpose_b=True)}
            got = {key: v.numpy() for key, v in got.items()}
            got_batch = tf.matmul(tf.constant(batch), tb).numpy()
            got_dense = dense(ta, tb, tf.constant(bias), activation="relu").numpy()
    finally:
        tf.config.experimental.enable_tensor_float_32_execution(False)
    for key, v in got.items():
        err, fp32_bound = assert_within_gemm_bound(v, a, b, tf32, what=f"{gemm_kernel} {key}")
        if tf32:  # really the tensor cores: coarser than any float32 sum can be
            assert (err > fp32_bound).any(), key
    assert_within_gemm_bound(got_batch, batch, b, tf32, what="batched")
    assert_within_gemm_bound(got_dense, a, b, tf32, bias=bias, what="dense")


def test_gemm_kernel_choice():
    """TL_CUDA_GEMM picks the family at start; set_gemm_kernel names the choices."""
    assert _core.gemm_kernel() in ("blocked", "tiled")
    with pytest.raises(tf.errors.InvalidArgumentError, match="'blocked' or 'tiled'"):
        _core.set_gemm_kernel("fast")
    code = "from tensorlet import _core; print(_core.gemm_kernel())"
    for env, want in (("tiled", "tiled"), ("blocked", "blocked"), ("", "blocked")):
        out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "TL_CUDA_GEMM": env},
                             capture_output=True, text=True, check=True).stdout.strip()
        assert out == want, (env, out)
