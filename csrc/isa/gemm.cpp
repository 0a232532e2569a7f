// GEMM micro-kernels and packing, compiled once per ISA (see CMakeLists.txt).
//
// The micro-kernel keeps an MR x NR tile of C in vector registers and walks
// k over two packed panels: per k it loads NR/W vectors of B and broadcasts
// MR scalars of A, issuing MR*NR/W independent FMAs (enough to hide the FMA
// latency). The register budget sets the tile: 32 zmm on AVX-512 (24
// accumulators), 16 ymm on AVX2 (12), 16 xmm without FMA on the baseline (8).
#include <cstring>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

#include "isa/table.h"

namespace tl {
namespace TL_ISA {
namespace {

#define TL_UNROLL _Pragma("GCC unroll 32")

// ---- one vector type per (ISA, element type) ---------------------------------

#if defined(__AVX512F__)
struct VecF32 {
  using T = float;
  using V = __m512;
  static constexpr int W = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V load(const T* p) { return _mm512_loadu_ps(p); }
  static V bcast(const T* p) { return _mm512_set1_ps(*p); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static void store(T* p, V v) { _mm512_storeu_ps(p, v); }
};
struct VecF64 {
  using T = double;
  using V = __m512d;
  static constexpr int W = 8;
  static V zero() { return _mm512_setzero_pd(); }
  static V load(const T* p) { return _mm512_loadu_pd(p); }
  static V bcast(const T* p) { return _mm512_set1_pd(*p); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static V add(V a, V b) { return _mm512_add_pd(a, b); }
  static void store(T* p, V v) { _mm512_storeu_pd(p, v); }
};
// 12 x 32 float / 12 x 16 double: 24 accumulators + 2 B vectors + 1 broadcast.
constexpr int kMrF32 = 12, kNvF32 = 2, kMrF64 = 12, kNvF64 = 2;
constexpr int kMcF32 = 144, kKcF32 = 256, kNcF32 = 4096;
constexpr int kMcF64 = 96, kKcF64 = 256, kNcF64 = 2048;
#elif defined(__AVX2__) && defined(__FMA__)
struct VecF32 {
  using T = float;
  using V = __m256;
  static constexpr int W = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V load(const T* p) { return _mm256_loadu_ps(p); }
  static V bcast(const T* p) { return _mm256_broadcast_ss(p); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static void store(T* p, V v) { _mm256_storeu_ps(p, v); }
};
struct VecF64 {
  using T = double;
  using V = __m256d;
  static constexpr int W = 4;
  static V zero() { return _mm256_setzero_pd(); }
  static V load(const T* p) { return _mm256_loadu_pd(p); }
  static V bcast(const T* p) { return _mm256_broadcast_sd(p); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static V add(V a, V b) { return _mm256_add_pd(a, b); }
  static void store(T* p, V v) { _mm256_storeu_pd(p, v); }
};
// 6 x 16 float / 6 x 8 double: 12 accumulators + 2 B vectors + 1 broadcast.
constexpr int kMrF32 = 6, kNvF32 = 2, kMrF64 = 6, kNvF64 = 2;
constexpr int kMcF32 = 120, kKcF32 = 256, kNcF32 = 4096;
constexpr int kMcF64 = 96, kKcF64 = 256, kNcF64 = 2048;
#else
// Portable: GCC/Clang vector extensions (SSE2 on x86-64, NEON elsewhere).
template <typename E, int N>
struct VecExt {
  using T = E;
  typedef E V __attribute__((vector_size(16)));
  static constexpr int W = N;
  static V zero() { return V{}; }
  static V load(const T* p) { V v; __builtin_memcpy(&v, p, sizeof v); return v; }
  static V bcast(const T* p) { return V{} + *p; }
  static V fma(V a, V b, V c) { return a * b + c; }
  static V add(V a, V b) { return a + b; }
  static void store(T* p, V v) { __builtin_memcpy(p, &v, sizeof v); }
};
using VecF32 = VecExt<float, 4>;
using VecF64 = VecExt<double, 2>;
// 4 x 8 float / 4 x 4 double: 8 accumulators + 2 B vectors + temporaries.
constexpr int kMrF32 = 4, kNvF32 = 2, kMrF64 = 4, kNvF64 = 2;
constexpr int kMcF32 = 128, kKcF32 = 256, kNcF32 = 4096;
constexpr int kMcF64 = 96, kKcF64 = 256, kNcF64 = 2048;
#endif

// ---- micro-kernel --------------------------------------------------------------

// C[m x n] (= or +=) packed A panel (MR x k) @ packed B panel (k x NR). A is
// k-major (ARS = 1, ACS = MR) or rows of stride KC (ARS = KC, ACS = 1): either
// way every broadcast is at a constant offset from one pointer. Full tiles
// write C directly; edge tiles go through a small buffer.
template <typename Vec, int MR, int NV, int ARS, int ACS>
void micro(int64_t k, const typename Vec::T* __restrict pa, const typename Vec::T* __restrict pb,
           typename Vec::T* __restrict c, int64_t ldc, int64_t m, int64_t n, int accumulate) {
  using T = typename Vec::T;
  using V = typename Vec::V;
  constexpr int W = Vec::W, NR = NV * W;
  V acc[MR][NV];
  TL_UNROLL for (int i = 0; i < MR; ++i) {
    TL_UNROLL for (int j = 0; j < NV; ++j) acc[i][j] = Vec::zero();
  }
  for (int i = 0; i < MR && i < m; ++i) __builtin_prefetch(c + i * ldc, 1);
  for (int64_t p = 0; p < k; ++p) {
    V b[NV];
    TL_UNROLL for (int j = 0; j < NV; ++j) b[j] = Vec::load(pb + j * W);
    __builtin_prefetch(pb + 8 * NR);
    TL_UNROLL for (int i = 0; i < MR; ++i) {
      V a = Vec::bcast(pa + i * ARS);
      TL_UNROLL for (int j = 0; j < NV; ++j) acc[i][j] = Vec::fma(a, b[j], acc[i][j]);
    }
    pa += ACS;
    pb += NR;
  }
  if (m == MR && n == NR) {
    TL_UNROLL for (int i = 0; i < MR; ++i) {
      TL_UNROLL for (int j = 0; j < NV; ++j) {
        T* dst = c + i * ldc + j * W;
        Vec::store(dst, accumulate ? Vec::add(Vec::load(dst), acc[i][j]) : acc[i][j]);
      }
    }
    return;
  }
  alignas(64) T tile[MR * NR];
  TL_UNROLL for (int i = 0; i < MR; ++i) {
    TL_UNROLL for (int j = 0; j < NV; ++j) Vec::store(tile + i * NR + j * W, acc[i][j]);
  }
  for (int64_t i = 0; i < m; ++i) {
    T* dst = c + i * ldc;
    const T* src = tile + i * NR;
    if (accumulate)
      for (int64_t j = 0; j < n; ++j) dst[j] += src[j];
    else
      for (int64_t j = 0; j < n; ++j) dst[j] = src[j];
  }
}

template <typename Vec, int MR, int NV, int KC>
void macro(int64_t m, int64_t n, int64_t k, const typename Vec::T* pa, const typename Vec::T* pb,
           typename Vec::T* c, int64_t ldc, int accumulate, int a_layout) {
  constexpr int64_t NR = NV * Vec::W;
  // Row-layout panels always span KC (k <= KC) so that the row stride is a
  // compile-time constant.
  const int64_t panel = a_layout ? KC : k;
  // One A panel (MR x k) stays in L1 while the B panels of the block stream
  // past it (sequential reads the hardware prefetches well).
  for (int64_t i = 0; i < m; i += MR) {
    const int64_t mr = m - i < MR ? m - i : MR;
    for (int64_t j = 0; j < n; j += NR) {
      const int64_t nr = n - j < NR ? n - j : NR;
      if (a_layout)
        micro<Vec, MR, NV, KC, 1>(k, pa + i * panel, pb + j * k, c + i * ldc + j, ldc, mr, nr, accumulate);
      else
        micro<Vec, MR, NV, 1, MR>(k, pa + i * panel, pb + j * k, c + i * ldc + j, ldc, mr, nr, accumulate);
    }
  }
}

// ---- packing -------------------------------------------------------------------

// Panels of R rows of the m x k operand a(i, p) = a[i*rs + p*cs], stored
// p-major: dst[panel][p][r]. Used for A (R = MR) and, through the transpose,
// for B (R = NR, rows = output columns).
template <typename T, int R>
void pack(int64_t m, int64_t k, const T* a, int64_t rs, int64_t cs, T* dst) {
  for (int64_t i0 = 0; i0 < m; i0 += R, dst += R * k) {
    const int64_t r = m - i0 < R ? m - i0 : R;
    const T* src = a + i0 * rs;
    if (rs == 1 && r == R) {
      // Panel rows adjacent in memory: each p is one contiguous run.
      for (int64_t p = 0; p < k; ++p) std::memcpy(dst + p * R, src + p * cs, sizeof(T) * R);
    } else if (cs == 1) {
      // Each panel row contiguous along p: read rows, scatter by R.
      for (int64_t i = 0; i < r; ++i) {
        const T* row = src + i * rs;
        for (int64_t p = 0; p < k; ++p) dst[p * R + i] = row[p];
      }
      for (int64_t i = r; i < R; ++i)
        for (int64_t p = 0; p < k; ++p) dst[p * R + i] = T(0);
    } else {
      for (int64_t p = 0; p < k; ++p) {
        for (int64_t i = 0; i < r; ++i) dst[p * R + i] = src[i * rs + p * cs];
        for (int64_t i = r; i < R; ++i) dst[p * R + i] = T(0);
      }
    }
  }
}

template <typename T, int MR, int KC>
int pack_a(int64_t m, int64_t k, const T* a, int64_t rs, int64_t cs, T* dst) {
  if (cs != 1 || k > KC) {
    pack<T, MR>(m, k, a, rs, cs, dst);
    return 0;
  }
  // Row-major A: copy whole rows (contiguous reads and writes, no transpose).
  for (int64_t i0 = 0; i0 < m; i0 += MR, dst += MR * KC) {
    const int64_t r = m - i0 < MR ? m - i0 : MR;
    for (int64_t i = 0; i < r; ++i) std::memcpy(dst + i * KC, a + (i0 + i) * rs, sizeof(T) * k);
    for (int64_t i = r; i < MR; ++i) std::memset(dst + i * KC, 0, sizeof(T) * k);
  }
  return 1;
}

// b is k x n with b(p, j) = b[p*rs + j*cs]: its transpose is n x k.
template <typename T, int NR>
void pack_b(int64_t k, int64_t n, const T* b, int64_t rs, int64_t cs, T* dst) {
  pack<T, NR>(n, k, b, cs, rs, dst);
}

// ---- small products, no packing --------------------------------------------------

template <typename T>
void small(int64_t m, int64_t n, int64_t k, const T* a, int64_t rsa, int64_t csa, const T* b,
           int64_t rsb, int64_t csb, T* __restrict c, int64_t ldc) {
  if (n < 8 && m < 8 && k < 8) {
    // Tiny: plain dot products; vector loops would only add set-up cost.
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        T s = 0;
        for (int64_t p = 0; p < k; ++p) s += a[i * rsa + p * csa] * b[p * rsb + j * csb];
        c[i * ldc + j] = s;
      }
    return;
  }
  if (n <= 2 && rsb == 1 && csa == 1) {
    // Matrix-vector shaped: dot products along contiguous k.
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        const T* x = a + i * rsa;
        const T* y = b + j * csb;
        T s = 0;
#pragma omp simd reduction(+ : s)
        for (int64_t p = 0; p < k; ++p) s += x[p] * y[p];
        c[i * ldc + j] = s;
      }
    return;
  }
  for (int64_t i = 0; i < m; ++i) {
    T* __restrict ci = c + i * ldc;
    for (int64_t j = 0; j < n; ++j) ci[j] = T(0);
    for (int64_t p = 0; p < k; ++p) {
      const T x = a[i * rsa + p * csa];
      const T* __restrict bp = b + p * rsb;
      if (csb == 1) {
#pragma omp simd
        for (int64_t j = 0; j < n; ++j) ci[j] += x * bp[j];
      } else {
        for (int64_t j = 0; j < n; ++j) ci[j] += x * bp[j * csb];
      }
    }
  }
}

}  // namespace

void fill_gemm(IsaTable* t) {
  constexpr int nr32 = kNvF32 * VecF32::W, nr64 = kNvF64 * VecF64::W;
  t->gemm_f32 = {kMrF32, nr32, kMcF32, kKcF32, kNcF32,
                 pack_a<float, kMrF32, kKcF32>, pack_b<float, nr32>, macro<VecF32, kMrF32, kNvF32, kKcF32>,
                 small<float>};
  t->gemm_f64 = {kMrF64, nr64, kMcF64, kKcF64, kNcF64,
                 pack_a<double, kMrF64, kKcF64>, pack_b<double, nr64>, macro<VecF64, kMrF64, kNvF64, kKcF64>,
                 small<double>};
}

}  // namespace TL_ISA
}  // namespace tl
