"""Datasets read from text files: lines (``TextLineDataset``) and CSV records
(``experimental.CsvDataset``, ``experimental.make_csv_dataset``)."""

import csv
import glob
import gzip
import io
import os
import zlib

import numpy as np

import tensorlet as tf
from tensorlet.data.dataset import Dataset, _Map
from tensorlet.data.structure import TensorSpec


def _filenames(filenames, what):
    if isinstance(filenames, Dataset):
        filenames = [f.decode() if isinstance(f, bytes) else str(f) for f in filenames.as_numpy_iterator()]
    if isinstance(filenames, (str, bytes, os.PathLike)):
        filenames = [filenames]
    names = [os.fsdecode(f) for f in filenames]
    for f in names:
        if not os.path.exists(f):
            raise FileNotFoundError(f"{what}: no such file: {f!r}")
    return names


def _open(path, compression_type):
    kind = (compression_type or "").upper()
    if kind == "GZIP":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    if kind == "ZLIB":
        with open(path, "rb") as f:
            return io.StringIO(zlib.decompress(f.read()).decode("utf-8"), newline="")
    if kind:
        raise ValueError(f"compression_type must be '', 'GZIP' or 'ZLIB', got {compression_type!r}")
    return open(path, encoding="utf-8", newline="")


class TextLineDataset(Dataset):
    """The lines of one or more text files, without their line endings, as ``bytes``.

    Args:
        filenames: a path, a list of paths, or a dataset of paths.
        compression_type: ``''``, ``'GZIP'`` or ``'ZLIB'``.

    Raises:
        FileNotFoundError: if a file does not exist.
    """

    def __init__(self, filenames, compression_type=None, buffer_size=None, num_parallel_reads=None, name=None):
        self._files = _filenames(filenames, "TextLineDataset")
        self._compression = compression_type
        self._spec = TensorSpec((), "string")

    def _elements(self):
        for path in self._files:
            with _open(path, self._compression) as f:
                for line in f:
                    yield line.rstrip("\r\n").encode("utf-8")


def _column_parser(default, index):
    """A function from a field's text to a value of the column's dtype."""
    if isinstance(default, (list, tuple)):
        default = default[0] if len(default) else None
    if isinstance(default, tf.Tensor):
        default = default.numpy()
        default = default.item() if np.ndim(default) == 0 else default[0]
    if isinstance(default, tf.DType) or isinstance(default, type) or (isinstance(default, str) and default in (
            "float32", "float64", "int32", "int64", "string")):
        dtype, default = ("string" if default in ("string", str) else tf.as_dtype(default).name), None
    elif isinstance(default, (bytes, str)):
        dtype, default = "string", default.encode() if isinstance(default, str) else default
    elif isinstance(default, (bool, np.bool_)):
        raise TypeError(f"CsvDataset: column {index}: bool columns are not supported; use int32")
    elif isinstance(default, (int, np.integer)):
        dtype = "int32" if not isinstance(default, np.integer) else np.asarray(default).dtype.name
    elif isinstance(default, (float, np.floating)):
        dtype = "float32" if not isinstance(default, np.floating) else np.asarray(default).dtype.name
    else:
        raise TypeError(f"CsvDataset: column {index}: record default {default!r} is not a dtype or a value")

    def parse(text, na_value):
        if text == "" or (na_value and text == na_value):
            if default is None:
                raise tf.errors.InvalidArgumentError(f"CsvDataset: column {index} is required (its record default "
                                                     "is a dtype) but a record has it empty")
            return np.asarray(default, dtype=object if dtype == "string" else dtype)
        if dtype == "string":
            return np.array(text.encode(), dtype=object)
        try:
            return np.asarray(float(text) if "float" in dtype else int(text), dtype=dtype)
        except ValueError:
            raise tf.errors.InvalidArgumentError(f"CsvDataset: column {index}: {text!r} is not a valid "
                                                 f"{dtype}") from None

    return dtype, parse


class CsvDataset(Dataset):
    """The records of CSV files, as tuples with one scalar per column.

    Args:
        filenames: a path or list of paths.
        record_defaults: one entry per (selected) column: a dtype (the column is
            required) or a default value (``0.0``, ``0``, ``''``) whose type is the column's.
        header: whether the first line of each file is a header to skip.
        field_delim, use_quote_delim, na_value: how fields are split, and the
            text that means "missing".
        select_cols / exclude_cols: the column indices to keep / drop.

    Raises:
        FileNotFoundError: if a file does not exist.
    """

    def __init__(self, filenames, record_defaults, compression_type=None, buffer_size=None, header=False,
                 field_delim=",", use_quote_delim=True, na_value="", select_cols=None, exclude_cols=None, name=None):
        self._files = _filenames(filenames, "CsvDataset")
        self._parsers = [_column_parser(d, i) for i, d in enumerate(record_defaults)]
        self._compression, self._header, self._delim = compression_type, header, field_delim
        self._quoting = csv.QUOTE_MINIMAL if use_quote_delim else csv.QUOTE_NONE
        self._na, self._select, self._exclude = na_value, select_cols, exclude_cols
        self._spec = tuple(TensorSpec((), dtype) for dtype, _ in self._parsers)

    def _elements(self):
        for path in self._files:
            with _open(path, self._compression) as f:
                reader = csv.reader(f, delimiter=self._delim, quoting=self._quoting)
                if self._header:
                    next(reader, None)
                for line_no, row in enumerate(reader, 2 if self._header else 1):
                    if not row:
                        continue
                    if self._select is not None:
                        row = [row[i] for i in self._select]
                    elif self._exclude is not None:
                        row = [v for i, v in enumerate(row) if i not in set(self._exclude)]
                    if len(row) != len(self._parsers):
                        raise tf.errors.InvalidArgumentError(
                            f"CsvDataset: {path}:{line_no} has {len(row)} fields, but record_defaults has "
                            f"{len(self._parsers)} entries")
                    yield tuple(parse(v, self._na) for (_, parse), v in zip(self._parsers, row))


def _infer_default(values, na_value):
    """0 (int32), 0.0 (float32) or '' (string): the first that fits every sampled value of a column."""
    present = [v for v in values if v not in ("", na_value)]

    def fits(cast):
        try:
            for v in present:
                cast(v)
        except ValueError:
            return False
        return True

    return 0 if present and fits(int) else 0.0 if fits(float) else ""


def make_csv_dataset(file_pattern, batch_size, column_names=None, column_defaults=None, label_name=None,
                     select_columns=None, field_delim=",", use_quote_delim=True, na_value="", header=True,
                     num_epochs=None, shuffle=True, shuffle_buffer_size=10000, shuffle_seed=None,
                     prefetch_buffer_size=None, num_parallel_reads=None, sloppy=False, num_rows_for_inference=100,
                     compression_type=None, ignore_errors=False, encoding="utf-8"):
    """Batches of CSV records as ``(features, label)``: ``features`` a dict of columns by name.

    Column names come from the header (or ``column_names``); column types are
    inferred from the first ``num_rows_for_inference`` rows (int32, float32 or
    string) unless ``column_defaults`` gives them. As in TensorFlow, it repeats
    forever unless ``num_epochs`` is set, and shuffles unless ``shuffle=False``.

    Raises:
        ValueError: if no file matches, or ``label_name``/``select_columns``
            name columns that do not exist.
    """
    patterns = [file_pattern] if isinstance(file_pattern, (str, os.PathLike)) else list(file_pattern)
    files = sorted(f for p in patterns for f in glob.glob(os.fspath(p)))
    if not files:
        raise ValueError(f"make_csv_dataset: no file matches {file_pattern!r}")
    with _open(files[0], compression_type) as f:
        reader = csv.reader(f, delimiter=field_delim)
        first = next(reader, [])
        sample = [row for _, row in zip(range(num_rows_for_inference), reader)]
    if column_names is None:
        if not header:
            raise ValueError("make_csv_dataset: give column_names when the files have no header")
        column_names = first
    elif not header:
        sample = [first] + sample
    column_names = list(column_names)
    keep = list(range(len(column_names)))
    if select_columns is not None:
        keep = [c if isinstance(c, int) else _index(column_names, c, "select_columns") for c in select_columns]
    if label_name is not None:
        _index([column_names[i] for i in keep], label_name, "label_name")
    if column_defaults is None:
        column_defaults = [_infer_default([row[i] for row in sample if i < len(row)], na_value) for i in keep]
    ds = CsvDataset(files, column_defaults, compression_type, header=header, field_delim=field_delim,
                    use_quote_delim=use_quote_delim, na_value=na_value, select_cols=keep)
    names = [column_names[i] for i in keep]

    def to_features(*values):
        features = dict(zip(names, values))
        return features if label_name is None else (features, features.pop(label_name))

    ds = _Map(ds, to_features, raw=True)
    if num_epochs != 1:
        ds = ds.repeat(num_epochs)
    if shuffle:
        ds = ds.shuffle(shuffle_buffer_size, seed=shuffle_seed)
    return ds.batch(batch_size).prefetch(prefetch_buffer_size or 1)


def _index(names, name, what):
    if name not in names:
        raise ValueError(f"make_csv_dataset: {what} {name!r} is not a column; the columns are {names}")
    return names.index(name)

