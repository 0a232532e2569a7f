"""Shape and view ops: reshape, transpose, expand_dims, squeeze, broadcast_to,
basic indexing, identity and cast. Views share the input's storage; a view of
a Variable is copied so later assignments cannot change it."""

import builtins

import numpy as np

from tensorlet import _core
from tensorlet.framework import dtypes as _dtypes
from tensorlet.framework.convert import convert_like, convert_to_tensor
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
    if isinstance(shape, Tensor):
        shape = shape.numpy().tolist()
    if isinstance(shape, (int, np.integer)):
        return [int(shape)]
    try:
        return [int(d) for d in shape]
    except TypeError:
        raise TypeError(f"{op}: shape must be a list of ints, got {shape!r}") from None


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
    return tuple(np.empty([1 if d is None else d for d in shapes[0]], np.int8)[attrs[0]].shape)


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
    return Tensor._from_array(_core.from_numpy(np.asarray(h.to_tensor(input).shape, dt.as_numpy_dtype)))


def rank(input, name=None):
    """The number of dimensions of ``input`` as a 0-d int32 tensor."""
    return Tensor._from_array(_core.from_numpy(np.asarray(h.to_tensor(input).ndim, np.int32)))


def size(input, out_type=None, name=None):
    """The number of elements of ``input`` as a 0-d int32 tensor."""
    dt = _dtypes.as_dtype(out_type or "int32")
    return Tensor._from_array(_core.from_numpy(np.asarray(h.to_tensor(input)._a.size, dt.as_numpy_dtype)))


# =============================================================================
# Construction: fill, zeros, ones, range, eye
# =============================================================================

_ALL_DTYPES = ("float32", "float64", "int32", "int64", "bool")
_SCALARS = {}


def _scalar(value, dtype):
    """A cached 0-d array of ``value`` in ``dtype`` (zeros and ones are made often)."""
    key = (value, dtype.name)
    a = _SCALARS.get(key)
    if a is None:
        a = _SCALARS[key] = _core.from_numpy(np.asarray(value, dtype.as_numpy_dtype))
    return a


def _dims(shape, op):
    dims = _shape_list(shape, op)
    if any(d < 0 for d in dims):
        raise InvalidArgumentError(f"{op}: dimensions must be non-negative, got {tuple(dims)}")
    return dims


_fill = register(
    "fill", lambda v, shape, dt: _core.fill(shape, v, dt), grad=lambda dy, inputs, attrs, out: (dy,),
    diff=(True,), shape=lambda shapes, attrs: tuple(attrs[0]), dtype=lambda dts, attrs: _dtypes.from_core(attrs[1]),
    ref=lambda v, shape, dt: np.full(shape, v, _dtypes.from_core(dt).as_numpy_dtype),
    samples=lambda rng, dt: [((h.sample_values(rng, (), dt),), ([2, 3], _dtypes.as_dtype(dt).core)),
                             ((h.sample_values(rng, (), dt),), ([], _dtypes.as_dtype(dt).core)),
                             ((h.sample_values(rng, (), dt),), ([0, 4], _dtypes.as_dtype(dt).core))],
    dtypes=_ALL_DTYPES)


def fill(dims, value, name=None):
    """Creates a tensor of shape ``dims`` filled with the scalar ``value``.

    Args:
        dims: the shape, a list of non-negative ints (or a 1-D integer tensor).
        value: a scalar; the result has its dtype (Python floats give float32).
        name: ignored.

    Returns:
        A tensor of shape ``dims``.

    Raises:
        InvalidArgumentError: if ``value`` is not a scalar or a dimension is negative.
    """
    value = h.to_tensor(value)
    if value._a.size != 1:
        raise InvalidArgumentError(f"fill: value must be a scalar, got shape {value.shape}")
    return apply(_fill, (value,), _dims(dims, "fill"), value.dtype.core)


def zeros(shape, dtype=_dtypes.float32, name=None):
    """A tensor of ``shape`` (a list of ints, or an int) filled with zeros of ``dtype``."""
    dtype = _dtypes.as_dtype(dtype)
    return Tensor._from_array(_core.fill(_dims(shape, "zeros"), _scalar(0, dtype), dtype.core))


def ones(shape, dtype=_dtypes.float32, name=None):
    """A tensor of ``shape`` (a list of ints, or an int) filled with ones of ``dtype``."""
    dtype = _dtypes.as_dtype(dtype)
    return Tensor._from_array(_core.fill(_dims(shape, "ones"), _scalar(1, dtype), dtype.core))


def zeros_like(input, dtype=None, name=None):
    """Zeros with the shape of ``input`` and its dtype (or ``dtype``)."""
    input = h.to_tensor(input)
    return zeros(list(input._a.shape), dtype or input.dtype)


def ones_like(input, dtype=None, name=None):
    """Ones with the shape of ``input`` and its dtype (or ``dtype``)."""
    input = h.to_tensor(input)
    return ones(list(input._a.shape), dtype or input.dtype)


_RANGE_ORDER = ("int32", "int64", "float32", "float64")


def _range_dtype(value):
    if isinstance(value, Tensor):
        return value.dtype
    if isinstance(value, (np.ndarray, np.generic)):
        return _dtypes.as_dtype(value.dtype)
    if isinstance(value, (bool, np.bool_)):
        return _dtypes.int32
    if isinstance(value, (int, np.integer)):
        return _dtypes.int32 if -(2**31) <= value < 2**31 else _dtypes.int64
    return _dtypes.float32


def range(start, limit=None, delta=1, dtype=None, name="range"):
    """A 1-D tensor of ``start, start + delta, ...`` up to (not including) ``limit``.

    ``range(n)`` counts from 0 to ``n - 1``. Without ``dtype``, the result is
    int32 for Python ints and float32 for Python floats (the widest of the
    arguments' dtypes, as in TensorFlow).

    Args:
        start: the first value (the limit when ``limit`` is None).
        limit: the exclusive upper (lower, for negative ``delta``) bound.
        delta: the step; not zero.
        dtype: the result's dtype.
        name: ignored.

    Returns:
        A 1-D tensor.

    Raises:
        InvalidArgumentError: if ``delta`` is zero.
    """
    if limit is None:
        start, limit = 0, start
    args = (start, limit, delta)
    if dtype is None:
        dtype = max((_range_dtype(a) for a in args), key=lambda d: _RANGE_ORDER.index(d.name))
    dtype = _dtypes.as_dtype(dtype)
    if dtype.is_bool:
        raise TypeError("range: dtype must be integer or floating, got bool")
    vals = [a.numpy().item() if isinstance(a, Tensor) else np.asarray(a).item() for a in args]
    if dtype.is_integer:
        vals = [int(v) for v in vals]  # TensorFlow casts the arguments to the dtype first
    return Tensor._from_array(_core.arange(float(vals[0]), float(vals[1]), float(vals[2]), dtype.core))


def eye(num_rows, num_columns=None, batch_shape=None, dtype=_dtypes.float32, name=None):
    """An identity matrix (ones on the diagonal), optionally repeated over ``batch_shape``.

    Args:
        num_rows: the number of rows.
        num_columns: the number of columns (default ``num_rows``).
        batch_shape: leading dimensions the matrix is repeated over.
        dtype: the element type.
        name: ignored.

    Returns:
        A tensor of shape ``batch_shape + [num_rows, num_columns]``.
    """
    n = int(num_rows)
    m = n if num_columns is None else int(num_columns)
    a = _core.eye(n, m, _dtypes.as_dtype(dtype).core)
    if batch_shape is not None:
        a = a.broadcast_to(_dims(batch_shape, "eye") + [n, m]).copy()
    return Tensor._from_array(a)


# =============================================================================
# Joining and splitting: concat, stack, unstack, split, tile, pad, reverse
# =============================================================================

def _tensors(values, op):
    """Converts a list of values; non-tensors adopt the first tensor's dtype."""
    values = list(values)
    if not values:
        raise InvalidArgumentError(f"{op}: expected a non-empty list of tensors")
    like = next((v for v in values if isinstance(v, Tensor)), None)
    if like is None:
        like = convert_to_tensor(values[0])
    return [v if isinstance(v, Tensor) else convert_like(v, like) for v in values]


def _norm_axis(axis, ndim, op):
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise InvalidArgumentError(f"{op}: axis {axis} is out of range for a tensor of rank {ndim}")
    return axis % ndim


def _slice_along(x, axis, begin, end):
    return getitem(x, (slice(None),) * axis + (slice(begin, end),))


def _concat_shape(shapes, attrs):
    axis = attrs[0] % len(shapes[0])
    out = list(shapes[0])
    sizes = [s[axis] for s in shapes]
    out[axis] = None if any(d is None for d in sizes) else sum(sizes)
    for s in shapes:
        for i, d in enumerate(s):
            if i != axis and out[i] is None:
                out[i] = d
    return tuple(out)


def _concat_grad(dy, inputs, attrs, out):
    axis = attrs[0] % dy.ndim
    grads, at = [], 0
    for x in inputs:
        n = x._a.shape[axis]
        grads.append(_slice_along(dy, axis, at, at + n))
        at += n
    return tuple(grads)


class _AnyCount(tuple):
    """``diff`` of an op taking any number of inputs: every index is differentiable."""

    def __getitem__(self, k):
        return True


_EVERY = _AnyCount((True,) * 64)


class _VarOp:
    """Calls a kernel taking a list of arrays as ``kernel(*arrays, *attrs)``."""

    def __init__(self, kernel, nattrs):
        self.kernel, self.nattrs = kernel, nattrs

    def __call__(self, *args):
        k = len(args) - self.nattrs
        return self.kernel(list(args[:k]), *args[k:])


def _ref_concat(*args):
    return np.concatenate(args[:-1], axis=args[-1])


def _concat_samples(rng, dt):
    v = lambda *s: h.sample_values(rng, s, dt)  # noqa: E731
    return [((v(2, 3), v(2, 4)), (1,)), ((v(2, 3), v(1, 3), v(3, 3)), (0,)), ((v(4,), v(0,), v(2,)), (-1,)),
            ((v(2, 3, 2), v(2, 1, 2)), (-2,)), ((v(0, 2), v(0, 3)), (1,)), ((v(3, 2),), (0,))]


_concat = register(
    "concat", _VarOp(_core.concat, 1), grad=_concat_grad, diff=_EVERY, shape=_concat_shape, dtype=h.first_dtype,
    ref=_ref_concat, samples=_concat_samples, dtypes=_ALL_DTYPES)


def concat(values, axis, name="concat"):
    """Joins tensors along an existing axis.

    Args:
        values: a list of tensors of one dtype and rank whose shapes agree
            except along ``axis``.
        axis: the axis to join along (negative counts from the end).
        name: ignored.

    Returns:
        A tensor whose size along ``axis`` is the sum of the inputs' sizes.

    Raises:
        InvalidArgumentError: if dtypes, ranks or other dimensions differ.
    """
    values = _tensors(values, "concat")
    if len(values) == 1:
        return identity(values[0])
    return apply(_concat, values, int(axis))


def _stack_shape(shapes, attrs):
    s = list(shapes[0])
    axis = attrs[0] if attrs[0] >= 0 else attrs[0] + len(s) + 1
    s.insert(axis, len(shapes))
    return tuple(s)


def _stack_grad(dy, inputs, attrs, out):
    return tuple(unstack(dy, axis=attrs[0]))


def _stack_samples(rng, dt):
    v = lambda *s: h.sample_values(rng, s, dt)  # noqa: E731
    return [((v(2, 3), v(2, 3)), (0,)), ((v(2, 3), v(2, 3), v(2, 3)), (2,)), ((v(), v()), (0,)),
            ((v(4,), v(4,)), (-1,)), ((v(0, 2), v(0, 2)), (1,))]


_stack = register(
    "stack", _VarOp(_core.stack, 1), grad=_stack_grad, diff=_EVERY, shape=_stack_shape, dtype=h.first_dtype,
    ref=lambda *a: np.stack(a[:-1], axis=a[-1]), samples=_stack_samples, dtypes=_ALL_DTYPES)


def stack(values, axis=0, name="stack"):
    """Stacks tensors of one shape and dtype along a new axis.

    Args:
        values: a non-empty list of tensors.
        axis: where the new axis goes, in ``[-(rank + 1), rank]``.
        name: ignored.

    Returns:
        A tensor of rank ``rank + 1``.

    Raises:
        InvalidArgumentError: if shapes or dtypes differ, or ``axis`` is out of range.
    """
    values = _tensors(values, "stack")
    return apply(_stack, values, int(axis))


def unstack(value, num=None, axis=0, name="unstack"):
    """Splits a tensor into a list of tensors along ``axis`` (which disappears).

    Args:
        value: a tensor of rank at least 1.
        num: the expected number of pieces (checked when given).
        axis: the axis to split along.
        name: ignored.

    Returns:
        A list of ``value.shape[axis]`` tensors of rank ``rank - 1``.

    Raises:
        InvalidArgumentError: if ``num`` is given and differs from the axis size.
    """
    value = h.to_tensor(value)
    if value.ndim == 0:
        raise InvalidArgumentError("unstack: cannot unstack a scalar (rank 0)")
    axis = _norm_axis(axis, value.ndim, "unstack")
    n = value._a.shape[axis]
    if num is not None and int(num) != n:
        raise InvalidArgumentError(f"unstack: num={num} does not match dimension {axis} of size {n} "
                                   f"in shape {value.shape}")
    return [getitem(value, (slice(None),) * axis + (i,)) for i in builtins.range(n)]


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """Splits a tensor into pieces along ``axis``.

    Args:
        value: the tensor.
        num_or_size_splits: an int (that many equal pieces) or a list of sizes
            (one of them may be -1, for the rest).
        axis: the axis to split.
        num: ignored (the count follows from ``num_or_size_splits``).
        name: ignored.

    Returns:
        A list of tensors.

    Raises:
        InvalidArgumentError: if the sizes do not add up to the axis size or an
            equal split is impossible.
    """
    value = h.to_tensor(value)
    if value.ndim == 0:
        raise InvalidArgumentError("split: cannot split a scalar (rank 0)")
    axis = _norm_axis(axis, value.ndim, "split")
    n = value._a.shape[axis]
    if isinstance(num_or_size_splits, Tensor):
        num_or_size_splits = num_or_size_splits.numpy().tolist()
    if isinstance(num_or_size_splits, (int, np.integer)):
        k = int(num_or_size_splits)
        if k <= 0 or n % k:
            raise InvalidArgumentError(f"split: dimension {axis} of size {n} (shape {value.shape}) "
                                       f"cannot be split into {k} equal pieces")
        sizes = [n // k] * k
    else:
        sizes = [int(s) for s in num_or_size_splits]
        if sizes.count(-1) > 1 or any(s < -1 for s in sizes):
            raise InvalidArgumentError(f"split: invalid sizes {sizes}: at most one -1 and no other negatives")
        if -1 in sizes:
            rest = n - (sum(sizes) + 1)
            if rest < 0:
                raise InvalidArgumentError(f"split: sizes {sizes} exceed dimension {axis} of size {n}")
            sizes[sizes.index(-1)] = rest
        if sum(sizes) != n:
            raise InvalidArgumentError(f"split: sizes {sizes} add up to {sum(sizes)}, but dimension {axis} "
                                       f"of shape {value.shape} has size {n}")
    out, at = [], 0
    for s in sizes:
        out.append(_slice_along(value, axis, at, at + s))
        at += s
    return out


def tile(input, multiples, name=None):
    """Repeats ``input`` ``multiples[i]`` times along each axis ``i``.

    Raises:
        InvalidArgumentError: if ``multiples`` does not have one entry per axis
            or has a negative entry.
    """
    input = h.to_tensor(input)
    mult = _shape_list(multiples, "tile")
    shape = list(input._a.shape)
    if len(mult) != len(shape):
        raise InvalidArgumentError(f"tile: multiples {mult} must have one entry per axis of shape {input.shape}")
    if any(m < 0 for m in mult):
        raise InvalidArgumentError(f"tile: multiples must be non-negative, got {mult}")
    # Interleave a broadcast axis before each axis: (1, d0, 1, d1) -> (m0, d0, m1, d1).
    inter = [v for d in shape for v in (1, d)]
    target = [v for m, d in zip(mult, shape) for v in (m, d)]
    out = broadcast_to(reshape(input, inter), target)
    return reshape(out, [m * d for m, d in zip(mult, shape)])


def reverse(tensor, axis, name=None):
    """Reverses ``tensor`` along each axis in ``axis`` (a list of ints).

    Raises:
        InvalidArgumentError: if an axis is out of range or repeated.
    """
    tensor = h.to_tensor(tensor)
    axes = h.normalize_axes(axis, tensor.ndim, "reverse")
    key = tuple(slice(None, None, -1) if i in axes else slice(None) for i in builtins.range(tensor.ndim))
    return getitem(tensor, key)


def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    """Pads a tensor.

    Args:
        tensor: the input.
        paddings: ``[[before, after], ...]``, one pair of non-negative ints per axis.
        mode: ``'CONSTANT'``, ``'REFLECT'`` (mirror without the edge) or
            ``'SYMMETRIC'`` (mirror with the edge); case-insensitive.
        constant_values: the padding value in CONSTANT mode.
        name: ignored.

    Returns:
        The padded tensor.

    Raises:
        InvalidArgumentError: for a malformed ``paddings`` or padding too wide
            for the mirror modes.
    """
    tensor = h.to_tensor(tensor)
    pads = paddings.numpy().tolist() if isinstance(paddings, Tensor) else paddings
    pads = [[int(p) for p in pair] for pair in pads]
    if len(pads) != tensor.ndim or any(len(p) != 2 or min(p) < 0 for p in pads):
        raise InvalidArgumentError(f"pad: paddings {pads} must be [before, after] pairs of non-negative ints, "
                                   f"one per axis of shape {tensor.shape}")
    mode = mode.upper()
    if mode not in ("CONSTANT", "REFLECT", "SYMMETRIC"):
        raise InvalidArgumentError(f"pad: mode must be CONSTANT, REFLECT or SYMMETRIC, got {mode!r}")
    out = tensor
    for axis, (before, after) in enumerate(pads):
        if not before and not after:
            continue
        n = out._a.shape[axis]
        if mode == "CONSTANT":
            value = convert_like(constant_values, tensor)
            sides = []
            for k in (before, after):
                s = list(out._a.shape)
                s[axis] = k
                sides.append(fill(s, value))
            parts = [sides[0], out, sides[1]]
        else:
            edge = 1 if mode == "REFLECT" else 0
            if max(before, after) > n - edge:
                raise InvalidArgumentError(f"pad: {mode} padding of {max(before, after)} is too wide for "
                                           f"dimension {axis} of size {n}")
            head = reverse(_slice_along(out, axis, edge, edge + before), [axis])
            tail = reverse(_slice_along(out, axis, n - edge - after, n - edge), [axis])
            parts = [head, out, tail]
        out = concat(parts, axis)
    return out


# =============================================================================
# Selection: gather, one_hot, where, clip
# =============================================================================

def _gather_shape(shapes, attrs):
    p, i = shapes
    axis = attrs[0] % len(p)
    return tuple(p[:axis]) + tuple(i) + tuple(p[axis + 1:])


def _gather_grad(dy, inputs, attrs, out):
    params, indices = inputs
    return apply(_gather_grad_op, (dy, indices), tuple(params._a.shape), attrs[0]), None


def _gather_samples(rng, dt):
    v = lambda *s: h.sample_values(rng, s, dt)  # noqa: E731
    i = lambda n, *s: rng.integers(0, n, size=s).astype(np.int32 if len(s) % 2 else np.int64)  # noqa: E731
    return [((v(5, 3), i(5, 4)), (0,)), ((v(2, 5, 3), i(5, 2, 2)), (1,)), ((v(4, 3), i(3)), (-1,)),
            ((v(6,), i(6, 0)), (0,)), ((v(3, 4), i(3, 7)), (0,)), ((v(0, 3), i(3, 2)), (1,))]


_gather = register(
    "gather", _core.gather, grad=_gather_grad, diff=(True, False), shape=_gather_shape, dtype=h.first_dtype,
    ref=lambda p, i, axis: np.take(p, i, axis=axis), samples=_gather_samples, dtypes=_ALL_DTYPES)


def _np_gather_grad(dy, indices, shape, axis):
    out = np.zeros(shape, dy.dtype)
    axis = axis % len(shape)
    moved = np.moveaxis(out, axis, 0)
    g = dy.reshape(dy.shape[:axis] + (-1,) + dy.shape[axis + indices.ndim:]) if indices.ndim else \
        np.expand_dims(dy, axis)
    np.add.at(moved, indices.reshape(-1), np.moveaxis(g, axis, 0))
    return out


def _gather_grad_samples(rng, dt):
    v = lambda *s: h.sample_values(rng, s, dt)  # noqa: E731
    return [((v(4, 3), rng.integers(0, 5, size=(4,)).astype(np.int32)), ((5, 3), 0)),
            ((v(2, 2, 3, 2), rng.integers(0, 3, size=(2, 3)).astype(np.int64)), ((2, 3, 2), 1)),
            ((v(2, 3), np.array([1, 1, 1], np.int32)), ((2, 2), -1)),
            ((v(3, 2), np.array(2, np.int64)), ((3, 4, 2), 1))]


_gather_grad_op = register(
    "gather_grad", _core.gather_grad,
    grad=lambda ddy, inputs, attrs, out: (apply(_gather, (ddy, inputs[1]), attrs[1]), None),
    diff=(True, False), shape=lambda shapes, attrs: tuple(attrs[0]), dtype=h.first_dtype, ref=_np_gather_grad,
    samples=_gather_grad_samples, dtypes=("float32", "float64", "int32", "int64"))


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """Gathers slices of ``params`` along ``axis`` at ``indices``.

    Args:
        params: the tensor to take slices from.
        indices: an int32 or int64 tensor of indices in ``[0, params.shape[axis])``.
        validate_indices: ignored (indices are always checked).
        axis: the axis to gather along (default 0).
        batch_dims: only 0 is supported.
        name: ignored.

    Returns:
        A tensor of shape ``params.shape[:axis] + indices.shape + params.shape[axis + 1:]``.

    Raises:
        InvalidArgumentError: if an index is out of range (naming it and the
            dimension size) or ``axis`` is out of range.
        TypeError: if ``indices`` is not an integer tensor.
    """
    if batch_dims != 0:
        raise NotImplementedError("gather: only batch_dims=0 is supported")
    params = h.to_tensor(params)
    indices = h.to_tensor(indices)
    if not indices.dtype.is_integer:
        raise TypeError(f"gather: indices must be int32 or int64, got {indices.dtype.name}")
    return apply(_gather, (params, indices), 0 if axis is None else int(axis))


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """Sums the slices of ``data`` that share a segment id.

    Args:
        data: a tensor whose leading dimensions match ``segment_ids``' shape.
        segment_ids: an integer tensor of ids in ``[0, num_segments)``.
        num_segments: the number of segments.
        name: ignored.

    Returns:
        A tensor of shape ``[num_segments] + data.shape[segment_ids.ndim:]``.

    Raises:
        InvalidArgumentError: if an id is out of range or the shapes do not match.
    """
    data = h.to_tensor(data)
    ids = h.to_tensor(segment_ids)
    k = ids.ndim
    if tuple(data._a.shape[:k]) != tuple(ids._a.shape):
        raise InvalidArgumentError(f"unsorted_segment_sum: segment_ids of shape {ids.shape} must be a prefix "
                                   f"of data's shape {data.shape}")
    rest = list(data._a.shape[k:])
    flat_ids = reshape(ids, [-1])
    flat = reshape(data, [flat_ids._a.shape[0]] + rest)
    return apply(_gather_grad_op, (flat, flat_ids), tuple([int(num_segments)] + rest), 0)


def _one_hot_shape(shapes, attrs):
    s = list(shapes[0])
    axis = attrs[3]
    s.insert(len(s) if axis == -1 else axis, attrs[0])
    return tuple(s)


def _np_one_hot(i, depth, on, off, axis, dt):
    eq = np.expand_dims(i, -1) == np.arange(depth)
    out = np.where(eq, on, off).astype(_dtypes.from_core(dt).as_numpy_dtype)
    return np.moveaxis(out, -1, axis if axis != -1 else -1)


def _one_hot_samples(rng, dt):
    f32, i64 = _dtypes.float32.core, _dtypes.int64.core
    i = lambda *s: rng.integers(-1, 5, size=s).astype(dt)  # noqa: E731  (-1 and 4 are out of range)
    return [((i(6),), (4, 1.0, 0.0, -1, f32)), ((i(2, 3),), (4, 5.0, -1.0, 0, i64)),
            ((i(2, 3),), (3, 1.0, 0.0, 1, f32)), ((i(),), (4, 1.0, 0.0, -1, f32)), ((i(0, 2),), (3, 1.0, 0.0, -1, f32))]


_one_hot = register(
    "one_hot", _core.one_hot, shape=_one_hot_shape, dtype=lambda dts, attrs: _dtypes.from_core(attrs[4]),
    ref=_np_one_hot, samples=_one_hot_samples, dtypes=("int32", "int64"))


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """One-hot encodes integer indices.

    Args:
        indices: an int32 or int64 tensor; indices outside ``[0, depth)`` give
            rows of ``off_value`` only.
        depth: the size of the new axis.
        on_value: the value where the index matches (default 1).
        off_value: the value elsewhere (default 0).
        axis: where the new axis goes (default -1, last).
        dtype: the result's dtype (default: that of ``on_value``/``off_value``,
            else float32).
        name: ignored.

    Returns:
        A tensor with ``indices``' shape and a new axis of size ``depth``.

    Raises:
        InvalidArgumentError: if ``depth`` is negative or ``axis`` is out of range.
        TypeError: if ``indices`` is not an integer tensor.
    """
    indices = h.to_tensor(indices)
    if not indices.dtype.is_integer:
        raise TypeError(f"one_hot: indices must be int32 or int64, got {indices.dtype.name}")
    if dtype is None:
        given = [v for v in (on_value, off_value) if v is not None]
        dtype = next((v.dtype for v in given if isinstance(v, Tensor)),
                     convert_to_tensor(given[0]).dtype if given else _dtypes.float32)
    dtype = _dtypes.as_dtype(dtype)
    on = 1 if on_value is None else on_value
    off = 0 if off_value is None else off_value
    on, off = (float(np.asarray(v)) for v in (on, off))
    return apply(_one_hot, (indices,), int(depth), on, off, -1 if axis is None else int(axis), dtype.core)


def _ternary_shape(shapes, attrs):
    return h.broadcast_shape(h.broadcast_shape(shapes[0], shapes[1]), shapes[2])


def _where_grad(dy, inputs, attrs, out):
    cond = inputs[0]
    zero = zeros_like(dy)
    return None, apply(_where, (cond, dy, zero)), apply(_where, (cond, zero, dy))


def _where_samples(rng, dt):
    c = lambda *s: rng.random(s) < 0.5  # noqa: E731
    v = lambda *s: h.sample_values(rng, s, dt)  # noqa: E731
    return [((c(3, 4), v(3, 4), v(3, 4)), ()), ((c(3, 1), v(4), v(3, 4)), ()), ((c(), v(2, 3), v(3)), ()),
            ((c(2, 3), v(), v()), ()), ((c(0, 2), v(0, 2), v(2)), ())]


_where = register(
    "where", _core.where, grad=_where_grad, diff=(False, True, True), shape=_ternary_shape,
    dtype=lambda dts, attrs: dts[1], ref=np.where, samples=_where_samples, dtypes=_ALL_DTYPES)


def where(condition, x=None, y=None, name=None):
    """Selects from ``x`` where ``condition`` is true and from ``y`` elsewhere,
    or, without ``x`` and ``y``, returns the indices of the true elements.

    Args:
        condition: a bool tensor.
        x: values where ``condition`` is true; broadcast with ``condition`` and ``y``.
        y: values where it is false.
        name: ignored.

    Returns:
        With ``x`` and ``y``: a tensor of the broadcast shape. Without: an int64
        tensor of shape ``[number of true elements, rank]``.

    Raises:
        InvalidArgumentError: if the shapes do not broadcast, ``x`` and ``y``
            are tensors of different dtypes, or only one of them is given.
        TypeError: if ``condition`` is not bool.
    """
    condition = h.to_tensor(condition)
    if (x is None) != (y is None):
        raise InvalidArgumentError("where: x and y must both be given or both be None")
    if x is None:
        if not condition.dtype.is_bool:
            condition = cast(condition, _dtypes.bool_)
        idx = np.argwhere(np.asarray(condition._a)).astype(np.int64)
        return Tensor._from_array(_core.from_numpy(idx))
    if not condition.dtype.is_bool:
        raise TypeError(f"where: condition must be bool, got {condition.dtype.name}")
    x, y = h.pair(x, y)
    return apply(_where, (condition, x, y))


def _clip_grad(dy, inputs, attrs, out):
    x, lo, hi = inputs
    below, above = _ew.less(x, lo), _ew.greater(x, hi)
    inside = _ew.logical_not(_ew.logical_or(below, above))
    return dy * cast(inside, dy.dtype), dy * cast(below, dy.dtype), dy * cast(above, dy.dtype)


def _clip_samples(rng, dt):
    v = lambda lo, hi, *s: h.sample_values(rng, s, dt, lo, hi)  # noqa: E731
    return [((v(-3, 3, 4, 5), v(-1.5, -0.5), v(0.5, 1.5)), ()), ((v(-3, 3, 3, 4), v(-2, -1, 4), v(1, 2, 3, 1)), ()),
            ((v(-3, 3), v(-1, -1), v(1, 1)), ()), ((v(-3, 3, 0, 2), v(-1, -1), v(1, 1)), ())]


_clip = register(
    "clip_by_value", _core.clip, grad=_clip_grad, diff=(True, True, True), shape=_ternary_shape,
    dtype=h.first_dtype, ref=lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi), samples=_clip_samples,
    dtypes=("float32", "float64", "int32", "int64"))


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """Clips values to ``[clip_value_min, clip_value_max]`` element-wise.

    Args:
        t: a tensor.
        clip_value_min: the lower bound (a scalar or a tensor broadcastable with ``t``).
        clip_value_max: the upper bound.
        name: ignored.

    Returns:
        A tensor of the broadcast shape and ``t``'s dtype; the gradient flows to
        ``t`` where it lies within the bounds, otherwise to the bound.

    Raises:
        InvalidArgumentError: if the shapes do not broadcast or dtypes differ.
    """
    t = h.to_tensor(t)
    lo = convert_like(clip_value_min, t)
    hi = convert_like(clip_value_max, t)
    return apply(_clip, (t, lo, hi))


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """Rescales ``t`` so that its L2 norm (over ``axes``, default all) is at most ``clip_norm``.

    Args:
        t: a floating tensor.
        clip_norm: the largest norm allowed (a positive scalar).
        axes: the axes the norm is taken over; None means all.
        name: ignored.

    Returns:
        ``t * clip_norm / max(norm, clip_norm)``, of ``t``'s shape and dtype.
    """
    t = h.to_tensor(t)
    axes = h.normalize_axes(axes, t.ndim, "clip_by_norm")
    from tensorlet.ops.reductions import reduce_sum

    sq = reduce_sum(t * t, axis=list(axes), keepdims=True)
    clip = convert_like(clip_norm, t)
    # Where the norm is 0, sqrt's gradient would be infinite: use 1 there (the
    # output is t itself then, as clip / max(0, clip) = 1).
    positive = _ew.greater(sq, 0)
    norm = _ew.sqrt(where(positive, sq, ones_like(sq)))
    norm = where(positive, norm, zeros_like(norm))
    return t * clip / _ew.maximum(norm, clip)


from tensorlet.ops import elementwise as _ew  # noqa: E402
