// Element types and the one dispatch helper every kernel uses.
#pragma once
#include <cstdint>
#include <string>

#include "errors.h"

namespace tl {

enum class DType : uint8_t { Bool = 0, Int32 = 1, Int64 = 2, Float32 = 3, Float64 = 4 };

inline int64_t itemsize(DType t) {
  switch (t) {
    case DType::Bool: return 1;
    case DType::Int32: return 4;
    case DType::Int64: return 8;
    case DType::Float32: return 4;
    case DType::Float64: return 8;
  }
  return 0;
}

inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::Bool: return "bool";
    case DType::Int32: return "int32";
    case DType::Int64: return "int64";
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
  }
  return "?";
}

inline bool is_float(DType t) { return t == DType::Float32 || t == DType::Float64; }
inline bool is_int(DType t) { return t == DType::Int32 || t == DType::Int64; }

template <typename T> struct dtype_of;
template <> struct dtype_of<bool> { static constexpr DType value = DType::Bool; };
template <> struct dtype_of<int32_t> { static constexpr DType value = DType::Int32; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::Int64; };
template <> struct dtype_of<float> { static constexpr DType value = DType::Float32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::Float64; };

// Families a kernel may accept; a kernel is written once as a template and
// instantiated for each member of its family by dispatch().
enum Family : unsigned {
  kBool = 1u << 0,
  kInt = (1u << 1) | (1u << 2),
  kFloat = (1u << 3) | (1u << 4),
  kNumeric = kInt | kFloat,
  kAll = kBool | kNumeric,
};

inline bool in_family(DType t, unsigned family) { return family & (1u << static_cast<unsigned>(t)); }

// Calls f(T{}) with T the C++ type of `t`, or throws a TypeError naming the op
// when `t` is not in `Fam`. Only the family's types are instantiated.
template <unsigned Fam, typename F>
decltype(auto) dispatch(DType t, const char* op, F&& f) {
  if (!in_family(t, Fam)) {
    throw TypeError(std::string(op) + ": unsupported dtype " + dtype_name(t));
  }
  if constexpr ((Fam & kFloat) != 0) {
    if (t == DType::Float32) return f(float{});
    if (t == DType::Float64) return f(double{});
  }
  if constexpr ((Fam & kInt) != 0) {
    if (t == DType::Int32) return f(int32_t{});
    if (t == DType::Int64) return f(int64_t{});
  }
  if constexpr ((Fam & kBool) != 0) {
    if (t == DType::Bool) return f(bool{});
  }
  throw TypeError(std::string(op) + ": unsupported dtype " + dtype_name(t));
}

}  // namespace tl
