#include "random.h"

#include <algorithm>
#include <cmath>

#include "cpu_kernels.h"
#include "device.h"
#include "parallel.h"

namespace tl {

namespace {

constexpr double kTwoPi = 6.283185307179586476925286766559;

void check_shape(const Shape& shape, const char* op) {
  for (auto d : shape)
    if (d < 0) throw InvalidArgument(std::string(op) + ": negative dimension in shape " + shape_str(shape));
}

// [0, 1) from 24 (float32) or 53 (float64) random bits.
inline double unit24(uint32_t w) { return static_cast<double>(w >> 8) * (1.0 / 16777216.0); }
inline double unit53(uint32_t a, uint32_t b) {
  uint64_t x = ((static_cast<uint64_t>(a) << 32) | b) >> 11;
  return static_cast<double>(x) * (1.0 / 9007199254740992.0);
}

// Elements per Philox block: 4 for 32-bit outputs, 2 for 64-bit ones.
inline int per_block(DType t) { return itemsize(t) == 8 ? 2 : 4; }

// Calls fn(words, first, count, gen, block) for every block of the output, in
// parallel; `first` is the block's first element index and `count` <= per.
// (Philox is cheap next to the conversions: ~6 ns a block on one core.)
template <typename F>
void for_blocks(int64_t n, int per, uint64_t seed, uint64_t counter, F&& fn) {
  const Philox gen(seed);
  const int64_t blocks = (n + per - 1) / per;
  parallel_for(blocks, n * 8, [&](int64_t b, int64_t e) {
    uint32_t w[4];
    for (int64_t k = b; k < e; ++k) {
      gen.block(static_cast<uint64_t>(k), counter, w);
      int64_t first = k * per;
      fn(w, first, static_cast<int>(std::min<int64_t>(per, n - first)), gen, k);
    }
  });
}

// Uniforms of one block, as doubles in [0, 1): 4 of 24 bits or 2 of 53 bits.
inline int block_uniforms(const uint32_t w[4], int per, double u[4]) {
  if (per == 4) {
    for (int j = 0; j < 4; ++j) u[j] = unit24(w[j]);
  } else {
    u[0] = unit53(w[0], w[1]);
    u[1] = unit53(w[2], w[3]);
  }
  return per;
}

// Normals of one block by Box-Muller: 4 (float32) or 2 (float64), computed
// in the output's precision (float math is several times faster).
template <typename T>
inline void block_normals(const uint32_t w[4], int per, T z[4]) {
  double u[4];
  block_uniforms(w, per, u);
  for (int j = 0; j < per; j += 2) {
    T r = std::sqrt(T(-2) * std::log(T(1) - static_cast<T>(u[j])));  // 1 - u is in (0, 1]
    T theta = static_cast<T>(kTwoPi) * static_cast<T>(u[j + 1]);
    z[j] = r * std::cos(theta);
    z[j + 1] = r * std::sin(theta);
  }
}

}  // namespace

Array random_bits(int64_t blocks, uint64_t seed, uint64_t counter) {
  if (blocks < 0) throw InvalidArgument("random_bits: negative block count");
  Array out = Array::empty({blocks, 4}, DType::Int64);
  int64_t* p = out.data<int64_t>();
  for_blocks(blocks * 4, 4, seed, counter, [&](const uint32_t w[4], int64_t first, int, const Philox&, int64_t) {
    for (int j = 0; j < 4; ++j) p[first + j] = w[j];
  });
  return out;
}

namespace {

// A new output of `shape` and a float (or, for uniform integers, int) dtype
// on `device`; false when it is empty.
bool random_output(const char* op, const Shape& shape, DType dtype, unsigned family, Device device, Array* out) {
  check_shape(shape, op);
  if (!in_family(dtype, family)) throw TypeError(std::string(op) + ": unsupported dtype " + dtype_name(dtype));
  *out = Array::empty(shape, dtype, device);
  return out->size() > 0;
}

}  // namespace

Array random_uniform(const Shape& shape, double minval, double maxval, DType dtype, uint64_t seed,
                     uint64_t counter, Device device) {
  if (is_half(dtype)) return cast(random_uniform(shape, minval, maxval, DType::Float32, seed, counter, device), dtype);  // drawn in float32
  Array out;
  if (random_output("random_uniform", shape, dtype, kFloat, device, &out))
    kernel(device, &DeviceKernels::random_uniform, "random_uniform")(out, minval, maxval, seed, counter);
  return out;
}

Array random_uniform_int(const Shape& shape, int64_t minval, int64_t maxval, DType dtype, uint64_t seed,
                         uint64_t counter, Device device) {
  check_shape(shape, "random_uniform_int");
  if (minval >= maxval)
    throw InvalidArgument("random_uniform_int: need minval < maxval, got minval " + std::to_string(minval) +
                          " and maxval " + std::to_string(maxval));
  // Bounds that do not fit the dtype would wrap to values outside [minval, maxval).
  const int64_t lo = dtype == DType::Int32 ? INT32_MIN : INT64_MIN, hi = dtype == DType::Int32 ? INT32_MAX : INT64_MAX;
  if (minval < lo || maxval > hi)
    throw InvalidArgument("random_uniform_int: minval " + std::to_string(minval) + " and maxval " +
                          std::to_string(maxval) + " must fit in " + dtype_name(dtype));
  Array out;
  if (random_output("random_uniform_int", shape, dtype, kInt, device, &out))
    kernel(device, &DeviceKernels::random_uniform_int, "random_uniform_int")(out, minval, maxval, seed, counter);
  return out;
}

Array random_normal(const Shape& shape, double mean, double stddev, DType dtype, uint64_t seed, uint64_t counter,
                    Device device) {
  if (is_half(dtype)) return cast(random_normal(shape, mean, stddev, DType::Float32, seed, counter, device), dtype);  // drawn in float32
  Array out;
  if (random_output("random_normal", shape, dtype, kFloat, device, &out))
    kernel(device, &DeviceKernels::random_normal, "random_normal")(out, mean, stddev, seed, counter);
  return out;
}

Array truncated_normal(const Shape& shape, double mean, double stddev, DType dtype, uint64_t seed,
                       uint64_t counter, Device device) {
  if (is_half(dtype)) return cast(truncated_normal(shape, mean, stddev, DType::Float32, seed, counter, device), dtype);  // drawn in float32
  Array out;
  if (random_output("truncated_normal", shape, dtype, kFloat, device, &out))
    kernel(device, &DeviceKernels::truncated_normal, "truncated_normal")(out, mean, stddev, seed, counter);
  return out;
}

// ------------------------------------------------------ CPU implementation ----

namespace {

void cpu_uniform(const Array& out, double minval, double maxval, uint64_t seed, uint64_t counter) {
  const DType dtype = out.dtype();
  dispatch<kFloat>(dtype, "random_uniform", [&](auto v) {
    using T = decltype(v);
    T* p = out.data<T>();
    const T lo = static_cast<T>(minval), span = static_cast<T>(maxval - minval);
    for_blocks(out.size(), per_block(dtype), seed, counter,
               [&](const uint32_t w[4], int64_t first, int count, const Philox&, int64_t) {
                 double u[4];
                 block_uniforms(w, per_block(dtype), u);
                 for (int j = 0; j < count; ++j) p[first + j] = lo + static_cast<T>(u[j]) * span;
               });
  });
}

void cpu_uniform_int(const Array& out, int64_t minval, int64_t maxval, uint64_t seed, uint64_t counter) {
  const DType dtype = out.dtype();
  const uint64_t range = static_cast<uint64_t>(maxval) - static_cast<uint64_t>(minval);
  dispatch<kInt>(dtype, "random_uniform_int", [&](auto v) {
    using T = decltype(v);
    T* p = out.data<T>();
    for_blocks(out.size(), per_block(dtype), seed, counter,
               [&](const uint32_t w[4], int64_t first, int count, const Philox&, int64_t) {
                 for (int j = 0; j < count; ++j) {
                   uint64_t x = sizeof(T) == 8 ? (static_cast<uint64_t>(w[2 * j]) << 32) | w[2 * j + 1] : w[j];
                   p[first + j] = static_cast<T>(static_cast<uint64_t>(minval) + x % range);
                 }
               });
  });
}

void cpu_normal(const Array& out, double mean, double stddev, uint64_t seed, uint64_t counter) {
  const DType dtype = out.dtype();
  dispatch<kFloat>(dtype, "random_normal", [&](auto v) {
    using T = decltype(v);
    T* p = out.data<T>();
    for_blocks(out.size(), per_block(dtype), seed, counter,
               [&](const uint32_t w[4], int64_t first, int count, const Philox&, int64_t) {
                 T z[4];
                 block_normals<T>(w, per_block(dtype), z);
                 for (int j = 0; j < count; ++j) p[first + j] = static_cast<T>(mean + stddev * z[j]);
               });
  });
}

void cpu_truncated_normal(const Array& out, double mean, double stddev, uint64_t seed, uint64_t counter) {
  const DType dtype = out.dtype();
  dispatch<kFloat>(dtype, "truncated_normal", [&](auto v) {
    using T = decltype(v);
    T* p = out.data<T>();
    const int per = per_block(dtype);
    for_blocks(out.size(), per, seed, counter,
               [&](const uint32_t w0[4], int64_t first, int count, const Philox& gen, int64_t k) {
                 // Attempt a of block k reads block k with a in the top 16
                 // bits of its high word; a value outside 2 stddev waits for
                 // the same slot of the next attempt.
                 uint32_t w[4] = {w0[0], w0[1], w0[2], w0[3]};
                 bool done[4] = {false, false, false, false};
                 int left = count;
                 for (uint64_t a = 1; left > 0; ++a) {
                   T z[4];
                   block_normals<T>(w, per, z);
                   for (int j = 0; j < count; ++j)
                     if (!done[j] && std::fabs(z[j]) <= T(2)) {
                       p[first + j] = static_cast<T>(mean + stddev * z[j]);
                       done[j] = true;
                       --left;
                     }
                   if (left > 0) gen.block(static_cast<uint64_t>(k) ^ ((a & 0xFFFF) << 48), counter, w);
                 }
               });
  });
}

}  // namespace

void fill_cpu_random_kernels(DeviceKernels* k) {
  k->random_uniform = &cpu_uniform;
  k->random_uniform_int = &cpu_uniform_int;
  k->random_normal = &cpu_normal;
  k->truncated_normal = &cpu_truncated_normal;
}

}  // namespace tl
