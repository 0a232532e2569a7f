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

// The products of an MLP training step (784 -> 256 -> 10, batch 32 and 128):
// forward x @ w, backward dy @ w^T and x^T @ dy, each operand stored the way
// the step holds it (a transposed one is row-major with the flag set).
template <typename T>
void BM_GemmMlp(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  const bool ta = state.range(3), tb = state.range(4);
  tl::set_num_threads(static_cast<int>(state.range(5)));
  tl::Array a = random_array<T>(ta ? tl::Shape{k, m} : tl::Shape{m, k});
  tl::Array b = random_array<T>(tb ? tl::Shape{n, k} : tl::Shape{k, n});
  for (auto _ : state) {
    tl::Array c = tl::matmul(a, b, ta, tb);
    benchmark::DoNotOptimize(c.raw());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * m * n * k * state.iterations(), benchmark::Counter::kIsRate,
                                                 benchmark::Counter::kIs1000);
  tl::set_num_threads(0);
}

void MlpShapes(benchmark::internal::Benchmark* b) {
  for (int threads : {1, 2}) {
    for (int batch : {32, 128}) {
      b->Args({batch, 784, 256, 0, 0, threads});
      b->Args({batch, 256, 784, 0, 1, threads});
      b->Args({784, batch, 256, 1, 0, threads});
      b->Args({batch, 256, 10, 0, 0, threads});
      b->Args({batch, 10, 256, 0, 1, threads});
      b->Args({256, batch, 10, 1, 0, threads});
    }
  }
  b->ArgNames({"m", "k", "n", "ta", "tb", "threads"})->UseRealTime()->Unit(benchmark::kMicrosecond);
}

// A Dense layer's forward pass, relu(x @ w + b) in one call (bias add and
// activation in the GEMM's write-back); compare with GemmMlpF32's x @ w.
void BM_DenseRelu(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  tl::set_num_threads(static_cast<int>(state.range(3)));
  tl::Array x = random_array<float>({m, k}), w = random_array<float>({k, n}), b = random_array<float>({n});
  for (auto _ : state) {
    tl::Array y = tl::dense(x, w, &b, "relu");
    benchmark::DoNotOptimize(y.raw());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * m * n * k * state.iterations(), benchmark::Counter::kIsRate,
                                                 benchmark::Counter::kIs1000);
  tl::set_num_threads(0);
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
BENCHMARK_TEMPLATE(BM_GemmMlp, float)->Name("GemmMlpF32")->Apply(MlpShapes);
BENCHMARK(BM_DenseRelu)
    ->ArgNames({"m", "k", "n", "threads"})
    ->Args({32, 784, 256, 1})->Args({32, 784, 256, 2})->Args({128, 784, 256, 2})->Args({128, 256, 10, 1})
    ->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Gemm2x2)->Unit(benchmark::kNanosecond);

BENCHMARK_MAIN();
