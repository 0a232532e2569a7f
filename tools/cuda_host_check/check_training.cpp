// The GPU optimizer slots of cuda/training.cu, run on the host through
// common.cuh, against the CPU slots: every option of SGD, RMSprop, Adam and
// Adagrad, float32 and float64, sizes that wrap the grid-stride loop. Both
// share optimizer_steps.inc and are compiled without contraction, so they
// must agree bit for bit; exits 1 on a mismatch.
#include <cstdio>
#include <random>
#include "common.cuh"
#include "cpu_kernels.h"
namespace tl { namespace cuda { void fill_training(DeviceKernels*); } }
using namespace tl;
static std::mt19937_64 gen(7);
static int failures = 0;

Array rnd(int64_t n, DType dt, double lo, double hi) {
  Array a = Array::empty({n}, dt, Device::CPU);
  std::uniform_real_distribution<double> u(lo, hi);
  for (int64_t i = 0; i < n; ++i) {
    if (dt == DType::Float32) a.data<float>()[i] = float(u(gen)); else a.data<double>()[i] = u(gen);
  }
  return a;
}
Array dup(const Array& a) { return a.copy(); }
void same(const char* what, const std::vector<Array>& got, const std::vector<Array>& want) {
  int64_t bad = 0;
  for (size_t k = 0; k < want.size(); ++k)
    bad += std::memcmp(got[k].data<char>(), want[k].data<char>(), want[k].size() * want[k].itemsize()) != 0;
  if (bad) ++failures;
  std::printf("%-34s %s\n", what, bad ? "FAIL" : "ok");
}

int main() {
  DeviceKernels gpu{}, cpu{};
  cuda::fill_training(&gpu);
  fill_cpu_kernels(&cpu);
  for (DType dt : {DType::Float32, DType::Float64}) {
    for (int64_t n : {int64_t{1}, int64_t{37}, int64_t{20000}}) {
      Array g = rnd(n, dt, -1, 1);
      for (double decay : {0.0, 0.01}) {
        for (int mode = 0; mode < 3; ++mode) {  // plain, momentum, Nesterov
          Array v1 = rnd(n, dt, -1, 1), m1 = rnd(n, dt, -1, 1), v2 = dup(v1), m2 = dup(m1);
          cpu.apply_sgd(v1, mode ? &m1 : nullptr, g, 0.1, 0.9, mode == 2, decay);
          gpu.apply_sgd(v2, mode ? &m2 : nullptr, g, 0.1, 0.9, mode == 2, decay);
          same("sgd", {v2, m2}, {v1, m1});
        }
        for (int opts = 0; opts < 4; ++opts) {  // bit 0: momentum, bit 1: centered
          Array v1 = rnd(n, dt, -1, 1), s1 = rnd(n, dt, 0.5, 1), m1 = rnd(n, dt, -1, 1), a1 = rnd(n, dt, -0.1, 0.1);
          Array v2 = dup(v1), s2 = dup(s1), m2 = dup(m1), a2 = dup(a1);
          cpu.apply_rmsprop(v1, s1, opts & 1 ? &m1 : nullptr, opts & 2 ? &a1 : nullptr, g, 0.01, 0.9, 0.5, 1e-7, decay);
          gpu.apply_rmsprop(v2, s2, opts & 1 ? &m2 : nullptr, opts & 2 ? &a2 : nullptr, g, 0.01, 0.9, 0.5, 1e-7, decay);
          same("rmsprop", {v2, s2, m2, a2}, {v1, s1, m1, a1});
        }
        for (bool ams : {false, true}) {
          Array v1 = rnd(n, dt, -1, 1), m1 = rnd(n, dt, -1, 1), w1 = rnd(n, dt, 0, 1), h1 = rnd(n, dt, 0, 1);
          Array v2 = dup(v1), m2 = dup(m1), w2 = dup(w1), h2 = dup(h1);
          cpu.apply_adam(v1, m1, w1, ams ? &h1 : nullptr, g, 0.001, 0.9, 0.999, 1e-7, 3, decay);
          gpu.apply_adam(v2, m2, w2, ams ? &h2 : nullptr, g, 0.001, 0.9, 0.999, 1e-7, 3, decay);
          same(ams ? "adam amsgrad" : "adam", {v2, m2, w2, h2}, {v1, m1, w1, h1});
        }
        Array v1 = rnd(n, dt, -1, 1), a1 = rnd(n, dt, 0.1, 1), v2 = dup(v1), a2 = dup(a1);
        cpu.apply_adagrad(v1, a1, g, 0.01, 1e-7, decay);
        gpu.apply_adagrad(v2, a2, g, 0.01, 1e-7, decay);
        same("adagrad", {v2, a2}, {v1, a1});
      }
    }
  }
  std::printf("failures: %d\n", failures);
  return failures != 0;
}
