// Matrix multiplication over the last two axes, batched over the leading ones.
#pragma once
#include "array.h"

namespace tl {

// a @ b over the last two axes (after swapping them in a and/or b when the
// flags say so); leading axes broadcast with numpy's rules. float32/float64
// use a packed, cache-blocked, multithreaded GEMM; int32/int64 a plain loop.
Array matmul(const Array& a, const Array& b, bool transpose_a = false, bool transpose_b = false);

}  // namespace tl
