// The graph runtime (plan.h): discovery run, fusion, liveness-based buffers,
// and the steady-state run over them.
#include "graph/plan.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <sstream>

#include "device.h"
#include "errors.h"
#include "graph/ops.h"

namespace tl::graph {

namespace {

constexpr int kForever = std::numeric_limits<int>::max();

// The value of a 0-d slot read as an attribute (a learning rate, a step).
void read_scalar(const Array& v, Attr* a) {
  Array h = to_host(v);
  if (h.size() != 1)
    throw InvalidArgument("tensorlet.function: an attribute read from a tensor must be a scalar, got shape " +
                          shape_str(h.shape()));
  switch (h.dtype()) {
    case DType::Float32: a->kind = Attr::Float, a->f = *h.data<float>(); break;
    case DType::Float64: a->kind = Attr::Float, a->f = *h.data<double>(); break;
    case DType::Int32: a->kind = Attr::Int, a->i = *h.data<int32_t>(); break;
    case DType::Int64: a->kind = Attr::Int, a->i = *h.data<int64_t>(); break;
    case DType::Bool: a->kind = Attr::Int, a->i = *h.data<bool>(); break;
    default:
      throw InvalidArgument(std::string("tensorlet.function: an attribute cannot be read from a ") +
                            dtype_name(h.dtype()) + " tensor");
  }
}

}  // namespace

Plan::Plan(int num_slots, std::vector<NodeSpec> nodes, std::vector<std::pair<int, Array>> constants,
           std::vector<int> args, std::vector<int> vars, std::vector<int> outputs)
    : vals_(num_slots), keep_(num_slots, false), args_(std::move(args)), vars_(std::move(vars)),
      outputs_(std::move(outputs)) {
  auto check_slot = [&](int s) {
    if (s < -1 || s >= num_slots) throw InvalidArgument("tensorlet.function: slot " + std::to_string(s) + " out of range");
  };
  for (auto& c : constants) {
    check_slot(c.first);
    vals_[c.first] = c.second;
    keep_[c.first] = true;
  }
  for (int s : args_) check_slot(s);
  for (int s : vars_) check_slot(s);
  for (int s : outputs_) check_slot(s);
  for (auto& n : nodes) {
    Step st;
    st.impl = find_op(n.op);
    if (!st.impl) throw InvalidArgument("tensorlet.function: the graph runtime cannot run op '" + n.op + "'");
    st.code = st.impl->code;
    for (int s : n.inputs) check_slot(s);
    check_slot(n.output);
    for (int s : n.outputs) check_slot(s);
    if (n.outputs.empty() != (st.impl->multi == nullptr) || (!n.outputs.empty() && n.outputs[0] != n.output))
      throw InvalidArgument("tensorlet.function: op '" + n.op + "' has another number of outputs in the runtime");
    for (auto& sa : n.slot_attrs) {
      check_slot(sa.second);
      if (sa.first < 0 || sa.first >= static_cast<int>(n.attrs.size()))
        throw InvalidArgument("tensorlet.function: attribute index out of range in op '" + n.op + "'");
    }
    if (n.seeded && n.attrs.size() < 2) throw InvalidArgument("tensorlet.function: a seeded op needs two attributes");
    st.in.resize(n.inputs.size() + 1);  // null-terminated (concat and stack count their inputs)
    st.spec = std::move(n);
    steps_.push_back(std::move(st));
  }
}

void Plan::run_steps(bool first, const std::vector<uint64_t>& seeds) {
  size_t k = 0;
  for (Step& st : steps_) {
    if (st.skip) continue;
    NodeSpec& n = st.spec;
    for (auto& sa : n.slot_attrs) read_scalar(vals_[sa.second], &n.attrs[sa.first]);
    if (n.seeded) {
      if (k + 2 > seeds.size()) throw InvalidArgument("tensorlet.function: too few seeds for the graph's draws");
      n.attrs[n.attrs.size() - 2].i = static_cast<int64_t>(seeds[k]);
      n.attrs[n.attrs.size() - 1].i = static_cast<int64_t>(seeds[k + 1]);
      k += 2;
    }
    for (size_t j = 0; j < n.inputs.size(); ++j) st.in[j] = n.inputs[j] < 0 ? nullptr : &vals_[n.inputs[j]];
    if (first) {
      run_step(st, true);
    } else {  // timed: describe() shows where a run's time goes
      const auto t0 = std::chrono::steady_clock::now();
      run_step(st, false);
      st.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
  }
}

void Plan::run_step(Step& st, bool first) {
  NodeSpec& n = st.spec;
  if (!n.outputs.empty()) return run_multi(st, first);
  if (!first && !st.chain.empty()) {
    run_chain(st);
    vals_[n.output] = st.out;
    return;
  }
  if (!first && st.mode == Step::Into) {
    st.impl->into(st.code, st.out, st.in.data(), n.attrs);
    vals_[n.output] = st.out;
    return;
  }
  Array r = st.impl->entry(st.code, st.in.data(), n.attrs);
  if (n.mutates) return;
  if (!first && st.mode == Step::Copy) {
    backend(st.out.device()).kernels.copy(st.out, r);
    vals_[n.output] = st.out;
  } else {
    vals_[n.output] = n.copy ? r.copy() : std::move(r);
  }
}

void Plan::run_multi(Step& st, bool first) {
  const NodeSpec& n = st.spec;
  if (!first && st.mode == Step::Into) {
    thread_local std::vector<Array> outs;  // kept: a steady-state run allocates nothing
    outs.clear();
    for (const Step::Out& o : st.outs) outs.push_back(o.out);
    st.impl->multi_into(st.code, outs.data(), st.in.data(), n.attrs);
    outs.clear();  // holds no buffer between runs (run() counts who holds one)
    for (const Step::Out& o : st.outs) vals_[o.slot] = o.out;
    return;
  }
  std::vector<Array> r = st.impl->multi(st.code, st.in.data(), n.attrs);
  if (r.size() != n.outputs.size())
    throw InvalidArgument("tensorlet.function: op '" + n.op + "' gave " + std::to_string(r.size()) +
                          " outputs, the graph has " + std::to_string(n.outputs.size()));
  for (size_t k = 0; k < n.outputs.size(); ++k) vals_[n.outputs[k]] = n.copy ? r[k].copy() : std::move(r[k]);
}

// After the first run: each output's shape, dtype and kind; then fusion and buffers.
void Plan::discover() {
  std::vector<int> uses(vals_.size(), 0);
  for (int s : outputs_) uses[s] += 2;  // never fused away
  for (Step& st : steps_) {
    for (int s : st.spec.inputs) if (s >= 0) ++uses[s];
    for (auto& sa : st.spec.slot_attrs) ++uses[sa.second];
    if (st.spec.mutates) ++uses[st.spec.output];
  }
  std::vector<int> producer(vals_.size(), -1), relu_of(vals_.size(), -1);
  for (size_t j = 0; j < steps_.size(); ++j) {
    Step& st = steps_[j];
    if (st.spec.mutates) continue;
    producer[st.spec.output] = static_cast<int>(j);
    for (int s : st.spec.outputs) producer[s] = static_cast<int>(j);
    // Pure ops of constants: computed once, by this first run.
    bool folds = !st.spec.seeded && st.spec.slot_attrs.empty() && !st.spec.copy;
    for (int s : st.spec.inputs) folds = folds && (s < 0 || keep_[s]);
    if (folds) {
      for (int s : st.spec.outputs.empty() ? std::vector<int>{st.spec.output} : st.spec.outputs) {
        keep_[s] = true;
        keep_folded_.push_back(s);
      }
      st.skip = st.folded = true;
      continue;
    }
    // relu_grad(x, dy) == relu_grad(relu(x), dy): reading relu's output leaves x to
    // the relu alone, so the relu can join the GEMM that makes x.
    if (st.spec.op == "relu") relu_of[st.spec.inputs[0]] = st.spec.output;
    if (st.spec.op == "relu_grad" && relu_of[st.spec.inputs[0]] >= 0) {
      --uses[st.spec.inputs[0]];
      st.spec.inputs[0] = relu_of[st.spec.inputs[0]];
      ++uses[st.spec.inputs[0]];
    }
    const Array& r = vals_[st.spec.output];
    st.shape = r.shape(), st.dtype = r.dtype(), st.device = r.device();
    bool fresh = r.storage() != nullptr && r.size() > 0 && r.is_contiguous() && r.offset() == 0;
    // The slots take only the dtypes kernels compute in: narrow and complex
    // tensors go through the entry points, which widen and narrow them.
    auto computed_in = [](DType t) { return compute_dtype(t) == t && !is_complex(t); };
    fresh = fresh && computed_in(r.dtype());
    for (int s : st.spec.inputs)
      if (s >= 0 && (vals_[s].size() == 0 || (vals_[s].storage() && vals_[s].storage() == r.storage()) ||
                     !computed_in(vals_[s].dtype())))
        fresh = false;
    if (!st.spec.outputs.empty()) {  // a multi-output op: into its buffers when every output is fresh
      st.outs.clear();
      for (int s : st.spec.outputs) {
        const Array& o = vals_[s];
        fresh = fresh && o.storage() && o.size() > 0 && o.is_contiguous() && o.offset() == 0 &&
                computed_in(o.dtype()) && o.device() == st.device;
        for (int i : st.spec.inputs)
          if (i >= 0 && vals_[i].storage() == o.storage()) fresh = false;
        st.outs.push_back({s, -1, false, o.shape(), o.dtype(), Array()});
      }
      if (fresh && st.impl->multi_into && !st.spec.copy) st.mode = Step::Into;
      continue;
    }
    if (st.spec.copy && r.size() > 0) st.mode = Step::Copy;
    else if (fresh && st.impl->into && !st.spec.copy) st.mode = Step::Into;
  }
  // Fusion: matmul + bias row -> dense (the bias added as the GEMM writes each tile),
  // then dense + relu -> dense with relu.
  // A fused step reads its producer's inputs later than the producer did: no
  // variable may be written in between.
  std::vector<int> writes_before(steps_.size() + 1, 0);
  for (size_t j = 0; j < steps_.size(); ++j) writes_before[j + 1] = writes_before[j] + steps_[j].spec.mutates;
  static const OpImpl* dense_op = find_op("dense");
  auto single_into = [&](int s, const char* op, size_t at) -> Step* {
    if (s < 0 || uses[s] != 1 || producer[s] < 0 || writes_before[at] != writes_before[producer[s]]) return nullptr;
    Step& p = steps_[producer[s]];
    return p.mode == Step::Into && !p.skip && p.spec.op == op ? &p : nullptr;
  };
  for (size_t j = 0; j < steps_.size(); ++j) {
    Step& st = steps_[j];
    if (st.mode != Step::Into || st.skip) continue;
    if (st.spec.op == "add") {
      for (int side = 0; side < 2; ++side) {
        Step* mm = single_into(st.spec.inputs[side], "matmul", j);
        int bias = st.spec.inputs[1 - side];
        if (!mm || mm->spec.attrs[0].i || mm->spec.attrs[1].i || mm->shape.size() != 2 || mm->shape != st.shape) continue;
        const Array &x = vals_[mm->spec.inputs[0]], &w = vals_[mm->spec.inputs[1]], &b = vals_[bias];
        if (!is_float(x.dtype()) || x.ndim() != 2 || w.ndim() != 2 || b.ndim() != 1 || b.shape()[0] != st.shape[1])
          continue;
        mm->skip = true;
        st.impl = dense_op, st.spec.op = "dense", st.code = 0;
        st.spec.inputs = {mm->spec.inputs[0], mm->spec.inputs[1], bias};
        st.spec.attrs.assign(1, Attr{Attr::Str, 0, 0, "linear", {}, {}});
        st.in.assign(4, nullptr);
        break;
      }
    } else if (st.spec.op == "relu") {
      Step* d = single_into(st.spec.inputs[0], "dense", j);
      if (d && d->spec.attrs[0].s == "linear") {
        d->skip = true;
        st.impl = dense_op, st.spec.op = "dense", st.code = 0;
        st.spec.inputs = d->spec.inputs;
        st.spec.attrs = d->spec.attrs;
        st.spec.attrs[0].s = "relu";
        st.in.assign(st.spec.inputs.size() + 1, nullptr);
      }
    }
  }
  fuse_chains(uses);
  assign_buffers();
}

// Chains of elementwise float ops, each feeding only the next (consecutive
// steps, same shape and dtype): one step that runs the whole chain over
// cache-sized chunks of the last output, each op in place on the chunk, so an
// intermediate never goes to memory. Other operands are buffers or constants
// (contiguous on every run) or single elements.
void Plan::fuse_chains(const std::vector<int>& uses) {
  auto member = [&](const Step& st) {
    if (st.skip || st.mode != Step::Into || !st.impl->elementwise || !is_float(st.dtype)) return false;
    for (int s : st.spec.inputs)
      if (vals_[s].dtype() != st.dtype) return false;  // comparisons and logical ops
    return true;
  };
  auto operand_ok = [&](int s, const Step& st) {
    const Array& v = vals_[s];
    if (v.size() == 1) return true;
    bool fixed = keep_[s];
    for (const Step& p : steps_)
      if (!p.spec.mutates && !p.folded &&
          (p.spec.output == s || std::count(p.spec.outputs.begin(), p.spec.outputs.end(), s)))
        fixed = p.mode != Step::Entry;
    return fixed && v.is_contiguous() && v.shape() == st.shape;
  };
  for (size_t j = 0; j < steps_.size(); ++j) {
    if (!member(steps_[j])) continue;
    std::vector<int> chain{static_cast<int>(j)};
    size_t k = j + 1;
    while (k < steps_.size()) {
      if (steps_[k].skip) { ++k; continue; }  // folded or fused away: nothing runs there
      Step &prev = steps_[chain.back()], &next = steps_[k];
      const int link = prev.spec.output;
      if (uses[link] != 1 || !member(next) || next.shape != prev.shape || next.dtype != prev.dtype) break;
      if (std::count(next.spec.inputs.begin(), next.spec.inputs.end(), link) != 1) break;
      chain.push_back(static_cast<int>(k++));
    }
    bool ok = chain.size() > 1;
    for (size_t c = 0; ok && c < chain.size(); ++c)
      for (int s : steps_[chain[c]].spec.inputs)
        if ((c == 0 || s != steps_[chain[c - 1]].spec.output) && !operand_ok(s, steps_[chain.back()])) ok = false;
    if (!ok) continue;
    for (size_t c = 0; c + 1 < chain.size(); ++c) steps_[chain[c]].skip = true;
    Step& last = steps_[chain.back()];
    last.chain = chain;
    // The liveness pass sees every outside operand as the last step's input.
    for (size_t c = 0; c + 1 < chain.size(); ++c)
      for (int s : steps_[chain[c]].spec.inputs)
        if (c == 0 || s != steps_[chain[c - 1]].spec.output) last.extra_inputs.push_back(s);
    j = chain.back();
  }
}

// Runs a fused chain (fuse_chains) into `st.out`, chunk by chunk.
void Plan::run_chain(Step& st) {
  constexpr int64_t kChunk = 16384;
  const int64_t n = st.out.size();
  const DeviceKernels& k = backend(st.out.device()).kernels;
  auto piece = [](const Array& a, int64_t off, int64_t len) {
    return a.size() == 1 ? a : a.view({len}, {1}, a.offset() + off);
  };
  for (int64_t off = 0; off < n; off += kChunk) {
    const int64_t len = std::min(kChunk, n - off);
    Array out = piece(st.out, off, len);
    int prev = -1;
    for (int m : st.chain) {
      const Step& ms = steps_[m];
      const auto& ins = ms.spec.inputs;
      auto arg = [&](int i) { return ins[i] == prev ? out : piece(vals_[ins[i]], off, len); };
      if (ins.size() == 1) k.unary(static_cast<UnaryOp>(ms.code), out, arg(0));
      else k.binary(static_cast<BinaryOp>(ms.code), out, arg(0), arg(1));
      prev = ms.spec.output;
    }
  }
}

// Liveness: a slot lives from its step to its last use; an Entry step's
// output may view its inputs, so their lives extend to its own. Buffers of
// one dtype and device are shared by slots whose lives do not overlap.
void Plan::assign_buffers() {
  const int n = static_cast<int>(steps_.size());
  std::vector<int> end(vals_.size(), -1);
  for (int s : outputs_) end[s] = kForever;
  for (int j = n - 1; j >= 0; --j) {
    Step& st = steps_[j];
    if (st.skip) continue;
    const bool aliases = st.mode == Step::Entry && !st.spec.mutates;
    int out_end = end[st.spec.output];
    for (int s : st.spec.outputs) out_end = std::max(out_end, end[s]);
    auto use = [&](int s) {
      if (s < 0) return;
      end[s] = std::max(end[s], j);
      if (aliases) end[s] = std::max(end[s], out_end);
    };
    for (int s : st.spec.inputs) use(s);
    for (int s : st.extra_inputs) use(s);
    for (auto& sa : st.spec.slot_attrs) use(sa.second);
  }
  struct Buf { DType dtype; Device device; int64_t size; int busy_until; };
  std::vector<Buf> bufs;
  // A buffer for the output `slot` written at step j: sets *buffer, *escapes.
  auto place = [&](int j, int slot, const Shape& shape, DType dtype, Device device, int* buffer, bool* escapes) {
    const int until = std::max(end[slot], j);
    const int64_t size = numel(shape);
    int best = -1;
    if (until != kForever) {
      for (int b = 0; b < static_cast<int>(bufs.size()); ++b) {
        const Buf& f = bufs[b];
        if (f.busy_until >= j || f.dtype != dtype || f.device != device) continue;
        // The smallest that fits, else the largest (it grows).
        if (best < 0) best = b;
        else if (f.size >= size ? (bufs[best].size < size || f.size < bufs[best].size) : f.size > bufs[best].size)
          best = b;
      }
    }
    if (best < 0) {
      bufs.push_back({dtype, device, 0, 0});
      best = static_cast<int>(bufs.size()) - 1;
    }
    bufs[best].size = std::max(bufs[best].size, size);
    bufs[best].busy_until = until;
    *buffer = best;
    *escapes = until == kForever;
  };
  for (int j = 0; j < n; ++j) {
    Step& st = steps_[j];
    if (st.skip || st.spec.mutates || st.mode == Step::Entry) continue;
    if (st.outs.empty()) place(j, st.spec.output, st.shape, st.dtype, st.device, &st.buffer, &st.escapes);
    for (Step::Out& o : st.outs) place(j, o.slot, o.shape, o.dtype, st.device, &o.buffer, &o.escapes);
  }
  buffers_.clear();
  for (const Buf& b : bufs) buffers_.push_back(Array::empty({b.size}, b.dtype, b.device));
  for (Step& st : steps_) {
    if (st.buffer >= 0) st.out = buffers_[st.buffer].view(st.shape, contiguous_strides(st.shape), 0);
    for (Step::Out& o : st.outs)
      if (o.buffer >= 0) o.out = buffers_[o.buffer].view(o.shape, contiguous_strides(o.shape), 0);
  }
  ready_ = true;
}

std::vector<Array> Plan::run(const std::vector<Array>& args, const std::vector<Array>& vars,
                             const std::vector<uint64_t>& seeds) {
  std::lock_guard<std::mutex> lock(mu_);
  if (args.size() != args_.size() || vars.size() != vars_.size())
    throw InvalidArgument("tensorlet.function: the graph takes " + std::to_string(args_.size()) + " arguments and " +
                          std::to_string(vars_.size()) + " variables, got " + std::to_string(args.size()) + " and " +
                          std::to_string(vars.size()));
  struct Clear {  // drop this run's arrays, also when it throws
    Plan* p;
    ~Clear() {
      for (size_t s = 0; s < p->vals_.size(); ++s)
        if (!p->keep_[s]) p->vals_[s] = Array();
    }
  } clear{this};
  for (size_t i = 0; i < args.size(); ++i) vals_[args_[i]] = args[i];
  for (size_t i = 0; i < vars.size(); ++i) vals_[vars_[i]] = vars[i];
  // Arguments on another device than the plan was made for: learn it again.
  for (size_t i = 0; ready_ && i < args.size(); ++i) ready_ = args[i].device() == arg_devices_[i];
  if (ready_) {
    // An output buffer the caller still holds (from the last run) is left to it.
    for (Step& st : steps_) {
      if (st.escapes && st.buffer >= 0 && buffers_[st.buffer].storage().use_count() > 2) {
        buffers_[st.buffer] = Array::empty({numel(st.shape)}, st.dtype, st.device);
        st.out = buffers_[st.buffer].view(st.shape, contiguous_strides(st.shape), 0);
      }
      for (Step::Out& o : st.outs)
        if (o.escapes && o.buffer >= 0 && buffers_[o.buffer].storage().use_count() > 2) {
          buffers_[o.buffer] = Array::empty({numel(o.shape)}, o.dtype, st.device);
          o.out = buffers_[o.buffer].view(o.shape, contiguous_strides(o.shape), 0);
        }
    }
    run_steps(false, seeds);
    ++timed_runs_;
  } else {
    for (int s : keep_folded_) keep_[s] = false;  // a new discovery folds again
    keep_folded_.clear();
    for (Step& st : steps_) st.skip = st.folded = false, st.mode = Step::Entry, st.buffer = -1, st.chain.clear(),
                             st.extra_inputs.clear(), st.outs.clear(), st.seconds = 0;
    timed_runs_ = 0;
    run_steps(true, seeds);
    arg_devices_.clear();
    for (const Array& a : args) arg_devices_.push_back(a.device());
    discover();
  }
  ++runs_;
  std::vector<Array> out;
  out.reserve(outputs_.size());
  for (int s : outputs_) out.push_back(vals_[s]);
  return out;
}

PlanStats Plan::stats() const {
  PlanStats s;
  s.runs = runs_;
  for (const Step& st : steps_) {
    s.nodes += 1;
    s.fused += st.skip && !st.folded;
    s.folded += st.folded;
    s.into += !st.skip && st.mode != Step::Entry && !st.spec.mutates;
  }
  s.buffers = static_cast<int64_t>(buffers_.size());
  for (const Array& b : buffers_) s.buffer_bytes += b.size() * b.itemsize();
  return s;
}

std::string Plan::describe() const {
  std::ostringstream o;
  static const char* kModes[] = {"entry", "into", "copy"};
  for (const Step& st : steps_) {
    if (st.skip) continue;
    if (st.spec.outputs.empty()) o << "%" << st.spec.output;
    for (size_t k = 0; k < st.spec.outputs.size(); ++k) o << (k ? ", %" : "%") << st.spec.outputs[k];
    o << " = " << st.spec.op << "(";
    for (size_t j = 0; j < st.spec.inputs.size(); ++j)
      o << (j ? ", " : "") << (st.spec.inputs[j] < 0 ? std::string("_") : "%" + std::to_string(st.spec.inputs[j]));
    o << ")";
    for (size_t c = 0; c + 1 < st.chain.size(); ++c) o << (c ? " <- " : "  fused: ") << steps_[st.chain[c]].spec.op;
    if (st.spec.mutates) o << "  in place";
    else if (ready_) o << "  " << kModes[st.mode] << (st.buffer >= 0 ? " buffer " + std::to_string(st.buffer) : "")
                       << " " << shape_str(st.shape);
    for (const Step::Out& b : st.outs)
      if (b.buffer >= 0) o << " buffer " << b.buffer;
    if (timed_runs_ > 0) o << "  " << static_cast<int64_t>(st.seconds / timed_runs_ * 1e7) / 10.0 << " us";
    o << "\n";
  }
  return o.str();
}

}  // namespace tl::graph
