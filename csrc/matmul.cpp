// Matrix multiplication: shape checks and batching here, the GEMM loops in the
// BLIS arrangement around the per-ISA packing routines and micro-kernels
// (isa/gemm.cpp):
//
//   for each block of NC columns of C        (packed B block kc x nc sits in L2)
//     for each block of KC along k           (pack B once per block)
//       for each batch sharing the task      (reuses the packed B when b is broadcast)
//         for each block of MC rows          (pack A: mc x kc)
//           macro-kernel: MR x NR micro-tiles
//
// Threads take independent tasks (a range of batches, or a 2-D tile of C), each
// packing into its own buffers, so no barriers are needed.
#include "matmul.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

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
  std::vector<int64_t> a_off, b_off;  // element offset of each batch's matrix
  Mat a, b;
  bool b_shared;  // every batch uses the same B
};

struct Task {
  int64_t b0, b1, m0, m1, n0, n1;
};

// Per-thread packing buffers, kept between calls (no page faults per call).
template <typename T>
T* scratch(std::vector<char>& buf, int64_t count) {
  size_t need = static_cast<size_t>(count) * sizeof(T) + 64;
  if (buf.size() < need) buf.resize(need);
  auto p = reinterpret_cast<uintptr_t>(buf.data());
  return reinterpret_cast<T*>((p + 63) & ~uintptr_t(63));
}

template <typename Kern, typename T>
void run_task(const Kern& kern, const Problem& pr, const T* A, const T* B, T* C, const Task& t) {
  thread_local std::vector<char> abuf, bbuf;
  const int64_t mc_max = kern.mc, kc_max = kern.kc, nc_max = kern.nc;
  const int64_t nr = kern.nr, mr = kern.mr;
  const int64_t kc_alloc = std::min(kc_max, pr.k);
  T* pb = scratch<T>(bbuf, kc_alloc * ((std::min(nc_max, t.n1 - t.n0) + nr - 1) / nr * nr));
  T* pa = scratch<T>(abuf, kc_alloc * ((std::min(mc_max, t.m1 - t.m0) + mr - 1) / mr * mr));
  const int64_t ldc = pr.n;
  for (int64_t jc = t.n0; jc < t.n1; jc += nc_max) {
    const int64_t nc = std::min(nc_max, t.n1 - jc);
    for (int64_t pc = 0; pc < pr.k; pc += kc_max) {
      const int64_t kc = std::min(kc_max, pr.k - pc);
      for (int64_t bi = t.b0; bi < t.b1; ++bi) {
        if (bi == t.b0 || !pr.b_shared)
          kern.pack_b(kc, nc, B + pr.b_off[bi] + pc * pr.b.rs + jc * pr.b.cs, pr.b.rs, pr.b.cs, pb);
        const T* a = A + pr.a_off[bi];
        T* c = C + bi * pr.m * pr.n;
        for (int64_t ic = t.m0; ic < t.m1; ic += mc_max) {
          const int64_t mc = std::min(mc_max, t.m1 - ic);
          kern.pack_a(mc, kc, a + ic * pr.a.rs + pc * pr.a.cs, pr.a.rs, pr.a.cs, pa);
          kern.macro(mc, nc, kc, pa, pb, c + ic * ldc + jc, ldc, pc > 0);
        }
      }
    }
  }
}

// Splits [0, n) into `parts` ranges whose bounds are multiples of `unit`.
int64_t split_at(int64_t n, int64_t unit, int parts, int i) {
  int64_t units = (n + unit - 1) / unit;
  return std::min(n, units * i / parts * unit);
}

template <typename T, typename Kern>
void gemm(const Kern& kern, const Problem& pr, const T* A, const T* B, T* C) {
  const int64_t flops = pr.m * pr.n * pr.k;  // multiply-adds per batch
  // Unpacked path: packing costs more than it saves, or one side is a vector.
  if (flops <= 24 * 24 * 24 || pr.m <= 2 || pr.n <= 2) {
    const int64_t total = flops * pr.batch;
    parallel_for(pr.batch, total >= (1 << 20) ? total : 0, [&](int64_t b0, int64_t b1) {
      for (int64_t bi = b0; bi < b1; ++bi)
        kern.small(pr.m, pr.n, pr.k, A + pr.a_off[bi], pr.a.rs, pr.a.cs, B + pr.b_off[bi], pr.b.rs,
                   pr.b.cs, C + bi * pr.m * pr.n, pr.n);
    });
    return;
  }
  // Threads pay off from about 64^3 multiply-adds.
  int nt = flops * pr.batch >= (1 << 18) ? num_threads() : 1;
  std::vector<Task> tasks;
  if (nt <= 1) {
    tasks.push_back({0, pr.batch, 0, pr.m, 0, pr.n});
  } else if (pr.batch % nt == 0 || pr.batch >= 4 * nt) {
    for (int i = 0; i < nt; ++i) {
      int64_t b0 = pr.batch * i / nt, b1 = pr.batch * (i + 1) / nt;
      if (b0 < b1) tasks.push_back({b0, b1, 0, pr.m, 0, pr.n});
    }
  } else {
    // 2-D grid of C tiles, tm x tn = nt, with the least packing (perimeter).
    int best_tm = 1;
    int64_t best = -1;
    for (int tm = 1; tm <= nt; ++tm) {
      if (nt % tm) continue;
      int tn = nt / tm;
      int64_t rows = (pr.m + tm - 1) / tm, cols = (pr.n + tn - 1) / tn;
      if (rows < kern.mr && tm > 1) continue;
      if (cols < kern.nr && tn > 1) continue;
      int64_t cost = rows + cols;
      if (best < 0 || cost < best) best = cost, best_tm = tm;
    }
    const int tm = best_tm, tn = nt / best_tm;
    for (int64_t bi = 0; bi < pr.batch; ++bi)
      for (int i = 0; i < tm; ++i)
        for (int j = 0; j < tn; ++j) {
          Task t{bi, bi + 1, split_at(pr.m, kern.mr, tm, i), split_at(pr.m, kern.mr, tm, i + 1),
                 split_at(pr.n, kern.nr, tn, j), split_at(pr.n, kern.nr, tn, j + 1)};
          if (t.m0 < t.m1 && t.n0 < t.n1) tasks.push_back(t);
        }
  }
  const int64_t ntasks = static_cast<int64_t>(tasks.size());
  parallel_for(ntasks, ntasks > 1 ? flops * pr.batch : 0, [&](int64_t t0, int64_t t1) {
    for (int64_t i = t0; i < t1; ++i) run_task(kern, pr, A, B, C, tasks[i]);
  });
}

// Integer matmul: exact, with wrap-around like TensorFlow's; a plain loop.
template <typename T>
void int_matmul(const Problem& pr, const T* A, const T* B, T* C) {
  using U = std::make_unsigned_t<T>;
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

Array matmul(const Array& a, const Array& b, bool transpose_a, bool transpose_b) {
  if (a.ndim() < 2 || b.ndim() < 2)
    throw InvalidArgument("matmul: both operands must have rank >= 2, got shapes " +
                          pair_str(a.shape(), b.shape()) +
                          " (reshape a vector to (1, n) or (n, 1))");
  if (a.dtype() != b.dtype())
    throw InvalidArgument(std::string("matmul: operands must have the same dtype, got ") +
                          dtype_name(a.dtype()) + " @ " + dtype_name(b.dtype()));
  if (!in_family(a.dtype(), kNumeric))
    throw TypeError(std::string("matmul: unsupported dtype ") + dtype_name(a.dtype()));
  if (a.device() != Device::CPU || b.device() != Device::CPU)
    throw InvalidArgument("matmul: only CPU arrays are supported");

  // Effective operands: swap the last two axes as the flags ask (a view).
  Shape as = a.shape(), ast = a.strides(), bs = b.shape(), bst = b.strides();
  const size_t na = as.size(), nb = bs.size();
  if (transpose_a) std::swap(as[na - 2], as[na - 1]), std::swap(ast[na - 2], ast[na - 1]);
  if (transpose_b) std::swap(bs[nb - 2], bs[nb - 1]), std::swap(bst[nb - 2], bst[nb - 1]);
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
  Shape batch(nbatch), a_bst(nbatch, 0), b_bst(nbatch, 0);
  for (size_t i = 0; i < nbatch; ++i) {
    const int64_t ia = static_cast<int64_t>(i) - static_cast<int64_t>(nbatch - (na - 2));
    const int64_t ib = static_cast<int64_t>(i) - static_cast<int64_t>(nbatch - (nb - 2));
    const int64_t da = ia >= 0 ? as[ia] : 1, db = ib >= 0 ? bs[ib] : 1;
    if (da != db && da != 1 && db != 1)
      throw InvalidArgument("matmul: batch dimensions do not broadcast: " + pair_str(as, bs));
    batch[i] = da == 1 ? db : da;
    if (ia >= 0 && da != 1) a_bst[i] = ast[ia];
    if (ib >= 0 && db != 1) b_bst[i] = bst[ib];
  }
  Shape out_shape = batch;
  out_shape.push_back(M);
  out_shape.push_back(N);
  Array out = Array::empty(out_shape, a.dtype());
  if (out.size() == 0) return out;
  if (K == 0) {
    std::memset(out.raw(), 0, out.size() * out.itemsize());
    return out;
  }

  Problem pr;
  pr.m = M, pr.n = N, pr.k = K;
  pr.a = {ast[na - 2], ast[na - 1]};
  pr.b = {bst[nb - 2], bst[nb - 1]};
  pr.batch = numel(batch);
  pr.b_shared = std::all_of(b_bst.begin(), b_bst.end(), [](int64_t s) { return s == 0; });
  // The common case x(batch.., m, k) @ w(k, n): one tall product when a's batch
  // axes and rows are one strided axis (C is contiguous, so it follows).
  if (pr.batch > 1 && pr.b_shared) {
    Shape sh = batch, st = a_bst;
    sh.push_back(M), st.push_back(pr.a.rs);
    if (mergeable(sh, st, &pr.a.rs)) {
      pr.m = M * pr.batch;
      pr.batch = 1;
    }
  }
  pr.a_off.assign(pr.batch, 0);
  pr.b_off.assign(pr.batch, 0);
  {
    // Walk the batch index like an odometer.
    Shape idx(nbatch, 0);
    int64_t oa = 0, ob = 0;
    for (int64_t i = 0; i < pr.batch; ++i) {
      pr.a_off[i] = oa, pr.b_off[i] = ob;
      for (size_t d = nbatch; d-- > 0;) {
        oa += a_bst[d], ob += b_bst[d];
        if (++idx[d] < batch[d]) break;
        oa -= a_bst[d] * batch[d], ob -= b_bst[d] * batch[d];
        idx[d] = 0;
      }
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
    default:
      break;
  }
  return out;
}

}  // namespace tl
