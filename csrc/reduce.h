// Reductions over any set of axes, and argmax/argmin over one axis.
#pragma once
#include <vector>

#include "array.h"
#include "ops.h"

namespace tl {

// Reduces `a` over `axes` (each in [-rank, rank), no repeats; an empty list
// reduces nothing). Sum/Mean/Max/Min/Prod take numeric dtypes and keep them
// (the mean of integers is an integer, truncated, as in TensorFlow); Any/All
// take bool. Over no elements: sum 0, prod 1, mean NaN (0 for integers), max
// the lowest value (-inf), min the highest (+inf), any false, all true.
Array reduce(ReduceOp op, const Array& a, const std::vector<int64_t>& axes, bool keepdims);

// Index (int64) of the first largest / smallest element along `axis`; the
// first NaN wins, as in numpy. Throws when that axis is empty.
Array arg_reduce(bool is_max, const Array& a, int64_t axis);

// Splits a contiguous shape around the (sorted, unique) `axes` when they form
// one block once size-1 dims are ignored: returns true with
// shape ~ [outer, inner, after]. Shared with nn.cpp.
bool reduce_block(const Shape& shape, const std::vector<bool>& reduced, int64_t* outer, int64_t* inner,
                  int64_t* after);

}  // namespace tl
