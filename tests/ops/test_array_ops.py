"""Construction, joining, gather, one_hot, where and clip beyond the generic
registry tests: the composite ops, TF's dtype rules, error messages, large
(threaded) inputs and the gradients of the composite ops."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import _core
from tests.conftest import numeric_gradient, strided


def _np(t):
    return np.asarray(t.numpy())


@pytest.fixture
def two_threads():
    old = _core.get_num_threads()
    yield
    _core.set_num_threads(old)


# ---- gradients of the composite ops, through the tape ------------------------

def _check_grad(fn, a, rng):
    x = tf.constant(a)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = fn(x)
    outs = out if isinstance(out, list) else [out]
    dy = [rng.standard_normal(o.shape) for o in outs]
    got = tape.gradient(outs, x, output_gradients=[tf.constant(d) for d in dy])

    def f(v):
        res = fn(tf.constant(v))
        res = res if isinstance(res, list) else [res]
        return sum(np.sum(_np(r) * d) for r, d in zip(res, dy))

    np.testing.assert_allclose(_np(got), numeric_gradient(f, a.copy()), rtol=1e-5, atol=1e-6)


# ---- construction ---------------------------------------------------------------

def test_zeros_ones_fill():
    z = tf.zeros((2, 3))
    assert z.dtype == tf.float32 and z.shape == (2, 3) and not _np(z).any()
    o = tf.ones(4, dtype=tf.int64)
    assert o.dtype == tf.int64 and _np(o).tolist() == [1, 1, 1, 1]
    assert tf.ones([], tf.bool).numpy() == np.True_
    assert tf.zeros([0, 5]).shape == (0, 5)
    f = tf.fill([2, 2], 7)
    assert f.dtype == tf.int32 and _np(f).tolist() == [[7, 7], [7, 7]]
    assert tf.fill((3,), 2.5).dtype == tf.float32
    np.testing.assert_array_equal(_np(tf.fill([2], np.float64(1.5))), [1.5, 1.5])
    assert tf.zeros(tf.constant([2, 1])).shape == (2, 1)


def test_like_keeps_dtype():
    x = tf.constant([[1, 2, 3]], dtype=tf.int64)
    assert tf.zeros_like(x).dtype == tf.int64 and tf.zeros_like(x).shape == (1, 3)
    assert _np(tf.ones_like(x)).tolist() == [[1, 1, 1]]
    assert tf.ones_like(x, dtype=tf.float64).dtype == tf.float64
    assert tf.zeros_like(np.ones((2,), np.float64)).dtype == tf.float64


def test_construction_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="fill: value must be a scalar"):
        tf.fill([2], [1, 2])
    with pytest.raises(tf.errors.InvalidArgumentError, match="non-negative"):
        tf.zeros([2, -1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="delta must not be zero"):
        tf.range(0, 5, 0)


@pytest.mark.parametrize("args,kwargs,dtype,want", [
    ((5,), {}, "int32", np.arange(5)),
    ((1.0, 5.0), {}, "float32", np.arange(1.0, 5.0)),
    ((10, 0, -3), {}, "int32", np.arange(10, 0, -3)),
    ((0,), {}, "int32", np.arange(0)),
    ((2, 3.5, 0.5), {}, "float32", np.arange(2, 3.5, 0.5)),
    ((3,), {"dtype": tf.int64}, "int64", np.arange(3)),
    ((1, 4), {"dtype": tf.float64}, "float64", np.arange(1, 4)),
    ((np.int64(4),), {}, "int64", np.arange(4)),
    ((5, 1), {}, "int32", np.arange(5, 1)),
    ((tf.constant(3.0),), {}, "float32", np.arange(3.0)),
])
def test_range(args, kwargs, dtype, want):
    r = tf.range(*args, **kwargs)
    assert r.dtype == dtype
    np.testing.assert_allclose(_np(r), want)
    assert r.shape == want.shape


def test_eye():
    np.testing.assert_array_equal(_np(tf.eye(3)), np.eye(3, dtype=np.float32))
    np.testing.assert_array_equal(_np(tf.eye(2, 4, dtype=tf.int32)), np.eye(2, 4, dtype=np.int32))
    b = tf.eye(2, batch_shape=[3])
    assert b.shape == (3, 2, 2) and (_np(b) == np.eye(2)).all()
    assert tf.eye(0).shape == (0, 0)


# ---- joining and splitting -----------------------------------------------------

def test_concat_messages():
    a = tf.zeros((2, 3))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"concat: dimension 1 differs: \(2, 3\) vs \(2, 4\)"):
        tf.concat([a, tf.zeros((2, 4))], 0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="concat: all tensors must have one dtype, got "
                                                            r"float32 \(input 0\) and int32 \(input 1\)"):
        tf.concat([a, tf.zeros((2, 3), tf.int32)], 1)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"concat: ranks differ: \(2, 3\) vs \(3,\)"):
        tf.concat([a, tf.zeros((3,))], 0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="concat: axis 2 is out of range"):
        tf.concat([a, a], 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="scalars"):
        tf.concat([tf.constant(1.0), tf.constant(2.0)], 0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="non-empty"):
        tf.concat([], 0)


def test_concat_converts_like_the_first_tensor():
    t = tf.constant([[1.0, 2.0]], dtype=tf.float64)
    c = tf.concat([t, [[3, 4]]], 0)
    assert c.dtype == tf.float64 and _np(c).tolist() == [[1, 2], [3, 4]]
    assert tf.concat([t], 1) is not t and _np(tf.concat([t], 1)).tolist() == [[1, 2]]


@pytest.mark.parametrize("threads", [1, 2])
def test_concat_and_gather_large(threads, rng, two_threads):
    _core.set_num_threads(threads)
    a = rng.standard_normal((300, 70)).astype(np.float32)
    b = rng.standard_normal((300, 130)).astype(np.float32)
    np.testing.assert_array_equal(_np(tf.concat([tf.constant(a), strided(b)], 1)), np.concatenate([a, b], 1))
    np.testing.assert_array_equal(_np(tf.stack([tf.constant(a), strided(a)], 1)), np.stack([a, a], 1))
    idx = rng.integers(0, 300, size=(500,))
    np.testing.assert_array_equal(_np(tf.gather(strided(a), idx)), a[idx])
    flat = rng.standard_normal(1000)
    idx_flat = rng.integers(0, 1000, size=(60000,))
    np.testing.assert_array_equal(_np(tf.gather(flat, idx_flat)), flat[idx_flat])
    np.testing.assert_array_equal(_np(tf.gather(a, idx_flat[:40000] % 70, axis=1)), a[:, idx_flat[:40000] % 70])
    dy = rng.standard_normal((500, 70))
    got = _core.gather_grad(tf.constant(dy)._a, tf.constant(idx)._a, (300, 70), 0)
    want = np.zeros((300, 70))
    np.add.at(want, idx, dy)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, atol=1e-12)
    idx1 = rng.integers(0, 70, size=(40000,))
    row = rng.standard_normal((1, 40000))
    got = _core.gather_grad(tf.constant(row)._a, tf.constant(idx1)._a, (1, 70), 1)
    want = np.zeros((1, 70))
    np.add.at(want[0], idx1, row[0])
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-10)


def test_stack_unstack():
    a, b = np.arange(6.0).reshape(2, 3), -np.arange(6.0).reshape(2, 3)
    for axis in (0, 1, 2, -1, -3):
        np.testing.assert_array_equal(_np(tf.stack([a, b], axis)), np.stack([a, b], axis))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"stack: all tensors must have one shape, got \(2, 3\)"):
        tf.stack([a, a[:1]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="stack: axis 3 is out of range"):
        tf.stack([a, b], 3)
    parts = tf.unstack(tf.constant(a), axis=1)
    assert len(parts) == 3 and all(_np(p).tolist() == a[:, i].tolist() for i, p in enumerate(parts))
    assert [p.shape for p in tf.unstack(tf.zeros((2, 0)))] == [(0,), (0,)]
    with pytest.raises(tf.errors.InvalidArgumentError, match="num=3 does not match"):
        tf.unstack(tf.constant(a), num=3)


def test_split():
    x = np.arange(24.0).reshape(4, 6)
    for got, want in zip(tf.split(x, 3, axis=1), np.split(x, 3, axis=1)):
        np.testing.assert_array_equal(_np(got), want)
    got = tf.split(x, [1, -1, 2], axis=1)
    assert [g.shape for g in got] == [(4, 1), (4, 3), (4, 2)]
    np.testing.assert_array_equal(_np(got[1]), x[:, 1:4])
    assert [g.shape for g in tf.split(x, [4, 0], 0)] == [(4, 6), (0, 6)]
    with pytest.raises(tf.errors.InvalidArgumentError, match="cannot be split into 4 equal pieces"):
        tf.split(x, 4, axis=1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="add up to 5"):
        tf.split(x, [2, 3], axis=1)


@pytest.mark.parametrize("shape,mult", [((2, 3), (2, 1)), ((3,), (4,)), ((2, 1, 2), (1, 3, 2)), ((), ()),
                                        ((2, 3), (0, 2))])
def test_tile(shape, mult, rng):
    a = rng.standard_normal(shape)
    np.testing.assert_array_equal(_np(tf.tile(strided(a), mult)), np.tile(a, mult))


def test_tile_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="one entry per axis"):
        tf.tile(tf.zeros((2, 3)), [2])


@pytest.mark.parametrize("mode", ["CONSTANT", "REFLECT", "SYMMETRIC"])
def test_pad(mode, rng):
    a = rng.standard_normal((3, 4))
    pads = [[1, 2], [2, 0]]
    kw = {"constant_values": 1.5} if mode == "CONSTANT" else {}
    want = np.pad(a, pads, mode.lower(), **kw)
    np.testing.assert_array_equal(_np(tf.pad(strided(a), pads, mode, **kw)), want)
    with pytest.raises(tf.errors.InvalidArgumentError, match="pad: paddings"):
        tf.pad(a, [[1, 1]])


def test_pad_too_wide():
    with pytest.raises(tf.errors.InvalidArgumentError, match="too wide"):
        tf.pad(tf.zeros((2, 2)), [[2, 0], [0, 0]], "REFLECT")


def test_reverse(rng):
    a = rng.standard_normal((2, 3, 4))
    np.testing.assert_array_equal(_np(tf.reverse(a, [1])), a[:, ::-1])
    np.testing.assert_array_equal(_np(tf.reverse(a, [0, -1])), a[::-1, :, ::-1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="reverse: axis 3 is out of range"):
        tf.reverse(a, [3])


# ---- gather, one_hot, where, clip ---------------------------------------------------

def test_gather():
    p = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(_np(tf.gather(p, [2, 0, 2])), p[[2, 0, 2]])
    np.testing.assert_array_equal(_np(tf.gather(p, [[1], [3]], axis=1)), np.take(p, [[1], [3]], axis=1))
    np.testing.assert_array_equal(_np(tf.gather(p, 1, axis=-1)), p[:, 1])
    np.testing.assert_array_equal(_np(tf.gather(p, tf.constant([1, 0], tf.int64))), p[[1, 0]])


def test_gather_errors():
    p = tf.zeros((3, 4))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"gather: indices\[1\] = 5 is not in \[0, 4\) \(axis 1 of params with shape \(3, 4\)\)"):
        tf.gather(p, [0, 5], axis=1)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[0\] = -1 is not in \[0, 3\)"):
        tf.gather(p, [-1])
    with pytest.raises(TypeError, match="gather: indices must be int32 or int64, got float32"):
        tf.gather(p, [0.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="gather: axis 2 is out of range"):
        tf.gather(p, [0], axis=2)
    with pytest.raises(NotImplementedError):
        tf.gather(p, [0], batch_dims=1)


def test_unsorted_segment_sum():
    data = np.arange(12.0).reshape(4, 3)
    got = tf.unsorted_segment_sum(data, [0, 2, 0, 1], 3)
    np.testing.assert_array_equal(_np(got), [data[0] + data[2], data[3], data[1]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="is not in"):
        tf.unsorted_segment_sum(data, [0, 3, 0, 1], 3)


def test_one_hot():
    x = tf.one_hot([0, 2, -1, 3], 3)
    assert x.dtype == tf.float32
    np.testing.assert_array_equal(_np(x), [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]])
    y = tf.one_hot([[1, 0]], 2, on_value=5, off_value=-1, axis=0)
    assert y.dtype == tf.int32 and y.shape == (2, 1, 2)
    np.testing.assert_array_equal(_np(y)[:, 0, :], [[-1, 5], [5, -1]])
    assert tf.one_hot([1], 2, dtype=tf.bool).dtype == tf.bool
    assert tf.one_hot(tf.constant([1], tf.int64), 0).shape == (1, 0)
    with pytest.raises(TypeError, match="one_hot: indices must be int32 or int64"):
        tf.one_hot([0.5], 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="one_hot: axis 3 is out of range"):
        tf.one_hot([[1]], 2, axis=3)


def test_where_select():
    c = np.array([[True], [False]])
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(_np(tf.where(c, x, -1.0)), np.where(c, x, -1.0))
    np.testing.assert_array_equal(_np(tf.where(c, 1, x)), np.where(c, 1, x))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="where: x and y must have one dtype, got float32 and int32"):
        tf.where(c, tf.zeros((2, 3)), tf.zeros((2, 3), tf.int32))
    with pytest.raises(TypeError, match="where: condition must be bool"):
        tf.where(tf.constant([1.0]), 1.0, 2.0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="cannot be broadcast"):
        tf.where(c, tf.zeros((2, 3)), tf.zeros((4,)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="both"):
        tf.where(c, x)


def test_where_indices():
    c = np.array([[True, False, True], [False, False, True]])
    got = tf.where(c)
    assert got.dtype == tf.int64
    np.testing.assert_array_equal(_np(got), np.argwhere(c))
    assert tf.where(np.zeros((2, 2), bool)).shape == (0, 2)
    assert tf.where(tf.constant(True)).shape == (1, 0)


def test_clip_by_value():
    x = tf.constant([-2.0, 0.5, np.nan, 3.0])
    np.testing.assert_array_equal(_np(tf.clip_by_value(x, -1, 1)), [-1.0, 0.5, np.nan, 1.0])
    lo = tf.constant([[0.0], [1.0]])
    np.testing.assert_array_equal(_np(tf.clip_by_value(x, lo, 2.0)), np.clip(_np(x), _np(lo), 2.0))
    assert _np(tf.clip_by_value(tf.constant([5, -5]), 0, 3)).tolist() == [3, 0]
    with pytest.raises(tf.errors.InvalidArgumentError, match="clip_by_value: .* one dtype"):
        tf.clip_by_value(x, tf.constant(0, tf.int32), 1.0)


def test_clip_by_norm(rng):
    a = rng.standard_normal((3, 4))
    got = _np(tf.clip_by_norm(a, 1.0))
    np.testing.assert_allclose(got, a / np.linalg.norm(a), rtol=1e-12)
    np.testing.assert_allclose(_np(tf.clip_by_norm(a, 100.0)), a, rtol=1e-12)
    norms = np.linalg.norm(a, axis=1, keepdims=True)
    np.testing.assert_allclose(_np(tf.clip_by_norm(a, 1.0, axes=[1])), a / np.maximum(norms, 1.0), rtol=1e-12)
    np.testing.assert_array_equal(_np(tf.clip_by_norm(tf.zeros((2, 2)), 1.0)), np.zeros((2, 2)))


# ---- gradients of the composite ops --------------------------------------------------

@pytest.mark.parametrize("name,fn,shape", [
    ("tile", lambda x: tf.tile(x, [2, 3]), (2, 2)),
    ("pad", lambda x: tf.pad(x, [[1, 0], [2, 1]], constant_values=3.0), (2, 3)),
    ("pad_reflect", lambda x: tf.pad(x, [[1, 1], [2, 1]], "REFLECT"), (3, 4)),
    ("pad_symmetric", lambda x: tf.pad(x, [[2, 1], [0, 1]], "SYMMETRIC"), (3, 2)),
    ("reverse", lambda x: tf.reverse(x, [0, 1]), (2, 3)),
    ("split", lambda x: tf.split(x, [1, 2], axis=1), (2, 3)),
    ("unstack", lambda x: tf.unstack(x, axis=1), (2, 3)),
    ("clip_by_norm", lambda x: tf.clip_by_norm(x, 1.0), (2, 3)),
    ("clip_by_norm_axes", lambda x: tf.clip_by_norm(x, 1.0, axes=[0]), (2, 3)),
    ("fill_via_zeros_like", lambda x: x + tf.zeros_like(x), (2,)),
])
def test_composite_gradient(name, fn, shape, rng):
    _check_grad(fn, rng.uniform(0.5, 2.0, size=shape), rng)


def test_config_devices():
    cpus = tf.config.list_physical_devices("CPU")
    assert repr(cpus) == "[PhysicalDevice(name='/physical_device:CPU:0', device_type='CPU')]"
    assert tf.config.list_physical_devices("GPU") == []
    assert tf.config.list_physical_devices() == cpus


def test_config_threads(two_threads):
    tf.config.threading.set_intra_op_parallelism_threads(1)
    assert tf.config.threading.get_intra_op_parallelism_threads() == 1
    assert _core.get_num_threads() == 1
    tf.config.threading.set_inter_op_parallelism_threads(2)


# ---- property-based: random shapes against numpy ------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_dims = st.lists(st.integers(0, 4), min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(shape=_dims, sizes=st.lists(st.integers(0, 3), min_size=1, max_size=4), data=st.data())
def test_concat_random_shapes(shape, sizes, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    parts = []
    for k, s in enumerate(sizes):
        sh = list(shape)
        sh[axis] = s
        parts.append(np.arange(np.prod(sh), dtype=np.float32).reshape(sh) + 100 * k)
    make = data.draw(st.sampled_from([tf.constant, strided]))
    np.testing.assert_array_equal(_np(tf.concat([make(p) for p in parts], axis)), np.concatenate(parts, axis))


@settings(max_examples=60, deadline=None)
@given(shape=_dims, n=st.integers(1, 3), data=st.data())
def test_stack_tile_reverse_random_shapes(shape, n, data):
    a = np.arange(np.prod(shape), dtype=np.int64).reshape(shape)
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    np.testing.assert_array_equal(_np(tf.stack([strided(a)] * n, axis)), np.stack([a] * n, axis))
    mult = data.draw(st.lists(st.integers(0, 3), min_size=len(shape), max_size=len(shape)))
    np.testing.assert_array_equal(_np(tf.tile(a, mult)), np.tile(a, mult))
    axes = data.draw(st.lists(st.integers(0, len(shape) - 1), unique=True, max_size=len(shape)))
    np.testing.assert_array_equal(_np(tf.reverse(a, axes)), np.flip(a, axes) if axes else a)


@settings(max_examples=60, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), idx_shape=st.lists(st.integers(0, 3), max_size=2),
       data=st.data())
def test_gather_random_shapes(shape, idx_shape, data):
    axis = data.draw(st.integers(0, len(shape) - 1))
    p = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    idx = np.asarray(data.draw(st.lists(st.integers(0, shape[axis] - 1), min_size=int(np.prod(idx_shape)),
                                        max_size=int(np.prod(idx_shape)))), np.int32).reshape(idx_shape)
    np.testing.assert_array_equal(_np(tf.gather(strided(p), idx, axis=axis)), np.take(p, idx, axis=axis))


def test_config_visible_devices():
    assert tf.config.get_visible_devices("CPU") == tf.config.list_physical_devices("CPU")
    tf.config.set_visible_devices([], "GPU")
    with pytest.raises(TypeError, match="PhysicalDevice"):
        tf.config.set_visible_devices(["CPU"])
    assert tf.config.experimental.get_memory_growth(tf.config.list_physical_devices()[0]) is False
