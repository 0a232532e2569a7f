// Neural-network kernels: softmax and log_softmax with their gradients, relu
// and gelu gradients, and the fused crossentropies. Softmax along the last
// axis keeps each row in registers, so it is read from memory once: a warp
// per row up to 1024 values, a block of 256 threads per row up to 8192, the
// max and sums by warp shuffles (and shared memory across a block's warps);
// longer rows belong to one warp reading them three times. Softmax over
// another axis gives each thread one column.
#include <algorithm>
#include <type_traits>

#include "common.cuh"

namespace tl {
namespace cuda {
namespace {

constexpr int kThreads = 256;

#define TL_GRID_LOOP(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)
// Warp-per-row loop: `row` runs over rows, `lane` is the thread's lane.
#define TL_WARP_ROWS(row, rows)                                                         \
  const int lane = threadIdx.x & 31;                                                    \
  for (int64_t row = (blockIdx.x * int64_t(blockDim.x) + threadIdx.x) / 32; row < (rows); \
       row += int64_t(gridDim.x) * blockDim.x / 32)

template <typename T>
__device__ __forceinline__ T warp_sum(T v) {
  for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// The row maximum, NaN winning (so a NaN row gives NaN, as the CPU's).
template <typename T>
__device__ __forceinline__ T warp_max(T v) {
  for (int o = 16; o > 0; o /= 2) {
    T w = __shfl_xor_sync(0xffffffffu, v, o);
    v = (w > v || w != w) ? w : v;
  }
  return v;
}

template <typename T>
__device__ __forceinline__ T max_nan(T a, T b) { return (b > a || b != b) ? b : a; }

// Max and sum of exp(x - max) over one row, shared by the whole warp.
template <typename T>
__device__ __forceinline__ void row_stats(const T* p, int64_t n, int lane, T* m, T* s) {
  T mx = -T(INFINITY);
  for (int64_t i = lane; i < n; i += 32) mx = max_nan(mx, p[i]);
  mx = warp_max(mx);
  T sum = 0;
  for (int64_t i = lane; i < n; i += 32) sum += exp(p[i] - mx);
  *m = mx;
  *s = warp_sum(sum);
}

int warp_grid(int64_t rows) { return grid_for(rows * 32, kThreads); }

// ------------------------------------------------------------ softmax ----

template <typename T, bool LOG>
__global__ void softmax_rows(const T* x, T* o, int64_t rows, int64_t n) {
  TL_WARP_ROWS(r, rows) {
    const T* p = x + r * n;
    T* q = o + r * n;
    T m, s;
    row_stats(p, n, lane, &m, &s);
    if (LOG) {
      const T lse = log(s);
      for (int64_t i = lane; i < n; i += 32) q[i] = (p[i] - m) - lse;
    } else {
      const T inv = T(1) / s;
      for (int64_t i = lane; i < n; i += 32) q[i] = exp(p[i] - m) * inv;
    }
  }
}

// Contiguous [A, N, B], the softmax axis in the middle: thread (a, b) owns a column.
template <typename T, bool LOG>
__global__ void softmax_cols(const T* x, T* o, int64_t A, int64_t N, int64_t B) {
  TL_GRID_LOOP(c, A * B) {
    const int64_t a = c / B, b = c % B;
    const T* p = x + a * N * B + b;
    T* q = o + a * N * B + b;
    T m = -T(INFINITY), s = 0;
    for (int64_t i = 0; i < N; ++i) m = max_nan(m, p[i * B]);
    for (int64_t i = 0; i < N; ++i) s += exp(p[i * B] - m);
    const T lse = log(s), inv = T(1) / s;
    for (int64_t i = 0; i < N; ++i) q[i * B] = LOG ? (p[i * B] - m) - lse : exp(p[i * B] - m) * inv;
  }
}

template <typename T, bool LOG>
__global__ void softmax_grad_rows(const T* y, const T* dy, T* o, int64_t rows, int64_t n) {
  TL_WARP_ROWS(r, rows) {
    const T* yp = y + r * n;
    const T* dp = dy + r * n;
    T* q = o + r * n;
    T s = 0;
    for (int64_t i = lane; i < n; i += 32) s += LOG ? dp[i] : dp[i] * yp[i];
    s = warp_sum(s);
    for (int64_t i = lane; i < n; i += 32) q[i] = LOG ? dp[i] - exp(yp[i]) * s : yp[i] * (dp[i] - s);
  }
}

template <typename T, bool LOG>
__global__ void softmax_grad_cols(const T* y, const T* dy, T* o, int64_t A, int64_t N, int64_t B) {
  TL_GRID_LOOP(c, A * B) {
    const int64_t base = (c / B) * N * B + c % B;
    T s = 0;
    for (int64_t i = 0; i < N; ++i) s += LOG ? dy[base + i * B] : dy[base + i * B] * y[base + i * B];
    for (int64_t i = 0; i < N; ++i) {
      const int64_t k = base + i * B;
      o[k] = LOG ? dy[k] - exp(y[k]) * s : y[k] * (dy[k] - s);
    }
  }
}

// ---------------------------------------------- rows in registers ----

struct MaxNan {
  template <typename T> __device__ __forceinline__ T operator()(T a, T b) const { return max_nan(a, b); }
};
struct Plus {
  template <typename T> __device__ __forceinline__ T operator()(T a, T b) const { return a + b; }
};

// v combined over the W threads sharing a row (a warp, or the whole block);
// every one of them gets the result. `red` holds one value per warp.
template <int W, typename T, typename Op>
__device__ __forceinline__ T row_reduce(T v, Op op, T* red) {
  for (int o = 16; o > 0; o /= 2) v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
  if (W == 32) return v;
  __syncthreads();  // every thread is done reading the previous reduction's values
  if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = v;
  __syncthreads();
  v = red[0];
#pragma unroll
  for (int w = 1; w < W / 32; ++w) v = op(v, red[w]);
  return v;
}

// W threads per row (32, or the whole block of W), each holding V of its
// values: element i = q * W + lane, q < V, so every load is coalesced.
#define TL_ROWS_IN_REGS(r, rows)                                                                   \
  const int lane = threadIdx.x % W;                                                                \
  const int per_block = blockDim.x / W;                                                            \
  for (int64_t r = blockIdx.x * int64_t(per_block) + threadIdx.x / W; r < (rows);                  \
       r += int64_t(gridDim.x) * per_block)

template <typename T, int V, int W, bool LOG>
__global__ void __launch_bounds__(kThreads) softmax_regs(const T* x, T* o, int64_t rows, int64_t n) {
  __shared__ T red[W / 32];
  TL_ROWS_IN_REGS(r, rows) {
    const T* p = x + r * n;
    T* q = o + r * n;
    T v[V];
    T m = -T(INFINITY);
#pragma unroll
    for (int k = 0; k < V; ++k) {
      const int64_t i = k * W + lane;
      v[k] = i < n ? p[i] : -T(INFINITY);
      m = max_nan(m, v[k]);
    }
    m = row_reduce<W>(m, MaxNan(), red);
    T s = 0;
#pragma unroll
    for (int k = 0; k < V; ++k) {
      if (k * W + lane < n) {
        const T e = exp(v[k] - m);
        s += e;
        if (!LOG) v[k] = e;
      }
    }
    s = row_reduce<W>(s, Plus(), red);
    const T lse = log(s), inv = T(1) / s;
#pragma unroll
    for (int k = 0; k < V; ++k) {
      const int64_t i = k * W + lane;
      if (i < n) q[i] = LOG ? (v[k] - m) - lse : v[k] * inv;
    }
  }
}

template <typename T, int V, int W, bool LOG>
__global__ void __launch_bounds__(kThreads) softmax_grad_regs(const T* y, const T* dy, T* o, int64_t rows, int64_t n) {
  __shared__ T red[W / 32];
  TL_ROWS_IN_REGS(r, rows) {
    const T* yp = y + r * n;
    const T* dp = dy + r * n;
    T* q = o + r * n;
    T yv[V], dv[V];
    T s = 0;
#pragma unroll
    for (int k = 0; k < V; ++k) {
      const int64_t i = k * W + lane;
      yv[k] = i < n ? yp[i] : T(0);
      dv[k] = i < n ? dp[i] : T(0);
      s += LOG ? dv[k] : dv[k] * yv[k];
    }
    s = row_reduce<W>(s, Plus(), red);
#pragma unroll
    for (int k = 0; k < V; ++k) {
      const int64_t i = k * W + lane;
      if (i < n) q[i] = LOG ? dv[k] - exp(yv[k]) * s : yv[k] * (dv[k] - s);
    }
  }
}

// Launches kernel<V, W> for the smallest V that holds a row of n; false when
// n is over 8192 (the caller reads such rows three times instead).
template <typename Launch>
bool rows_in_regs(int64_t rows, int64_t n, Launch&& launch) {
  auto warp = [&](auto v) {  // 8 rows per block
    launch(v, std::integral_constant<int, 32>{}, static_cast<int>(std::clamp<int64_t>((rows + 7) / 8, 1, 1 << 20)));
  };
  auto block = [&](auto v) {
    launch(v, std::integral_constant<int, kThreads>{}, static_cast<int>(std::clamp<int64_t>(rows, 1, 1 << 20)));
  };
  using std::integral_constant;
  if (n <= 32) warp(integral_constant<int, 1>{});
  else if (n <= 64) warp(integral_constant<int, 2>{});
  else if (n <= 128) warp(integral_constant<int, 4>{});
  else if (n <= 256) warp(integral_constant<int, 8>{});
  else if (n <= 512) warp(integral_constant<int, 16>{});
  else if (n <= 1024) warp(integral_constant<int, 32>{});
  else if (n <= 2048) block(integral_constant<int, 8>{});
  else if (n <= 4096) block(integral_constant<int, 16>{});
  else if (n <= 8192) block(integral_constant<int, 32>{});
  else return false;
  return true;
}

// [A, N, B] around `axis` of a shape.
void split(const Shape& shape, int64_t axis, int64_t* A, int64_t* N, int64_t* B) {
  *A = *B = 1;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d)
    if (d < axis) *A *= shape[d];
    else if (d > axis) *B *= shape[d];
  *N = shape[axis];
}

void softmax(const Array& out, const Array& x_in, int64_t axis, bool log) {
  Array x = contiguous(x_in);
  int64_t A, N, B;
  split(x.shape(), axis_of(axis, x.ndim()), &A, &N, &B);
  dispatch<kFloat>(x.dtype(), log ? "log_softmax" : "softmax", [&](auto tv) {
    using T = decltype(tv);
    const T* p = x.data<T>();
    T* o = out.data<T>();
    if (B == 1) {
      const bool in_regs = rows_in_regs(A, N, [&](auto v, auto w, int grid) {
        constexpr int V = decltype(v)::value, W = decltype(w)::value;
        if (log) softmax_regs<T, V, W, true><<<grid, kThreads, 0, stream()>>>(p, o, A, N);
        else softmax_regs<T, V, W, false><<<grid, kThreads, 0, stream()>>>(p, o, A, N);
      });
      if (!in_regs) {  // long rows: one warp each, read three times
        if (log) softmax_rows<T, true><<<warp_grid(A), kThreads, 0, stream()>>>(p, o, A, N);
        else softmax_rows<T, false><<<warp_grid(A), kThreads, 0, stream()>>>(p, o, A, N);
      }
    } else {
      if (log) softmax_cols<T, true><<<grid_for(A * B), kThreads, 0, stream()>>>(p, o, A, N, B);
      else softmax_cols<T, false><<<grid_for(A * B), kThreads, 0, stream()>>>(p, o, A, N, B);
    }
  });
  launched("softmax");
}

void softmax_grad(const Array& dx, const Array& y_in, const Array& dy_in, int64_t axis, bool log) {
  Array y = contiguous(y_in), dy = contiguous(dy_in);
  int64_t A, N, B;
  split(y.shape(), axis_of(axis, y.ndim()), &A, &N, &B);
  dispatch<kFloat>(y.dtype(), "softmax_grad", [&](auto tv) {
    using T = decltype(tv);
    const T *yp = y.data<T>(), *dp = dy.data<T>();
    T* o = dx.data<T>();
    if (B == 1) {
      const bool in_regs = rows_in_regs(A, N, [&](auto v, auto w, int grid) {
        constexpr int V = decltype(v)::value, W = decltype(w)::value;
        if (log) softmax_grad_regs<T, V, W, true><<<grid, kThreads, 0, stream()>>>(yp, dp, o, A, N);
        else softmax_grad_regs<T, V, W, false><<<grid, kThreads, 0, stream()>>>(yp, dp, o, A, N);
      });
      if (!in_regs) {  // long rows: one warp each, read three times
        if (log) softmax_grad_rows<T, true><<<warp_grid(A), kThreads, 0, stream()>>>(yp, dp, o, A, N);
        else softmax_grad_rows<T, false><<<warp_grid(A), kThreads, 0, stream()>>>(yp, dp, o, A, N);
      }
    } else {
      if (log) softmax_grad_cols<T, true><<<grid_for(A * B), kThreads, 0, stream()>>>(yp, dp, o, A, N, B);
      else softmax_grad_cols<T, false><<<grid_for(A * B), kThreads, 0, stream()>>>(yp, dp, o, A, N, B);
    }
  });
  launched("softmax_grad");
}

// ------------------------------------------------------ relu, gelu ----

constexpr double kSqrt2OverPi = 0.79788456080286535588;
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kGeluCubic = 0.044715;

enum Map2 { kReluGrad, kGelu, kGeluApprox, kGeluGrad, kGeluApproxGrad };

template <int F, typename T>
__device__ __forceinline__ T map2(T x, T d) {
  if constexpr (F == kReluGrad) {
    return x > T(0) ? d : T(0);
  } else if constexpr (F == kGelu) {
    return T(0.5) * x * erfc(-x * T(kInvSqrt2));
  } else if constexpr (F == kGeluApprox) {
    T u = T(kSqrt2OverPi) * (x + T(kGeluCubic) * x * x * x);
    return T(0.5) * x * (T(1) + tanh(u));
  } else if constexpr (F == kGeluGrad) {
    return d * (T(0.5) * erfc(-x * T(kInvSqrt2)) + x * T(kInvSqrt2Pi) * exp(T(-0.5) * x * x));
  } else {
    T u = T(kSqrt2OverPi) * (x + T(kGeluCubic) * x * x * x);
    T t = tanh(u);
    T du = T(kSqrt2OverPi) * (T(1) + T(3 * kGeluCubic) * x * x);
    return d * (T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * du);
  }
}

template <int F, typename T, typename I>
__global__ void map2_kernel(T* o, const T* x, const T* d, Strided<3> s, int64_t n) {
  TL_GRID_LOOP(i, n) {
    int64_t off[3];
    s.offsets<I>(i, off);
    o[off[0]] = map2<F>(x[off[1]], d[off[2]]);
  }
}

template <int F, typename T>
__global__ void map2_flat(T* o, const T* x, const T* d, int64_t n) {
  TL_GRID_LOOP(i, n) o[i] = map2<F>(x[i], d[i]);
}

template <int F, unsigned Fam>
void run_map2(const Array& out, const Array& x, const Array& d, const char* op) {
  const int64_t n = out.size();
  Strided<3> s = make_strided<3>(out.shape(), {&out.strides(), &x.strides(), &d.strides()});
  dispatch<Fam>(x.dtype(), op, [&](auto tv) {
    using T = decltype(tv);
    T* o = out.data<T>();
    if (all_flat(s)) map2_flat<F, T><<<grid_for(n), kThreads, 0, stream()>>>(o, x.data<T>(), d.data<T>(), n);
    else if (fits32(n))
      map2_kernel<F, T, uint32_t><<<grid_for(n), kThreads, 0, stream()>>>(o, x.data<T>(), d.data<T>(), s, n);
    else map2_kernel<F, T, int64_t><<<grid_for(n), kThreads, 0, stream()>>>(o, x.data<T>(), d.data<T>(), s, n);
  });
  launched(op);
}

// relu_grad takes integers too; gelu only floats.
void relu_grad(const Array& dx, const Array& x, const Array& dy) { run_map2<kReluGrad, kNumeric>(dx, x, dy, "relu_grad"); }

void gelu(const Array& out, const Array& x, bool approximate) {
  if (approximate) run_map2<kGeluApprox, kFloat>(out, x, x, "gelu");
  else run_map2<kGelu, kFloat>(out, x, x, "gelu");
}

void gelu_grad(const Array& dx, const Array& x, const Array& dy, bool approximate) {
  if (approximate) run_map2<kGeluApproxGrad, kFloat>(dx, x, dy, "gelu_grad");
  else run_map2<kGeluGrad, kFloat>(dx, x, dy, "gelu_grad");
}

// ------------------------------------------------------- crossentropy ----

template <typename T, typename L>
__global__ void sparse_xent_kernel(const T* x, const L* labels, T* loss, int64_t rows, int64_t C) {
  TL_WARP_ROWS(r, rows) {
    const T* p = x + r * C;
    T m, s;
    row_stats(p, C, lane, &m, &s);
    if (lane == 0) loss[r] = log(s) + (m - p[labels[r]]);
  }
}

template <typename T, typename L>
__global__ void sparse_xent_grad_kernel(const T* x, const L* labels, const T* g, T* o, int64_t rows, int64_t C) {
  TL_WARP_ROWS(r, rows) {
    const T* p = x + r * C;
    T* q = o + r * C;
    T m, s;
    row_stats(p, C, lane, &m, &s);
    const T scale = g[r] / s;
    const int64_t lab = labels[r];
    for (int64_t i = lane; i < C; i += 32) q[i] = exp(p[i] - m) * scale - (i == lab ? g[r] : T(0));
  }
}

template <typename T>
__global__ void softmax_xent_kernel(const T* x, const T* labels, T* loss, int64_t rows, int64_t C) {
  TL_WARP_ROWS(r, rows) {
    const T* p = x + r * C;
    const T* l = labels + r * C;
    T m, s;
    row_stats(p, C, lane, &m, &s);
    const T lse = m + log(s);
    T acc = 0;
    for (int64_t i = lane; i < C; i += 32) acc += l[i] * (lse - p[i]);
    acc = warp_sum(acc);
    if (lane == 0) loss[r] = acc;
  }
}

template <typename T>
__global__ void softmax_xent_grad_kernel(const T* x, const T* labels, const T* g, T* o, int64_t rows, int64_t C) {
  TL_WARP_ROWS(r, rows) {
    const T* p = x + r * C;
    const T* l = labels + r * C;
    T* q = o + r * C;
    T m, s;
    row_stats(p, C, lane, &m, &s);
    T total = 0;
    for (int64_t i = lane; i < C; i += 32) total += l[i];
    total = warp_sum(total);
    const T scale = g[r] * total / s;
    for (int64_t i = lane; i < C; i += 32) q[i] = exp(p[i] - m) * scale - l[i] * g[r];
  }
}

const char* kSparse = "sparse_softmax_cross_entropy_with_logits";
const char* kDense = "softmax_cross_entropy_with_logits";

void sparse_xent(const Array& loss, const Array& logits, const Array& labels) {
  Array x = contiguous(logits), l = contiguous(labels);
  const int64_t N = x.shape()[0], C = x.shape()[1];
  dispatch<kFloat>(x.dtype(), kSparse, [&](auto tv) {
    using T = decltype(tv);
    dispatch<kInt>(l.dtype(), kSparse, [&](auto lv) {
      using L = decltype(lv);
      sparse_xent_kernel<T, L><<<warp_grid(N), kThreads, 0, stream()>>>(x.data<T>(), l.data<L>(), loss.data<T>(), N, C);
    });
  });
  launched(kSparse);
}

void sparse_xent_grad(const Array& dlogits, const Array& logits, const Array& labels, const Array& dloss) {
  Array x = contiguous(logits), l = contiguous(labels), g = contiguous(dloss);
  const int64_t N = x.shape()[0], C = x.shape()[1];
  dispatch<kFloat>(x.dtype(), kSparse, [&](auto tv) {
    using T = decltype(tv);
    dispatch<kInt>(l.dtype(), kSparse, [&](auto lv) {
      using L = decltype(lv);
      sparse_xent_grad_kernel<T, L><<<warp_grid(N), kThreads, 0, stream()>>>(x.data<T>(), l.data<L>(), g.data<T>(),
                                                                              dlogits.data<T>(), N, C);
    });
  });
  launched(kSparse);
}

void softmax_xent(const Array& loss, const Array& logits, const Array& labels) {
  Array x = contiguous(logits), l = contiguous(labels);
  const int64_t N = x.shape()[0], C = x.shape()[1];
  dispatch<kFloat>(x.dtype(), kDense, [&](auto tv) {
    using T = decltype(tv);
    softmax_xent_kernel<T><<<warp_grid(N), kThreads, 0, stream()>>>(x.data<T>(), l.data<T>(), loss.data<T>(), N, C);
  });
  launched(kDense);
}

void softmax_xent_grad(const Array& dlogits, const Array& logits, const Array& labels, const Array& dloss) {
  Array x = contiguous(logits), l = contiguous(labels), g = contiguous(dloss);
  const int64_t N = x.shape()[0], C = x.shape()[1];
  dispatch<kFloat>(x.dtype(), kDense, [&](auto tv) {
    using T = decltype(tv);
    softmax_xent_grad_kernel<T><<<warp_grid(N), kThreads, 0, stream()>>>(x.data<T>(), l.data<T>(), g.data<T>(),
                                                                         dlogits.data<T>(), N, C);
  });
  launched(kDense);
}

}  // namespace

void fill_nn(DeviceKernels* k) {
  k->softmax = softmax;
  k->softmax_grad = softmax_grad;
  k->relu_grad = relu_grad;
  k->gelu = gelu;
  k->gelu_grad = gelu_grad;
  k->sparse_xent = sparse_xent;
  k->sparse_xent_grad = sparse_xent_grad;
  k->softmax_xent = softmax_xent;
  k->softmax_xent_grad = softmax_xent_grad;
}

}  // namespace cuda
}  // namespace tl
