// Elementwise kernels: binary and unary ops, copy with dtype conversion,
// where and clip. Each has a flat path (contiguous operands, or a single
// broadcast element) and a strided path over any views; float32 arithmetic
// on contiguous operands moves 16 bytes per load.
#include <cmath>
#include <type_traits>

#include "common.cuh"
#include "formulas.cuh"

namespace tl {
namespace cuda {
namespace {

// Integer division by zero (and integers to negative powers) cannot throw on
// the device: the kernel records it here and the host raises after the launch.
__device__ int g_error;

constexpr int kThreads = 256;

#define TL_GRID_LOOP(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

template <typename T, typename R>
__device__ __forceinline__ R bin(BinaryOp op, T x, T y) {
  int err = 0;
  R r = binary_value<T, R>(op, x, y, &err);
  if (err) g_error = err;
  return r;
}

template <typename T, typename R>
__global__ void binary_flat(BinaryOp op, R* o, const T* a, int64_t sa, const T* b, int64_t sb, int64_t n) {
  TL_GRID_LOOP(i, n) o[i] = bin<T, R>(op, a[i * sa], b[i * sb]);
}

template <typename T, typename R, typename I>
__global__ void binary_strided(BinaryOp op, R* o, const T* a, const T* b, Strided<3> s, int64_t n) {
  TL_GRID_LOOP(i, n) {
    int64_t off[3];
    s.offsets<I>(i, off);
    o[off[0]] = bin<T, R>(op, a[off[1]], b[off[2]]);
  }
}

// float32 add/sub/mul/div/max/min, four elements per load; mode 0 both
// operands full, 1 b a single element, 2 a a single element.
template <int OP>
__global__ void binary_vec4(float* o, const float* a, const float* b, int mode, int64_t n) {
  const int64_t n4 = n / 4;
  const float4* a4 = reinterpret_cast<const float4*>(a);
  const float4* b4 = reinterpret_cast<const float4*>(b);
  float4* o4 = reinterpret_cast<float4*>(o);
  const float as = a[0], bs = b[0];
  auto f = [](float x, float y) {
    int err;
    return binary_value<float, float>(static_cast<BinaryOp>(OP), x, y, &err);
  };
  TL_GRID_LOOP(i, n4) {
    float4 x = mode == 2 ? make_float4(as, as, as, as) : a4[i];
    float4 y = mode == 1 ? make_float4(bs, bs, bs, bs) : b4[i];
    o4[i] = make_float4(f(x.x, y.x), f(x.y, y.y), f(x.z, y.z), f(x.w, y.w));
  }
  if (blockIdx.x == 0)
    for (int64_t i = n4 * 4 + threadIdx.x; i < n; i += blockDim.x)
      o[i] = f(mode == 2 ? as : a[i], mode == 1 ? bs : b[i]);
}

bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

bool try_vec4(BinaryOp op, const Array& out, const Array& a, const Array& b, int64_t sa, int64_t sb) {
  if (out.dtype() != DType::Float32 || a.dtype() != DType::Float32) return false;
  if (sa == 0 && sb == 0) return false;
  int mode = sa == 1 && sb == 1 ? 0 : (sb == 0 ? 1 : 2);
  if (!aligned16(out.raw()) || (sa && !aligned16(a.raw())) || (sb && !aligned16(b.raw()))) return false;
  float* o = out.data<float>();
  const float *x = a.data<float>(), *y = b.data<float>();
  const int64_t n = out.size();
  const int g = grid_for(n / 4 + 1);
  switch (op) {
#define TL_VEC(OPV) case BinaryOp::OPV: binary_vec4<int(BinaryOp::OPV)><<<g, kThreads, 0, stream()>>>(o, x, y, mode, n); break;
    TL_VEC(Add) TL_VEC(Sub) TL_VEC(Mul) TL_VEC(Div) TL_VEC(Max) TL_VEC(Min)
#undef TL_VEC
    default: return false;
  }
  launched(op_name(op));
  return true;
}

int* error_flag() {
  void* p = nullptr;
  check(cudaGetSymbolAddress(&p, g_error), "error flag");
  return static_cast<int*>(p);
}

// Integer ops that can fail: clear the flag before, read it after (the one
// synchronisation, for these ops only).
struct FailureCheck {
  bool on;
  explicit FailureCheck(bool on_) : on(on_) {
    if (on) check(cudaMemsetAsync(error_flag(), 0, sizeof(int), stream()), "error flag");
  }
  void finish(const char* op) {
    if (!on) return;
    int err = 0;
    check(cudaMemcpyAsync(&err, error_flag(), sizeof(int), cudaMemcpyDeviceToHost, stream()), op);
    check(cudaStreamSynchronize(stream()), op);
    if (err == kErrDivZero) throw InvalidArgument(std::string(op) + ": integer division by zero");
    if (err == kErrNegPow) throw InvalidArgument("pow: integers to negative integer powers are not allowed");
  }
};

// Element step of an operand broadcast to out's shape when it is contiguous
// with out's shape (1) or a single element (0); -1 otherwise.
int64_t flat_step(const Array& x, const Array& out) {
  if (x.shape() != out.shape()) return x.size() == 1 ? 0 : -1;
  if (x.is_contiguous()) return 1;
  for (size_t d = 0; d < x.shape().size(); ++d)  // one element broadcast: every stride 0
    if (x.shape()[d] != 1 && x.strides()[d] != 0) return -1;
  return 0;
}

void binary(BinaryOp op, const Array& out, const Array& a, const Array& b) {
  const int64_t n = out.size();
  const int64_t sa = flat_step(a, out), sb = flat_step(b, out);
  const bool flat = out.is_contiguous() && sa >= 0 && sb >= 0;
  if (flat && try_vec4(op, out, a, b, sa, sb)) return;
  const bool may_fail = is_int(a.dtype()) && (op == BinaryOp::FloorDiv || op == BinaryOp::Mod || op == BinaryOp::Pow);
  FailureCheck fc(may_fail);
  Array x = a.broadcast_to(out.shape()), y = b.broadcast_to(out.shape());
  Strided<3> s = make_strided<3>(out.shape(), {&out.strides(), &x.strides(), &y.strides()});
  dispatch<kAll>(a.dtype(), op_name(op), [&](auto tv) {
    using T = decltype(tv);
    auto run = [&](auto rv) {
      using R = decltype(rv);
      R* o = out.data<R>();
      if (flat)
        binary_flat<T, R><<<grid_for(n), kThreads, 0, stream()>>>(op, o, a.data<T>(), sa, b.data<T>(), sb, n);
      else if (fits32(n))
        binary_strided<T, R, uint32_t><<<grid_for(n), kThreads, 0, stream()>>>(op, o, x.data<T>(), y.data<T>(), s, n);
      else
        binary_strided<T, R, int64_t><<<grid_for(n), kThreads, 0, stream()>>>(op, o, x.data<T>(), y.data<T>(), s, n);
    };
    DType rt = out.dtype();
    if (rt == DType::Bool) run(bool{});
    else if constexpr (!std::is_same_v<T, bool>) {
      if (rt == DType::Float64 && !std::is_same_v<T, double>) run(double{});
      else run(T{});
    }
  });
  launched(op_name(op));
  fc.finish(op_name(op));
}

// ---------------------------------------------------------------- unary ----

template <typename T>
__global__ void unary_flat(UnaryOp op, T* o, const T* a, int64_t n) {
  TL_GRID_LOOP(i, n) o[i] = unary_value<T>(op, a[i]);
}

template <typename T, typename I>
__global__ void unary_strided(UnaryOp op, T* o, const T* a, Strided<2> s, int64_t n) {
  TL_GRID_LOOP(i, n) {
    int64_t off[2];
    s.offsets<I>(i, off);
    o[off[0]] = unary_value<T>(op, a[off[1]]);
  }
}

void unary(UnaryOp op, const Array& out, const Array& a) {
  const int64_t n = out.size();
  Strided<2> s = make_strided<2>(out.shape(), {&out.strides(), &a.strides()});
  dispatch<kAll>(a.dtype(), op_name(op), [&](auto tv) {
    using T = decltype(tv);
    T* o = out.data<T>();
    const T* x = a.data<T>();
    if (all_flat(s)) unary_flat<T><<<grid_for(n), kThreads, 0, stream()>>>(op, o, x, n);
    else if (fits32(n)) unary_strided<T, uint32_t><<<grid_for(n), kThreads, 0, stream()>>>(op, o, x, s, n);
    else unary_strided<T, int64_t><<<grid_for(n), kThreads, 0, stream()>>>(op, o, x, s, n);
  });
  launched(op_name(op));
}

// ----------------------------------------------------------------- copy ----

template <typename D, typename S>
__global__ void convert_flat(D* o, const S* a, int64_t n) {
  TL_GRID_LOOP(i, n) o[i] = convert_value<D>(a[i]);
}

template <typename D, typename S, typename I>
__global__ void convert_strided(D* o, const S* a, Strided<2> s, int64_t n) {
  TL_GRID_LOOP(i, n) {
    int64_t off[2];
    s.offsets<I>(i, off);
    o[off[0]] = convert_value<D>(a[off[1]]);
  }
}

template <typename D, typename S>
void convert(const Array& out, const Array& src, const Strided<2>& s, int64_t n) {
  D* o = out.data<D>();
  const S* x = src.data<S>();
  if (all_flat(s)) convert_flat<D, S><<<grid_for(n), kThreads, 0, stream()>>>(o, x, n);
  else if (fits32(n)) convert_strided<D, S, uint32_t><<<grid_for(n), kThreads, 0, stream()>>>(o, x, s, n);
  else convert_strided<D, S, int64_t><<<grid_for(n), kThreads, 0, stream()>>>(o, x, s, n);
}

// A complex128 element, moved as one raw word.
struct alignas(16) Word16 {
  uint64_t lo, hi;
};

// Same dtype: moved as raw words of the item size.
template <typename W>
void move_words(const Array& out, const Array& src, const Strided<2>& s, int64_t n) {
  W* o = static_cast<W*>(out.raw());
  const W* x = static_cast<const W*>(src.raw());
  if (fits32(n)) convert_strided<W, W, uint32_t><<<grid_for(n), kThreads, 0, stream()>>>(o, x, s, n);
  else convert_strided<W, W, int64_t><<<grid_for(n), kThreads, 0, stream()>>>(o, x, s, n);
}

}  // namespace

void copy(const Array& out, const Array& src_in) {
  Array src = src_in.broadcast_to(out.shape());
  const int64_t n = out.size();
  Strided<2> s = make_strided<2>(out.shape(), {&out.strides(), &src.strides()});
  if (src.dtype() == out.dtype()) {
    if (all_flat(s)) {
      check(cudaMemcpyAsync(out.raw(), src.raw(), n * out.itemsize(), cudaMemcpyDeviceToDevice, stream()), "copy");
      return;
    }
    switch (out.itemsize()) {
      case 1: move_words<uint8_t>(out, src, s, n); break;
      case 2: move_words<uint16_t>(out, src, s, n); break;
      case 4: move_words<uint32_t>(out, src, s, n); break;
      case 16: move_words<Word16>(out, src, s, n); break;
      default: move_words<uint64_t>(out, src, s, n); break;
    }
  } else {
    // Complex casts run on the host only (complex tensors are CPU tensors).
    if (is_complex(out.dtype()) || is_complex(src.dtype())) throw_not_implemented("cast", Device::CUDA);
    dispatch<kAll | kNarrow>(out.dtype(), "copy", [&](auto d) {
      dispatch<kAll | kNarrow>(src.dtype(), "copy", [&](auto sv) {
        convert<decltype(d), decltype(sv)>(out, src, s, n);
      });
    });
  }
  launched("copy");
}

Array contiguous(const Array& a) {
  if (a.is_contiguous()) return a;
  Array out = Array::empty(a.shape(), a.dtype(), a.device());
  if (out.size()) copy(out, a);
  return out;
}

namespace {

// ----------------------------------------------------------- where, clip ----

template <typename T, typename I>
__global__ void where_kernel(T* o, const bool* c, const T* a, const T* b, Strided<4> s, int64_t n) {
  TL_GRID_LOOP(i, n) {
    int64_t off[4];
    s.offsets<I>(i, off);
    o[off[0]] = c[off[1]] ? a[off[2]] : b[off[3]];
  }
}

template <typename T, typename I>
__global__ void clip_kernel(T* o, const T* x, const T* lo, const T* hi, Strided<4> s, int64_t n) {
  TL_GRID_LOOP(i, n) {
    int64_t off[4];
    s.offsets<I>(i, off);
    o[off[0]] = clip_value(x[off[1]], lo[off[2]], hi[off[3]]);
  }
}

// Broadcasts the three inputs to out's shape and calls fn(strided, I{}).
template <typename F>
void ternary(const Array& out, const Array& a, const Array& b, const Array& c, F&& fn) {
  Array x = a.broadcast_to(out.shape()), y = b.broadcast_to(out.shape()), z = c.broadcast_to(out.shape());
  Strided<4> s = make_strided<4>(out.shape(), {&out.strides(), &x.strides(), &y.strides(), &z.strides()});
  if (fits32(out.size())) fn(x, y, z, s, uint32_t{});
  else fn(x, y, z, s, int64_t{});
}

void where(const Array& out, const Array& cond, const Array& a, const Array& b) {
  const int64_t n = out.size();
  dispatch<kAll>(a.dtype(), "where", [&](auto tv) {
    using T = decltype(tv);
    ternary(out, cond, a, b, [&](const Array& c, const Array& x, const Array& y, const Strided<4>& s, auto iv) {
      where_kernel<T, decltype(iv)><<<grid_for(n), kThreads, 0, stream()>>>(out.data<T>(), c.data<bool>(),
                                                                              x.data<T>(), y.data<T>(), s, n);
    });
  });
  launched("where");
}

void clip(const Array& out, const Array& x_in, const Array& lo, const Array& hi) {
  const int64_t n = out.size();
  dispatch<kNumeric>(x_in.dtype(), "clip_by_value", [&](auto tv) {
    using T = decltype(tv);
    ternary(out, x_in, lo, hi, [&](const Array& x, const Array& l, const Array& h, const Strided<4>& s, auto iv) {
      clip_kernel<T, decltype(iv)><<<grid_for(n), kThreads, 0, stream()>>>(out.data<T>(), x.data<T>(),
                                                                             l.data<T>(), h.data<T>(), s, n);
    });
  });
  launched("clip_by_value");
}

}  // namespace

void fill_elementwise(DeviceKernels* k) {
  k->binary = binary;
  k->unary = unary;
  k->copy = copy;
  k->where = where;
  k->clip = clip;
}

}  // namespace cuda
}  // namespace tl
