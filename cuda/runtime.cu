// The CUDA runtime behind the GPU backend: finding the GPU, the one stream,
// and a caching allocator. Freed blocks are kept by size class and handed to
// the next request of that class, since cudaMalloc and cudaFree synchronise
// the device and cost far more than a small kernel.
#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <stdexcept>

#include "api.h"
#include "common.cuh"

namespace tl {
namespace cuda {

void check(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return;
  cudaGetLastError();  // clear the sticky-free errors so the next call starts clean
  throw std::runtime_error(std::string(what) + ": CUDA error: " + cudaGetErrorString(e));
}

namespace {

struct Runtime {
  int count = 0;
  int sms = 1;
  int major = 0;
  cudaStream_t stream = nullptr;
};

// Looked up once. No GPU or no driver: count 0, silently (the CPU build's
// behaviour), and the error CUDA recorded is cleared.
Runtime& runtime() {
  static Runtime* rt = [] {
    auto* r = new Runtime;  // never destroyed: arrays may outlive static destructors
    if (cudaGetDeviceCount(&r->count) != cudaSuccess) {
      cudaGetLastError();
      r->count = 0;
    }
    return r;
  }();
  return *rt;
}

Runtime& started() {
  Runtime& r = runtime();
  static std::once_flag once;
  std::call_once(once, [&] {
    if (r.count == 0) throw std::runtime_error("no CUDA GPU is available");
    check(cudaSetDevice(0), "cudaSetDevice");
    check(cudaStreamCreateWithFlags(&r.stream, cudaStreamNonBlocking), "cudaStreamCreate");
    check(cudaDeviceGetAttribute(&r.sms, cudaDevAttrMultiProcessorCount, 0), "cudaDeviceGetAttribute");
    check(cudaDeviceGetAttribute(&r.major, cudaDevAttrComputeCapabilityMajor, 0), "cudaDeviceGetAttribute");
  });
  return r;
}

// ---- caching allocator ----

constexpr size_t kSmall = size_t{1} << 20;
constexpr size_t kLargeStep = size_t{2} << 20;

// 512-byte steps below 1 MiB, then 2 MiB steps.
size_t size_class(size_t bytes) {
  if (bytes < kSmall) return bytes == 0 ? 512 : (bytes + 511) / 512 * 512;
  return (bytes + kLargeStep - 1) / kLargeStep * kLargeStep;
}

struct Pool {
  std::mutex mu;
  std::multimap<size_t, void*> free_blocks;  // capacity -> block
  int64_t current = 0, peak = 0, cached = 0, reused = 0;
};

Pool& pool() {
  static Pool* p = new Pool;
  return *p;
}

void release_cache(Pool& p) {  // p.mu held
  if (p.free_blocks.empty()) return;
  cudaStreamSynchronize(started().stream);  // no kernel may still use a block
  for (auto& b : p.free_blocks) cudaFree(b.second);
  p.free_blocks.clear();
  p.cached = 0;
}

void* gpu_alloc(size_t bytes, size_t* capacity) {
  started();
  const size_t cap = size_class(bytes);
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mu);
  void* ptr = nullptr;
  auto it = p.free_blocks.find(cap);
  if (it != p.free_blocks.end()) {
    ptr = it->second;
    p.free_blocks.erase(it);
    p.cached -= static_cast<int64_t>(cap);
    ++p.reused;
  } else if (cudaMalloc(&ptr, cap) != cudaSuccess) {
    cudaGetLastError();
    release_cache(p);  // the cache may hold what the device lacks
    if (cudaMalloc(&ptr, cap) != cudaSuccess) {
      cudaGetLastError();
      throw std::bad_alloc();
    }
  }
  p.current += static_cast<int64_t>(cap);
  if (p.current > p.peak) p.peak = p.current;
  *capacity = cap;
  return ptr;
}

void gpu_free(void* ptr, size_t cap) {
  if (!ptr) return;
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mu);
  p.current -= static_cast<int64_t>(cap);
  p.free_blocks.emplace(cap, ptr);
  p.cached += static_cast<int64_t>(cap);
}

void to_host(void* dst, const void* src, size_t n) {
  cudaStream_t s = stream();
  check(cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToHost, s), "copy to host");
  check(cudaStreamSynchronize(s), "copy to host");  // the value reaches the host: wait here only
}

// From pageable host memory the call returns once the bytes are staged, so
// the caller may free its buffer at once.
void from_host(void* dst, const void* src, size_t n) {
  check(cudaMemcpyAsync(dst, src, n, cudaMemcpyHostToDevice, stream()), "copy to GPU");
}

void device_copy(void* dst, const void* src, size_t n) {
  check(cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToDevice, stream()), "copy on GPU");
}

void synchronize() { check(cudaStreamSynchronize(stream()), "synchronize"); }

}  // namespace

cudaStream_t stream() { return started().stream; }

bool sync_each_launch() {
  static const bool on = [] {
    const char* v = std::getenv("TL_CUDA_SYNC");
    return v && *v && *v != '0';
  }();
  return on;
}
int sm_count() { return started().sms; }
int compute_major() { return started().major; }

Scratch::Scratch(size_t bytes) { ptr = gpu_alloc(bytes, &capacity); }
Scratch::~Scratch() { gpu_free(ptr, capacity); }

}  // namespace cuda

// ---- api.h ----

int cuda_device_count() { return cuda::runtime().count; }

std::string cuda_device_name(int device) {
  if (device < 0 || device >= cuda_device_count()) return "";
  cudaDeviceProp prop;
  if (cudaGetDeviceProperties(&prop, device) != cudaSuccess) {
    cudaGetLastError();
    return "";
  }
  return prop.name;
}

CudaMemoryInfo cuda_memory_info() {
  cuda::Pool& p = cuda::pool();
  std::lock_guard<std::mutex> lock(p.mu);
  return {p.current, p.peak, p.cached, p.reused};
}

void cuda_reset_peak() {
  cuda::Pool& p = cuda::pool();
  std::lock_guard<std::mutex> lock(p.mu);
  p.peak = p.current;
}

void cuda_empty_cache() {
  if (cuda_device_count() == 0) return;
  cuda::Pool& p = cuda::pool();
  std::lock_guard<std::mutex> lock(p.mu);
  cuda::release_cache(p);
}

namespace {
std::atomic<bool> g_tf32{false};
}
void cuda_set_tf32(bool enabled) { g_tf32 = enabled; }
bool cuda_tf32() { return g_tf32; }

namespace {
bool parse_gemm(const std::string& name, const char* where) {
  if (name == "blocked") return true;
  if (name == "tiled") return false;
  throw InvalidArgument(std::string(where) + ": the GEMM kernel is 'blocked' or 'tiled'; got '" + name + "'");
}
std::atomic<bool>& gemm_blocked_flag() {
  static std::atomic<bool> flag{[] {
    const char* env = std::getenv("TL_CUDA_GEMM");
    return env && *env ? parse_gemm(env, "TL_CUDA_GEMM") : true;
  }()};
  return flag;
}
}  // namespace
void cuda_set_gemm_kernel(const std::string& name) { gemm_blocked_flag() = parse_gemm(name, "set_gemm_kernel"); }
std::string cuda_gemm_kernel() { return gemm_blocked_flag() ? "blocked" : "tiled"; }
bool cuda_gemm_blocked() { return gemm_blocked_flag(); }

void cuda_fill_backend(DeviceBackend* b) {
  if (cuda_device_count() == 0) return;  // CPU only, without a word
  b->memory = {cuda::gpu_alloc, cuda::gpu_free, cuda::to_host, cuda::from_host, cuda::device_copy,
               cuda::synchronize};
  cuda::fill_elementwise(&b->kernels);
  cuda::fill_reduce(&b->kernels);
  cuda::fill_matmul(&b->kernels);
  cuda::fill_nn(&b->kernels);
  cuda::fill_array_ops(&b->kernels);
  cuda::fill_random(&b->kernels);
  cuda::fill_training(&b->kernels);
  cuda::fill_conv(&b->kernels);
  cuda::fill_pool(&b->kernels);
  cuda::fill_batchnorm(&b->kernels);
  b->available = true;
}

}  // namespace tl
