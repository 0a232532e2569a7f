"""``image_dataset_from_directory`` and ``text_dataset_from_directory``: a
``tf.data.Dataset`` of batches from a folder with one subfolder per class.

Files are listed in sorted order (classes alphabetically, as Keras does),
shuffled once with ``seed`` before a ``validation_split``, and read lazily,
batch by batch. Images are decoded with Pillow (``pip install Pillow``, the
``images`` extra); text needs nothing extra.
"""

import os

import numpy as np

import tensorlet as tf

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")



def _path(path):
    """A file name from a str, bytes or a scalar string tensor."""
    path = path.numpy() if hasattr(path, "numpy") else path
    return path if isinstance(path, str) else path.decode()

def _index(directory, formats, labels, class_names, follow_links, who):
    """``(paths, int labels or None, class_names)`` of the matching files under ``directory``."""
    if not os.path.isdir(directory):
        raise ValueError(f"{who}: {directory!r} is not a folder")
    if labels == "inferred":
        found = sorted(d for d in os.listdir(directory) if os.path.isdir(os.path.join(directory, d)))
        if class_names is not None and sorted(class_names) != sorted(found):
            raise ValueError(f"{who}: class_names {list(class_names)} do not match the subfolders {found}")
        class_names = list(class_names) if class_names is not None else found
        roots = [(os.path.join(directory, c), i) for i, c in enumerate(class_names)]
    else:
        roots = [(directory, None)]
    paths, ids = [], []
    for root, label in roots:
        for folder, dirs, files in sorted(os.walk(root, followlinks=follow_links)):
            dirs.sort()
            for f in sorted(files):
                if f.lower().endswith(formats):
                    paths.append(os.path.join(folder, f))
                    ids.append(label)
    if isinstance(labels, (list, tuple, np.ndarray)):
        if len(labels) != len(paths):
            raise ValueError(f"{who}: {len(labels)} labels given for {len(paths)} files found in {directory!r}")
        return paths, np.asarray(labels), class_names
    return paths, (np.asarray(ids, np.int32) if labels == "inferred" else None), class_names


def _split(paths, labels, validation_split, subset, shuffle, seed, who):
    if validation_split is None:
        if subset is not None:
            raise ValueError(f"{who}: subset={subset!r} needs a validation_split")
        return [(paths, labels)]
    if not 0 < validation_split < 1:
        raise ValueError(f"{who}: validation_split must be in (0, 1), got {validation_split}")
    if subset not in ("training", "validation", "both"):
        raise ValueError(f"{who}: with validation_split, subset must be 'training', 'validation' or 'both', got "
                         f"{subset!r}")
    if shuffle and seed is None:
        raise ValueError(f"{who}: with validation_split and shuffle, give a seed so that the training and "
                         "validation subsets do not overlap")
    cut = len(paths) - int(validation_split * len(paths))
    train = (paths[:cut], None if labels is None else labels[:cut])
    val = (paths[cut:], None if labels is None else labels[cut:])
    return {"training": [train], "validation": [val], "both": [train, val]}[subset]


def _encode(labels, label_mode, n_classes, who):
    if labels is None or label_mode is None:
        return None
    if label_mode == "int":
        return labels.astype(np.int32)
    if label_mode == "categorical":
        return np.eye(n_classes, dtype=np.float32)[labels]
    if label_mode == "binary":
        if n_classes != 2:
            raise ValueError(f"{who}: label_mode='binary' needs exactly 2 classes, found {n_classes}")
        return labels.astype(np.float32).reshape(-1, 1)
    raise ValueError(f"{who}: label_mode must be 'int', 'categorical', 'binary' or None, got {label_mode!r}")


def _from_files(directory, formats, read, labels, label_mode, class_names, batch_size, shuffle, seed,
                validation_split, subset, follow_links, verbose, who):
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple, np.ndarray)):
        raise ValueError(f"{who}: labels must be 'inferred', None or a list of labels, got {labels!r}")
    paths, ids, class_names = _index(directory, formats, labels, class_names, follow_links, who)
    if not paths:
        raise ValueError(f"{who}: no files ending in {', '.join(formats)} found under {directory!r}")
    if shuffle:
        order = np.random.RandomState(np.random.randint(1e6) if seed is None else seed).permutation(len(paths))
        paths = [paths[i] for i in order]
        ids = None if ids is None else ids[order]
    n_classes = len(class_names) if class_names else (int(ids.max()) + 1 if ids is not None else 0)
    if verbose:
        print(f"Found {len(paths)} files" + (f" belonging to {n_classes} classes." if ids is not None else "."))
    out = []
    for part, (ps, ls) in zip(("training", "validation"), _split(paths, ids, validation_split, subset, shuffle,
                                                                    seed, who)):
        if verbose and validation_split is not None:
            print(f"Using {len(ps)} files for {part if subset == 'both' else subset}.")
        encoded = _encode(ls, label_mode, n_classes, who)
        files = tf.data.Dataset.from_tensor_slices(np.array(ps, dtype=object))
        ds = files.map(read) if encoded is None else tf.data.Dataset.zip((files.map(read),
                                                                          tf.data.Dataset.from_tensor_slices(encoded)))
        if shuffle:
            ds = ds.shuffle(batch_size * 8 if batch_size else 1024, seed=seed)
        if batch_size is not None:
            ds = ds.batch(batch_size)
        ds.class_names, ds.file_paths = class_names, list(ps)
        out.append(ds)
    return out[0] if len(out) == 1 else out


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                max_length=None, shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False, verbose=True):
    """Batches of ``(texts, labels)`` from ``directory/<class>/*.txt``.

    Args:
        labels: ``'inferred'`` (from the subfolders), None, or a list with one label per file.
        label_mode: ``'int'``, ``'categorical'`` (one-hot), ``'binary'`` (float, 2 classes) or None.
        batch_size: elements per batch (None: single elements).
        max_length: keep at most this many characters of each text.
        shuffle, seed: shuffle the files (once, with ``seed``) and every pass.
        validation_split, subset: hold out the last fraction of the (shuffled)
            files: ``'training'``, ``'validation'`` or ``'both'`` (a pair of datasets).

    Returns:
        A ``tf.data.Dataset`` with ``class_names``; texts are ``bytes``.

    Raises:
        ValueError: for a missing folder, no ``.txt`` files, or inconsistent arguments.
    """
    def read(path):
        with open(_path(path), "rb") as f:
            text = f.read()
        return text if max_length is None else text.decode("utf-8", "replace")[:max_length].encode()

    return _from_files(directory, (".txt",), read, labels, label_mode, class_names, batch_size, shuffle, seed,
                       validation_split, subset, follow_links, verbose, "text_dataset_from_directory")


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, color_mode="rgb",
                                 batch_size=32, image_size=(256, 256), shuffle=True, seed=None, validation_split=None,
                                 subset=None, interpolation="bilinear", follow_links=False,
                                 crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, data_format=None,
                                 verbose=True):
    """Batches of ``(images, labels)`` from ``directory/<class>/*.png`` (and .jpg, .bmp, .gif).

    Images are resized to ``image_size`` (height, width) and given as float32
    in [0, 255], shape ``(batch, height, width, channels)``. Arguments as in
    ``text_dataset_from_directory``, plus ``color_mode`` (``'rgb'``,
    ``'grayscale'``, ``'rgba'``) and ``interpolation`` (``'bilinear'``,
    ``'nearest'``, ``'bicubic'``, ``'lanczos'``).

    Raises:
        ImportError: if Pillow is not installed (it decodes the images).
        ValueError: for a missing folder, no images, or inconsistent arguments.
    """
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("image_dataset_from_directory decodes images with Pillow: pip install Pillow (or "
                          "pip install 'tensorlet[images]')") from None
    modes = {"rgb": "RGB", "grayscale": "L", "rgba": "RGBA"}
    if color_mode not in modes:
        raise ValueError(f"image_dataset_from_directory: color_mode must be one of {sorted(modes)}, got "
                         f"{color_mode!r}")
    filters = {"bilinear": Image.BILINEAR, "nearest": Image.NEAREST, "bicubic": Image.BICUBIC,
               "lanczos": Image.LANCZOS}
    if interpolation not in filters:
        raise ValueError(f"image_dataset_from_directory: interpolation must be one of {sorted(filters)}")
    height, width = image_size

    def read(path):
        with Image.open(_path(path)) as img:
            img = img.convert(modes[color_mode])
            if crop_to_aspect_ratio:
                img = _crop(img, width / height)
            if img.size != (width, height):
                img = img.resize((width, height), filters[interpolation])
            a = np.asarray(img, dtype=np.float32)
        return a[..., None] if a.ndim == 2 else a

    return _from_files(directory, IMAGE_FORMATS, read, labels, label_mode, class_names, batch_size, shuffle, seed,
                       validation_split, subset, follow_links, verbose, "image_dataset_from_directory")


def _crop(img, aspect):
    w, h = img.size
    if w / h > aspect:
        new_w = int(round(h * aspect))
        left = (w - new_w) // 2
        return img.crop((left, 0, left + new_w, h))
    new_h = int(round(w / aspect))
    top = (h - new_h) // 2
    return img.crop((0, top, w, top + new_h))
