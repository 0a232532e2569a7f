"""einsum: one registered op (numpy's einsum on the host); its gradient for
each operand is another einsum, so gradients of any order work."""

import numpy as np

from tensorlet.framework.errors import InvalidArgumentError, UnimplementedError
from tensorlet.ops import _helpers as h
from tensorlet.ops import _host
from tensorlet.ops.registry import apply, register


def _np_einsum(*args):
    arrays = args[:-1]
    return np.einsum(args[-1], *arrays, optimize=len(arrays) > 2)


class _AnyCount(tuple):
    def __getitem__(self, k):
        return True


def _explicit(equation, shapes):
    """``equation`` with ``...`` spelled out as letters (right-aligned across
    operands) and its output written out (numpy's implicit-output rule)."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise InvalidArgumentError(f"einsum: equation {equation!r} names {len(ins)} operands, got {len(shapes)}")
    if not arrow:
        letters = [c for c in lhs if c.isalpha()]
        out = ("..." if "..." in lhs else "") + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if "..." in eq:
        free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in eq]
        ranks = [len(s) - (len(sub) - 3) for sub, s in zip(ins, shapes) if "..." in sub]
        dots = "".join(free[:max(ranks + [0])])
        ins = [sub.replace("...", dots[len(dots) - (len(s) - (len(sub) - 3)):]) if "..." in sub else sub
               for sub, s in zip(ins, shapes)]
        out = out.replace("...", dots)
    return ins, out


def _split(subs):
    """A subscript as a list of parts: letters and '...'."""
    parts, i = [], 0
    while i < len(subs):
        if subs.startswith("...", i):
            parts.append("...")
            i += 3
        else:
            parts.append(subs[i])
            i += 1
    return parts


def _operand_grad(k):
    def grad(dy, inputs, attrs, out):
        from tensorlet.ops.array_ops import broadcast_to, reshape

        if tuple(dy.shape) != tuple(out.shape):  # the tape may hand a broadcast-compatible shape
            dy = reshape(dy, out.shape) if dy._a.size == out._a.size else broadcast_to(dy, out.shape)

        ins, outs = _explicit(attrs[0], [t.shape for t in inputs])
        target = _split(ins[k])
        if len([p for p in target if p != "..."]) != len({p for p in target if p != "..."}):
            raise UnimplementedError(f"einsum: the gradient of an operand with a repeated index ({ins[k]!r}) "
                                     "is not implemented")
        others = [s for i, s in enumerate(ins) if i != k]
        present = set(_split(outs)).union(*[set(_split(s)) for s in others])
        kept = [p for p in target if p in present]
        eq = ",".join([outs] + others) + "->" + "".join(kept)
        g = apply(_einsum, (dy,) + tuple(t for i, t in enumerate(inputs) if i != k), eq)
        if len(kept) == len(target):
            return g
        # Indices summed within this operand alone: their gradient is broadcast back.
        x_shape, g_shape = list(inputs[k].shape), list(g.shape)
        n_dots = len(x_shape) - (len(target) - ("..." in target))
        shape, full, at_g, at_x = [], [], 0, 0
        for p in target:
            width = n_dots if p == "..." else 1
            if p in present:
                shape += g_shape[at_g:at_g + width]
                full += g_shape[at_g:at_g + width]
                at_g += width
            else:
                shape += [1] * width
                full += x_shape[at_x:at_x + width]
            at_x += width
        return broadcast_to(reshape(g, shape), full)
    return grad


def _einsum_grad(dy, inputs, attrs, out):
    return tuple(_operand_grad(k)(dy, inputs, attrs, out) for k in range(len(inputs)))


def _einsum_shape(shapes, attrs):
    """Each index has the size its operands give it: size-1 dims broadcast (as
    in numpy), an unknown (None) size stays unknown unless another operand knows it."""
    ins, out = _explicit(attrs[0], shapes)
    sizes = {}
    for sub, shape in zip(ins, shapes):
        if len(sub) != len(shape):
            raise ValueError(f"subscripts {sub!r} do not fit an operand of rank {len(shape)}")
        for c, d in zip(sub, shape):
            sizes.setdefault(c, set()).add(d)
    for c, ds in sizes.items():
        if len(ds - {1, None}) > 1:
            raise ValueError(f"index {c!r} has sizes {sorted(ds - {1, None})}")
    if any(c not in sizes for c in out):
        raise ValueError(f"the output {out!r} has an index that no operand has")
    return tuple(max(sizes[c] - {None}) if sizes[c] - {1, None} or None not in sizes[c] else None for c in out)


def _samples(rng, dt):
    v = lambda *s: h.sample_values(rng, s, dt)  # noqa: E731
    return [((v(2, 3), v(3, 4)), ("ij,jk->ik",)), ((v(2, 3, 4), v(2, 4, 5)), ("bij,bjk->bik",)),
            ((v(3, 4),), ("ij->ji",)), ((v(3, 4),), ("ij->j",)), ((v(3), v(3)), ("i,i->",)),
            ((v(2, 3), v(4)), ("ij,k->ijk",)), ((v(2, 3, 4), v(4, 5)), ("...j,jk->...k",)),
            ((v(2, 3), v(3, 4), v(4)), ("ij,jk,k->i",))]


_einsum = register(
    "einsum", _host.kernel(_np_einsum), grad=_einsum_grad, diff=_AnyCount((True,) * 16), shape=_einsum_shape,
    dtype=h.first_dtype, ref=_np_einsum, samples=_samples, dtypes=("float32", "float64", "int32", "int64"))


def einsum(equation, *inputs, **kwargs):
    """Tensor contraction in Einstein notation: ``einsum('ij,jk->ik', a, b)`` is ``a @ b``.

    Args:
        equation: the subscripts, as numpy and TensorFlow write them (``'...'``
            for leading axes; without ``->`` the output holds the indices that
            appear once, in alphabetical order).
        *inputs: the operands, tensors of one dtype.
        **kwargs: ``name`` and ``optimize`` are accepted and ignored.

    Returns:
        The contraction, a tensor; differentiable in every operand.

    Raises:
        InvalidArgumentError: if the equation does not fit the operands.
    """
    from tensorlet.ops.array_ops import _tensors

    for k in kwargs:
        if k not in ("name", "optimize"):
            raise TypeError(f"einsum: unexpected keyword argument {k!r}")
    if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
        inputs = tuple(inputs[0])
    tensors = _tensors(inputs, "einsum")
    ins, out = _explicit(equation, [t.shape for t in tensors])
    eq = ",".join(ins) + "->" + out
    try:
        _einsum_shape([t.shape for t in tensors], (eq,))
    except ValueError as e:
        raise InvalidArgumentError(f"einsum: equation {equation!r} does not fit operands of shapes "
                                   f"{[tuple(t.shape) for t in tensors]}: {e}") from None
    if len({t.dtype for t in tensors}) > 1:
        raise InvalidArgumentError(f"einsum: operands must have one dtype, got {[t.dtype.name for t in tensors]}")
    return apply(_einsum, tensors, eq)
