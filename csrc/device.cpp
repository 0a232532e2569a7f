// The device table: the CPU backend is always there; the GPU's is filled by
// cuda/ when this build has it. Storage allocates and frees through the
// memory slots of its device, and to_device moves bytes between devices.
#include "device.h"

#include <cstring>

#include "allocator.h"
#include "cpu_kernels.h"

namespace tl {

const char* device_name(Device d) { return d == Device::CPU ? "CPU" : "GPU"; }

namespace {

void host_copy(void* dst, const void* src, size_t bytes) { std::memcpy(dst, src, bytes); }
void host_synchronize() {}

DeviceBackend make_cpu() {
  DeviceBackend b;
  b.available = true;
  b.memory = {&host_alloc, &host_free, &host_copy, &host_copy, &host_copy, &host_synchronize};
  fill_cpu_kernels(&b.kernels);
  return b;
}

DeviceBackend make_gpu() {
  DeviceBackend b;
#if defined(TL_HAVE_CUDA)
  cuda_fill_backend(&b);
#endif
  return b;
}

// The CPU's table is filled as the library loads (function addresses only),
// so the hot path reads it without a guard; the GPU's on first use, since
// probing for a GPU starts the CUDA runtime. Neither is ever torn down:
// Arrays freed at exit still find their device's free slot.
const DeviceBackend g_cpu = make_cpu();

const DeviceBackend& gpu() {
  static const DeviceBackend b = make_gpu();
  return b;
}

[[noreturn]] void unavailable(Device d) {
#if defined(TL_HAVE_CUDA)
  const char* why = "no CUDA GPU was found on this machine";
#else
  const char* why = "this build of tensorlet was compiled without CUDA";
#endif
  throw InvalidArgument(std::string("device ") + device_name(d) + " is not available: " + why);
}

}  // namespace

bool device_available(Device d) {
  if (d == Device::CPU) return true;
  return d == Device::CUDA && gpu().available;
}

const DeviceBackend& backend(Device d) {
  if (d == Device::CPU) return g_cpu;
  if (!device_available(d)) unavailable(d);
  return gpu();
}

void throw_not_implemented(const char* op, Device d) {
  throw InvalidArgument(std::string(op) + ": not implemented on " + device_name(d));
}

void throw_device_mismatch(const char* op, const Array& a, const Array& b) {
  throw InvalidArgument(std::string(op) + ": operands are on different devices (" + device_name(a.device()) +
                        " and " + device_name(b.device()) + "); move one with to_device first");
}

Storage::Storage(int64_t n, Device dev) : nbytes(n), device(dev) {
  // Never a null pointer, even for empty arrays, so views and the buffer
  // protocol need no special case.
  ptr = backend(dev).memory.alloc(static_cast<size_t>(n), &capacity);
}

// The device was available when this storage was made, so no check here.
Storage::~Storage() { (device == Device::CPU ? g_cpu : gpu()).memory.free(ptr, capacity); }

Array to_device(const Array& a, Device d) {
  if (a.device() == d) return a.contiguous();
  const DeviceBackend& dst = backend(d);
  Array src = a.contiguous();  // on a's device
  Array out = Array::empty(a.shape(), a.dtype(), d);
  const size_t bytes = static_cast<size_t>(out.size() * out.itemsize());
  if (bytes == 0) return out;
  if (a.device() == Device::CPU) {
    dst.memory.from_host(out.raw(), src.raw(), bytes);
  } else if (d == Device::CPU) {
    backend(a.device()).memory.to_host(out.raw(), src.raw(), bytes);
  } else {
    return to_device(to_host(src), d);  // between two accelerators: through the host
  }
  return out;
}

Array from_host(const void* host, const Shape& shape, DType dtype, Device d) {
  Array out = Array::empty(shape, dtype, d);
  const size_t bytes = static_cast<size_t>(out.size() * out.itemsize());
  if (bytes) backend(d).memory.from_host(out.raw(), host, bytes);
  return out;
}

}  // namespace tl
