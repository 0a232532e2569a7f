// Pooling over NHWC windows; channels are the inner, vectorised loop. The
// gradients scatter into the input, so threads take whole images.
#include "pool.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "cpu_kernels.h"
#include "parallel.h"

namespace tl {
namespace {

// The window of output (oh, ow): input rows [h0, h1), columns [w0, w1).
struct Window {
  int64_t h0, h1, w0, w1;
};

Window window(const ConvGeom& g, int64_t oh, int64_t ow) {
  const int64_t h0 = oh * g.sh - g.pt, w0 = ow * g.sw - g.pl;
  return {std::max<int64_t>(h0, 0), std::min(h0 + g.kh, g.h), std::max<int64_t>(w0, 0), std::min(w0 + g.kw, g.w)};
}

template <typename T>
void pool_fwd(T* out, const T* x, bool is_max, const ConvGeom& g) {
  const int64_t C = g.c;
  parallel_for(g.n * g.oh, g.n * g.oh * g.ow * g.kh * g.kw * C, [&](int64_t a, int64_t b) {
    for (int64_t u = a; u < b; ++u) {
      const int64_t n = u / g.oh, oh = u % g.oh;
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        T* o = out + (u * g.ow + ow) * C;
        const Window wd = window(g, oh, ow);
        std::fill(o, o + C, is_max ? -std::numeric_limits<T>::infinity() : T(0));
        for (int64_t ih = wd.h0; ih < wd.h1; ++ih)
          for (int64_t iw = wd.w0; iw < wd.w1; ++iw) {
            const T* xp = x + ((n * g.h + ih) * g.w + iw) * C;
            if (is_max)
              for (int64_t c = 0; c < C; ++c) o[c] = ((xp[c] > o[c]) | (xp[c] != xp[c])) ? xp[c] : o[c];
            else
              for (int64_t c = 0; c < C; ++c) o[c] += xp[c];
          }
        if (!is_max) {
          const T inv = T(1) / T((wd.h1 - wd.h0) * (wd.w1 - wd.w0));
          for (int64_t c = 0; c < C; ++c) o[c] *= inv;
        }
      }
    }
  });
}

// For every channel of window wd: which of its elements (k, row-major in the
// window) is the first maximum (NaN counts as the maximum), into k[0..C); and
// the element offset of each window element into off. Branch-free, so the
// channel loop vectorises.
template <typename T>
void argmax_window(const T* __restrict x, const ConvGeom& g, int64_t n, const Window& wd, T* __restrict best,
                   int32_t* __restrict k, int64_t* off) {
  const int64_t C = g.c;
  int32_t kk = 0;
  for (int64_t ih = wd.h0; ih < wd.h1; ++ih)
    for (int64_t iw = wd.w0; iw < wd.w1; ++iw, ++kk) {
      off[kk] = ((n * g.h + ih) * g.w + iw) * C;
      const T* __restrict xp = x + off[kk];
      if (kk == 0) {
        for (int64_t c = 0; c < C; ++c) best[c] = xp[c], k[c] = 0;
        continue;
      }
      for (int64_t c = 0; c < C; ++c) {
        const T v = xp[c], b = best[c];
        const bool take = (v > b) | ((v != v) & (b == b));  // no short circuit: vectorises
        best[c] = take ? v : b;
        k[c] = take ? kk : k[c];
      }
    }
}

// Images go to threads whole (their windows scatter into them alone).
template <typename T>
void max_grad(T* dx, const T* x, const T* dy, const ConvGeom& g) {
  const int64_t C = g.c;
  parallel_for(g.n, g.n * g.oh * g.ow * g.kh * g.kw * C, [&](int64_t a, int64_t b) {
    std::vector<T> best(C);
    std::vector<int32_t> k(C);
    std::vector<int64_t> off(g.kh * g.kw);
    std::fill(dx + a * g.h * g.w * C, dx + b * g.h * g.w * C, T(0));
    for (int64_t n = a; n < b; ++n)
      for (int64_t oh = 0; oh < g.oh; ++oh)
        for (int64_t ow = 0; ow < g.ow; ++ow) {
          argmax_window(x, g, n, window(g, oh, ow), best.data(), k.data(), off.data());
          const T* d = dy + ((n * g.oh + oh) * g.ow + ow) * C;
          for (int64_t c = 0; c < C; ++c) dx[off[k[c]] + c] += d[c];
        }
  });
}

template <typename T>
void max_grad_grad(T* ddy, const T* x, const T* ddx, const ConvGeom& g) {
  const int64_t C = g.c;
  parallel_for(g.n * g.oh, g.n * g.oh * g.ow * g.kh * g.kw * C, [&](int64_t a, int64_t b) {
    std::vector<T> best(C);
    std::vector<int32_t> k(C);
    std::vector<int64_t> off(g.kh * g.kw);
    for (int64_t u = a; u < b; ++u) {
      const int64_t n = u / g.oh, oh = u % g.oh;
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        argmax_window(x, g, n, window(g, oh, ow), best.data(), k.data(), off.data());
        T* o = ddy + (u * g.ow + ow) * C;
        for (int64_t c = 0; c < C; ++c) o[c] = ddx[off[k[c]] + c];
      }
    }
  });
}

template <typename T>
void avg_grad(T* dx, const T* dy, const ConvGeom& g) {
  const int64_t C = g.c;
  parallel_for(g.n, g.n * g.oh * g.ow * g.kh * g.kw * C, [&](int64_t a, int64_t b) {
    std::fill(dx + a * g.h * g.w * C, dx + b * g.h * g.w * C, T(0));
    for (int64_t n = a; n < b; ++n)
      for (int64_t oh = 0; oh < g.oh; ++oh)
        for (int64_t ow = 0; ow < g.ow; ++ow) {
          const Window wd = window(g, oh, ow);
          const T* d = dy + ((n * g.oh + oh) * g.ow + ow) * C;
          const T inv = T(1) / T((wd.h1 - wd.h0) * (wd.w1 - wd.w0));
          for (int64_t ih = wd.h0; ih < wd.h1; ++ih)
            for (int64_t iw = wd.w0; iw < wd.w1; ++iw) {
              T* p = dx + ((n * g.h + ih) * g.w + iw) * C;
              for (int64_t c = 0; c < C; ++c) p[c] += d[c] * inv;
            }
        }
  });
}

ConvGeom geometry(const char* op, const Shape& in, bool cf, const std::vector<int64_t>& ksize,
                  const std::vector<int64_t>& strides, const std::string& padding) {
  if (in.size() != 4)
    throw InvalidArgument(std::string(op) + ": the input must have rank 4, got shape " + shape_str(in));
  if (ksize.size() != 2) throw InvalidArgument(std::string(op) + ": ksize must have 2 values (height, width)");
  if (padding != "SAME" && padding != "VALID")
    throw InvalidArgument(std::string(op) + ": padding must be 'SAME' or 'VALID', got '" + padding + "'");
  ConvGeom g{};
  g.n = in[0], g.h = in[cf ? 2 : 1], g.w = in[cf ? 3 : 2], g.c = in[cf ? 1 : 3];
  g.kh = ksize[0], g.kw = ksize[1], g.o = g.c, g.groups = 1;
  conv_fill_geometry(op, &g, strides, {1, 1}, padding, {});
  return g;
}

Shape out_shape(const ConvGeom& g, bool cf) {
  return cf ? Shape{g.n, g.c, g.oh, g.ow} : Shape{g.n, g.oh, g.ow, g.c};
}

void check_float(const char* op, const Array& a) {
  if (!is_float(a.dtype()))
    throw TypeError(std::string(op) + ": expects float32 or float64, got " + dtype_name(a.dtype()));
}

void check_pair(const char* op, const Array& a, const char* an, const Array& b, const char* bn) {
  check_float(op, a);
  check_float(op, b);
  if (a.dtype() != b.dtype())
    throw InvalidArgument(std::string(op) + ": " + an + " and " + bn + " must have the same dtype, got " +
                          dtype_name(a.dtype()) + " and " + dtype_name(b.dtype()));
  check_same_device(op, a, b);
}

void check_dy(const char* op, const Array& dy, const ConvGeom& g, bool cf) {
  if (dy.shape() != out_shape(g, cf))
    throw InvalidArgument(std::string(op) + ": the gradient has shape " + shape_str(dy.shape()) + ", expected " +
                          shape_str(out_shape(g, cf)));
}

Array to_nhwc(const Array& a, bool cf) { return (cf ? a.transpose({0, 2, 3, 1}) : a).contiguous(); }
Array from_nhwc(const Array& a, bool cf) { return cf ? a.transpose({0, 3, 1, 2}).contiguous() : a; }

bool empty(const ConvGeom& g) { return g.n * g.c * g.oh * g.ow == 0; }

Array zeros(const Shape& s, DType dt, Device d) { return full(s, 0.0, dt, d); }

}  // namespace

void pool2d_cpu(const Array& out, const Array& x, bool is_max, const ConvGeom& g) {
  dispatch<kFloat>(x.dtype(), "pool2d", [&](auto tv) {
    using T = decltype(tv);
    pool_fwd(out.data<T>(), x.data<T>(), is_max, g);
  });
}

void max_pool2d_grad_cpu(const Array& dx, const Array& x, const Array& dy, const ConvGeom& g) {
  dispatch<kFloat>(x.dtype(), "max_pool2d_grad", [&](auto tv) {
    using T = decltype(tv);
    max_grad(dx.data<T>(), x.data<T>(), dy.data<T>(), g);
  });
}

void max_pool2d_grad_grad_cpu(const Array& ddy, const Array& x, const Array& ddx, const ConvGeom& g) {
  dispatch<kFloat>(x.dtype(), "max_pool2d_grad_grad", [&](auto tv) {
    using T = decltype(tv);
    max_grad_grad(ddy.data<T>(), x.data<T>(), ddx.data<T>(), g);
  });
}

void avg_pool2d_grad_cpu(const Array& dx, const Array& dy, const ConvGeom& g) {
  dispatch<kFloat>(dy.dtype(), "avg_pool2d_grad", [&](auto tv) {
    using T = decltype(tv);
    avg_grad(dx.data<T>(), dy.data<T>(), g);
  });
}

Array pool2d(const Array& x, bool is_max, const std::vector<int64_t>& ksize, const std::vector<int64_t>& strides,
             const std::string& padding, const std::string& data_format) {
  const char* op = is_max ? "max_pool2d" : "avg_pool2d";
  // float16/bfloat16: computed in float32 (dtype.h).
  if (is_half(x.dtype())) return narrow(pool2d(widen(x), is_max, ksize, strides, padding, data_format), x.dtype());
  const bool cf = channels_first(op, data_format);
  check_float(op, x);
  const ConvGeom g = geometry(op, x.shape(), cf, ksize, strides, padding);
  if (empty(g)) return zeros(out_shape(g, cf), x.dtype(), x.device());
  Array out = Array::empty({g.n, g.oh, g.ow, g.c}, x.dtype(), x.device());
  kernel(x.device(), &DeviceKernels::pool2d, op)(out, to_nhwc(x, cf), is_max, g);
  return from_nhwc(out, cf);
}

Array max_pool2d_grad(const Array& x, const Array& dy, const std::vector<int64_t>& ksize,
                      const std::vector<int64_t>& strides, const std::string& padding,
                      const std::string& data_format) {
  const char* op = "max_pool2d_grad";
  if (is_half(x.dtype()) && x.dtype() == dy.dtype())
    return narrow(max_pool2d_grad(widen(x), widen(dy), ksize, strides, padding, data_format), x.dtype());
  const bool cf = channels_first(op, data_format);
  check_pair(op, x, "input", dy, "gradient");
  const ConvGeom g = geometry(op, x.shape(), cf, ksize, strides, padding);
  check_dy(op, dy, g, cf);
  if (empty(g) || x.size() == 0) return zeros(x.shape(), x.dtype(), x.device());
  Array dx = Array::empty({g.n, g.h, g.w, g.c}, x.dtype(), x.device());
  kernel(x.device(), &DeviceKernels::max_pool2d_grad, op)(dx, to_nhwc(x, cf), to_nhwc(dy, cf), g);
  return from_nhwc(dx, cf);
}

Array max_pool2d_grad_grad(const Array& x, const Array& ddx, const std::vector<int64_t>& ksize,
                           const std::vector<int64_t>& strides, const std::string& padding,
                           const std::string& data_format) {
  const char* op = "max_pool2d_grad_grad";
  const bool cf = channels_first(op, data_format);
  check_pair(op, x, "input", ddx, "gradient");
  if (ddx.shape() != x.shape())
    throw InvalidArgument(std::string(op) + ": the gradient has shape " + shape_str(ddx.shape()) + ", expected " +
                          shape_str(x.shape()));
  const ConvGeom g = geometry(op, x.shape(), cf, ksize, strides, padding);
  if (empty(g)) return zeros(out_shape(g, cf), x.dtype(), x.device());
  Array ddy = Array::empty({g.n, g.oh, g.ow, g.c}, x.dtype(), x.device());
  kernel(x.device(), &DeviceKernels::max_pool2d_grad_grad, op)(ddy, to_nhwc(x, cf), to_nhwc(ddx, cf), g);
  return from_nhwc(ddy, cf);
}

Array avg_pool2d_grad(const std::vector<int64_t>& input_shape, const Array& dy, const std::vector<int64_t>& ksize,
                      const std::vector<int64_t>& strides, const std::string& padding,
                      const std::string& data_format) {
  const char* op = "avg_pool2d_grad";
  if (is_half(dy.dtype())) return narrow(avg_pool2d_grad(input_shape, widen(dy), ksize, strides, padding, data_format), dy.dtype());
  const bool cf = channels_first(op, data_format);
  check_float(op, dy);
  for (int64_t d : input_shape)
    if (d < 0) throw InvalidArgument(std::string(op) + ": input_shape must not be negative, got " + shape_str(input_shape));
  const ConvGeom g = geometry(op, input_shape, cf, ksize, strides, padding);
  check_dy(op, dy, g, cf);
  if (empty(g) || numel(input_shape) == 0) return zeros(input_shape, dy.dtype(), dy.device());
  Array dx = Array::empty({g.n, g.h, g.w, g.c}, dy.dtype(), dy.device());
  kernel(dy.device(), &DeviceKernels::avg_pool2d_grad, op)(dx, to_nhwc(dy, cf), g);
  return from_nhwc(dx, cf);
}

void fill_cpu_pool_kernels(DeviceKernels* k) {
  k->pool2d = &pool2d_cpu;
  k->max_pool2d_grad = &max_pool2d_grad_cpu;
  k->max_pool2d_grad_grad = &max_pool2d_grad_grad_cpu;
  k->avg_pool2d_grad = &avg_pool2d_grad_cpu;
}

}  // namespace tl
