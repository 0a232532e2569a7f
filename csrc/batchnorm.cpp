// Batch normalization. Per-channel sums accumulate in double, one partial per
// part of the rows, added in a fixed order (the result does not depend on
// which thread ran which part). Per-channel coefficients are folded once, so
// the elementwise passes are one multiply-add each.
#include "batchnorm.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "cpu_kernels.h"
#include "parallel.h"

namespace tl {
namespace {

// x as (outer, C, inner) around the channel axis.
struct View {
  int64_t outer, c, inner;
};

// Two sums per channel, f(index, channel, s0, s1) adding to them, over all
// elements, in parts (rows of the outer axis), then added in order.
template <typename F>
void channel_sums(const View& v, double* out0, double* out1, F&& f) {
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(num_threads(), v.outer));
  std::vector<double> partial(static_cast<size_t>(parts * 2 * v.c), 0.0);
  parallel_for(parts, v.outer * v.c * v.inner, [&](int64_t a, int64_t b) {
    for (int64_t p = a; p < b; ++p) {
      double* s0 = partial.data() + p * 2 * v.c;
      double* s1 = s0 + v.c;
      for (int64_t o = v.outer * p / parts; o < v.outer * (p + 1) / parts; ++o)
        for (int64_t c = 0; c < v.c; ++c) {
          const int64_t base = (o * v.c + c) * v.inner;
          double t0 = 0, t1 = 0;
          for (int64_t i = 0; i < v.inner; ++i) f(base + i, c, t0, t1);
          s0[c] += t0, s1[c] += t1;
        }
    }
  });
  for (int64_t c = 0; c < v.c; ++c) out0[c] = out1[c] = 0;
  for (int64_t p = 0; p < parts; ++p)
    for (int64_t c = 0; c < v.c; ++c) out0[c] += partial[p * 2 * v.c + c], out1[c] += partial[(p * 2 + 1) * v.c + c];
}

View view_of(const Array& x, int64_t axis, const char* op) {
  if (x.ndim() == 0) throw InvalidArgument(std::string(op) + ": expects a tensor of rank >= 1, got a scalar");
  const int64_t ax = normalize_axis(axis, x.ndim(), op);
  View v{1, x.shape()[ax], 1};
  for (int64_t d = 0; d < ax; ++d) v.outer *= x.shape()[d];
  for (int64_t d = ax + 1; d < x.ndim(); ++d) v.inner *= x.shape()[d];
  return v;
}

void check_float(const char* op, const Array& a, const char* what, DType want) {
  if (!is_float(a.dtype()))
    throw TypeError(std::string(op) + ": " + what + " must be float32 or float64, got " + dtype_name(a.dtype()));
  if (a.dtype() != want)
    throw InvalidArgument(std::string(op) + ": " + what + " has dtype " + dtype_name(a.dtype()) + ", expected " +
                          dtype_name(want));
}

void check_vec(const char* op, const Array& a, const char* what, const Array& x, int64_t c) {
  check_float(op, a, what, x.dtype());
  check_same_device(op, x, a);
  if (a.ndim() != 1 || a.shape()[0] != c)
    throw InvalidArgument(std::string(op) + ": " + what + " must have shape (" + std::to_string(c) + ",), got " +
                          shape_str(a.shape()));
}

void check_same(const char* op, const Array& a, const char* what, const Array& x) {
  check_float(op, a, what, x.dtype());
  check_same_device(op, x, a);
  if (a.shape() != x.shape())
    throw InvalidArgument(std::string(op) + ": " + what + " has shape " + shape_str(a.shape()) + ", expected " +
                          shape_str(x.shape()));
}

// A contiguous per-channel vector as doubles (CPU slots only).
template <typename T>
std::vector<double> doubles(const Array& a) {
  const T* p = a.data<T>();
  return std::vector<double>(p, p + a.size());
}

// Elementwise over the view: fn(index, channel).
template <typename F>
void for_each(const View& v, F&& fn) {
  parallel_for(v.outer, v.outer * v.c * v.inner, [&](int64_t a, int64_t b) {
    for (int64_t o = a; o < b; ++o)
      for (int64_t c = 0; c < v.c; ++c) {
        const int64_t base = (o * v.c + c) * v.inner;
        for (int64_t i = 0; i < v.inner; ++i) fn(base + i, c);
      }
  });
}

}  // namespace

void batch_norm_stats_cpu(const Array& out, const Array& x, int64_t outer, int64_t c, int64_t inner) {
  const View v{outer, c, inner};
  const double m = static_cast<double>(outer * inner);
  dispatch<kFloat>(x.dtype(), "batch_norm_stats", [&](auto tv) {
    using T = decltype(tv);
    const T* p = x.data<T>();
    std::vector<double> sum(c), unused(c), mean(c), var(c);
    channel_sums(v, sum.data(), unused.data(), [&](int64_t i, int64_t, double& s, double&) { s += p[i]; });
    for (int64_t k = 0; k < c; ++k) mean[k] = sum[k] / m;
    // Second pass around the mean: no cancellation.
    channel_sums(v, var.data(), unused.data(), [&](int64_t i, int64_t ch, double& s, double&) {
      const double d = p[i] - mean[ch];
      s += d * d;
    });
    T* o = out.data<T>();
    for (int64_t k = 0; k < c; ++k) o[k] = static_cast<T>(mean[k]), o[c + k] = static_cast<T>(var[k] / m);
  });
}

void channel_affine_cpu(const Array& y, const Array& x, const Array& a, const Array& b, int64_t outer, int64_t c,
                        int64_t inner) {
  dispatch<kFloat>(x.dtype(), "channel_affine", [&](auto tv) {
    using T = decltype(tv);
    const T *p = x.data<T>(), *pa = a.data<T>(), *pb = b.data<T>();
    T* q = y.data<T>();
    for_each(View{outer, c, inner}, [&](int64_t i, int64_t ch) { q[i] = p[i] * pa[ch] + pb[ch]; });
  });
}

void batch_norm_apply_cpu(const Array& y, const Array& x, const Array& mean, const Array& var, const Array& scale,
                          const Array& offset, double epsilon, int64_t outer, int64_t c, int64_t inner) {
  dispatch<kFloat>(x.dtype(), "batch_norm_apply", [&](auto tv) {
    using T = decltype(tv);
    const auto mu = doubles<T>(mean), va = doubles<T>(var), sc = doubles<T>(scale), of = doubles<T>(offset);
    std::vector<T> a(c), b(c);
    for (int64_t k = 0; k < c; ++k) {
      const double ak = sc[k] / std::sqrt(va[k] + epsilon);
      a[k] = static_cast<T>(ak);
      b[k] = static_cast<T>(of[k] - mu[k] * ak);
    }
    const T* p = x.data<T>();
    T* q = y.data<T>();
    for_each(View{outer, c, inner}, [&](int64_t i, int64_t ch) { q[i] = p[i] * a[ch] + b[ch]; });
  });
}

void batch_norm_grad_sums_cpu(const Array& out, const Array& dy, const Array& x, const Array& mean, int64_t outer,
                              int64_t c, int64_t inner) {
  dispatch<kFloat>(x.dtype(), "batch_norm_grad_sums", [&](auto tv) {
    using T = decltype(tv);
    const T *p = x.data<T>(), *d = dy.data<T>(), *mu = mean.data<T>();
    std::vector<double> s0(c), s1(c);
    channel_sums(View{outer, c, inner}, s0.data(), s1.data(), [&](int64_t i, int64_t ch, double& a, double& b) {
      a += d[i];
      b += static_cast<double>(d[i]) * (static_cast<double>(p[i]) - mu[ch]);
    });
    T* o = out.data<T>();
    for (int64_t k = 0; k < c; ++k) o[k] = static_cast<T>(s0[k]), o[c + k] = static_cast<T>(s1[k]);
  });
}

Array batch_norm_stats(const Array& x, int64_t axis) {
  const char* op = "batch_norm_stats";
  check_float(op, x, "x", x.dtype());
  const View v = view_of(x, axis, op);
  if (v.outer * v.inner == 0)
    throw InvalidArgument(std::string(op) + ": the batch of shape " + shape_str(x.shape()) +
                          " has no elements to take statistics over");
  Array out = Array::empty({2, v.c}, x.dtype(), x.device());
  if (v.c) kernel(x.device(), &DeviceKernels::batch_norm_stats, op)(out, x.contiguous(), v.outer, v.c, v.inner);
  return out;
}

Array batch_norm_apply(const Array& x, const Array& mean, const Array& var, const Array& scale,
                       const Array& offset, double epsilon, int64_t axis) {
  const char* op = "batch_norm_apply";
  check_float(op, x, "x", x.dtype());
  const View v = view_of(x, axis, op);
  check_vec(op, mean, "mean", x, v.c);
  check_vec(op, var, "variance", x, v.c);
  check_vec(op, scale, "scale", x, v.c);
  check_vec(op, offset, "offset", x, v.c);
  Array y = Array::empty(x.shape(), x.dtype(), x.device());
  if (x.size())
    kernel(x.device(), &DeviceKernels::batch_norm_apply, op)(y, x.contiguous(), mean.contiguous(), var.contiguous(),
                                                             scale.contiguous(), offset.contiguous(), epsilon,
                                                             v.outer, v.c, v.inner);
  return y;
}

Array channel_affine(const Array& x, const Array& a, const Array& b, int64_t axis) {
  const char* op = "channel_affine";
  check_float(op, x, "x", x.dtype());
  const View v = view_of(x, axis, op);
  check_vec(op, a, "scale", x, v.c);
  check_vec(op, b, "offset", x, v.c);
  Array y = Array::empty(x.shape(), x.dtype(), x.device());
  if (x.size())
    kernel(x.device(), &DeviceKernels::channel_affine, op)(y, x.contiguous(), a.contiguous(), b.contiguous(),
                                                           v.outer, v.c, v.inner);
  return y;
}

Array batch_norm_grad_sums(const Array& dy, const Array& x, const Array& mean, int64_t axis) {
  const char* op = "batch_norm_grad_sums";
  check_float(op, x, "x", x.dtype());
  check_same(op, dy, "the gradient", x);
  const View v = view_of(x, axis, op);
  check_vec(op, mean, "mean", x, v.c);
  if (v.c && x.size() == 0) return full({2, v.c}, 0.0, x.dtype(), x.device());
  Array out = Array::empty({2, v.c}, x.dtype(), x.device());
  if (v.c)
    kernel(x.device(), &DeviceKernels::batch_norm_grad_sums, op)(out, dy.contiguous(), x.contiguous(),
                                                                 mean.contiguous(), v.outer, v.c, v.inner);
  return out;
}

void fill_cpu_batchnorm_kernels(DeviceKernels* k) {
  k->batch_norm_stats = &batch_norm_stats_cpu;
  k->batch_norm_apply = &batch_norm_apply_cpu;
  k->channel_affine = &channel_affine_cpu;
  k->batch_norm_grad_sums = &batch_norm_grad_sums_cpu;
}

}  // namespace tl
