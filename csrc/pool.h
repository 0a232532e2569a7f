// 2-D and 3-D max and average pooling, forward and backward. Windows never count the
// padding: a max ignores it, an average divides by the number of input
// elements the window covers (as TensorFlow does).
#pragma once
#include <string>
#include <vector>

#include "array.h"
#include "conv.h"

namespace tl {

// ksize and strides: (height, width); padding "SAME" or "VALID".
Array pool2d(const Array& x, bool is_max, const std::vector<int64_t>& ksize, const std::vector<int64_t>& strides,
             const std::string& padding, const std::string& data_format);
// The gradient of max pooling: each window's dy goes to the first position of
// its maximum in x.
Array max_pool2d_grad(const Array& x, const Array& dy, const std::vector<int64_t>& ksize,
                      const std::vector<int64_t>& strides, const std::string& padding,
                      const std::string& data_format);
// The gradient of max_pool2d_grad with respect to dy: ddx read at each
// window's argmax in x (pooling's shape).
Array max_pool2d_grad_grad(const Array& x, const Array& ddx, const std::vector<int64_t>& ksize,
                           const std::vector<int64_t>& strides, const std::string& padding,
                           const std::string& data_format);
// The gradient of average pooling for an input of shape input_shape.
Array avg_pool2d_grad(const std::vector<int64_t>& input_shape, const Array& dy, const std::vector<int64_t>& ksize,
                      const std::vector<int64_t>& strides, const std::string& padding,
                      const std::string& data_format);

// 3-D: inputs NDHWC or NCDHW, ksize and strides (depth, height, width).
Array pool3d(const Array& x, bool is_max, const std::vector<int64_t>& ksize, const std::vector<int64_t>& strides,
             const std::string& padding, const std::string& data_format);
Array max_pool3d_grad(const Array& x, const Array& dy, const std::vector<int64_t>& ksize,
                      const std::vector<int64_t>& strides, const std::string& padding,
                      const std::string& data_format);
Array max_pool3d_grad_grad(const Array& x, const Array& ddx, const std::vector<int64_t>& ksize,
                           const std::vector<int64_t>& strides, const std::string& padding,
                           const std::string& data_format);
Array avg_pool3d_grad(const std::vector<int64_t>& input_shape, const Array& dy, const std::vector<int64_t>& ksize,
                      const std::vector<int64_t>& strides, const std::string& padding,
                      const std::string& data_format);

// CPU implementations, NHWC (NDHWC when g is 3-D) and contiguous (g.o == g.c).
void pool2d_cpu(const Array& out, const Array& x, bool is_max, const ConvGeom& g);
void max_pool2d_grad_cpu(const Array& dx, const Array& x, const Array& dy, const ConvGeom& g);
void max_pool2d_grad_grad_cpu(const Array& ddy, const Array& x, const Array& ddx, const ConvGeom& g);
void avg_pool2d_grad_cpu(const Array& dx, const Array& dy, const ConvGeom& g);

}  // namespace tl
