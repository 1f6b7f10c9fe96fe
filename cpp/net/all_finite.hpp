// Whether an array holds only finite numbers: training's check of the parameters after each
// epoch, predict's of its input, and (as _core.all_finite) the Python side's of its arrays.
#pragma once

// Compiled for the baseline ISA only: an instance of this template in a kernels_<isa>.cpp would
// be a second definition, built with that ISA's instructions, and the linker keeps one copy
// for every caller (the sparse GEMM's check had made it so: kernels_avx512 defined
// all_finite<double>; .ci/isa-symbols now fails CI on any such symbol). Kernels have their
// own (gemm_sparse.hpp's packed_all_finite).
#ifdef FASTMLP_ISA_NAMESPACE
#error "include this only outside the kernels_<isa>.cpp"
#endif

#include "kernels/kernel_table.hpp"

namespace fastmlp {

// NaN or ±inf anywhere makes a sum of value·0 non-finite: one branch-free pass, in 16
// independent sums the compiler keeps in vectors. One sum was a chain of n dependent adds:
// 4 % of a 1-(10×5)-1 net's training step (471 parameters checked after every epoch).
template <class T>
bool all_finite(const T* values, index_t n) {
  constexpr index_t ways = 16;
  T sums[ways] = {};
  index_t i = 0;
  for (; i + ways <= n; i += ways) {
    for (index_t w = 0; w < ways; ++w) sums[w] += values[i + w] * T(0);
  }
  for (; i < n; ++i) sums[0] += values[i] * T(0);
  T sum = 0;
  for (const T s : sums) sum += s;
  return sum == T(0);
}

}  // namespace fastmlp
