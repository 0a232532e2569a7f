"""keras.applications: parameter counts and shapes as Keras reports them
(VGG16's 138,357,544 with its top is left out here: 550 MB of weights)."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet.keras import applications


@pytest.mark.parametrize("make,kwargs,params,out", [
    (applications.ResNet50, {}, 25_636_712, (None, 1000)),
    (applications.MobileNetV2, {}, 3_538_984, (None, 1000)),
    (applications.VGG16, {"include_top": False}, 14_714_688, (None, None, None, 512)),
    (applications.VGG19, {"include_top": False, "pooling": "max"}, 20_024_384, (None, 512)),
    (applications.MobileNetV2, {"alpha": 0.5, "include_top": False, "input_shape": (96, 96, 3)}, 706_224,
     (None, 3, 3, 1280)),
    (applications.ResNet50, {"include_top": False, "pooling": "avg", "input_shape": (64, 64, 3)}, 23_587_712,
     (None, 2048)),
])
def test_parameter_counts(make, kwargs, params, out):
    model = make(**kwargs)
    assert model.count_params() == params
    assert tuple(model.output_shape) == out


def test_layer_shapes_and_a_forward_pass():
    model = applications.ResNet50(weights=None, input_shape=(32, 32, 3), classes=7)
    names = {l.name: l for l in model.layers}
    assert names["conv1_conv"].output_shape == (None, 16, 16, 64)
    assert names["conv5_block3_out"].output_shape == (None, 1, 1, 2048)
    y = model(np.random.default_rng(0).standard_normal((2, 32, 32, 3)).astype(np.float32)).numpy()
    assert y.shape == (2, 7)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)
    small = applications.MobileNetV2(input_shape=(33, 35, 3), alpha=0.35, include_top=False)
    assert small(np.zeros((1, 33, 35, 3), np.float32)).shape == tuple(d or 1 for d in small.output_shape)


def test_weights_must_be_local():
    with pytest.raises(ValueError, match="download"):
        applications.VGG16(weights="imagenet")
    with pytest.raises(ValueError, match="no such file"):
        applications.ResNet50(weights="/nonexistent/resnet.h5")
    with pytest.raises(ValueError, match="input_shape"):
        applications.MobileNetV2(input_shape=(64, 64, 1))


def test_preprocess_input_and_local_weights(tmp_path, rng):
    x = rng.uniform(0, 255, (2, 4, 4, 3)).astype(np.float32)
    want = x[..., ::-1] - np.array([103.939, 116.779, 123.68], np.float32)
    np.testing.assert_allclose(applications.vgg16.preprocess_input(x), want, rtol=1e-6)
    np.testing.assert_allclose(applications.resnet50.preprocess_input(tf.constant(x)).numpy(), want, rtol=1e-6)
    np.testing.assert_allclose(applications.mobilenet_v2.preprocess_input(x), x / 127.5 - 1, rtol=1e-6)
    model = applications.mobilenet_v2.MobileNetV2(input_shape=(32, 32, 3), alpha=0.35, classes=3)
    path = str(tmp_path / "m.weights.npz")
    model.save_weights(path)
    again = applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.35, classes=3, weights=path)
    images = rng.uniform(0, 1, (2, 32, 32, 3)).astype(np.float32)
    np.testing.assert_array_equal(again(images).numpy(), model(images).numpy())
