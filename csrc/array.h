// Array: reference-counted storage plus shape, strides (in elements), offset,
// dtype and device. Views share storage; kernels accept any strides.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dtype.h"

namespace tl {

using Shape = std::vector<int64_t>;

enum class Device : uint8_t { CPU = 0, CUDA = 1 };

// One allocation. Freed when the last Array viewing it goes away.
struct Storage {
  void* ptr = nullptr;
  int64_t nbytes = 0;
  size_t capacity = 0;  // what the allocator handed out (a size class)
  Device device = Device::CPU;
  Storage(int64_t nbytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

// The element count, or InvalidArgument naming `op` when it overflows int64.
int64_t numel(const Shape& shape, const char* op = "shape");
Shape contiguous_strides(const Shape& shape);
std::string shape_str(const Shape& shape);  // "(2, 3)"
// Normalises a possibly negative axis, or throws naming the op.
int64_t normalize_axis(int64_t axis, int64_t ndim, const char* op);
// numpy broadcasting of two shapes, or throws naming the op and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

// One item of a basic index: an integer, a slice, a new axis or an ellipsis.
struct IndexItem {
  enum Kind : uint8_t { Int, Slice, NewAxis, Ellipsis } kind;
  // Slice bounds as PySlice_Unpack gives them: omitted ones already replaced
  // by the extreme that means "from the end" for the step's sign.
  int64_t start, stop, step;
};

class Array {
 public:
  Array() = default;
  static Array empty(const Shape& shape, DType dtype, Device device = Device::CPU);

  const Shape& shape() const { return shape_; }
  const Shape& strides() const { return strides_; }
  int64_t offset() const { return offset_; }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_ ? storage_->device : Device::CPU; }
  int64_t ndim() const { return static_cast<int64_t>(shape_.size()); }
  // Every array's element count fits in int64 (checked where its shape was
  // made), so no checks: this is on every op's path. Unsigned, so a zero-size
  // shape with huge other dims stays defined.
  int64_t size() const {
    uint64_t n = 1;
    for (int64_t s : shape_) n *= static_cast<uint64_t>(s);
    return static_cast<int64_t>(n);
  }
  int64_t itemsize() const { return tl::itemsize(dtype_); }
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const { return storage_; }

  void* raw() const { return static_cast<char*>(storage_->ptr) + offset_ * itemsize(); }
  template <typename T> T* data() const { return static_cast<T*>(storage_->ptr) + offset_; }

  // Views (no copy). reshape copies only when the data is not contiguous.
  Array view(Shape shape, Shape strides, int64_t offset) const;
  Array reshape(const Shape& shape) const;
  Array transpose(const std::vector<int64_t>& perm) const;
  Array broadcast_to(const Shape& shape) const;
  Array expand_dims(int64_t axis) const;
  Array squeeze(const std::vector<int64_t>& axes) const;  // empty: all size-1 axes
  Array index(const std::vector<IndexItem>& items) const;

  Array contiguous() const;  // this array when already contiguous
  Array copy() const;        // always a new contiguous buffer

 private:
  std::shared_ptr<Storage> storage_;
  Shape shape_, strides_;
  int64_t offset_ = 0;
  DType dtype_ = DType::Float32;
};

// Zeros of `shape` with dy written into the view `items` selects (the
// gradient of basic indexing).
Array index_grad(const Array& dy, const Shape& shape, const std::vector<IndexItem>& items);

// Writes src (broadcast to dst's shape, converted to dst's dtype) into dst.
void copy_into(const Array& dst, const Array& src);
Array cast(const Array& a, DType dtype);
// `a` in its compute dtype (dtype.h): float32 for float16/bfloat16, int32
// for int8/int16/uint8, `a` itself otherwise. Lossless.
inline Array widen(const Array& a) { return cast(a, compute_dtype(a.dtype())); }
// A kernel's result `r`, computed from inputs of the narrow dtype `storage`,
// stored back in it when r came out in storage's compute dtype (a bool or
// int64 result stays as it is).
inline Array narrow(const Array& r, DType storage) {
  return r.dtype() == compute_dtype(storage) ? cast(r, storage) : r;
}
// A 0-d array holding `value` converted to dtype, on `device`.
Array scalar(double value, DType dtype, Device device);
// `shape` filled with `value` converted to dtype, on `device`.
Array full(const Shape& shape, double value, DType dtype, Device device);

}  // namespace tl
