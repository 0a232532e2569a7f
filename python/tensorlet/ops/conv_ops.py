"""Convolutions, pooling and batch normalization.

Every gradient is itself a registered op with a gradient (conv2d's input
gradient is a convolution with the filter, and so on), so gradients of any
order work. Attributes: ``strides`` and ``dilations`` are (height, width);
``padding`` is ``'SAME'``, ``'VALID'`` or explicit ``(top, bottom, left,
right)``; ``fmt`` is ``'NHWC'`` or ``'NCHW'``. Filters are ``(kh, kw,
in_channels / groups, out_channels)`` in both formats.
"""

import numpy as np

from tensorlet import _core
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.ops import _helpers as h
from tensorlet.ops.array_ops import expand_dims, reshape, squeeze
from tensorlet.ops import registry
from tensorlet.ops.registry import apply, apply_multi, register

# ---- geometry (the rules the kernels follow) ----------------------------------------


def _out_dim(n, k, s, d, padding, pads):
    """Output size and (before, after) padding along one axis; None when unknown."""
    if n is None or k is None and padding != "SAME":
        return None, (0, 0)
    if padding == "SAME":
        out = -(-n // s)
        if k is None:
            return out, None
        total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
        return out, (total // 2, total - total // 2)
    p0, p1 = (0, 0) if padding == "VALID" else pads
    span = (k - 1) * d + 1
    return (n + p0 + p1 - span) // s + 1 if n + p0 + p1 >= span else 0, (p0, p1)


def _spatial(shape, fmt):
    """(n, h, w, c) of a rank-4 shape in ``fmt``."""
    n, a, b, c = shape
    return (n, b, c, a) if fmt == "NCHW" else (n, a, b, c)


def _from_spatial(n, hh, ww, c, fmt):
    return (n, c, hh, ww) if fmt == "NCHW" else (n, hh, ww, c)


def _pads(padding):
    return ((0, 0), (0, 0)) if isinstance(padding, str) else (tuple(padding[:2]), tuple(padding[2:]))


def _conv_out_shape(x, k, o, strides, padding, dilations, fmt):
    n, hh, ww, _ = _spatial(x, fmt)
    ph, pw = _pads(padding)
    oh = _out_dim(hh, k[0], strides[0], dilations[0], padding, ph)[0]
    ow = _out_dim(ww, k[1], strides[1], dilations[1], padding, pw)[0]
    return _from_spatial(n, oh, ow, o, fmt)


def _check_rank4(op, shape, what="input"):
    if len(shape) != 4:
        raise InvalidArgumentError(f"{op}: the {what} must have rank 4, got shape {tuple(shape)}")


def _conv_shape(shapes, attrs):
    x, w = tuple(shapes[0]), tuple(shapes[1])
    _check_rank4("conv2d", x)
    _check_rank4("conv2d", w, "filter")
    return _conv_out_shape(x, w[:2], w[3], *attrs[:3], attrs[4])


def _same_dtype(dtypes, attrs):
    if any(d != dtypes[0] for d in dtypes[1:]):
        raise InvalidArgumentError("operands must have the same dtype, got " + ", ".join(d.name for d in dtypes))
    return dtypes[0]


# ---- numpy references: direct sums over the window offsets ----------------------------


def _to_nhwc(a, fmt):
    return a.transpose(0, 2, 3, 1) if fmt == "NCHW" else a


def _from_nhwc(a, fmt):
    return a.transpose(0, 3, 1, 2) if fmt == "NCHW" else a


def _np_geom(shape, k, strides, padding, dilations):
    _, hh, ww, _ = shape
    oh, ph = _out_dim(hh, k[0], strides[0], dilations[0], padding, _pads(padding)[0])
    ow, pw = _out_dim(ww, k[1], strides[1], dilations[1], padding, _pads(padding)[1])
    return oh, ow, ph, pw


def _window_slices(i, j, oh, ow, strides, dilations):
    return (slice(i * dilations[0], i * dilations[0] + strides[0] * (oh - 1) + 1, strides[0]),
            slice(j * dilations[1], j * dilations[1] + strides[1] * (ow - 1) + 1, strides[1]))


def _np_conv2d(x, w, strides, padding, dilations, groups, fmt):
    x = _to_nhwc(x, fmt).astype(np.float64)
    oh, ow, ph, pw = _np_geom(x.shape, w.shape, strides, padding, dilations)
    xp = np.pad(x, ((0, 0), ph, pw, (0, 0)))
    cg, og = w.shape[2], w.shape[3] // groups
    out = np.zeros((x.shape[0], oh, ow, w.shape[3]))
    for i in range(w.shape[0]):
        for j in range(w.shape[1]):
            sh, sw = _window_slices(i, j, oh, ow, strides, dilations)
            for g in range(groups):
                out[..., g * og:(g + 1) * og] += xp[:, sh, sw, g * cg:(g + 1) * cg] @ w[i, j, :, g * og:(g + 1) * og]
    return _from_nhwc(out, fmt).astype(w.dtype)


def _np_conv2d_backprop_input(w, dy, input_shape, strides, padding, dilations, groups, fmt):
    dy = _to_nhwc(dy, fmt).astype(np.float64)
    shape = _spatial(input_shape, fmt)
    oh, ow, ph, pw = _np_geom(shape, w.shape, strides, padding, dilations)
    dxp = np.zeros((shape[0], shape[1] + sum(ph), shape[2] + sum(pw), shape[3]))
    cg, og = w.shape[2], w.shape[3] // groups
    for i in range(w.shape[0]):
        for j in range(w.shape[1]):
            sh, sw = _window_slices(i, j, oh, ow, strides, dilations)
            for g in range(groups):
                dxp[:, sh, sw, g * cg:(g + 1) * cg] += dy[..., g * og:(g + 1) * og] @ w[i, j, :, g * og:(g + 1) * og].T
    dx = dxp[:, ph[0]:ph[0] + shape[1], pw[0]:pw[0] + shape[2]]
    return _from_nhwc(dx, fmt).astype(w.dtype)


def _np_conv2d_backprop_filter(x, dy, filter_shape, strides, padding, dilations, groups, fmt):
    x, dy = _to_nhwc(x, fmt).astype(np.float64), _to_nhwc(dy, fmt).astype(np.float64)
    oh, ow, ph, pw = _np_geom(x.shape, filter_shape, strides, padding, dilations)
    xp = np.pad(x, ((0, 0), ph, pw, (0, 0)))
    cg, og = filter_shape[2], filter_shape[3] // groups
    dw = np.zeros(filter_shape)
    for i in range(filter_shape[0]):
        for j in range(filter_shape[1]):
            sh, sw = _window_slices(i, j, oh, ow, strides, dilations)
            for g in range(groups):
                dw[i, j, :, g * og:(g + 1) * og] = np.einsum(
                    "nhwc,nhwo->co", xp[:, sh, sw, g * cg:(g + 1) * cg], dy[..., g * og:(g + 1) * og])
    return dw.astype(x.dtype if x.dtype == dy.dtype else dy.dtype)


def _np_windows(x, ksize, strides, padding, fill):
    """(n, oh, ow, kh*kw, c) windows of NHWC x, padding filled with ``fill``."""
    n, hh, ww, c = x.shape
    oh, ow, ph, pw = _np_geom(x.shape, ksize, strides, padding, (1, 1))
    xp = np.pad(x.astype(np.float64), ((0, 0), ph, pw, (0, 0)), constant_values=fill)
    wins = [xp[(slice(None),) + _window_slices(i, j, oh, ow, strides, (1, 1))]
            for i in range(ksize[0]) for j in range(ksize[1])]
    return np.stack(wins, 3)


def _np_pool(x, ksize, strides, padding, fmt, is_max):
    xs = _to_nhwc(x, fmt)
    if is_max:
        out = _np_windows(xs, ksize, strides, padding, -np.inf).max(axis=3)
    else:
        wins = _np_windows(xs, ksize, strides, padding, 0)
        count = _np_windows(np.ones_like(xs), ksize, strides, padding, 0)
        out = wins.sum(axis=3) / count.sum(axis=3)
    return _from_nhwc(out, fmt).astype(x.dtype)


def _np_argmax_index(xs, ksize, strides, padding):
    """Flat NHWC index of each window's first maximum, (n, oh, ow, c)."""
    wins = _np_windows(xs, ksize, strides, padding, -np.inf)
    n, hh, ww, c = xs.shape
    oh, ow, ph, pw = _np_geom(xs.shape, ksize, strides, padding, (1, 1))
    kh, kw = np.divmod(wins.argmax(axis=3), ksize[1])
    ih = np.arange(oh)[None, :, None, None] * strides[0] + kh - ph[0]
    iw = np.arange(ow)[None, None, :, None] * strides[1] + kw - pw[0]
    return ((np.arange(n)[:, None, None, None] * hh + ih) * ww + iw) * c + np.arange(c)


def _np_max_pool_grad(x, dy, ksize, strides, padding, fmt):
    xs, dys = _to_nhwc(x, fmt), _to_nhwc(dy, fmt)
    dx = np.zeros(xs.size)
    np.add.at(dx, _np_argmax_index(xs, ksize, strides, padding).ravel(), dys.astype(np.float64).ravel())
    return _from_nhwc(dx.reshape(xs.shape), fmt).astype(x.dtype)


def _np_max_pool_grad_grad(x, ddx, ksize, strides, padding, fmt):
    xs = _to_nhwc(x, fmt)
    out = _to_nhwc(ddx, fmt).ravel()[_np_argmax_index(xs, ksize, strides, padding)]
    return _from_nhwc(out, fmt).astype(x.dtype)


def _np_avg_pool_grad(dy, input_shape, ksize, strides, padding, fmt):
    shape = _spatial(input_shape, fmt)
    dys = _to_nhwc(dy, fmt).astype(np.float64)
    oh, ow, ph, pw = _np_geom(shape, ksize, strides, padding, (1, 1))
    count = _np_windows(np.ones(shape), ksize, strides, padding, 0).sum(axis=3)
    dxp = np.zeros((shape[0], shape[1] + sum(ph), shape[2] + sum(pw), shape[3]))
    for i in range(ksize[0]):
        for j in range(ksize[1]):
            sh, sw = _window_slices(i, j, oh, ow, strides, (1, 1))
            dxp[:, sh, sw] += dys / count
    return _from_nhwc(dxp[:, ph[0]:ph[0] + shape[1], pw[0]:pw[0] + shape[2]], fmt).astype(dy.dtype)


# ---- samples: every padding / stride / dilation / group combination, small -------------

# (x shape, filter shape, strides, padding, dilations, groups, fmt)
CONV_CASES = [
    ((1, 4, 4, 2), (2, 2, 2, 3), (1, 1), "VALID", (1, 1), 1, "NHWC"),
    ((1, 5, 4, 2), (3, 2, 2, 2), (2, 2), "SAME", (1, 1), 1, "NHWC"),
    ((1, 5, 5, 2), (2, 2, 1, 4), (1, 1), "SAME", (2, 2), 2, "NHWC"),
    ((1, 4, 4, 3), (3, 3, 1, 3), (2, 2), "SAME", (1, 1), 3, "NHWC"),
    ((1, 3, 4, 2), (2, 2, 1, 4), (1, 2), "VALID", (1, 1), 2, "NHWC"),
    ((1, 2, 4, 5), (2, 3, 2, 2), (1, 2), (1, 0, 2, 1), (1, 1), 1, "NCHW"),
    ((1, 3, 3, 4), (1, 1, 4, 3), (1, 1), "VALID", (1, 1), 1, "NHWC"),
    ((2, 3, 5, 1), (2, 3, 1, 2), (2, 1), "VALID", (1, 2), 1, "NHWC"),
    ((1, 4, 3, 3), (3, 2, 4, 2), (1, 1), "SAME", (2, 1), 1, "NCHW"),
    # larger: the GEMM's packed paths, threads, groups with several channels
    ((3, 9, 9, 8), (3, 3, 8, 16), (1, 1), "SAME", (1, 1), 1, "NHWC"),
    ((2, 11, 10, 8), (3, 3, 4, 8), (2, 2), "VALID", (1, 1), 2, "NHWC"),
    ((2, 8, 7, 6), (3, 3, 1, 12), (1, 1), "SAME", (1, 1), 6, "NHWC"),
    ((2, 9, 6, 9), (3, 3, 9, 5), (1, 1), "VALID", (2, 2), 1, "NCHW"),
    # 16+ channels per group at unit stride: the input gradient runs as a convolution
    ((2, 7, 7, 32), (3, 3, 16, 8), (1, 1), "SAME", (2, 1), 2, "NHWC"),
    ((1, 6, 6, 16), (3, 3, 16, 4), (1, 1), (2, 0, 1, 2), (1, 1), 1, "NHWC"),
]


def _conv_attrs(case):
    return case[2], case[3], case[4], case[5], case[6]


def _vals(rng, shape, dtype):
    # Long sums in the larger cases: smaller values keep float32's absolute error in the tolerance.
    r = 2.0 if np.prod(shape) <= 100 else 0.5
    return h.sample_values(rng, shape, dtype, -r, r)


def _conv_samples(rng, dtype):
    return [((_vals(rng, c[0], dtype), _vals(rng, c[1], dtype)), _conv_attrs(c)) for c in CONV_CASES]


def _conv_out(case):
    return _conv_out_shape(case[0], case[1][:2], case[1][3], case[2], case[3], case[4], case[6])


def _backprop_input_samples(rng, dtype):
    return [((_vals(rng, c[1], dtype), _vals(rng, _conv_out(c), dtype)), (c[0],) + _conv_attrs(c))
            for c in CONV_CASES]


def _backprop_filter_samples(rng, dtype):
    return [((_vals(rng, c[0], dtype), _vals(rng, _conv_out(c), dtype)), (c[1],) + _conv_attrs(c))
            for c in CONV_CASES]


# ---- convolution ops ------------------------------------------------------------------------


def _bi(w, dy, shape, attrs):
    return apply(_conv2d_backprop_input, (w, dy), tuple(shape), *attrs)


def _bf(x, dy, shape, attrs):
    return apply(_conv2d_backprop_filter, (x, dy), tuple(shape), *attrs)


def _conv(x, w, attrs):
    return apply(_conv2d, (x, w), *attrs)


_conv2d = register(
    "conv2d", _core.conv2d,
    grad=(lambda dy, i, a, out: _bi(i[1], dy, i[0].shape, a), lambda dy, i, a, out: _bf(i[0], dy, i[1].shape, a)),
    diff=(True, True), shape=_conv_shape, dtype=_same_dtype, ref=_np_conv2d, samples=_conv_samples)

_conv2d_backprop_input = register(
    "conv2d_backprop_input", _core.conv2d_backprop_input,
    grad=(lambda g, i, a, out: _bf(g, i[1], i[0].shape, a[1:]), lambda g, i, a, out: _conv(g, i[0], a[1:])),
    diff=(True, True), shape=lambda shapes, attrs: tuple(attrs[0]), dtype=_same_dtype,
    ref=_np_conv2d_backprop_input, samples=_backprop_input_samples)

_conv2d_backprop_filter = register(
    "conv2d_backprop_filter", _core.conv2d_backprop_filter,
    grad=(lambda g, i, a, out: _bi(g, i[1], i[0].shape, a[1:]), lambda g, i, a, out: _conv(i[0], g, a[1:])),
    diff=(True, True), shape=lambda shapes, attrs: tuple(attrs[0]), dtype=_same_dtype,
    ref=_np_conv2d_backprop_filter, samples=_backprop_filter_samples)


def _np_fused_conv2d(x, w, b, strides, padding, dilations, groups, fmt, act):
    y = _to_nhwc(_np_conv2d(x.astype(np.float64), w.astype(np.float64), strides, padding, dilations, groups, fmt),
                 fmt) + b
    return _from_nhwc(np.maximum(y, 0) if act == "relu" else y, fmt).astype(x.dtype)


def _fused_samples(rng, dtype):
    out = []
    for i, c in enumerate(CONV_CASES):
        act = "relu" if i % 2 == 0 else "linear"
        o = c[1][3]
        while True:  # pre-activations away from relu's kink, for the finite differences
            x, w, b = _vals(rng, c[0], dtype), _vals(rng, c[1], dtype), _vals(rng, (o,), dtype)
            pre = _np_fused_conv2d(x, w, b, *_conv_attrs(c), "linear")
            if act == "linear" or np.abs(pre).min() > 1e-2:
                break
        out.append(((x, w, b), _conv_attrs(c) + (act,)))
    return out


def _fused_pre(dy, inputs, attrs, out):
    from tensorlet.ops.nn_ops import _relu_grad  # out > 0 exactly where the pre-activation is
    return apply(_relu_grad, (out, dy)) if attrs[5] == "relu" else dy


def _fused_bias_grad(dpre, inputs, attrs, out):
    from tensorlet.ops.reductions import reduce_sum
    return reduce_sum(dpre, [0, 2, 3] if attrs[4] == "NCHW" else [0, 1, 2])


_fused_conv2d = register(
    "fused_conv2d", _core.fused_conv2d,
    grad=(lambda dp, i, a, out: _bi(i[1], dp, i[0].shape, a[:5]),
          lambda dp, i, a, out: _bf(i[0], dp, i[1].shape, a[:5]), _fused_bias_grad),
    grad_prep=_fused_pre, diff=(True, True, True), shape=lambda s, a: _conv_shape(s[:2], a), dtype=_same_dtype,
    ref=_np_fused_conv2d, samples=_fused_samples)


# ---- pooling ops -----------------------------------------------------------------------

# (x shape, ksize, strides, padding, fmt)
POOL_CASES = [
    ((1, 4, 4, 2), (2, 2), (2, 2), "VALID", "NHWC"),
    ((2, 5, 4, 1), (3, 2), (2, 1), "SAME", "NHWC"),
    ((1, 2, 5, 5), (3, 3), (2, 2), "SAME", "NCHW"),
    ((1, 5, 5, 2), (2, 3), (1, 2), "VALID", "NHWC"),
    ((1, 3, 3, 3), (3, 3), (1, 1), "SAME", "NHWC"),
    ((4, 12, 12, 40), (2, 2), (2, 2), "VALID", "NHWC"),
    ((1, 12, 11, 40), (3, 3), (2, 2), "SAME", "NHWC"),
]


def _pool_out(case):
    x, k, s, p, fmt = case
    return _conv_out_shape(x, k, _spatial(x, fmt)[3], s, p, (1, 1), fmt)


def _pool_shape(shapes, attrs):
    x = tuple(shapes[0])
    _check_rank4("pool2d", x)
    return _conv_out_shape(x, attrs[0], _spatial(x, attrs[3])[3], attrs[1], attrs[2], (1, 1), attrs[3])


def _distinct(rng, shape, dtype):
    """Values with no ties (a window's maximum is unique) spaced for finite differences."""
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) * (4.0 / n) - 2.0).astype(dtype)


def _pool_samples(rng, dtype):
    return [((_distinct(rng, c[0], dtype),), c[1:]) for c in POOL_CASES]


def _pool_grad_samples(rng, dtype):
    return [((_distinct(rng, c[0], dtype), h.sample_values(rng, _pool_out(c), dtype)), c[1:]) for c in POOL_CASES]


def _pool_grad_grad_samples(rng, dtype):
    return [((_distinct(rng, c[0], dtype), h.sample_values(rng, c[0], dtype)), c[1:]) for c in POOL_CASES]


def _avg_grad_samples(rng, dtype):
    return [((h.sample_values(rng, _pool_out(c), dtype),), (c[0],) + c[1:]) for c in POOL_CASES]


_max_pool_grad_grad = register(
    "max_pool2d_grad_grad", _core.max_pool2d_grad_grad,
    grad=(lambda g, i, a, out: None, lambda g, i, a, out: apply(_max_pool_grad, (i[0], g), *a)),
    diff=(False, True), shape=lambda shapes, attrs: _pool_shape(shapes[:1], attrs), dtype=_same_dtype,
    ref=_np_max_pool_grad_grad, samples=_pool_grad_grad_samples)

_max_pool_grad = register(
    "max_pool2d_grad", _core.max_pool2d_grad,
    grad=(lambda g, i, a, out: None, lambda g, i, a, out: apply(_max_pool_grad_grad, (i[0], g), *a)),
    diff=(False, True), shape=lambda shapes, attrs: tuple(shapes[0]), dtype=_same_dtype,
    ref=_np_max_pool_grad, samples=_pool_grad_samples)

_max_pool = register(
    "max_pool2d", _core.max_pool2d, grad=lambda dy, i, a, out: (apply(_max_pool_grad, (i[0], dy), *a),),
    diff=(True,), shape=_pool_shape, dtype=h.first_dtype,
    ref=lambda x, k, s, p, f: _np_pool(x, k, s, p, f, True), samples=_pool_samples)

_avg_pool_grad = register(
    "avg_pool2d_grad", _core.avg_pool2d_grad,
    grad=lambda g, i, a, out: (apply(_avg_pool, (g,), *a[1:]),), diff=(True,),
    shape=lambda shapes, attrs: tuple(attrs[0]), dtype=h.first_dtype, ref=_np_avg_pool_grad,
    samples=_avg_grad_samples)

_avg_pool = register(
    "avg_pool2d", _core.avg_pool2d,
    grad=lambda dy, i, a, out: (apply(_avg_pool_grad, (dy,), tuple(i[0].shape), *a),), diff=(True,),
    shape=_pool_shape, dtype=h.first_dtype, ref=lambda x, k, s, p, f: _np_pool(x, k, s, p, f, False),
    samples=_pool_samples)


# ---- batch normalization ops ----------------------------------------------------------------
# Statistics and normalization are separate ops with honest gradients, so the
# tape chains the training-mode gradient through the batch statistics. Each
# is one fused pass (two for the statistics); per-channel sums in one kernel.

def _bc(v, x, axis):
    """A per-channel vector shaped to broadcast against x along ``axis``."""
    if axis == x.ndim - 1:
        return v
    return reshape(v, [-1 if d == axis else 1 for d in range(x.ndim)])


def _count(x, axis):
    return max(int(np.prod(x.shape)) // max(x.shape[axis], 1), 1)


def _np_other_axes(x, axis):
    return tuple(d for d in range(x.ndim) if d != axis)


def _np_bc(v, x, axis):
    return v.reshape([-1 if d == axis else 1 for d in range(x.ndim)])


def _np_stats(x, axis):
    x64 = x.astype(np.float64)
    return np.stack([x64.mean(_np_other_axes(x, axis)), x64.var(_np_other_axes(x, axis))]).astype(x.dtype)


def _np_apply(x, mean, var, scale, offset, eps, axis):
    b = lambda v: _np_bc(v.astype(np.float64), x, axis)  # noqa: E731
    return ((x - b(mean)) / np.sqrt(b(var) + eps) * b(scale) + b(offset)).astype(x.dtype)


def _np_sums(dy, x, mean, axis):
    ax = _np_other_axes(x, axis)
    d64 = dy.astype(np.float64)
    return np.stack([d64.sum(ax), (d64 * (x - _np_bc(mean, x, axis))).sum(ax)]).astype(x.dtype)


# (x shape, channel axis)
BN_CASES = [((4, 3), 1), ((2, 3, 2, 2), 1), ((3, 2, 2, 2), 3), ((2, 5), 0), ((6, 4, 4, 8), 3)]


def _vec(rng, x, axis, dtype, lo=-1.0, hi=1.0):
    return h.sample_values(rng, (x[axis],), dtype, lo, hi)


def _stats_samples(rng, dtype):
    return [((h.sample_values(rng, s, dtype),), (ax,)) for s, ax in BN_CASES]


def _apply_samples(rng, dtype):
    return [((h.sample_values(rng, s, dtype), _vec(rng, s, ax, dtype), _vec(rng, s, ax, dtype, 0.5, 1.5),
              _vec(rng, s, ax, dtype, 0.5, 1.5), _vec(rng, s, ax, dtype)), (1e-3, ax)) for s, ax in BN_CASES]


def _affine_samples(rng, dtype):
    return [((h.sample_values(rng, s, dtype), _vec(rng, s, ax, dtype), _vec(rng, s, ax, dtype)), (ax,))
            for s, ax in BN_CASES]


def _sums_samples(rng, dtype):
    return [((h.sample_values(rng, s, dtype), h.sample_values(rng, s, dtype), _vec(rng, s, ax, dtype)), (ax,))
            for s, ax in BN_CASES]


def _vec_shape(shapes, attrs):
    return (2, shapes[0][attrs[-1]])


def _affine(x, a, b, axis):
    return apply(_channel_affine, (x, a, b), axis)


def _sums(dy, x, mean, axis):
    return apply(_bn_sums, (dy, x, mean), axis)


def _stats_grad(g, inputs, attrs, out):
    # mean = sum(x) / m, var = sum((x - mean)^2) / m: dx = g0 / m + 2 g1 (x - mean) / m.
    x, axis = inputs[0], attrs[0]
    m = _count(x, axis)
    g0, g1, mean = g[0], g[1], out[0]
    return (_affine(x, g1 * (2.0 / m), (g0 - 2.0 * g1 * mean) / m, axis),)


_bn_stats = register(
    "batch_norm_stats", _core.batch_norm_stats, grad=_stats_grad, diff=(True,), shape=lambda s, a: (2, s[0][a[0]]),
    dtype=h.first_dtype, ref=_np_stats, samples=_stats_samples)

_channel_affine = register(
    "channel_affine", _core.channel_affine,
    grad=(lambda g, i, a, out: g * _bc(i[1], g, a[0]),
          lambda g, i, a, out: _sums(g, i[0], i[1] * 0, a[0])[1],
          lambda g, i, a, out: _sums(g, i[0], i[1] * 0, a[0])[0]),
    diff=(True, True, True), shape=lambda s, a: tuple(s[0]), dtype=_same_dtype,
    ref=lambda x, a, b, ax: (x * _np_bc(a, x, ax) + _np_bc(b, x, ax)).astype(x.dtype), samples=_affine_samples)


def _sums_grad(g, inputs, attrs, out):
    dy, x, mean = inputs
    axis = attrs[0]
    g0, g1 = g[0], g[1]
    return (_affine(x, g1, g0 - g1 * mean, axis), dy * _bc(g1, dy, axis), -g1 * out[0])


_bn_sums = register(
    "batch_norm_grad_sums", _core.batch_norm_grad_sums, grad=_sums_grad, diff=(True, True, True),
    shape=_vec_shape, dtype=_same_dtype, ref=_np_sums, samples=_sums_samples)


def _apply_prep(dy, inputs, attrs, out):
    x, mean, var, scale = inputs[:4]
    from tensorlet.ops.elementwise import rsqrt
    inv = rsqrt(var + attrs[0])
    return dy, _sums(dy, x, mean, attrs[1]), inv, scale * inv


_bn_apply = register(
    "batch_norm_apply", _core.batch_norm_apply,
    grad=(lambda p, i, a, out: p[0] * _bc(p[3], p[0], a[1]),
          lambda p, i, a, out: -p[1][0] * p[3],
          lambda p, i, a, out: p[1][1] * p[3] * p[2] * p[2] * -0.5,
          lambda p, i, a, out: p[1][1] * p[2],
          lambda p, i, a, out: p[1][0]),
    grad_prep=_apply_prep, diff=(True,) * 5, shape=lambda s, a: tuple(s[0]), dtype=_same_dtype,
    ref=_np_apply, samples=_apply_samples)


# ---- training mode: one op per direction ------------------------------------------------
# batch_norm_train gives y and the batch statistics in one kernel call (two
# passes over x); its gradient is one call of batch_norm_train_grad (dx,
# dscale, doffset: two passes). That op has no gradient of its own: while a
# tape records the backward pass (a nested or outer tape asking for second
# order), the gradient is built from the decomposed ops above instead, which
# are differentiable.

def _np_train(x, scale, offset, eps, axis):
    mean, var = _np_stats(x, axis)
    return _np_apply(x, mean, var, scale, offset, eps, axis), mean, var


def _np_train_grad(dy, x, mean, var, scale, dmean, dvar, eps, axis):
    b = lambda v: _np_bc(v.astype(np.float64), x, axis)  # noqa: E731
    s0, s1 = _np_sums(dy, x, mean, axis).astype(np.float64)
    m, inv = _count(x, axis), 1 / np.sqrt(var.astype(np.float64) + eps)
    dm = 0 if dmean is None else dmean.astype(np.float64)
    dv = 0 if dvar is None else dvar.astype(np.float64)
    dx = (b(scale * inv) * dy + b((2 * dv - scale * inv ** 3 * s1) / m) * (x - b(mean))
          + b((dm - scale * inv * s0) / m))
    return dx.astype(x.dtype), (s1 * inv).astype(x.dtype), s0.astype(x.dtype)


def _train_samples(rng, dtype):
    return [((h.sample_values(rng, s, dtype), _vec(rng, s, ax, dtype, 0.5, 1.5), _vec(rng, s, ax, dtype)), (1e-3, ax))
            for s, ax in BN_CASES]


def _train_grad_samples(rng, dtype):
    out = []
    for (x, scale, offset), (eps, ax) in _train_samples(rng, dtype):
        _, mean, var = _np_train(x, scale, offset, eps, ax)
        dy = h.sample_values(rng, x.shape, dtype)
        out += [((dy, x, mean, var, scale, None, None), (eps, ax)),
                ((dy, x, mean, var, scale, _vec(rng, x.shape, ax, dtype), _vec(rng, x.shape, ax, dtype)), (eps, ax))]
    return out


def _train_shape(shapes, attrs):
    c = shapes[0][attrs[-1]]
    return [tuple(shapes[0]), (c,), (c,)]


def _taped():
    """Whether a tape records this thread's ops (the backward pass then
    needs differentiable ops)."""
    return any(getattr(o, "differentiates", False) for o in registry.observers)


def _train_grad(dys, inputs, attrs, outs):
    (dy, dmean, dvar), (x, scale, _), (eps, axis) = dys, inputs, attrs
    _, mean, var = outs
    if dy is None:
        dy = h.convert_like(np.zeros(x.shape), x)
    if not _taped():
        return apply_multi(_bn_train_grad, (dy, x, mean, var, scale, dmean, dvar), eps, axis)
    from tensorlet.ops.elementwise import rsqrt
    s, m = _sums(dy, x, mean, axis), _count(x, axis)
    inv = rsqrt(var + eps)
    si = scale * inv
    b, c = -si * inv * inv * s[1] / m, -si * s[0] / m
    if dvar is not None:
        b = b + dvar * (2.0 / m)
    if dmean is not None:
        c = c + dmean / m
    return dy * _bc(si, dy, axis) + _affine(x - _bc(mean, x, axis), b, c, axis), s[1] * inv, s[0]


_bn_train = register(
    "batch_norm_train", _core.batch_norm_train, grad=_train_grad, diff=(True, True, True), outputs=3,
    shape=_train_shape, dtype=lambda d, a: [d[0]] * 3, ref=_np_train, samples=_train_samples)

_bn_train_grad = register(
    "batch_norm_train_grad", _core.batch_norm_train_grad, outputs=3, shape=lambda s, a: _train_shape(s[1:], a),
    dtype=lambda d, a: [d[1]] * 3, ref=_np_train_grad, samples=_train_grad_samples)


# ---- public functions (tensorlet.nn) ---------------------------------------------------


def _fmt(data_format, op, rank=4):
    fmt = data_format or ("NHWC" if rank == 4 else "NWC")
    if fmt not in (("NHWC", "NCHW") if rank == 4 else ("NWC", "NCW")):
        raise InvalidArgumentError(f"{op}: data_format must be {'NHWC or NCHW' if rank == 4 else 'NWC or NCW'}, "
                                   f"got {data_format!r}")
    return fmt if rank == 4 else {"NWC": "NHWC", "NCW": "NCHW"}[fmt]


def _pair(value, name, op, fmt, default=1):
    """(height, width) from an int or a list of 1, 2 or 4 values (TF's forms)."""
    if value is None:
        return (default, default)
    v = (value,) if isinstance(value, (int, np.integer)) else tuple(int(s) for s in value)
    if len(v) == 1:
        return (int(v[0]),) * 2
    if len(v) == 2:
        return v
    if len(v) == 4:
        outer = (v[0], v[1]) if fmt == "NCHW" else (v[0], v[3])
        if outer != (1, 1):
            raise InvalidArgumentError(f"{op}: {name} on the batch and channel axes must be 1, got {list(v)}")
        return v[2:] if fmt == "NCHW" else v[1:3]
    raise InvalidArgumentError(f"{op}: {name} must be an int or a list of 1, 2 or 4 ints, got {value!r}")


def _padding(padding, op, fmt):
    if isinstance(padding, str):
        p = padding.upper()
        if p not in ("SAME", "VALID"):
            raise InvalidArgumentError(f"{op}: padding must be 'SAME', 'VALID' or explicit pads, got {padding!r}")
        return p
    pads = [tuple(int(v) for v in p) for p in padding]
    if len(pads) != 4 or any(len(p) != 2 for p in pads):
        raise InvalidArgumentError(f"{op}: explicit padding must be 4 [before, after] pairs, got {padding!r}")
    spatial = pads[2:] if fmt == "NCHW" else pads[1:3]
    outer = pads[:2] if fmt == "NCHW" else (pads[0], pads[3])
    if any(p != (0, 0) for p in outer):
        raise InvalidArgumentError(f"{op}: explicit padding on the batch and channel axes must be 0, got {padding!r}")
    return spatial[0] + spatial[1]


def _conv_args(op, input, filters, strides, padding, data_format, dilations):
    """Tensors and attributes of a convolution; groups from the filter's in_channels."""
    fmt = _fmt(data_format, op)
    x, w = h.to_tensor(input), h.to_tensor(filters)
    _check_rank4(op, x.shape)
    _check_rank4(op, w.shape, "filter")
    c = _spatial(x.shape, fmt)[3]
    if w.shape[2] < 1 or c % w.shape[2]:
        raise InvalidArgumentError(f"{op}: the input's {c} channels are not a multiple of the filter's in_channels "
                                   f"({w.shape[2]}, filter shape {tuple(w.shape)})")
    return x, w, (_pair(strides, "strides", op, fmt), _padding(padding, op, fmt),
                  _pair(dilations, "dilations", op, fmt), c // w.shape[2], fmt)


def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None, name=None):
    """2-D convolution (a cross-correlation, as in TensorFlow).

    Args:
        input: a float tensor ``(batch, height, width, channels)`` (NHWC) or
            ``(batch, channels, height, width)`` (NCHW).
        filters: ``(kh, kw, in_channels / groups, out_channels)``; a grouped
            convolution when the input has a multiple of ``filters.shape[2]``
            channels.
        strides: an int or a list of 1, 2 or 4 ints.
        padding: ``'SAME'``, ``'VALID'`` or explicit ``[[0, 0], [top, bottom],
            [left, right], [0, 0]]`` (in the data format's axis order).
        data_format: ``'NHWC'`` (default) or ``'NCHW'``.
        dilations: an int or a list of 1, 2 or 4 ints (atrous convolution).
        name: ignored.

    Returns:
        A tensor of the input's dtype and data format with ``out_channels`` channels.

    Raises:
        InvalidArgumentError: for shapes, strides or padding that do not fit.
        TypeError: for non-float inputs.
    """
    x, w, attrs = _conv_args("conv2d", input, filters, strides, padding, data_format, dilations)
    return apply(_conv2d, (x, w), *attrs)


def fused_conv2d(input, filters, bias, strides, padding, data_format="NHWC", dilations=None, activation=None,
                 name=None):
    """``activation(conv2d(input, filters) + bias)`` as one op: the bias add and
    relu happen as the convolution's GEMM writes each tile (tensorlet's own;
    Keras's Conv2D uses it for linear and relu).

    Args:
        input, filters, strides, padding, data_format, dilations: as for ``conv2d``.
        bias: a vector ``(out_channels,)``.
        activation: None or ``'linear'``, or ``'relu'``.
        name: ignored.

    Returns:
        A tensor as ``conv2d``'s.

    Raises:
        InvalidArgumentError: for shapes that do not fit or another activation.
    """
    x, w, attrs = _conv_args("fused_conv2d", input, filters, strides, padding, data_format, dilations)
    b = bias if hasattr(bias, "_a") else h.convert_like(bias, x)
    return apply(_fused_conv2d, (x, w, b), *attrs, activation or "linear")


def depthwise_conv2d(input, filter, strides, padding, data_format=None, dilations=None, name=None):
    """Depthwise 2-D convolution: each input channel convolved with its own
    ``channel_multiplier`` filters.

    Args:
        input: a float tensor, NHWC (default) or NCHW.
        filter: ``(kh, kw, in_channels, channel_multiplier)``.
        strides: a list of 4 ints (or 1 or 2), equal on height and width.
        padding: ``'SAME'``, ``'VALID'`` or explicit pads as for ``conv2d``.
        data_format: ``'NHWC'`` (default) or ``'NCHW'``.
        dilations: an int or a list of 2 ints.
        name: ignored.

    Returns:
        A tensor with ``in_channels * channel_multiplier`` channels; output
        channel ``c * channel_multiplier + m`` is input channel ``c``'s filter ``m``.

    Raises:
        InvalidArgumentError: if the filter's channels differ from the input's.
    """
    op = "depthwise_conv2d"
    fmt = _fmt(data_format, op)
    x, w = h.to_tensor(input), h.to_tensor(filter)
    _check_rank4(op, x.shape)
    _check_rank4(op, w.shape, "filter")
    c = _spatial(x.shape, fmt)[3]
    if w.shape[2] != c:
        raise InvalidArgumentError(f"{op}: the filter {tuple(w.shape)} must have the input's {c} channels on its "
                                   f"third axis")
    kh, kw, _, mult = w.shape
    attrs = (_pair(strides, "strides", op, fmt), _padding(padding, op, fmt),
             _pair(dilations, "dilations", op, fmt), c, fmt)
    return apply(_conv2d, (x, reshape(w, [kh, kw, 1, c * mult])), *attrs)


def conv2d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NHWC", dilations=None,
                     name=None):
    """The transpose (gradient) of ``conv2d``, sometimes called deconvolution.

    Args:
        input: a float tensor, NHWC (default) or NCHW, with ``in_channels``
            channels (the convolution's outputs).
        filters: ``(kh, kw, out_channels, in_channels)``.
        output_shape: the 4 dims of the result (the convolution's input shape).
        strides, padding, data_format, dilations: as for ``conv2d``.
        name: ignored.

    Returns:
        A tensor of shape ``output_shape``.

    Raises:
        InvalidArgumentError: if ``conv2d`` of ``output_shape`` with these
            arguments would not give ``input``'s shape.
    """
    op = "conv2d_transpose"
    fmt = _fmt(data_format, op)
    dy, w = h.to_tensor(input), h.to_tensor(filters)
    if hasattr(output_shape, "numpy"):
        output_shape = output_shape.numpy()
    shape = tuple(int(d) for d in output_shape)
    attrs = (_pair(strides, "strides", op, fmt), _padding(padding, op, fmt),
             _pair(dilations, "dilations", op, fmt), 1, fmt)
    return apply(_conv2d_backprop_input, (w, dy), shape, *attrs)


def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None, name=None):
    """1-D convolution: ``input (batch, width, channels)`` (NWC) or NCW,
    ``filters (kw, in_channels / groups, out_channels)``; see ``conv2d``."""
    op = "conv1d"
    fmt = _fmt(data_format, op, rank=3)
    x, w = h.to_tensor(input), h.to_tensor(filters)
    if x.ndim != 3 or w.ndim != 3:
        raise InvalidArgumentError(f"{op}: input and filters must have rank 3, got {tuple(x.shape)} and "
                                   f"{tuple(w.shape)}")
    one = lambda v: v if v is None or isinstance(v, (int, np.integer)) else v[-2 if fmt == "NHWC" else -1]  # noqa: E731
    axis = 1 if fmt == "NHWC" else 2
    if not isinstance(padding, str):  # [[0, 0], [left, right], [0, 0]] in the data format's order
        pads = [list(p) for p in padding]
        padding = pads[:axis] + [[0, 0]] + pads[axis:]
    d = one(dilations)
    y = conv2d(expand_dims(x, axis), expand_dims(w, 0), [1, int(one(stride))], padding, fmt,
               None if d is None else [1, int(d)])
    return squeeze(y, [axis])


def _pool(input, ksize, strides, padding, data_format, op, kernel):
    fmt = _fmt(data_format, op)
    x = h.to_tensor(input)
    _check_rank4(op, x.shape)
    p = _padding(padding, op, fmt)
    if not isinstance(p, str):
        raise InvalidArgumentError(f"{op}: padding must be 'SAME' or 'VALID', got {padding!r}")
    k = _pair(ksize, "ksize", op, fmt)
    return apply(kernel, (x,), k, _pair(strides, "strides", op, fmt, k), p, fmt)


_POOL_DOC = """{what} pooling over 2-D windows.

    Args:
        input: a float tensor, NHWC (default) or NCHW.
        ksize: the window: an int or a list of 1, 2 or 4 ints.
        strides: the window's step, in the same forms.
        padding: ``'SAME'`` or ``'VALID'``; {pad}
        data_format: ``'NHWC'`` (default) or ``'NCHW'``.
        name: ignored.

    Returns:
        The pooled tensor, in the input's dtype and data format.

    Raises:
        InvalidArgumentError: for windows, strides or padding that do not fit.
    """


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    return _pool(input, ksize, strides, padding, data_format, "max_pool2d", _max_pool)


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    return _pool(input, ksize, strides, padding, data_format, "avg_pool2d", _avg_pool)


max_pool2d.__doc__ = _POOL_DOC.format(what="Max", pad="padding never wins a maximum.")
avg_pool2d.__doc__ = _POOL_DOC.format(what="Average", pad="averages count only the input's elements.")


def _pool1d(input, ksize, strides, padding, data_format, fn):
    fmt = _fmt(data_format, fn.__name__, rank=3)
    one = lambda v: [1, v if isinstance(v, (int, np.integer)) else v[-2 if fmt == "NHWC" else -1]]  # noqa: E731
    axis = 1 if fmt == "NHWC" else 2
    return squeeze(fn(expand_dims(h.to_tensor(input), axis), one(ksize), one(strides), padding, fmt), [axis])


def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    """Max pooling over 1-D windows of ``(batch, width, channels)`` (NWC) or NCW; see ``max_pool2d``."""
    return _pool1d(input, ksize, strides, padding, data_format, max_pool2d)


def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    """Average pooling over 1-D windows; see ``avg_pool2d``."""
    return _pool1d(input, ksize, strides, padding, data_format, avg_pool2d)


def batch_norm_stats(x, axis=-1):
    """The batch mean and (biased) variance of each channel along ``axis``, as
    a ``(2, channels)`` tensor, in two fused passes (tensorlet's own)."""
    x = h.to_tensor(x)
    return apply(_bn_stats, (x,), h.normalize_axes(axis, x.ndim, "batch_norm_stats")[0])


def batch_norm_training(x, scale=None, offset=None, epsilon=0.001, axis=-1, name=None):
    """Training-mode batch normalization along the channel ``axis``, with the
    batch's statistics, in one fused op per direction (tensorlet's own).

    Args:
        x: a float32 or float64 tensor.
        scale, offset: per-channel vectors ``(channels,)``, or None (1 and 0).
        epsilon: added to the variance.
        axis: the channel axis; statistics run over every other axis.
        name: ignored.

    Returns:
        ``(y, batch_mean, batch_variance)``; the variance is the biased one.
        All three are differentiable.

    Raises:
        InvalidArgumentError: for vectors that do not match the channels, or an
            empty batch.
    """
    x = h.to_tensor(x)
    axis = h.normalize_axes(axis, x.ndim, "batch_norm_training")[0]
    c = x.shape[axis]
    scale = h.convert_like(np.ones(c) if scale is None else scale, x)
    offset = h.convert_like(np.zeros(c) if offset is None else offset, x)
    return apply_multi(_bn_train, (x, scale, offset), float(epsilon), axis)


def _channel_axis(x, params):
    """The axis along which every param is a per-channel vector ((c,) for the
    last axis, or c on one axis and 1 elsewhere), or None."""
    axes = set()
    for p in params:
        shape = tuple(p.shape)
        if len(shape) == 1 and x.ndim and shape[0] == x.shape[-1]:
            axes.add(x.ndim - 1)
        elif len(shape) == x.ndim and sum(d != 1 for d in shape) <= 1:
            big = [i for i, d in enumerate(shape) if d != 1]
            a = big[0] if big else None
            if a is None or shape[a] != x.shape[a]:
                return None
            axes.add(a)
        else:
            return None
    return axes.pop() if len(axes) == 1 and x.dtype.is_floating else None


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """``(x - mean) / sqrt(variance + variance_epsilon) * scale + offset``.

    Args:
        x: a float tensor.
        mean, variance: tensors broadcastable to ``x`` (per-channel vectors,
            ``(c,)`` or shaped to broadcast along one axis, take one fused pass).
        offset, scale: tensors broadcastable to ``x``, or None (0 and 1).
        variance_epsilon: a small float added to the variance.
        name: ignored.

    Returns:
        The normalized tensor, ``x``'s shape and dtype.
    """
    x = h.to_tensor(x)
    parts = [h.convert_like(v, x) if v is not None and not hasattr(v, "_a") else v
             for v in (mean, variance, offset, scale)]
    axis = _channel_axis(x, [p for p in parts if p is not None])
    if axis is not None:  # per-channel vectors along one axis: one fused pass
        c = x.shape[axis]
        vec = lambda v, d: reshape(v, [c]) if v is not None else h.convert_like(np.full(c, d), x)  # noqa: E731
        m, v, o, s = vec(parts[0], 0.0), vec(parts[1], 1.0), vec(parts[2], 0.0), vec(parts[3], 1.0)
        return apply(_bn_apply, (x, m, v, s, o), float(variance_epsilon), axis)
    from tensorlet.ops.elementwise import rsqrt
    inv = rsqrt(parts[1] + variance_epsilon)
    if parts[3] is not None:
        inv = inv * parts[3]
    y = (x - parts[0]) * inv
    return y + parts[2] if parts[2] is not None else y


def fused_batch_norm(x, scale, offset, mean=None, variance=None, epsilon=0.001, data_format="NHWC",
                     is_training=True, name=None, exponential_avg_factor=1.0):
    """Batch normalization over a 4-D input's channels.

    Args:
        x: a float tensor, NHWC or NCHW.
        scale, offset: per-channel vectors.
        mean, variance: per-channel vectors; required when not training.
        epsilon: added to the variance.
        data_format: ``'NHWC'`` or ``'NCHW'``.
        is_training: normalize with the batch's statistics (and return them)
            rather than with ``mean`` and ``variance``.
        name: ignored.
        exponential_avg_factor: when training with ``mean`` and ``variance``
            given, the returned statistics are ``(1 - f) * old + f * batch``.

    Returns:
        ``(y, batch_mean, batch_variance)``; the variance is the biased one
        (the mean of squared deviations), as Keras uses for its moving statistics.

    Raises:
        InvalidArgumentError: for shapes that do not fit, or inference without statistics.
    """
    op = "fused_batch_norm"
    fmt = _fmt(data_format, op)
    x = h.to_tensor(x)
    _check_rank4(op, x.shape)
    axis = 1 if fmt == "NCHW" else 3
    scale, offset = h.convert_like(scale, x), h.convert_like(offset, x)
    if is_training:
        y, bm, bv = apply_multi(_bn_train, (x, scale, offset), float(epsilon), axis)
        if mean is not None and variance is not None and exponential_avg_factor != 1.0:
            f = exponential_avg_factor
            bm = h.convert_like(mean, x) * (1 - f) + bm * f
            bv = h.convert_like(variance, x) * (1 - f) + bv * f
        return y, bm, bv
    if mean is None or variance is None:
        raise InvalidArgumentError(f"{op}: mean and variance are required when is_training=False")
    mean, variance = h.convert_like(mean, x), h.convert_like(variance, x)
    return apply(_bn_apply, (x, mean, variance, scale, offset), float(epsilon), axis), mean, variance
