"""PyDataset: a dataset of batches computed in Python, by index."""

import collections
import itertools
from concurrent.futures import ThreadPoolExecutor


class PyDataset:
    """Base class of a dataset whose batches a Python method computes: subclass
    it, define ``__len__`` (the number of batches) and ``__getitem__(index)``
    (batch ``index``: ``x``, ``(x, y)`` or ``(x, y, sample_weight)``), and pass
    it to ``fit``, ``evaluate`` or ``predict``.

    Args:
        workers: threads that compute batches ahead of the training step (1:
            computed in turn, when needed).
        use_multiprocessing: processes instead of threads; not supported (raises).
        max_queue_size: how many batches the workers may compute ahead.

    ``on_epoch_begin``/``on_epoch_end`` run before and after each pass (to
    reshuffle, say). ``Sequence`` is the Keras 2 name of this class.

    Raises:
        NotImplementedError: for ``use_multiprocessing=True``.
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        if use_multiprocessing:
            raise NotImplementedError("PyDataset: use_multiprocessing=True is not supported; workers=N computes "
                                      "batches in N threads")
        self._workers, self._max_queue_size = max(1, int(workers or 1)), max(1, int(max_queue_size or 1))

    workers = property(lambda self: self.__dict__.get("_workers", 1))
    use_multiprocessing = False
    max_queue_size = property(lambda self: self.__dict__.get("_max_queue_size", 10))

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__}: define __getitem__(index) returning batch index")

    @property
    def num_batches(self):
        """The number of batches per epoch (``len(self)``), or None for an endless dataset."""
        return len(self) if hasattr(self, "__len__") else None

    def on_epoch_begin(self):
        """Runs before each epoch."""

    def on_epoch_end(self):
        """Runs after each epoch."""

    def _epoch(self):
        """The batches of one epoch, in order (computed ahead by the workers)."""
        self.on_epoch_begin()
        n = self.num_batches
        indices = iter(range(n)) if n is not None else itertools.count()
        try:
            if self.workers == 1:
                for i in indices:
                    yield self[i]
                return
            with ThreadPoolExecutor(self.workers) as pool:
                pending = collections.deque(pool.submit(self.__getitem__, i)
                                            for i in itertools.islice(indices, self.max_queue_size))
                while pending:
                    batch = pending.popleft().result()
                    pending.extend(pool.submit(self.__getitem__, i) for i in itertools.islice(indices, 1))
                    yield batch
        finally:
            self.on_epoch_end()


Sequence = PyDataset
