// AVX-512F vectors and the GEMM tile and cache blocks for them. Only kernels_avx512.cpp,
// compiled with -mavx512f, includes this.
#pragma once

#include <immintrin.h>

#include "kernels/kernel_table.hpp"

namespace fastmlp::avx512 {

constexpr Isa this_isa = Isa::avx512;

template <class T>
struct Simd;

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
};

// A 6×2-vector tile of accumulators, as for AVX2: measured here on Zen 4 (whose 512-bit
// FMAs issue as two 256-bit halves), a 12×32 tile was no faster on large squares and slower
// on the MLP's thin products, where the wider tile wastes more lanes at the edges.
// Cache blocks after BLIS's configurations (Zen 3 MC, Skylake-X NC).
template <class T>
struct Blocking {
  static constexpr int mr = 6, nv = 2;
  static constexpr index_t mc = sizeof(T) == 4 ? 144 : 72, kc = 256, nc = 3072;
};

}  // namespace fastmlp::avx512
