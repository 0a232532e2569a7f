"""The device seam as a CPU-only machine sees it."""

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import _core
InvalidArgumentError = tf.errors.InvalidArgumentError


def test_arrays_live_on_the_cpu():
    t = tf.constant([[1.0, 2.0]])
    assert t._a.device == _core.Device.CPU
    assert t.device.endswith("device:CPU:0")
    assert _core.device_available(_core.Device.CPU)


def test_gpu_round_trip_or_a_clear_error():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    a = _core.from_numpy(x)
    makers = (lambda: a.to_device(_core.Device.GPU), lambda: _core.from_numpy(x, _core.Device.GPU))
    if _core.device_available(_core.Device.GPU):
        for make in makers:
            g = make()
            assert g.device == _core.Device.GPU
            np.testing.assert_array_equal(np.asarray(g), x)  # the buffer export copies to the host
            np.testing.assert_array_equal(np.asarray(g.to_host()), x)
    else:
        for make in makers + (lambda: _core.empty([2], _core.DType.float32, _core.Device.GPU),):
            with pytest.raises(InvalidArgumentError, match="device GPU is not available"):
                make()


@pytest.mark.parametrize("dtype", [np.bool_, np.int32, np.int64, np.float32, np.float64])
def test_to_host_round_trips(dtype):
    x = (np.arange(24).reshape(2, 3, 4) % 3).astype(dtype)
    a = _core.from_numpy(x)
    h = a.to_host()
    assert h.device == _core.Device.CPU and h.shares_storage(a)  # already contiguous on the host
    np.testing.assert_array_equal(np.asarray(h), x)
    v = a.transpose([2, 0, 1])  # strided: to_host makes it contiguous
    hv = v.to_host()
    assert hv.is_contiguous() and not hv.shares_storage(a)
    np.testing.assert_array_equal(np.asarray(hv), x.transpose(2, 0, 1))
    d = a.to_device(_core.Device.CPU)
    np.testing.assert_array_equal(np.asarray(d), x)


def test_stub_lists_every_core_attribute():
    """python/tensorlet/_core.pyi names every public attribute of _core, its
    enums' members and Array's members, and nothing _core lacks."""
    import ast
    import pathlib

    import tensorlet
    tree = ast.parse((pathlib.Path(tensorlet.__file__).parent / "_core.pyi").read_text())
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    funcs = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}

    def members(cls):
        out = set()
        for n in cls.body:
            if isinstance(n, ast.FunctionDef):
                out.add(n.name)
            elif isinstance(n, ast.AnnAssign):
                out.add(n.target.id)
        return out

    public = {k for k in dir(_core) if not k.startswith("__") and k != "_cleanup"}
    assert public == (set(classes) - {"_Enum"}) | funcs
    for name in ("DType", "Device", "BinaryOp", "UnaryOp", "ReduceOp"):
        assert set(getattr(_core, name).__members__) == members(classes[name]), name
    array_members = {k for k in dir(_core.Array) if not k.startswith("_")}
    assert array_members == members(classes["Array"]) - {"__buffer__"}


def test_op_enums_name_the_core_functions():
    # One table row gives the op code, the enum value and the function.
    for enum in (_core.BinaryOp, _core.UnaryOp, _core.ReduceOp):
        for name, code in enum.__members__.items():
            assert callable(getattr(_core, name)), name
        assert sorted(int(v) for v in enum.__members__.values()) == list(range(len(enum.__members__)))
    x = np.array([[1.5, -2.0], [3.0, 0.25]], np.float32)
    y = np.array([[2.0, 2.0], [-1.0, 4.0]], np.float32)
    for name, ref in [("subtract", np.subtract), ("multiply", np.multiply), ("maximum", np.maximum),
                      ("pow", np.power), ("mod", np.mod)]:
        out = _core.from_numpy(np.zeros((2, 2), np.float32))
        _core.binary_into(out, _core.from_numpy(x), _core.from_numpy(y), getattr(_core.BinaryOp, name))
        np.testing.assert_allclose(np.asarray(out), ref(x, y), rtol=1e-6)
    out = _core.from_numpy(np.zeros((2, 2), np.float32))
    _core.binary_into(out, _core.from_numpy(x), _core.from_numpy(y), int(_core.BinaryOp.add))  # the int form
    np.testing.assert_array_equal(np.asarray(out), x + y)
    with pytest.raises(InvalidArgumentError, match="binary_into: unknown op code 99"):
        _core.binary_into(out, out, out, 99)


def test_gpu_count_matches_availability():
    assert _core.cuda_device_count() == (1 if _core.device_available(_core.Device.GPU) else 0)
