// 2-D max and average pooling on the GPU, NHWC and contiguous (csrc/pool.h):
// a thread per output element for the forward pass, and per input element
// for the gradients, which gather from the windows covering that element in
// the CPU's order (ascending output position) instead of scattering, so the
// sums are the CPU's, with no atomics. Windows never count the padding; the
// max gradient goes to the first maximum of its window (NaN counts as the
// maximum), as on the CPU.
#include <limits>

#include "common.cuh"
#include "conv.h"

namespace tl {
namespace cuda {
namespace {

constexpr int kThreads = 256;

#define TL_GRID_LOOP(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

struct P {
  int64_t n, h, w, c, kh, kw, oh, ow, sh, sw, pt, pl;
};

P geom(const ConvGeom& g) { return {g.n, g.h, g.w, g.c, g.kh, g.kw, g.oh, g.ow, g.sh, g.sw, g.pt, g.pl}; }

// The window of output (oh, ow) within the input: rows [h0, h1), columns [w0, w1).
struct Window {
  int64_t h0, h1, w0, w1;
  __device__ int64_t count() const { return (h1 - h0) * (w1 - w0); }
};

__device__ __forceinline__ Window window(const P& g, int64_t oh, int64_t ow) {
  const int64_t h0 = oh * g.sh - g.pt, w0 = ow * g.sw - g.pl;
  return {h0 > 0 ? h0 : 0, h0 + g.kh < g.h ? h0 + g.kh : g.h, w0 > 0 ? w0 : 0, w0 + g.kw < g.w ? w0 + g.kw : g.w};
}

// The outputs whose windows cover input row ih: [lo, hi] (empty when lo > hi).
__device__ __forceinline__ void covering(int64_t i, int64_t pad, int64_t k, int64_t s, int64_t out, int64_t* lo,
                                         int64_t* hi) {
  const int64_t first = i + pad - k + 1;  // the window starting here is the first to reach i
  *lo = first <= 0 ? 0 : (first + s - 1) / s;
  const int64_t last = (i + pad) / s;
  *hi = last < out - 1 ? last : out - 1;
}

// Offset in x of the first maximum of window wd for channel ch of image n.
template <typename T>
__device__ __forceinline__ int64_t argmax(const T* x, const P& g, int64_t n, const Window& wd, int64_t ch) {
  int64_t best_off = ((n * g.h + wd.h0) * g.w + wd.w0) * g.c + ch;
  T best = x[best_off];
  for (int64_t ih = wd.h0; ih < wd.h1; ++ih)
    for (int64_t iw = wd.w0; iw < wd.w1; ++iw) {
      const int64_t off = ((n * g.h + ih) * g.w + iw) * g.c + ch;
      const T v = x[off];
      if ((v > best) || (v != v && best == best)) best = v, best_off = off;
    }
  return best_off;
}

template <typename T>
__global__ void pool_fwd_kernel(T* out, const T* x, bool is_max, P g, int64_t total) {
  TL_GRID_LOOP(e, total) {
    const int64_t ch = e % g.c, r = e / g.c, ow = r % g.ow, r2 = r / g.ow, oh = r2 % g.oh, n = r2 / g.oh;
    const Window wd = window(g, oh, ow);
    T acc = is_max ? -std::numeric_limits<T>::infinity() : T(0);
    for (int64_t ih = wd.h0; ih < wd.h1; ++ih)
      for (int64_t iw = wd.w0; iw < wd.w1; ++iw) {
        const T v = x[((n * g.h + ih) * g.w + iw) * g.c + ch];
        if (is_max) acc = (v > acc || v != v) ? v : acc;
        else acc += v;
      }
    if (!is_max) acc *= T(1) / T(wd.count());
    out[e] = acc;
  }
}

// dx at input element e: the dy of every covering window whose first maximum it is.
template <typename T>
__global__ void max_grad_kernel(T* dx, const T* x, const T* dy, P g, int64_t total) {
  TL_GRID_LOOP(e, total) {
    const int64_t ch = e % g.c, r = e / g.c, iw = r % g.w, r2 = r / g.w, ih = r2 % g.h, n = r2 / g.h;
    int64_t oh0, oh1, ow0, ow1;
    covering(ih, g.pt, g.kh, g.sh, g.oh, &oh0, &oh1);
    covering(iw, g.pl, g.kw, g.sw, g.ow, &ow0, &ow1);
    T acc = T(0);
    for (int64_t oh = oh0; oh <= oh1; ++oh)
      for (int64_t ow = ow0; ow <= ow1; ++ow)
        if (argmax(x, g, n, window(g, oh, ow), ch) == e) acc += dy[((n * g.oh + oh) * g.ow + ow) * g.c + ch];
    dx[e] = acc;
  }
}

template <typename T>
__global__ void max_grad_grad_kernel(T* ddy, const T* x, const T* ddx, P g, int64_t total) {
  TL_GRID_LOOP(e, total) {
    const int64_t ch = e % g.c, r = e / g.c, ow = r % g.ow, r2 = r / g.ow, oh = r2 % g.oh, n = r2 / g.oh;
    ddy[e] = ddx[argmax(x, g, n, window(g, oh, ow), ch)];
  }
}

template <typename T>
__global__ void avg_grad_kernel(T* dx, const T* dy, P g, int64_t total) {
  TL_GRID_LOOP(e, total) {
    const int64_t ch = e % g.c, r = e / g.c, iw = r % g.w, r2 = r / g.w, ih = r2 % g.h, n = r2 / g.h;
    int64_t oh0, oh1, ow0, ow1;
    covering(ih, g.pt, g.kh, g.sh, g.oh, &oh0, &oh1);
    covering(iw, g.pl, g.kw, g.sw, g.ow, &ow0, &ow1);
    T acc = T(0);
    for (int64_t oh = oh0; oh <= oh1; ++oh)
      for (int64_t ow = ow0; ow <= ow1; ++ow) {
        const T inv = T(1) / T(window(g, oh, ow).count());
        acc += dy[((n * g.oh + oh) * g.ow + ow) * g.c + ch] * inv;
      }
    dx[e] = acc;
  }
}

void pool2d(const Array& out, const Array& x, bool is_max, const ConvGeom& cg) {
  const int64_t total = out.size();
  dispatch<kFloat>(x.dtype(), "pool2d", [&](auto tv) {
    using T = decltype(tv);
    pool_fwd_kernel<T><<<grid_for(total), kThreads, 0, stream()>>>(out.data<T>(), x.data<T>(), is_max, geom(cg),
                                                                    total);
  });
  launched(is_max ? "max_pool2d" : "avg_pool2d");
}

void max_pool2d_grad(const Array& dx, const Array& x, const Array& dy, const ConvGeom& cg) {
  const int64_t total = dx.size();
  dispatch<kFloat>(x.dtype(), "max_pool2d_grad", [&](auto tv) {
    using T = decltype(tv);
    max_grad_kernel<T><<<grid_for(total), kThreads, 0, stream()>>>(dx.data<T>(), x.data<T>(), dy.data<T>(),
                                                                    geom(cg), total);
  });
  launched("max_pool2d_grad");
}

void max_pool2d_grad_grad(const Array& ddy, const Array& x, const Array& ddx, const ConvGeom& cg) {
  const int64_t total = ddy.size();
  dispatch<kFloat>(x.dtype(), "max_pool2d_grad_grad", [&](auto tv) {
    using T = decltype(tv);
    max_grad_grad_kernel<T><<<grid_for(total), kThreads, 0, stream()>>>(ddy.data<T>(), x.data<T>(),
                                                                         ddx.data<T>(), geom(cg), total);
  });
  launched("max_pool2d_grad_grad");
}

void avg_pool2d_grad(const Array& dx, const Array& dy, const ConvGeom& cg) {
  const int64_t total = dx.size();
  dispatch<kFloat>(dy.dtype(), "avg_pool2d_grad", [&](auto tv) {
    using T = decltype(tv);
    avg_grad_kernel<T><<<grid_for(total), kThreads, 0, stream()>>>(dx.data<T>(), dy.data<T>(), geom(cg), total);
  });
  launched("avg_pool2d_grad");
}

}  // namespace

void fill_pool(DeviceKernels* k) {
  k->pool2d = pool2d;
  k->max_pool2d_grad = max_pool2d_grad;
  k->max_pool2d_grad_grad = max_pool2d_grad_grad;
  k->avg_pool2d_grad = avg_pool2d_grad;
}

}  // namespace cuda
}  // namespace tl
