// Op codes of the elementwise families, shared by the generic kernels and
// the per-ISA vector kernels.
#pragma once

namespace tl {

enum class BinaryOp : int {
  Add, Sub, Mul, Div, FloorDiv, Mod, Pow, Max, Min,
  Eq, Ne, Lt, Le, Gt, Ge, And, Or,
  Count
};

enum class UnaryOp : int {
  Neg, Abs, Sign, Square, Sqrt, Rsqrt, Exp, Log, Log1p, Sin, Cos, Tanh,
  Sigmoid, Relu, Softplus, Reciprocal, Floor, Ceil, Round, Not,
  Count
};

enum class ReduceOp : int { Sum, Mean, Max, Min, Prod, Any, All };

const char* op_name(BinaryOp op);
const char* op_name(UnaryOp op);
const char* op_name(ReduceOp op);

}  // namespace tl
