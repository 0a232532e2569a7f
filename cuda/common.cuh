// Shared by the CUDA kernels: the stream, errors, scratch memory, launch
// sizes and strided indexing of up to four operands.
#pragma once
#include <cuda_runtime.h>

#include <array>
#include <cstdint>
#include <string>

#include "reduce.h"  // ReduceOp
#include "device.h"

namespace tl {
namespace cuda {

// Throws std::runtime_error naming `what` and CUDA's message.
void check(cudaError_t e, const char* what);
cudaStream_t stream();  // every kernel and copy runs on this one stream
// Checks the last launch (a bad configuration shows up here, not later).
// With TL_CUDA_SYNC=1 in the environment it also waits for the kernel, so a
// fault is reported by the op that made it (for debugging; slow).
bool sync_each_launch();
inline void launched(const char* what) {
  check(cudaGetLastError(), what);
  if (sync_each_launch()) check(cudaStreamSynchronize(stream()), what);
}

int sm_count();
int compute_major();  // the GPU's compute capability, major part

// A possibly negative axis made non-negative.
inline int64_t axis_of(int64_t axis, int64_t ndim) { return axis < 0 ? axis + ndim : axis; }

// Device memory for a temporary, from the caching allocator. Freed at scope
// end: safe while a kernel still reads it, since the next user of the block
// is ordered after that kernel on the same stream.
struct Scratch {
  void* ptr = nullptr;
  size_t capacity = 0;
  explicit Scratch(size_t bytes);
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <typename T> T* as() const { return static_cast<T*>(ptr); }
};

// out = src converted to out's dtype, src broadcast to out's shape (the copy slot).
void copy(const Array& out, const Array& src);
// `a` itself when contiguous, else a contiguous copy on the GPU.
Array contiguous(const Array& a);

// Blocks for a grid-stride loop over n items: enough to fill the GPU, no more.
inline int grid_for(int64_t n, int threads = 256) {
  int64_t want = (n + threads - 1) / threads;
  int64_t cap = static_cast<int64_t>(sm_count()) * 16;
  return static_cast<int>(want < 1 ? 1 : (want < cap ? want : cap));
}

// N operands walked together over one shape, dims merged as in loop.h.
constexpr int kMaxDims = 10;

template <int N>
struct Strided {
  int nd = 0;
  int64_t shape[kMaxDims];
  int64_t st[N][kMaxDims];

  // Element offsets of linear index i (row-major over shape) in each operand.
  // I is uint32_t when the total fits (32-bit division is several times faster).
  template <typename I>
  __device__ __forceinline__ void offsets(int64_t i, int64_t off[N]) const {
    for (int k = 0; k < N; ++k) off[k] = 0;
    I r = static_cast<I>(i);
    for (int d = nd - 1; d >= 0; --d) {
      I s = static_cast<I>(shape[d]);
      I q = r / s;
      int64_t idx = static_cast<int64_t>(r - q * s);
      r = q;
#pragma unroll
      for (int k = 0; k < N; ++k) off[k] += idx * st[k][d];
    }
  }

  // The offset of element i of a single operand, with the common one-axis case cheap.
  __device__ __forceinline__ int64_t at(int64_t i) const {
    if (nd == 1) return i * st[0][0];
    if (nd == 0) return 0;
    int64_t off[N];
    offsets<int64_t>(i, off);
    return off[0];
  }
};

// Builds the walk of `shape` over the operands' strides, merging dims that are
// contiguous for every operand and dropping size-1 dims.
template <int N>
Strided<N> make_strided(const Shape& shape, const std::array<const Shape*, N>& strides) {
  Strided<N> s;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = s.nd > 0;
    for (int k = 0; k < N && merge; ++k) merge = s.st[k][s.nd - 1] == (*strides[k])[d] * shape[d];
    if (merge) {
      s.shape[s.nd - 1] *= shape[d];
      for (int k = 0; k < N; ++k) s.st[k][s.nd - 1] = (*strides[k])[d];
    } else {
      if (s.nd == kMaxDims)
        throw InvalidArgument("GPU kernels handle at most " + std::to_string(kMaxDims) +
                              " non-contiguous axes; got shape " + shape_str(shape));
      s.shape[s.nd] = shape[d];
      for (int k = 0; k < N; ++k) s.st[k][s.nd] = (*strides[k])[d];
      ++s.nd;
    }
  }
  return s;
}

// Each kernel file fills its own slots of the table.
void fill_elementwise(DeviceKernels* k);
void fill_reduce(DeviceKernels* k);
void fill_matmul(DeviceKernels* k);
void fill_nn(DeviceKernels* k);
void fill_array_ops(DeviceKernels* k);
void fill_random(DeviceKernels* k);
void fill_training(DeviceKernels* k);
void fill_conv(DeviceKernels* k);
void fill_pool(DeviceKernels* k);
void fill_batchnorm(DeviceKernels* k);

inline bool fits32(int64_t n) { return n < (int64_t{1} << 31); }

// All operands contiguous over the same shape (a broadcast one is not).
template <int N>
bool all_flat(const Strided<N>& s) {
  if (s.nd == 0) return true;
  if (s.nd != 1) return false;
  for (int k = 0; k < N; ++k)
    if (s.st[k][0] != 1) return false;
  return true;
}

}  // namespace cuda
}  // namespace tl
