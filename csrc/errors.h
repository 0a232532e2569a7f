// Exceptions thrown by the kernels; bindings.cpp maps each to a Python type.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace tl {

// Bad shapes, axes or values: Python's tensorlet.errors.InvalidArgumentError.
struct InvalidArgument : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// An allocation that cannot be made: Python's tensorlet.errors.ResourceExhaustedError.
struct ResourceExhausted : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Sizes (element counts, offsets, byte counts) are int64 throughout; every
// product or sum of sizes goes through these, so a shape whose size does not
// fit is refused instead of wrapping (and reading out of bounds later).
inline int64_t checked_mul(int64_t a, int64_t b, const std::string& what) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r))
    throw InvalidArgument(what + ": size " + std::to_string(a) + " * " + std::to_string(b) + " overflows int64");
  return r;
}
inline int64_t checked_add(int64_t a, int64_t b, const std::string& what) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r))
    throw InvalidArgument(what + ": size " + std::to_string(a) + " + " + std::to_string(b) + " overflows int64");
  return r;
}

// An unsupported dtype or type combination: Python's TypeError.
struct TypeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace tl
