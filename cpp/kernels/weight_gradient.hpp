// A dense layer's weight and bias gradients over a batch: dW = deltaᵀ·input, db = column
// sums of delta. A long batch is summed in chunks of rows whose size depends on the batch
// alone, each chunk's product and column sums on one thread, then the chunks' partial sums
// added in chunk order: the same sums, and hence bitwise the same result, for any thread
// count.
//
// Included only by kernels_<isa>.cpp inside namespace fastmlp::<isa>, after gemm_blocked.hpp.
#pragma once

#ifndef FASTMLP_ISA_NAMESPACE
#error "include this only from a kernels_<isa>.cpp"
#endif

#include <exception>

#include "kernels/elementwise.hpp"
#include "kernels/gemm_blocked.hpp"
#include "kernels/parallel.hpp"
#include "kernels/threads.hpp"
#include "kernels/workspace.hpp"

namespace fastmlp::FASTMLP_ISA_NAMESPACE {

// Why chunks: the product's reduction runs over the batch, so threads that split W's rows
// instead (as a plain GEMM does) each read every row of delta and input, half of them from
// the other core's cache, where the forward pass and the activation's backward left them:
// 4,000 rows through 100→100 took dW at 113 GFLOP/s on two threads against 154 for the
// forward product of the same size (Xeon, AVX-512), and the column sums took longer on two
// threads than on one. A thread that takes whole chunks reads what it wrote; 256 rows of a
// 100-wide delta and input (200 KB) stay in its L2 between the product and the column sums.
// At most 16 chunks: the partial sums then take at most 16 copies of the layer's gradient
// (a 60,000-row batch in 256-row chunks would take 233), and up to 16 threads share the work.
constexpr index_t gradient_chunk_rows(index_t batch) { return larger(256, ceil_div(batch, 16)); }

// With `accumulate`, dw and db get the gradient added instead of written, each element's sum
// formed first and added once: bitwise what adding a separately computed gradient gives (the
// training step sums chunks of a batch so, without writing each chunk's gradient out and
// reading it back).
template <class T>
void weight_gradient(index_t rows, index_t out, index_t in, const T* delta, const T* input, T* dw,
                     T* db, bool accumulate) {
  if (out == 0) return;  // nothing to write
  const index_t chunk_rows = gradient_chunk_rows(rows);
  const index_t chunks = ceil_div(rows, chunk_rows);
  // A batch of one chunk (at most 256 rows) is a single k block of the GEMM: beta = 1 then
  // adds finished sums. Longer chunks write partial sums, added below.
  static_assert(Blocking<T>::kc >= gradient_chunk_rows(0));
  // Chunk c writes its partial sums (dW then db) at partials[(c − first_partial)·size], where
  // chunk 0 writes dw and db themselves unless accumulating.
  const index_t first_partial = accumulate ? 0 : 1;
  const index_t size = out * in + out;
  T* partials =
      chunks > 1
          ? static_cast<T*>(thread_workspace(sizeof(T) * size_t((chunks - first_partial) * size),
                                             Workspace::partial_sums))
          : nullptr;
  const auto chunk_gradient = [&](index_t chunk) {
    const bool in_place = chunks <= 1 || chunk < first_partial;
    T* dw_part = in_place ? dw : partials + (chunk - first_partial) * size;
    T* db_part = in_place ? db : dw_part + out * in;
    const index_t first = chunk * chunk_rows;
    const index_t count = smaller(chunk_rows, rows - first);
    GemmArgs<T> g;
    g.trans_a = true;
    g.m = out;
    g.n = in;
    g.k = count;
    g.a = delta + first * out;
    g.lda = out;
    g.b = input + first * in;
    g.ldb = in;
    g.c = dw_part;
    g.ldc = in;
    g.beta = in_place && accumulate ? T(1) : T(0);
    gemm(g);
    bias_gradient(count, out, delta + first * out, db_part, in_place && accumulate);
  };
  if (chunks <= 1) {
    chunk_gradient(0);
    return;
  }
  const int threads = static_cast<int>(smaller(
      chunks, threads_for(2.0 * double(rows) * double(out) * double(in), min_flops_per_thread)));
  // The partial sums added in chunk order, in pieces of a cache line's worth of dW or db.
  constexpr index_t line = 64 / sizeof(T);
  const index_t weight_pieces = ceil_div(out * in, line);
  const index_t pieces = weight_pieces + ceil_div(out, line);
  // A GEMM on a worker thread may allocate its workspace there, and an exception must not
  // leave an OpenMP region (std::terminate): kept, and rethrown after it. The thread goes on
  // to the barriers the others wait at.
  std::exception_ptr failure;
  parallel_region(threads, [&](const Team& team) {
    const ThreadLimit one_thread_per_chunk(1);
    team.for_each(chunks, [&](index_t chunk) {
      try {
        chunk_gradient(chunk);
      } catch (...) {
        keep_first_exception(failure);
      }
    });
    team.for_each(pieces, [&](index_t piece) {
      const bool bias = piece >= weight_pieces;
      T* sums = bias ? db : dw;
      const index_t offset = bias ? out * in : 0;
      const index_t begin = (bias ? piece - weight_pieces : piece) * line;
      const index_t end = smaller(bias ? out : out * in, begin + line);
      T* chunk_sums = accumulate ? partials + offset : sums;  // chunk 0's, then the total
      for (index_t chunk = 1; chunk < chunks; ++chunk) {
        const T* part = partials + (chunk - first_partial) * size + offset;
        for (index_t e = begin; e < end; ++e) chunk_sums[e] += part[e];
      }
      if (accumulate) {
        for (index_t e = begin; e < end; ++e) sums[e] += chunk_sums[e];
      }
    });
  });
  if (failure) std::rethrow_exception(failure);
}

}  // namespace fastmlp::FASTMLP_ISA_NAMESPACE
