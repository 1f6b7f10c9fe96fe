// The GEMM driver, BLIS-style: pack op(B) into NR-column slivers (one KC×NC panel, shared by
// all threads) and op(A) into MR-row slivers (one MC×KC block per thread), then sweep the
// register tile over the block. Threads split the rows of C into MC blocks (never the k
// reduction), so each element of C is computed by the same instructions in the same order
// whatever the thread count. Products with one row or column take an unpacked vector path.
//
// Included only by kernels_<isa>.cpp inside namespace fastmlp::<isa>, after simd_<isa>.hpp
// has defined Simd<T> (vector ops) and Blocking<T> (tile and cache block sizes).
#pragma once

#ifndef FASTMLP_ISA_NAMESPACE
#error "include this only from a kernels_<isa>.cpp"
#endif

#include <cstring>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels/activation_math.hpp"
#include "kernels/threads.hpp"
#include "kernels/workspace.hpp"

namespace fastmlp::FASTMLP_ISA_NAMESPACE {

// Own helpers rather than std::min/std::max: a std template instantiated here with this
// ISA's flags could be the copy the linker keeps for every caller (see style.md, Highway).
constexpr index_t smaller(index_t a, index_t b) { return a < b ? a : b; }
constexpr index_t ceil_div(index_t a, index_t b) { return (a + b - 1) / b; }
constexpr index_t round_up(index_t a, index_t b) { return ceil_div(a, b) * b; }

// A strided view of a matrix: element (i, j) is at p[i*rs + j*cs].
template <class T>
struct MatrixView {
  const T* p;
  index_t rs, cs;
  const T* at(index_t i, index_t j) const { return p + i * rs + j * cs; }
  MatrixView transposed() const { return {p, cs, rs}; }
};

// Below about this many flops per thread, a second thread costs more than it saves
// (OpenMP fork/join is a few µs; a 2-core Zen 3 runs ~200 kflop per µs).
constexpr double min_flops_per_thread = 1 << 21;

// Writes the kc×W sliver dst[p*W + w] = src[w*stride_w + p*stride_p] for w < width, zero
// beyond (edge slivers are padded so the register tile always runs full size).
template <int W, class T>
void pack_sliver(const T* src, index_t stride_w, index_t stride_p, index_t width, index_t kc,
                 T* dst) {
  if (width == W && stride_w == 1) {
    for (index_t p = 0; p < kc; ++p) std::memcpy(dst + p * W, src + p * stride_p, W * sizeof(T));
    return;
  }
  for (index_t w = 0; w < W; ++w) {
    if (w < width) {
      const T* s = src + w * stride_w;
      for (index_t p = 0; p < kc; ++p) dst[p * W + w] = s[p * stride_p];
    } else {
      for (index_t p = 0; p < kc; ++p) dst[p * W + w] = T(0);
    }
  }
}

// The register tile: acc = Σ_p a[p*MR + r]·b[p*NR + c] over a packed A sliver and a packed B
// sliver, then C(r, c) = alpha·acc + beta·C(r, c) for r < rows, c < cols (C not read when
// beta == 0). C(r, c) is at c_tile[r*rs_c + c*cs_c].
template <class T>
void register_tile(index_t kc, const T* a, const T* b, T alpha, T beta, T* c_tile,
                   index_t rs_c, index_t cs_c, index_t rows, index_t cols) {
  using S = Simd<T>;
  using reg = typename S::reg;
  constexpr int MR = Blocking<T>::mr, NV = Blocking<T>::nv, L = S::lanes, NR = NV * L;
  reg acc[MR][NV];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = S::zero();
#pragma GCC unroll 4
  for (index_t p = 0; p < kc; ++p) {
    reg bv[NV];
    for (int v = 0; v < NV; ++v) bv[v] = S::load(b + p * NR + v * L);
    for (int r = 0; r < MR; ++r) {
      const reg av = S::broadcast(a[p * MR + r]);
      for (int v = 0; v < NV; ++v) acc[r][v] = S::fma(av, bv[v], acc[r][v]);
    }
  }
  const reg alpha_v = S::broadcast(alpha);
  if (rows == MR && cols == NR && cs_c == 1) {  // a full tile with contiguous rows
    const reg beta_v = S::broadcast(beta);
    for (int r = 0; r < MR; ++r) {
      for (int v = 0; v < NV; ++v) {
        T* dst = c_tile + r * rs_c + v * L;
        const reg scaled = S::mul(alpha_v, acc[r][v]);
        S::store(dst, beta == T(0) ? scaled : S::fma(beta_v, S::load(dst), scaled));
      }
    }
    return;
  }
  alignas(64) T tile[MR * NR];  // edge or transposed tile: through a buffer
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) S::store(tile + r * NR + v * L, S::mul(alpha_v, acc[r][v]));
  for (index_t r = 0; r < rows; ++r) {
    for (index_t col = 0; col < cols; ++col) {
      T& dst = c_tile[r * rs_c + col * cs_c];
      dst = beta == T(0) ? tile[r * NR + col] : tile[r * NR + col] + beta * dst;
    }
  }
}

// C(i, j) = act(C(i, j) + bias[j]) over rows [i0, i0+rows) and columns [j0, j0+cols) of C.
template <class T>
void apply_epilogue(const GemmArgs<T>& g, index_t i0, index_t rows, index_t j0, index_t cols) {
  if (g.bias == nullptr && g.activation == Activation::identity) return;
  with_activation(g.activation, [&](auto act) {
    for (index_t i = i0; i < i0 + rows; ++i) {
      T* row = g.c + i * g.ldc;
      if (g.bias != nullptr) {
        for (index_t j = j0; j < j0 + cols; ++j) row[j] = act.value(row[j] + g.bias[j], g.activation_param);
      } else {
        for (index_t j = j0; j < j0 + cols; ++j) row[j] = act.value(row[j], g.activation_param);
      }
    }
  });
}

// C = beta·C (C not read when beta == 0): the whole product when k == 0 or alpha == 0.
template <class T>
void scale_c(const GemmArgs<T>& g) {
  for (index_t i = 0; i < g.m; ++i) {
    T* row = g.c + i * g.ldc;
    for (index_t j = 0; j < g.n; ++j) row[j] = g.beta == T(0) ? T(0) : g.beta * row[j];
  }
}

// y(j) = alpha·Σ_p x(p)·B(p, j) + beta·y(j) for a (k, n) matrix B with contiguous rows:
// rows of B scaled and added, vectorized along j. y(j) is at y[j*inc_y].
template <class T>
void vector_times_rows(index_t k, T alpha, const T* x, index_t inc_x,
                       MatrixView<T> b, T beta, T* y, index_t inc_y, index_t j0, index_t j1) {
  using S = Simd<T>;
  constexpr index_t L = S::lanes, chunk = 4 * L;  // 4 accumulators per pass over x
  alignas(64) T sums[chunk];
  for (index_t jc = j0; jc < j1; jc += chunk) {
    const index_t width = smaller(chunk, j1 - jc);
    if (width == chunk) {
      typename S::reg acc[4] = {S::zero(), S::zero(), S::zero(), S::zero()};
      for (index_t p = 0; p < k; ++p) {
        const typename S::reg xv = S::broadcast(x[p * inc_x]);
        const T* row = b.at(p, jc);
        for (int v = 0; v < 4; ++v) acc[v] = S::fma(xv, S::load(row + v * L), acc[v]);
      }
      for (int v = 0; v < 4; ++v) S::store(sums + v * L, acc[v]);
    } else {
      for (index_t j = 0; j < width; ++j) sums[j] = T(0);
      for (index_t p = 0; p < k; ++p) {
        const T xp = x[p * inc_x];
        const T* row = b.at(p, jc);
        for (index_t j = 0; j < width; ++j) sums[j] += xp * row[j];
      }
    }
    for (index_t j = 0; j < width; ++j) {
      T& dst = y[(jc + j) * inc_y];
      dst = beta == T(0) ? alpha * sums[j] : alpha * sums[j] + beta * dst;
    }
  }
}

// y(j) = alpha·dot(x, B(:, j)) + beta·y(j) for a (k, n) matrix B with contiguous columns
// and contiguous x: dot products vectorized along p, four columns at a time.
template <class T>
void vector_times_columns(index_t k, T alpha, const T* x, MatrixView<T> b, T beta, T* y,
                          index_t inc_y, index_t j0, index_t j1) {
  using S = Simd<T>;
  constexpr index_t L = S::lanes;
  const index_t k_vec = k / L * L;
  for (index_t j = j0; j < j1; j += 4) {
    const index_t cols = smaller(4, j1 - j);
    typename S::reg acc[4] = {S::zero(), S::zero(), S::zero(), S::zero()};
    for (index_t p = 0; p < k_vec; p += L) {
      const typename S::reg xv = S::load(x + p);
      for (index_t c = 0; c < cols; ++c) acc[c] = S::fma(xv, S::load(b.at(p, j + c)), acc[c]);
    }
    for (index_t c = 0; c < cols; ++c) {
      alignas(64) T lanes[L];
      S::store(lanes, acc[c]);
      T sum = T(0);
      for (index_t l = 0; l < L; ++l) sum += lanes[l];
      const T* column = b.at(0, j + c);
      for (index_t p = k_vec; p < k; ++p) sum += x[p] * column[p];
      T& dst = y[(j + c) * inc_y];
      dst = beta == T(0) ? alpha * sum : alpha * sum + beta * dst;
    }
  }
}

// One row of C times op(B): returns false (nothing done) when neither B's rows nor its
// columns are contiguous, leaving the product to the packed path.
template <class T>
bool gemv(index_t k, index_t n, T alpha, MatrixView<T> x, MatrixView<T> b, T beta, T* y,
          index_t inc_y) {
  const bool by_rows = b.cs == 1;
  const bool by_columns = b.rs == 1 && x.cs == 1;
  if (!by_rows && !by_columns) return false;
  const int threads = threads_for(2.0 * double(k) * double(n), min_flops_per_thread);
  const index_t per_thread = round_up(ceil_div(n, threads), 4 * Simd<T>::lanes);
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
  for (int t = 0; t < threads; ++t) {
    const index_t j0 = smaller(n, t * per_thread), j1 = smaller(n, j0 + per_thread);
    if (by_rows) {
      vector_times_rows(k, alpha, x.p, x.cs, b, beta, y, inc_y, j0, j1);
    } else {
      vector_times_columns(k, alpha, x.p, b, beta, y, inc_y, j0, j1);
    }
  }
  return true;
}

// Tiles of MR×NR cost the same full or partial; computing Cᵀ = op(B)ᵀ·op(A)ᵀ instead of C
// wastes fewer lanes when n is narrow (a layer with 10 outputs: 10 rows of Cᵀ fill 2 tiles
// of 6 rows at 83 %, where 10 columns of C would fill one 16-wide tile at 63 %).
template <class T>
bool compute_transposed(index_t m, index_t n) {
  constexpr index_t MR = Blocking<T>::mr, NR = Blocking<T>::nv * Simd<T>::lanes;
  return round_up(n, MR) * round_up(m, NR) < round_up(m, MR) * round_up(n, NR);
}

template <class T>
void gemm(const GemmArgs<T>& g) {
  if (g.m == 0 || g.n == 0) return;
  if (g.k == 0 || g.alpha == T(0)) {
    scale_c(g);
    apply_epilogue(g, 0, g.m, 0, g.n);
    return;
  }
  MatrixView<T> a = g.trans_a ? MatrixView<T>{g.a, 1, g.lda} : MatrixView<T>{g.a, g.lda, 1};
  MatrixView<T> b = g.trans_b ? MatrixView<T>{g.b, 1, g.ldb} : MatrixView<T>{g.b, g.ldb, 1};
  index_t m = g.m, n = g.n, rs_c = g.ldc, cs_c = 1;
  const bool swap = compute_transposed<T>(m, n);
  if (swap) {  // Cᵀ = op(B)ᵀ·op(A)ᵀ: rows of the computed matrix are columns of C
    const MatrixView<T> old_a = a;
    a = b.transposed();
    b = old_a.transposed();
    m = g.n;
    n = g.m;
    rs_c = 1;
    cs_c = g.ldc;
  }
  // Maps a tile of the computed matrix back to C for the epilogue.
  const auto epilogue = [&](index_t i0, index_t rows, index_t j0, index_t cols) {
    if (swap) {
      apply_epilogue(g, j0, cols, i0, rows);
    } else {
      apply_epilogue(g, i0, rows, j0, cols);
    }
  };

  if (m == 1 && gemv(g.k, n, g.alpha, a, b, g.beta, g.c, cs_c)) {
    epilogue(0, 1, 0, n);
    return;
  }

  using B = Blocking<T>;
  constexpr index_t MR = B::mr, NR = B::nv * Simd<T>::lanes;
  const index_t k = g.k;
  const int threads = threads_for(2.0 * double(m) * double(n) * double(k), min_flops_per_thread);
  // Fewer MC blocks than threads would leave threads idle: shrink MC (keeping it a multiple
  // of MR, so the tiles, and hence the results, do not change with the thread count).
  const index_t mc = smaller(B::mc, round_up(ceil_div(m, threads), MR));
  const index_t kc_max = smaller(B::kc, k);
  const index_t nc_max = round_up(smaller(B::nc, n), NR);
  const index_t b_panel_size = kc_max * nc_max;
  const index_t a_block_size = mc * kc_max;
  T* b_panel = static_cast<T*>(
      thread_workspace(sizeof(T) * size_t(b_panel_size + threads * a_block_size)));
  T* a_blocks = b_panel + b_panel_size;

#pragma omp parallel num_threads(threads) if (threads > 1)
  {
#ifdef _OPENMP
    T* a_block = a_blocks + omp_get_thread_num() * a_block_size;
#else
    T* a_block = a_blocks;
#endif
    for (index_t jc = 0; jc < n; jc += B::nc) {
      const index_t nc = smaller(B::nc, n - jc);
      for (index_t pc = 0; pc < k; pc += B::kc) {
        const index_t kc = smaller(B::kc, k - pc);
        const bool last_kc = pc + kc == k;
        const T beta = pc == 0 ? g.beta : T(1);  // later k blocks accumulate onto C
#pragma omp for schedule(static)
        for (index_t jr = 0; jr < nc; jr += NR) {
          pack_sliver<NR>(b.at(pc, jc + jr), b.cs, b.rs, smaller(NR, nc - jr), kc,
                          b_panel + jr * kc);
        }
#pragma omp for schedule(static)
        for (index_t ic = 0; ic < m; ic += mc) {
          const index_t rows_in_block = smaller(mc, m - ic);
          for (index_t ir = 0; ir < rows_in_block; ir += MR) {
            pack_sliver<MR>(a.at(ic + ir, pc), a.rs, a.cs, smaller(MR, rows_in_block - ir), kc,
                            a_block + ir * kc);
          }
          for (index_t jr = 0; jr < nc; jr += NR) {
            const index_t cols = smaller(NR, nc - jr);
            for (index_t ir = 0; ir < rows_in_block; ir += MR) {
              const index_t rows = smaller(MR, rows_in_block - ir);
              const index_t i = ic + ir, j = jc + jr;
              register_tile(kc, a_block + ir * kc, b_panel + jr * kc, g.alpha, beta,
                            g.c + i * rs_c + j * cs_c, rs_c, cs_c, rows, cols);
              if (last_kc) epilogue(i, rows, j, cols);
            }
          }
        }
      }
    }
  }
}

}  // namespace fastmlp::FASTMLP_ISA_NAMESPACE
