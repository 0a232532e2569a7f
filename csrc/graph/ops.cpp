// The graph runtime's op table (ops.h): one row per registered op name the
// runtime runs, calling the same C++ entry points as the bindings, and the
// device slots directly where the output can be given.
#include "graph/ops.h"

#include <unordered_map>

#include "array_ops.h"
#include "batchnorm.h"
#include "conv.h"
#include "device.h"
#include "elementwise.h"
#include "errors.h"
#include "matmul.h"
#include "nn.h"
#include "pool.h"
#include "random.h"
#include "reduce.h"
#include "rnn.h"
#include "training.h"

namespace tl::graph {
namespace {

using Attrs = std::vector<Attr>;

const DeviceKernels& slots(const Array& a) { return backend(a.device()).kernels; }
DType dtype_of(const Attr& a) { return static_cast<DType>(a.i); }
const std::string& padding_of(const Attr& a, std::vector<int64_t>* pads) {
  static const std::string kExplicit = "EXPLICIT";
  if (a.kind == Attr::Str) return a.s;
  *pads = a.ints;
  return kExplicit;
}
Array same(int, Inputs in, const Attrs&) { return *in[0]; }

// ---- elementwise ----
Array binary_entry(int c, Inputs in, const Attrs&) { return binary(static_cast<BinaryOp>(c), *in[0], *in[1]); }
void binary_to(int c, const Array& out, Inputs in, const Attrs&) {
  auto ready = [&](const Array& x) { return x.size() == 1 || x.shape() == out.shape() ? x : x.broadcast_to(out.shape()); };
  slots(out).binary(static_cast<BinaryOp>(c), out, ready(*in[0]), ready(*in[1]));
}
Array unary_entry(int c, Inputs in, const Attrs&) { return unary(static_cast<UnaryOp>(c), *in[0]); }
void unary_to(int c, const Array& out, Inputs in, const Attrs&) { slots(out).unary(static_cast<UnaryOp>(c), out, *in[0]); }
Array cast_entry(int, Inputs in, const Attrs& a) { return cast(*in[0], dtype_of(a[0])); }
void copy_to(int, const Array& out, Inputs in, const Attrs&) {
  slots(out).copy(out, in[0]->shape() == out.shape() ? *in[0] : in[0]->broadcast_to(out.shape()));
}

// ---- reductions ----
Array reduce_entry(int c, Inputs in, const Attrs& a) { return reduce(static_cast<ReduceOp>(c), *in[0], a[0].ints, a[1].i != 0); }
void reduce_to(int c, const Array& out, Inputs in, const Attrs& a) {
  const int64_t nd = in[0]->ndim();
  std::vector<bool> red(nd, false);
  for (int64_t ax : a[0].ints) red[ax < 0 ? ax + nd : ax] = true;
  slots(out).reduce(static_cast<ReduceOp>(c), out, *in[0], red);
}
Array arg_entry(int c, Inputs in, const Attrs& a) { return arg_reduce(c != 0, *in[0], a[0].i); }
void arg_to(int c, const Array& out, Inputs in, const Attrs& a) {
  slots(out).arg_reduce(c != 0, out, *in[0], normalize_axis(a[0].i, in[0]->ndim(), "argmax"));
}

// ---- matmul ----
Array swap_last(const Array& x) {
  std::vector<int64_t> perm(x.ndim());
  for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int64_t>(i);
  std::swap(perm[perm.size() - 2], perm[perm.size() - 1]);
  return x.transpose(perm);
}
Array matmul_entry(int, Inputs in, const Attrs& a) { return matmul(*in[0], *in[1], a[0].i != 0, a[1].i != 0); }
void matmul_to(int, const Array& out, Inputs in, const Attrs& a) {
  Array x = a[0].i ? swap_last(*in[0]) : *in[0], y = a[1].i ? swap_last(*in[1]) : *in[1];
  auto batch = [&](const Array& v) {  // v broadcast over out's leading axes
    if (v.ndim() == out.ndim() && std::equal(v.shape().begin(), v.shape().end() - 2, out.shape().begin())) return v;
    Shape s = out.shape();
    s[s.size() - 2] = v.shape()[v.ndim() - 2], s[s.size() - 1] = v.shape()[v.ndim() - 1];
    return v.broadcast_to(s);
  };
  slots(out).matmul(out, batch(x), batch(y));
}
int act_code(const std::string& s) { return s == "relu" ? 1 : 0; }
Array dense_entry(int, Inputs in, const Attrs& a) { return dense(*in[0], *in[1], in[2], a[0].s); }
void dense_to(int, const Array& out, Inputs in, const Attrs& a) { slots(out).dense(out, *in[0], *in[1], in[2], act_code(a[0].s)); }

// ---- nn ----
Array softmax_entry(int log, Inputs in, const Attrs& a) { return softmax(*in[0], a[0].i, log != 0); }
void softmax_to(int log, const Array& out, Inputs in, const Attrs& a) {
  slots(out).softmax(out, *in[0], normalize_axis(a[0].i, in[0]->ndim(), "softmax"), log != 0);
}
Array softmax_grad_entry(int log, Inputs in, const Attrs& a) { return softmax_grad(*in[0], *in[1], a[0].i, log != 0); }
void softmax_grad_to(int log, const Array& out, Inputs in, const Attrs& a) {
  slots(out).softmax_grad(out, *in[0], *in[1], normalize_axis(a[0].i, in[0]->ndim(), "softmax_grad"), log != 0);
}
Array relu_grad_entry(int, Inputs in, const Attrs&) { return relu_grad(*in[0], *in[1]); }
void relu_grad_to(int, const Array& out, Inputs in, const Attrs&) { slots(out).relu_grad(out, *in[0], *in[1]); }
Array gelu_entry(int, Inputs in, const Attrs& a) { return gelu(*in[0], a[0].i != 0); }
void gelu_to(int, const Array& out, Inputs in, const Attrs& a) { slots(out).gelu(out, *in[0], a[0].i != 0); }
Array gelu_grad_entry(int, Inputs in, const Attrs& a) { return gelu_grad(*in[0], *in[1], a[0].i != 0); }
void gelu_grad_to(int, const Array& out, Inputs in, const Attrs& a) { slots(out).gelu_grad(out, *in[0], *in[1], a[0].i != 0); }

// Labels come from the call's arguments, so each run checks them (on the
// host) before the slot reads them; a bad label goes to the entry point,
// which raises its own message.
bool labels_ok(const Array& labels, int64_t classes) {
  if (labels.device() != Device::CPU) return false;
  Array l = labels.contiguous();
  const int64_t n = l.size();
  if (l.dtype() == DType::Int32) {
    const int32_t* p = l.data<int32_t>();
    for (int64_t i = 0; i < n; ++i) if (p[i] < 0 || p[i] >= classes) return false;
  } else if (l.dtype() == DType::Int64) {
    const int64_t* p = l.data<int64_t>();
    for (int64_t i = 0; i < n; ++i) if (p[i] < 0 || p[i] >= classes) return false;
  } else {
    return false;  // the entry point says what it accepts
  }
  return true;
}
Array sxent_entry(int, Inputs in, const Attrs&) { return sparse_xent(*in[0], *in[1]); }
void sxent_to(int, const Array& out, Inputs in, const Attrs& a) {
  if (!labels_ok(*in[1], in[0]->shape()[1])) sxent_entry(0, in, a);
  slots(out).sparse_xent(out, *in[0], *in[1]);
}
Array sxent_grad_entry(int, Inputs in, const Attrs&) { return sparse_xent_grad(*in[0], *in[1], *in[2]); }
void sxent_grad_to(int, const Array& out, Inputs in, const Attrs& a) {
  if (!labels_ok(*in[1], in[0]->shape()[1])) sxent_grad_entry(0, in, a);
  slots(out).sparse_xent_grad(out, *in[0], *in[1], *in[2]);
}
Array xent_entry(int, Inputs in, const Attrs&) { return softmax_xent(*in[0], *in[1]); }
void xent_to(int, const Array& out, Inputs in, const Attrs&) { slots(out).softmax_xent(out, *in[0], *in[1]); }
Array xent_grad_entry(int, Inputs in, const Attrs&) { return softmax_xent_grad(*in[0], *in[1], *in[2]); }
void xent_grad_to(int, const Array& out, Inputs in, const Attrs&) {
  slots(out).softmax_xent_grad(out, *in[0], *in[1], *in[2]);
}

// ---- views and movement ----
Array reshape_entry(int, Inputs in, const Attrs& a) { return in[0]->reshape(a[0].ints); }
Array transpose_entry(int, Inputs in, const Attrs& a) { return in[0]->transpose(a[0].ints); }
Array expand_entry(int, Inputs in, const Attrs& a) { return in[0]->expand_dims(a[0].i); }
Array squeeze_entry(int, Inputs in, const Attrs& a) { return in[0]->squeeze(a[0].ints); }
Array broadcast_entry(int, Inputs in, const Attrs& a) { return in[0]->broadcast_to(a[0].ints).copy(); }
Array index_entry(int, Inputs in, const Attrs& a) { return in[0]->index(a[0].index); }
Array index_grad_entry(int, Inputs in, const Attrs& a) { return index_grad(*in[0], a[0].ints, a[1].index); }
// concat and stack take every input (a null ends the list: they have no optional operand).
std::vector<Array> all_inputs(Inputs in) {
  std::vector<Array> v;
  for (int i = 0; in[i]; ++i) v.push_back(*in[i]);
  return v;
}
Array concat_entry(int, Inputs in, const Attrs& a) { return concat(all_inputs(in), a[0].i); }
Array stack_entry(int, Inputs in, const Attrs& a) { return stack(all_inputs(in), a[0].i); }
// Each input copied into its part of out: along `axis` from `start` (concat), or at
// index i of a new axis (stack, `stacked`).
void join_to(const Array& out, Inputs in, int64_t axis, bool stacked) {
  const int64_t ax = normalize_axis(axis, out.ndim(), stacked ? "stack" : "concat");
  int64_t start = 0;
  for (int i = 0; in[i]; ++i) {
    const Array& x = *in[i];
    if (x.size() == 0) continue;
    Shape shape = out.shape(), strides = out.strides();
    if (stacked) shape.erase(shape.begin() + ax), strides.erase(strides.begin() + ax);
    else shape[ax] = x.shape()[ax];
    slots(out).copy(out.view(shape, strides, out.offset() + start * out.strides()[ax]), x);
    start += stacked ? 1 : x.shape()[ax];
  }
}
void concat_to(int, const Array& out, Inputs in, const Attrs& a) { join_to(out, in, a[0].i, false); }
void stack_to(int, const Array& out, Inputs in, const Attrs& a) { join_to(out, in, a[0].i, true); }
Array where_entry(int, Inputs in, const Attrs&) { return where(*in[0], *in[1], *in[2]); }
Array clip_entry(int, Inputs in, const Attrs&) { return clip(*in[0], *in[1], *in[2]); }
Array gather_entry(int, Inputs in, const Attrs& a) { return gather(*in[0], *in[1], a[0].i); }
Array gather_grad_entry(int, Inputs in, const Attrs& a) { return gather_grad(*in[0], *in[1], a[0].ints, a[1].i); }
Array one_hot_entry(int, Inputs in, const Attrs& a) {
  return one_hot(*in[0], a[0].i, a[1].num(), a[2].num(), a[3].i, dtype_of(a[4]));
}
Array fill_entry(int, Inputs in, const Attrs& a) { return fill(a[0].ints, *in[0], dtype_of(a[1])); }
void fill_to(int, const Array& out, Inputs in, const Attrs&) {
  slots(out).copy(out, in[0]->reshape(Shape{}).broadcast_to(out.shape()));
}
Array range_entry(int, Inputs, const Attrs& a) { return arange(a[0].num(), a[1].num(), a[2].num(), dtype_of(a[3]), default_device()); }
Array eye_entry(int, Inputs, const Attrs& a) { return eye(a[0].i, a[1].i, dtype_of(a[2]), default_device()); }

// ---- random draws: attributes (dims, a, b, dtype, key, counter) ----
Array uniform_entry(int, Inputs, const Attrs& a) {
  return random_uniform(a[0].ints, a[1].num(), a[2].num(), dtype_of(a[3]), a[4].i, a[5].i, default_device());
}
void uniform_to(int, const Array& out, Inputs, const Attrs& a) { slots(out).random_uniform(out, a[1].num(), a[2].num(), a[4].i, a[5].i); }
Array uniform_int_entry(int, Inputs, const Attrs& a) {
  return random_uniform_int(a[0].ints, a[1].integer(), a[2].integer(), dtype_of(a[3]), a[4].i, a[5].i, default_device());
}
void uniform_int_to(int, const Array& out, Inputs, const Attrs& a) {
  slots(out).random_uniform_int(out, a[1].integer(), a[2].integer(), a[4].i, a[5].i);
}
Array normal_entry(int, Inputs, const Attrs& a) {
  return random_normal(a[0].ints, a[1].num(), a[2].num(), dtype_of(a[3]), a[4].i, a[5].i, default_device());
}
void normal_to(int, const Array& out, Inputs, const Attrs& a) { slots(out).random_normal(out, a[1].num(), a[2].num(), a[4].i, a[5].i); }
Array truncated_entry(int, Inputs, const Attrs& a) {
  return truncated_normal(a[0].ints, a[1].num(), a[2].num(), dtype_of(a[3]), a[4].i, a[5].i, default_device());
}
void truncated_to(int, const Array& out, Inputs, const Attrs& a) {
  slots(out).truncated_normal(out, a[1].num(), a[2].num(), a[4].i, a[5].i);
}

// ---- state: assignments (value, index items or None) and optimizer updates ----
Array target(Inputs in, const Attr& items) { return items.kind == Attr::Index ? in[0]->index(items.index) : *in[0]; }
Array assign_entry(int, Inputs in, const Attrs& a) { copy_into(target(in, a[0]), *in[1]); return Array(); }
Array assign_add_entry(int c, Inputs in, const Attrs& a) {
  Array t = target(in, a[0]);
  binary_into(static_cast<BinaryOp>(c), t, t, *in[1]);
  return Array();
}
Array sgd_entry(int, Inputs in, const Attrs& a) {
  apply_sgd(*in[0], in[1], *in[2], a[0].num(), a[1].num(), a[2].i != 0, a[3].num());
  return Array();
}
Array rmsprop_entry(int, Inputs in, const Attrs& a) {
  apply_rmsprop(*in[0], *in[1], in[2], in[3], *in[4], a[0].num(), a[1].num(), a[2].num(), a[3].num(), a[4].num());
  return Array();
}
Array adam_entry(int, Inputs in, const Attrs& a) {
  apply_adam(*in[0], *in[1], *in[2], in[3], *in[4], a[0].num(), a[1].num(), a[2].num(), a[3].num(), a[4].integer(),
             a[5].num());
  return Array();
}
Array adagrad_entry(int, Inputs in, const Attrs& a) {
  apply_adagrad(*in[0], *in[1], *in[2], a[0].num(), a[1].num(), a[2].num());
  return Array();
}

// ---- convolutions, pooling, batch normalization ----
Array conv_entry(int, Inputs in, const Attrs& a) {
  std::vector<int64_t> pads;
  const std::string& p = padding_of(a[1], &pads);
  return conv2d(*in[0], *in[1], a[0].ints, p, pads, a[2].ints, a[3].i, a[4].s);
}
Array fused_conv_entry(int, Inputs in, const Attrs& a) {
  std::vector<int64_t> pads;
  const std::string& p = padding_of(a[1], &pads);
  return conv2d(*in[0], *in[1], a[0].ints, p, pads, a[2].ints, a[3].i, a[4].s, in[2], a[5].s);
}
// Into the plan's buffer: channels-last results are written there directly;
// others (channels first, half precision, empty) are copied in.
void fill_from(const Array& out, const Array& r) {
  if (r.storage() != out.storage() || r.offset() != out.offset()) slots(out).copy(out, r);
}
void conv_to(int, const Array& out, Inputs in, const Attrs& a) {
  std::vector<int64_t> pads;
  const std::string& p = padding_of(a[1], &pads);
  fill_from(out, conv2d(*in[0], *in[1], a[0].ints, p, pads, a[2].ints, a[3].i, a[4].s, nullptr, "linear", &out));
}
void fused_conv_to(int, const Array& out, Inputs in, const Attrs& a) {
  std::vector<int64_t> pads;
  const std::string& p = padding_of(a[1], &pads);
  fill_from(out, conv2d(*in[0], *in[1], a[0].ints, p, pads, a[2].ints, a[3].i, a[4].s, in[2], a[5].s, &out));
}
void conv_input_to(int, const Array& out, Inputs in, const Attrs& a) {
  std::vector<int64_t> pads;
  const std::string& p = padding_of(a[2], &pads);
  fill_from(out, conv2d_backprop_input(a[0].ints, *in[0], *in[1], a[1].ints, p, pads, a[3].ints, a[4].i, a[5].s,
                                       &out));
}
void conv_filter_to(int, const Array& out, Inputs in, const Attrs& a) {
  std::vector<int64_t> pads;
  const std::string& p = padding_of(a[2], &pads);
  fill_from(out, conv2d_backprop_filter(*in[0], a[0].ints, *in[1], a[1].ints, p, pads, a[3].ints, a[4].i, a[5].s,
                                        &out));
}
Array conv_input_entry(int, Inputs in, const Attrs& a) {
  std::vector<int64_t> pads;
  const std::string& p = padding_of(a[2], &pads);
  return conv2d_backprop_input(a[0].ints, *in[0], *in[1], a[1].ints, p, pads, a[3].ints, a[4].i, a[5].s);
}
Array conv_filter_entry(int, Inputs in, const Attrs& a) {
  std::vector<int64_t> pads;
  const std::string& p = padding_of(a[2], &pads);
  return conv2d_backprop_filter(*in[0], a[0].ints, *in[1], a[1].ints, p, pads, a[3].ints, a[4].i, a[5].s);
}
Array pool_entry(int is_max, Inputs in, const Attrs& a) { return pool2d(*in[0], is_max != 0, a[0].ints, a[1].ints, a[2].s, a[3].s); }
Array max_pool_grad_entry(int, Inputs in, const Attrs& a) {
  return max_pool2d_grad(*in[0], *in[1], a[0].ints, a[1].ints, a[2].s, a[3].s);
}
Array max_pool_grad_grad_entry(int, Inputs in, const Attrs& a) {
  return max_pool2d_grad_grad(*in[0], *in[1], a[0].ints, a[1].ints, a[2].s, a[3].s);
}
Array avg_pool_grad_entry(int, Inputs in, const Attrs& a) {
  return avg_pool2d_grad(a[0].ints, *in[0], a[1].ints, a[2].ints, a[3].s, a[4].s);
}
Array bn_stats_entry(int, Inputs in, const Attrs& a) { return batch_norm_stats(*in[0], a[0].i); }
Array bn_apply_entry(int, Inputs in, const Attrs& a) {
  return batch_norm_apply(*in[0], *in[1], *in[2], *in[3], *in[4], a[0].num(), a[1].i);
}
Array affine_entry(int, Inputs in, const Attrs& a) { return channel_affine(*in[0], *in[1], *in[2], a[0].i); }
Array bn_sums_entry(int, Inputs in, const Attrs& a) { return batch_norm_grad_sums(*in[0], *in[1], *in[2], a[0].i); }
// Training-mode batch norm: (x, scale, offset; epsilon, axis) -> y, mean, var;
// (dy, x, mean, var, scale, dmean?, dvar?; epsilon, axis) -> dx, dscale, doffset.
std::vector<Array> bn_train_entry(int, Inputs in, const Attrs& a) {
  return batch_norm_train(*in[0], *in[1], *in[2], a[0].num(), a[1].i);
}
void bn_train_to(int, const Array* outs, Inputs in, const Attrs& a) {
  batch_norm_train_to(outs, *in[0], *in[1], *in[2], a[0].num(), a[1].i);
}
std::vector<Array> bn_train_grad_entry(int, Inputs in, const Attrs& a) {
  return batch_norm_train_grad(*in[0], *in[1], *in[2], *in[3], *in[4], in[5], in[6], a[0].num(), a[1].i);
}
void bn_train_grad_to(int, const Array* outs, Inputs in, const Attrs& a) {
  batch_norm_train_grad_to(outs, *in[0], *in[1], *in[2], *in[3], *in[4], in[5], in[6], a[0].num(), a[1].i);
}
// A whole recurrent sequence and its gradient; the LSTM's cell state is the
// last input (the list is null-terminated, so a GRU's reads as absent).
Array rnn_entry(int, Inputs in, const Attrs& a) {
  return rnn_sequence(a[0].s, *in[0], *in[1], *in[2], *in[3], *in[4], *in[5], in[6]);
}
Array rnn_grad_entry(int, Inputs in, const Attrs& a) {
  return rnn_sequence_grad(a[0].s, *in[0], *in[1], *in[2], *in[3], *in[4], *in[5], *in[6], in[7]);
}

std::unordered_map<std::string, OpImpl> make_table() {
  std::unordered_map<std::string, OpImpl> t;
  for (int i = 0; i < static_cast<int>(BinaryOp::Count); ++i)
    t[op_name(static_cast<BinaryOp>(i))] = {i, binary_entry, binary_to, true};
  for (int i = 0; i < static_cast<int>(UnaryOp::Count); ++i)
    t[op_name(static_cast<UnaryOp>(i))] = {i, unary_entry, unary_to, true};
  for (int i = 0; i < static_cast<int>(ReduceOp::Count); ++i)
    t[op_name(static_cast<ReduceOp>(i))] = {i, reduce_entry, reduce_to};
  t["assign_add"] = {static_cast<int>(BinaryOp::Add), assign_add_entry, nullptr};
  t["assign_sub"] = {static_cast<int>(BinaryOp::Sub), assign_add_entry, nullptr};
  t["assign"] = {0, assign_entry, nullptr};
  t["apply_sgd"] = {0, sgd_entry, nullptr};
  t["apply_rmsprop"] = {0, rmsprop_entry, nullptr};
  t["apply_adam"] = {0, adam_entry, nullptr};
  t["apply_adagrad"] = {0, adagrad_entry, nullptr};
  t["argmax"] = {1, arg_entry, arg_to};
  t["argmin"] = {0, arg_entry, arg_to};
  t["cast"] = {0, cast_entry, copy_to};
  t["matmul"] = {0, matmul_entry, matmul_to};
  t["dense"] = {0, dense_entry, dense_to};
  t["softmax"] = {0, softmax_entry, softmax_to};
  t["log_softmax"] = {1, softmax_entry, softmax_to};
  t["softmax_grad"] = {0, softmax_grad_entry, softmax_grad_to};
  t["log_softmax_grad"] = {1, softmax_grad_entry, softmax_grad_to};
  t["relu_grad"] = {0, relu_grad_entry, relu_grad_to};
  t["gelu"] = {0, gelu_entry, gelu_to};
  t["gelu_grad"] = {0, gelu_grad_entry, gelu_grad_to};
  t["sparse_softmax_cross_entropy_with_logits"] = {0, sxent_entry, sxent_to};
  t["sparse_softmax_cross_entropy_with_logits_grad"] = {0, sxent_grad_entry, sxent_grad_to};
  t["softmax_cross_entropy_with_logits"] = {0, xent_entry, xent_to};
  t["softmax_cross_entropy_with_logits_grad"] = {0, xent_grad_entry, xent_grad_to};
  t["reshape"] = {0, reshape_entry, nullptr};
  t["transpose"] = {0, transpose_entry, nullptr};
  t["expand_dims"] = {0, expand_entry, nullptr};
  t["squeeze"] = {0, squeeze_entry, nullptr};
  t["identity"] = {0, same, nullptr};
  t["stop_gradient"] = {0, same, nullptr};
  t["broadcast_to"] = {0, broadcast_entry, copy_to};
  t["strided_slice"] = {0, index_entry, nullptr};
  t["strided_slice_grad"] = {0, index_grad_entry, nullptr};
  t["concat"] = {0, concat_entry, concat_to};
  t["stack"] = {0, stack_entry, stack_to};
  t["where"] = {0, where_entry, nullptr};
  t["clip_by_value"] = {0, clip_entry, nullptr};
  t["gather"] = {0, gather_entry, nullptr};
  t["gather_grad"] = {0, gather_grad_entry, nullptr};
  t["one_hot"] = {0, one_hot_entry, nullptr};
  t["fill"] = {0, fill_entry, fill_to};
  t["range"] = {0, range_entry, nullptr};
  t["eye"] = {0, eye_entry, nullptr};
  t["random_uniform"] = {0, uniform_entry, uniform_to};
  t["random_uniform_int"] = {0, uniform_int_entry, uniform_int_to};
  t["random_normal"] = {0, normal_entry, normal_to};
  t["truncated_normal"] = {0, truncated_entry, truncated_to};
  t["conv2d"] = {0, conv_entry, conv_to};
  t["fused_conv2d"] = {0, fused_conv_entry, fused_conv_to};
  t["conv2d_backprop_input"] = {0, conv_input_entry, conv_input_to};
  t["conv2d_backprop_filter"] = {0, conv_filter_entry, conv_filter_to};
  t["max_pool2d"] = {1, pool_entry, nullptr};
  t["avg_pool2d"] = {0, pool_entry, nullptr};
  t["max_pool2d_grad"] = {0, max_pool_grad_entry, nullptr};
  t["max_pool2d_grad_grad"] = {0, max_pool_grad_grad_entry, nullptr};
  t["avg_pool2d_grad"] = {0, avg_pool_grad_entry, nullptr};
  t["batch_norm_stats"] = {0, bn_stats_entry, nullptr};
  t["batch_norm_apply"] = {0, bn_apply_entry, nullptr};
  t["channel_affine"] = {0, affine_entry, nullptr};
  t["batch_norm_grad_sums"] = {0, bn_sums_entry, nullptr};
  t["batch_norm_train"] = {0, nullptr, nullptr, false, bn_train_entry, bn_train_to};
  t["batch_norm_train_grad"] = {0, nullptr, nullptr, false, bn_train_grad_entry, bn_train_grad_to};
  t["rnn_sequence"] = {0, rnn_entry, nullptr};
  t["rnn_sequence_grad"] = {0, rnn_grad_entry, nullptr};
  return t;
}

}  // namespace

const OpImpl* find_op(const std::string& name) {
  static const std::unordered_map<std::string, OpImpl> table = make_table();
  auto it = table.find(name);
  return it == table.end() ? nullptr : &it->second;
}

bool supports(const std::string& op) { return find_op(op) != nullptr; }

}  // namespace tl::graph
