#include "nn.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "cpu_kernels.h"
#include "device.h"
#include "isa/table.h"
#include "loop.h"
#include "parallel.h"

namespace tl {
namespace {

// exp is several times the cost of an add: weigh rows by it for threading.
constexpr int64_t kExpWork = 8;

template <typename T>
T row_max(const T* p, int64_t n) {
  if constexpr (std::is_same_v<T, float>) return isa().max_f32(p, n);
  else return isa().max_f64(p, n);
}

// out[i] = exp(p[i] - shift); returns the sum.
template <typename T>
double exp_shift(const T* p, T* out, int64_t n, T shift) {
  if constexpr (std::is_same_v<T, float>) return isa().exp_shift_f32(p, out, n, shift);
  else return isa().exp_shift_f64(p, out, n, shift);
}

// Rows handled per block by the row kernels below (bounded scratch).
constexpr int64_t kRowBlock = 4096;

// For `rows` rows of n contiguous values: ex = exp(x - row max), with each
// row's max and sum of exps (softmax and cross-entropy). A short float row
// (a 10-class output) costs more in one exp_shift call's dependency chain
// than in arithmetic, so short rows are shifted by their max first and a
// whole block takes one vector exp; the sums add in exp_shift's order.
template <typename T>
void exp_rows(const T* x, T* ex, int64_t rows, int64_t n, T* max, double* sum) {
  if (!std::is_same_v<T, float> || n >= 16 || n * rows < 64) {
    for (int64_t r = 0; r < rows; ++r) {
      max[r] = row_max(x + r * n, n);
      sum[r] = exp_shift(x + r * n, ex + r * n, n, max[r]);
    }
    return;
  }
  T shifted[kRowBlock];
  const int64_t per = kRowBlock / n;
  for (int64_t r0 = 0; r0 < rows; r0 += per) {
    const int64_t cnt = std::min(per, rows - r0);
    for (int64_t r = r0; r < r0 + cnt; ++r) {
      const T* p = x + r * n;
      // row_max's rule (NaN wins) inline: a call per short row doubled the time of a 128x10 softmax.
      T m = -std::numeric_limits<T>::infinity();
      bool nan = false;
      for (int64_t i = 0; i < n; ++i) {
        m = p[i] > m ? p[i] : m;
        nan |= p[i] != p[i];
      }
      max[r] = nan ? std::numeric_limits<T>::quiet_NaN() : m;
      for (int64_t i = 0; i < n; ++i) shifted[(r - r0) * n + i] = p[i] - max[r];
    }
    exp_shift(shifted, ex + r0 * n, cnt * n, T(0));
    for (int64_t r = r0; r < r0 + cnt; ++r) {
      T part = 0;
      for (int64_t i = 0; i < n; ++i) part += ex[r * n + i];
      sum[r] = part;
    }
  }
}

void check_float(const Array& a, const char* op, const char* what) {
  if (!is_float(a.dtype()))
    throw TypeError(std::string(op) + ": " + what + " must be float32 or float64, got " + dtype_name(a.dtype()));
}

// Moves `axis` last (as a contiguous copy unless it already is last).
std::vector<int64_t> axis_last_perm(int64_t nd, int64_t axis) {
  std::vector<int64_t> perm;
  for (int64_t d = 0; d < nd; ++d)
    if (d != axis) perm.push_back(d);
  perm.push_back(axis);
  return perm;
}

// Runs fn(rows, n, inputs, out) on contiguous row-major data with `axis`
// last: out itself when the axis is last already, else a temporary whose
// axis is then put back as it is copied into out.
template <typename F>
void along_axis(const std::vector<const Array*>& ins, const Array& out, int64_t ax, F&& fn) {
  const Array& first = *ins[0];
  bool last = ax == first.ndim() - 1;
  std::vector<int64_t> perm = axis_last_perm(first.ndim(), ax);
  std::vector<Array> xs;
  for (const Array* a : ins) xs.push_back(last ? a->contiguous() : a->transpose(perm).contiguous());
  Array tmp = last && out.is_contiguous() ? out : Array::empty(xs[0].shape(), out.dtype(), out.device());
  int64_t n = xs[0].shape().back();
  fn(tmp.size() / n, n, xs, tmp);
  if (!last) copy_into(out.transpose(perm), tmp);
  else if (tmp.storage() != out.storage()) copy_into(out, tmp);
}

// The device-neutral part of the softmax family: an output of x's shape on
// x's device, and the axis normalised; false when the output is empty.
bool along_axis_output(const Array& x, int64_t axis, const char* op, Array* out, int64_t* ax) {
  if (x.ndim() == 0) throw InvalidArgument(std::string(op) + ": expects a tensor of rank >= 1, got a scalar");
  *ax = normalize_axis(axis, x.ndim(), op);
  *out = Array::empty(x.shape(), x.dtype(), x.device());
  return out->size() > 0;
}

void check_pair(const char* op, const char* a_name, const Array& x, const Array& dy) {
  if (x.dtype() != dy.dtype() || x.shape() != dy.shape())
    throw InvalidArgument(std::string(op) + ": " + a_name + " and dy must have the same shape and dtype, got " +
                          shape_str(x.shape()) + " " + dtype_name(x.dtype()) + " and " + shape_str(dy.shape()) +
                          " " + dtype_name(dy.dtype()));
  check_same_device(op, x, dy);
}

}  // namespace

Array softmax(const Array& x, int64_t axis, bool log) {
  if (is_half(x.dtype())) return narrow(softmax(widen(x), axis, log), x.dtype());
  const char* op = log ? "log_softmax" : "softmax";
  check_float(x, op, "logits");
  Array out;
  int64_t ax;
  if (along_axis_output(x, axis, op, &out, &ax)) kernel(x.device(), &DeviceKernels::softmax, op)(out, x, ax, log);
  return out;
}

Array softmax_grad(const Array& y, const Array& dy, int64_t axis, bool log) {
  if (is_half(y.dtype()) && y.dtype() == dy.dtype()) return narrow(softmax_grad(widen(y), widen(dy), axis, log), y.dtype());
  const char* op = log ? "log_softmax_grad" : "softmax_grad";
  check_float(y, op, "y");
  check_pair(op, "y", y, dy);
  Array out;
  int64_t ax;
  if (along_axis_output(y, axis, op, &out, &ax))
    kernel(y.device(), &DeviceKernels::softmax_grad, op)(out, y, dy, ax, log);
  return out;
}

Array relu_grad(const Array& x, const Array& dy) {
  if (is_narrow(x.dtype()) && x.dtype() == dy.dtype()) return narrow(relu_grad(widen(x), widen(dy)), x.dtype());
  check_pair("relu_grad", "x", x, dy);
  if (!in_family(x.dtype(), kNumeric))
    throw TypeError(std::string("relu_grad: unsupported dtype ") + dtype_name(x.dtype()));
  Array out = Array::empty(x.shape(), x.dtype(), x.device());
  if (out.size() > 0) kernel(x.device(), &DeviceKernels::relu_grad, "relu_grad")(out, x, dy);
  return out;
}

Array gelu(const Array& x, bool approximate) {
  if (is_half(x.dtype())) return narrow(gelu(widen(x), approximate), x.dtype());
  check_float(x, "gelu", "features");
  Array out = Array::empty(x.shape(), x.dtype(), x.device());
  if (out.size() > 0) kernel(x.device(), &DeviceKernels::gelu, "gelu")(out, x, approximate);
  return out;
}

Array gelu_grad(const Array& x, const Array& dy, bool approximate) {
  if (is_half(x.dtype()) && x.dtype() == dy.dtype()) return narrow(gelu_grad(widen(x), widen(dy), approximate), x.dtype());
  check_float(x, "gelu_grad", "x");
  check_pair("gelu_grad", "x", x, dy);
  Array out = Array::empty(x.shape(), x.dtype(), x.device());
  if (out.size() > 0) kernel(x.device(), &DeviceKernels::gelu_grad, "gelu_grad")(out, x, dy, approximate);
  return out;
}

// ------------------------------------------------------------ crossentropy ----

namespace {

const char* kSparse = "sparse_softmax_cross_entropy_with_logits";
const char* kDense = "softmax_cross_entropy_with_logits";

void check_logits(const Array& logits, const char* op) {
  check_float(logits, op, "logits");
  if (logits.ndim() != 2)
    throw InvalidArgument(std::string(op) + ": logits must have shape [batch, classes], got " +
                          shape_str(logits.shape()));
}

// The labels [N] as int64 (any layout, any device: read on the host).
std::vector<int64_t> read_labels(const Array& labels) {
  Array l = to_host(labels);
  std::vector<int64_t> out(l.size());
  dispatch<kInt>(l.dtype(), kSparse, [&](auto tv) {
    const auto* p = l.data<decltype(tv)>();
    for (size_t i = 0; i < out.size(); ++i) out[i] = p[i];
  });
  return out;
}

// Checks labels [N] against logits [N, C]: every label in [0, C).
void check_sparse(const Array& logits, const Array& labels) {
  check_logits(logits, kSparse);
  if (!is_int(labels.dtype()))
    throw TypeError(std::string(kSparse) + ": labels must be int32 or int64, got " + dtype_name(labels.dtype()));
  const int64_t N = logits.shape()[0], C = logits.shape()[1];
  if (labels.ndim() != 1 || labels.shape()[0] != N)
    throw InvalidArgument(std::string(kSparse) + ": labels of shape " + shape_str(labels.shape()) +
                          " do not match logits of shape " + shape_str(logits.shape()) + "; expected labels of shape (" +
                          std::to_string(N) + ",)");
  check_same_device(kSparse, logits, labels);
  std::vector<int64_t> lab = read_labels(labels);
  for (int64_t i = 0; i < N; ++i)
    if (lab[i] < 0 || lab[i] >= C)
      throw InvalidArgument(std::string(kSparse) + ": label " + std::to_string(lab[i]) + " at index " +
                            std::to_string(i) + " is outside the valid range [0, " + std::to_string(C) +
                            ") for " + std::to_string(C) + " classes");
}

void check_dloss(const Array& dloss, const Array& logits, const char* op) {
  if (dloss.dtype() != logits.dtype() || dloss.ndim() != 1 || dloss.shape()[0] != logits.shape()[0])
    throw InvalidArgument(std::string(op) + ": upstream gradient of shape " + shape_str(dloss.shape()) + " " +
                          dtype_name(dloss.dtype()) + " does not match logits of shape " +
                          shape_str(logits.shape()) + " " + dtype_name(logits.dtype()));
  check_same_device(op, logits, dloss);
}

void check_dense(const Array& logits, const Array& labels) {
  check_logits(logits, kDense);
  if (labels.dtype() != logits.dtype() || labels.shape() != logits.shape())
    throw InvalidArgument(std::string(kDense) + ": labels of shape " + shape_str(labels.shape()) + " " +
                          dtype_name(labels.dtype()) + " do not match logits of shape " +
                          shape_str(logits.shape()) + " " + dtype_name(logits.dtype()));
  check_same_device(kDense, logits, labels);
}

}  // namespace

Array sparse_xent(const Array& logits, const Array& labels) {
  if (is_half(logits.dtype())) return narrow(sparse_xent(widen(logits), labels), logits.dtype());
  check_sparse(logits, labels);
  Array out = Array::empty({logits.shape()[0]}, logits.dtype(), logits.device());
  if (out.size() > 0) kernel(logits.device(), &DeviceKernels::sparse_xent, kSparse)(out, logits, labels);
  return out;
}

Array sparse_xent_grad(const Array& logits, const Array& labels, const Array& dloss) {
  if (is_half(logits.dtype()) && logits.dtype() == dloss.dtype())
    return narrow(sparse_xent_grad(widen(logits), labels, widen(dloss)), logits.dtype());
  check_sparse(logits, labels);
  const char* op = "sparse_softmax_cross_entropy_with_logits_grad";
  check_dloss(dloss, logits, op);
  Array out = Array::empty(logits.shape(), logits.dtype(), logits.device());
  if (out.size() > 0) kernel(logits.device(), &DeviceKernels::sparse_xent_grad, op)(out, logits, labels, dloss);
  return out;
}

Array softmax_xent(const Array& logits, const Array& labels) {
  if (is_half(logits.dtype()) && logits.dtype() == labels.dtype())
    return narrow(softmax_xent(widen(logits), widen(labels)), logits.dtype());
  check_dense(logits, labels);
  Array out = Array::empty({logits.shape()[0]}, logits.dtype(), logits.device());
  if (out.size() > 0) kernel(logits.device(), &DeviceKernels::softmax_xent, kDense)(out, logits, labels);
  return out;
}

Array softmax_xent_grad(const Array& logits, const Array& labels, const Array& dloss) {
  if (is_half(logits.dtype()) && logits.dtype() == labels.dtype() && logits.dtype() == dloss.dtype())
    return narrow(softmax_xent_grad(widen(logits), widen(labels), widen(dloss)), logits.dtype());
  check_dense(logits, labels);
  const char* op = "softmax_cross_entropy_with_logits_grad";
  check_dloss(dloss, logits, op);
  Array out = Array::empty(logits.shape(), logits.dtype(), logits.device());
  if (out.size() > 0) kernel(logits.device(), &DeviceKernels::softmax_xent_grad, op)(out, logits, labels, dloss);
  return out;
}

// ------------------------------------------------------ CPU implementation ----

namespace {

void cpu_softmax(const Array& out, const Array& x, int64_t ax, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  along_axis({&x}, out, ax, [&](int64_t rows, int64_t n, std::vector<Array>& xs, const Array& res) {
    dispatch<kFloat>(x.dtype(), op, [&](auto tv) {
      using T = decltype(tv);
      const T* in = xs[0].data<T>();
      T* o = res.data<T>();
      parallel_for(rows, rows * n * kExpWork, [&](int64_t b, int64_t e) {
        const int64_t block = std::max<int64_t>(1, kRowBlock / std::max<int64_t>(n, 1));
        std::vector<T> mx(std::min(block, e - b));
        std::vector<double> sm(mx.size());
        for (int64_t r = b; r < e; ++r) {
          const int64_t k = (r - b) % block;
          if (k == 0) exp_rows(in + r * n, o + r * n, std::min(block, e - r), n, mx.data(), sm.data());
          const T* p = in + r * n;
          T* q = o + r * n;
          T m = mx[k];
          double s = sm[k];
          if (log) {
            T lse = static_cast<T>(std::log(s));
            for (int64_t i = 0; i < n; ++i) q[i] = (p[i] - m) - lse;
          } else {
            T inv = static_cast<T>(1.0 / s);
            for (int64_t i = 0; i < n; ++i) q[i] *= inv;
          }
        }
      });
    });
  });
}

void cpu_softmax_grad(const Array& dx, const Array& y, const Array& dy, int64_t ax, bool log) {
  const char* op = log ? "log_softmax_grad" : "softmax_grad";
  along_axis({&y, &dy}, dx, ax, [&](int64_t rows, int64_t n, std::vector<Array>& xs, const Array& res) {
    dispatch<kFloat>(y.dtype(), op, [&](auto tv) {
      using T = decltype(tv);
      const T* ys = xs[0].data<T>();
      const T* ds = xs[1].data<T>();
      T* o = res.data<T>();
      parallel_for(rows, rows * n * (log ? kExpWork : 2), [&](int64_t b, int64_t e) {
        std::vector<T> ex(log ? n : 0);  // exp(y) of one row, from the vector exp
        for (int64_t r = b; r < e; ++r) {
          const T* yp = ys + r * n;
          const T* dp = ds + r * n;
          T* q = o + r * n;
          double s = 0;
          if (log) {
            for (int64_t i = 0; i < n; ++i) s += dp[i];
            T st = static_cast<T>(s);
            exp_shift(yp, ex.data(), n, T(0));
            for (int64_t i = 0; i < n; ++i) q[i] = dp[i] - ex[i] * st;
          } else {
            for (int64_t i = 0; i < n; ++i) s += static_cast<double>(dp[i]) * yp[i];
            T st = static_cast<T>(s);
            for (int64_t i = 0; i < n; ++i) q[i] = yp[i] * (dp[i] - st);
          }
        }
      });
    });
  });
}

void cpu_relu_grad(const Array& out, const Array& x, const Array& dy) {
  dispatch<kNumeric>(x.dtype(), "relu_grad", [&](auto tv) {
    using T = decltype(tv);
    StridedLoop<3> loop(out.shape(), {&out.strides(), &x.strides(), &dy.strides()});
    T* o = out.data<T>();
    const T* xs = x.data<T>();
    const T* ds = dy.data<T>();
    loop.run([&](const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& st) {
      T* op = o + off[0];
      const T* xp = xs + off[1];
      const T* dp = ds + off[2];
      if (st[0] == 1 && st[1] == 1 && st[2] == 1) {
        // Both loads unconditional: the select vectorises (a branch mispredicts on half of the data).
        for (int64_t i = 0; i < n; ++i) {
          const T d = dp[i];
          op[i] = xp[i] > T(0) ? d : T(0);
        }
      } else {
        for (int64_t i = 0; i < n; ++i) op[i * st[0]] = xp[i * st[1]] > T(0) ? dp[i * st[2]] : T(0);
      }
    });
  });
}

// gelu: x * Phi(x), or the tanh form.

constexpr double kSqrt2OverPi = 0.79788456080286535588;
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kGeluCubic = 0.044715;

template <typename T>
T gelu_value(T x, bool approximate) {
  if (approximate) {
    T u = T(kSqrt2OverPi) * (x + T(kGeluCubic) * x * x * x);
    return T(0.5) * x * (T(1) + std::tanh(u));
  }
  return T(0.5) * x * std::erfc(-x * T(kInvSqrt2));  // erfc keeps the left tail accurate
}

template <typename T>
T gelu_slope(T x, bool approximate) {
  if (approximate) {
    T u = T(kSqrt2OverPi) * (x + T(kGeluCubic) * x * x * x);
    T t = std::tanh(u);
    T du = T(kSqrt2OverPi) * (T(1) + T(3 * kGeluCubic) * x * x);
    return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * du;
  }
  return T(0.5) * std::erfc(-x * T(kInvSqrt2)) + x * T(kInvSqrt2Pi) * std::exp(T(-0.5) * x * x);
}

// out[i] = fn(x[i], dy[i]) over same-shaped strided operands (dy may be x).
template <typename T, typename F>
void map2(const Array& out, const Array& x, const Array& dy, F&& fn) {
  StridedLoop<3> loop(out.shape(), {&out.strides(), &x.strides(), &dy.strides()});
  T* o = out.data<T>();
  const T* xs = x.data<T>();
  const T* ds = dy.data<T>();
  loop.run([&](const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& st) {
    for (int64_t i = 0; i < n; ++i) o[off[0] + i * st[0]] = fn(xs[off[1] + i * st[1]], ds[off[2] + i * st[2]]);
  });
}

void cpu_gelu(const Array& out, const Array& x, bool approximate) {
  dispatch<kFloat>(x.dtype(), "gelu", [&](auto tv) {
    using T = decltype(tv);
    map2<T>(out, x, x, [&](T v, T) { return gelu_value(v, approximate); });
  });
}

void cpu_gelu_grad(const Array& out, const Array& x, const Array& dy, bool approximate) {
  dispatch<kFloat>(x.dtype(), "gelu_grad", [&](auto tv) {
    using T = decltype(tv);
    map2<T>(out, x, dy, [&](T v, T d) { return d * gelu_slope(v, approximate); });
  });
}

// Calls fn(row, logits_row, probs_row, max, sum) where probs_row holds
// exp(x - max) (scratch, per thread).
template <typename T, typename F>
void xent_rows(const Array& logits, F&& fn) {
  Array x = logits.contiguous();
  const int64_t N = x.shape()[0], C = x.shape()[1];
  const T* xs = x.data<T>();
  parallel_for(N, N * C * kExpWork, [&](int64_t b, int64_t e) {
    const int64_t block = std::max<int64_t>(1, kRowBlock / std::max<int64_t>(C, 1));
    std::vector<T> ex(std::min(block, e - b) * C), mx(std::min(block, e - b));
    std::vector<double> sm(mx.size());
    for (int64_t r = b; r < e; ++r) {
      const int64_t k = (r - b) % block;
      if (k == 0) exp_rows(xs + r * C, ex.data(), std::min(block, e - r), C, mx.data(), sm.data());
      fn(r, xs + r * C, ex.data() + k * C, mx[k], sm[k]);
    }
  });
}

void cpu_sparse_xent(const Array& out, const Array& logits, const Array& labels) {
  std::vector<int64_t> lab = read_labels(labels);
  dispatch<kFloat>(logits.dtype(), kSparse, [&](auto tv) {
    using T = decltype(tv);
    T* o = out.data<T>();
    xent_rows<T>(logits, [&](int64_t r, const T* p, const T*, T m, double s) {
      o[r] = static_cast<T>(std::log(s) + (static_cast<double>(m) - p[lab[r]]));
    });
  });
}

void cpu_sparse_xent_grad(const Array& out, const Array& logits, const Array& labels, const Array& dloss) {
  std::vector<int64_t> lab = read_labels(labels);
  const int64_t C = logits.shape()[1];
  dispatch<kFloat>(logits.dtype(), kSparse, [&](auto tv) {
    using T = decltype(tv);
    Array g = dloss.contiguous();
    const T* gs = g.data<T>();
    T* o = out.data<T>();
    xent_rows<T>(logits, [&](int64_t r, const T*, const T* ex, T, double s) {
      T* q = o + r * C;
      T scale = static_cast<T>(gs[r] / s);
      for (int64_t i = 0; i < C; ++i) q[i] = ex[i] * scale;
      q[lab[r]] -= gs[r];
    });
  });
}

void cpu_softmax_xent(const Array& out, const Array& logits, const Array& labels) {
  const int64_t C = logits.shape()[1];
  dispatch<kFloat>(logits.dtype(), kDense, [&](auto tv) {
    using T = decltype(tv);
    Array l = labels.contiguous();
    const T* ls = l.data<T>();
    T* o = out.data<T>();
    xent_rows<T>(logits, [&](int64_t r, const T* p, const T*, T m, double s) {
      const T* lp = ls + r * C;
      // log(s) + (m - p[i]), not (m + log(s)) - p[i]: with huge logits m + log(s)
      // rounds to m and the small log-sum-exp term is lost.
      double log_s = std::log(s), loss = 0;
      for (int64_t i = 0; i < C; ++i) loss += static_cast<double>(lp[i]) * (log_s + (static_cast<double>(m) - p[i]));
      o[r] = static_cast<T>(loss);
    });
  });
}

void cpu_softmax_xent_grad(const Array& out, const Array& logits, const Array& labels, const Array& dloss) {
  const int64_t C = logits.shape()[1];
  dispatch<kFloat>(logits.dtype(), kDense, [&](auto tv) {
    using T = decltype(tv);
    Array l = labels.contiguous();
    Array g = dloss.contiguous();
    const T* ls = l.data<T>();
    const T* gs = g.data<T>();
    T* o = out.data<T>();
    xent_rows<T>(logits, [&](int64_t r, const T*, const T* ex, T, double s) {
      const T* lp = ls + r * C;
      T* q = o + r * C;
      double total = 0;
      for (int64_t i = 0; i < C; ++i) total += lp[i];
      T scale = static_cast<T>(gs[r] * total / s), gr = gs[r];
      for (int64_t i = 0; i < C; ++i) q[i] = ex[i] * scale - lp[i] * gr;
    });
  });
}

}  // namespace

void fill_cpu_nn_kernels(DeviceKernels* k) {
  k->softmax = &cpu_softmax;
  k->softmax_grad = &cpu_softmax_grad;
  k->relu_grad = &cpu_relu_grad;
  k->gelu = &cpu_gelu;
  k->gelu_grad = &cpu_gelu_grad;
  k->sparse_xent = &cpu_sparse_xent;
  k->sparse_xent_grad = &cpu_sparse_xent_grad;
  k->softmax_xent = &cpu_softmax_xent;
  k->softmax_xent_grad = &cpu_softmax_xent_grad;
}

}  // namespace tl
