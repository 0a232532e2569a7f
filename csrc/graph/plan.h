// The graph runtime of tensorlet.function: a traced graph (flat, ordered op
// list over numbered slots, attributes as plain values) turned once into a
// plan that runs a whole call in C++.
//
// The first run calls every op's checked entry point (the same functions
// eager ops call) and learns each output's shape, dtype and whether it is a
// fresh array or a view of an input. From then on an op with an output-taking
// form (a DeviceKernels slot) writes into a preallocated buffer, buffers are
// shared between slots whose lifetimes do not overlap, and a steady-state run
// allocates no array storage. Mutating ops (assignments, optimizer updates)
// write the variables' storage in place; random draws take the (key, counter)
// pairs the caller passes for this run; attributes held in slots (a learning
// rate, a step count) are read when their op runs.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "array.h"

namespace tl::graph {

// One attribute, as the op's Python kernel took it.
struct Attr {
  enum Kind : uint8_t { None, Int, Float, Str, Ints, Index } kind = None;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<IndexItem> index;
  double num() const { return kind == Float ? f : static_cast<double>(i); }
  int64_t integer() const { return kind == Float ? static_cast<int64_t>(f) : i; }
};

struct OpImpl;  // graph/ops.h

struct NodeSpec {
  std::string op;
  std::vector<int> inputs;                      // -1: an absent optional operand
  std::vector<Attr> attrs;
  std::vector<std::pair<int, int>> slot_attrs;  // attribute index <- a 0-d slot, read each run
  int output = -1;
  std::vector<int> outputs;  // a multi-output op's slots, in order (output is the first); empty otherwise
  bool seeded = false;  // the last two attributes are a (key, counter) pair given per run
  bool copy = false;    // the output is copied (it would view a variable)
  bool mutates = false;
};

// Whether the runtime can run `op` (else the graph keeps the Python replay).
bool supports(const std::string& op);

struct PlanStats {
  int64_t nodes = 0, fused = 0, folded = 0, buffers = 0, buffer_bytes = 0, into = 0, runs = 0;
};

// One op of the plan and how it runs.
struct Step {
  NodeSpec spec;
  const OpImpl* impl = nullptr;
  int code = 0;
  enum Mode : uint8_t { Entry, Into, Copy } mode = Entry;  // Copy: the entry's result copied into the buffer
  bool skip = false;      // fused into a later step, or folded
  bool folded = false;    // a pure op of constants, computed once
  int buffer = -1;
  bool escapes = false;   // the buffer reaches the caller: replaced when the caller still holds it
  Shape shape;
  DType dtype = DType::Float32;
  Device device = Device::CPU;
  Array out;              // the buffer view the output is written to (Into, Copy)
  std::vector<const Array*> in;
  // A multi-output op's outputs (NodeSpec::outputs), each with its own
  // shape, dtype and buffer (the step's own fields describe the first).
  struct Out {
    int slot = -1, buffer = -1;
    bool escapes = false;
    Shape shape;
    DType dtype = DType::Float32;
    Array out;
  };
  std::vector<Out> outs;
  std::vector<int> chain;         // a fused elementwise chain ending here: its steps, in order
  std::vector<int> extra_inputs;  // the chain's other operands
  double seconds = 0;             // time spent in the steady-state runs
};

class Plan {
 public:
  // constants: (slot, array) captured by value; args, vars: the slots the
  // run's argument and variable arrays go to; outputs: the slots returned.
  // Throws InvalidArgument for an op that supports() refuses.
  Plan(int num_slots, std::vector<NodeSpec> nodes, std::vector<std::pair<int, Array>> constants,
       std::vector<int> args, std::vector<int> vars, std::vector<int> outputs);
  // seeds: a (key, counter) pair per seeded node, in node order.
  std::vector<Array> run(const std::vector<Array>& args, const std::vector<Array>& vars,
                         const std::vector<uint64_t>& seeds);
  PlanStats stats() const;
  std::string describe() const;  // one line per step: how it runs, its mean time per run

 private:
  void discover();      // the first run's outputs -> modes, fusions, buffers
  void run_steps(bool first, const std::vector<uint64_t>& seeds);
  void run_step(Step& st, bool first);
  void run_multi(Step& st, bool first);
  void assign_buffers();
  void fuse_chains(const std::vector<int>& uses);
  void run_chain(Step& st);

  std::vector<Step> steps_;
  std::vector<Array> vals_;
  std::vector<bool> keep_;  // constant and folded slots: not cleared after a run
  std::vector<int> keep_folded_;
  std::vector<Device> arg_devices_;
  std::vector<int> args_, vars_, outputs_;
  std::vector<Array> buffers_;  // 1-D, one dtype each; slots view them
  bool ready_ = false;
  int64_t runs_ = 0, timed_runs_ = 0;
  std::mutex mu_;  // one run at a time: the buffers are shared state
};

}  // namespace tl::graph
