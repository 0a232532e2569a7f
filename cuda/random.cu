// Philox-4x32-10 random numbers on the GPU: one thread per Philox block, the
// same counters and the same conversions as random.cpp, so a seed gives the
// same stream on both devices. Compiled without multiply-add contraction
// (CMakeLists.txt), as the CPU's is: uniform draws are bit-identical. For
// normals the logarithm, sine and cosine are evaluated in double and rounded,
// which matches a correctly rounded float library; they may differ from the
// CPU's in the last bit where its library does not round correctly.
#include <cmath>
#include <type_traits>

#include "common.cuh"

namespace tl {
namespace cuda {
namespace {

constexpr int kThreads = 256;
constexpr double kTwoPi = 6.283185307179586476925286766559;

__device__ __forceinline__ void philox(uint32_t key0, uint32_t key1, uint64_t block, uint64_t counter, uint32_t out[4]) {
  uint32_t c0 = static_cast<uint32_t>(block), c1 = static_cast<uint32_t>(block >> 32);
  uint32_t c2 = static_cast<uint32_t>(counter), c3 = static_cast<uint32_t>(counter >> 32);
  uint32_t k0 = key0, k1 = key1;
#pragma unroll
  for (int r = 0; r < 10; ++r) {
    const uint32_t lo0 = 0xD2511F53u * c0, hi0 = __umulhi(0xD2511F53u, c0);
    const uint32_t lo1 = 0xCD9E8D57u * c2, hi1 = __umulhi(0xCD9E8D57u, c2);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

__device__ __forceinline__ double unit24(uint32_t w) { return static_cast<double>(w >> 8) * (1.0 / 16777216.0); }
__device__ __forceinline__ double unit53(uint32_t a, uint32_t b) {
  uint64_t x = ((static_cast<uint64_t>(a) << 32) | b) >> 11;
  return static_cast<double>(x) * (1.0 / 9007199254740992.0);
}

template <typename T>
constexpr int per_block() { return sizeof(T) == 8 ? 2 : 4; }

template <typename T>
__device__ __forceinline__ void uniforms(const uint32_t w[4], double u[4]) {
  if (per_block<T>() == 4) {
#pragma unroll
    for (int j = 0; j < 4; ++j) u[j] = unit24(w[j]);
  } else {
    u[0] = unit53(w[0], w[1]);
    u[1] = unit53(w[2], w[3]);
  }
}

// Correctly rounded (but for double rounding) float functions via double.
__device__ __forceinline__ float rlog(float x) { return static_cast<float>(log(static_cast<double>(x))); }
__device__ __forceinline__ float rcos(float x) { return static_cast<float>(cos(static_cast<double>(x))); }
__device__ __forceinline__ float rsin(float x) { return static_cast<float>(sin(static_cast<double>(x))); }
__device__ __forceinline__ double rlog(double x) { return log(x); }
__device__ __forceinline__ double rcos(double x) { return cos(x); }
__device__ __forceinline__ double rsin(double x) { return sin(x); }

template <typename T>
__device__ __forceinline__ void normals(const uint32_t w[4], T z[4]) {
  double u[4];
  uniforms<T>(w, u);
#pragma unroll
  for (int j = 0; j < per_block<T>(); j += 2) {
    T r = sqrt(T(-2) * rlog(T(1) - static_cast<T>(u[j])));
    T theta = static_cast<T>(kTwoPi) * static_cast<T>(u[j + 1]);
    z[j] = r * rcos(theta);
    z[j + 1] = r * rsin(theta);
  }
}

#define TL_BLOCKS(k, blocks) \
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < (blocks); k += int64_t(gridDim.x) * blockDim.x)

template <typename T>
__global__ void uniform_kernel(T* p, int64_t n, T lo, T span, uint32_t s0, uint32_t s1, uint64_t counter) {
  constexpr int per = per_block<T>();
  TL_BLOCKS(k, (n + per - 1) / per) {
    uint32_t w[4];
    philox(s0, s1, k, counter, w);
    double u[4];
    uniforms<T>(w, u);
    const int64_t first = k * per;
    for (int j = 0; j < per && first + j < n; ++j) p[first + j] = lo + static_cast<T>(u[j]) * span;
  }
}

template <typename T>
__global__ void uniform_int_kernel(T* p, int64_t n, int64_t minval, uint64_t range, uint32_t s0, uint32_t s1,
                                   uint64_t counter) {
  constexpr int per = per_block<T>();
  TL_BLOCKS(k, (n + per - 1) / per) {
    uint32_t w[4];
    philox(s0, s1, k, counter, w);
    const int64_t first = k * per;
    for (int j = 0; j < per && first + j < n; ++j) {
      uint64_t x = sizeof(T) == 8 ? (static_cast<uint64_t>(w[2 * j]) << 32) | w[2 * j + 1] : w[j];
      p[first + j] = static_cast<T>(static_cast<uint64_t>(minval) + x % range);
    }
  }
}

template <typename T>
__global__ void normal_kernel(T* p, int64_t n, double mean, double stddev, uint32_t s0, uint32_t s1,
                              uint64_t counter) {
  constexpr int per = per_block<T>();
  TL_BLOCKS(k, (n + per - 1) / per) {
    uint32_t w[4];
    philox(s0, s1, k, counter, w);
    T z[4];
    normals<T>(w, z);
    const int64_t first = k * per;
    for (int j = 0; j < per && first + j < n; ++j) p[first + j] = static_cast<T>(mean + stddev * z[j]);
  }
}

// Attempt a of block k reads block k with a in the top 16 bits of its high
// word; a value outside two standard deviations waits for the next attempt.
template <typename T>
__global__ void truncated_kernel(T* p, int64_t n, double mean, double stddev, uint32_t s0, uint32_t s1,
                                 uint64_t counter) {
  constexpr int per = per_block<T>();
  TL_BLOCKS(k, (n + per - 1) / per) {
    uint32_t w[4];
    philox(s0, s1, k, counter, w);
    const int64_t first = k * per;
    const int count = static_cast<int>(n - first < per ? n - first : per);
    bool done[4] = {false, false, false, false};
    int left = count;
    for (uint64_t a = 1; left > 0; ++a) {
      T z[4];
      normals<T>(w, z);
      for (int j = 0; j < count; ++j)
        if (!done[j] && fabs(z[j]) <= T(2)) {
          p[first + j] = static_cast<T>(mean + stddev * z[j]);
          done[j] = true;
          --left;
        }
      if (left > 0) philox(s0, s1, static_cast<uint64_t>(k) ^ ((a & 0xFFFF) << 48), counter, w);
    }
  }
}

int64_t blocks_of(const Array& out) {
  const int per = out.itemsize() == 8 ? 2 : 4;
  return (out.size() + per - 1) / per;
}

void random_uniform(const Array& out, double minval, double maxval, uint64_t seed, uint64_t counter) {
  const uint32_t s0 = static_cast<uint32_t>(seed), s1 = static_cast<uint32_t>(seed >> 32);
  dispatch<kFloat>(out.dtype(), "random_uniform", [&](auto tv) {
    using T = decltype(tv);
    uniform_kernel<T><<<grid_for(blocks_of(out)), kThreads, 0, stream()>>>(
        out.data<T>(), out.size(), static_cast<T>(minval), static_cast<T>(maxval - minval), s0, s1, counter);
  });
  launched("random_uniform");
}

void random_uniform_int(const Array& out, int64_t minval, int64_t maxval, uint64_t seed, uint64_t counter) {
  const uint32_t s0 = static_cast<uint32_t>(seed), s1 = static_cast<uint32_t>(seed >> 32);
  const uint64_t range = static_cast<uint64_t>(maxval) - static_cast<uint64_t>(minval);
  dispatch<kInt>(out.dtype(), "random_uniform_int", [&](auto tv) {
    using T = decltype(tv);
    uniform_int_kernel<T><<<grid_for(blocks_of(out)), kThreads, 0, stream()>>>(out.data<T>(), out.size(), minval,
                                                                                range, s0, s1, counter);
  });
  launched("random_uniform_int");
}

void random_normal(const Array& out, double mean, double stddev, uint64_t seed, uint64_t counter) {
  const uint32_t s0 = static_cast<uint32_t>(seed), s1 = static_cast<uint32_t>(seed >> 32);
  dispatch<kFloat>(out.dtype(), "random_normal", [&](auto tv) {
    using T = decltype(tv);
    normal_kernel<T><<<grid_for(blocks_of(out)), kThreads, 0, stream()>>>(out.data<T>(), out.size(), mean, stddev,
                                                                           s0, s1, counter);
  });
  launched("random_normal");
}

void truncated_normal(const Array& out, double mean, double stddev, uint64_t seed, uint64_t counter) {
  const uint32_t s0 = static_cast<uint32_t>(seed), s1 = static_cast<uint32_t>(seed >> 32);
  dispatch<kFloat>(out.dtype(), "truncated_normal", [&](auto tv) {
    using T = decltype(tv);
    truncated_kernel<T><<<grid_for(blocks_of(out)), kThreads, 0, stream()>>>(out.data<T>(), out.size(), mean,
                                                                              stddev, s0, s1, counter);
  });
  launched("truncated_normal");
}

}  // namespace

void fill_random(DeviceKernels* k) {
  k->random_uniform = random_uniform;
  k->random_uniform_int = random_uniform_int;
  k->random_normal = random_normal;
  k->truncated_normal = truncated_normal;
}

}  // namespace cuda
}  // namespace tl
