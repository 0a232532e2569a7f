// Vectorised loops of training-mode batch normalization (batchnorm.cpp runs
// the threads and the per-channel bookkeeping around them). Compiled once per
// ISA like kernels.cpp, with the same rules (anonymous namespace, builtins
// only). "rows": `rows` rows of c values, one per channel (channels last),
// with per-channel vectors; "run": n values of one channel, with scalars.
#include "isa/table.h"

namespace tl {
namespace TL_ISA {
namespace {

// Partial sums in T (the caller adds a bounded number of rows, then moves
// them to double): s0 += x - shift, s1 += (x - shift)^2.
template <typename T>
void rows_stats(const T* __restrict x, const T* __restrict shift, T* __restrict s0, T* __restrict s1, int64_t c,
                int64_t rows) {
  for (int64_t r = 0; r < rows; ++r, x += c)
#pragma omp simd
    for (int64_t k = 0; k < c; ++k) {
      const T d = x[k] - shift[k];
      s0[k] += d, s1[k] += d * d;
    }
}

// s0 += dy, s1 += dy * (x - mean).
template <typename T>
void rows_grad_sums(const T* __restrict dy, const T* __restrict x, const T* __restrict mean, T* __restrict s0,
                    T* __restrict s1, int64_t c, int64_t rows) {
  for (int64_t r = 0; r < rows; ++r, x += c, dy += c)
#pragma omp simd
    for (int64_t k = 0; k < c; ++k) s0[k] += dy[k], s1[k] += dy[k] * (x[k] - mean[k]);
}

// One channel's run: blocks of kBlock values summed in T (vectorised), the
// blocks added in double. b null: the statistics' sums around `shift`; else
// the gradient's, sum(b) and sum(b * (x - shift)).
constexpr int64_t kBlock = 512;
template <typename T>
void run_sums(const T* __restrict x, const T* __restrict b, T shift, int64_t n, double* s0, double* s1) {
  double t0 = 0, t1 = 0;
  for (int64_t i0 = 0; i0 < n; i0 += kBlock) {
    const int64_t e = n - i0 < kBlock ? n : i0 + kBlock;
    T u = 0, w = 0;
    if (b) {
#pragma omp simd reduction(+ : u, w)
      for (int64_t i = i0; i < e; ++i) u += b[i], w += b[i] * (x[i] - shift);
    } else {
#pragma omp simd reduction(+ : u, w)
      for (int64_t i = i0; i < e; ++i) {
        const T d = x[i] - shift;
        u += d, w += d * d;
      }
    }
    t0 += u, t1 += w;
  }
  *s0 += t0, *s1 += t1;
}

// y = (x - m) * a + b.
template <typename T>
void rows_affine(const T* __restrict x, const T* __restrict m, const T* __restrict a, const T* __restrict b,
                 T* __restrict y, int64_t c, int64_t rows) {
  for (int64_t r = 0; r < rows; ++r, x += c, y += c)
#pragma omp simd
    for (int64_t k = 0; k < c; ++k) y[k] = (x[k] - m[k]) * a[k] + b[k];
}

template <typename T>
void run_affine(const T* __restrict x, T m, T a, T b, T* __restrict y, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) * a + b;
}

// dx = dy * a + (x - m) * b + c.
template <typename T>
void rows_dx(const T* __restrict dy, const T* __restrict x, const T* __restrict m, const T* __restrict a,
             const T* __restrict b, const T* __restrict c, T* __restrict dx, int64_t ch, int64_t rows) {
  for (int64_t r = 0; r < rows; ++r, x += ch, dy += ch, dx += ch)
#pragma omp simd
    for (int64_t k = 0; k < ch; ++k) dx[k] = dy[k] * a[k] + (x[k] - m[k]) * b[k] + c[k];
}

template <typename T>
void run_dx(const T* __restrict dy, const T* __restrict x, T m, T a, T b, T c, T* __restrict dx, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * a + (x[i] - m) * b + c;
}

template <typename T, typename K>
void fill(K* k) {
  k->rows_stats = rows_stats<T>;
  k->rows_grad_sums = rows_grad_sums<T>;
  k->run_sums = run_sums<T>;
  k->rows_affine = rows_affine<T>;
  k->run_affine = run_affine<T>;
  k->rows_dx = rows_dx<T>;
  k->run_dx = run_dx<T>;
}

}  // namespace

void fill_batchnorm(IsaTable* t) {
  fill<float>(&t->bn_f32);
  fill<double>(&t->bn_f64);
}

}  // namespace TL_ISA
}  // namespace tl
