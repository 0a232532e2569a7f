#include "array_ops.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "cpu_kernels.h"
#include "device.h"
#include "formulas.h"
#include "loop.h"
#include "parallel.h"

namespace tl {

namespace {

std::string op_str(const char* op) { return std::string(op) + ": "; }

void check_shape(const Shape& shape, const char* op) {
  for (auto d : shape)
    if (d < 0) throw InvalidArgument(op_str(op) + "negative dimension in shape " + shape_str(shape));
}

// The indices as int64, read from an int32 or int64 array of any layout.
std::vector<int64_t> read_indices(const Array& indices, const char* op) {
  if (!is_int(indices.dtype()))
    throw TypeError(op_str(op) + "indices must be int32 or int64, got " + dtype_name(indices.dtype()));
  Array c = indices.contiguous();
  std::vector<int64_t> out(c.size());
  if (c.dtype() == DType::Int32) {
    const int32_t* p = c.data<int32_t>();
    for (size_t i = 0; i < out.size(); ++i) out[i] = p[i];
  } else if (!out.empty()) {
    std::memcpy(out.data(), c.raw(), out.size() * sizeof(int64_t));
  }
  return out;
}

int64_t prod(const Shape& s, size_t b, size_t e) {
  int64_t n = 1;
  for (size_t i = b; i < e; ++i) n = checked_mul(n, s[i], "shape " + shape_str(s));
  return n;
}

}  // namespace

Array fill(const Shape& shape, const Array& value, DType dtype) {
  check_shape(shape, "fill");
  if (value.size() != 1)
    throw InvalidArgument("fill: value must be a scalar, got shape " + shape_str(value.shape()));
  Array out = Array::empty(shape, dtype, value.device());
  copy_into(out, value.reshape({}));
  return out;
}

Array arange(double start, double limit, double delta, DType dtype, Device device) {
  if (delta == 0) throw InvalidArgument("range: delta must not be zero");
  if (!std::isfinite(start) || !std::isfinite(limit) || !std::isfinite(delta))
    throw InvalidArgument("range: start, limit and delta must be finite");
  double span = std::ceil((limit - start) / delta);
  if (span >= 9.2e18) throw InvalidArgument("range: " + std::to_string(span) + " elements do not fit in int64");
  int64_t n = span > 0 ? static_cast<int64_t>(span) : 0;
  if (is_narrow(dtype)) return cast(arange(start, limit, delta, compute_dtype(dtype), device), dtype);
  if (!in_family(dtype, kNumeric)) throw TypeError(std::string("range: unsupported dtype ") + dtype_name(dtype));
  if (is_int(dtype) && n > 0) {
    // Integer steps: start, delta and the last value must be values of the
    // dtype (the kernels convert start and delta to int64 and step in it).
    const double lo = dtype == DType::Int32 ? -2147483648.0 : -9223372036854775808.0, hi = -lo;
    const double last = start + static_cast<double>(n - 1) * delta;
    if (!(start >= lo && start < hi && delta >= -9223372036854775808.0 && delta < 9223372036854775808.0 &&
          last >= lo && last < hi))
      throw InvalidArgument("range: start " + std::to_string(start) + ", delta " + std::to_string(delta) +
                            " and last value " + std::to_string(last) + " must be " + dtype_name(dtype) +
                            " values");
  }
  Array out = Array::empty({n}, dtype, device);
  if (n > 0) kernel(device, &DeviceKernels::arange, "range")(out, start, delta);
  return out;
}

Array eye(int64_t n, int64_t m, DType dtype, Device device) {
  if (n < 0 || m < 0)
    throw InvalidArgument("eye: the number of rows and columns must be non-negative, got " +
                          std::to_string(n) + " and " + std::to_string(m));
  Array out = full({n, m}, 0, dtype, device);
  // The diagonal is a strided view: element i at i * (m + 1).
  if (n > 0 && m > 0) copy_into(out.view({std::min(n, m)}, {m + 1}, 0), scalar(1, dtype, device));
  return out;
}

Array concat(const std::vector<Array>& arrays, int64_t axis) {
  if (arrays.empty()) throw InvalidArgument("concat: expected at least one tensor to concatenate");
  const Array& first = arrays[0];
  if (first.ndim() == 0)
    throw InvalidArgument("concat: cannot concatenate scalars (rank 0); use stack to join them on a new axis");
  int64_t ax = normalize_axis(axis, first.ndim(), "concat");
  Shape shape = first.shape();
  shape[ax] = 0;
  for (size_t k = 0; k < arrays.size(); ++k) {
    const Array& a = arrays[k];
    if (a.dtype() != first.dtype())
      throw InvalidArgument(std::string("concat: all tensors must have one dtype, got ") +
                            dtype_name(first.dtype()) + " (input 0) and " + dtype_name(a.dtype()) +
                            " (input " + std::to_string(k) + ")");
    if (a.ndim() != first.ndim())
      throw InvalidArgument("concat: ranks differ: " + shape_str(first.shape()) + " vs " + shape_str(a.shape()));
    for (int64_t d = 0; d < first.ndim(); ++d)
      if (d != ax && a.shape()[d] != first.shape()[d])
        throw InvalidArgument("concat: dimension " + std::to_string(d) + " differs: " + shape_str(first.shape()) +
                              " vs " + shape_str(a.shape()));
    check_same_device("concat", first, a);
    shape[ax] = checked_add(shape[ax], a.shape()[ax], "concat: output size along axis " + std::to_string(axis));
  }
  Array out = Array::empty(shape, first.dtype(), first.device());
  if (out.size() == 0) return out;
  // Each input is copied into its slot of the output, a view (the copy
  // kernel runs large copies on several threads).
  int64_t at = 0;
  for (const Array& a : arrays) {
    if (a.size() > 0) copy_into(out.view(a.shape(), out.strides(), out.offset() + at * out.strides()[ax]), a);
    at += a.shape()[ax];
  }
  return out;
}

Array stack(const std::vector<Array>& arrays, int64_t axis) {
  if (arrays.empty()) throw InvalidArgument("stack: expected at least one tensor to stack");
  int64_t ax = normalize_axis(axis, arrays[0].ndim() + 1, "stack");
  std::vector<Array> expanded;
  expanded.reserve(arrays.size());
  for (size_t k = 0; k < arrays.size(); ++k) {
    const Array& a = arrays[k];
    if (a.shape() != arrays[0].shape())
      throw InvalidArgument("stack: all tensors must have one shape, got " + shape_str(arrays[0].shape()) +
                            " (input 0) and " + shape_str(a.shape()) + " (input " + std::to_string(k) + ")");
    if (a.dtype() != arrays[0].dtype())
      throw InvalidArgument(std::string("stack: all tensors must have one dtype, got ") +
                            dtype_name(arrays[0].dtype()) + " (input 0) and " + dtype_name(a.dtype()) +
                            " (input " + std::to_string(k) + ")");
    expanded.push_back(a.expand_dims(ax));
  }
  return concat(expanded, ax);
}

namespace {

Shape gather_shape(const Shape& params, const Shape& indices, int64_t ax) {
  Shape out(params.begin(), params.begin() + ax);
  out.insert(out.end(), indices.begin(), indices.end());
  out.insert(out.end(), params.begin() + ax + 1, params.end());
  return out;
}

// Throws naming the first index outside [0, n); the scan runs in parallel
// and only a failed scan looks for the first offender.
template <typename I>
void check_indices(const I* idx, int64_t count, int64_t n, const Shape& params, int64_t ax, const char* op) {
  std::atomic<bool> bad{false};
  parallel_for(count, count, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      if (idx[i] < 0 || idx[i] >= n) {
        bad = true;
        return;
      }
  });
  if (!bad) return;
  for (int64_t i = 0; i < count; ++i)
    if (idx[i] < 0 || idx[i] >= n)
      throw InvalidArgument(op_str(op) + "indices[" + std::to_string(i) + "] = " + std::to_string(idx[i]) +
                            " is not in [0, " + std::to_string(n) + ") (axis " + std::to_string(ax) +
                            " of params with shape " + shape_str(params) + ")");
}

template <typename I>
void gather_rows(const Array& p, const I* idx, int64_t nidx, int64_t ax, const Array& out) {
  const Shape& ps = p.shape();
  const int64_t outer = prod(ps, 0, ax), inner = prod(ps, ax + 1, ps.size()), n = ps[ax];
  const int64_t isz = out.itemsize();
  const char* src = static_cast<const char*>(p.raw());
  char* dst = static_cast<char*>(out.raw());
  if (inner == 1 && isz <= 8) {  // single elements: a typed copy instead of one memcpy call each
    auto pick = [&](auto u) {
      using U = decltype(u);
      const U* s = reinterpret_cast<const U*>(src);
      U* d = reinterpret_cast<U*>(dst);
      parallel_for(outer * nidx, out.size(), [&](int64_t b, int64_t e) {
        int64_t o = b / nidx, j = b % nidx;
        for (int64_t r = b; r < e; ++r) {
          d[r] = s[o * n + idx[j]];
          if (++j == nidx) j = 0, ++o;
        }
      });
    };
    if (isz == 8) pick(uint64_t{});
    else if (isz == 4) pick(uint32_t{});
    else if (isz == 2) pick(uint16_t{});
    else pick(uint8_t{});
    return;
  }
  parallel_for(outer * nidx, out.size(), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      int64_t o = r / nidx, j = r % nidx;
      std::memcpy(dst + r * inner * isz, src + (o * n + idx[j]) * inner * isz, inner * isz);
    }
  });
}

}  // namespace

Array gather(const Array& params, const Array& indices, int64_t axis) {
  if (params.ndim() == 0) throw InvalidArgument("gather: params must have rank at least 1, got a scalar");
  int64_t ax = normalize_axis(axis, params.ndim(), "gather");
  if (!is_int(indices.dtype()))
    throw TypeError(std::string("gather: indices must be int32 or int64, got ") + dtype_name(indices.dtype()));
  check_same_device("gather", params, indices);
  if (is_complex(params.dtype()) && params.device() != Device::CPU) throw_not_implemented("gather", params.device());
  const Shape& ps = params.shape();
  Array ih = to_host(indices);  // checked on the host (the indices only, not the params)
  dispatch<kInt>(ih.dtype(), "gather", [&](auto iv) {
    check_indices(ih.data<decltype(iv)>(), ih.size(), ps[ax], ps, ax, "gather");
  });
  Array out = Array::empty(gather_shape(ps, indices.shape(), ax), params.dtype(), params.device());
  if (out.size() > 0) kernel(params.device(), &DeviceKernels::gather, "gather")(out, params, indices, ax);
  return out;
}

Array gather_grad(const Array& dy, const Array& indices, const Shape& params_shape, int64_t axis) {
  check_shape(params_shape, "gather_grad");
  if (params_shape.empty()) throw InvalidArgument("gather_grad: params must have rank at least 1");
  int64_t ax = normalize_axis(axis, params_shape.size(), "gather_grad");
  std::vector<int64_t> idx = read_indices(to_host(indices), "gather_grad");
  Shape want = gather_shape(params_shape, indices.shape(), ax);
  if (dy.shape() != want)
    throw InvalidArgument("gather_grad: gradient of shape " + shape_str(dy.shape()) + " does not match " +
                          shape_str(want) + " (params " + shape_str(params_shape) + ", indices " +
                          shape_str(indices.shape()) + ", axis " + std::to_string(ax) + ")");
  if (is_narrow(dy.dtype())) return narrow(gather_grad(widen(dy), indices, params_shape, axis), dy.dtype());
  if (!in_family(dy.dtype(), kNumeric))
    throw TypeError(std::string("gather_grad: unsupported dtype ") + dtype_name(dy.dtype()));
  check_same_device("gather_grad", dy, indices);
  check_indices(idx.data(), static_cast<int64_t>(idx.size()), params_shape[ax], params_shape, ax, "gather_grad");
  if (dy.size() == 0) return full(params_shape, 0, dy.dtype(), dy.device());
  Array out = Array::empty(params_shape, dy.dtype(), dy.device());
  kernel(dy.device(), &DeviceKernels::gather_grad, "gather_grad")(out, dy, indices, ax);
  return out;
}

Array one_hot(const Array& indices, int64_t depth, double on, double off, int64_t axis, DType dtype) {
  if (depth < 0) throw InvalidArgument("one_hot: depth must be non-negative, got " + std::to_string(depth));
  const int64_t nd = indices.ndim();
  if (axis < -1 || axis > nd)
    throw InvalidArgument("one_hot: axis " + std::to_string(axis) + " is out of range [-1, " + std::to_string(nd) +
                          "] for indices of shape " + shape_str(indices.shape()));
  if (!is_int(indices.dtype()))
    throw TypeError(std::string("one_hot: indices must be int32 or int64, got ") + dtype_name(indices.dtype()));
  if (is_narrow(dtype)) return cast(one_hot(indices, depth, on, off, axis, compute_dtype(dtype)), dtype);
  int64_t ax = axis == -1 ? nd : axis;
  Shape shape = indices.shape();
  shape.insert(shape.begin() + ax, depth);
  Array out = Array::empty(shape, dtype, indices.device());
  if (out.size() > 0) kernel(indices.device(), &DeviceKernels::one_hot, "one_hot")(out, indices, on, off, ax);
  return out;
}

namespace {

// The output of the three operands' broadcast shape on their device, and the
// operands as views of that shape; false when the output is empty.
bool ternary(const char* op, const Array& a, const Array& b, const Array& c, DType out_dtype, Array* out,
             Array views[3]) {
  check_same_device(op, a, b);
  check_same_device(op, a, c);
  Shape shape = broadcast_shapes(broadcast_shapes(a.shape(), b.shape(), op), c.shape(), op);
  *out = Array::empty(shape, out_dtype, a.device());
  if (out->size() == 0) return false;
  views[0] = a.broadcast_to(shape), views[1] = b.broadcast_to(shape), views[2] = c.broadcast_to(shape);
  return true;
}

}  // namespace

Array where(const Array& cond, const Array& a, const Array& b) {
  if (cond.dtype() != DType::Bool)
    throw TypeError(std::string("where: condition must be bool, got ") + dtype_name(cond.dtype()));
  if (a.dtype() != b.dtype())
    throw InvalidArgument(std::string("where: x and y must have one dtype, got ") + dtype_name(a.dtype()) +
                          " and " + dtype_name(b.dtype()));
  if (is_narrow(a.dtype())) return narrow(where(cond, widen(a), widen(b)), a.dtype());
  Array out, v[3];
  if (ternary("where", cond, a, b, a.dtype(), &out, v))
    kernel(out.device(), &DeviceKernels::where, "where")(out, v[0], v[1], v[2]);
  return out;
}

Array clip(const Array& x, const Array& lo, const Array& hi) {
  if (x.dtype() != lo.dtype() || x.dtype() != hi.dtype())
    throw InvalidArgument(std::string("clip_by_value: t, clip_value_min and clip_value_max must have one dtype, got ") +
                          dtype_name(x.dtype()) + ", " + dtype_name(lo.dtype()) + " and " + dtype_name(hi.dtype()));
  if (is_narrow(x.dtype())) return narrow(clip(widen(x), widen(lo), widen(hi)), x.dtype());
  if (!in_family(x.dtype(), kNumeric))
    throw TypeError(std::string("clip_by_value: unsupported dtype ") + dtype_name(x.dtype()));
  Array out, v[3];
  if (ternary("clip_by_value", x, lo, hi, x.dtype(), &out, v))
    kernel(out.device(), &DeviceKernels::clip, "clip_by_value")(out, v[0], v[1], v[2]);
  return out;
}

// ------------------------------------------------------ CPU implementation ----

namespace {

void cpu_arange(const Array& out, double start, double delta) {
  const int64_t n = out.size();
  dispatch<kNumeric>(out.dtype(), "range", [&](auto v) {
    using T = decltype(v);
    T* p = out.data<T>();
    if constexpr (std::is_integral_v<T>) {
      int64_t s = static_cast<int64_t>(start), d = static_cast<int64_t>(delta);
      // In uint64 (wrapping is defined): i * d alone may not fit although s + i * d does.
      for (int64_t i = 0; i < n; ++i)
        p[i] = static_cast<T>(static_cast<int64_t>(uint64_t(s) + uint64_t(i) * uint64_t(d)));
    } else {
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + static_cast<double>(i) * delta);
    }
  });
}

void cpu_gather(const Array& out, const Array& params, const Array& indices, int64_t ax) {
  Array ic = indices.contiguous();
  dispatch<kInt>(ic.dtype(), "gather", [&](auto iv) {
    gather_rows(params.contiguous(), ic.data<decltype(iv)>(), ic.size(), ax, out);
  });
}

void cpu_gather_grad(const Array& out, const Array& dy, const Array& indices, int64_t ax) {
  const Shape& ps = out.shape();
  std::memset(out.raw(), 0, out.size() * out.itemsize());  // zero bits are 0 in every dtype
  std::vector<int64_t> idx = read_indices(indices, "gather_grad");
  Array g = dy.contiguous();
  const int64_t outer = prod(ps, 0, ax), inner = prod(ps, ax + 1, ps.size()), n = ps[ax];
  const int64_t nidx = static_cast<int64_t>(idx.size());
  dispatch<kNumeric>(dy.dtype(), "gather_grad", [&](auto v) {
    using T = decltype(v);
    const T* src = g.data<T>();
    T* dst = out.data<T>();
    // Each output element sums its contributions in index order, whatever the
    // split: over outer slices when there are several, else over the row.
    auto add_rows = [&](int64_t o, int64_t ib, int64_t ie) {
      for (int64_t j = 0; j < nidx; ++j) {
        const T* s = src + (o * nidx + j) * inner;
        T* d = dst + (o * n + idx[j]) * inner;
        for (int64_t i = ib; i < ie; ++i) d[i] = formula::add(d[i], s[i]);  // integer sums wrap
      }
    };
    if (outer > 1) {
      parallel_for(outer, dy.size(), [&](int64_t b, int64_t e) {
        for (int64_t o = b; o < e; ++o) add_rows(o, 0, inner);
      });
    } else {
      parallel_for(inner, dy.size(), [&](int64_t b, int64_t e) { add_rows(0, b, e); });
    }
  });
}

void cpu_one_hot(const Array& out, const Array& indices, double on, double off, int64_t ax) {
  std::vector<int64_t> idx = read_indices(indices, "one_hot");
  const int64_t depth = out.shape()[ax];
  const int64_t outer = prod(indices.shape(), 0, ax), inner = prod(indices.shape(), ax, indices.ndim());
  dispatch<kAll>(out.dtype(), "one_hot", [&](auto v) {
    using T = decltype(v);
    T* p = out.data<T>();
    const T on_v = static_cast<T>(on), off_v = static_cast<T>(off);
    std::fill(p, p + out.size(), off_v);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        int64_t k = idx[o * inner + i];
        if (k >= 0 && k < depth) p[(o * depth + k) * inner + i] = on_v;
      }
  });
}

void cpu_where(const Array& out, const Array& cc, const Array& aa, const Array& bb) {
  StridedLoop<4> loop(out.shape(), {&out.strides(), &cc.strides(), &aa.strides(), &bb.strides()});
  dispatch<kAll>(out.dtype(), "where", [&](auto v) {
    using T = decltype(v);
    T* o = out.data<T>();
    const bool* c = cc.data<bool>();
    const T* x = aa.data<T>();
    const T* y = bb.data<T>();
    loop.run([&](const std::array<int64_t, 4>& off, int64_t n, const std::array<int64_t, 4>& st) {
      if (st[0] == 1 && st[1] == 1 && st[2] == 1 && st[3] <= 1) {  // contiguous (y maybe scalar)
        T* op = o + off[0];
        const bool* cp = c + off[1];
        const T *xp = x + off[2], *yp = y + off[3];
        if (st[3] == 0) {
          const T yv = *yp;
          for (int64_t i = 0; i < n; ++i) op[i] = cp[i] ? xp[i] : yv;
        } else {
          for (int64_t i = 0; i < n; ++i) op[i] = cp[i] ? xp[i] : yp[i];
        }
        return;
      }
      for (int64_t i = 0; i < n; ++i)
        o[off[0] + i * st[0]] = c[off[1] + i * st[1]] ? x[off[2] + i * st[2]] : y[off[3] + i * st[3]];
    });
  });
}

void cpu_clip(const Array& out, const Array& xx, const Array& ll, const Array& hh) {
  StridedLoop<4> loop(out.shape(), {&out.strides(), &xx.strides(), &ll.strides(), &hh.strides()});
  dispatch<kNumeric>(out.dtype(), "clip_by_value", [&](auto v) {
    using T = decltype(v);
    T* o = out.data<T>();
    const T* a = xx.data<T>();
    const T* l = ll.data<T>();
    const T* h = hh.data<T>();
    loop.run([&](const std::array<int64_t, 4>& off, int64_t n, const std::array<int64_t, 4>& st) {
      auto one = [](T val, T lov, T hiv) { return formula::clip_by_value(val, lov, hiv); };
      if (st[0] == 1 && st[1] == 1 && st[2] == 0 && st[3] == 0) {  // scalar bounds: vectorisable
        T* op = o + off[0];
        const T* ap = a + off[1];
        const T lov = l[off[2]], hiv = h[off[3]];
        for (int64_t i = 0; i < n; ++i) op[i] = one(ap[i], lov, hiv);
        return;
      }
      for (int64_t i = 0; i < n; ++i)
        o[off[0] + i * st[0]] = one(a[off[1] + i * st[1]], l[off[2] + i * st[2]], h[off[3] + i * st[3]]);
    });
  });
}

}  // namespace

void fill_cpu_array_ops_kernels(DeviceKernels* k) {
  k->arange = &cpu_arange;
  k->gather = &cpu_gather;
  k->gather_grad = &cpu_gather_grad;
  k->one_hot = &cpu_one_hot;
  k->where = &cpu_where;
  k->clip = &cpu_clip;
}

}  // namespace tl
