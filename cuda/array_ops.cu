// Array construction and movement on the GPU: arange, gather and its
// scatter-add gradient, one_hot.
#include <type_traits>

#include "common.cuh"

namespace tl {
namespace cuda {
namespace {

constexpr int kThreads = 256;

#define TL_GRID_LOOP(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

// start + i * delta rounded as the CPU rounds it (no fused multiply-add).
template <typename T>
__global__ void arange_kernel(T* o, double start, double delta, int64_t n) {
  TL_GRID_LOOP(i, n) {
    if constexpr (std::is_integral_v<T>) {
      o[i] = static_cast<T>(static_cast<int64_t>(uint64_t(static_cast<int64_t>(start)) +
                                                 uint64_t(i) * uint64_t(static_cast<int64_t>(delta))));
    } else {
      o[i] = static_cast<T>(__dadd_rn(start, __dmul_rn(static_cast<double>(i), delta)));
    }
  }
}

void arange(const Array& out, double start, double delta) {
  const int64_t n = out.size();
  dispatch<kNumeric>(out.dtype(), "range", [&](auto tv) {
    using T = decltype(tv);
    arange_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(out.data<T>(), start, delta, n);
  });
  launched("range");
}

int64_t prod(const Shape& s, size_t b, size_t e) {
  int64_t n = 1;
  for (size_t i = b; i < e && i < s.size(); ++i) n *= s[i];
  return n;
}

// out[o, j, i] = p[o, idx[j], i] with p (outer, n, inner), moved as words.
template <typename W, typename I>
__global__ void gather_kernel(W* out, const W* p, const I* idx, int64_t nidx, int64_t n, int64_t inner, int64_t total) {
  TL_GRID_LOOP(e, total) {
    const int64_t i = e % inner, r = e / inner, j = r % nidx, o = r / nidx;
    out[e] = p[(o * n + static_cast<int64_t>(idx[j])) * inner + i];
  }
}

void gather(const Array& out, const Array& params, const Array& indices, int64_t axis) {
  Array p = contiguous(params), ix = contiguous(indices);
  const Shape& ps = p.shape();
  axis = axis_of(axis, p.ndim());
  const int64_t n = ps[axis], inner = prod(ps, axis + 1, ps.size()), nidx = ix.size(), total = out.size();
  dispatch<kInt>(ix.dtype(), "gather", [&](auto iv) {
    using I = decltype(iv);
    auto go = [&](auto wv) {
      using W = decltype(wv);
      gather_kernel<W, I><<<grid_for(total), kThreads, 0, stream()>>>(
          static_cast<W*>(out.raw()), static_cast<const W*>(p.raw()), ix.data<I>(), nidx, n, inner, total);
    };
    if (out.itemsize() == 8) go(uint64_t{});
    else if (out.itemsize() == 4) go(uint32_t{});
    else if (out.itemsize() == 2) go(uint16_t{});
    else go(uint8_t{});
  });
  launched("gather");
}

template <typename T>
__device__ __forceinline__ void add_to(T* p, T v) {
  if constexpr (std::is_same_v<T, int64_t>)
    atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));  // wraps
  else
    atomicAdd(p, v);
}

// Adds dy[o, j, i] into out[o, idx[j], i]; repeated indices accumulate.
template <typename T, typename I>
__global__ void gather_grad_kernel(T* out, const T* dy, const I* idx, int64_t nidx, int64_t n, int64_t inner,
                                   int64_t total) {
  TL_GRID_LOOP(e, total) {
    const int64_t i = e % inner, r = e / inner, j = r % nidx, o = r / nidx;
    add_to(out + (o * n + static_cast<int64_t>(idx[j])) * inner + i, dy[e]);
  }
}

void gather_grad(const Array& out, const Array& dy_in, const Array& indices, int64_t axis) {
  Array dy = contiguous(dy_in), ix = contiguous(indices);
  const Shape& ps = out.shape();
  axis = axis_of(axis, out.ndim());
  const int64_t n = ps[axis], inner = prod(ps, axis + 1, ps.size()), nidx = ix.size(), total = dy.size();
  check(cudaMemsetAsync(out.raw(), 0, out.size() * out.itemsize(), stream()), "gather_grad");
  if (total == 0) return;
  dispatch<kNumeric>(out.dtype(), "gather_grad", [&](auto tv) {
    using T = decltype(tv);
    dispatch<kInt>(ix.dtype(), "gather_grad", [&](auto iv) {
      using I = decltype(iv);
      gather_grad_kernel<T, I><<<grid_for(total), kThreads, 0, stream()>>>(out.data<T>(), dy.data<T>(),
                                                                           ix.data<I>(), nidx, n, inner, total);
    });
  });
  launched("gather_grad");
}

// out (outer, depth, inner): on where idx[o, i] == k, off elsewhere.
template <typename T, typename I>
__global__ void one_hot_kernel(T* out, const I* idx, int64_t depth, int64_t inner, T on, T off, int64_t total) {
  TL_GRID_LOOP(e, total) {
    const int64_t i = e % inner, r = e / inner, k = r % depth, o = r / depth;
    out[e] = static_cast<int64_t>(idx[o * inner + i]) == k ? on : off;
  }
}

void one_hot(const Array& out, const Array& indices, double on, double off, int64_t axis) {
  Array ix = contiguous(indices);
  const int64_t nd = ix.ndim(), ax = axis < 0 ? nd : axis;
  const int64_t depth = out.shape()[ax], inner = prod(ix.shape(), ax, nd), total = out.size();
  dispatch<kAll>(out.dtype(), "one_hot", [&](auto tv) {
    using T = decltype(tv);
    dispatch<kInt>(ix.dtype(), "one_hot", [&](auto iv) {
      using I = decltype(iv);
      one_hot_kernel<T, I><<<grid_for(total), kThreads, 0, stream()>>>(out.data<T>(), ix.data<I>(), depth, inner,
                                                                       static_cast<T>(on), static_cast<T>(off), total);
    });
  });
  launched("one_hot");
}

}  // namespace

void fill_array_ops(DeviceKernels* k) {
  k->arange = arange;
  k->gather = gather;
  k->gather_grad = gather_grad;
  k->one_hot = one_hot;
}

}  // namespace cuda
}  // namespace tl
