// Picks the vector kernels for this CPU once, at first use.
#include <cstdlib>
#include <cstring>
#include <string>

#include "errors.h"
#include "isa/table.h"

namespace tl {
namespace {

int cpu_level() {
#if defined(__x86_64__) || defined(_M_X64)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    return 2;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
  return 0;
}

IsaTable make_table() {
  int level = cpu_level();
  if (const char* env = std::getenv("TENSORLET_ISA")) {
    // Only ever lowers the level: asking for AVX-512 on a CPU without it
    // would crash.
    int want = level;
    if (!std::strcmp(env, "baseline")) want = 0;
    else if (!std::strcmp(env, "avx2")) want = 1;
    else if (!std::strcmp(env, "avx512")) want = 2;
    if (want < level) level = want;
  }
  IsaTable t{};
  if (level == 2) {
    avx512::fill_table(&t);
    avx512::fill_rows(&t);
    avx512::fill_gemm(&t);
    avx512::fill_training(&t);
  } else if (level == 1) {
    avx2::fill_table(&t);
    avx2::fill_rows(&t);
    avx2::fill_gemm(&t);
    avx2::fill_training(&t);
  } else {
    baseline::fill_table(&t);
    baseline::fill_rows(&t);
    baseline::fill_gemm(&t);
    baseline::fill_training(&t);
  }
  return t;
}

}  // namespace

const IsaTable& isa() {
  static const IsaTable table = make_table();
  return table;
}

}  // namespace tl
