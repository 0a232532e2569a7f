// Matrix products on the GPU.
//
// float32: a tiled SGEMM. Each block of 256 threads computes a 128 x 128
// tile of C, each thread an 8 x 8 piece of it in registers, over k steps of 8
// staged through shared memory (two buffers, so the next step's loads overlap
// this step's arithmetic). Operands whose rows or columns are contiguous and
// 16-byte aligned (a plain matrix, or a transposed one) load 4 floats at a time;
// any other strides load one at a time.
//
// With TensorFloat-32 enabled (cuda_set_tf32; off by default), float32
// products run on the tensor cores instead (WMMA, m16n16k8): inputs rounded to
// 10-bit mantissas, sums in float32, a relative error of about 1e-3.
//
// float64 and integers: a plain 16 x 16 shared-memory tiling (integers wrap
// like the CPU's).
//
// Batches run on the grid's z axis; dense layers add the bias and apply relu
// as C is written.
#include <mma.h>

#include <type_traits>

#include "api.h"
#include "common.cuh"

namespace tl {
namespace cuda {
namespace {

struct Gemm {
  int64_t M, N, K;
  int64_t a_rs, a_cs, b_rs, b_cs;  // element (i, j) of A at i*a_rs + j*a_cs; likewise B
  Strided<2> batch;                // batch index -> offsets of A and B
  int64_t nbatch;
  const void* bias;  // N values, or null
  int act;           // 0 linear, 1 relu
};

template <typename T>
__device__ __forceinline__ T epilogue(T v, const Gemm& p, int64_t n) {
  if (p.bias) v += static_cast<const T*>(p.bias)[n];
  if (p.act == 1) v = v > T(0) ? v : (v != v ? v : T(0));
  return v;
}

// ------------------------------------------------------------ SGEMM ----

// Two tile shapes over 256 threads, each thread loading 4 elements of A and
// of B per k step: 128 x 128 tiles with k steps of 8 (each thread an 8 x 8
// piece of C) for large products, 64 x 64 with k steps of 16 (4 x 4 each)
// when the large tiles would not give every multiprocessor a block.
constexpr int kSgemmThreads = 256;
enum Load { kScalar = 0, kAlongK = 1, kAlongMN = 2 };  // which axis 4-float loads run along

template <int TILE, int KSTEP>
struct Shape2 {
  static constexpr int BM = TILE, BK = KSTEP;
  static constexpr int KV = BK / 4;    // 4-float groups along k
  static constexpr int MV = BM / 4;    // 4-float groups along m (or n)
  static constexpr int G = BM / 64;    // 4-row groups per thread, 64 rows apart
};

// Element (i, j) of a BM x BK tile of an operand, i along m (or n), j along
// k, at base[i * si + j * sj], 4 per thread; MODE says which axis is
// contiguous (and aligned) for 16-byte loads.
template <typename S, int MODE>
__device__ __forceinline__ void load_tile(const float* base, int64_t si, int64_t sj, int64_t i0, int64_t j0,
                                          int64_t ni, int64_t nj, float v[4]) {
  const int t = threadIdx.x;
  if (MODE == kAlongK) {
    const int64_t i = i0 + t / S::KV, j = j0 + (t % S::KV) * 4;
    if (i < ni && j < nj) {
      float4 x = *reinterpret_cast<const float4*>(base + i * si + j);
      v[0] = x.x, v[1] = x.y, v[2] = x.z, v[3] = x.w;
    } else {
      v[0] = v[1] = v[2] = v[3] = 0.f;
    }
  } else if (MODE == kAlongMN) {
    const int64_t j = j0 + t / S::MV, i = i0 + (t % S::MV) * 4;
    if (i < ni && j < nj) {
      float4 x = *reinterpret_cast<const float4*>(base + i + j * sj);
      v[0] = x.x, v[1] = x.y, v[2] = x.z, v[3] = x.w;
    } else {
      v[0] = v[1] = v[2] = v[3] = 0.f;
    }
  } else {
#pragma unroll
    for (int q = 0; q < 4; ++q) {
      const int e = t + q * kSgemmThreads;
      const int64_t i = i0 + e % S::BM, j = j0 + e / S::BM;
      v[q] = (i < ni && j < nj) ? base[i * si + j * sj] : 0.f;
    }
  }
}

// The loaded elements into the shared tile Ts[k][i].
template <typename S, int MODE>
__device__ __forceinline__ void store_tile(float (*Ts)[S::BM], const float v[4]) {
  const int t = threadIdx.x;
  if (MODE == kAlongK) {
#pragma unroll
    for (int q = 0; q < 4; ++q) Ts[(t % S::KV) * 4 + q][t / S::KV] = v[q];
  } else if (MODE == kAlongMN) {
    *reinterpret_cast<float4*>(&Ts[t / S::MV][(t % S::MV) * 4]) = make_float4(v[0], v[1], v[2], v[3]);
  } else {
#pragma unroll
    for (int q = 0; q < 4; ++q) {
      const int e = t + q * kSgemmThreads;
      Ts[e / S::BM][e % S::BM] = v[q];
    }
  }
}

template <typename S, int AMODE, int BMODE>
__global__ void __launch_bounds__(kSgemmThreads) sgemm(const float* A0, const float* B0, float* C0, Gemm p) {
  constexpr int BM = S::BM, BK = S::BK, G = S::G, TM = 4 * G;
  __shared__ __align__(16) float As[2][BK][BM];
  __shared__ __align__(16) float Bs[2][BK][BM];
  const int64_t tiles_n = (p.N + BM - 1) / BM;
  const int64_t m0 = (blockIdx.x / tiles_n) * BM, n0 = (blockIdx.x % tiles_n) * BM;
  const int t = threadIdx.x, ty = t >> 4, tx = t & 15;
  const int64_t nk = (p.K + BK - 1) / BK;
  for (int64_t z = blockIdx.z; z < p.nbatch; z += gridDim.z) {
    int64_t off[2];
    p.batch.offsets<int64_t>(z, off);
    const float* A = A0 + off[0];
    const float* B = B0 + off[1];
    float* C = C0 + z * p.M * p.N;
    float acc[TM][TM];
#pragma unroll
    for (int i = 0; i < TM; ++i)
#pragma unroll
      for (int j = 0; j < TM; ++j) acc[i][j] = 0.f;
    float va[4], vb[4];
    // A's tile runs along m (rows i) and k; B's along n and k.
    load_tile<S, AMODE>(A, p.a_rs, p.a_cs, m0, 0, p.M, p.K, va);
    load_tile<S, BMODE>(B, p.b_cs, p.b_rs, n0, 0, p.N, p.K, vb);
    store_tile<S, AMODE>(As[0], va);
    store_tile<S, BMODE>(Bs[0], vb);
    __syncthreads();
    for (int64_t kt = 0; kt < nk; ++kt) {
      const int buf = kt & 1;
      const bool more = kt + 1 < nk;
      if (more) {
        load_tile<S, AMODE>(A, p.a_rs, p.a_cs, m0, (kt + 1) * BK, p.M, p.K, va);
        load_tile<S, BMODE>(B, p.b_cs, p.b_rs, n0, (kt + 1) * BK, p.N, p.K, vb);
      }
#pragma unroll
      for (int k = 0; k < BK; ++k) {
        float a[TM], b[TM];
#pragma unroll
        for (int g = 0; g < G; ++g) {
          *reinterpret_cast<float4*>(a + 4 * g) = *reinterpret_cast<const float4*>(&As[buf][k][g * 64 + ty * 4]);
          *reinterpret_cast<float4*>(b + 4 * g) = *reinterpret_cast<const float4*>(&Bs[buf][k][g * 64 + tx * 4]);
        }
#pragma unroll
        for (int i = 0; i < TM; ++i)
#pragma unroll
          for (int j = 0; j < TM; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
      }
      if (more) {
        store_tile<S, AMODE>(As[buf ^ 1], va);
        store_tile<S, BMODE>(Bs[buf ^ 1], vb);
      }
      __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < TM; ++i) {
      const int64_t m = m0 + (i / 4) * 64 + ty * 4 + i % 4;
      if (m >= p.M) continue;
#pragma unroll
      for (int j = 0; j < TM; ++j) {
        const int64_t n = n0 + (j / 4) * 64 + tx * 4 + j % 4;
        if (n < p.N) C[m * p.N + n] = epilogue(acc[i][j], p, n);
      }
    }
  }
}

// ------------------------------------------------------- TF32 (WMMA) ----

constexpr int TM = 64, TN = 64, TK = 16, kTf32Threads = 128;
constexpr int kLdA = TK + 4, kLdB = TN + 4, kLdC = TN + 4;

__global__ void __launch_bounds__(kTf32Threads) tf32_gemm(const float* A0, const float* B0, float* C0, Gemm p) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  using namespace nvcuda;
  __shared__ __align__(128) float As[TM * kLdA];
  __shared__ __align__(128) float Bs[TK * kLdB];
  __shared__ __align__(128) float Cs[TM * kLdC];
  const int64_t tiles_n = (p.N + TN - 1) / TN;
  const int64_t m0 = (blockIdx.x / tiles_n) * TM, n0 = (blockIdx.x % tiles_n) * TN;
  const int t = threadIdx.x, warp = t >> 5, wm = warp >> 1, wn = warp & 1;
  const bool a_k = p.a_cs == 1, b_n = p.b_cs == 1;  // the contiguous axis, for coalesced loads
  for (int64_t z = blockIdx.z; z < p.nbatch; z += gridDim.z) {
    int64_t off[2];
    p.batch.offsets<int64_t>(z, off);
    const float* A = A0 + off[0];
    const float* B = B0 + off[1];
    float* C = C0 + z * p.M * p.N;
    wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[2][2];
#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
      for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.f);
    for (int64_t k0 = 0; k0 < p.K; k0 += TK) {
      for (int e = t; e < TM * TK; e += kTf32Threads) {
        const int m = a_k ? e / TK : e % TM, k = a_k ? e % TK : e / TM;
        const int64_t gm = m0 + m, gk = k0 + k;
        float v = (gm < p.M && gk < p.K) ? A[gm * p.a_rs + gk * p.a_cs] : 0.f;
        As[m * kLdA + k] = wmma::__float_to_tf32(v);
      }
      for (int e = t; e < TK * TN; e += kTf32Threads) {
        const int n = b_n ? e % TN : e / TK, k = b_n ? e / TN : e % TK;
        const int64_t gn = n0 + n, gk = k0 + k;
        float v = (gn < p.N && gk < p.K) ? B[gk * p.b_rs + gn * p.b_cs] : 0.f;
        Bs[k * kLdB + n] = wmma::__float_to_tf32(v);
      }
      __syncthreads();
#pragma unroll
      for (int kk = 0; kk < TK; kk += 8) {
        wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> fa[2];
        wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> fb[2];
#pragma unroll
        for (int i = 0; i < 2; ++i) wmma::load_matrix_sync(fa[i], &As[(wm * 32 + i * 16) * kLdA + kk], kLdA);
#pragma unroll
        for (int j = 0; j < 2; ++j) wmma::load_matrix_sync(fb[j], &Bs[kk * kLdB + wn * 32 + j * 16], kLdB);
#pragma unroll
        for (int i = 0; i < 2; ++i)
#pragma unroll
          for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
      }
      __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
      for (int j = 0; j < 2; ++j)
        wmma::store_matrix_sync(&Cs[(wm * 32 + i * 16) * kLdC + wn * 32 + j * 16], acc[i][j], kLdC,
                                wmma::mem_row_major);
    __syncthreads();
    for (int e = t; e < TM * TN; e += kTf32Threads) {
      const int m = e / TN, n = e % TN;
      const int64_t gm = m0 + m, gn = n0 + n;
      if (gm < p.M && gn < p.N) C[gm * p.N + gn] = epilogue(Cs[m * kLdC + n], p, gn);
    }
    __syncthreads();
  }
#endif
}

// -------------------------------------------------- float64, integers ----

template <typename T, typename U>
__global__ void gemm_simple(const T* A0, const T* B0, T* C0, Gemm p) {
  __shared__ T As[16][17], Bs[16][17];
  const int64_t tiles_n = (p.N + 15) / 16;
  const int ty = threadIdx.y, tx = threadIdx.x;
  const int64_t row = (blockIdx.x / tiles_n) * 16 + ty, col = (blockIdx.x % tiles_n) * 16 + tx;
  for (int64_t z = blockIdx.z; z < p.nbatch; z += gridDim.z) {
    int64_t off[2];
    p.batch.offsets<int64_t>(z, off);
    const T* A = A0 + off[0];
    const T* B = B0 + off[1];
    U acc = 0;
    for (int64_t k0 = 0; k0 < p.K; k0 += 16) {
      As[ty][tx] = (row < p.M && k0 + tx < p.K) ? A[row * p.a_rs + (k0 + tx) * p.a_cs] : T(0);
      const int64_t bcol = (blockIdx.x % tiles_n) * 16 + tx;
      Bs[ty][tx] = (k0 + ty < p.K && bcol < p.N) ? B[(k0 + ty) * p.b_rs + bcol * p.b_cs] : T(0);
      __syncthreads();
#pragma unroll
      for (int k = 0; k < 16; ++k) acc += static_cast<U>(As[ty][k]) * static_cast<U>(Bs[k][tx]);
      __syncthreads();
    }
    if (row < p.M && col < p.N) C0[z * p.M * p.N + row * p.N + col] = epilogue(static_cast<T>(acc), p, col);
  }
}

// ------------------------------------------------------------ launch ----

template <typename T> struct Accum { using type = std::make_unsigned_t<T>; };  // wraps, as the CPU's
template <> struct Accum<double> { using type = double; };
template <> struct Accum<float> { using type = float; };

bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

// Whether an operand's 4-float loads along its contiguous axis are aligned:
// the contiguous axis has step 1 and length a multiple of 4, every other step
// (the other axis and the batch axes) a multiple of 4, the base 16-byte aligned.
bool vec_ok(const float* base, int64_t unit_stride, int64_t other_stride, int64_t len, const Strided<2>& batch,
            int which) {
  if (unit_stride != 1 || other_stride % 4 != 0 || len % 4 != 0 || !aligned16(base)) return false;
  for (int d = 0; d < batch.nd; ++d)
    if (batch.st[which][d] % 4 != 0) return false;
  return true;
}

dim3 batch_grid(int64_t tiles, int64_t nbatch) {
  return dim3(static_cast<unsigned>(tiles), 1, static_cast<unsigned>(std::min<int64_t>(nbatch, 65535)));
}

template <typename S, int AM>
void pick_b(int bm, const float* A, const float* B, float* C, const Gemm& p, dim3 grid) {
  if (bm == kAlongMN) sgemm<S, AM, kAlongMN><<<grid, kSgemmThreads, 0, stream()>>>(A, B, C, p);
  else if (bm == kAlongK) sgemm<S, AM, kAlongK><<<grid, kSgemmThreads, 0, stream()>>>(A, B, C, p);
  else sgemm<S, AM, kScalar><<<grid, kSgemmThreads, 0, stream()>>>(A, B, C, p);
}

template <typename S>
void pick(int am, int bm, const float* A, const float* B, float* C, const Gemm& p) {
  const int64_t tiles = ((p.M + S::BM - 1) / S::BM) * ((p.N + S::BM - 1) / S::BM);
  const dim3 grid = batch_grid(tiles, p.nbatch);
  if (am == kAlongK) pick_b<S, kAlongK>(bm, A, B, C, p, grid);
  else if (am == kAlongMN) pick_b<S, kAlongMN>(bm, A, B, C, p, grid);
  else pick_b<S, kScalar>(bm, A, B, C, p, grid);
}

void run_float(const float* A, const float* B, float* C, const Gemm& p) {
  if (cuda_tf32() && compute_major() >= 8) {  // tensor cores with TF32: sm_80 and newer
    const int64_t tiles = ((p.M + TM - 1) / TM) * ((p.N + TN - 1) / TN);
    tf32_gemm<<<batch_grid(tiles, p.nbatch), kTf32Threads, 0, stream()>>>(A, B, C, p);
    return;
  }
  int am = kScalar, bm = kScalar;
  if (vec_ok(A, p.a_cs, p.a_rs, p.K, p.batch, 0)) am = kAlongK;
  else if (vec_ok(A, p.a_rs, p.a_cs, p.M, p.batch, 0)) am = kAlongMN;
  if (vec_ok(B, p.b_cs, p.b_rs, p.N, p.batch, 1)) bm = kAlongMN;
  else if (vec_ok(B, p.b_rs, p.b_cs, p.K, p.batch, 1)) bm = kAlongK;
  const int64_t big_tiles = ((p.M + 127) / 128) * ((p.N + 127) / 128) * p.nbatch;
  if (big_tiles >= sm_count()) pick<Shape2<128, 8>>(am, bm, A, B, C, p);
  else pick<Shape2<64, 16>>(am, bm, A, B, C, p);
}

template <typename T>
void run(const Array& out, const Array& a, const Array& b, const Gemm& p) {
  const T* A = a.data<T>();
  const T* B = b.data<T>();
  T* C = out.data<T>();
  if constexpr (std::is_same_v<T, float>) {
    run_float(A, B, C, p);
  } else {
    using U = typename Accum<T>::type;
    const int64_t tiles = ((p.M + 15) / 16) * ((p.N + 15) / 16);
    gemm_simple<T, U><<<batch_grid(tiles, p.nbatch), dim3(16, 16), 0, stream()>>>(A, B, C, p);
  }
  launched("matmul");
}

void matmul(const Array& out, const Array& a, const Array& b) {
  const int64_t nd = out.ndim();
  Gemm p;
  p.M = out.shape()[nd - 2], p.N = out.shape()[nd - 1], p.K = a.shape()[a.ndim() - 1];
  p.a_rs = a.strides()[a.ndim() - 2], p.a_cs = a.strides()[a.ndim() - 1];
  p.b_rs = b.strides()[b.ndim() - 2], p.b_cs = b.strides()[b.ndim() - 1];
  // a and b are broadcast over out's leading axes (missing ones count as broadcast).
  Shape bshape(out.shape().begin(), out.shape().end() - 2), ast(nd - 2, 0), bst(nd - 2, 0);
  for (int64_t d = 0; d < nd - 2; ++d) {
    int64_t da = d - (nd - a.ndim()), db = d - (nd - b.ndim());
    if (da >= 0 && a.shape()[da] != 1) ast[d] = a.strides()[da];
    if (db >= 0 && b.shape()[db] != 1) bst[d] = b.strides()[db];
  }
  p.batch = make_strided<2>(bshape, {&ast, &bst});
  p.nbatch = numel(bshape);
  p.bias = nullptr;
  p.act = 0;
  dispatch<kNumeric>(out.dtype(), "matmul", [&](auto tv) { run<decltype(tv)>(out, a, b, p); });
}

void dense(const Array& out, const Array& x, const Array& w, const Array* bias, int act) {
  Gemm p;
  p.M = x.shape()[0], p.K = x.shape()[1], p.N = w.shape()[1];
  p.a_rs = x.strides()[0], p.a_cs = x.strides()[1];
  p.b_rs = w.strides()[0], p.b_cs = w.strides()[1];
  p.batch = make_strided<2>(Shape{}, {nullptr, nullptr});
  p.nbatch = 1;
  Array bc = bias ? contiguous(*bias) : Array();
  p.bias = bias ? bc.raw() : nullptr;
  p.act = act;
  dispatch<kFloat>(out.dtype(), "dense", [&](auto tv) { run<decltype(tv)>(out, x, w, p); });
}

}  // namespace

void fill_matmul(DeviceKernels* k) {
  k->matmul = matmul;
  k->dense = dense;
}

}  // namespace cuda
}  // namespace tl
