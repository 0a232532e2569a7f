"""tf.ragged: construction, shape, indexing, to_tensor, elementwise math, gradients."""

import numpy as np
import pytest

import tensorlet as tf


def test_constant_shape_indexing():
    rt = tf.ragged.constant([[1, 2, 3], [], [4, 5]])
    assert rt.dtype == tf.int32 and rt.shape == (3, None) and rt.ragged_rank == 1 and len(rt) == 3
    assert rt.to_list() == [[1, 2, 3], [], [4, 5]]
    np.testing.assert_array_equal(rt[0].numpy(), [1, 2, 3])
    np.testing.assert_array_equal(rt[-1].numpy(), [4, 5])
    assert int(rt[2, 1]) == 5 and rt[1:].to_list() == [[], [4, 5]]
    np.testing.assert_array_equal(rt.row_lengths().numpy(), [3, 0, 2])
    np.testing.assert_array_equal(rt.row_splits.numpy(), [0, 3, 3, 5])
    assert repr(rt) == "<tf.RaggedTensor [[1, 2, 3], [], [4, 5]]>"
    with pytest.raises(IndexError, match="row 3"):
        rt[3]
    deep = tf.ragged.constant([[[1.0, 2.0], [3.0]], [[4.0]]])
    assert deep.shape == (2, None, None) and deep.ragged_rank == 2 and deep.dtype == tf.float32
    uniform = tf.ragged.constant([[[1, 2]], [[3, 4], [5, 6]]], ragged_rank=1)
    assert uniform.shape == (2, None, 2)
    with pytest.raises(ValueError, match="one depth"):
        tf.ragged.constant([[1, [2]]])


def test_to_tensor():
    rt = tf.ragged.constant([[1.0, 2.0, 3.0], [], [4.0, 5.0]])
    np.testing.assert_array_equal(rt.to_tensor().numpy(), [[1, 2, 3], [0, 0, 0], [4, 5, 0]])
    np.testing.assert_array_equal(rt.to_tensor(default_value=-1.0, shape=[None, 2]).numpy(),
                                  [[1, 2], [-1, -1], [4, 5]])
    deep = tf.ragged.constant([[[1, 2], [3]], [[4]]])
    np.testing.assert_array_equal(deep.to_tensor().numpy(), [[[1, 2], [3, 0]], [[4, 0], [0, 0]]])
    uniform = tf.ragged.constant([[[1, 2]], [[3, 4], [5, 6]]], ragged_rank=1)
    np.testing.assert_array_equal(uniform.to_tensor().numpy(), [[[1, 2], [0, 0]], [[3, 4], [5, 6]]])


def test_from_constructors_and_errors():
    values = tf.constant([3, 1, 4, 1, 5])
    a = tf.RaggedTensor.from_row_splits(values, [0, 2, 2, 5])
    b = tf.RaggedTensor.from_row_lengths(values, [2, 0, 3])
    c = tf.RaggedTensor.from_value_rowids(values, [0, 0, 2, 2, 2], nrows=3)
    assert a.to_list() == b.to_list() == c.to_list() == [[3, 1], [], [4, 1, 5]]
    with pytest.raises(tf.errors.InvalidArgumentError, match="row_splits"):
        tf.RaggedTensor.from_row_splits(values, [0, 2, 4])
    with pytest.raises(TypeError, match="to_tensor"):
        np.asarray(a)


def test_elementwise_math_and_gradients():
    rt = tf.ragged.constant([[1.0, 2.0], [3.0]])
    assert (rt * 2 + 1).to_list() == [[3.0, 5.0], [7.0]]
    assert (10 - rt).to_list() == [[9.0, 8.0], [7.0]]
    assert (rt + rt).to_list() == [[2.0, 4.0], [6.0]]
    assert (-rt).to_list() == [[-1.0, -2.0], [-3.0]]
    assert (rt > 1.5).to_list() == [[False, True], [True]]
    assert tf.ragged.map_flat_values(tf.square, rt).to_list() == [[1.0, 4.0], [9.0]]
    with pytest.raises(tf.errors.InvalidArgumentError, match="same row lengths"):
        rt + tf.ragged.constant([[1.0], [2.0, 3.0]])
    v = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(v)
        dense = (tf.RaggedTensor.from_row_lengths(v, [2, 1]) * 3.0).to_tensor()
        y = tf.reduce_sum(dense * tf.constant([[1.0, 10.0], [100.0, 1000.0]]))
    np.testing.assert_allclose(tape.gradient(y, v).numpy(), [3.0, 30.0, 300.0])
