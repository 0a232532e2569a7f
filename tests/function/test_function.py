"""tensorlet.function: compiled results equal eager ones; tracing, retracing,
side-effect, variable-creation and error rules."""

import io
import warnings

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.function import OperatorNotAllowedInGraphError


def _data(seed=0, n=16):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 5)).astype(np.float32), rng.standard_normal((n, 3)).astype(np.float32)


def _train(make_opt, compiled, steps=5):
    """The tutorial pattern: a GradientTape step with apply_gradients."""
    rng = np.random.default_rng(1)
    w = tf.Variable(rng.standard_normal((5, 3)).astype(np.float32))
    b = tf.Variable(np.zeros(3, np.float32))
    opt = make_opt()

    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(tf.nn.relu(x @ w + b) - y))
        grads = tape.gradient(loss, [w, b])
        opt.apply_gradients(zip(grads, [w, b]))
        return loss

    if compiled:
        step = tf.function(step)
    losses = [float(step(*map(tf.constant, _data(i)))) for i in range(steps)]
    return losses, [w.numpy(), b.numpy()] + [v.numpy() for v in opt.variables], int(opt.iterations)


OPTIMIZERS = {
    "sgd": lambda: keras.optimizers.SGD(0.1),
    "sgd_nesterov": lambda: keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "rmsprop": lambda: keras.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "adam": lambda: keras.optimizers.Adam(0.05),
    "adam_amsgrad": lambda: keras.optimizers.Adam(0.05, amsgrad=True, weight_decay=0.1, global_clipnorm=0.5),
    "adagrad": lambda: keras.optimizers.Adagrad(0.1, clipnorm=0.3, clipvalue=0.2),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_compiled_training_step_equals_eager(name):
    eager = _train(OPTIMIZERS[name], False)
    compiled = _train(OPTIMIZERS[name], True)
    np.testing.assert_allclose(compiled[0], eager[0], rtol=1e-6, atol=1e-7)
    for a, b in zip(compiled[1], eager[1]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert compiled[2] == eager[2] == 5


def test_learning_rate_set_between_calls_is_read_by_the_compiled_step():
    w = tf.Variable([1.0, 2.0])
    opt = keras.optimizers.SGD(0.5)

    @tf.function
    def step():
        opt.apply_gradients([(tf.constant([1.0, 1.0]), w)])

    step()
    opt.learning_rate = 0.25
    step()
    np.testing.assert_allclose(w.numpy(), [0.25, 1.25])
    assert int(opt.iterations) == 2


def test_body_runs_once_per_signature_and_replays_fresh_values():
    traces = []

    @tf.function
    def f(x, scale):
        traces.append(scale)
        return x * scale + 1.0

    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    for k in range(3):
        np.testing.assert_allclose(f(tf.constant(x + k), 2.0).numpy(), (x + k) * 2 + 1)
    assert traces == [2.0]
    f(tf.constant(x), 3.0)                  # a new Python value
    f(tf.constant(x[:1]), 3.0)              # a new shape
    f(tf.constant(x.astype(np.float64)), 3.0)  # a new dtype
    assert traces == [2.0, 3.0, 3.0, 3.0]
    assert f.experimental_get_tracing_count() == 4


def test_input_signature_and_reduce_retracing_generalize_dims():
    sig = tf.function(lambda x: tf.reduce_sum(x, axis=1), input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    for n in (1, 2, 5):
        np.testing.assert_allclose(sig(tf.ones((n, 3))).numpy(), np.full(n, 3.0))
    assert sig.experimental_get_tracing_count() == 1
    with pytest.raises(TypeError, match="input_signature"):
        sig(tf.ones((2, 4)))

    relaxed = tf.function(lambda x: x * 2.0, reduce_retracing=True)
    for n in (1, 2, 5, 7):
        np.testing.assert_allclose(relaxed(tf.ones((n, 3))).numpy(), np.full((n, 3), 2.0))
    assert relaxed.experimental_get_tracing_count() == 2  # (1, 3), then (None, 3)


def test_warns_after_repeated_retracing():
    f = tf.function(lambda x, k: x + k)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for k in range(5):
            f(tf.ones(2), k)
        assert not caught
        f(tf.ones(2), 5)
    assert any("traced 6 times" in str(w.message) for w in caught)


def test_python_side_effects_run_only_while_tracing_and_tf_print_every_call():
    out, seen = io.StringIO(), []

    @tf.function
    def f(x):
        seen.append("traced")
        tf.print("x is", x, output_stream=out)
        return x + 1

    for k in range(3):
        f(tf.constant([float(k)]))
    assert seen == ["traced"]
    assert out.getvalue() == "x is [0]\nx is [1]\nx is [2]\n"


def test_variables_created_on_the_first_trace_only():
    class Scaler:
        def __init__(self):
            self.v = None

        @tf.function
        def __call__(self, x):
            if self.v is None:
                self.v = tf.Variable(tf.ones(x.shape[-1:]) * 2.0)
            self.v.assign_add(tf.ones_like(self.v))
            return x * self.v

    a, b = Scaler(), Scaler()
    np.testing.assert_allclose(a(tf.ones(2)).numpy(), [3, 3])
    np.testing.assert_allclose(a(tf.ones(2)).numpy(), [4, 4])
    np.testing.assert_allclose(b(tf.ones(2)).numpy(), [3, 3])  # one Function per instance

    @tf.function
    def always_creates(x):
        return x + tf.Variable(1.0)

    always_creates(tf.constant(1.0))
    with pytest.raises(ValueError, match="created on a later trace.*only on the first call"):
        always_creates(tf.constant([1.0, 2.0]))


def test_reads_of_a_variable_see_later_assignments():
    v = tf.Variable([1.0, 2.0])

    @tf.function
    def f():
        before = v.read_value()
        first = v[0]
        v.assign_add([10.0, 10.0])
        return before, first, v.read_value()

    f()
    before, first, after = f()
    np.testing.assert_allclose(before.numpy(), [11, 12])
    assert float(first) == 11.0
    np.testing.assert_allclose(after.numpy(), [21, 22])
    np.testing.assert_allclose(v.numpy(), [21, 22])


def test_random_draws_are_fresh_per_call_and_repeat_from_a_seed():
    def draws(fn):
        tf.random.set_seed(7)
        return [fn(tf.ones(3)).numpy() for _ in range(4)]

    def f(x):
        return x + tf.random.normal((3,)) + tf.random.uniform((3,), seed=5)

    eager = draws(f)
    compiled = draws(tf.function(f))
    np.testing.assert_allclose(compiled, eager, rtol=1e-6)
    assert len({tuple(d) for d in compiled}) == 4  # fresh numbers on every call


def test_gradient_of_an_outer_tape_flows_through_a_function():
    w = tf.Variable([1.0, 2.0])
    f = tf.function(lambda x: tf.reduce_sum(w * x * x))
    f(tf.constant([1.0, 1.0]))
    x = tf.constant([3.0, 4.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [6.0, 16.0])


def test_branching_on_a_traced_tensor_raises_naming_cond():
    @tf.function
    def f(x):
        if tf.reduce_sum(x) > 0:
            return x
        return -x

    with pytest.raises(OperatorNotAllowedInGraphError, match="tensorlet.cond"):
        f(tf.ones(2))

    @tf.function
    def g(x):
        return x * float(tf.reduce_sum(x))

    with pytest.raises(OperatorNotAllowedInGraphError, match="frozen"):
        g(tf.ones(2))

    @tf.function
    def h(x):
        return x.numpy()

    with pytest.raises(OperatorNotAllowedInGraphError, match="numpy"):
        h(tf.ones(2))


def test_python_control_flow_on_python_values_is_unrolled():
    @tf.function
    def f(x, n):
        for _ in range(n):
            x = x * 2.0
        return x if n > 1 else -x

    assert float(f(tf.constant(1.0), 3)) == 8.0
    assert float(f(tf.constant(1.0), 3)) == 8.0
    assert float(f(tf.constant(1.0), 1)) == -2.0
    assert f.get_concrete_function(tf.constant(1.0), 3).graph.ops() == ["multiply"] * 3


def test_cond_and_while_loop_eagerly():
    x = tf.constant(3.0)
    assert float(tf.cond(x > 2, lambda: x * 2, lambda: x)) == 6.0
    assert float(tf.cond(x > 5, lambda: x * 2, lambda: x)) == 3.0
    i, s = tf.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s + i), [tf.constant(0), tf.constant(0)])
    assert (int(i), int(s)) == (5, 10)
    assert int(tf.while_loop(lambda i: i < 100, lambda i: i * 2, tf.constant(1), maximum_iterations=3)) == 8
    with pytest.raises(TypeError, match="callables"):
        tf.cond(x > 2, 1, 2)


def test_cond_and_while_loop_on_traced_predicates_run_in_the_graph():
    @tf.function
    def f(x):
        return tf.cond(x > 0, lambda: x * 3.0, lambda: -x)

    assert [float(f(tf.constant(v))) for v in (2.0, -1.5, 4.0)] == [6.0, 1.5, 12.0]
    assert f.experimental_get_tracing_count() == 1
    # Gradients flow through the branch that was taken.
    w = tf.Variable(2.0)

    @tf.function
    def g(x):
        with tf.GradientTape() as tape:
            y = tf.cond(x > 0, lambda: w * x, lambda: w * w)
        return tape.gradient(y, w)

    assert float(g(tf.constant(5.0))) == 5.0 and float(g(tf.constant(-1.0))) == 4.0

    @tf.function
    def h(n):  # doubles while below n, at most 10 times
        return tf.while_loop(lambda i, s: i < n, lambda i, s: (i * 2, s + 1), [tf.constant(1), tf.constant(0)],
                             maximum_iterations=10)

    assert [tuple(map(int, h(tf.constant(v)))) for v in (1, 5, 100, 5000)] == [(1, 0), (8, 3), (128, 7), (1024, 10)]
    # A Python predicate is fine inside.
    assert float(tf.function(lambda x: tf.cond(True, lambda: x + 1, lambda: x))(tf.constant(1.0))) == 2.0


def test_concrete_function_graph_lists_ops_and_draws_dot_without_changing_state():
    w = tf.Variable(np.ones((3, 2), np.float32))

    @tf.function
    def f(x):
        w.assign_sub(tf.ones((3, 2)))
        return tf.nn.relu(x @ w)

    concrete = f.get_concrete_function(tf.TensorSpec([4, 3], tf.float32))
    np.testing.assert_array_equal(w.numpy(), np.ones((3, 2)))  # tracing left the variable as it was
    assert concrete.graph.ops() == ["ones", "assign_sub", "matmul", "relu"] or \
        concrete.graph.ops()[-2:] == ["matmul", "relu"]
    assert "assign_sub" in concrete.graph.ops() and concrete.graph.variables == [w]
    dot = concrete.graph.as_dot()
    assert dot.startswith("digraph") and "matmul" in dot and "->" in dot
    np.testing.assert_allclose(concrete(tf.ones((4, 3))).numpy(), np.zeros((4, 2)))
    np.testing.assert_array_equal(w.numpy(), np.zeros((3, 2)))


def test_nested_structures_and_python_outputs():
    @tf.function
    def f(d):
        return {"sum": d["a"] + d["b"], "tag": "ok", "pair": (d["a"] * 2, 3)}

    for _ in range(2):
        out = f({"a": tf.constant(1.0), "b": tf.constant(2.0)})
        assert float(out["sum"]) == 3.0 and out["tag"] == "ok" and float(out["pair"][0]) == 2.0
        assert out["pair"][1] == 3


def test_stateless_draws_repeat_and_a_product_gradient_follows_the_data():
    @tf.function
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_prod(x)
        return tf.random.stateless_uniform((2,), seed=[1, 2]), tape.gradient(y, x)

    a, ga = f(tf.constant([2.0, 3.0, 4.0]))
    b, gb = f(tf.constant([0.0, 3.0, 4.0]))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_allclose(ga.numpy(), [12.0, 8.0, 6.0])
    np.testing.assert_allclose(gb.numpy(), [12.0, 0.0, 0.0])


def test_branches_that_change_state_run_as_a_branch_node():
    v = tf.Variable(0.0)

    @tf.function
    def step(x):
        return tf.cond(tf.reduce_sum(x) > 0, lambda: v.assign_add(1.0), lambda: v.assign_sub(2.0))

    seen = [float(step(tf.constant([s]))) for s in (1.0, -1.0, 1.0, 1.0)]
    assert seen == [1.0, -1.0, 0.0, 1.0] and float(v) == 1.0 and step.experimental_get_tracing_count() == 1
    assert "cond" in step.get_concrete_function(tf.constant([1.0])).graph.ops() and float(v) == 1.0


def test_loops_without_a_limit_or_with_state_changes_run_as_a_loop_node(capsys):
    calls = tf.Variable(0)

    @tf.function
    def total(n):
        def body(i, s):
            calls.assign_add(1)
            tf.print("step", i)
            return i + 1, s + tf.cast(i, tf.float32)
        return tf.while_loop(lambda i, s: i < n, body, [tf.constant(0), tf.constant(0.0)])

    got = [tuple(map(float, total(tf.constant(n)))) for n in (4, 7, 0)]
    assert got == [(4.0, 6.0), (7.0, 21.0), (0.0, 0.0)] and int(calls) == 11
    assert capsys.readouterr().err.count("step") == 11  # every iteration prints, tracing adds none
    doubling = tf.function(lambda n: tf.while_loop(lambda i: i < n, lambda i: i * 2, [tf.constant(1)]))
    assert [int(doubling(tf.constant(n))[0]) for n in (100, 5, 1)] == [128, 8, 1]
    assert doubling.experimental_get_tracing_count() == 1


def test_a_tape_may_not_record_through_a_branch_node():
    w = tf.Variable(1.0)

    @tf.function
    def g(x):
        with tf.GradientTape() as tape:
            y = tf.cond(x > 0, lambda: w.assign_add(1.0) * x, lambda: w * 1.0)
        return tape.gradient(y, w)

    with pytest.raises(OperatorNotAllowedInGraphError, match="gradient tape cannot record through it"):
        g(tf.constant(1.0))
    assert float(w) == 1.0


def test_branch_and_loop_nodes_draw_and_nest_as_eager_code_does():
    v = tf.Variable(0.0)

    def body(i, s):  # a draw and an assignment under a nested branch
        d = tf.random.uniform(())
        s = tf.cond(d > 0.5, lambda: v.assign_add(d) * 1.0, lambda: s + d)
        return i + 1, s

    def run(n):
        return tf.while_loop(lambda i, s: i < n, body, [tf.constant(0), tf.constant(0.0)])

    results = []
    for fn in (run, tf.function(run)):
        tf.random.set_seed(7)
        v.assign(0.0)
        results.append([(float(run_out[1]), float(v)) for run_out in (fn(tf.constant(5)), fn(tf.constant(3)))])
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6)


def test_concrete_function_lists_operations_and_structured_outputs():
    @tf.function
    def f(x, y):
        return {"s": x + y, "p": (x * y, 3)}

    c = f.get_concrete_function(tf.constant([1.0, 2.0]), tf.constant([3.0, 4.0]))
    assert [op.type for op in c.graph.get_operations()] == ["add", "multiply"]
    assert len({op.name for op in c.graph.get_operations()}) == 2
    out = c.structured_outputs
    assert out["p"][1] == 3 and tuple(out["s"].shape) == (2,) and out["p"][0].dtype == tf.float32
