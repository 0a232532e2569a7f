"""Shape and view ops: reshape, transpose, expand_dims, squeeze, broadcast_to,
basic indexing, identity, stop_gradient and cast (the C++ Array family).
Views share the input's storage; a view of a Variable is copied so later
assignments cannot change it."""

import builtins

import numpy as np

from tensorlet import _core
from tensorlet.framework import dtypes as _dtypes
from tensorlet.framework import symbolic
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.tensor import Tensor
from tensorlet.ops import _helpers as h
from tensorlet.ops.registry import apply, register

_A = _core.Array


def _view(op, x, *attrs):
    """Applies a view op; the result never aliases a Variable's storage."""
    x = h.to_tensor(x)
    out = apply(op, (x,), *attrs)
    if type(x) is not Tensor and out._a.shares_storage(x._a):
        out._a = out._a.copy()
    return out


def _shape_list(shape, op):
    """A list of ints from a shape (a list, an int or a 1-D integer tensor);
    None for an unknown dim of a symbolic shape. Refuses floats, bools,
    strings and dims beyond int64 with a message naming ``op``."""
    if isinstance(shape, Tensor):
        if symbolic.is_symbolic(shape):
            v = shape._a.value
            return [None] * (shape._a.shape[0] or 0) if v is None else list(v)
        if not shape.dtype.is_integer:
            raise TypeError(f"{op}: shape must be an integer tensor, got dtype {shape.dtype.name}")
        shape = shape.numpy().tolist()
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, (bool, np.bool_)):
        shape = [shape]
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
        raise TypeError(f"{op}: shape must be a list of ints, got {shape!r}")
    dims = []
    for d in shape:
        if isinstance(d, Tensor) and d.dtype.is_integer:
            d = symbolic.dim(d)  # None: an unknown dim of a symbolic shape
            if d is None:
                dims.append(None)
                continue
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)):
            raise TypeError(f"{op}: shape must be a list of ints, got {list(shape)!r} (a dim of type "
                            f"{type(d).__name__})")
        if not -(2**63) <= d < 2**63:
            raise InvalidArgumentError(f"{op}: dimension {d} does not fit in int64 (shape {list(shape)!r})")
        dims.append(int(d))
    return dims


# ---- reshape -----------------------------------------------------------------

def _reshape_shape(shapes, attrs):
    (shape,) = attrs
    known = [d for d in shape if d != -1]
    n = 1
    for d in shapes[0]:
        n = None if d is None or n is None else n * d
    if -1 in shape:
        k = int(np.prod(known)) if known else 1
        return tuple((n // k if n is not None and k else None) if d == -1 else d for d in shape)
    return tuple(shape)


_reshape = register(
    "reshape", _A.reshape, grad=lambda dy, inputs, attrs, out: (reshape(dy, inputs[0].shape),),
    diff=(True,), shape=_reshape_shape, dtype=h.first_dtype, ref=lambda a, s: a.reshape(s),
    samples=lambda rng, dt: [((h.sample_values(rng, (2, 6), dt),), ([3, 4],)),
                             ((h.sample_values(rng, (2, 3, 4), dt),), ([-1, 4],)),
                             ((h.sample_values(rng, (), dt),), ([1, 1],)),
                             ((h.sample_values(rng, (0, 3), dt),), ([3, 0],))],
    dtypes=("float32", "float64", "int32", "bool"))


def reshape(tensor, shape, name=None):
    """Reshapes a tensor; one dimension may be -1 (inferred).

    Args:
        tensor: the input.
        shape: a list of ints with the same number of elements in total.
        name: ignored.

    Returns:
        A tensor with the same values in row-major order (a view when the input
        is contiguous).

    Raises:
        InvalidArgumentError: if the element counts differ.
    """
    return _view(_reshape, tensor, _shape_list(shape, "reshape"))


# ---- transpose -----------------------------------------------------------------

def _transpose_shape(shapes, attrs):
    return tuple(shapes[0][p] for p in attrs[0])


def _transpose_grad(dy, inputs, attrs, out):
    return (transpose(dy, list(np.argsort(attrs[0]))),)


_transpose = register(
    "transpose", _A.transpose, grad=_transpose_grad, diff=(True,), shape=_transpose_shape,
    dtype=h.first_dtype, ref=lambda a, p: np.transpose(a, p),
    samples=lambda rng, dt: [((h.sample_values(rng, (2, 3), dt),), ([1, 0],)),
                             ((h.sample_values(rng, (2, 3, 4), dt),), ([2, 0, 1],)),
                             ((h.sample_values(rng, (), dt),), ([],))])


def transpose(a, perm=None, conjugate=False, name=None):
    """Permutes the dimensions of ``a`` (reverses them when ``perm`` is None).

    Args:
        a: the input.
        perm: a permutation of ``range(rank)``.
        conjugate: ignored (no complex dtypes).
        name: ignored.

    Returns:
        A view of ``a`` with permuted dimensions.

    Raises:
        InvalidArgumentError: if ``perm`` is not a permutation of the axes.
    """
    a = h.to_tensor(a)
    if perm is None:
        perm = list(builtins.range(a.ndim))[::-1]
    perm = [int(p) % max(a.ndim, 1) if -a.ndim <= int(p) < a.ndim else int(p) for p in _shape_list(perm, "transpose")]
    return _view(_transpose, a, perm)


# ---- expand_dims / squeeze -------------------------------------------------------

def _expand_shape(shapes, attrs):
    s = list(shapes[0])
    axis = attrs[0] if attrs[0] >= 0 else attrs[0] + len(s) + 1
    s.insert(axis, 1)
    return tuple(s)


_expand_dims = register(
    "expand_dims", _A.expand_dims, grad=lambda dy, inputs, attrs, out: (reshape(dy, inputs[0].shape),),
    diff=(True,), shape=_expand_shape, dtype=h.first_dtype, ref=lambda a, ax: np.expand_dims(a, ax),
    samples=lambda rng, dt: [((h.sample_values(rng, (2, 3), dt),), (0,)),
                             ((h.sample_values(rng, (2, 3), dt),), (-1,)),
                             ((h.sample_values(rng, (), dt),), (0,))])


def expand_dims(input, axis, name=None):
    """Inserts a dimension of size 1 at ``axis`` (negative counts from the end).

    Raises:
        InvalidArgumentError: if ``axis`` is outside ``[-rank - 1, rank]``.
    """
    return _view(_expand_dims, input, int(axis))


def _squeeze_shape(shapes, attrs):
    s, axes = shapes[0], attrs[0]
    if not axes:
        if None in s:
            raise InvalidArgumentError(f"squeeze: which dims of shape {tuple(s)} have size 1 is unknown; give axis")
        return tuple(d for d in s if d != 1)
    axes = [a % len(s) for a in axes]
    return tuple(d for i, d in enumerate(s) if i not in axes)


_squeeze = register(
    "squeeze", _A.squeeze, grad=lambda dy, inputs, attrs, out: (reshape(dy, inputs[0].shape),),
    diff=(True,), shape=_squeeze_shape, dtype=h.first_dtype,
    ref=lambda a, axes: np.squeeze(a, tuple(axes) if axes else None),
    samples=lambda rng, dt: [((h.sample_values(rng, (1, 3, 1), dt),), ([],)),
                             ((h.sample_values(rng, (1, 3, 1), dt),), ([-1],))])


def squeeze(input, axis=None, name=None):
    """Removes dimensions of size 1 (all of them, or those in ``axis``).

    Raises:
        InvalidArgumentError: if an axis in ``axis`` does not have size 1.
    """
    axes = [] if axis is None else ([int(axis)] if isinstance(axis, (int, np.integer)) else [int(a) for a in axis])
    return _view(_squeeze, input, axes)


# ---- broadcast_to -------------------------------------------------------------------

def _broadcast_grad(dy, inputs, attrs, out):
    return (dy,)  # the tape sums the gradient back to the input's shape


_broadcast_to = register(
    "broadcast_to", lambda a, shape: a.broadcast_to(shape).copy(), grad=_broadcast_grad, diff=(True,),
    shape=lambda shapes, attrs: tuple(attrs[0]), dtype=h.first_dtype, ref=lambda a, s: np.broadcast_to(a, s),
    samples=lambda rng, dt: [((h.sample_values(rng, (3, 1), dt),), ([2, 3, 4],)),
                             ((h.sample_values(rng, (), dt),), ([2, 2],))])


def broadcast_to(input, shape, name=None):
    """Broadcasts ``input`` to ``shape`` with numpy's rules.

    Raises:
        InvalidArgumentError: if the shapes are not compatible.
    """
    return apply(_broadcast_to, (h.to_tensor(input),), _shape_list(shape, "broadcast_to"))


# ---- indexing ----------------------------------------------------------------------

def _index_items(key):
    if not isinstance(key, tuple):
        key = (key,)
    items = []
    for k in key:
        if isinstance(k, Tensor):
            if k.dtype.is_integer and k.ndim == 0:
                k = int(k)
            else:
                raise TypeError(f"index: only 0-d integer tensors can index a tensor, got {k.dtype.name} "
                                f"with shape {k.shape}; use tensorlet.gather for index lists")
        elif isinstance(k, (list, np.ndarray)):
            raise TypeError("index: lists and arrays as indices are not supported; use tensorlet.gather")
        items.append(k)
    return tuple(items)


def _index_shape(shapes, attrs):
    # numpy indexes a zero-memory view of the shape, with unknown dims set to a
    # few sizes: an output dim that differs between them is unknown.
    if None not in shapes[0]:
        return np.broadcast_to(np.int8(0), shapes[0])[attrs[0]].shape
    outs = []
    for n in (1, 2**20, 2**20 + 1):
        try:
            outs.append(np.broadcast_to(np.int8(0), [n if d is None else d for d in shapes[0]])[attrs[0]].shape)
        except IndexError:  # an index past the small size
            pass
    return tuple(d if all(o[i] == d for o in outs) else None for i, d in enumerate(outs[-1]))


def _index_grad(dy, inputs, attrs, out):
    return (apply(_index_grad_op, (dy,), tuple(inputs[0].shape), attrs[0]),)


_index = register(
    "strided_slice", _A.index, grad=_index_grad, diff=(True,), shape=_index_shape, dtype=h.first_dtype,
    ref=lambda a, items: a[items],
    samples=lambda rng, dt: [((h.sample_values(rng, (4, 5), dt),), ((slice(1, None, 2), -1),)),
                             ((h.sample_values(rng, (4, 5), dt),), ((Ellipsis, None, slice(None, None, -1)),)),
                             ((h.sample_values(rng, (3, 4, 5), dt),), ((0, slice(1, 3)),))],
    dtypes=("float32", "float64", "int64", "bool"))

_index_grad_op = register(
    "strided_slice_grad", _core.index_grad,
    grad=lambda ddy, inputs, attrs, out: (apply(_index, (ddy,), attrs[1]),), diff=(True,),
    shape=lambda shapes, attrs: tuple(attrs[0]), dtype=h.first_dtype,
    ref=lambda dy, s, items: _np_index_grad(dy, s, items))


def _np_index_grad(dy, shape, items):
    out = np.zeros(shape, dy.dtype)
    out[items] = dy
    return out


def getitem(tensor, key):
    """``tensor[key]`` with numpy basic indexing: ints, slices, ``...``, ``None``.

    Raises:
        InvalidArgumentError: if an index is out of range.
        TypeError: for index types other than those above.
    """
    return _view(_index, tensor, _index_items(key))


# ---- identity, cast ---------------------------------------------------------------------

_identity = register("identity", lambda a: a, grad=lambda dy, inputs, attrs, out: (dy,), diff=(True,),
                     shape=h.same_shape, dtype=h.first_dtype, ref=lambda a: a, samples=h.unary_samples())


def identity(input, name=None):
    """Returns a tensor with the same value as ``input`` (a snapshot of a Variable)."""
    return _view(_identity, input)


def _cast_grad(dy, inputs, attrs, out):
    if inputs[0].dtype.is_floating and dy.dtype.is_floating:
        return (cast(dy, inputs[0].dtype),)
    return (None,)


_cast = register(
    "cast", _core.cast, grad=_cast_grad, diff=(True,), shape=h.same_shape,
    dtype=lambda dts, attrs: _dtypes.from_core(attrs[0]),
    ref=lambda a, d: a.astype(_dtypes.from_core(d).as_numpy_dtype),
    samples=lambda rng, dt: [((h.sample_values(rng, s, dt),), (d.core,)) for s in [(3, 4), ()]
                             for d in (_dtypes.float32, _dtypes.float64, _dtypes.int32, _dtypes.bool_)],
    dtypes=("float32", "float64", "int32", "int64", "bool"))


def cast(x, dtype, name=None):
    """Converts ``x`` to ``dtype`` (floats to ints truncate toward zero; nonzero to bool is True).

    Args:
        x: a tensor or value.
        dtype: the target dtype.
        name: ignored.

    Returns:
        A tensor of ``dtype`` (``x`` itself when it already has it).
    """
    x = h.to_tensor(x)
    dtype = _dtypes.as_dtype(dtype)
    if x.dtype is dtype:
        return identity(x) if type(x) is not Tensor else x
    return apply(_cast, (x,), dtype.core)


def shape(input, out_type=None, name=None):
    """The shape of ``input`` as a 1-D int32 tensor (``out_type`` may say int64)."""
    dt = _dtypes.as_dtype(out_type or "int32")
    dims = h.to_tensor(input)._a.shape
    if None in dims:  # a symbolic input: the value is known but for those dims
        return symbolic.tensor((len(dims),), dt, np.array(dims, dtype=object))
    return Tensor._from_array(_core.from_numpy(np.asarray(dims, dt.as_numpy_dtype)))


def rank(input, name=None):
    """The number of dimensions of ``input`` as a 0-d int32 tensor."""
    return Tensor._from_array(_core.from_numpy(np.asarray(h.to_tensor(input).ndim, np.int32)))


def size(input, out_type=None, name=None):
    """The number of elements of ``input`` as a 0-d int32 tensor."""
    dt = _dtypes.as_dtype(out_type or "int32")
    return Tensor._from_array(_core.from_numpy(np.asarray(h.to_tensor(input)._a.size, dt.as_numpy_dtype)))


def stop_gradient(input, name=None):
    """Returns ``input`` unchanged but blocks gradients: tapes treat the
    result as a constant.

    Args:
        input: a tensor, variable or value.
        name: ignored.

    Returns:
        A Tensor with the same value.
    """
    return _view(_stop_gradient, input)


_stop_gradient = register(
    "stop_gradient", lambda a: a, grad=None, diff=(False,), shape=lambda shapes, attrs: tuple(shapes[0]),
    dtype=lambda dts, attrs: dts[0], ref=lambda a: a,
    samples=lambda rng, dt: [((rng.uniform(-2, 2, (3, 4)).astype(dt),), ())])
