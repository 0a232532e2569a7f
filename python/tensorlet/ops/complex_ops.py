"""Complex numbers: ``tf.complex`` and the parts of a complex tensor
(``tf.math.real``, ``imag``, ``conj``, ``angle``). Complex tensors live on the
host; elementwise arithmetic, sums, means and matmul accept them, and their
gradients are not defined (a tape treats them like integers)."""

import numpy as np

from tensorlet import _core
from tensorlet.framework import dtypes as _dtypes
from tensorlet.ops import _helpers as h
from tensorlet.ops.elementwise import less
from tensorlet.ops.view_ops import cast
from tensorlet.ops.registry import apply, register


def _samples(rng, dtype):
    return [((h.sample_values(rng, s, dtype) + 1j * h.sample_values(rng, s, dtype).astype(dtype),), ())
            for s in h.UNARY_SHAPES]


def _complex_ref(a, b):
    a, b = np.broadcast_arrays(a, b)
    out = np.empty(a.shape, np.result_type(a.dtype, np.complex64))
    out.real, out.imag = a, b
    return out


def _part(name, ref, real_out=True):
    return register(name, getattr(_core, name), shape=h.same_shape, ref=ref, samples=_samples, diff=(False,),
                    dtype=lambda dts, attrs: dts[0].real_dtype if real_out else dts[0],
                    dtypes=("complex64", "complex128"))


_real, _imag = _part("real", np.real), _part("imag", np.imag)
_angle, _conj = _part("angle", np.angle), _part("conj", np.conj, real_out=False)
_complex = register(
    "complex", _core.complex, diff=(False, False), shape=h.binary_shape, ref=_complex_ref,
    dtype=lambda dts, attrs: _dtypes.complex64 if dts[0] is _dtypes.float32 else _dtypes.complex128,
    samples=h.binary_samples())

_DOC = """

Args:
    input: a tensor; a real one is treated as having a zero imaginary part.
    name: ignored.

Returns:
    A tensor of {}."""


def real(input, name=None):
    x = h.to_tensor(input)
    return apply(_real, (x,)) if x.dtype.is_complex else x


def imag(input, name=None):
    x = h.to_tensor(input)
    return apply(_imag, (x,)) if x.dtype.is_complex else x * 0


def conj(x, name=None):
    x = h.to_tensor(x)
    return apply(_conj, (x,)) if x.dtype.is_complex else x


def angle(input, name=None):
    x = h.to_tensor(input)
    if x.dtype.is_complex:
        return apply(_angle, (x,))
    return cast(less(x, 0), x.dtype) * np.pi  # 0 or pi


real.__doc__ = "The real part of each element." + _DOC.format("the real dtype (float32 for complex64)")
imag.__doc__ = "The imaginary part of each element." + _DOC.format("the real dtype (float32 for complex64)")
conj.__doc__ = "The complex conjugate of each element." + _DOC.format("the input's dtype")
angle.__doc__ = "The argument (phase) of each element, in radians." + _DOC.format("the real dtype")


def complex(real, imag, name=None):
    """``real + 1j * imag`` element-wise, broadcast.

    Args:
        real, imag: float32 tensors (giving complex64) or float64 ones (complex128).
        name: ignored.

    Returns:
        A complex tensor.

    Raises:
        TypeError: if the parts are not both float32 or both float64.
    """
    re, im = h.pair(real, imag)
    return apply(_complex, (re, im))
