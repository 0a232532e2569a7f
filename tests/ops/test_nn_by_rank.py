"""tf.nn's rank-generic pooling and convolution, and separable_conv2d, against
the rank-specific ops and a numpy composition."""

import numpy as np
import pytest

import tensorlet as tf

R = np.random.default_rng(4)


@pytest.mark.parametrize("rank", [3, 4, 5])
def test_pooling_and_convolution_follow_the_input_rank(rank):
    x = R.standard_normal((2,) + (6,) * (rank - 2) + (3,)).astype(np.float32)
    k = R.standard_normal((3,) * (rank - 2) + (3, 4)).astype(np.float32)
    by_rank = {3: (tf.nn.max_pool1d, tf.nn.avg_pool1d, tf.nn.conv1d), 4: (tf.nn.max_pool2d, tf.nn.avg_pool2d,
               tf.nn.conv2d), 5: (tf.nn.max_pool3d, tf.nn.avg_pool3d, tf.nn.conv3d)}[rank]
    np.testing.assert_array_equal(tf.nn.max_pool(x, 2, 2, "VALID").numpy(), by_rank[0](x, 2, 2, "VALID").numpy())
    np.testing.assert_array_equal(tf.nn.avg_pool(x, 3, 1, "SAME").numpy(), by_rank[1](x, 3, 1, "SAME").numpy())
    np.testing.assert_array_equal(tf.nn.convolution(x, k, padding="SAME").numpy(),
                                  by_rank[2](x, k, 1, "SAME").numpy())
    # The input's top corner window, by hand.
    corner = tuple(slice(0, 2) for _ in range(rank - 2))
    np.testing.assert_allclose(tf.nn.max_pool(x, 2, 2, "VALID").numpy()[(slice(None),) + (0,) * (rank - 2)],
                               x[(slice(None),) + corner].reshape(2, -1, 3).max(1))


def test_a_rank_without_spatial_dims_is_refused_by_name():
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="max_pool: the input must have rank 3, 4 or 5"):
        tf.nn.max_pool(np.ones((2, 3), np.float32), 2, 2, "VALID")


def test_separable_conv2d_is_depthwise_then_pointwise():
    x = R.standard_normal((2, 5, 5, 3)).astype(np.float32)
    dw = R.standard_normal((3, 3, 3, 2)).astype(np.float32)
    pw = R.standard_normal((1, 1, 6, 4)).astype(np.float32)
    y = tf.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], "SAME").numpy()
    # numpy: each input channel c with multiplier m gives channel c * 2 + m, then a 1x1 mix.
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    depth = np.zeros((2, 5, 5, 6), np.float64)
    for i in range(5):
        for j in range(5):
            win = padded[:, i:i + 3, j:j + 3, :]
            depth[:, i, j] = np.einsum("nhwc,hwcm->ncm", win, dw).reshape(2, 6)
    np.testing.assert_allclose(y, depth @ pw[0, 0], rtol=1e-4, atol=1e-4)
