// Exceptions thrown by the kernels; bindings.cpp maps each to a Python type.
#pragma once
#include <stdexcept>
#include <string>

namespace tl {

// Bad shapes, axes or values: Python's tensorlet.errors.InvalidArgumentError.
struct InvalidArgument : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// An unsupported dtype or type combination: Python's TypeError.
struct TypeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace tl
