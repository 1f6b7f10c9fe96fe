// The random numbers training uses: a small generator whose sequence is fixed by its seed on
// every machine and compiler (std::mt19937 is, but std's distributions are not), so a seed
// gives the same shuffles and dropout masks everywhere.
#pragma once

#include <cstdint>
#include <utility>

#include "kernels/kernel_table.hpp"

namespace fastmlp {

// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", 2014):
// a 64-bit counter passed through a bijective mixer. Also used as a hash of (seed, index),
// which makes dropout masks independent of how threads split the work.
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}

  uint64_t next() { return mix64(state_ += 0x9e3779b97f4a7c15ULL); }

  // Uniform in [0, bound), bound ≥ 1, without modulo bias (Lemire, "Fast random integer
  // generation in an interval", 2019).
  uint64_t below(uint64_t bound) {
    __uint128_t product = __uint128_t(next()) * bound;
    if (uint64_t(product) < bound) {
      const uint64_t threshold = -bound % bound;
      while (uint64_t(product) < threshold) product = __uint128_t(next()) * bound;
    }
    return uint64_t(product >> 64);
  }

  // Fisher–Yates.
  template <class Index>
  void shuffle(Index* values, index_t n) {
    for (index_t i = n - 1; i > 0; --i) std::swap(values[i], values[below(uint64_t(i) + 1)]);
  }

 private:
  uint64_t state_;
};

// A uniform number in [0, 1) from 53 bits of a hash.
inline double unit_interval(uint64_t bits) { return double(bits >> 11) * 0x1.0p-53; }

}  // namespace fastmlp
