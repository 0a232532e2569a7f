// The elementwise formulas of formulas.h (shared with the CPU), picked by a
// run-time op code on the device: one kernel per dtype serves every op of a
// table (the code is the same for a whole launch, so the switch costs a few
// instructions per element), which keeps the CUDA build small. Integer
// division by zero and integers to negative powers cannot throw on the
// device: they are reported through *err for the host to raise.
#pragma once
#include <cstdint>
#include <type_traits>

#include "formulas.h"
#include "ops.h"

namespace tl {
namespace cuda {

constexpr int kErrDivZero = 1;
constexpr int kErrNegPow = 2;

template <typename T>
__device__ __forceinline__ void domain_check(BinaryOp op, T x, T y, int* err) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if ((op == BinaryOp::FloorDiv || op == BinaryOp::Mod) && y == 0) *err = kErrDivZero;
    if (op == BinaryOp::Pow && y < 0 && x != 1 && x != -1) *err = kErrNegPow;
  }
}

// Op `op` of TL_BINARY_OPS on x and y, converted to R (the output's dtype).
template <typename T, typename R>
__device__ __forceinline__ R binary_value(BinaryOp op, T x, T y, int* err) {
  *err = 0;
  domain_check(op, x, y, err);
  switch (op) {
#define TL_CASE(code, name, domain)                                                   \
  case BinaryOp::code:                                                                \
    if constexpr (accepts<T>(Domain::domain)) return static_cast<R>(formula::name(x, y)); \
    else return R{};
    TL_BINARY_OPS(TL_CASE)
#undef TL_CASE
    default: return R{};
  }
}

template <typename T>
__device__ __forceinline__ T unary_value(UnaryOp op, T x) {
  switch (op) {
#define TL_CASE(code, name, domain)                                                  \
  case UnaryOp::code:                                                                \
    if constexpr (accepts<T>(Domain::domain)) return static_cast<T>(formula::name(x)); \
    else return x;
    TL_UNARY_OPS(TL_CASE)
#undef TL_CASE
    default: return x;
  }
}

template <typename T>
__device__ __forceinline__ T clip_value(T v, T lo, T hi) {
  return formula::clip_by_value(v, lo, hi);
}

}  // namespace cuda
}  // namespace tl
