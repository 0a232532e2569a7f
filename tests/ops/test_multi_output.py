"""Multi-output ops (``register(..., outputs=k)``), walked from the registry:
each output against the numpy reference, the shape and dtype rules on
symbolic inputs, tape gradients with every output or only some of them used
against finite differences, second order, and traces in tensorlet.function
(the Python replay and the C++ runtime). Then the fused batch-norm ops
themselves: the vectorised paths, data far from zero, NCHW, the layer, and an
allocation-free compiled Conv + BatchNormalization training step."""

import contextlib

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import _core, keras
from tensorlet.framework import symbolic
from tensorlet.function import graph as graph_module
from tensorlet.keras import layers
from tensorlet.ops.registry import REGISTRY, apply_multi
from tests.conftest import numeric_gradient, strided, tolerance

MULTI = sorted(n for n, op in REGISTRY.items() if op.outputs > 1)
CASES = [(n, dt) for n in MULTI for dt in REGISTRY[n].dtypes]
DIFF = sorted(n for n in MULTI if REGISTRY[n].grad is not None)


def _tensors(arrays, make=tf.constant):
    return [None if a is None else make(a) for a in arrays]


def test_the_registry_has_multi_output_ops():
    assert {"batch_norm_train", "batch_norm_train_grad"} <= set(MULTI)


@pytest.mark.parametrize("name,dtype", CASES)
def test_each_output_matches_numpy_and_the_rules(name, dtype, rng):
    op = REGISTRY[name]
    for arrays, attrs in op.samples(rng, dtype):
        want = op.ref(*arrays, *attrs)
        shapes = op.shape([None if a is None else a.shape for a in arrays], attrs)
        dtypes = op.dtype([None if a is None else tf.as_dtype(a.dtype) for a in arrays], attrs)
        for make in (tf.constant, strided):
            got = apply_multi(op, _tensors(arrays, make), *attrs)
            assert type(got) is tuple and len(got) == len(want) == op.outputs
            for g, w, s, d in zip(got, want, shapes, dtypes):
                assert tuple(g.shape) == w.shape == tuple(s) and g.dtype == d == tf.as_dtype(w.dtype)
                np.testing.assert_allclose(g.numpy(), w, **tolerance(dtype), err_msg=f"{name} {attrs}")


@pytest.mark.parametrize("name", MULTI)
def test_symbolic_inputs_give_one_symbolic_output_per_output(name, rng):
    op = REGISTRY[name]
    for arrays, attrs in op.samples(rng, op.dtypes[0]):
        want = apply_multi(op, _tensors(arrays), *attrs)
        spec = [None if a is None else symbolic.tensor((None,) + a.shape[1:], tf.as_dtype(a.dtype)) for a in arrays]
        got = apply_multi(op, spec, *attrs)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert symbolic.is_symbolic(g) and g.dtype == w.dtype
            assert len(g.shape) == len(w.shape) and all(a is None or a == b for a, b in zip(g.shape, w.shape))


def _loss(op, inputs, attrs, weights, used):
    """sum over the used outputs k of sum(sin(out_k) * w_k): through more ops."""
    outs = apply_multi(op, inputs, *attrs)
    return tf.add_n([tf.reduce_sum(tf.sin(outs[k]) * weights[k]) for k in used])


def _float_inputs(op, arrays):
    return [k for k, a in enumerate(arrays) if a is not None and (op.diff is None or op.diff[k])]


@pytest.mark.parametrize("name", DIFF)
@pytest.mark.parametrize("used", [(0, 1, 2), (0,), (1,), (2,), (1, 2)])
def test_tape_gradient_with_some_outputs_used_matches_finite_differences(name, used, rng):
    op = REGISTRY[name]
    for arrays, attrs in op.samples(rng, "float64"):
        if any(a is not None and a.size > 40 for a in arrays):
            continue
        weights = [rng.standard_normal(o.shape) for o in op.ref(*arrays, *attrs)]
        inputs = _tensors(arrays)
        with tf.GradientTape() as tape:
            tape.watch([x for x in inputs if x is not None])
            y = _loss(op, inputs, attrs, weights, used)
        grads = tape.gradient(y, inputs)
        for k in _float_inputs(op, arrays):
            def f(v, k=k):
                args = list(arrays)
                args[k] = v
                return float(_loss(op, _tensors(args), attrs, weights, used))
            want = numeric_gradient(f, arrays[k].copy())
            got = np.zeros_like(want) if grads[k] is None else grads[k].numpy()
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=f"{name} input {k} used {used}")


@pytest.mark.parametrize("name", DIFF)
def test_second_order_through_nested_tapes_matches_finite_differences(name, rng):
    op = REGISTRY[name]
    arrays, attrs = next((a, t) for a, t in op.samples(rng, "float64") if all(x.size <= 12 for x in a))
    weights = [rng.standard_normal(o.shape) for o in op.ref(*arrays, *attrs)]

    def first(args):
        inputs = _tensors(args)
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            y = _loss(op, inputs, attrs, weights, range(op.outputs))
        return tape.gradient(y, inputs)

    for k in _float_inputs(op, arrays):
        v = rng.standard_normal(arrays[k].shape)
        inputs = _tensors(arrays)
        with tf.GradientTape() as outer:
            outer.watch(inputs[k])
            with tf.GradientTape() as inner:
                inner.watch(inputs)
                y = _loss(op, inputs, attrs, weights, range(op.outputs))
            g = inner.gradient(y, inputs[k])
        got = outer.gradient(g, inputs[k], output_gradients=v).numpy()

        def f(x, k=k):
            args = list(arrays)
            args[k] = x
            return float(np.sum(first(args)[k].numpy() * v))
        want = numeric_gradient(f, arrays[k].copy(), eps=1e-5)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5, err_msg=f"{name} input {k}")


def test_unused_outputs_get_none_and_the_fused_backward_runs(monkeypatch, rng):
    x = tf.constant(rng.standard_normal((4, 3)))
    scale, offset = tf.Variable(np.ones(3)), tf.Variable(np.zeros(3))
    seen = []
    grad = REGISTRY["batch_norm_train"].grad
    monkeypatch.setattr(REGISTRY["batch_norm_train"], "grad", lambda d, *a: seen.append(d) or grad(d, *a))
    fused = REGISTRY["batch_norm_train_grad"]
    calls = []
    kernel = fused.kernel
    monkeypatch.setattr(fused, "kernel", lambda *a: calls.append(1) or kernel(*a))
    xn = x.numpy()
    xhat = (xn - xn.mean(0)) / np.sqrt(xn.var(0) + 1e-3)
    for nested in (False, True):
        calls.clear()
        # While a tape records the backward pass, the decomposed (differentiable) ops run instead.
        with tf.GradientTape() if nested else contextlib.nullcontext():
            with tf.GradientTape() as tape:
                y, mean, var = tf.nn.batch_norm_training(x, scale, offset)
                loss = tf.reduce_sum(y * y) + tf.reduce_sum(tf.stop_gradient(mean))
            ds, do = tape.gradient(loss, [scale, offset])
        dys = seen.pop()
        assert dys[0] is not None and dys[1] is None and dys[2] is None
        assert len(calls) == (0 if nested else 1)
        np.testing.assert_allclose(ds.numpy(), np.sum(2 * xhat * xhat, 0), rtol=1e-10)
        np.testing.assert_allclose(do.numpy(), np.sum(2 * xhat, 0), atol=1e-10)


def _train_step(native, monkeypatch, data_format="NHWC", compiled=True):
    monkeypatch.setattr(graph_module, "native", native)
    rng = np.random.default_rng(5)
    shape = (6, 5, 5, 3) if data_format == "NHWC" else (6, 3, 5, 5)
    x = tf.constant(rng.standard_normal(shape) * 3 + 2)
    w = tf.Variable(rng.standard_normal(3))
    b = tf.Variable(rng.standard_normal(3))
    axis = 3 if data_format == "NHWC" else 1

    def step(x):
        with tf.GradientTape() as tape:
            y, mean, var = tf.nn.batch_norm_training(x, w, b, 1e-3, axis)
            loss = tf.reduce_sum(tf.sin(y)) + tf.reduce_sum(mean * var)
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(0.1 * gw)
        b.assign_sub(0.1 * gb)
        return loss, y, mean

    step = tf.function(step) if compiled else step
    outs = [[t.numpy() for t in step(x)] for _ in range(3)]
    plans = [c.graph.plan for c in step._concrete.values()] if compiled else []
    return outs, [w.numpy(), b.numpy()], plans, step


@pytest.mark.parametrize("data_format", ["NHWC", "NCHW"])
def test_traced_multi_output_ops_run_in_the_runtime_and_the_replay_as_eagerly(data_format, monkeypatch):
    native, nw, plans, step = _train_step(True, monkeypatch, data_format)
    replay, rw, rplans, _ = _train_step(False, monkeypatch, data_format)
    assert all(p is not None for p in plans) and all(p is None for p in rplans)
    graph = list(step._concrete.values())[0].graph
    assert {"batch_norm_train", "batch_norm_train_grad"} <= set(graph.ops())
    assert "batch_norm_stats" not in graph.ops() and "batch_norm_apply" not in graph.ops()
    assert "batch_norm_train(" in plans[0].describe()
    eager, ew, _, _ = _train_step(True, monkeypatch, data_format, compiled=False)
    for a, b, c in zip(native + [nw], replay + [rw], eager + [ew]):
        for u, v, e in zip(a, b, c):
            np.testing.assert_allclose(u, v, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(u, e, rtol=1e-12, atol=1e-12)


def test_a_compiled_conv_batchnorm_step_allocates_nothing_after_warm_up():
    model = keras.Sequential([layers.Conv2D(4, 3, padding="same"), layers.BatchNormalization(), layers.ReLU(),
                              layers.Flatten(), layers.Dense(3)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal((8, 6, 6, 2)).astype("f4"))
    y = tf.constant(np.arange(8) % 3)
    model.fit(x.numpy(), y.numpy(), batch_size=8, epochs=1, verbose=0)
    train = model.make_train_function()
    for _ in range(3):
        train((x, y))
    plans = [c.graph.plan for f in model.train_function.levels for c in f._concrete.values()]
    assert plans and all(p is not None for p in plans)
    assert any("batch_norm_train_grad(" in p.describe() and "into" in p.describe() for p in plans)
    before = _core.host_memory_info()["allocations"]
    for _ in range(5):
        logs = train((x, y))
    assert _core.host_memory_info()["allocations"] == before and np.isfinite(logs["loss"])


# ---- the fused batch-norm kernels -------------------------------------------------------

@pytest.mark.parametrize("shape,axis", [((2, 3, 40, 40), 1), ((300, 7), 1), ((3, 70, 2, 2), 1), ((130, 9, 33), 2),
                                        ((5, 1), 0)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_forward_and_backward_match_numpy_on_long_runs(shape, axis, dtype, rng):
    # Longer than the kernels' runs and lanes, and data far from zero.
    op, grad_op = REGISTRY["batch_norm_train"], REGISTRY["batch_norm_train_grad"]
    x = (rng.standard_normal(shape) * 2 + 300).astype(dtype)
    scale, offset = rng.uniform(0.5, 1.5, shape[axis]).astype(dtype), rng.standard_normal(shape[axis]).astype(dtype)
    y, mean, var = apply_multi(op, _tensors([x, scale, offset]), 1e-3, axis)
    want = op.ref(x.astype(np.float64), scale, offset, 1e-3, axis)
    tol = dict(rtol=2e-4, atol=2e-4) if dtype == "float32" else dict(rtol=1e-9, atol=1e-9)
    for g, w in zip((y, mean, var), want):
        np.testing.assert_allclose(g.numpy(), w, **tol)
    dy = rng.standard_normal(shape).astype(dtype)
    dm, dv = rng.standard_normal(shape[axis]).astype(dtype), rng.standard_normal(shape[axis]).astype(dtype)
    got = apply_multi(grad_op, _tensors([dy, x, mean.numpy(), var.numpy(), scale, dm, dv]), 1e-3, axis)
    want = grad_op.ref(dy.astype(np.float64), x.astype(np.float64), mean.numpy().astype(np.float64),
                       var.numpy().astype(np.float64), scale, dm, dv, 1e-3, axis)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w, rtol=tol["rtol"] * 10, atol=tol["atol"] * 10 * np.abs(w).max())


def test_fused_batch_norm_training_matches_numpy_in_both_formats(rng):
    x = rng.standard_normal((4, 3, 5, 6)).astype("f4")
    scale, offset = rng.uniform(0.5, 1.5, 3).astype("f4"), rng.standard_normal(3).astype("f4")
    y, m, v = tf.nn.fused_batch_norm(x, scale, offset, data_format="NCHW")
    mean, var = x.mean((0, 2, 3)), x.var((0, 2, 3))
    want = (x - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-3) * scale[:, None, None] + offset[:, None, None]
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(m.numpy(), mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(v.numpy(), var, rtol=1e-5)
    y2, m2, _ = tf.nn.fused_batch_norm(np.transpose(x, (0, 2, 3, 1)), scale, offset)
    np.testing.assert_allclose(np.transpose(y2.numpy(), (0, 3, 1, 2)), want, rtol=1e-5, atol=1e-5)


def test_batch_norm_training_errors_name_the_op():
    x = tf.constant(np.ones((2, 3), np.float32))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"batch_norm_training: scale must have shape \(3,\)"):
        tf.nn.batch_norm_training(x, np.ones(4, np.float32))
    with pytest.raises(tf.errors.InvalidArgumentError, match="no elements"):
        tf.nn.batch_norm_training(tf.constant(np.ones((0, 3), np.float32)))
    y, m, v = tf.nn.batch_norm_training(symbolic.tensor((None, 5, 3), tf.float32), axis=1)
    assert tuple(y.shape) == (None, 5, 3) and tuple(m.shape) == tuple(v.shape) == (5,)


def test_the_layer_without_gamma_and_beta_trains_on_batch_statistics_channels_first(rng):
    x = (rng.standard_normal((16, 3, 4, 4)) * 2 + 5).astype("f4")
    layer = layers.BatchNormalization(axis=1, momentum=0.5, center=False, scale=False)
    y = layer(x, training=True).numpy()
    assert layer.gamma is None and layer.beta is None and len(layer.weights) == 2
    mean, var = x.mean((0, 2, 3)), x.var((0, 2, 3))
    bc = lambda v: v[:, None, None]  # noqa: E731
    np.testing.assert_allclose(y, (x - bc(mean)) / np.sqrt(bc(var) + 1e-3), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(layer.moving_mean.numpy(), mean * 0.5, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.5 + var * 0.5, rtol=1e-5)


def test_a_custom_gradient_with_several_outputs_is_one_op_with_one_backward_call():
    calls = []

    @tf.custom_gradient
    def pair(x):
        def grad(d1, d2):
            calls.append(1)
            return d1 * 10.0 + d2 * 100.0  # d2: zeros (b is unused), else the gradient would show it
        return [x * 2.0, x * 3.0], grad

    def run(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            a, b = pair(x)
            loss = tf.reduce_sum(a * a)  # b unused: its gradient is zeros
        return tape.gradient(loss, x), b

    x = tf.constant([1.0, -2.0])
    for fn in (run, tf.function(run)):
        calls.clear()
        g, b = fn(x)
        np.testing.assert_allclose(g.numpy(), [40.0, -80.0])
        np.testing.assert_allclose(b.numpy(), [3.0, -6.0])
        g, b = fn(tf.constant([0.5, 1.0]))  # a traced function replays with the new argument
        np.testing.assert_allclose(g.numpy(), [20.0, 40.0])
        np.testing.assert_allclose(b.numpy(), [1.5, 3.0])
        # one call per backward pass (a trace calls it once, then replays)
        assert len(calls) == (2 if fn is run else 1)


def test_outputs_of_a_multi_output_op_the_caller_keeps_are_not_overwritten(rng):
    f = tf.function(lambda x: tf.nn.batch_norm_training(x * 2.0, epsilon=0.1))
    x1, x2 = (tf.constant(rng.standard_normal((5, 3)).astype("f4")) for _ in range(2))
    for _ in range(3):
        kept = f(x1)
    assert list(f._concrete.values())[0].graph.plan is not None
    want = [t.numpy().copy() for t in kept]
    again = f(x2)
    for k, w, a in zip(kept, want, again):
        np.testing.assert_array_equal(k.numpy(), w)
        assert not np.array_equal(a.numpy(), w)
