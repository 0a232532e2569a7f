// Vectorised contiguous kernels. This file is compiled three times with
// different -m flags and TL_ISA set to baseline, avx2 or avx512. Everything
// here is in an anonymous namespace and uses only compiler builtins, so no
// inline function compiled for one ISA can be picked by the linker for
// another.
#include "isa/table.h"

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

namespace tl {
namespace TL_ISA {
namespace {

struct Add { template <typename T> static T f(T x, T y) { return x + y; } };
struct Sub { template <typename T> static T f(T x, T y) { return x - y; } };
struct Mul { template <typename T> static T f(T x, T y) { return x * y; } };
struct Div { template <typename T> static T f(T x, T y) { return x / y; } };
// NaN-propagating like numpy's maximum/minimum.
struct Max { template <typename T> static T f(T x, T y) { return (x > y || x != x) ? x : y; } };
struct Min { template <typename T> static T f(T x, T y) { return (x < y || x != x) ? x : y; } };

#if defined(__AVX512F__) || defined(__AVX2__)
#if defined(__AVX512F__)
constexpr int kVecBytes = 64;
void store_nt(float* p, const void* v) { _mm512_stream_ps(p, _mm512_loadu_ps(v)); }
void store_nt(double* p, const void* v) { _mm512_stream_pd(p, _mm512_loadu_pd(v)); }
#else
constexpr int kVecBytes = 32;
void store_nt(float* p, const void* v) { _mm256_stream_ps(p, _mm256_loadu_ps(static_cast<const float*>(v))); }
void store_nt(double* p, const void* v) { _mm256_stream_pd(p, _mm256_loadu_pd(static_cast<const double*>(v))); }
#endif

// Non-temporal stores: a plain store first reads each output line into the
// cache, a third more memory traffic for an output that will not stay there.
template <typename Op, typename T>
void binary_stream(const T* a, const T* b, T* out, int64_t n, int mode) {
  typedef T V __attribute__((vector_size(kVecBytes)));
  constexpr int64_t W = kVecBytes / sizeof(T);
  auto at = [&](int64_t i) { return Op::f(mode == 2 ? a[0] : a[i], mode == 1 ? b[0] : b[i]); };
  int64_t i = 0;
  for (; i < n && reinterpret_cast<uintptr_t>(out + i) % kVecBytes != 0; ++i) out[i] = at(i);
  const V a0 = V{} + a[0], b0 = V{} + b[0];
  for (; i + W <= n; i += W) {
    V x = a0, y = b0;
    if (mode != 2) __builtin_memcpy(&x, a + i, sizeof(V));
    if (mode != 1) __builtin_memcpy(&y, b + i, sizeof(V));
    V r = Op::f(x, y);
    store_nt(out + i, &r);
  }
  for (; i < n; ++i) out[i] = at(i);
  _mm_sfence();  // the stores are weakly ordered: finish them before another thread reads
}
#endif

template <typename Op, typename T>
void binary(const T* __restrict a, const T* __restrict b, T* __restrict out, int64_t n, int mode) {
#if defined(__AVX512F__) || defined(__AVX2__)
  if (mode & kStreamOut) return binary_stream<Op>(a, b, out, n, mode & ~kStreamOut);
#endif
  mode &= ~kStreamOut;
  if (mode == 0) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) out[i] = Op::f(a[i], b[i]);
  } else if (mode == 1) {
    const T y = b[0];
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) out[i] = Op::f(a[i], y);
  } else {
    const T x = a[0];
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) out[i] = Op::f(x, b[i]);
  }
}

struct Neg { template <typename T> static T f(T x) { return -x; } };
struct Abs { template <typename T> static T f(T x) { return x < T(0) ? -x : (x == T(0) ? T(0) : x); } };
struct Square { template <typename T> static T f(T x) { return x * x; } };
struct Sqrt {
  static float f(float x) { return __builtin_sqrtf(x); }
  static double f(double x) { return __builtin_sqrt(x); }
};
struct Relu { template <typename T> static T f(T x) { return x > T(0) ? x : (x != x ? x : T(0)); } };

template <typename Op, typename T>
void unary(const T* __restrict a, T* __restrict out, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) out[i] = Op::f(a[i]);
}

// Pairwise blocks of 8 partial sums keep float32 sums accurate and vectorised.
template <typename T>
double sum(const T* a, int64_t n) {
  double total = 0;
  constexpr int64_t kBlock = 4096;
  for (int64_t b = 0; b < n; b += kBlock) {
    int64_t e = b + kBlock < n ? b + kBlock : n;
    T acc[16] = {};
    int64_t i = b;
    for (; i + 16 <= e; i += 16)
      for (int k = 0; k < 16; ++k) acc[k] += a[i + k];
    T part = 0;
    for (; i < e; ++i) part += a[i];
    for (int k = 0; k < 16; ++k) part += acc[k];
    total += part;
  }
  return total;
}

template <typename T, typename Tab>
void fill(Tab& bin, T) {
  bin[kVAdd] = binary<Add, T>;
  bin[kVSub] = binary<Sub, T>;
  bin[kVMul] = binary<Mul, T>;
  bin[kVDiv] = binary<Div, T>;
  bin[kVMax] = binary<Max, T>;
  bin[kVMin] = binary<Min, T>;
}

template <typename T, typename Tab>
void fill_unary(Tab& un, T) {
  un[kVNeg] = unary<Neg, T>;
  un[kVAbs] = unary<Abs, T>;
  un[kVSquare] = unary<Square, T>;
  un[kVSqrt] = unary<Sqrt, T>;
  un[kVRelu] = unary<Relu, T>;
}

#if defined(__F16C__)
// float16 conversions, 8 values at a time (F16C); the tail through a padded buffer.
void half_to_float(const uint16_t* a, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i))));
  if (i < n) {
    uint16_t in[8] = {0};
    float res[8];
    for (int64_t j = i; j < n; ++j) in[j - i] = a[j];
    _mm256_storeu_ps(res, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in))));
    for (int64_t j = i; j < n; ++j) out[j] = res[j - i];
  }
}
void float_to_half(const float* a, uint16_t* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(a + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  if (i < n) {
    float in[8] = {0};
    uint16_t res[8];
    for (int64_t j = i; j < n; ++j) in[j - i] = a[j];
    _mm_storeu_si128(reinterpret_cast<__m128i*>(res),
                     _mm256_cvtps_ph(_mm256_loadu_ps(in), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    for (int64_t j = i; j < n; ++j) out[j] = res[j - i];
  }
}
#endif

}  // namespace

void fill_table(IsaTable* t) {
#define TL_STR2(x) #x
#define TL_STR(x) TL_STR2(x)
  t->name = TL_STR(TL_ISA);
  fill(t->binary_f32, float{});
  fill(t->binary_f64, double{});
  fill_unary(t->unary_f32, float{});
  fill_unary(t->unary_f64, double{});
  t->sum_f32 = sum<float>;
  t->sum_f64 = sum<double>;
#if defined(__F16C__)
  t->half_to_float = half_to_float;
  t->float_to_half = float_to_half;
#else
  t->half_to_float = nullptr;
  t->float_to_half = nullptr;
#endif
}

}  // namespace TL_ISA
}  // namespace tl
