"""The C++ graph runtime (``_core.GraphPlan``) behind ``tensorlet.function``:
the same results as the Python replay and as eager, no allocation in a
steady-state training step, fusion, outputs the caller keeps, and the Python
replay for graphs with an op the runtime lacks."""

import io

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import _core, keras
from tensorlet.function import graph as graph_module
from tensorlet.keras import layers

from .test_function import OPTIMIZERS, _train


@pytest.fixture(autouse=True)
def _names_restored():
    """Layer and variable names made here do not shift the names later tests expect."""
    from tensorlet.framework import variable
    from tensorlet.keras import backend

    saved = dict(variable._name_counts), dict(backend._name_counts)
    yield
    for counts, old in zip((variable._name_counts, backend._name_counts), saved):
        counts.clear()
        counts.update(old)


def _allocations():
    return _core.host_memory_info()["allocations"]


def _concretes(fn):
    return list(fn._concrete.values())


@pytest.fixture
def python_replay(monkeypatch):
    """Traces made while this fixture is active keep the Python replay."""
    monkeypatch.setattr(graph_module, "native", False)


def _replay_results(make_opt, monkeypatch):
    monkeypatch.setattr(graph_module, "native", False)
    out = _train(make_opt, True)
    monkeypatch.setattr(graph_module, "native", True)
    return out


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_native_training_step_equals_python_replay_bit_for_bit(name, monkeypatch):
    replay = _replay_results(OPTIMIZERS[name], monkeypatch)
    native = _train(OPTIMIZERS[name], True)
    eager = _train(OPTIMIZERS[name], False)
    np.testing.assert_array_equal(native[0], replay[0])
    for a, b, c in zip(native[1], replay[1], eager[1]):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, c, rtol=1e-6, atol=1e-7)
    assert native[2] == replay[2] == 5


def _step_fn():
    w = tf.Variable(np.arange(15, dtype=np.float32).reshape(5, 3) / 10)
    b = tf.Variable(np.zeros(3, np.float32))
    opt = keras.optimizers.Adam(0.1)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(tf.nn.relu(x @ w + b) - y))
        opt.apply_gradients(zip(tape.gradient(loss, [w, b]), [w, b]))
        return loss

    return step, w


def test_the_step_runs_in_the_cpp_runtime_and_allocates_nothing_after_warm_up():
    step, _ = _step_fn()
    x, y = (tf.constant(a) for a in (np.ones((4, 5), np.float32), np.zeros((4, 3), np.float32)))
    for _ in range(3):
        step(x, y)
    (concrete,) = _concretes(step)
    plan = concrete.graph.plan
    assert plan is not None and plan.stats()["into"] > 5
    before = _allocations()
    for _ in range(5):
        del_loss = step(x, y)  # the caller drops each loss before the next call
        del del_loss
    assert _allocations() == before


def test_outputs_the_caller_keeps_are_not_overwritten_by_later_calls():
    step, _ = _step_fn()
    x, y = (tf.constant(a) for a in (np.ones((4, 5), np.float32), np.zeros((4, 3), np.float32)))
    kept = [step(x, y) for _ in range(4)]
    values = [float(k) for k in kept]
    assert len(set(values)) == 4  # each call's own loss, still as it was
    fresh = [float(step(x, y)) for _ in range(2)]
    assert values == [float(k) for k in kept] and fresh[0] != values[-1]


def _fit(native, monkeypatch, loss, last, y, dropout=0.0, epochs=2):
    monkeypatch.setattr(graph_module, "native", native)
    tf.random.set_seed(7)
    model = keras.Sequential([layers.Flatten(), layers.Dense(12, activation="relu"), layers.Dropout(dropout),
                              layers.Dense(6, activation="tanh"), layers.Dense(y.shape[-1] if y.ndim > 1 else 4,
                                                                               activation=last)])
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"] if loss.startswith("sparse") else ["mae"])
    x = np.random.default_rng(0).standard_normal((48, 3, 3)).astype(np.float32)
    hist = model.fit(x, y, batch_size=16, epochs=epochs, verbose=0, shuffle=False)
    plans = [c.graph.plan for f in model.train_function.levels for c in _concretes(f)]
    return hist.history, model.get_weights(), model.predict(x, verbose=0), plans


LABELS = np.random.default_rng(1).integers(0, 4, 48)
CASES = {
    "sparse_softmax": ("sparse_categorical_crossentropy", "softmax", LABELS),
    "categorical_softmax": ("categorical_crossentropy", "softmax", np.eye(4, dtype=np.float32)[LABELS]),
    "binary_sigmoid": ("binary_crossentropy", "sigmoid", (np.eye(4, dtype=np.float32)[LABELS] > 0).astype("f4")),
    "mse_linear": ("mse", None, np.random.default_rng(2).standard_normal((48, 4)).astype(np.float32)),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("dropout", [0.0, 0.5])
def test_fit_in_the_runtime_equals_the_python_replay(case, dropout, monkeypatch):
    loss, last, y = CASES[case]
    h1, w1, p1, plans1 = _fit(True, monkeypatch, loss, last, y, dropout)
    h2, w2, p2, plans2 = _fit(False, monkeypatch, loss, last, y, dropout)
    assert plans1 and all(p is not None for p in plans1) and all(p is None for p in plans2)
    assert h1.keys() == h2.keys()
    for k in h1:
        np.testing.assert_allclose(h1[k], h2[k], rtol=1e-6, atol=1e-7)
    for a, b in zip(w1, w2):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(p1, p2, rtol=1e-6, atol=1e-7)


def test_bias_and_activation_fuse_into_the_gemm():
    step, _ = _step_fn()
    x, y = (tf.constant(a) for a in (np.ones((4, 5), np.float32), np.zeros((4, 3), np.float32)))
    step(x, y), step(x, y)
    plan = _concretes(step)[0].graph.plan
    assert plan.stats()["fused"] == 2  # matmul + add -> dense, then + relu
    assert "dense(" in plan.describe() and "matmul(%" not in plan.describe().split("\n")[0]


def test_a_compiled_keras_step_allocates_nothing_after_warm_up():
    model = keras.Sequential([layers.Flatten(), layers.Dense(32, activation="relu"), layers.Dense(10, "softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = tf.constant(np.random.default_rng(0).random((16, 4, 4), dtype=np.float32))
    y = tf.constant(np.arange(16) % 10)
    model.fit(x.numpy(), y.numpy(), batch_size=16, epochs=1, verbose=0)
    train = model.make_train_function()
    for _ in range(3):
        train((x, y))
    before = _allocations()
    for _ in range(5):
        logs = train((x, y))
    assert _allocations() == before and np.isfinite(logs["loss"])


def test_an_op_the_runtime_lacks_keeps_the_python_replay():
    printed = io.StringIO()
    v = tf.Variable(1.0)

    @tf.function
    def f(x):
        tf.print("x", x, output_stream=printed)
        v.assign_add(x)
        return tf.math.cumsum(tf.stack([x, v]))

    for i in range(3):
        out = f(tf.constant(float(i)))
    assert _concretes(f)[0].graph.plan is None
    assert printed.getvalue().count("x") == 3 and float(v) == 4.0
    np.testing.assert_allclose(out.numpy(), [2.0, 6.0])


def test_a_bad_label_in_a_compiled_step_raises_and_changes_nothing():
    model = keras.Sequential([layers.Dense(4, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = np.ones((8, 3), np.float32)
    model.fit(x, np.arange(8) % 4, batch_size=8, epochs=2, verbose=0)
    train = model.make_train_function()
    before = [w.copy() for w in model.get_weights()]
    iterations = int(model.optimizer.iterations)
    with pytest.raises(tf.errors.InvalidArgumentError, match="sparse_softmax_cross_entropy"):
        train((tf.constant(x), tf.constant(np.array([0, 1, 2, 9, 0, 1, 2, 3]))))
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    assert int(model.optimizer.iterations) == iterations


def test_the_2x2_round_trip_runs_natively_and_matches_eager():
    x = tf.constant(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    w, b = tf.Variable(np.eye(2, dtype=np.float32)), tf.Variable(np.array([0.5, -1.0], np.float32))

    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(x @ w + b))
        return tape.gradient(loss, [w, b])

    compiled = tf.function(step)
    for _ in range(3):
        got = compiled(x)
    assert _concretes(compiled)[0].graph.plan is not None
    for g, e in zip(got, step(x)):
        np.testing.assert_array_equal(g.numpy(), e.numpy())


def test_elementwise_chains_run_fused_in_chunks_and_match_the_replay(monkeypatch):
    rng = np.random.default_rng(0)
    c = tf.constant(rng.standard_normal((64, 1000)).astype(np.float32))
    x = tf.constant(rng.standard_normal((64, 1000)).astype(np.float32))  # 4 chunks and a part

    def f(x):
        h = tf.sigmoid(x)
        return tf.exp(-tf.square(h - c) * 0.5) + 1.0, h

    results = []
    for native in (True, False):
        monkeypatch.setattr(graph_module, "native", native)
        g = tf.function(f)
        for _ in range(3):
            out = g(x)
        results.append([t.numpy() for t in out])
        plan = _concretes(g)[0].graph.plan
        if native:
            assert plan.stats()["fused"] == 5 and "fused: subtract <- square" in plan.describe()
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
    expected = np.exp(-np.square(results[1][1] - c.numpy()) * np.float32(0.5)) + np.float32(1)
    np.testing.assert_allclose(results[0][0], expected, rtol=1e-6)


_RNG = np.random.default_rng(3)
MODELS = {
    "conv_pool_batchnorm": (
        lambda: keras.Sequential([layers.Conv2D(4, 3, activation="relu", padding="same"), layers.MaxPooling2D(),
                                  layers.BatchNormalization(), layers.Conv2D(3, 3), layers.AveragePooling2D(),
                                  layers.Flatten(), layers.Dense(3)]),
        _RNG.standard_normal((16, 8, 8, 2)).astype("f4"), _RNG.integers(0, 3, 16),
        lambda: keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
    "embedding": (lambda: keras.Sequential([layers.Embedding(20, 4), layers.GlobalAveragePooling1D(),
                                            layers.Dense(2, activation="sigmoid")]),
                  _RNG.integers(0, 20, (16, 5)), _RNG.integers(0, 2, (16, 2)).astype("f4"),
                  lambda: "binary_crossentropy"),
    "lstm": (lambda: keras.Sequential([layers.LSTM(4), layers.Dense(1)]),
             _RNG.standard_normal((16, 3, 2)).astype("f4"), _RNG.standard_normal((16, 1)).astype("f4"), lambda: "mse"),
    "gru_layernorm": (lambda: keras.Sequential([layers.GRU(4, return_sequences=True), layers.LayerNormalization(),
                                                layers.Flatten(), layers.Dense(1)]),
                      _RNG.standard_normal((16, 3, 2)).astype("f4"), _RNG.standard_normal((16, 1)).astype("f4"),
                      lambda: "mae"),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_layers_run_in_the_runtime_as_in_the_python_replay(name, monkeypatch):
    build, x, y, loss = MODELS[name]
    results = []
    for native in (True, False):
        monkeypatch.setattr(graph_module, "native", native)
        tf.random.set_seed(0)
        model = build()
        model.compile("adam", loss())
        hist = model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
        plans = [c.graph.plan for f in model.train_function.levels for c in _concretes(f)]
        assert plans and all((p is not None) == native for p in plans)
        results.append((hist.history["loss"], model.get_weights(), model.predict(x, verbose=0)))
    (l1, w1, p1), (l2, w2, p2) = results
    np.testing.assert_allclose(l1, l2, rtol=1e-6)
    for a, b in zip(w1 + [p1], w2 + [p2]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
