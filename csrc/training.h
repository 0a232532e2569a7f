// Fused optimizer updates: each call checks every operand, then updates a
// variable and its slots in place in one pass over memory (the role of
// TensorFlow's ResourceApply* kernels). All operands are contiguous float
// arrays of one shape and dtype; optional slots are null when their option is
// off. weight_decay != 0 first applies decoupled decay, var -= var * lr * wd.
// A call that throws has written nothing.
#pragma once
#include "array.h"

namespace tl {

// Plain SGD without mom; with it momentum (optionally Nesterov).
void apply_sgd(const Array& var, const Array* mom, const Array& grad, double lr, double momentum, bool nesterov,
               double weight_decay);
// RMSprop on the mean square ms; mom adds momentum, mg centers the estimate.
void apply_rmsprop(const Array& var, const Array& ms, const Array* mom, const Array* mg, const Array& grad,
                   double lr, double rho, double momentum, double epsilon, double weight_decay);
// Adam at 1-based step `step` (for the bias corrections); vhat for AMSGrad.
void apply_adam(const Array& var, const Array& m, const Array& v, const Array* vhat, const Array& grad, double lr,
                double beta_1, double beta_2, double epsilon, int64_t step, double weight_decay);
void apply_adagrad(const Array& var, const Array& acc, const Array& grad, double lr, double epsilon,
                   double weight_decay);

}  // namespace tl
