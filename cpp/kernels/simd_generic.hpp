// Portable 128-bit vectors (GCC/Clang vector extensions: SSE2 on x86-64, NEON on aarch64)
// and the GEMM tile and cache blocks used with them. Only kernels_generic.cpp includes this.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/kernel_table.hpp"

namespace fastmlp::generic {

constexpr Isa this_isa = Isa::generic;

template <class T>
struct Simd {
  typedef T reg __attribute__((vector_size(16)));
  static constexpr int lanes = 16 / sizeof(T);
  static reg zero() { return reg{}; }
  static reg broadcast(T x) { return reg{} + x; }
  static reg load(const T* p) {
    reg v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static void store(T* p, reg v) { std::memcpy(p, &v, sizeof v); }
  static reg fma(reg a, reg b, reg c) { return a * b + c; }
  static reg mul(reg a, reg b) { return a * b; }
  static reg add(reg a, reg b) { return a + b; }
  // a > b ? a : b per lane, as x86 max: b when either is NaN
  static reg max(reg a, reg b) { return a > b ? a : b; }
  // ReLU's derivative at x (ReluAct::derivative): 0 where x ≤ 0, else 1 (NaN included)
  static reg relu_derivative(reg x) { return x <= T(0) ? zero() : broadcast(1); }
  static reg load_first(const T* p, index_t count) {  // lanes >= count are 0
    reg v{};
    std::memcpy(&v, p, size_t(count) * sizeof(T));
    return v;
  }
  static void store_first(T* p, reg v, index_t count) {  // lanes < count only
    std::memcpy(p, &v, size_t(count) * sizeof(T));
  }
  static T sum(reg v) {
    T total = v[0];
    for (int i = 1; i < lanes; ++i) total += v[i];
    return total;
  }
  static reg transpose_sum(const reg (&v)[lanes]) {  // lane i = sum(v[i])
    reg sums;
    for (int i = 0; i < lanes; ++i) sums[i] = sum(v[i]);
    return sums;
  }
  // Lanes of a then b (0 to 2·lanes − 1) picked by Index: GCC 11 lacks __builtin_shufflevector
  template <int... Index>
  static reg shuffle(reg a, reg b) {
#if defined(__clang__)
    return __builtin_shufflevector(a, b, Index...);
#else
    using lane_index = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;
    typedef lane_index mask __attribute__((vector_size(16)));
    return __builtin_shuffle(a, b, mask{Index...});
#endif
  }
  static void transpose(reg (&v)[lanes]) {  // v[i] lane j <-> v[j] lane i
    if constexpr (lanes == 2) {
      const reg row0 = v[0];
      v[0] = shuffle<0, 2>(row0, v[1]);
      v[1] = shuffle<1, 3>(row0, v[1]);
    } else {  // pairs of rows interleaved, then pairs of pairs
      const reg pairs[4] = {shuffle<0, 4, 1, 5>(v[0], v[1]), shuffle<2, 6, 3, 7>(v[0], v[1]),
                            shuffle<0, 4, 1, 5>(v[2], v[3]), shuffle<2, 6, 3, 7>(v[2], v[3])};
      for (int c = 0; c < 2; ++c) {
        v[2 * c] = shuffle<0, 1, 4, 5>(pairs[c], pairs[c + 2]);
        v[2 * c + 1] = shuffle<2, 3, 6, 7>(pairs[c], pairs[c + 2]);
      }
    }
  }
};

template <class T>
using DotSimd = Simd<T>;

// A register tile's narrow right edge: the same vectors (see simd_avx512.hpp).
template <class T>
using EdgeSimd = Simd<T>;

// 16 vector registers: 12 accumulators, 2 B vectors, 1 broadcast A value; two FMAs a cycle.
template <class T>
struct Blocking {
  static constexpr int mr = 6, nv = 2;
  static constexpr index_t mc = 96, kc = 256;
  static constexpr index_t nc() { return 4080; }
  static constexpr double fma_lanes_per_cycle = 2 * Simd<T>::lanes;
  static constexpr index_t b_in_place_tiles = 4;  // as AVX2's (b_sliver_in_place)
  // A's zeros skipped (gemm_sparse.hpp): Figure 20.2 2×100 ran 13,157 → 10,694 µs an epoch,
  // 3×75 14,202 → 11,662 (C++ harness, one thread, min of 3).
  static constexpr bool skips_zeros_of_a = true;
};

// gemm_blocked.hpp's register tile inlined into its callers, as AVX2's (called out of line,
// Figure 20.2 2×100 and MNIST-1D batch 32 epochs ran 3 % slower).
#define FASTMLP_REGISTER_TILE [[gnu::always_inline]] inline

}  // namespace fastmlp::generic
