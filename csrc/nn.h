// Neural-network kernels: softmax family, relu gradient, fused crossentropies.
#pragma once
#include "array.h"

namespace tl {

// softmax (or log_softmax when `log`) along `axis`, numerically stable.
Array softmax(const Array& x, int64_t axis, bool log);
// Given y = softmax(x) and dy: y * (dy - sum(dy * y)). With `log`, given
// y = log_softmax(x): dy - exp(y) * sum(dy). Sums run along `axis`.
Array softmax_grad(const Array& y, const Array& dy, int64_t axis, bool log);
// dy where x > 0, else 0 (same shapes and dtypes).
Array relu_grad(const Array& x, const Array& dy);

// GELU, x * Phi(x) (Phi the standard normal CDF), or with `approximate` the
// tanh form 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).
Array gelu(const Array& x, bool approximate);
// dy * d gelu / dx (same shapes and dtypes).
Array gelu_grad(const Array& x, const Array& dy, bool approximate);

// Per-row loss -log(softmax(logits)[label]) for logits [N, C] and integer
// labels [N]; every label must lie in [0, C) (checked before any work).
Array sparse_xent(const Array& logits, const Array& labels);
// (softmax(logits) - onehot(labels)) * dloss[:, None].
Array sparse_xent_grad(const Array& logits, const Array& labels, const Array& dloss);
// Per-row loss -sum(labels * log_softmax(logits)) for logits and labels [N, C].
Array softmax_xent(const Array& logits, const Array& labels);
// (softmax(logits) * sum(labels) - labels) * dloss[:, None]: the exact
// gradient, which is softmax - labels when each row of labels sums to one.
Array softmax_xent_grad(const Array& logits, const Array& labels, const Array& dloss);

}  // namespace tl
