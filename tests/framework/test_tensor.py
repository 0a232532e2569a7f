"""Tensor basics users know from TensorFlow: printing, dtype rules,
immutability, numpy interop and Python protocols."""

import numpy as np
import pytest

import tensorlet as tf


def test_str_and_repr_match_tensorflow():
    t = tf.constant(np.ones((2, 1), np.float32))
    assert str(t) == "tf.Tensor(\n[[1.]\n [1.]], shape=(2, 1), dtype=float32)"
    assert repr(t) == ("<tf.Tensor: shape=(2, 1), dtype=float32, numpy=\narray([[1.],\n       [1.]], "
                       "dtype=float32)>")


@pytest.mark.parametrize("value,text,rtext", [
    (3.0, "tf.Tensor(3.0, shape=(), dtype=float32)", "<tf.Tensor: shape=(), dtype=float32, numpy=3.0>"),
    (7, "tf.Tensor(7, shape=(), dtype=int32)", "<tf.Tensor: shape=(), dtype=int32, numpy=7>"),
    (True, "tf.Tensor(True, shape=(), dtype=bool)", "<tf.Tensor: shape=(), dtype=bool, numpy=True>"),
    ([1.5, 2.0], "tf.Tensor([1.5 2. ], shape=(2,), dtype=float32)",
     "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([1.5, 2. ], dtype=float32)>"),
    (np.array([1, 2], np.int64), "tf.Tensor([1 2], shape=(2,), dtype=int64)",
     "<tf.Tensor: shape=(2,), dtype=int64, numpy=array([1, 2])>"),
])
def test_printing_every_dtype_and_rank(value, text, rtext):
    t = tf.constant(value)
    assert str(t) == text
    assert repr(t) == rtext


def test_default_dtypes():
    assert tf.constant(1.0).dtype == tf.float32
    assert tf.constant(1).dtype == tf.int32
    assert tf.constant(True).dtype == tf.bool
    assert tf.constant([[1, 2]]).dtype == tf.int32
    assert tf.constant(np.zeros(3)).dtype == tf.float64  # numpy arrays keep their dtype
    assert tf.constant(np.zeros(3, np.int64)).dtype == tf.int64
    assert tf.constant(2**40).dtype == tf.int64
    assert tf.constant(1, dtype=tf.float64).dtype == tf.float64
    assert tf.constant(1.0, dtype="float64").dtype is tf.float64


@pytest.mark.parametrize("a,b", [(tf.constant(2.0), tf.constant(40)),
                                 (tf.constant(2.0), tf.constant(2.0, dtype=tf.float64)),
                                 (tf.constant([1, 2]), tf.constant(np.array([1, 2], np.int64)))])
def test_no_promotion_between_tensors(a, b):
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        a + b
    assert a.dtype.name in str(e.value) and b.dtype.name in str(e.value) and "add" in str(e.value)
    assert isinstance(e.value, ValueError)


def test_python_values_and_numpy_arrays_adopt_the_tensor_dtype():
    x = tf.constant([1.0, 2.0])
    assert (x + 1).dtype == tf.float32
    assert (1 + x).dtype == tf.float32
    assert (x * np.array([2.0, 3.0])).dtype == tf.float32  # float64 array adopts float32
    i = tf.constant([1, 2])
    assert (i + 1).dtype == tf.int32
    with pytest.raises(TypeError):
        i + 1.5  # would truncate


def test_tensors_are_immutable():
    x = tf.ones((2, 2))
    with pytest.raises(TypeError, match="'Tensor' object does not support item assignment"):
        x[0, 0] = 0.0


def test_numpy_interop_both_ways():
    t = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    r = np.add(t, 1)
    assert isinstance(r, np.ndarray)
    np.testing.assert_array_equal(r, [[2, 3], [4, 5]])
    m = tf.multiply(np.ones((2, 2)), 42)
    assert isinstance(m, tf.Tensor) and m.dtype == tf.float64
    n = t.numpy()
    n[0, 0] = 100  # a copy: the tensor is unchanged
    assert float(t[0, 0]) == 1.0
    view = np.asarray(t)
    assert not view.flags.writeable  # zero-copy and read-only
    assert isinstance(tf.constant(3.0).numpy(), np.float32)


def test_python_protocols():
    t = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    assert len(t) == 2
    assert [r.shape for r in t] == [(2,), (2,)]
    assert float(t[1, 1]) == 4.0 and int(tf.constant(7)) == 7
    assert f"{tf.constant(3.14159):.2f}" == "3.14"
    assert bool(tf.constant(True))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(t)
    assert str(t.shape) == "(2, 2)" and t.shape == (2, 2) and t.shape.as_list() == [2, 2]
    assert t.ndim == 2
    np.testing.assert_array_equal((t < 2.5).numpy(), [[True, True], [False, False]])
    np.testing.assert_array_equal(t.T.numpy(), [[1, 3], [2, 4]])
    np.testing.assert_array_equal((-t).numpy(), -np.array([[1, 2], [3, 4]]))
    np.testing.assert_array_equal((2 ** tf.constant([1.0, 3.0])).numpy(), [2, 8])
    np.testing.assert_array_equal((7 // tf.constant([2, -2])).numpy(), [3, -4])
    np.testing.assert_array_equal((tf.constant([7, -7]) % 3).numpy(), [1, 2])


def test_indexing_matches_numpy(rng):
    a = rng.standard_normal((4, 5, 6)).astype(np.float32)
    t = tf.constant(a)
    for key in [0, -1, (1, 2), (slice(None), 3), (Ellipsis, 2), (slice(None, None, -2),), (None, 1),
                (slice(1, 3), None, slice(None, None, 3)), (1, Ellipsis, None), (slice(10, 20),)]:
        np.testing.assert_array_equal(t[key].numpy(), a[key])
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of bounds"):
        t[4]
    with pytest.raises(tf.errors.InvalidArgumentError, match="too many indices"):
        t[0, 0, 0, 0]
    with pytest.raises(TypeError):
        t[[0, 1]]


def test_views_share_storage():
    t = tf.constant(np.arange(12.0).reshape(3, 4))
    assert t[1]._a.shares_storage(t._a)
    assert tf.reshape(t, (4, 3))._a.shares_storage(t._a)
    assert tf.transpose(t)._a.shares_storage(t._a)


def test_reshape_errors_name_the_shapes():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"reshape.*\(3, 4\).*\(5,\)"):
        tf.reshape(tf.constant(np.zeros((3, 4))), [5])


def test_chapter_three_listing():
    a = tf.ones((2, 2))
    b = tf.square(a)
    c = tf.sqrt(a)
    d = b + c
    e = tf.matmul(a, b)
    e *= d
    np.testing.assert_array_equal(d.numpy(), np.full((2, 2), 2.0))
    np.testing.assert_array_equal(e.numpy(), np.full((2, 2), 4.0))
    x = tf.random.normal(shape=(3, 1), mean=0.0, stddev=1.0)
    assert x.shape == (3, 1) and x.dtype == tf.float32
    z = tf.zeros((2, 1))
    assert str(z) == "tf.Tensor(\n[[0.]\n [0.]], shape=(2, 1), dtype=float32)"


def test_unsupported_values():
    with pytest.raises(TypeError):
        tf.constant(object())
    with pytest.raises(TypeError):
        tf.constant([[1, 2], [3]])
    with pytest.raises(TypeError):
        tf.constant(np.zeros(2, "datetime64[s]"))
    with pytest.raises(TypeError, match="sqrt: expects a floating-point tensor, got int32"):
        tf.sqrt(tf.constant([1, 2]))


def test_huge_allocation_is_a_memory_error():
    with pytest.raises(MemoryError):
        tf.constant(1.0, shape=(2**40, 2**30))
