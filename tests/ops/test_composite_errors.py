"""Composites (public functions made of other ops) name themselves in their
errors, never the inner op that raised (ops/registry.py ``name_errors``)."""

import inspect

import pytest

import tensorlet as tf
from tensorlet.ops import registry

# Where the public composites live: the ops package and the top-level modules.
_HOMES = ("tensorlet.ops.", "tensorlet.image", "tensorlet.math", "tensorlet.nn", "tensorlet.linalg",
          "tensorlet.random")


def _composites():
    found = {}
    for space in (tf, tf.math, tf.nn, tf.linalg, tf.random, tf.image):
        for name in dir(space):
            f = getattr(space, name)
            if (not name.startswith("_") and inspect.isfunction(f) and not hasattr(f, "op")
                    and f.__module__.startswith(_HOMES)
                    and not registry._USER_CODE & set(inspect.signature(f).parameters)):
                found.setdefault(f.__name__, f)
    return sorted(found.items())


def _bad_calls(n):
    """Argument lists for a function of ``n`` required parameters: strings,
    ragged lists, mismatched shapes, an int tensor among floats, scalars."""
    yield ["abc"] * n
    yield [[[1.0], [1.0, 2.0]]] * n
    for i in range(n):
        yield [tf.ones([2, 3]) if j == i else tf.ones([4, 5, 6]) for j in range(n)]
    yield [tf.ones([2, 3], tf.int32)] + [tf.ones([2, 3])] * (n - 1)
    yield [tf.constant(1.0)] * n


def test_the_walk_finds_the_composites():
    names = dict(_composites())
    assert {"pad", "tensordot", "squared_difference", "l2_normalize", "reduce_std", "moments"} <= set(names)
    assert len(names) > 100


@pytest.mark.parametrize("name, fn", _composites(), ids=[n for n, _ in _composites()])
def test_composite_errors_name_the_composite(name, fn):
    params = inspect.signature(fn).parameters.values()
    required = [p for p in params if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    for args in _bad_calls(max(len(required), 1)):
        try:
            fn(*args)
        except (ValueError, TypeError) as e:  # InvalidArgumentError is a ValueError
            assert str(e).startswith((name + ":", name + "(")), f"{name}{tuple(map(type, args))}: {e}"


@pytest.mark.parametrize("call, message", [
    (lambda: tf.pad(tf.ones([2]), [[1, 1]], constant_values=[1.0, 2.0]), "pad: value must be a scalar"),
    (lambda: tf.math.squared_difference(tf.ones([2], tf.int32), tf.ones([2])), "squared_difference: cannot combine"),
    (lambda: tf.reduce_std(tf.ones([2], tf.int32)), "reduce_std: expects a float tensor"),
    (lambda: tf.nn.moments(tf.ones([2, 3]), [5]), "moments: axis 5 is out of range"),
    (lambda: tf.tensordot(tf.ones([2, 3]), tf.ones([3, 2]), [[5], [0]]), "tensordot: axis 5 is out of range"),
    (lambda: tf.math.confusion_matrix([0, -1], [1, 1], 3), r"confusion_matrix: labels and predictions must be in"),
    (lambda: tf.math.in_top_k([0, 1], [[1.0, 2.0]], 1), r"in_top_k: expects predictions of shape"),
])
def test_inner_op_names_are_replaced_by_the_public_one(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_renaming_keeps_type_traceback_and_calls_into_user_code():
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        tf.pad(tf.ones([2]), [[1, 1]], constant_values=[1.0, 2.0])
    assert any(f.name == "fill" for f in info.traceback), "the inner frames stay in the traceback"
    # map_fn runs the user's function: an error of the user's own op keeps that op's name.
    with pytest.raises(tf.errors.InvalidArgumentError, match="^reshape: "):
        tf.map_fn(lambda r: tf.reshape(r, [7]), tf.ones([2, 3]))


def test_in_top_k_out_of_range_targets_are_not_in_the_top_k():
    got = tf.math.in_top_k([0, 5, -1, 2], tf.constant([[3.0, 1.0, 2.0]] * 4), 1).numpy()
    assert got.tolist() == [True, False, False, False]


def test_tensordot_pairs_axes_in_the_given_order():
    import numpy as np

    a, b = np.random.default_rng(0).random((2, 3, 4)), np.random.default_rng(1).random((4, 3, 5))
    np.testing.assert_allclose(tf.tensordot(a, b, [[1, 2], [1, 0]]).numpy(), np.tensordot(a, b, [[1, 2], [1, 0]]))
    np.testing.assert_allclose(tf.tensordot(a, b, ([-1], [0])).numpy(), np.tensordot(a, b, ([2], [0])))
