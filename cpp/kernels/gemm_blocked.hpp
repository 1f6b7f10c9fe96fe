// The GEMM driver, BLIS-style: pack op(B) into NR-column slivers (shared by all threads:
// whole when it fits, else one KC×NC panel at a time), then sweep the register tile over
// MC-row blocks of op(A), mostly read in place (see a_sliver_in_place). Threads split
// the rows of C into MC blocks (never the k reduction), so each element of C is computed by
// the same instructions in the same order whatever the thread count. Products with one row or
// column take an unpacked vector path; small ones a single sliver wide skip the blocking
// (one_sliver_gemm).
//
// Included only by kernels_<isa>.cpp inside namespace fastmlp::<isa>, after simd_<isa>.hpp
// has defined Simd<T>, DotSimd<T> and EdgeSimd<T> (vector ops), Blocking<T> (tile and cache
// blocks) and FASTMLP_REGISTER_TILE (whether the register tile is inlined).
#pragma once

#ifndef FASTMLP_ISA_NAMESPACE
#error "include this only from a kernels_<isa>.cpp"
#endif

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "kernels/activation_math.hpp"
#include "kernels/parallel.hpp"
#include "kernels/threads.hpp"
#include "kernels/vector_part.hpp"
#include "kernels/workspace.hpp"

namespace fastmlp::FASTMLP_ISA_NAMESPACE {

// Unrolled early (before scalar replacement), so the accumulator array lives in registers
// from the start instead of being zeroed and read back through the stack.
#define FASTMLP_UNROLL_FULLY _Pragma("GCC unroll 32")

// A strided view of a matrix: element (i, j) is at p[i*rs + j*cs].
template <class T>
struct MatrixView {
  const T* p;
  index_t rs, cs;
  const T* at(index_t i, index_t j) const { return p + i * rs + j * cs; }
  MatrixView transposed() const { return {p, cs, rs}; }
};

// Below about this many flops per thread, a second thread costs more than it saves
// (OpenMP fork/join and a barrier are a few µs). Measured here: (16×128)·(128×128)ᵀ, 2^19
// flops per thread, ran 13 µs on one thread and 18 µs on two; (32×128)·(128×128)ᵀ gains.
constexpr double min_flops_per_thread = 1 << 19;

// The most bytes of packed op(B) kept at once so that threads need no barrier per panel
// (see gemm): every MLP-sized operand fits; a 2048² float32 B (16 MiB) does not.
constexpr double whole_b_budget_bytes = 8 << 20;

// Writes the kc×W sliver dst[p*dst_stride + w] = src[w*stride_w + p*stride_p] for w < width,
// zero beyond (edge slivers are padded so the register tile always runs full size). Reads
// follow whichever of w and p is contiguous in src, in vectors when W is a whole number of
// them. A dst_stride wider than W interleaves slivers row by row (gemm_sparse.hpp's panels).
template <int W, class T>
void pack_sliver(const T* src, index_t stride_w, index_t stride_p, index_t width, index_t kc,
                 T* dst, index_t dst_stride = W) {
  using S = std::conditional_t<W % Simd<T>::lanes == 0, Simd<T>, EdgeSimd<T>>;
  constexpr index_t L = S::lanes;
  if (stride_w == 1) {  // row by row
    for (index_t p = 0; p < kc; ++p) {
      const T* s = src + p * stride_p;
      T* d = dst + p * dst_stride;
      if constexpr (W % L == 0) {  // in vectors: element by element, a narrow edge took 2.5×
        FASTMLP_UNROLL_FULLY
        for (index_t w = 0; w < W; w += L) S::store(d + w, load_part<S>(s + w, width - w));
      } else {  // slivers of A (W = MR)
        for (index_t w = 0; w < W; ++w) d[w] = w < width ? s[w] : T(0);
      }
    }
    return;
  }
  if constexpr (W % L == 0) {
    // Columns contiguous along p (Wᵀ of a layer's forward product): L×L blocks transposed in
    // registers, the last one short when L does not divide kc. One element at a time, the
    // strided stores took 12 % of a 200×100×100 product, and a tiny net's 10×10 Wᵀ 6 % of its
    // training step.
    if (stride_p == 1) {
      for (index_t p = 0; p < kc; p += L) {
        const index_t depth = smaller(L, kc - p);
        for (index_t w0 = 0; w0 < W; w0 += L) {
          typename S::reg block[L];
          FASTMLP_UNROLL_FULLY
          for (index_t r = 0; r < L; ++r) {
            const T* s = src + (w0 + r) * stride_w + p;
            block[r] = w0 + r >= width ? S::zero()
                       : depth == L    ? S::load(s)
                                       : S::load_first(s, depth);
          }
          S::transpose(block);
          FASTMLP_UNROLL_FULLY
          for (index_t r = 0; r < L; ++r) {
            if (r < depth) S::store(dst + (p + r) * dst_stride + w0, block[r]);
          }
        }
      }
      return;
    }
  }
  // Otherwise column by column; an edge sliver is zeroed first in one contiguous pass (zeroing
  // its missing columns one strided element at a time took a third of packing a 4-wide edge).
  if (width < W) {
    if (dst_stride == W) {
      std::memset(dst, 0, std::size_t(kc) * W * sizeof(T));
    } else {
      for (index_t p = 0; p < kc; ++p) std::fill_n(dst + p * dst_stride + width, W - width, T(0));
    }
  }
  for (index_t w = 0; w < width; ++w) {
    const T* s = src + w * stride_w;
    for (index_t p = 0; p < kc; ++p) dst[p * dst_stride + w] = s[p * stride_p];
  }
}

// What a register tile of the last k block applies in registers before it stores: the bias
// (pointing at the tile's first column; null for none), then ReLU if asked. Other activations,
// and transposed tiles, take apply_epilogue after the tile.
template <class T>
struct TileEpilogue {
  bool fused = false;
  const T* bias = nullptr;
  bool relu = false;

  // g's epilogue for a tile whose first column is C's column j, applied in the tile when
  // `last_k_block` (the sum is complete) and its activation has a vector form there.
  static TileEpilogue of(const GemmArgs<T>& g, index_t j, bool last_k_block) {
    TileEpilogue e;
    e.relu = g.activation == Activation::relu;
    e.fused = last_k_block && (e.relu || g.activation == Activation::identity);
    e.bias = g.bias != nullptr ? g.bias + j : nullptr;
    return e;
  }
};

// A register tile's width: NV vectors of S.
template <class S, int NV>
struct TileShape {
  using Vec = S;
  static constexpr int nv = NV;
  static constexpr index_t width = NV * S::lanes;
};

// f(TileShape) for a sliver of cols ≤ NR columns of C: Blocking<T>::nv vectors, or for a
// narrow last sliver one vector, or one of EdgeSimd's narrower ones when that covers it.
template <class T, class F>
constexpr auto with_tile_shape(index_t cols, const F& f) {
  if constexpr (EdgeSimd<T>::lanes < Simd<T>::lanes) {
    if (cols <= EdgeSimd<T>::lanes) return f(TileShape<EdgeSimd<T>, 1>{});
  }
  if (cols <= Simd<T>::lanes) return f(TileShape<Simd<T>, 1>{});
  return f(TileShape<Simd<T>, Blocking<T>::nv>{});
}

// acc[r][v] = Σ_p a(r, p)·b[p·b_rs + v·L] over p < k for r < R, v < NV: a register tile's
// sums, terms in order from zero, in FMAs, with the values of A broadcast.
template <class S, int R, int NV, class T, class A>
[[gnu::always_inline]] inline void tile_sums(index_t k, const A& a, const T* b, index_t b_rs,
                                             typename S::reg (&acc)[R][NV]) {
  FASTMLP_UNROLL_FULLY
  for (int r = 0; r < R; ++r) {
    FASTMLP_UNROLL_FULLY
    for (int v = 0; v < NV; ++v) acc[r][v] = S::zero();
  }
#pragma GCC unroll 4
  for (index_t p = 0; p < k; ++p) {
    typename S::reg bv[NV];
    FASTMLP_UNROLL_FULLY
    for (int v = 0; v < NV; ++v) bv[v] = S::load(b + p * b_rs + v * S::lanes);
    FASTMLP_UNROLL_FULLY
    for (int r = 0; r < R; ++r) {
      const typename S::reg av = S::broadcast(a(r, p));
      FASTMLP_UNROLL_FULLY
      for (int v = 0; v < NV; ++v) acc[r][v] = S::fma(av, bv[v], acc[r][v]);
    }
  }
}

// The register tile: acc = Σ_p A(r, p)·b[p*b_rs + c] with A(r, p) at a[r*a_rs + p*a_cs] (a
// packed sliver: a_rs = 1, a_cs = MR; or MR rows of A read in place: a_rs = lda, a_cs = 1,
// or, transposed, a_rs = 1, a_cs = lda) and B a packed sliver (b_rs = NR) or NR columns read
// in place (b_rs = ldb); then C(r, c) = alpha·acc + beta·C(r, c) for r < rows, c < cols
// (C not read when beta == 0), C(r, c) being c_tile[r*rs_c + c*cs_c]. NV vectors of S wide,
// as with_tile_shape chooses. Returns whether it applied `epilogue` (a tile with contiguous
// rows does, when epilogue.fused).
// Inlined into its callers or called out of line as simd_<isa>.hpp's FASTMLP_REGISTER_TILE
// says: which runs faster depends on the ISA's registers.
template <class S, int NV, class T>
FASTMLP_REGISTER_TILE bool register_tile(index_t kc, const T* a, index_t a_rs, index_t a_cs,
                                         const T* b, index_t b_rs, T alpha, T beta, T* c_tile,
                                         index_t rs_c, index_t cs_c, index_t rows, index_t cols,
                                         TileEpilogue<T> epilogue) {
  using reg = typename S::reg;
  constexpr int MR = Blocking<T>::mr, L = S::lanes, NR = NV * L;
  reg acc[MR][NV];
  if (a_rs == 1) {  // packed, or transposed in place: one pointer, the rows at fixed offsets
    tile_sums<S>(kc, [&](int r, index_t p) { return a[r + p * a_cs]; }, b, b_rs, acc);
  } else {  // rows of A in place: a pointer per row
    tile_sums<S>(kc, [&](int r, index_t p) { return a[r * a_rs + p * a_cs]; }, b, b_rs, acc);
  }
  const reg alpha_v = S::broadcast(alpha), beta_v = S::broadcast(beta);
  // Lanes [0, count) of C(r, v·L...) = alpha·acc + beta·C (+ bias, ReLU when fused); count is
  // L (a literal, so the masks fold away) but at a tile's right edge.
  const auto store = [&](int r, int v, reg sum, index_t count) {
    const bool whole = count >= L;
    const auto load = [&](const T* p) { return whole ? S::load(p) : S::load_first(p, count); };
    T* dst = c_tile + r * rs_c + v * L;
    const reg scaled = S::mul(alpha_v, sum);
    reg result = beta == T(0) ? scaled : S::fma(beta_v, load(dst), scaled);
    if (epilogue.fused && epilogue.bias) result = S::add(result, load(epilogue.bias + v * L));
    // max(0, x): x when x is NaN, as ReluAct (x < 0 ? 0 : x)
    if (epilogue.fused && epilogue.relu) result = S::max(S::zero(), result);
    if (whole) {
      S::store(dst, result);
    } else {
      S::store_first(dst, result, count);
    }
  };
  if (cs_c == 1 && rows == MR && cols == NR) {  // a full tile with contiguous rows
    FASTMLP_UNROLL_FULLY
    for (int r = 0; r < MR; ++r) {
      FASTMLP_UNROLL_FULLY
      for (int v = 0; v < NV; ++v) store(r, v, acc[r][v], L);
    }
    return epilogue.fused;
  }
  if (cs_c == 1) {  // an edge tile: rows past `rows` skipped, the last vector of a row masked
    FASTMLP_UNROLL_FULLY
    for (int r = 0; r < MR; ++r) {
      if (r >= rows) break;
      FASTMLP_UNROLL_FULLY
      for (int v = 0; v < NV; ++v) {
        if (v * L < cols) store(r, v, acc[r][v], smaller(L, cols - v * L));
      }
    }
    return epilogue.fused;
  }
  alignas(64) T tile[MR * NR];  // a transposed tile (C's columns contiguous): through a buffer
  FASTMLP_UNROLL_FULLY
  for (int r = 0; r < MR; ++r) {
    FASTMLP_UNROLL_FULLY
    for (int v = 0; v < NV; ++v) S::store(tile + r * NR + v * L, S::mul(alpha_v, acc[r][v]));
  }
  for (index_t col = 0; col < cols; ++col) {  // inner loop along C's contiguous direction
    for (index_t r = 0; r < rows; ++r) {
      T& dst = c_tile[r * rs_c + col * cs_c];
      dst = beta == T(0) ? tile[r * NR + col] : tile[r * NR + col] + beta * dst;
    }
  }
  return false;
}

// f(std::integral_constant<int, NV>) for 1 ≤ vectors ≤ 8.
template <class F>
void with_vector_count(index_t vectors, const F& f) {
  switch (vectors) {
    case 1: return f(std::integral_constant<int, 1>{});
    case 2: return f(std::integral_constant<int, 2>{});
    case 3: return f(std::integral_constant<int, 3>{});
    case 4: return f(std::integral_constant<int, 4>{});
    case 5: return f(std::integral_constant<int, 5>{});
    case 6: return f(std::integral_constant<int, 6>{});
    case 7: return f(std::integral_constant<int, 7>{});
    default: return f(std::integral_constant<int, 8>{});
  }
}

// A right edge of the computed matrix at most half as wide as EdgeSimd<T> (the 4 columns past
// 96 of a 100-wide layer) where op(A)'s columns are contiguous (deltaᵀ of a weight gradient),
// computed transposed: each of its JC columns a sum of vectors down the rows, broadcasting
// op(B)'s values. The edge register tile leaves half its lanes empty there, and its 10
// broadcasts of A for 10 FMAs hold it to its loads. Zen 4, one thread: the last 4 columns of
// a (100×250)·(250×100) weight gradient took 4.5 µs in tiles, 2.8 transposed; an edge of 8
// (full 256-bit vectors, (100×250)·(250×40)) ran no faster transposed (4.6 against 4.9 µs).
// The sums are the tile's term for term (from +0, p ascending, an FMA each) and the write-back
// its alpha·sum + beta·C in an FMA, so the results are bitwise the same.
// Rows [0, rows) of op(A) at a + i + p·a_cs; op(B) a sliver of b_rs columns (JC read, those
// past `cols` zero); C(i, j) at c[i·rs_c + j·cs_c].
template <int JC, class T>
void transposed_edge(index_t kc, const T* a, index_t a_cs, const T* b, index_t b_rs, T alpha,
                     T beta, T* c, index_t rs_c, index_t cs_c, index_t rows, index_t cols) {
  using S = Simd<T>;
  constexpr index_t L = S::lanes;
  // JC sums of as many vectors: 24 registers (with_vector_count goes up to 8)
  constexpr index_t group_vectors = 24 / JC < 8 ? 24 / JC : 8;
  const index_t vectors = ceil_div(rows, L);
  const index_t groups = ceil_div(vectors, group_vectors);
  for (index_t group = 0; group < groups; ++group) {  // groups of as even a size as can be
    const index_t v0 = group * vectors / groups;
    with_vector_count((group + 1) * vectors / groups - v0, [&](auto nv) {
      constexpr int NV = decltype(nv)::value;
      const index_t i0 = v0 * L;
      typename S::reg acc[JC][NV];
      FASTMLP_UNROLL_FULLY
      for (int j = 0; j < JC; ++j) {
        FASTMLP_UNROLL_FULLY
        for (int v = 0; v < NV; ++v) acc[j][v] = S::zero();
      }
      for (index_t p = 0; p < kc; ++p) {
        const T* column = a + i0 + p * a_cs;
        typename S::reg av[NV];
        FASTMLP_UNROLL_FULLY
        for (int v = 0; v < NV; ++v) av[v] = load_part<S>(column + v * L, rows - i0 - v * L);
        FASTMLP_UNROLL_FULLY
        for (int j = 0; j < JC; ++j) {
          const typename S::reg bv = S::broadcast(b[p * b_rs + j]);
          FASTMLP_UNROLL_FULLY
          for (int v = 0; v < NV; ++v) acc[j][v] = S::fma(bv, av[v], acc[j][v]);
        }
      }
      alignas(64) T sums[JC][NV * L];
      FASTMLP_UNROLL_FULLY
      for (int j = 0; j < JC; ++j) {
        FASTMLP_UNROLL_FULLY
        for (int v = 0; v < NV; ++v)
          S::store(sums[j] + v * L, S::mul(S::broadcast(alpha), acc[j][v]));
      }
      const index_t group_rows = smaller(NV * L, rows - i0);
      for (index_t i = 0; i < group_rows; ++i) {
        for (index_t j = 0; j < cols; ++j) {
          T& dst = c[(i0 + i) * rs_c + j * cs_c];
          dst = beta == T(0) ? sums[j][i] : std::fma(beta, dst, sums[j][i]);
        }
      }
    });
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
        for (index_t j = j0; j < j0 + cols; ++j)
          row[j] = act.value(row[j] + g.bias[j], g.activation_param);
      } else {
        for (index_t j = j0; j < j0 + cols; ++j) row[j] = act.value(row[j], g.activation_param);
      }
    }
  });
}

// C = 0 + beta·C (C not read when beta == 0): the whole product when k == 0 or alpha == 0.
// The product's empty sum is +0, added as a sum of terms would be: a -0 in C becomes +0, as
// adding a separately computed zero product does.
template <class T>
void scale_c(const GemmArgs<T>& g) {
  for (index_t i = 0; i < g.m; ++i) {
    T* row = g.c + i * g.ldc;
    for (index_t j = 0; j < g.n; ++j) row[j] = g.beta == T(0) ? T(0) : T(0) + g.beta * row[j];
  }
}

// Up to about this many multiply-adds (a 1-3-1 net's layers on 50 points: 150), a plain
// loop beats the tiled path, whose set-up (workspace, packing, a tile per MR rows) then
// costs more than the arithmetic: measured when tiles had 6 rows and edges went through a
// buffer (2026-11-25), a 1-3-1 training step took 1.95 µs through register tiles, 1.33 µs with
// plain loops (and 1.9 µs with four partial sums for every element: the k ≤ 3 of most of
// its products does not pay for their set-up; only long sums take them, see
// plain_loop_gemm).
constexpr double max_plain_loop_fmas = 1024;

// From this many terms on, the plain loop sums in four interleaved partial sums (below, the
// k ≤ 3 of a tiny net's other products).
constexpr index_t plain_loop_long_sum = 16;

// C = act(alpha·op(A)·op(B) + beta·C + bias) element by element, p ascending (C not read
// when beta == 0), the epilogue applied as each element is written. From plain_loop_long_sum
// terms on (a weight gradient over a 50-point batch), in four interleaved sums: one chain of
// k dependent adds took 211–238 ns for (1×50)·(50×3), four 128–151 ns.
template <class T>
void plain_loop_gemm(const GemmArgs<T>& g, MatrixView<T> a, MatrixView<T> b) {
  // Copies, not g's fields: a store to C (a T*) may alias g.alpha, g.beta and
  // g.activation_param (Ts) as far as the compiler knows, and it reloaded them after every
  // element.
  const T alpha = g.alpha, beta = g.beta, param = g.activation_param;
  const T* const bias = g.bias;
  const index_t m = g.m, n = g.n, k = g.k;

  const auto loop = [&](auto act, auto reads_c, auto one_term) {
    for (index_t i = 0; i < m; ++i) {
      T* row = g.c + i * g.ldc;
      const T* a_row = a.at(i, 0);
      for (index_t j = 0; j < n; ++j) {
        const T* b_column = b.at(0, j);
        T sum = a_row[0] * b_column[0];
        if constexpr (!decltype(one_term)::value) {
          index_t p = 1;
          // four sums in flight, not one chain of k adder latencies
          if (k >= plain_loop_long_sum) {
            T partial[4] = {sum, T(0), T(0), T(0)};
            for (; p + 4 <= k; p += 4) {
              for (int u = 0; u < 4; ++u)
                partial[u] += a_row[(p + u) * a.cs] * b_column[(p + u) * b.rs];
            }
            sum = (partial[0] + partial[1]) + (partial[2] + partial[3]);
          }
          for (; p < k; ++p) sum += a_row[p * a.cs] * b_column[p * b.rs];
        }
        T value = alpha * sum;
        if constexpr (decltype(reads_c)::value) value += beta * row[j];
        if (bias != nullptr) value += bias[j];
        row[j] = act.value(value, param);
      }
    }
  };
  // k == 1 (a net with one input, and the input gradient of one with one output): each row
  // of C a scaled row of B, in vectors when B's row is contiguous and the epilogue has a
  // vector form. Element by element, the 1→3 layer and its input gradient took a third of
  // a 1-3-1 step's plain-loop time (perf: ~8 cycles an element).
  const bool relu = g.activation == Activation::relu;
  if (k == 1 && beta == T(0) && b.cs == 1 && (relu || g.activation == Activation::identity)) {
    using S = Simd<T>;
    constexpr index_t L = S::lanes;
    const typename S::reg alpha_v = S::broadcast(alpha);
    // A vector of B's row (and of the bias) loaded once and taken down all the rows, in
    // locals: `loop` holds a and b by reference, and a masked store (to a void*, as far as the
    // compiler knows) might change them. Row by row, reloading them, a 50×10 layer took ~5
    // cycles a row.
    const T *const a_column = a.p, *const b_row = b.p;
    const index_t a_rs = a.rs, ldc = g.ldc;
    for (index_t j = 0; j < n; j += L) {
      const index_t cols = smaller(L, n - j);
      const typename S::reg b_v = S::load_first(b_row + j, cols);
      const typename S::reg bias_v = bias != nullptr ? S::load_first(bias + j, cols) : S::zero();
      T* const c = g.c + j;
      for (index_t i = 0; i < m; ++i) {
        const typename S::reg a_v = S::broadcast(a_column[i * a_rs]);
        typename S::reg value = S::mul(alpha_v, S::mul(a_v, b_v));
        if (bias != nullptr) value = S::add(value, bias_v);
        if (relu) value = S::max(S::zero(), value);  // NaN kept, as ReluAct
        S::store_first(c + i * ldc, value, cols);
      }
    }
    return;
  }
  // beta == 0 tested once, not per element; so is k == 1 (a 1-3-1 step ran 2.1 -> 1.7 µs
  // without the loop over p there). k ≥ 1: gemm handles k == 0 by scale_c.
  with_activation(g.activation, [&](auto act) {
    if (beta != T(0)) {
      loop(act, std::true_type{}, std::false_type{});
    } else if (k == 1) {
      loop(act, std::false_type{}, std::true_type{});
    } else {
      loop(act, std::false_type{}, std::false_type{});
    }
  });
}

// y(j) = alpha·Σ_p x(p)·B(p, j) + beta·y(j) for a (k, n) matrix B with contiguous rows:
// rows of B scaled and added, vectorized along j, four vectors at a time (the last one
// masked), each sum in a register. y(j) is at y[j*inc_y].
template <class T>
void vector_times_rows(index_t k, T alpha, const T* x, index_t inc_x, MatrixView<T> b, T beta, T* y,
                       index_t inc_y, index_t j0, index_t j1) {
  using S = Simd<T>;
  constexpr index_t L = S::lanes, chunk = 4 * L;
  alignas(64) T sums[chunk];
  for (index_t jc = j0; jc < j1; jc += chunk) {
    const index_t width = smaller(chunk, j1 - jc);
    typename S::reg acc[4] = {S::zero(), S::zero(), S::zero(), S::zero()};
    if (width <= L) {
      // One vector of y: its four sums take alternate terms (p mod 4), four chains of k/4
      // FMA latencies instead of one of k. A 1-3-1 net's weight gradients (1×50)·(50×3) and
      // (3×50)·(50×1) were 19 % of its training step as one chain.
      const auto add_term = [&](index_t p, typename S::reg& sum) {
        sum = S::fma(S::broadcast(x[p * inc_x]), S::load_first(b.at(p, jc), width), sum);
      };
      index_t p = 0;
      for (; p + 4 <= k; p += 4) {
        FASTMLP_UNROLL_FULLY
        for (int u = 0; u < 4; ++u) add_term(p + u, acc[u]);
      }
      for (; p < k; ++p) add_term(p, acc[0]);
      acc[0] = S::add(S::add(acc[0], acc[1]), S::add(acc[2], acc[3]));
    } else {
      for (index_t p = 0; p < k; ++p) {
        const typename S::reg xv = S::broadcast(x[p * inc_x]);
        const T* row = b.at(p, jc);
        FASTMLP_UNROLL_FULLY
        for (int v = 0; v < 4; ++v) {  // whole vectors, then one masked, then none
          const index_t left = width - v * L;
          if (left > 0) acc[v] = S::fma(xv, load_part<S>(row + v * L, left), acc[v]);
        }
      }
    }
    for (int v = 0; v < 4; ++v) S::store(sums + v * L, acc[v]);
    for (index_t j = 0; j < width; ++j) {
      T& dst = y[(jc + j) * inc_y];
      dst = beta == T(0) ? alpha * sums[j] : alpha * sums[j] + beta * dst;
    }
  }
}

// One row of C times op(B) with rows of B contiguous along n: returns false (nothing done)
// when they are not.
template <class T>
bool vector_times_matrix(index_t k, index_t n, T alpha, MatrixView<T> x, MatrixView<T> b, T beta,
                         T* y, index_t inc_y) {
  if (b.cs != 1) return false;
  const int threads = threads_for(2.0 * double(k) * double(n), min_flops_per_thread);
  parallel_ranges(threads, n, 4 * Simd<T>::lanes, [&](index_t j0, index_t j1) {
    vector_times_rows(k, alpha, x.p, x.cs, b, beta, y, inc_y, j0, j1);
  });
  return true;
}

// C(i0 + r, j0 + c) = alpha·dot(A(i0 + r, :), B(:, j0 + c)) + beta·C(...) for r < R and
// c < cols ≤ C, with rows of A and columns of B contiguous along k (x·Wᵀ with W (n, k)).
// Vectorized along k; each dot product is reduced once, at the end.
template <int R, int C, class T>
void dot_product_tile(index_t k, const T* a, index_t lda, const T* b, index_t ldb, index_t cols,
                      T alpha, T beta, T* c, index_t ldc) {
  using S = DotSimd<T>;
  constexpr index_t L = S::lanes;
  const T* b_col[C];  // missing columns repeat column 0: no branch in the loop, result dropped
  FASTMLP_UNROLL_FULLY
  for (int col = 0; col < C; ++col) b_col[col] = b + (col < cols ? col : 0) * ldb;
  typename S::reg acc[R][C];
  FASTMLP_UNROLL_FULLY
  for (int r = 0; r < R; ++r) {
    FASTMLP_UNROLL_FULLY
    for (int col = 0; col < C; ++col) acc[r][col] = S::zero();
  }
  const auto accumulate = [&](index_t p, auto load) {
    typename S::reg bv[C];
    FASTMLP_UNROLL_FULLY
    for (int col = 0; col < C; ++col) bv[col] = load(b_col[col] + p);
    FASTMLP_UNROLL_FULLY
    for (int r = 0; r < R; ++r) {
      const typename S::reg av = load(a + r * lda + p);
      FASTMLP_UNROLL_FULLY
      for (int col = 0; col < C; ++col) acc[r][col] = S::fma(av, bv[col], acc[r][col]);
    }
  };
  const index_t k_vec = k / L * L;
  for (index_t p = 0; p < k_vec; p += L) accumulate(p, [](const T* x) { return S::load(x); });
  if (k_vec < k) {  // the last k % L terms, the lanes past k loaded as zeros
    accumulate(k_vec, [&](const T* x) { return S::load_first(x, k - k_vec); });
  }
  alignas(64) T sums[C];
  for (index_t r = 0; r < R; ++r) {
    if constexpr (C == L) {  // all C sums at once (a horizontal sum each was 17 % of the tile)
      S::store(sums, S::transpose_sum(acc[r]));
    } else {
      for (index_t col = 0; col < cols; ++col) sums[col] = S::sum(acc[r][col]);
    }
    for (index_t col = 0; col < cols; ++col) {
      T& dst = c[r * ldc + col];
      dst = beta == T(0) ? alpha * sums[col] : alpha * sums[col] + beta * dst;
    }
  }
}

// The whole product by dot products, in tiles of R rows × C columns of C (fewer at edges).
template <int R, int C, class T>
void dot_product_gemm(const GemmArgs<T>& g, MatrixView<T> a, MatrixView<T> b) {
  const index_t row_groups = ceil_div(g.m, R);
  const int threads =
      threads_for(2.0 * double(g.m) * double(g.n) * double(g.k), min_flops_per_thread);
  parallel_for(threads, row_groups, [&](index_t group) {
    const index_t i = group * R, rows = smaller(R, g.m - i);
    for (index_t j = 0; j < g.n; j += C) {
      const index_t cols = smaller(C, g.n - j);
      const auto tile = [&](auto rows_constant) {
        dot_product_tile<decltype(rows_constant)::value, C>(g.k, a.at(i, 0), a.rs, b.at(0, j), b.cs,
                                                            cols, g.alpha, g.beta,
                                                            g.c + i * g.ldc + j, g.ldc);
      };
      if (rows == R) {
        tile(std::integral_constant<int, R>{});
      } else if (rows == 2) {
        tile(std::integral_constant<int, 2>{});
      } else {
        tile(std::integral_constant<int, 1>{});
      }
    }
    apply_epilogue(g, i, rows, 0, g.n);  // once per strip of rows, while it is in cache
  });
}

// Columns computed for n columns of C: slivers of NR, the last one as wide as
// with_tile_shape makes it.
template <class T>
constexpr index_t padded_width(index_t n) {
  constexpr index_t NR = Blocking<T>::nv * Simd<T>::lanes;
  const auto width = [](auto shape) { return decltype(shape)::width; };
  return n / NR * NR + (n % NR == 0 ? 0 : with_tile_shape<T>(n % NR, width));
}

// Whether the register tile reads MR rows of op(A) in place (it takes either orientation's
// strides) rather than from a packed copy: every whole tile of a row-major A, and of a
// transposed one (dZᵀ of a weight gradient: MR consecutive values at each p) unless its KC
// lines, lda apart, crowd into a few of L1's 64 sets and evict one another before the next
// tile along the row reuses them: a multiple of 256 bytes fills at most 16. Measured:
// (1024×1024)ᵀ·(1024×1024) float32 ran 18.4–19.4 ms in place, 16.5–17.0 ms packed; the
// weight gradients of 63- and 75-output layers over 4,000 rows ran 5–8 % faster in place.
template <class T>
bool a_sliver_in_place(MatrixView<T> a, index_t rows) {
  return rows == Blocking<T>::mr && (a.cs == 1 || a.cs * index_t(sizeof(T)) % 256 != 0);
}

// Whether packing B pays: a packed sliver is contiguous, but is only worth the copy when
// many row tiles reuse it; with up to Blocking<T>::b_in_place_tiles tiles of rows, slivers of
// a row-major B are read in place.
template <class T>
bool b_sliver_in_place(MatrixView<T> b, index_t m, index_t cols) {
  constexpr index_t MR = Blocking<T>::mr, NR = Blocking<T>::nv * Simd<T>::lanes;
  return b.cs == 1 && cols == NR && m <= Blocking<T>::b_in_place_tiles * MR;
}

// Packing op(B) costs about a quarter of a cycle an element while B fits in about half an
// L2 (Zen 4's is 1 MB), a cycle when it streams from farther away: swapped, (4000×10×298)
// packs its 4.8 MB A transposed, and ran 393 µs against 376 on one thread, 241 against 191
// on two.
constexpr double cached_b_bytes = 512 << 10;

// Estimated cycles to compute the (m, n, k) product op(A)·op(B) in this orientation. Whole
// tiles are computed even when partly outside C, at Blocking<T>::fma_lanes_per_cycle; A is
// packed where a_sliver_in_place says so, B where b_sliver_in_place does not read it in
// place, as cheaply in either layout (rows copied, or columns through register transposes;
// see cached_b_bytes); a transposed C is written element by element (and then takes the bias
// and activation in a pass of their own). The per-element costs are rough measurements on
// Zen 4; only their ratios matter. Checked on 132 products of MLP layers (batches of 32 to 256
// rows through widths 10 to 298: forward, weight and input gradients), each timed in both
// orientations: with the orientations chosen before (32 lanes a cycle, packing columns at 1.5
// an element, B read in place costed as packed) they took 1.8 % longer in all than the faster
// of each pair, now 0.2 % (a 10-output layer's weight gradient over 256 rows, 10×100×256, ran
// 8.8 µs swapped and 6.1 µs not); 36 forward products with bias and ReLU, chosen right but one
// (3 %).
template <class T>
double orientation_cost(index_t m, index_t n, index_t k, MatrixView<T> a, MatrixView<T> b,
                        bool c_transposed) {
  constexpr index_t MR = Blocking<T>::mr, NR = Blocking<T>::nv * Simd<T>::lanes;
  const double tiles = double(round_up(m, MR)) * double(padded_width<T>(n)) * double(k);
  const double pack_a = a_sliver_in_place(a, MR) ? 0.0 : double(m) * double(k);
  const index_t packed_columns = b_sliver_in_place(b, m, NR) ? n % NR : n;
  const double packed_bytes = double(k) * double(packed_columns) * sizeof(T);
  const double pack_b = (packed_bytes <= cached_b_bytes ? 0.25 : 1.0) * double(k) * packed_columns;
  const double write_c = c_transposed ? double(m) * double(n) : 0.0;
  return tiles / Blocking<T>::fma_lanes_per_cycle + pack_a + pack_b + write_c;
}

// C = act(alpha·op(A)·op(B) + beta·C + bias) for a C one sliver wide (n ≤ NR) and one k
// block deep (k ≤ KC), small enough for one thread: op(B) packed once, then the register
// tile down the rows with A read in place in either orientation (a zero-padded copy for a
// short last tile). Its tiles are those gemm's blocked path computes when it does not swap
// op(A) and op(B), without that path's set-up (orientation, row blocks, thread team), which
// outweighed the arithmetic of a 1-(10×5)-1 net's (50×10)·(10×10) products: one ran
// 0.71–0.98 µs blocked, 0.27 µs here (one product timed alone, min of 15), and the net's
// training step 11.4 → 6.6 µs.
template <class T>
void one_sliver_gemm(const GemmArgs<T>& g, MatrixView<T> a, MatrixView<T> b) {
  constexpr index_t MR = Blocking<T>::mr, L = Simd<T>::lanes;
  const index_t m = g.m, n = g.n, k = g.k;
  T* const b_packed = static_cast<T*>(thread_workspace(
      sizeof(T) * size_t(Blocking<T>::kc * (Blocking<T>::nv * L + MR)), Workspace::gemm_panels));
  T* const a_edge = b_packed + Blocking<T>::kc * Blocking<T>::nv * L;
  const TileEpilogue<T> in_tile = TileEpilogue<T>::of(g, 0, true);
  with_tile_shape<T>(n, [&](auto shape) {
    using Shape = decltype(shape);
    pack_sliver<Shape::width>(b.p, b.cs, b.rs, n, k, b_packed);
    for (index_t i = 0; i < m; i += MR) {
      const index_t rows = smaller(MR, m - i);
      const bool in_place = rows == MR;
      if (!in_place) pack_sliver<MR>(a.at(i, 0), a.rs, a.cs, rows, k, a_edge);
      const bool applied = register_tile<typename Shape::Vec, Shape::nv>(
          k, in_place ? a.at(i, 0) : a_edge, in_place ? a.rs : 1, in_place ? a.cs : MR, b_packed,
          Shape::width, g.alpha, g.beta, g.c + i * g.ldc, g.ldc, 1, rows, n, in_tile);
      if (!applied) apply_epilogue(g, i, rows, 0, n);
    }
  });
}

}  // namespace fastmlp::FASTMLP_ISA_NAMESPACE

#include "kernels/gemm_sparse.hpp"

namespace fastmlp::FASTMLP_ISA_NAMESPACE {

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
  // x·Wᵀ with a single sample, a handful of outputs, or fewer outputs than a register tile is
  // wide over a long k: dot products waste no lanes on the missing columns but each costs a
  // horizontal sum. Measured on Zen 3 (AVX2, 6-row tiles; 4000 rows, float32): dot products
  // ran 1.3–2.8× faster for 1 or 3 outputs at k ≥ 40 and for 10 or 20 outputs at k ≥ 298;
  // register tiles (a one-vector-wide edge) 1.1–1.4× faster for 10 outputs at k ≤ 100 and 25
  // outputs at k ≤ 298 (which the rule below, drawn at 10 and 20 outputs, gives to dot
  // products: 15 % slower). The narrow tile's trouble there is its 6 FMA chains, too few for
  // two FMA units of latency 4; with AVX-512's 10-row tiles it holds 10, and 4000 rows through
  // a 298→10 layer ran at 43–61 GFLOP/s in register tiles against 26–33 in dot products.
  constexpr index_t NR = Blocking<T>::nv * Simd<T>::lanes;
  constexpr bool narrow_tile_is_latency_bound = Blocking<T>::mr < 8;
  const bool few_columns = (g.n <= 4 && g.k >= DotSimd<T>::lanes) ||
                           (narrow_tile_is_latency_bound && g.n < NR && g.k >= 256);
  const bool dot_products = a.cs == 1 && b.rs == 1 && (g.m == 1 || few_columns);
  // The plain loop's sums are chains as long as k: over two vectors of k, dot products win
  // even below max_plain_loop_fmas (one sample through a 100→10 layer: 1.5 µs by the loop).
  const bool long_dot_products = dot_products && g.k >= 2 * DotSimd<T>::lanes;
  const double fmas = double(g.m) * double(g.n) * double(g.k);
  // A product that no thread count splits: chosen by its size, not by threads_for() == 1
  // (true of every product on one thread), the path, and so the results, are the same for
  // every thread count. One row (m == 1) stays with vector_times_matrix.
  const bool never_threaded = always_one_thread(2 * fmas, min_flops_per_thread);
  const bool one_sliver = g.n <= NR && g.k <= Blocking<T>::kc && g.m > 1 && never_threaded;
  // Even below max_plain_loop_fmas, whole register tiles beat the plain loop's per-element
  // chains and epilogue when k is short: a 1-3-1 net's (50×3)·(3×1) ran 0.52–0.60 µs by the
  // loop, 0.16–0.19 µs in tiles. The loop keeps k == 1 (where it has a vector path for a
  // ReLU or linear layer), fewer rows than a tile and long sums (its four partial sums: a 10×1
  // weight gradient over 50 points ran faster by the loop).
  const bool short_sums_in_tiles =
      one_sliver && g.k > 1 && g.k < plain_loop_long_sum && g.m >= Blocking<T>::mr;
  // One row of C, or one column (a row of Cᵀ = op(B)ᵀ·op(A)ᵀ), over a long sum with the other
  // operand contiguous along it: a vector FMA per term and vector of C, where the plain loop
  // summed each element alone and a register tile would fill one lane in 16. A 1-(10×5)-1
  // net's weight gradients (1×50)·(50×10) and (10×50)·(50×1) took ~0.2 µs each by the loop.
  if (g.k >= plain_loop_long_sum) {
    if (g.m == 1 && vector_times_matrix(g.k, g.n, g.alpha, a, b, g.beta, g.c, 1)) {
      apply_epilogue(g, 0, 1, 0, g.n);
      return;
    }
    if (g.n == 1 && vector_times_matrix(g.k, g.m, g.alpha, b.transposed(), a.transposed(), g.beta,
                                        g.c, g.ldc)) {
      apply_epilogue(g, 0, g.m, 0, 1);
      return;
    }
  }
  if (fmas <= max_plain_loop_fmas && !long_dot_products && !short_sums_in_tiles) {
    plain_loop_gemm(g, a, b);
    return;
  }
  // Short dot products lose to one sliver's tiles: (50×10)·(10×1) ran 0.23–0.31 µs in tiles,
  // 0.77–0.90 µs in dot products of 8 lanes and their horizontal sums.
  if (dot_products && (long_dot_products || !one_sliver)) {
    if (g.m == 1) {  // one sample: more columns per tile, for fewer passes over x
      dot_product_gemm<1, 8>(g, a, b);
    } else {
      dot_product_gemm<3, 4>(g, a, b);
    }
    return;
  }
  // Left for register tiles from here on (but one row, which may go to vector_times_matrix's
  // partial sums): skipping A's zeros keeps their results.
  if constexpr (Blocking<T>::skips_zeros_of_a) {
    if (g.sparse_a && g.m > 1 && sparse_a_gemm(g, b)) return;
  }
  if (one_sliver) {
    one_sliver_gemm(g, a, b);
    return;
  }
  index_t m = g.m, n = g.n, rs_c = g.ldc, cs_c = 1;
  // Cᵀ = op(B)ᵀ·op(A)ᵀ may be cheaper: a layer with 10 outputs fills 10 rows of Cᵀ in 2 tiles
  // of 6 rows (83 %) where 10 columns of C fill one 16-wide tile (63 %).
  const bool swap = orientation_cost(n, m, g.k, b.transposed(), a.transposed(), true) <
                    orientation_cost(m, n, g.k, a, b, false);
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

  if (m == 1 && vector_times_matrix(g.k, n, g.alpha, a, b, g.beta, g.c, cs_c)) {
    epilogue(0, 1, 0, n);
    return;
  }

  using B = Blocking<T>;
  constexpr index_t MR = B::mr;
  const index_t k = g.k;
  const int threads = threads_for(2.0 * double(m) * double(n) * double(k), min_flops_per_thread);
  // Row blocks of about MC rows, as many for each thread, in whole tiles of MR rows (so the
  // tiles, and hence the results, do not change with the thread count): block b holds tiles
  // [b·tiles/row_blocks, (b+1)·tiles/row_blocks), sizes differing by at most one tile.
  // (Blocks of one size, a multiple of MR, could not always come out even: 4,000 rows made
  // 29 blocks of 140, one thread 15 and the other 14.)
  const index_t tiles = ceil_div(m, MR);
  const index_t row_blocks = smaller(tiles, round_up(ceil_div(m, B::mc), threads));
  const auto block_start = [&](index_t block) {
    return smaller(m, block * tiles / row_blocks * MR);
  };
  const index_t mc = ceil_div(tiles, row_blocks) * MR;  // the most rows in a block
  // Fewer row blocks than threads (the weight gradient of a 10-output layer has 10 rows:
  // one block) and threads split each block's columns too, in whole slivers: the tiles, and
  // hence the results, stay the same. Where A is packed, each part packs its own copy.
  const index_t column_parts = row_blocks < threads ? ceil_div(threads, row_blocks) : 1;
  const index_t work_items = row_blocks * column_parts;
  const index_t NC = B::nc();  // columns in a panel
  const index_t kc_max = smaller(B::kc, k);
  const index_t nc_max = round_up(smaller(NC, n), NR);
  const index_t a_block_size = mc * kc_max;  // each thread's packed A, where not in place
  // op(B) packed whole when it fits the budget: then the threads pack it together, meet at
  // one barrier, and compute their row blocks without another. Otherwise one KC×NC panel at
  // a time, with a barrier per panel: on a busy machine every barrier waits for a thread the
  // OS has descheduled, so fewer is faster (measured: (75×4000)ᵀ·(4000×75) on 2 threads
  // beside another process ran 5 ms with 32 barriers, 1 ms on one thread).
  const index_t jc_blocks = ceil_div(n, NC);
  const bool pack_all =
      threads > 1 && double(jc_blocks * k * nc_max) * sizeof(T) <= whole_b_budget_bytes;
  const index_t b_size = pack_all ? jc_blocks * k * nc_max : kc_max * nc_max;
  T* b_packed = static_cast<T*>(thread_workspace(
      sizeof(T) * size_t(b_size + threads * a_block_size), Workspace::gemm_panels));
  T* a_blocks = b_packed + b_size;
  // Where the packed panel of block (jc, pc) starts: slivers of NR columns, kc rows each.
  const auto panel = [&](index_t jc, index_t pc) {
    return pack_all ? b_packed + (jc / NC) * k * nc_max + pc * nc_max : b_packed;
  };
  // Packs sliver jr of block (jc, pc) unless the register tile reads it in place.
  const auto pack_b = [&](index_t jc, index_t nc, index_t pc, index_t kc, index_t jr) {
    const index_t cols = smaller(NR, nc - jr);
    if (b_sliver_in_place(b, m, cols)) return;
    with_tile_shape<T>(cols, [&](auto shape) {
      pack_sliver<decltype(shape)::width>(b.at(pc, jc + jr), b.cs, b.rs, cols, kc,
                                          panel(jc, pc) + jr * kc);
    });
  };
  // Work item `item` (a row block, or part of one) of block (jc, pc): pack what of A is not
  // read in place, sweep the tiles.
  const auto row_block = [&](index_t item, index_t jc, index_t nc, index_t pc, index_t kc,
                             T* a_block) {
    const index_t block = item / column_parts, part = item % column_parts;
    const index_t ic = block_start(block);
    const index_t slivers = ceil_div(nc, NR);
    const index_t first_sliver = slivers * part / column_parts;
    const index_t tiles_across = slivers * (part + 1) / column_parts - first_sliver;
    if (tiles_across == 0) return;
    const bool last_kc = pc + kc == k;
    const T beta = pc == 0 ? g.beta : T(1);  // later k blocks accumulate onto C
    const index_t rows_in_block = block_start(block + 1) - ic;
    for (index_t ir = 0; ir < rows_in_block; ir += MR) {
      const index_t rows = smaller(MR, rows_in_block - ir);
      if (!a_sliver_in_place(a, rows)) {
        pack_sliver<MR>(a.at(ic + ir, pc), a.rs, a.cs, rows, kc, a_block + ir * kc);
      }
    }
    // Sweep tiles along C's contiguous direction: consecutive tiles then write consecutive
    // cache lines, which the hardware prefetcher streams in ahead.
    const index_t tiles_down = ceil_div(rows_in_block, MR);
    const T* b_panel = panel(jc, pc);
    // C's narrow last sliver, where op(A)'s columns are contiguous, by transposed_edge
    const index_t last_jr = (first_sliver + tiles_across - 1) * NR, last_cols = nc - last_jr;
    constexpr index_t edge_lanes = EdgeSimd<T>::lanes;
    const bool edge_transposed = edge_lanes < Simd<T>::lanes && last_cols <= edge_lanes / 2 &&
                                 a.rs == 1 && a_sliver_in_place(a, MR);
    const index_t swept = tiles_across - (edge_transposed ? 1 : 0);  // slivers in tiles
    if (edge_transposed) {  // from the sliver pack_b packed edge_lanes wide
      const index_t j = jc + last_jr;
      transposed_edge<edge_lanes / 2>(kc, a.at(ic, pc), a.cs, b_panel + last_jr * kc, edge_lanes,
                                      g.alpha, beta, g.c + ic * rs_c + j * cs_c, rs_c, cs_c,
                                      rows_in_block, last_cols);
      if (last_kc) epilogue(ic, rows_in_block, j, last_cols);
    }
    for (index_t t = 0; t < tiles_down * swept; ++t) {
      const index_t ir = (cs_c == 1 ? t / swept : t % tiles_down) * MR;
      const index_t jr = (first_sliver + (cs_c == 1 ? t % swept : t / tiles_down)) * NR;
      const index_t rows = smaller(MR, rows_in_block - ir), cols = smaller(NR, nc - jr);
      const index_t i = ic + ir, j = jc + jr;
      const bool a_in_place = a_sliver_in_place(a, rows);
      const bool b_in_place = b_sliver_in_place(b, m, cols);
      const TileEpilogue<T> in_tile = TileEpilogue<T>::of(g, j, last_kc && !swap);
      // the shape pack_b packed the sliver in
      const bool applied = with_tile_shape<T>(cols, [&](auto shape) {
        using Shape = decltype(shape);
        return register_tile<typename Shape::Vec, Shape::nv>(
            kc, a_in_place ? a.at(i, pc) : a_block + ir * kc, a_in_place ? a.rs : 1,
            a_in_place ? a.cs : MR, b_in_place ? b.at(pc, j) : b_panel + jr * kc,
            b_in_place ? b.rs : Shape::width, g.alpha, beta, g.c + i * rs_c + j * cs_c, rs_c, cs_c,
            rows, cols, in_tile);
      });
      if (last_kc && !applied) epilogue(i, rows, j, cols);
    }
  };

  parallel_region(threads, [&](const Team& team) {
    T* a_block = a_blocks + team.index * a_block_size;
    if (pack_all) {
      const index_t pc_blocks = ceil_div(k, B::kc), slivers = nc_max / NR;
      team.for_each(jc_blocks * pc_blocks * slivers, [&](index_t s) {
        const index_t jc = s / (pc_blocks * slivers) * NC;
        const index_t pc = s / slivers % pc_blocks * B::kc;
        const index_t jr = s % slivers * NR;
        const index_t nc = smaller(NC, n - jc);
        if (jr < nc) pack_b(jc, nc, pc, smaller(B::kc, k - pc), jr);
      });
      team.for_each(work_items, [&](index_t item) {
        for (index_t jc = 0; jc < n; jc += NC) {
          for (index_t pc = 0; pc < k; pc += B::kc) {
            row_block(item, jc, smaller(NC, n - jc), pc, smaller(B::kc, k - pc), a_block);
          }
        }
      });
      return;
    }
    for (index_t jc = 0; jc < n; jc += NC) {
      const index_t nc = smaller(NC, n - jc);
      for (index_t pc = 0; pc < k; pc += B::kc) {
        const index_t kc = smaller(B::kc, k - pc);
        team.for_each(ceil_div(nc, NR), [&](index_t s) { pack_b(jc, nc, pc, kc, s * NR); });
        team.for_each(work_items, [&](index_t item) { row_block(item, jc, nc, pc, kc, a_block); });
      }
    }
  });
}

}  // namespace fastmlp::FASTMLP_ISA_NAMESPACE
