"""Joining and splitting: concat, stack, unstack, split, tile, reverse, pad."""

import builtins

import numpy as np

from tensorlet import _core
from tensorlet.framework.convert import convert_like, convert_to_tensor
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.framework.tensor import Tensor
from tensorlet.ops import _helpers as h
from tensorlet.ops.creation_ops import fill
from tensorlet.ops.registry import apply, register
from tensorlet.ops.view_ops import _shape_list, broadcast_to, getitem, identity, reshape, shape

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
    ref=_ref_concat, samples=_concat_samples, dtypes=h.ALL_DTYPES)


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
    ref=lambda *a: np.stack(a[:-1], axis=a[-1]), samples=_stack_samples, dtypes=h.ALL_DTYPES)


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
                if None in s:  # a symbolic input's unknown dims, as the fill's shape rule takes them
                    s = [d if d is not None else shape(out)[i] for i, d in enumerate(s)]
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
