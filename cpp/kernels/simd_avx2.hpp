// AVX2+FMA: the vectors (simd_x86_256.hpp), the GEMM tile and the cache blocks.
// Only kernels_avx2.cpp, compiled with -mavx2 -mfma, includes this.
#pragma once

#include "kernels/simd_x86_256.hpp"

namespace fastmlp::avx2 {

constexpr Isa this_isa = Isa::avx2;

template <class T>
using Simd = Simd256<T>;

// Dot products (x·Wᵀ with few outputs) use the same vectors.
template <class T>
using DotSimd = Simd256<T>;

// A register tile's narrow right edge: the same vectors (see simd_avx512.hpp).
template <class T>
using EdgeSimd = Simd<T>;

// 16 ymm registers: a 6×2-vector tile of accumulators, 2 B vectors, 1 broadcast A value.
// Cache blocks from BLIS's Zen 3 configuration (sgemm MC=144 KC=256 NC=4080, dgemm MC=72);
// two FMAs a cycle.
template <class T>
struct Blocking {
  static constexpr int mr = 6, nv = 2;
  static constexpr index_t mc = sizeof(T) == 4 ? 144 : 72, kc = 256;
  static constexpr index_t nc() { return 4080; }
  static constexpr double fma_lanes_per_cycle = 2 * Simd<T>::lanes;
  // B read in place for at most 4 tiles of rows (b_sliver_in_place): read in place up to 100
  // rows, the weight gradient 36×100×250 ran 21.8 → 23.9 µs (Zen 4, AVX2 kernels).
  static constexpr index_t b_in_place_tiles = 4;
  // A's zeros not skipped (gemm_sparse.hpp): on Zen 4 the AVX2 kernels ran Figure 20.2's 3×75
  // and 4×63 epochs 8 % and 3.5 % slower skipping them, 2×100 no faster, even with the
  // positions listed in vectors (a table of each byte mask's set bits) and the columns in
  // even blocks; with op(B) in row-by-row panels, 2×100 6 %, 3×75 15 %, 4×63 10 % slower.
  // (C++ harness, one thread, min of 3.)
  static constexpr bool skips_zeros_of_a = false;
};

// gemm_blocked.hpp's register tile inlined into its callers (see simd_avx512.hpp): called out
// of line, Figure 20.2 2×100 and MNIST-1D batch 32 epochs ran 1–2 % slower (float64 2 %).
#define FASTMLP_REGISTER_TILE [[gnu::always_inline]] inline

}  // namespace fastmlp::avx2
