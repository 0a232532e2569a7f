"""Files tensorlet writes and reads: atomically written (the data go to a
temporary file beside the target, renamed over it only once complete, so an
interrupted save - a crash, a full disk, Ctrl-C - leaves the previous file as
it was), and numpy archives read without ever unpickling."""

import contextlib
import os
import tempfile
import zipfile

import numpy as np


class FileFormatError(ValueError):
    """A file that is not (or no longer) what tensorlet wrote."""


@contextlib.contextmanager
def atomic_path(filepath, overwrite=True):
    """Yields a temporary path to write; on success it replaces ``filepath``.

    Raises:
        FileExistsError: if ``filepath`` exists and ``overwrite`` is false.
    """
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists; pass overwrite=True to replace it")
    folder = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(filepath) + ".", suffix=".tmp")
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as f:  # on disk before the rename makes it visible
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def read_npz(source, what):
    """The arrays of an ``.npz`` (a path or file object), never unpickling.

    Raises:
        FileFormatError: if it is not an ``.npz`` of plain arrays.
    """
    try:
        with np.load(source, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as e:
        why = "it holds pickled Python objects, which are never loaded (loading runs code)" if "pickle" in str(e) \
            else e
        raise FileFormatError(f"{what} is not a weights file written by tensorlet (or it is damaged): {why}") from None
