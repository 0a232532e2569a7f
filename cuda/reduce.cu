// Reductions over any set of axes and argmax/argmin. The input is walked as
// (kept index o, reduced index r) through two strided walks. When the reduced
// elements of one output are adjacent in memory, a block (or a slice of
// blocks) folds each output's row; otherwise each thread folds one output,
// adjacent threads reading adjacent outputs. Long reductions over few outputs
// are split into slices whose partial results a second pass merges. The
// policies are the CPU's: float sums in double, integer sums and products
// wrapping in uint64, NaN winning max and min (formulas.h).
#include <algorithm>
#include <limits>
#include <type_traits>

#include "common.cuh"
#include "formulas.h"

namespace tl {
namespace cuda {
namespace {

constexpr int kThreads = 256;

// The policies (init, step, merge, finish) are the CPU's, from formulas.h.
template <ReduceOp OP, typename T>
using Pol = ReducePolicy<OP, T>;

// The walk of the kept axes (o) and of the reduced axes (r).
struct Walk {
  Strided<1> kept, red;
};

template <typename P>
__device__ typename P::Acc block_merge(typename P::Acc v) {
  using Acc = typename P::Acc;
  __shared__ Acc sh[kThreads];
  sh[threadIdx.x] = v;
  __syncthreads();
  for (int w = blockDim.x / 2; w > 0; w /= 2) {
    if (threadIdx.x < w) sh[threadIdx.x] = P::merge(sh[threadIdx.x], sh[threadIdx.x + w]);
    __syncthreads();
  }
  return sh[0];
}

// Block (o, g) folds slice g of output o's reduced elements; with one slice
// it writes the result, else the partial result part[o * G + g].
template <ReduceOp OP, typename T>
__global__ void row_kernel(const T* x, Walk w, int64_t N, int64_t G, int64_t chunk, T* out,
                           typename Pol<OP, T>::Acc* part) {
  using P = Pol<OP, T>;
  const int64_t o = blockIdx.x / G, g = blockIdx.x % G;
  const int64_t base = w.kept.at(o);
  const int64_t r0 = g * chunk, r1 = min(N, r0 + chunk);
  typename P::Acc acc = P::init();
  for (int64_t r = r0 + threadIdx.x; r < r1; r += blockDim.x) {
    const int64_t off = w.red.at(r);
    acc = P::step(acc, x[base + off]);
  }
  acc = block_merge<P>(acc);
  if (threadIdx.x == 0) {
    if (G == 1) out[o] = P::finish(acc, N);
    else part[blockIdx.x] = acc;
  }
}

// Thread o of slice blockIdx.y folds that slice of output o's elements.
template <ReduceOp OP, typename T>
__global__ void col_kernel(const T* x, Walk w, int64_t M, int64_t N, int64_t chunk, T* out,
                           typename Pol<OP, T>::Acc* part) {
  using P = Pol<OP, T>;
  const int64_t o = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (o >= M) return;
  const int64_t base = w.kept.at(o);
  const int64_t r0 = blockIdx.y * chunk, r1 = min(N, r0 + chunk);
  typename P::Acc acc = P::init();
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t off = w.red.at(r);
    acc = P::step(acc, x[base + off]);
  }
  if (gridDim.y == 1) out[o] = P::finish(acc, N);
  else part[blockIdx.y * M + o] = acc;
}

// Merges G partial results per output: part[o * so + g * sg].
template <ReduceOp OP, typename T>
__global__ void merge_kernel(const typename Pol<OP, T>::Acc* part, int64_t M, int64_t G, int64_t so, int64_t sg,
                             int64_t N, T* out) {
  using P = Pol<OP, T>;
  for (int64_t o = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; o < M; o += int64_t(gridDim.x) * blockDim.x) {
    typename P::Acc acc = P::init();
    for (int64_t g = 0; g < G; ++g) acc = P::merge(acc, part[o * so + g * sg]);
    out[o] = P::finish(acc, N);
  }
}

template <ReduceOp OP, typename T>
void run(const Array& out, const Array& a, const Walk& w, int64_t M, int64_t N, bool rows) {
  using Acc = typename Pol<OP, T>::Acc;
  T* o = out.data<T>();
  const T* x = a.data<T>();
  const int64_t target = int64_t(sm_count()) * 8;  // blocks that keep the GPU busy
  if (rows) {
    // Slices of at least 16K elements, enough of them to fill the GPU.
    int64_t G = 1;
    if (M < target && N > 32768) G = std::min<int64_t>((target + M - 1) / M, (N + 16383) / 16384);
    const int64_t chunk = (N + G - 1) / G;
    if (G == 1) {
      row_kernel<OP, T><<<M, kThreads, 0, stream()>>>(x, w, N, 1, chunk, o, nullptr);
      launched("reduce");
      return;
    }
    Scratch part(sizeof(Acc) * M * G);
    row_kernel<OP, T><<<M * G, kThreads, 0, stream()>>>(x, w, N, G, chunk, o, part.as<Acc>());
    merge_kernel<OP, T><<<grid_for(M), kThreads, 0, stream()>>>(part.as<Acc>(), M, G, G, 1, N, o);
  } else {
    const int64_t bx = (M + kThreads - 1) / kThreads;
    int64_t G = 1;
    if (bx < target && N > 64) G = std::min<int64_t>({(target + bx - 1) / bx, (N + 63) / 64, 65535});
    const int64_t chunk = (N + G - 1) / G;
    G = (N + chunk - 1) / chunk;
    if (G <= 1) {
      col_kernel<OP, T><<<dim3(bx, 1), kThreads, 0, stream()>>>(x, w, M, N, N, o, nullptr);
      launched("reduce");
      return;
    }
    Scratch part(sizeof(Acc) * M * G);
    col_kernel<OP, T><<<dim3(bx, G), kThreads, 0, stream()>>>(x, w, M, N, chunk, o, part.as<Acc>());
    merge_kernel<OP, T><<<grid_for(M), kThreads, 0, stream()>>>(part.as<Acc>(), M, G, 1, M, N, o);
  }
  launched("reduce");
}

// Splits a's axes into kept and reduced walks; `rows` when the reduced
// elements of an output are the innermost in memory (stride 1).
Walk make_walk(const Array& a, const std::vector<bool>& reduced, int64_t* M, int64_t* N, bool* rows) {
  Shape ks, kst, rs, rst;
  for (int64_t d = 0; d < a.ndim(); ++d) {
    (reduced[d] ? rs : ks).push_back(a.shape()[d]);
    (reduced[d] ? rst : kst).push_back(a.strides()[d]);
  }
  Walk w;
  w.kept = make_strided<1>(ks, {&kst});
  w.red = make_strided<1>(rs, {&rst});
  *M = numel(ks);
  *N = numel(rs);
  // Rows when the innermost reduced step is 1 and the kept one is not.
  int64_t r_in = w.red.nd ? w.red.st[0][w.red.nd - 1] : 0;
  int64_t k_in = w.kept.nd ? w.kept.st[0][w.kept.nd - 1] : 0;
  *rows = *M == 1 || (r_in == 1 && k_in != 1) || (*N >= 1024 && *M < 1024 && k_in != 1);
  if (*N <= 32 && *M >= 1024) *rows = false;  // many short rows: a thread each, not a block each
  return w;
}

void reduce(ReduceOp op, const Array& out, const Array& a, const std::vector<bool>& reduced) {
  int64_t M, N;
  bool rows;
  Walk w = make_walk(a, reduced, &M, &N, &rows);
  dispatch<kAll>(a.dtype(), op_name(op), [&](auto tv) {
    using T = decltype(tv);
    if constexpr (std::is_same_v<T, bool>) {
      if (op == ReduceOp::Any) run<ReduceOp::Any, T>(out, a, w, M, N, rows);
      else run<ReduceOp::All, T>(out, a, w, M, N, rows);
    } else {
      switch (op) {
        case ReduceOp::Sum: run<ReduceOp::Sum, T>(out, a, w, M, N, rows); break;
        case ReduceOp::Mean: run<ReduceOp::Mean, T>(out, a, w, M, N, rows); break;
        case ReduceOp::Max: run<ReduceOp::Max, T>(out, a, w, M, N, rows); break;
        case ReduceOp::Min: run<ReduceOp::Min, T>(out, a, w, M, N, rows); break;
        case ReduceOp::Prod: run<ReduceOp::Prod, T>(out, a, w, M, N, rows); break;
        default: break;
      }
    }
  });
}

// ------------------------------------------------------------ argmax/argmin ----

// Whether (v, i) should replace the current best (b, j), i > j: NaN wins
// and then stays; ties keep the first.
template <bool IsMax, typename T>
__device__ __forceinline__ bool better(T v, T b) {
  if (b != b) return false;
  return IsMax ? (v > b || v != v) : (v < b || v != v);
}

// The better of two candidates in any order: ties and NaN pairs go to the lower index.
template <bool IsMax, typename T>
__device__ __forceinline__ void pick(T& b, int64_t& j, T v, int64_t i) {
  bool take = better<IsMax>(v, b) || (i < j && !better<IsMax>(b, v));
  if (take) b = v, j = i;
}

// One block per output (long rows) or one thread per output.
template <bool IsMax, typename T>
__global__ void arg_block(const T* x, Walk w, int64_t N, int64_t* out) {
  __shared__ T sv[kThreads];
  __shared__ int64_t si[kThreads];
  const int64_t base = w.kept.at(blockIdx.x);
  T b = x[base];
  int64_t j = 0;
  for (int64_t r = threadIdx.x; r < N; r += blockDim.x) {
    const int64_t off = w.red.at(r);
    pick<IsMax>(b, j, x[base + off], r);
  }
  sv[threadIdx.x] = b, si[threadIdx.x] = j;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s /= 2) {
    if (threadIdx.x < s) {
      T v = sv[threadIdx.x];
      int64_t i = si[threadIdx.x];
      pick<IsMax>(v, i, sv[threadIdx.x + s], si[threadIdx.x + s]);
      sv[threadIdx.x] = v, si[threadIdx.x] = i;
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = si[0];
}

template <bool IsMax, typename T>
__global__ void arg_thread(const T* x, Walk w, int64_t M, int64_t N, int64_t* out) {
  const int64_t o = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (o >= M) return;
  const int64_t base = w.kept.at(o);
  T b = x[base];
  int64_t j = 0;
  for (int64_t r = 1; r < N && b == b; ++r) {
    const int64_t off = w.red.at(r);
    T v = x[base + off];
    if (better<IsMax>(v, b)) b = v, j = r;
  }
  out[o] = j;
}

void arg_reduce(bool is_max, const Array& out, const Array& a, int64_t axis) {
  std::vector<bool> red(a.ndim(), false);
  red[axis_of(axis, a.ndim())] = true;
  int64_t M, N;
  bool rows;
  Walk w = make_walk(a, red, &M, &N, &rows);
  const bool block = M < int64_t(sm_count()) * 64 && N >= 256;
  dispatch<kNumeric>(a.dtype(), is_max ? "argmax" : "argmin", [&](auto tv) {
    using T = decltype(tv);
    const T* x = a.data<T>();
    int64_t* o = out.data<int64_t>();
    const int64_t bx = (M + kThreads - 1) / kThreads;
    if (block) {
      if (is_max) arg_block<true, T><<<M, kThreads, 0, stream()>>>(x, w, N, o);
      else arg_block<false, T><<<M, kThreads, 0, stream()>>>(x, w, N, o);
    } else {
      if (is_max) arg_thread<true, T><<<bx, kThreads, 0, stream()>>>(x, w, M, N, o);
      else arg_thread<false, T><<<bx, kThreads, 0, stream()>>>(x, w, M, N, o);
    }
  });
  launched(is_max ? "argmax" : "argmin");
}

}  // namespace

void fill_reduce(DeviceKernels* k) {
  k->reduce = reduce;
  k->arg_reduce = arg_reduce;
}

}  // namespace cuda
}  // namespace tl
