// One global thread count for every parallel region, and a size threshold so
// small ops stay serial.
#pragma once
#include <cstdint>
#include <exception>
#if defined(TL_HAVE_OPENMP)
#include <omp.h>
#endif

namespace tl {

int num_threads();
void set_num_threads(int n);  // n <= 0 restores the default (all cores)
// Elements below which an op runs on one thread (OpenMP start-up costs more).
constexpr int64_t kParallelThreshold = 1 << 15;

// Calls fn(begin, end) over [0, n) in contiguous chunks, in parallel when
// `work` (an estimate in elements) is large enough.
template <typename F>
void parallel_for(int64_t n, int64_t work, F&& fn) {
  int nt = num_threads();
  if (nt <= 1 || work < kParallelThreshold || n < 2) {
    fn(int64_t{0}, n);
    return;
  }
  if (nt > n) nt = static_cast<int>(n);
#if defined(TL_HAVE_OPENMP)
  // An exception may not leave an OpenMP region: keep the first, rethrow after.
  std::exception_ptr error;
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num();
    int64_t chunk = (n + nt - 1) / nt;
    int64_t b = t * chunk, e = b + chunk < n ? b + chunk : n;
    if (b < e) {
      try {
        fn(b, e);
      } catch (...) {
#pragma omp critical(tl_parallel_error)
        if (!error) error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
#else
  fn(int64_t{0}, n);
#endif
}

}  // namespace tl
