"""Tapes are per thread: a tape records only its own thread's ops."""

import threading

import numpy as np

import tensorlet as tf
from tensorlet.ops import registry


def _step(seed):
    rng = np.random.default_rng(seed)
    w = tf.Variable(rng.standard_normal((4, 3)))
    x = tf.constant(rng.standard_normal((5, 4)))
    with tf.GradientTape() as tape:
        for _ in range(5):
            y = tf.reduce_sum(tf.tanh(tf.matmul(x, w)) ** 2)
    return tape.gradient(y, w).numpy()


def test_threads_each_with_a_tape_match_a_single_thread():
    seeds = list(range(8))
    expected = {s: _step(s) for s in seeds}
    results, errors = {}, []
    barrier = threading.Barrier(len(seeds))

    def worker(seed):
        try:
            barrier.wait()
            for _ in range(20):
                g = _step(seed)
                assert g is not None
                np.testing.assert_allclose(g, expected[seed], rtol=1e-12)
            results[seed] = True
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(s,)) for s in seeds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    assert len(results) == len(seeds)
    assert registry.observers == [] and registry._observing == []


def test_a_tape_does_not_see_another_threads_variables():
    other = tf.Variable(2.0)
    seen = threading.Event()
    done = threading.Event()

    def reader():
        seen.wait()
        for _ in range(200):
            other * other
        done.set()

    t = threading.Thread(target=reader)
    t.start()
    with tf.GradientTape() as tape:
        seen.set()
        done.wait()
    t.join()
    assert tape.watched_variables() == ()
