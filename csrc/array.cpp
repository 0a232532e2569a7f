#include "array.h"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

#include "cpu_kernels.h"
#include "isa/table.h"
#include "loop.h"

namespace tl {

int64_t numel(const Shape& shape, const char* op) {
  int64_t n = 1;
  for (auto s : shape)
    if (s == 0) return 0;  // a zero-size shape is valid whatever its other dims
  for (auto s : shape)
    if (__builtin_mul_overflow(n, s, &n))
      throw InvalidArgument(std::string(op) + ": shape " + shape_str(shape) +
                            " has more elements than fit in int64");
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape st(shape.size());
  int64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    st[i] = s;
    // Wraps only for zero-size shapes (numel refuses the others), whose
    // strides are never used to address memory.
    if (__builtin_mul_overflow(s, shape[i] > 0 ? shape[i] : 1, &s)) s = 0;
  }
  return st;
}

std::string shape_str(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

int64_t normalize_axis(int64_t axis, int64_t ndim, const char* op) {
  int64_t a = axis < 0 ? axis + ndim : axis;
  if (a < 0 || a >= ndim)
    throw InvalidArgument(std::string(op) + ": axis " + std::to_string(axis) +
                          " is out of range for a tensor of rank " + std::to_string(ndim));
  return a;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1)
      throw InvalidArgument(std::string(op) + ": shapes " + shape_str(a) + " and " + shape_str(b) +
                            " cannot be broadcast together");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Array Array::empty(const Shape& shape, DType dtype, Device device) {
  for (auto s : shape)
    if (s < 0) throw InvalidArgument("negative dimension in shape " + shape_str(shape));
  int64_t n = 1, bytes;
  bool zero = false, overflow = false;  // a zero-size shape is valid, whatever its dims' order
  for (auto s : shape) {
    zero = zero || s == 0;
    overflow = __builtin_mul_overflow(n, s, &n) || overflow;
  }
  if (zero) n = 0;
  Array a;
  if ((overflow && !zero) || __builtin_mul_overflow(n, tl::itemsize(dtype), &bytes))
    throw ResourceExhausted("cannot allocate a " + std::string(dtype_name(dtype)) + " tensor of shape " +
                            shape_str(shape) + ": its size in bytes overflows int64");
  try {
    a.storage_ = std::make_shared<Storage>(bytes, device);
  } catch (const std::bad_alloc&) {
    throw ResourceExhausted("out of memory allocating a " + std::string(dtype_name(dtype)) + " tensor of shape " +
                            shape_str(shape) + " (" + std::to_string(bytes) + " bytes)");
  }
  a.shape_ = shape;
  a.strides_ = contiguous_strides(shape);
  a.dtype_ = dtype;
  return a;
}

bool Array::is_contiguous() const {
  int64_t expect = 1;
  for (size_t i = shape_.size(); i-- > 0;) {
    if (shape_[i] == 1) continue;
    if (shape_[i] == 0) return true;
    if (strides_[i] != expect) return false;
    expect *= shape_[i];
  }
  return true;
}

Array Array::view(Shape shape, Shape strides, int64_t offset) const {
  Array a = *this;
  a.shape_ = std::move(shape);
  a.strides_ = std::move(strides);
  a.offset_ = offset;
  return a;
}

Array Array::reshape(const Shape& req) const {
  Shape shape = req;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) throw InvalidArgument("reshape: only one dimension can be -1, got " + shape_str(req));
      infer = static_cast<int64_t>(i);
    } else if (shape[i] < 0) {
      throw InvalidArgument("reshape: negative dimension in " + shape_str(req));
    } else {
      known = checked_mul(known, shape[i], "reshape: target shape " + shape_str(req));
    }
  }
  if (infer >= 0) {
    if (known == 0 || size() % known != 0)
      throw InvalidArgument("reshape: cannot reshape a tensor of shape " + shape_str(shape_) + " (" +
                            std::to_string(size()) + " elements) into " + shape_str(req));
    shape[infer] = size() / known;
  } else if (known != size()) {
    throw InvalidArgument("reshape: cannot reshape a tensor of shape " + shape_str(shape_) + " (" +
                          std::to_string(size()) + " elements) into " + shape_str(req) + " (" +
                          std::to_string(known) + " elements)");
  }
  const Array src = is_contiguous() ? *this : contiguous();
  return src.view(shape, contiguous_strides(shape), src.offset_);
}

Array Array::transpose(const std::vector<int64_t>& perm) const {
  int64_t nd = ndim();
  if (static_cast<int64_t>(perm.size()) != nd)
    throw InvalidArgument("transpose: perm has " + std::to_string(perm.size()) +
                          " entries but the tensor has rank " + std::to_string(nd));
  Shape shape(nd), strides(nd);
  std::vector<bool> seen(nd, false);
  for (int64_t i = 0; i < nd; ++i) {
    int64_t p = normalize_axis(perm[i], nd, "transpose");
    if (seen[p]) throw InvalidArgument("transpose: perm repeats axis " + std::to_string(perm[i]));
    seen[p] = true;
    shape[i] = shape_[p];
    strides[i] = strides_[p];
  }
  return view(shape, strides, offset_);
}

Array Array::broadcast_to(const Shape& shape) const {
  int64_t nd = static_cast<int64_t>(shape.size());
  if (nd < ndim())
    throw InvalidArgument("broadcast_to: cannot broadcast " + shape_str(shape_) + " to " + shape_str(shape));
  for (auto d : shape)
    if (d < 0) throw InvalidArgument("broadcast_to: negative dimension in " + shape_str(shape));
  // The only view that can grow the element count (size() trusts it): a
  // count beyond int64 could never be allocated, as Array::empty says too.
  int64_t count = 1;
  bool zero = false, overflow = false;
  for (auto d : shape) zero = zero || d == 0, overflow = __builtin_mul_overflow(count, d, &count) || overflow;
  if (overflow && !zero)
    throw ResourceExhausted("broadcast_to: shape " + shape_str(shape) + " has more elements than fit in int64");
  Shape strides(nd, 0);
  for (int64_t i = 0; i < ndim(); ++i) {
    int64_t j = nd - ndim() + i;
    if (shape_[i] == shape[j]) strides[j] = strides_[i];
    else if (shape_[i] != 1)
      throw InvalidArgument("broadcast_to: cannot broadcast " + shape_str(shape_) + " to " + shape_str(shape));
  }
  return view(shape, strides, offset_);
}

Array Array::expand_dims(int64_t axis) const {
  int64_t a = normalize_axis(axis, ndim() + 1, "expand_dims");
  Shape shape = shape_, strides = strides_;
  int64_t st = a < ndim() ? strides_[a] * shape_[a] : 1;
  shape.insert(shape.begin() + a, 1);
  strides.insert(strides.begin() + a, st);
  return view(shape, strides, offset_);
}

Array Array::squeeze(const std::vector<int64_t>& axes) const {
  std::vector<bool> drop(ndim(), false);
  if (axes.empty()) {
    for (int64_t i = 0; i < ndim(); ++i) drop[i] = shape_[i] == 1;
  } else {
    for (auto ax : axes) {
      int64_t a = normalize_axis(ax, ndim(), "squeeze");
      if (shape_[a] != 1)
        throw InvalidArgument("squeeze: cannot squeeze axis " + std::to_string(ax) + " of size " +
                              std::to_string(shape_[a]) + " in shape " + shape_str(shape_));
      drop[a] = true;
    }
  }
  Shape shape, strides;
  for (int64_t i = 0; i < ndim(); ++i)
    if (!drop[i]) {
      shape.push_back(shape_[i]);
      strides.push_back(strides_[i]);
    }
  return view(shape, strides, offset_);
}

Array Array::index(const std::vector<IndexItem>& items) const {
  int64_t consumed = 0, ellipses = 0;
  for (auto& it : items) {
    if (it.kind == IndexItem::Int || it.kind == IndexItem::Slice) ++consumed;
    if (it.kind == IndexItem::Ellipsis) ++ellipses;
  }
  if (ellipses > 1) throw InvalidArgument("index: an index can only have a single ellipsis ('...')");
  if (consumed > ndim())
    throw InvalidArgument("index: too many indices (" + std::to_string(consumed) + ") for a tensor of shape " +
                          shape_str(shape_));
  Shape shape, strides;
  int64_t off = offset_, d = 0;
  auto keep_dims = [&](int64_t n) {
    for (int64_t k = 0; k < n; ++k, ++d) {
      shape.push_back(shape_[d]);
      strides.push_back(strides_[d]);
    }
  };
  for (auto& it : items) {
    switch (it.kind) {
      case IndexItem::Ellipsis: keep_dims(ndim() - consumed); break;
      case IndexItem::NewAxis:
        shape.push_back(1);
        strides.push_back(0);
        break;
      case IndexItem::Int: {
        int64_t n = shape_[d], i = it.start < 0 ? it.start + n : it.start;
        if (i < 0 || i >= n)
          throw InvalidArgument("index: index " + std::to_string(it.start) + " is out of bounds for axis " +
                                std::to_string(d) + " with size " + std::to_string(n) + " (shape " +
                                shape_str(shape_) + ")");
        off += i * strides_[d];
        ++d;
        break;
      }
      case IndexItem::Slice: {
        int64_t n = shape_[d];
        // Python's slice.indices() rules. Omitted bounds arrive resolved
        // (PySlice_Unpack), every value is a real bound, and the step is
        // at least -INT64_MAX, so nothing below can overflow.
        int64_t step = it.step;
        if (step == 0 || step == INT64_MIN)
          throw InvalidArgument("index: slice step must be nonzero and greater than -2**63, got " +
                                std::to_string(step));
        int64_t lo = step > 0 ? 0 : -1, hi = step > 0 ? n : n - 1;
        auto clamp = [&](int64_t v) {
          if (v < 0) v = v < -n ? lo : v + n;
          return v < lo ? lo : (v > hi ? hi : v);
        };
        int64_t start = clamp(it.start), stop = clamp(it.stop);
        int64_t len = step > 0 ? (stop > start ? (stop - start - 1) / step + 1 : 0)
                               : (start > stop ? (start - stop - 1) / -step + 1 : 0);
        if (len > 0) off += start * strides_[d];
        shape.push_back(len);
        // One element or none: the stride is never applied (and step * stride
        // could overflow for a huge step).
        strides.push_back(len > 1 ? strides_[d] * step : strides_[d]);
        ++d;
        break;
      }
    }
  }
  keep_dims(ndim() - d);
  return view(shape, strides, off);
}

Array Array::contiguous() const {
  if (is_contiguous()) return *this;
  return copy();
}

Array Array::copy() const {
  Array out = Array::empty(shape_, dtype_, device());
  copy_into(out, *this);
  return out;
}

namespace {
template <typename D, typename S>
void convert_loop(const Array& dst, const Array& src) {
  StridedLoop<2> loop(dst.shape(), {&dst.strides(), &src.strides()});
  D* d = dst.data<D>();
  const S* s = src.data<S>();
  loop.run([&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& st) {
    D* dp = d + off[0];
    const S* sp = s + off[1];
    if (st[0] == 1 && st[1] == 1) {
      for (int64_t i = 0; i < n; ++i) dp[i] = convert_value<D>(sp[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) dp[i * st[0]] = convert_value<D>(sp[i * st[1]]);
    }
  });
}

void cpu_copy(const Array& dst, const Array& s) {
  const bool flat = dst.is_contiguous() && s.is_contiguous() && s.shape() == dst.shape();
  if (s.dtype() == dst.dtype() && flat) {
    std::memmove(dst.raw(), s.raw(), dst.size() * dst.itemsize());
    return;
  }
  // float16 <-> float32 (every narrow float op's widening and narrowing) with
  // the CPU's conversion instructions, where it has them.
  const int64_t n = dst.size();
  if (flat && s.dtype() == DType::Float16 && dst.dtype() == DType::Float32 && isa().half_to_float) {
    const uint16_t* a = static_cast<const uint16_t*>(s.raw());
    float* o = dst.data<float>();
    return parallel_for(n, n, [&](int64_t b, int64_t e) { isa().half_to_float(a + b, o + b, e - b); });
  }
  if (flat && s.dtype() == DType::Float32 && dst.dtype() == DType::Float16 && isa().float_to_half) {
    const float* a = s.data<float>();
    uint16_t* o = static_cast<uint16_t*>(dst.raw());
    return parallel_for(n, n, [&](int64_t b, int64_t e) { isa().float_to_half(a + b, o + b, e - b); });
  }
  dispatch<kEvery>(dst.dtype(), "copy", [&](auto d) {
    using D = decltype(d);
    dispatch<kEvery>(s.dtype(), "copy", [&](auto sv) {
      using S = decltype(sv);
      if (flat) {
        // A whole contiguous conversion (a cast): split over threads, in a
        // loop the compiler vectorises (bools read as their 0/1 bytes).
        using In = std::conditional_t<std::is_same_v<S, bool>, uint8_t, S>;
        const In* __restrict a = static_cast<const In*>(s.raw());
        D* __restrict o = dst.data<D>();
        return parallel_for(n, n, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) {
            if constexpr (std::is_same_v<S, bool> && std::is_arithmetic_v<D>) o[i] = static_cast<D>(a[i]);
            else o[i] = convert_value<D>(static_cast<S>(a[i]));
          }
        });
      }
      convert_loop<D, S>(dst, s);
    });
  });
}

}  // namespace

void fill_cpu_array_kernels(DeviceKernels* k) { k->copy = &cpu_copy; }

void copy_into(const Array& dst, const Array& src) {
  check_same_device("copy", dst, src);
  Array s = src.broadcast_to(dst.shape());
  if (dst.size() == 0) return;
  kernel(dst.device(), &DeviceKernels::copy, "copy")(dst, s);
}

Array scalar(double value, DType dtype, Device device) {
  Array host = Array::empty({}, dtype);
  dispatch<kEvery>(dtype, "scalar", [&](auto v) { *host.data<decltype(v)>() = convert_value<decltype(v)>(value); });
  return to_device(host, device);
}

Array full(const Shape& shape, double value, DType dtype, Device device) {
  Array out = Array::empty(shape, dtype, device);
  if (out.size()) copy_into(out, scalar(value, dtype, device));
  return out;
}

Array index_grad(const Array& dy, const Shape& shape, const std::vector<IndexItem>& items) {
  Array out = full(shape, 0, dy.dtype(), dy.device());
  Array view = out.index(items);
  if (view.shape() != dy.shape())
    throw InvalidArgument("index_grad: gradient of shape " + shape_str(dy.shape()) +
                          " does not match the indexed shape " + shape_str(view.shape()));
  copy_into(view, dy);
  return out;
}

Array cast(const Array& a, DType dtype) {
  if (a.dtype() == dtype) return a;
  Array out = Array::empty(a.shape(), dtype, a.device());
  copy_into(out, a);
  return out;
}

}  // namespace tl
