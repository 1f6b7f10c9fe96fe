// The GEMM for an A with many exact zeros: the output of a ReLU layer, which is the next
// layer's input, and the gradient flowing back through a ReLU layer (zero wherever the
// layer's output was). With He initialisation about half of each is zero. A register tile
// cannot skip them (a term is zero for all ten of its rows at once about 0.1 % of the time),
// so here C is computed a row at a time: the positions of the row's nonzero values, then one
// broadcast and a vector FMA per column vector for each of them.
//
// Each sum is that of gemm's register tiles term for term: from +0, p ascending, one FMA per
// term, in blocks of Blocking<T>::kc terms added to C in turn. A skipped term is a·b with a
// = ±0, which adds exactly nothing when b is finite (x + ±0 = x; a sum begun at +0 is never
// −0), so with a finite op(B) the results are bitwise those of the dense path when beta is 0
// or 1 (every product the network runs). With another beta they may differ in the last bit
// where gemm computes Cᵀ: it adds beta·C there in C++ (a·b + c), which GCC fuses into one FMA
// at -O2 and up, as here, but not at -O1.
//
// Included by gemm_blocked.hpp only (it uses its MatrixView, pack_sliver and epilogue).
#pragma once

#ifndef FASTMLP_ISA_NAMESPACE
#error "include this only from a kernels_<isa>.cpp"
#endif

#include <cstdint>

namespace fastmlp::FASTMLP_ISA_NAMESPACE {

// Above this share of nonzero values in A, the dense register tiles are faster: on Zen 4
// (AVX-512, float32, one thread, bias and ReLU fused) (250×100)·(100×100) ran 15 % faster here
// than in tiles at a share of 0.5, 7 % faster at 0.55, 3 % slower at 0.6; 75- and 63-wide
// products broke even at about 0.65 and 0.6.
constexpr double sparse_a_max_nonzero_share = 0.58;

// Narrower products stay in tiles: a row's sums of fewer vectors are a chain of FMA latencies
// per term. Figure 20.2's 2×100 and 1×298 epochs ran 2 % and 19 % slower when the products
// with 10 outputs skipped zeros too.
constexpr index_t sparse_a_min_vectors = 4;

// The share is estimated from A's first rows, at most this many (16 rows of 100: a share of
// 0.5 estimated to about ±0.0125).
constexpr index_t sparse_a_sample_rows = 16;

// Rows whose nonzero positions are listed at once, before their sums.
constexpr index_t sparse_a_block_rows = 16;

// The widest column block a row's sums cover in registers, in vectors (with_vector_count's most).
constexpr int sparse_a_max_vectors = 8;
static_assert(sparse_a_max_vectors <= 8);

// Writes first + i for each i < count with values[i] != 0 (NaN included), in order, to
// positions, and returns how many; count ≤ L. positions has room for 16 more.
template <class T>
[[gnu::always_inline]] inline index_t nonzero_positions(const T* values, index_t count,
                                                        int32_t first, int32_t* positions) {
  if constexpr (this_isa == Isa::avx512) {  // in vectors (simd_avx512.hpp)
    return Simd<T>::nonzero_positions(values, count, first, positions);
  } else {
    index_t found = 0;
    for (index_t i = 0; i < count; ++i) {  // branch-free: half the values are zero, at random
      positions[found] = first + int32_t(i);
      found += values[i] != T(0);
    }
    return found;
  }
}

// The positions of row[0, k)'s nonzero values, in order; returns how many. positions holds
// k + 16.
template <class T>
index_t list_nonzero(const T* row, index_t k, int32_t* positions) {
  constexpr index_t L = Simd<T>::lanes;
  index_t count = 0, p = 0;
  for (; p + L <= k; p += L) {  // whole vectors: a literal count, so no mask to make
    count += nonzero_positions(row + p, L, int32_t(p), positions + count);
  }
  if (p < k) count += nonzero_positions(row + p, k - p, int32_t(p), positions + count);
  return count;
}

// Rows [i0, i0 + rows) of C over columns [j0, j0 + cols), a row at a time: NV vectors of
// Simd<T>, then with Edge one of EdgeSimd<T> (fewer lanes: AVX-512's 4 columns past 96 of a
// 100-wide layer take half the loads and FMAs of a 512-bit vector). Row i0 + r sums over the
// counts[r] nonzero positions of its row of A listed at positions + r·list_size, from the
// column block's panel of op(B) (see sparse_a_gemm) at b_packed + j0·k.
template <int NV, bool Edge, class T>
void sparse_a_rows(const GemmArgs<T>& g, const T* b_packed, index_t j0, index_t cols, index_t i0,
                   index_t rows, const int32_t* positions, index_t list_size,
                   const index_t* counts) {
  using S = Simd<T>;
  using E = EdgeSimd<T>;
  constexpr index_t L = S::lanes, KC = Blocking<T>::kc;
  constexpr index_t panel_row = (NV + (Edge ? 1 : 0)) * L;
  const index_t k = g.k;
  const T* const b = b_packed + j0 * k;
  const TileEpilogue<T> epilogue = TileEpilogue<T>::of(g, j0, true);
  // How many of vector v's lanes are C's columns: all of them but in the last vector (a
  // literal, so that the others' loads and stores are whole vectors, unmasked and unbranched,
  // once the loops over v are unrolled).
  const auto lanes_of = [&](index_t v) { return Edge || v < NV - 1 ? L : cols - v * L; };
  for (index_t r = 0; r < rows; ++r) {
    const index_t i = i0 + r, count = counts[r];
    const int32_t* const row_positions = positions + r * list_size;
    const T* const a_row = g.a + i * g.lda;
    T* const c_row = g.c + i * g.ldc + j0;
    // As the register tile's write-back: alpha·sum + beta·C, later k blocks added on; then
    // the bias and ReLU. For the vector of type V at column v·L, `left` values of it in C.
    const auto combine = [&](auto vec, auto sum, auto& result, index_t v, index_t left,
                             bool later_block) {
      using V = decltype(vec);
      const auto scaled = V::mul(V::broadcast(g.alpha), sum);
      if (later_block) {
        result = V::fma(V::broadcast(T(1)), result, scaled);
      } else if (g.beta == T(0)) {
        result = scaled;
      } else {
        result = V::fma(V::broadcast(g.beta), load_part<V>(c_row + v * L, left), scaled);
      }
    };
    const auto store = [&](auto vec, auto result, index_t v, index_t left) {
      using V = decltype(vec);
      if (epilogue.fused && epilogue.bias) {
        result = V::add(result, load_part<V>(epilogue.bias + v * L, left));
      }
      // max(0, x): x when x is NaN, as ReluAct (x < 0 ? 0 : x)
      if (epilogue.fused && epilogue.relu) result = V::max(V::zero(), result);
      store_part<V>(c_row + v * L, result, left);
    };
    typename S::reg result[NV > 0 ? NV : 1] = {};
    typename E::reg edge_result = E::zero();
    index_t first = 0;
    for (index_t pc = 0; pc < k; pc += KC) {  // the dense path's k blocks
      index_t last = count;
      if (pc + KC < k) {
        for (last = first; last < count && row_positions[last] < pc + KC;) ++last;
      }
      typename S::reg acc[NV > 0 ? NV : 1];
      typename E::reg edge_acc = E::zero();
      FASTMLP_UNROLL_FULLY
      for (int v = 0; v < NV; ++v) acc[v] = S::zero();
#pragma GCC unroll 2
      for (index_t t = first; t < last; ++t) {
        const index_t p = row_positions[t];
        const T a = a_row[p];
        const typename S::reg av = S::broadcast(a);
        FASTMLP_UNROLL_FULLY
        for (int v = 0; v < NV; ++v) {
          acc[v] = S::fma(av, S::load(b + p * panel_row + v * L), acc[v]);
        }
        if constexpr (Edge) {
          edge_acc = E::fma(E::broadcast(a), E::load(b + p * panel_row + NV * L), edge_acc);
        }
      }
      FASTMLP_UNROLL_FULLY
      for (int v = 0; v < NV; ++v) combine(S{}, acc[v], result[v], v, lanes_of(v), pc > 0);
      if constexpr (Edge) combine(E{}, edge_acc, edge_result, NV, cols - NV * L, pc > 0);
      first = last;
    }
    FASTMLP_UNROLL_FULLY
    for (int v = 0; v < NV; ++v) store(S{}, result[v], v, lanes_of(v));
    if constexpr (Edge) store(E{}, edge_result, NV, cols - NV * L);
    if (!epilogue.fused) apply_epilogue(g, i, 1, j0, cols);
  }
}

// Whether values[0, n) (n a multiple of Simd<T>::lanes) are all finite: a NaN or ±inf makes
// value·0 + sum a NaN. Here in this ISA's vectors, four sums at once: one sum is a chain of
// FMAs, and 11,200 values (a 100-wide layer's packed op(B)) took about 0.8 µs, a third of such
// a product's fixed cost. (net/all_finite.hpp's portable check is compiled for the baseline
// ISA; an instance of that template here would be a second, AVX-512 definition of it, of
// which the linker keeps one for every caller.)
template <class T>
bool packed_all_finite(const T* values, index_t n) {
  using S = Simd<T>;
  constexpr index_t L = S::lanes, ways = 4;
  typename S::reg sums[ways];
  FASTMLP_UNROLL_FULLY
  for (index_t w = 0; w < ways; ++w) sums[w] = S::zero();
  index_t i = 0;
  for (; i + ways * L <= n; i += ways * L) {
    FASTMLP_UNROLL_FULLY
    for (index_t w = 0; w < ways; ++w) {
      sums[w] = S::fma(S::load(values + i + w * L), S::zero(), sums[w]);
    }
  }
  for (; i < n; i += L) sums[0] = S::fma(S::load(values + i), S::zero(), sums[0]);
  return S::sum(S::add(S::add(sums[0], sums[1]), S::add(sums[2], sums[3]))) == T(0);
}

// C = act(alpha·A·op(B) + beta·C + bias) over A's nonzero terms only, when A (not transposed)
// has few enough of them and op(B) is finite; returns false, having written nothing, when
// not (the dense path is then the faster or the only exact one). gemm calls it for products
// it would give to register tiles, so that the results are theirs, on the ISAs whose
// Blocking<T>::skips_zeros_of_a.
template <class T>
bool sparse_a_gemm(const GemmArgs<T>& g, MatrixView<T> b) {
  constexpr index_t L = Simd<T>::lanes, R = sparse_a_block_rows;
  const index_t m = g.m, n = g.n, k = g.k;
  if (g.trans_a || n <= (sparse_a_min_vectors - 1) * L) return false;
  const index_t sample_rows = smaller(m, sparse_a_sample_rows);
  index_t sample_nonzero = 0;
  for (index_t i = 0; i < sample_rows; ++i) {
    const T* row = g.a + i * g.lda;
    int row_nonzero = 0;  // an int: GCC then counts in vectors
    for (index_t p = 0; p < k; ++p) row_nonzero += row[p] != T(0);
    sample_nonzero += row_nonzero;
  }
  const double share = double(sample_nonzero) / (double(sample_rows) * double(k));
  if (share > sparse_a_max_nonzero_share) return false;
  const index_t slivers = ceil_div(n, L), b_size = slivers * k * L, list_size = k + 16;
  const int threads =
      threads_for(2.0 * share * double(m) * double(k) * double(n), min_flops_per_thread);
  // op(B) packed, and each thread's lists of nonzero positions for R rows
  T* const b_packed = static_cast<T*>(thread_workspace(
      sizeof(T) * size_t(b_size) + sizeof(int32_t) * size_t(threads * R * list_size),
      Workspace::gemm_panels));
  // Column blocks of as even a number of vectors as can be: 10 as 5 + 5, not 8 + 2 (a row's
  // sums of 2 vectors wait on FMA latency).
  const index_t column_blocks = ceil_div(slivers, sparse_a_max_vectors);
  const auto first_sliver = [&](index_t block) { return block * slivers / column_blocks; };
  // Each block's columns of op(B) packed as a k×(vectors·L) panel, row by row: a term's loads
  // are then consecutive cache lines, not lines k·L values apart as in the register tiles'
  // slivers. Measured on Zen 4, one thread, half nonzero: (250×100)·(100×100) 42.7 → 40.7 µs,
  // 75-wide 23.5 → 23.1 µs, 63-wide unchanged; Figure 20.2's 2×100 epoch 3,265 → 3,191 µs.
  for (index_t block = 0; block < column_blocks; ++block) {
    const index_t first = first_sliver(block), vectors = first_sliver(block + 1) - first;
    for (index_t s = first; s < first + vectors; ++s) {
      pack_sliver<L>(b.at(0, s * L), b.cs, b.rs, smaller(L, n - s * L), k,
                     b_packed + first * k * L + (s - first) * L, vectors * L);
    }
  }
  if (!packed_all_finite(b_packed, b_size)) return false;  // 0·inf is NaN: not skippable
  int32_t* const lists = reinterpret_cast<int32_t*>(b_packed + b_size);
  parallel_region(threads, [&](const Team& team) {  // rows split in contiguous ranges
    const index_t per_thread = round_up(ceil_div(m, team.threads), R);
    const index_t i0 = smaller(m, team.index * per_thread), i1 = smaller(m, i0 + per_thread);
    int32_t* const positions = lists + team.index * R * list_size;
    index_t counts[R];
    for (index_t ib = i0; ib < i1; ib += R) {
      const index_t rows = smaller(R, i1 - ib);
      for (index_t r = 0; r < rows; ++r) {
        counts[r] = list_nonzero(g.a + (ib + r) * g.lda, k, positions + r * list_size);
      }
      for (index_t block = 0; block < column_blocks; ++block) {
        const index_t first = first_sliver(block), vectors = first_sliver(block + 1) - first;
        const index_t j0 = first * L, cols = smaller(n - j0, vectors * L);
        const bool edge = EdgeSimd<T>::lanes < L && cols - (vectors - 1) * L <= EdgeSimd<T>::lanes;
        with_vector_count(vectors, [&](auto nv) {
          constexpr int NV = decltype(nv)::value;
          if (edge) {
            sparse_a_rows<NV - 1, true>(g, b_packed, j0, cols, ib, rows, positions, list_size,
                                        counts);
          } else {
            sparse_a_rows<NV, false>(g, b_packed, j0, cols, ib, rows, positions, list_size, counts);
          }
        });
      }
    }
  });
  return true;
}

}  // namespace fastmlp::FASTMLP_ISA_NAMESPACE
