"""Runtime settings: threads, the fork handler, instruction-set selection."""

import os

import numpy as np
import pytest

import tensorlet as tf
from tensorlet import _core


def test_thread_count_is_global_and_results_do_not_depend_on_it():
    a = np.random.default_rng(0).standard_normal(1 << 18).astype(np.float32)
    before = _core.get_num_threads()
    try:
        _core.set_num_threads(1)
        assert _core.get_num_threads() == 1
        one = (tf.constant(a) * 3.0 + 1.0).numpy()
        _core.set_num_threads(2)
        two = (tf.constant(a) * 3.0 + 1.0).numpy()
    finally:
        _core.set_num_threads(before)
    np.testing.assert_array_equal(one, two)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_runs_on_one_thread_and_does_not_hang():
    big = tf.constant(np.ones(1 << 20, np.float32))
    (big + big).numpy()  # start the thread pool in the parent
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            ok = float(tf.constant(np.ones(1 << 20, np.float32)).numpy().sum()) == (1 << 20)
            total = (big + big).numpy()[0]
            os.write(w, f"{_core.get_num_threads()} {ok} {total}".encode())
        finally:
            os._exit(0)
    os.close(w)
    _, status = os.waitpid(pid, 0)
    msg = os.read(r, 100).decode()
    os.close(r)
    assert status == 0
    assert msg == "1 True 2.0"


def test_isa_reports_a_known_level():
    assert _core.isa() in ("baseline", "avx2", "avx512")


def test_small_buffers_are_reused_per_thread_and_counted():
    # Small buffers come back from a per-thread free list: each thread's
    # tensors keep their own values, and the byte count returns to where it was.
    import threading

    for k in range(12):  # the Python scalars below are converted (and cached) once
        tf.constant(np.ones((3, 5), np.float32)) * float(k)
    before = tf.config.experimental.get_memory_info("CPU")["current"]
    errors = []

    def work(seed):
        try:
            rng = np.random.default_rng(seed)
            for _ in range(300):
                a = rng.standard_normal((3, 5)).astype(np.float32)
                held = [tf.constant(a) * float(k) for k in range(12)]
                for k, t in enumerate(held):
                    np.testing.assert_array_equal(t.numpy(), a * np.float32(k))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert tf.config.experimental.get_memory_info("CPU")["current"] == before


def test_memory_info_tracks_tensors_and_the_cache_reuses_buffers():
    _core.empty_host_cache()  # so the only cached buffer of this size is the one freed below
    info = tf.config.experimental.get_memory_info("CPU")
    assert {"current", "peak", "cached"} <= set(info)
    before = info["current"]
    t = tf.constant(np.zeros(1 << 20, np.float32))  # one 4 MiB buffer
    held = tf.config.experimental.get_memory_info("CPU:0")
    assert held["current"] - before >= 4 << 20
    assert held["peak"] >= held["current"]
    ptr = np.asarray(t).__array_interface__["data"][0]
    del t
    freed = tf.config.experimental.get_memory_info("CPU")
    assert held["current"] - freed["current"] >= 4 << 20  # the buffer is released
    assert freed["current"] - before < 4096  # (small constants may stay cached)
    assert freed["cached"] >= 4 << 20
    u = tf.constant(np.ones(1 << 20, np.float32))  # same size class: the cached buffer comes back
    assert np.asarray(u).__array_interface__["data"][0] == ptr
    np.testing.assert_array_equal(u.numpy(), np.ones(1 << 20, np.float32))  # fully overwritten
    tf.config.experimental.reset_memory_stats("CPU")
    assert tf.config.experimental.get_memory_info("CPU")["peak"] == tf.config.experimental.get_memory_info("CPU")["current"]
    _core.empty_host_cache()
    assert tf.config.experimental.get_memory_info("CPU")["cached"] == 0
    with pytest.raises(ValueError, match="GPU"):
        tf.config.experimental.get_memory_info("GPU")
