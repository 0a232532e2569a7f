"""Every public layer, optimizer, loss, metric, initializer, regularizer and
schedule survives get_config -> JSON -> from_config with non-default settings."""

import inspect
import json

import numpy as np
import pytest

from tensorlet import keras
from tensorlet.keras import initializers, layers, losses, metrics, optimizers, regularizers
from tensorlet.keras.optimizers import schedules
from tensorlet.keras.saving.serialization import serialize_keras_object


@keras.saving.register_keras_serializable(package="Tests")
def doubled(x):
    return x * 2.0


# Arguments without a default, per class.
REQUIRED = {
    "Dense": {"units": 5}, "Activation": {"activation": "tanh"}, "Dropout": {"rate": 0.3},
    "Reshape": {"target_shape": (2, 3)}, "Lambda": {"function": doubled},
    "ExponentialDecay": {"initial_learning_rate": 0.5, "decay_steps": 7, "decay_rate": 0.8},
    "InverseTimeDecay": {"initial_learning_rate": 0.5, "decay_steps": 7, "decay_rate": 0.8},
    "PiecewiseConstantDecay": {"boundaries": [3, 9], "values": [0.5, 0.2, 0.1]},
    "SensitivityAtSpecificity": {"value": 0.4}, "SpecificityAtSensitivity": {"value": 0.6},
    "PrecisionAtRecall": {"recall": 0.7}, "RecallAtPrecision": {"precision": 0.3},
    "IoU": {"num_classes": 4, "target_class_ids": [1, 3]}, "OneHotIoU": {"num_classes": 4, "target_class_ids": [2]},
    "MeanIoU": {"num_classes": 4}, "OneHotMeanIoU": {"num_classes": 4},
    "BinaryIoU": {"target_class_ids": [1]}, "R2Score": {"class_aggregation": None},
    "PolynomialDecay": {"initial_learning_rate": 0.5, "decay_steps": 7},
    "CosineDecay": {"initial_learning_rate": 0.5, "decay_steps": 7, "warmup_target": 0.9},
    "MeanMetricWrapper": {"fn": metrics.binary_accuracy}, "LossFunctionWrapper": {"fn": losses.huber},
    # layers that may be added later: their required arguments
    "Conv1D": {"filters": 4, "kernel_size": 3}, "Conv2D": {"filters": 4, "kernel_size": 3},
    "Conv3D": {"filters": 4, "kernel_size": 3},
    "Conv2DTranspose": {"filters": 4, "kernel_size": 3}, "SeparableConv2D": {"filters": 4, "kernel_size": 3},
    "DepthwiseConv2D": {"kernel_size": 3},
    "Embedding": {"input_dim": 10, "output_dim": 4, "sparse": False},  # sparse: not implemented
    "TextVectorization": {}, "Rescaling": {"scale": 0.5}, "Normalization": {},
    "Dot": {"axes": 1}, "GaussianDropout": {"rate": 0.3}, "GaussianNoise": {"stddev": 0.2},
    "SpatialDropout1D": {"rate": 0.3}, "SpatialDropout2D": {"rate": 0.3}, "SpatialDropout3D": {"rate": 0.3},
    "CenterCrop": {"height": 4, "width": 5}, "Resizing": {"height": 4, "width": 5},
    "RandomContrast": {"factor": 0.2}, "RandomRotation": {"factor": 0.1}, "RandomZoom": {"height_factor": 0.1},
    "RandomTranslation": {"height_factor": 0.1, "width_factor": 0.2}, "RandomCrop": {"height": 3, "width": 4},
    "RandomBrightness": {"factor": 0.2},
    "SimpleRNN": {"units": 4}, "SimpleRNNCell": {"units": 4}, "LSTM": {"units": 4}, "LSTMCell": {"units": 4},
    "GRU": {"units": 4}, "GRUCell": {"units": 4},
    "RNN": {"cell": layers.LSTMCell(3, name="cell"), "stateful": False},  # stateful: not implemented
    "Permute": {"dims": (2, 1)}, "RepeatVector": {"n": 3},
    "Bidirectional": {"layer": layers.LSTM(3, name="inner"), "backward_layer": layers.GRU(3, go_backwards=True)},
    "TimeDistributed": {"layer": layers.Dense(3, name="inner")},
    # where the value by argument name below does not fit this class's argument
    "RandomFlip": {"mode": "vertical"}, "ZeroPadding2D": {"padding": ((1, 2), (3, 4))},
    "ZeroPadding3D": {"padding": ((1, 2), (3, 4), (0, 1))}, "Cropping3D": {"cropping": ((1, 0), (2, 1), (0, 2))},
    "ZeroPadding1D": {"padding": (2, 3)}, "Cropping1D": {"cropping": (0, 2)},
}
# Non-default values for optional arguments, by argument name.
BY_NAME = {
    "reduction": "sum", "mode": "fan_avg", "distribution": "uniform", "curve": "PR",
    "summation_method": "minoring", "data_format": "channels_first", "seed": 7, "noise_shape": [1, 3],
    "max_value": 6.0, "clipnorm": 1.5, "clipvalue": 0.5, "global_clipnorm": 2.5, "weight_decay": 0.01,
    "kernel_regularizer": regularizers.L2(0.05), "bias_regularizer": "l1", "activity_regularizer": None,
    "activation": "tanh", "class_id": 1, "thresholds": 0.3, "top_k": 2, "ignore_class": 3, "dtype": "float64",
    "input_shape": (3,), "kernel_initializer": initializers.RandomNormal(0.5, 0.2, seed=3),
    "bias_initializer": "ones", "output_shape": [4], "num_labels": 3, "label_weights": [1.0, 2.0, 3.0],
    "momentum": 0.9, "beta_1": 0.5, "rho": 0.8, "value": 2.5, "axis": 1, "threshold": 0.25,
    "shape": (4,), "batch_size": 8, "batch_shape": None, "learning_rate": 0.0321, "padding": "same",
    "interpolation": "nearest", "strides": 2, "output_padding": 1, "depthwise_initializer": "ones",
    "pointwise_initializer": "ones", "embeddings_initializer": "ones", "beta_initializer": "ones",
    "gamma_initializer": "zeros", "moving_mean_initializer": "ones", "moving_variance_initializer": "zeros",
    "mean": 0.5, "variance": 2.0, "cropping": ((1, 0), (2, 1)), "average": "macro", "input_length": 6,
    "depthwise_regularizer": "l2", "embeddings_regularizer": "l2", "beta_regularizer": "l1", "gamma_regularizer": "l2",
    "fill_mode": "nearest", "width_factor": 0.2, "recurrent_activation": "hard_sigmoid",
    "recurrent_initializer": "glorot_uniform", "recurrent_regularizer": "l1", "merge_mode": "sum",
}
SKIP_ARGS = {"kernel_constraint", "bias_constraint", "embeddings_constraint", "beta_constraint", "gamma_constraint",
             "recurrent_constraint", "weights", "name", "trainable", "batch_input_shape", "input_dim"}


def _alternative(name, default):
    if name in BY_NAME:
        return BY_NAME[name]
    if isinstance(default, bool):
        return not default
    if isinstance(default, int):
        return default + 3
    if isinstance(default, float):
        value = 0.5 * default + 0.25
        return value if value != default else value + 0.1
    if isinstance(default, tuple) and all(isinstance(d, int) for d in default):
        return tuple(d + 1 for d in default)
    raise AssertionError(f"no non-default value for argument {name!r} (default {default!r}): add it to BY_NAME")


def _public_classes():
    found = []
    for module, base in ((layers, layers.Layer), (optimizers, optimizers.Optimizer), (losses, losses.Loss),
                         (metrics, metrics.Metric), (initializers, initializers.Initializer),
                         (regularizers, regularizers.Regularizer), (schedules, schedules.LearningRateSchedule)):
        for name, cls in sorted(vars(module).items()):
            if (not name.startswith("_") and isinstance(cls, type) and issubclass(cls, base)
                    and name == cls.__name__ and not inspect.isabstract(cls)):
                found.append(cls)
    return sorted(set(found), key=lambda c: (c.__module__, c.__name__))


def _arguments(cls):
    if cls is layers.InputLayer:  # shape and batch_size are saved together, as batch_shape
        return {"batch_shape": [8, 4], "dtype": "float64", "name": "custom_input"}
    kwargs = dict(REQUIRED.get(cls.__name__, {}))
    for name, p in list(inspect.signature(cls.__init__).parameters.items())[1:]:
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) or name in kwargs or name in SKIP_ARGS:
            continue
        if p.default is p.empty:
            raise AssertionError(f"{cls.__name__}: required argument {name!r}: add it to REQUIRED")
        kwargs[name] = _alternative(name, p.default)
    if issubclass(cls, layers.Layer) and cls is not layers.InputLayer:
        kwargs.update(name="custom_layer", trainable=False)
    elif "name" in inspect.signature(cls.__init__).parameters:
        kwargs["name"] = "custom_name"
    if cls is metrics.AUC:
        kwargs.pop("thresholds")  # given thresholds replace num_thresholds
    return kwargs


def _same_setting(saved, given):
    """Equal, or an int widened to one value per spatial axis (kernel_size=3
    saved as [3, 3]), as Keras normalizes such arguments."""
    if isinstance(given, int) and not isinstance(given, bool) and isinstance(saved, list):
        return len(saved) > 0 and all(v == given for v in saved)
    return saved == given


def _json(x):
    return json.loads(json.dumps(x))


CLASSES = _public_classes()


def test_the_walk_finds_every_family():
    names = {c.__name__ for c in CLASSES}
    assert {"Dense", "SGD", "Adam", "Huber", "AUC", "GlorotUniform", "L1L2", "ExponentialDecay"} <= names


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: f"{c.__module__.split('.')[-1]}.{c.__name__}")
def test_config_round_trip(cls):
    kwargs = _arguments(cls)
    obj = cls(**kwargs)
    config = _json(obj.get_config())
    for name, value in kwargs.items():
        assert name in config, f"{cls.__name__}.get_config() lacks {name!r}"
        assert _same_setting(config[name], _json(serialize_keras_object(value))), f"{cls.__name__}: {name}"
    again = cls.from_config(config)
    assert type(again) is cls
    assert _json(again.get_config()) == config
    for name in kwargs:  # the rebuilt object holds the setting, not just its config
        if hasattr(obj, name) and name not in ("name",):
            assert _json(serialize_keras_object(getattr(again, name))) == \
                _json(serialize_keras_object(getattr(obj, name))), f"{cls.__name__}.{name}"


def test_optimizer_settings_survive():
    sgd = optimizers.SGD.from_config(_json(optimizers.SGD(momentum=0.9, nesterov=True).get_config()))
    assert sgd.momentum == 0.9 and sgd.nesterov is True
    adam = optimizers.Adam.from_config(_json(optimizers.Adam(beta_1=0.5, amsgrad=True).get_config()))
    assert adam.beta_1 == 0.5 and adam.amsgrad is True
    sched = schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True)
    opt = optimizers.RMSprop.from_config(_json(optimizers.RMSprop(sched, rho=0.7).get_config()))
    assert isinstance(opt._learning_rate, schedules.ExponentialDecay) and opt._learning_rate(20) == 0.1 * 0.25
    assert opt.rho == 0.7


def test_learning_rate_set_later_is_saved():
    opt = optimizers.SGD(0.1)
    opt.learning_rate = 0.05
    assert optimizers.SGD.from_config(opt.get_config()).learning_rate == 0.05


def test_layer_objects_in_config_are_rebuilt():
    dense = layers.Dense(3, kernel_regularizer=regularizers.L1L2(0.1, 0.2),
                         kernel_initializer=initializers.Constant(0.5))
    again = layers.Dense.from_config(_json(dense.get_config()))
    assert isinstance(again.kernel_regularizer, regularizers.L1L2) and again.kernel_regularizer.l2 == 0.2
    again.build((None, 2))
    np.testing.assert_array_equal(again.kernel.numpy(), np.full((2, 3), 0.5, np.float32))


def test_lambda_functions_cannot_be_saved():
    layer = layers.Lambda(lambda x: x + 1)
    with pytest.raises(ValueError, match="lambda"):
        layer.get_config()


def test_functional_model_config_rebuilds_the_graph(rng):
    a = keras.Input(shape=(4,), name="a")
    b = keras.Input(shape=(3,), name="b")
    shared = layers.Dense(5, activation="relu", name="shared")
    h = layers.Concatenate(name="cat")([shared(layers.Dense(4, name="pre")(a)), layers.Dense(5, name="side")(b)])
    out = layers.Dense(2, name="out")(layers.Add(name="add")([h, layers.Dense(10, name="h2")(h)]))
    model = keras.Model([a, b], out, name="two_inputs")
    config = _json(model.get_config())
    # Keras's order (by depth from the output, then first visit), as Keras 3.15 lists this model's layers.
    assert [l["name"] for l in config["layers"]] == ["a", "pre", "b", "shared", "side", "cat", "h2", "add", "out"]
    cat = next(l for l in config["layers"] if l["name"] == "cat")
    assert [t["config"]["keras_history"][0] for t in cat["inbound_nodes"][0]["args"][0]] == ["shared", "side"]
    again = keras.Model.from_config(config)
    assert [l.name for l in again.layers] == [l.name for l in model.layers]
    again.set_weights(model.get_weights())
    x = [rng.normal(size=(6, 4)).astype("float32"), rng.normal(size=(6, 3)).astype("float32")]
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


def test_functional_model_with_a_layer_called_twice():
    x = keras.Input(shape=(3,))
    dense = layers.Dense(3, name="twice")
    model = keras.Model(x, dense(dense(x)))
    again = keras.Model.from_config(_json(model.get_config()))
    assert len(again.get_layer("twice")._inbound_nodes) == 2
    again.set_weights(model.get_weights())
    data = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(again.predict(data, verbose=0), model.predict(data, verbose=0))


def test_sequential_config_keeps_input_and_build_shape():
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="relu"), layers.Dense(1)])
    again = keras.Sequential.from_config(_json(model.get_config()))
    assert again.built and [tuple(w.shape) for w in again.weights] == [(4, 3), (3,), (3, 1), (1,)]
    lazy = keras.Sequential([layers.Dense(2)])
    lazy(np.zeros((5, 7), "float32"))
    rebuilt = keras.Sequential.from_config(_json(lazy.get_config()))
    assert rebuilt.built and tuple(rebuilt.weights[0].shape) == (7, 2)


def test_unknown_class_names_the_fix():
    with pytest.raises(ValueError, match="custom_objects"):
        keras.saving.deserialize_keras_object({"class_name": "NoSuchLayer", "config": {}})


def test_custom_objects_and_registration():
    class Scale(layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

    config = _json(serialize_keras_object(Scale(3.0)))
    with pytest.raises(ValueError, match="Scale"):
        keras.saving.deserialize_keras_object(config)
    assert keras.saving.deserialize_keras_object(config, custom_objects={"Scale": Scale}).factor == 3.0
    keras.saving.register_keras_serializable("Tests")(Scale)
    config = _json(serialize_keras_object(Scale(4.0)))
    assert config["registered_name"] == "Tests>Scale"
    assert keras.saving.deserialize_keras_object(config).factor == 4.0
