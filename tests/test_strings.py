"""String tensors, tf.strings, tf.io.decode_raw and string datasets, against
the values TensorFlow gives."""

import numpy as np
import pytest

import tensorlet as tf


def test_string_tensors_hold_bytes_like_tensorflow():
    t = tf.constant(["a b", "c"])
    assert t.dtype == tf.string and t.shape == (2,)
    assert t.numpy().tolist() == [b"a b", b"c"] and t.numpy().dtype == object
    assert str(t) == "tf.Tensor([b'a b' b'c'], shape=(2,), dtype=string)"
    assert repr(tf.constant("x")) == "<tf.Tensor: shape=(), dtype=string, numpy=b'x'>"
    assert t[1].numpy() == b"c" and [s.numpy() for s in t] == [b"a b", b"c"] and len(t) == 2
    assert (t == "c").numpy().tolist() == [False, True] and (t != b"c").numpy().tolist() == [True, False]
    assert (t + "!").numpy().tolist() == [b"a b!", b"c!"]
    assert tf.constant([["é"]]).numpy()[0, 0] == "é".encode()
    assert tf.constant("ab", shape=(2,)).numpy().tolist() == [b"ab", b"ab"]
    assert tf.convert_to_tensor(np.array(["x", "yz"])).dtype == tf.string
    with pytest.raises(TypeError, match="got strings"):
        tf.constant(["1"], tf.float32)
    with pytest.raises(TypeError, match="add"):
        tf.add(t, t)


def test_split_and_friends_give_ragged_tensors():
    s = tf.constant(["a b c", "de  f"])
    sp = tf.strings.split(s)
    assert isinstance(sp, tf.RaggedTensor) and sp.to_list() == [[b"a", b"b", b"c"], [b"de", b"f"]]
    assert repr(tf.strings.split(tf.constant(["a b", "c"]))) == "<tf.RaggedTensor [[b'a', b'b'], [b'c']]>"
    assert tf.strings.split(s, sep=" ").to_list() == [[b"a", b"b", b"c"], [b"de", b"", b"f"]]
    assert tf.strings.split("x,y", ",").numpy().tolist() == [b"x", b"y"]  # a scalar gives a dense vector
    assert tf.strings.split(s).to_tensor().numpy().tolist() == [[b"a", b"b", b"c"], [b"de", b"f", b""]]
    assert tf.strings.split(tf.constant([["a b"], ["c"]])).to_list() == [[[b"a", b"b"]], [[b"c"]]]
    assert tf.strings.bytes_split(["ab", "c"]).to_list() == [[b"a", b"b"], [b"c"]]
    assert tf.strings.unicode_split(["hé"], "UTF-8").to_list() == [[b"h", "é".encode()]]
    dec = tf.strings.unicode_decode(["hé", "€"], "UTF-8")
    assert dec.to_list() == [[104, 233], [8364]] and dec.dtype == tf.int32
    assert tf.strings.unicode_decode("ab", "UTF-8").numpy().tolist() == [97, 98]
    assert tf.ragged.constant([["a", "b"], ["c"]]).to_list() == [[b"a", b"b"], [b"c"]]


def test_elementwise_string_functions():
    assert tf.strings.to_number(["1.5", "-2e3"]).numpy().tolist() == [1.5, -2000.0]
    n = tf.strings.to_number(["7", "-3"], tf.int32)
    assert n.dtype == tf.int32 and n.numpy().tolist() == [7, -3]
    with pytest.raises(tf.errors.InvalidArgumentError, match="cannot convert b'x'"):
        tf.strings.to_number(["x"])
    assert tf.strings.length(["héllo", ""]).numpy().tolist() == [6, 0]
    assert tf.strings.length(["héllo"], unit="UTF8_CHAR").numpy().tolist() == [5]
    assert tf.strings.lower(["AbC"]).numpy().tolist() == [b"abc"] and tf.strings.upper("ab").numpy() == b"AB"
    assert tf.strings.strip(["  a b \n"]).numpy().tolist() == [b"a b"]
    assert tf.strings.regex_replace(["a1b22"], r"\d+", "#").numpy().tolist() == [b"a#b#"]
    assert tf.strings.regex_replace("a1b2", r"(\d)", r"<\1>", replace_global=False).numpy() == b"a<1>b2"
    assert tf.strings.regex_full_match(["ab", "a1"], "[a-z]+").numpy().tolist() == [True, False]
    assert tf.strings.substr(["hello", "world"], 1, 3).numpy().tolist() == [b"ell", b"orl"]
    assert tf.strings.substr("héllo", 1, 2, unit="UTF8_CHAR").numpy() == "él".encode()
    with pytest.raises(tf.errors.InvalidArgumentError, match="pos 9"):
        tf.strings.substr(["abc"], 9, 1)
    assert tf.strings.join([["a", "b"], "x"], separator="-").numpy().tolist() == [b"a-x", b"b-x"]
    r = tf.constant([["a", "b"], ["c", "d"]])
    assert tf.strings.reduce_join(r).numpy() == b"abcd"
    assert tf.strings.reduce_join(r, axis=1, separator=",").numpy().tolist() == [b"a,b", b"c,d"]
    assert tf.strings.reduce_join(r, axis=0, keepdims=True).numpy().tolist() == [[b"ac", b"bd"]]
    assert tf.strings.as_string([1.5, 2.0]).numpy().tolist() == [b"1.500000", b"2.000000"]
    assert tf.strings.as_string(tf.constant([3, -4])).numpy().tolist() == [b"3", b"-4"]
    assert tf.as_string([True, False]).numpy().tolist() == [b"true", b"false"]
    assert tf.strings.as_string([3.14159], precision=2).numpy().tolist() == [b"3.14"]
    assert tf.strings.format("x={} y={}", [1, 2.5]).numpy() == b"x=1 y=2.5"


def test_decode_raw():
    got = tf.io.decode_raw([b"\x01\x02", b"\x03\xff"], tf.uint8)
    assert got.dtype == tf.uint8 and got.numpy().tolist() == [[1, 2], [3, 255]]
    f = np.array([1.5, -2.0], np.float32)
    np.testing.assert_array_equal(tf.io.decode_raw(f.tobytes(), tf.float32).numpy(), f)
    be = tf.io.decode_raw(np.array([258], ">i2").tobytes(), tf.int16, little_endian=False)
    assert be.numpy().tolist() == [258]
    with pytest.raises(tf.errors.InvalidArgumentError, match="same length"):
        tf.io.decode_raw([b"ab", b"abcd"], tf.uint8)


def test_text_line_dataset_yields_string_tensors(tmp_path):
    path = tmp_path / "lines.txt"
    path.write_text("3,cat sat\n5,dog\n")
    ds = tf.data.TextLineDataset(str(path))
    first = next(iter(ds))
    assert first.dtype == tf.string and first.numpy() == b"3,cat sat"

    def parse(line):
        parts = tf.strings.split(line, ",")
        return tf.strings.to_number(parts[0], tf.int32), tf.strings.length(parts[1])

    assert [(int(a), int(b)) for a, b in ds.map(parse)] == [(3, 7), (5, 3)]
    words = tf.data.Dataset.from_tensor_slices(["a b", "c"]).map(tf.strings.upper)
    assert list(words.as_numpy_iterator()) == [b"A B", b"C"]
    batch = next(iter(tf.data.Dataset.from_tensor_slices(["x", "y", "z"]).batch(2)))
    assert batch.dtype == tf.string and batch.numpy().tolist() == [b"x", b"y"]
