// 2-D convolutions on the GPU: forward (with bias and relu), and the
// gradients with respect to the input and the filter. NHWC, contiguous, the
// filter (kh, kw, in_channels / groups, out_channels), as csrc/conv.h.
//
// The forward pass is an implicit GEMM: out (pixels, o) = col (pixels, K) @
// w (K, o) per group, K = kh * kw * cg, where a column element is read
// straight from x (zero in the padding) while a 64 x 64 tile of the output
// loads its 64 x 16 and 16 x 64 operand tiles into shared memory; each thread
// computes 4 x 4 outputs. The input gradient is that kernel too at unit
// strides (a convolution of dy with the turned filter); otherwise it gathers,
// for each input element, the outputs whose windows cover it (no atomics: the
// result does not depend on scheduling). The filter gradient gives each filter
// element a thread per part of the output pixels, and adds the parts in
// order. Sums run in the operands' dtype, as the CPU's GEMM does, in another
// order (tests/cuda: GEMM tolerances).
#include "common.cuh"
#include "conv.h"

namespace tl {
namespace cuda {
namespace {

constexpr int kThreads = 256;

#define TL_GRID_LOOP(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

// ConvGeom's values for the kernels (its cg() and og() are host functions).
struct G {
  int64_t n, h, w, c, kh, kw, o, oh, ow, sh, sw, dh, dw, pt, pl, cg, og;
};

G geom(const ConvGeom& g) {
  return {g.n, g.h, g.w, g.c, g.kh, g.kw, g.o, g.oh, g.ow, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl, g.cg(), g.og()};
}

template <typename T>
__device__ __forceinline__ T activate(T v, int act) {
  return act ? (v > T(0) ? v : (v != v ? v : T(0))) : v;
}

// ---- forward: implicit GEMM ----

constexpr int kTileM = 64, kTileN = 64, kTileK = 16;

// Column element (m, k) of group gi: x at output pixel m's window position
// k = (i * kw + j) * cg + cc, or zero in the padding (and past M or K).
template <typename T>
__device__ __forceinline__ T col_at(const T* x, const G& g, int64_t m, int64_t k, int64_t M, int64_t K,
                                    int64_t c0) {
  if (m >= M || k >= K) return T(0);
  const int64_t cc = k % g.cg, ij = k / g.cg, j = ij % g.kw, i = ij / g.kw;
  const int64_t ow = m % g.ow, r = m / g.ow, oh = r % g.oh, n = r / g.oh;
  const int64_t ih = oh * g.sh - g.pt + i * g.dh, iw = ow * g.sw - g.pl + j * g.dw;
  if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) return T(0);
  return x[((n * g.h + ih) * g.w + iw) * g.c + c0 + cc];
}

// Grid: (tiles of M, tiles of og, groups); 256 threads as 16 x 16, each
// computing rows ty + 16 * a and columns tx + 16 * b (a, b < 4) of the tile.
template <typename T>
__global__ void __launch_bounds__(kThreads) conv_fwd_kernel(T* out, const T* x, const T* w, const T* bias, int act,
                                                            G g) {
  __shared__ T As[kTileK][kTileM + 1];  // + 1: the k-major stores hit distinct banks
  __shared__ T Bs[kTileK][kTileN];
  const int64_t M = g.n * g.oh * g.ow, K = g.kh * g.kw * g.cg, gi = blockIdx.z;
  const int64_t m0 = int64_t(blockIdx.x) * kTileM, n0 = int64_t(blockIdx.y) * kTileN;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  T acc[4][4];
#pragma unroll
  for (int a = 0; a < 4; ++a)
#pragma unroll
    for (int b = 0; b < 4; ++b) acc[a][b] = T(0);
  for (int64_t k0 = 0; k0 < K; k0 += kTileK) {
    // 1024 elements of each tile, 4 per thread. A: consecutive threads take
    // consecutive k of one pixel (channels are contiguous in x); B:
    // consecutive output channels (contiguous in w).
    for (int e = threadIdx.x; e < kTileK * kTileM; e += kThreads) {
      const int kk = e % kTileK, mm = e / kTileK;
      As[kk][mm] = col_at(x, g, m0 + mm, k0 + kk, M, K, gi * g.cg);
      const int nn = e % kTileN, kb = e / kTileN;
      const int64_t col = n0 + nn, row = k0 + kb;
      Bs[kb][nn] = col < g.og && row < K ? w[row * g.o + gi * g.og + col] : T(0);
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kTileK; ++kk) {
      T av[4], bv[4];
#pragma unroll
      for (int a = 0; a < 4; ++a) av[a] = As[kk][ty + 16 * a];
#pragma unroll
      for (int b = 0; b < 4; ++b) bv[b] = Bs[kk][tx + 16 * b];
#pragma unroll
      for (int a = 0; a < 4; ++a)
#pragma unroll
        for (int b = 0; b < 4; ++b) acc[a][b] += av[a] * bv[b];
    }
    __syncthreads();
  }
#pragma unroll
  for (int a = 0; a < 4; ++a) {
    const int64_t m = m0 + ty + 16 * a;
    if (m >= M) continue;
#pragma unroll
    for (int b = 0; b < 4; ++b) {
      const int64_t col = n0 + tx + 16 * b;
      if (col >= g.og) continue;
      const int64_t o = gi * g.og + col;
      T v = acc[a][b];
      if (bias) v += bias[o];
      out[m * g.o + o] = activate(v, act);
    }
  }
}

// ---- input gradient ----

// w (kh, kw, cg, o) turned half a turn, channel axes swapped within each
// group: wt (kh, kw, og, c), the filter of the input gradient as a convolution.
template <typename T>
__global__ void flip_filter_kernel(T* wt, const T* w, G g, int64_t total) {
  TL_GRID_LOOP(e, total) {
    const int64_t c = e % g.c, r = e / g.c, ol = r % g.og, ij = r / g.og, j = ij % g.kw, i = ij / g.kw;
    wt[e] = w[(((g.kh - 1 - i) * g.kw + (g.kw - 1 - j)) * g.cg + c % g.cg) * g.o + (c / g.cg) * g.og + ol];
  }
}

// Otherwise a gather per input element.

template <typename T>
__global__ void conv_bwd_input_kernel(T* dx, const T* w, const T* dy, G g, int64_t total) {
  TL_GRID_LOOP(e, total) {
    const int64_t c = e % g.c, r = e / g.c, iw = r % g.w, r2 = r / g.w, ih = r2 % g.h, n = r2 / g.h;
    const int64_t gi = c / g.cg, cl = c % g.cg;
    T acc = T(0);
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t th = ih + g.pt - i * g.dh;
      if (th < 0 || th % g.sh) continue;
      const int64_t oh = th / g.sh;
      if (oh >= g.oh) continue;
      for (int64_t j = 0; j < g.kw; ++j) {
        const int64_t tw = iw + g.pl - j * g.dw;
        if (tw < 0 || tw % g.sw) continue;
        const int64_t ow = tw / g.sw;
        if (ow >= g.ow) continue;
        const T* dp = dy + ((n * g.oh + oh) * g.ow + ow) * g.o + gi * g.og;
        const T* wp = w + ((i * g.kw + j) * g.cg + cl) * g.o + gi * g.og;
        for (int64_t ol = 0; ol < g.og; ++ol) acc += dp[ol] * wp[ol];
      }
    }
    dx[e] = acc;
  }
}

// ---- filter gradient: a thread per filter element and part of the pixels ----

// part[s][e] = the sum over output pixels [s * chunk, (s + 1) * chunk) of
// x (at filter element e's window position) * dy (at e's output channel).
// Consecutive threads take consecutive output channels: dy is read
// coalesced, x mostly broadcast.
template <typename T>
__global__ void conv_bwd_filter_kernel(T* part, const T* x, const T* dy, G g, int64_t total, int64_t chunk) {
  const int64_t M = g.n * g.oh * g.ow, m0 = int64_t(blockIdx.y) * chunk, m1 = m0 + chunk < M ? m0 + chunk : M;
  T* out = part + int64_t(blockIdx.y) * total;
  TL_GRID_LOOP(e, total) {
    // e = ((i * kw + j) * cg + cl) * o + o_index
    const int64_t o = e % g.o, r = e / g.o, cl = r % g.cg, ij = r / g.cg, j = ij % g.kw, i = ij / g.kw;
    const T* xc = x + (o / g.og) * g.cg + cl;
    int64_t ow = m0 % g.ow, q = m0 / g.ow, oh = q % g.oh, n = q / g.oh;
    T acc = T(0);
    for (int64_t m = m0; m < m1; ++m) {
      const int64_t ih = oh * g.sh - g.pt + i * g.dh, iw = ow * g.sw - g.pl + j * g.dw;
      if (ih >= 0 && ih < g.h && iw >= 0 && iw < g.w) acc += xc[((n * g.h + ih) * g.w + iw) * g.c] * dy[m * g.o + o];
      if (++ow == g.ow) {
        ow = 0;
        if (++oh == g.oh) oh = 0, ++n;
      }
    }
    out[e] = acc;
  }
}

// dw[e] = the parts' sums, added in order.
template <typename T>
__global__ void sum_parts_kernel(T* dw, const T* part, int64_t parts, int64_t total) {
  TL_GRID_LOOP(e, total) {
    T acc = part[e];
    for (int64_t s = 1; s < parts; ++s) acc += part[s * total + e];
    dw[e] = acc;
  }
}

template <typename T>
void launch_fwd(T* out, const T* x, const T* w, const T* bias, int act, const G& g, int64_t groups) {
  const int64_t M = g.n * g.oh * g.ow;
  const dim3 grid(static_cast<unsigned>((M + kTileM - 1) / kTileM), static_cast<unsigned>((g.og + kTileN - 1) / kTileN),
                  static_cast<unsigned>(groups));
  if (M / kTileM >= 2147483647 || grid.y > 65535u || grid.z > 65535u)
    throw InvalidArgument("conv2d: the convolution is too large for one GPU launch (" + std::to_string(M) +
                          " output pixels, " + std::to_string(groups) + " groups)");
  conv_fwd_kernel<T><<<grid, kThreads, 0, stream()>>>(out, x, w, bias, act, g);
}

void conv2d(const Array& out, const Array& x, const Array& filter, const Array* bias, int act, const ConvGeom& cg) {
  dispatch<kFloat>(x.dtype(), "conv2d", [&](auto tv) {
    using T = decltype(tv);
    launch_fwd<T>(out.data<T>(), x.data<T>(), filter.data<T>(), bias ? bias->data<T>() : nullptr, act, geom(cg),
                  cg.groups);
  });
  launched("conv2d");
}

void conv2d_backprop_input(const Array& dx, const Array& filter, const Array& dy, const ConvGeom& cg) {
  const G g = geom(cg);
  const int64_t total = dx.size();
  // With unit strides the input gradient is the forward convolution of dy,
  // padded by span - 1 - pad, with the filter turned half a turn and its
  // channel axes swapped (as csrc/conv.cpp): the tiled kernel, when that
  // padding is not negative.
  G t = g;
  t.h = g.oh, t.w = g.ow, t.c = g.o, t.o = g.c, t.oh = g.h, t.ow = g.w, t.cg = g.og, t.og = g.cg;
  t.pt = (g.kh - 1) * g.dh - g.pt, t.pl = (g.kw - 1) * g.dw - g.pl;
  const bool as_conv = g.sh == 1 && g.sw == 1 && t.pt >= 0 && t.pl >= 0;
  dispatch<kFloat>(dy.dtype(), "conv2d_backprop_input", [&](auto tv) {
    using T = decltype(tv);
    if (as_conv) {
      Scratch turned(static_cast<size_t>(filter.size()) * sizeof(T));
      flip_filter_kernel<T><<<grid_for(filter.size()), kThreads, 0, stream()>>>(turned.as<T>(), filter.data<T>(), g,
                                                                                 filter.size());
      launched("conv2d_backprop_input");
      launch_fwd<T>(dx.data<T>(), dy.data<T>(), turned.as<T>(), static_cast<const T*>(nullptr), 0, t, cg.groups);
    } else {
      conv_bwd_input_kernel<T><<<grid_for(total), kThreads, 0, stream()>>>(dx.data<T>(), filter.data<T>(),
                                                                            dy.data<T>(), g, total);
    }
  });
  launched("conv2d_backprop_input");
}

void conv2d_backprop_filter(const Array& dw, const Array& x, const Array& dy, const ConvGeom& cg) {
  const G g = geom(cg);
  const int64_t total = dw.size(), M = g.n * g.oh * g.ow;
  // Enough parts of the pixels for about 2048 threads per multiprocessor,
  // each part at least 32 pixels long.
  const int64_t want = (int64_t(sm_count()) * 2048 + total - 1) / total;
  int64_t parts = want < (M + 31) / 32 ? want : (M + 31) / 32;
  parts = parts < 1 ? 1 : (parts > 65535 ? 65535 : parts);
  const int64_t chunk = (M + parts - 1) / parts;
  parts = (M + chunk - 1) / chunk;
  const dim3 grid(static_cast<unsigned>(grid_for(total)), static_cast<unsigned>(parts));
  dispatch<kFloat>(x.dtype(), "conv2d_backprop_filter", [&](auto tv) {
    using T = decltype(tv);
    if (parts == 1) {
      conv_bwd_filter_kernel<T><<<grid, kThreads, 0, stream()>>>(dw.data<T>(), x.data<T>(), dy.data<T>(), g, total,
                                                                  chunk);
      return;
    }
    Scratch part(static_cast<size_t>(parts * total) * sizeof(T));
    conv_bwd_filter_kernel<T><<<grid, kThreads, 0, stream()>>>(part.as<T>(), x.data<T>(), dy.data<T>(), g, total,
                                                                chunk);
    launched("conv2d_backprop_filter");
    sum_parts_kernel<T><<<grid_for(total), kThreads, 0, stream()>>>(dw.data<T>(), part.as<T>(), parts, total);
  });
  launched("conv2d_backprop_filter");
}

}  // namespace

void fill_conv(DeviceKernels* k) {
  k->conv2d = conv2d;
  k->conv2d_backprop_input = conv2d_backprop_input;
  k->conv2d_backprop_filter = conv2d_backprop_filter;
}

}  // namespace cuda
}  // namespace tl
