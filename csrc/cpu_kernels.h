// The CPU's DeviceKernels table: each kernel family fills its own slots with
// its CPU loops (defined beside the family's device-neutral entry points).
#pragma once
#include "device.h"

namespace tl {

void fill_cpu_array_kernels(DeviceKernels* k);        // array.cpp: copy
void fill_cpu_elementwise_kernels(DeviceKernels* k);  // elementwise.cpp
void fill_cpu_reduce_kernels(DeviceKernels* k);       // reduce.cpp
void fill_cpu_matmul_kernels(DeviceKernels* k);       // matmul.cpp
void fill_cpu_nn_kernels(DeviceKernels* k);           // nn.cpp
void fill_cpu_array_ops_kernels(DeviceKernels* k);    // array_ops.cpp
void fill_cpu_random_kernels(DeviceKernels* k);       // random.cpp
void fill_cpu_training_kernels(DeviceKernels* k);     // training.cpp
void fill_cpu_conv_kernels(DeviceKernels* k);         // conv.cpp
void fill_cpu_pool_kernels(DeviceKernels* k);         // pool.cpp
void fill_cpu_batchnorm_kernels(DeviceKernels* k);    // batchnorm.cpp
void fill_cpu_rnn_kernels(DeviceKernels* k);          // rnn.cpp

inline void fill_cpu_kernels(DeviceKernels* k) {
  fill_cpu_array_kernels(k);
  fill_cpu_elementwise_kernels(k);
  fill_cpu_reduce_kernels(k);
  fill_cpu_matmul_kernels(k);
  fill_cpu_nn_kernels(k);
  fill_cpu_array_ops_kernels(k);
  fill_cpu_random_kernels(k);
  fill_cpu_training_kernels(k);
  fill_cpu_conv_kernels(k);
  fill_cpu_pool_kernels(k);
  fill_cpu_batchnorm_kernels(k);
  fill_cpu_rnn_kernels(k);
}

}  // namespace tl
