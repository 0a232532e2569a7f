// Batch normalization. Per-channel sums accumulate in double, one partial per
// part of the rows, added in a fixed order (the result does not depend on
// which thread ran which part). Per-channel coefficients are folded once, so
// the elementwise passes are one multiply-add each.
#include "batchnorm.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "cpu_kernels.h"
#include "isa/table.h"
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

// The training ops' loops (isa/batchnorm.cpp) for T.
template <typename T>
const auto& bn_loops() {
  if constexpr (std::is_same_v<T, float>) return isa().bn_f32;
  else return isa().bn_f64;
}

// Two per-channel sums in one pass, for the training ops: b null, of x - shift
// and its square; else of b and b * (x - shift). Parts of the outer rows run
// in parallel and add their runs in double (channels last: blocks of kRun
// rows summed in T first, where they vectorise); the parts add in a fixed order.
template <typename T>
void train_sums(const View& v, const T* x, const T* b, const T* shift, double* out0, double* out1) {
  constexpr int64_t kRun = 64;
  const auto& k = bn_loops<T>();
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(num_threads(), v.outer)), c = v.c;
  std::vector<double> partial(static_cast<size_t>(parts * 2 * c), 0.0);
  parallel_for(parts, v.outer * c * v.inner, [&](int64_t pa, int64_t pb) {
    std::vector<T> acc(static_cast<size_t>(2 * c));
    T *a0 = acc.data(), *a1 = a0 + c;
    for (int64_t p = pa; p < pb; ++p) {
      double *s0 = partial.data() + p * 2 * c, *s1 = s0 + c;
      const int64_t o0 = v.outer * p / parts, o1 = v.outer * (p + 1) / parts;
      for (int64_t o = o0; v.inner == 1 && o < o1; o += kRun) {  // channels last
        std::fill(acc.begin(), acc.end(), T(0));
        const int64_t rows = std::min(kRun, o1 - o);
        if (b) k.rows_grad_sums(b + o * c, x + o * c, shift, a0, a1, c, rows);
        else k.rows_stats(x + o * c, shift, a0, a1, c, rows);
        for (int64_t ch = 0; ch < c; ++ch) s0[ch] += a0[ch], s1[ch] += a1[ch];
      }
      for (int64_t o = o0; v.inner > 1 && o < o1; ++o)
        for (int64_t ch = 0; ch < c; ++ch) {
          const int64_t base = (o * c + ch) * v.inner;
          k.run_sums(x + base, b ? b + base : nullptr, shift[ch], v.inner, s0 + ch, s1 + ch);
        }
    }
  });
  for (int64_t ch = 0; ch < c; ++ch) out0[ch] = out1[ch] = 0;
  for (int64_t p = 0; p < parts; ++p)
    for (int64_t ch = 0; ch < c; ++ch) out0[ch] += partial[p * 2 * c + ch], out1[ch] += partial[(p * 2 + 1) * c + ch];
}

// An elementwise pass in parallel: rows(first element, rows) when channels
// are last, else run(first element, channel) per run of one channel.
template <typename R, typename U>
void train_map(const View& v, R&& rows, U&& run) {
  parallel_for(v.outer, v.outer * v.c * v.inner, [&](int64_t a, int64_t b) {
    if (v.inner == 1) return rows(a * v.c, b - a);
    for (int64_t o = a; o < b; ++o)
      for (int64_t ch = 0; ch < v.c; ++ch) run((o * v.c + ch) * v.inner, ch);
  });
}

// y = x * a + b per channel, through the training ops' loops (around a zero mean).
template <typename T>
void affine_pass(const View& v, const T* x, const T* a, const T* b, T* y) {
  const auto& k = bn_loops<T>();
  const std::vector<T> zero(v.c, T(0));
  train_map(v, [&](int64_t i, int64_t rows) { k.rows_affine(x + i, zero.data(), a, b, y + i, v.c, rows); },
            [&](int64_t i, int64_t ch) { k.run_affine(x + i, T(0), a[ch], b[ch], y + i, v.inner); });
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
    affine_pass<T>(View{outer, c, inner}, x.data<T>(), a.data<T>(), b.data<T>(), y.data<T>());
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
    affine_pass<T>(View{outer, c, inner}, x.data<T>(), a.data(), b.data(), y.data<T>());
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

// The statistics around a shift per channel (its first value), so data far
// from zero loses nothing to cancellation; then y = (x - mean) * a + offset.
void batch_norm_train_cpu(const Array& y, const Array& mean, const Array& var, const Array& x, const Array& scale,
                          const Array& offset, double epsilon, int64_t outer, int64_t c, int64_t inner) {
  const View v{outer, c, inner};
  const double m = static_cast<double>(outer * inner);
  dispatch<kFloat>(x.dtype(), "batch_norm_train", [&](auto tv) {
    using T = decltype(tv);
    const T* p = x.data<T>();
    std::vector<T> shift(c), mu(c), a(c);
    for (int64_t k = 0; k < c; ++k) shift[k] = p[k * inner];
    const T* sh = shift.data();
    std::vector<double> s0(c), s1(c);
    train_sums<T>(v, p, nullptr, sh, s0.data(), s1.data());
    const auto sc = doubles<T>(scale);
    T *om = mean.data<T>(), *ov = var.data<T>();
    for (int64_t k = 0; k < c; ++k) {
      const double dm = s0[k] / m, va = std::max(s1[k] / m - dm * dm, 0.0);
      om[k] = mu[k] = static_cast<T>(shift[k] + dm);
      ov[k] = static_cast<T>(va);
      a[k] = static_cast<T>(sc[k] / std::sqrt(va + epsilon));
    }
    const T *pa = a.data(), *pm = mu.data(), *pb = offset.data<T>();
    T* q = y.data<T>();
    const auto& k = bn_loops<T>();
    train_map(v, [&](int64_t i, int64_t rows) { k.rows_affine(p + i, pm, pa, pb, q + i, c, rows); },
              [&](int64_t i, int64_t ch) { k.run_affine(p + i, pm[ch], pa[ch], pb[ch], q + i, inner); });
  });
}

// dx = A dy + B (x - mean) + C per channel, with s0 = sum(dy) and
// s1 = sum(dy (x - mean)), inv = rsqrt(var + epsilon):
// A = scale inv, B = (2 dvar - scale inv^3 s1) / m, C = (dmean - scale inv s0) / m.
void batch_norm_train_grad_cpu(const Array& dx, const Array& dscale, const Array& doffset, const Array& dy,
                               const Array& x, const Array& mean, const Array& var, const Array& scale,
                               const Array* dmean, const Array* dvar, double epsilon, int64_t outer, int64_t c,
                               int64_t inner) {
  const View v{outer, c, inner};
  const double m = static_cast<double>(outer * inner);
  dispatch<kFloat>(x.dtype(), "batch_norm_train_grad", [&](auto tv) {
    using T = decltype(tv);
    const T *p = x.data<T>(), *d = dy.data<T>(), *mu = mean.data<T>();
    std::vector<double> s0(c), s1(c);
    train_sums<T>(v, p, d, mu, s0.data(), s1.data());
    const auto va = doubles<T>(var), sc = doubles<T>(scale);
    const auto dm = dmean ? doubles<T>(*dmean) : std::vector<double>(c, 0.0);
    const auto dv = dvar ? doubles<T>(*dvar) : std::vector<double>(c, 0.0);
    std::vector<T> A(c), B(c), C(c);
    T *gs = dscale.data<T>(), *go = doffset.data<T>();
    for (int64_t k = 0; k < c; ++k) {
      const double inv = 1.0 / std::sqrt(va[k] + epsilon), si = sc[k] * inv;
      gs[k] = static_cast<T>(s1[k] * inv), go[k] = static_cast<T>(s0[k]);
      A[k] = static_cast<T>(si);
      B[k] = static_cast<T>((2.0 * dv[k] - si * inv * inv * s1[k]) / m);
      C[k] = static_cast<T>((dm[k] - si * s0[k]) / m);
    }
    const T *pa = A.data(), *pb = B.data(), *pc = C.data();
    T* q = dx.data<T>();
    const auto& k = bn_loops<T>();
    train_map(v, [&](int64_t i, int64_t rows) { k.rows_dx(d + i, p + i, mu, pa, pb, pc, q + i, c, rows); },
              [&](int64_t i, int64_t ch) { k.run_dx(d + i, p + i, mu[ch], pa[ch], pb[ch], pc[ch], q + i, inner); });
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

void batch_norm_train_to(const Array* outs, const Array& x, const Array& scale, const Array& offset, double epsilon,
                         int64_t axis) {
  const char* op = "batch_norm_train";
  check_float(op, x, "x", x.dtype());
  const View v = view_of(x, axis, op);
  check_vec(op, scale, "scale", x, v.c);
  check_vec(op, offset, "offset", x, v.c);
  if (v.outer * v.inner == 0)
    throw InvalidArgument(std::string(op) + ": the batch of shape " + shape_str(x.shape()) +
                          " has no elements to take statistics over");
  if (v.c)
    kernel(x.device(), &DeviceKernels::batch_norm_train, op)(outs[0], outs[1], outs[2], x.contiguous(),
                                                             scale.contiguous(), offset.contiguous(), epsilon,
                                                             v.outer, v.c, v.inner);
}

std::vector<Array> batch_norm_train(const Array& x, const Array& scale, const Array& offset, double epsilon,
                                    int64_t axis) {
  check_float("batch_norm_train", x, "x", x.dtype());
  const int64_t c = view_of(x, axis, "batch_norm_train").c;
  std::vector<Array> outs{Array::empty(x.shape(), x.dtype(), x.device()), Array::empty({c}, x.dtype(), x.device()),
                          Array::empty({c}, x.dtype(), x.device())};
  batch_norm_train_to(outs.data(), x, scale, offset, epsilon, axis);
  return outs;
}

void batch_norm_train_grad_to(const Array* outs, const Array& dy, const Array& x, const Array& mean,
                              const Array& var, const Array& scale, const Array* dmean, const Array* dvar,
                              double epsilon, int64_t axis) {
  const char* op = "batch_norm_train_grad";
  check_float(op, x, "x", x.dtype());
  check_same(op, dy, "the gradient", x);
  const View v = view_of(x, axis, op);
  check_vec(op, mean, "mean", x, v.c);
  check_vec(op, var, "variance", x, v.c);
  check_vec(op, scale, "scale", x, v.c);
  if (dmean) check_vec(op, *dmean, "the mean's gradient", x, v.c);
  if (dvar) check_vec(op, *dvar, "the variance's gradient", x, v.c);
  if (v.outer * v.inner == 0)
    throw InvalidArgument(std::string(op) + ": the batch of shape " + shape_str(x.shape()) + " has no elements");
  if (!v.c) return;
  Array dm = dmean ? dmean->contiguous() : Array(), dv = dvar ? dvar->contiguous() : Array();
  kernel(x.device(), &DeviceKernels::batch_norm_train_grad, op)(
      outs[0], outs[1], outs[2], dy.contiguous(), x.contiguous(), mean.contiguous(), var.contiguous(),
      scale.contiguous(), dmean ? &dm : nullptr, dvar ? &dv : nullptr, epsilon, v.outer, v.c, v.inner);
}

std::vector<Array> batch_norm_train_grad(const Array& dy, const Array& x, const Array& mean, const Array& var,
                                         const Array& scale, const Array* dmean, const Array* dvar,
                                         double epsilon, int64_t axis) {
  check_float("batch_norm_train_grad", x, "x", x.dtype());
  const int64_t c = view_of(x, axis, "batch_norm_train_grad").c;
  std::vector<Array> outs{Array::empty(x.shape(), x.dtype(), x.device()), Array::empty({c}, x.dtype(), x.device()),
                          Array::empty({c}, x.dtype(), x.device())};
  batch_norm_train_grad_to(outs.data(), dy, x, mean, var, scale, dmean, dvar, epsilon, axis);
  return outs;
}

void fill_cpu_batchnorm_kernels(DeviceKernels* k) {
  k->batch_norm_stats = &batch_norm_stats_cpu;
  k->batch_norm_apply = &batch_norm_apply_cpu;
  k->channel_affine = &channel_affine_cpu;
  k->batch_norm_grad_sums = &batch_norm_grad_sums_cpu;
  k->batch_norm_train = &batch_norm_train_cpu;
  k->batch_norm_train_grad = &batch_norm_train_grad_cpu;
}

}  // namespace tl
