// 256-bit AVX2+FMA vectors: the Simd of the AVX2 kernels, and the vectors of the AVX-512
// kernels' dot products (see simd_avx512.hpp). Defined inside FASTMLP_ISA_NAMESPACE, so each
// including ISA gets its own copy, compiled with its own flags.
#pragma once

#ifndef FASTMLP_ISA_NAMESPACE
#error "include this only from a kernels_<isa>.cpp"
#endif

#include <immintrin.h>

#include "kernels/kernel_table.hpp"

namespace fastmlp::FASTMLP_ISA_NAMESPACE {

template <class T>
struct Simd256;

template <>
struct Simd256<float> {
  using reg = __m256;
  static constexpr int lanes = 8;
  static reg zero() { return _mm256_setzero_ps(); }
  static reg broadcast(float x) { return _mm256_set1_ps(x); }
  static reg load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, reg v) { _mm256_storeu_ps(p, v); }
  static reg fma(reg a, reg b, reg c) { return _mm256_fmadd_ps(a, b, c); }
  static reg mul(reg a, reg b) { return _mm256_mul_ps(a, b); }
  static reg add(reg a, reg b) { return _mm256_add_ps(a, b); }
  // a > b ? a : b per lane, as x86 max: b when either is NaN
  static reg max(reg a, reg b) { return _mm256_max_ps(a, b); }
  // ReLU's derivative at x (ReluAct::derivative): 0 where x ≤ 0, else 1 (NaN included)
  static reg relu_derivative(reg x) {
    return _mm256_and_ps(_mm256_cmp_ps(x, zero(), _CMP_NLE_UQ), broadcast(1));
  }
  static __m256i first_lanes(index_t count) {  // all ones in lanes < count
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(count)), lane);
  }
  static reg load_first(const float* p, index_t count) {  // lanes >= count are 0
    return _mm256_maskload_ps(p, first_lanes(count));
  }
  static void store_first(float* p, reg v, index_t count) {  // lanes < count only
    _mm256_maskstore_ps(p, first_lanes(count), v);
  }
  static float sum(reg v) {
    __m128 half = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    half = _mm_add_ps(half, _mm_movehl_ps(half, half));
    return _mm_cvtss_f32(_mm_add_ss(half, _mm_movehdup_ps(half)));
  }
  // Lane i = sum(v[i]): eight horizontal sums in 6 hadds, 2 permutes and an add
  static reg transpose_sum(const reg (&v)[lanes]) {
    const reg quarters01 = _mm256_hadd_ps(_mm256_hadd_ps(v[0], v[1]), _mm256_hadd_ps(v[2], v[3]));
    const reg quarters45 = _mm256_hadd_ps(_mm256_hadd_ps(v[4], v[5]), _mm256_hadd_ps(v[6], v[7]));
    return _mm256_add_ps(_mm256_permute2f128_ps(quarters01, quarters45, 0x20),
                         _mm256_permute2f128_ps(quarters01, quarters45, 0x31));
  }
  // v[i] lane j <-> v[j] lane i: pairs of rows interleaved, then quads, then halves swapped
  static void transpose(reg (&v)[lanes]) {
    reg pairs[8], quads[8];
    for (int i = 0; i < 8; i += 2) {
      pairs[i] = _mm256_unpacklo_ps(v[i], v[i + 1]);
      pairs[i + 1] = _mm256_unpackhi_ps(v[i], v[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
      for (int h = 0; h < 2; ++h) {
        quads[i + 2 * h] = _mm256_shuffle_ps(pairs[i + h], pairs[i + h + 2], 0x44);
        quads[i + 2 * h + 1] = _mm256_shuffle_ps(pairs[i + h], pairs[i + h + 2], 0xEE);
      }
    }
    for (int c = 0; c < 4; ++c) {
      v[c] = _mm256_permute2f128_ps(quads[c], quads[c + 4], 0x20);
      v[c + 4] = _mm256_permute2f128_ps(quads[c], quads[c + 4], 0x31);
    }
  }
};

template <>
struct Simd256<double> {
  using reg = __m256d;
  static constexpr int lanes = 4;
  static reg zero() { return _mm256_setzero_pd(); }
  static reg broadcast(double x) { return _mm256_set1_pd(x); }
  static reg load(const double* p) { return _mm256_loadu_pd(p); }
  static void store(double* p, reg v) { _mm256_storeu_pd(p, v); }
  static reg fma(reg a, reg b, reg c) { return _mm256_fmadd_pd(a, b, c); }
  static reg mul(reg a, reg b) { return _mm256_mul_pd(a, b); }
  static reg add(reg a, reg b) { return _mm256_add_pd(a, b); }
  // a > b ? a : b per lane, as x86 max: b when either is NaN
  static reg max(reg a, reg b) { return _mm256_max_pd(a, b); }
  // ReLU's derivative at x (ReluAct::derivative): 0 where x ≤ 0, else 1 (NaN included)
  static reg relu_derivative(reg x) {
    return _mm256_and_pd(_mm256_cmp_pd(x, zero(), _CMP_NLE_UQ), broadcast(1));
  }
  static __m256i first_lanes(index_t count) {  // all ones in lanes < count
    const __m256i lane = _mm256_setr_epi64x(0, 1, 2, 3);
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(count), lane);
  }
  static reg load_first(const double* p, index_t count) {  // lanes >= count are 0
    return _mm256_maskload_pd(p, first_lanes(count));
  }
  static void store_first(double* p, reg v, index_t count) {  // lanes < count only
    _mm256_maskstore_pd(p, first_lanes(count), v);
  }
  static double sum(reg v) {
    const __m128d half = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(half, _mm_unpackhi_pd(half, half)));
  }
  // Lane i = sum(v[i])
  static reg transpose_sum(const reg (&v)[lanes]) {
    const reg pairs01 = _mm256_hadd_pd(v[0], v[1]), pairs23 = _mm256_hadd_pd(v[2], v[3]);
    return _mm256_add_pd(_mm256_permute2f128_pd(pairs01, pairs23, 0x20),
                         _mm256_permute2f128_pd(pairs01, pairs23, 0x31));
  }
  // v[i] lane j <-> v[j] lane i
  static void transpose(reg (&v)[lanes]) {
    const reg pairs[4] = {_mm256_unpacklo_pd(v[0], v[1]), _mm256_unpackhi_pd(v[0], v[1]),
                          _mm256_unpacklo_pd(v[2], v[3]), _mm256_unpackhi_pd(v[2], v[3])};
    for (int c = 0; c < 2; ++c) {
      v[c] = _mm256_permute2f128_pd(pairs[c], pairs[c + 2], 0x20);
      v[c + 2] = _mm256_permute2f128_pd(pairs[c], pairs[c + 2], 0x31);
    }
  }
};

}  // namespace fastmlp::FASTMLP_ISA_NAMESPACE
