// What the rest of tensorlet asks of the CUDA runtime beyond the kernel table:
// plain C++ (no CUDA header), so bindings.cpp can include it.
#pragma once
#include <cstdint>
#include <string>

namespace tl {

// GPUs this process can use: 0 when there is no GPU or no driver.
int cuda_device_count();
std::string cuda_device_name(int device);  // "NVIDIA H100 80GB HBM3"; "" when absent

struct CudaMemoryInfo {
  int64_t current;  // bytes held by live arrays on the GPU
  int64_t peak;     // the most ever held at once (since the last reset)
  int64_t cached;   // bytes of freed blocks kept for reuse
  int64_t reused;   // allocations served from the cache so far
};
CudaMemoryInfo cuda_memory_info();
void cuda_reset_peak();
void cuda_empty_cache();  // returns every cached block to the driver

// TensorFloat-32 matmuls: float32 operands rounded to 10-bit mantissas and
// multiplied on tensor cores, accumulating in float32 (relative error about
// 1e-3 instead of 1e-6). Off by default.
void cuda_set_tf32(bool enabled);
bool cuda_tf32();

// Which float32 GEMM kernels run: "blocked" (the default; 128 x 128 tiles
// tuned for two blocks per multiprocessor, and 128 x 128 TF32 tiles) or
// "tiled" (the first kernels, kept as a fallback). Read once from
// TL_CUDA_GEMM; cuda_set_gemm_kernel changes it (tests run both). Throws
// InvalidArgument for any other name.
void cuda_set_gemm_kernel(const std::string& name);
std::string cuda_gemm_kernel();
bool cuda_gemm_blocked();

}  // namespace tl
