"""The fuzzing engine shared by tests/fuzz and tools/fuzz.py.

Each case starts from one of a registered op's own sample inputs and
perturbs it: NaN/Inf or extreme integers in the values, the inputs made
0-d, empty or strided, a wrong dtype, or a bad attribute (None, a string,
a float, an int beyond int64). The op then runs through the registry and
numpy's reference runs on the same values. The only acceptable outcomes:

- ``ok``: both ran and agree (NaN where numpy has NaN);
- ``refused``: tensorlet raised a documented error (InvalidArgumentError,
  TypeError, ValueError, ResourceExhaustedError, NotImplementedError) whose
  message leaks no numpy/pybind11 internals;
- ``unchecked``: tensorlet returned a result where numpy itself refused the
  same values (no reference to compare against).

Anything else (a wrong value or shape, an undocumented exception type, a
leaked internal message) is a ``failure``.
"""

import warnings

import numpy as np

import tensorlet as tf
from tensorlet.ops.registry import REGISTRY, apply

OPS = sorted(n for n, op in REGISTRY.items() if op.ref and op.samples and not (op.mutates or op.seeded)
             and op.outputs == 1)
DOCUMENTED = (tf.errors.InvalidArgumentError, TypeError, ValueError, MemoryError, NotImplementedError)
LEAKS = ("incompatible function arguments", "Unable to cast", "invalid literal", "setting an array element",
         "std::bad_alloc", "could not convert string", "Python int too large")
PERTURBATIONS = ("none", "nan", "inf", "extreme_int", "scalar", "empty", "strided", "wrong_dtype", "bad_attr")
BAD_ATTRS = (None, "abc", 2.5, 2**64, -(2**63), [1, [2]])


def _strided(a):
    a = np.asarray(a)
    if a.ndim == 0:
        return tf.constant(a)
    wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
    wide[..., ::2] = a
    return tf.Tensor._from_array(tf.constant(wide)._a.index((Ellipsis, slice(None, None, 2))))


def perturb(arrays, attrs, kind, pick):
    """The (arrays, attrs, strided) of one perturbation; ``pick(n)`` chooses
    an index below n (hypothesis or a seeded rng)."""
    arrays, attrs = [np.array(a) for a in arrays], list(attrs)
    strided = False
    if kind in ("nan", "inf", "extreme_int") and arrays:
        a = arrays[pick(len(arrays))]
        if a.size:
            flat = a.reshape(-1)
            i = pick(flat.size)
            if kind == "extreme_int" and a.dtype.kind in "iu":
                flat[i] = np.iinfo(a.dtype).min if pick(2) else np.iinfo(a.dtype).max
            elif kind in ("nan", "inf") and a.dtype.kind == "f":
                flat[i] = np.nan if kind == "nan" else (np.inf if pick(2) else -np.inf)
    elif kind == "scalar" and arrays:
        i = pick(len(arrays))
        arrays[i] = np.array(arrays[i].reshape(-1)[0] if arrays[i].size else 0, arrays[i].dtype)
    elif kind == "empty" and arrays:
        i = pick(len(arrays))
        if arrays[i].ndim:
            arrays[i] = arrays[i][:0]
    elif kind == "strided":
        strided = True
    elif kind == "wrong_dtype" and arrays:
        i = pick(len(arrays))
        arrays[i] = arrays[i].real.astype([np.bool_, np.int32, np.int64, np.float32, np.float64][pick(5)])
    elif kind == "bad_attr" and attrs:
        attrs[pick(len(attrs))] = BAD_ATTRS[pick(len(BAD_ATTRS))]
    return arrays, tuple(attrs), strided


# Ops that sum products (or fold a normalisation into one scale and shift):
# with an Inf or NaN input, which outputs become NaN rather than Inf depends
# on the order of the arithmetic and on whether zero padding or zero-dilated
# filters are multiplied in (the references do, the kernels skip them), so
# only finite outputs are compared.
CONTRACTIONS = ("conv", "matmul", "einsum", "cross_entropy", "tensordot", "pool", "batch_norm", "rnn_sequence")


# Cases where numpy's reference is not the behaviour to match: np.arange
# with an integer dtype and float bounds steps by the difference of its first
# two rounded values; tensorflow (and tensorlet) round the bounds and step.
# An integer mean sums in the integer dtype, as tensorflow's does (numpy's
# sums in float64), so it wraps where numpy's does not.
QUIRKS = {"range": lambda arrays, attrs: any(isinstance(a, float) and not a.is_integer() for a in attrs[:3]),
          "reduce_mean": lambda arrays, attrs: arrays[0].dtype.kind == "i" and arrays[0].size > 0 and
          np.abs(arrays[0].astype(np.float64)).max() > 2.0**30}


def run_case(name, arrays, attrs, strided=False):
    """Runs one case; returns (outcome, detail)."""
    op = REGISTRY[name]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            inputs = [_strided(a) if strided else tf.constant(a) for a in arrays]
            got = apply(op, inputs, *attrs)
        except DOCUMENTED as e:
            msg = str(e)
            if not msg or any(leak in msg for leak in LEAKS):
                return "failure", f"leaked message: {type(e).__name__}: {msg[:200]}"
            return "refused", type(e).__name__
        except Exception as e:  # noqa: BLE001 - an undocumented exception type
            return "failure", f"undocumented {type(e).__name__}: {str(e)[:200]}"
        # The reference runs only on what tensorlet accepted (numpy's loops
        # over a bad attribute can take minutes).
        try:
            want = np.asarray(op.ref(*[a.copy() for a in arrays], *attrs))
        except Exception as e:  # noqa: BLE001 - numpy refusing is an outcome
            want = e
    if isinstance(want, Exception) or (name in QUIRKS and QUIRKS[name](arrays, attrs)):
        return "unchecked", type(want).__name__ if isinstance(want, Exception) else "quirk"
    got = got.numpy()
    if got.shape != want.shape:
        return "failure", f"shape {got.shape} != numpy's {want.shape}"
    if want.dtype.kind in "fc" or got.dtype.kind in "fc":
        single = {np.dtype(np.float32), np.dtype(np.complex64)} & {got.dtype, want.dtype}
        tol = dict(rtol=1e-4, atol=1e-5) if single else dict(rtol=1e-9, atol=1e-9)
        if np.float16 in (got.dtype, want.dtype):  # computed in float32, rounded once (numpy may round twice)
            tol = dict(rtol=2e-3, atol=1e-3)
        with np.errstate(all="ignore"):
            wide = np.complex128 if "c" in (want.dtype.kind, got.dtype.kind) else np.float64
            w = want.astype(wide)
            g = got.astype(wide)
            # Comparing where both are finite, and requiring the same non-finite positions.
            loose = any(c in name for c in CONTRACTIONS) and not all(
                np.isfinite(a).all() for a in arrays if a.dtype.kind == "f")
            if not loose and not np.array_equal(np.isnan(g), np.isnan(w)) and want.dtype.kind == got.dtype.kind:
                return "failure", "NaN positions differ from numpy's"
            fin = np.isfinite(w) & np.isfinite(g)
            if not np.allclose(g[fin], w[fin], **tol):
                return "failure", f"values differ: {g[fin][:4]} vs numpy {w[fin][:4]}"
            if not loose and want.dtype.kind == got.dtype.kind and not np.array_equal(g[np.isinf(w)],
                                                                                      w[np.isinf(w)]):
                return "failure", "infinities differ from numpy's"
    elif not np.array_equal(got, want.astype(got.dtype)):
        return "failure", f"values differ: {got.reshape(-1)[:4]} vs numpy {want.reshape(-1)[:4]}"
    return "ok", ""


def samples_of(name, rng):
    """Every (dtype, arrays, attrs) sample the op declares."""
    op = REGISTRY[name]
    return [(dt, arrays, attrs) for dt in op.dtypes for arrays, attrs in op.samples(rng, dt)]
