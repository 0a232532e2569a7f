"""Fuzzing the C++ entry points themselves (every ``_core`` function and
``Array`` method), as ``tf.raw_ops`` and ``registry.apply`` reach them: no
Python wrapper checks the arguments first, so each entry point must check
its own. Arguments are drawn by type from the pybind11 signature: arrays of
every dtype and of ranks 0-4 (empty, strided), ints and shapes at the edges
(negative, zero, 2**62, the int64 limits), NaN/Inf floats, odd strings.

The only acceptable outcomes are a result or a translated error
(InvalidArgumentError, TypeError, ValueError, MemoryError, ...); under the
sanitizer build (tools/sanitize.sh) any out-of-bounds access or undefined
behaviour aborts the run.
"""

import re

import numpy as np

from tensorlet import _core

# Process-wide settings and diagnostics: not entry points of data.
SKIP = {"set_num_threads", "parallel_selftest", "set_default_device", "set_gemm_kernel", "set_tensor_float_32",
        "synchronize", "empty_gpu_cache", "empty_host_cache", "reset_gpu_peak", "reset_host_peak", "from_numpy"}
METHODS = ("reshape", "transpose", "broadcast_to", "expand_dims", "squeeze", "index", "contiguous", "copy",
           "to_host", "same_shape", "shares_storage")
ACCEPTED = (ValueError, TypeError, MemoryError, NotImplementedError, OverflowError, IndexError)

INTS = (-(2**63), -(2**62), -5, -1, 0, 1, 2, 3, 4, 2**40, 2**62, 2**63 - 1)
SHAPES = ([], [0], [1], [2], [3], [-1], [2, 2], [1, 1], [1, 2, 2, 1], [2, 3], [1, 1, 1, 1], [0, 3], [-1, 3],
          [2**62, 4], [3, 2**62], [2**31, 2**31, 4], [2**63 - 1], [1] * 9, [-(2**63)], [7, 2**61])
FLOATS = (0.0, 1.0, -1.0, 0.5, float("nan"), float("inf"), -float("inf"), 1e300, 2.0**63, -(2.0**63))
STRINGS = ("", "SAME", "VALID", "NHWC", "NCHW", "relu", "linear", "abc", "\x00")
OBJECTS = (None, 0, 1, [1, 2], [[0, 0], [1, 1], [1, 1], [0, 0]], [[0, 0]] * 4, "SAME", "VALID", [-1, -1], 2**62)
DTYPES = [_core.DType.bool, _core.DType.int32, _core.DType.int64, _core.DType.float32, _core.DType.float64]
ARRAY_SHAPES = ((), (0,), (1,), (3,), (2, 3), (3, 2), (1, 3), (2, 0), (1, 4, 4, 1), (2, 3, 3, 2), (3, 3, 1, 2),
                (2, 2, 2, 2), (1, 1, 1, 1), (0, 2, 2, 1))
INDEX_ITEMS = (0, -1, 5, -(2**63), 2**63 - 1, slice(None), slice(None, None, -1), slice(-(2**63), 2**63 - 1, 2**62),
               slice(None, None, -(2**63)), None, Ellipsis, slice(0, 0), slice(1, None, 3))


def _array(rng):
    shape = ARRAY_SHAPES[rng.integers(len(ARRAY_SHAPES))]
    dtype = [np.bool_, np.int32, np.int64, np.float32, np.float64][rng.integers(5)]
    values = rng.integers(-3, 4, size=shape) if rng.integers(3) else rng.normal(size=shape) * 1e3
    a = np.asarray(values).astype(dtype)
    if a.dtype.kind == "f" and a.size and rng.integers(4) == 0:
        a.reshape(-1)[rng.integers(a.size)] = [np.nan, np.inf, -np.inf][rng.integers(3)]
    if a.dtype.kind in "iu" and a.size and rng.integers(4) == 0:
        info = np.iinfo(a.dtype)
        a.reshape(-1)[rng.integers(a.size)] = info.min if rng.integers(2) else info.max
    arr = _core.from_numpy(np.ascontiguousarray(a))
    if a.ndim and rng.integers(4) == 0:  # a strided view: every other element of a wider array
        wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
        wide[..., ::2] = a
        arr = _core.from_numpy(wide).index((Ellipsis, slice(None, None, 2)))
    elif a.ndim >= 2 and rng.integers(5) == 0:
        arr = arr.transpose(list(range(a.ndim))[::-1])
    return arr


def _pick(rng, pool):
    return pool[rng.integers(len(pool))]


def _value(kind, rng):
    """One argument of the signature's ``kind``."""
    kind = kind.strip()
    if kind.startswith("Optional[") or kind.endswith("| None"):
        return None if rng.integers(3) == 0 else _value(kind.removeprefix("Optional[").rstrip("]")
                                                        .removesuffix("| None"), rng)
    if "Sequence[" in kind and "Array" in kind:
        return [_array(rng) for _ in range(rng.integers(0, 4))]
    if "Sequence[" in kind:
        return list(_pick(rng, SHAPES))
    if "Array" in kind:
        return _array(rng)
    if "DType" in kind:
        return _pick(rng, DTYPES)
    if "Device" in kind:
        return _core.Device.CPU
    if "BinaryOp" in kind:
        return _pick(rng, list(_core.BinaryOp.__members__.values()))
    if "SupportsFloat" in kind:
        return _pick(rng, FLOATS)
    if "SupportsInt" in kind:
        return _pick(rng, INTS)
    if kind == "bool":
        return bool(rng.integers(2))
    if kind == "str":
        return _pick(rng, STRINGS)
    if kind == "tuple":
        return tuple(_pick(rng, INDEX_ITEMS) for _ in range(rng.integers(0, 4)))
    return _pick(rng, OBJECTS)  # ``object``: padding and the like


def _signatures(fn):
    """The parameter kinds of each overload, from pybind11's docstring."""
    sigs = []
    for line in (fn.__doc__ or "").splitlines():
        m = re.match(r"\s*(?:\d+\. )?\w+\((.*)\) ->", line)
        if m and "*args" not in m.group(1):
            params = [p.split(":", 1)[1].split("=")[0] for p in re.split(r", (?=\w+:)", m.group(1)) if ":" in p]
            sigs.append([p for p in params])
    return sigs


def entry_points():
    """(name, callable taking a rng) for every entry point fuzzed."""
    out = []
    for name in sorted(dir(_core)):
        fn = getattr(_core, name)
        if name.startswith("_") or isinstance(fn, type) or name in SKIP or not callable(fn):
            continue
        sigs = _signatures(fn)
        if sigs:
            out.append((name, lambda rng, fn=fn, sigs=sigs: fn(*[_value(k, rng) for k in _pick(rng, sigs)])))
    for name in METHODS:
        sigs = [s[1:] for s in _signatures(getattr(_core.Array, name))]  # without self
        out.append((f"Array.{name}", lambda rng, name=name, sigs=sigs: getattr(_array(rng), name)(
            *[_value(k, rng) for k in _pick(rng, sigs)])))
    return out


def _perturb_attr(a, rng):
    """An edge value of the same kind as the attribute ``a``."""
    if isinstance(a, bool):
        return not a
    if isinstance(a, int):
        return _pick(rng, INTS)
    if isinstance(a, float):
        return _pick(rng, FLOATS)
    if isinstance(a, str):
        return _pick(rng, STRINGS)
    if isinstance(a, _core.DType):
        return _pick(rng, DTYPES)
    if isinstance(a, (list, tuple)) and a and rng.integers(3):
        a, i = list(a), rng.integers(len(a))
        choice = rng.integers(3)
        if choice == 0:
            a[i] = _perturb_attr(a[i], rng)
        elif choice == 1:
            del a[i]
        else:
            a.insert(i, a[i])
        return a
    if isinstance(a, (list, tuple)):
        return list(_pick(rng, SHAPES))
    return _pick(rng, OBJECTS)


def _perturb_array(a, rng):
    """``a`` (an ndarray) emptied, made 0-d, flattened, given an extra axis,
    cast, or replaced."""
    choice = rng.integers(6) if isinstance(a, np.ndarray) else 5
    if choice == 0 and a.ndim:
        return _core.from_numpy(np.ascontiguousarray(a[:0]))
    if choice == 1:
        return _core.from_numpy(np.asarray(a.reshape(-1)[0] if a.size else 0, a.dtype))
    if choice == 2:
        return _core.from_numpy(np.ascontiguousarray(a.reshape(-1)))
    if choice == 3:
        return _core.from_numpy(np.ascontiguousarray(a[..., None] if rng.integers(2) else a[None]))
    if choice == 4:
        return _core.from_numpy(a.astype([np.bool_, np.int32, np.int64, np.float32, np.float64][rng.integers(5)]))
    return _array(rng)


def registered_entry_points():
    """(name, call) for each registered op's kernel, called on one of its own
    sample inputs with one or two arguments changed to an edge value of the
    same kind: shapes, axes, strides and paddings near-valid, so the call
    gets past the first check."""
    from tensorlet.ops.registry import REGISTRY

    out = []
    for name, op in sorted(REGISTRY.items()):
        if not op.samples or not hasattr(op.kernel, "__doc__") or not isinstance(op.kernel, type(_core.add)):
            continue
        samples = [s for dt in op.dtypes for s in op.samples(np.random.default_rng(0), dt)]

        def call(rng, op=op, samples=samples):
            arrays, attrs = samples[rng.integers(len(samples))]
            args = [np.array(a) for a in arrays] + list(attrs)
            for _ in range(1 + rng.integers(2)):
                i = rng.integers(len(args))
                args[i] = _perturb_array(args[i], rng) if i < len(arrays) else _perturb_attr(args[i], rng)
            return op.kernel(*[_core.from_numpy(np.ascontiguousarray(a)) if isinstance(a, np.ndarray) else a
                               for a in args])
        out.append((f"{name} (registered)", call))
    return out


def run_case(call, rng):
    """Runs one call; returns (outcome, detail): ``ok``, ``refused`` or
    ``failure`` (an exception type the bindings do not translate to)."""
    try:
        out = call(rng)
        if isinstance(out, _core.Array) and out.size and out.size <= 1 << 16:
            np.asarray(out.to_host())  # reading every element: an out-of-bounds view shows here
    except ACCEPTED as e:
        return "refused", type(e).__name__
    except Exception as e:  # noqa: BLE001 - an untranslated C++ exception
        return "failure", f"{type(e).__name__}: {str(e)[:160]}"
    return "ok", ""
