// Activations (forward/backward), losses, the L2 penalty and the bias gradient: loops over
// raw arrays.
// Included only by kernels_<isa>.cpp inside namespace fastmlp::<isa> (see activation_math.hpp).
// Threads split elementwise loops into independent chunks; reductions run in one fixed order,
// so every result is bitwise the same for any thread count.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/activation_math.hpp"
#include "kernels/gemm_blocked.hpp"
#include "kernels/parallel.hpp"
#include "kernels/threads.hpp"
#include "kernels/vector_part.hpp"

namespace fastmlp::FASTMLP_ISA_NAMESPACE {

// Below this many elements a loop stays on the calling thread (thread start-up costs ~µs).
constexpr double min_elements_per_thread = 1 << 15;

template <class T>
void activation_forward(Activation kind, T param, index_t n, const T* x, T* y) {
  with_activation(kind, [&](auto act) {
    const int threads = threads_for(double(n), min_elements_per_thread);
    parallel_for(threads, n, [&](index_t i) { y[i] = act.value(x[i], param); });
  });
}

template <class T>
void activation_backward(Activation kind, T param, index_t n, const T* x, const T* dy, T* dx) {
  with_activation(kind, [&](auto act) {
    const int threads = threads_for(double(n), min_elements_per_thread);
    parallel_for(threads, n, [&](index_t i) { dx[i] = dy[i] * act.derivative(x[i], param); });
  });
}

// Σ block_loss(begin, end) over the rows [0, m) cut into blocks whose size depends on m
// alone (at most max_blocks of them, all but the last of block_rows_min rows or more):
// threads share the blocks, and the block sums are added in block order, so the loss is the
// same for any thread count. `work_per_row` weighs a row against one elementwise operation.
template <class BlockLoss>
double sum_over_row_blocks(index_t m, double work_per_row, const BlockLoss& block_loss) {
  constexpr index_t max_blocks = 64, block_rows_min = 64;
  const index_t block_rows = larger(block_rows_min, ceil_div(m, max_blocks));
  const index_t blocks = ceil_div(m, block_rows);
  double block_sums[max_blocks];
  const int threads = static_cast<int>(
      smaller(blocks, threads_for(double(m) * work_per_row, min_elements_per_thread)));
  parallel_for(threads, blocks, [&](index_t b) {
    block_sums[b] = block_loss(b * block_rows, smaller(m, (b + 1) * block_rows));
  });
  double sum = 0;  // float64 accumulation keeps the float32 loss accurate for large batches
  for (index_t b = 0; b < blocks; ++b) sum += block_sums[b];
  return sum;
}

// A loss elementwise over (m, n): Σ_i row_scale_i · Σ_j term(j, row_scale_i), where row_scale_i
// is scale · row_weight[i] (scale without weights) and term returns element j's loss and
// writes its gradient, times row_scale_i, to grad[j]. Rows of scale 0 take no part: their
// gradient is 0 and their terms are not evaluated (a Poisson e^z that overflows would make
// inf · 0 = NaN). `cost` weighs an element against one elementwise operation.
template <class T, class Term>
double elementwise_loss(index_t m, index_t n, const T* row_weight, double scale, T* grad,
                        double cost, const Term& term) {
  return sum_over_row_blocks(m, cost * double(n), [&](index_t begin, index_t end) {
    double sum = 0;
    for (index_t i = begin; i < end; ++i) {
      const double row_scale = row_weight ? scale * double(row_weight[i]) : scale;
      if (row_scale == 0) {
        std::fill(grad + i * n, grad + (i + 1) * n, T(0));
        continue;
      }
      double row_sum = 0;
      for (index_t j = i * n; j < (i + 1) * n; ++j) row_sum += term(j, row_scale);
      sum += row_sum * row_scale;
    }
    return sum;
  });
}

template <class T>
double least_squares(index_t m, index_t n, const T* pred, const T* target, const T* row_weight,
                     T* dpred, double scale) {
  if (row_weight != nullptr) {
    return elementwise_loss(m, n, row_weight, scale, dpred, 1.0, [&](index_t j, double row_scale) {
      const T diff = pred[j] - target[j];
      dpred[j] = T(2 * row_scale) * diff;
      return double(diff) * double(diff);
    });
  }
  return sum_over_row_blocks(m, double(n), [&](index_t begin, index_t end) {
    // One scale for every row: the block as one flat run, in four interleaved sums. Row by
    // row, a net with one output (a 1-3-1 net's 50 points) spent ~10 cycles a row on the
    // inner loop's set-up and the chain of row sums: 9 % of its training step.
    const T grad_scale = T(2 * scale);
    double partial[4] = {0, 0, 0, 0};
    index_t j = begin * n;
    const index_t stop = end * n;
    const auto term = [&](index_t e) {
      const T diff = pred[e] - target[e];
      dpred[e] = grad_scale * diff;
      return double(diff) * double(diff);
    };
    for (; j + 4 <= stop; j += 4) {
      for (int u = 0; u < 4; ++u) partial[u] += term(j + u);
    }
    for (; j < stop; ++j) partial[0] += term(j);
    return ((partial[0] + partial[1]) + (partial[2] + partial[3])) * scale;
  });
}

// e^x for float x ≤ 0 (softmax's logits less their row's max) in plain arithmetic the
// compiler vectorizes, where std::exp is a call per element (13 µs of a 200 µs MNIST-1D step
// went to expf calls). e^x = 2^n · e^r with n = round(x·log2 e) and r = x − n·ln 2 in two
// parts (Cody and Waite), e^r by Cephes' degree-7 polynomial for expf: within 2 ulp of
// std::exp (tests/test_losses.py checks softmax over [−100, 0] at steps of 2^-10). Below
// −87.3, where 2^n would leave the normal range, it returns 0 (std::exp: under 2^-125).
// NaN gives NaN.
inline float exp_nonpositive(float x) {
  constexpr float round_shift = 12582912.0f;  // 1.5·2^23: adding it rounds to an integer
  constexpr std::uint32_t round_shift_bits = 0x4B400000;
  const float clamped = x < -87.3f ? -87.3f : x;
  const float shifted = clamped * 1.44269504088896341f + round_shift;
  const float n = shifted - round_shift;
  float r = clamped - n * 0.693359375f;  // ln 2 = 0.693359375 − 2.12194440e-4, hi exact
  r = r + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // 2^n from `shifted`'s low mantissa bits, which hold n (its ulp is 1): the same as int(n)
  // for every number, and defined for NaN, where int(NaN) is not (then p is NaN anyway).
  std::uint32_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  bits = (bits - round_shift_bits + 127) << 23;  // n in [−126, 0]
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return x < -87.3f ? 0.0f : p * scale;
}
inline double exp_nonpositive(double x) { return std::exp(x); }

// The largest of row[0, n), n ≥ 1 (NaN ignored unless row[0] is NaN; e^(z − NaN) is NaN).
template <class T>
T row_max(const T* row, index_t n) {
  T largest = row[0];
  for (index_t j = 1; j < n; ++j) largest = row[j] > largest ? row[j] : largest;
  return largest;
}

// Softmax with cross-entropy, softmax_rows rows at a time: the block is turned class-major
// (t[j][r] = z(r, j)) by register transposes so that every step runs across the rows in
// vectors. Row by row, a row of 10 classes was two scalar max chains, a scalar sum and a
// scale loop: 22 ns a row (2.8 % of a Figure 20.2 2×100 epoch), here 15 (AVX-512; AVX2
// 23 → 19); 100 classes 173 → 95 ns (AVX2 184 → 119), 256 classes 510 → 176 (552 → 221).
// The same operations in the same order as row by row, so the same bits. Vectors of 4 lanes
// take too many transposes: SSE2's floats 31 → 37 ns, so they stay row by row. Up to 256
// classes, the block (16 KiB of float32, 32 of float64) fits on any thread's stack.
constexpr index_t softmax_rows = 16, softmax_max_classes = 256;
template <class T>
constexpr bool softmax_class_major = Simd<T>::lanes >= 8;

// The loss of `rows` ≤ softmax_rows rows of n ≤ softmax_max_classes classes, summed in row
// order from `sum`, and their gradient (see softmax_cross_entropy).
template <class T>
double softmax_cross_entropy_rows(index_t rows, index_t n, const T* z, const int64_t* labels,
                                  const T* row_weight, T* dz, double scale, double sum) {
  using S = Simd<T>;
  constexpr index_t R = softmax_rows, L = S::lanes;
  static_assert(R % L == 0 && softmax_max_classes % L == 0);
  alignas(64) T t[softmax_max_classes][R];
  alignas(64) T top[R], factor[R];
  alignas(64) double total[R], row_scale[R];
  // z turned over as gemm packs a sliver of a transposed operand; rows past `rows` are
  // zeros, computed on, never stored.
  pack_sliver<R>(z, n, 1, rows, n, &t[0][0]);
  for (index_t j = n; j < round_up(n, L); ++j) {  // unwritten by pack_sliver, read back below
    for (index_t r = 0; r < R; ++r) t[j][r] = T(0);
  }
  for (index_t r = 0; r < R; ++r) top[r] = t[0][r];
  for (index_t j = 1; j < n; ++j) {  // NaN ignored unless in the first column, as row_max
    for (index_t r = 0; r < R; ++r) top[r] = t[j][r] > top[r] ? t[j][r] : top[r];
  }
  for (index_t j = 0; j < n; ++j) {  // shifted by the max, so every term is in (0, 1]
    for (index_t r = 0; r < R; ++r) t[j][r] = exp_nonpositive(t[j][r] - top[r]);
  }
  for (index_t r = 0; r < R; ++r) total[r] = 0;
  for (index_t j = 0; j < n; ++j) {
    for (index_t r = 0; r < R; ++r) total[r] += double(t[j][r]);
  }
  for (index_t r = 0; r < R; ++r) factor[r] = T(0);
  for (index_t r = 0; r < rows; ++r) {
    row_scale[r] = row_weight ? scale * double(row_weight[r]) : scale;
    const double log_sum_exp = double(top[r]) + std::log(total[r]);
    sum += (log_sum_exp - double(z[r * n + labels[r]])) * row_scale[r];
    factor[r] = T(row_scale[r] / total[r]);
  }
  for (index_t j = 0; j < n; ++j) {
    for (index_t r = 0; r < R; ++r) t[j][r] *= factor[r];
  }
  for (index_t r0 = 0; r0 < rows; r0 += L) {
    for (index_t j0 = 0; j0 < n; j0 += L) {
      typename S::reg block[L];
      for (index_t j = 0; j < L; ++j) block[j] = S::load(t[j0 + j] + r0);
      S::transpose(block);
      for (index_t r = 0; r < smaller(L, rows - r0); ++r) {
        store_part<S>(dz + (r0 + r) * n + j0, block[r], n - j0);
      }
    }
  }
  for (index_t r = 0; r < rows; ++r) dz[r * n + labels[r]] -= T(row_scale[r]);
  return sum;
}

template <class T>
double softmax_cross_entropy(index_t m, index_t n, const T* logits, const int64_t* labels,
                             const T* row_weight, T* dlogits, double scale) {
  // ~4 operations per element (shift, exponential, sum, scale) and ~20 per row for the log.
  const double work_per_row = 4.0 * double(n) + 20.0;
  return sum_over_row_blocks(m, work_per_row, [&](index_t begin, index_t end) {
    double sum = 0;
    if (softmax_class_major<T> && n <= softmax_max_classes) {
      for (index_t i = begin; i < end; i += softmax_rows) {
        sum = softmax_cross_entropy_rows(smaller(softmax_rows, end - i), n, logits + i * n,
                                         labels + i, row_weight ? row_weight + i : nullptr,
                                         dlogits + i * n, scale, sum);
      }
      return sum;
    }
    // Three passes, so that the exponentials run as one long vectorized loop: each row less
    // its max, e^ of everything, then the row sums.
    for (index_t i = begin; i < end; ++i) {
      const T* z = logits + i * n;
      const T z_max = row_max(z, n);
      for (index_t j = 0; j < n; ++j) dlogits[i * n + j] = z[j] - z_max;
    }
    for (index_t j = begin * n; j < end * n; ++j) dlogits[j] = exp_nonpositive(dlogits[j]);
    for (index_t i = begin; i < end; ++i) {
      const double row_scale = row_weight ? scale * double(row_weight[i]) : scale;
      const T* z = logits + i * n;
      T* dz = dlogits + i * n;
      double exp_sum = 0;  // shifted by the max, so every term is in (0, 1]
      for (index_t j = 0; j < n; ++j) exp_sum += dz[j];
      // The row's max again: n comparisons, where keeping it from the first pass needs a
      // buffer.
      const double log_sum_exp = double(row_max(z, n)) + std::log(exp_sum);
      sum += (log_sum_exp - double(z[labels[i]])) * row_scale;
      const T prob_scale = T(row_scale / exp_sum);
      for (index_t j = 0; j < n; ++j) dz[j] *= prob_scale;
      dz[labels[i]] -= T(row_scale);
    }
    return sum;
  });
}

template <class T>
double sigmoid_binary_cross_entropy(index_t m, index_t n, const T* logits, const T* target,
                                    const T* row_weight, T* dlogits, double scale) {
  // Each element costs a log1p, an exp and the logistic: as ~20 elementwise ops.
  return elementwise_loss(m, n, row_weight, scale, dlogits, 20.0, [&](index_t j, double row_scale) {
    // −t·log σ(z) − (1−t)·log(1−σ(z)) = max(z, 0) − z·t + log(1 + e^−|z|): no overflow
    const T z = logits[j];
    dlogits[j] = T(row_scale) * (logistic(z) - target[j]);
    return double((z > T(0) ? z : T(0)) - z * target[j]) +
           std::log1p(std::exp(-std::fabs(double(z))));
  });
}

template <class T>
double poisson_log_link(index_t m, index_t n, const T* log_rate, const T* target,
                        const T* row_weight, T* dlog_rate, double scale) {
  // Each element costs an exp and, for a positive target, a log: as ~20 elementwise ops.
  return elementwise_loss(
      m, n, row_weight, scale, dlog_rate, 20.0, [&](index_t j, double row_scale) {
        // t·log(t / e^z) − t + e^z, with 0·log 0 = 0: zero where e^z = t
        const double z = double(log_rate[j]), t = double(target[j]);
        const double rate = std::exp(z);
        dlog_rate[j] = T(row_scale * (rate - t));  // in double: e^z of float32 z may overflow
        return (t > 0 ? t * (std::log(t) - z) : 0.0) - t + rate;
      });
}

// db(j) = Σ_i dy(i, j), always summed in the same order. Up to a vector's width of columns (an
// output layer, a tiny net's hidden layers) each row is one (masked) vector, summed into four
// interleaved partial sums: one running sum would wait on the adder's latency at every row.
// Otherwise each column's sum runs down the rows in a register, eight vectors of columns at a
// time (eight chains of adds), and threads split the columns: the order, and the result, is
// the same for any thread count. (Summed into db row by row, every row waited on db's store
// and reload: 4.5 % of a 4×63 training step on 4,000 rows.) With `accumulate`, each finished
// sum is added to db(j) instead.
template <class T>
void bias_gradient(index_t m, index_t n, const T* dy, T* db, bool accumulate) {
  using S = Simd<T>;
  constexpr index_t L = S::lanes;
  if (n <= L) {
    typename S::reg partial[4] = {S::zero(), S::zero(), S::zero(), S::zero()};
    index_t i = 0;
    for (; i + 4 <= m; i += 4) {
      for (int u = 0; u < 4; ++u)
        partial[u] = S::add(partial[u], S::load_first(dy + (i + u) * n, n));
    }
    for (; i < m; ++i) partial[0] = S::add(partial[0], S::load_first(dy + i * n, n));
    typename S::reg sum = S::add(S::add(partial[0], partial[1]), S::add(partial[2], partial[3]));
    if (accumulate) sum = S::add(S::load_first(db, n), sum);
    S::store_first(db, sum, n);
    return;
  }
  constexpr int vectors = 8;
  constexpr index_t line = 64 / sizeof(T);  // a thread's columns start on a cache line
  const int threads = threads_for(double(m) * double(n), min_elements_per_thread);
  parallel_ranges(threads, n, line, [&](index_t j0, index_t j1) {
    for (index_t jc = j0; jc < j1; jc += vectors * L) {
      const index_t width = smaller(vectors * L, j1 - jc);
      typename S::reg sum[vectors];
#pragma GCC unroll 8
      for (int v = 0; v < vectors; ++v) sum[v] = S::zero();
      for (index_t i = 0; i < m; ++i) {
        const T* row = dy + i * n + jc;
#pragma GCC unroll 8
        for (int v = 0; v < vectors; ++v) {  // whole vectors, then one masked, then none
          const index_t left = width - v * L;
          if (left > 0) sum[v] = S::add(sum[v], load_part<S>(row + v * L, left));
        }
      }
#pragma GCC unroll 8
      for (int v = 0; v < vectors; ++v) {
        const index_t left = width - v * L;
        if (accumulate) sum[v] = S::add(load_part<S>(db + jc + v * L, left), sum[v]);
        store_part<S>(db + jc + v * L, sum[v], left);
      }
    }
  });
}

// The L2 penalty of n weights: dw += l2·w, and Σ w² returned in float64, in one pass. The sum
// runs in 32 interleaved partial sums (four AVX-512 vectors of doubles): one running sum waits
// on the adder's latency at every weight (15 µs of a 200 µs MNIST-1D training step, 15,000
// weights); with eight (one vector, and dw in a second pass) 10,000 weights took 2.7 µs, with
// 32 in one pass 1.5 µs.
template <class T>
double l2_penalty(index_t n, T l2, const T* w, T* dw) {
  constexpr int P = 32;
  double partial[P] = {};
  index_t i = 0;
  for (; i + P <= n; i += P) {
    for (int u = 0; u < P; ++u) {
      partial[u] += double(w[i + u]) * double(w[i + u]);
      dw[i + u] += l2 * w[i + u];
    }
  }
  for (; i < n; ++i) {
    partial[i % P] += double(w[i]) * double(w[i]);
    dw[i] += l2 * w[i];
  }
  for (int width = P / 2; width > 0; width /= 2) {  // pairwise, in a fixed order
    for (int u = 0; u < width; ++u) partial[u] += partial[u + width];
  }
  return partial[0];
}

}  // namespace fastmlp::FASTMLP_ISA_NAMESPACE
