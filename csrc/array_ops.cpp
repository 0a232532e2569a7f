#include "array_ops.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "loop.h"
#include "parallel.h"

namespace tl {

namespace {

std::string op_str(const char* op) { return std::string(op) + ": "; }

void check_shape(const Shape& shape, const char* op) {
  for (auto d : shape)
    if (d < 0) throw InvalidArgument(op_str(op) + "negative dimension in shape " + shape_str(shape));
}

Array zeros(const Shape& shape, DType dtype) {
  Array out = Array::empty(shape, dtype);
  std::memset(out.raw(), 0, out.size() * out.itemsize());  // zero bits are 0 in every dtype
  return out;
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
  for (size_t i = b; i < e; ++i) n *= s[i];
  return n;
}

}  // namespace

Array fill(const Shape& shape, const Array& value, DType dtype) {
  check_shape(shape, "fill");
  if (value.size() != 1)
    throw InvalidArgument("fill: value must be a scalar, got shape " + shape_str(value.shape()));
  Array out = Array::empty(shape, dtype);
  copy_into(out, value.reshape({}));
  return out;
}

Array arange(double start, double limit, double delta, DType dtype) {
  if (delta == 0) throw InvalidArgument("range: delta must not be zero");
  if (!std::isfinite(start) || !std::isfinite(limit) || !std::isfinite(delta))
    throw InvalidArgument("range: start, limit and delta must be finite");
  double span = std::ceil((limit - start) / delta);
  int64_t n = span > 0 ? static_cast<int64_t>(span) : 0;
  Array out = Array::empty({n}, dtype);
  dispatch<kNumeric>(dtype, "range", [&](auto v) {
    using T = decltype(v);
    T* p = out.data<T>();
    if constexpr (std::is_integral_v<T>) {
      int64_t s = static_cast<int64_t>(start), d = static_cast<int64_t>(delta);
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(s + i * d);
    } else {
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + static_cast<double>(i) * delta);
    }
  });
  return out;
}

Array eye(int64_t n, int64_t m, DType dtype) {
  if (n < 0 || m < 0)
    throw InvalidArgument("eye: the number of rows and columns must be non-negative, got " +
                          std::to_string(n) + " and " + std::to_string(m));
  Array out = zeros({n, m}, dtype);
  dispatch<kAll>(dtype, "eye", [&](auto v) {
    using T = decltype(v);
    T* p = out.data<T>();
    for (int64_t i = 0; i < std::min(n, m); ++i) p[i * m + i] = static_cast<T>(1);
  });
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
    shape[ax] += a.shape()[ax];
  }
  Array out = Array::empty(shape, first.dtype());
  if (out.size() == 0) return out;
  const int64_t outer = prod(shape, 0, ax), inner = prod(shape, ax + 1, shape.size());
  const int64_t isz = out.itemsize(), row = shape[ax] * inner;
  // The output is `outer` rows, each the inputs' blocks side by side.
  // Contiguous inputs are copied with memcpy over a flat split of the output
  // (so one huge block still spreads over threads); others go through the
  // strided copy into their slot.
  std::vector<const char*> src;  // null: copied separately
  std::vector<int64_t> block, start;
  int64_t at = 0;
  for (const Array& a : arrays) {
    int64_t n = a.shape()[ax] * inner;
    if (n == 0) continue;
    if (a.is_contiguous()) {
      src.push_back(static_cast<const char*>(a.raw()));
    } else {
      src.push_back(nullptr);
      copy_into(out.view(a.shape(), out.strides(), out.offset() + (at / inner) * out.strides()[ax]), a);
    }
    block.push_back(n);
    start.push_back(at);
    at += n;
  }
  char* dst = static_cast<char*>(out.raw());
  const int64_t total = outer * row, nseg = static_cast<int64_t>(block.size());
  parallel_for(total, total, [&](int64_t b, int64_t e) {
    int64_t o = b / row, r = b % row;
    int64_t k = std::upper_bound(start.begin(), start.end(), r) - start.begin() - 1;
    for (int64_t pos = b; pos < e;) {
      int64_t in_seg = r - start[k], len = std::min(block[k] - in_seg, e - pos);
      if (src[k]) std::memcpy(dst + pos * isz, src[k] + (o * block[k] + in_seg) * isz, len * isz);
      pos += len;
      r += len;
      if (r - start[k] == block[k] && ++k == nseg) k = 0, r = 0, ++o;
    }
  });
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
  if (inner == 1) {  // single elements: a typed copy instead of one memcpy call each
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
  const Shape& ps = params.shape();
  Array ic = indices.contiguous();
  Array out = Array::empty(gather_shape(ps, indices.shape(), ax), params.dtype());
  dispatch<kInt>(ic.dtype(), "gather", [&](auto iv) {
    using I = decltype(iv);
    const I* idx = ic.data<I>();
    check_indices(idx, ic.size(), ps[ax], ps, ax, "gather");
    if (out.size() > 0) gather_rows(params.contiguous(), idx, ic.size(), ax, out);
  });
  return out;
}

Array gather_grad(const Array& dy, const Array& indices, const Shape& params_shape, int64_t axis) {
  check_shape(params_shape, "gather_grad");
  if (params_shape.empty()) throw InvalidArgument("gather_grad: params must have rank at least 1");
  int64_t ax = normalize_axis(axis, params_shape.size(), "gather_grad");
  std::vector<int64_t> idx = read_indices(indices, "gather_grad");
  Shape want = gather_shape(params_shape, indices.shape(), ax);
  if (dy.shape() != want)
    throw InvalidArgument("gather_grad: gradient of shape " + shape_str(dy.shape()) + " does not match " +
                          shape_str(want) + " (params " + shape_str(params_shape) + ", indices " +
                          shape_str(indices.shape()) + ", axis " + std::to_string(ax) + ")");
  const int64_t n = params_shape[ax];
  check_indices(idx.data(), static_cast<int64_t>(idx.size()), n, params_shape, ax, "gather_grad");
  Array out = zeros(params_shape, dy.dtype());
  if (dy.size() == 0) return out;
  Array g = dy.contiguous();
  const int64_t outer = prod(params_shape, 0, ax), inner = prod(params_shape, ax + 1, params_shape.size());
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
        for (int64_t i = ib; i < ie; ++i) d[i] += s[i];
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
  return out;
}

Array one_hot(const Array& indices, int64_t depth, double on, double off, int64_t axis, DType dtype) {
  if (depth < 0) throw InvalidArgument("one_hot: depth must be non-negative, got " + std::to_string(depth));
  const int64_t nd = indices.ndim();
  if (axis < -1 || axis > nd)
    throw InvalidArgument("one_hot: axis " + std::to_string(axis) + " is out of range [-1, " + std::to_string(nd) +
                          "] for indices of shape " + shape_str(indices.shape()));
  int64_t ax = axis == -1 ? nd : axis;
  std::vector<int64_t> idx = read_indices(indices, "one_hot");
  Shape shape = indices.shape();
  shape.insert(shape.begin() + ax, depth);
  Array out = Array::empty(shape, dtype);
  const int64_t outer = prod(indices.shape(), 0, ax), inner = prod(indices.shape(), ax, nd);
  dispatch<kAll>(dtype, "one_hot", [&](auto v) {
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
  return out;
}

namespace {

// A new output of the three operands' broadcast shape, filled by fn(loop, out, a, b, c)
// with every operand broadcast to it.
template <typename F>
Array ternary(const char* op, const Array& a, const Array& b, const Array& c, DType out_dtype,
              F&& fn) {
  Shape shape = broadcast_shapes(broadcast_shapes(a.shape(), b.shape(), op), c.shape(), op);
  Array out = Array::empty(shape, out_dtype);
  if (out.size() == 0) return out;
  Array ab = a.broadcast_to(shape), bb = b.broadcast_to(shape), cb = c.broadcast_to(shape);
  StridedLoop<4> loop(shape, {&out.strides(), &ab.strides(), &bb.strides(), &cb.strides()});
  fn(loop, out, ab, bb, cb);
  return out;
}

}  // namespace

Array where(const Array& cond, const Array& a, const Array& b) {
  if (cond.dtype() != DType::Bool)
    throw TypeError(std::string("where: condition must be bool, got ") + dtype_name(cond.dtype()));
  if (a.dtype() != b.dtype())
    throw InvalidArgument(std::string("where: x and y must have one dtype, got ") + dtype_name(a.dtype()) +
                          " and " + dtype_name(b.dtype()));
  return ternary("where", cond, a, b, a.dtype(), [&](auto& loop, const Array& out, const Array& cc,
                                                           const Array& aa, const Array& bb) {
    dispatch<kAll>(a.dtype(), "where", [&](auto v) {
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
  });
}

Array clip(const Array& x, const Array& lo, const Array& hi) {
  if (x.dtype() != lo.dtype() || x.dtype() != hi.dtype())
    throw InvalidArgument(std::string("clip_by_value: t, clip_value_min and clip_value_max must have one dtype, got ") +
                          dtype_name(x.dtype()) + ", " + dtype_name(lo.dtype()) + " and " + dtype_name(hi.dtype()));
  return ternary("clip_by_value", x, lo, hi, x.dtype(), [&](auto& loop, const Array& out,
                                                                       const Array& xx, const Array& ll,
                                                                       const Array& hh) {
    dispatch<kNumeric>(x.dtype(), "clip_by_value", [&](auto v) {
      using T = decltype(v);
      T* o = out.data<T>();
      const T* a = xx.data<T>();
      const T* l = ll.data<T>();
      const T* h = hh.data<T>();
      loop.run([&](const std::array<int64_t, 4>& off, int64_t n, const std::array<int64_t, 4>& st) {
        // max then min, so NaN in x stays NaN and lo > hi gives hi (as numpy).
        auto one = [](T val, T lov, T hiv) {
          val = lov > val ? lov : val;
          return hiv < val ? hiv : val;
        };
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
  });
}

}  // namespace tl
