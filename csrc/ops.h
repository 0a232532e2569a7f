// The op tables of the elementwise families: one row per op. Each table
// generates the op codes (enum), the public names (error messages, the
// _core function names and the Python enums) and the accepted dtypes; the
// scalar formula of each op is the function of the same name in formulas.h.
// A new elementwise op is its formula plus one row here.
#pragma once

namespace tl {

// Which dtypes an op accepts (the inputs share one dtype) and what it returns.
enum class Domain : int {
  Numeric,  // int and float; result of the input's dtype
  Float,    // float32 and float64 only
  Logical,  // bool only; result bool
  Compare,  // any dtype; result bool
  TrueDiv,  // int and float; integers give float64 (true division, as TensorFlow)
};

// X(Code, public_name, Domain)
#define TL_BINARY_OPS(X)                                                                               \
  X(Add, add, Numeric) X(Sub, subtract, Numeric) X(Mul, multiply, Numeric) X(Div, divide, TrueDiv)     \
  X(FloorDiv, floor_div, Numeric) X(Mod, mod, Numeric) X(Pow, pow, Numeric) X(Max, maximum, Numeric)   \
  X(Min, minimum, Numeric) X(Eq, equal, Compare) X(Ne, not_equal, Compare) X(Lt, less, Compare)        \
  X(Le, less_equal, Compare) X(Gt, greater, Compare) X(Ge, greater_equal, Compare)                     \
  X(And, logical_and, Logical) X(Or, logical_or, Logical)

#define TL_UNARY_OPS(X)                                                                                \
  X(Neg, negative, Numeric) X(Abs, abs, Numeric) X(Sign, sign, Numeric) X(Square, square, Numeric)     \
  X(Sqrt, sqrt, Float) X(Rsqrt, rsqrt, Float) X(Exp, exp, Float) X(Log, log, Float)                    \
  X(Log1p, log1p, Float) X(Sin, sin, Float) X(Cos, cos, Float) X(Tanh, tanh, Float)                    \
  X(Sigmoid, sigmoid, Float) X(Relu, relu, Numeric) X(Softplus, softplus, Float)                       \
  X(Reciprocal, reciprocal, Float) X(Floor, floor, Numeric) X(Ceil, ceil, Numeric)                     \
  X(Round, round, Numeric) X(Not, logical_not, Logical)

// Reductions: the policy of each (init, step, merge, finish) is
// ReducePolicy<Code> in formulas.h.
#define TL_REDUCE_OPS(X)                                                                               \
  X(Sum, reduce_sum, Numeric) X(Mean, reduce_mean, Numeric) X(Max, reduce_max, Numeric)                \
  X(Min, reduce_min, Numeric) X(Prod, reduce_prod, Numeric) X(Any, reduce_any, Logical)                \
  X(All, reduce_all, Logical)

#define TL_OP_CODE(code, name, domain) code,
#define TL_OP_NAME(code, name, domain) #name,
#define TL_OP_DOMAIN(code, name, domain) Domain::domain,

enum class BinaryOp : int { TL_BINARY_OPS(TL_OP_CODE) Count };
enum class UnaryOp : int { TL_UNARY_OPS(TL_OP_CODE) Count };
enum class ReduceOp : int { TL_REDUCE_OPS(TL_OP_CODE) Count };

namespace op_table {
inline constexpr const char* kBinaryNames[] = {TL_BINARY_OPS(TL_OP_NAME)};
inline constexpr const char* kUnaryNames[] = {TL_UNARY_OPS(TL_OP_NAME)};
inline constexpr const char* kReduceNames[] = {TL_REDUCE_OPS(TL_OP_NAME)};
inline constexpr Domain kBinaryDomains[] = {TL_BINARY_OPS(TL_OP_DOMAIN)};
inline constexpr Domain kUnaryDomains[] = {TL_UNARY_OPS(TL_OP_DOMAIN)};
inline constexpr Domain kReduceDomains[] = {TL_REDUCE_OPS(TL_OP_DOMAIN)};
}  // namespace op_table

#undef TL_OP_CODE
#undef TL_OP_NAME
#undef TL_OP_DOMAIN

inline const char* op_name(BinaryOp op) { return op_table::kBinaryNames[static_cast<int>(op)]; }
inline const char* op_name(UnaryOp op) { return op_table::kUnaryNames[static_cast<int>(op)]; }
inline const char* op_name(ReduceOp op) { return op_table::kReduceNames[static_cast<int>(op)]; }
constexpr Domain op_domain(BinaryOp op) { return op_table::kBinaryDomains[static_cast<int>(op)]; }
constexpr Domain op_domain(UnaryOp op) { return op_table::kUnaryDomains[static_cast<int>(op)]; }
constexpr Domain op_domain(ReduceOp op) { return op_table::kReduceDomains[static_cast<int>(op)]; }

}  // namespace tl
