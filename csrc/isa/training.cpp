// Fused optimizer updates: one pass over a variable, its slots and its
// gradient, in place. Compiled once per ISA like kernels.cpp, with the same
// rules (anonymous namespace, builtins only).
//
// Each loop does the arithmetic of the separate tensor ops it replaces, in
// the same order and with the same scalars (rounded to T by the caller). The
// file is compiled without contracting a * b + c into fused multiply-adds
// (CMakeLists.txt), so results are identical to those ops' bit for bit; the
// loops are bound by the divide and square root, not by the adds.
// Options are template parameters so every variant is a branch-free loop.
#include "isa/table.h"

namespace tl {
namespace TL_ISA {
namespace {

inline float root(float x) { return __builtin_sqrtf(x); }
inline double root(double x) { return __builtin_sqrt(x); }

// Decoupled weight decay, applied to the variable before the step: w - w * decay.
template <bool Decay, typename T>
inline T decayed(T w, T decay) {
  if constexpr (Decay) return w - w * decay;
  else return w;
}

// Plain: w -= g * lr. Momentum: m = m * momentum - g * lr, then w += m, or
// with Nesterov w += m * momentum - g * lr.
template <typename T, bool Decay, bool Mom, bool Nesterov>
void sgd_loop(T* __restrict var, T* __restrict mom, const T* __restrict g, int64_t n, T lr, T momentum,
              T decay) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    T w = decayed<Decay>(var[i], decay);
    T step = g[i] * lr;
    if constexpr (Mom) {
      T m = mom[i] * momentum - step;
      mom[i] = m;
      var[i] = Nesterov ? w + (m * momentum - step) : w + m;
    } else {
      var[i] = w - step;
    }
  }
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

// s = s * rho + g^2 * (1 - rho); centered: a = a * rho + g * (1 - rho) and
// s - a^2 in the root; step = g * lr / sqrt(... + epsilon); momentum:
// m = m * momentum + step, w -= m; else w -= step.
template <typename T, bool Decay, bool Centered, bool Mom>
void rmsprop_loop(T* __restrict var, T* __restrict ms, T* __restrict mom, T* __restrict mg,
                  const T* __restrict g, int64_t n, T lr, T rho, T one_minus_rho, T momentum, T epsilon,
                  T decay) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    T w = decayed<Decay>(var[i], decay);
    T gi = g[i];
    T s = ms[i] * rho + (gi * gi) * one_minus_rho;
    ms[i] = s;
    T denom;
    if constexpr (Centered) {
      T a = mg[i] * rho + gi * one_minus_rho;
      mg[i] = a;
      denom = (s - a * a) + epsilon;
    } else {
      denom = s + epsilon;
    }
    T step = (gi * lr) / root(denom);
    if constexpr (Mom) {
      T m = mom[i] * momentum + step;
      mom[i] = m;
      var[i] = w - m;
    } else {
      var[i] = w - step;
    }
  }
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

// m += (g - m) * (1 - beta_1); v += (g^2 - v) * (1 - beta_2); amsgrad keeps
// v_hat = max(v_hat, v) (NaN-propagating like maximum) and uses it for v;
// w -= m * alpha / (sqrt(v) + epsilon), alpha holding the bias corrections.
template <typename T, bool Decay, bool Ams>
void adam_loop(T* __restrict var, T* __restrict m, T* __restrict v, T* __restrict vhat, const T* __restrict g,
               int64_t n, T alpha, T one_minus_beta_1, T one_minus_beta_2, T epsilon, T decay) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    T w = decayed<Decay>(var[i], decay);
    T gi = g[i];
    T mi = m[i];
    mi = mi + (gi - mi) * one_minus_beta_1;
    m[i] = mi;
    T vi = v[i];
    vi = vi + (gi * gi - vi) * one_minus_beta_2;
    v[i] = vi;
    if constexpr (Ams) {
      T h = vhat[i];
      h = (h > vi || h != h) ? h : vi;
      vhat[i] = h;
      vi = h;
    }
    var[i] = w - (mi * alpha) / (root(vi) + epsilon);
  }
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

// acc += g^2; w -= g * lr / sqrt(acc + epsilon).
template <typename T, bool Decay>
void adagrad_loop(T* __restrict var, T* __restrict acc, const T* __restrict g, int64_t n, T lr, T epsilon,
                  T decay) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    T w = decayed<Decay>(var[i], decay);
    T gi = g[i];
    T a = acc[i] + gi * gi;
    acc[i] = a;
    var[i] = w - (gi * lr) / root(a + epsilon);
  }
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
