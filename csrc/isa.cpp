// Picks the vector kernels for this CPU once, at first use.
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#endif

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
    avx512::fill_batchnorm(&t);
  } else if (level == 1) {
    avx2::fill_table(&t);
    avx2::fill_rows(&t);
    avx2::fill_gemm(&t);
    avx2::fill_training(&t);
    avx2::fill_batchnorm(&t);
  } else {
    baseline::fill_table(&t);
    baseline::fill_rows(&t);
    baseline::fill_gemm(&t);
    baseline::fill_training(&t);
    baseline::fill_batchnorm(&t);
  }
  return t;
}

// Sizes from /sys/devices/system/cpu/cpu0/cache/index*/{level,type,size}.
bool sysfs_caches(CpuCaches* c) {
  bool any = false;
  for (int i = 0; i < 8; ++i) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    std::ifstream lf(dir + "level"), tf(dir + "type"), sf(dir + "size");
    int level = 0;
    std::string type, size;
    if (!(lf >> level) || !(tf >> type) || !(sf >> size) || type == "Instruction") continue;
    int64_t bytes = std::atoll(size.c_str());
    if (size.back() == 'K') bytes <<= 10;
    else if (size.back() == 'M') bytes <<= 20;
    if (bytes <= 0) continue;
    if (level == 1) c->l1d = bytes;
    else if (level == 2) c->l2 = bytes;
    else if (level == 3) c->l3 = bytes;
    any = true;
  }
  return any;
}

// The deterministic cache parameters leaf: ways * partitions * line * sets.
void cpuid_caches(CpuCaches* c) {
#if defined(__x86_64__) || defined(_M_X64)
  unsigned a, b, cx, d;
  if (!__get_cpuid(0, &a, &b, &cx, &d)) return;
  const bool amd = b == 0x68747541;  // "Auth"enticAMD
  const unsigned leaf = amd ? 0x8000001D : 4;
  if (amd && (!__get_cpuid(0x80000000, &a, &b, &cx, &d) || a < leaf)) return;
  if (!amd && a < leaf) return;
  for (unsigned i = 0; i < 8; ++i) {
    __cpuid_count(leaf, i, a, b, cx, d);
    const unsigned type = a & 31, level = (a >> 5) & 7;
    if (type == 0) break;
    if (type == 2) continue;  // instructions
    const int64_t bytes = int64_t{(b >> 22) + 1} * (((b >> 12) & 1023) + 1) * ((b & 4095) + 1) * (int64_t{cx} + 1);
    if (level == 1) c->l1d = bytes;
    else if (level == 2) c->l2 = bytes;
    else if (level == 3) c->l3 = bytes;
  }
#else
  (void)c;
#endif
}

}  // namespace

const CpuCaches& cpu_caches() {
  static const CpuCaches caches = [] {
    CpuCaches c{int64_t{32} << 10, int64_t{1} << 20, int64_t{8} << 20};
    if (!sysfs_caches(&c)) cpuid_caches(&c);
    return c;
  }();
  return caches;
}

const IsaTable& isa() {
  static const IsaTable table = make_table();
  return table;
}

}  // namespace tl
