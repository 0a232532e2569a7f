#include "elementwise.h"

#include <cmath>
#include <type_traits>

#include "isa/table.h"
#include "loop.h"

namespace tl {

const char* op_name(BinaryOp op) {
  static const char* names[] = {"add", "subtract", "multiply", "divide", "floor_div", "mod",
                                "pow", "maximum", "minimum", "equal", "not_equal", "less",
                                "less_equal", "greater", "greater_equal", "logical_and",
                                "logical_or"};
  return names[static_cast<int>(op)];
}

const char* op_name(UnaryOp op) {
  static const char* names[] = {"negative", "abs", "sign", "square", "sqrt", "rsqrt", "exp",
                                "log", "log1p", "sin", "cos", "tanh", "sigmoid", "relu",
                                "softplus", "reciprocal", "floor", "ceil", "round",
                                "logical_not"};
  return names[static_cast<int>(op)];
}

namespace {

// ---- scalar definitions of every op, written once per dtype family ----

template <typename T>
T floor_div(T x, T y) {
  if constexpr (std::is_integral_v<T>) {
    if (y == 0) throw InvalidArgument("floor_div: integer division by zero");
    T q = x / y;
    return (x % y != 0 && ((x < 0) != (y < 0))) ? q - 1 : q;
  } else {
    return std::floor(x / y);
  }
}

template <typename T>
T mod(T x, T y) {
  if constexpr (std::is_integral_v<T>) {
    if (y == 0) throw InvalidArgument("mod: integer division by zero");
    T r = x % y;
    return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r;
  } else {
    T r = std::fmod(x, y);
    return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r;
  }
}

template <typename T>
T ipow(T base, T exp) {
  if (exp < 0) {
    if (base == 1) return 1;
    if (base == -1) return (exp % 2) ? -1 : 1;
    throw InvalidArgument("pow: integers to negative integer powers are not allowed");
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
R apply_binary(BinaryOp op, T x, T y) {
  if constexpr (std::is_same_v<T, bool>) {
    switch (op) {
      case BinaryOp::Eq: return x == y;
      case BinaryOp::Ne: return x != y;
      case BinaryOp::Lt: return x < y;
      case BinaryOp::Le: return x <= y;
      case BinaryOp::Gt: return x > y;
      case BinaryOp::Ge: return x >= y;
      case BinaryOp::And: return x && y;
      case BinaryOp::Or: return x || y;
      default: return R{};
    }
  } else {
  switch (op) {
    case BinaryOp::Add: return static_cast<R>(x + y);
    case BinaryOp::Sub: return static_cast<R>(x - y);
    case BinaryOp::Mul: return static_cast<R>(x * y);
    case BinaryOp::Div: return static_cast<R>(static_cast<R>(x) / static_cast<R>(y));
    case BinaryOp::FloorDiv: return static_cast<R>(floor_div(x, y));
    case BinaryOp::Mod: return static_cast<R>(mod(x, y));
    case BinaryOp::Pow:
      if constexpr (std::is_integral_v<T>) return static_cast<R>(ipow(x, y));
      else return static_cast<R>(std::pow(x, y));
    case BinaryOp::Max: return static_cast<R>((x > y || x != x) ? x : y);
    case BinaryOp::Min: return static_cast<R>((x < y || x != x) ? x : y);
    case BinaryOp::Eq: return x == y;
    case BinaryOp::Ne: return x != y;
    case BinaryOp::Lt: return x < y;
    case BinaryOp::Le: return x <= y;
    case BinaryOp::Gt: return x > y;
    case BinaryOp::Ge: return x >= y;
    case BinaryOp::And: return x && y;
    case BinaryOp::Or: return x || y;
    default: return R{};
  }
  }
}

template <typename T, typename R, BinaryOp OP>
void binary_loop(const Array& out, const Array& a, const Array& b) {
  StridedLoop<3> loop(out.shape(), {&out.strides(), &a.strides(), &b.strides()});
  R* o = out.data<R>();
  const T* x = a.data<T>();
  const T* y = b.data<T>();
  loop.run([&](const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& st) {
    R* op = o + off[0];
    const T* xp = x + off[1];
    const T* yp = y + off[2];
    if (st[0] == 1 && st[1] == 1 && st[2] == 1) {
      for (int64_t i = 0; i < n; ++i) op[i] = apply_binary<T, R>(OP, xp[i], yp[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) op[i * st[0]] = apply_binary<T, R>(OP, xp[i * st[1]], yp[i * st[2]]);
    }
  });
}

template <typename T, typename R, int I = 0>
void binary_switch(BinaryOp op, const Array& out, const Array& a, const Array& b) {
  if constexpr (I < static_cast<int>(BinaryOp::Count)) {
    if (static_cast<int>(op) == I) return binary_loop<T, R, static_cast<BinaryOp>(I)>(out, a, b);
    return binary_switch<T, R, I + 1>(op, out, a, b);
  }
}

int vec_index(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add: return kVAdd;
    case BinaryOp::Sub: return kVSub;
    case BinaryOp::Mul: return kVMul;
    case BinaryOp::Div: return kVDiv;
    case BinaryOp::Max: return kVMax;
    case BinaryOp::Min: return kVMin;
    default: return -1;
  }
}

// Contiguous float fast path through the ISA table: out contiguous, each input
// either contiguous of the same shape or a single broadcast element.
template <typename T>
bool try_vector_binary(BinaryOp op, const Array& out, const Array& a, const Array& b) {
  int v = vec_index(op);
  if (v < 0 || !out.is_contiguous()) return false;
  auto kind = [&](const Array& x) {
    if (x.size() == 1) return 1;  // scalar
    return (x.shape() == out.shape() && x.is_contiguous()) ? 0 : -1;
  };
  int ka = kind(a), kb = kind(b);
  if (ka < 0 || kb < 0) return false;
  int mode = (ka == 0 && kb == 0) ? 0 : (ka == 0 ? 1 : (kb == 0 ? 2 : 0));
  const T* x = a.data<T>();
  const T* y = b.data<T>();
  T* o = out.data<T>();
  int64_t n = out.size();
  auto fn = [&] {
    if constexpr (std::is_same_v<T, float>) return isa().binary_f32[v];
    else return isa().binary_f64[v];
  }();
  int flags = mode | (n * static_cast<int64_t>(sizeof(T)) >= kStreamOutBytes ? kStreamOut : 0);
  parallel_for(n, n, [&](int64_t s, int64_t e) {
    fn(mode == 2 ? x : x + s, mode == 1 ? y : y + s, o + s, e - s, flags);
  });
  return true;
}

void check_binary(BinaryOp op, const Array& a, const Array& b) {
  if (a.dtype() != b.dtype())
    throw InvalidArgument(std::string(op_name(op)) + ": cannot combine dtypes " + dtype_name(a.dtype()) +
                          " and " + dtype_name(b.dtype()) + " (shapes " + shape_str(a.shape()) + " and " +
                          shape_str(b.shape()) + "); cast one with tensorlet.cast first");
  bool logical = op == BinaryOp::And || op == BinaryOp::Or;
  if (logical && a.dtype() != DType::Bool)
    throw TypeError(std::string(op_name(op)) + ": expects bool tensors, got " + dtype_name(a.dtype()));
  bool compare = op >= BinaryOp::Eq && op <= BinaryOp::Ge;
  if (!logical && !compare && a.dtype() == DType::Bool)
    throw TypeError(std::string(op_name(op)) + ": not defined for bool tensors");
}

}  // namespace

DType binary_result_dtype(BinaryOp op, DType t) {
  if (op >= BinaryOp::Eq) return DType::Bool;
  if (op == BinaryOp::Div && is_int(t)) return DType::Float64;  // true division, as TensorFlow
  return t;
}

void binary_into(BinaryOp op, const Array& out, const Array& a, const Array& b) {
  check_binary(op, a, b);
  Shape shape = broadcast_shapes(a.shape(), b.shape(), op_name(op));
  if (broadcast_shapes(shape, out.shape(), op_name(op)) != out.shape())
    throw InvalidArgument(std::string(op_name(op)) + ": result of shape " + shape_str(shape) +
                          " does not fit the output of shape " + shape_str(out.shape()));
  if (out.size() == 0) return;
  Array x = a.broadcast_to(out.shape()), y = b.broadcast_to(out.shape());
  DType rt = binary_result_dtype(op, a.dtype());
  if (rt != out.dtype())
    throw InvalidArgument(std::string(op_name(op)) + ": output dtype " + dtype_name(out.dtype()) +
                          " differs from the result dtype " + dtype_name(rt));
  if (a.dtype() == DType::Float32 && try_vector_binary<float>(op, out, a.size() == 1 ? a : x, b.size() == 1 ? b : y)) return;
  if (a.dtype() == DType::Float64 && try_vector_binary<double>(op, out, a.size() == 1 ? a : x, b.size() == 1 ? b : y)) return;
  dispatch<kAll>(a.dtype(), op_name(op), [&](auto tv) {
    using T = decltype(tv);
    if (rt == DType::Bool) binary_switch<T, bool>(op, out, x, y);
    else if (rt == DType::Float64 && !std::is_same_v<T, double>) binary_switch<T, double>(op, out, x, y);
    else binary_switch<T, T>(op, out, x, y);
  });
}

Array binary(BinaryOp op, const Array& a, const Array& b) {
  check_binary(op, a, b);
  // Same-shape (or scalar) contiguous float operands, the usual case in a
  // training step, skip the broadcast views: on small tensors those cost more
  // than the arithmetic.
  bool f32 = a.dtype() == DType::Float32, f64 = a.dtype() == DType::Float64;
  if ((f32 || f64) && vec_index(op) >= 0) {
    // The result has the shape of `big`; a single element of higher rank
    // would raise the result's rank, so it takes the general path.
    const Array& big = a.size() == 1 && b.ndim() >= a.ndim() ? b : a;
    const Array& small = &big == &a ? b : a;
    if (small.shape() == big.shape() || (small.size() == 1 && small.ndim() <= big.ndim())) {
      Array out = Array::empty(big.shape(), a.dtype(), a.device());
      if (out.size() == 0) return out;
      if (!(f32 ? try_vector_binary<float>(op, out, a, b) : try_vector_binary<double>(op, out, a, b)))
        binary_into(op, out, a, b);  // strided operands
      return out;
    }
  }
  Shape shape = broadcast_shapes(a.shape(), b.shape(), op_name(op));
  Array out = Array::empty(shape, binary_result_dtype(op, a.dtype()), a.device());
  binary_into(op, out, a, b);
  return out;
}

// ---------------------------------------------------------------- unary ----

namespace {

template <typename T>
T apply_unary(UnaryOp op, T x) {
  if constexpr (std::is_same_v<T, bool>) {
    return op == UnaryOp::Not ? !x : x;
  } else if constexpr (std::is_integral_v<T>) {
    switch (op) {
      case UnaryOp::Neg: return -x;
      case UnaryOp::Abs: return x < 0 ? -x : x;
      case UnaryOp::Sign: return (x > 0) - (x < 0);
      case UnaryOp::Square: return x * x;
      case UnaryOp::Relu: return x > 0 ? x : 0;
      default: return x;  // floor/ceil/round of an integer
    }
  } else {
    switch (op) {
      case UnaryOp::Neg: return -x;
      case UnaryOp::Abs: return std::fabs(x);
      case UnaryOp::Sign: return x != x ? x : static_cast<T>((x > 0) - (x < 0));
      case UnaryOp::Square: return x * x;
      case UnaryOp::Sqrt: return std::sqrt(x);
      case UnaryOp::Rsqrt: return T(1) / std::sqrt(x);
      case UnaryOp::Exp: return std::exp(x);
      case UnaryOp::Log: return std::log(x);
      case UnaryOp::Log1p: return std::log1p(x);
      case UnaryOp::Sin: return std::sin(x);
      case UnaryOp::Cos: return std::cos(x);
      case UnaryOp::Tanh: return std::tanh(x);
      case UnaryOp::Sigmoid:  // stable on both tails
        if (x >= 0) return T(1) / (T(1) + std::exp(-x));
        else {
          T e = std::exp(x);
          return e / (T(1) + e);
        }
      case UnaryOp::Relu: return x > 0 ? x : (x != x ? x : T(0));
      case UnaryOp::Softplus:  // log(1 + e^x) without overflow
        return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
      case UnaryOp::Reciprocal: return T(1) / x;
      case UnaryOp::Floor: return std::floor(x);
      case UnaryOp::Ceil: return std::ceil(x);
      case UnaryOp::Round: return std::nearbyint(x);  // half to even
      default: return x;
    }
  }
}

template <typename T, UnaryOp OP>
void unary_loop(const Array& out, const Array& a) {
  StridedLoop<2> loop(out.shape(), {&out.strides(), &a.strides()});
  T* o = out.data<T>();
  const T* x = a.data<T>();
  loop.run([&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& st) {
    T* op = o + off[0];
    const T* xp = x + off[1];
    if (st[0] == 1 && st[1] == 1) {
      for (int64_t i = 0; i < n; ++i) op[i] = apply_unary<T>(OP, xp[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) op[i * st[0]] = apply_unary<T>(OP, xp[i * st[1]]);
    }
  });
}

template <typename T, int I = 0>
void unary_switch(UnaryOp op, const Array& out, const Array& a) {
  if constexpr (I < static_cast<int>(UnaryOp::Count)) {
    if (static_cast<int>(op) == I) return unary_loop<T, static_cast<UnaryOp>(I)>(out, a);
    return unary_switch<T, I + 1>(op, out, a);
  }
}

int vec_index(UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg: return kVNeg;
    case UnaryOp::Abs: return kVAbs;
    case UnaryOp::Square: return kVSquare;
    case UnaryOp::Sqrt: return kVSqrt;
    case UnaryOp::Relu: return kVRelu;
    default: return -1;
  }
}

bool float_only(UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg: case UnaryOp::Abs: case UnaryOp::Sign: case UnaryOp::Square:
    case UnaryOp::Relu: case UnaryOp::Floor: case UnaryOp::Ceil: case UnaryOp::Round:
    case UnaryOp::Not:
      return false;
    default:
      return true;
  }
}

}  // namespace

Array unary(UnaryOp op, const Array& a) {
  const char* name = op_name(op);
  if (op == UnaryOp::Not) {
    if (a.dtype() != DType::Bool) throw TypeError(std::string(name) + ": expects a bool tensor, got " + dtype_name(a.dtype()));
  } else if (a.dtype() == DType::Bool) {
    throw TypeError(std::string(name) + ": not defined for bool tensors");
  } else if (float_only(op) && !is_float(a.dtype())) {
    throw TypeError(std::string(name) + ": expects a float32 or float64 tensor, got " + dtype_name(a.dtype()) +
                    "; cast it with tensorlet.cast first");
  }
  Array out = Array::empty(a.shape(), a.dtype(), a.device());
  if (a.size() == 0) return out;
  int v = vec_index(op);
  if (v >= 0 && a.is_contiguous() && is_float(a.dtype())) {
    int64_t n = a.size();
    dispatch<kFloat>(a.dtype(), name, [&](auto tv) {
      using T = decltype(tv);
      auto fn = [&] {
        if constexpr (std::is_same_v<T, float>) return isa().unary_f32[v];
        else return isa().unary_f64[v];
      }();
      const T* x = a.data<T>();
      T* o = out.data<T>();
      parallel_for(n, n, [&](int64_t s, int64_t e) { fn(x + s, o + s, e - s); });
    });
    return out;
  }
  dispatch<kAll>(a.dtype(), name, [&](auto tv) { unary_switch<decltype(tv)>(op, out, a); });
  return out;
}

}  // namespace tl
