// The per-element formulas of the elementwise ops on the device, written as
// the CPU's in elementwise.cpp (same NaN rules, same integer semantics).
#pragma once
#include <cstdint>
#include <type_traits>

#include "ops.h"

namespace tl {
namespace cuda {

constexpr int kErrDivZero = 1;
constexpr int kErrNegPow = 2;

template <typename T>
__device__ __forceinline__ T floor_div_value(T x, T y, int* err) {
  if constexpr (std::is_integral_v<T>) {
    if (y == 0) {
      *err = kErrDivZero;
      return 0;
    }
    T q = x / y;
    return (x % y != 0 && ((x < 0) != (y < 0))) ? q - 1 : q;
  } else {
    return floor(x / y);
  }
}

template <typename T>
__device__ __forceinline__ T mod_value(T x, T y, int* err) {
  T r;
  if constexpr (std::is_integral_v<T>) {
    if (y == 0) {
      *err = kErrDivZero;
      return 0;
    }
    r = x % y;
  } else {
    r = fmod(x, y);
  }
  return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r;
}

template <typename T>
__device__ __forceinline__ T ipow_value(T base, T exp, int* err) {
  if (exp < 0) {
    if (base == 1) return 1;
    if (base == -1) return (exp % 2) ? -1 : 1;
    *err = kErrNegPow;
    return 0;
  }
  T r = 1;
  while (exp) {
    if (exp & 1) r *= base;
    base *= base;
    exp >>= 1;
  }
  return r;
}

template <typename T, typename R>
__device__ __forceinline__ R binary_value(BinaryOp op, T x, T y, int* err) {
  *err = 0;
  switch (op) {
    case BinaryOp::Eq: return x == y;
    case BinaryOp::Ne: return x != y;
    case BinaryOp::Lt: return x < y;
    case BinaryOp::Le: return x <= y;
    case BinaryOp::Gt: return x > y;
    case BinaryOp::Ge: return x >= y;
    case BinaryOp::And: return x && y;
    case BinaryOp::Or: return x || y;
    default: break;
  }
  if constexpr (std::is_same_v<T, bool>) {
    return R{};
  } else {
    switch (op) {
      case BinaryOp::Add: return static_cast<R>(x + y);
      case BinaryOp::Sub: return static_cast<R>(x - y);
      case BinaryOp::Mul: return static_cast<R>(x * y);
      case BinaryOp::Div: return static_cast<R>(static_cast<R>(x) / static_cast<R>(y));
      case BinaryOp::FloorDiv: return static_cast<R>(floor_div_value(x, y, err));
      case BinaryOp::Mod: return static_cast<R>(mod_value(x, y, err));
      case BinaryOp::Pow:
        if constexpr (std::is_integral_v<T>) return static_cast<R>(ipow_value(x, y, err));
        else return static_cast<R>(pow(x, y));
      case BinaryOp::Max: return static_cast<R>((x > y || x != x) ? x : y);
      case BinaryOp::Min: return static_cast<R>((x < y || x != x) ? x : y);
      default: return R{};
    }
  }
}

template <typename T>
__device__ __forceinline__ T unary_value(UnaryOp op, T x) {
  if constexpr (std::is_same_v<T, bool>) {
    return op == UnaryOp::Not ? !x : x;
  } else if constexpr (std::is_integral_v<T>) {
    switch (op) {
      case UnaryOp::Neg: return -x;
      case UnaryOp::Abs: return x < 0 ? -x : x;
      case UnaryOp::Sign: return (x > 0) - (x < 0);
      case UnaryOp::Square: return x * x;
      case UnaryOp::Relu: return x > 0 ? x : 0;
      default: return x;
    }
  } else {
    switch (op) {
      case UnaryOp::Neg: return -x;
      case UnaryOp::Abs: return fabs(x);
      case UnaryOp::Sign: return x != x ? x : static_cast<T>((x > 0) - (x < 0));
      case UnaryOp::Square: return x * x;
      case UnaryOp::Sqrt: return sqrt(x);
      case UnaryOp::Rsqrt: return T(1) / sqrt(x);
      case UnaryOp::Exp: return exp(x);
      case UnaryOp::Log: return log(x);
      case UnaryOp::Log1p: return log1p(x);
      case UnaryOp::Sin: return sin(x);
      case UnaryOp::Cos: return cos(x);
      case UnaryOp::Tanh: return tanh(x);
      case UnaryOp::Sigmoid:
        if (x >= 0) return T(1) / (T(1) + exp(-x));
        else {
          T e = exp(x);
          return e / (T(1) + e);
        }
      case UnaryOp::Relu: return x > 0 ? x : (x != x ? x : T(0));
      case UnaryOp::Softplus: return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
      case UnaryOp::Reciprocal: return T(1) / x;
      case UnaryOp::Floor: return floor(x);
      case UnaryOp::Ceil: return ceil(x);
      case UnaryOp::Round: return rint(x);  // half to even
      default: return x;
    }
  }
}

// max then min: NaN in x stays NaN and lo > hi gives hi (as numpy).
template <typename T>
__device__ __forceinline__ T clip_value(T v, T lo, T hi) {
  v = lo > v ? lo : v;
  return hi < v ? hi : v;
}

}  // namespace cuda
}  // namespace tl
