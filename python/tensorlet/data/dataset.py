"""tf.data.Dataset: a re-iterable pipeline of elements (tensors, tuples, dicts).

Each dataset runs in Python on numpy values and hands tensors to the user.
Datasets over in-memory arrays (``from_tensor_slices``) pass *indices* through
``shuffle``, ``take``, ``skip`` and ``repeat`` and gather a whole batch at
once in ``batch``, so the per-element cost of a training pipeline is that of
an integer, not of a tensor.
"""

import itertools
import math
import queue
import threading

import numpy as np

import tensorlet as tf
from tensorlet.data import structure as st
from tensorlet.data.structure import INFINITE, UNKNOWN, TensorSpec
from tensorlet.framework.tensor import tracers as _tracers

AUTOTUNE = -1


def _check_count(name, value, allow_minus_one=False):
    if isinstance(value, tf.Tensor):
        value = int(value)
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or \
            (value < 0 and not (allow_minus_one and value == -1)):
        raise tf.errors.InvalidArgumentError(f"Dataset.{name}: expected a non-negative int, got {value!r}")
    return int(value)


class Dataset:
    """A sequence of elements, built from sources and transformations.

    ``for x, y in dataset:`` yields tensors; every ``for`` starts again from the
    beginning (reshuffling, when shuffled). Build one with
    ``Dataset.from_tensor_slices``, ``from_tensors``, ``from_generator``,
    ``range``, ``zip`` or a reader (``TextLineDataset``...).
    """

    # ---- what subclasses provide ---------------------------------------------------
    def _elements(self):
        """Yields the elements as structures of numpy values."""
        raise NotImplementedError

    def _indexed(self):
        """``(indices, gather)`` when elements come from arrays by index, else None:
        ``indices()`` yields ints, ``gather(int array)`` returns the stacked batch."""
        return None

    def _cardinality(self):
        return UNKNOWN

    @property
    def element_spec(self):
        """The structure of ``TensorSpec`` of one element."""
        spec = getattr(self, "_spec", None)
        if spec is None:
            for element in self._elements():
                spec = st.map_structure(st.spec_of, element)
                break
            else:
                raise ValueError("element_spec: the dataset is empty, so its element structure is unknown")
            self._spec = spec
        return spec

    # ---- iteration ---------------------------------------------------------------------
    def __iter__(self):
        return DatasetIterator(self)

    def as_numpy_iterator(self):
        """An iterator over the elements as numpy arrays (``bytes`` for strings), with ``next()``."""
        return _NumpyIterator(st.map_structure(st.to_numpy_output, e) for e in self._elements())

    def cardinality(self):
        """The number of elements, ``tf.data.INFINITE_CARDINALITY`` (-1) or ``UNKNOWN_CARDINALITY`` (-2)."""
        return tf.constant(self._cardinality(), dtype="int64")

    def __len__(self):
        n = self._cardinality()
        if n == INFINITE:
            raise TypeError("The dataset is infinite (it repeats forever): it has no len()")
        if n == UNKNOWN:
            raise TypeError("The dataset length is unknown (filter, from_generator, a file reader...); "
                            "use cardinality(), or count the elements by iterating")
        return n

    def __bool__(self):
        return True

    def __repr__(self):
        try:
            spec = self.element_spec
        except ValueError:
            spec = "(empty)"
        return f"<{type(self).__name__} element_spec={spec}>"

    # ---- sources -------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors, name=None):
        """A dataset of the slices of ``tensors`` along their first dim.

        Args:
            tensors: an array/tensor, or a tuple or dict of them (a list is one array).

        Raises:
            InvalidArgumentError: if the components' first dims differ.
        """
        return _Slices(tensors)

    @staticmethod
    def from_tensors(tensors, name=None):
        """A dataset of one element: ``tensors`` itself."""
        return _Slices(st.map_structure(lambda a: st.to_numpy(a)[None], tensors))

    @staticmethod
    def range(*args, dtype="int64", name=None):
        """``range(stop)``, ``range(start, stop[, step])`` as int64 scalars."""
        r = range(*[int(a) for a in args])
        return _Slices(np.arange(r.start, r.stop, r.step, dtype=tf.as_dtype(dtype).name))

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None, output_signature=None,
                       name=None):
        """A dataset of the values a generator yields; ``generator(*args)`` is called anew for each pass.

        Args:
            generator: a callable returning an iterator (not an iterator itself,
                which could be consumed only once).
            output_signature: a structure of ``tf.TensorSpec`` the elements must
                match (or the older ``output_types``/``output_shapes``).

        Raises:
            TypeError: if ``generator`` is not callable.
        """
        if not callable(generator):
            raise TypeError(f"Dataset.from_generator: generator must be a callable returning an iterator (e.g. a "
                            f"generator function), got {type(generator).__name__}")
        if output_signature is None and output_types is not None:
            shapes = output_shapes if output_shapes is not None else st.map_structure(lambda _: None, output_types)
            output_signature = st.map_structure(
                lambda t, s: TensorSpec(() if s is None else s, t) if s is not None else TensorSpec((), t),
                output_types, shapes)
        return _Generator(generator, tuple(args or ()), output_signature)

    @staticmethod
    def list_files(file_pattern, shuffle=None, seed=None, name=None):
        """The paths (``bytes``) of the files matching ``file_pattern`` (a glob, or a list of them),
        in a new random order on each pass unless ``shuffle=False``.

        Raises:
            InvalidArgumentError: if nothing matches.
        """
        import glob
        import os

        patterns = [file_pattern] if isinstance(file_pattern, (str, bytes, os.PathLike)) else list(file_pattern)
        paths = sorted({p for pat in patterns for p in glob.glob(os.fsdecode(pat))})
        if not paths:
            raise tf.errors.InvalidArgumentError(f"Dataset.list_files: no files match {file_pattern!r}")
        ds = _Slices(np.array([os.fsencode(p) for p in paths], dtype=object))
        return ds if shuffle is False else ds.shuffle(len(paths), seed=seed)

    @staticmethod
    def zip(*datasets, name=None):
        """Elements of several datasets side by side (a tuple, or the structure given)."""
        structure = datasets[0] if len(datasets) == 1 and isinstance(datasets[0], (tuple, dict)) else datasets
        return _Zip(structure)

    @staticmethod
    def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False):
        """Draws each element from one of ``datasets`` at random, with ``weights``."""
        return _Sample(list(datasets), weights, seed, stop_on_empty_dataset)

    # ---- transformations -----------------------------------------------------------------
    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """Applies ``map_func`` to each element (its components as separate arguments for a tuple).

        ``num_parallel_calls`` is accepted; elements are mapped in order in this thread.
        """
        return _Map(self, map_func)

    def filter(self, predicate, name=None):
        """Keeps the elements for which ``predicate`` is true."""
        return _Filter(self, predicate)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None, deterministic=None, name=None):
        """Stacks consecutive elements into batches (the last one smaller unless ``drop_remainder``)."""
        return _Batch(self, _check_count("batch", batch_size), drop_remainder)

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None, drop_remainder=False, name=None):
        """Batches elements of different shapes, padding each to the largest (or ``padded_shapes``)."""
        return _Batch(self, _check_count("padded_batch", batch_size), drop_remainder,
                      padding=(padded_shapes, padding_values))

    def unbatch(self, name=None):
        """Splits each element along its first dim into separate elements."""
        return _Unbatch(self)

    def rebatch(self, batch_size, drop_remainder=False, name=None):
        return self.unbatch().batch(batch_size, drop_remainder)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        """Shuffles with a buffer of ``buffer_size`` elements (the whole dataset is shuffled
        uniformly when the buffer holds all of it); a new order on each pass unless told not to."""
        return _Shuffle(self, _check_count("shuffle", buffer_size), seed, reshuffle_each_iteration)

    def repeat(self, count=None, name=None):
        """Repeats the dataset ``count`` times (forever with None or -1)."""
        count = None if count is None else _check_count("repeat", count, allow_minus_one=True)
        return _Repeat(self, None if count == -1 else count)

    def take(self, count, name=None):
        """The first ``count`` elements (all of them with -1)."""
        count = _check_count("take", count, allow_minus_one=True)
        return self if count == -1 else _Take(self, count)

    def skip(self, count, name=None):
        """All but the first ``count`` elements."""
        return _Skip(self, _check_count("skip", count))

    def prefetch(self, buffer_size, name=None):
        """Prepares up to ``buffer_size`` elements ahead in a background thread (AUTOTUNE: 2)."""
        buffer_size = 2 if buffer_size in (None, AUTOTUNE) else _check_count("prefetch", buffer_size)
        return _Prefetch(self, max(1, buffer_size))

    def cache(self, filename="", name=None):
        """Keeps the elements in memory after the first complete pass (``filename`` accepted; memory is used)."""
        return _Cache(self)

    def enumerate(self, start=0, name=None):
        """Pairs each element with its index: ``(i, element)``."""
        return _Enumerate(self, int(start))

    def concatenate(self, dataset, name=None):
        """This dataset's elements, then ``dataset``'s."""
        return _Concat(self, dataset)

    def flat_map(self, map_func, name=None):
        """Maps each element to a dataset and chains them."""
        return _FlatMap(self, map_func)

    def interleave(self, map_func, cycle_length=None, block_length=1, num_parallel_calls=None,
                   deterministic=None, name=None):
        """Maps each element to a dataset and draws from ``cycle_length`` of them in turn."""
        return _Interleave(self, map_func, cycle_length or 1, block_length)

    def shard(self, num_shards, index, name=None):
        """Every ``num_shards``-th element, starting at ``index``."""
        return _Map(_Filter(_Enumerate(self, 0), lambda i, x: i % num_shards == index, raw=True),
                    lambda i, x: x, raw=True)

    def apply(self, transformation_func):
        """``transformation_func(self)``."""
        return transformation_func(self)

    def reduce(self, initial_state, reduce_func, name=None):
        """Folds the elements into one value: ``state = reduce_func(state, element)``."""
        state = initial_state
        for element in self:
            state = reduce_func(state, *element) if isinstance(element, tuple) else reduce_func(state, element)
        return state

    def take_while(self, predicate, name=None):
        return _TakeWhile(self, predicate)

    def get_single_element(self, name=None):
        it = iter(self)
        first = next(it, None)
        if first is None or next(it, None) is not None:
            raise tf.errors.InvalidArgumentError("get_single_element: the dataset must have exactly one element")
        return first

    def with_options(self, options, name=None):
        return self

    def options(self):
        return Options()


class DatasetIterator:
    """``iter(dataset)``: yields the elements as tensors; a ``tf.train.Checkpoint``
    saves its position (restored by replaying the pipeline up to it, so a seeded
    shuffle resumes in the same order)."""

    def __init__(self, dataset):
        self._dataset, self._elements, self._position = dataset, dataset._elements(), 0

    def __iter__(self):
        return self

    def __next__(self):
        for tracer in _tracers:  # in tensorlet.function, this data must not be frozen into a graph
            tracer.untraceable("it iterates a tf.data.Dataset, whose elements (reshuffled or changed on a later "
                               "call) would be frozen into the traced graph")
        element = next(self._elements)
        self._position += 1
        return st.map_structure(st.to_output, element)

    def get_next(self):
        return next(self)

    @property
    def element_spec(self):
        return self._dataset.element_spec

    def _restore_position(self, position):
        if position < self._position:
            self._elements, self._position = self._dataset._elements(), 0
        for _ in itertools.islice(self._elements, position - self._position):
            pass
        self._position = position


class _NumpyIterator:
    def __init__(self, elements):
        self._elements = elements

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._elements)

    next = __next__


class Options:
    """Accepted for compatibility; tensorlet's pipelines have no tuning knobs."""

    def __init__(self):
        self.experimental_deterministic = True
        self.deterministic = True


def steps_and_iterator(dataset, steps):
    """How ``fit``/``evaluate``/``predict`` draw batches from ``dataset``: the number of
    steps per epoch, and an iterator kept across epochs for an endless dataset.

    Raises:
        ValueError: if the dataset repeats forever and no ``steps`` are given.
    """
    n = dataset._cardinality()
    if n == INFINITE:
        if steps is None:
            raise ValueError("The dataset repeats forever (repeat() without a count): give the number of batches "
                             "to draw per epoch (steps_per_epoch in fit, validation_steps for validation data, "
                             "steps in evaluate and predict)")
        return steps, iter(dataset)
    return (n if n >= 0 else None) if steps is None else steps, None


# ---- sources -------------------------------------------------------------------------------
class _Slices(Dataset):
    def __init__(self, tensors):
        self._arrays = st.map_structure(st.to_numpy, tensors)
        leaves = st.flatten(self._arrays)
        if any(a.ndim == 0 for a in leaves):
            raise tf.errors.InvalidArgumentError("Dataset.from_tensor_slices: every component needs a first "
                                                 "dimension to slice; got a scalar")
        lengths = {len(a) for a in leaves}
        if len(lengths) > 1:
            raise tf.errors.InvalidArgumentError(
                f"Dataset.from_tensor_slices: all components must have the same size in their first dimension, "
                f"got sizes {[len(a) for a in leaves]}")
        self._n = lengths.pop() if lengths else 0
        self._spec = st.map_structure(lambda a: TensorSpec(a.shape[1:], "string" if st.is_string(a) else a.dtype),
                                      self._arrays)

    def _cardinality(self):
        return self._n

    def _indexed(self):
        arrays = self._arrays
        return (lambda: iter(range(self._n))), (lambda idx: st.map_structure(lambda a: a[idx], arrays))

    def _elements(self):
        arrays = self._arrays
        if not st.is_structure(arrays):
            yield from arrays  # one array: its rows
            return
        leaves = st.flatten(arrays)
        for i in range(self._n):
            yield _rebuild(arrays, [a[i] for a in leaves])


def _rebuild(structure, leaves):
    it = iter(leaves)
    return st.map_structure(lambda _: next(it), structure)


class _Generator(Dataset):
    def __init__(self, generator, args, signature):
        self._generator, self._args, self._signature = generator, args, signature
        if signature is not None:
            self._spec = signature

    def _elements(self):
        sig = self._signature
        for item in self._generator(*self._args):
            if isinstance(item, list) and isinstance(sig, tuple):
                item = tuple(item)
            if sig is None:
                yield st.map_structure(st.to_numpy, item)
                continue
            if not st.same_structure(sig, item):
                raise TypeError(f"Dataset.from_generator: the generator yielded {item!r}, which does not match "
                                f"output_signature {sig}")
            yield st.map_structure(_conform, sig, item)


def _conform(spec, value):
    if spec.dtype == "string":
        return st.to_numpy(value)
    a = np.asarray(value.numpy() if isinstance(value, tf.Tensor) else value)
    try:
        a = a.astype(spec.dtype.name, casting="same_kind" if a.dtype.kind == "f" else "unsafe")
    except TypeError:
        raise TypeError(f"Dataset.from_generator: a value of dtype {a.dtype} does not fit {spec}") from None
    if not spec.is_compatible_with(a):
        raise tf.errors.InvalidArgumentError(f"Dataset.from_generator: a value of shape {a.shape} does not match "
                                             f"{spec}")
    return a


class _Zip(Dataset):
    def __init__(self, structure):
        self._structure = structure
        for d in st.flatten(structure):
            if not isinstance(d, Dataset):
                raise TypeError(f"Dataset.zip takes datasets, got {type(d).__name__}")

    def _cardinality(self):
        ns = [d._cardinality() for d in st.flatten(self._structure)]
        finite = [n for n in ns if n >= 0]
        if finite:
            return min(finite)
        return UNKNOWN if UNKNOWN in ns else INFINITE

    def _elements(self):
        datasets = st.flatten(self._structure)
        for parts in zip(*(d._elements() for d in datasets)):
            yield _rebuild(self._structure, parts)


class _Sample(Dataset):
    def __init__(self, datasets, weights, seed, stop_on_empty):
        self._datasets, self._stop = datasets, stop_on_empty
        w = np.ones(len(datasets)) if weights is None else np.asarray(weights, np.float64)
        self._weights, self._shuffler = w / w.sum(), _Seeds(seed)

    def _elements(self):
        rng = self._shuffler.rng(True)
        its = [d._elements() for d in self._datasets]
        live = list(range(len(its)))
        while live:
            w = self._weights[live] / self._weights[live].sum()
            k = live[rng.choice(len(live), p=w)]
            try:
                yield next(its[k])
            except StopIteration:
                if self._stop:
                    return
                live.remove(k)


# ---- element-wise transformations ------------------------------------------------------------
def _call(fn, element, raw=False):
    """``fn`` of an element as tensors; a tuple's components are separate arguments."""
    if not raw:
        element = st.map_structure(st.to_output, element)
    return fn(*element) if isinstance(element, tuple) else fn(element)


class _Map(Dataset):
    def __init__(self, source, fn, raw=False):
        self._source, self._fn, self._raw = source, fn, raw

    def _cardinality(self):
        return self._source._cardinality()

    def _elements(self):
        fn, raw = self._fn, self._raw
        for element in self._source._elements():
            out = _call(fn, element, raw)
            if isinstance(out, list):
                out = tuple(out)
            yield out if raw else st.map_structure(_numpy_or_tensor, out)


def _numpy_or_tensor(value):
    return value if isinstance(value, tf.Tensor) else st.to_numpy(value)


class _Filter(Dataset):
    def __init__(self, source, predicate, raw=False):
        self._source, self._predicate, self._raw = source, predicate, raw
        self._spec = getattr(source, "_spec", None)

    def _elements(self):
        for element in self._source._elements():
            keep = _call(self._predicate, element, self._raw)
            keep = np.asarray(keep)
            if keep.shape != () or keep.dtype != np.bool_:
                raise tf.errors.InvalidArgumentError(f"Dataset.filter: the predicate must return a scalar bool, "
                                                     f"got dtype {keep.dtype} shape {keep.shape}")
            if keep:
                yield element


class _TakeWhile(_Filter):
    def _elements(self):
        for element in self._source._elements():
            if not bool(np.asarray(_call(self._predicate, element))):
                return
            yield element


class _FlatMap(Dataset):
    def __init__(self, source, fn):
        self._source, self._fn = source, fn

    def _elements(self):
        for element in self._source._elements():
            inner = _call(self._fn, element)
            if not isinstance(inner, Dataset):
                raise TypeError(f"Dataset.flat_map: the function must return a Dataset, got {type(inner).__name__}")
            yield from inner._elements()


class _Interleave(_FlatMap):
    def __init__(self, source, fn, cycle_length, block_length):
        super().__init__(source, fn)
        self._cycle, self._block = int(cycle_length), int(block_length)

    def _elements(self):
        outer = self._source._elements()
        active = []
        exhausted = False
        while True:
            while not exhausted and len(active) < self._cycle:
                element = next(outer, None)
                if element is None:
                    exhausted = True
                    break
                active.append(_call(self._fn, element)._elements())
            if not active:
                return
            for it in list(active):
                for _ in range(self._block):
                    value = next(it, None)
                    if value is None:
                        active.remove(it)
                        break
                    yield value


# ---- order and count ------------------------------------------------------------------------------
class _Seeds:
    """Per-pass random generators for shuffle, following tensorlet's global and op seeds."""

    def __init__(self, seed):
        from tensorlet.ops.random_ops import seed_state

        self._key = seed_state.next(seed)[0]
        self._pass = 0

    def rng(self, reshuffle):
        self._pass += 1
        return np.random.default_rng([self._key, self._pass if reshuffle else 0])


def _buffer_shuffle(items, buffer_size, rng):
    buf = []
    for item in items:
        if len(buf) < buffer_size:
            buf.append(item)
            continue
        k = int(rng.integers(len(buf)))
        yield buf[k]
        buf[k] = item
    for k in rng.permutation(len(buf)):
        yield buf[k]


class _Shuffle(Dataset):
    def __init__(self, source, buffer_size, seed, reshuffle):
        if buffer_size < 1:
            raise tf.errors.InvalidArgumentError("Dataset.shuffle: buffer_size must be at least 1")
        self._source, self._buffer, self._reshuffle = source, buffer_size, reshuffle
        self._seeds = _Seeds(seed)
        self._spec = getattr(source, "_spec", None)

    def _cardinality(self):
        return self._source._cardinality()

    def _indexed(self):
        inner = self._source._indexed()
        if inner is None:
            return None
        indices, gather = inner
        n = self._source._cardinality()

        def shuffled():
            rng = self._seeds.rng(self._reshuffle)
            if n >= 0 and self._buffer >= n:
                return iter(rng.permutation(n).tolist())  # the same distribution, in one call
            return _buffer_shuffle(indices(), self._buffer, rng)

        return shuffled, gather

    def _elements(self):
        indexed = self._indexed()
        if indexed is not None:
            indices, gather = indexed
            for i in indices():
                yield gather(i)
            return
        yield from _buffer_shuffle(self._source._elements(), self._buffer, self._seeds.rng(self._reshuffle))


class _Repeat(Dataset):
    def __init__(self, source, count):
        self._source, self._count = source, count
        self._spec = getattr(source, "_spec", None)

    def _cardinality(self):
        n = self._source._cardinality()
        if n == 0 or self._count == 0:
            return 0
        if self._count is None:
            return INFINITE  # as TensorFlow counts it, even over a source of unknown size
        return n * self._count if n >= 0 else n

    def _passes(self):
        return itertools.count() if self._count is None else range(self._count)

    def _indexed(self):
        inner = self._source._indexed()
        if inner is None:
            return None
        indices, gather = inner
        return (lambda: itertools.chain.from_iterable(indices() for _ in self._passes())), gather

    def _elements(self):
        for _ in self._passes():
            empty = True
            for element in self._source._elements():
                empty = False
                yield element
            if empty:
                return


class _Take(Dataset):
    def __init__(self, source, count):
        self._source, self._count = source, count
        self._spec = getattr(source, "_spec", None)

    def _cardinality(self):
        n = self._source._cardinality()
        return self._count if n == INFINITE else (min(n, self._count) if n >= 0 else UNKNOWN)

    def _indexed(self):
        inner = self._source._indexed()
        return None if inner is None else ((lambda: itertools.islice(inner[0](), self._count)), inner[1])

    def _elements(self):
        return itertools.islice(self._source._elements(), self._count)


class _Skip(_Take):
    def _cardinality(self):
        n = self._source._cardinality()
        return max(0, n - self._count) if n >= 0 else n

    def _indexed(self):
        inner = self._source._indexed()
        return None if inner is None else ((lambda: itertools.islice(inner[0](), self._count, None)), inner[1])

    def _elements(self):
        return itertools.islice(self._source._elements(), self._count, None)


class _Enumerate(Dataset):
    def __init__(self, source, start):
        self._source, self._start = source, start

    def _cardinality(self):
        return self._source._cardinality()

    def _elements(self):
        for i, element in enumerate(self._source._elements(), self._start):
            yield np.int64(i), element


class _Concat(Dataset):
    def __init__(self, first, second):
        self._parts = (first, second)

    def _cardinality(self):
        a, b = (d._cardinality() for d in self._parts)
        if INFINITE in (a, b):
            return INFINITE
        return a + b if a >= 0 and b >= 0 else UNKNOWN

    def _elements(self):
        for d in self._parts:
            yield from d._elements()


# ---- batching -----------------------------------------------------------------------------------
class _Batch(Dataset):
    def __init__(self, source, batch_size, drop_remainder, padding=None):
        if batch_size < 1:
            raise tf.errors.InvalidArgumentError("Dataset.batch: batch_size must be at least 1")
        self._source, self._size, self._drop, self._padding = source, batch_size, bool(drop_remainder), padding
        inner = getattr(source, "_spec", None)
        if inner is not None and padding is None:
            lead = batch_size if drop_remainder else None
            self._spec = st.map_structure(lambda s: TensorSpec((lead,) + tuple(s.shape), s.dtype), inner)

    def _cardinality(self):
        n = self._source._cardinality()
        if n < 0:
            return n
        return n // self._size if self._drop else math.ceil(n / self._size)

    def _elements(self):
        indexed = self._source._indexed() if self._padding is None else None
        if indexed is not None:  # gather each batch in one indexing operation
            indices, gather = indexed
            it = indices()
            while True:
                chunk = list(itertools.islice(it, self._size))
                if not chunk or (self._drop and len(chunk) < self._size):
                    return
                yield gather(np.asarray(chunk, dtype=np.int64))
            return
        it = self._source._elements()
        while True:
            chunk = list(itertools.islice(it, self._size))
            if not chunk or (self._drop and len(chunk) < self._size):
                return
            leaves = [st.flatten(e) for e in chunk]
            single = not st.is_structure(chunk[0])
            stacked = [self._stack([l[i] for l in leaves], i, single) for i in range(len(leaves[0]))]
            yield _rebuild(chunk[0], stacked)

    def _stack(self, values, index, single):
        if self._padding is None:
            return st.stack(values)
        shapes, pad_values = self._padding
        # One component: padded_shapes is its shape, whether written as a list or a tuple.
        shape = shapes if single or shapes is None else st.flatten(shapes)[index]
        pad = st.flatten(pad_values)[index] if isinstance(pad_values, (tuple, dict)) else pad_values
        return _pad_stack([st.to_numpy(v) for v in values], shape, pad)


def _pad_stack(values, shape, pad):
    ndim = values[0].ndim
    largest = [max(v.shape[d] for v in values) for d in range(ndim)]
    if shape is not None:
        shape = [d if d is not None and d != -1 else None for d in tuple(shape)]
        if len(shape) != ndim:
            raise tf.errors.InvalidArgumentError(f"padded_batch: padded shape {tuple(shape)} does not match elements "
                                                 f"of rank {ndim}")
        for d, (want, big) in enumerate(zip(shape, largest)):
            if want is not None and want < big:
                raise tf.errors.InvalidArgumentError(f"padded_batch: an element's dim {d} is {big}, larger than the "
                                                     f"padded shape {tuple(shape)}")
        largest = [big if want is None else want for want, big in zip(shape, largest)]
    fill = (b"" if values[0].dtype == object else 0) if pad is None else (
        pad.numpy() if isinstance(pad, tf.Tensor) else pad)
    out = np.full([len(values)] + largest, fill, dtype=values[0].dtype)
    for i, v in enumerate(values):
        out[(i,) + tuple(slice(0, s) for s in v.shape)] = v
    return out


class _Unbatch(Dataset):
    def __init__(self, source):
        self._source = source
        inner = getattr(source, "_spec", None)
        if inner is not None:
            self._spec = st.map_structure(lambda s: TensorSpec(tuple(s.shape)[1:], s.dtype), inner)

    def _elements(self):
        for element in self._source._elements():
            leaves = [st.to_numpy(v) for v in st.flatten(element)]
            for i in range(len(leaves[0]) if leaves else 0):
                yield _rebuild(element, [a[i] for a in leaves])


# ---- caching and prefetching ---------------------------------------------------------------------
class _Cache(Dataset):
    def __init__(self, source):
        self._source, self._cached = source, None
        self._spec = getattr(source, "_spec", None)

    def _cardinality(self):
        return self._source._cardinality() if self._cached is None else len(self._cached)

    def _elements(self):
        if self._cached is not None:
            yield from self._cached
            return
        filling = []
        for element in self._source._elements():
            filling.append(element)
            yield element
        self._cached = filling  # only a complete pass is kept


_DONE = object()


class _Prefetch(Dataset):
    def __init__(self, source, buffer_size):
        self._source, self._size = source, buffer_size
        self._spec = getattr(source, "_spec", None)

    def _cardinality(self):
        return self._source._cardinality()

    def _elements(self):
        q = queue.Queue(self._size)
        stop = threading.Event()

        def produce():
            try:
                for element in self._source._elements():
                    while not stop.is_set():
                        try:
                            q.put((element, None), timeout=0.1)
                            break
                        except queue.Full:
                            pass
                    if stop.is_set():
                        return
                q.put((_DONE, None))
            except BaseException as e:  # handed to the consumer, raised there
                q.put((_DONE, e))

        worker = threading.Thread(target=produce, daemon=True, name="tensorlet-prefetch")
        worker.start()
        try:
            while True:
                element, error = q.get()
                if element is _DONE:
                    if error is not None:
                        raise error
                    return
                yield element
        finally:
            stop.set()
