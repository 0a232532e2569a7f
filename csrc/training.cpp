#include "training.h"

#include <utility>
#include <vector>

#include <cmath>
#include <initializer_list>
#include <string>
#include <type_traits>

#include "cpu_kernels.h"
#include "device.h"
#include "isa/table.h"
#include "parallel.h"

namespace tl {
namespace {

struct Operand {
  const char* name;
  const Array* a;  // null: an option that is off
};

std::string describe(const Operand& o) {
  return std::string(o.name) + " of shape " + shape_str(o.a->shape()) + " and dtype " + dtype_name(o.a->dtype());
}

// Checks every operand against the variable (the first state), and that no
// two states share memory. Returns the gradient to read: a copy when it
// shares memory with a state, since the states are written during the pass.
Array check(const char* op, std::initializer_list<Operand> states, const Array& grad) {
  const Operand& var = *states.begin();
  DType t = var.a->dtype();
  if (!is_floating(t))
    throw TypeError(std::string(op) + ": var has dtype " + dtype_name(t) + "; optimizer updates need float16, "
                    "bfloat16, float32 or float64 variables");
  Operand g{"grad", &grad};
  auto check_one = [&](const Operand& o) {
    if (!o.a) return;
    if (o.a->dtype() != t || o.a->shape() != var.a->shape())
      throw InvalidArgument(std::string(op) + ": " + describe(o) + " does not match " + describe(var) +
                            (o.a == &grad ? "; the gradient" : "; every slot") +
                            " must have the variable's shape and dtype");
    if (!o.a->is_contiguous())
      throw InvalidArgument(std::string(op) + ": " + o.name + " (shape " + shape_str(o.a->shape()) +
                            ", strides " + shape_str(o.a->strides()) + ") is not contiguous");
    if (o.a->device() != var.a->device())
      throw InvalidArgument(std::string(op) + ": " + o.name + " is on " + device_name(o.a->device()) +
                            " but var is on " + device_name(var.a->device()));
  };
  for (const Operand& o : states) check_one(o);
  check_one(g);
  bool copy_grad = false;
  for (auto i = states.begin(); i != states.end(); ++i) {
    if (!i->a) continue;
    if (grad.storage() == i->a->storage()) copy_grad = true;
    for (auto j = states.begin(); j != i; ++j)
      if (j->a && j->a->storage() == i->a->storage())
        throw InvalidArgument(std::string(op) + ": " + j->name + " and " + i->name +
                              " share memory; each slot must be a separate variable");
  }
  return copy_grad ? grad.copy() : grad;
}

template <typename T>
T* ptr(const Array* a) {
  return a ? a->data<T>() : nullptr;
}

template <typename T>
const auto& kernels() {
  if constexpr (std::is_same_v<T, float>) return isa().optim_f32;
  else return isa().optim_f64;
}

// Runs fn(begin, count) over the elements, on several threads when large.
template <typename F>
void over_chunks(const Array& var, F&& fn) {
  int64_t n = var.size();
  parallel_for(n, n, [&](int64_t b, int64_t e) { fn(b, e - b); });
}

// float16/bfloat16 variables update in float32 copies of the variable and
// its slots, stored back once the update has succeeded.
struct Widened {
  std::vector<std::pair<const Array*, Array>> held;
  Widened() { held.reserve(8); }  // pointers into it stay valid
  const Array* operator()(const Array* a) {
    if (!a) return nullptr;
    held.emplace_back(a, widen(*a));
    return &held.back().second;
  }
  void store() const {
    for (const auto& h : held) copy_into(*h.first, h.second);
  }
};

}  // namespace

void apply_sgd(const Array& var, const Array* mom, const Array& grad, double lr, double momentum, bool nesterov,
               double weight_decay) {
  Array g = check("apply_sgd", {{"var", &var}, {"accum", mom}}, grad);
  if (is_half(var.dtype())) {
    Widened w;
    apply_sgd(*w(&var), w(mom), widen(g), lr, momentum, nesterov, weight_decay);
    return w.store();
  }
  if (var.size())
    kernel(var.device(), &DeviceKernels::apply_sgd, "apply_sgd")(var, mom, g, lr, momentum, nesterov, weight_decay);
}

void apply_rmsprop(const Array& var, const Array& ms, const Array* mom, const Array* mg, const Array& grad,
                   double lr, double rho, double momentum, double epsilon, double weight_decay) {
  Array g = check("apply_rmsprop", {{"var", &var}, {"ms", &ms}, {"mom", mom}, {"mg", mg}}, grad);
  if (is_half(var.dtype())) {
    Widened w;
    apply_rmsprop(*w(&var), *w(&ms), w(mom), w(mg), widen(g), lr, rho, momentum, epsilon, weight_decay);
    return w.store();
  }
  if (var.size())
    kernel(var.device(), &DeviceKernels::apply_rmsprop, "apply_rmsprop")(var, ms, mom, mg, g, lr, rho, momentum,
                                                                         epsilon, weight_decay);
}

void apply_adam(const Array& var, const Array& m, const Array& v, const Array* vhat, const Array& grad, double lr,
                double beta_1, double beta_2, double epsilon, int64_t step, double weight_decay) {
  Array g = check("apply_adam", {{"var", &var}, {"m", &m}, {"v", &v}, {"v_hat", vhat}}, grad);
  if (step < 1) throw InvalidArgument("apply_adam: step must be >= 1 (the 1-based update count), got " +
                                      std::to_string(step));
  if (is_half(var.dtype())) {
    Widened w;
    apply_adam(*w(&var), *w(&m), *w(&v), w(vhat), widen(g), lr, beta_1, beta_2, epsilon, step, weight_decay);
    return w.store();
  }
  if (var.size())
    kernel(var.device(), &DeviceKernels::apply_adam, "apply_adam")(var, m, v, vhat, g, lr, beta_1, beta_2, epsilon,
                                                                   step, weight_decay);
}

void apply_adagrad(const Array& var, const Array& acc, const Array& grad, double lr, double epsilon,
                   double weight_decay) {
  Array g = check("apply_adagrad", {{"var", &var}, {"accum", &acc}}, grad);
  if (is_half(var.dtype())) {
    Widened w;
    apply_adagrad(*w(&var), *w(&acc), widen(g), lr, epsilon, weight_decay);
    return w.store();
  }
  if (var.size())
    kernel(var.device(), &DeviceKernels::apply_adagrad, "apply_adagrad")(var, acc, g, lr, epsilon, weight_decay);
}

// ------------------------------------------------------ CPU implementation ----

namespace {

void cpu_sgd(const Array& var, const Array* mom, const Array& g, double lr, double momentum, bool nesterov,
             double weight_decay) {
  dispatch<kFloat>(var.dtype(), "apply_sgd", [&](auto v) {
    using T = decltype(v);
    auto fn = kernels<T>().sgd;
    T *w = ptr<T>(&var), *m = ptr<T>(mom);
    const T* gp = g.data<T>();
    over_chunks(var, [&](int64_t b, int64_t n) {
      fn(w + b, m ? m + b : nullptr, gp + b, n, T(lr), T(momentum), nesterov, T(lr * weight_decay));
    });
  });
}

void cpu_rmsprop(const Array& var, const Array& ms, const Array* mom, const Array* mg, const Array& g, double lr,
                 double rho, double momentum, double epsilon, double weight_decay) {
  dispatch<kFloat>(var.dtype(), "apply_rmsprop", [&](auto v) {
    using T = decltype(v);
    auto fn = kernels<T>().rmsprop;
    T *w = ptr<T>(&var), *s = ptr<T>(&ms), *mo = ptr<T>(mom), *a = ptr<T>(mg);
    const T* gp = g.data<T>();
    over_chunks(var, [&](int64_t b, int64_t n) {
      fn(w + b, s + b, mo ? mo + b : nullptr, a ? a + b : nullptr, gp + b, n, T(lr), T(rho), T(1.0 - rho),
         T(momentum), T(epsilon), T(lr * weight_decay));
    });
  });
}

void cpu_adam(const Array& var, const Array& m, const Array& v, const Array* vhat, const Array& g, double lr,
              double beta_1, double beta_2, double epsilon, int64_t step, double weight_decay) {
  // The bias corrections, in double as the Python reference computes them.
  double alpha = lr * std::sqrt(1.0 - std::pow(beta_2, double(step))) / (1.0 - std::pow(beta_1, double(step)));
  dispatch<kFloat>(var.dtype(), "apply_adam", [&](auto x) {
    using T = decltype(x);
    auto fn = kernels<T>().adam;
    T *w = ptr<T>(&var), *mp = ptr<T>(&m), *vp = ptr<T>(&v), *h = ptr<T>(vhat);
    const T* gp = g.data<T>();
    over_chunks(var, [&](int64_t b, int64_t n) {
      fn(w + b, mp + b, vp + b, h ? h + b : nullptr, gp + b, n, T(alpha), T(1.0 - beta_1), T(1.0 - beta_2),
         T(epsilon), T(lr * weight_decay));
    });
  });
}

void cpu_adagrad(const Array& var, const Array& acc, const Array& g, double lr, double epsilon,
                 double weight_decay) {
  dispatch<kFloat>(var.dtype(), "apply_adagrad", [&](auto v) {
    using T = decltype(v);
    auto fn = kernels<T>().adagrad;
    T *w = ptr<T>(&var), *a = ptr<T>(&acc);
    const T* gp = g.data<T>();
    over_chunks(var, [&](int64_t b, int64_t n) {
      fn(w + b, a + b, gp + b, n, T(lr), T(epsilon), T(lr * weight_decay));
    });
  });
}

}  // namespace

void fill_cpu_training_kernels(DeviceKernels* k) {
  k->apply_sgd = &cpu_sgd;
  k->apply_rmsprop = &cpu_rmsprop;
  k->apply_adam = &cpu_adam;
  k->apply_adagrad = &cpu_adagrad;
}

}  // namespace tl
