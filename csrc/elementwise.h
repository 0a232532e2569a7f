// Elementwise kernels: binary ops with numpy broadcasting, unary ops.
#pragma once
#include "array.h"
#include "ops.h"

namespace tl {

// Result dtype of a binary op on two inputs of dtype t (they must match).
inline DType binary_result_dtype(BinaryOp op, DType t) {
  const Domain d = op_domain(op);
  if (d == Domain::Compare || d == Domain::Logical) return DType::Bool;
  if (d == Domain::TrueDiv && is_int(t)) return DType::Float64;
  if (d == Domain::TrueDiv && is_narrow_int(t)) return DType::Float32;  // as TensorFlow
  return t;
}
Array binary(BinaryOp op, const Array& a, const Array& b);
// out = a op b, where a and b broadcast to out's shape. out may alias a or b
// element for element (same offset and strides), as in-place updates do.
void binary_into(BinaryOp op, const Array& out, const Array& a, const Array& b);
Array unary(UnaryOp op, const Array& a);

}  // namespace tl
