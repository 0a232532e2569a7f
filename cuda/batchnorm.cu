// Batch normalization on the GPU (csrc/batchnorm.h): x is viewed as (outer,
// C, inner) around the channel axis. Per-channel sums take a block per
// channel and accumulate in double, as the CPU does (in another order); the
// statistics make two passes (the variance around the mean: no
// cancellation). apply folds each channel's coefficients once (in double, as
// the CPU), then one multiply-add per element. The training ops compose these
// kernels: statistics then apply; the gradient's sums, its per-channel terms,
// then dx in one elementwise pass.
#include <cmath>

#include "common.cuh"

namespace tl {
namespace cuda {
namespace {

constexpr int kThreads = 256;  // a multiple of 32: block_sum works by warps

#define TL_GRID_LOOP(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

// The sum of v over the block, in thread 0. Every thread of the block calls it.
__device__ double block_sum(double v, double* shared /* 32 values */) {
#pragma unroll
  for (int d = 16; d > 0; d >>= 1) v += __shfl_down_sync(0xffffffffu, v, d);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  __syncthreads();  // the previous call's reads of `shared` are done
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < int(blockDim.x / 32) ? shared[lane] : 0.0;
#pragma unroll
    for (int d = 16; d > 0; d >>= 1) v += __shfl_down_sync(0xffffffffu, v, d);
  }
  return v;
}

// Element e of channel ch's outer * inner values.
__device__ __forceinline__ int64_t at(int64_t e, int64_t ch, int64_t c, int64_t inner) {
  return ((e / inner) * c + ch) * inner + e % inner;
}

template <typename T>
__global__ void __launch_bounds__(kThreads) stats_kernel(T* out_mean, T* out_var, const T* x, int64_t outer, int64_t c,
                                                         int64_t inner) {
  __shared__ double shared[32];
  __shared__ double mean_of_block;
  const int64_t m = outer * inner;
  for (int64_t ch = blockIdx.x; ch < c; ch += gridDim.x) {
    double s = 0;
    for (int64_t e = threadIdx.x; e < m; e += blockDim.x) s += static_cast<double>(x[at(e, ch, c, inner)]);
    s = block_sum(s, shared);
    if (threadIdx.x == 0) mean_of_block = s / static_cast<double>(m);
    __syncthreads();
    const double mean = mean_of_block;
    double q = 0;
    for (int64_t e = threadIdx.x; e < m; e += blockDim.x) {
      const double d = static_cast<double>(x[at(e, ch, c, inner)]) - mean;
      q += d * d;
    }
    q = block_sum(q, shared);
    if (threadIdx.x == 0) out_mean[ch] = static_cast<T>(mean), out_var[ch] = static_cast<T>(q / static_cast<double>(m));
    __syncthreads();  // mean_of_block is read before the next channel writes it
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads) grad_sums_kernel(T* out, const T* dy, const T* x, const T* mean,
                                                             int64_t outer, int64_t c, int64_t inner) {
  __shared__ double shared[32];
  const int64_t m = outer * inner;
  for (int64_t ch = blockIdx.x; ch < c; ch += gridDim.x) {
    const double mu = static_cast<double>(mean[ch]);
    double s0 = 0, s1 = 0;
    for (int64_t e = threadIdx.x; e < m; e += blockDim.x) {
      const int64_t i = at(e, ch, c, inner);
      const double d = static_cast<double>(dy[i]);
      s0 += d;
      s1 += d * (static_cast<double>(x[i]) - mu);
    }
    s0 = block_sum(s0, shared);
    s1 = block_sum(s1, shared);
    if (threadIdx.x == 0) out[ch] = static_cast<T>(s0), out[c + ch] = static_cast<T>(s1);
  }
}

// a = scale / sqrt(var + epsilon), b = offset - mean * a, in double (no
// contraction, as the CPU rounds them), stored as T.
template <typename T>
__global__ void coefficients_kernel(T* a, T* b, const T* mean, const T* var, const T* scale, const T* offset,
                                    double epsilon, int64_t c) {
  TL_GRID_LOOP(k, c) {
    const double ak = __ddiv_rn(static_cast<double>(scale[k]), sqrt(__dadd_rn(static_cast<double>(var[k]), epsilon)));
    a[k] = static_cast<T>(ak);
    b[k] = static_cast<T>(__dsub_rn(static_cast<double>(offset[k]), __dmul_rn(static_cast<double>(mean[k]), ak)));
  }
}

template <typename T>
__global__ void affine_kernel(T* y, const T* x, const T* a, const T* b, int64_t c, int64_t inner, int64_t total) {
  TL_GRID_LOOP(e, total) {
    const int64_t ch = inner == 1 ? e % c : (e / inner) % c;
    y[e] = x[e] * a[ch] + b[ch];
  }
}

int channel_blocks(int64_t c) {
  const int64_t cap = int64_t(sm_count()) * 8;
  return static_cast<int>(c < cap ? c : cap);
}

void batch_norm_stats(const Array& stats, const Array& x, int64_t outer, int64_t c, int64_t inner) {
  dispatch<kFloat>(x.dtype(), "batch_norm_stats", [&](auto tv) {
    using T = decltype(tv);
    stats_kernel<T><<<channel_blocks(c), kThreads, 0, stream()>>>(stats.data<T>(), stats.data<T>() + c, x.data<T>(),
                                                                  outer, c, inner);
  });
  launched("batch_norm_stats");
}

void batch_norm_grad_sums(const Array& sums, const Array& dy, const Array& x, const Array& mean, int64_t outer,
                          int64_t c, int64_t inner) {
  dispatch<kFloat>(x.dtype(), "batch_norm_grad_sums", [&](auto tv) {
    using T = decltype(tv);
    grad_sums_kernel<T><<<channel_blocks(c), kThreads, 0, stream()>>>(sums.data<T>(), dy.data<T>(), x.data<T>(),
                                                                       mean.data<T>(), outer, c, inner);
  });
  launched("batch_norm_grad_sums");
}

void channel_affine(const Array& y, const Array& x, const Array& a, const Array& b, int64_t outer, int64_t c,
                    int64_t inner) {
  const int64_t total = outer * c * inner;
  dispatch<kFloat>(x.dtype(), "channel_affine", [&](auto tv) {
    using T = decltype(tv);
    affine_kernel<T><<<grid_for(total), kThreads, 0, stream()>>>(y.data<T>(), x.data<T>(), a.data<T>(),
                                                                  b.data<T>(), c, inner, total);
  });
  launched("channel_affine");
}

void batch_norm_apply(const Array& y, const Array& x, const Array& mean, const Array& var, const Array& scale,
                      const Array& offset, double epsilon, int64_t outer, int64_t c, int64_t inner) {
  const int64_t total = outer * c * inner;
  dispatch<kFloat>(x.dtype(), "batch_norm_apply", [&](auto tv) {
    using T = decltype(tv);
    Scratch coef(2 * static_cast<size_t>(c) * sizeof(T));
    T* a = coef.as<T>();
    coefficients_kernel<T><<<grid_for(c), kThreads, 0, stream()>>>(a, a + c, mean.data<T>(), var.data<T>(),
                                                                   scale.data<T>(), offset.data<T>(), epsilon, c);
    launched("batch_norm_apply");
    affine_kernel<T><<<grid_for(total), kThreads, 0, stream()>>>(y.data<T>(), x.data<T>(), a, a + c, c, inner,
                                                                  total);
  });
  launched("batch_norm_apply");
}

// The gradient's per-channel terms (batchnorm.cpp): dscale, doffset and the
// coefficients of dx = A dy + B (x - mean) + C, from the sums s0, s1.
template <typename T>
__global__ void grad_coefficients_kernel(T* dscale, T* doffset, T* coef, const T* sums, const T* var,
                                         const T* scale, const T* dmean, const T* dvar, double epsilon, double m,
                                         int64_t c) {
  TL_GRID_LOOP(k, c) {
    const double s0 = static_cast<double>(sums[k]), s1 = static_cast<double>(sums[c + k]);
    const double inv = 1.0 / sqrt(static_cast<double>(var[k]) + epsilon), si = static_cast<double>(scale[k]) * inv;
    dscale[k] = static_cast<T>(s1 * inv), doffset[k] = static_cast<T>(s0);
    coef[k] = static_cast<T>(si);
    coef[c + k] = static_cast<T>(((dvar ? 2.0 * static_cast<double>(dvar[k]) : 0.0) - si * inv * inv * s1) / m);
    coef[2 * c + k] = static_cast<T>(((dmean ? static_cast<double>(dmean[k]) : 0.0) - si * s0) / m);
  }
}

template <typename T>
__global__ void grad_dx_kernel(T* dx, const T* dy, const T* x, const T* mean, const T* coef, int64_t c, int64_t inner,
                               int64_t total) {
  TL_GRID_LOOP(e, total) {
    const int64_t ch = inner == 1 ? e % c : (e / inner) % c;
    dx[e] = dy[e] * coef[ch] + (x[e] - mean[ch]) * coef[c + ch] + coef[2 * c + ch];
  }
}

// Training mode: the statistics kernel writes mean and var, then apply.
void batch_norm_train(const Array& y, const Array& mean, const Array& var, const Array& x, const Array& scale,
                      const Array& offset, double epsilon, int64_t outer, int64_t c, int64_t inner) {
  dispatch<kFloat>(x.dtype(), "batch_norm_train", [&](auto tv) {
    using T = decltype(tv);
    stats_kernel<T><<<channel_blocks(c), kThreads, 0, stream()>>>(mean.data<T>(), var.data<T>(), x.data<T>(), outer,
                                                                  c, inner);
  });
  launched("batch_norm_train");
  batch_norm_apply(y, x, mean, var, scale, offset, epsilon, outer, c, inner);
}

void batch_norm_train_grad(const Array& dx, const Array& dscale, const Array& doffset, const Array& dy,
                           const Array& x, const Array& mean, const Array& var, const Array& scale,
                           const Array* dmean, const Array* dvar, double epsilon, int64_t outer, int64_t c,
                           int64_t inner) {
  const int64_t total = outer * c * inner;
  dispatch<kFloat>(x.dtype(), "batch_norm_train_grad", [&](auto tv) {
    using T = decltype(tv);
    Scratch work(5 * static_cast<size_t>(c) * sizeof(T));
    T *sums = work.as<T>(), *coef = sums + 2 * c;
    grad_sums_kernel<T><<<channel_blocks(c), kThreads, 0, stream()>>>(sums, dy.data<T>(), x.data<T>(),
                                                                       mean.data<T>(), outer, c, inner);
    launched("batch_norm_train_grad");
    grad_coefficients_kernel<T><<<grid_for(c), kThreads, 0, stream()>>>(
        dscale.data<T>(), doffset.data<T>(), coef, sums, var.data<T>(), scale.data<T>(),
        dmean ? dmean->data<T>() : nullptr, dvar ? dvar->data<T>() : nullptr, epsilon,
        static_cast<double>(outer * inner), c);
    launched("batch_norm_train_grad");
    grad_dx_kernel<T><<<grid_for(total), kThreads, 0, stream()>>>(dx.data<T>(), dy.data<T>(), x.data<T>(),
                                                                   mean.data<T>(), coef, c, inner, total);
  });
  launched("batch_norm_train_grad");
}

}  // namespace

void fill_batchnorm(DeviceKernels* k) {
  k->batch_norm_stats = batch_norm_stats;
  k->batch_norm_apply = batch_norm_apply;
  k->channel_affine = channel_affine;
  k->batch_norm_grad_sums = batch_norm_grad_sums;
  k->batch_norm_train = batch_norm_train;
  k->batch_norm_train_grad = batch_norm_train_grad;
}

}  // namespace cuda
}  // namespace tl
