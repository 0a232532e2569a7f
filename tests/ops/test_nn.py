"""softmax family, crossentropies and activations against numpy formulas,
numerical stability at extreme logits, label and shape errors, and the
gradient ops behind relu, softmax and the crossentropies."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensorlet as tf
from tensorlet.ops.registry import REGISTRY

InvalidArgumentError = tf.errors.InvalidArgumentError


def np_log_softmax(x, axis=-1):
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=4), st.data())
def test_softmax_matches_numpy_on_any_axis_and_layout(shape, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 10**6)))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    dtype = data.draw(st.sampled_from(["float32", "float64"]))
    a = (rng.standard_normal(shape) * 5).astype(dtype)
    t = tf.constant(a)
    if data.draw(st.booleans()) and a.ndim >= 2:  # a transposed view
        t = tf.transpose(tf.constant(np.ascontiguousarray(a.T)))
    tol = dict(rtol=2e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-14)
    want = np_log_softmax(a.astype(np.float64), axis)
    np.testing.assert_allclose(tf.nn.log_softmax(t, axis).numpy(), want, **tol)
    np.testing.assert_allclose(tf.nn.softmax(t, axis).numpy(), np.exp(want), **tol)


def test_softmax_is_stable_for_extreme_logits():
    x = np.array([[1e4, 0.0, -1e4], [88.0, 89.0, 90.0], [-1e30, -1e30, -1e30], [3e38, 3e38, 0]], np.float32)
    y = tf.nn.softmax(x).numpy()
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y.sum(1), 1, rtol=1e-6)
    np.testing.assert_allclose(y[0], [1, 0, 0])
    np.testing.assert_allclose(y[2], [1 / 3] * 3, rtol=1e-6)
    ly = tf.nn.log_softmax(x).numpy()
    np.testing.assert_allclose(ly[0], [0, -1e4, -2e4], rtol=1e-6)
    np.testing.assert_allclose(ly[1], np_log_softmax(x[1].astype(np.float64)), rtol=1e-6)
    z = tf.nn.softmax(np.array([0.0, -np.inf, 1.0], np.float32)).numpy()
    assert z[1] == 0 and np.isclose(z.sum(), 1)


def test_large_softmax_rows_threaded():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((512, 300)).astype(np.float32) * 10
    np.testing.assert_allclose(tf.nn.softmax(a).numpy(), np.exp(np_log_softmax(a.astype(np.float64))),
                               rtol=2e-5, atol=1e-7)
    np.testing.assert_allclose(tf.nn.softmax(a, axis=0).numpy(), np.exp(np_log_softmax(a.astype(np.float64), 0)),
                               rtol=2e-5, atol=1e-7)


def test_softmax_errors():
    with pytest.raises(InvalidArgumentError, match="softmax: axis 2 is out of range.*rank 2"):
        tf.nn.softmax(np.zeros((2, 3), np.float32), axis=2)
    with pytest.raises(TypeError, match="softmax.*int32"):
        tf.nn.softmax(tf.constant([1, 2]))
    with pytest.raises(InvalidArgumentError, match="softmax.*scalar"):
        tf.nn.softmax(1.0)


# ---- crossentropies --------------------------------------------------------------------

@pytest.mark.parametrize("label_dtype", ["int32", "int64"])
def test_sparse_crossentropy_matches_the_log_softmax_formula(label_dtype):
    rng = np.random.default_rng(4)
    logits = (rng.standard_normal((2, 3, 7)) * 4).astype(np.float32)
    labels = rng.integers(0, 7, (2, 3)).astype(label_dtype)
    got = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    ls = np_log_softmax(logits.astype(np.float64))
    want = -np.take_along_axis(ls, labels[..., None].astype(np.int64), -1)[..., 0]
    assert got.shape == (2, 3) and got.dtype == tf.float32
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    # extreme logits stay finite
    big = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 1], logits=np.float32([[1e4, 0], [1e4, 0]]))
    np.testing.assert_allclose(big.numpy(), [0, 1e4])


def test_sparse_crossentropy_rejects_bad_labels_before_any_work():
    logits = np.zeros((3, 4), np.float32)
    for bad, pattern in [([0, 4, 1], "label 4 at index 1.*\\[0, 4\\).*4 classes"),
                         ([-1, 0, 1], "label -1 at index 0.*4 classes")]:
        with pytest.raises(InvalidArgumentError, match="sparse_softmax_cross_entropy_with_logits: " + pattern):
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=bad, logits=logits)
        grad_op = REGISTRY["sparse_softmax_cross_entropy_with_logits_grad"]
        with pytest.raises(InvalidArgumentError, match="4 classes"):
            grad_op.kernel(tf.constant(logits)._a, tf.constant(bad)._a, tf.constant(np.ones(3, np.float32))._a)
    with pytest.raises(InvalidArgumentError, match="labels of shape \\(3, 1\\) do not fit logits of shape \\(3, 4\\)"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=np.zeros((3, 1), np.int32), logits=logits)
    with pytest.raises(TypeError, match="int32 or int64"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=np.zeros(3, np.float32), logits=logits)


def test_dense_crossentropy_matches_formula_on_any_axis():
    rng = np.random.default_rng(5)
    logits = rng.standard_normal((5, 3, 2))
    labels = rng.random((5, 3, 2))
    labels /= labels.sum(1, keepdims=True)
    got = tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits, axis=1)
    want = -(labels * np_log_softmax(logits, 1)).sum(1)
    assert got.shape == (5, 2)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    last = tf.nn.softmax_cross_entropy_with_logits(labels=labels[:, :, 0], logits=logits[:, :, 0])
    np.testing.assert_allclose(last.numpy(), -(labels[:, :, 0] * np_log_softmax(logits[:, :, 0])).sum(-1))
    with pytest.raises(InvalidArgumentError, match="labels of shape \\(5, 2\\) do not match logits of shape"):
        tf.nn.softmax_cross_entropy_with_logits(labels=labels[:, 0], logits=logits[:, :, 0])


def test_fused_backward_kernels_are_softmax_minus_labels():
    rng = np.random.default_rng(6)
    logits = rng.standard_normal((4, 6))
    labels = np.array([5, 0, 2, 2])
    g = rng.standard_normal(4)
    x, lab, dy = tf.constant(logits), tf.constant(labels), tf.constant(g)
    sparse = REGISTRY["sparse_softmax_cross_entropy_with_logits"]
    out = sparse.kernel(x._a, lab._a)
    dx, dlab = sparse.grad(dy, (x, lab), (), tf.Tensor._from_array(out))
    onehot = np.eye(6)[labels]
    p = np.exp(np_log_softmax(logits))
    np.testing.assert_allclose(dx.numpy(), (p - onehot) * g[:, None], rtol=1e-12, atol=1e-15)
    assert dlab is None
    dense = REGISTRY["softmax_cross_entropy_with_logits"]
    oh = tf.constant(onehot)
    dx2, dl2 = dense.grad(dy, (x, oh), (), None)
    np.testing.assert_allclose(dx2.numpy(), (p - onehot) * g[:, None], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dl2.numpy(), -np_log_softmax(logits) * g[:, None], rtol=1e-12)


# ---- relu and its gradient op ------------------------------------------------------------

def test_relu_gradient_goes_through_the_relu_grad_op():
    x = tf.constant([-1.0, 0.0, 2.0, 3.0])
    dy = tf.constant([10.0, 20.0, 30.0, 40.0])
    (dx,) = REGISTRY["relu"].grad(dy, (x,), (), tf.nn.relu(x))
    np.testing.assert_array_equal(dx.numpy(), [0, 0, 30, 40])
    # second order: the gradient of relu_grad with respect to dy is relu_grad again
    ddx, dddy = REGISTRY["relu_grad"].grad(tf.constant([1.0, 1.0, 1.0, 5.0]), (x, dy), (), dx)
    assert ddx is None
    np.testing.assert_array_equal(dddy.numpy(), [0, 0, 1, 5])


# ---- activations and other composites -------------------------------------------------------

def test_activations_match_numpy():
    x = np.linspace(-6, 6, 49)
    erf = np.vectorize(math.erf)
    cases = {
        "leaky_relu": (tf.nn.leaky_relu(x), np.where(x > 0, x, 0.2 * x)),
        "leaky_relu_alpha": (tf.nn.leaky_relu(x, alpha=0.01), np.where(x > 0, x, 0.01 * x)),
        "elu": (tf.nn.elu(x), np.where(x > 0, x, np.expm1(x))),
        "selu": (tf.nn.selu(x), 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))),
        "gelu": (tf.nn.gelu(x), 0.5 * x * (1 + erf(x / np.sqrt(2)))),
        "gelu_tanh": (tf.nn.gelu(x, approximate=True),
                      0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))),
        "silu": (tf.nn.silu(x), x / (1 + np.exp(-x))),
        "swish_beta": (tf.nn.swish(x, beta=2.0), x / (1 + np.exp(-2 * x))),
    }
    for name, (got, want) in cases.items():
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-14, err_msg=name)
    # gelu's far left tail keeps relative accuracy
    assert abs(float(tf.nn.gelu(np.float64(-10.0))) / (-10 * 0.5 * math.erfc(10 / math.sqrt(2))) - 1) < 1e-12


def test_relu6_and_bias_add():
    np.testing.assert_array_equal(tf.nn.relu6([-1.0, 3.0, 9.0]).numpy(), [0, 3, 6])
    v = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(tf.nn.bias_add(v, [1.0, 2.0, 3.0, 4.0]).numpy(), v + [1, 2, 3, 4])
    np.testing.assert_array_equal(tf.nn.bias_add(v, [1.0, 2.0, 3.0], data_format="NCW").numpy(),
                                  v + np.array([1, 2, 3])[:, None])
    with pytest.raises(InvalidArgumentError, match="bias_add: bias of shape \\(3,\\)"):
        tf.nn.bias_add(v, [1.0, 2.0, 3.0])


def test_sigmoid_crossentropy_is_stable():
    logits = np.array([-1000.0, -3.0, 0.0, 2.5, 1000.0], np.float32)
    labels = np.array([0.0, 1.0, 0.5, 0.0, 1.0], np.float32)
    got = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits).numpy()
    x, z = logits.astype(np.float64), labels.astype(np.float64)
    want = np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))
    np.testing.assert_allclose(got, want, rtol=1e-6)
    with pytest.raises(InvalidArgumentError, match="sigmoid_cross_entropy_with_logits"):
        tf.nn.sigmoid_cross_entropy_with_logits(labels=labels[:2], logits=logits)


def test_l2_normalize_and_moments():
    rng = np.random.default_rng(8)
    a = rng.standard_normal((3, 4))
    np.testing.assert_allclose(tf.nn.l2_normalize(a, axis=1).numpy(),
                               a / np.linalg.norm(a, axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(tf.nn.l2_normalize(a).numpy(), a / np.linalg.norm(a), rtol=1e-12)
    assert np.array_equal(tf.nn.l2_normalize(np.zeros(3)).numpy(), np.zeros(3))
    mean, var = tf.nn.moments(a, axes=[0])
    np.testing.assert_allclose(mean.numpy(), a.mean(0), rtol=1e-12)
    np.testing.assert_allclose(var.numpy(), a.var(0), rtol=1e-12)
    mean, var = tf.nn.moments(a, axes=[0, 1], keepdims=True)
    assert mean.shape == (1, 1) and np.isclose(float(var[0, 0]), a.var())


def test_nn_namespace():
    for name in ["relu", "softmax", "log_softmax", "sigmoid", "tanh", "sparse_softmax_cross_entropy_with_logits",
                 "softmax_cross_entropy_with_logits", "leaky_relu", "elu", "selu", "gelu", "silu", "swish",
                 "l2_normalize", "moments", "sigmoid_cross_entropy_with_logits"]:
        assert callable(getattr(tf.nn, name)), name


# ---- gradients of the public functions through the tape ---------------------------------------

def _tape_vs_fd(fn, x, eps=1e-6):
    """Tape gradient of sum(fn(x) * w) against central differences, in float64."""
    rng = np.random.default_rng(11)
    w = rng.standard_normal(np.shape(fn(tf.constant(x)).numpy()))
    t = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(t)
        y = tf.reduce_sum(fn(t) * w)
    got = tape.gradient(y, t).numpy()
    want = np.zeros_like(x)
    for i in range(x.size):
        d = np.zeros_like(x)
        d.reshape(-1)[i] = eps
        want.reshape(-1)[i] = (np.sum(fn(tf.constant(x + d)).numpy() * w) -
                               np.sum(fn(tf.constant(x - d)).numpy() * w)) / (2 * eps)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name,fn", [
    ("softmax_axis0", lambda t: tf.nn.softmax(t, axis=0)),
    ("log_softmax", tf.nn.log_softmax),
    ("sparse_xent_rank3", lambda t: tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=np.array([[0, 2], [1, 1]]), logits=tf.reshape(t, [2, 2, 3]))),
    ("dense_xent_axis0", lambda t: tf.nn.softmax_cross_entropy_with_logits(
        labels=np.full((4, 3), 0.25), logits=t, axis=0)),
    ("sigmoid_xent", lambda t: tf.nn.sigmoid_cross_entropy_with_logits(labels=np.full((4, 3), 0.3), logits=t)),
    ("leaky_relu", tf.nn.leaky_relu), ("elu", tf.nn.elu), ("selu", tf.nn.selu), ("silu", tf.nn.silu),
    ("gelu", tf.nn.gelu), ("l2_normalize", lambda t: tf.nn.l2_normalize(t, axis=1)),
    ("moments", lambda t: tf.nn.moments(t, axes=[0])[1]),
    ("logsumexp", lambda t: tf.reduce_logsumexp(t * 100.0, axis=1)),
    ("std", lambda t: tf.reduce_std(t, axis=0)),
])
def test_public_function_gradients(name, fn):
    x = np.random.default_rng(12).uniform(-2, 2, (4, 3))
    _tape_vs_fd(fn, x)


def test_relu_second_order_through_nested_tapes():
    x = tf.constant([-1.0, 0.5, 2.0])
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(tf.nn.relu(x) * x)  # x^2 where x > 0
        g = inner.gradient(y, x)
    np.testing.assert_allclose(g.numpy(), [0, 1.0, 4.0])
    np.testing.assert_allclose(outer.gradient(g, x).numpy(), [0, 2.0, 2.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_equals_matmul_bias_relu_exactly(dtype):
    # The bias add and relu are applied to the finished sums, as separate ops
    # would: the results are identical, on every GEMM path.
    rng = np.random.default_rng(3)
    for m, k, n in [(1, 5, 3), (2, 3, 1), (4, 1, 6), (32, 784, 256), (33, 70, 10), (128, 300, 40), (5, 600, 2),
                    (300, 300, 300), (260, 700, 140), (200, 1, 7), (601, 400, 100), (130, 700, 90)]:
        x, w, b = (rng.standard_normal(s).astype(dtype) for s in [(m, k), (k, n), (n,)])
        x[0, 0] = np.nan
        mm = tf.matmul(x, w)
        np.testing.assert_array_equal(tf.nn.dense(x, w, b).numpy(), (mm + b).numpy())
        np.testing.assert_array_equal(tf.nn.dense(x, w, b, "relu").numpy(), tf.nn.relu(mm + b).numpy())
        np.testing.assert_array_equal(tf.nn.dense(x, w, None, "relu").numpy(), tf.nn.relu(mm).numpy())
        np.testing.assert_array_equal(tf.nn.dense(x, w).numpy(), mm.numpy())
    # Strided views of the inputs, the kernel and the bias.
    x, w, b = rng.standard_normal((40, 60)), rng.standard_normal((60, 50)), rng.standard_normal(100)
    ix, iw = (slice(None), slice(None, None, 2)), (slice(None, None, 2), slice(None, None, 2))
    ib = (slice(None, None, 4),)
    view = lambda a, i: tf.Tensor._from_array(tf.constant(a)._a.index(i))  # noqa: E731
    got = tf.nn.dense(view(x, ix), view(w, iw), view(b, ib), "relu")
    np.testing.assert_allclose(got.numpy(), np.maximum(x[ix] @ w[iw] + b[ib], 0), rtol=1e-10, atol=1e-10)


def test_dense_empty_inner_dimension_gives_activation_of_bias():
    b = np.array([-1.0, 2.0, 0.5], np.float32)
    got = tf.nn.dense(np.zeros((4, 0), np.float32), np.zeros((0, 3), np.float32), b, "relu")
    np.testing.assert_array_equal(got.numpy(), np.tile(np.maximum(b, 0), (4, 1)))
    assert tf.nn.dense(np.zeros((0, 3), np.float32), np.zeros((3, 2), np.float32)).shape == (0, 2)


def test_dense_errors():
    x, w = np.ones((2, 3), np.float32), np.ones((3, 4), np.float32)
    with pytest.raises(ValueError, match="dense: activation must be"):
        tf.nn.dense(x, w, None, "tanh")
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"dense: inner dimensions differ: \(2, 3\) @ \(4, 4\)"):
        tf.nn.dense(x, np.ones((4, 4), np.float32))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"dense: bias must have shape \(4,\)"):
        tf.nn.dense(x, w, np.ones(3, np.float32))
    with pytest.raises(tf.errors.InvalidArgumentError, match="must be matrices"):
        tf.nn.dense(np.ones((2, 2, 3), np.float32), w)
    with pytest.raises(tf.errors.InvalidArgumentError, match="same dtype"):
        tf.nn.dense(tf.constant(x), tf.constant(np.ones((3, 4))))
    with pytest.raises(TypeError, match="dense: unsupported dtype int32"):
        tf.nn.dense(tf.constant(np.ones((2, 3), np.int32)), tf.constant(np.ones((3, 4), np.int32)))


def test_dense_second_order_gradients_match_the_unfused_ops():
    rng = np.random.default_rng(5)
    x, w, b = rng.standard_normal((6, 4)), rng.standard_normal((4, 5)), rng.standard_normal(5)
    wv, bv = tf.Variable(w), tf.Variable(b)

    def second_order(layer):
        xt = tf.constant(x)
        with tf.GradientTape() as outer:
            outer.watch(xt)
            with tf.GradientTape() as inner:
                inner.watch(xt)
                y = layer(xt)
                loss = tf.reduce_sum(y * y)
            gx, gw, gb = inner.gradient(loss, [xt, wv, bv])
            s = tf.reduce_sum(gx * gx) + tf.reduce_sum(gw * gw) + tf.reduce_sum(gb * gb)
        return [g.numpy() for g in outer.gradient(s, [xt, wv, bv])]

    for act in ("relu", "linear"):
        fused = second_order(lambda t: tf.nn.dense(t, wv, bv, act))
        unfused = second_order(lambda t: (tf.nn.relu if act == "relu" else tf.identity)(tf.matmul(t, wv) + bv))
        for got, want in zip(fused, unfused):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("classes", [1, 3, 10, 15, 16, 40])
def test_many_short_rows_match_numpy_and_the_row_at_a_time_path(classes):
    # Blocks of short rows take one vector exp; a few rows go one at a time.
    rng = np.random.default_rng(classes)
    x = (rng.standard_normal((700, classes)) * 6).astype(np.float32)
    x[5, 0], x[9, :] = np.nan, -np.inf
    x[11, -1] = np.inf
    labels = rng.integers(0, classes, 700)
    with np.errstate(invalid="ignore"):
        ref = np.exp(x - x.max(-1, keepdims=True).astype(np.float64))
        probs = ref / ref.sum(-1, keepdims=True)
    ours = tf.nn.softmax(x).numpy()
    np.testing.assert_allclose(ours, probs, rtol=2e-6, atol=1e-7)
    one_at_a_time = np.concatenate([tf.nn.softmax(x[i:i + 1]).numpy() for i in range(20)])
    np.testing.assert_array_equal(np.isnan(ours[:20]), np.isnan(one_at_a_time))
    np.testing.assert_allclose(ours[:20], one_at_a_time, rtol=2e-7, atol=1e-8)
    with np.errstate(invalid="ignore", divide="ignore"):
        log_ref = np.log(probs)
    np.testing.assert_allclose(tf.nn.log_softmax(x).numpy(), log_ref, rtol=2e-6, atol=2e-6)
    xent = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=x).numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        np.testing.assert_allclose(xent, -log_ref[np.arange(700), labels], rtol=2e-6, atol=2e-6)


def test_rows_of_zero_classes_give_empty_sums_not_a_division_by_zero():
    empty = np.zeros((3, 0), np.float32)  # found by the sanitized fuzz run: the row block divided by the width
    np.testing.assert_array_equal(tf.nn.softmax_cross_entropy_with_logits(labels=empty, logits=empty).numpy(),
                                  np.zeros(3, np.float32))
    assert tf.nn.softmax(empty).shape == (3, 0) and tf.nn.log_softmax(empty).shape == (3, 0)
