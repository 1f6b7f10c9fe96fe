// AVX-512F vectors and the GEMM tile and cache blocks for them. Only kernels_avx512.cpp,
// compiled with -mavx512f, includes this.
#pragma once

#include "kernels/simd_x86_256.hpp"

// GCC 12's intrinsics that take an "undefined" vector (512→256-bit extracts, shuffle_f32x4)
// self-initialise it and then warn about it (GCC bug 105593, -Wmaybe-uninitialized at -O3,
// -Wuninitialized at -O1): silence that one false positive in this file's users only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include "kernels/dispatch.hpp"  // l2_cache_bytes
#include "kernels/kernel_table.hpp"

namespace fastmlp::avx512 {

constexpr Isa this_isa = Isa::avx512;

template <class T>
struct Simd;

// first + i in lane i of 16 int32 lanes
inline __m512i lane_positions(int32_t first) {
  return _mm512_add_epi32(_mm512_set1_epi32(first),
                          _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
}

// The last step of a register transpose, for floats and doubles alike: N vectors, each group
// of four v[g·N/4 + s] (g < 4) holding a column of rows g·N/4.. in each 128-bit lane, become
// v[q·N/4 + s] = lane q of those four (a 4×4 transpose of 128-bit lanes).
template <int N>
void transpose_lanes(__m512 (&v)[N]) {
  constexpr int stride = N / 4;
  for (int s = 0; s < stride; ++s) {
    const __m512 low01 = _mm512_shuffle_f32x4(v[s], v[stride + s], 0x44);  // lanes 0 1 0 1
    const __m512 high01 = _mm512_shuffle_f32x4(v[s], v[stride + s], 0xEE);
    const __m512 low23 = _mm512_shuffle_f32x4(v[2 * stride + s], v[3 * stride + s], 0x44);
    const __m512 high23 = _mm512_shuffle_f32x4(v[2 * stride + s], v[3 * stride + s], 0xEE);
    v[s] = _mm512_shuffle_f32x4(low01, low23, 0x88);  // lane 0 of each input
    v[stride + s] = _mm512_shuffle_f32x4(low01, low23, 0xDD);
    v[2 * stride + s] = _mm512_shuffle_f32x4(high01, high23, 0x88);
    v[3 * stride + s] = _mm512_shuffle_f32x4(high01, high23, 0xDD);
  }
}

template <>
struct Simd<float> {
  using reg = __m512;
  static constexpr int lanes = 16;
  static reg zero() { return _mm512_setzero_ps(); }
  static reg broadcast(float x) { return _mm512_set1_ps(x); }
  static reg load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, reg v) { _mm512_storeu_ps(p, v); }
  static reg fma(reg a, reg b, reg c) { return _mm512_fmadd_ps(a, b, c); }
  static reg mul(reg a, reg b) { return _mm512_mul_ps(a, b); }
  static reg add(reg a, reg b) { return _mm512_add_ps(a, b); }
  // a > b ? a : b per lane, as x86 max: b when either is NaN
  static reg max(reg a, reg b) { return _mm512_max_ps(a, b); }
  // ReLU's derivative at x (ReluAct::derivative): 0 where x ≤ 0, else 1 (NaN included)
  static reg relu_derivative(reg x) {
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, zero(), _CMP_NLE_UQ), broadcast(1));
  }
  static reg load_first(const float* p, index_t count) {  // lanes >= count are 0
    return _mm512_maskz_loadu_ps(__mmask16((1u << count) - 1), p);
  }
  static void store_first(float* p, reg v, index_t count) {  // lanes < count only
    _mm512_mask_storeu_ps(p, __mmask16((1u << count) - 1), v);
  }
  // gemm_sparse.hpp's nonzero_positions: the lanes' positions compressed in a register (the
  // form of vpcompressd that stores to memory is microcoded on Zen 4, and slow)
  static index_t nonzero_positions(const float* p, index_t count, int32_t first, int32_t* out) {
    const __mmask16 nonzero = _mm512_cmp_ps_mask(load_first(p, count), zero(), _CMP_NEQ_UQ);
    _mm512_storeu_si512(out, _mm512_maskz_compress_epi32(nonzero, lane_positions(first)));
    return _mm_popcnt_u32(nonzero);
  }
  static float sum(reg v) {  // (GCC 12's _mm512_reduce_add_ps warns -Wmaybe-uninitialized)
    const __m256 lo = _mm512_castps512_ps256(v);
    const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    const __m256 quarter = _mm256_add_ps(lo, hi);
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(quarter), _mm256_extractf128_ps(quarter, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    return _mm_cvtss_f32(_mm_add_ss(x, _mm_movehdup_ps(x)));
  }
  // v[i] lane j <-> v[j] lane i: within each 128-bit lane, pairs of rows interleaved, then
  // quads; then the 128-bit lanes transposed
  static void transpose(reg (&v)[lanes]) {
    reg pairs[16];
    for (int i = 0; i < 16; i += 2) {
      pairs[i] = _mm512_unpacklo_ps(v[i], v[i + 1]);
      pairs[i + 1] = _mm512_unpackhi_ps(v[i], v[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {  // v[i + s]: column 4q + s of rows i..i+3 in lane q
      for (int h = 0; h < 2; ++h) {
        const __m512d a = _mm512_castps_pd(pairs[i + h]), b = _mm512_castps_pd(pairs[i + h + 2]);
        v[i + 2 * h] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
        v[i + 2 * h + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
      }
    }
    transpose_lanes(v);
  }
};

template <>
struct Simd<double> {
  using reg = __m512d;
  static constexpr int lanes = 8;
  static reg zero() { return _mm512_setzero_pd(); }
  static reg broadcast(double x) { return _mm512_set1_pd(x); }
  static reg load(const double* p) { return _mm512_loadu_pd(p); }
  static void store(double* p, reg v) { _mm512_storeu_pd(p, v); }
  static reg fma(reg a, reg b, reg c) { return _mm512_fmadd_pd(a, b, c); }
  static reg mul(reg a, reg b) { return _mm512_mul_pd(a, b); }
  static reg add(reg a, reg b) { return _mm512_add_pd(a, b); }
  // a > b ? a : b per lane, as x86 max: b when either is NaN
  static reg max(reg a, reg b) { return _mm512_max_pd(a, b); }
  // ReLU's derivative at x (ReluAct::derivative): 0 where x ≤ 0, else 1 (NaN included)
  static reg relu_derivative(reg x) {
    return _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(x, zero(), _CMP_NLE_UQ), broadcast(1));
  }
  static reg load_first(const double* p, index_t count) {  // lanes >= count are 0
    return _mm512_maskz_loadu_pd(__mmask8((1u << count) - 1), p);
  }
  static void store_first(double* p, reg v, index_t count) {  // lanes < count only
    _mm512_mask_storeu_pd(p, __mmask8((1u << count) - 1), v);
  }
  // gemm_sparse.hpp's nonzero_positions (writes 16 positions, the last 8 zero)
  static index_t nonzero_positions(const double* p, index_t count, int32_t first, int32_t* out) {
    const __mmask8 nonzero = _mm512_cmp_pd_mask(load_first(p, count), zero(), _CMP_NEQ_UQ);
    _mm512_storeu_si512(out, _mm512_maskz_compress_epi32(nonzero, lane_positions(first)));
    return _mm_popcnt_u32(nonzero);
  }
  static double sum(reg v) {
    const __m256d quarter = _mm256_add_pd(_mm512_castpd512_pd256(v), _mm512_extractf64x4_pd(v, 1));
    const __m128d x =
        _mm_add_pd(_mm256_castpd256_pd128(quarter), _mm256_extractf128_pd(quarter, 1));
    return _mm_cvtsd_f64(_mm_add_sd(x, _mm_unpackhi_pd(x, x)));
  }
  // v[i] lane j <-> v[j] lane i: pairs of rows interleaved, then the 128-bit lanes transposed
  static void transpose(reg (&v)[lanes]) {
    __m512 pairs[8];
    for (int i = 0; i < 8; i += 2) {  // pairs[i + s]: column 2q + s of rows i, i+1 in lane q
      pairs[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(v[i], v[i + 1]));
      pairs[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(v[i], v[i + 1]));
    }
    transpose_lanes(pairs);
    for (int i = 0; i < 8; ++i) v[i] = _mm512_castps_pd(pairs[i]);
  }
};

// Dot products (x·Wᵀ with one sample or few outputs) read rows of A in place, at any
// alignment: measured on Zen 4, 256-bit vectors ran them 25 % faster than 512-bit ones
// (a misaligned 512-bit load always splits across two cache lines).
template <class T>
using DotSimd = Simd256<T>;

// A 256-bit vector as the low half of a 512-bit one, and back.
inline __m512 widen(__m256 v) { return _mm512_castps256_ps512(v); }
inline __m512d widen(__m256d v) { return _mm512_castpd256_pd512(v); }
inline __m256 low_half(__m512 v) { return _mm512_castps512_ps256(v); }
inline __m256d low_half(__m512d v) { return _mm512_castpd512_pd256(v); }

// 256-bit vectors whose partial loads and stores are Simd<T>'s AVX-512 masked ones: AVX's
// masked store (vmaskmovps) is slow on AMD, and with it a 1-(10×5)-1 net's training step,
// whose 10→1 layer stores 50 single elements, ran 6 % slower.
template <class T>
struct MaskedSimd256 : Simd256<T> {
  using reg = typename Simd256<T>::reg;
  static reg load_first(const T* p, index_t count) {  // lanes >= count are 0
    return low_half(Simd<T>::load_first(p, count));
  }
  static void store_first(T* p, reg v, index_t count) {  // lanes < count only
    Simd<T>::store_first(p, widen(v), count);
  }
};

// A register tile's narrow right edge (at most 8 floats or 4 doubles of C's columns) in
// 256-bit vectors: Zen 4 issues a 512-bit FMA as two 256-bit halves, one in each of its two
// FMA pipes, so a 256-bit one costs half as much (Intel's AVX-512 cores run two 256-bit FMAs
// per cycle too: no loss there). A 100-wide layer's columns are 3 tiles of 32 and an edge of 4.
template <class T>
using EdgeSimd = MaskedSimd256<T>;

// Tiles of 10×2 vectors of floats, 6×2 of doubles. Measured on this project's Intel AVX-512
// machine (two 512-bit FMA ports of latency 4: eight chains keep them busy), one MLP training
// step (batch 32 to 4,000, widths 10 to 298) ran 3–10 % faster with 10 rows than with 6: a
// one-vector tile (a 10-output layer) then holds 10 chains instead of 6, and MLP widths of
// 10, 100 and 200 rows divide evenly. On Zen 4 (512-bit FMAs issued as two 256-bit halves)
// float training steps ran 1–13 % faster with 10 rows (Figure 20.2's 1×298 and 2×100,
// MNIST-1D batches of 32 and 200, a 1-(10×5)-1 net), 2–4 % slower for 3×75 and 4×63; float64
// squares of 1,024 and 2,048, 49–50 GFLOP/s with 10 rows (0.91–0.95× numpy's OpenBLAS), ran
// 52–53 with 6 (0.99–1.01×). 12×2 was no faster than 6×2 on large squares there.
// Cache blocks after BLIS's configurations (Zen 3 MC, Skylake-X NC; see nc()). FMA throughput as on
// Zen 4: two 256-bit FMAs a cycle, of which a 512-bit one takes both (Intel's AVX-512 cores
// run two 512-bit ones; it only weighs tiles against packing in gemm_blocked.hpp).
template <class T>
struct Blocking {
  static constexpr int mr = sizeof(T) == 4 ? 10 : 6, nv = 2;
  static constexpr index_t mc = sizeof(T) == 4 ? 140 : 72, kc = 256;
  // Columns of op(B) in a packed KC×NC panel. gemm sweeps the whole panel past each sliver
  // of A (gemm_blocked.hpp), streaming it from wherever it sits. Zen 4 (1 MB of L2) streams
  // a 3 MB panel of floats from its L3 at full speed: 1,024 columns (1 MB) ran 2048² as fast
  // and 4000×2048×784 3.5 % slower. A 16-core Intel Xeon with 2 MB of L2 a core did not:
  // with 1,024 columns 2048² ran 1,031 → 1,095 GFLOP/s on 16 cores (median of 7 interleaved
  // rounds, faster in 7), four products of 784 to 4,096 columns 5–7 % faster (5 rounds);
  // on one core 132 → 156 (7 of 7 rounds), then paired medians 1.02–1.22× in a noisier run.
  // Doubles not measured there: 3,072.
  static index_t nc() {
    static const index_t columns = sizeof(T) == 4 && l2_cache_bytes() >= (2 << 20) ? 1024 : 3072;
    return columns;
  }
  static constexpr double fma_lanes_per_cycle = 2 * Simd256<T>::lanes;
  // B read in place up to this many tiles of rows (b_sliver_in_place). Float32 weight
  // gradients over 250 rows, packed → in place up to 100 rows (Zen 4, min of 3×7): 100×100
  // 49.0 → 46.9 µs, 75×75 30.6 → 29.2, 63×63 21.6 → 20.9, 100×40 19.3 → 18.7, but 63×40
  // 12.6 → 13.4; Figure 20.2 epochs 0.5–1.5 % faster. Float64 keeps AVX2's 4 (not measured).
  static constexpr index_t b_in_place_tiles = sizeof(T) == 4 ? 10 : 4;
  // A's zeros skipped (gemm_sparse.hpp): C++ harness, one thread, min of 5, µs an epoch, the
  // build before it against the current one in one run: Figure 20.2 2×100 3,499 → 3,154, 3×75
  // 3,699 → 3,378, 4×63 3,750 → 3,455, 1×298 unchanged (its 10-output products stay in tiles);
  // MNIST-1D batch 32 4,426 → 4,087, batch 128 3,743 → 3,320; float64 2×100 7,078 → 6,563.
  static constexpr bool skips_zeros_of_a = true;
};

// gemm_blocked.hpp's register tile as a function of its own, called for each tile. Inlined (as
// the 16-register ISAs have it), its ten row pointers of A joined the GEMM driver's own values
// in the one function, and GCC 12 moved them between vector registers, the stack and general
// ones around every tile. Zen 4, one thread, C++ harness, min of 5 interleaved, µs an epoch,
// inlined → called: Figure 20.2 2×100 3,504 → 3,453, 1×298 3,118 → 3,042, 3×75 3,745 → 3,670,
// 4×63 3,769 → 3,716; MNIST-1D batch 32 4,452 → 4,349, batch 128 3,740 → 3,673; float64 2×100
// 7,094–7,129 → 7,019–7,077. AVX2 and generic kernels ran 1–3 % slower called.
#define FASTMLP_REGISTER_TILE [[gnu::noinline]]

}  // namespace fastmlp::avx512
