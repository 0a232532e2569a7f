"""Random ops: the Philox stream against an independent numpy version of it,
the distributions' moments and bounds, and TF's seed semantics."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import _core

M = 0xFFFFFFFF


def philox(blocks, seed, counter):
    """Philox-4x32-10 in numpy: words of blocks 0..blocks-1, shape (blocks, 4)."""
    b = np.arange(blocks, dtype=np.uint64)
    c = [b & M, b >> np.uint64(32), np.full(blocks, counter & M, np.uint64), np.full(blocks, counter >> 32, np.uint64)]
    k0, k1 = seed & M, seed >> 32
    for _ in range(10):
        p0, p1 = c[0] * np.uint64(0xD2511F53), c[2] * np.uint64(0xCD9E8D57)
        c = [(p1 >> np.uint64(32)) ^ c[1] ^ np.uint64(k0), p1 & np.uint64(M),
             (p0 >> np.uint64(32)) ^ c[3] ^ np.uint64(k1), p0 & np.uint64(M)]
        k0, k1 = (k0 + 0x9E3779B9) & M, (k1 + 0xBB67AE85) & M
    return np.stack(c, axis=1)


def ref_uniform(n, dtype, seed, counter):
    if dtype == "float32":
        w = philox((n + 3) // 4, seed, counter).reshape(-1)[:n]
        return (w >> np.uint64(8)).astype(np.float64) / 2.0**24
    w = philox((n + 1) // 2, seed, counter).reshape(-1, 2)
    x = ((w[:, 0] << np.uint64(32)) | w[:, 1]) >> np.uint64(11)
    return x[:n].astype(np.float64) / 2.0**53


def ref_normal(n, dtype, seed, counter):
    m = n + (-n) % 4
    u = ref_uniform(m, dtype, seed, counter).astype(dtype).reshape(-1, 2)
    two, two_pi = np.asarray(-2.0, dtype), np.asarray(2 * np.pi, dtype)
    r = np.sqrt(two * np.log(1 - u[:, 0]))
    z = np.stack([r * np.cos(two_pi * u[:, 1]), r * np.sin(two_pi * u[:, 1])], axis=1)
    return z.reshape(-1)[:n].astype(np.float64)


@pytest.fixture(autouse=True)
def fresh_seed():
    tf.random.set_seed(None)
    yield
    tf.random.set_seed(None)
    _core.set_num_threads(0)


def test_philox_known_answer():
    # The published test vector for a zero counter and key.
    assert np.asarray(_core.random_bits(1, 0, 0)).tolist() == [[0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]]


@pytest.mark.parametrize("seed,counter", [(0, 0), (12345, 7), (2**64 - 1, 2**40 + 3)])
def test_bits_match_numpy(seed, counter):
    np.testing.assert_array_equal(np.asarray(_core.random_bits(300, seed, counter)), philox(300, seed, counter))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_uniform_and_normal_match_numpy(dtype):
    core = tf.as_dtype(dtype).core
    n = 1001
    got = np.asarray(_core.random_uniform([n], -2.0, 3.0, core, 99, 5))
    # The kernel scales in the output dtype.
    want = np.asarray(-2.0, dtype) + ref_uniform(n, dtype, 99, 5).astype(dtype) * np.asarray(5.0, dtype)
    np.testing.assert_array_equal(got, want)
    got = np.asarray(_core.random_normal([n], 1.0, 2.0, core, 99, 5))
    np.testing.assert_allclose(got, (1.0 + 2.0 * ref_normal(n, dtype, 99, 5)).astype(dtype),
                               rtol=1e-5 if dtype == "float32" else 1e-12, atol=2e-5 if dtype == "float32" else 1e-12)


def test_uniform_int_matches_numpy():
    w = philox(25, 4, 2).reshape(-1)
    np.testing.assert_array_equal(np.asarray(_core.random_uniform_int([100], -3, 10, tf.int32.core, 4, 2)),
                                  (w % 13).astype(np.int64) - 3)
    w = philox(25, 4, 2).reshape(-1, 2)
    x = (w[:, 0] << np.uint64(32)) | w[:, 1]
    np.testing.assert_array_equal(np.asarray(_core.random_uniform_int([50], 0, 10**12, tf.int64.core, 4, 2)),
                                  (x % np.uint64(10**12)).astype(np.int64))


def _z_ok(x, mean, std, n, k=5.0):
    return abs(x.mean() - mean) < k * std / np.sqrt(n)


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_moments(dtype):
    n = 10**5
    tf.random.set_seed(3)
    u = tf.random.uniform([n], dtype=dtype).numpy().astype(np.float64)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert _z_ok(u, 0.5, np.sqrt(1 / 12), n)
    assert abs(u.var() - 1 / 12) < 5 * np.sqrt(1 / 180) / np.sqrt(n)
    v = tf.random.uniform([n], -3.0, 5.0, dtype=dtype).numpy().astype(np.float64)
    assert v.min() >= -3.0 and v.max() < 5.0 and _z_ok(v, 1.0, 8 / np.sqrt(12), n)
    z = tf.random.normal([n], mean=2.0, stddev=3.0, dtype=dtype).numpy().astype(np.float64)
    assert _z_ok(z, 2.0, 3.0, n)
    assert abs(z.std() - 3.0) < 5 * 3.0 / np.sqrt(2 * n)
    assert abs(((z - 2.0) / 3.0) ** 3).mean() > 0 and abs((((z - 2.0) / 3.0) ** 4).mean() - 3.0) < 0.1
    t = tf.random.truncated_normal([n], mean=-1.0, stddev=0.5, dtype=dtype).numpy().astype(np.float64)
    assert t.min() >= -2.0 - 1e-6 and t.max() <= 0.0 + 1e-6
    # A standard normal truncated to [-2, 2] has standard deviation 0.87962.
    assert _z_ok(t, -1.0, 0.5 * 0.8796, n)
    assert abs(t.std() - 0.5 * 0.87962) < 0.005
    assert (np.abs(t + 1.0) > 0.95).mean() > 0.001  # values reach close to the bounds


@pytest.mark.parametrize("dtype", [tf.int32, tf.int64])
def test_uniform_int(dtype):
    tf.random.set_seed(1)
    x = tf.random.uniform([20000], minval=-2, maxval=5, dtype=dtype)
    assert x.dtype == dtype
    values, counts = np.unique(x.numpy(), return_counts=True)
    assert values.tolist() == list(range(-2, 5))
    assert np.all(np.abs(counts - 20000 / 7) < 5 * np.sqrt(20000 / 7))
    with pytest.raises(ValueError, match="maxval must be given"):
        tf.random.uniform([2], dtype=dtype)
    with pytest.raises(tf.errors.InvalidArgumentError, match="need minval < maxval"):
        tf.random.uniform([2], 5, 5, dtype=dtype)


def test_global_seed_reproduces_the_program():
    def program():
        return [tf.random.uniform([5]).numpy(), tf.random.normal([3]).numpy(),
                tf.random.uniform([2], seed=7).numpy(), tf.random.uniform([2], seed=7).numpy(),
                tf.random.truncated_normal([4]).numpy()]

    tf.random.set_seed(42)
    first = program()
    tf.random.set_seed(42)
    second = program()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[2], first[3])  # the same op seed advances per call
    assert not np.array_equal(first[0][:3], first[1])
    tf.random.set_seed(43)
    third = program()
    assert not any(np.array_equal(a, b) for a, b in zip(first, third))


def test_op_seed_without_global_seed_is_repeatable():
    a = tf.random.normal([4], seed=11).numpy()
    b = tf.random.normal([4], seed=11).numpy()
    assert not np.array_equal(a, b)
    tf.random.set_seed(None)
    np.testing.assert_array_equal(tf.random.normal([4], seed=11).numpy(), a)


def test_no_seed_differs():
    assert not np.array_equal(tf.random.uniform([8]).numpy(), tf.random.uniform([8]).numpy())


@pytest.mark.parametrize("fn", [
    lambda: tf.random.uniform([100003]),
    lambda: tf.random.uniform([50001], dtype=tf.float64),
    lambda: tf.random.normal([100003]),
    lambda: tf.random.truncated_normal([70001], dtype=tf.float64),
    lambda: tf.random.uniform([100003], 0, 1000, dtype=tf.int32),
    lambda: tf.random.uniform([50001], 0, 2**40, dtype=tf.int64),
])
def test_thread_count_does_not_change_values(fn):
    out = []
    for threads in (1, 2):
        _core.set_num_threads(threads)
        tf.random.set_seed(5)
        out.append(fn().numpy())
    np.testing.assert_array_equal(out[0], out[1])


def test_prefix_property():
    # Element i depends only on (seed, counter, i): a longer draw extends a shorter one.
    core = tf.float32.core
    short = np.asarray(_core.truncated_normal([10], 0.0, 1.0, core, 8, 1))
    long = np.asarray(_core.truncated_normal([1000], 0.0, 1.0, core, 8, 1))
    np.testing.assert_array_equal(short, long[:10])


def test_shapes_and_errors():
    assert tf.random.normal((2, 0, 3)).shape == (2, 0, 3)
    assert tf.random.uniform([]).shape == ()
    assert tf.random.uniform(3).shape == (3,)
    with pytest.raises(TypeError, match="random.normal: dtype must be float32 or float64"):
        tf.random.normal([2], dtype=tf.int32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="non-negative"):
        tf.random.uniform([-1])


def test_tensor_bounds_broadcast():
    tf.random.set_seed(0)
    x = tf.random.uniform([1000, 2], minval=[0.0, 10.0], maxval=[1.0, 12.0]).numpy()
    assert x[:, 0].min() >= 0 and x[:, 0].max() < 1 and x[:, 1].min() >= 10 and x[:, 1].max() < 12
    z = tf.random.normal([1000, 2], mean=[0.0, 100.0]).numpy()
    assert abs(z[:, 1].mean() - 100) < 0.5 and abs(z[:, 0].mean()) < 0.5


def test_shuffle():
    tf.random.set_seed(2)
    x = tf.reshape(tf.range(40), [20, 2])
    s = tf.random.shuffle(x).numpy()
    assert sorted(s[:, 0].tolist()) == list(range(0, 40, 2)) and (s[:, 1] == s[:, 0] + 1).all()
    assert not np.array_equal(s, x.numpy())
    tf.random.set_seed(2)
    np.testing.assert_array_equal(tf.random.shuffle(x).numpy(), s)
    with pytest.raises(tf.errors.InvalidArgumentError, match="rank at least 1"):
        tf.random.shuffle(tf.constant(1.0))


def test_stateless():
    a = tf.random.stateless_uniform([5], seed=[1, 2]).numpy()
    tf.random.uniform([3])  # stateful draws do not move stateless streams
    np.testing.assert_array_equal(tf.random.stateless_uniform([5], seed=(1, 2)).numpy(), a)
    assert not np.array_equal(tf.random.stateless_uniform([5], seed=[2, 1]).numpy(), a)
    assert a.min() >= 0 and a.max() < 1
    z = tf.random.stateless_normal([20000], seed=[3, 4], dtype=tf.float64).numpy()
    assert abs(z.mean()) < 5 / np.sqrt(20000) and abs(z.std() - 1) < 0.03
    t = tf.random.stateless_truncated_normal([1000], seed=[3, 4], stddev=2.0).numpy()
    assert np.abs(t).max() <= 4.0 + 1e-5
    i = tf.random.stateless_uniform([100], seed=[0, 0], minval=3, maxval=6, dtype=tf.int64).numpy()
    assert set(i.tolist()) == {3, 4, 5}
    with pytest.raises(tf.errors.InvalidArgumentError, match="seed must be a pair"):
        tf.random.stateless_uniform([2], seed=[1])


def test_categorical_draws_follow_the_softmax_of_the_logits():
    p = np.array([[0.1, 0.6, 0.3], [0.8, 0.1, 0.1]])
    draws = tf.random.categorical(np.log(p).astype(np.float32), 40000, seed=3).numpy()
    assert draws.shape == (2, 40000) and draws.dtype == np.int64
    freq = np.stack([np.bincount(r, minlength=3) / 40000 for r in draws])
    np.testing.assert_allclose(freq, p, atol=0.01)  # about four standard errors
    never = tf.random.categorical([[0.0, -np.inf, 0.0]], 200).numpy()
    assert set(never.ravel()) == {0, 2}
    tf.random.set_seed(5)
    a = tf.random.categorical(np.zeros((3, 4), np.float32), 6, dtype=tf.int32)
    tf.random.set_seed(5)
    b = tf.random.categorical(np.zeros((3, 4), np.float32), 6, dtype=tf.int32)
    assert a.dtype == tf.int32 and np.array_equal(a.numpy(), b.numpy())
    with pytest.raises(tf.errors.InvalidArgumentError, match="categorical: logits must be"):
        tf.random.categorical(np.zeros(3, np.float32), 2)
