"""The GEMM's cache blocking: derived from the CPU's caches, overridable by
TENSORLET_GEMM_BLOCKING (read once at start, so each blocking runs in its own
process). MC and NC never change a result; KC changes the order of the sums,
so those results are held to float32's error bound against float64 numpy."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tensorlet import _core

_SCRIPT = textwrap.dedent("""
    import sys, numpy as np, tensorlet as tf
    from tensorlet import _core
    _core.set_num_threads(2)
    rng = np.random.default_rng(3)
    r = lambda *s, dt=np.float32: rng.standard_normal(s).astype(dt)
    out = {}
    # Shared by both threads (600 rows), one product per thread (batch 4),
    # transposed A, float64, Dense with bias and relu, and a convolution.
    out["shared"] = (r(600, 700), r(700, 500))
    out["batched"] = (r(4, 100, 300), r(4, 300, 200))
    out["trans"] = (r(700, 600).T, r(700, 530))
    out["f64"] = (r(530, 400, dt=np.float64), r(400, 300, dt=np.float64))
    res = {k: tf.matmul(a, b).numpy() for k, (a, b) in out.items()}
    x, w, bias = r(600, 700), r(700, 130), r(130)
    res["dense"] = tf.nn.dense(x, w, bias, "relu").numpy()
    out["dense"] = (x, w, bias)
    cx, cw = r(2, 24, 24, 40), r(3, 3, 40, 48)
    res["conv"] = tf.nn.conv2d(cx, cw, 1, "SAME").numpy()
    np.savez(sys.argv[1], blocking=np.array(_core.gemm_blocking()["float32"]),
             **res, **{k + "_in%d" % i: v for k, t in out.items() for i, v in enumerate(t)}, cx=cx, cw=cw)
""")


def _run(tmp_path, blocking):
    env = dict(os.environ)
    env.pop("TENSORLET_GEMM_BLOCKING", None)
    if blocking:
        env["TENSORLET_GEMM_BLOCKING"] = blocking
    path = str(tmp_path / ("b%s.npz" % blocking.replace(",", "_")))
    res = subprocess.run([sys.executable, "-c", _SCRIPT, path], env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    return dict(np.load(path))


def _reference(d, key):
    if key == "conv":
        x, w = d["cx"].astype(np.float64), d["cw"].astype(np.float64)
        xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
        cols = np.stack([xp[:, i:i + 24, j:j + 24] for i in range(3) for j in range(3)], axis=3)
        cols = cols.reshape(2, 24, 24, -1)
        return cols @ w.reshape(-1, 48), np.abs(cols) @ np.abs(w.reshape(-1, 48)), 9 * 40
    a, b = d[key + "_in0"].astype(np.float64), d[key + "_in1"].astype(np.float64)
    want, mag = a @ b, np.abs(a) @ np.abs(b)
    if key == "dense":
        want = np.maximum(want + d["dense_in2"], 0)
        mag = mag + np.abs(d["dense_in2"])
    return want, mag, a.shape[-1]


def test_derived_blocking_fits_the_caches():
    info = _core.gemm_blocking()
    assert info["l1d"] >= 4096 and info["l2"] >= info["l1d"] and info["l3"] >= 0
    mr = {"avx512": 12, "avx2": 6}.get(_core.isa(), 4)
    for dtype, size in (("float32", 4), ("float64", 8)):
        mc, kc, nc = info[dtype]
        assert mc > 0 and kc >= 64 and nc > 0
        assert kc == 64 or mr * kc * size <= info["l1d"] // 2  # one A micro-panel in half of L1
        assert nc * kc * size <= max(info["l2"] // 2, 64 * kc * size)  # a packed B block in half of L2


def test_blockings_agree(tmp_path):
    base = _run(tmp_path, "")
    mc, kc, nc = (int(v) for v in base["blocking"])
    # MC and NC only move which tiles are computed when: bit-identical.
    for blocking in ("24,0,0", "0,0,64", "36,0,96"):
        got = _run(tmp_path, blocking)
        want_mc, _, want_nc = (int(v) for v in blocking.split(","))
        assert tuple(got["blocking"]) == (want_mc or mc, kc, want_nc or nc)
        for key in ("shared", "batched", "trans", "f64", "dense", "conv"):
            np.testing.assert_array_equal(got[key], base[key], err_msg=f"{key} under {blocking}")
    # KC reorders the sums: every result within the float32 bound
    # k * eps * (|a| @ |b|), above and below the row-layout limit.
    for blocking in ("", "0,64,0", "0,1000,0"):
        got = base if not blocking else _run(tmp_path, blocking)
        for key in ("shared", "batched", "trans", "dense", "conv", "f64"):
            want, mag, k = _reference(got, key)
            eps = np.finfo(np.float64 if key == "f64" else np.float32).eps
            err = np.abs(got[key] - want)
            assert np.all(err <= k * eps * mag + 1e-30), f"{key} under {blocking!r}: {err.max()}"


@pytest.mark.parametrize("value", ["junk", "0", ",,"])
def test_unreadable_override_keeps_the_derived_blocking(tmp_path, value):
    assert tuple(_run(tmp_path, value)["blocking"]) == tuple(_core.gemm_blocking()["float32"])
