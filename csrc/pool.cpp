// Pooling over NHWC (NDHWC) windows; channels are the inner, vectorised loop.
// A 2-D geometry is a 3-D one of depth 1. The gradients scatter into the
// input, so threads take whole images.
#include "pool.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "cpu_kernels.h"
#include "parallel.h"

namespace tl {
namespace {

// The window of output (od, oh, ow): input planes [d0, d1), rows [h0, h1),
// columns [w0, w1).
struct Window {
  int64_t d0, d1, h0, h1, w0, w1;
  int64_t size() const { return (d1 - d0) * (h1 - h0) * (w1 - w0); }
};

Window window(const ConvGeom& g, int64_t od, int64_t oh, int64_t ow) {
  const int64_t d0 = od * g.sd - g.pf, h0 = oh * g.sh - g.pt, w0 = ow * g.sw - g.pl;
  return {std::max<int64_t>(d0, 0), std::min(d0 + g.kd, g.d), std::max<int64_t>(h0, 0),
          std::min(h0 + g.kh, g.h), std::max<int64_t>(w0, 0), std::min(w0 + g.kw, g.w)};
}

// The most elements a window holds once clipped to the image (the window
// itself may be far larger under SAME padding).
int64_t window_size(const ConvGeom& g) {
  return std::min(g.kd, g.d) * std::min(g.kh, g.h) * std::min(g.kw, g.w);
}

// Offset of input pixel (n, id, ih, iw).
int64_t at(const ConvGeom& g, int64_t n, int64_t id, int64_t ih, int64_t iw) {
  return (((n * g.d + id) * g.h + ih) * g.w + iw) * g.c;
}

// Output rows u = (n * od + od) * oh + oh, split into n, od and oh.
struct Row {
  int64_t n, od, oh;
};
Row row(const ConvGeom& g, int64_t u) { return {u / (g.od * g.oh), u / g.oh % g.od, u % g.oh}; }

template <typename T>
void pool_fwd(T* out, const T* x, bool is_max, const ConvGeom& g) {
  const int64_t C = g.c, rows = g.n * g.od * g.oh;
  parallel_for(rows, rows * g.ow * g.window() * C, [&](int64_t a, int64_t b) {
    for (int64_t u = a; u < b; ++u) {
      const Row r = row(g, u);
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        T* o = out + (u * g.ow + ow) * C;
        const Window wd = window(g, r.od, r.oh, ow);
        std::fill(o, o + C, is_max ? -std::numeric_limits<T>::infinity() : T(0));
        for (int64_t id = wd.d0; id < wd.d1; ++id)
        for (int64_t ih = wd.h0; ih < wd.h1; ++ih)
          for (int64_t iw = wd.w0; iw < wd.w1; ++iw) {
            const T* xp = x + at(g, r.n, id, ih, iw);
            if (is_max)
              for (int64_t c = 0; c < C; ++c) o[c] = ((xp[c] > o[c]) | (xp[c] != xp[c])) ? xp[c] : o[c];
            else
              for (int64_t c = 0; c < C; ++c) o[c] += xp[c];
          }
        if (!is_max) {
          const T inv = T(1) / T(wd.size());
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
  for (int64_t id = wd.d0; id < wd.d1; ++id)
  for (int64_t ih = wd.h0; ih < wd.h1; ++ih)
    for (int64_t iw = wd.w0; iw < wd.w1; ++iw, ++kk) {
      off[kk] = at(g, n, id, ih, iw);
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
  const int64_t C = g.c, image = g.d * g.h * g.w * C, rows = g.od * g.oh;
  parallel_for(g.n, g.n * g.out_pixels() * g.window() * C, [&](int64_t a, int64_t b) {
    std::vector<T> best(C);
    std::vector<int32_t> k(C);
    std::vector<int64_t> off(window_size(g));
    std::fill(dx + a * image, dx + b * image, T(0));
    for (int64_t u = a * rows; u < b * rows; ++u) {
      const Row r = row(g, u);
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        argmax_window(x, g, r.n, window(g, r.od, r.oh, ow), best.data(), k.data(), off.data());
        const T* d = dy + (u * g.ow + ow) * C;
        for (int64_t c = 0; c < C; ++c) dx[off[k[c]] + c] += d[c];
      }
    }
  });
}

template <typename T>
void max_grad_grad(T* ddy, const T* x, const T* ddx, const ConvGeom& g) {
  const int64_t C = g.c, rows = g.n * g.od * g.oh;
  parallel_for(rows, rows * g.ow * g.window() * C, [&](int64_t a, int64_t b) {
    std::vector<T> best(C);
    std::vector<int32_t> k(C);
    std::vector<int64_t> off(window_size(g));
    for (int64_t u = a; u < b; ++u) {
      const Row r = row(g, u);
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        argmax_window(x, g, r.n, window(g, r.od, r.oh, ow), best.data(), k.data(), off.data());
        T* o = ddy + (u * g.ow + ow) * C;
        for (int64_t c = 0; c < C; ++c) o[c] = ddx[off[k[c]] + c];
      }
    }
  });
}

template <typename T>
void avg_grad(T* dx, const T* dy, const ConvGeom& g) {
  const int64_t C = g.c, image = g.d * g.h * g.w * C, rows = g.od * g.oh;
  parallel_for(g.n, g.n * g.out_pixels() * g.window() * C, [&](int64_t a, int64_t b) {
    std::fill(dx + a * image, dx + b * image, T(0));
    for (int64_t u = a * rows; u < b * rows; ++u) {
      const Row r = row(g, u);
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const Window wd = window(g, r.od, r.oh, ow);
        const T* d = dy + (u * g.ow + ow) * C;
        const T inv = T(1) / T(wd.size());
        for (int64_t id = wd.d0; id < wd.d1; ++id)
          for (int64_t ih = wd.h0; ih < wd.h1; ++ih)
            for (int64_t iw = wd.w0; iw < wd.w1; ++iw) {
              T* p = dx + at(g, r.n, id, ih, iw);
              for (int64_t c = 0; c < C; ++c) p[c] += d[c] * inv;
            }
      }
    }
  });
}

// Spatial rank r (2 or 3) from the op; the input has rank r + 2.
ConvGeom geometry(const char* op, size_t r, const Shape& in, bool cf, const std::vector<int64_t>& ksize,
                  const std::vector<int64_t>& strides, const std::string& padding) {
  if (in.size() != r + 2)
    throw InvalidArgument(std::string(op) + ": the input must have rank " + std::to_string(r + 2) + ", got shape " +
                          shape_str(in));
  if (ksize.size() != r || strides.size() != r)
    throw InvalidArgument(std::string(op) + (r == 2 ? ": ksize and strides must have 2 values (height, width)"
                                                    : ": ksize and strides must have 3 values (depth, height, width)"));
  if (padding != "SAME" && padding != "VALID")
    throw InvalidArgument(std::string(op) + ": padding must be 'SAME' or 'VALID', got '" + padding + "'");
  ConvGeom g{};
  const size_t s0 = cf ? 2 : 1, o = r - 2;
  g.n = in[0], g.c = in[cf ? 1 : r + 1];
  if (r == 3) g.d = in[s0], g.kd = ksize[0];
  g.h = in[s0 + o], g.w = in[s0 + o + 1];
  g.kh = ksize[o], g.kw = ksize[o + 1], g.o = g.c, g.groups = 1;
  conv_fill_geometry(op, &g, strides, std::vector<int64_t>(r, 1), padding, {});
  return g;
}

Shape out_shape(const ConvGeom& g, bool cf, size_t r) {
  if (r == 3) return cf ? Shape{g.n, g.c, g.od, g.oh, g.ow} : Shape{g.n, g.od, g.oh, g.ow, g.c};
  return cf ? Shape{g.n, g.c, g.oh, g.ow} : Shape{g.n, g.oh, g.ow, g.c};
}
Shape in_nhwc(const ConvGeom& g, size_t r) { return r == 3 ? Shape{g.n, g.d, g.h, g.w, g.c} : Shape{g.n, g.h, g.w, g.c}; }

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

void check_dy(const char* op, const Array& dy, const ConvGeom& g, bool cf, size_t r) {
  if (dy.shape() != out_shape(g, cf, r))
    throw InvalidArgument(std::string(op) + ": the gradient has shape " + shape_str(dy.shape()) + ", expected " +
                          shape_str(out_shape(g, cf, r)));
}


bool empty(const ConvGeom& g) { return g.n * g.c * g.out_pixels() == 0; }

Array zeros(const Shape& s, DType dt, Device d) { return full(s, 0.0, dt, d); }


// The entry points for spatial rank r; `op` names them in errors.
Array pool_nd(const char* op, size_t r, const Array& x, bool is_max, const std::vector<int64_t>& ksize,
              const std::vector<int64_t>& strides, const std::string& padding, const std::string& data_format) {
  // float16/bfloat16: computed in float32 (dtype.h).
  if (is_half(x.dtype())) return narrow(pool_nd(op, r, widen(x), is_max, ksize, strides, padding, data_format), x.dtype());
  const bool cf = channels_first_nd(op, data_format, r);
  check_float(op, x);
  const ConvGeom g = geometry(op, r, x.shape(), cf, ksize, strides, padding);
  if (empty(g)) return zeros(out_shape(g, cf, r), x.dtype(), x.device());
  Array out = Array::empty(out_shape(g, false, r), x.dtype(), x.device());
  kernel(x.device(), r == 3 ? &DeviceKernels::pool3d : &DeviceKernels::pool2d, op)(out, to_nhwc(x, cf), is_max, g);
  return from_nhwc(out, cf);
}

Array max_pool_nd_grad(const char* op, size_t r, const Array& x, const Array& dy, const std::vector<int64_t>& ksize,
                       const std::vector<int64_t>& strides, const std::string& padding,
                       const std::string& data_format) {
  if (is_half(x.dtype()) && x.dtype() == dy.dtype())
    return narrow(max_pool_nd_grad(op, r, widen(x), widen(dy), ksize, strides, padding, data_format), x.dtype());
  const bool cf = channels_first_nd(op, data_format, r);
  check_pair(op, x, "input", dy, "gradient");
  const ConvGeom g = geometry(op, r, x.shape(), cf, ksize, strides, padding);
  check_dy(op, dy, g, cf, r);
  if (empty(g) || x.size() == 0) return zeros(x.shape(), x.dtype(), x.device());
  Array dx = Array::empty(in_nhwc(g, r), x.dtype(), x.device());
  kernel(x.device(), r == 3 ? &DeviceKernels::max_pool3d_grad : &DeviceKernels::max_pool2d_grad, op)(
      dx, to_nhwc(x, cf), to_nhwc(dy, cf), g);
  return from_nhwc(dx, cf);
}

Array max_pool_nd_grad_grad(const char* op, size_t r, const Array& x, const Array& ddx,
                            const std::vector<int64_t>& ksize, const std::vector<int64_t>& strides,
                            const std::string& padding, const std::string& data_format) {
  if (is_half(x.dtype()) && x.dtype() == ddx.dtype())
    return narrow(max_pool_nd_grad_grad(op, r, widen(x), widen(ddx), ksize, strides, padding, data_format), x.dtype());
  const bool cf = channels_first_nd(op, data_format, r);
  check_pair(op, x, "input", ddx, "gradient");
  if (ddx.shape() != x.shape())
    throw InvalidArgument(std::string(op) + ": the gradient has shape " + shape_str(ddx.shape()) + ", expected " +
                          shape_str(x.shape()));
  const ConvGeom g = geometry(op, r, x.shape(), cf, ksize, strides, padding);
  if (empty(g)) return zeros(out_shape(g, cf, r), x.dtype(), x.device());
  Array ddy = Array::empty(out_shape(g, false, r), x.dtype(), x.device());
  kernel(x.device(), r == 3 ? &DeviceKernels::max_pool3d_grad_grad : &DeviceKernels::max_pool2d_grad_grad, op)(
      ddy, to_nhwc(x, cf), to_nhwc(ddx, cf), g);
  return from_nhwc(ddy, cf);
}

Array avg_pool_nd_grad(const char* op, size_t r, const std::vector<int64_t>& input_shape, const Array& dy,
                       const std::vector<int64_t>& ksize, const std::vector<int64_t>& strides,
                       const std::string& padding, const std::string& data_format) {
  if (is_half(dy.dtype()))
    return narrow(avg_pool_nd_grad(op, r, input_shape, widen(dy), ksize, strides, padding, data_format), dy.dtype());
  const bool cf = channels_first_nd(op, data_format, r);
  check_float(op, dy);
  for (int64_t d : input_shape)
    if (d < 0) throw InvalidArgument(std::string(op) + ": input_shape must not be negative, got " + shape_str(input_shape));
  const ConvGeom g = geometry(op, r, input_shape, cf, ksize, strides, padding);
  check_dy(op, dy, g, cf, r);
  if (empty(g) || numel(input_shape) == 0) return zeros(input_shape, dy.dtype(), dy.device());
  Array dx = Array::empty(in_nhwc(g, r), dy.dtype(), dy.device());
  kernel(dy.device(), r == 3 ? &DeviceKernels::avg_pool3d_grad : &DeviceKernels::avg_pool2d_grad, op)(
      dx, to_nhwc(dy, cf), g);
  return from_nhwc(dx, cf);
}

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
  return pool_nd(is_max ? "max_pool2d" : "avg_pool2d", 2, x, is_max, ksize, strides, padding, data_format);
}
Array pool3d(const Array& x, bool is_max, const std::vector<int64_t>& ksize, const std::vector<int64_t>& strides,
             const std::string& padding, const std::string& data_format) {
  return pool_nd(is_max ? "max_pool3d" : "avg_pool3d", 3, x, is_max, ksize, strides, padding, data_format);
}

Array max_pool2d_grad(const Array& x, const Array& dy, const std::vector<int64_t>& ksize,
                      const std::vector<int64_t>& strides, const std::string& padding,
                      const std::string& data_format) {
  return max_pool_nd_grad("max_pool2d_grad", 2, x, dy, ksize, strides, padding, data_format);
}
Array max_pool3d_grad(const Array& x, const Array& dy, const std::vector<int64_t>& ksize,
                      const std::vector<int64_t>& strides, const std::string& padding,
                      const std::string& data_format) {
  return max_pool_nd_grad("max_pool3d_grad", 3, x, dy, ksize, strides, padding, data_format);
}

Array max_pool2d_grad_grad(const Array& x, const Array& ddx, const std::vector<int64_t>& ksize,
                           const std::vector<int64_t>& strides, const std::string& padding,
                           const std::string& data_format) {
  return max_pool_nd_grad_grad("max_pool2d_grad_grad", 2, x, ddx, ksize, strides, padding, data_format);
}
Array max_pool3d_grad_grad(const Array& x, const Array& ddx, const std::vector<int64_t>& ksize,
                           const std::vector<int64_t>& strides, const std::string& padding,
                           const std::string& data_format) {
  return max_pool_nd_grad_grad("max_pool3d_grad_grad", 3, x, ddx, ksize, strides, padding, data_format);
}

Array avg_pool2d_grad(const std::vector<int64_t>& input_shape, const Array& dy, const std::vector<int64_t>& ksize,
                      const std::vector<int64_t>& strides, const std::string& padding,
                      const std::string& data_format) {
  return avg_pool_nd_grad("avg_pool2d_grad", 2, input_shape, dy, ksize, strides, padding, data_format);
}
Array avg_pool3d_grad(const std::vector<int64_t>& input_shape, const Array& dy, const std::vector<int64_t>& ksize,
                      const std::vector<int64_t>& strides, const std::string& padding,
                      const std::string& data_format) {
  return avg_pool_nd_grad("avg_pool3d_grad", 3, input_shape, dy, ksize, strides, padding, data_format);
}

void fill_cpu_pool_kernels(DeviceKernels* k) {
  k->pool2d = &pool2d_cpu;
  k->max_pool2d_grad = &max_pool2d_grad_cpu;
  k->max_pool2d_grad_grad = &max_pool2d_grad_grad_cpu;
  k->avg_pool2d_grad = &avg_pool2d_grad_cpu;
  k->pool3d = &pool2d_cpu;  // the geometry carries the depth
  k->max_pool3d_grad = &max_pool2d_grad_cpu;
  k->max_pool3d_grad_grad = &max_pool2d_grad_grad_cpu;
  k->avg_pool3d_grad = &avg_pool2d_grad_cpu;
}

}  // namespace tl
