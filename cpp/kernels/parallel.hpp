// Running loops on OpenMP threads, or on the calling thread alone without entering OpenMP:
// even a team of one costs a trip through the runtime (allocations, futexes), which is most
// of the time of a one-sample product.
// Included only by kernels_<isa>.cpp inside namespace fastmlp::<isa>.
#pragma once

#ifndef FASTMLP_ISA_NAMESPACE
#error "include this only from a kernels_<isa>.cpp"
#endif

#include "kernels/kernel_table.hpp"

namespace fastmlp::FASTMLP_ISA_NAMESPACE {

// Own helpers rather than std::min/std::max: a std template instantiated here with this
// ISA's flags could be the copy the linker keeps for every caller (see style.md, Highway).
constexpr index_t smaller(index_t a, index_t b) { return a < b ? a : b; }
constexpr index_t ceil_div(index_t a, index_t b) { return (a + b - 1) / b; }
constexpr index_t round_up(index_t a, index_t b) { return ceil_div(a, b) * b; }

// body(i) for i in [0, n), split into `threads` contiguous ranges (a static schedule, so
// which thread runs an index never changes the result).
template <class Body>
void parallel_for(int threads, index_t n, const Body& body) {
  if (threads <= 1) {
    for (index_t i = 0; i < n; ++i) body(i);
    return;
  }
#pragma omp parallel for schedule(static) num_threads(threads)
  for (index_t i = 0; i < n; ++i) body(i);
}

// body(begin, end) for [0, n) cut into `threads` contiguous ranges, each starting at a
// multiple of `align` (some may be empty): a thread per range.
template <class Body>
void parallel_ranges(int threads, index_t n, index_t align, const Body& body) {
  const index_t per_thread = round_up(ceil_div(n, threads), align);
  parallel_for(threads, threads, [&](index_t t) {
    const index_t begin = smaller(n, t * per_thread);
    body(begin, smaller(n, begin + per_thread));
  });
}

// body() on `threads` threads as one parallel region (it may hold `omp for` loops), or once
// on the calling thread, where those loops run serially.
template <class Body>
void parallel_region(int threads, const Body& body) {
  if (threads <= 1) {
    body();
    return;
  }
#pragma omp parallel num_threads(threads)
  body();
}

}  // namespace fastmlp::FASTMLP_ISA_NAMESPACE
