"""GradientTape behaviour that TensorFlow users rely on."""

import gc

import numpy as np
import pytest

import tensorlet as tf
from tensorlet.ops import registry


def test_square_of_a_variable():
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = tf.square(x)
    g = tape.gradient(y, x)
    assert isinstance(g, tf.Tensor) and g.dtype == tf.float32 and float(g) == 6.0


def test_constants_need_watch():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        y = tf.square(x)
    assert tape.gradient(y, x) is None
    assert "tape.watch" in tape.explain_none(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.square(x)
    assert float(tape.gradient(y, x)) == 6.0
    assert tape.explain_none() is None


def test_acceleration_with_nested_tapes():
    time = tf.Variable(0.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            position = 4.9 * time**2
        speed = inner.gradient(position, time)
    acceleration = outer.gradient(speed, time)
    assert float(speed) == 0.0
    assert float(acceleration) == pytest.approx(9.8)


def test_third_order():
    x = tf.Variable(2.0)
    with tf.GradientTape() as t3:
        with tf.GradientTape() as t2:
            with tf.GradientTape() as t1:
                y = x * x * x
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    assert (float(d1), float(d2), float(d3)) == (12.0, 12.0, 6.0)


def test_chain_rule_listing_with_intermediate_sources():
    # The lecture's chain-rule example: x1 = w * x and x2 = x1 + b are
    # intermediate tensors, and the tape differentiates with respect to them too.
    w, b = tf.Variable(3.0), tf.Variable(1.0)
    x, y_true = tf.constant(2.0), tf.constant(4.0)
    with tf.GradientTape() as tape:
        x1 = w * x
        x2 = x1 + b
        loss = tf.abs(y_true - x2)
    grads = tape.gradient(loss, [w, b, x1, x2])
    assert [float(g) for g in grads] == [2.0, 1.0, 1.0, 1.0]


def test_several_sources_variables_and_watched_constants():
    w, b = tf.Variable(3.0), tf.Variable(1.0)
    x1, x2 = tf.Variable(0.0), tf.constant(0.0)
    x, y_true = tf.constant(2.0), tf.constant(4.0)
    with tf.GradientTape() as tape:
        tape.watch(x2)
        loss = tf.abs(y_true - (w * x + b + x1 + x2))
    grads = tape.gradient(loss, [w, b, x1, x2])
    assert [float(g) for g in grads] == [2.0, 1.0, 1.0, 1.0]


def test_structure_of_sources_is_kept():
    w, b = tf.Variable([1.0, 2.0]), tf.Variable(0.5)
    with tf.GradientTape(persistent=True) as tape:
        y = tf.reduce_sum(w * w) + b
    d = tape.gradient(y, {"w": w, "b": b})
    assert set(d) == {"w", "b"}
    np.testing.assert_array_equal(d["w"].numpy(), [2.0, 4.0])
    t = tape.gradient(y, (w, [b]))
    assert isinstance(t, tuple) and isinstance(t[1], list) and float(t[1][0]) == 1.0


def test_non_trainable_variables_are_not_watched():
    a = tf.Variable(2.0, trainable=False)
    b = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = a * b
    ga, gb = tape.gradient(y, [a, b])
    assert ga is None and float(gb) == 2.0
    assert "not trainable" in tape.explain_none(a)
    assert tape.watched_variables() == (b,)


def test_watch_accessed_variables_false():
    a, b = tf.Variable(2.0), tf.Variable(5.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(a)
        y = a * b
    ga, gb = tape.gradient(y, [a, b])
    assert float(ga) == 5.0 and gb is None
    assert tape.watched_variables() == (a,)
    assert "watch_accessed_variables=False" in tape.explain_none(b)


def test_unconnected_gradients():
    x, z = tf.Variable([1.0, 2.0]), tf.Variable([[3.0]])
    with tf.GradientTape(persistent=True) as tape:
        y = x * 2.0
    assert tape.gradient(y, z) is None
    assert "does not depend" in tape.explain_none(z) or "not computed" in tape.explain_none(z)
    g = tape.gradient(y, z, unconnected_gradients="zero")
    np.testing.assert_array_equal(g.numpy(), [[0.0]])
    g = tape.gradient(y, z, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert g.shape == (1, 1)
    with pytest.raises(ValueError):
        tape.gradient(y, z, unconnected_gradients="zeros!")


def test_target_computed_after_the_block():
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        pass
    y = x * x
    assert tape.gradient(y, x) is None
    assert "inside the `with tape:` block" in tape.explain_none(x)


def test_integer_sources_get_none():
    x = tf.constant(3)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    assert tape.gradient(y, x) is None
    assert "int32" in tape.explain_none(x)


def test_non_scalar_target_is_summed_or_chained():
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        y = x * x
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [2.0, 4.0, 6.0])
    g = tape.gradient(y, x, output_gradients=tf.constant([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(g.numpy(), [2.0, 0.0, -6.0])
    g = tape.gradient([y, x], x)  # a list of targets adds their gradients
    np.testing.assert_array_equal(g.numpy(), [3.0, 5.0, 7.0])


def test_non_persistent_tape_computes_once():
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="persistent=True"):
        tape.gradient(y, x)


def test_persistent_tape_computes_many_times():
    x = tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as tape:
        y = x * x
        z = y * y
    assert float(tape.gradient(y, x)) == 6.0
    assert float(tape.gradient(z, x)) == 108.0
    assert float(tape.gradient(z, y)) == 18.0  # an intermediate source


def test_records_are_released():
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    assert not tape._records and list(tape._watched.values()) == [x]
    with tf.GradientTape(persistent=True) as tape:
        y = x * x
    import weakref
    ref = weakref.ref(y)
    del tape, y
    gc.collect()
    assert ref() is None


def test_no_tape_active_outside_the_block():
    x = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        assert registry.active_tapes == [tape]
        with pytest.raises(ZeroDivisionError):
            with tf.GradientTape():
                1 / 0
        assert registry.active_tapes == [tape]
        x * x
    assert registry.active_tapes == []


def test_stop_recording_and_stop_gradient():
    x = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        y = x * x
        with tape.stop_recording():
            z = x * x
        w = tf.stop_gradient(x * x) * x
    assert float(tape.gradient(y, x)) == 4.0
    assert tape.gradient(z, x) is None
    assert float(tape.gradient(w, x)) == 4.0  # only the unstopped factor


def test_inner_tape_does_not_record_its_backward_pass():
    x = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        y = x * x * x
        n = len(tape._records)
        g = tape.gradient(y, x)  # called inside its own block
        assert len(tape._records) == n
    assert float(g) == 12.0


def test_gradient_through_slices_and_reads():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        y = v[0, 1] * 3.0 + tf.reduce_sum(v.read_value() * v[1])
    # d/dv of sum(v * v[1]) is v[1] in every row, plus the column sums in row 1.
    np.testing.assert_array_equal(tape.gradient(y, v).numpy(), [[3.0, 7.0], [7.0, 10.0]])


def test_broadcast_gradients_are_summed_back():
    b = tf.Variable([1.0, 2.0, 3.0])
    c = tf.Variable([[1.0], [2.0]])
    with tf.GradientTape() as tape:
        y = tf.ones((4, 2, 3)) * b * c
    gb, gc_ = tape.gradient(y, [b, c])
    np.testing.assert_array_equal(gb.numpy(), [12.0, 12.0, 12.0])
    np.testing.assert_array_equal(gc_.numpy(), [[24.0], [24.0]])


def test_non_differentiable_ops_pass_no_gradient():
    x = tf.Variable([1.5, -2.5])
    with tf.GradientTape() as tape:
        y = tf.cast(tf.greater(x, 0.0), tf.float32) * 3.0 + tf.round(x)
    g = tape.gradient(y, x)
    assert g is None or not np.any(g.numpy())


def test_jacobian():
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        y = tf.expand_dims(x, 1) * tf.constant([[1.0, 2.0]])  # (3, 2)
    j = tape.jacobian(y, x)
    want = np.zeros((3, 2, 3), np.float32)
    for i in range(3):
        want[i, :, i] = [1.0, 2.0]
    np.testing.assert_array_equal(j.numpy(), want)
    assert tape.jacobian(y, tf.Variable(1.0)) is None
    jz = tape.jacobian(y, [tf.Variable([1.0, 1.0])], unconnected_gradients="zero")
    assert jz[0].shape == (3, 2, 2) and not np.any(jz[0].numpy())


def test_batch_jacobian():
    x = tf.Variable(np.arange(6.0).reshape(2, 3))
    w = tf.constant(np.arange(12.0).reshape(3, 4))
    with tf.GradientTape() as tape:
        y = tf.sin(tf.matmul(x, w))  # (2, 4)
    j = tape.batch_jacobian(y, x)
    assert j.shape == (2, 4, 3)
    cos = np.cos(x.numpy() @ w.numpy())
    want = np.stack([cos[b][:, None] * w.numpy().T for b in range(2)])
    np.testing.assert_allclose(j.numpy(), want, rtol=1e-12)


def test_custom_gradient():
    @tf.custom_gradient
    def clip_gradient(x):
        def grad(dy):
            return tf.minimum(tf.maximum(dy, -1.0), 1.0)
        return tf.identity(x), grad

    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = clip_gradient(x) * 10.0
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(clip_gradient(x).numpy(), [1.0, 2.0])  # no tape: just the value


def test_custom_gradient_is_stable_and_differentiable_again():
    @tf.custom_gradient
    def log1pexp(x):
        e = tf.exp(x)

        def grad(dy):
            return dy * (1 - 1 / (1 + tf.exp(x)))
        return tf.log(1 + e), grad

    x = tf.constant(100.0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = log1pexp(x)
        g = inner.gradient(y, x)
    assert float(g) == 1.0  # the naive gradient would be inf/inf = nan
    x0 = tf.constant(0.0)
    with tf.GradientTape() as outer:
        outer.watch(x0)
        with tf.GradientTape() as inner:
            inner.watch(x0)
            y = log1pexp(x0)
        g = inner.gradient(y, x0)
    assert float(g) == 0.5 and float(outer.gradient(g, x0)) == pytest.approx(0.25)


def test_custom_gradient_with_variables():
    w = tf.Variable(3.0)

    @tf.custom_gradient
    def scale(x):
        def grad(dy, variables):
            return dy * w, [dy * x * 100.0]  # a deliberately unusual gradient for w
        return x * w, grad

    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = scale(x)
    gx, gw = tape.gradient(y, [x, w])
    assert float(gx) == 3.0 and float(gw) == 200.0

    @tf.custom_gradient
    def bad(x):
        return x * w, lambda dy: dy

    with tf.GradientTape():
        with pytest.raises(TypeError, match="variables"):
            bad(x)


def test_a_tape_cannot_be_entered_inside_itself_but_can_resume():
    x = tf.Variable(2.0)
    tape = tf.GradientTape()
    with tape:
        with pytest.raises(ValueError, match="already recording"):
            with tape:
                pass
        y = x * x
    with tape:  # recording resumes
        z = y * x
    assert float(tape.gradient(z, x)) == 12.0


def test_integer_target_is_explained():
    x = tf.Variable([1.5, 2.5])
    with tf.GradientTape() as tape:
        y = tf.cast(x, tf.int32)
    assert tape.gradient(y, x) is None
    assert "not a floating-point tensor" in tape.explain_none(x)


def test_custom_gradient_with_several_outputs():
    @tf.custom_gradient
    def two(x):
        def grad(d1, d2):
            return d1 * 2.0 + d2 * 3.0
        return [x * 2.0, x * 3.0], grad

    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        a, b = two(x)
        y = tf.reduce_sum(a) + 10.0 * tf.reduce_sum(b)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [32.0, 32.0])


def test_integer_intermediates_block_gradients():
    x = tf.Variable([1.5, 2.5])
    with tf.GradientTape() as tape:
        y = tf.cast(tf.cast(x, tf.int32) * 3, tf.float32) * x
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [3.0, 6.0])  # only the direct factor


def test_assigning_a_recorded_variable_before_gradient_is_an_error():
    w = tf.Variable(2.0)
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = w * x
    w.assign(5.0)  # the recorded multiply read w = 2
    with pytest.raises(RuntimeError, match="'Variable.*:0' was assigned after the tape recorded multiply"):
        tape.gradient(y, x)


def test_updating_variables_between_gradients_of_unrelated_parts():
    # A persistent tape for two losses, with the first part updated before the
    # second gradient (as in GAN training): the second backward pass does not
    # run the first part's ops, so it is unaffected.
    g, d = tf.Variable(1.5), tf.Variable(-2.0)
    z = tf.constant(2.0)
    with tf.GradientTape(persistent=True) as tape:
        fake = g * z
        d_loss = tf.square(d * fake)
        g_loss = -d_loss
    grad_g = tape.gradient(g_loss, g)
    g.assign_sub(0.1 * grad_g)
    grad_d = tape.gradient(d_loss, d)
    assert float(grad_d) == pytest.approx(2 * (-2.0 * 3.0) * 3.0)


def test_watch_rejects_non_tensors_and_reset_forgets():
    tape = tf.GradientTape()
    with pytest.raises(ValueError, match="expected a tensor"):
        tape.watch([1.0])
    x = tf.Variable(2.0)
    with tape:
        y = x * x
        tape.reset()
        x * 3.0  # recorded after the reset
    assert tape.gradient(y, x) is None  # recorded before the reset
    assert "not computed on this tape" in tape.explain_none(x)


def test_stop_gradient_of_a_variable_is_a_snapshot():
    v = tf.Variable([1.0, 2.0])
    s = tf.stop_gradient(v)
    v.assign([5.0, 5.0])
    np.testing.assert_array_equal(s.numpy(), [1.0, 2.0])


def test_gradient_of_a_constant_operand_is_not_computed(monkeypatch):
    # Ops registered with one gradient function per input (matmul, multiply)
    # run only the ones a source needs: no product for the constant x.
    x = tf.constant(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    w = tf.Variable(np.ones((3, 4), np.float32))
    op = registry.REGISTRY["matmul"]
    calls = []
    kernel = op.kernel
    monkeypatch.setattr(op, "kernel", lambda *a: calls.append(a[2:]) or kernel(*a))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.matmul(x, w) * x[:, :1])
    calls.clear()
    g = tape.gradient(y, w)
    assert calls == [(True, False)]  # x^T @ dy only
    np.testing.assert_allclose(g.numpy(), x.numpy().T @ np.broadcast_to(x.numpy()[:, :1], (2, 4)))
    assert op.input_grads is not None and len(op.grad(tf.ones((2, 4)), [x, w], (False, False), None)) == 2


def test_shared_gradient_step_runs_once(monkeypatch):
    # dense's per-input gradients share relu's gradient (grad_prep): one
    # relu_grad per backward step, whichever inputs need gradients.
    x = tf.constant(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))
    w = tf.Variable(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4))
    b = tf.Variable(np.full(4, 0.1, np.float32))
    op = registry.REGISTRY["relu_grad"]
    calls = []
    kernel = op.kernel
    monkeypatch.setattr(op, "kernel", lambda *a: calls.append(1) or kernel(*a))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.nn.dense(x, w, b, "relu"))
    gx, gw, gb = tape.gradient(y, [x, w, b])
    assert len(calls) == 1
    mask = (x.numpy() @ w.numpy() + b.numpy() > 0).astype(np.float32)
    np.testing.assert_allclose(gw.numpy(), x.numpy().T @ mask, rtol=1e-6)
    np.testing.assert_allclose(gb.numpy(), mask.sum(0), rtol=1e-6)
    np.testing.assert_allclose(gx.numpy(), mask @ w.numpy().T, rtol=1e-6)


def test_custom_gradient_hides_its_ops_from_tapes_only():
    # A non-tape observer (a tracer) sees the ops that compute the value; the
    # tape sees one op with the custom gradient.
    class Recorder:
        def __init__(self):
            self.names = []

        def _record(self, op, inputs, attrs, out):
            self.names.append(op.name)

    @tf.custom_gradient
    def clipped_square(x):
        return x * x, lambda dy: tf.clip_by_value(dy * 2 * x, -1.0, 1.0)

    rec = Recorder()
    registry.observers.append(rec)
    try:
        x = tf.Variable(3.0)
        with tf.GradientTape() as tape:
            y = clipped_square(x)
    finally:
        registry.observers.remove(rec)
    assert float(y) == 9.0 and float(tape.gradient(y, x)) == 1.0
    assert rec.names == ["multiply", "custom_gradient:clipped_square"]
