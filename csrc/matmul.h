// Matrix multiplication over the last two axes, batched over the leading ones.
#pragma once
#include <string>
#include <vector>

#include "array.h"

namespace tl {

// a @ b over the last two axes (after swapping them in a and/or b when the
// flags say so); leading axes broadcast with numpy's rules. float32/float64
// use a packed, cache-blocked, multithreaded GEMM; int32/int64 a plain loop.
Array matmul(const Array& a, const Array& b, bool transpose_a = false, bool transpose_b = false);

// A Dense layer's forward pass in one call: activation(x @ w + bias), x (m, k),
// w (k, n), bias (n,) or null, activation "linear" or "relu"; the bias add and
// the activation happen as the GEMM writes each tile of the result.
Array dense(const Array& x, const Array& w, const Array* bias, const std::string& activation);

// The packed GEMM for kernels built on it (convolutions): C = A @ B, or
// C += A @ B with `accumulate`, for an m x n block C at row stride ldc, with
// A(i, p) = a[i*rsa + p*csa] and B(p, j) = b[p*rsb + j*csb]. Threads as matmul.
// Without accumulate, bias (n values, or null) and act (1: relu) are applied
// as the tiles of C are written, as in dense().
void gemm_strided(int64_t m, int64_t n, int64_t k, const float* a, int64_t rsa, int64_t csa, const float* b,
                  int64_t rsb, int64_t csb, float* c, int64_t ldc, bool accumulate, const float* bias = nullptr,
                  int act = 0);
void gemm_strided(int64_t m, int64_t n, int64_t k, const double* a, int64_t rsa, int64_t csa, const double* b,
                  int64_t rsb, int64_t csb, double* c, int64_t ldc, bool accumulate, const double* bias = nullptr,
                  int act = 0);

// The caches the GEMM's blocking follows and the blocking itself:
// l1d, l2, l3 (bytes), then mc, kc, nc (elements) for float32 and float64.
std::vector<int64_t> gemm_blocking_info();

}  // namespace tl
