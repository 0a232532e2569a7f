#include "complex.h"

#include <complex>

#include "device.h"
#include "loop.h"

namespace tl {

namespace {

const char* part_name(ComplexPart p) {
  static const char* names[] = {"real", "imag", "abs", "angle", "conj"};
  return names[static_cast<int>(p)];
}

void check_host(const char* op, const Array& a) {
  if (a.device() != Device::CPU) throw_not_implemented(op, a.device());
}

// out[i] = f(a[i]) over any strides.
template <typename R, typename T, typename F>
void map_into(const Array& out, const Array& a, F f) {
  StridedLoop<2> loop(out.shape(), {&out.strides(), &a.strides()});
  R* o = out.data<R>();
  const T* x = a.data<T>();
  loop.run([&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& st) {
    for (int64_t i = 0; i < n; ++i) o[off[0] + i * st[0]] = f(x[off[1] + i * st[1]]);
  });
}

}  // namespace

Array complex_part(const Array& a, ComplexPart part) {
  const char* name = part_name(part);
  if (static_cast<unsigned>(part) > static_cast<unsigned>(ComplexPart::Conj))
    throw InvalidArgument("complex_part: unknown part " + std::to_string(static_cast<int>(part)));
  if (!is_complex(a.dtype()))
    throw TypeError(std::string(name) + ": expects a complex64 or complex128 tensor, got " + dtype_name(a.dtype()));
  check_host(name, a);
  const bool c64 = a.dtype() == DType::Complex64;
  const DType rt = part == ComplexPart::Conj ? a.dtype() : (c64 ? DType::Float32 : DType::Float64);
  Array out = Array::empty(a.shape(), rt, a.device());
  if (out.size() == 0) return out;
  dispatch<kComplex>(a.dtype(), name, [&](auto tv) {
    using C = decltype(tv);
    using R = typename C::value_type;
    switch (part) {
      case ComplexPart::Real: map_into<R, C>(out, a, [](C z) { return z.real(); }); break;
      case ComplexPart::Imag: map_into<R, C>(out, a, [](C z) { return z.imag(); }); break;
      case ComplexPart::Abs: map_into<R, C>(out, a, [](C z) { return std::abs(z); }); break;
      case ComplexPart::Angle: map_into<R, C>(out, a, [](C z) { return std::arg(z); }); break;
      case ComplexPart::Conj: map_into<C, C>(out, a, [](C z) { return std::conj(z); }); break;
    }
  });
  return out;
}

Array make_complex(const Array& re, const Array& im) {
  if (re.dtype() != im.dtype() || !is_float(re.dtype()))
    throw TypeError(std::string("complex: real and imaginary parts must both be float32 or both float64, got ") +
                    dtype_name(re.dtype()) + " and " + dtype_name(im.dtype()));
  check_same_device("complex", re, im);
  check_host("complex", re);
  const Shape shape = broadcast_shapes(re.shape(), im.shape(), "complex");
  const bool f32 = re.dtype() == DType::Float32;
  Array out = Array::empty(shape, f32 ? DType::Complex64 : DType::Complex128, re.device());
  if (out.size() == 0) return out;
  const Array x = re.broadcast_to(shape), y = im.broadcast_to(shape);
  dispatch<kFloat>(re.dtype(), "complex", [&](auto tv) {
    using R = decltype(tv);
    using C = std::complex<R>;
    StridedLoop<3> loop(shape, {&out.strides(), &x.strides(), &y.strides()});
    C* o = out.data<C>();
    const R* a = x.data<R>();
    const R* b = y.data<R>();
    loop.run([&](const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& st) {
      for (int64_t i = 0; i < n; ++i) o[off[0] + i * st[0]] = C(a[off[1] + i * st[1]], b[off[2] + i * st[2]]);
    });
  });
  return out;
}

}  // namespace tl
