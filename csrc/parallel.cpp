#include "parallel.h"

#include <thread>

namespace tl {
namespace {
int default_threads() {
#if defined(TL_HAVE_OPENMP)
  return omp_get_max_threads();
#else
  return 1;
#endif
}
int g_threads = 0;  // 0: not set yet
}  // namespace

int num_threads() {
  if (g_threads == 0) g_threads = default_threads();
  return g_threads;
}

void set_num_threads(int n) { g_threads = n > 0 ? n : default_threads(); }

}  // namespace tl
