// Stands in for cuda/common.cuh when run.sh compiles GPU kernels as host
// code: a block runs as blockDim.x std::threads, with a barrier for
// __syncthreads and one per warp for shuffles; blocks run one after another,
// so __shared__ arrays can be function statics. Launches come from run.sh's
// rewrite of `<<<...>>>`.
#pragma once
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>
#include "device.h"
#include "conv.h"

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(x)
struct uint3e { unsigned x = 0, y = 0, z = 0; };
struct dim3 { unsigned x, y, z; dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {} };
inline thread_local uint3e threadIdx;
inline uint3e blockIdx, blockDim, gridDim;
namespace emu {
inline std::barrier<>* block_bar;
inline std::vector<std::unique_ptr<std::barrier<>>> warp_bars;
inline double slots[1024];
}
inline void __syncthreads() { emu::block_bar->arrive_and_wait(); }
template <typename T> T __shfl_down_sync(unsigned, T v, int d) {
  const int t = threadIdx.x, lane = t % 32, w = t / 32;
  std::memcpy(&emu::slots[t], &v, sizeof(T));
  emu::warp_bars[w]->arrive_and_wait();
  T r = v;
  if (lane + d < 32) std::memcpy(&r, &emu::slots[t + d], sizeof(T));
  emu::warp_bars[w]->arrive_and_wait();
  return r;
}
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }
using std::sqrt;

namespace emu {
struct Cfg { dim3 g, b; Cfg(dim3 g_, dim3 b_, int = 0, int = 0) : g(g_), b(b_) {} };
template <typename F> auto run(Cfg c, F fn) {
  return [c, fn](auto... args) {
    gridDim = {c.g.x, c.g.y, c.g.z};
    blockDim = {c.b.x, 1, 1};
    for (unsigned z = 0; z < c.g.z; ++z) for (unsigned y = 0; y < c.g.y; ++y) for (unsigned x = 0; x < c.g.x; ++x) {
      blockIdx = {x, y, z};
      std::barrier<> bar(c.b.x);
      block_bar = &bar;
      warp_bars.clear();
      for (unsigned w = 0; w < c.b.x / 32; ++w) warp_bars.emplace_back(new std::barrier<>(32));
      std::vector<std::thread> ts;
      for (unsigned t = 0; t < c.b.x; ++t) ts.emplace_back([&, t] { threadIdx = {t, 0, 0}; fn(args...); });
      for (auto& t : ts) t.join();
    }
  };
}
}  // namespace emu

namespace tl { namespace cuda {
inline int stream() { return 0; }
inline void launched(const char*) {}
inline int sm_count() { return 2; }  // small grids: the grid-stride loops wrap
inline int grid_for(int64_t n, int threads = 256) {
  int64_t want = (n + threads - 1) / threads, cap = int64_t(sm_count()) * 16;
  return int(want < 1 ? 1 : (want < cap ? want : cap));
}
struct Scratch {
  void* ptr; explicit Scratch(size_t b) : ptr(std::malloc(b)) {} ~Scratch() { std::free(ptr); }
  template <typename T> T* as() const { return static_cast<T*>(ptr); }
};
}}
