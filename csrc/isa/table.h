// The table of vectorised kernels filled once at import for the best ISA the
// CPU supports. Plain function pointers only: this header is included by the
// per-ISA translation units and must hold no inline code.
#pragma once
#include <cstdint>

namespace tl {

// Contiguous binary kernel. mode 0: out[i] = a[i] op b[i]; 1: a[i] op b[0];
// 2: a[0] op b[i]; plus kStreamOut when the output is too large to stay in
// cache, so it is written with non-temporal stores where the ISA has them.
constexpr int kStreamOut = 4;
// Outputs from this size on do not stay in cache for the next op anyway.
constexpr int64_t kStreamOutBytes = int64_t{8} << 20;
using BinaryF32 = void (*)(const float* a, const float* b, float* out, int64_t n, int mode);
using BinaryF64 = void (*)(const double* a, const double* b, double* out, int64_t n, int mode);
using UnaryF32 = void (*)(const float* a, float* out, int64_t n);
using UnaryF64 = void (*)(const double* a, double* out, int64_t n);

// Indexes of the vectorised subsets (kept small: the rest use generic loops).
enum VecBinary { kVAdd, kVSub, kVMul, kVDiv, kVMax, kVMin, kVBinaryCount };
enum VecUnary { kVNeg, kVAbs, kVSquare, kVSqrt, kVRelu, kVUnaryCount };

// GEMM building blocks for one element type; matmul.cpp runs the cache-blocking
// loops and threads around them. Packed B holds NR-column panels (NR values per
// k, zero-padded). Packed A holds MR-row panels of MR * kc elements, in the
// layout pack_a returns and macro is told: 0 = k-major (MR values per k),
// 1 = row-major with row stride kc (a plain copy of row-major A's rows).
// mr/nr: micro-tile; mc/nc: default block sizes; kc: the row stride of
// row-layout A panels, so the largest k block that layout takes (matmul.cpp
// picks the blocks at run time from the caches).
#define TL_GEMM_KERNELS(Name, T)                                                              \
  struct Name {                                                                               \
    int mr, nr, mc, kc, nc;                                                                   \
    int (*pack_a)(int64_t m, int64_t k, const T* a, int64_t rs, int64_t cs, T* dst);          \
    void (*pack_b)(int64_t k, int64_t n, const T* b, int64_t rs, int64_t cs, T* dst);         \
    /* c (m x n, row stride ldc) = pa @ pb, or += when accumulate; then, when bias or act  \
       is given (on the last k block), c = act(c + bias[j]) (act 1: relu). */                 \
    void (*macro)(int64_t m, int64_t n, int64_t k, const T* pa, const T* pb, T* c,            \
                  int64_t ldc, int accumulate, int a_layout, const T* bias, int act);         \
    /* Unpacked product for small sizes: c = a @ b with arbitrary element strides. */         \
    void (*small)(int64_t m, int64_t n, int64_t k, const T* a, int64_t rsa, int64_t csa,      \
                  const T* b, int64_t rsb, int64_t csb, T* c, int64_t ldc);                   \
    /* Unpacked, register-blocked (mr x nr tiles): c(i, j) at c[i*rsc + j*csc] =            \
       act(a @ b + bias(i, j)), a at any strides, b rows contiguous (b(p, j) = b[p*rsb + j]), \
       bias(i, j) = bias[i*brs + j*bcs] when bias is not null. */                            \
    void (*direct)(int64_t m, int64_t n, int64_t k, const T* a, int64_t rsa, int64_t csa,     \
                   const T* b, int64_t rsb, T* c, int64_t rsc, int64_t csc, const T* bias,   \
                   int64_t brs, int64_t bcs, int act);                                        \
  };
TL_GEMM_KERNELS(GemmKernelsF32, float)
TL_GEMM_KERNELS(GemmKernelsF64, double)
#undef TL_GEMM_KERNELS

// Fused optimizer updates (isa/training.cpp) over n contiguous elements, in
// place. Optional slots are null when their option is off (mom: momentum;
// mg: centered RMSprop; vhat: AMSGrad). decay != 0 first applies decoupled
// weight decay, var -= var * decay. Scalars come rounded to the element type.
#define TL_OPTIMIZER_KERNELS(Name, T)                                                         \
  struct Name {                                                                               \
    void (*sgd)(T* var, T* mom, const T* g, int64_t n, T lr, T momentum, int nesterov,        \
                T decay);                                                                     \
    void (*rmsprop)(T* var, T* ms, T* mom, T* mg, const T* g, int64_t n, T lr, T rho,         \
                    T one_minus_rho, T momentum, T epsilon, T decay);                         \
    /* alpha: the learning rate with Adam's bias corrections folded in */                     \
    void (*adam)(T* var, T* m, T* v, T* vhat, const T* g, int64_t n, T alpha,                 \
                 T one_minus_beta_1, T one_minus_beta_2, T epsilon, T decay);                 \
    void (*adagrad)(T* var, T* acc, const T* g, int64_t n, T lr, T epsilon, T decay);         \
  };
TL_OPTIMIZER_KERNELS(OptimizerKernelsF32, float)
TL_OPTIMIZER_KERNELS(OptimizerKernelsF64, double)
#undef TL_OPTIMIZER_KERNELS

// Training-mode batch normalization (isa/batchnorm.cpp). "rows": `rows`
// contiguous rows of c values, one per channel, with per-channel vectors of c
// values; "run": n contiguous values of one channel, with scalars.
// rows_stats: s0 += x - shift, s1 += (x - shift)^2 (partial sums in T);
// rows_grad_sums: s0 += dy, s1 += dy * (x - mean); run_sums: the same over a
// run into doubles (b null: the statistics' sums around shift; else sum(b)
// and sum(b * (x - shift))); affine: y = (x - m) * a + b; dx: dx = dy * a +
// (x - m) * b + c.
#define TL_BATCHNORM_KERNELS(Name, T)                                                         \
  struct Name {                                                                               \
    void (*rows_stats)(const T* x, const T* shift, T* s0, T* s1, int64_t c, int64_t rows);    \
    void (*rows_grad_sums)(const T* dy, const T* x, const T* mean, T* s0, T* s1, int64_t c,   \
                           int64_t rows);                                                     \
    void (*run_sums)(const T* x, const T* b, T shift, int64_t n, double* s0, double* s1);     \
    void (*rows_affine)(const T* x, const T* m, const T* a, const T* b, T* y, int64_t c,      \
                        int64_t rows);                                                        \
    void (*run_affine)(const T* x, T m, T a, T b, T* y, int64_t n);                           \
    void (*rows_dx)(const T* dy, const T* x, const T* m, const T* a, const T* b, const T* c,  \
                    T* dx, int64_t ch, int64_t rows);                                         \
    void (*run_dx)(const T* dy, const T* x, T m, T a, T b, T c, T* dx, int64_t n);            \
  };
TL_BATCHNORM_KERNELS(BatchNormKernelsF32, float)
TL_BATCHNORM_KERNELS(BatchNormKernelsF64, double)
#undef TL_BATCHNORM_KERNELS

struct IsaTable {
  const char* name;
  BinaryF32 binary_f32[kVBinaryCount];
  BinaryF64 binary_f64[kVBinaryCount];
  UnaryF32 unary_f32[kVUnaryCount];
  UnaryF64 unary_f64[kVUnaryCount];
  double (*sum_f32)(const float* a, int64_t n);
  double (*sum_f64)(const double* a, int64_t n);
  GemmKernelsF32 gemm_f32;
  GemmKernelsF64 gemm_f64;
  // Row kernels of the reductions and softmax (isa/rows.cpp). max/min
  // propagate NaN; exp_shift writes out[i] = exp(a[i] - shift) and returns
  // the sum of what it wrote.
  float (*max_f32)(const float* a, int64_t n);
  double (*max_f64)(const double* a, int64_t n);
  float (*min_f32)(const float* a, int64_t n);
  double (*min_f64)(const double* a, int64_t n);
  double (*exp_shift_f32)(const float* a, float* out, int64_t n, float shift);
  double (*exp_shift_f64)(const double* a, double* out, int64_t n, double shift);
  OptimizerKernelsF32 optim_f32;
  OptimizerKernelsF64 optim_f64;
  BatchNormKernelsF32 bn_f32;
  BatchNormKernelsF64 bn_f64;
  // float16 (as raw bits) to and from float32, n contiguous values, rounding
  // to nearest even; null where the CPU has no conversion instructions (F16C),
  // and the scalar conversions of dtype.h run instead.
  void (*half_to_float)(const uint16_t* a, float* out, int64_t n);
  void (*float_to_half)(const float* a, uint16_t* out, int64_t n);
};

namespace baseline { void fill_table(IsaTable* t); void fill_rows(IsaTable* t); void fill_gemm(IsaTable* t); }
namespace avx2 { void fill_table(IsaTable* t); void fill_rows(IsaTable* t); void fill_gemm(IsaTable* t); }
namespace avx512 { void fill_table(IsaTable* t); void fill_rows(IsaTable* t); void fill_gemm(IsaTable* t); }
namespace baseline { void fill_training(IsaTable* t); void fill_batchnorm(IsaTable* t); }
namespace avx2 { void fill_training(IsaTable* t); void fill_batchnorm(IsaTable* t); }
namespace avx512 { void fill_training(IsaTable* t); void fill_batchnorm(IsaTable* t); }

// The active table: chosen from CPUID, lowered by TENSORLET_ISA.
const IsaTable& isa();

// Data cache sizes in bytes seen from one core (l3: the whole L3 it reaches).
// Read once from sysfs, else CPUID (leaf 4, or 0x8000001D on AMD), else
// 32 KiB / 1 MiB / 8 MiB.
struct CpuCaches {
  int64_t l1d, l2, l3;
};
const CpuCaches& cpu_caches();

}  // namespace tl
