"""String tensors (``dtype=tf.string``): host tensors whose values are a numpy
object array of ``bytes``, as TensorFlow's ``.numpy()`` gives them. No kernel
sees them: ``tensorlet.strings`` works on their numpy values, and ops that
need numbers refuse them with the op's name."""

import numpy as np

from tensorlet import _core
from tensorlet.framework.tensor import Tensor


class StringArray(np.ndarray):
    """A string tensor's values: an object array of ``bytes``, on the host."""

    dtype_code, device_code, device, symbolic = 12, 0, _core.Device.CPU, False

    def shares_storage(self, other):
        return False


class StringTensor(Tensor):
    """A tensor of byte strings (``tf.string``): indexing, iteration, ``==`` and
    ``+`` (concatenation) work as in TensorFlow."""

    __slots__ = ()

    def __getitem__(self, key):
        if isinstance(key, Tensor):
            key = key.numpy()
        return wrap(self._a[key])

    def __eq__(self, other):
        return _compare(np.equal, self, other)

    def __ne__(self, other):
        return _compare(np.not_equal, self, other)

    __hash__ = Tensor.__hash__

    def __add__(self, other):
        return wrap(_join(self._a, to_bytes(other)))

    def __radd__(self, other):
        return wrap(_join(to_bytes(other), self._a))

    def __reduce__(self):
        return (constant, (self.numpy(),))


def _join(a, b):
    return np.frompyfunc(lambda x, y: x + y, 2, 1)(a, b).astype(object)


def _compare(fn, a, b):
    from tensorlet.framework.convert import constant as _constant

    return _constant(fn(a._a, to_bytes(b)).astype(bool))


def _encode(v):
    if isinstance(v, str):
        return v.encode("utf-8")
    if isinstance(v, (bytes, np.bytes_)):
        return bytes(v)
    raise TypeError(f"a string tensor holds str or bytes values, got {type(v).__name__} {v!r}")


def is_strings(value):
    """Whether ``value`` is a string tensor or text: str/bytes, an array of
    them, or a (nested) list whose first leaf is one."""
    if isinstance(value, (StringTensor, str, bytes, np.str_, np.bytes_)):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "SU" or (value.dtype == object and value.size > 0 and
                                            isinstance(value.flat[0], (str, bytes)))
    while isinstance(value, (list, tuple)) and value:
        value = value[0]
    return isinstance(value, (str, bytes, np.str_, np.bytes_))


def to_bytes(value):
    """An object array of ``bytes`` for text values (str is encoded as UTF-8)."""
    if isinstance(value, StringTensor):
        return np.asarray(value._a).view(np.ndarray)
    if isinstance(value, Tensor):
        raise TypeError(f"expected a string tensor, got a {value.dtype.name} tensor")
    try:
        a = np.asarray(value, dtype=object)
    except ValueError:
        a = None
    if a is None or any(isinstance(v, (list, tuple)) for v in a.flat):
        raise TypeError(f"Cannot convert {value!r:.80} to a string tensor: rows of different lengths "
                        "(use tf.ragged.constant)")
    out = np.empty(a.size, object)
    out[:] = [_encode(v) for v in a.flat]
    return out.reshape(a.shape)


def wrap(values):
    """A StringTensor of an object array of ``bytes`` (or one ``bytes`` value)."""
    if isinstance(values, bytes):
        values = np.array(values, dtype=object)
    t = object.__new__(StringTensor)
    t._a = np.asarray(values, dtype=object).view(StringArray)
    return t


def constant(value, shape=None):
    """A string tensor of ``value`` (str, bytes, or nested lists/arrays of them)."""
    a = to_bytes(value)
    if shape is not None:
        shape = tuple(int(d) for d in shape)
        a = np.broadcast_to(a, shape).copy() if a.size == 1 else a.reshape(shape)
    return wrap(a)
