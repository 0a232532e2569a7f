"""Object-based checkpoints, as TensorFlow programs use them.

``Checkpoint(model=..., optimizer=..., step=tf.Variable(0))`` saves the
variables of every object it is given (a layer's or model's weights, an
optimizer's step count and slots, variables, objects with ``.variables`` such
as a ``tf.Module``, nested checkpoints) under their attribute paths, in one
numpy ``.npz`` file (``<prefix>-<n>.npz``), written atomically. Beside it a
``checkpoint`` file names the latest one, as TensorFlow's does.

As in TensorFlow, ``restore`` may come before a model's first call or an
optimizer's first step: their values are then assigned as soon as the
weights (or slots) are created. A dataset iterator's position is saved too.
"""

import os
import re

import numpy as np

import tensorlet as tf
from tensorlet.file_io import atomic_path, read_npz

_STATE = "checkpoint"


def _is_optimizer(obj):
    return hasattr(obj, "apply_gradients") and hasattr(obj, "_slots")


class Checkpoint:
    """Groups objects whose variables are saved and restored together.

    Args:
        root: an optional object saved at the top (its own attributes' paths).
        **kwargs: the objects to track, by name: ``model=``, ``optimizer=``, ``step=``...

    Raises:
        TypeError: for an object that holds no variables.
    """

    def __init__(self, root=None, **kwargs):
        if root is not None:
            kwargs = {"root": root, **kwargs}
        for name, obj in kwargs.items():
            _check_trackable(name, obj)
        self.__dict__["_objects"] = dict(kwargs)
        self.__dict__["save_counter"] = tf.Variable(0, dtype="int64", trainable=False, name="save_counter")

    def __getattr__(self, name):
        try:
            return self.__dict__["_objects"][name]
        except KeyError:
            raise AttributeError(f"Checkpoint has no object named {name!r}") from None

    def __setattr__(self, name, value):
        _check_trackable(name, value)
        self._objects[name] = value

    # ---- values by path ------------------------------------------------------------
    def _entries(self, unbuilt=None):
        """(path, variable or array) for every value this checkpoint tracks; layers
        not built yet go to ``unbuilt`` (name, layer) when it is given."""
        out = []
        for name, obj in self._objects.items():
            if unbuilt is not None and _is_layer(obj) and not obj.built:
                unbuilt.append((name, obj))
                continue
            out.extend(_entries(obj, name))
        return out

    def write(self, file_prefix):
        """Writes a checkpoint to ``file_prefix`` (+ ``.npz``) without numbering or
        bookkeeping; returns the path that ``read``/``restore`` take."""
        path = os.fspath(file_prefix)
        arrays = {k: np.asarray(v) for k, v in self._entries()}
        arrays["save_counter"] = np.asarray(int(self.save_counter), np.int64)
        with atomic_path(path + ".npz") as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, **arrays)
        return path

    def save(self, file_prefix):
        """Saves a numbered checkpoint ``<file_prefix>-<n>`` and records it as the latest.

        Returns:
            The checkpoint's path, for ``restore``.
        """
        self.save_counter.assign_add(1)
        path = self.write(f"{os.fspath(file_prefix)}-{int(self.save_counter)}")
        folder = os.path.dirname(path) or "."
        paths = _read_state(folder)[1]
        _write_state(folder, path, [p for p in paths if p != path] + [path])
        return path

    def restore(self, save_path):
        """Restores every tracked object from ``save_path`` (``None`` does nothing,
        so ``restore(manager.latest_checkpoint)`` starts fresh on a first run).

        Returns:
            A status object: ``assert_consumed()`` raises if some value of the
            file or of this checkpoint was not matched; ``expect_partial()`` silences that.

        Raises:
            FileNotFoundError: if there is no such checkpoint.
            ValueError: if a shape differs; nothing is restored then.
        """
        if save_path is None:
            return _Status(set(), set())
        path = os.fspath(save_path)
        file = path if path.endswith(".npz") else path + ".npz"
        if not os.path.exists(file):
            raise FileNotFoundError(f"Checkpoint.restore: no checkpoint at {path!r} (looked for {file!r})")
        arrays = read_npz(file, repr(file))
        waiting = self._build_optimizers(arrays)
        unbuilt = []
        entries = self._entries(unbuilt)
        pairs = []
        for key, target in entries:
            if key in arrays:
                value = arrays[key]
                if tuple(value.shape) != tuple(target.shape):
                    raise ValueError(f"Checkpoint.restore: {key} has shape {tuple(target.shape)}, but the "
                                     f"checkpoint's value has shape {tuple(value.shape)}")
                pairs.append((key, target, value))
        for key, target, value in pairs:
            if isinstance(target, tf.Variable):
                target.assign(value.astype(target.dtype.name, copy=False))
            elif key.endswith("/position"):
                self._lookup(key)._restore_position(int(value))
            else:  # an optimizer's step count
                self._lookup(key).iterations = int(value)
        for name, layer in unbuilt:
            _defer(layer, _numbered(arrays, f"{name}/weights/"), f"{name}/weights", lambda layer=layer: layer.weights)
        for name, opt in waiting:
            _defer(opt, _numbered(arrays, f"{name}/slots/"), f"{name}/slots", lambda opt=opt: opt.variables)
        pending = [layer for _, layer in unbuilt] + [opt for _, opt in waiting]
        if "save_counter" in arrays:
            self.save_counter.assign(int(arrays["save_counter"]))
        known = {k for k, _ in entries} | {k for k in arrays if any(k.startswith(f"{n}/") for n, _ in unbuilt)}
        known |= {k for k in arrays for o in pending if _is_optimizer(o) and "/slots/" in k}
        return _Status({k for k, _ in entries} - set(arrays), set(arrays) - known - {"save_counter"}, pending)

    read = restore

    def _lookup(self, key):
        obj = self
        for part in key.split("/")[:-1]:
            obj = obj._objects[part] if isinstance(obj, Checkpoint) else getattr(obj, part)
        return obj

    def _build_optimizers(self, arrays):
        """Creates the slots of optimizers that have not run yet for the (built) models beside
        them; returns (name, optimizer) of those whose slots must wait for their first step."""
        models = [o for o in self._objects.values() if _is_layer(o) and o.built]
        waiting = []
        for name, obj in self._objects.items():
            if _is_optimizer(obj) and not obj._slots and any(k.startswith(f"{name}/slots/") for k in arrays):
                if models:
                    obj.build([w for m in models for w in m.trainable_weights])
                else:
                    waiting.append((name, obj))
        return waiting


def _numbered(arrays, prefix):
    found = sorted((int(k[len(prefix):]), k) for k in arrays if k.startswith(prefix) and k[len(prefix):].isdigit())
    return [arrays[k] for _, k in found]


def _defer(obj, values, what, targets):
    """Assigns ``values`` to ``targets()`` once ``obj`` has created them (its first call or step)."""
    def restore():
        variables = targets()
        if len(variables) != len(values) or any(tuple(v.shape) != a.shape for v, a in zip(variables, values)):
            raise ValueError(f"Checkpoint.restore: {what} holds {[a.shape for a in values]}, but "
                             f"{type(obj).__name__} created {[tuple(v.shape) for v in variables]}")
        for v, a in zip(variables, values):
            v.assign(a.astype(v.dtype.name, copy=False))

    obj.__dict__["_deferred_restore"] = restore


class _Status:
    def __init__(self, unmatched_objects, unused_values, pending=()):
        self.unmatched, self.unused, self.pending = unmatched_objects, unused_values, list(pending)

    def assert_consumed(self):
        waiting = [type(o).__name__ for o in self.pending if "_deferred_restore" in o.__dict__]
        if self.unmatched or self.unused or waiting:
            raise AssertionError(f"Checkpoint not fully matched: not in the file: {sorted(self.unmatched)}; "
                                 f"in the file but not tracked: {sorted(self.unused)}; waiting for the first "
                                 f"call or step of: {waiting}")
        return self

    def assert_existing_objects_matched(self):
        if self.unmatched:
            raise AssertionError(f"Checkpoint: values not found in the file: {sorted(self.unmatched)}")
        return self

    def expect_partial(self):
        return self

    def assert_nontrivial_match(self):
        return self


def _is_layer(obj):
    # Looked up on the class: an unbuilt model's weights property raises.
    return all(hasattr(type(obj), a) for a in ("weights", "trainable_weights")) and hasattr(obj, "built")


def _check_trackable(name, obj):
    if not (isinstance(obj, (tf.Variable, Checkpoint)) or _is_optimizer(obj) or _is_layer(obj)
            or hasattr(type(obj), "variables") or hasattr(obj, "_restore_position")):
        raise TypeError(f"Checkpoint: {name}={type(obj).__name__} holds no variables; track models, layers, "
                        "optimizers, tf.Variables, tf.Modules, dataset iterators or other checkpoints")


def _entries(obj, path):
    if isinstance(obj, tf.Variable):
        return [(path, obj)]
    if isinstance(obj, Checkpoint):
        return [(f"{path}/{k}", v) for k, v in obj._entries()]
    if hasattr(obj, "_restore_position"):
        return [(f"{path}/position", np.asarray(obj._position, np.int64))]
    if _is_optimizer(obj):
        return [(f"{path}/iterations", np.asarray(int(obj.iterations), np.int64))] + [
            (f"{path}/slots/{i}", v) for i, v in enumerate(obj.variables)]
    if _is_layer(obj):
        if not obj.built:
            raise ValueError(f"Checkpoint: model/layer '{obj.name}' (at {path!r}) is not built yet, so its weights "
                             "do not exist; call it on a batch of data (or build it) before saving or restoring")
        return [(f"{path}/weights/{i}", w) for i, w in enumerate(obj.weights)]
    return [(f"{path}/variables/{i}", v) for i, v in enumerate(obj.variables)]


# ---- the "checkpoint" state file ---------------------------------------------------------
def _read_state(folder):
    file = os.path.join(folder, _STATE)
    if not os.path.exists(file):
        return None, []
    latest, paths = None, []
    with open(file) as f:
        for line in f:
            m = re.match(r'\s*(model_checkpoint_path|all_model_checkpoint_paths):\s*"(.*)"\s*$', line)
            if m:
                p = m.group(2) if os.path.isabs(m.group(2)) else os.path.join(folder, m.group(2))
                if m.group(1) == "model_checkpoint_path":
                    latest = p
                else:
                    paths.append(p)
    return latest, paths


def _write_state(folder, latest, paths):
    rel = lambda p: os.path.relpath(p, folder)  # noqa: E731
    text = f'model_checkpoint_path: "{rel(latest)}"\n' if latest else ""
    text += "".join(f'all_model_checkpoint_paths: "{rel(p)}"\n' for p in paths)
    with atomic_path(os.path.join(folder, _STATE)) as tmp:
        with open(tmp, "w") as f:
            f.write(text)


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The path of the newest checkpoint in ``checkpoint_dir``, or None."""
    latest = _read_state(os.fspath(checkpoint_dir))[0]
    return latest if latest is not None and os.path.exists(latest + ".npz") else None


class CheckpointManager:
    """Numbers checkpoints in a folder and keeps the newest ``max_to_keep``.

    Args:
        checkpoint: the ``Checkpoint`` to save.
        directory: the folder (created if needed).
        max_to_keep: how many checkpoints to keep (None keeps all).
        checkpoint_name: the file prefix (``ckpt``).
        step_counter, checkpoint_interval: with both, ``save`` writes only when
            ``step_counter`` advanced by at least ``checkpoint_interval``.
    """

    def __init__(self, checkpoint, directory, max_to_keep=5, keep_checkpoint_every_n_hours=None,
                 checkpoint_name="ckpt", step_counter=None, checkpoint_interval=None, init_fn=None):
        if not isinstance(checkpoint, Checkpoint):
            raise TypeError(f"CheckpointManager expects a tf.train.Checkpoint, got {type(checkpoint).__name__}")
        self._checkpoint, self.directory = checkpoint, os.fspath(directory)
        self._max_to_keep, self._prefix = max_to_keep, os.path.join(self.directory, checkpoint_name)
        self._step_counter, self._interval, self._last_step = step_counter, checkpoint_interval, None
        self._init_fn = init_fn
        latest, paths = _read_state(self.directory)
        self._checkpoints = [p for p in paths if os.path.exists(p + ".npz")]
        self._latest = latest if latest in self._checkpoints else (self._checkpoints or [None])[-1]

    @property
    def latest_checkpoint(self):
        """The newest checkpoint's path, or None."""
        return self._latest

    @property
    def checkpoints(self):
        """The kept checkpoints' paths, oldest first."""
        return list(self._checkpoints)

    @property
    def checkpoint(self):
        return self._checkpoint

    def restore_or_initialize(self):
        """Restores the newest checkpoint, or runs ``init_fn`` when there is none."""
        if self._latest is not None:
            self._checkpoint.restore(self._latest)
            return self._latest
        if self._init_fn is not None:
            self._init_fn()
        return None

    def save(self, checkpoint_number=None, check_interval=True):
        """Saves a checkpoint (numbered ``checkpoint_number`` or the next) and
        deletes the oldest beyond ``max_to_keep``.

        Returns:
            The new checkpoint's path, or None when skipped by ``checkpoint_interval``.
        """
        if self._step_counter is not None and self._interval is not None and check_interval:
            step = int(self._step_counter)
            if self._last_step is not None and step - self._last_step < self._interval:
                return None
            self._last_step = step
        os.makedirs(self.directory, exist_ok=True)
        ckpt = self._checkpoint
        if checkpoint_number is None:
            ckpt.save_counter.assign_add(1)
            number = int(ckpt.save_counter)
        else:
            number = int(checkpoint_number)
        path = ckpt.write(f"{self._prefix}-{number}")
        self._checkpoints = [p for p in self._checkpoints if p != path] + [path]
        if self._max_to_keep is not None:
            while len(self._checkpoints) > self._max_to_keep:
                old = self._checkpoints.pop(0)
                if os.path.exists(old + ".npz"):
                    os.remove(old + ".npz")
        self._latest = path
        _write_state(self.directory, path, self._checkpoints)
        return path
