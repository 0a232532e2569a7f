// Counter-based random numbers (Philox-4x32-10). Every output element depends
// only on (seed, counter, element index), so results do not depend on the
// thread count, and the same integer arithmetic reproduces them on a GPU.
#pragma once
#include <cstdint>

#include "array.h"

namespace tl {

// One Philox-4x32-10 block: four 32-bit words from a 128-bit counter and a
// 64-bit key.
struct Philox {
  uint32_t key[2];
  explicit Philox(uint64_t seed) : key{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)} {}
  void operator()(const uint32_t in[4], uint32_t out[4]) const {
    uint32_t c0 = in[0], c1 = in[1], c2 = in[2], c3 = in[3], k0 = key[0], k1 = key[1];
    for (int r = 0; r < 10; ++r) {
      uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * c0, p1 = static_cast<uint64_t>(0xCD9E8D57u) * c2;
      uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
      uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
      c0 = hi1 ^ c1 ^ k0;
      c1 = lo1;
      c2 = hi0 ^ c3 ^ k1;
      c3 = lo0;
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
  }
  // Block `block` of the stream `counter`: the counter words are
  // (block low, block high, counter low, counter high).
  void block(uint64_t block, uint64_t counter, uint32_t out[4]) const {
    uint32_t in[4] = {static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32),
                      static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32)};
    (*this)(in, out);
  }
};

// The raw stream: shape (blocks, 4), the uint32 words as int64, on the host
// (a helper of host-side shuffles; no device slot).
Array random_bits(int64_t blocks, uint64_t seed, uint64_t counter);
// Uniform in [minval, maxval); float32 takes one word per element, float64 two.
// Each draw is made on `device` by its slot; the same seed and counter give
// the same values on every device.
Array random_uniform(const Shape& shape, double minval, double maxval, DType dtype, uint64_t seed,
                     uint64_t counter, Device device = Device::CPU);
// Uniform integers in [minval, maxval) (int32: one word, int64: two words, reduced modulo the range).
Array random_uniform_int(const Shape& shape, int64_t minval, int64_t maxval, DType dtype, uint64_t seed,
                         uint64_t counter, Device device = Device::CPU);
// Normal by Box-Muller over pairs of uniforms.
Array random_normal(const Shape& shape, double mean, double stddev, DType dtype, uint64_t seed, uint64_t counter,
                    Device device = Device::CPU);
// Normal redrawn (from further blocks of the same element group) until within
// two standard deviations of the mean.
Array truncated_normal(const Shape& shape, double mean, double stddev, DType dtype, uint64_t seed,
                       uint64_t counter, Device device = Device::CPU);

}  // namespace tl
