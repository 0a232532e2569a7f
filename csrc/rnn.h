// Fused recurrent layers: a whole sequence of SimpleRNN, LSTM or GRU steps in
// one call, and its backpropagation through time in another.
//
// The forward pass projects every step's input with one GEMM, then runs the
// recurrence: per step one GEMM for the recurrent term and one fused pass of
// the gate arithmetic. Its result packs, per (batch, step), the state and
// every gate value the backward pass needs, so nothing is recomputed:
//   simple_rnn: [h]                  width U
//   lstm:       [h, c, i, f, g, o]   width 6U (Keras's gate order i, f, c, o)
//   gru:        [h, z, r, hh, rh]    width 5U (reset_after: rh = h_prev @ U_h + b_rec_h)
// Activations are tanh and sigmoid (Keras's defaults). Where mask[b, t] is
// false, the states carry over from the previous step (the gate slots still
// hold the values computed at that step).
#pragma once
#include <string>

#include "array.h"

namespace tl {

// kind: "simple_rnn", "lstm" or "gru" (reset_after). Shapes: x (B, T, F),
// kernel (F, G*U), recurrent (U, G*U), bias (G*U,) or, for gru, (2, G*U)
// (input and recurrent biases), mask (B, T) bool, h0 and c0 (B, U); c0 only
// for lstm (null otherwise). Returns (B, T, W) as above.
Array rnn_sequence(const std::string& kind, const Array& x, const Array& kernel, const Array& recurrent,
                   const Array& bias, const Array& mask, const Array& h0, const Array* c0);

// The vector-Jacobian product of rnn_sequence: dy and out have out's shape
// (dy may weigh every slot of out, gates included). Returns one flat array
// holding, in order, dx (B*T*F), dkernel (F*G*U), drecurrent (U*G*U),
// dbias (bias's size), dh0 (B*U) and, for lstm, dc0 (B*U).
Array rnn_sequence_grad(const std::string& kind, const Array& dy, const Array& out, const Array& x,
                        const Array& kernel, const Array& recurrent, const Array& mask, const Array& h0,
                        const Array* c0);

// The CPU slots (device.h); kind 0 simple_rnn, 1 lstm, 2 gru; operands
// contiguous and checked, B and T non-zero.
void rnn_sequence_cpu(int kind, const Array& out, const Array& x, const Array& kernel, const Array& recurrent,
                      const Array& bias, const Array& mask, const Array& h0, const Array* c0);
void rnn_sequence_grad_cpu(int kind, const Array& grads, const Array& dy, const Array& out, const Array& x,
                           const Array& kernel, const Array& recurrent, const Array& mask, const Array& h0,
                           const Array* c0);

}  // namespace tl
