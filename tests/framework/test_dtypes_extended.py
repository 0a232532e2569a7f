"""float16, bfloat16, int8, int16, uint8, complex64 and complex128: casts,
arithmetic, reductions, numpy round trips, Variables and training, against
numpy (and values TensorFlow gives)."""

import warnings

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras

NUMPY_TYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "float16", "float32", "float64", "complex64",
               "complex128"]


@pytest.mark.parametrize("src", NUMPY_TYPES)
@pytest.mark.parametrize("dst", NUMPY_TYPES)
def test_cast_between_every_pair_matches_numpy(src, dst):
    a = np.array([0, 1, 2, 100, 1, 0], src).reshape(2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy warns when a cast drops the imaginary part
        want = a.astype(dst)
    t = tf.constant(a)
    assert t.dtype == tf.as_dtype(src)
    got = tf.cast(t, dst)
    assert got.dtype == tf.as_dtype(dst) and got.numpy().dtype == np.dtype(dst)
    np.testing.assert_array_equal(got.numpy(), want)
    np.testing.assert_array_equal(tf.cast(t[:, ::2], dst).numpy(), want[:, ::2])  # a strided view


def test_float16_rounding_is_bit_exact_with_numpy():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 10, 500), rng.normal(0, 1e-5, 200), [65504, 65519, 65520, 1e6, -1e6, 6e-8,
                        2.98e-8, 3e-8, 0.0, -0.0, np.inf, -np.inf, 1 + 2**-11, 1 + 3 * 2**-11]]).astype(np.float32)
    got = tf.cast(tf.constant(x), tf.float16).numpy()
    with np.errstate(over="ignore"):  # the values past 65504 become inf, as intended
        np.testing.assert_array_equal(got.view(np.uint16), x.astype(np.float16).view(np.uint16))
    assert np.isnan(tf.cast(tf.constant([np.nan], tf.float32), tf.float16).numpy()).all()
    back = tf.cast(tf.constant(got), tf.float32).numpy()
    np.testing.assert_array_equal(back, got.astype(np.float32))


def test_every_float16_value_converts_exactly():
    every = np.arange(2**16, dtype=np.uint16).view(np.float16)
    wide = tf.cast(tf.constant(every), tf.float32).numpy()
    np.testing.assert_array_equal(wide, every.astype(np.float32))  # NaNs compare equal here
    finite = np.isfinite(every)
    back = tf.cast(tf.constant(wide[finite]), tf.float16).numpy()
    np.testing.assert_array_equal(back.view(np.uint16), every[finite].view(np.uint16))


@pytest.mark.parametrize("sa,sb", [((1000,), (1000,)), ((3, 7), ()), ((), (5,)), ((1,), (1,)), ((2, 600), (2, 600)),
                                   ((4, 3), (3,))])
def test_float16_binary_ops_round_float32_results_once(sa, sb):
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=sa).astype(np.float16), (rng.normal(size=sb) + 3).astype(np.float16)
    for fn, ref in [(tf.add, np.add), (tf.subtract, np.subtract), (tf.multiply, np.multiply),
                    (tf.divide, np.divide), (tf.maximum, np.maximum), (tf.minimum, np.minimum)]:
        got = fn(tf.constant(a), tf.constant(b)).numpy()
        want = ref(a.astype(np.float32), b.astype(np.float32)).astype(np.float16)
        assert got.dtype == np.float16 and got.shape == want.shape
        np.testing.assert_array_equal(got.view(np.uint16), want.view(np.uint16), err_msg=fn.__name__)


def _bfloat16_reference(x):
    """float32 -> bfloat16 (round to nearest even) -> float32, with numpy bit operations."""
    bits = x.view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16
    return rounded.astype(np.uint32).view(np.float32)


def test_bfloat16_rounds_to_nearest_even_and_reaches_numpy_as_documented():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(0, 100, 1000), [1 + 2**-8, 1 + 3 * 2**-8, 3.0e38, -1.0]]).astype(np.float32)
    t = tf.constant(x, tf.bfloat16)
    assert t.dtype == tf.bfloat16 and tf.bfloat16.size == 2
    got = t.numpy()
    assert got.dtype == np.dtype(tf.bfloat16.as_numpy_dtype)  # ml_dtypes.bfloat16 when installed, else float32
    np.testing.assert_array_equal(got.astype(np.float32), _bfloat16_reference(x))
    s = tf.reduce_sum(t)
    assert s.dtype == tf.bfloat16
    np.testing.assert_allclose(float(s), _bfloat16_reference(np.array([_bfloat16_reference(x).astype(np.float64).sum()],
                                                                       np.float32))[0])


@pytest.mark.parametrize("dtype", ["int8", "int16", "uint8"])
def test_narrow_integers_wrap_like_numpy(dtype):
    info = np.iinfo(dtype)
    a = np.array([info.max, info.min, 7, 100, 0, 3], dtype)
    b = np.array([1, -1 if info.min else 1, 3, 100, 1, 2]).astype(dtype)
    x, y = tf.constant(a), tf.constant(b)
    for name, fn in [("add", np.add), ("subtract", np.subtract), ("multiply", np.multiply),
                     ("floordiv", np.floor_divide), ("floormod", np.mod), ("maximum", np.maximum)]:
        with np.errstate(all="ignore"):
            want = fn(a, b)
        got = getattr(tf.math, name)(x, y)
        assert got.dtype == tf.as_dtype(dtype), name
        np.testing.assert_array_equal(got.numpy(), want, err_msg=name)
    np.testing.assert_array_equal((-x).numpy(), -a)
    np.testing.assert_array_equal(tf.less(x, y).numpy(), a < b)
    assert (x / y).dtype == tf.float32  # true division of narrow integers gives float32, as in TensorFlow
    np.testing.assert_allclose((x / y).numpy(), a / b, rtol=1e-6)
    np.testing.assert_array_equal(tf.reduce_sum(x).numpy(), a.sum(dtype=dtype))
    np.testing.assert_array_equal(tf.reduce_max(x, 0).numpy(), a.max())
    np.testing.assert_array_equal(tf.argmax(x).numpy(), np.argmax(a))
    with pytest.raises(tf.errors.InvalidArgumentError, match="division by zero"):
        tf.math.floordiv(x, tf.zeros_like(x))
    with pytest.raises(TypeError, match="floating-point"):
        tf.sqrt(x)


def test_uint8_images_from_numpy_keep_their_dtype():
    img = np.random.default_rng(0).integers(0, 256, (2, 4, 4, 3)).astype(np.uint8)
    for t in (tf.constant(img), tf.convert_to_tensor(img), tf.Variable(img)):
        assert t.dtype == tf.uint8
        np.testing.assert_array_equal(t.numpy(), img)
    batch = next(iter(tf.data.Dataset.from_tensor_slices(img).batch(2)))
    assert batch.dtype == tf.uint8
    f = tf.image.convert_image_dtype(tf.constant(img), tf.float32)
    np.testing.assert_allclose(f.numpy(), img / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(tf.reduce_max(tf.constant(img), axis=(1, 2)).numpy(), img.max(axis=(1, 2)))
    # Values TensorFlow gives: integer ranges scale by their ratio, floats by the target's max.
    conv = tf.image.convert_image_dtype
    assert conv(tf.constant([0, 7, 255], tf.uint8), tf.int16).numpy().tolist() == [0, 896, 32640]
    assert conv(tf.constant([0, 300, 32767], tf.int16), tf.uint8).numpy().tolist() == [0, 2, 255]
    assert conv(tf.constant([0.0, 0.5, 0.999]), tf.uint8).numpy().tolist() == [0, 127, 255]


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_arithmetic_is_float32_arithmetic_rounded(dtype):
    rng = np.random.default_rng(2)
    a, b = rng.uniform(0.5, 2, (3, 4)).astype(np.float32), rng.uniform(0.5, 2, (4,)).astype(np.float32)
    x, y = tf.constant(a, dtype), tf.constant(b, dtype)
    a, b = tf.cast(x, tf.float32).numpy(), tf.cast(y, tf.float32).numpy()  # the stored values
    rnd = (lambda v: np.asarray(v, np.float32).astype(np.float16).astype(np.float32)) if dtype == "float16" else \
        (lambda v: _bfloat16_reference(np.asarray(v, np.float32)))
    for got, want in [(x + y, a + b), (x * y, a * b), (x / y, a / b), (tf.exp(x), np.exp(a)), (tf.sqrt(x), np.sqrt(a)),
                      (tf.tanh(x), np.tanh(a)), (tf.matmul(x, tf.reshape(y, (4, 1))), a @ b.reshape(4, 1)),
                      (tf.nn.softmax(x), np.exp(a) / np.exp(a).sum(-1, keepdims=True))]:
        assert got.dtype == tf.as_dtype(dtype)
        np.testing.assert_allclose(tf.cast(got, tf.float32).numpy(), rnd(want), rtol=2e-6 if dtype == "float16" else
                                   1e-2)
    np.testing.assert_array_equal(tf.greater(x, 1.0).numpy(), a > 1)
    tol = 1e-3 if dtype == "float16" else 1e-2
    np.testing.assert_allclose(float(tf.reduce_mean(x)), float(rnd(a.mean())), rtol=tol)


def test_dtype_properties_match_tensorflow():
    assert tf.float16.is_floating and tf.bfloat16.is_floating and not tf.complex64.is_floating
    assert tf.complex128.is_complex and tf.uint8.is_unsigned and not tf.int8.is_unsigned
    assert tf.int8.is_integer and tf.uint8.is_integer and not tf.float16.is_integer
    assert (tf.float16.min, tf.float16.max) == (-65504.0, 65504.0)
    assert tf.bfloat16.max == pytest.approx(3.38953e38, rel=1e-5) and tf.bfloat16.min == -tf.bfloat16.max
    assert (tf.uint8.min, tf.uint8.max, tf.int8.min, tf.int16.max) == (0, 255, -128, 32767)
    dts = (tf.float16, tf.bfloat16, tf.int8, tf.int16, tf.uint8, tf.complex64, tf.complex128)
    assert [d.size for d in dts] == [2, 2, 1, 2, 1, 8, 16]
    assert tf.complex64.itemsize == 8 and tf.complex64.real_dtype == tf.float32
    assert tf.as_dtype("half") is tf.float16 and tf.as_dtype(np.uint8) is tf.uint8
    assert tf.as_dtype(complex) is tf.complex128
    assert tf.as_dtype(np.complex64) is tf.complex64 and tf.as_dtype("string") is tf.string and tf.half is tf.float16
    with pytest.raises(TypeError, match="has no min"):
        tf.bool.min


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "int8", "int16", "uint8", "complex64", "complex128"])
def test_variables_and_printing_of_every_new_dtype(dtype):
    v = tf.Variable(tf.constant([1, 2, 3], dtype))
    assert v.dtype == tf.as_dtype(dtype)
    v.assign(tf.constant([4, 5, 6], dtype))
    v[0].assign(tf.constant(7, dtype))
    np.testing.assert_array_equal(np.real(v.numpy()).astype(np.float64), [7, 5, 6])
    assert f"dtype={dtype}" in repr(v) and f"dtype={dtype}" in str(tf.constant([1], dtype))
    assert tf.constant([1, 2], dtype).numpy().dtype == np.dtype(tf.as_dtype(dtype).as_numpy_dtype)


def test_printing_matches_tensorflow():
    assert str(tf.constant(np.array([1.5, 2], np.float16))) == "tf.Tensor([1.5 2. ], shape=(2,), dtype=float16)"
    assert str(tf.constant([200, 7], tf.uint8)) == "tf.Tensor([200   7], shape=(2,), dtype=uint8)"
    assert repr(tf.constant([1.5 + 1j], tf.complex64)) == \
        "<tf.Tensor: shape=(1,), dtype=complex64, numpy=array([1.5+1.j], dtype=complex64)>"


def test_complex_arithmetic_reductions_and_matmul_match_numpy():
    rng = np.random.default_rng(3)
    a = (rng.normal(size=(3, 4)) + 1j * rng.normal(size=(3, 4))).astype(np.complex64)
    b = (rng.normal(size=(4, 2)) + 1j * rng.normal(size=(4, 2))).astype(np.complex64)
    x, y = tf.constant(a), tf.constant(b)
    c = tf.constant(a[:, :2] * 2)
    for got, want in [(x[:, :2] + c, a[:, :2] + a[:, :2] * 2), (x[:, :2] * c, a[:, :2] * a[:, :2] * 2),
                      (x[:, :2] / c, np.full((3, 2), 0.5)), (x - 1, a - 1), (-x, -a), (tf.square(x), a * a),
                      (tf.exp(x), np.exp(a)), (tf.matmul(x, y), a @ b), (x @ y, a @ b),
                      (tf.reduce_sum(x, 0), a.sum(0)), (tf.reduce_mean(x, 1), a.mean(1)), (tf.reduce_sum(x), a.sum()),
                      (tf.math.conj(x), np.conj(a))]:
        assert got.dtype == tf.complex64
        np.testing.assert_allclose(got.numpy(), want, rtol=2e-5, atol=1e-6)
    for fn, ref in [(tf.abs, np.abs), (tf.math.real, np.real), (tf.math.imag, np.imag), (tf.math.angle, np.angle)]:
        got = fn(x)
        assert got.dtype == tf.float32
        np.testing.assert_allclose(got.numpy(), ref(a), rtol=2e-6, atol=1e-6)
    z = tf.complex(tf.constant([1.0, 2.0]), tf.constant(3.0))
    assert z.dtype == tf.complex64 and z.numpy().tolist() == [1 + 3j, 2 + 3j]
    assert tf.complex(tf.constant([1.0], tf.float64), tf.constant([2.0], tf.float64)).dtype == tf.complex128
    np.testing.assert_array_equal(tf.equal(x, tf.constant(a)).numpy(), np.ones((3, 4), bool))
    assert tf.constant(1 + 2j).dtype == tf.complex128  # a Python complex, as TensorFlow
    np.testing.assert_array_equal(tf.math.real(tf.constant([1.5, -2.0])).numpy(), [1.5, -2.0])
    np.testing.assert_array_equal(tf.math.angle(tf.constant([-2.0, 3.0])).numpy(), np.float32([np.pi, 0]))
    with pytest.raises(TypeError, match="less: not defined for complex"):
        tf.less(x, x)
    with pytest.raises(TypeError, match="reduce_max: not defined for complex"):
        tf.reduce_max(x)
    with pytest.raises(TypeError, match="float32 or both float64"):
        tf.complex(tf.constant([1]), tf.constant([2]))


def test_float16_gradients_match_float64():
    rng = np.random.default_rng(4)
    w0, x0 = rng.normal(size=(4, 3)), rng.normal(size=(5, 4))
    grads = {}
    for dt in ("float16", "float64"):
        w = tf.Variable(w0.astype(dt))
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(tf.nn.relu(tf.matmul(tf.constant(x0.astype(dt)), w)) ** 2)
        g = tape.gradient(y, w)
        assert g.dtype == tf.as_dtype(dt)
        grads[dt] = g.numpy().astype(np.float64)
    np.testing.assert_allclose(grads["float16"], grads["float64"], rtol=2e-2, atol=2e-2)


def test_float16_dense_model_trains():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(512, 8)).astype(np.float16)
    y = (x.astype(np.float32).sum(1) > 0).astype(np.int32)
    tf.random.set_seed(0)
    model = keras.Sequential([keras.Input((8,), dtype="float16"), keras.layers.Dense(16, "relu", dtype="float16"),
                              keras.layers.Dense(2, dtype="float16")])
    model.compile(optimizer=keras.optimizers.Adam(0.02), metrics=["accuracy"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    hist = model.fit(x, y, epochs=8, batch_size=64, verbose=0).history
    assert all(w.dtype == tf.float16 for w in model.weights)
    assert hist["loss"][-1] < 0.5 * hist["loss"][0] and hist["accuracy"][-1] > 0.9
    assert model.predict(x[:4], verbose=0).dtype == np.float16


def test_half_random_draws_and_complex_on_unsupported_ops():
    r = tf.random.normal((1000,), dtype=tf.float16, seed=1)
    assert r.dtype == tf.float16 and abs(float(tf.reduce_mean(tf.cast(r, tf.float32)))) < 0.15
    u = tf.random.uniform((100,), dtype=tf.bfloat16)
    assert u.dtype == tf.bfloat16 and 0 <= float(tf.reduce_min(u)) and float(tf.reduce_max(u)) <= 1
    with pytest.raises(TypeError, match="complex"):
        tf.nn.relu(tf.constant([1j]))


def test_dtype_prints_as_tensorflow():
    assert str(tf.int32) == "<dtype: 'int32'>" and repr(tf.int32) == "tf.int32"
    assert f"{tf.constant([1.0]).dtype}" == "<dtype: 'float32'>"
