// Array construction and movement: fill, arange, eye, concat, stack, gather
// (and its scatter-add gradient), one_hot, where and clip. Each checks its
// arguments and allocates on its inputs' device (creation ops: on `device`),
// then runs that device's slot; fill, eye and concat are copies into views.
#pragma once
#include <vector>

#include "array.h"

namespace tl {

// `shape` filled with the 0-d (or size-1) `value`, converted to `dtype`.
Array fill(const Shape& shape, const Array& value, DType dtype);
// start, start + delta, ... up to but excluding limit (numpy's arange).
Array arange(double start, double limit, double delta, DType dtype, Device device = Device::CPU);
// n x m with ones on the main diagonal.
Array eye(int64_t n, int64_t m, DType dtype, Device device = Device::CPU);

// Joins arrays of one dtype and rank along an existing axis.
Array concat(const std::vector<Array>& arrays, int64_t axis);
// Joins arrays of one shape and dtype along a new axis.
Array stack(const std::vector<Array>& arrays, int64_t axis);

// params.shape[:axis] + indices.shape + params.shape[axis+1:], taking slices
// of params along axis. indices: int32 or int64, each in [0, params.shape[axis]).
Array gather(const Array& params, const Array& indices, int64_t axis);
// The gradient of gather: zeros of params_shape with each slice of dy added at
// its index (repeated indices accumulate).
Array gather_grad(const Array& dy, const Array& indices, const Shape& params_shape, int64_t axis);

// indices.shape with a new axis of size depth at `axis` (-1: last); on where
// the index matches, off elsewhere (out-of-range indices give all-off rows).
Array one_hot(const Array& indices, int64_t depth, double on, double off, int64_t axis, DType dtype);

// Elementwise cond ? a : b with numpy broadcasting of all three.
Array where(const Array& cond, const Array& a, const Array& b);
// Elementwise min(max(x, lo), hi) with numpy broadcasting of all three.
Array clip(const Array& x, const Array& lo, const Array& hi);

}  // namespace tl
