// Fused optimizer updates: one pass over a variable, its slots and its
// gradient, in place. Compiled once per ISA like kernels.cpp, with the same
// rules (anonymous namespace, builtins only).
//
// The per-element arithmetic is optimizer_steps.inc's, shared with the GPU.
// The file is compiled without contracting a * b + c into fused multiply-adds
// (CMakeLists.txt), so results are identical to the separate ops' bit for
// bit; the loops are bound by the divide and square root, not by the adds.
// Options are template parameters so every variant is a branch-free loop.
#include "isa/table.h"

namespace tl {
namespace TL_ISA {
namespace {

inline float root(float x) { return __builtin_sqrtf(x); }
inline double root(double x) { return __builtin_sqrt(x); }
#define TL_STEP inline
#include "optimizer_steps.inc"
#undef TL_STEP

template <typename T, bool Decay, bool Mom, bool Nesterov>
void sgd_loop(T* __restrict var, T* __restrict mom, const T* __restrict g, int64_t n, T lr, T momentum,
              T decay) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) sgd_step(Decay, Mom, Nesterov, var, mom, g, i, lr, momentum, decay);
}

template <typename T>
void sgd(T* var, T* mom, const T* g, int64_t n, T lr, T momentum, int nesterov, T decay) {
  bool d = decay != T(0);
  if (!mom) {
    if (d) sgd_loop<T, true, false, false>(var, mom, g, n, lr, momentum, decay);
    else sgd_loop<T, false, false, false>(var, mom, g, n, lr, momentum, decay);
  } else if (nesterov) {
    if (d) sgd_loop<T, true, true, true>(var, mom, g, n, lr, momentum, decay);
    else sgd_loop<T, false, true, true>(var, mom, g, n, lr, momentum, decay);
  } else {
    if (d) sgd_loop<T, true, true, false>(var, mom, g, n, lr, momentum, decay);
    else sgd_loop<T, false, true, false>(var, mom, g, n, lr, momentum, decay);
  }
}

template <typename T, bool Decay, bool Centered, bool Mom>
void rmsprop_loop(T* __restrict var, T* __restrict ms, T* __restrict mom, T* __restrict mg,
                  const T* __restrict g, int64_t n, T lr, T rho, T one_minus_rho, T momentum, T epsilon,
                  T decay) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i)
    rmsprop_step(Decay, Centered, Mom, var, ms, mom, mg, g, i, lr, rho, one_minus_rho, momentum, epsilon, decay);
}

template <typename T>
void rmsprop(T* var, T* ms, T* mom, T* mg, const T* g, int64_t n, T lr, T rho, T one_minus_rho, T momentum,
             T epsilon, T decay) {
#define TL_RMS(D, C, M) rmsprop_loop<T, D, C, M>(var, ms, mom, mg, g, n, lr, rho, one_minus_rho, momentum, epsilon, decay)
  bool d = decay != T(0), c = mg != nullptr, m = mom != nullptr;
  if (d) {
    if (c) { if (m) TL_RMS(true, true, true); else TL_RMS(true, true, false); }
    else { if (m) TL_RMS(true, false, true); else TL_RMS(true, false, false); }
  } else {
    if (c) { if (m) TL_RMS(false, true, true); else TL_RMS(false, true, false); }
    else { if (m) TL_RMS(false, false, true); else TL_RMS(false, false, false); }
  }
#undef TL_RMS
}

template <typename T, bool Decay, bool Ams>
void adam_loop(T* __restrict var, T* __restrict m, T* __restrict v, T* __restrict vhat, const T* __restrict g,
               int64_t n, T alpha, T one_minus_beta_1, T one_minus_beta_2, T epsilon, T decay) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i)
    adam_step(Decay, Ams, var, m, v, vhat, g, i, alpha, one_minus_beta_1, one_minus_beta_2, epsilon, decay);
}

template <typename T>
void adam(T* var, T* m, T* v, T* vhat, const T* g, int64_t n, T alpha, T one_minus_beta_1, T one_minus_beta_2,
          T epsilon, T decay) {
#define TL_ADAM(D, A) adam_loop<T, D, A>(var, m, v, vhat, g, n, alpha, one_minus_beta_1, one_minus_beta_2, epsilon, decay)
  bool d = decay != T(0);
  if (vhat) { if (d) TL_ADAM(true, true); else TL_ADAM(false, true); }
  else { if (d) TL_ADAM(true, false); else TL_ADAM(false, false); }
#undef TL_ADAM
}

template <typename T, bool Decay>
void adagrad_loop(T* __restrict var, T* __restrict acc, const T* __restrict g, int64_t n, T lr, T epsilon,
                  T decay) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) adagrad_step(Decay, var, acc, g, i, lr, epsilon, decay);
}

template <typename T>
void adagrad(T* var, T* acc, const T* g, int64_t n, T lr, T epsilon, T decay) {
  if (decay != T(0)) adagrad_loop<T, true>(var, acc, g, n, lr, epsilon, decay);
  else adagrad_loop<T, false>(var, acc, g, n, lr, epsilon, decay);
}

template <typename T, typename Tab>
void fill(Tab& k) {
  k.sgd = sgd<T>;
  k.rmsprop = rmsprop<T>;
  k.adam = adam<T>;
  k.adagrad = adagrad<T>;
}

}  // namespace

void fill_training(IsaTable* t) {
  fill<float>(t->optim_f32);
  fill<double>(t->optim_f64);
}

}  // namespace TL_ISA
}  // namespace tl
