// The scalar formula of every elementwise op and reduction, written once for
// the CPU loops and the CUDA kernels alike: each function is named after its
// op's public name (the rows of ops.h), and binary_formula / unary_formula /
// ReducePolicy pick them by op code. Plain arithmetic only: no allocation, no
// state; an integer division by zero throws on the host (on a device it gives
// 0, so a device backend checks divisors before launching).
#pragma once
#include <cmath>
#include <complex>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "dtype.h"
#include "errors.h"
#include "ops.h"

#if defined(__CUDACC__)
#define TL_HD __host__ __device__
#else
#define TL_HD
#endif

#if defined(__CUDA_ARCH__)
#define TL_DOMAIN_ERROR(msg) return T(0)
#else
#define TL_DOMAIN_ERROR(msg) throw InvalidArgument(msg)
#endif

namespace tl {
namespace formula {

// ---- binary: x and y of one dtype T ----

// Signed overflow is undefined behaviour in C++, but tensors wrap (as in
// numpy and TensorFlow): signed integer arithmetic runs in an unsigned type
// of at least 32 bits (no promotion to int) and converts back.
template <typename T> constexpr bool kWraps = std::is_integral_v<T> && std::is_signed_v<T>;
template <typename T> using WrapU = std::conditional_t<(sizeof(T) <= 4), uint32_t, uint64_t>;
template <typename T> TL_HD T wrap_add(T x, T y) { return static_cast<T>(WrapU<T>(x) + WrapU<T>(y)); }
template <typename T> TL_HD T wrap_mul(T x, T y) { return static_cast<T>(WrapU<T>(x) * WrapU<T>(y)); }

template <typename T> TL_HD T add(T x, T y) {
  if constexpr (kWraps<T>) return wrap_add(x, y);
  else return x + y;
}
template <typename T> TL_HD T subtract(T x, T y) {
  if constexpr (kWraps<T>) return static_cast<T>(WrapU<T>(x) - WrapU<T>(y));
  else return x - y;
}
template <typename T> TL_HD T multiply(T x, T y) {
  if constexpr (kWraps<T>) return wrap_mul(x, y);
  else return x * y;
}
template <typename T> TL_HD auto divide(T x, T y) {
  if constexpr (std::is_integral_v<T>) return static_cast<double>(x) / static_cast<double>(y);
  else return x / y;
}
template <typename T> TL_HD T floor_div(T x, T y) {
  if constexpr (std::is_integral_v<T>) {
    if (y == 0) TL_DOMAIN_ERROR("floor_div: integer division by zero");
    // min // -1 overflows (a hardware trap): the result wraps to min, as in
    // numpy and TensorFlow.
    if constexpr (std::is_signed_v<T>)
      if (y == T(-1)) return static_cast<T>(std::make_unsigned_t<T>(0) - static_cast<std::make_unsigned_t<T>>(x));
    T q = x / y;
    return (x % y != 0 && ((x < 0) != (y < 0))) ? q - 1 : q;
  } else {
    // As numpy (and Python) define it, consistent with mod: x = y * q + r.
    // floor(x / y) differs for infinities (inf // 2 is NaN, -1 // inf is -1)
    // and where x / y rounds up to an integer.
    if (y == 0) return x / y;
    T r = std::fmod(x, y), q = (x - r) / y;
    if (r != 0 && ((y < 0) != (r < 0))) q -= T(1);
    if (q == 0) return std::copysign(T(0), x / y);
    T f = std::floor(q);
    return q - f > T(0.5) ? f + T(1) : f;
  }
}
template <typename T> TL_HD T mod(T x, T y) {  // the sign of the divisor, as Python's %
  if constexpr (std::is_integral_v<T>) {
    if (y == 0) TL_DOMAIN_ERROR("mod: integer division by zero");
    if constexpr (std::is_signed_v<T>)
      if (y == T(-1)) return T(0);  // min % -1 would trap
    T r = x % y;
    return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r;
  } else {
    T r = std::fmod(x, y);
    return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r;
  }
}
template <typename T> TL_HD T pow(T x, T y) {
  if constexpr (std::is_integral_v<T>) {  // by squaring; wraps like fixed-width arithmetic
    if (y < 0) {
      if (x == 1) return 1;
      if (x == -1) return (y % 2) ? -1 : 1;
      TL_DOMAIN_ERROR("pow: integers to negative integer powers are not allowed");
    }
    T r = 1;
    while (y) {
      if (y & 1) r = multiply(r, x);
      x = multiply(x, x);
      y >>= 1;
    }
    return r;
  } else {
    return std::pow(x, y);
  }
}
// NaN wins, as in numpy.
template <typename T> TL_HD T maximum(T x, T y) { return (x > y || x != x) ? x : y; }
template <typename T> TL_HD T minimum(T x, T y) { return (x < y || x != x) ? x : y; }
// max then min, as numpy: NaN anywhere gives NaN, and lo > hi gives hi.
template <typename T> TL_HD T clip_by_value(T v, T lo, T hi) { return minimum(maximum(v, lo), hi); }
template <typename T> TL_HD bool equal(T x, T y) { return x == y; }
template <typename T> TL_HD bool not_equal(T x, T y) { return x != y; }
template <typename T> TL_HD bool less(T x, T y) { return x < y; }
template <typename T> TL_HD bool less_equal(T x, T y) { return x <= y; }
template <typename T> TL_HD bool greater(T x, T y) { return x > y; }
template <typename T> TL_HD bool greater_equal(T x, T y) { return x >= y; }
template <typename T> TL_HD bool logical_and(T x, T y) { return x && y; }
template <typename T> TL_HD bool logical_or(T x, T y) { return x || y; }

// ---- unary ----

template <typename T> TL_HD T negative(T x) {
  if constexpr (kWraps<T>) return static_cast<T>(WrapU<T>(0) - WrapU<T>(x));
  else return -x;
}
template <typename T> TL_HD T abs(T x) {
  if constexpr (std::is_integral_v<T>) return x < 0 ? negative(x) : x;
  else return std::fabs(x);
}
template <typename T> TL_HD T sign(T x) {
  if constexpr (std::is_integral_v<T>) return (x > 0) - (x < 0);
  else return x != x ? x : static_cast<T>((x > 0) - (x < 0));
}
template <typename T> TL_HD T square(T x) { return multiply(x, x); }
template <typename T> TL_HD T sqrt(T x) { return std::sqrt(x); }
template <typename T> TL_HD T rsqrt(T x) { return T(1) / std::sqrt(x); }
template <typename T> TL_HD T exp(T x) { return std::exp(x); }
template <typename T> TL_HD T log(T x) { return std::log(x); }
template <typename T> TL_HD T log1p(T x) { return std::log1p(x); }
template <typename T> TL_HD T sin(T x) { return std::sin(x); }
template <typename T> TL_HD T cos(T x) { return std::cos(x); }
template <typename T> TL_HD T tanh(T x) { return std::tanh(x); }
template <typename T> TL_HD T sigmoid(T x) {  // stable on both tails
  if (x >= 0) return T(1) / (T(1) + std::exp(-x));
  T e = std::exp(x);
  return e / (T(1) + e);
}
template <typename T> TL_HD T relu(T x) {
  if constexpr (std::is_integral_v<T>) return x > 0 ? x : 0;
  else return x > 0 ? x : (x != x ? x : T(0));  // NaN stays NaN
}
template <typename T> TL_HD T softplus(T x) {  // log(1 + e^x) without overflow
  return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}
template <typename T> TL_HD T reciprocal(T x) { return T(1) / x; }
// Integers are their own floor, ceiling and rounding.
template <typename T> TL_HD T floor(T x) {
  if constexpr (std::is_integral_v<T>) return x;
  else return std::floor(x);
}
template <typename T> TL_HD T ceil(T x) {
  if constexpr (std::is_integral_v<T>) return x;
  else return std::ceil(x);
}
template <typename T> TL_HD T round(T x) {  // half to even
  if constexpr (std::is_integral_v<T>) return x;
  else return std::nearbyint(x);
}
template <typename T> TL_HD T logical_not(T x) { return !x; }

}  // namespace formula

// Whether an op of `domain` is defined for element type T.
template <typename T>
constexpr bool accepts(Domain domain) {
  if (std::is_same_v<T, bool>) return domain == Domain::Logical || domain == Domain::Compare;
  if (std::is_integral_v<T>) return domain != Domain::Logical && domain != Domain::Float;
  return domain != Domain::Logical;
}

// The ops defined for complex numbers (the others need an order, or give a
// real result: abs, real, imag and angle are complex.cpp's).
constexpr bool complex_op(BinaryOp op) {
  return op == BinaryOp::Add || op == BinaryOp::Sub || op == BinaryOp::Mul || op == BinaryOp::Div ||
         op == BinaryOp::Pow || op == BinaryOp::Eq || op == BinaryOp::Ne;
}
constexpr bool complex_op(UnaryOp op) {
  return op == UnaryOp::Neg || op == UnaryOp::Square || op == UnaryOp::Sqrt || op == UnaryOp::Exp ||
         op == UnaryOp::Log || op == UnaryOp::Sin || op == UnaryOp::Cos || op == UnaryOp::Tanh ||
         op == UnaryOp::Reciprocal;
}
constexpr bool complex_op(ReduceOp op) {
  return op == ReduceOp::Sum || op == ReduceOp::Mean || op == ReduceOp::Prod;
}

// Whether op OP (a BinaryOp, UnaryOp or ReduceOp) is defined for element type T.
template <typename T, typename Op>
constexpr bool accepts_op(Op op) {
  if constexpr (is_complex_type<T>::value) return complex_op(op);
  else return accepts<T>(op_domain(op));
}

// The formula of binary op OP (its row in TL_BINARY_OPS).
template <BinaryOp OP, typename T>
TL_HD auto binary_formula(T x, T y) {
#define TL_PICK(code, name, domain) if constexpr (OP == BinaryOp::code) return formula::name(x, y); else
  TL_BINARY_OPS(TL_PICK)
#undef TL_PICK
  return x;
}

// The element type op OP produces from inputs of type T.
template <BinaryOp OP, typename T>
using binary_result_t = decltype(binary_formula<OP>(T{}, T{}));

template <UnaryOp OP, typename T>
TL_HD T unary_formula(T x) {
#define TL_PICK(code, name, domain) if constexpr (OP == UnaryOp::code) return formula::name(x); else
  TL_UNARY_OPS(TL_PICK)
#undef TL_PICK
  return x;
}

// ---- reductions: init, step (fold in one element), merge (two partial
// results) and finish (partial result and count -> output value). Float sums
// accumulate in double; integer sums and products in uint64, which wraps like
// TensorFlow's fixed-width arithmetic without signed overflow. ----

template <typename T>
using Wide = std::conditional_t<is_complex_type<T>::value, std::complex<double>,
                                std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>>;

template <ReduceOp OP, typename T>
struct ReducePolicy;

template <typename T>
struct ReducePolicy<ReduceOp::Sum, T> {
  using Acc = Wide<T>;
  TL_HD static Acc init() { return 0; }
  TL_HD static Acc step(Acc a, T x) { return a + static_cast<Acc>(x); }
  TL_HD static Acc merge(Acc a, Acc b) { return a + b; }
  TL_HD static T finish(Acc a, int64_t) { return static_cast<T>(a); }
};

// The mean of integers is an integer, truncated, as in TensorFlow.
template <typename T>
struct ReducePolicy<ReduceOp::Mean, T> : ReducePolicy<ReduceOp::Sum, T> {
  using Acc = Wide<T>;
  TL_HD static T finish(Acc a, int64_t n) {
    if constexpr (!std::is_integral_v<T>) return static_cast<T>(a / static_cast<double>(n));
    else return n ? static_cast<T>(static_cast<int64_t>(a) / n) : T(0);
  }
};

template <typename T>
struct ReducePolicy<ReduceOp::Prod, T> {
  using Acc = Wide<T>;
  TL_HD static Acc init() { return 1; }
  TL_HD static Acc step(Acc a, T x) { return a * static_cast<Acc>(x); }
  TL_HD static Acc merge(Acc a, Acc b) { return a * b; }
  TL_HD static T finish(Acc a, int64_t) { return static_cast<T>(a); }
};

// Max and min: NaN wins and then sticks (x > NaN is false), as in numpy.
template <typename T, bool kMax>
struct ExtremePolicy {
  using Acc = T;
  TL_HD static Acc init() {
    if constexpr (std::is_floating_point_v<T>)
      return kMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
    else return kMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
  }
  TL_HD static Acc step(Acc a, T x) {
    Acc m = (kMax ? x > a : x < a) ? x : a;
    return x != x ? x : m;
  }
  TL_HD static Acc merge(Acc a, Acc b) { return step(a, b); }
  TL_HD static T finish(Acc a, int64_t) { return a; }
};

template <typename T>
struct ReducePolicy<ReduceOp::Max, T> : ExtremePolicy<T, true> {};

template <typename T>
struct ReducePolicy<ReduceOp::Min, T> : ExtremePolicy<T, false> {};

template <typename T>
struct ReducePolicy<ReduceOp::Any, T> {
  using Acc = bool;
  TL_HD static Acc init() { return false; }
  TL_HD static Acc step(Acc a, T x) { return a | x; }
  TL_HD static Acc merge(Acc a, Acc b) { return a | b; }
  TL_HD static T finish(Acc a, int64_t) { return a; }
};

template <typename T>
struct ReducePolicy<ReduceOp::All, T> {
  using Acc = bool;
  TL_HD static Acc init() { return true; }
  TL_HD static Acc step(Acc a, T x) { return a & x; }
  TL_HD static Acc merge(Acc a, Acc b) { return a & b; }
  TL_HD static T finish(Acc a, int64_t) { return a; }
};

}  // namespace tl
