// Element types and the one dispatch helper every kernel uses.
//
// Narrow storage types: float16 and bfloat16 are stored in two bytes and
// computed in float32; int8, int16 and uint8 are computed in int32 (results
// wrap to the storage width on store, as TensorFlow's fixed-width
// arithmetic does). Kernels are instantiated only for their compute types:
// an entry point that receives a narrow array widens it (the copy kernel
// converts on load and store) and narrows the result back (compute_dtype,
// widen and narrow in array.h). Complex types are computed as they are, by
// the few kernels that accept them (elementwise arithmetic, sums, matmul,
// complex.cpp), on the CPU only.
#pragma once
#include <complex>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

#include "errors.h"

#if defined(__CUDACC__)
#define TL_HD_CONV __host__ __device__
#else
#define TL_HD_CONV
#endif

namespace tl {

// The codes are stable: Python keys its dtype table and caches by them.
enum class DType : uint8_t {
  Bool = 0, Int32 = 1, Int64 = 2, Float32 = 3, Float64 = 4,
  Float16 = 5, BFloat16 = 6, Int8 = 7, Int16 = 8, UInt8 = 9, Complex64 = 10, Complex128 = 11,
};
constexpr int kNumDTypes = 12;

// ---- two-byte floats: bit conversions to and from float32, rounding to
// nearest even as numpy and TensorFlow do ----

TL_HD_CONV inline uint32_t float_bits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
#endif
}
TL_HD_CONV inline float bits_float(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, 4);
  return f;
#endif
}

// Written as selects of values computed unconditionally, so the compiler can
// vectorise the conversion loops.
TL_HD_CONV inline uint16_t float_to_half_bits(float f) {
  const uint32_t x = float_bits(f), sign = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
  // Normal: rebias the exponent (127 -> 15) and round the mantissa to 10 bits;
  // a carry moves into the exponent, as it should.
  const uint32_t normal = (ax + 0xfffu + ((ax >> 13) & 1u) - ((127u - 15u) << 23)) >> 13;
  // Below 2^-14 (subnormal or zero): adding 0.5 lines the 10 mantissa bits up
  // at the bottom of a float, the addition rounding to nearest even.
  const uint32_t sub = float_bits(bits_float(ax) + 0.5f) - 0x3f000000u;
  const uint32_t r = ax > 0x7f800000u ? 0x7e00u                  // NaN
                     : ax >= 0x477ff000u ? 0x7c00u                // rounds past 65504 (or is inf): inf
                     : ax < 0x38800000u ? sub : normal;
  return static_cast<uint16_t>(sign | r);
}
TL_HD_CONV inline float half_bits_to_float(uint16_t h) {
  const uint32_t o = static_cast<uint32_t>(h & 0x7fffu) << 13, exp = o & 0x0f800000u;
  const uint32_t normal = o + ((127u - 15u) << 23);
  const uint32_t special = normal + ((128u - 16u) << 23);                          // inf and NaN
  const uint32_t sub = float_bits(bits_float(o + (113u << 23)) - bits_float(113u << 23));  // m * 2^-24, exact
  const uint32_t r = exp == 0x0f800000u ? special : exp == 0 ? sub : normal;
  return bits_float(r | (static_cast<uint32_t>(h & 0x8000u) << 16));
}
TL_HD_CONV inline uint16_t float_to_bfloat_bits(float f) {
  const uint32_t x = float_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // NaN stays NaN
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}
TL_HD_CONV inline float bfloat_bits_to_float(uint16_t b) { return bits_float(static_cast<uint32_t>(b) << 16); }

// A two-byte float: converts to float32 on load and from any number on store.
template <bool kBrain>
struct Float2 {
  uint16_t bits;
  Float2() = default;
  template <typename V, typename = std::enable_if_t<std::is_arithmetic_v<V>>>
  TL_HD_CONV Float2(V v) : bits(kBrain ? float_to_bfloat_bits(static_cast<float>(v)) : float_to_half_bits(static_cast<float>(v))) {}
  TL_HD_CONV operator float() const { return kBrain ? bfloat_bits_to_float(bits) : half_bits_to_float(bits); }
};
using half_t = Float2<false>;
using bfloat16_t = Float2<true>;

// ---- dtypes ----

inline int64_t itemsize(DType t) {
  switch (t) {
    case DType::Bool: case DType::Int8: case DType::UInt8: return 1;
    case DType::Float16: case DType::BFloat16: case DType::Int16: return 2;
    case DType::Int32: case DType::Float32: return 4;
    case DType::Int64: case DType::Float64: case DType::Complex64: return 8;
    case DType::Complex128: return 16;
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
    case DType::Float16: return "float16";
    case DType::BFloat16: return "bfloat16";
    case DType::Int8: return "int8";
    case DType::Int16: return "int16";
    case DType::UInt8: return "uint8";
    case DType::Complex64: return "complex64";
    case DType::Complex128: return "complex128";
  }
  return "?";
}

// float32 and float64: the float types kernels compute in (see is_floating).
inline bool is_float(DType t) { return t == DType::Float32 || t == DType::Float64; }
inline bool is_int(DType t) { return t == DType::Int32 || t == DType::Int64; }
inline bool is_half(DType t) { return t == DType::Float16 || t == DType::BFloat16; }
inline bool is_narrow_int(DType t) { return t == DType::Int8 || t == DType::Int16 || t == DType::UInt8; }
inline bool is_narrow(DType t) { return is_half(t) || is_narrow_int(t); }
inline bool is_complex(DType t) { return t == DType::Complex64 || t == DType::Complex128; }
// Every real float type, stored in any width.
inline bool is_floating(DType t) { return is_float(t) || is_half(t); }
// The dtype kernels compute `t` in: float32 for the two-byte floats, int32
// for the narrow integers, `t` itself otherwise.
inline DType compute_dtype(DType t) {
  if (is_half(t)) return DType::Float32;
  if (is_narrow_int(t)) return DType::Int32;
  return t;
}

template <typename T> struct dtype_of;
template <> struct dtype_of<bool> { static constexpr DType value = DType::Bool; };
template <> struct dtype_of<int32_t> { static constexpr DType value = DType::Int32; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::Int64; };
template <> struct dtype_of<float> { static constexpr DType value = DType::Float32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::Float64; };
template <> struct dtype_of<half_t> { static constexpr DType value = DType::Float16; };
template <> struct dtype_of<bfloat16_t> { static constexpr DType value = DType::BFloat16; };
template <> struct dtype_of<int8_t> { static constexpr DType value = DType::Int8; };
template <> struct dtype_of<int16_t> { static constexpr DType value = DType::Int16; };
template <> struct dtype_of<uint8_t> { static constexpr DType value = DType::UInt8; };
template <> struct dtype_of<std::complex<float>> { static constexpr DType value = DType::Complex64; };
template <> struct dtype_of<std::complex<double>> { static constexpr DType value = DType::Complex128; };

template <typename T> struct is_complex_type : std::false_type {};
template <typename R> struct is_complex_type<std::complex<R>> : std::true_type {};
template <typename T> constexpr bool kIsComplex = is_complex_type<T>::value;

// One value converted to D: complex to real keeps the real part (as
// tensorlet.cast does, like TensorFlow), anything to bool tests for non-zero.
template <typename D, typename S>
TL_HD_CONV D convert_value(S s) {
  if constexpr (std::is_same_v<D, S>) {
    return s;
  } else if constexpr (kIsComplex<S> && !kIsComplex<D>) {
    return convert_value<D>(s.real());
  } else if constexpr (std::is_same_v<D, bool>) {
    if constexpr (std::is_arithmetic_v<S> || kIsComplex<S>) return s != S(0);
    else return static_cast<float>(s) != 0.0f;
  } else if constexpr (kIsComplex<D> && !kIsComplex<S>) {
    return D(static_cast<typename D::value_type>(static_cast<double>(s)));
  } else if constexpr (!std::is_arithmetic_v<S> && !kIsComplex<S>) {
    return static_cast<D>(static_cast<float>(s));  // a two-byte float, through float32
  } else {
    return static_cast<D>(s);
  }
}

// Families a kernel may accept; a kernel is written once as a template and
// instantiated for each member of its family by dispatch(). kAll is the
// compute types; narrow types reach kernels widened (see above).
enum Family : unsigned {
  kBool = 1u << 0,
  kInt = (1u << 1) | (1u << 2),
  kFloat = (1u << 3) | (1u << 4),
  kNumeric = kInt | kFloat,
  kAll = kBool | kNumeric,
  kHalf = (1u << 5) | (1u << 6),
  kNarrowInt = (1u << 7) | (1u << 8) | (1u << 9),
  kNarrow = kHalf | kNarrowInt,
  kComplex = (1u << 10) | (1u << 11),
  kEvery = kAll | kNarrow | kComplex,
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
  if constexpr ((Fam & kHalf) != 0) {
    if (t == DType::Float16) return f(half_t{});
    if (t == DType::BFloat16) return f(bfloat16_t{});
  }
  if constexpr ((Fam & kNarrowInt) != 0) {
    if (t == DType::Int8) return f(int8_t{});
    if (t == DType::Int16) return f(int16_t{});
    if (t == DType::UInt8) return f(uint8_t{});
  }
  if constexpr ((Fam & kComplex) != 0) {
    if (t == DType::Complex64) return f(std::complex<float>{});
    if (t == DType::Complex128) return f(std::complex<double>{});
  }
  throw TypeError(std::string(op) + ": unsupported dtype " + dtype_name(t));
}

}  // namespace tl
