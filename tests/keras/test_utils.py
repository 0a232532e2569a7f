"""keras.utils: to_categorical, normalize, set_random_seed, plot_model, and datasets from folders."""

import os
import shutil

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import keras
from tensorlet.keras import layers, utils


def test_to_categorical_and_normalize():
    np.testing.assert_array_equal(utils.to_categorical([[0], [2]], 3), [[1, 0, 0], [0, 0, 1]])
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x, axis=0, order=1), [[1.0, 1.0], [0.0, 0.0]])


def test_set_random_seed_repeats_everything():
    utils.set_random_seed(3)
    a = (np.random.rand(), tf.random.uniform((2,)).numpy(), keras.layers.Dense(2)(np.ones((1, 2))).numpy())
    utils.set_random_seed(3)
    b = (np.random.rand(), tf.random.uniform((2,)).numpy(), keras.layers.Dense(2)(np.ones((1, 2))).numpy())
    assert a[0] == b[0]
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[2], b[2])


def _functional():
    a = keras.Input(shape=(4,), name="in")
    h = layers.Dense(3, activation="relu", name="hidden")(a)
    return keras.Model(a, layers.Concatenate(name="cat")([h, a]))


def test_plot_model_dot_source(tmp_path):
    path = tmp_path / "m.dot"
    utils.plot_model(_functional(), to_file=str(path), show_shapes=True, show_layer_activations=True)
    text = path.read_text()
    assert "hidden (Dense)" in text and "output: (None, 7)" in text and "activation: relu" in text
    assert text.count("->") == 3  # in -> hidden, hidden -> cat, in -> cat
    seq = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1)])
    utils.plot_model(seq, to_file=str(tmp_path / "s.dot"))
    assert (tmp_path / "s.dot").read_text().count("->") == 1


def test_plot_model_image_needs_graphviz(tmp_path):
    if shutil.which("dot") is None:
        with pytest.raises(ImportError, match="apt-get install graphviz"):
            utils.plot_model(_functional(), to_file=str(tmp_path / "m.png"))
    else:
        utils.plot_model(_functional(), to_file=str(tmp_path / "m.png"))
        assert (tmp_path / "m.png").read_bytes()[:4] == b"\x89PNG"


def _texts(root):
    for cls, texts in (("neg", ["bad", "awful film", "meh"]), ("pos", ["great", "loved it"])):
        os.makedirs(root / cls)
        for i, t in enumerate(texts):
            (root / cls / f"{i}.txt").write_text(t)
    (root / "pos" / "notes.md").write_text("ignored")


def test_text_dataset_from_directory(tmp_path, capsys):
    _texts(tmp_path)
    ds = utils.text_dataset_from_directory(str(tmp_path), batch_size=2, shuffle=False)
    assert ds.class_names == ["neg", "pos"] and "Found 5 files belonging to 2 classes." in capsys.readouterr().out
    got = [(t.numpy().tolist(), y.numpy().tolist()) for t, y in ds]
    assert got == [([b"bad", b"awful film"], [0, 0]), ([b"meh", b"great"], [0, 1]), ([b"loved it"], [1])]
    assert all(type(t) is bytes for t, _ in ds.unbatch().as_numpy_iterator())
    assert ds.element_spec[1].dtype == tf.int32
    one_hot = utils.text_dataset_from_directory(str(tmp_path), label_mode="categorical", shuffle=False,
                                                max_length=3, verbose=False)
    texts, labels = next(iter(one_hot))
    assert texts.dtype == tf.string and texts.numpy().tolist() == [b"bad", b"awf", b"meh", b"gre", b"lov"]
    assert labels.numpy()[3].tolist() == [0, 1]
    train, val = utils.text_dataset_from_directory(str(tmp_path), validation_split=0.4, subset="both", seed=1,
                                                   verbose=False)
    names = [t for ds_ in (train, val) for batch, _ in ds_ for t in batch.numpy().tolist()]
    assert len(train.file_paths) == 3 and len(val.file_paths) == 2 and len(set(names)) == 5
    with pytest.raises(ValueError, match="seed"):
        utils.text_dataset_from_directory(str(tmp_path), validation_split=0.2, subset="training")
    os.makedirs(tmp_path / "third")
    (tmp_path / "third" / "x.txt").write_text("x")
    with pytest.raises(ValueError, match="binary"):
        utils.text_dataset_from_directory(str(tmp_path), label_mode="binary", verbose=False)
    with pytest.raises(ValueError, match="no files"):
        utils.text_dataset_from_directory(str(tmp_path / "neg"), verbose=False)


def test_image_dataset_from_directory(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    colors = {"blue": (0, 0, 255), "red": (255, 0, 0)}
    for cls, rgb in colors.items():
        os.makedirs(tmp_path / cls)
        for i in range(3):
            Image.new("RGB", (8 + i, 6), rgb).save(tmp_path / cls / f"{i}.png")
    ds = utils.image_dataset_from_directory(str(tmp_path), image_size=(4, 5), batch_size=4, seed=2, verbose=False)
    assert ds.class_names == ["blue", "red"]
    images, labels = [np.concatenate(parts) for parts in zip(*((x.numpy(), y.numpy()) for x, y in ds))]
    assert images.shape == (6, 4, 5, 3) and images.dtype == np.float32 and sorted(labels.tolist()) == [0, 0, 0, 1, 1, 1]
    for img, label in zip(images, labels):  # each image is its class's solid colour
        np.testing.assert_array_equal(img[0, 0], colors[ds.class_names[label]])
    gray = utils.image_dataset_from_directory(str(tmp_path), color_mode="grayscale", image_size=(6, 8),
                                              label_mode=None, shuffle=False, verbose=False)
    assert tuple(next(iter(gray)).shape) == (6, 6, 8, 1)
    model = keras.Sequential([keras.Input(shape=(4, 5, 3)), layers.Flatten(), layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(ds.map(lambda x, y: (x / 255.0, y)), epochs=1, verbose=0)
