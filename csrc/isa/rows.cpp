// Vectorised row kernels for the reductions and softmax: NaN-propagating
// max/min and a fused exp(x - shift) with its sum. Compiled once per ISA like
// kernels.cpp, with the same rules (anonymous namespace, builtins only).
#include "isa/table.h"

namespace tl {
namespace TL_ISA {
namespace {

// NaN is tracked apart from the running maximum (a NaN-aware select in the
// same loop would stop it vectorising) and wins at the end, like numpy's max.
template <bool IsMax, typename T>
T extreme(const T* __restrict a, int64_t n, T init) {
  T m = init;
  int nan = 0;
  if constexpr (IsMax) {
#pragma omp simd reduction(max : m) reduction(| : nan)
    for (int64_t i = 0; i < n; ++i) {
      m = a[i] > m ? a[i] : m;
      nan |= a[i] != a[i];
    }
  } else {
#pragma omp simd reduction(min : m) reduction(| : nan)
    for (int64_t i = 0; i < n; ++i) {
      m = a[i] < m ? a[i] : m;
      nan |= a[i] != a[i];
    }
  }
  return nan ? static_cast<T>(__builtin_nan("")) : m;
}

float max_f32(const float* a, int64_t n) { return extreme<true>(a, n, -__builtin_inff()); }
double max_f64(const double* a, int64_t n) { return extreme<true>(a, n, -__builtin_inf()); }
float min_f32(const float* a, int64_t n) { return extreme<false>(a, n, __builtin_inff()); }
double min_f64(const double* a, int64_t n) { return extreme<false>(a, n, __builtin_inf()); }

// exp for float32 written with plain arithmetic so the loop vectorises:
// exp(x) = 2^k * exp(r) with k = round(x / ln 2) and |r| <= ln(2) / 2, exp(r)
// from a degree-6 polynomial (about 1 ulp). 2^k is applied as two factors so
// results down to the subnormal range and up to overflow come out right; NaN
// passes through the arithmetic unchanged.
inline float exp_f32(float x) {
  float xc = x > 89.0f ? 89.0f : (x < -104.0f ? -104.0f : x);
  float t = xc * 1.44269504088896341f + 12582912.0f;  // adding 1.5 * 2^23 rounds to an integer
  float k = t - 12582912.0f;
  float r = xc - k * 0.693359375f;  // ln 2 in two parts keeps r exact
  r = r + k * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float y = p * r * r + r + 1.0f;
  int32_t ki = static_cast<int32_t>(k);
  int32_t k1 = ki >> 1, k2 = ki - k1;
  uint32_t b1 = static_cast<uint32_t>(k1 + 127) << 23, b2 = static_cast<uint32_t>(k2 + 127) << 23;
  float s1, s2;
  __builtin_memcpy(&s1, &b1, 4);
  __builtin_memcpy(&s2, &b2, 4);
  return y * s1 * s2;
}

double exp_shift_f32(const float* __restrict a, float* __restrict out, int64_t n, float shift) {
  constexpr int64_t kBlock = 2048;  // stays in L1 between the two passes
  double total = 0;
  for (int64_t b = 0; b < n; b += kBlock) {
    int64_t m = b + kBlock < n ? kBlock : n - b;
    const float* x = a + b;
    float* o = out + b;
#pragma omp simd
    for (int64_t i = 0; i < m; ++i) o[i] = exp_f32(x[i] - shift);
    float acc[16] = {};
    int64_t i = 0;
    for (; i + 16 <= m; i += 16)
      for (int k = 0; k < 16; ++k) acc[k] += o[i + k];
    float part = 0;
    for (; i < m; ++i) part += o[i];
    for (int k = 0; k < 16; ++k) part += acc[k];
    total += part;
  }
  return total;
}

double exp_shift_f64(const double* __restrict a, double* __restrict out, int64_t n, double shift) {
  double acc[4] = {};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int k = 0; k < 4; ++k) acc[k] += (out[i + k] = __builtin_exp(a[i + k] - shift));
  double total = 0;
  for (; i < n; ++i) total += (out[i] = __builtin_exp(a[i] - shift));
  return total + (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

}  // namespace

void fill_rows(IsaTable* t) {
  t->max_f32 = max_f32;
  t->max_f64 = max_f64;
  t->min_f32 = min_f32;
  t->min_f64 = min_f64;
  t->exp_shift_f32 = exp_shift_f32;
  t->exp_shift_f64 = exp_shift_f64;
}

}  // namespace TL_ISA
}  // namespace tl
