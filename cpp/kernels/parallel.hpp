// Running loops on OpenMP threads, or on the calling thread alone without entering OpenMP:
// even a team of one costs a trip through the runtime (allocations, futexes), which is most
// of the time of a one-sample product.
// Included only by kernels_<isa>.cpp inside namespace fastmlp::<isa>.
#pragma once

#ifndef FASTMLP_ISA_NAMESPACE
#error "include this only from a kernels_<isa>.cpp"
#endif

#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels/kernel_table.hpp"

namespace fastmlp::FASTMLP_ISA_NAMESPACE {

// Own helpers rather than std::min/std::max: a std template instantiated here with this
// ISA's flags could be the copy the linker keeps for every caller (see style.md, Highway).
constexpr index_t smaller(index_t a, index_t b) { return a < b ? a : b; }
constexpr index_t larger(index_t a, index_t b) { return a > b ? a : b; }
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

// What the body of a parallel_region sees of the threads running it.
struct Team {
  int threads;  // 1: the body runs alone, on the calling thread
  int index;    // this thread's place in the team, in [0, threads)

  // body(i) for i in [0, n), split among the team in contiguous ranges, then a barrier; a
  // plain loop for a team of one. (An `omp for` there would bind to whatever team the
  // caller itself runs in, as when weight_gradient's threads each run a GEMM.)
  template <class Body>
  void for_each(index_t n, const Body& body) const {
    if (threads <= 1) {
      for (index_t i = 0; i < n; ++i) body(i);
      return;
    }
#pragma omp for schedule(static)
    for (index_t i = 0; i < n; ++i) body(i);
  }
};

// body(team) on `threads` threads as one parallel region, or once on the calling thread.
template <class Body>
void parallel_region([[maybe_unused]] int threads, const Body& body) {
#ifdef _OPENMP
  if (threads > 1) {
#pragma omp parallel num_threads(threads)
    body(Team{omp_get_num_threads(), omp_get_thread_num()});
    return;
  }
#endif
  body(Team{1, 0});
}

}  // namespace fastmlp::FASTMLP_ISA_NAMESPACE
