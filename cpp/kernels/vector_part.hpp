// One vector's worth of an array that may end before the vector does: its first `left`
// values (all S::lanes of them when left ≥ S::lanes, none when left ≤ 0), loaded with zeros
// past them, or stored without touching what lies past them.
//
// Included only by per-ISA kernel headers inside namespace fastmlp::<isa>, after
// simd_<isa>.hpp has defined the vector types S.
#pragma once

#ifndef FASTMLP_ISA_NAMESPACE
#error "include this only from a kernels_<isa>.cpp"
#endif

#include "kernels/kernel_table.hpp"

namespace fastmlp::FASTMLP_ISA_NAMESPACE {

template <class S, class T>
[[gnu::always_inline]] inline typename S::reg load_part(const T* p, index_t left) {
  return left >= S::lanes ? S::load(p) : left > 0 ? S::load_first(p, left) : S::zero();
}

template <class S, class T>
[[gnu::always_inline]] inline void store_part(T* p, typename S::reg v, index_t left) {
  if (left >= S::lanes) {
    S::store(p, v);
  } else if (left > 0) {
    S::store_first(p, v, left);
  }
}

}  // namespace fastmlp::FASTMLP_ISA_NAMESPACE
