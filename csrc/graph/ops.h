// The graph runtime's op table: for each registered op name it runs, the
// checked entry point (as the Python kernel calls it: inputs, then
// attributes) and, where a DeviceKernels slot computes it, the form that
// writes into a given output of the entry's result shape and dtype.
#pragma once
#include <string>
#include <vector>

#include "array.h"
#include "graph/plan.h"

namespace tl::graph {

using Inputs = const Array* const*;  // null: an absent optional operand

struct OpImpl {
  int code;  // the op-table code of an elementwise or reduce family member
  Array (*entry)(int code, Inputs in, const std::vector<Attr>& a);
  // null: no output-taking form (views, data-dependent checks, composites).
  void (*into)(int code, const Array& out, Inputs in, const std::vector<Attr>& a);
  bool elementwise = false;  // a unary/binary op, candidate for chain fusion
  // A multi-output op (entry and into null): every output from the checked
  // entry point, or written into given outputs (one per output, in order).
  std::vector<Array> (*multi)(int code, Inputs in, const std::vector<Attr>& a) = nullptr;
  void (*multi_into)(int code, const Array* outs, Inputs in, const std::vector<Attr>& a) = nullptr;
};

const OpImpl* find_op(const std::string& name);

}  // namespace tl::graph
