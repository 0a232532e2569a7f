"""CIFAR batches: read from the extracted folder Keras leaves in the cache, or
straight out of the downloaded ``.tar.gz`` (nothing is extracted)."""

import os
import tarfile

import numpy as np

from tensorlet.keras.datasets._files import ArrayUnpickler
from tensorlet.keras.utils.file_utils import cache_folder, get_file


def batches(folder, archive_name, origin, file_hash, names, label_key):
    """``[(images (n, 32, 32, 3) uint8, labels (n,) uint8)]`` for each batch file in ``names``."""
    root = os.path.join(cache_folder(), "datasets")
    extracted = os.path.join(root, folder)
    if all(os.path.exists(os.path.join(extracted, n)) for n in names):
        out = []
        for n in names:
            with open(os.path.join(extracted, n), "rb") as f:
                out.append(_decode(f, label_key))
        return out
    archive = next((p for p in (os.path.join(root, folder + ".tar.gz"), os.path.join(root, archive_name))
                    if os.path.exists(p)), None)
    archive = get_file(os.path.basename(archive or folder + ".tar.gz"), origin=origin, file_hash=file_hash)
    with tarfile.open(archive, "r:gz") as tar:
        out = []
        for n in names:
            member = tar.extractfile(f"{folder}/{n}")
            if member is None:
                raise ValueError(f"{archive} has no {folder}/{n}: it is not the CIFAR archive")
            out.append(_decode(member, label_key))
        return out


def _decode(f, label_key):
    d = {k.decode() if isinstance(k, bytes) else k: v for k, v in ArrayUnpickler(f, encoding="bytes").load().items()}
    data = np.asarray(d["data"], dtype=np.uint8)
    images = data.reshape(len(data), 3, 32, 32).transpose(0, 2, 3, 1)
    return images, np.asarray(d[label_key], dtype=np.uint8)
