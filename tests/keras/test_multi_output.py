"""Several outputs: targets, losses, loss weights, metrics and sample weights
are matched to outputs by name (a dict) or position (a list); batches given
as lists; labels that do not fit the loss."""

import numpy as np
import pytest

from tensorlet import keras
from tensorlet.keras import layers

RNG = np.random.default_rng(0)
X = RNG.normal(size=(24, 4)).astype(np.float32)
PRICE = RNG.normal(size=(24, 1)).astype(np.float32)
DEPT = RNG.integers(0, 3, 24)


def _model():
    inp = keras.Input((4,), name="features")
    price = layers.Dense(1, name="price")(inp)
    dept = layers.Dense(3, activation="softmax", name="dept")(inp)
    return keras.Model(inp, [price, dept])


def _reference(model, w_price=1.0, w_dept=1.0, sw=None):
    p_price, p_dept = model.predict(X, verbose=0)
    sw = np.ones(len(X)) if sw is None else sw
    mse = (((p_price - PRICE) ** 2).mean(-1) * sw).sum() / len(X)
    ce = (-np.log(np.clip(p_dept[np.arange(len(X)), DEPT], 1e-7, 1)) * sw).sum() / len(X)
    mae = np.abs(p_price - PRICE).mean()
    acc = (p_dept.argmax(-1) == DEPT).mean()
    return w_price * mse + w_dept * ce, mse, ce, mae, acc


@pytest.mark.parametrize("eager", [False, True])
def test_dict_targets_are_matched_by_output_name_whatever_their_order(eager):
    model = _model()
    model.compile("sgd", loss={"dept": "sparse_categorical_crossentropy", "price": "mse"},
                  loss_weights={"dept": 2.0, "price": 0.5}, metrics={"price": ["mae"], "dept": ["accuracy"]},
                  run_eagerly=eager)
    total, mse, ce, mae, acc = _reference(model, 0.5, 2.0)
    a = model.evaluate(X, {"price": PRICE, "dept": DEPT}, batch_size=24, verbose=0, return_dict=True)
    b = model.evaluate(X, {"dept": DEPT, "price": PRICE}, batch_size=24, verbose=0, return_dict=True)
    assert a == b
    assert a == pytest.approx({"loss": total, "price_loss": mse, "dept_loss": ce, "price_mae": mae,
                               "dept_accuracy": acc}, rel=1e-5)
    h = model.fit(X, {"dept": DEPT, "price": PRICE}, epochs=1, batch_size=8, verbose=0)
    assert sorted(h.history) == ["dept_accuracy", "dept_loss", "loss", "price_loss", "price_mae"]


def test_a_list_of_metrics_applies_to_every_output_and_a_list_of_lists_to_each():
    model = _model()
    onehot = np.eye(3, dtype=np.float32)[DEPT]
    model.compile("sgd", loss=["mse", "categorical_crossentropy"], metrics=["mae", "accuracy"])
    logs = model.evaluate(X, [PRICE, onehot], batch_size=24, verbose=0, return_dict=True)
    p_price, p_dept = model.predict(X, verbose=0)
    assert sorted(logs) == ["dept_accuracy", "dept_loss", "dept_mae", "loss", "price_accuracy", "price_loss",
                            "price_mae"]
    assert logs["price_mae"] == pytest.approx(np.abs(p_price - PRICE).mean(), rel=1e-5)
    assert logs["dept_mae"] == pytest.approx(np.abs(p_dept - onehot).mean(), rel=1e-5)
    assert logs["dept_accuracy"] == pytest.approx((p_dept.argmax(-1) == DEPT).mean(), rel=1e-6)
    model.compile("sgd", loss=["mse", "sparse_categorical_crossentropy"], metrics=[["mae", "mse"], None])
    logs = model.evaluate(X, [PRICE, DEPT], batch_size=24, verbose=0, return_dict=True)
    assert sorted(logs) == ["dept_loss", "loss", "price_loss", "price_mae", "price_mse"]
    assert logs["price_mse"] == pytest.approx(logs["price_loss"], rel=1e-6)


def test_dict_keys_that_name_no_output_are_refused():
    model = _model()
    with pytest.raises(ValueError, match=r"\['dpt'\] is not an output name; the model's outputs are \['price', "):
        model.compile("sgd", loss={"price": "mse", "dpt": "mse"})
    model.compile("sgd", loss={"price": "mse", "dept": "sparse_categorical_crossentropy"})
    with pytest.raises(ValueError, match="is not an output name"):
        model.fit(X, {"price": PRICE, "depts": DEPT}, verbose=0)
    with pytest.raises(ValueError, match="No target for output 'dept'"):
        model.train_on_batch(X, {"price": PRICE})


def test_sample_weights_by_output_name_and_weighted_metrics():
    model = _model()
    model.compile("sgd", loss={"price": "mse", "dept": "sparse_categorical_crossentropy"},
                  metrics={"price": ["mae"]}, weighted_metrics={"price": ["mae"]})
    sw = RNG.uniform(0.5, 2.0, len(X)).astype(np.float32)
    logs = model.evaluate(X, {"dept": DEPT, "price": PRICE}, sample_weight={"price": sw, "dept": np.ones_like(sw)},
                          batch_size=24, verbose=0, return_dict=True)
    p_price, _ = model.predict(X, verbose=0)
    err = np.abs(p_price - PRICE)[:, 0]
    assert logs["price_loss"] == pytest.approx((((p_price - PRICE) ** 2)[:, 0] * sw).sum() / len(X), rel=1e-5)
    assert logs["price_mae"] == pytest.approx(err.mean(), rel=1e-5)  # metrics are not weighted
    assert logs["price_weighted_mae"] == pytest.approx((err * sw).sum() / sw.sum(), rel=1e-5)


def test_dict_inputs_in_any_key_order():
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    model = keras.Model([a, b], layers.Dense(1)(layers.Concatenate()([a, b])))
    model.compile("sgd", "mse")
    xa, xb, y = X[:, :3], X[:, 3:] * np.ones((1, 2), np.float32), PRICE
    want = model.evaluate([xa, xb], y, verbose=0)
    assert model.evaluate({"b": xb, "a": xa}, y, verbose=0) == pytest.approx(want, rel=1e-6)
    h = model.fit({"b": xb, "a": xa}, y, epochs=1, verbose=0)
    assert np.isfinite(h.history["loss"][0])


def test_batches_yielded_as_lists_are_unpacked_like_tuples():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    sw = np.linspace(0.5, 1.5, len(X)).astype(np.float32)
    want = model.evaluate(X, PRICE, sample_weight=sw, batch_size=8, verbose=0)
    got = model.evaluate(iter([[X[i:i + 8], PRICE[i:i + 8], sw[i:i + 8]] for i in range(0, 24, 8)]), verbose=0)
    assert got == pytest.approx(want, rel=1e-6)
    unweighted = model.evaluate(X, PRICE, batch_size=8, verbose=0)
    assert model.evaluate([[X[i:i + 8], PRICE[i:i + 8]] for i in range(0, 24, 8)].__iter__(), verbose=0) == \
        pytest.approx(unweighted, rel=1e-6)
    h = model.fit(([X[i:i + 8], PRICE[i:i + 8]] for i in range(0, 24, 8)), epochs=1, verbose=0)
    assert np.isfinite(h.history["loss"][0])


@pytest.mark.parametrize("loss, expects", [("sparse_categorical_crossentropy", "integer class labels"),
                                           ("categorical_crossentropy", "one-hot float labels"),
                                           ("mse", "numeric targets")])
def test_string_labels_say_what_the_loss_expects(loss, expects):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile("sgd", loss)
    before = model.get_weights()
    with pytest.raises(ValueError, match=f"expects {expects}.*, but the targets are strings.*'cat'.*StringLookup"):
        model.fit(X, np.array(["cat", "dog"] * 12), verbose=0)
    for w, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(w, b)


def test_string_labels_from_a_generator_are_refused_before_training():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    before = model.get_weights()
    with pytest.raises(ValueError, match="targets are strings .*'cat'"):
        model.fit(iter([(X[:2], np.array(["cat", "dog"]))]), verbose=0)
    for w, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(w, b)
