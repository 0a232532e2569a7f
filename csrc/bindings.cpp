// The only pybind11 file: exposes Array and the kernels as tensorlet._core.
// Thin by design: argument conversion and error translation only.
#include <algorithm>
#include <cstring>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "allocator.h"
#include "array.h"
#include "array_ops.h"
#include "batchnorm.h"
#include "complex.h"
#include "conv.h"
#include "device.h"
#include "elementwise.h"
#include "graph/plan.h"
#include "isa/table.h"
#include "matmul.h"
#include "nn.h"
#include "reduce.h"
#include "rnn.h"
#include "parallel.h"
#include "pool.h"
#include "random.h"
#include "training.h"
#if defined(TL_HAVE_CUDA)
#include "api.h"
#endif

namespace py = pybind11;
using namespace tl;

namespace {

// Python exception types, replaced at import by tensorlet.framework.errors.
py::object g_invalid_argument, g_resource_exhausted;

const char* buffer_format(DType t) {
  switch (t) {
    case DType::Bool: return "?";
    case DType::Int32: return "i";
    case DType::Int64: return sizeof(long) == 8 ? "l" : "q";  // numpy's own int64 code
    case DType::Float32: return "f";
    case DType::Float64: return "d";
    case DType::Float16: return "e";
    case DType::BFloat16: return "f";  // exported as a float32 copy (numpy has no bfloat16)
    case DType::Int8: return "b";
    case DType::Int16: return "h";
    case DType::UInt8: return "B";
    case DType::Complex64: return "Zf";
    case DType::Complex128: return "Zd";
  }
  return "";
}

DType dtype_from_numpy(const py::dtype& dt) {
  char kind = dt.kind();
  auto size = dt.itemsize();
  if (kind == 'b') return DType::Bool;
  if (kind == 'i' && size == 4) return DType::Int32;
  if (kind == 'i' && size == 8) return DType::Int64;
  if (kind == 'f' && size == 4) return DType::Float32;
  if (kind == 'f' && size == 8) return DType::Float64;
  if (kind == 'f' && size == 2) return DType::Float16;
  if (kind == 'i' && size == 1) return DType::Int8;
  if (kind == 'i' && size == 2) return DType::Int16;
  if (kind == 'u' && size == 1) return DType::UInt8;
  if (kind == 'c' && size == 8) return DType::Complex64;
  if (kind == 'c' && size == 16) return DType::Complex128;
  if (std::string(py::str(dt)) == "bfloat16" && size == 2) return DType::BFloat16;  // ml_dtypes' bits are ours
  throw TypeError("unsupported numpy dtype " + std::string(py::str(dt)) +
                  "; tensorlet supports bool, int8, int16, int32, int64, uint8, float16, bfloat16, float32, "
                  "float64, complex64 and complex128");
}

// Copies a numpy array (any layout) into a new contiguous Array on `device`.
// Keeps the GIL: it reads the numpy buffer, which another thread could resize.
Array from_numpy(py::array src, Device device) {
  DType dt = dtype_from_numpy(src.dtype());
  if (!src.dtype().attr("isnative").cast<bool>())  // another byte order: swap the values, not copy them raw
    src = src.attr("astype")(src.dtype().attr("newbyteorder")("="));
  if (!(src.flags() & py::array::c_style))
    src = py::module_::import("numpy").attr("ascontiguousarray")(src);
  return from_host(src.data(), Shape(src.shape(), src.shape() + src.ndim()), dt, device);
}

// Rows `index` of a C-contiguous numpy array gathered straight into a new
// Array: a batch of data held in numpy costs one copy, not numpy's gather
// and then from_numpy's. Every index is checked before anything is copied.
Array take_rows(py::array src, const py::array_t<int64_t, py::array::c_style | py::array::forcecast>& index,
                Device device) {
  DType dt = dtype_from_numpy(src.dtype());
  if (src.ndim() == 0 || !(src.flags() & py::array::c_style) || !src.dtype().attr("isnative").cast<bool>())
    throw InvalidArgument("take_rows: the source must be a C-contiguous array of native byte order with at least "
                          "one axis");
  if (index.ndim() != 1) throw InvalidArgument("take_rows: the index must be 1-D");
  Shape shape(src.shape(), src.shape() + src.ndim());
  const int64_t rows = shape[0], n = index.shape(0);
  const int64_t* idx = index.data();
  for (int64_t i = 0; i < n; ++i)
    if (idx[i] < 0 || idx[i] >= rows)
      throw InvalidArgument("take_rows: index " + std::to_string(idx[i]) + " is out of range for " +
                            std::to_string(rows) + " rows");
  shape[0] = n;
  Array out = Array::empty(shape, dt, Device::CPU);
  const size_t row = static_cast<size_t>(src.itemsize()) * static_cast<size_t>(out.size() / std::max<int64_t>(n, 1));
  auto* dst = static_cast<char*>(out.raw());
  const auto* base = static_cast<const char*>(src.data());
  for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * row, base + idx[i] * row, row);
  return device == Device::CPU ? out : to_device(out, device);
}

// The buffer protocol exports host memory only: a CPU array as it lies (a
// view, no copy), any other through to_host, whose copy the exported view
// keeps alive (the Py_buffer holds a reference to it).
py::buffer_info host_buffer(const Array& a) {
  if (a.device() != Device::CPU || a.dtype() == DType::BFloat16) {
    py::object host = py::cast(a.dtype() == DType::BFloat16 ? cast(to_host(a), DType::Float32) : to_host(a));
    auto* view = new Py_buffer();
    if (PyObject_GetBuffer(host.ptr(), view, PyBUF_STRIDES | PyBUF_FORMAT) != 0) {
      delete view;
      throw py::error_already_set();
    }
    return py::buffer_info(view, /*ownview=*/true);
  }
  std::vector<py::ssize_t> strides;
  for (auto s : a.strides()) strides.push_back(s * a.itemsize());
  return py::buffer_info(a.raw(), a.itemsize(), buffer_format(a.dtype()), a.ndim(),
                         std::vector<py::ssize_t>(a.shape().begin(), a.shape().end()), strides,
                         /*readonly=*/true);
}

std::vector<IndexItem> parse_index(const py::tuple& items) {
  std::vector<IndexItem> out;
  for (auto h : items) {
    py::object o = py::reinterpret_borrow<py::object>(h);
    if (o.is_none()) out.push_back({IndexItem::NewAxis, 0, 0, 0});
    else if (o.ptr() == Py_Ellipsis) out.push_back({IndexItem::Ellipsis, 0, 0, 0});
    else if (PySlice_Check(o.ptr())) {
      // Bounds beyond int64 clamp, as Python's own sequences do.
      Py_ssize_t start, stop, step;
      py::object st = o.attr("step");
      if (!st.is_none() && PyIndex_Check(st.ptr()) && py::int_(st).equal(py::int_(0)))
        throw InvalidArgument("index: slice step cannot be zero");
      if (PySlice_Unpack(o.ptr(), &start, &stop, &step) < 0) {
        PyErr_Clear();
        throw TypeError("index: slice bounds must be integers or None, got " + std::string(py::str(o)));
      }
      out.push_back({IndexItem::Slice, start, stop, step});
    } else if (PyIndex_Check(o.ptr()) && !PyBool_Check(o.ptr())) {
      int overflow = 0;
      py::int_ i(o);
      long long v = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
      if (overflow)
        throw InvalidArgument("index: index " + std::string(py::str(i)) + " is out of bounds (beyond int64)");
      out.push_back({IndexItem::Int, v, 0, 0});
    }
    else
      throw TypeError("index: only integers, slices (':'), ellipsis ('...') and None (newaxis) are valid "
                      "indices, got " + std::string(py::str(o.get_type().attr("__name__"))));
  }
  return out;
}

// An op attribute of a traced graph as the runtime holds it; `index`: the
// attribute is a tuple of index items (strided_slice's). Throws TypeError for
// anything else, and the graph keeps its Python replay.
graph::Attr graph_attr(py::handle o, bool index) {
  graph::Attr a;
  if (o.is_none()) return a;
  if (index) {
    a.kind = graph::Attr::Index;
    a.index = parse_index(py::reinterpret_borrow<py::tuple>(o));
  } else if (py::isinstance<py::str>(o)) {
    a.kind = graph::Attr::Str, a.s = o.cast<std::string>();
  } else if (py::isinstance<DType>(o)) {
    a.kind = graph::Attr::Int, a.i = static_cast<int64_t>(o.cast<DType>());
  } else if (py::isinstance<Device>(o)) {
    a.kind = graph::Attr::Int, a.i = static_cast<int64_t>(o.cast<Device>());
  } else if (PyFloat_Check(o.ptr())) {
    a.kind = graph::Attr::Float, a.f = o.cast<double>();
  } else if (PyIndex_Check(o.ptr())) {  // a random key may need all 64 bits
    a.kind = graph::Attr::Int;
    int overflow = 0;
    a.i = PyLong_AsLongLongAndOverflow(o.ptr(), &overflow);
    if (overflow > 0) a.i = static_cast<int64_t>(o.cast<uint64_t>());
    else if (overflow < 0) throw TypeError("graph attribute below int64");
  } else if (py::isinstance<py::list>(o) || py::isinstance<py::tuple>(o)) {
    a.kind = graph::Attr::Ints, a.ints = o.cast<std::vector<int64_t>>();
  } else if (py::hasattr(o, "__float__")) {
    a.kind = graph::Attr::Float, a.f = o.cast<double>();
  } else {
    throw TypeError("graph attribute of type " + std::string(py::str(o.get_type().attr("__name__"))));
  }
  return a;
}

}  // namespace

// Built directly: read on every op's Python path, so no list in between.
static py::tuple shape_tuple(const Shape& shape) {
  py::tuple t(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) PyTuple_SET_ITEM(t.ptr(), i, PyLong_FromLongLong(shape[i]));
  return t;
}

// A Python enum of one op table, its values named by the ops' public names.
// Runs fn() with the GIL released when `work` (elements or multiply-adds) is
// large enough for other Python threads to gain from it; small calls, the
// eager op path's usual case, keep it, since releasing and retaking the GIL
// costs more than their arithmetic.
constexpr int64_t kReleaseWork = int64_t{1} << 15;
template <typename Fn>
auto released_if_large(int64_t work, Fn&& fn) {
  if (work < kReleaseWork) return fn();
  py::gil_scoped_release release;
  return fn();
}

// The multiply-adds of a @ b (batch axes of a only: an estimate is enough).
int64_t matmul_work(const Array& a, const Array& b) {
  return b.ndim() ? a.size() * b.shape().back() : 0;
}

template <typename Op>
void def_op_enum(py::module_& m, const char* name) {
  py::enum_<Op> e(m, name);
  for (int i = 0; i < static_cast<int>(Op::Count); ++i) e.value(op_name(static_cast<Op>(i)), static_cast<Op>(i));
}

PYBIND11_MODULE(_core, m) {
  m.doc() = "tensorlet's C++ kernels";
  // The GIL: a kernel that may run long releases it (py::gil_scoped_release),
  // so other Python threads run meanwhile; it touches no Python object while
  // released. Calls that are short by nature (views, settings) keep it, and
  // the ops eager code calls most (elementwise, reductions, matmul) release
  // it only for large operands (released_if_large), since releasing and
  // retaking it costs more than small arithmetic. Each group says which.

  g_invalid_argument = py::reinterpret_borrow<py::object>(PyExc_ValueError);
  g_resource_exhausted = py::reinterpret_borrow<py::object>(PyExc_MemoryError);
  m.def("_set_error_types", [](py::object invalid, py::object exhausted) {
    g_invalid_argument = invalid;
    g_resource_exhausted = exhausted;
  });
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const InvalidArgument& e) {
      PyErr_SetString(g_invalid_argument.ptr(), e.what());
    } catch (const tl::TypeError& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const ResourceExhausted& e) {
      PyErr_SetString(g_resource_exhausted.ptr(), e.what());
    }
  });
  // Drop the Python object when the module is torn down.
  m.add_object("_cleanup", py::capsule([] {
    g_invalid_argument.release().dec_ref();
    g_resource_exhausted.release().dec_ref();
  }));

  py::enum_<DType>(m, "DType")
      .value("bool", DType::Bool)
      .value("int32", DType::Int32)
      .value("int64", DType::Int64)
      .value("float32", DType::Float32)
      .value("float64", DType::Float64)
      .value("float16", DType::Float16)
      .value("bfloat16", DType::BFloat16)
      .value("int8", DType::Int8)
      .value("int16", DType::Int16)
      .value("uint8", DType::UInt8)
      .value("complex64", DType::Complex64)
      .value("complex128", DType::Complex128);

  // Python names the accelerator GPU, as TensorFlow's device strings do.
  py::enum_<Device>(m, "Device").value("CPU", Device::CPU).value("GPU", Device::CUDA);
  m.def("device_available", &device_available, py::arg("device"),
        "Whether this build and this machine can run arrays on `device`");

  // Array's own methods keep the GIL: views and metadata, O(rank) work.
  py::class_<Array>(m, "Array", py::buffer_protocol())
      .def_property_readonly("shape", [](const Array& a) { return shape_tuple(a.shape()); })
      .def("same_shape", [](const Array& a, const Array& b) { return a.shape() == b.shape(); })
      .def_property_readonly("strides", [](const Array& a) { return py::tuple(py::cast(a.strides())); })
      .def_property_readonly("offset", &Array::offset)
      .def_property_readonly("dtype", &Array::dtype)
      // The dtype as a small int: far cheaper than building the enum object.
      .def_property_readonly("dtype_code", [](const Array& a) { return static_cast<int>(a.dtype()); })
      // Dtype and device in one small int (dtype code + 256 * device code): the key of the op
      // path's scalar cache, read once per Python scalar operand.
      .def_property_readonly("kind_code", [](const Array& a) {
        return static_cast<int>(a.dtype()) | (static_cast<int>(a.device()) << 8);
      })
      .def_property_readonly("ndim", &Array::ndim)
      .def_property_readonly("size", &Array::size)
      .def_property_readonly("device", &Array::device)
      .def("is_contiguous", &Array::is_contiguous)
      .def("shares_storage", [](const Array& a, const Array& b) { return a.storage() == b.storage(); })
      .def("reshape", &Array::reshape)
      .def("transpose", &Array::transpose)
      .def("broadcast_to", &Array::broadcast_to)
      .def("expand_dims", &Array::expand_dims)
      .def("squeeze", &Array::squeeze)
      .def("index", [](const Array& a, const py::tuple& items) { return a.index(parse_index(items)); })
      .def("contiguous", &Array::contiguous)
      .def("copy", &Array::copy)
      // Device copies can be large and touch no Python object: the GIL is released.
      .def("to_device", &to_device, py::arg("device"), py::call_guard<py::gil_scoped_release>(),
           "A contiguous copy on `device` (this array when it is already there and contiguous)")
      .def("to_host", &to_host, py::call_guard<py::gil_scoped_release>(),
           "A contiguous copy in host memory (this array when it already is one)")
      .def_buffer(&host_buffer);

  // No device given: the thread's default device (tensorlet.device scopes).
  // Complex arrays stay on the host unless asked otherwise: their kernels are CPU-only.
  m.def("from_numpy", [](py::array a, std::optional<Device> d) {
    return from_numpy(a, d ? *d : a.dtype().kind() == 'c' ? Device::CPU : default_device());
  },
        py::arg("array"), py::arg("device") = py::none(), "Copies a numpy array into a new Array on `device`");
  m.def("take_rows", [](py::array a, const py::array_t<int64_t, py::array::c_style | py::array::forcecast>& index,
                        std::optional<Device> d) {
    return take_rows(a, index, d ? *d : a.dtype().kind() == 'c' ? Device::CPU : default_device());
  },
        py::arg("array"), py::arg("index"), py::arg("device") = py::none(),
        "Rows `index` of a C-contiguous numpy array, copied once into a new Array on `device`");
  m.def("empty", [](const Shape& s, DType t, std::optional<Device> d) {
    return Array::empty(s, t, d ? *d : default_device());
  }, py::arg("shape"), py::arg("dtype"), py::arg("device") = py::none());
  m.def("synchronize", [](Device d) { backend(d).memory.synchronize(); }, py::arg("device"),
        py::call_guard<py::gil_scoped_release>(), "Waits until the device has finished the work queued so far");
  m.def("default_device", &default_device, "The device new arrays without array inputs go to, on this thread");
  m.def("set_default_device", &set_default_device, py::arg("device"));
  // Keep the GIL: casts are mostly of small tensors (Python scalars adopting a
  // tensor's dtype), and copy_into writes a variable in place, which no other
  // thread may see half-written.
  m.def("cast", &cast);
  m.def("index_grad", [](const Array& dy, const Shape& shape, const py::tuple& items) {
    return index_grad(dy, shape, parse_index(items));
  });
  m.def("copy_into", &copy_into, "Writes src, broadcast and converted, into dst (in place)");

  // Elementwise and reduction ops: one function per row of the op tables
  // (ops.h), named by the op's public name.
  def_op_enum<BinaryOp>(m, "BinaryOp");
  def_op_enum<UnaryOp>(m, "UnaryOp");
  def_op_enum<ReduceOp>(m, "ReduceOp");
  // Elementwise ops and reductions release the GIL only for large operands
  // (released_if_large).
  for (int i = 0; i < static_cast<int>(BinaryOp::Count); ++i) {
    const BinaryOp op = static_cast<BinaryOp>(i);
    m.def(op_name(op), [op](const Array& a, const Array& b) {
      return released_if_large(std::max(a.size(), b.size()), [&] { return binary(op, a, b); });
    });
  }
  m.def("binary_into", [](const Array& out, const Array& a, const Array& b, BinaryOp op) {
    binary_into(op, out, a, b);
  }, py::arg("out"), py::arg("a"), py::arg("b"), py::arg("op"), "out = a op b in place");
  m.def("binary_into", [](const Array& out, const Array& a, const Array& b, int op) {
    binary_into(static_cast<BinaryOp>(op), out, a, b);
  }, py::arg("out"), py::arg("a"), py::arg("b"), py::arg("op"), "out = a op b in place; op as its integer code");
  for (int i = 0; i < static_cast<int>(UnaryOp::Count); ++i) {
    const UnaryOp op = static_cast<UnaryOp>(i);
    m.def(op_name(op), [op](const Array& a) { return released_if_large(a.size(), [&] { return unary(op, a); }); });
  }
  for (int i = 0; i < static_cast<int>(ReduceOp::Count); ++i) {
    const ReduceOp op = static_cast<ReduceOp>(i);
    m.def(op_name(op), [op](const Array& a, const std::vector<int64_t>& axes, bool keepdims) {
      return released_if_large(a.size(), [&] { return reduce(op, a, axes, keepdims); });
    });
  }
  // The kernel groups below release the GIL: they may run long.
  m.def("argmax", [](const Array& a, int64_t axis) { return arg_reduce(true, a, axis); }, py::call_guard<py::gil_scoped_release>());
  m.def("argmin", [](const Array& a, int64_t axis) { return arg_reduce(false, a, axis); }, py::call_guard<py::gil_scoped_release>());

  // --- matmul ---
  m.def("matmul", [](const Array& a, const Array& b, bool ta, bool tb) {
    return released_if_large(matmul_work(a, b), [&] { return matmul(a, b, ta, tb); });
  }, py::arg("a"), py::arg("b"), py::arg("transpose_a") = false, py::arg("transpose_b") = false);
  m.def("dense", [](const Array& x, const Array& w, const Array& b, const std::string& act) {
    return released_if_large(matmul_work(x, w), [&] { return dense(x, w, &b, act); });
  });
  m.def("dense", [](const Array& x, const Array& w, const std::string& act) {
    return released_if_large(matmul_work(x, w), [&] { return dense(x, w, nullptr, act); });
  });
  m.def("gemm_blocking", [] {
    const std::vector<int64_t> v = gemm_blocking_info();
    py::dict d;
    d["l1d"] = v[0], d["l2"] = v[1], d["l3"] = v[2];
    d["float32"] = py::make_tuple(v[3], v[4], v[5]), d["float64"] = py::make_tuple(v[6], v[7], v[8]);
    return d;
  }, "The caches (bytes) and the GEMM's (mc, kc, nc) per dtype derived from them");

  // --- nn ---
  m.def("softmax", [](const Array& x, int64_t axis) { return softmax(x, axis, false); }, py::call_guard<py::gil_scoped_release>());
  m.def("log_softmax", [](const Array& x, int64_t axis) { return softmax(x, axis, true); }, py::call_guard<py::gil_scoped_release>());
  m.def("softmax_grad", [](const Array& y, const Array& dy, int64_t axis) { return softmax_grad(y, dy, axis, false); }, py::call_guard<py::gil_scoped_release>());
  m.def("log_softmax_grad", [](const Array& y, const Array& dy, int64_t axis) { return softmax_grad(y, dy, axis, true); }, py::call_guard<py::gil_scoped_release>());
  m.def("relu_grad", &relu_grad, py::call_guard<py::gil_scoped_release>());
  m.def("gelu", &gelu, py::call_guard<py::gil_scoped_release>());
  m.def("gelu_grad", &gelu_grad, py::call_guard<py::gil_scoped_release>());
  m.def("sparse_softmax_cross_entropy_with_logits", &sparse_xent, py::call_guard<py::gil_scoped_release>());
  m.def("sparse_softmax_cross_entropy_with_logits_grad", &sparse_xent_grad, py::call_guard<py::gil_scoped_release>());
  m.def("softmax_cross_entropy_with_logits", &softmax_xent, py::call_guard<py::gil_scoped_release>());
  m.def("softmax_cross_entropy_with_logits_grad", &softmax_xent_grad, py::call_guard<py::gil_scoped_release>());

  // --- array construction and movement ---
  // Creation ops make their result on `device`; none given: the thread's
  // default device (tensorlet.device scopes). fill's value (often a cached
  // scalar) joins that device first.
  m.def("fill", [](const Shape& s, const Array& v, DType t, std::optional<Device> d) {
    return fill(s, to_device(v, d ? *d : default_device()), t);
  }, py::arg("shape"), py::arg("value"), py::arg("dtype"), py::arg("device") = py::none(),
        py::call_guard<py::gil_scoped_release>());
  m.def("arange", [](double a, double b, double d, DType t, std::optional<Device> dev) {
    return arange(a, b, d, t, dev ? *dev : default_device());
  }, py::arg("start"), py::arg("limit"), py::arg("delta"), py::arg("dtype"), py::arg("device") = py::none(),
        py::call_guard<py::gil_scoped_release>());
  m.def("eye", [](int64_t n, int64_t k, DType t, std::optional<Device> d) {
    return eye(n, k, t, d ? *d : default_device());
  }, py::arg("n"), py::arg("m"), py::arg("dtype"), py::arg("device") = py::none(),
        py::call_guard<py::gil_scoped_release>());
  m.def("concat", &concat, py::call_guard<py::gil_scoped_release>());
  m.def("stack", &stack, py::call_guard<py::gil_scoped_release>());
  m.def("gather", &gather, py::call_guard<py::gil_scoped_release>());
  m.def("gather_grad", &gather_grad, py::call_guard<py::gil_scoped_release>());
  m.def("one_hot", &one_hot, py::call_guard<py::gil_scoped_release>());
  m.def("where", &where, py::call_guard<py::gil_scoped_release>());
  m.def("clip", &clip, py::call_guard<py::gil_scoped_release>());

  // --- random ---
  // random_bits is a host helper (small streams for shuffles): it keeps the GIL.
  m.def("random_bits", &random_bits);
  m.def("random_uniform", [](const Shape& s, double a, double b, DType t, uint64_t seed, uint64_t c, std::optional<Device> d) {
    return random_uniform(s, a, b, t, seed, c, d ? *d : default_device());
  }, py::arg("shape"), py::arg("minval"), py::arg("maxval"), py::arg("dtype"), py::arg("seed"), py::arg("counter"),
        py::arg("device") = py::none(), py::call_guard<py::gil_scoped_release>());
  m.def("random_uniform_int", [](const Shape& s, int64_t a, int64_t b, DType t, uint64_t seed, uint64_t c, std::optional<Device> d) {
    return random_uniform_int(s, a, b, t, seed, c, d ? *d : default_device());
  }, py::arg("shape"), py::arg("minval"), py::arg("maxval"), py::arg("dtype"), py::arg("seed"), py::arg("counter"),
        py::arg("device") = py::none(), py::call_guard<py::gil_scoped_release>());
  m.def("random_normal", [](const Shape& s, double a, double b, DType t, uint64_t seed, uint64_t c, std::optional<Device> d) {
    return random_normal(s, a, b, t, seed, c, d ? *d : default_device());
  }, py::arg("shape"), py::arg("mean"), py::arg("stddev"), py::arg("dtype"), py::arg("seed"), py::arg("counter"),
        py::arg("device") = py::none(), py::call_guard<py::gil_scoped_release>());
  m.def("truncated_normal", [](const Shape& s, double a, double b, DType t, uint64_t seed, uint64_t c, std::optional<Device> d) {
    return truncated_normal(s, a, b, t, seed, c, d ? *d : default_device());
  }, py::arg("shape"), py::arg("mean"), py::arg("stddev"), py::arg("dtype"), py::arg("seed"), py::arg("counter"),
        py::arg("device") = py::none(), py::call_guard<py::gil_scoped_release>());

  // --- training (optimizer updates) ---
  // In place on the variable's and slots' storage; None for a slot that is off.
  // The GIL is released like any long kernel: every check runs (and may throw)
  // before the first write.
  m.def("apply_sgd", &apply_sgd, py::arg("var"), py::arg("mom").none(true), py::arg("grad"), py::arg("lr"), py::arg("momentum"), py::arg("nesterov"), py::arg("weight_decay"), py::call_guard<py::gil_scoped_release>());
  m.def("apply_rmsprop", &apply_rmsprop, py::arg("var"), py::arg("ms"), py::arg("mom").none(true), py::arg("mg").none(true), py::arg("grad"), py::arg("lr"), py::arg("rho"), py::arg("momentum"), py::arg("epsilon"), py::arg("weight_decay"), py::call_guard<py::gil_scoped_release>());
  m.def("apply_adam", &apply_adam, py::arg("var"), py::arg("m"), py::arg("v"), py::arg("v_hat").none(true), py::arg("grad"), py::arg("lr"), py::arg("beta_1"), py::arg("beta_2"), py::arg("epsilon"), py::arg("step"), py::arg("weight_decay"), py::call_guard<py::gil_scoped_release>());
  m.def("apply_adagrad", &apply_adagrad, py::arg("var"), py::arg("acc"), py::arg("grad"), py::arg("lr"), py::arg("epsilon"), py::arg("weight_decay"), py::call_guard<py::gil_scoped_release>());

  // --- tensorlet.function's graph runtime (csrc/graph/) ---
  // A node: (op, inputs, attrs, slot_attrs, output, seeded, copy, mutates); output is a list of
  // slots for a multi-output op.
  // run() releases the GIL for the whole call.
  m.def("graph_supports", &graph::supports, py::arg("op"), "Whether the C++ graph runtime runs `op`");
  py::class_<graph::Plan>(m, "GraphPlan")
      .def(py::init([](int num_slots, const py::list& nodes, std::vector<std::pair<int, Array>> constants,
                       std::vector<int> args, std::vector<int> vars, std::vector<int> outputs) {
        std::vector<graph::NodeSpec> specs;
        for (auto h : nodes) {
          auto t = py::reinterpret_borrow<py::tuple>(h);
          graph::NodeSpec n;
          n.op = t[0].cast<std::string>();
          n.inputs = t[1].cast<std::vector<int>>();
          auto attrs = py::reinterpret_borrow<py::sequence>(t[2]);
          const bool index = n.op == "strided_slice" || n.op == "strided_slice_grad";
          for (size_t i = 0; i < attrs.size(); ++i) n.attrs.push_back(graph_attr(attrs[i], index && i + 1 == attrs.size()));
          n.slot_attrs = t[3].cast<std::vector<std::pair<int, int>>>();
          if (py::isinstance<py::int_>(t[4])) {
            n.output = t[4].cast<int>();
          } else {  // a multi-output op: its output slots
            n.outputs = t[4].cast<std::vector<int>>();
            n.output = n.outputs.empty() ? -1 : n.outputs[0];
          }
          n.seeded = t[5].cast<bool>(), n.copy = t[6].cast<bool>(), n.mutates = t[7].cast<bool>();
          specs.push_back(std::move(n));
        }
        return std::make_unique<graph::Plan>(num_slots, std::move(specs), std::move(constants), std::move(args),
                                             std::move(vars), std::move(outputs));
      }), py::arg("num_slots"), py::arg("nodes"), py::arg("constants"), py::arg("args"), py::arg("vars"),
           py::arg("outputs"))
      .def("run", &graph::Plan::run, py::arg("args"), py::arg("vars"), py::arg("seeds"),
           py::call_guard<py::gil_scoped_release>(), "Runs the graph; returns the output arrays")
      .def("stats", [](const graph::Plan& p) {
        graph::PlanStats s = p.stats();
        py::dict d;
        d["nodes"] = s.nodes, d["fused"] = s.fused, d["folded"] = s.folded, d["into"] = s.into, d["buffers"] = s.buffers;
        d["buffer_bytes"] = s.buffer_bytes, d["runs"] = s.runs;
        return d;
      })
      .def("describe", &graph::Plan::describe);

  // --- variables ---
  // The tape's float test on every recorded tensor: cheaper than building a DType object.
  m.def("is_floating", [](const Array& a) { return is_floating(a.dtype()); });

  // --- complex numbers (host only) ---
  m.def("real", [](const Array& a) { return complex_part(a, ComplexPart::Real); });
  m.def("imag", [](const Array& a) { return complex_part(a, ComplexPart::Imag); });
  m.def("angle", [](const Array& a) { return complex_part(a, ComplexPart::Angle); });
  m.def("conj", [](const Array& a) { return complex_part(a, ComplexPart::Conj); });
  m.def("complex", &make_complex);

  // Runtime settings and queries: short, they keep the GIL.
  m.def("isa", [] { return std::string(isa().name); }, "The vector instruction set in use");
  m.def("get_num_threads", &num_threads);
  m.def("set_num_threads", &set_num_threads);
  // For tests of the thread pool: chunk coverage, exceptions, back-to-back calls.
  m.def("parallel_selftest", &parallel_selftest, py::arg("n"), py::arg("work"), py::arg("fail_at") = -1,
        py::arg("repeats") = 1, py::call_guard<py::gil_scoped_release>());
  m.def("has_openmp", [] {
#if defined(TL_HAVE_OPENMP)
    return true;
#else
    return false;
#endif
  });
  m.def("cuda_device_count", [] { return device_available(Device::CUDA) ? 1 : 0; });
  m.def("host_memory_info", [] {
    HostMemoryInfo i = host_memory_info();
    py::dict d;
    d["current"] = i.current;
    d["peak"] = i.peak;
    d["cached"] = i.cached;
    d["cache_limit"] = i.cache_limit;
    d["allocations"] = i.allocations;
    return d;
  }, "Bytes held by arrays now and at peak, and bytes cached for reuse");
  m.def("reset_host_peak", &reset_host_peak);
  m.def("empty_host_cache", &empty_host_cache);

  // The GPU: memory of the caching allocator, TensorFloat-32 matmuls.
#if defined(TL_HAVE_CUDA)
  m.def("gpu_memory_info", [] {
    if (!device_available(Device::CUDA)) backend(Device::CUDA);  // throws: no GPU
    CudaMemoryInfo i = cuda_memory_info();
    py::dict d;
    d["current"] = i.current;
    d["peak"] = i.peak;
    d["cached"] = i.cached;
    d["reused"] = i.reused;
    return d;
  }, "Bytes held by GPU arrays now and at peak, bytes cached for reuse, allocations served from the cache");
  m.def("reset_gpu_peak", &cuda_reset_peak);
  m.def("empty_gpu_cache", &cuda_empty_cache);
  m.def("gpu_name", [] { return cuda_device_name(0); });
  m.def("set_tensor_float_32", &cuda_set_tf32, py::arg("enabled"));
  m.def("tensor_float_32", &cuda_tf32);
  m.def("set_gemm_kernel", &cuda_set_gemm_kernel, py::arg("name"),
        "The float32 GEMM kernels on the GPU: 'blocked' (default) or 'tiled' (TL_CUDA_GEMM sets it at start)");
  m.def("gemm_kernel", &cuda_gemm_kernel);
#else
  m.def("gpu_memory_info", [] { backend(Device::CUDA); return py::dict(); });  // throws: no CUDA
  m.def("reset_gpu_peak", [] {});
  m.def("empty_gpu_cache", [] {});
  m.def("gpu_name", [] { return std::string(); });
  static bool tf32 = false;  // remembered, though no GPU reads it
  m.def("set_tensor_float_32", [](bool e) { tf32 = e; }, py::arg("enabled"));
  m.def("tensor_float_32", [] { return tf32; });
  static std::string gemm = "blocked";  // likewise
  m.def("set_gemm_kernel", [](const std::string& name) {
    if (name != "blocked" && name != "tiled")
      throw InvalidArgument("set_gemm_kernel: the GEMM kernel is 'blocked' or 'tiled'; got '" + name + "'");
    gemm = name;
  }, py::arg("name"));
  m.def("gemm_kernel", [] { return gemm; });
#endif

  // --- convolutions, pooling, batch normalization ---
  // padding: "SAME", "VALID", or explicit (top, bottom, left, right) pads.
  using Ints = std::vector<int64_t>;
  // TF's padding argument: 'SAME' / 'VALID', or explicit (before, after) ints ("EXPLICIT" and pads).
  auto conv_pad = [](const py::object& padding, Ints* pads, const char* op) {
    if (py::isinstance<py::str>(padding)) return padding.cast<std::string>();
    try {
      *pads = padding.cast<Ints>();
    } catch (const py::cast_error&) {
      throw TypeError(std::string(op) + ": padding must be 'SAME', 'VALID' or a list of ints, got " +
                      std::string(py::repr(padding)));
    }
    return std::string("EXPLICIT");
  };
  m.def("conv2d", [conv_pad](const Array& x, const Array& w, const Ints& strides, const py::object& padding, const Ints& dilations, int64_t groups, const std::string& fmt) {
    Ints pads;
    std::string p = conv_pad(padding, &pads, "conv2d");
    py::gil_scoped_release nogil;
    return conv2d(x, w, strides, p, pads, dilations, groups, fmt);
  });
  m.def("fused_conv2d", [conv_pad](const Array& x, const Array& w, const Array& b, const Ints& strides, const py::object& padding, const Ints& dilations, int64_t groups, const std::string& fmt, const std::string& act) {
    Ints pads;
    std::string p = conv_pad(padding, &pads, "fused_conv2d");
    py::gil_scoped_release nogil;
    return conv2d(x, w, strides, p, pads, dilations, groups, fmt, &b, act);
  });
  m.def("conv2d_backprop_input", [conv_pad](const Array& w, const Array& dy, const Ints& input_shape, const Ints& strides, const py::object& padding, const Ints& dilations, int64_t groups, const std::string& fmt) {
    Ints pads;
    std::string p = conv_pad(padding, &pads, "conv2d_backprop_input");
    py::gil_scoped_release nogil;
    return conv2d_backprop_input(input_shape, w, dy, strides, p, pads, dilations, groups, fmt);
  });
  m.def("conv2d_backprop_filter", [conv_pad](const Array& x, const Array& dy, const Ints& filter_shape, const Ints& strides, const py::object& padding, const Ints& dilations, int64_t groups, const std::string& fmt) {
    Ints pads;
    std::string p = conv_pad(padding, &pads, "conv2d_backprop_filter");
    py::gil_scoped_release nogil;
    return conv2d_backprop_filter(x, filter_shape, dy, strides, p, pads, dilations, groups, fmt);
  });
  m.def("conv3d", [conv_pad](const Array& x, const Array& w, const Ints& strides, const py::object& padding, const Ints& dilations, int64_t groups, const std::string& fmt) {
    Ints pads;
    std::string p = conv_pad(padding, &pads, "conv3d");
    py::gil_scoped_release nogil;
    return conv3d(x, w, strides, p, pads, dilations, groups, fmt);
  });
  m.def("conv3d_backprop_input", [conv_pad](const Array& w, const Array& dy, const Ints& input_shape, const Ints& strides, const py::object& padding, const Ints& dilations, int64_t groups, const std::string& fmt) {
    Ints pads;
    std::string p = conv_pad(padding, &pads, "conv3d_backprop_input");
    py::gil_scoped_release nogil;
    return conv3d_backprop_input(input_shape, w, dy, strides, p, pads, dilations, groups, fmt);
  });
  m.def("conv3d_backprop_filter", [conv_pad](const Array& x, const Array& dy, const Ints& filter_shape, const Ints& strides, const py::object& padding, const Ints& dilations, int64_t groups, const std::string& fmt) {
    Ints pads;
    std::string p = conv_pad(padding, &pads, "conv3d_backprop_filter");
    py::gil_scoped_release nogil;
    return conv3d_backprop_filter(x, filter_shape, dy, strides, p, pads, dilations, groups, fmt);
  });
  m.def("max_pool2d", [](const Array& x, const Ints& k, const Ints& s, const std::string& p, const std::string& f) { return pool2d(x, true, k, s, p, f); }, py::call_guard<py::gil_scoped_release>());
  m.def("avg_pool2d", [](const Array& x, const Ints& k, const Ints& s, const std::string& p, const std::string& f) { return pool2d(x, false, k, s, p, f); }, py::call_guard<py::gil_scoped_release>());
  m.def("max_pool2d_grad", &max_pool2d_grad, py::call_guard<py::gil_scoped_release>());
  m.def("max_pool2d_grad_grad", &max_pool2d_grad_grad, py::call_guard<py::gil_scoped_release>());
  m.def("avg_pool2d_grad", [](const Array& dy, const Ints& input_shape, const Ints& k, const Ints& s, const std::string& p, const std::string& f) { return avg_pool2d_grad(input_shape, dy, k, s, p, f); }, py::call_guard<py::gil_scoped_release>());
  m.def("max_pool3d", [](const Array& x, const Ints& k, const Ints& s, const std::string& p, const std::string& f) { return pool3d(x, true, k, s, p, f); }, py::call_guard<py::gil_scoped_release>());
  m.def("avg_pool3d", [](const Array& x, const Ints& k, const Ints& s, const std::string& p, const std::string& f) { return pool3d(x, false, k, s, p, f); }, py::call_guard<py::gil_scoped_release>());
  m.def("max_pool3d_grad", &max_pool3d_grad, py::call_guard<py::gil_scoped_release>());
  m.def("max_pool3d_grad_grad", &max_pool3d_grad_grad, py::call_guard<py::gil_scoped_release>());
  m.def("avg_pool3d_grad", [](const Array& dy, const Ints& input_shape, const Ints& k, const Ints& s, const std::string& p, const std::string& f) { return avg_pool3d_grad(input_shape, dy, k, s, p, f); }, py::call_guard<py::gil_scoped_release>());
  m.def("batch_norm_stats", &batch_norm_stats, py::call_guard<py::gil_scoped_release>());
  m.def("batch_norm_apply", &batch_norm_apply, py::call_guard<py::gil_scoped_release>());
  m.def("channel_affine", &channel_affine, py::call_guard<py::gil_scoped_release>());
  m.def("batch_norm_grad_sums", &batch_norm_grad_sums, py::call_guard<py::gil_scoped_release>());
  m.def("batch_norm_train", &batch_norm_train, py::call_guard<py::gil_scoped_release>());
  m.def("batch_norm_train_grad", &batch_norm_train_grad, py::arg("dy"), py::arg("x"), py::arg("mean"),
        py::arg("variance"), py::arg("scale"), py::arg("dmean").none(true), py::arg("dvar").none(true),
        py::arg("epsilon"), py::arg("axis"), py::call_guard<py::gil_scoped_release>());
  m.def("rnn_sequence", [](const Array& x, const Array& w, const Array& r, const Array& b, const Array& mask, const Array& h0, const Array& c0, const std::string& kind) { return rnn_sequence(kind, x, w, r, b, mask, h0, &c0); }, py::call_guard<py::gil_scoped_release>());
  m.def("rnn_sequence", [](const Array& x, const Array& w, const Array& r, const Array& b, const Array& mask, const Array& h0, const std::string& kind) { return rnn_sequence(kind, x, w, r, b, mask, h0, nullptr); }, py::call_guard<py::gil_scoped_release>());
  m.def("rnn_sequence_grad", [](const Array& dy, const Array& out, const Array& x, const Array& w, const Array& r, const Array& mask, const Array& h0, const Array& c0, const std::string& kind) { return rnn_sequence_grad(kind, dy, out, x, w, r, mask, h0, &c0); }, py::call_guard<py::gil_scoped_release>());
  m.def("rnn_sequence_grad", [](const Array& dy, const Array& out, const Array& x, const Array& w, const Array& r, const Array& mask, const Array& h0, const std::string& kind) { return rnn_sequence_grad(kind, dy, out, x, w, r, mask, h0, nullptr); }, py::call_guard<py::gil_scoped_release>());
}
