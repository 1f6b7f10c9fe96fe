// AVX2+FMA vectors and the GEMM tile and cache blocks for them. Only kernels_avx2.cpp,
// compiled with -mavx2 -mfma, includes this.
#pragma once

#include <immintrin.h>

#include "kernels/kernel_table.hpp"

namespace fastmlp::avx2 {

constexpr Isa this_isa = Isa::avx2;

template <class T>
struct Simd;

template <>
struct Simd<float> {
  using reg = __m256;
  static constexpr int lanes = 8;
  static reg zero() { return _mm256_setzero_ps(); }
  static reg broadcast(float x) { return _mm256_set1_ps(x); }
  static reg load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, reg v) { _mm256_storeu_ps(p, v); }
  static reg fma(reg a, reg b, reg c) { return _mm256_fmadd_ps(a, b, c); }
  static reg mul(reg a, reg b) { return _mm256_mul_ps(a, b); }
  static reg load_first(const float* p, index_t count) {  // lanes >= count are 0
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(int(count)), lane));
  }
  static float sum(reg v) {
    __m128 half = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    half = _mm_add_ps(half, _mm_movehl_ps(half, half));
    return _mm_cvtss_f32(_mm_add_ss(half, _mm_movehdup_ps(half)));
  }
};

template <>
struct Simd<double> {
  using reg = __m256d;
  static constexpr int lanes = 4;
  static reg zero() { return _mm256_setzero_pd(); }
  static reg broadcast(double x) { return _mm256_set1_pd(x); }
  static reg load(const double* p) { return _mm256_loadu_pd(p); }
  static void store(double* p, reg v) { _mm256_storeu_pd(p, v); }
  static reg fma(reg a, reg b, reg c) { return _mm256_fmadd_pd(a, b, c); }
  static reg mul(reg a, reg b) { return _mm256_mul_pd(a, b); }
  static reg load_first(const double* p, index_t count) {  // lanes >= count are 0
    const __m256i lane = _mm256_setr_epi64x(0, 1, 2, 3);
    return _mm256_maskload_pd(p, _mm256_cmpgt_epi64(_mm256_set1_epi64x(count), lane));
  }
  static double sum(reg v) {
    const __m128d half = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(half, _mm_unpackhi_pd(half, half)));
  }
};

// 16 ymm registers: a 6×2-vector tile of accumulators, 2 B vectors, 1 broadcast A value.
// Cache blocks from BLIS's Zen 3 configuration (sgemm MC=144 KC=256 NC=4080, dgemm MC=72).
template <class T>
struct Blocking {
  static constexpr int mr = 6, nv = 2;
  static constexpr index_t mc = sizeof(T) == 4 ? 144 : 72, kc = 256, nc = 4080;
};

}  // namespace fastmlp::avx2
