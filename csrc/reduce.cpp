#include "reduce.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>

#include "cpu_kernels.h"
#include "device.h"
#include "formulas.h"
#include "isa/table.h"
#include "parallel.h"

namespace tl {

bool reduce_block(const Shape& shape, const std::vector<bool>& reduced, int64_t* outer, int64_t* inner,
                  int64_t* after) {
  int phase = 0;  // 0: before the reduced block, 1: inside it, 2: after it
  *outer = *inner = *after = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    if (reduced[d]) {
      if (phase == 2) return false;
      phase = 1;
      *inner *= shape[d];
    } else if (phase == 0) {
      *outer *= shape[d];
    } else {
      phase = 2;
      *after *= shape[d];
    }
  }
  return true;
}

namespace {

template <ReduceOp OP, typename T>
using Policy = ReducePolicy<OP, T>;

// One contiguous row, with independent partial results so the loop vectorises.
template <ReduceOp OP, typename T>
typename Policy<OP, T>::Acc reduce_row(const T* p, int64_t n) {
  using P = Policy<OP, T>;
  using Acc = typename P::Acc;
  constexpr bool kSum = OP == ReduceOp::Sum || OP == ReduceOp::Mean;
  if constexpr (kSum && std::is_same_v<T, float>) return isa().sum_f32(p, n);
  else if constexpr (kSum && std::is_same_v<T, double>) return isa().sum_f64(p, n);
  else if constexpr (OP == ReduceOp::Max && std::is_same_v<T, float>) return isa().max_f32(p, n);
  else if constexpr (OP == ReduceOp::Max && std::is_same_v<T, double>) return isa().max_f64(p, n);
  else if constexpr (OP == ReduceOp::Min && std::is_same_v<T, float>) return isa().min_f32(p, n);
  else if constexpr (OP == ReduceOp::Min && std::is_same_v<T, double>) return isa().min_f64(p, n);
  else {
    constexpr int K = 8;
    Acc acc[K];
    for (int k = 0; k < K; ++k) acc[k] = P::init();
    int64_t i = 0;
    for (; i + K <= n; i += K)
      for (int k = 0; k < K; ++k) acc[k] = P::step(acc[k], p[i + k]);
    Acc r = P::init();
    for (; i < n; ++i) r = P::step(r, p[i]);
    for (int k = 0; k < K; ++k) r = P::merge(r, acc[k]);
    return r;
  }
}

// x is contiguous with shape [A, N, B]; reduces the middle axis into out[A, B].
template <ReduceOp OP, typename T>
void run(const T* x, T* out, int64_t A, int64_t N, int64_t B) {
  using P = Policy<OP, T>;
  using Acc = typename P::Acc;
  if (B == 1 && A == 1) {
    // Fixed chunks (not one per thread) so the result does not depend on
    // the thread count.
    constexpr int64_t kChunk = int64_t{1} << 16;
    int64_t nc = (N + kChunk - 1) / kChunk;
    std::vector<Acc> parts(nc);
    parallel_for(nc, N, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c)
        parts[c] = reduce_row<OP>(x + c * kChunk, std::min(kChunk, N - c * kChunk));
    });
    Acc r = P::init();
    for (auto p : parts) r = P::merge(r, p);
    out[0] = P::finish(r, N);
    return;
  }
  if (B == 1) {
    parallel_for(A, A * N, [&](int64_t b, int64_t e) {
      for (int64_t a = b; a < e; ++a) out[a] = P::finish(reduce_row<OP>(x + a * N, N), N);
    });
    return;
  }
  // Reducing an outer axis: fold whole rows into a block of accumulators.
  constexpr int64_t kCols = 256;
  const int64_t nb = (B + kCols - 1) / kCols, tasks = A * nb;
  // Folds rows [r0, r1) of column block t into acc.
  auto fold = [&](int64_t t, int64_t r0, int64_t r1, Acc* acc) {
    int64_t a = t / nb, c0 = (t % nb) * kCols, w = std::min(kCols, B - c0);
    const T* base = x + a * N * B + c0;
    for (int64_t j = 0; j < w; ++j) acc[j] = P::init();
    if constexpr (std::is_same_v<T, float> && (OP == ReduceOp::Sum || OP == ReduceOp::Mean)) {
      // Short float32 partial sums run at full vector width; folding them
      // into double every kRows rows keeps the total accurate.
      constexpr int64_t kRows = 32;
      float part[kCols];
      for (int64_t q = r0; q < r1; q += kRows) {
        for (int64_t j = 0; j < w; ++j) part[j] = 0;
        for (int64_t r = q; r < std::min(r1, q + kRows); ++r) {
          const T* row = base + r * B;
          for (int64_t j = 0; j < w; ++j) part[j] += row[j];
        }
        for (int64_t j = 0; j < w; ++j) acc[j] += part[j];
      }
    } else {
      for (int64_t r = r0; r < r1; ++r) {
        const T* row = base + r * B;
        for (int64_t j = 0; j < w; ++j) acc[j] = P::step(acc[j], row[j]);
      }
    }
  };
  if (tasks < 8 && N >= 4096 && A * N * B >= kParallelThreshold) {
    // Too few column blocks to share out (a tall, narrow input): split the
    // rows too, then merge the partial results in a fixed order. The split
    // does not depend on the thread count, so neither does the result.
    const int64_t S = std::min<int64_t>(16, N / 1024), rows = (N + S - 1) / S;
    std::unique_ptr<Acc[]> parts(new Acc[tasks * S * kCols]);
    parallel_for(tasks * S, A * N * B, [&](int64_t b, int64_t e) {
      for (int64_t u = b; u < e; ++u) {
        int64_t t = u / S, sl = u % S;
        fold(t, std::min(N, sl * rows), std::min(N, (sl + 1) * rows), &parts[u * kCols]);
      }
    });
    for (int64_t t = 0; t < tasks; ++t) {
      int64_t a = t / nb, c0 = (t % nb) * kCols, w = std::min(kCols, B - c0);
      for (int64_t j = 0; j < w; ++j) {
        Acc r = parts[t * S * kCols + j];
        for (int64_t sl = 1; sl < S; ++sl) r = P::merge(r, parts[(t * S + sl) * kCols + j]);
        out[a * B + c0 + j] = P::finish(r, N);
      }
    }
    return;
  }
  parallel_for(tasks, A * N * B, [&](int64_t b, int64_t e) {
    Acc acc[kCols];
    for (int64_t t = b; t < e; ++t) {
      fold(t, 0, N, acc);
      int64_t a = t / nb, c0 = (t % nb) * kCols, w = std::min(kCols, B - c0);
      T* o = out + a * B + c0;
      for (int64_t j = 0; j < w; ++j) o[j] = P::finish(acc[j], N);
    }
  });
}

template <ReduceOp OP, typename T>
void reduce_typed(const Array& a, const std::vector<bool>& red, int64_t n, const Array& out) {
  using P = Policy<OP, T>;
  T* o = out.data<T>();
  if (n == 0) {
    std::fill(o, o + out.size(), P::finish(P::init(), 0));
    return;
  }
  Array x = a.contiguous();
  int64_t A, N, B;
  if (!reduce_block(x.shape(), red, &A, &N, &B)) {
    // Reduced axes scattered: move them last in one copy.
    std::vector<int64_t> perm;
    for (int64_t d = 0; d < x.ndim(); ++d)
      if (!red[d]) perm.push_back(d);
    for (int64_t d = 0; d < x.ndim(); ++d)
      if (red[d]) perm.push_back(d);
    x = x.transpose(perm).contiguous();
    A = out.size();
    N = n;
    B = 1;
  }
  run<OP, T>(x.data<T>(), o, A, N, B);
}


template <typename T, int I = 0>
void reduce_switch(ReduceOp op, const Array& a, const std::vector<bool>& red, int64_t n, const Array& out) {
  if constexpr (I < static_cast<int>(ReduceOp::Count)) {
    constexpr ReduceOp OP = static_cast<ReduceOp>(I);
    if (static_cast<int>(op) != I) return reduce_switch<T, I + 1>(op, a, red, n, out);
    if constexpr (accepts_op<T>(OP)) reduce_typed<OP, T>(a, red, n, out);
  }
}

void cpu_reduce(ReduceOp op, const Array& out, const Array& a, const std::vector<bool>& reduced) {
  int64_t n = 1;
  for (int64_t d = 0; d < a.ndim(); ++d)
    if (reduced[d]) n *= a.shape()[d];
  dispatch<kAll | kComplex>(a.dtype(), op_name(op), [&](auto tv) { reduce_switch<decltype(tv)>(op, a, reduced, n, out); });
}

// What op gives over no elements (sum 0, max -inf, ...), as a host scalar.
template <int I = 0>
Array empty_reduction(ReduceOp op, DType dtype) {
  Array v = Array::empty({}, dtype);
  if constexpr (I < static_cast<int>(ReduceOp::Count)) {
    constexpr ReduceOp OP = static_cast<ReduceOp>(I);
    if (static_cast<int>(op) != I) return empty_reduction<I + 1>(op, dtype);
    dispatch<kAll | kComplex | kNarrowInt>(dtype, op_name(op), [&](auto tv) {
      using T = decltype(tv);
      if constexpr (accepts_op<T>(OP)) *v.data<T>() = Policy<OP, T>::finish(Policy<OP, T>::init(), 0);
    });
  }
  return v;
}

}  // namespace

Array reduce(ReduceOp op, const Array& a, const std::vector<int64_t>& axes, bool keepdims) {
  const std::string name = op_name(op);
  const bool logical = op_domain(op) == Domain::Logical;
  if (logical && a.dtype() != DType::Bool)
    throw TypeError(name + ": expects a bool tensor, got " + dtype_name(a.dtype()));
  if (!logical && a.dtype() == DType::Bool)
    throw TypeError(name + ": not defined for bool tensors; cast to int32 or float32 first");
  // Narrow types compute wide; an empty int8 max is int8's lowest, not int32's.
  if (is_narrow(a.dtype()) && (a.size() > 0 || is_half(a.dtype())))
    return narrow(reduce(op, widen(a), axes, keepdims), a.dtype());
  if (is_complex(a.dtype()) && !complex_op(op)) throw TypeError(name + ": not defined for complex tensors");
  if (is_complex(a.dtype()) && a.device() != Device::CPU) throw_not_implemented(name.c_str(), a.device());
  const int64_t nd = a.ndim();
  std::vector<bool> red(nd, false);
  for (int64_t ax : axes) {
    if (ax < -nd || ax >= nd)
      throw InvalidArgument(name + ": axis " + std::to_string(ax) + " is out of range for a tensor of rank " +
                            std::to_string(nd) + " (shape " + shape_str(a.shape()) + ")");
    int64_t k = ax < 0 ? ax + nd : ax;
    if (red[k]) throw InvalidArgument(name + ": axis " + std::to_string(ax) + " is repeated");
    red[k] = true;
  }
  Shape out_shape;
  for (int64_t d = 0; d < nd; ++d) {
    if (!red[d]) out_shape.push_back(a.shape()[d]);
    else if (keepdims) out_shape.push_back(1);
  }
  Array out = Array::empty(out_shape, a.dtype(), a.device());
  if (out.size() > 0) {
    if (a.size() == 0) copy_into(out, to_device(empty_reduction(op, a.dtype()), a.device()));
    else kernel(a.device(), &DeviceKernels::reduce, op_name(op))(op, out, a, red);
  }
  return out;
}

// ------------------------------------------------------------ argmax/argmin ----

namespace {

// Whether v should replace the current best b: NaN wins and then stays.
template <bool IsMax, typename T>
inline bool better(T v, T b) {
  if (b != b) return false;
  return IsMax ? (v > b || v != v) : (v < b || v != v);
}

template <bool IsMax, typename T>
void arg_run(const T* x, int64_t* out, int64_t A, int64_t N, int64_t B) {
  if (B == 1) {
    parallel_for(A, A * N, [&](int64_t b, int64_t e) {
      for (int64_t a = b; a < e; ++a) {
        const T* p = x + a * N;
        T best = p[0];
        int64_t bi = 0;
        for (int64_t i = 1; i < N && best == best; ++i)
          if (better<IsMax>(p[i], best)) best = p[i], bi = i;
        out[a] = bi;
      }
    });
    return;
  }
  constexpr int64_t kCols = 256;
  int64_t nb = (B + kCols - 1) / kCols;
  parallel_for(A * nb, A * N * B, [&](int64_t b, int64_t e) {
    T best[kCols];
    for (int64_t t = b; t < e; ++t) {
      int64_t a = t / nb, c0 = (t % nb) * kCols, w = std::min(kCols, B - c0);
      const T* base = x + a * N * B + c0;
      int64_t* o = out + a * B + c0;
      for (int64_t j = 0; j < w; ++j) best[j] = base[j], o[j] = 0;
      for (int64_t r = 1; r < N; ++r) {
        const T* row = base + r * B;
        for (int64_t j = 0; j < w; ++j)
          if (better<IsMax>(row[j], best[j])) best[j] = row[j], o[j] = r;
      }
    }
  });
}

}  // namespace

Array arg_reduce(bool is_max, const Array& a, int64_t axis) {
  const std::string name = is_max ? "argmax" : "argmin";
  if (a.ndim() == 0)
    throw InvalidArgument(name + ": expects a tensor of rank >= 1, got a scalar");
  int64_t ax = normalize_axis(axis, a.ndim(), name.c_str());
  if (a.shape()[ax] == 0)
    throw InvalidArgument(name + ": cannot reduce over axis " + std::to_string(axis) + " of size 0 in shape " +
                          shape_str(a.shape()));
  if (is_narrow(a.dtype()) && a.dtype() != DType::Bool) return arg_reduce(is_max, widen(a), axis);
  if (!in_family(a.dtype(), kNumeric)) throw TypeError(name + ": unsupported dtype " + dtype_name(a.dtype()));
  Shape out_shape = a.shape();
  out_shape.erase(out_shape.begin() + ax);
  Array out = Array::empty(out_shape, DType::Int64, a.device());
  if (out.size() == 0) return out;
  kernel(a.device(), &DeviceKernels::arg_reduce, name.c_str())(is_max, out, a, ax);
  return out;
}

namespace {

void cpu_arg_reduce(bool is_max, const Array& out, const Array& a, int64_t ax) {
  int64_t A = 1, B = 1, N = a.shape()[ax];
  for (int64_t d = 0; d < a.ndim(); ++d)
    if (d != ax) (d < ax ? A : B) *= a.shape()[d];
  dispatch<kNumeric>(a.dtype(), is_max ? "argmax" : "argmin", [&](auto tv) {
    using T = decltype(tv);
    Array x = a.contiguous();
    if (is_max) arg_run<true>(x.data<T>(), out.data<int64_t>(), A, N, B);
    else arg_run<false>(x.data<T>(), out.data<int64_t>(), A, N, B);
  });
}

}  // namespace

void fill_cpu_reduce_kernels(DeviceKernels* k) {
  k->reduce = &cpu_reduce;
  k->arg_reduce = &cpu_arg_reduce;
}

}  // namespace tl
