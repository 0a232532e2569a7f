// 2-D and 3-D convolutions: forward, and the gradients with respect to the
// input and the filter. Filters are ([kd,] kh, kw, in_channels / groups,
// out_channels) in both data formats, as in TensorFlow; out channel o belongs
// to group o / (out_channels / groups). Padding is "SAME", "VALID" or
// "EXPLICIT" with pads ([front, back,] top, bottom, left, right).
#pragma once
#include <string>
#include <vector>

#include "array.h"

namespace tl {

// The geometry of one convolution (or pooling window), in NDHWC terms. A
// 2-D one has a depth of 1 everywhere (the defaults).
struct ConvGeom {
  int64_t n, h, w, c;     // input
  int64_t kh, kw, o;      // window and output channels
  int64_t oh, ow;         // output
  int64_t sh, sw, dh, dw;  // strides, dilations
  int64_t pt, pb, pl, pr;  // padding
  int64_t groups;
  // depth: input, window, output, stride, dilation, padding front and back
  int64_t d = 1, kd = 1, od = 1, sd = 1, dd = 1, pf = 0, pk = 0;
  int64_t cg() const { return c / groups; }
  int64_t og() const { return o / groups; }
  int64_t window() const { return kd * kh * kw; }
  int64_t out_pixels() const { return od * oh * ow; }  // per image
};

// Output size along one axis and the padding before it; throws naming `op`
// when the (dilated) window does not fit.
void conv_out_size(const char* op, int64_t in, int64_t k, int64_t stride, int64_t dilation,
                   const std::string& padding, const int64_t* explicit_pads, int64_t* out, int64_t* pad_before,
                   int64_t* pad_after);

// Fills g's spatial part from the input size, window, strides, dilations and
// padding (pads: 4 values for "EXPLICIT", else ignored); checks them. Three
// strides and dilations (and 6 pads) make it 3-D: g's depth and kd are read.
void conv_fill_geometry(const char* op, ConvGeom* g, const std::vector<int64_t>& strides,
                        const std::vector<int64_t>& dilations, const std::string& padding,
                        const std::vector<int64_t>& pads);

// data_format "NHWC" or "NCHW": whether channels come first (checked).
bool channels_first(const char* op, const std::string& data_format);
// The same for spatial rank r (2, or 3: "NDHWC" or "NCDHW").
bool channels_first_nd(const char* op, const std::string& data_format, size_t r);
// Channels-first 4-D and 5-D arrays to channels-last (contiguous), and back.
Array to_nhwc(const Array& a, bool cf);
Array from_nhwc(const Array& a, bool cf);

// With a bias (out_channels,) and/or activation "relu" (else "linear"), they
// are applied as the GEMM writes each tile of the output. `into` (the graph
// runtime's buffer: contiguous, of the result's shape and dtype) receives a
// channels-last result directly; the result returned is then that array.
Array conv2d(const Array& x, const Array& filter, const std::vector<int64_t>& strides, const std::string& padding,
             const std::vector<int64_t>& pads, const std::vector<int64_t>& dilations, int64_t groups,
             const std::string& data_format, const Array* bias = nullptr,
             const std::string& activation = "linear", const Array* into = nullptr);
// The gradient of conv2d with respect to its input (of shape input_shape),
// given the filter and the output's gradient dy; also conv2d_transpose.
Array conv2d_backprop_input(const std::vector<int64_t>& input_shape, const Array& filter, const Array& dy,
                            const std::vector<int64_t>& strides, const std::string& padding,
                            const std::vector<int64_t>& pads, const std::vector<int64_t>& dilations, int64_t groups,
                            const std::string& data_format, const Array* into = nullptr);
// The gradient of conv2d with respect to its filter (of shape filter_shape).
Array conv2d_backprop_filter(const Array& x, const std::vector<int64_t>& filter_shape, const Array& dy,
                             const std::vector<int64_t>& strides, const std::string& padding,
                             const std::vector<int64_t>& pads, const std::vector<int64_t>& dilations,
                             int64_t groups, const std::string& data_format, const Array* into = nullptr);

// 3-D: inputs (batch, depth, height, width, channels) ("NDHWC") or "NCDHW",
// filters (kd, kh, kw, in_channels / groups, out_channels); otherwise as 2-D.
Array conv3d(const Array& x, const Array& filter, const std::vector<int64_t>& strides, const std::string& padding,
             const std::vector<int64_t>& pads, const std::vector<int64_t>& dilations, int64_t groups,
             const std::string& data_format);
Array conv3d_backprop_input(const std::vector<int64_t>& input_shape, const Array& filter, const Array& dy,
                            const std::vector<int64_t>& strides, const std::string& padding,
                            const std::vector<int64_t>& pads, const std::vector<int64_t>& dilations, int64_t groups,
                            const std::string& data_format);
Array conv3d_backprop_filter(const Array& x, const std::vector<int64_t>& filter_shape, const Array& dy,
                             const std::vector<int64_t>& strides, const std::string& padding,
                             const std::vector<int64_t>& pads, const std::vector<int64_t>& dilations,
                             int64_t groups, const std::string& data_format);

// CPU implementations: NHWC (NDHWC when g is 3-D), contiguous operands,
// outputs written completely.
// bias (g.o values) may be null; act 0 linear, 1 relu.
void conv2d_cpu(const Array& out, const Array& x, const Array& filter, const Array* bias, int act,
                const ConvGeom& g);
void conv2d_backprop_input_cpu(const Array& dx, const Array& filter, const Array& dy, const ConvGeom& g);
void conv2d_backprop_filter_cpu(const Array& dw, const Array& x, const Array& dy, const ConvGeom& g);

}  // namespace tl
