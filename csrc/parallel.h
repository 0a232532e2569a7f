// One global thread count for every parallel loop, a size threshold so small
// ops stay serial, and a persistent thread pool that runs the loops.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <type_traits>

namespace tl {

int num_threads();
void set_num_threads(int n);  // n <= 0 restores the default (all cores)
// Elements below which an op runs on one thread (waking a thread costs more).
constexpr int64_t kParallelThreshold = 1 << 15;

namespace detail {

// One parallel loop, type-erased. It lives on the calling thread's stack;
// parallel.cpp explains why no pool thread can reach it after the call ends.
struct Job {
  void (*call)(void* ctx, int64_t b, int64_t e);
  void* ctx;
  int64_t n;
  int nchunks;
  bool aligned;  // chunk edges rounded down to multiples of 16 items
  std::atomic<bool> failed{false};
  std::exception_ptr error;  // written only by whoever set `failed` first

  int64_t edge(int64_t i) const {
    if (i >= nchunks) return n;
    int64_t x = n * i / nchunks;
    return aligned ? (x & ~int64_t{15}) : x;
  }
};

// Whether this thread is inside a chunk (pool threads always are): nested
// loops run serially there.
bool in_parallel();
// Runs every chunk of `job` on the caller and up to nt - 1 pool threads and
// returns true, rethrowing the first exception after all started chunks have
// finished; returns false without running anything when the pool is in use
// by another thread or has no threads.
bool run(Job& job, int nt);

}  // namespace detail

// For tests: `repeats` times, runs parallel_for(n, work) with each item
// recording its visit and checks every item was visited exactly once; the
// item `fail_at` (if >= 0) throws InvalidArgument instead. Returns the number
// of calls whose coverage was right.
int64_t parallel_selftest(int64_t n, int64_t work, int64_t fail_at, int64_t repeats);

// Calls fn(begin, end) over [0, n) in contiguous, non-overlapping chunks, in
// parallel when `work` (an estimate in elements) is large enough. Which
// thread runs a chunk varies from call to call; the chunk edges depend only
// on n, work and the thread count.
template <typename F>
void parallel_for(int64_t n, int64_t work, F&& fn) {
  int nt = num_threads();
  if (nt <= 1 || work < kParallelThreshold || n < 2 || detail::in_parallel()) {
    fn(int64_t{0}, n);
    return;
  }
  // About four chunks a thread, so threads that start late or run slowly
  // leave their share to the others, but none under a quarter of the
  // threshold (claiming one costs an atomic operation and a cache line).
  int64_t nc = std::min<int64_t>(n, int64_t{4} * nt);
  nc = std::min<int64_t>(nc, work / (kParallelThreshold / 4));
  nc = std::max<int64_t>(nc, 2);
  nc = std::min<int64_t>(nc, 4096);
  detail::Job job;
  job.call = [](void* ctx, int64_t b, int64_t e) { (*static_cast<std::remove_reference_t<F>*>(ctx))(b, e); };
  job.ctx = const_cast<void*>(static_cast<const void*>(&fn));
  job.n = n;
  job.nchunks = static_cast<int>(nc);
  // Long ranges get chunk edges on 16-item boundaries: whole cache lines of
  // a float output per chunk, and vector loops that split as in one call.
  job.aligned = n / nc >= 64;
  if (!detail::run(job, nt)) fn(int64_t{0}, n);
}

}  // namespace tl
