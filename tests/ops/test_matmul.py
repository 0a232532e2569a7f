"""tf.matmul against numpy: sizes around the micro-tile and block edges,
transpose flags, strided views, batch broadcasting, dtypes, errors, every ISA
path and every thread count."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import _core
from tensorlet.framework.errors import InvalidArgumentError


def _tol(dtype, k):
    # float32 sums of k products: error grows with k.
    if dtype == np.float32:
        return dict(rtol=1e-4, atol=1e-5 * max(k, 1))
    return dict(rtol=1e-11, atol=1e-12 * max(k, 1))


def _check(a, b, ta=False, tb=False, make=tf.constant):
    want = np.matmul(np.swapaxes(a, -1, -2) if ta else a, np.swapaxes(b, -1, -2) if tb else b)
    got = tf.matmul(make(a), make(b), transpose_a=ta, transpose_b=tb)
    assert got.shape == want.shape
    assert got.dtype == tf.as_dtype(want.dtype)
    k = a.shape[-2] if ta else a.shape[-1]
    np.testing.assert_allclose(got.numpy(), want, **_tol(a.dtype, k),
                               err_msg=f"{a.shape} {b.shape} ta={ta} tb={tb}")


def _rand(rng, shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


SIZES = [1, 2, 3, 5, 7, 11, 12, 13, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 97, 127, 128, 129, 130]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_square_and_odd_sizes(rng, dtype):
    for n in SIZES:
        _check(_rand(rng, (n, n), dtype), _rand(rng, (n, n), dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rectangular_sizes(rng, dtype):
    for m, k, n in [(1, 1, 1), (1, 300, 257), (257, 1, 3), (1000, 3, 7), (3, 1000, 5), (7, 3, 1000),
                    (130, 129, 1), (1, 1000, 1), (2, 700, 2), (257, 300, 140), (145, 513, 530),
                    (12, 32, 32), (24, 64, 65), (128, 784, 256)]:
        _check(_rand(rng, (m, k), dtype), _rand(rng, (k, n), dtype))


# Few rows or few columns: the unpacked path, alone and split over threads.
_DIRECT_SHAPES = [(32, 784, 256), (3, 40, 33), (13, 17, 300), (64, 129, 65), (65, 100, 70), (128, 200, 130),
                  (200, 33, 10), (300, 7, 31), (33, 256, 10), (12, 5, 32), (25, 1, 17), (129, 70, 33),
                  (200, 128, 2), (4096, 64, 2), (300, 9, 1), (2, 128, 200), (7, 8, 2)]  # one or two columns


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ta,tb", [(False, False), (False, True), (True, False), (True, True)])
def test_few_rows_or_columns(rng, dtype, ta, tb):
    for m, k, n in _DIRECT_SHAPES:
        a = _rand(rng, (k, m) if ta else (m, k), dtype)
        b = _rand(rng, (n, k) if tb else (k, n), dtype)
        _check(a, b, ta, tb)
        # Strided views: neither operand has a unit stride.
        _check(a, b, ta, tb, make=_strided)


def test_few_rows_with_column_major_views(rng):
    # A stored column-major (computed as C^T = B^T A^T), B column-major (copied).
    for m, k, n in [(20, 50, 300), (32, 256, 784), (40, 30, 12), (7, 300, 45)]:
        a, b = _rand(rng, (m, k)), _rand(rng, (k, n))
        at = tf.Tensor._from_array(tf.constant(np.ascontiguousarray(a.T))._a.transpose([1, 0]))
        bt = tf.Tensor._from_array(tf.constant(np.ascontiguousarray(b.T))._a.transpose([1, 0]))
        for x, y in [(at, b), (a, bt), (at, bt)]:
            np.testing.assert_allclose(tf.matmul(x, y).numpy(), a @ b, **_tol(np.float32, k))


def test_blocks_larger_than_the_caches(rng):
    # Several KC blocks along k and several NC/MC blocks of C, float32 and 64
    # (the packed path: more rows, or a larger A, than the unpacked one takes).
    _check(_rand(rng, (300, 600)), _rand(rng, (600, 1100)))
    _check(_rand(rng, (601, 700)), _rand(rng, (700, 1100)))
    _check(_rand(rng, (200, 530), np.float64), _rand(rng, (530, 600), np.float64))
    _check(_rand(rng, (520, 530), np.float64), _rand(rng, (530, 300), np.float64))
    _check(_rand(rng, (100, 5000)), _rand(rng, (5000, 70)))
    _check(_rand(rng, (40, 5000)), _rand(rng, (5000, 10)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ta,tb", [(False, True), (True, False), (True, True)])
def test_transpose_flags(rng, dtype, ta, tb):
    for m, k, n in [(3, 4, 5), (1, 7, 1), (33, 65, 17), (129, 257, 70), (2, 2, 2)]:
        a = _rand(rng, (k, m) if ta else (m, k), dtype)
        b = _rand(rng, (n, k) if tb else (k, n), dtype)
        _check(a, b, ta, tb)


def test_adjoint_flags_match_transpose(rng):
    a, b = _rand(rng, (5, 3)), _rand(rng, (4, 5))
    got = tf.matmul(a, b, adjoint_a=True, adjoint_b=True).numpy()
    np.testing.assert_allclose(got, a.T @ b.T, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="only one of transpose_a and adjoint_a"):
        tf.matmul(a, b, transpose_a=True, adjoint_a=True)


def _view(arr, index):
    """A tensor view (no copy) of tf.constant(arr)[index]."""
    t = tf.constant(arr)
    return tf.Tensor._from_array(t._a.index(index))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_strided_and_transposed_views(rng, dtype):
    for m, k, n in [(5, 6, 7), (40, 70, 50), (130, 33, 65)]:
        a_big, b_big = _rand(rng, (2 * m, 3 * k), dtype), _rand(rng, (3 * k, 2 * n), dtype)
        a_idx = (slice(None, None, 2), slice(1, None, 3))
        b_idx = (slice(None, None, 3), slice(None, None, 2))
        a, b = a_big[a_idx], b_big[b_idx]
        ta, tb = _view(a_big, a_idx), _view(b_big, b_idx)
        assert not ta._a.is_contiguous() and not tb._a.is_contiguous()
        got = tf.matmul(ta, tb).numpy()
        np.testing.assert_allclose(got, a @ b, **_tol(dtype, k))
        # Views that are transposes (column-major storage), with the flags.
        at = tf.Tensor._from_array(tf.constant(np.ascontiguousarray(a.T))._a.transpose([1, 0]))
        bt = tf.Tensor._from_array(tf.constant(np.ascontiguousarray(b.T))._a.transpose([1, 0]))
        np.testing.assert_allclose(tf.matmul(at, bt).numpy(), a @ b, **_tol(dtype, k))
        np.testing.assert_allclose(tf.matmul(at, tb, transpose_a=False).numpy(), a @ b, **_tol(dtype, k))
        # Negative strides.
        a_rev, b_rev = a[::-1], b[:, ::-1]
        t_rev = _view(a, (slice(None, None, -1), slice(None)))
        u_rev = _view(b, (slice(None), slice(None, None, -1)))
        np.testing.assert_allclose(tf.matmul(t_rev, u_rev).numpy(), a_rev @ b_rev, **_tol(dtype, k))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batched_and_broadcast(rng, dtype):
    cases = [((4, 5, 6), (4, 6, 7)), ((4, 5, 6), (6, 7)), ((5, 6), (4, 6, 7)), ((2, 1, 5, 6), (3, 6, 7)),
             ((1, 3, 5, 6), (2, 1, 6, 7)), ((3, 40, 70), (70, 50)), ((3, 40, 70), (1, 70, 50)),
             ((5, 64, 64), (5, 64, 64)), ((3, 130, 20), (3, 20, 140)), ((2, 2, 1, 9), (9, 1)),
             ((7, 2, 3), (7, 3, 2)), ((0, 3, 4), (4, 5)), ((3, 2, 4), (3, 4, 0))]
    for sa, sb in cases:
        _check(_rand(rng, sa, dtype), _rand(rng, sb, dtype))
        _check(_rand(rng, sa, dtype), _rand(rng, sb, dtype), make=_strided)
    # Flags with batches, and a transposed batch view folded into one product.
    _check(_rand(rng, (3, 6, 5), dtype), _rand(rng, (2, 1, 7, 6), dtype), True, True)
    x = _rand(rng, (6, 4, 50), dtype)
    view = tf.Tensor._from_array(tf.constant(x)._a.transpose([1, 0, 2]))  # (4, 6, 50), not contiguous
    w = _rand(rng, (50, 30), dtype)
    np.testing.assert_allclose(tf.matmul(view, w).numpy(), np.swapaxes(x, 0, 1) @ w, **_tol(dtype, 50))


def _strided(a):
    from tests.conftest import strided
    return strided(a)


def test_empty_and_zero_k(rng):
    for sa, sb in [((0, 3), (3, 4)), ((3, 0), (0, 4)), ((3, 4), (4, 0)), ((2, 0, 3), (3, 5)),
                   ((2, 3, 0), (2, 0, 5))]:
        a, b = _rand(rng, sa), _rand(rng, sb)
        got = tf.matmul(a, b)
        assert got.shape == np.matmul(a, b).shape
        np.testing.assert_array_equal(got.numpy(), np.zeros(got.shape, np.float32))


def test_integer_dtypes(rng):
    for dtype in (np.int32, np.int64):
        a = rng.integers(-50, 50, (2, 13, 17)).astype(dtype)
        b = rng.integers(-50, 50, (17, 9)).astype(dtype)
        got = tf.matmul(a, b)
        assert got.dtype == tf.as_dtype(dtype)
        np.testing.assert_array_equal(got.numpy(), a @ b)
    big = np.full((1, 2), 2**30, np.int32)
    np.testing.assert_array_equal(tf.matmul(big, np.ones((2, 1), np.int32)).numpy(), big @ np.ones((2, 1), np.int32))


def test_python_values_and_operator(rng):
    got = tf.matmul([[1.0, 2.0], [3.0, 4.0]], [[5.0], [6.0]])
    assert got.dtype == tf.float32
    np.testing.assert_array_equal(got.numpy(), [[17.0], [39.0]])
    a, b = tf.constant(_rand(rng, (3, 4))), _rand(rng, (4, 2))
    np.testing.assert_allclose((a @ b).numpy(), a.numpy() @ b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose((b.T @ a.numpy().T @ a).numpy(), b.T @ a.numpy().T @ a.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(tf.linalg.matmul(a, b).numpy(), a.numpy() @ b, rtol=1e-5, atol=1e-6)


def test_errors():
    a = tf.constant(np.ones((2, 3), np.float32))
    b = tf.constant(np.ones((4, 5), np.float32))
    with pytest.raises(InvalidArgumentError, match=r"matmul: inner dimensions differ: \(2, 3\) @ \(4, 5\)"):
        tf.matmul(a, b)
    with pytest.raises(InvalidArgumentError, match=r"\(3, 2\) @ \(4, 5\) \(shapes after transpose_a\)"):
        tf.matmul(a, b, transpose_a=True)
    with pytest.raises(InvalidArgumentError, match="rank >= 2"):
        tf.matmul(tf.constant([1.0, 2.0, 3.0]), b)
    with pytest.raises(InvalidArgumentError, match="rank >= 2"):
        tf.matmul(a, tf.constant(3.0))
    with pytest.raises(InvalidArgumentError, match="float32 @ float64"):
        tf.matmul(a, tf.constant(np.ones((3, 4))))
    with pytest.raises(InvalidArgumentError, match=r"batch dimensions do not broadcast: \(2, 2, 3\) @ \(3, 3, 4\)"):
        tf.matmul(np.ones((2, 2, 3), np.float32), np.ones((3, 3, 4), np.float32))
    with pytest.raises(TypeError, match="matmul: unsupported dtype bool"):
        tf.matmul(np.ones((2, 2), bool), np.ones((2, 2), bool))
    with pytest.raises(TypeError):
        a @ "x"


def test_shape_rule():
    rule = tf.matmul.op.shape
    assert rule([(None, 3, 4), (4, 5)], (False, False)) == (None, 3, 5)
    assert rule([(2, 1, 4, 3), (5, None, 4)], (True, False)) == (2, 5, 3, 4)
    assert rule([(2, 1, 4, 3), (5, 4, None)], (True, False)) == (2, 5, 3, None)
    assert rule([(None, None), (None, 7)], (False, False)) == (None, 7)
    with pytest.raises(InvalidArgumentError, match="inner dimensions differ"):
        rule([(2, 3), (4, 5)], (False, False))
    with pytest.raises(InvalidArgumentError, match="rank >= 2"):
        rule([(3,), (3, 4)], (False, False))


def test_gradient_through_tape_rank2(rng):
    # Gradients of sum(a @ b) have closed forms: ones @ b^T and a^T @ ones.
    a, b = _rand(rng, (3, 4), np.float64), _rand(rng, (4, 5), np.float64)
    dy = tf.constant(np.ones((3, 5)))
    ga, gb = tf.matmul.op.grad(dy, [tf.constant(a), tf.constant(b)], (False, False), None)
    np.testing.assert_allclose(ga.numpy(), np.ones((3, 5)) @ b.T)
    np.testing.assert_allclose(gb.numpy(), a.T @ np.ones((3, 5)))


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_thread_counts_agree(rng, threads):
    # Products from ~4M multiply-adds use threads; smaller ones check that the
    # serial paths agree too.
    old = _core.get_num_threads()
    cases = [((200, 300), (300, 260)), ((3, 100, 90), (90, 80)), ((3, 70, 60), (3, 60, 50)),
             ((2, 1, 64, 64), (3, 64, 64)), ((520, 70), (70, 20)), ((20, 70), (70, 520)),
             ((3, 130, 120), (3, 120, 110)), ((4, 100, 110), (4, 110, 100)), ((20, 400), (400, 600)),
             ((30, 2100), (2100, 2050)), ((600, 200), (200, 300)), ((32, 784), (784, 256)),
             ((100, 300), (300, 400)), ((700, 40), (40, 30)),
             ((1, 2000), (2000, 2100)), ((2, 1900), (1100, 1900)), ((2100, 2000), (2000, 1)), ((8000, 300), (300, 2))]
    data = [(_rand(rng, sa), _rand(rng, sb)) for sa, sb in cases]
    # A transposed (strided) B for the vector path.
    data[-3] = (data[-3][0], tf.Tensor._from_array(tf.constant(data[-3][1])._a.transpose([1, 0])))
    # Few rows with a transposed B (swapped), and with both transposed (copied).
    a, b = _rand(rng, (40, 300)), _rand(rng, (300, 700))
    data.append((a, tf.Tensor._from_array(tf.constant(np.ascontiguousarray(b.T))._a.transpose([1, 0]))))
    data.append((tf.Tensor._from_array(tf.constant(np.ascontiguousarray(a.T))._a.transpose([1, 0])), b))
    try:
        _core.set_num_threads(1)
        serial = [tf.matmul(a, b).numpy() for a, b in data]
        _core.set_num_threads(threads)
        for (a, b), want in zip(data, serial):
            # Each element is computed by the same sequence of operations
            # whichever thread computes it.
            np.testing.assert_array_equal(tf.matmul(a, b).numpy(), want)
            np.testing.assert_allclose(want, np.asarray(a) @ np.asarray(b), rtol=1e-4, atol=1e-3)
        # A batch of transposed A against one B: shared packed B, not foldable.
        a, b = _rand(rng, (3, 130, 130)), _rand(rng, (130, 90))
        _core.set_num_threads(1)
        want = tf.matmul(a, b, transpose_a=True).numpy()
        _core.set_num_threads(threads)
        np.testing.assert_array_equal(tf.matmul(a, b, transpose_a=True).numpy(), want)
        np.testing.assert_allclose(want, np.swapaxes(a, 1, 2) @ b, rtol=1e-4, atol=1e-3)
    finally:
        _core.set_num_threads(old)


_ISA_SCRIPT = textwrap.dedent("""
    import numpy as np, tensorlet as tf
    from tensorlet import _core
    rng = np.random.default_rng(7)
    print(_core.isa())
    for dtype in (np.float32, np.float64):
        for (sa, sb, ta, tb) in [((2, 2), (2, 2), 0, 0), ((13, 17), (17, 33), 0, 0), ((129, 70), (129, 257), 1, 0),
                                 ((300, 270), (65, 270), 0, 1), ((3, 40, 30), (30, 50), 0, 0),
                                 ((2, 1, 20, 30), (3, 40, 30), 0, 1), ((1, 500), (500, 300), 0, 0),
                                 ((260, 600), (600, 140), 0, 0), ((32, 784), (784, 256), 0, 0),
                                 ((32, 256), (784, 256), 0, 1), ((32, 784), (32, 256), 1, 0),
                                 ((33, 70), (70, 10), 0, 0), ((70, 250), (70, 13), 1, 0), ((5, 9), (9, 7), 0, 0),
                                 ((130, 100), (100, 70), 0, 0), ((20, 30), (45, 20), 1, 1),
                                 ((601, 300), (300, 100), 0, 0)]:
            a = rng.standard_normal(sa).astype(dtype); b = rng.standard_normal(sb).astype(dtype)
            want = np.matmul(np.swapaxes(a, -1, -2) if ta else a, np.swapaxes(b, -1, -2) if tb else b)
            got = tf.matmul(a, b, transpose_a=bool(ta), transpose_b=bool(tb)).numpy()
            tol = 1e-3 if dtype == np.float32 else 1e-10
            assert np.allclose(got, want, rtol=tol, atol=tol), (sa, sb, ta, tb, dtype, np.abs(got - want).max())
            if not ta and not tb and len(sa) == 2:
                bias = rng.standard_normal(sb[1]).astype(dtype)
                for act in ("linear", "relu"):
                    ref = want + bias
                    got = tf.nn.dense(a, b, bias, act).numpy()
                    assert np.allclose(got, np.maximum(ref, 0) if act == "relu" else ref, rtol=tol, atol=tol)
    print("ok")
""")


@pytest.mark.parametrize("level", ["baseline", "avx2", "avx512"])
def test_each_isa_path(level):
    env = dict(os.environ, TENSORLET_ISA=level)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    res = subprocess.run([sys.executable, "-c", _ISA_SCRIPT], env=env, capture_output=True, text=True, cwd=root,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    name, status = res.stdout.split()
    assert status == "ok"
    # The level is only ever lowered, never raised past what the CPU has.
    order = ["baseline", "avx2", "avx512"]
    assert order.index(name) <= order.index(level)
