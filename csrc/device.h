// The device seam. Every kernel entry point (binary, reduce, matmul, ...) is
// split in two: a device-neutral part that checks its arguments, works out
// the output's shape and dtype and allocates it on the inputs' device, and a
// per-device implementation that only computes, writing into that output.
// The implementations of one device are a DeviceKernels table, filled once
// (the CPU's from the existing loops, CUDA's from cuda/ when it was built and
// a GPU is present). A null slot means "not implemented on this device", and
// kernel() turns it into an error that names the op and the device.
//
// Conventions for every slot:
// - All arrays are on the table's device and were validated by the caller:
//   shapes agree, dtypes are the ones the op accepts, sizes are non-zero
//   (empty outputs, and empty inputs of a non-empty output, never reach a
//   slot: the neutral part fills those results itself).
// - Outputs come first, are freshly allocated (contiguous) unless the slot
//   says otherwise, and are written completely.
// - Inputs may be strided views, including broadcast views (stride 0).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "array.h"
#include "ops.h"

namespace tl {

struct ConvGeom;  // conv.h

const char* device_name(Device d);  // "CPU", "GPU"

// Memory of one device. Copies are synchronous from the host's point of view:
// to_host returns once the bytes are on the host (a GPU waits for its stream).
struct DeviceMemory {
  void* (*alloc)(size_t bytes, size_t* capacity);  // never null; throws std::bad_alloc
  void (*free)(void* ptr, size_t capacity);
  void (*to_host)(void* host_dst, const void* src, size_t bytes);
  void (*from_host)(void* dst, const void* host_src, size_t bytes);
  void (*copy)(void* dst, const void* src, size_t bytes);  // within the device
  void (*synchronize)();
};

struct DeviceKernels {
  // ---- elementwise (elementwise.cpp) ----
  // a and b each have out's shape (broadcast views where the caller's
  // operands differed) or are a single element (size 1, any rank up to
  // out's: a scalar to broadcast, passed without a view because
  // `tensor * 2.0` is common); out's dtype is
  // binary_result_dtype(op, a.dtype()); the scalar
  // formula is binary_formula<op> (formulas.h). out may alias a or b element
  // for element (in-place updates) and may be strided (binary_into).
  void (*binary)(BinaryOp op, const Array& out, const Array& a, const Array& b);
  // out (contiguous) has a's shape and dtype; the formula is unary_formula<op>.
  void (*unary)(UnaryOp op, const Array& out, const Array& a);
  // out = src converted to out's dtype; src has out's shape (a broadcast view
  // where needed) and out may be any strided view (copy_into, cast,
  // contiguous, fill, eye, concat, index_grad, zeros).
  void (*copy)(const Array& out, const Array& src);
  // cond (bool), a, b broadcast to out's shape.
  void (*where)(const Array& out, const Array& cond, const Array& a, const Array& b);
  // x, lo, hi broadcast to out's shape.
  void (*clip)(const Array& out, const Array& x, const Array& lo, const Array& hi);

  // ---- reductions (reduce.cpp) ----
  // reduced[i] marks the axes of a to reduce. out is contiguous and holds
  // the results in the order of a's other axes (with or without size-1
  // reduced axes, as keepdims asked: the layout is the same either way). The
  // policy is ReducePolicy<op, T> (formulas.h).
  void (*reduce)(ReduceOp op, const Array& out, const Array& a, const std::vector<bool>& reduced);
  // out (int64) has a's shape without `axis`; a's extent on axis is non-zero.
  void (*arg_reduce)(bool is_max, const Array& out, const Array& a, int64_t axis);

  // ---- matmul (matmul.cpp) ----
  // out[..., m, n] = a[..., m, k] @ b[..., k, n]; a and b are already
  // transposed views and broadcast over out's leading axes.
  void (*matmul)(const Array& out, const Array& a, const Array& b);
  // out (m, n) = act(x (m, k) @ w (k, n) + bias (n,)); bias may be null;
  // act 0 linear, 1 relu.
  void (*dense)(const Array& out, const Array& x, const Array& w, const Array* bias, int act);

  // ---- nn (nn.cpp) ----
  // axis is normalised (0 <= axis < rank); out and dx have x's / y's shape.
  void (*softmax)(const Array& out, const Array& x, int64_t axis, bool log);
  void (*softmax_grad)(const Array& dx, const Array& y, const Array& dy, int64_t axis, bool log);
  void (*relu_grad)(const Array& dx, const Array& x, const Array& dy);
  void (*gelu)(const Array& out, const Array& x, bool approximate);
  void (*gelu_grad)(const Array& dx, const Array& x, const Array& dy, bool approximate);
  // logits (N, C); labels (N,) int32/int64, already checked to lie in [0, C).
  void (*sparse_xent)(const Array& loss, const Array& logits, const Array& labels);
  void (*sparse_xent_grad)(const Array& dlogits, const Array& logits, const Array& labels, const Array& dloss);
  void (*softmax_xent)(const Array& loss, const Array& logits, const Array& labels);
  void (*softmax_xent_grad)(const Array& dlogits, const Array& logits, const Array& labels, const Array& dloss);

  // ---- array construction and movement (array_ops.cpp) ----
  // out (1-D) = start + i * delta.
  void (*arange)(const Array& out, double start, double delta);
  // indices checked to lie in [0, params.shape[axis]).
  void (*gather)(const Array& out, const Array& params, const Array& indices, int64_t axis);
  // out (params' shape) = zeros with dy's slices added at their indices (the
  // slot writes the zeros too); indices checked like gather's.
  void (*gather_grad)(const Array& out, const Array& dy, const Array& indices, int64_t axis);
  // axis is where depth sits in out (0 <= axis <= indices' rank).
  void (*one_hot)(const Array& out, const Array& indices, double on, double off, int64_t axis);

  // ---- random (random.cpp): Philox-4x32-10, the same stream on every device ----
  void (*random_uniform)(const Array& out, double minval, double maxval, uint64_t seed, uint64_t counter);
  void (*random_uniform_int)(const Array& out, int64_t minval, int64_t maxval, uint64_t seed, uint64_t counter);
  void (*random_normal)(const Array& out, double mean, double stddev, uint64_t seed, uint64_t counter);
  void (*truncated_normal)(const Array& out, double mean, double stddev, uint64_t seed, uint64_t counter);

  // ---- optimizer updates (training.cpp), in place, operands contiguous;
  // grad never shares memory with a state (the caller copies it first) ----
  void (*apply_sgd)(const Array& var, const Array* mom, const Array& grad, double lr, double momentum,
                    bool nesterov, double weight_decay);
  void (*apply_rmsprop)(const Array& var, const Array& ms, const Array* mom, const Array* mg, const Array& grad,
                        double lr, double rho, double momentum, double epsilon, double weight_decay);
  void (*apply_adam)(const Array& var, const Array& m, const Array& v, const Array* vhat, const Array& grad,
                     double lr, double beta_1, double beta_2, double epsilon, int64_t step, double weight_decay);
  void (*apply_adagrad)(const Array& var, const Array& acc, const Array& grad, double lr, double epsilon,
                        double weight_decay);

  // ---- conv (conv.cpp) ----
  // NHWC, operands contiguous; g (conv.h) holds the checked geometry. bias
  // (g.o values) may be null; act 0 linear, 1 relu.
  void (*conv2d)(const Array& out, const Array& x, const Array& filter, const Array* bias, int act,
                 const ConvGeom& g);
  void (*conv2d_backprop_input)(const Array& dx, const Array& filter, const Array& dy, const ConvGeom& g);
  void (*conv2d_backprop_filter)(const Array& dw, const Array& x, const Array& dy, const ConvGeom& g);
  // 3-D (NDHWC): the same contracts, g with a depth.
  void (*conv3d)(const Array& out, const Array& x, const Array& filter, const Array* bias, int act,
                 const ConvGeom& g);
  void (*conv3d_backprop_input)(const Array& dx, const Array& filter, const Array& dy, const ConvGeom& g);
  void (*conv3d_backprop_filter)(const Array& dw, const Array& x, const Array& dy, const ConvGeom& g);

  // ---- pooling (pool.cpp): NHWC, operands contiguous, g.o == g.c ----
  void (*pool2d)(const Array& out, const Array& x, bool is_max, const ConvGeom& g);
  void (*max_pool2d_grad)(const Array& dx, const Array& x, const Array& dy, const ConvGeom& g);
  void (*max_pool2d_grad_grad)(const Array& ddy, const Array& x, const Array& ddx, const ConvGeom& g);
  void (*avg_pool2d_grad)(const Array& dx, const Array& dy, const ConvGeom& g);
  // 3-D (NDHWC): the same contracts, g with a depth.
  void (*pool3d)(const Array& out, const Array& x, bool is_max, const ConvGeom& g);
  void (*max_pool3d_grad)(const Array& dx, const Array& x, const Array& dy, const ConvGeom& g);
  void (*max_pool3d_grad_grad)(const Array& ddy, const Array& x, const Array& ddx, const ConvGeom& g);
  void (*avg_pool3d_grad)(const Array& dx, const Array& dy, const ConvGeom& g);

  // ---- batch normalization (batchnorm.cpp) ----
  // Operands contiguous, x viewed as (outer, c, inner) around the channel
  // axis (outer * inner > 0 for the statistics); vectors have c values,
  // stats/sums are (2, c).
  void (*batch_norm_stats)(const Array& stats, const Array& x, int64_t outer, int64_t c, int64_t inner);
  void (*batch_norm_apply)(const Array& y, const Array& x, const Array& mean, const Array& var, const Array& scale,
                           const Array& offset, double epsilon, int64_t outer, int64_t c, int64_t inner);
  void (*channel_affine)(const Array& y, const Array& x, const Array& a, const Array& b, int64_t outer, int64_t c,
                         int64_t inner);
  void (*batch_norm_grad_sums)(const Array& sums, const Array& dy, const Array& x, const Array& mean, int64_t outer,
                               int64_t c, int64_t inner);
  // Training mode, one op per direction (batchnorm.h): y, mean, var from x;
  // dx, dscale, doffset from dy (dmean, dvar may be null). All outputs contiguous.
  void (*batch_norm_train)(const Array& y, const Array& mean, const Array& var, const Array& x, const Array& scale,
                           const Array& offset, double epsilon, int64_t outer, int64_t c, int64_t inner);
  void (*batch_norm_train_grad)(const Array& dx, const Array& dscale, const Array& doffset, const Array& dy,
                                const Array& x, const Array& mean, const Array& var, const Array& scale,
                                const Array* dmean, const Array* dvar, double epsilon, int64_t outer, int64_t c,
                                int64_t inner);

  // ---- recurrent sequences (rnn.cpp; shapes and the packed layout in rnn.h) ----
  // kind 0 simple_rnn, 1 lstm, 2 gru; operands contiguous; batch and time
  // non-zero (features may be 0); c0 null unless lstm.
  void (*rnn_sequence)(int kind, const Array& out, const Array& x, const Array& kernel, const Array& recurrent,
                       const Array& bias, const Array& mask, const Array& h0, const Array* c0);
  void (*rnn_sequence_grad)(int kind, const Array& grads, const Array& dy, const Array& out, const Array& x,
                            const Array& kernel, const Array& recurrent, const Array& mask, const Array& h0,
                            const Array* c0);
};

// One device's backend. `available` is false for a device this build or this
// machine lacks (no CUDA compiled in, or no GPU found at run time).
struct DeviceBackend {
  bool available = false;
  DeviceMemory memory{};
  DeviceKernels kernels{};
};

// The backend of `d`; throws InvalidArgument naming the device when it is not
// available.
const DeviceBackend& backend(Device d);
bool device_available(Device d);

// The error paths of kernel() and check_same_device(), out of line so the
// checks themselves inline into every op's fast path.
[[noreturn]] void throw_not_implemented(const char* op, Device d);
[[noreturn]] void throw_device_mismatch(const char* op, const Array& a, const Array& b);

// The slot `slot` of d's table, or an InvalidArgument "<op>: not implemented
// on <device>" when it is null. Usage: kernel(a.device(), &DeviceKernels::unary, "exp")(...).
template <typename Fn>
inline Fn kernel(Device d, Fn DeviceKernels::*slot, const char* op) {
  Fn f = backend(d).kernels.*slot;
  if (!f) throw_not_implemented(op, d);
  return f;
}

// The device that arrays made from no array input go to (constants from
// Python values, fills, ranges, random draws): this thread's innermost
// tensorlet.device scope, else the GPU when one is available, else the CPU.
Device default_device();
void set_default_device(Device d);  // throws when d is not available

// Throws InvalidArgument naming the op and both devices when they differ.
inline void check_same_device(const char* op, const Array& a, const Array& b) {
  if (a.device() != b.device()) throw_device_mismatch(op, a, b);
}

// A contiguous copy of `a` on `d` (a itself when it is already there and
// contiguous). to_host(a) = to_device(a, Device::CPU).
Array to_device(const Array& a, Device d);
inline Array to_host(const Array& a) { return to_device(a, Device::CPU); }
// A new contiguous array on `d` holding a copy of `shape`'s elements at `host`.
Array from_host(const void* host, const Shape& shape, DType dtype, Device d);

// Filled by the CUDA backend (cuda/), when it was built: sets `available`
// only when a GPU is present. Declared here so device.cpp needs no CUDA header.
#if defined(TL_HAVE_CUDA)
void cuda_fill_backend(DeviceBackend* b);
#endif

}  // namespace tl
