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


def _in_forked_child(fn):
    """Runs fn() in a forked child; returns the string it returned (the
    child exits at once, so a hang or crash there fails the test here)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.write(w, fn().encode())
        finally:
            os._exit(0)
    os.close(w)
    _, status = os.waitpid(pid, 0)
    msg = os.read(r, 100).decode()
    os.close(r)
    assert status == 0
    return msg


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_runs_on_one_thread_and_does_not_hang():
    big = tf.constant(np.ones(1 << 20, np.float32))
    (big + big).numpy()  # start the thread pool in the parent
    def child():
        ok = float(tf.constant(np.ones(1 << 20, np.float32)).numpy().sum()) == (1 << 20)
        total = (big + big).numpy()[0]
        return f"{_core.get_num_threads()} {ok} {total}"

    msg = _in_forked_child(child)
    assert msg == "1 True 2.0"


def test_isa_reports_a_known_level():
    assert _core.isa() in ("baseline", "avx2", "avx512")


def test_small_buffers_are_reused_per_thread_and_counted():
    # Small buffers come back from a per-thread free list: each thread's
    # tensors keep their own values, and the byte count returns to where it was.
    import gc
    import threading

    for k in range(12):  # the Python scalars below are converted (and cached) once
        tf.constant(np.ones((3, 5), np.float32)) * float(k)
    gc.collect()  # earlier tests' cyclic garbage (models, metrics) must not be freed mid-count
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
    info = tf.config.experimental.get_memory_info("CPU")
    assert info["peak"] == info["current"]
    _core.empty_host_cache()
    assert tf.config.experimental.get_memory_info("CPU")["cached"] == 0
    if not _core.cuda_device_count():
        with pytest.raises(ValueError, match="GPU"):
            tf.config.experimental.get_memory_info("GPU")


@pytest.fixture
def threads():
    """Restores the thread count a test changes."""
    before = _core.get_num_threads()
    yield _core.set_num_threads
    _core.set_num_threads(before)


def test_pool_results_match_numpy_and_each_other_for_1_to_4_threads(threads):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((1 << 20) + 37).astype(np.float32)
    b = rng.standard_normal((1 << 20) + 37).astype(np.float32)
    m = rng.standard_normal((300, 1001)).astype(np.float32)
    results = []
    for n in (1, 2, 3, 4):
        threads(n)
        assert _core.get_num_threads() == n
        tf.random.set_seed(7)
        r = {
            "add": (tf.constant(a) + tf.constant(b)).numpy(),
            "exp": tf.exp(tf.constant(a)).numpy(),
            "sum": tf.reduce_sum(tf.constant(a)).numpy(),
            "sum0": tf.reduce_sum(tf.constant(m), axis=0).numpy(),
            "max1": tf.reduce_max(tf.constant(m), axis=1).numpy(),
            "softmax": tf.nn.softmax(tf.constant(m)).numpy(),
            "uniform": tf.random.uniform((1 << 18) + 3).numpy(),
        }
        np.testing.assert_array_equal(r["add"], a + b)
        np.testing.assert_allclose(r["exp"], np.exp(a), rtol=1e-6)
        np.testing.assert_allclose(r["sum"], a.astype(np.float64).sum(), rtol=1e-5)
        np.testing.assert_allclose(r["sum0"], m.sum(axis=0), rtol=1e-4, atol=1e-4)
        np.testing.assert_array_equal(r["max1"], m.max(axis=1))
        e = np.exp(m - m.max(axis=1, keepdims=True))
        np.testing.assert_allclose(r["softmax"], e / e.sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-7)
        assert r["uniform"].min() >= 0 and r["uniform"].max() < 1
        results.append(r)
    for r in results[1:]:  # bit for bit whatever the thread count
        for k in r:
            np.testing.assert_array_equal(r[k], results[0][k], err_msg=k)


def test_pool_visits_every_item_once_for_any_size_and_thread_count(threads):
    for n in (1, 2, 3, 4, 7):
        threads(n)
        for size in (1, 2, 17, (1 << 15) - 1, 1 << 15, (1 << 15) + 1, 100_003, 1 << 20):
            assert _core.parallel_selftest(size, max(size, 1 << 15)) == 1, (n, size)
        # Few items carrying much work: more threads than items.
        assert _core.parallel_selftest(3, 1 << 22) == 1


def test_exception_in_a_parallel_chunk_is_raised_and_the_pool_stays_usable(threads):
    threads(2)
    n = 1 << 20
    for fail_at in (0, n // 2, n - 1):
        with pytest.raises(ValueError, match=f"failed at item {fail_at}"):
            _core.parallel_selftest(n, n, fail_at)
    assert _core.parallel_selftest(n, n) == 1
    a = np.arange(n, dtype=np.float32)
    np.testing.assert_array_equal((tf.constant(a) * 2.0).numpy(), a * 2)


def test_many_back_to_back_small_parallel_loops_complete(threads):
    # Calls just over the threshold, with no pause between them: a pool
    # thread that wakes late must never see a finished job.
    threads(2)
    assert _core.parallel_selftest(1 << 15, 1 << 15, repeats=100_000) == 100_000
    threads(3)  # more threads than cores
    assert _core.parallel_selftest((1 << 15) + 5, 1 << 15, repeats=10_000) == 10_000


def test_loops_from_several_python_threads_at_once(threads):
    import threading

    threads(2)
    out = []

    def work():
        out.append(_core.parallel_selftest(1 << 16, 1 << 16, repeats=3000))

    ts = [threading.Thread(target=work) for _ in range(3)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert out == [3000] * 3


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_can_use_several_threads_again(threads):
    threads(2)
    assert _core.parallel_selftest(1 << 20, 1 << 20) == 1  # the parent's pool is running
    a = np.arange(1 << 20, dtype=np.float32)
    def child():
        _core.set_num_threads(2)  # a fresh pool: the parent's threads are not here
        ok = _core.parallel_selftest(1 << 20, 1 << 20, repeats=50) == 50
        same = bool(np.array_equal((tf.constant(a) + 1.0).numpy(), a + 1))
        return f"{_core.get_num_threads()} {ok} {same}"

    msg = _in_forked_child(child)
    assert msg == "2 True True"
