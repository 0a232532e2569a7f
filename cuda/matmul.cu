// Matrix products on the GPU.
//
// float32: two families of kernels, chosen by TL_CUDA_GEMM (read once;
// cuda_set_gemm_kernel changes it):
// - "blocked" (the default): sgemm_blocked, 128 x 128 tiles of C, each of
//   256 threads an 8 x 8 piece in registers, k steps of 8 through two shared
//   buffers, at most 128 registers so two blocks share a multiprocessor; and
//   with TensorFloat-32 on, tf32_blocked: 128 x 128 tiles on the tensor cores
//   (WMMA m16n16k8), each of 8 warps 64 x 32 of C.
// - "tiled" (the first kernels, kept as a fallback): sgemm, the same tiling
//   without the register limit, and tf32_gemm, 64 x 64 WMMA tiles.
// Products too small to give every multiprocessor a 128 x 128 tile use the
// tiled kernels' smaller tiles (64 x 64) in both modes. Operands whose rows or
// columns are contiguous and 16-byte aligned (a plain matrix, or a transposed
// one) load 4 floats at a time; any other strides load one at a time.
//
// TensorFloat-32 (cuda_set_tf32; off by default): inputs rounded to 10-bit
// mantissas, products exact, sums in float32: |error| <= (2^-10 + 2^-22 +
// 2 (k+1) 2^-24) (|A| |B|) elementwise, about 1e-3 relative on typical sums.
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

// ---------------------------------------------------- blocked SGEMM ----

// The default float32 kernel (TL_CUDA_GEMM=blocked). The tiling of sgemm
// above (128 x 128 x 8, 8 x 8 per thread, register prefetch, two shared
// buffers), changed where it cost speed: at most 128 registers, so two
// blocks share a multiprocessor (sgemm needs up to 177, one block); each
// warp covers 32 x 64 of C (4 x 8 threads), so each of its shared reads is
// one 128-byte wavefront; shared rows padded by 4 floats, so the transposing
// stores of a row-major A do not collide in banks; global addresses advance
// by a pointer step per k step; C written 4 floats at a time where aligned.
constexpr int kBM = 128, kBK = 8, kBPad = kBM + 4;

// One thread's share of one operand's 128 x 8 tile per k step: 4 elements,
// at p (+ q * step for scalar loads), p advancing by `advance` each k step.
// i runs along m (or n), j along k; si, sj are their strides.
template <int MODE>
struct TileLoader {
  const float* p;
  int64_t step, advance;
  int i, j;    // this thread's first element inside the tile
  bool row_ok;  // i inside the matrix

  __device__ __forceinline__ void init(const float* base, int64_t si, int64_t sj, int64_t i0, int64_t ni) {
    const int t = threadIdx.x;
    if (MODE == kAlongK) i = t >> 1, j = (t & 1) * 4;
    else if (MODE == kAlongMN) i = (t & 31) * 4, j = t >> 5;
    else i = t & 127, j = t >> 7;
    row_ok = i0 + i < ni;
    const int64_t gi = row_ok ? i0 + i : 0;  // no address outside the matrix, even unread
    p = base + gi * si + j * sj;
    step = 2 * sj;  // scalar loads: q * 2 rows of k apart
    advance = kBK * sj;
  }

  // Elements of k step starting at k0 (nk = K): zero outside the matrix.
  __device__ __forceinline__ void load(int64_t k0, int64_t nk, float v[4]) const {
    if (MODE == kScalar) {
#pragma unroll
      for (int q = 0; q < 4; ++q) v[q] = (row_ok && k0 + j + 2 * q < nk) ? p[q * step] : 0.f;
    } else if (row_ok && k0 + j < nk) {  // nk % 4 == 0 for kAlongK; one k index for kAlongMN
      const float4 x = *reinterpret_cast<const float4*>(p);
      v[0] = x.x, v[1] = x.y, v[2] = x.z, v[3] = x.w;
    } else {
      v[0] = v[1] = v[2] = v[3] = 0.f;
    }
  }

  // Into the shared tile Ts[k][i].
  __device__ __forceinline__ void store(float (*Ts)[kBPad], const float v[4]) const {
    if (MODE == kAlongK) {
#pragma unroll
      for (int q = 0; q < 4; ++q) Ts[j + q][i] = v[q];
    } else if (MODE == kAlongMN) {
      *reinterpret_cast<float4*>(&Ts[j][i]) = make_float4(v[0], v[1], v[2], v[3]);
    } else {
#pragma unroll
      for (int q = 0; q < 4; ++q) Ts[j + 2 * q][i] = v[q];
    }
  }
};

template <int AMODE, int BMODE>
__global__ void __launch_bounds__(kSgemmThreads, 2) sgemm_blocked(const float* A0, const float* B0, float* C0, Gemm p) {
  __shared__ __align__(16) float As[2][kBK][kBPad];
  __shared__ __align__(16) float Bs[2][kBK][kBPad];
  const int64_t tiles_n = (p.N + kBM - 1) / kBM;
  const int64_t m0 = (blockIdx.x / tiles_n) * kBM, n0 = (blockIdx.x % tiles_n) * kBM;
  const int t = threadIdx.x, warp = t >> 5, lane = t & 31;
  const int ty = (warp >> 1) * 4 + (lane >> 3), tx = (warp & 1) * 8 + (lane & 7);
  const bool vec_c = (p.N & 3) == 0 && (reinterpret_cast<uintptr_t>(C0) & 15) == 0;  // rows of C 16-byte aligned
  for (int64_t z = blockIdx.z; z < p.nbatch; z += gridDim.z) {
    int64_t off[2];
    p.batch.offsets<int64_t>(z, off);
    float* C = C0 + z * p.M * p.N;
    TileLoader<AMODE> la;
    TileLoader<BMODE> lb;
    la.init(A0 + off[0], p.a_rs, p.a_cs, m0, p.M);  // A's tile: m along i, k along j
    lb.init(B0 + off[1], p.b_cs, p.b_rs, n0, p.N);  // B's: n along i, k along j
    float acc[8][8];
#pragma unroll
    for (int i = 0; i < 8; ++i)
#pragma unroll
      for (int j = 0; j < 8; ++j) acc[i][j] = 0.f;
    float va[4], vb[4];
    la.load(0, p.K, va);
    lb.load(0, p.K, vb);
    la.store(As[0], va);
    lb.store(Bs[0], vb);
    __syncthreads();
    for (int64_t k0 = 0; k0 < p.K; k0 += kBK) {
      const int buf = (k0 / kBK) & 1;
      const bool more = k0 + kBK < p.K;
      if (more) {
        la.p += la.advance;
        lb.p += lb.advance;
        la.load(k0 + kBK, p.K, va);
        lb.load(k0 + kBK, p.K, vb);
      }
#pragma unroll
      for (int k = 0; k < kBK; ++k) {
        float a[8], b[8];
#pragma unroll
        for (int g = 0; g < 2; ++g) {
          *reinterpret_cast<float4*>(a + 4 * g) = *reinterpret_cast<const float4*>(&As[buf][k][g * 64 + ty * 4]);
          *reinterpret_cast<float4*>(b + 4 * g) = *reinterpret_cast<const float4*>(&Bs[buf][k][g * 64 + tx * 4]);
        }
#pragma unroll
        for (int i = 0; i < 8; ++i)
#pragma unroll
          for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
      }
      if (more) {
        la.store(As[buf ^ 1], va);
        lb.store(Bs[buf ^ 1], vb);
      }
      __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      const int64_t m = m0 + (i >> 2) * 64 + ty * 4 + (i & 3);
      if (m >= p.M) continue;
#pragma unroll
      for (int g = 0; g < 2; ++g) {
        const int64_t n = n0 + g * 64 + tx * 4;
        float* c = C + m * p.N + n;
        if (vec_c && n + 3 < p.N) {
          *reinterpret_cast<float4*>(c) = make_float4(epilogue(acc[i][4 * g], p, n), epilogue(acc[i][4 * g + 1], p, n + 1),
                                                      epilogue(acc[i][4 * g + 2], p, n + 2),
                                                      epilogue(acc[i][4 * g + 3], p, n + 3));
        } else {
#pragma unroll
          for (int q = 0; q < 4; ++q)
            if (n + q < p.N) c[q] = epilogue(acc[i][4 * g + q], p, n + q);
        }
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

// ----------------------------------------------- blocked TF32 (WMMA) ----

// The TF32 kernel of TL_CUDA_GEMM=blocked: 128 x 128 tiles of C over k steps
// of 16, 8 warps each owning 64 x 32 of C (4 x 2 accumulator fragments), so
// each fragment loaded from shared memory feeds 2 to 4 products. Operands are
// rounded to TF32 once, as they are staged; the next k step's operands are
// loaded into registers while the tensor cores work on this one (two shared
// buffers, one barrier per step). C goes out through a small per-warp shared
// tile, one fragment at a time, for the edges, the bias and relu.
constexpr int kWBK = 16, kWLdA = kWBK + 4, kWLdB = kBM + 4, kWLdC = 20;

// One thread's 8 elements of one operand's 128 x 16 tile per k step; i runs
// along m (or n), j along k, with strides si, sj; MODE as for the SGEMMs.
// Vector modes load two float4s (h = 0, 1) at p[h]; scalar loads element r
// at p[0] + r * step. The pointers advance one k step at a time.
template <int MODE>
struct Tf32Loader {
  const float* p[2];
  int64_t step, advance;
  int j[2];        // k index of each part inside the tile
  bool row_ok[2];  // its row (i) inside the matrix

  // Thread t's element r (0..7) of the tile: its (i, j).
  __device__ __forceinline__ static void pos(int r, int* i, int* j) {
    const int t = threadIdx.x;
    if (MODE == kAlongK) *i = (t >> 2) + 64 * (r >> 2), *j = (t & 3) * 4 + (r & 3);
    else if (MODE == kAlongMN) *i = (t & 31) * 4 + (r & 3), *j = (t >> 5) + 8 * (r >> 2);
    else *i = t & 127, *j = (t >> 7) + 2 * r;
  }

  __device__ __forceinline__ void init(const float* base, int64_t si, int64_t sj, int64_t i0, int64_t ni) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      int i, jj;
      pos(4 * h, &i, &jj);
      row_ok[h] = i0 + i < ni;
      j[h] = jj;
      p[h] = base + (row_ok[h] ? i0 + i : 0) * si + jj * sj;  // no address outside the matrix, even unread
    }
    step = 2 * sj;
    advance = kWBK * sj;
  }

  __device__ __forceinline__ void next() {
    p[0] += advance;
    p[1] += advance;
  }

  // The k step starting at k0 (nk = K): zero outside the matrix.
  __device__ __forceinline__ void load(int64_t k0, int64_t nk, float v[8]) const {
    if (MODE == kScalar) {
#pragma unroll
      for (int r = 0; r < 8; ++r) v[r] = (row_ok[0] && k0 + j[0] + 2 * r < nk) ? p[0][r * step] : 0.f;
    } else {
#pragma unroll
      for (int h = 0; h < 2; ++h) {  // 4 consecutive (i, j) along the contiguous axis
        float4 x = make_float4(0.f, 0.f, 0.f, 0.f);
        if (row_ok[h] && k0 + j[h] < nk) x = *reinterpret_cast<const float4*>(p[h]);
        v[4 * h] = x.x, v[4 * h + 1] = x.y, v[4 * h + 2] = x.z, v[4 * h + 3] = x.w;
      }
    }
  }
};

template <int AMODE, int BMODE>
__global__ void __launch_bounds__(kSgemmThreads) tf32_blocked(const float* A0, const float* B0, float* C0, Gemm p) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  using namespace nvcuda;
  __shared__ __align__(128) float As[2][kBM * kWLdA];  // [m][k]; the last step's As holds the C tiles
  __shared__ __align__(128) float Bs[2][kWBK * kWLdB];  // [k][n]
  const int64_t tiles_n = (p.N + kBM - 1) / kBM;
  const int64_t m0 = (blockIdx.x / tiles_n) * kBM, n0 = (blockIdx.x % tiles_n) * kBM;
  const int t = threadIdx.x, warp = t >> 5, lane = t & 31, wm = warp >> 2, wn = warp & 3;
  for (int64_t z = blockIdx.z; z < p.nbatch; z += gridDim.z) {
    int64_t off[2];
    p.batch.offsets<int64_t>(z, off);
    float* C = C0 + z * p.M * p.N;
    Tf32Loader<AMODE> la;
    Tf32Loader<BMODE> lb;
    la.init(A0 + off[0], p.a_rs, p.a_cs, m0, p.M);  // A's tile: m along i, k along j
    lb.init(B0 + off[1], p.b_cs, p.b_rs, n0, p.N);  // B's: n along i, k along j
    // Rounded to TF32 into the shared tiles; 4 floats at a time where the
    // loaded run is contiguous in the tile too (A along k, B along n).
    auto stage = [&](int buf, const float va[8], const float vb[8]) {
      auto tf = [](const float* v) {
        return make_float4(wmma::__float_to_tf32(v[0]), wmma::__float_to_tf32(v[1]), wmma::__float_to_tf32(v[2]),
                           wmma::__float_to_tf32(v[3]));
      };
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        int i, j;
        if (AMODE == kAlongK) {
          Tf32Loader<AMODE>::pos(4 * h, &i, &j);
          *reinterpret_cast<float4*>(&As[buf][i * kWLdA + j]) = tf(va + 4 * h);
        } else {
#pragma unroll
          for (int r = 4 * h; r < 4 * h + 4; ++r) {
            Tf32Loader<AMODE>::pos(r, &i, &j);
            As[buf][i * kWLdA + j] = wmma::__float_to_tf32(va[r]);
          }
        }
        if (BMODE == kAlongMN) {
          Tf32Loader<BMODE>::pos(4 * h, &i, &j);
          *reinterpret_cast<float4*>(&Bs[buf][j * kWLdB + i]) = tf(vb + 4 * h);
        } else {
#pragma unroll
          for (int r = 4 * h; r < 4 * h + 4; ++r) {
            Tf32Loader<BMODE>::pos(r, &i, &j);
            Bs[buf][j * kWLdB + i] = wmma::__float_to_tf32(vb[r]);
          }
        }
      }
    };
    wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[4][2];
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
      for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.f);
    float va[8], vb[8];
    la.load(0, p.K, va);
    lb.load(0, p.K, vb);
    stage(0, va, vb);
    __syncthreads();
    for (int64_t k0 = 0; k0 < p.K; k0 += kWBK) {
      const int buf = (k0 / kWBK) & 1;
      const bool more = k0 + kWBK < p.K;
      if (more) {
        la.next();
        lb.next();
        la.load(k0 + kWBK, p.K, va);
        lb.load(k0 + kWBK, p.K, vb);
      }
#pragma unroll
      for (int kk = 0; kk < kWBK; kk += 8) {
        wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> fa[4];
        wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> fb[2];
#pragma unroll
        for (int i = 0; i < 4; ++i) wmma::load_matrix_sync(fa[i], &As[buf][(wm * 64 + i * 16) * kWLdA + kk], kWLdA);
#pragma unroll
        for (int j = 0; j < 2; ++j) wmma::load_matrix_sync(fb[j], &Bs[buf][kk * kWLdB + wn * 32 + j * 16], kWLdB);
#pragma unroll
        for (int i = 0; i < 4; ++i)
#pragma unroll
          for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
      }
      if (more) stage(buf ^ 1, va, vb);
      __syncthreads();
    }
    // Every warp is past its last read of As (the barrier above): As[0] now
    // holds one 16 x 16 tile of C per warp.
    float* Cs = &As[0][warp * 16 * kWLdC];
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
      for (int j = 0; j < 2; ++j) {
        wmma::store_matrix_sync(Cs, acc[i][j], kWLdC, wmma::mem_row_major);
        __syncwarp();
        const int64_t mb = m0 + wm * 64 + i * 16, nb = n0 + wn * 32 + j * 16;
#pragma unroll
        for (int r = 0; r < 8; ++r) {
          const int e = lane + 32 * r, row = e >> 4, col = e & 15;
          const int64_t m = mb + row, n = nb + col;
          if (m < p.M && n < p.N) C[m * p.N + n] = epilogue(Cs[row * kWLdC + col], p, n);
        }
        __syncwarp();
      }
    __syncthreads();  // the next batch entry stages into As again
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

// f(integral_constant AMODE, integral_constant BMODE): the modes as template arguments.
template <typename F>
void by_modes(int am, int bm, F&& f) {
  auto with_b = [&](auto a) {
    if (bm == kAlongMN) f(a, std::integral_constant<int, kAlongMN>{});
    else if (bm == kAlongK) f(a, std::integral_constant<int, kAlongK>{});
    else f(a, std::integral_constant<int, kScalar>{});
  };
  if (am == kAlongK) with_b(std::integral_constant<int, kAlongK>{});
  else if (am == kAlongMN) with_b(std::integral_constant<int, kAlongMN>{});
  else with_b(std::integral_constant<int, kScalar>{});
}

void run_float(const float* A, const float* B, float* C, const Gemm& p) {
  int am = kScalar, bm = kScalar;
  if (vec_ok(A, p.a_cs, p.a_rs, p.K, p.batch, 0)) am = kAlongK;
  else if (vec_ok(A, p.a_rs, p.a_cs, p.M, p.batch, 0)) am = kAlongMN;
  if (vec_ok(B, p.b_cs, p.b_rs, p.N, p.batch, 1)) bm = kAlongMN;
  else if (vec_ok(B, p.b_rs, p.b_cs, p.K, p.batch, 1)) bm = kAlongK;
  // The 128 x 128 tiles when there are enough of them to give every multiprocessor a block.
  const int64_t tiles128 = ((p.M + kBM - 1) / kBM) * ((p.N + kBM - 1) / kBM);
  const bool big = tiles128 * p.nbatch >= sm_count(), blocked = cuda_gemm_blocked();
  if (cuda_tf32() && compute_major() >= 8) {  // tensor cores with TF32: sm_80 and newer
    if (blocked && big) {
      by_modes(am, bm, [&](auto a, auto b) {
        tf32_blocked<decltype(a)::value, decltype(b)::value>
            <<<batch_grid(tiles128, p.nbatch), kSgemmThreads, 0, stream()>>>(A, B, C, p);
      });
    } else {
      const int64_t tiles = ((p.M + TM - 1) / TM) * ((p.N + TN - 1) / TN);
      tf32_gemm<<<batch_grid(tiles, p.nbatch), kTf32Threads, 0, stream()>>>(A, B, C, p);
    }
    return;
  }
  if (blocked && big) {
    by_modes(am, bm, [&](auto a, auto b) {
      sgemm_blocked<decltype(a)::value, decltype(b)::value>
          <<<batch_grid(tiles128, p.nbatch), kSgemmThreads, 0, stream()>>>(A, B, C, p);
    });
  } else if (big) {
    pick<Shape2<128, 8>>(am, bm, A, B, C, p);
  } else {
    pick<Shape2<64, 16>>(am, bm, A, B, C, p);
  }
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
