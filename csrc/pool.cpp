// Pooling over NHWC windows; channels are the inner, vectorised loop. The
// gradients scatter into the input, so threads take whole images, or
// blocks of channels when there are fewer images than threads.
#include "pool.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

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
              for (int64_t c = 0; c < C; ++c) o[c] = (xp[c] > o[c] || xp[c] != xp[c]) ? xp[c] : o[c];
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

// Offset (in elements) of the first maximum of channel c in window wd.
template <typename T>
int64_t argmax(const T* x, const ConvGeom& g, int64_t n, const Window& wd, int64_t c) {
  int64_t best = -1;
  T bv = T(0);
  for (int64_t ih = wd.h0; ih < wd.h1; ++ih)
    for (int64_t iw = wd.w0; iw < wd.w1; ++iw) {
      const int64_t off = ((n * g.h + ih) * g.w + iw) * g.c + c;
      if (best < 0 || x[off] > bv || (x[off] != x[off] && bv == bv)) best = off, bv = x[off];
    }
  return best;
}

// fn(n, c0, c1) over images and channel blocks with no two threads on the same
// input element.
template <typename F>
void per_image(const ConvGeom& g, int64_t work, F&& fn) {
  const int64_t blocks = g.n >= num_threads() ? 1 : std::max<int64_t>(1, std::min<int64_t>(num_threads(), g.c / 16));
  parallel_for(g.n * blocks, work, [&](int64_t a, int64_t b) {
    for (int64_t u = a; u < b; ++u) {
      const int64_t n = u / blocks, blk = u % blocks;
      fn(n, g.c * blk / blocks, g.c * (blk + 1) / blocks);
    }
  });
}

template <typename T>
void max_grad(T* dx, const T* x, const T* dy, const ConvGeom& g) {
  std::fill(dx, dx + g.n * g.h * g.w * g.c, T(0));
  per_image(g, g.n * g.oh * g.ow * g.kh * g.kw * g.c, [&](int64_t n, int64_t c0, int64_t c1) {
    for (int64_t oh = 0; oh < g.oh; ++oh)
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const Window wd = window(g, oh, ow);
        const T* d = dy + ((n * g.oh + oh) * g.ow + ow) * g.c;
        for (int64_t c = c0; c < c1; ++c) {
          const int64_t at = argmax(x, g, n, wd, c);
          if (at >= 0) dx[at] += d[c];
        }
      }
  });
}

template <typename T>
void max_grad_grad(T* ddy, const T* x, const T* ddx, const ConvGeom& g) {
  parallel_for(g.n * g.oh, g.n * g.oh * g.ow * g.kh * g.kw * g.c, [&](int64_t a, int64_t b) {
    for (int64_t u = a; u < b; ++u) {
      const int64_t n = u / g.oh, oh = u % g.oh;
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const Window wd = window(g, oh, ow);
        T* o = ddy + (u * g.ow + ow) * g.c;
        for (int64_t c = 0; c < g.c; ++c) {
          const int64_t at = argmax(x, g, n, wd, c);
          o[c] = at >= 0 ? ddx[at] : T(0);
        }
      }
    }
  });
}

template <typename T>
void avg_grad(T* dx, const T* dy, const ConvGeom& g) {
  std::fill(dx, dx + g.n * g.h * g.w * g.c, T(0));
  per_image(g, g.n * g.oh * g.ow * g.kh * g.kw * g.c, [&](int64_t n, int64_t c0, int64_t c1) {
    for (int64_t oh = 0; oh < g.oh; ++oh)
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const Window wd = window(g, oh, ow);
        const T* d = dy + ((n * g.oh + oh) * g.ow + ow) * g.c;
        const T inv = T(1) / T((wd.h1 - wd.h0) * (wd.w1 - wd.w0));
        for (int64_t ih = wd.h0; ih < wd.h1; ++ih)
          for (int64_t iw = wd.w0; iw < wd.w1; ++iw) {
            T* p = dx + ((n * g.h + ih) * g.w + iw) * g.c;
            for (int64_t c = c0; c < c1; ++c) p[c] += d[c] * inv;
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
  if (a.device() != Device::CPU) throw InvalidArgument(std::string(op) + ": only CPU arrays are supported");
}

void check_pair(const char* op, const Array& a, const char* an, const Array& b, const char* bn) {
  check_float(op, a);
  check_float(op, b);
  if (a.dtype() != b.dtype())
    throw InvalidArgument(std::string(op) + ": " + an + " and " + bn + " must have the same dtype, got " +
                          dtype_name(a.dtype()) + " and " + dtype_name(b.dtype()));
}

void check_dy(const char* op, const Array& dy, const ConvGeom& g, bool cf) {
  if (dy.shape() != out_shape(g, cf))
    throw InvalidArgument(std::string(op) + ": the gradient has shape " + shape_str(dy.shape()) + ", expected " +
                          shape_str(out_shape(g, cf)));
}

Array to_nhwc(const Array& a, bool cf) { return (cf ? a.transpose({0, 2, 3, 1}) : a).contiguous(); }
Array from_nhwc(const Array& a, bool cf) { return cf ? a.transpose({0, 3, 1, 2}).contiguous() : a; }

bool empty(const ConvGeom& g) { return g.n * g.c * g.oh * g.ow == 0; }

Array zeros(const Shape& s, DType dt) {
  Array z = Array::empty(s, dt);
  if (z.size()) std::memset(z.raw(), 0, z.size() * z.itemsize());
  return z;
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
  const char* op = is_max ? "max_pool2d" : "avg_pool2d";
  const bool cf = channels_first(op, data_format);
  check_float(op, x);
  const ConvGeom g = geometry(op, x.shape(), cf, ksize, strides, padding);
  if (empty(g)) return zeros(out_shape(g, cf), x.dtype());
  Array out = Array::empty({g.n, g.oh, g.ow, g.c}, x.dtype());
  pool2d_cpu(out, to_nhwc(x, cf), is_max, g);
  return from_nhwc(out, cf);
}

Array max_pool2d_grad(const Array& x, const Array& dy, const std::vector<int64_t>& ksize,
                      const std::vector<int64_t>& strides, const std::string& padding,
                      const std::string& data_format) {
  const char* op = "max_pool2d_grad";
  const bool cf = channels_first(op, data_format);
  check_pair(op, x, "input", dy, "gradient");
  const ConvGeom g = geometry(op, x.shape(), cf, ksize, strides, padding);
  check_dy(op, dy, g, cf);
  if (empty(g) || x.size() == 0) return zeros(x.shape(), x.dtype());
  Array dx = Array::empty({g.n, g.h, g.w, g.c}, x.dtype());
  max_pool2d_grad_cpu(dx, to_nhwc(x, cf), to_nhwc(dy, cf), g);
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
  if (empty(g)) return zeros(out_shape(g, cf), x.dtype());
  Array ddy = Array::empty({g.n, g.oh, g.ow, g.c}, x.dtype());
  max_pool2d_grad_grad_cpu(ddy, to_nhwc(x, cf), to_nhwc(ddx, cf), g);
  return from_nhwc(ddy, cf);
}

Array avg_pool2d_grad(const std::vector<int64_t>& input_shape, const Array& dy, const std::vector<int64_t>& ksize,
                      const std::vector<int64_t>& strides, const std::string& padding,
                      const std::string& data_format) {
  const char* op = "avg_pool2d_grad";
  const bool cf = channels_first(op, data_format);
  check_float(op, dy);
  for (int64_t d : input_shape)
    if (d < 0) throw InvalidArgument(std::string(op) + ": input_shape must not be negative, got " + shape_str(input_shape));
  const ConvGeom g = geometry(op, input_shape, cf, ksize, strides, padding);
  check_dy(op, dy, g, cf);
  if (empty(g) || numel(input_shape) == 0) return zeros(input_shape, dy.dtype());
  Array dx = Array::empty({g.n, g.h, g.w, g.c}, dy.dtype());
  avg_pool2d_grad_cpu(dx, to_nhwc(dy, cf), g);
  return from_nhwc(dx, cf);
}

}  // namespace tl
