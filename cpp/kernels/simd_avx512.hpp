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

// 32 zmm registers: a 12×2-vector tile of accumulators (24), 2 B vectors, A broadcasts.
// Shape and blocks after BLIS's Skylake-X configuration (sgemm 32×12 column-major, i.e.
// 12×32 row-major); not tuned here: the development machine has no AVX-512.
template <class T>
struct Blocking {
  static constexpr int mr = 12, nv = 2;
  static constexpr index_t mc = sizeof(T) == 4 ? 240 : 120, kc = 256, nc = 3072;
};

}  // namespace fastmlp::avx512
