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
};

// 16 ymm registers: a 6×2-vector tile of accumulators, 2 B vectors, 1 broadcast A value.
// Cache blocks from BLIS's Zen 3 configuration (sgemm MC=144 KC=256 NC=4080, dgemm MC=72).
template <class T>
struct Blocking {
  static constexpr int mr = 6, nv = 2;
  static constexpr index_t mc = sizeof(T) == 4 ? 144 : 72, kc = 256, nc = 4080;
};

}  // namespace fastmlp::avx2
