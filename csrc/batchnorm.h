// Batch normalization over one channel axis, in fused passes. x is viewed as
// (outer, C, inner) around that axis; statistics run over outer and inner.
#pragma once
#include <vector>

#include "array.h"

namespace tl {

// (2, C): the batch mean and the (biased) variance of each channel.
Array batch_norm_stats(const Array& x, int64_t axis);
// (x - mean) * rsqrt(var + epsilon) * scale + offset, with mean, var, scale
// and offset vectors (C,) along `axis`.
Array batch_norm_apply(const Array& x, const Array& mean, const Array& var, const Array& scale,
                       const Array& offset, double epsilon, int64_t axis);
// x * a + b with per-channel vectors a and b (C,) along `axis`: one pass.
Array channel_affine(const Array& x, const Array& a, const Array& b, int64_t axis);
// (2, C): sum(dy) and sum(dy * (x - mean)) per channel.
Array batch_norm_grad_sums(const Array& dy, const Array& x, const Array& mean, int64_t axis);
// Training-mode batch normalization in one op per direction.
// batch_norm_train: {y, mean, variance} with the batch's mean and biased
// variance: one pass for both statistics, one for y.
std::vector<Array> batch_norm_train(const Array& x, const Array& scale, const Array& offset, double epsilon,
                                    int64_t axis);
// Its gradient {dx, dscale, doffset} given dy (y's gradient) and, when the
// batch statistics were used too, their gradients dmean and dvar (else
// null): one pass for the two per-channel sums, one for dx.
std::vector<Array> batch_norm_train_grad(const Array& dy, const Array& x, const Array& mean, const Array& var,
                                         const Array& scale, const Array* dmean, const Array* dvar,
                                         double epsilon, int64_t axis);
// The same, writing into given contiguous outputs of the results' shapes and
// dtype (the graph runtime's preallocated buffers).
void batch_norm_train_to(const Array* outs, const Array& x, const Array& scale, const Array& offset, double epsilon,
                         int64_t axis);
void batch_norm_train_grad_to(const Array* outs, const Array& dy, const Array& x, const Array& mean,
                              const Array& var, const Array& scale, const Array* dmean, const Array* dvar,
                              double epsilon, int64_t axis);

// CPU implementations (the DeviceKernels slots' contracts, device.h).
void batch_norm_stats_cpu(const Array& out, const Array& x, int64_t outer, int64_t c, int64_t inner);
void batch_norm_apply_cpu(const Array& y, const Array& x, const Array& mean, const Array& var, const Array& scale,
                          const Array& offset, double epsilon, int64_t outer, int64_t c, int64_t inner);
void channel_affine_cpu(const Array& y, const Array& x, const Array& a, const Array& b, int64_t outer, int64_t c,
                        int64_t inner);
void batch_norm_grad_sums_cpu(const Array& out, const Array& dy, const Array& x, const Array& mean, int64_t outer,
                              int64_t c, int64_t inner);

void batch_norm_train_cpu(const Array& y, const Array& mean, const Array& var, const Array& x, const Array& scale,
                          const Array& offset, double epsilon, int64_t outer, int64_t c, int64_t inner);
void batch_norm_train_grad_cpu(const Array& dx, const Array& dscale, const Array& doffset, const Array& dy,
                               const Array& x, const Array& mean, const Array& var, const Array& scale,
                               const Array* dmean, const Array* dvar, double epsilon, int64_t outer, int64_t c,
                               int64_t inner);

}  // namespace tl
