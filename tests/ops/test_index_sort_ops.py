"""gather_nd / scatter_nd / boolean_mask, sort / argsort / top_k / unique,
cumsum / linspace / meshgrid / add_n / einsum, TensorArray, nn.dropout and
nn.embedding_lookup: values against numpy written independently of the
kernels, gradients of the public functions by finite differences."""

import numpy as np
import pytest

import tensorlet as tf
from tests.conftest import numeric_gradient


def _grad_check(fn, x, rng):
    """d sum(fn(x) * w) / dx through the tape against central differences (float64)."""
    w = rng.standard_normal(np.shape(fn(tf.constant(x)).numpy()))
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = tf.reduce_sum(fn(xt) * w)
    got = tape.gradient(y, xt).numpy()
    want = numeric_gradient(lambda a: np.sum(fn(tf.constant(a)).numpy() * w), x.copy())
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def test_gather_nd_and_scatter_nd(rng):
    p = rng.standard_normal((4, 5, 2))
    idx = np.array([[0, 1], [3, 4], [0, 1]])
    np.testing.assert_array_equal(tf.gather_nd(p, idx).numpy(), np.stack([p[0, 1], p[3, 4], p[0, 1]]))
    np.testing.assert_array_equal(tf.gather_nd(p, [[2]]).numpy(), p[2][None])
    _grad_check(lambda x: tf.gather_nd(x, idx), p, rng)  # the repeated index gets both gradients
    # batch_dims: each batch row indexes its own slice
    b = tf.gather_nd(p, np.array([[[1], [0]], [[3], [3]], [[0], [0]], [[2], [1]]]), batch_dims=1)
    np.testing.assert_array_equal(b.numpy(), np.stack([p[i][[j for j in r]] for i, r in
                                                       enumerate([[1, 0], [3, 3], [0, 0], [2, 1]])]))
    u = rng.standard_normal(3)
    want = np.zeros((4, 5))
    for (i, j), v in zip(idx, u):
        want[i, j] += v
    np.testing.assert_allclose(tf.scatter_nd(idx, u, [4, 5]).numpy(), want)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"gather_nd: index \[4, 0\]"):
        tf.gather_nd(p, [[4, 0]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="updates must have shape"):
        tf.scatter_nd(idx, u[:2], [4, 5])
    with pytest.raises(TypeError, match="indices must be int"):
        tf.gather_nd(p, [[0.5]])


def test_tensor_scatter_nd_update_add_sub(rng):
    t = rng.standard_normal((4, 3))
    idx = np.array([[2], [0]])
    u = rng.standard_normal((2, 3))
    want = t.copy()
    want[[2, 0]] = u
    np.testing.assert_array_equal(tf.tensor_scatter_nd_update(t, idx, u).numpy(), want)
    np.testing.assert_allclose(tf.tensor_scatter_nd_add(t, idx, u).numpy(),
                               t + np.stack([u[1], np.zeros(3), u[0], np.zeros(3)]))
    np.testing.assert_allclose(tf.tensor_scatter_nd_sub(t, idx, u).numpy(),
                               t - np.stack([u[1], np.zeros(3), u[0], np.zeros(3)]))
    _grad_check(lambda x: tf.tensor_scatter_nd_update(x, idx, u), t, rng)
    _grad_check(lambda x: tf.tensor_scatter_nd_update(t, idx, x), u, rng)
    original = t.copy()
    tf.tensor_scatter_nd_update(t, idx, u)
    np.testing.assert_array_equal(t, original)  # the input is never changed


def test_boolean_mask(rng):
    x = rng.standard_normal((3, 4, 2))
    m = rng.random((3, 4)) < 0.5
    np.testing.assert_array_equal(tf.boolean_mask(x, m).numpy(), x[m])
    m1 = np.array([True, False, True, True])
    np.testing.assert_array_equal(tf.boolean_mask(x, m1, axis=1).numpy(), x[:, m1])
    _grad_check(lambda t: tf.boolean_mask(t, m), x, rng)
    assert tf.boolean_mask(x, np.zeros((3, 4), bool)).shape == (0, 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="does not match"):
        tf.boolean_mask(x, np.ones(5, bool))


def test_sort_argsort_top_k(rng):
    x = np.array([[3.0, 1.0, 3.0, 2.0], [0.0, -1.0, 5.0, 5.0]])
    np.testing.assert_array_equal(tf.sort(x).numpy(), np.sort(x, -1))
    np.testing.assert_array_equal(tf.sort(x, direction="DESCENDING").numpy(), -np.sort(-x, -1))
    np.testing.assert_array_equal(tf.argsort(x).numpy(), [[1, 3, 0, 2], [1, 0, 2, 3]])
    np.testing.assert_array_equal(tf.argsort(x, direction="DESCENDING").numpy(), [[0, 2, 3, 1], [2, 3, 0, 1]])
    np.testing.assert_array_equal(tf.sort(x, axis=0).numpy(), np.sort(x, 0))
    v, i = tf.math.top_k(x, k=2)
    np.testing.assert_array_equal(v.numpy(), [[3.0, 3.0], [5.0, 5.0]])
    np.testing.assert_array_equal(i.numpy(), [[0, 2], [2, 3]])  # ties: lower index first
    assert i.dtype == tf.int32 and tf.nn.top_k is tf.math.top_k
    y = rng.standard_normal((3, 5))
    _grad_check(lambda t: tf.sort(t, axis=0), y, rng)
    _grad_check(lambda t: tf.math.top_k(t, 3).values, y, rng)
    with pytest.raises(tf.errors.InvalidArgumentError, match="k=6"):
        tf.math.top_k(y, 6)
    with pytest.raises(tf.errors.InvalidArgumentError, match="direction"):
        tf.sort(y, direction="UP")


def test_unique():
    y, idx = tf.unique(tf.constant([1, 1, 2, 4, 4, 4, 7, 8, 8]))
    np.testing.assert_array_equal(y.numpy(), [1, 2, 4, 7, 8])
    np.testing.assert_array_equal(idx.numpy(), [0, 0, 1, 2, 2, 2, 3, 4, 4])
    y, idx, count = tf.unique_with_counts([5.0, 3.0, 5.0])
    np.testing.assert_array_equal(y.numpy(), [5.0, 3.0])  # order of first appearance
    np.testing.assert_array_equal(idx.numpy(), [0, 1, 0])
    np.testing.assert_array_equal(count.numpy(), [2, 1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="1-D"):
        tf.unique([[1, 2]])


def test_cumsum(rng):
    x = rng.standard_normal((3, 4))
    np.testing.assert_allclose(tf.cumsum(x).numpy(), np.cumsum(x, 0))
    np.testing.assert_allclose(tf.cumsum(x, axis=1, exclusive=True).numpy(),
                               np.cumsum(x, 1) - x)
    np.testing.assert_allclose(tf.math.cumsum(x, axis=-1, reverse=True).numpy(),
                               np.cumsum(x[:, ::-1], 1)[:, ::-1])
    np.testing.assert_array_equal(tf.cumsum([1, 2, 3]).numpy(), [1, 3, 6])
    _grad_check(lambda t: tf.cumsum(t, axis=1, exclusive=True, reverse=True), x, rng)


def test_add_n_linspace_meshgrid(rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    np.testing.assert_allclose(tf.add_n([a, b, a]).numpy(), a + b + a)
    with pytest.raises(tf.errors.InvalidArgumentError, match="add_n"):
        tf.add_n([a, b[:1]])
    np.testing.assert_allclose(tf.linspace(10.0, 12.0, 3).numpy(), [10.0, 11.0, 12.0])
    np.testing.assert_allclose(tf.linspace(0.0, 1.0, 7).numpy(), np.linspace(0, 1, 7, dtype=np.float32), rtol=1e-6)
    assert tf.linspace(0.0, 1.0, 7).numpy()[-1] == 1.0
    lo, hi = np.array([0.0, 1.0]), np.array([1.0, 5.0])
    np.testing.assert_allclose(tf.linspace(lo, hi, 5, axis=-1).numpy(), np.linspace(lo, hi, 5, axis=-1))
    _grad_check(lambda t: tf.linspace(t, hi, 4), lo, rng)
    x, y = np.arange(3.0), np.arange(4.0) * 10
    for indexing in ("xy", "ij"):
        got = tf.meshgrid(x, y, indexing=indexing)
        for g, w in zip(got, np.meshgrid(x, y, indexing=indexing)):
            np.testing.assert_array_equal(g.numpy(), w)


@pytest.mark.parametrize("eq,shapes", [("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bkj->bik", [(2, 3, 4), (2, 5, 4)]),
                                       ("ij->", [(3, 4)]), ("ii->i", [(3, 3)]), ("ij,ij", [(2, 3), (2, 3)]),
                                       ("...ij,...jk->...ik", [(2, 3, 4), (4, 2)]), ("i,j->ij", [(3,), (4,)]),
                                       ("ba", [(2, 3)])])
def test_einsum_matches_numpy(eq, shapes, rng):
    args = [rng.standard_normal(s) for s in shapes]
    np.testing.assert_allclose(tf.einsum(eq, *args).numpy(), np.einsum(eq, *args), rtol=1e-12)
    if "ii" not in eq:
        for k in range(len(args)):
            _grad_check(lambda t: tf.einsum(eq, *[t if i == k else a for i, a in enumerate(args)]), args[k], rng)


def test_einsum_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="einsum: equation 'ij,jk->ik' does not fit"):
        tf.einsum("ij,jk->ik", np.ones((2, 3)), np.ones((4, 5)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="names 2 operands, got 1"):
        tf.einsum("ij,jk->ik", np.ones((2, 3)))


def test_tensor_array(rng):
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    for i in range(3):
        ta = ta.write(i, tf.constant([float(i), 2.0 * i]))
    assert int(ta.size()) == 3
    np.testing.assert_array_equal(ta.stack().numpy(), [[0, 0], [1, 2], [2, 4]])
    np.testing.assert_array_equal(ta.read(1).numpy(), [1, 2])
    with pytest.raises(tf.errors.InvalidArgumentError, match="already read"):
        ta.read(1)
    fixed = tf.TensorArray(tf.float32, size=2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="dynamic_size=True"):
        fixed.write(2, 1.0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="holds float32"):
        fixed.write(0, tf.constant(1))
    # gradients flow from the stacked result to each written value
    x = tf.constant(rng.standard_normal(3))
    with tf.GradientTape() as tape:
        tape.watch(x)
        ta = tf.TensorArray(tf.float64, size=3)
        for i in range(3):
            ta = ta.write(i, x[i] * float(i + 1))
        y = tf.reduce_sum(ta.stack())
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [1.0, 2.0, 3.0])
    u = tf.TensorArray(tf.float32, size=3).unstack(tf.constant([[1.0], [2.0], [3.0]]))
    np.testing.assert_array_equal(u.gather([2, 0]).numpy(), [[3.0], [1.0]])


def test_nn_dropout_and_embedding_lookup(rng):
    tf.random.set_seed(3)
    x = tf.ones((200, 50))
    y = tf.nn.dropout(x, rate=0.25).numpy()
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.02
    assert np.array_equal(tf.nn.dropout(x, 0.0).numpy(), x.numpy())
    z = tf.nn.dropout(x, 0.5, noise_shape=[200, 1]).numpy()
    assert all(len(set(row)) == 1 for row in z)  # one draw per row
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"rate must be a number in \[0, 1\)"):
        tf.nn.dropout(x, 1.0)
    p = rng.standard_normal((5, 3))
    ids = np.array([[4, 0], [1, 1]])
    np.testing.assert_array_equal(tf.nn.embedding_lookup(p, ids).numpy(), p[ids])
    _grad_check(lambda t: tf.nn.embedding_lookup(t, ids), p, rng)
    clipped = tf.nn.embedding_lookup(p * 10, ids, max_norm=1.0).numpy()
    np.testing.assert_allclose(np.linalg.norm(clipped, axis=-1), 1.0, rtol=1e-6)
