// GEMM throughput of tl::matmul over sizes, in GFLOP/s (2*m*n*k per call).
//
//   cmake -S . -B build/cxx-bench -DTENSORLET_BENCH=ON -DTENSORLET_CUDA=OFF \
//     -Dpybind11_DIR=$(python -m pybind11 --cmakedir)
//   cmake --build build/cxx-bench --target kernels_bench -j2
//   build/cxx-bench/bench/kernels_bench --benchmark_filter=F32
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>

#include "array.h"
#include "isa/table.h"
#include "matmul.h"
#include "parallel.h"

namespace {

template <typename T>
tl::Array random_array(const tl::Shape& shape) {
  tl::Array a = tl::Array::empty(shape, tl::dtype_of<T>::value);
  std::mt19937 gen(42);
  std::uniform_real_distribution<T> dist(-1, 1);
  T* p = a.data<T>();
  for (int64_t i = 0; i < a.size(); ++i) p[i] = dist(gen);
  return a;
}

template <typename T>
void BM_Gemm(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  const int threads = static_cast<int>(state.range(3));
  tl::set_num_threads(threads);
  tl::Array a = random_array<T>({m, k}), b = random_array<T>({k, n});
  for (auto _ : state) {
    tl::Array c = tl::matmul(a, b, false, false);
    benchmark::DoNotOptimize(c.raw());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * m * n * k * state.iterations(), benchmark::Counter::kIsRate,
                                                 benchmark::Counter::kIs1000);
  state.SetLabel(tl::isa().name);
  tl::set_num_threads(0);
}

void Sizes(benchmark::internal::Benchmark* b) {
  for (int threads : {1, 2}) {
    for (int s : {64, 128, 256, 512, 1024, 2048}) b->Args({s, s, s, threads});
    b->Args({128, 784, 256, threads});
  }
  b->ArgNames({"m", "k", "n", "threads"})->UseRealTime()->Unit(benchmark::kMicrosecond);
}

void BM_Gemm2x2(benchmark::State& state) {
  tl::Array a = random_array<float>({2, 2}), b = random_array<float>({2, 2});
  for (auto _ : state) {
    tl::Array c = tl::matmul(a, b, false, false);
    benchmark::DoNotOptimize(c.raw());
  }
}

}  // namespace

BENCHMARK_TEMPLATE(BM_Gemm, float)->Name("GemmF32")->Apply(Sizes);
BENCHMARK_TEMPLATE(BM_Gemm, double)->Name("GemmF64")->Apply(Sizes);
BENCHMARK(BM_Gemm2x2)->Unit(benchmark::kNanosecond);

BENCHMARK_MAIN();
