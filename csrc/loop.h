// Iteration over strided N-d operands sharing one shape. Adjacent dimensions
// that are laid out contiguously for every operand are merged first, so a
// contiguous operand costs one flat loop.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "array.h"
#include "parallel.h"

namespace tl {

template <int N>
struct StridedLoop {
  std::vector<int64_t> shape;                  // merged dims, innermost last
  std::array<std::vector<int64_t>, N> strides;  // per operand, in elements

  StridedLoop(const Shape& full_shape, const std::array<const Shape*, N>& full_strides) {
    for (size_t d = 0; d < full_shape.size(); ++d) {
      if (full_shape[d] == 1) continue;  // size-1 dims contribute nothing
      bool merge = !shape.empty();
      for (int k = 0; k < N && merge; ++k)
        merge = strides[k].back() == (*full_strides[k])[d] * full_shape[d];
      if (merge) {
        shape.back() *= full_shape[d];
        for (int k = 0; k < N; ++k) strides[k].back() = (*full_strides[k])[d];
      } else {
        shape.push_back(full_shape[d]);
        for (int k = 0; k < N; ++k) strides[k].push_back((*full_strides[k])[d]);
      }
    }
    if (shape.empty()) {  // 0-d or all ones: one element
      shape.push_back(1);
      for (int k = 0; k < N; ++k) strides[k].push_back(0);
    }
  }

  int64_t total() const {
    int64_t n = 1;
    for (auto s : shape) n *= s;
    return n;
  }

  // fn(offsets, n, inner_strides): one inner row of n elements per call.
  // Rows are spread over threads when the total is large.
  template <typename F>
  void run(F&& fn) const {
    const int nd = static_cast<int>(shape.size());
    const int64_t inner = shape[nd - 1];
    int64_t rows = 1;
    for (int d = 0; d < nd - 1; ++d) rows *= shape[d];
    if (inner == 0 || rows == 0) return;
    std::array<int64_t, N> inner_strides;
    for (int k = 0; k < N; ++k) inner_strides[k] = strides[k][nd - 1];
    if (rows == 1) {  // a single row: split it, not the rows
      parallel_for(inner, inner, [&](int64_t b, int64_t e) {
        std::array<int64_t, N> off;
        for (int k = 0; k < N; ++k) off[k] = b * inner_strides[k];
        fn(off, e - b, inner_strides);
      });
      return;
    }
    parallel_for(rows, rows * inner, [&](int64_t b, int64_t e) {
      std::vector<int64_t> idx(nd > 1 ? nd - 1 : 1, 0);
      // Unravel row b into the outer index.
      int64_t r = b;
      for (int d = nd - 2; d >= 0; --d) {
        idx[d] = r % shape[d];
        r /= shape[d];
      }
      std::array<int64_t, N> off;
      for (int k = 0; k < N; ++k) {
        off[k] = 0;
        for (int d = 0; d < nd - 1; ++d) off[k] += idx[d] * strides[k][d];
      }
      for (int64_t row = b; row < e; ++row) {
        fn(off, inner, inner_strides);
        for (int d = nd - 2; d >= 0; --d) {  // odometer step
          for (int k = 0; k < N; ++k) off[k] += strides[k][d];
          if (++idx[d] < shape[d]) break;
          for (int k = 0; k < N; ++k) off[k] -= strides[k][d] * shape[d];
          idx[d] = 0;
        }
      }
    });
  }
};

}  // namespace tl
