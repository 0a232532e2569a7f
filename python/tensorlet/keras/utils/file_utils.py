"""``get_file``: a file from Keras's cache folder, downloaded there when absent.

The cache is ``$KERAS_HOME`` or ``~/.keras`` (Keras's own), so files Keras
already downloaded are found offline. A download shows a progress bar, is
checked against its published SHA-256 (or MD5) and is renamed into place only
when complete and correct.
"""

import hashlib
import os
import tarfile
import urllib.error
import urllib.request
import zipfile

from tensorlet.file_io import atomic_path


def cache_folder(cache_dir=None):
    """The Keras cache folder: ``cache_dir``, ``$KERAS_HOME`` or ``~/.keras``."""
    return os.path.expanduser(cache_dir or os.environ.get("KERAS_HOME") or os.path.join("~", ".keras"))


def hash_file(path, algorithm="sha256", chunk_size=1 << 20):
    """The hex digest of the file at ``path``."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest()


def _algorithm(file_hash, hash_algorithm):
    if hash_algorithm in ("sha256", "md5"):
        return hash_algorithm
    return "md5" if len(file_hash) == 32 else "sha256"


def validate_file(path, file_hash, hash_algorithm="auto"):
    """Whether the file's digest equals ``file_hash``."""
    return hash_file(path, _algorithm(file_hash, hash_algorithm)) == file_hash.lower()


def get_file(fname=None, origin=None, file_hash=None, cache_subdir="datasets", hash_algorithm="auto",
             extract=False, archive_format="auto", cache_dir=None, force_download=False, md5_hash=None, untar=False,
             verbose=1):
    """The local path of ``fname`` in the cache, downloading it from ``origin`` first if needed.

    Args:
        fname: the file's name in the cache (an absolute path is used as is).
        origin: the URL to download from.
        file_hash: the expected SHA-256 (64 hex digits) or MD5 (32); a cached
            file that does not match is downloaded again.
        cache_subdir: the folder under the cache (``'datasets'``).
        extract: unpack the archive (``.tar``, ``.tar.gz``, ``.zip``) into the cache folder.
        untar: ``fname`` names the unpacked folder of a ``.tar.gz``, whose path is returned.
        verbose: 1 to show a progress bar while downloading.

    Returns:
        The path of the file (of the unpacked folder with ``untar``).

    Raises:
        OSError: if the file is absent and cannot be downloaded; the message
            names the file and where to put it.
        ValueError: if the download does not match ``file_hash``.
    """
    if fname is None:
        fname = os.path.basename(urllib.request.urlparse(origin).path)
    file_hash = file_hash or md5_hash
    folder = os.path.join(cache_folder(cache_dir), cache_subdir)
    path = fname if os.path.isabs(fname) else os.path.join(folder, fname)
    if untar:
        if not os.path.isdir(path):
            _extract(_fetch(path + ".tar.gz", origin, file_hash, hash_algorithm, force_download, cache_subdir,
                            verbose), os.path.dirname(path))
        return path
    path = _fetch(path, origin, file_hash, hash_algorithm, force_download, cache_subdir, verbose)
    if extract:
        _extract(path, os.path.dirname(path))
    return path


def _fetch(path, origin, file_hash, hash_algorithm, force_download, cache_subdir, verbose):
    fresh = os.path.exists(path) and not force_download
    if fresh and (file_hash is None or validate_file(path, file_hash, hash_algorithm)):
        return path
    why = f"{path} does not match its published checksum" if fresh else None
    if origin is None:
        raise OSError(f"{path} is missing and no origin is known to download it from")
    try:
        with atomic_path(path) as tmp:
            _download(origin, tmp, verbose)
            if file_hash is not None and not validate_file(tmp, file_hash, hash_algorithm):
                raise ValueError(f"The file downloaded from {origin} does not match its published "
                                 f"{_algorithm(file_hash, hash_algorithm).upper()} ({file_hash}); it was discarded. "
                                 "Try again, or download it yourself and put it at " + path)
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise OSError(f"Could not download {os.path.basename(path)} from {origin} ({reason})"
                      + (f"; also, {why}" if why else "")
                      + f". If you have the file, put it at {path} (the folder is $KERAS_HOME/{cache_subdir}, "
                      f"~/.keras/{cache_subdir} by default).") from None
    return path


def _extract(archive, folder):
    """Unpacks a tar or zip archive into ``folder``, refusing members that would land outside it.

    Raises:
        ValueError: for an unknown archive type or a member escaping ``folder``.
    """
    root = os.path.realpath(folder)

    def inside(name):
        target = os.path.realpath(os.path.join(root, name))
        if os.path.commonpath([root, target]) != root:
            raise ValueError(f"get_file: refusing to extract {name!r} from {archive}: it would be written outside "
                             f"{folder}")
        return target

    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if m.isfile() or m.isdir()]  # no links or devices
            for m in members:
                inside(m.name)
            tar.extractall(root, members=members)
    elif zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            for name in z.namelist():
                inside(name)
            z.extractall(root)
    else:
        raise ValueError(f"get_file: {archive} is not a tar or zip archive, so it cannot be extracted")


def _download(origin, target, verbose):
    from tensorlet.keras.utils.progbar import Progbar

    with urllib.request.urlopen(origin, timeout=60) as response, open(target, "wb") as out:
        total = response.headers.get("Content-Length") if hasattr(response, "headers") else None
        bar = Progbar(int(total) if total else None, unit_name="B") if verbose else None
        if verbose:
            print(f"Downloading data from {origin}")
        done = 0
        for chunk in iter(lambda: response.read(1 << 16), b""):
            out.write(chunk)
            done += len(chunk)
            if bar is not None:
                bar.update(done)
        if bar is not None and bar.target is None:
            bar.update(done, finalize=True)
