// Fused optimizer updates on the GPU: one thread per element updates the
// variable and its slots in place. The per-element arithmetic is
// optimizer_steps.inc's, shared with the CPU loops, with the same scalars
// rounded to the variable's dtype, compiled without multiply-add contraction
// (CMakeLists.txt), so a step on the GPU gives the CPU's result bit for bit.
#include <cmath>

#include "common.cuh"

namespace tl {
namespace cuda {
namespace {

constexpr int kThreads = 256;

#define TL_GRID_LOOP(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

__device__ __forceinline__ float root(float x) { return sqrtf(x); }
__device__ __forceinline__ double root(double x) { return sqrt(x); }
#define TL_STEP __device__ __forceinline__
#include "optimizer_steps.inc"
#undef TL_STEP

template <typename T>
__global__ void sgd_kernel(T* var, T* mom, const T* g, int64_t n, T lr, T momentum, bool nesterov, T decay) {
  TL_GRID_LOOP(i, n) sgd_step(decay != T(0), mom != nullptr, nesterov, var, mom, g, i, lr, momentum, decay);
}

template <typename T>
__global__ void rmsprop_kernel(T* var, T* ms, T* mom, T* mg, const T* g, int64_t n, T lr, T rho, T one_minus_rho,
                               T momentum, T epsilon, T decay) {
  TL_GRID_LOOP(i, n) {
    rmsprop_step(decay != T(0), mg != nullptr, mom != nullptr, var, ms, mom, mg, g, i, lr, rho, one_minus_rho,
                 momentum, epsilon, decay);
  }
}

template <typename T>
__global__ void adam_kernel(T* var, T* m, T* v, T* vhat, const T* g, int64_t n, T alpha, T one_minus_beta_1,
                            T one_minus_beta_2, T epsilon, T decay) {
  TL_GRID_LOOP(i, n) {
    adam_step(decay != T(0), vhat != nullptr, var, m, v, vhat, g, i, alpha, one_minus_beta_1, one_minus_beta_2,
              epsilon, decay);
  }
}

template <typename T>
__global__ void adagrad_kernel(T* var, T* acc, const T* g, int64_t n, T lr, T epsilon, T decay) {
  TL_GRID_LOOP(i, n) adagrad_step(decay != T(0), var, acc, g, i, lr, epsilon, decay);
}

template <typename T>
T* ptr(const Array* a) { return a ? a->data<T>() : nullptr; }

void apply_sgd(const Array& var, const Array* mom, const Array& grad, double lr, double momentum, bool nesterov,
               double weight_decay) {
  const int64_t n = var.size();
  dispatch<kFloat>(var.dtype(), "apply_sgd", [&](auto tv) {
    using T = decltype(tv);
    sgd_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(var.data<T>(), ptr<T>(mom), grad.data<T>(), n, T(lr),
                                                          T(momentum), nesterov, T(lr * weight_decay));
  });
  launched("apply_sgd");
}

void apply_rmsprop(const Array& var, const Array& ms, const Array* mom, const Array* mg, const Array& grad, double lr,
                   double rho, double momentum, double epsilon, double weight_decay) {
  const int64_t n = var.size();
  dispatch<kFloat>(var.dtype(), "apply_rmsprop", [&](auto tv) {
    using T = decltype(tv);
    rmsprop_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(var.data<T>(), ms.data<T>(), ptr<T>(mom), ptr<T>(mg),
                                                              grad.data<T>(), n, T(lr), T(rho), T(1.0 - rho),
                                                              T(momentum), T(epsilon), T(lr * weight_decay));
  });
  launched("apply_rmsprop");
}

void apply_adam(const Array& var, const Array& m, const Array& v, const Array* vhat, const Array& grad, double lr,
                double beta_1, double beta_2, double epsilon, int64_t step, double weight_decay) {
  const int64_t n = var.size();
  // The bias corrections, in double on the host, as the CPU computes them.
  const double alpha = lr * std::sqrt(1.0 - std::pow(beta_2, double(step))) / (1.0 - std::pow(beta_1, double(step)));
  dispatch<kFloat>(var.dtype(), "apply_adam", [&](auto tv) {
    using T = decltype(tv);
    adam_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(var.data<T>(), m.data<T>(), v.data<T>(), ptr<T>(vhat),
                                                           grad.data<T>(), n, T(alpha), T(1.0 - beta_1),
                                                           T(1.0 - beta_2), T(epsilon), T(lr * weight_decay));
  });
  launched("apply_adam");
}

void apply_adagrad(const Array& var, const Array& acc, const Array& grad, double lr, double epsilon,
                   double weight_decay) {
  const int64_t n = var.size();
  dispatch<kFloat>(var.dtype(), "apply_adagrad", [&](auto tv) {
    using T = decltype(tv);
    adagrad_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(var.data<T>(), acc.data<T>(), grad.data<T>(), n,
                                                              T(lr), T(epsilon), T(lr * weight_decay));
  });
  launched("apply_adagrad");
}

}  // namespace

void fill_training(DeviceKernels* k) {
  k->apply_sgd = apply_sgd;
  k->apply_rmsprop = apply_rmsprop;
  k->apply_adam = apply_adam;
  k->apply_adagrad = apply_adagrad;
}

}  // namespace cuda
}  // namespace tl
