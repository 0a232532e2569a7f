// Fused recurrent sequences (rnn.h). Per step, the recurrent term is one
// GEMM over a part of the batch and the gate arithmetic one pass per batch
// row; each thread takes a part of the batch through all the steps. float32 uses a branch-free exp so the gate loops
// vectorise; float64 uses the C library's exp and tanh (the references the
// tests compare against).
#include "rnn.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "cpu_kernels.h"
#include "device.h"
#include "errors.h"
#include "matmul.h"
#include "parallel.h"

namespace tl {
namespace {

// The gate loops are compiled once per vector ISA on x86-64 with GCC
// (target_clones; the best is picked when the library loads, independently
// of TENSORLET_ISA), and everything they call is inlined into each copy.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define TL_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define TL_CLONES
#endif
#define TL_INLINE __attribute__((always_inline)) inline

constexpr int kSimple = 0, kLstm = 1, kGru = 2;
const char* const kKindNames[] = {"simple_rnn", "lstm", "gru"};
int gates_of(int kind) { return kind == kLstm ? 4 : kind == kGru ? 3 : 1; }
int width_of(int kind) { return kind == kLstm ? 6 : kind == kGru ? 5 : 1; }

// e^x as 2^n * e^r, |r| <= ln2 / 2, with a degree-6 polynomial (about 2 ulp);
// x is clamped to [-87, 88] so 2^n stays a normal float (NaN passes through:
// the comparisons are false for it). Branch-free, so with -fno-trapping-math
// (CMakeLists.txt) the loops around it vectorise.
TL_INLINE float exp_f(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  const float n = (x * 1.44269504f + 12582912.0f) - 12582912.0f;  // x / ln2 rounded to nearest
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  // NaN (from a NaN x) becomes exponent 0 instead of an undefined float-to-int
  // conversion; the result is NaN through p either way. Shifted unsigned.
  const int32_t ni = n == n ? static_cast<int32_t>(n) : 0;
  const uint32_t bits = static_cast<uint32_t>(ni + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return (p * r * r + r + 1.0f) * scale;
}

TL_INLINE float sigm(float x) { return 1.0f / (1.0f + exp_f(-x)); }
TL_INLINE double sigm(double x) { return 1.0 / (1.0 + std::exp(-x)); }
TL_INLINE float tanh_(float x) { return 1.0f - 2.0f / (1.0f + exp_f(2.0f * x)); }
TL_INLINE double tanh_(double x) { return std::tanh(x); }

// fn(b0, b1) over [0, B) in one part per thread: batch rows recur
// independently, so each thread runs its rows through every step with no
// barrier between steps (work: multiply-adds, for the threading threshold).
template <typename F>
void over_rows(int64_t B, int64_t work, F&& fn) {
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(num_threads(), B));
  parallel_for(parts, work, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) fn(B * p / parts, B * (p + 1) / parts);
  });
}

struct Dims {
  int64_t b, t, f, u;
};

// c (m x n, contiguous) = A @ B where k, the batch * time rows summed over,
// is long: in pieces of at most 4096, so each piece takes the GEMM's unpacked
// path for few rows (several times faster here than one packed product).
template <typename T>
void sum_over_rows(int64_t m, int64_t n, int64_t k, const T* a, int64_t rsa, int64_t csa, const T* b, int64_t rsb,
                   int64_t csb, T* c) {
  const int64_t pieces = std::max<int64_t>(1, (k + 4095) / 4096);
  for (int64_t p = 0; p < pieces; ++p) {
    const int64_t k0 = k * p / pieces, k1 = k * (p + 1) / pieces;
    gemm_strided(m, n, k1 - k0, a + k0 * csa, rsa, csa, b + k0 * rsb, rsb, csb, c, n, p > 0);
  }
}

// One batch row of one forward step: xr, rr the row's input and recurrent
// terms (G wide), hp and cp its previous states, o its packed result.
template <typename T>
TL_INLINE void fwd_row(int kind, int64_t U, bool keep, const T* __restrict xr, const T* __restrict rr,
                       const T* __restrict hpb, const T* __restrict cp, T* __restrict o) {
  if (kind == kLstm) {
    T* g = o + 2 * U;  // i, f, g, o
    for (int64_t j = 0; j < 2 * U; ++j) g[j] = sigm(xr[j] + rr[j]);
    for (int64_t j = 2 * U; j < 3 * U; ++j) g[j] = tanh_(xr[j] + rr[j]);
    for (int64_t j = 3 * U; j < 4 * U; ++j) g[j] = sigm(xr[j] + rr[j]);
    if (keep) {
      for (int64_t j = 0; j < U; ++j) o[U + j] = g[U + j] * cp[j] + g[j] * g[2 * U + j];
      for (int64_t j = 0; j < U; ++j) o[j] = g[3 * U + j] * tanh_(o[U + j]);
    } else {
      std::copy(hpb, hpb + U, o);
      std::copy(cp, cp + U, o + U);
    }
  } else if (kind == kGru) {
    T *z = o + U, *r = o + 2 * U, *hh = o + 3 * U, *rh = o + 4 * U;
    for (int64_t j = 0; j < U; ++j) {
      z[j] = sigm(xr[j] + rr[j]);
      r[j] = sigm(xr[U + j] + rr[U + j]);
      rh[j] = rr[2 * U + j];
    }
    for (int64_t j = 0; j < U; ++j) hh[j] = tanh_(xr[2 * U + j] + r[j] * rh[j]);
    if (keep) {
      for (int64_t j = 0; j < U; ++j) o[j] = z[j] * hpb[j] + (T(1) - z[j]) * hh[j];
    } else {
      std::copy(hpb, hpb + U, o);
    }
  } else if (keep) {
    for (int64_t j = 0; j < U; ++j) o[j] = tanh_(xr[j] + rr[j]);
  } else {
    std::copy(hpb, hpb + U, o);
  }
}

// One batch row of one step of the backward pass. o and dyo: the row's
// packed result and its gradient; hp, cp: its previous states; hr + ca: the
// gradient reaching this step's state (the recurrent GEMM's share and the
// carried one); dc: the LSTM cell's; z (and zr): the gate pre-activation
// gradients as the input (and recurrent) terms see them.
template <typename T>
TL_INLINE void back_row(int kind, int64_t U, T keep, const T* __restrict o, const T* __restrict dyo,
                        const T* __restrict hp, const T* __restrict cp, const T* __restrict hr, T* __restrict ca,
                        T* __restrict dc, T* __restrict z, T* __restrict zr) {
  if (kind == kLstm) {
    const T *c = o + U, *ig = o + 2 * U, *fg = o + 3 * U, *gg = o + 4 * U, *og = o + 5 * U;
    for (int64_t j = 0; j < U; ++j) {
      const T dh = ca[j] + hr[j] + dyo[j], dct = dc[j] + dyo[U + j];
      const T dhn = keep * dh, tc = tanh_(c[j]);
      const T dcc = keep * dct + dhn * og[j] * (T(1) - tc * tc);
      z[j] = (dcc * gg[j] + dyo[2 * U + j]) * ig[j] * (T(1) - ig[j]);
      z[U + j] = (dcc * cp[j] + dyo[3 * U + j]) * fg[j] * (T(1) - fg[j]);
      z[2 * U + j] = (dcc * ig[j] + dyo[4 * U + j]) * (T(1) - gg[j] * gg[j]);
      z[3 * U + j] = (dhn * tc + dyo[5 * U + j]) * og[j] * (T(1) - og[j]);
      dc[j] = dcc * fg[j] + (T(1) - keep) * dct;
      ca[j] = (T(1) - keep) * dh;
    }
  } else if (kind == kGru) {
    const T *zg = o + U, *rg = o + 2 * U, *hh = o + 3 * U, *rh = o + 4 * U;
    for (int64_t j = 0; j < U; ++j) {
      const T dh = ca[j] + hr[j] + dyo[j], dhn = keep * dh;
      const T dhh = dhn * (T(1) - zg[j]) + dyo[3 * U + j];
      const T dzz = dhn * (hp[j] - hh[j]) + dyo[U + j];
      const T dah = dhh * (T(1) - hh[j] * hh[j]);
      const T pz = dzz * zg[j] * (T(1) - zg[j]);
      const T pr = (dah * rh[j] + dyo[2 * U + j]) * rg[j] * (T(1) - rg[j]);
      z[j] = zr[j] = pz;
      z[U + j] = zr[U + j] = pr;
      z[2 * U + j] = dah;
      zr[2 * U + j] = dah * rg[j] + dyo[4 * U + j];
      ca[j] = dhn * zg[j] + (T(1) - keep) * dh;
    }
  } else {
    for (int64_t j = 0; j < U; ++j) {
      const T dh = ca[j] + hr[j] + dyo[j];
      z[j] = keep * dh * (T(1) - o[j] * o[j]);
      ca[j] = (T(1) - keep) * dh;
    }
  }
}

// The row functions for float, compiled for each vector ISA (the loader picks
// the best the CPU has); float64 keeps one portable copy.
TL_CLONES void row_forward(int kind, int64_t U, bool keep, const float* xr, const float* rr, const float* hp,
                           const float* cp, float* o) {
  fwd_row(kind, U, keep, xr, rr, hp, cp, o);
}
void row_forward(int kind, int64_t U, bool keep, const double* xr, const double* rr, const double* hp,
                 const double* cp, double* o) {
  fwd_row(kind, U, keep, xr, rr, hp, cp, o);
}
TL_CLONES void row_backward(int kind, int64_t U, float keep, const float* o, const float* dyo, const float* hp,
                            const float* cp, const float* hr, float* ca, float* dc, float* z, float* zr) {
  back_row(kind, U, keep, o, dyo, hp, cp, hr, ca, dc, z, zr);
}
void row_backward(int kind, int64_t U, double keep, const double* o, const double* dyo, const double* hp,
                  const double* cp, const double* hr, double* ca, double* dc, double* z, double* zr) {
  back_row(kind, U, keep, o, dyo, hp, cp, hr, ca, dc, z, zr);
}

template <typename T>
void forward(int kind, T* out, const T* x, const T* kernel, const T* rec, const T* bias, const bool* mask,
             const T* h0, const T* c0, const Dims& d) {
  const int64_t B = d.b, S = d.t, U = d.u, G = gates_of(kind) * U, W = width_of(kind) * U;
  std::vector<T> xw(static_cast<size_t>(B * S * G));
  // Every step's input term at once; the GRU's input bias is its bias's first row.
  gemm_strided(B * S, G, d.f, x, d.f, 1, kernel, G, 1, xw.data(), G, false, bias);
  const T* b_rec = kind == kGru ? bias + G : nullptr;
  over_rows(B, B * S * G * U, [&](int64_t b0, int64_t b1) {
    std::vector<T> rw(static_cast<size_t>((b1 - b0) * G));
    for (int64_t t = 0; t < S; ++t) {
      const T* hp = t ? out + (t - 1) * W : h0;  // row b of the previous state at hp + b * hs
      const int64_t hs = t ? S * W : U;
      gemm_strided(b1 - b0, G, U, hp + b0 * hs, hs, 1, rec, G, 1, rw.data(), G, false, b_rec);
      for (int64_t b = b0; b < b1; ++b) {
        const T* xr = xw.data() + (b * S + t) * G;
        const T* rr = rw.data() + (b - b0) * G;
        const T* hpb = hp + b * hs;
        T* o = out + (b * S + t) * W;
        const bool keep = mask[b * S + t];
        row_forward(kind, U, keep, xr, rr, hpb, kind == kLstm ? (t ? hpb + U : c0 + b * U) : nullptr, o);
      }
    }
  });
}

template <typename T>
void backward(int kind, T* grads, const T* dy, const T* out, const T* x, const T* kernel, const T* rec,
              const bool* mask, const T* h0, const T* c0, const Dims& d) {
  const int64_t B = d.b, S = d.t, F = d.f, U = d.u, G = gates_of(kind) * U, W = width_of(kind) * U;
  // dz: the gradient at each step's gate pre-activations as the input term
  // sees them; dr: as the recurrent term sees them (they differ only in the
  // GRU's candidate, where the reset gate scales the recurrent term).
  std::vector<T> dz(static_cast<size_t>(B * S * G)), dr(kind == kGru ? dz.size() : 0);
  // carry: the state gradient that skips this step's cell (masked rows; the
  // GRU's z * h_prev); dhr: the recurrent GEMM's share; dc: the LSTM cell's.
  std::vector<T> carry(static_cast<size_t>(B * U), T(0)), dhr(carry), dc(kind == kLstm ? carry.size() : 0, T(0));
  T* drp = kind == kGru ? dr.data() : dz.data();
  // recurrent^T (G x U), once: each step's GEMM then reads its rows in place.
  std::vector<T> rt(static_cast<size_t>(G * U));
  for (int64_t i = 0; i < U; ++i)
    for (int64_t j = 0; j < G; ++j) rt[j * U + i] = rec[i * G + j];
  over_rows(B, B * S * G * U, [&](int64_t b0, int64_t b1) {
    for (int64_t t = S - 1; t >= 0; --t) {
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t row = b * S + t;
        const T *o = out + row * W, *dyo = dy + row * W;
        const T* hp = t ? o - W : h0 + b * U;
        T *z = dz.data() + row * G, *ca = carry.data() + b * U;
        const T* hr = dhr.data() + b * U;
        const T keep = mask[row] ? T(1) : T(0);
        row_backward(kind, U, keep, o, dyo, hp, kind == kLstm ? (t ? hp + U : c0 + b * U) : nullptr, hr, ca,
                     kind == kLstm ? dc.data() + b * U : nullptr, z, kind == kGru ? dr.data() + row * G : nullptr);
      }
      // The previous state's share through the recurrent kernel: d_rec_t @ recurrent^T.
      gemm_strided(b1 - b0, U, G, drp + (b0 * S + t) * G, S * G, 1, rt.data(), U, 1, dhr.data() + b0 * U, U,
                   false);
    }
  });
  T *dx = grads, *dk = dx + B * S * F, *drec = dk + F * G, *db = drec + U * G;
  T* dh0 = db + (kind == kGru ? 2 * G : G);
  gemm_strided(B * S, F, G, dz.data(), G, 1, kernel, 1, G, dx, F, false);
  sum_over_rows(F, G, B * S, x, 1, F, dz.data(), G, 1, dk);
  std::vector<T> hprev(static_cast<size_t>(B * S * U));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < S; ++t) {
      const T* src = t ? out + (b * S + t - 1) * W : h0 + b * U;
      std::copy(src, src + U, hprev.data() + (b * S + t) * U);
    }
  sum_over_rows(U, G, B * S, hprev.data(), 1, U, drp, G, 1, drec);
  std::fill(db, dh0, T(0));
  for (int64_t r = 0; r < B * S; ++r)
    for (int64_t j = 0; j < G; ++j) {
      db[j] += dz[r * G + j];
      if (kind == kGru) db[G + j] += dr[r * G + j];
    }
  for (int64_t i = 0; i < B * U; ++i) dh0[i] = carry[i] + dhr[i];
  if (kind == kLstm) std::copy(dc.begin(), dc.end(), dh0 + B * U);
}

int kind_of(const std::string& kind) {
  for (int k = 0; k < 3; ++k)
    if (kind == kKindNames[k]) return k;
  throw InvalidArgument("rnn_sequence: kind must be 'simple_rnn', 'lstm' or 'gru', got '" + kind + "'");
}

void check_shape(const std::string& op, const Array& a, const char* what, const Shape& want, const Array& x) {
  if (a.dtype() != x.dtype())
    throw InvalidArgument(op + ": " + what + " has dtype " + dtype_name(a.dtype()) + ", expected " +
                          dtype_name(x.dtype()) + " (the inputs' dtype)");
  check_same_device(op.c_str(), x, a);
  if (a.shape() != want)
    throw InvalidArgument(op + ": " + what + " must have shape " + shape_str(want) + ", got " + shape_str(a.shape()));
}

// Checks every operand against x (B, T, F) and the recurrent kernel (U, G*U).
Dims check(int kind, const std::string& op, const Array& x, const Array& kernel, const Array& recurrent,
           const Array& mask, const Array& h0, const Array* c0) {
  if (!is_float(x.dtype())) throw TypeError(op + ": x must be float32 or float64, got " + dtype_name(x.dtype()));
  if (x.ndim() != 3) throw InvalidArgument(op + ": x must have shape (batch, time, features), got " + shape_str(x.shape()));
  if (recurrent.ndim() != 2)
    throw InvalidArgument(op + ": the recurrent kernel must have shape (units, " + std::to_string(gates_of(kind)) +
                          " * units), got " + shape_str(recurrent.shape()));
  const Dims d{x.shape()[0], x.shape()[1], x.shape()[2], recurrent.shape()[0]};
  const int64_t g = gates_of(kind) * d.u;
  check_shape(op, recurrent, "the recurrent kernel", {d.u, g}, x);
  check_shape(op, kernel, "the kernel", {d.f, g}, x);
  check_shape(op, h0, "the initial state h", {d.b, d.u}, x);
  if ((c0 != nullptr) != (kind == kLstm))
    throw InvalidArgument(op + ": an initial cell state c is " + (c0 ? "given to " : "missing for ") +
                          kKindNames[kind]);
  if (c0) check_shape(op, *c0, "the initial cell state c", {d.b, d.u}, x);
  if (mask.dtype() != DType::Bool) throw TypeError(op + ": the mask must be bool, got " + dtype_name(mask.dtype()));
  check_same_device(op.c_str(), x, mask);
  if (mask.shape() != Shape{d.b, d.t})
    throw InvalidArgument(op + ": the mask must have shape " + shape_str({d.b, d.t}) + ", got " +
                          shape_str(mask.shape()));
  return d;
}

}  // namespace

void rnn_sequence_cpu(int kind, const Array& out, const Array& x, const Array& kernel, const Array& recurrent,
                      const Array& bias, const Array& mask, const Array& h0, const Array* c0) {
  const Dims d{x.shape()[0], x.shape()[1], x.shape()[2], recurrent.shape()[0]};
  dispatch<kFloat>(x.dtype(), "rnn_sequence", [&](auto tv) {
    using T = decltype(tv);
    forward<T>(kind, out.data<T>(), x.data<T>(), kernel.data<T>(), recurrent.data<T>(), bias.data<T>(),
               mask.data<bool>(), h0.data<T>(), c0 ? c0->data<T>() : nullptr, d);
  });
}

void rnn_sequence_grad_cpu(int kind, const Array& grads, const Array& dy, const Array& out, const Array& x,
                           const Array& kernel, const Array& recurrent, const Array& mask, const Array& h0,
                           const Array* c0) {
  const Dims d{x.shape()[0], x.shape()[1], x.shape()[2], recurrent.shape()[0]};
  dispatch<kFloat>(x.dtype(), "rnn_sequence_grad", [&](auto tv) {
    using T = decltype(tv);
    backward<T>(kind, grads.data<T>(), dy.data<T>(), out.data<T>(), x.data<T>(), kernel.data<T>(),
                recurrent.data<T>(), mask.data<bool>(), h0.data<T>(), c0 ? c0->data<T>() : nullptr, d);
  });
}

Array rnn_sequence(const std::string& kind_name, const Array& x, const Array& w, const Array& recurrent,
                   const Array& bias, const Array& mask, const Array& h0, const Array* c0) {
  const int kind = kind_of(kind_name);
  const std::string op = "rnn_sequence (" + kind_name + ")";
  const Dims d = check(kind, op, x, w, recurrent, mask, h0, c0);
  const int64_t g = gates_of(kind) * d.u;
  check_shape(op, bias, "the bias", kind == kGru ? Shape{2, g} : Shape{g}, x);
  Array out = Array::empty({d.b, d.t, width_of(kind) * d.u}, x.dtype(), x.device());
  if (out.size() == 0) return out;
  const Array c0c = c0 ? c0->contiguous() : Array();
  kernel(x.device(), &DeviceKernels::rnn_sequence, "rnn_sequence")(
      kind, out, x.contiguous(), w.contiguous(), recurrent.contiguous(), bias.contiguous(), mask.contiguous(),
      h0.contiguous(), c0 ? &c0c : nullptr);
  return out;
}

Array rnn_sequence_grad(const std::string& kind_name, const Array& dy, const Array& out, const Array& x,
                        const Array& w, const Array& recurrent, const Array& mask, const Array& h0,
                        const Array* c0) {
  const int kind = kind_of(kind_name);
  const std::string op = "rnn_sequence_grad (" + kind_name + ")";
  const Dims d = check(kind, op, x, w, recurrent, mask, h0, c0);
  const int64_t g = gates_of(kind) * d.u;
  const Shape seq{d.b, d.t, width_of(kind) * d.u};
  check_shape(op, dy, "the output gradient", seq, x);
  check_shape(op, out, "the forward result", seq, x);
  const int64_t n = d.b * d.t * d.f + d.f * g + d.u * g + (kind == kGru ? 2 : 1) * g + d.b * d.u * (c0 ? 2 : 1);
  if (d.b == 0 || d.t == 0) return full({n}, 0.0, x.dtype(), x.device());
  Array grads = Array::empty({n}, x.dtype(), x.device());
  const Array c0c = c0 ? c0->contiguous() : Array();
  kernel(x.device(), &DeviceKernels::rnn_sequence_grad, "rnn_sequence_grad")(
      kind, grads, dy.contiguous(), out.contiguous(), x.contiguous(), w.contiguous(), recurrent.contiguous(),
      mask.contiguous(), h0.contiguous(), c0 ? &c0c : nullptr);
  return grads;
}

void fill_cpu_rnn_kernels(DeviceKernels* k) {
  k->rnn_sequence = &rnn_sequence_cpu;
  k->rnn_sequence_grad = &rnn_sequence_grad_cpu;
}

}  // namespace tl
