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
// For helpers that take a micro-kernel's accumulators by reference: a call
// would keep them in memory.
#define TL_ALWAYS_INLINE __attribute__((always_inline)) inline

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
  // max(0, x) keeps a NaN x; adding +0 turns -0 into +0 (as the relu op does).
  static V relu(V x) { return _mm512_add_ps(_mm512_max_ps(zero(), x), zero()); }
  using M = __mmask16;
  static M mask(int n) { return static_cast<M>(n >= W ? 0xFFFF : (1u << n) - 1); }
  static V mload(const T* p, M m) { return _mm512_maskz_loadu_ps(m, p); }
  static void mstore(T* p, V v, M m) { _mm512_mask_storeu_ps(p, m, v); }
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
  static V relu(V x) { return _mm512_add_pd(_mm512_max_pd(zero(), x), zero()); }
  using M = __mmask8;
  static M mask(int n) { return static_cast<M>(n >= W ? 0xFF : (1u << n) - 1); }
  static V mload(const T* p, M m) { return _mm512_maskz_loadu_pd(m, p); }
  static void mstore(T* p, V v, M m) { _mm512_mask_storeu_pd(p, m, v); }
};
// 12 x 32 float / 12 x 16 double: 24 accumulators + 2 B vectors + 1 broadcast.
// KC here is the row stride of row-layout A panels, the largest k block they
// take: 512 values (an L1 of 48 KiB holds half its panel) plus a cache line,
// so that the panel's rows do not all map to the same few L1 sets.
constexpr int kMrF32 = 12, kNvF32 = 2, kMrF64 = 12, kNvF64 = 2;
constexpr int kMcF32 = 144, kKcF32 = 528, kNcF32 = 4096;
constexpr int kMcF64 = 96, kKcF64 = 264, kNcF64 = 2048;
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
  static V relu(V x) { return _mm256_add_ps(_mm256_max_ps(zero(), x), zero()); }
  using M = __m256i;
  static M mask(int n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }
  static V mload(const T* p, M m) { return _mm256_maskload_ps(p, m); }
  static void mstore(T* p, V v, M m) { _mm256_maskstore_ps(p, m, v); }
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
  static V relu(V x) { return _mm256_add_pd(_mm256_max_pd(zero(), x), zero()); }
  using M = __m256i;
  static M mask(int n) { return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3)); }
  static V mload(const T* p, M m) { return _mm256_maskload_pd(p, m); }
  static void mstore(T* p, V v, M m) { _mm256_maskstore_pd(p, m, v); }
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
  static V relu(V x) { return ((x > V{}) | (x != x)) ? x : V{}; }
  using M = int;
  static M mask(int n) { return n < W ? n : W; }
  static V mload(const T* p, M m) { V v{}; __builtin_memcpy(&v, p, sizeof(T) * m); return v; }
  static void mstore(T* p, V v, M m) { __builtin_memcpy(p, &v, sizeof(T) * m); }
};
using VecF32 = VecExt<float, 4>;
using VecF64 = VecExt<double, 2>;
// 4 x 8 float / 4 x 4 double: 8 accumulators + 2 B vectors + temporaries.
constexpr int kMrF32 = 4, kNvF32 = 2, kMrF64 = 4, kNvF64 = 2;
constexpr int kMcF32 = 128, kKcF32 = 256, kNcF32 = 4096;
constexpr int kMcF64 = 96, kKcF64 = 256, kNcF64 = 2048;
#endif

// ---- micro-kernel --------------------------------------------------------------

template <typename T>
T relu_scalar(T x) { return x > T(0) ? x : (x != x ? x : T(0)); }

// Masks for the NV vectors of a tile row of which the first n columns exist.
template <typename Vec, int NV>
TL_ALWAYS_INLINE void edge_masks(int64_t n, typename Vec::M (&mk)[NV]) {
  constexpr int W = Vec::W;
  TL_UNROLL for (int j = 0; j < NV; ++j) {
    const int64_t left = n - j * W;
    mk[j] = Vec::mask(static_cast<int>(left < 0 ? 0 : left > W ? W : left));
  }
}

// Writes the first m rows of a register tile into C (rows contiguous) with the
// write-back of the last k block of a Dense layer, c = act(c + bias[j]) (bias
// along the columns); only the columns in the masks when MASKED.
template <typename Vec, int MR, int NV, bool MASKED>
TL_ALWAYS_INLINE void store_epilogue(typename Vec::V (&acc)[MR][NV], typename Vec::T* c, int64_t ldc, int64_t m,
                                     int accumulate, const typename Vec::T* bias, int act,
                                     const typename Vec::M (&mk)[NV]) {
  using V = typename Vec::V;
  constexpr int W = Vec::W;
  V bv[NV];
  TL_UNROLL for (int j = 0; j < NV; ++j)
    bv[j] = !bias ? Vec::zero() : MASKED ? Vec::mload(bias + j * W, mk[j]) : Vec::load(bias + j * W);
  TL_UNROLL for (int i = 0; i < MR; ++i) {
    if (i >= m) break;
    TL_UNROLL for (int j = 0; j < NV; ++j) {
      typename Vec::T* dst = c + i * ldc + j * W;
      V v = acc[i][j];
      if (accumulate) v = Vec::add(MASKED ? Vec::mload(dst, mk[j]) : Vec::load(dst), v);
      if (bias) v = Vec::add(v, bv[j]);
      if (act) v = Vec::relu(v);
      if (MASKED)
        Vec::mstore(dst, v, mk[j]);
      else
        Vec::store(dst, v);
    }
  }
}

// An m x n corner of a tile (row stride ldt) into C at any strides, with the
// epilogue: bias element (i, j) at bias[i*brs + j*bcs].
template <typename T>
void write_tile(const T* tile, int64_t ldt, int64_t m, int64_t n, T* c, int64_t rsc, int64_t csc, int accumulate,
                const T* bias, int64_t brs, int64_t bcs, int act) {
  const bool by_column = csc > rsc;  // walk C's unit-stride axis innermost
  const int64_t outer = by_column ? n : m, inner = by_column ? m : n;
  for (int64_t u = 0; u < outer; ++u) {
    for (int64_t v = 0; v < inner; ++v) {
      const int64_t i = by_column ? v : u, j = by_column ? u : v;
      T* dst = c + i * rsc + j * csc;
      T x = tile[i * ldt + j];
      if (accumulate) x = *dst + x;
      if (bias) x += bias[i * brs + j * bcs];
      if (act) x = relu_scalar(x);
      *dst = x;
    }
  }
}

// C[m x n] (= or +=) packed A panel (MR x k) @ packed B panel (k x NR). A is
// k-major (ARS = 1, ACS = MR) or rows of stride KC (ARS = KC, ACS = 1): either
// way every broadcast is at a constant offset from one pointer. Full tiles
// write C directly; edge tiles go through a small buffer.
template <typename Vec, int MR, int NV, int ARS, int ACS>
void micro(int64_t k, const typename Vec::T* __restrict pa, const typename Vec::T* __restrict pb,
           typename Vec::T* __restrict c, int64_t ldc, int64_t m, int64_t n, int accumulate,
           const typename Vec::T* bias, int act) {
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
    if (!bias && !act) {
      TL_UNROLL for (int i = 0; i < MR; ++i) {
        TL_UNROLL for (int j = 0; j < NV; ++j) {
          T* dst = c + i * ldc + j * W;
          Vec::store(dst, accumulate ? Vec::add(Vec::load(dst), acc[i][j]) : acc[i][j]);
        }
      }
    } else {
      typename Vec::M mk[NV];
      store_epilogue<Vec, MR, NV, false>(acc, c, ldc, MR, accumulate, bias, act, mk);
    }
    return;
  }
  typename Vec::M mk[NV];
  edge_masks<Vec, NV>(n, mk);
  store_epilogue<Vec, MR, NV, true>(acc, c, ldc, m, accumulate, bias, act, mk);
}

template <typename Vec, int MR, int NV, int KC>
void macro(int64_t m, int64_t n, int64_t k, const typename Vec::T* pa, const typename Vec::T* pb,
           typename Vec::T* c, int64_t ldc, int accumulate, int a_layout, const typename Vec::T* bias, int act) {
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
        micro<Vec, MR, NV, KC, 1>(k, pa + i * panel, pb + j * k, c + i * ldc + j, ldc, mr, nr, accumulate,
                                  bias ? bias + j : nullptr, act);
      else
        micro<Vec, MR, NV, 1, MR>(k, pa + i * panel, pb + j * k, c + i * ldc + j, ldc, mr, nr, accumulate,
                                  bias ? bias + j : nullptr, act);
    }
  }
}

// ---- direct: no packing ----------------------------------------------------------

// C[m x n] = act(A @ B + bias) for one MR x NR tile read straight from the
// operands: A at any strides (MR broadcasts per k, each from its own row), B
// with unit column stride (NV vector loads per k from row p; masked loads for
// the last columns when EDGE). For products whose packing would cost as much
// as the arithmetic: few rows (the B panel is used by few A panels) or few
// columns. Rows past m repeat row 0 so the loop has no branches.
template <typename Vec, int MR, int NV, bool EDGE>
void micro_direct(int64_t k, const typename Vec::T* a, int64_t rsa, int64_t csa, const typename Vec::T* b,
                  int64_t rsb, typename Vec::T* c, int64_t rsc, int64_t csc, int64_t m, int64_t n,
                  const typename Vec::T* bias, int64_t brs, int64_t bcs, int act) {
  using T = typename Vec::T;
  using V = typename Vec::V;
  constexpr int W = Vec::W, NR = NV * W;
  const T* ar[MR];
  TL_UNROLL for (int i = 0; i < MR; ++i) ar[i] = a + (i < m ? i : 0) * rsa;
  V acc[MR][NV];
  TL_UNROLL for (int i = 0; i < MR; ++i) {
    TL_UNROLL for (int j = 0; j < NV; ++j) acc[i][j] = Vec::zero();
  }
  typename Vec::M mk[NV];
  edge_masks<Vec, NV>(n, mk);
  int64_t q = 0;
  for (int64_t p = 0; p < k; ++p, q += csa, b += rsb) {
    V bv[NV];
    TL_UNROLL for (int j = 0; j < NV; ++j) bv[j] = EDGE ? Vec::mload(b + j * W, mk[j]) : Vec::load(b + j * W);
    TL_UNROLL for (int i = 0; i < MR; ++i) {
      V x = Vec::bcast(ar[i] + q);
      TL_UNROLL for (int j = 0; j < NV; ++j) acc[i][j] = Vec::fma(x, bv[j], acc[i][j]);
    }
  }
  if (csc == 1 && (!bias || (brs == 0 && bcs == 1))) {
    store_epilogue<Vec, MR, NV, EDGE>(acc, c, rsc, m, 0, bias, act, mk);
    return;
  }
  alignas(64) T tile[MR * NR];
  TL_UNROLL for (int i = 0; i < MR; ++i) {
    TL_UNROLL for (int j = 0; j < NV; ++j) Vec::store(tile + i * NR + j * W, acc[i][j]);
  }
  write_tile(tile, NR, m, n, c, rsc, csc, 0, bias, brs, bcs, act);
}

// Every tile of an m x n block, column panel by column panel: a B panel
// (k x NR) is read once from memory and then from cache by each row tile.
template <typename Vec, int MR, int NV>
void direct(int64_t m, int64_t n, int64_t k, const typename Vec::T* a, int64_t rsa, int64_t csa,
            const typename Vec::T* b, int64_t rsb, typename Vec::T* c, int64_t rsc, int64_t csc,
            const typename Vec::T* bias, int64_t brs, int64_t bcs, int act) {
  constexpr int64_t W = Vec::W, NR = NV * W;
  for (int64_t j = 0; j < n; j += NR) {
    const int64_t nj = n - j < NR ? n - j : NR;
    const typename Vec::T* bj = b + j;
    const typename Vec::T* biasj = bias ? bias + j * bcs : nullptr;
    for (int64_t i = 0; i < m; i += MR) {
      const int64_t mi = m - i < MR ? m - i : MR;
      const typename Vec::T* ai = a + i * rsa;
      typename Vec::T* cij = c + i * rsc + j * csc;
      const typename Vec::T* bij = biasj ? biasj + i * brs : nullptr;
      if (nj == NR)
        micro_direct<Vec, MR, NV, false>(k, ai, rsa, csa, bj, rsb, cij, rsc, csc, mi, nj, bij, brs, bcs, act);
      else if (nj <= W)
        micro_direct<Vec, MR, 1, true>(k, ai, rsa, csa, bj, rsb, cij, rsc, csc, mi, nj, bij, brs, bcs, act);
      else
        micro_direct<Vec, MR, NV, true>(k, ai, rsa, csa, bj, rsb, cij, rsc, csc, mi, nj, bij, brs, bcs, act);
    }
  }
}

// ---- packing -------------------------------------------------------------------

// Transposes whole 16 x 16 float tiles of a panel whose rows are contiguous
// along p: dst[p*R + i] = src[i*rs + p] for p < k rounded down to 16, R a
// multiple of 16. Returns how many p it did (the caller does the rest).
#if defined(__AVX512F__)
template <int R>
int64_t transpose_tiles(const float* src, int64_t rs, int64_t k, float* dst) {
  static_assert(R % 16 == 0, "whole tiles only");
  const int64_t kk = k / 16 * 16;
  for (int64_t p0 = 0; p0 < kk; p0 += 16) {
    for (int h = 0; h < R; h += 16) {
      __m512 r[16], t[16], u[16];
      for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + (h + i) * rs + p0);
      // 32-bit then 64-bit interleaves give, in each 128-bit lane, 4-row
      // pieces of one column; 128-bit shuffles then gather the 4 pieces.
      for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
      }
      for (int i = 0; i < 16; i += 4) {
        for (int j = 0; j < 2; ++j) {
          const __m512d x = _mm512_castps_pd(t[i + j]), y = _mm512_castps_pd(t[i + j + 2]);
          u[i + 2 * j] = _mm512_castpd_ps(_mm512_unpacklo_pd(x, y));
          u[i + 2 * j + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(x, y));
        }
      }
      // u[4g + q], lane L: rows 4g..4g+3 of column 4L + q.
      for (int q = 0; q < 4; ++q) {
        const __m512 x0 = _mm512_shuffle_f32x4(u[q], u[4 + q], 0x44);
        const __m512 x1 = _mm512_shuffle_f32x4(u[q], u[4 + q], 0xEE);
        const __m512 y0 = _mm512_shuffle_f32x4(u[8 + q], u[12 + q], 0x44);
        const __m512 y1 = _mm512_shuffle_f32x4(u[8 + q], u[12 + q], 0xEE);
        _mm512_storeu_ps(dst + (p0 + q) * R + h, _mm512_shuffle_f32x4(x0, y0, 0x88));
        _mm512_storeu_ps(dst + (p0 + 4 + q) * R + h, _mm512_shuffle_f32x4(x0, y0, 0xDD));
        _mm512_storeu_ps(dst + (p0 + 8 + q) * R + h, _mm512_shuffle_f32x4(x1, y1, 0x88));
        _mm512_storeu_ps(dst + (p0 + 12 + q) * R + h, _mm512_shuffle_f32x4(x1, y1, 0xDD));
      }
    }
  }
  return kk;
}
#else
template <int R>
int64_t transpose_tiles(const float*, int64_t, int64_t, float*) { return 0; }
#endif
template <int R>
int64_t transpose_tiles(const double*, int64_t, int64_t, double*) { return 0; }

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
      // Each panel row contiguous along p: a transpose, done in strips of 16
      // values of p so the destination lines being filled stay in L1.
      int64_t done = 0;
      if constexpr (R % 16 == 0) {
        if (r == R) done = transpose_tiles<R>(src, rs, k, dst);
      }
      for (int64_t p0 = done; p0 < k; p0 += 16) {
        const int64_t p1 = p0 + 16 < k ? p0 + 16 : k;
        for (int64_t i = 0; i < r; ++i) {
          const T* row = src + i * rs;
          for (int64_t p = p0; p < p1; ++p) dst[p * R + i] = row[p];
        }
        for (int64_t i = r; i < R; ++i)
          for (int64_t p = p0; p < p1; ++p) dst[p * R + i] = T(0);
      }
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
                 small<float>, direct<VecF32, kMrF32, kNvF32>};
  t->gemm_f64 = {kMrF64, nr64, kMcF64, kKcF64, kNcF64,
                 pack_a<double, kMrF64, kKcF64>, pack_b<double, nr64>, macro<VecF64, kMrF64, kNvF64, kKcF64>,
                 small<double>, direct<VecF64, kMrF64, kNvF64>};
}

}  // namespace TL_ISA
}  // namespace tl
