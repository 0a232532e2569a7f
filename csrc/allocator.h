// Host memory for Array storage: 64-byte aligned, with freed large buffers
// kept by size class and reused, so a new large output does not pay for
// thousands of page faults. The cache is bounded; its use is reported.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tl {

// Returns at least `bytes` bytes (never null; throws std::bad_alloc). `*capacity`
// receives the size that must be passed back to host_free.
void* host_alloc(size_t bytes, size_t* capacity);
void host_free(void* ptr, size_t capacity);

struct HostMemoryInfo {
  int64_t current;  // bytes held by live arrays
  int64_t peak;     // the most ever held at once (since the last reset)
  int64_t cached;   // bytes of freed buffers kept for reuse
  int64_t cache_limit;
  int64_t allocations;  // buffers handed out since start (cache hits included)
};
HostMemoryInfo host_memory_info();
void reset_host_peak();
void empty_host_cache();  // returns every cached buffer to the system

}  // namespace tl
