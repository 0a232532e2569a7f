"""3-D convolutions and pooling: the 2-D ops' kernels with a depth axis.

Attributes: ``strides``, ``dilations`` and ``ksize`` are (depth, height,
width); ``padding`` ``'SAME'`` or ``'VALID'``; ``fmt`` ``'NDHWC'`` or
``'NCDHW'``. Filters are ``(kd, kh, kw, in_channels / groups, out_channels)``.
As in 2-D, every gradient is a registered op with a gradient.
"""

import itertools

import numpy as np

from tensorlet import _core
from tensorlet.framework.errors import InvalidArgumentError
from tensorlet.ops import _helpers as h
from tensorlet.ops.conv_ops import _distinct, _out_dim, _same_dtype, _vals
from tensorlet.ops.registry import apply, register

# ---- geometry and numpy references (direct sums over the window offsets) ----


def _last(a, fmt):
    return a.transpose(0, 2, 3, 4, 1) if fmt == "NCDHW" else a


def _first(a, fmt):
    return a.transpose(0, 4, 1, 2, 3) if fmt == "NCDHW" else a


def _dims(shape, fmt):
    """(n, (d, h, w), c) of a rank-5 shape in ``fmt``."""
    return (shape[0], tuple(shape[2:]), shape[1]) if fmt == "NCDHW" else (shape[0], tuple(shape[1:4]), shape[4])


def _out_shape(x, k, o, strides, padding, dilations, fmt):
    if len(x) != 5:
        raise InvalidArgumentError(f"conv3d: the input must have rank 5, got shape {tuple(x)}")
    n, sp, _ = _dims(x, fmt)
    out = tuple(_out_dim(*a, padding, (0, 0))[0] for a in zip(sp, k, strides, dilations))
    return (n, o) + out if fmt == "NCDHW" else (n,) + out + (o,)


def _geom(sp, k, strides, padding, dilations):
    """Per axis: the output size, the padding pair, and the window offsets' slices."""
    g = [_out_dim(*a, padding, (0, 0)) for a in zip(sp, k, strides, dilations)]
    slices = [[slice(i * d, i * d + s * (o - 1) + 1, s) for i in range(kk)]
              for (o, _), kk, s, d in zip(g, k, strides, dilations)]
    offsets = list(itertools.product(*map(range, k)))
    return [o for o, _ in g], [p for _, p in g], list(itertools.product(*slices)), offsets


def _np_conv3d(x, w, strides, padding, dilations, groups, fmt):
    x = _last(x, fmt).astype(np.float64)
    out_sp, pads, sls, offs = _geom(x.shape[1:4], w.shape[:3], strides, padding, dilations)
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    cg, og = w.shape[3], w.shape[4] // groups
    out = np.zeros((x.shape[0], *out_sp, w.shape[4]))
    for sl, off in zip(sls, offs):
        for g in range(groups):
            out[..., g * og:(g + 1) * og] += xp[(slice(None), *sl, slice(g * cg, (g + 1) * cg))] @ \
                w[off][:, g * og:(g + 1) * og]
    return _first(out, fmt).astype(w.dtype)


def _np_backprop_input(w, dy, input_shape, strides, padding, dilations, groups, fmt):
    n, sp, c = _dims(input_shape, fmt)
    dy = _last(dy, fmt).astype(np.float64)
    _, pads, sls, offs = _geom(sp, w.shape[:3], strides, padding, dilations)
    dxp = np.zeros((n, *(s + sum(p) for s, p in zip(sp, pads)), c))
    cg, og = w.shape[3], w.shape[4] // groups
    for sl, off in zip(sls, offs):
        for g in range(groups):
            dxp[(slice(None), *sl, slice(g * cg, (g + 1) * cg))] += dy[..., g * og:(g + 1) * og] @ \
                w[off][:, g * og:(g + 1) * og].T
    crop = tuple(slice(p[0], p[0] + s) for s, p in zip(sp, pads))
    return _first(dxp[(slice(None), *crop)], fmt).astype(w.dtype)


def _np_backprop_filter(x, dy, filter_shape, strides, padding, dilations, groups, fmt):
    x, dy = _last(x, fmt).astype(np.float64), _last(dy, fmt).astype(np.float64)
    _, pads, sls, offs = _geom(x.shape[1:4], filter_shape[:3], strides, padding, dilations)
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    cg, og = filter_shape[3], filter_shape[4] // groups
    dw = np.zeros(filter_shape)
    for sl, off in zip(sls, offs):
        for g in range(groups):
            dw[off][:, g * og:(g + 1) * og] = np.einsum(
                "ndhwc,ndhwo->co", xp[(slice(None), *sl, slice(g * cg, (g + 1) * cg))], dy[..., g * og:(g + 1) * og])
    return dw.astype(x.dtype if x.dtype == dy.dtype else dy.dtype)


def _np_windows(x, ksize, strides, padding, fill):
    """Padded NDHWC x's windows, one (n, od, oh, ow, c) array per offset; pads, slices."""
    _, pads, sls, _ = _geom(x.shape[1:4], ksize, strides, padding, (1, 1, 1))
    xp = np.pad(x.astype(np.float64), [(0, 0)] + pads + [(0, 0)], constant_values=fill)
    return np.stack([xp[(slice(None), *sl)] for sl in sls]), pads, sls


def _np_pool(x, ksize, strides, padding, fmt, is_max):
    xs = _last(x, fmt)
    if is_max:
        out = _np_windows(xs, ksize, strides, padding, -np.inf)[0].max(axis=0)
    else:
        out = _np_windows(xs, ksize, strides, padding, 0)[0].sum(0) / \
            _np_windows(np.ones_like(xs), ksize, strides, padding, 0)[0].sum(0)
    return _first(out, fmt).astype(x.dtype)


def _np_max_grad(x, dy, ksize, strides, padding, fmt):
    xs, dys = _last(x, fmt), _last(dy, fmt).astype(np.float64)
    wins, pads, sls = _np_windows(xs, ksize, strides, padding, -np.inf)
    first = wins.argmax(axis=0)  # the first maximum of each window
    dxp = np.zeros([s + sum(p) for s, p in zip(xs.shape, [(0, 0)] + pads + [(0, 0)])])
    for k, sl in enumerate(sls):
        dxp[(slice(None), *sl)] += dys * (first == k)
    crop = tuple(slice(p[0], p[0] + s) for s, p in zip(xs.shape[1:4], pads))
    return _first(dxp[(slice(None), *crop)], fmt).astype(x.dtype)


def _np_max_grad_grad(x, ddx, ksize, strides, padding, fmt):
    xs = _last(x, fmt)
    wins = _np_windows(xs, ksize, strides, padding, -np.inf)[0]
    vals = _np_windows(_last(ddx, fmt), ksize, strides, padding, 0)[0]
    return _first(np.take_along_axis(vals, wins.argmax(axis=0)[None], 0)[0], fmt).astype(x.dtype)


def _np_avg_grad(dy, input_shape, ksize, strides, padding, fmt):
    n, sp, c = _dims(input_shape, fmt)
    ones = np.ones((n, *sp, c))
    count = _np_windows(ones, ksize, strides, padding, 0)[0].sum(0)
    _, pads, sls = _np_windows(ones, ksize, strides, padding, 0)
    dxp = np.zeros((n, *(s + sum(p) for s, p in zip(sp, pads)), c))
    for sl in sls:
        dxp[(slice(None), *sl)] += _last(dy, fmt) / count
    crop = tuple(slice(p[0], p[0] + s) for s, p in zip(sp, pads))
    return _first(dxp[(slice(None), *crop)], fmt).astype(dy.dtype)


# ---- samples: small cases for the finite differences, larger ones for the GEMM paths ----

# (x shape, filter shape, strides, padding, dilations, groups, fmt)
CONV3D_CASES = [
    ((1, 3, 2, 3, 2), (2, 1, 2, 2, 2), (1, 1, 1), "VALID", (1, 1, 1), 1, "NDHWC"),
    ((1, 3, 3, 2, 2), (2, 2, 1, 1, 2), (2, 1, 1), "SAME", (1, 1, 1), 2, "NDHWC"),
    ((1, 2, 3, 2, 3), (2, 2, 2, 2, 2), (1, 2, 1), "SAME", (2, 1, 1), 1, "NCDHW"),
    ((2, 5, 6, 5, 4), (3, 3, 2, 4, 6), (2, 1, 2), "SAME", (1, 1, 1), 1, "NDHWC"),
    ((1, 6, 5, 5, 6), (2, 3, 3, 3, 4), (1, 1, 1), "VALID", (2, 1, 1), 2, "NCDHW"),
    # 16+ channels per group at unit stride: the input gradient as a convolution
    ((1, 4, 4, 5, 16), (3, 3, 3, 16, 5), (1, 1, 1), "SAME", (1, 1, 1), 1, "NDHWC"),
]


def _attrs(c):
    return c[2], c[3], c[4], c[5], c[6]


def _out(c):
    return _out_shape(c[0], c[1][:3], c[1][4], c[2], c[3], c[4], c[6])


_conv_samples = lambda rng, dt: [((_vals(rng, c[0], dt), _vals(rng, c[1], dt)), _attrs(c))  # noqa: E731
                                 for c in CONV3D_CASES]
_bi_samples = lambda rng, dt: [((_vals(rng, c[1], dt), _vals(rng, _out(c), dt)), (c[0],) + _attrs(c))  # noqa: E731
                               for c in CONV3D_CASES]
_bf_samples = lambda rng, dt: [((_vals(rng, c[0], dt), _vals(rng, _out(c), dt)), (c[1],) + _attrs(c))  # noqa: E731
                               for c in CONV3D_CASES]


def _bi(w, dy, shape, attrs):
    return apply(_conv3d_backprop_input, (w, dy), tuple(shape), *attrs)


def _bf(x, dy, shape, attrs):
    return apply(_conv3d_backprop_filter, (x, dy), tuple(shape), *attrs)


def _conv_shape(shapes, attrs):
    w = tuple(shapes[1])
    if len(w) != 5:
        raise InvalidArgumentError(f"conv3d: the filter must have rank 5, got shape {w}")
    return _out_shape(tuple(shapes[0]), w[:3], w[4], *attrs[:3], attrs[4])


_conv3d = register(
    "conv3d", _core.conv3d,
    grad=(lambda dy, i, a, out: _bi(i[1], dy, i[0].shape, a), lambda dy, i, a, out: _bf(i[0], dy, i[1].shape, a)),
    diff=(True, True), shape=_conv_shape, dtype=_same_dtype, ref=_np_conv3d, samples=_conv_samples)

_conv3d_backprop_input = register(
    "conv3d_backprop_input", _core.conv3d_backprop_input,
    grad=(lambda g, i, a, out: _bf(g, i[1], i[0].shape, a[1:]),
          lambda g, i, a, out: apply(_conv3d, (g, i[0]), *a[1:])),
    diff=(True, True), shape=lambda shapes, attrs: tuple(attrs[0]), dtype=_same_dtype,
    ref=_np_backprop_input, samples=_bi_samples)

_conv3d_backprop_filter = register(
    "conv3d_backprop_filter", _core.conv3d_backprop_filter,
    grad=(lambda g, i, a, out: _bi(g, i[1], i[0].shape, a[1:]),
          lambda g, i, a, out: apply(_conv3d, (i[0], g), *a[1:])),
    diff=(True, True), shape=lambda shapes, attrs: tuple(attrs[0]), dtype=_same_dtype,
    ref=_np_backprop_filter, samples=_bf_samples)

# ---- pooling ----

# (x shape, ksize, strides, padding, fmt)
POOL3D_CASES = [
    ((1, 2, 4, 4, 2), (2, 2, 2), (2, 2, 2), "VALID", "NDHWC"),
    ((1, 3, 3, 2, 2), (2, 2, 1), (1, 2, 1), "SAME", "NDHWC"),
    ((1, 2, 3, 3, 3), (3, 2, 2), (2, 2, 1), "SAME", "NCDHW"),
    ((2, 6, 7, 6, 24), (3, 2, 3), (2, 2, 2), "SAME", "NDHWC"),
]


def _pool_shape(shapes, attrs):
    x = tuple(shapes[0])
    if len(x) != 5:
        raise InvalidArgumentError(f"pool3d: the input must have rank 5, got shape {x}")
    return _out_shape(x, attrs[0], _dims(x, attrs[3])[2], attrs[1], attrs[2], (1, 1, 1), attrs[3])


def _pool_out(c):
    return _pool_shape([c[0]], c[1:])


_pool_samples = lambda rng, dt: [((_distinct(rng, c[0], dt),), c[1:]) for c in POOL3D_CASES]  # noqa: E731

_max_pool3d_grad_grad = register(
    "max_pool3d_grad_grad", _core.max_pool3d_grad_grad,
    grad=(lambda g, i, a, out: None, lambda g, i, a, out: apply(_max_pool3d_grad, (i[0], g), *a)),
    diff=(False, True), shape=lambda shapes, attrs: _pool_shape(shapes[:1], attrs), dtype=_same_dtype,
    ref=_np_max_grad_grad, samples=lambda rng, dt: [
        ((_distinct(rng, c[0], dt), h.sample_values(rng, c[0], dt)), c[1:]) for c in POOL3D_CASES])

_max_pool3d_grad = register(
    "max_pool3d_grad", _core.max_pool3d_grad,
    grad=(lambda g, i, a, out: None, lambda g, i, a, out: apply(_max_pool3d_grad_grad, (i[0], g), *a)),
    diff=(False, True), shape=lambda shapes, attrs: tuple(shapes[0]), dtype=_same_dtype, ref=_np_max_grad,
    samples=lambda rng, dt: [((_distinct(rng, c[0], dt), h.sample_values(rng, _pool_out(c), dt)), c[1:])
                             for c in POOL3D_CASES])

_max_pool3d = register(
    "max_pool3d", _core.max_pool3d, grad=lambda dy, i, a, out: (apply(_max_pool3d_grad, (i[0], dy), *a),),
    diff=(True,), shape=_pool_shape, dtype=h.first_dtype,
    ref=lambda x, k, s, p, f: _np_pool(x, k, s, p, f, True), samples=_pool_samples)

_avg_pool3d_grad = register(
    "avg_pool3d_grad", _core.avg_pool3d_grad,
    grad=lambda g, i, a, out: (apply(_avg_pool3d, (g,), *a[1:]),), diff=(True,),
    shape=lambda shapes, attrs: tuple(attrs[0]), dtype=h.first_dtype, ref=_np_avg_grad,
    samples=lambda rng, dt: [((h.sample_values(rng, _pool_out(c), dt),), (c[0],) + c[1:]) for c in POOL3D_CASES])

_avg_pool3d = register(
    "avg_pool3d", _core.avg_pool3d,
    grad=lambda dy, i, a, out: (apply(_avg_pool3d_grad, (dy,), tuple(i[0].shape), *a),), diff=(True,),
    shape=_pool_shape, dtype=h.first_dtype, ref=lambda x, k, s, p, f: _np_pool(x, k, s, p, f, False),
    samples=_pool_samples)

# ---- public functions (tensorlet.nn) ----


def _triple(value, name, op, fmt, default=1):
    """(depth, height, width) from an int or a list of 1, 3 or 5 ints (TF's forms)."""
    if value is None:
        return (default,) * 3
    v = (int(value),) if isinstance(value, (int, np.integer)) else tuple(int(s) for s in value)
    if len(v) == 5:
        if (v[0], v[1] if fmt == "NCDHW" else v[4]) != (1, 1):
            raise InvalidArgumentError(f"{op}: {name} on the batch and channel axes must be 1, got {list(v)}")
        v = v[2:] if fmt == "NCDHW" else v[1:4]
    if len(v) not in (1, 3):
        raise InvalidArgumentError(f"{op}: {name} must be an int or a list of 1, 3 or 5 ints, got {value!r}")
    return v * 3 if len(v) == 1 else v


def _check(op, data_format, padding, x):
    fmt = data_format or "NDHWC"
    if fmt not in ("NDHWC", "NCDHW"):
        raise InvalidArgumentError(f"{op}: data_format must be 'NDHWC' or 'NCDHW', got {data_format!r}")
    if not isinstance(padding, str) or padding.upper() not in ("SAME", "VALID"):
        raise InvalidArgumentError(f"{op}: padding must be 'SAME' or 'VALID', got {padding!r}")
    if x.ndim != 5:
        raise InvalidArgumentError(f"{op}: the input must have rank 5, got shape {tuple(x.shape)}")
    return fmt, padding.upper()


def conv3d(input, filters, strides, padding, data_format="NDHWC", dilations=None, name=None):
    """3-D convolution (a cross-correlation, as in TensorFlow).

    Args:
        input: a float tensor ``(batch, depth, height, width, channels)``
            (NDHWC) or ``(batch, channels, depth, height, width)`` (NCDHW).
        filters: ``(kd, kh, kw, in_channels / groups, out_channels)``; grouped
            when the input has a multiple of ``filters.shape[3]`` channels.
        strides: an int or a list of 1, 3 or 5 ints.
        padding: ``'SAME'`` or ``'VALID'``.
        data_format: ``'NDHWC'`` (default) or ``'NCDHW'``.
        dilations: an int or a list of 1, 3 or 5 ints (default 1).
        name: ignored.

    Returns:
        A tensor in the input's data format with ``out_channels`` channels.

    Raises:
        InvalidArgumentError: for shapes, strides or padding that do not fit.
    """
    op = "conv3d"
    x, w = h.to_tensor(input), h.to_tensor(filters)
    fmt, p = _check(op, data_format, padding, x)
    if w.ndim != 5:
        raise InvalidArgumentError(f"{op}: the filter must have rank 5, got shape {tuple(w.shape)}")
    c = _dims(x.shape, fmt)[2]
    if w.shape[3] < 1 or c % w.shape[3]:
        raise InvalidArgumentError(f"{op}: the input's {c} channels are not a multiple of the filter's in_channels "
                                   f"({w.shape[3]}, filter shape {tuple(w.shape)})")
    return apply(_conv3d, (x, w), _triple(strides, "strides", op, fmt), p, _triple(dilations, "dilations", op, fmt),
                 c // w.shape[3], fmt)


def _pool3d(input, ksize, strides, padding, data_format, op, kernel):
    x = h.to_tensor(input)
    fmt, p = _check(op, data_format, padding, x)
    return apply(kernel, (x,), _triple(ksize, "ksize", op, fmt), _triple(strides, "strides", op, fmt), p, fmt)


def max_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):
    """Max pooling over 3-D windows of NDHWC (default) or NCDHW input; ``ksize``
    and ``strides`` an int or 1, 3 or 5 ints; padding ``'SAME'`` (never the
    maximum) or ``'VALID'``. Returns the pooled tensor in the input's format."""
    return _pool3d(input, ksize, strides, padding, data_format, "max_pool3d", _max_pool3d)


def avg_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):
    """Average pooling over 3-D windows (the padding never counts); see ``max_pool3d``."""
    return _pool3d(input, ksize, strides, padding, data_format, "avg_pool3d", _avg_pool3d)
