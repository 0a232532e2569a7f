// Vectorised contiguous kernels. This file is compiled three times with
// different -m flags and TL_ISA set to baseline, avx2 or avx512. Everything
// here is in an anonymous namespace and uses only compiler builtins, so no
// inline function compiled for one ISA can be picked by the linker for
// another.
#include "isa/table.h"

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

template <typename Op, typename T>
void binary(const T* __restrict a, const T* __restrict b, T* __restrict out, int64_t n, int mode) {
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
}

}  // namespace TL_ISA
}  // namespace tl
