// Elementwise binary and unary ops: the device-neutral entry points (dtype
// and shape checks, output allocation on the inputs' device), then the CPU
// implementation of the binary and unary slots.
#include "elementwise.h"

#include <algorithm>
#include <type_traits>

#include "complex.h"
#include "cpu_kernels.h"
#include "device.h"
#include "formulas.h"
#include "isa/table.h"
#include "loop.h"

namespace tl {

namespace {

// float16 on the CPU, fused (csrc/elementwise.cpp's CPU section); false when
// it does not apply.
bool cpu_half_binary(BinaryOp op, const Array& out, const Array& a, const Array& b);

// Complex tensors: the ops that accept them, on the CPU only.
void check_complex(const char* name, bool defined, const Array& a) {
  if (!defined) throw TypeError(std::string(name) + ": not defined for complex tensors (" + dtype_name(a.dtype()) + ")");
  if (a.device() != Device::CPU) throw_not_implemented(name, a.device());
}

void check_binary(BinaryOp op, const Array& a, const Array& b) {
  const Domain d = op_domain(op);
  if (a.dtype() != b.dtype())
    throw InvalidArgument(std::string(op_name(op)) + ": cannot combine dtypes " + dtype_name(a.dtype()) +
                          " and " + dtype_name(b.dtype()) + " (shapes " + shape_str(a.shape()) + " and " +
                          shape_str(b.shape()) + "); cast one with tensorlet.cast first");
  if (d == Domain::Logical && a.dtype() != DType::Bool)
    throw TypeError(std::string(op_name(op)) + ": expects bool tensors, got " + dtype_name(a.dtype()));
  if (d != Domain::Logical && d != Domain::Compare && a.dtype() == DType::Bool)
    throw TypeError(std::string(op_name(op)) + ": not defined for bool tensors");
  check_same_device(op_name(op), a, b);
  if (is_complex(a.dtype())) check_complex(op_name(op), complex_op(op), a);
}

// Whether x goes to the slot as it is: of out's shape, or a single element
// (a broadcast scalar, the second most common case: tensor * 2.0).
bool slot_ready(const Array& x, const Array& out) { return x.size() == 1 || x.shape() == out.shape(); }

void run_binary(BinaryOp op, const Array& out, const Array& a, const Array& b) {
  auto slot = kernel(out.device(), &DeviceKernels::binary, op_name(op));
  if (slot_ready(a, out) && slot_ready(b, out)) return slot(op, out, a, b);
  slot(op, out, slot_ready(a, out) ? a : a.broadcast_to(out.shape()), slot_ready(b, out) ? b : b.broadcast_to(out.shape()));
}

}  // namespace

void binary_into(BinaryOp op, const Array& out, const Array& a, const Array& b) {
  if (static_cast<unsigned>(op) >= static_cast<unsigned>(BinaryOp::Count))
    throw InvalidArgument("binary_into: unknown op code " + std::to_string(static_cast<int>(op)));
  check_binary(op, a, b);
  check_same_device(op_name(op), out, a);
  Shape shape = broadcast_shapes(a.shape(), b.shape(), op_name(op));
  if (broadcast_shapes(shape, out.shape(), op_name(op)) != out.shape())
    throw InvalidArgument(std::string(op_name(op)) + ": result of shape " + shape_str(shape) +
                          " does not fit the output of shape " + shape_str(out.shape()));
  DType rt = binary_result_dtype(op, a.dtype());
  if (rt != out.dtype())
    throw InvalidArgument(std::string(op_name(op)) + ": output dtype " + dtype_name(out.dtype()) +
                          " differs from the result dtype " + dtype_name(rt));
  if (out.size() == 0) return;
  if (is_narrow(a.dtype()) || is_narrow(out.dtype())) {  // computed wide, stored narrow
    Array r = binary(op, a, b);
    return copy_into(out, r.shape() == out.shape() ? r : r.broadcast_to(out.shape()));
  }
  run_binary(op, out, a, b);
}

Array binary(BinaryOp op, const Array& a, const Array& b) {
  check_binary(op, a, b);
  const DType rt = binary_result_dtype(op, a.dtype());
  // Same shapes, or one operand a single element that does not raise the
  // rank (the usual cases in a training step): no shapes to work out and no
  // views to make.
  const Array* big = nullptr;
  if (a.shape() == b.shape() || (b.size() == 1 && b.ndim() <= a.ndim())) big = &a;
  else if (a.size() == 1 && a.ndim() <= b.ndim()) big = &b;
  if (big && a.dtype() == DType::Float16 && a.device() == Device::CPU) {
    Array out = Array::empty(big->shape(), rt, a.device());
    if (out.size() == 0 || cpu_half_binary(op, out, a, b)) return out;
  }
  if (is_narrow(a.dtype())) return cast(binary(op, widen(a), widen(b)), rt);
  if (big) {
    Array out = Array::empty(big->shape(), rt, a.device());
    if (out.size() > 0) kernel(a.device(), &DeviceKernels::binary, op_name(op))(op, out, a, b);
    return out;
  }
  Array out = Array::empty(broadcast_shapes(a.shape(), b.shape(), op_name(op)), rt, a.device());
  if (out.size() > 0) run_binary(op, out, a, b);
  return out;
}

Array unary(UnaryOp op, const Array& a) {
  const char* name = op_name(op);
  const Domain d = op_domain(op);
  if (d == Domain::Logical) {
    if (a.dtype() != DType::Bool) throw TypeError(std::string(name) + ": expects a bool tensor, got " + dtype_name(a.dtype()));
  } else if (a.dtype() == DType::Bool) {
    throw TypeError(std::string(name) + ": not defined for bool tensors");
  } else if (d == Domain::Float && !is_floating(a.dtype()) && !is_complex(a.dtype())) {
    throw TypeError(std::string(name) + ": expects a floating-point tensor, got " + dtype_name(a.dtype()) +
                    "; cast it with tensorlet.cast first");
  }
  if (op == UnaryOp::Abs && is_complex(a.dtype())) return complex_part(a, ComplexPart::Abs);
  if (is_complex(a.dtype())) check_complex(name, complex_op(op), a);
  if (is_narrow(a.dtype())) return narrow(unary(op, widen(a)), a.dtype());
  Array out = Array::empty(a.shape(), a.dtype(), a.device());
  if (a.size() == 0) return out;
  kernel(a.device(), &DeviceKernels::unary, name)(op, out, a);
  return out;
}

// ------------------------------------------------------ CPU implementation ----

namespace {

template <typename T, BinaryOp OP>
void binary_loop(const Array& out, const Array& a, const Array& b) {
  using R = binary_result_t<OP, T>;
  StridedLoop<3> loop(out.shape(), {&out.strides(), &a.strides(), &b.strides()});
  R* o = out.data<R>();
  const T* x = a.data<T>();
  const T* y = b.data<T>();
  loop.run([&](const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& st) {
    R* op = o + off[0];
    const T* xp = x + off[1];
    const T* yp = y + off[2];
    if (st[0] == 1 && st[1] == 1 && st[2] == 1) {
      for (int64_t i = 0; i < n; ++i) op[i] = binary_formula<OP>(xp[i], yp[i]);
    } else if (st[0] == 1 && st[1] == 0 && st[2] == 1) {  // a broadcast along the run: (m, 1) op (n,)
      const T xv = *xp;
      for (int64_t i = 0; i < n; ++i) op[i] = binary_formula<OP>(xv, yp[i]);
    } else if (st[0] == 1 && st[1] == 1 && st[2] == 0) {
      const T yv = *yp;
      for (int64_t i = 0; i < n; ++i) op[i] = binary_formula<OP>(xp[i], yv);
    } else {
      for (int64_t i = 0; i < n; ++i) op[i * st[0]] = binary_formula<OP>(xp[i * st[1]], yp[i * st[2]]);
    }
  });
}

// Runs the loop of `op` (instantiated only for the element types it accepts).
template <typename T, int I = 0>
void binary_switch(BinaryOp op, const Array& out, const Array& a, const Array& b) {
  if constexpr (I < static_cast<int>(BinaryOp::Count)) {
    constexpr BinaryOp OP = static_cast<BinaryOp>(I);
    if (static_cast<int>(op) != I) return binary_switch<T, I + 1>(op, out, a, b);
    if constexpr (accepts_op<T>(OP)) binary_loop<T, OP>(out, a, b);
  }
}

// The ops with a vectorised kernel in the ISA table (the rest use the loops).
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
// contiguous (of out's shape) or a single element.
template <typename T>
bool try_vector_binary(BinaryOp op, const Array& out, const Array& a, const Array& b) {
  int v = vec_index(op);
  if (v < 0 || !out.is_contiguous()) return false;
  // Each operand has out's shape or is a single element (the slot's contract).
  auto kind = [](const Array& x) { return x.size() == 1 ? 1 : (x.is_contiguous() ? 0 : -1); };
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

// float16 operands, each contiguous of out's shape or a single element, for
// an op with a vectorised float32 kernel: converted to float32 in blocks on
// the stack, computed, converted back (no temporaries in memory).
bool cpu_half_binary(BinaryOp op, const Array& out, const Array& a, const Array& b) {
  const IsaTable& t = isa();
  const int v = vec_index(op);
  if (v < 0 || !t.half_to_float || !t.float_to_half || !out.is_contiguous()) return false;
  auto kind = [](const Array& x) { return x.size() == 1 ? 1 : (x.is_contiguous() ? 0 : -1); };
  const int ka = kind(a), kb = kind(b);
  if (ka < 0 || kb < 0) return false;
  const int mode = (ka == 0 && kb == 0) ? 0 : (ka == 0 ? 1 : (kb == 0 ? 2 : 0));
  const uint16_t* x = static_cast<const uint16_t*>(a.raw());
  const uint16_t* y = static_cast<const uint16_t*>(b.raw());
  uint16_t* o = static_cast<uint16_t*>(out.raw());
  const int64_t n = out.size();
  parallel_for(n, n, [&](int64_t s, int64_t e) {
    constexpr int64_t kBlock = 512;
    float fa[kBlock], fb[kBlock], fo[kBlock];
    if (mode == 2) t.half_to_float(x, fa, 1);
    if (mode == 1) t.half_to_float(y, fb, 1);
    for (int64_t i = s; i < e; i += kBlock) {
      const int64_t m = std::min(kBlock, e - i);
      if (mode != 2) t.half_to_float(x + i, fa, m);
      if (mode != 1) t.half_to_float(y + i, fb, m);
      t.binary_f32[v](fa, fb, fo, m, mode);
      t.float_to_half(fo, o + i, m);
    }
  });
  return true;
}

void cpu_binary(BinaryOp op, const Array& out, const Array& a, const Array& b) {
  if (a.dtype() == DType::Float32 && try_vector_binary<float>(op, out, a, b)) return;
  if (a.dtype() == DType::Float64 && try_vector_binary<double>(op, out, a, b)) return;
  // The loops walk every operand with out's shape: single elements as views.
  const Array x = a.shape() == out.shape() ? a : a.broadcast_to(out.shape());
  const Array y = b.shape() == out.shape() ? b : b.broadcast_to(out.shape());
  dispatch<kAll | kComplex>(a.dtype(), op_name(op), [&](auto tv) { binary_switch<decltype(tv)>(op, out, x, y); });
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
      for (int64_t i = 0; i < n; ++i) op[i] = unary_formula<OP>(xp[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) op[i * st[0]] = unary_formula<OP>(xp[i * st[1]]);
    }
  });
}

template <typename T, int I = 0>
void unary_switch(UnaryOp op, const Array& out, const Array& a) {
  if constexpr (I < static_cast<int>(UnaryOp::Count)) {
    constexpr UnaryOp OP = static_cast<UnaryOp>(I);
    if (static_cast<int>(op) != I) return unary_switch<T, I + 1>(op, out, a);
    if constexpr (accepts_op<T>(OP)) unary_loop<T, OP>(out, a);
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

void cpu_unary(UnaryOp op, const Array& out, const Array& a) {
  int v = vec_index(op);
  if (v >= 0 && a.is_contiguous() && out.is_contiguous() && is_float(a.dtype())) {
    int64_t n = a.size();
    dispatch<kFloat>(a.dtype(), op_name(op), [&](auto tv) {
      using T = decltype(tv);
      auto fn = [&] {
        if constexpr (std::is_same_v<T, float>) return isa().unary_f32[v];
        else return isa().unary_f64[v];
      }();
      const T* x = a.data<T>();
      T* o = out.data<T>();
      parallel_for(n, n, [&](int64_t s, int64_t e) { fn(x + s, o + s, e - s); });
    });
    return;
  }
  dispatch<kAll | kComplex>(a.dtype(), op_name(op), [&](auto tv) { unary_switch<decltype(tv)>(op, out, a); });
}

}  // namespace

void fill_cpu_elementwise_kernels(DeviceKernels* k) {
  k->binary = &cpu_binary;
  k->unary = &cpu_unary;
}

}  // namespace tl
