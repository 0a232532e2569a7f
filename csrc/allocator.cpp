#include "allocator.h"

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace tl {
namespace {

constexpr size_t kMedium = size_t{256} << 10;  // smaller buffers come from malloc's own bins
constexpr size_t kHuge = size_t{2} << 20;
constexpr int64_t kCacheLimit = int64_t{512} << 20;

struct Pool {
  std::mutex mu;  // guards the cache; the counters are atomic so small buffers never lock
  std::multimap<size_t, void*> free_blocks;  // capacity -> buffer
  int64_t cached = 0;
  std::atomic<int64_t> current{0}, peak{0}, allocations{0};
};

void count_alloc(Pool& p, size_t cap) {
  p.allocations.fetch_add(1, std::memory_order_relaxed);
  int64_t now = p.current.fetch_add(static_cast<int64_t>(cap), std::memory_order_relaxed) + static_cast<int64_t>(cap);
  int64_t old = p.peak.load(std::memory_order_relaxed);
  while (now > old && !p.peak.compare_exchange_weak(old, now, std::memory_order_relaxed)) {
  }
}

Pool& pool() {
  static Pool* p = new Pool;  // never destroyed: arrays may outlive static destructors
  return *p;
}

// Size classes: 64-byte steps for small buffers, 64 KiB steps up to 4 MiB,
// then whole huge pages, so a freed buffer fits the next request of its class.
size_t size_class(size_t bytes) {
  if (bytes == 0) return 64;
  if (bytes < kMedium) return (bytes + 63) / 64 * 64;
  if (bytes < 2 * kHuge) return (bytes + 65535) / 65536 * 65536;
  return (bytes + kHuge - 1) / kHuge * kHuge;
}

// Small buffers (a tensor of a few elements, as most eager ops on scalars and
// biases make) come from a per-thread free list: glibc's aligned allocation
// and free cost more than the rest of such an op. Bounded: a few blocks per
// 64-byte class, returned to the system when the thread ends.
constexpr size_t kSmallMax = 4096;
constexpr int kSmallClasses = kSmallMax / 64;
constexpr int kSmallPerClass = 8;

struct SmallCache {
  void* blocks[kSmallClasses][kSmallPerClass];
  int count[kSmallClasses] = {};
  ~SmallCache();
};

thread_local bool t_small_gone = false;  // trivially destructible: readable while the thread ends
thread_local SmallCache t_small;

SmallCache::~SmallCache() {
  t_small_gone = true;
  for (int c = 0; c < kSmallClasses; ++c)
    for (int i = 0; i < count[c]; ++i) std::free(blocks[c][i]);
}

void* system_alloc(size_t cap) {
  if (cap < 2 * kHuge) return std::aligned_alloc(64, cap);
  void* p = std::aligned_alloc(kHuge, cap);
#if defined(MADV_HUGEPAGE)
  if (p) madvise(p, cap, MADV_HUGEPAGE);  // a few faults instead of thousands
#endif
  return p;
}

}  // namespace

void* host_alloc(size_t bytes, size_t* capacity) {
  size_t cap = size_class(bytes);
  Pool& p = pool();
  void* ptr = nullptr;
  if (cap <= kSmallMax && !t_small_gone) {
    SmallCache& c = t_small;
    int k = static_cast<int>(cap / 64) - 1;
    if (c.count[k] > 0) ptr = c.blocks[k][--c.count[k]];
  } else if (cap >= kMedium) {
    std::lock_guard<std::mutex> lock(p.mu);
    auto it = p.free_blocks.find(cap);
    if (it != p.free_blocks.end()) {
      ptr = it->second;
      p.free_blocks.erase(it);
      p.cached -= static_cast<int64_t>(cap);
    }
  }
  if (!ptr) {
    ptr = system_alloc(cap);
    if (!ptr) {
      empty_host_cache();  // the cache may hold what the system lacks
      ptr = system_alloc(cap);
      if (!ptr) throw std::bad_alloc();
    }
  }
  count_alloc(p, cap);
  *capacity = cap;
  return ptr;
}

void host_free(void* ptr, size_t cap) {
  if (!ptr) return;
  Pool& p = pool();
  p.current.fetch_sub(static_cast<int64_t>(cap), std::memory_order_relaxed);
  if (cap <= kSmallMax && !t_small_gone) {
    SmallCache& c = t_small;
    int k = static_cast<int>(cap / 64) - 1;
    if (c.count[k] < kSmallPerClass) {
      c.blocks[k][c.count[k]++] = ptr;
      return;
    }
  } else if (cap >= kMedium) {
    std::lock_guard<std::mutex> lock(p.mu);
    if (p.cached + static_cast<int64_t>(cap) <= kCacheLimit) {
      p.free_blocks.emplace(cap, ptr);
      p.cached += static_cast<int64_t>(cap);
      return;
    }
  }
  std::free(ptr);
}

HostMemoryInfo host_memory_info() {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mu);
  return {p.current.load(), p.peak.load(), p.cached, kCacheLimit, p.allocations.load()};
}

void reset_host_peak() {
  Pool& p = pool();
  p.peak.store(p.current.load());
}

void empty_host_cache() {
  Pool& p = pool();
  std::multimap<size_t, void*> blocks;
  {
    std::lock_guard<std::mutex> lock(p.mu);
    blocks.swap(p.free_blocks);
    p.cached = 0;
  }
  for (auto& b : blocks) std::free(b.second);
  if (!t_small_gone) {  // this thread's small blocks too
    SmallCache& c = t_small;
    for (int k = 0; k < kSmallClasses; ++k)
      while (c.count[k] > 0) std::free(c.blocks[k][--c.count[k]]);
  }
}

}  // namespace tl
