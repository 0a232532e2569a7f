"""Atomic file writes: the data go to a temporary file beside the target,
which is renamed over it only once complete, so an interrupted save (a crash,
a full disk, Ctrl-C) leaves the previous file as it was."""

import contextlib
import os
import tempfile


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
