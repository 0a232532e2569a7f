"""The top-level TensorFlow surface: lazy tf.keras, version, newaxis, print,
nest, Module, name_scope, TensorSpec, and the error for names tensorlet lacks."""

import subprocess
import sys

import pytest

import tensorlet as tf


def test_keras_is_an_attribute_loaded_lazily():
    code = ("import sys, tensorlet as tf; assert 'tensorlet.keras' not in sys.modules; "
            "m = tf.keras.Sequential; assert 'tensorlet.keras' in sys.modules; print(m.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "Sequential"
    from tensorlet import keras

    assert tf.keras is keras


def test_version_newaxis():
    assert tf.version.VERSION == tf.__version__
    assert tf.newaxis is None
    assert tf.constant([1.0, 2.0])[tf.newaxis, :].shape == (1, 2)


def test_print(capsys, tmp_path):
    tf.print(tf.constant([1, 2, 3]), "and", tf.constant([[1.5, 2.0], [3.0, 4.0]]))
    assert capsys.readouterr().err == "[1 2 3] and [[1.5 2]\n [3 4]]\n"
    tf.print(tf.range(10), output_stream=sys.stdout)
    assert capsys.readouterr().out == "[0 1 2 ... 7 8 9]\n"
    tf.print({"loss": tf.constant(0.5)}, summarize=-1, output_stream=sys.stdout)
    assert capsys.readouterr().out == "{'loss': 0.5}\n"
    path = tmp_path / "log.txt"
    tf.print(tf.constant(True), output_stream=f"file://{path}")
    assert path.read_text() == "True\n"
    with pytest.raises(TypeError, match="unexpected keyword"):
        tf.print(1, stream=sys.stdout)


def test_nest():
    s = {"b": [1, (2, 3)], "a": 4}
    assert tf.nest.flatten(s) == [4, 1, 2, 3]  # dicts by sorted key
    assert tf.nest.flatten(None) == [None]
    assert tf.nest.map_structure(lambda x, y: x + y, s, s) == {"b": [2, (4, 6)], "a": 8}
    assert tf.nest.pack_sequence_as(s, [40, 10, 20, 30]) == {"b": [10, (20, 30)], "a": 40}
    import collections

    P = collections.namedtuple("P", "x y")
    assert tf.nest.map_structure(lambda v: v * 2, P(1, [2])) == P(2, [4])
    tf.nest.assert_same_structure([1, (2,)], [5, (6,)])
    with pytest.raises(ValueError, match="same nested structure"):
        tf.nest.assert_same_structure([1, 2], [1, [2]])
    with pytest.raises(TypeError, match="same sequence type"):
        tf.nest.assert_same_structure([1, 2], (1, 2))
    with pytest.raises(ValueError, match="3 leaves"):
        tf.nest.pack_sequence_as([1, [2, 3]], [1, 2])
    assert tf.nest.is_nested([1]) and not tf.nest.is_nested(tf.constant(1))


class SmallDense(tf.Module):
    def __init__(self, n_in, n_out, name=None):
        super().__init__(name=name)
        self.w = tf.Variable(tf.ones((n_in, n_out)), name="w")
        self.b = tf.Variable(tf.zeros(n_out), trainable=False, name="b")

    @tf.Module.with_name_scope
    def __call__(self, x):
        return x @ self.w + self.b


class MLP(tf.Module):
    def __init__(self):
        super().__init__()
        self.layers = [SmallDense(3, 4), SmallDense(4, 2, name="head")]
        self.extra = {"scale": tf.Variable(2.0)}

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x * self.extra["scale"]


def test_module_collects_variables_and_submodules():
    m = MLP()
    assert m.name == "mlp" and SmallDense(1, 1).name == "small_dense"
    assert len(m.submodules) == 2 and m.submodules[1].name == "head"
    assert len(m.variables) == 5
    assert len(m.trainable_variables) == 3 and all(v.trainable for v in m.trainable_variables)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(m(tf.ones((1, 3))))
    grads = tape.gradient(y, m.trainable_variables)
    assert all(g is not None for g in grads)
    with m.name_scope as scope:
        assert scope == "mlp/" and tf.get_current_name_scope() == "mlp"
        with tf.name_scope("inner"):
            assert tf.get_current_name_scope() == "mlp/inner"
    assert tf.get_current_name_scope() == ""
    with pytest.raises(ValueError, match="not a valid module name"):
        tf.Module(name="1 bad")


def test_module_sees_keras_layers():
    from tensorlet import keras

    class Holder(tf.Module):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)
            self.dense.build((None, 3))

    h = Holder()
    assert len(h.trainable_variables) == 2 and h.submodules == (h.dense,)


def test_tensor_spec():
    spec = tf.TensorSpec(shape=(None, 3), dtype=tf.float32)
    assert repr(spec) == "TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)"
    assert spec.is_compatible_with(tf.zeros((5, 3)))
    assert not spec.is_compatible_with(tf.zeros((5, 4)))
    assert not spec.is_compatible_with(tf.zeros((5, 3), tf.int32))
    assert tf.TensorSpec.from_tensor(tf.zeros((2, 3))) == tf.TensorSpec((2, 3))
    assert spec.shape.as_list() == [None, 3]


def test_shapes_as_tf_accepts_them():
    assert tf.zeros(3).shape == (3,)
    assert tf.ones(tf.TensorShape([2, 3])).shape == (2, 3)
    assert tf.zeros(tf.constant([2, 1])).shape == (2, 1)
    with pytest.raises(TypeError, match="Cannot convert 3 to a tensorlet dtype"):
        tf.zeros(2, 3)  # TensorFlow rejects it too: the second argument is the dtype


@pytest.mark.parametrize("module,name,spelled", [
    ("tensorlet", "signal", "tf.signal"), ("tensorlet.math", "cumprod", "tf.math.cumprod"),
    ("tensorlet.nn", "conv3d_transpose", "tf.nn.conv3d_transpose"),
    ("tensorlet.keras.layers", "StringLookup", "keras.layers.StringLookup"),
    ("tensorlet.keras", "mixed_precision", "keras.mixed_precision")])
def test_missing_tf_names_say_so(module, name, spelled):
    import importlib

    m = importlib.import_module(module)
    with pytest.raises(AttributeError, match=f"tensorlet does not implement {spelled} yet"):
        getattr(m, name)
    assert not hasattr(m, name)


def test_unknown_names_get_the_usual_error():
    with pytest.raises(AttributeError, match="module 'tensorlet' has no attribute 'zeroes'"):
        tf.zeroes  # noqa: B018
    with pytest.raises(AttributeError, match="has no attribute '__wrapped__'"):
        tf.__wrapped__  # noqa: B018


def test_every_listed_name_is_present_or_says_so():
    """Every TF/Keras name in the list either resolves or raises the 'not implemented yet' error."""
    import importlib

    from tensorlet._missing import NotImplementedYetError
    from tensorlet._names import NAMES

    for ns, names in NAMES.items():
        mod = "tensorlet" + ns[2:] if ns.startswith("tf") else "tensorlet." + ns
        try:
            m = importlib.import_module(mod)
        except ImportError:
            continue  # a whole namespace missing: its parent reports it
        for n in names:
            try:
                getattr(m, n)
            except NotImplementedYetError:
                pass


def test_coverage_table_is_current():
    import pathlib

    tool = pathlib.Path(__file__).resolve().parent.parent / "tools" / "coverage.py"
    out = subprocess.run([sys.executable, str(tool), "--check"], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
