// Matrix multiplication: shape checks and batching here, the GEMM loops in the
// BLIS arrangement around the per-ISA packing routines and micro-kernels
// (isa/gemm.cpp). On one thread:
//
//   for each block of NC columns of C        (NC is wide: packed B streams from L3)
//     for each block of KC along k           (pack B once per block)
//       for each batch of the task           (reuses the packed B when b is broadcast)
//         for each block of MC rows          (pack A: mc x kc)
//           macro-kernel: MR x NR micro-tiles, one A panel in L1 against all B panels
//
// Several threads either take whole products of a batch each (no
// synchronisation), or share one product (gemm_shared). Tiny products and
// vector-shaped ones skip packing, and so do products with few rows or
// columns (gemm_direct: the micro-kernel reads A and B where they are).
// Dense layers (dense()) add their bias and apply relu as the last k block of
// each tile is written.
//
// The block sizes follow the CPU's caches (blocking()): KC so that one A
// micro-panel (MR x KC) takes half of L1, NC so that a block of packed B
// (KC x NC), which every A micro-panel streams through, takes half of L2. Only
// KC changes the order in which a result's products are added.
#include "matmul.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "cpu_kernels.h"
#include "device.h"
#include "elementwise.h"
#include "isa/table.h"
#include "parallel.h"

namespace tl {
namespace {

// A 2-D operand of one product: element (i, j) at base[i*rs + j*cs].
struct Mat {
  int64_t rs, cs;
};

struct Problem {
  int64_t m, n, k, batch;
  const int64_t *a_off, *b_off;  // element offset of each batch's matrix
  Mat a, b;
  bool b_shared;  // every batch uses the same B
  // Dense layers: C = act(A @ B + bias) with bias[j] per column (null: none),
  // act 0 linear, 1 relu; applied as each tile of C is written the last time.
  const void* bias = nullptr;
  int act = 0;
};

const int64_t kZeroOffset = 0;

// Multiply-adds from which a product uses several threads: about 160^3, some
// 40 us of work on one core. Waking a worker costs microseconds on an idle
// machine, but a scheduler time slice when other processes hold the cores, so
// smaller products stay on the calling thread.
constexpr int64_t kThreadMacs = int64_t{1} << 22;

// Block sizes in elements for one kernel table (its micro-tile MR x NR),
// derived once from the caches; TENSORLET_GEMM_BLOCKING="mc,kc,nc" overrides
// (a 0 keeps the derived value), for tests and tuning. packed_b: how much B
// the threads of one product share packed (half of L3).
struct Blocking {
  int64_t mc, kc, nc, packed_b;
};

template <typename Kern>
Blocking derive_blocking(const Kern& kern, int64_t itemsize) {
  const CpuCaches& cc = cpu_caches();
  const int64_t mr = kern.mr, nr = kern.nr;
  Blocking b;
  // At most the kernel's row-layout KC: longer blocks would be packed k-major.
  b.kc = std::clamp<int64_t>(cc.l1d / 2 / (mr * itemsize) / 16 * 16, 64, std::max(64, kern.kc / 16 * 16));
  b.nc = std::clamp<int64_t>(cc.l2 / 2 / (b.kc * itemsize) / nr * nr, 2 * nr, 8192);
  b.mc = std::clamp<int64_t>(cc.l2 / 4 / (b.kc * itemsize) / mr * mr, 4 * mr, 1024);
  b.packed_b = std::max<int64_t>(int64_t{1} << 20, cc.l3 / 2 / itemsize);
  if (const char* env = std::getenv("TENSORLET_GEMM_BLOCKING")) {
    long long v[3] = {0, 0, 0};
    if (std::sscanf(env, "%lld,%lld,%lld", &v[0], &v[1], &v[2]) >= 1) {
      if (v[0] > 0) b.mc = std::max<int64_t>(mr, v[0] / mr * mr);
      if (v[1] > 0) b.kc = std::max<int64_t>(8, v[1] / 8 * 8);
      if (v[2] > 0) b.nc = std::max<int64_t>(nr, v[2] / nr * nr);
    }
  }
  return b;
}

const Blocking& blocking(const GemmKernelsF32& kern) {
  static const Blocking b = derive_blocking(kern, 4);
  return b;
}
const Blocking& blocking(const GemmKernelsF64& kern) {
  static const Blocking b = derive_blocking(kern, 8);
  return b;
}

// Per-thread packing buffers, kept between calls (no page faults per call).
template <typename T>
T* scratch(std::vector<char>& buf, int64_t count) {
  size_t need = static_cast<size_t>(count) * sizeof(T) + 64;
  if (buf.size() < need) buf.resize(need);
  auto p = reinterpret_cast<uintptr_t>(buf.data());
  return reinterpret_cast<T*>((p + 63) & ~uintptr_t(63));
}

// The k block: at most kc, and the blocks of k as even as possible (a short
// last block would pay the C loads and stores for little work).
int64_t even_kc(int64_t k, int64_t kc) {
  const int64_t blocks = (k + kc - 1) / kc;
  return std::min(kc, ((k + blocks - 1) / blocks + 7) / 8 * 8);
}

// Products b0 .. b1-1 of the batch on the calling thread.
template <typename Kern, typename T>
void run_serial(const Kern& kern, const Problem& pr, const T* A, const T* B, T* C, int64_t b0, int64_t b1) {
  thread_local std::vector<char> abuf, bbuf;
  const T* bias = static_cast<const T*>(pr.bias);
  const Blocking& bk = blocking(kern);
  const int64_t mc_max = bk.mc, kc_max = even_kc(pr.k, bk.kc), nc_max = bk.nc;
  const int64_t nr = kern.nr, mr = kern.mr;
  const int64_t kc_alloc = std::min(kc_max, pr.k);
  T* pb = scratch<T>(bbuf, kc_alloc * ((std::min(nc_max, pr.n) + nr - 1) / nr * nr));
  // Row-layout A panels span the kernel's compile-time KC (see pack_a).
  T* pa = scratch<T>(abuf, std::max<int64_t>(kern.kc, kc_max) * ((std::min(mc_max, pr.m) + mr - 1) / mr * mr));
  const int64_t ldc = pr.n;
  for (int64_t jc = 0; jc < pr.n; jc += nc_max) {
    const int64_t nc = std::min(nc_max, pr.n - jc);
    for (int64_t pc = 0; pc < pr.k; pc += kc_max) {
      const int64_t kc = std::min(kc_max, pr.k - pc);
      for (int64_t bi = b0; bi < b1; ++bi) {
        if (bi == b0 || !pr.b_shared)
          kern.pack_b(kc, nc, B + pr.b_off[bi] + pc * pr.b.rs + jc * pr.b.cs, pr.b.rs, pr.b.cs, pb);
        const T* a = A + pr.a_off[bi];
        T* c = C + bi * pr.m * pr.n;
        for (int64_t ic = 0; ic < pr.m; ic += mc_max) {
          const int64_t mc = std::min(mc_max, pr.m - ic);
          const int layout = kern.pack_a(mc, kc, a + ic * pr.a.rs + pc * pr.a.cs, pr.a.rs, pr.a.cs, pa);
          const bool last = pc + kc >= pr.k;
          kern.macro(mc, nc, kc, pa, pb, c + ic * ldc + jc, ldc, pc > 0, layout,
                     last && bias ? bias + jc : nullptr, last ? pr.act : 0);
        }
      }
    }
  }
}

int64_t round_up(int64_t x, int64_t unit) { return (x + unit - 1) / unit * unit; }

// All threads on one product. B is packed whole (every k block of a wide
// column block) into one shared buffer, panels taken from the pool's queue;
// then row blocks of C (each packing its own A, every k block, into a
// per-thread buffer) are taken the same way. The caller waits only for blocks
// already taken, so a thread that another process holds up never stalls the
// rest: whoever is running takes the remaining work.
template <typename Kern, typename T>
void gemm_shared(const Kern& kern, const Problem& pr, const T* A, const T* B, T* C, int nt) {
  thread_local std::vector<char> bbuf;
  const T* bias = static_cast<const T*>(pr.bias);
  const Blocking& bk = blocking(kern);
  const int64_t mr = kern.mr, nr = kern.nr;
  const int64_t kc_max = even_kc(pr.k, bk.kc);
  const int64_t kblocks = (pr.k + kc_max - 1) / kc_max;
  const int64_t nc_max = std::min(round_up(pr.n, nr), std::max(nr, bk.packed_b / pr.k / nr * nr));
  const int64_t ncol_blocks = (pr.n + nc_max - 1) / nc_max;
  // Row blocks: about four per thread when M allows, at most MC rows.
  const int64_t mc = std::min<int64_t>(bk.mc, std::max(mr, round_up((pr.m + 4 * nt - 1) / (4 * nt), mr)));
  const int64_t mblocks = (pr.m + mc - 1) / mc;
  // Row-layout panels span the kernel's compile-time KC.
  const int64_t a_size = round_up(round_up(mc, mr) * std::max<int64_t>(kern.kc, kc_max), 64);
  T* pb = scratch<T>(bbuf, pr.k * nc_max);
  const int64_t ldc = pr.n;
  const int64_t work = pr.m * pr.n * pr.k;  // multiply-adds: always enough for threads here
  for (int64_t bi = 0; bi < pr.batch; ++bi) {
    const T* a = A + pr.a_off[bi];
    T* c = C + bi * pr.m * pr.n;
    for (int64_t jc = 0; jc < pr.n; jc += nc_max) {
      const int64_t nc = std::min(nc_max, pr.n - jc);
      const int64_t npanels = (nc + nr - 1) / nr;
      const int64_t ncpad = npanels * nr;  // k block pc starts at pb + pc * ncpad
      if (bi == 0 || !pr.b_shared || ncol_blocks > 1) {
        const T* b = B + pr.b_off[bi] + jc * pr.b.cs;
        parallel_for(kblocks * npanels, work, [&](int64_t u0, int64_t u1) {
          for (int64_t u = u0; u < u1; ++u) {
            const int64_t pc = (u / npanels) * kc_max, p = u % npanels;
            const int64_t kc = std::min(kc_max, pr.k - pc);
            kern.pack_b(kc, std::min(nr, nc - p * nr), b + pc * pr.b.rs + p * nr * pr.b.cs, pr.b.rs, pr.b.cs,
                        pb + pc * ncpad + p * nr * kc);
          }
        });
      }
      // Too few row blocks to share: cut the columns too.
      const int64_t nchunks = mblocks >= 2 * nt ? 1 : std::min(npanels, (2 * nt + mblocks - 1) / mblocks);
      parallel_for(mblocks * nchunks, work, [&](int64_t u0, int64_t u1) {
        thread_local std::vector<char> abuf;
        T* pa = scratch<T>(abuf, a_size);
        for (int64_t u = u0; u < u1; ++u) {
          const int64_t ic = (u / nchunks) * mc, m = std::min(mc, pr.m - ic);
          const int64_t j0 = npanels * (u % nchunks) / nchunks * nr;
          const int64_t j1 = std::min(nc, npanels * (u % nchunks + 1) / nchunks * nr);
          if (j0 >= j1) continue;
          for (int64_t pc = 0; pc < pr.k; pc += kc_max) {
            const int64_t kc = std::min(kc_max, pr.k - pc);
            const int layout = kern.pack_a(m, kc, a + ic * pr.a.rs + pc * pr.a.cs, pr.a.rs, pr.a.cs, pa);
            const bool last = pc + kc >= pr.k;
            // The columns in L2-sized pieces, the packed A reused by each.
            for (int64_t js = j0; js < j1; js += bk.nc) {
              const int64_t je = std::min(j1, js + bk.nc);
              kern.macro(m, je - js, kc, pa, pb + pc * ncpad + js * kc, c + ic * ldc + jc + js, ldc, pc > 0,
                         layout, last && bias ? bias + jc + js : nullptr, last ? pr.act : 0);
            }
          }
        }
      });
    }
  }
}

// Which products go unpacked through kern.direct. With few rows, packing B
// costs about as much as the arithmetic (few row panels reuse it). Up to
// medium sizes the unpacked kernel keeps pace with the packed one on one core
// as long as A stays in L2 (every column panel walks all of A), and on two it
// is faster: one parallel region, nothing packed, no barrier inside (512^3:
// ~205 against ~185 GFLOP/s). A B whose rows are not contiguous must be
// swapped or copied first, so it gets only the few-rows case. Thin products
// (up to one micro-tile of columns) never pack. The kernel sums all of k per
// tile, so k is bounded too.
constexpr int64_t kDirectRowsStrided = 64, kDirectRows = 512, kDirectABytes = int64_t{1} << 20;
constexpr int64_t kDirectCols = 32;
constexpr int64_t kDirectMaxK = 4096;

bool use_direct(const Problem& pr, size_t itemsize) {
  if (pr.batch != 1 || pr.k > kDirectMaxK) return false;
  if (pr.n <= kDirectCols) return true;
  if (pr.m <= kDirectRowsStrided) return true;
  return pr.b.cs == 1 && pr.m <= kDirectRows && pr.m * pr.k * static_cast<int64_t>(itemsize) <= kDirectABytes;
}

// c = act(c + bias[j]) over an m x n block (after the unpacked small kernel).
template <typename T>
void apply_epilogue(T* c, int64_t m, int64_t n, int64_t ldc, const T* bias, int act) {
  for (int64_t i = 0; i < m; ++i) {
    T* ci = c + i * ldc;
    if (bias)
      for (int64_t j = 0; j < n; ++j) ci[j] += bias[j];
    if (act)
      for (int64_t j = 0; j < n; ++j) ci[j] = ci[j] > T(0) ? ci[j] : (ci[j] != ci[j] ? ci[j] : T(0));
  }
}

// One product (batch 1) through kern.direct. The kernel wants B's columns at
// unit stride; otherwise C^T = B^T A^T is computed when A's rows are at unit
// stride (a transposed view), else the smaller operand is copied. Threads take
// blocks of whole tiles from a 2-D grid (columns first: each B panel is read
// by one thread), dynamically, in one parallel region with no barrier but
// its end. Which tile goes to which thread never changes a result.
template <typename Kern, typename T>
void gemm_direct(const Kern& kern, const Problem& pr, const T* A, const T* B, T* C) {
  thread_local std::vector<char> copy;
  int64_t m = pr.m, n = pr.n, k = pr.k;
  const T* a = A;
  const T* b = B;
  int64_t rsa = pr.a.rs, csa = pr.a.cs, rsb = pr.b.rs;
  int64_t rsc = pr.n, csc = 1, brs = 0, bcs = 1;
  if (pr.b.cs != 1 && n > 1) {
    // Swapping writes C through scalar transposed stores (m*n of them), maybe
    // after copying A; otherwise B is copied (k*n).
    if ((pr.a.rs == 1 ? 0 : m * k) + m * n <= k * n) {
      if (pr.a.rs != 1) {
        // A^T as a contiguous k x m operand.
        T* t = scratch<T>(copy, k * m);
        for (int64_t i0 = 0; i0 < m; i0 += 16)
          for (int64_t p = 0; p < k; ++p)
            for (int64_t i = i0; i < std::min(m, i0 + 16); ++i) t[p * m + i] = A[i * pr.a.rs + p * pr.a.cs];
        b = t, rsb = m;
      } else {
        b = A, rsb = pr.a.cs;
      }
      a = B, rsa = pr.b.cs, csa = pr.b.rs;
      std::swap(m, n);
      std::swap(rsc, csc);
      std::swap(brs, bcs);
    } else {
      T* t = scratch<T>(copy, k * n);
      for (int64_t j0 = 0; j0 < n; j0 += 16)
        for (int64_t p = 0; p < k; ++p)
          for (int64_t j = j0; j < std::min(n, j0 + 16); ++j) t[p * n + j] = B[p * pr.b.rs + j * pr.b.cs];
      b = t, rsb = n;
    }
  }
  const T* bias = static_cast<const T*>(pr.bias);
  // One region with no packing and no inner barrier: threads pay from a
  // sixteenth of the packed path's size (~256K multiply-adds, a few us each).
  const int nt = 16 * m * n * k >= kThreadMacs ? num_threads() : 1;
  const int64_t mr = kern.mr, nr = kern.nr;
  const int64_t tiles = (m + mr - 1) / mr, panels = (n + nr - 1) / nr;
  if (nt <= 1 || tiles * panels < 2) {
    kern.direct(m, n, k, a, rsa, csa, b, rsb, C, rsc, csc, bias, brs, bcs, pr.act);
    return;
  }
  // About four blocks per thread: columns first, then rows.
  const int64_t cchunks = std::min<int64_t>(panels, 4 * nt);
  const int64_t rchunks = std::min<int64_t>(tiles, (4 * nt + cchunks - 1) / cchunks);
  const int64_t units = cchunks * rchunks;
  parallel_for(units, int64_t{16} * m * n * k, [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t cu = u / rchunks, ru = u % rchunks;
      const int64_t j0 = panels * cu / cchunks * nr, j1 = std::min(n, panels * (cu + 1) / cchunks * nr);
      const int64_t i0 = tiles * ru / rchunks * mr, i1 = std::min(m, tiles * (ru + 1) / rchunks * mr);
      if (i0 >= i1 || j0 >= j1) continue;
      kern.direct(i1 - i0, j1 - j0, k, a + i0 * rsa, rsa, csa, b + j0, rsb, C + i0 * rsc + j0 * csc, rsc, csc,
                  bias ? bias + i0 * brs + j0 * bcs : nullptr, brs, bcs, pr.act);
    }
  });
}

// One or two columns of a row-major B, copied contiguous: the small kernel
// then takes dot products along k instead of a store-to-load chain per step.
template <typename T>
const T* as_columns(const Problem& pr, const T* b, int64_t& rs, int64_t& cs, std::vector<T>& buf) {
  if (pr.n > 2 || rs == 1 || pr.a.cs != 1 || pr.k < 8) return b;
  buf.resize(static_cast<size_t>(pr.n * pr.k));
  for (int64_t j = 0; j < pr.n; ++j)
    for (int64_t p = 0; p < pr.k; ++p) buf[j * pr.k + p] = b[p * rs + j * cs];
  rs = 1, cs = pr.k;
  return buf.data();
}

template <typename T, typename Kern>
void gemm(const Kern& kern, const Problem& pr, const T* A, const T* B, T* C) {
  const int64_t flops = pr.m * pr.n * pr.k;  // multiply-adds per batch
  // Unpacked path: packing costs more than it saves, or one side is a vector.
  if (flops <= 24 * 24 * 24 || pr.m <= 2 || pr.n <= 2) {
    const T* bias = static_cast<const T*>(pr.bias);
    const int64_t total = flops * pr.batch;
    const int64_t work = total >= kThreadMacs ? total : 0;
    if (pr.batch > 1 || work == 0) {
      parallel_for(pr.batch, work, [&](int64_t b0, int64_t b1) {
        std::vector<T> cols;
        for (int64_t bi = b0; bi < b1; ++bi) {
          int64_t rsb = pr.b.rs, csb = pr.b.cs;
          const T* b = as_columns(pr, B + pr.b_off[bi], rsb, csb, cols);
          kern.small(pr.m, pr.n, pr.k, A + pr.a_off[bi], pr.a.rs, pr.a.cs, b, rsb, csb, C + bi * pr.m * pr.n, pr.n);
          if (bias || pr.act) apply_epilogue(C + bi * pr.m * pr.n, pr.m, pr.n, pr.n, bias, pr.act);
        }
      });
    } else if (pr.n >= pr.m) {
      // Vector-matrix: threads take column ranges (in 16s, whole cache lines of C).
      parallel_for((pr.n + 15) / 16, work, [&](int64_t j0, int64_t j1) {
        j0 *= 16, j1 = std::min(pr.n, j1 * 16);
        kern.small(pr.m, j1 - j0, pr.k, A, pr.a.rs, pr.a.cs, B + j0 * pr.b.cs, pr.b.rs, pr.b.cs, C + j0, pr.n);
        if (bias || pr.act) apply_epilogue(C + j0, pr.m, j1 - j0, pr.n, bias ? bias + j0 : nullptr, pr.act);
      });
    } else {
      std::vector<T> cols;
      int64_t rsb = pr.b.rs, csb = pr.b.cs;
      const T* b = as_columns(pr, B, rsb, csb, cols);
      parallel_for(pr.m, work, [&](int64_t i0, int64_t i1) {
        kern.small(i1 - i0, pr.n, pr.k, A + i0 * pr.a.rs, pr.a.rs, pr.a.cs, b, rsb, csb, C + i0 * pr.n, pr.n);
        if (bias || pr.act) apply_epilogue(C + i0 * pr.n, i1 - i0, pr.n, pr.n, bias, pr.act);
      });
    }
    return;
  }
  if (use_direct(pr, sizeof(T))) {
    gemm_direct(kern, pr, A, B, C);
    return;
  }
  const int nt = flops * pr.batch >= kThreadMacs ? num_threads() : 1;
  if (nt > 1 && (pr.batch % nt == 0 || pr.batch >= 4 * nt)) {
    // Many products: each thread takes whole ones, with no synchronisation.
    parallel_for(nt, flops * pr.batch, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t b0 = pr.batch * t / nt, b1 = pr.batch * (t + 1) / nt;
        if (b0 < b1) run_serial(kern, pr, A, B, C, b0, b1);
      }
    });
    return;
  }
  if (nt > 1) {
    gemm_shared(kern, pr, A, B, C, nt);
    return;
  }
  run_serial(kern, pr, A, B, C, 0, pr.batch);
}

// Integer matmul: exact, with wrap-around like TensorFlow's; a plain loop
// (complex matmul too, without the unsigned detour).
template <typename T> struct LoopAcc { using type = T; };
template <> struct LoopAcc<int32_t> { using type = uint32_t; };
template <> struct LoopAcc<int64_t> { using type = uint64_t; };

template <typename T>
void int_matmul(const Problem& pr, const T* A, const T* B, T* C) {
  using U = typename LoopAcc<T>::type;
  parallel_for(pr.batch * pr.m, pr.batch * pr.m * pr.n * pr.k, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t bi = r / pr.m, i = r % pr.m;
      const T* a = A + pr.a_off[bi] + i * pr.a.rs;
      const T* b = B + pr.b_off[bi];
      T* c = C + r * pr.n;
      for (int64_t j = 0; j < pr.n; ++j) c[j] = 0;
      for (int64_t p = 0; p < pr.k; ++p) {
        const U x = static_cast<U>(a[p * pr.a.cs]);
        const T* bp = b + p * pr.b.rs;
        for (int64_t j = 0; j < pr.n; ++j)
          c[j] = static_cast<T>(static_cast<U>(c[j]) + x * static_cast<U>(bp[j * pr.b.cs]));
      }
    }
  });
}

std::string pair_str(const Shape& a, const Shape& b) { return shape_str(a) + " @ " + shape_str(b); }

// Whether (shape, strides) walk memory as one axis; if so sets *stride to its
// step. Size-1 dims never matter.
bool mergeable(const Shape& shape, const Shape& strides, int64_t* stride) {
  int64_t expect = -1;  // the stride the next outer non-trivial dim must have
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] == 1) continue;
    if (expect < 0) *stride = strides[i];
    else if (strides[i] != expect) return false;
    expect = strides[i] * shape[i];
  }
  return true;
}

}  // namespace

namespace {
Array matmul_views(const Array& av, const Array& bv, bool transpose_a, bool transpose_b);
}  // namespace

Array matmul(const Array& a, const Array& b, bool transpose_a, bool transpose_b) {
  if (a.ndim() < 2 || b.ndim() < 2)
    throw InvalidArgument("matmul: both operands must have rank >= 2, got shapes " +
                          pair_str(a.shape(), b.shape()) + " (reshape a vector to (1, n) or (n, 1))");
  if (a.dtype() != b.dtype())
    throw InvalidArgument(std::string("matmul: operands must have the same dtype, got ") +
                          dtype_name(a.dtype()) + " @ " + dtype_name(b.dtype()));
  if (is_narrow(a.dtype())) return narrow(matmul(widen(a), widen(b), transpose_a, transpose_b), a.dtype());
  if (!in_family(a.dtype(), kNumeric | kComplex))
    throw TypeError(std::string("matmul: unsupported dtype ") + dtype_name(a.dtype()));
  check_same_device("matmul", a, b);
  if (is_complex(a.dtype()) && a.device() != Device::CPU) throw_not_implemented("matmul", a.device());

  // The flags only swap the last two axes: views, no copies.
  auto swap_last = [](const Array& x) {
    std::vector<int64_t> perm(x.ndim());
    for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int64_t>(i);
    std::swap(perm[perm.size() - 2], perm[perm.size() - 1]);
    return x.transpose(perm);
  };
  if (transpose_a || transpose_b)
    return matmul_views(transpose_a ? swap_last(a) : a, transpose_b ? swap_last(b) : b, transpose_a, transpose_b);
  return matmul_views(a, b, false, false);
}

namespace {

// matmul of av @ bv, the operands already transposed as asked (the flags only
// name them in errors).
Array matmul_views(const Array& av, const Array& bv, bool transpose_a, bool transpose_b) {
  const size_t na = av.ndim(), nb = bv.ndim();
  const Shape &as = av.shape(), &bs = bv.shape();
  const int64_t M = as[na - 2], K = as[na - 1], N = bs[nb - 1];
  if (bs[nb - 2] != K) {
    std::string msg = "matmul: inner dimensions differ: " + pair_str(as, bs);
    if (transpose_a || transpose_b)
      msg += std::string(" (shapes after") + (transpose_a ? " transpose_a" : "") +
             (transpose_a && transpose_b ? " and" : "") + (transpose_b ? " transpose_b" : "") + ")";
    throw InvalidArgument(msg);
  }
  // Batch axes: numpy broadcasting of the leading dims.
  const size_t nbatch = std::max(na, nb) - 2;
  Shape out_shape(nbatch + 2);
  for (size_t i = 0; i < nbatch; ++i) {
    const int64_t ia = static_cast<int64_t>(i + na) - static_cast<int64_t>(nbatch + 2);
    const int64_t ib = static_cast<int64_t>(i + nb) - static_cast<int64_t>(nbatch + 2);
    const int64_t da = ia >= 0 ? as[ia] : 1, db = ib >= 0 ? bs[ib] : 1;
    if (da != db && da != 1 && db != 1)
      throw InvalidArgument("matmul: batch dimensions do not broadcast: " + pair_str(as, bs));
    out_shape[i] = da == 1 ? db : da;
  }
  out_shape[nbatch] = M, out_shape[nbatch + 1] = N;
  if (K == 0) return full(out_shape, 0, av.dtype(), av.device());  // a sum of no products
  Array out = Array::empty(out_shape, av.dtype(), av.device());
  if (out.size() == 0) return out;
  // The slot takes operands with out's batch axes: broadcast views where
  // they differ (plain matrices, the usual case, go as they are).
  auto batch_fits = [&](const Array& x) {
    if (x.ndim() != static_cast<int64_t>(nbatch + 2)) return false;
    for (size_t i = 0; i < nbatch; ++i)
      if (x.shape()[i] != out_shape[i]) return false;
    return true;
  };
  auto with_batch = [&](const Array& x, int64_t rows, int64_t cols) {
    Shape shape = out_shape;
    shape[nbatch] = rows, shape[nbatch + 1] = cols;
    return x.broadcast_to(shape);
  };
  auto slot = kernel(av.device(), &DeviceKernels::matmul, "matmul");
  if (batch_fits(av) && batch_fits(bv)) slot(out, av, bv);
  else slot(out, with_batch(av, M, K), with_batch(bv, K, N));
  return out;
}

}  // namespace

Array dense(const Array& x, const Array& w, const Array* bias, const std::string& activation) {
  int act;
  if (activation == "linear") act = 0;
  else if (activation == "relu") act = 1;
  else throw InvalidArgument("dense: activation must be 'linear' or 'relu', got '" + activation + "'");
  if (x.ndim() != 2 || w.ndim() != 2)
    throw InvalidArgument("dense: inputs and kernel must be matrices, got shapes " + pair_str(x.shape(), w.shape()));
  if (x.dtype() != w.dtype() || (bias && bias->dtype() != x.dtype()))
    throw InvalidArgument(std::string("dense: inputs, kernel and bias must have the same dtype, got ") +
                          dtype_name(x.dtype()) + ", " + dtype_name(w.dtype()) +
                          (bias ? std::string(", ") + dtype_name(bias->dtype()) : std::string()));
  if (is_half(x.dtype()))
    return narrow(bias ? [&] { Array b = widen(*bias); return dense(widen(x), widen(w), &b, activation); }()
                       : dense(widen(x), widen(w), nullptr, activation), x.dtype());
  if (x.dtype() != DType::Float32 && x.dtype() != DType::Float64)
    throw TypeError(std::string("dense: unsupported dtype ") + dtype_name(x.dtype()) + " (float32 or float64)");
  check_same_device("dense", x, w);
  if (bias) check_same_device("dense", x, *bias);
  const int64_t M = x.shape()[0], K = x.shape()[1], N = w.shape()[1];
  if (w.shape()[0] != K)
    throw InvalidArgument("dense: inner dimensions differ: " + pair_str(x.shape(), w.shape()));
  if (bias && (bias->ndim() != 1 || bias->shape()[0] != N))
    throw InvalidArgument("dense: bias must have shape (" + std::to_string(N) + ",), got " +
                          shape_str(bias->shape()));
  Array out = Array::empty({M, N}, x.dtype(), x.device());
  if (out.size() == 0) return out;
  if (K == 0) {  // no products: act(bias), or zeros
    copy_into(out, bias ? *bias : scalar(0, x.dtype(), x.device()));
    if (act == 1) binary_into(BinaryOp::Max, out, out, scalar(0, x.dtype(), x.device()));
    return out;
  }
  kernel(x.device(), &DeviceKernels::dense, "dense")(out, x, w, bias, act);
  return out;
}

// ------------------------------------------------------ CPU implementation ----

namespace {

// a (..., M, K) and b (..., K, N) have out's batch axes (broadcast ones with
// stride 0).
void cpu_matmul(const Array& out, const Array& a, const Array& b) {
  const Shape& out_shape = out.shape();
  const size_t nd = out_shape.size(), nbatch = nd - 2;
  Problem pr;
  pr.m = out_shape[nd - 2], pr.n = out_shape[nd - 1], pr.k = a.shape()[nd - 1];
  pr.a = {a.strides()[nd - 2], a.strides()[nd - 1]};
  pr.b = {b.strides()[nd - 2], b.strides()[nd - 1]};
  pr.batch = 1;
  pr.b_shared = true;
  pr.a_off = pr.b_off = &kZeroOffset;
  std::vector<int64_t> offsets;  // a's then b's, one per batch
  if (nbatch > 0) {
    Shape a_bst(nbatch, 0), b_bst(nbatch, 0);
    for (size_t i = 0; i < nbatch; ++i) {
      if (out_shape[i] == 1) continue;  // a size-1 axis never moves
      a_bst[i] = a.strides()[i];
      b_bst[i] = b.strides()[i];
    }
    pr.batch = numel(Shape(out_shape.begin(), out_shape.begin() + nbatch));
    pr.b_shared = std::all_of(b_bst.begin(), b_bst.end(), [](int64_t s) { return s == 0; });
    // The common case x(batch.., m, k) @ w(k, n): one tall product when a's
    // batch axes and rows walk memory as one axis (C is contiguous, so its rows
    // follow).
    bool folded = false;
    if (pr.batch > 1 && pr.b_shared) {
      Shape sh(out_shape.begin(), out_shape.begin() + nbatch + 1), st = a_bst;
      st.push_back(pr.a.rs);
      if (mergeable(sh, st, &pr.a.rs)) {
        pr.m *= pr.batch;
        pr.batch = 1;
        folded = true;
      }
    }
    if (!folded && pr.batch > 1) {
      // Walk the batch index like an odometer.
      offsets.resize(2 * pr.batch);
      Shape idx(nbatch, 0);
      int64_t oa = 0, ob = 0;
      for (int64_t i = 0; i < pr.batch; ++i) {
        offsets[i] = oa, offsets[pr.batch + i] = ob;
        for (size_t d = nbatch; d-- > 0;) {
          oa += a_bst[d], ob += b_bst[d];
          if (++idx[d] < out_shape[d]) break;
          oa -= a_bst[d] * out_shape[d], ob -= b_bst[d] * out_shape[d];
          idx[d] = 0;
        }
      }
      pr.a_off = offsets.data();
      pr.b_off = offsets.data() + pr.batch;
    }
  }
  switch (a.dtype()) {
    case DType::Float32:
      gemm(isa().gemm_f32, pr, a.data<float>(), b.data<float>(), out.data<float>());
      break;
    case DType::Float64:
      gemm(isa().gemm_f64, pr, a.data<double>(), b.data<double>(), out.data<double>());
      break;
    case DType::Int32:
      int_matmul(pr, a.data<int32_t>(), b.data<int32_t>(), out.data<int32_t>());
      break;
    case DType::Int64:
      int_matmul(pr, a.data<int64_t>(), b.data<int64_t>(), out.data<int64_t>());
      break;
    case DType::Complex64:
      int_matmul(pr, a.data<std::complex<float>>(), b.data<std::complex<float>>(), out.data<std::complex<float>>());
      break;
    case DType::Complex128:
      int_matmul(pr, a.data<std::complex<double>>(), b.data<std::complex<double>>(), out.data<std::complex<double>>());
      break;
    default:
      break;
  }
}

void cpu_dense(const Array& out, const Array& x, const Array& w, const Array* bias, int act) {
  Array b_contig = bias ? bias->contiguous() : Array();
  Problem pr;
  pr.m = x.shape()[0], pr.n = w.shape()[1], pr.k = x.shape()[1], pr.batch = 1, pr.b_shared = true;
  pr.a = {x.strides()[0], x.strides()[1]};
  pr.b = {w.strides()[0], w.strides()[1]};
  pr.a_off = pr.b_off = &kZeroOffset;
  pr.bias = bias ? b_contig.raw() : nullptr;
  pr.act = act;
  dispatch<kFloat>(x.dtype(), "dense", [&](auto tv) {
    using T = decltype(tv);
    if constexpr (std::is_same_v<T, float>) gemm(isa().gemm_f32, pr, x.data<T>(), w.data<T>(), out.data<T>());
    else gemm(isa().gemm_f64, pr, x.data<T>(), w.data<T>(), out.data<T>());
  });
}

}  // namespace

void fill_cpu_matmul_kernels(DeviceKernels* k) {
  k->matmul = &cpu_matmul;
  k->dense = &cpu_dense;
}

namespace {

// C (at row stride ldc) = A @ B, or += with accumulate. The GEMM writes a
// contiguous m x n result; other cases go through a scratch block.
template <typename T, typename Kern>
void gemm_block(const Kern& kern, int64_t m, int64_t n, int64_t k, const T* a, int64_t rsa, int64_t csa,
                const T* b, int64_t rsb, int64_t csb, T* c, int64_t ldc, bool accumulate, const T* bias,
                int act) {
  if (m <= 0 || n <= 0) return;
  Problem pr;
  pr.m = m, pr.n = n, pr.k = k, pr.batch = 1, pr.b_shared = true;
  pr.a = {rsa, csa};
  pr.b = {rsb, csb};
  pr.a_off = pr.b_off = &kZeroOffset;
  if (!accumulate) pr.bias = bias, pr.act = act;
  if (!accumulate && ldc == n) {
    if (k > 0) {
      gemm(kern, pr, a, b, c);
    } else {
      std::fill(c, c + m * n, T(0));
      apply_epilogue(c, m, n, n, bias, act);
    }
    return;
  }
  std::vector<T> tmp(static_cast<size_t>(m * n), T(0));
  if (k > 0) gemm(kern, pr, a, b, tmp.data());
  else if (!accumulate) apply_epilogue(tmp.data(), m, n, n, bias, act);
  for (int64_t i = 0; i < m; ++i) {
    T* ci = c + i * ldc;
    const T* ti = tmp.data() + i * n;
    if (accumulate)
      for (int64_t j = 0; j < n; ++j) ci[j] += ti[j];
    else
      std::copy(ti, ti + n, ci);
  }
}

}  // namespace

std::vector<int64_t> gemm_blocking_info() {
  const CpuCaches& cc = cpu_caches();
  const Blocking &f = blocking(isa().gemm_f32), &d = blocking(isa().gemm_f64);
  return {cc.l1d, cc.l2, cc.l3, f.mc, f.kc, f.nc, d.mc, d.kc, d.nc};
}

void gemm_strided(int64_t m, int64_t n, int64_t k, const float* a, int64_t rsa, int64_t csa, const float* b,
                  int64_t rsb, int64_t csb, float* c, int64_t ldc, bool accumulate, const float* bias, int act) {
  gemm_block(isa().gemm_f32, m, n, k, a, rsa, csa, b, rsb, csb, c, ldc, accumulate, bias, act);
}

void gemm_strided(int64_t m, int64_t n, int64_t k, const double* a, int64_t rsa, int64_t csa, const double* b,
                  int64_t rsb, int64_t csb, double* c, int64_t ldc, bool accumulate, const double* bias, int act) {
  gemm_block(isa().gemm_f64, m, n, k, a, rsa, csa, b, rsb, csb, c, ldc, accumulate, bias, act);
}

}  // namespace tl
