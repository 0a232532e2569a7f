"""keras.datasets loaders on small archives written here in the standard formats
(nothing touches the network: downloads are served from memory)."""

import gzip
import hashlib
import io
import os
import pickle
import tarfile
import urllib.error

import numpy as np
import pytest

from tensorlet.keras import datasets
from tensorlet.keras.utils import file_utils


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    os.makedirs(tmp_path / "datasets")
    monkeypatch.setattr(file_utils.urllib.request, "urlopen", _offline)
    return tmp_path


def _offline(url, timeout=None):
    raise urllib.error.URLError("network is unreachable")


def _place(home, module, name, data, subdir="datasets"):
    """Writes ``data`` to the cache and makes ``module`` expect its checksum."""
    path = home / subdir / os.path.basename(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    module.FILES[name] = hashlib.sha256(data).hexdigest()
    return path


def _npz(**arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


@pytest.fixture(autouse=True)
def _restore_hashes():
    saved = {m: dict(m.FILES) for m in (datasets.mnist, datasets.fashion_mnist, datasets.boston_housing,
                                        datasets.imdb, datasets.reuters, datasets.cifar10, datasets.cifar100)}
    yield
    for m, files in saved.items():
        m.FILES.clear()
        m.FILES.update(files)


def test_mnist(home, rng):
    x = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    y = np.arange(5, dtype=np.uint8)
    _place(home, datasets.mnist, "mnist.npz", _npz(x_train=x, y_train=y, x_test=x[:2], y_test=y[:2]))
    (xt, yt), (xs, ys) = datasets.mnist.load_data()
    np.testing.assert_array_equal(xt, x)
    assert xt.dtype == np.uint8 and yt.dtype == np.uint8 and xs.shape == (2, 28, 28) and ys.tolist() == [0, 1]


def test_fashion_mnist_idx_files(home, rng):
    def idx(array, magic):
        header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
        return gzip.compress(header + array.tobytes())

    x = rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    y = np.array([9, 0, 4], np.uint8)
    sub = os.path.join("datasets", "fashion-mnist")
    for split in ("train", "t10k"):
        _place(home, datasets.fashion_mnist, f"{split}-images-idx3-ubyte.gz", idx(x, 2051), sub)
        _place(home, datasets.fashion_mnist, f"{split}-labels-idx1-ubyte.gz", idx(y, 2049), sub)
    (xt, yt), (xs, ys) = datasets.fashion_mnist.load_data()
    np.testing.assert_array_equal(xt, x)
    assert yt.tolist() == [9, 0, 4] and xs.shape == (3, 28, 28) and ys.dtype == np.uint8


def test_boston_housing_split_as_keras(home, rng):
    x, y = rng.normal(size=(10, 13)), rng.normal(size=10)
    _place(home, datasets.boston_housing, "boston_housing.npz", _npz(x=x, y=y))
    (xt, yt), (xs, ys) = datasets.boston_housing.load_data(test_split=0.3, seed=5)
    order = np.arange(10)
    np.random.RandomState(5).shuffle(order)
    np.testing.assert_array_equal(xt, x[order[:7]])
    np.testing.assert_array_equal(ys, y[order[7:]])
    with pytest.raises(ValueError, match="test_split"):
        datasets.boston_housing.load_data(test_split=1.5)


def _ragged(lists):
    out = np.empty(len(lists), dtype=object)
    out[:] = lists
    return out


def test_imdb_preprocessing_matches_keras(home):
    train = [[5, 1, 2], [3, 3], [7, 8, 9, 10], [1]]
    test = [[2, 2], [9]]
    _place(home, datasets.imdb, "imdb.npz", _npz(x_train=_ragged(train), y_train=np.array([0, 1, 1, 0]),
                                                 x_test=_ragged(test), y_test=np.array([1, 0])))
    (xt, yt), (xs, ys) = datasets.imdb.load_data(num_words=11, seed=7)
    rng = np.random.RandomState(7)
    o_train, o_test = np.arange(4), np.arange(2)
    rng.shuffle(o_train)
    rng.shuffle(o_test)
    expect = [[1] + [w + 3 if w + 3 < 11 else 2 for w in train[i]] for i in o_train]
    assert xt.dtype == object and [list(x) for x in xt] == expect
    assert yt.tolist() == [[0, 1, 1, 0][i] for i in o_train]
    assert [list(x) for x in xs] == [[1] + [w + 3 if w + 3 < 11 else 2 for w in test[i]] for i in o_test]
    (xt, _), _ = datasets.imdb.load_data(maxlen=4, start_char=None, index_from=0, oov_char=None, skip_top=2)
    # The review of 4 words is dropped; ids below skip_top=2 or from num_words (the largest id, 9) are removed.
    assert sorted(map(list, xt)) == [[], [3, 3], [5, 2]]
    _place(home, datasets.imdb, "imdb_word_index.json", b'{"the": 1}')
    assert datasets.imdb.get_word_index() == {"the": 1}


def test_reuters_and_refusing_foreign_pickles(home):
    xs = [[1, 2], [3], [4, 5, 6], [7], [8]]
    _place(home, datasets.reuters, "reuters.npz", _npz(x=_ragged(xs), y=np.arange(5)))
    (xt, yt), (xs_, ys) = datasets.reuters.load_data(test_split=0.4)
    assert len(xt) == 3 and len(xs_) == 2 and sorted(yt.tolist() + ys.tolist()) == list(range(5))
    assert len(datasets.reuters.get_label_names()) == 46

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    evil = np.empty(1, dtype=object)
    evil[0] = Evil()
    _place(home, datasets.reuters, "reuters.npz", _npz(x=evil, y=np.arange(1)))
    with pytest.raises(pickle.UnpicklingError, match="Refusing"):
        datasets.reuters.load_data()


def _cifar_batch(images, labels, key):
    return pickle.dumps({b"batch_label": b"x", b"data": images.transpose(0, 3, 1, 2).reshape(len(images), -1),
                         key: list(labels)}, protocol=2)


def _tar(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_cifar10_from_archive_and_folder(home, rng):
    imgs = rng.integers(0, 256, size=(6, 2, 32, 32, 3), dtype=np.uint8)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    members = {f"cifar-10-batches-py/{n}": _cifar_batch(imgs[i], [i, i + 1], b"labels") for i, n in enumerate(names)}
    _place(home, datasets.cifar10, "cifar-10-python.tar.gz", _tar(members))
    (xt, yt), (xs, ys) = datasets.cifar10.load_data()
    assert xt.shape == (10, 32, 32, 3) and yt.shape == (10, 1) and yt.dtype == np.uint8
    np.testing.assert_array_equal(xt[2:4], imgs[1])
    np.testing.assert_array_equal(xs, imgs[5])
    assert ys.ravel().tolist() == [5, 6]
    os.remove(home / "datasets" / "cifar-10-python.tar.gz")
    folder = home / "datasets" / "cifar-10-batches-py"
    folder.mkdir()
    for name, data in members.items():
        (home / "datasets" / name).write_bytes(data)
    np.testing.assert_array_equal(datasets.cifar10.load_data()[0][0], xt)


def test_cifar100_labels(home, rng):
    imgs = rng.integers(0, 256, size=(2, 32, 32, 3), dtype=np.uint8)
    batch = pickle.dumps({b"data": imgs.transpose(0, 3, 1, 2).reshape(2, -1), b"fine_labels": [42, 7],
                          b"coarse_labels": [3, 1]})
    _place(home, datasets.cifar100, "cifar-100-python.tar.gz",
           _tar({"cifar-100-python/train": batch, "cifar-100-python/test": batch}))
    assert datasets.cifar100.load_data()[0][1].ravel().tolist() == [42, 7]
    assert datasets.cifar100.load_data("coarse")[1][1].ravel().tolist() == [3, 1]
    with pytest.raises(ValueError, match="label_mode"):
        datasets.cifar100.load_data("medium")


# ---- downloading ------------------------------------------------------------------------------------
class _Response(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.headers = {"Content-Length": str(len(data))}


def test_offline_error_names_the_file_and_where_to_put_it(home):
    with pytest.raises(OSError, match=r"mnist.npz.*network is unreachable.*put it at .*datasets/mnist.npz"):
        datasets.mnist.load_data()
    assert os.listdir(home / "datasets") == []


def test_download_progress_checksum_and_rename(home, monkeypatch, capsys):
    payload = _npz(x=np.zeros((4, 13)), y=np.ones(4))
    served = []

    def serve(url, timeout=None):
        served.append(url)
        return _Response(payload)

    monkeypatch.setattr(file_utils.urllib.request, "urlopen", serve)
    datasets.boston_housing.FILES["boston_housing.npz"] = hashlib.sha256(payload).hexdigest()
    (xt, _), _ = datasets.boston_housing.load_data()
    assert xt.shape == (3, 13) and served == [datasets._files.ORIGIN + "boston_housing.npz"]
    out = capsys.readouterr().out
    assert "Downloading data from" in out and str(len(payload)) in out
    assert os.listdir(home / "datasets") == ["boston_housing.npz"]
    datasets.boston_housing.load_data()  # cached: no second download
    assert len(served) == 1

    datasets.mnist.FILES["mnist.npz"] = "0" * 64
    monkeypatch.setattr(file_utils.urllib.request, "urlopen", lambda url, timeout=None: _Response(b"garbage"))
    with pytest.raises(ValueError, match="does not match its published SHA256"):
        datasets.mnist.load_data()
    assert os.listdir(home / "datasets") == ["boston_housing.npz"]  # nothing half-written


def test_a_corrupted_cached_file_is_downloaded_again(home, monkeypatch):
    good = _npz(x=np.zeros((2, 13)), y=np.ones(2))
    datasets.boston_housing.FILES["boston_housing.npz"] = hashlib.sha256(good).hexdigest()
    (home / "datasets" / "boston_housing.npz").write_bytes(b"truncated")
    with pytest.raises(OSError, match="does not match its published checksum"):
        datasets.boston_housing.load_data()
    monkeypatch.setattr(file_utils.urllib.request, "urlopen", lambda url, timeout=None: _Response(good))
    assert datasets.boston_housing.load_data(test_split=0.5)[0][0].shape == (1, 13)


def test_get_file_extracts_archives_safely(home, monkeypatch):
    from tensorlet.keras.utils import get_file

    tgz = _tar({"flowers/roses/a.txt": b"rose", "flowers/tulips/b.txt": b"tulip"})
    monkeypatch.setattr(file_utils.urllib.request, "urlopen", lambda url, timeout=None: _Response(tgz))
    folder = get_file("flowers", origin="https://example.invalid/flowers.tgz", untar=True, verbose=0)
    assert sorted(os.listdir(folder)) == ["roses", "tulips"]
    assert open(os.path.join(folder, "roses", "a.txt")).read() == "rose"
    archive = get_file("f2.tar.gz", origin="https://example.invalid/f2.tgz", extract=True, verbose=0)
    assert archive.endswith("f2.tar.gz") and os.path.exists(home / "datasets" / "flowers" / "tulips" / "b.txt")
    evil = _tar({"../escaped.txt": b"x"})
    monkeypatch.setattr(file_utils.urllib.request, "urlopen", lambda url, timeout=None: _Response(evil))
    with pytest.raises(ValueError, match="outside"):
        get_file("evil.tar.gz", origin="https://example.invalid/evil.tgz", extract=True, verbose=0)
    assert not (home / "escaped.txt").exists()
