// Dense layers at most one register tile wide (narrow_width: 32 floats or 16 doubles with
// AVX-512, 16 and 8 with AVX2), ReLU or linear, as the course's 1-3-1 and 1-(10×5)-1 nets: a
// training step's forward product, weight and bias gradients and input gradient, each one
// pass over the rows with the bias, ReLU and its derivative applied in registers. Between
// layers, outputs and gradients travel in rows padded to narrow_width, moved in whole
// vectors. Through gemm, each of such a step's products paid gemm's dispatch and packing, and
// ReLU's derivative and the bias gradients took passes of their own: a 1-(10×5)-1 step on 50
// points took 3.68–3.74 µs, here 2.92–3.06 (Zen 4, C++ harness, min of 9–13 runs
// interleaved; 1-3-1 0.69 → 0.49–0.52 µs). What is left is mostly FMAs: a 10-wide row fills
// 10 of a 512-bit vector's 16 lanes.
// The products sum as gemm's register tiles do (terms in order, from zero, in FMAs; the bias
// and ReLU after), but for a weight-gradient row or column summed alone (see
// outer_product_sums).
//
// Included only by kernels_<isa>.cpp inside namespace fastmlp::<isa>, after gemm_blocked.hpp.
#pragma once

#ifndef FASTMLP_ISA_NAMESPACE
#error "include this only from a kernels_<isa>.cpp"
#endif

#include "kernels/gemm_blocked.hpp"
#include "kernels/vector_part.hpp"

namespace fastmlp::FASTMLP_ISA_NAMESPACE {

template <class T>
constexpr index_t narrow_width = Blocking<T>::nv * Simd<T>::lanes;

// `count` values at p in Shape's vectors: whole vectors from a padded row, else masked
// (zeros past count).
template <class Shape, class T>
[[gnu::always_inline]] inline void load_row(const T* p, index_t count, bool padded,
                                            typename Shape::Vec::reg (&row)[Shape::nv]) {
  using S = typename Shape::Vec;
  constexpr index_t L = S::lanes;
  FASTMLP_UNROLL_FULLY
  for (int v = 0; v < Shape::nv; ++v) {
    row[v] = padded ? S::load(p + v * L) : load_part<S>(p + v * L, count - v * L);
  }
}

// The first `count` values of `row` to p: whole vectors into a padded row, else masked.
template <class Shape, class T>
[[gnu::always_inline]] inline void store_row(T* p, index_t count, bool padded,
                                             const typename Shape::Vec::reg (&row)[Shape::nv]) {
  using S = typename Shape::Vec;
  constexpr index_t L = S::lanes;
  FASTMLP_UNROLL_FULLY
  for (int v = 0; v < Shape::nv; ++v) {
    if (padded) {
      S::store(p + v * L, row[v]);
    } else {
      store_part<S>(p + v * L, row[v], count - v * L);
    }
  }
}

// A gradient's row of `count` sums to p, added to what p holds when `accumulate`.
template <class Shape, class T>
[[gnu::always_inline]] inline void store_sums(T* p, index_t count, bool accumulate,
                                              typename Shape::Vec::reg (&row)[Shape::nv]) {
  if (accumulate) {
    typename Shape::Vec::reg held[Shape::nv];
    load_row<Shape>(p, count, false, held);
    FASTMLP_UNROLL_FULLY
    for (int v = 0; v < Shape::nv; ++v) row[v] = Shape::Vec::add(held[v], row[v]);
  }
  store_row<Shape>(p, count, false, row);
}

// The rows [i, i + R) of a matrix with rows ld apart, those past `rows` repeating the last:
// computed on, never stored.
template <int R, class T>
[[gnu::always_inline]] inline void row_pointers(const T* m, index_t ld, index_t i, index_t rows,
                                                const T* (&row)[R]) {
  FASTMLP_UNROLL_FULLY
  for (int r = 0; r < R; ++r) row[r] = m + (i + smaller(r, rows - 1)) * ld;
}

// c[g] = Σ_p s[p·lds + g]·v_p for g < G over the batch's n rows, v_p the row of `width`
// values at v + p·ldv. G sums run as G chains of FMAs, terms in order from zero (as gemm's
// register tile); a single one in four (p mod 4, the last n mod 4 terms in the first),
// since one chain of n FMAs would wait on their latency.
template <class Shape, int G, class T>
[[gnu::always_inline]] inline void outer_product_sums(index_t n, const T* s, index_t lds,
                                                      const T* v, index_t ldv, index_t width,
                                                      bool padded,
                                                      typename Shape::Vec::reg (&c)[G][Shape::nv]) {
  using S = typename Shape::Vec;
  constexpr int chains = G == 1 ? 4 : 1;
  typename S::reg sum[chains][G][Shape::nv];
  FASTMLP_UNROLL_FULLY
  for (int u = 0; u < chains; ++u) {
    FASTMLP_UNROLL_FULLY
    for (int g = 0; g < G; ++g) {
      FASTMLP_UNROLL_FULLY
      for (int w = 0; w < Shape::nv; ++w) sum[u][g][w] = S::zero();
    }
  }
  const auto add_term = [&](index_t p, auto& to) {
    typename S::reg row[Shape::nv];
    load_row<Shape>(v + p * ldv, width, padded, row);
    FASTMLP_UNROLL_FULLY
    for (int g = 0; g < G; ++g) {
      const typename S::reg a = S::broadcast(s[p * lds + g]);
      FASTMLP_UNROLL_FULLY
      for (int w = 0; w < Shape::nv; ++w) to[g][w] = S::fma(a, row[w], to[g][w]);
    }
  };
  index_t p = 0;
  if constexpr (chains > 1) {
    for (; p + chains <= n; p += chains) {
      FASTMLP_UNROLL_FULLY
      for (int u = 0; u < chains; ++u) add_term(p + u, sum[u]);
    }
  }
  for (; p < n; ++p) add_term(p, sum[0]);
  FASTMLP_UNROLL_FULLY
  for (int g = 0; g < G; ++g) {
    FASTMLP_UNROLL_FULLY
    for (int w = 0; w < Shape::nv; ++w) {
      c[g][w] = chains == 1 ? sum[0][g][w]
                            : S::add(S::add(sum[0][g][w], sum[1 % chains][g][w]),
                                     S::add(sum[2 % chains][g][w], sum[3 % chains][g][w]));
    }
  }
}

// f(first, group) over [0, count) in groups of R (group: std::integral_constant<int, R>),
// then single ones.
template <int R, class F>
void for_groups(index_t count, const F& f) {
  index_t first = 0;
  for (; first + R <= count; first += R) f(first, std::integral_constant<int, R>{});
  for (; first < count; ++first) f(first, std::integral_constant<int, 1>{});
}

// f(std::true_type{}) or f(std::false_type{}) as `flag` is: a loop that would test the flag
// for each row is compiled once for each value, without the test. (With the tests, and the
// bias-gradient and weight-gradient sums reading rows padded or not by a flag too, a
// 1-(10×5)-1 step took 3.52 µs, without them 3.00; 1-3-1 0.64 -> 0.49.)
template <class F>
[[gnu::always_inline]] inline void with_flag(bool flag, const F& f) {
  if (flag) {
    f(std::true_type{});
  } else {
    f(std::false_type{});
  }
}

// f(r) for r < rows ≤ R, unrolled (r a constant: f's registers stay registers), without a
// test per row for a whole block of R.
template <int R, class F>
[[gnu::always_inline]] inline void for_rows(index_t rows, const F& f) {
  if (rows == R) {
    FASTMLP_UNROLL_FULLY
    for (int r = 0; r < R; ++r) f(r);
    return;
  }
  FASTMLP_UNROLL_FULLY
  for (int r = 0; r < R; ++r) {
    if (r >= rows) break;
    f(r);
  }
}

// For each block of R rows of A (rows lda apart; the last block may be shorter): c = the
// block's rows times the k packed rows (a register tile), then finish(i, c[r]) for each row i of
// it.
template <class Shape, int R, class T, class Finish>
[[gnu::always_inline]] inline void rows_times_packed(index_t n, const T* a, index_t lda, index_t k,
                                                     const T* packed, const Finish& finish) {
  for (index_t i = 0; i < n; i += R) {
    const index_t rows = smaller(R, n - i);
    const T* a_row[R];
    row_pointers(a, lda, i, rows, a_row);
    typename Shape::Vec::reg c[R][Shape::nv];
    tile_sums<typename Shape::Vec>(
        k, [&](int r, index_t p) { return a_row[r][p]; }, packed, Shape::width, c);
    for_rows<R>(rows, [&](int r) { finish(i + r, c[r]); });
  }
}

template <class T>
void narrow_forward(const NarrowLayer<T>& layer, index_t n, const T* x, index_t ldx, T* y,
                    index_t ldy) {
  constexpr int R = Blocking<T>::mr;
  // Locals, not layer's fields: a store to y (a T*) might change those as far as the compiler
  // knows, and it reloaded them after each row.
  const index_t in = layer.in, out = layer.out;
  const bool relu = layer.relu, padded_y = ldy == narrow_width<T>;
  with_tile_shape<T>(out, [&](auto shape) {
    using Shape = decltype(shape);
    using S = typename Shape::Vec;
    alignas(64) T weight_t[narrow_width<T> * Shape::width];  // row p: W's column p, zero-padded
    pack_sliver<Shape::width>(layer.weight, in, 1, out, in, weight_t);
    typename S::reg bias[Shape::nv];
    load_row<Shape>(layer.bias, out, false, bias);
    const auto rows_of_y = [&](auto with_relu, auto padded) {
      rows_times_packed<Shape, R>(n, x, ldx, in, weight_t, [&](index_t i, auto& y_row) {
        FASTMLP_UNROLL_FULLY
        for (int v = 0; v < Shape::nv; ++v) {
          y_row[v] = S::add(y_row[v], bias[v]);
          // max(0, x): x when x is NaN, as ReluAct (x < 0 ? 0 : x)
          if (with_relu) y_row[v] = S::max(S::zero(), y_row[v]);
        }
        store_row<Shape>(y + i * ldy, out, padded, y_row);
      });
    };
    with_flag(relu, [&](auto with_relu) {
      with_flag(padded_y, [&](auto padded) { rows_of_y(with_relu, padded); });
    });
  });
}

template <class T>
void narrow_backward(const NarrowLayer<T>& layer, index_t n, const T* x, index_t ldx,
                     const T* delta, index_t ld_delta, T* dw, T* db, bool accumulate,
                     bool below_relu, T* dx, index_t ld_dx) {
  constexpr int R = Blocking<T>::mr;
  const index_t in = layer.in, out = layer.out;  // locals, as in narrow_forward
  const bool padded_x = ldx == narrow_width<T>, padded_delta = ld_delta == narrow_width<T>;
  // db: the rows of delta summed, in four partial sums (rows p mod 4, the last n mod 4 in the
  // first) as bias_gradient. (Through outer_product_sums, adding rows in place of its FMAs, a
  // 1-(10×5)-1 step ran 7 % slower: 3.00 -> 3.23 µs, twice.)
  with_tile_shape<T>(out, [&](auto shape) {
    using Shape = decltype(shape);
    using S = typename Shape::Vec;
    typename S::reg partial[4][Shape::nv], row[Shape::nv];
    for (auto& sum : partial) {
      FASTMLP_UNROLL_FULLY
      for (int v = 0; v < Shape::nv; ++v) sum[v] = S::zero();
    }
    with_flag(padded_delta, [&](auto padded) {
      const auto add_row = [&](index_t i, auto& sum) {
        load_row<Shape>(delta + i * ld_delta, out, padded, row);
        FASTMLP_UNROLL_FULLY
        for (int v = 0; v < Shape::nv; ++v) sum[v] = S::add(sum[v], row[v]);
      };
      index_t i = 0;
      for (; i + 4 <= n; i += 4) {
        FASTMLP_UNROLL_FULLY
        for (int u = 0; u < 4; ++u) add_row(i + u, partial[u]);
      }
      for (; i < n; ++i) add_row(i, partial[0]);
    });
    FASTMLP_UNROLL_FULLY
    for (int v = 0; v < Shape::nv; ++v) {
      row[v] = S::add(S::add(partial[0][v], partial[1][v]), S::add(partial[2][v], partial[3][v]));
    }
    store_sums<Shape>(db, out, accumulate, row);
  });
  // dw = deltaᵀ·x as sums over the batch of scalars times rows: rows of dw (scalars from
  // delta, rows of x; gemm's tiles) or, when the layer has fewer inputs than outputs,
  // columns (scalars from x, rows of delta; a 1→10 layer's 10 sums of one lane each
  // become one of 10 lanes).
  if (in < out) {
    with_tile_shape<T>(out, [&](auto shape) {
      using Shape = decltype(shape);
      const auto columns = [&](index_t k, auto group) {
        constexpr int G = decltype(group)::value;
        typename Shape::Vec::reg c[G][Shape::nv];
        with_flag(padded_delta, [&](auto padded) {
          outer_product_sums<Shape>(n, x + k, ldx, delta, ld_delta, out, padded, c);
        });
        for (int g = 0; g < G; ++g) {
          alignas(64) T column[Shape::width];
          store_row<Shape>(column, Shape::width, true, c[g]);
          for (index_t j = 0; j < out; ++j) {
            T& dst = dw[j * in + k + g];
            dst = accumulate ? dst + column[j] : column[j];
          }
        }
      };
      for_groups<R>(in, columns);
    });
  }
  with_tile_shape<T>(in, [&](auto shape) {
    using Shape = decltype(shape);
    using S = typename Shape::Vec;
    if (in >= out) {
      const auto rows = [&](index_t j, auto group) {
        constexpr int G = decltype(group)::value;
        typename S::reg c[G][Shape::nv];
        with_flag(padded_x, [&](auto padded) {
          outer_product_sums<Shape>(n, delta + j, ld_delta, x, ldx, in, padded, c);
        });
        for (int g = 0; g < G; ++g) store_sums<Shape>(dw + (j + g) * in, in, accumulate, c[g]);
      };
      for_groups<R>(out, rows);
    }
    if (dx == nullptr) return;
    // dx = delta·W, R rows at a time, times ReLU's derivative at x.
    alignas(64) T weight[narrow_width<T> * Shape::width];  // W's rows, zero-padded
    pack_sliver<Shape::width>(layer.weight, 1, in, in, out, weight);
    const bool padded_dx = ld_dx == narrow_width<T>;
    const auto rows_of_dx = [&](auto with_relu, auto both_padded) {
      rows_times_packed<Shape, R>(n, delta, ld_delta, out, weight, [&](index_t i, auto& dx_row) {
        if (with_relu) {
          typename S::reg x_row[Shape::nv];
          load_row<Shape>(x + i * ldx, in, both_padded || padded_x, x_row);
          FASTMLP_UNROLL_FULLY
          for (int v = 0; v < Shape::nv; ++v) {
            dx_row[v] = S::mul(dx_row[v], S::relu_derivative(x_row[v]));
          }
        }
        store_row<Shape>(dx + i * ld_dx, in, both_padded || padded_dx, dx_row);
      });
    };
    // A narrow net's hidden rows are padded: the case compiled without tests.
    with_flag(below_relu, [&](auto with_relu) {
      with_flag(padded_x && padded_dx,
                [&](auto both_padded) { rows_of_dx(with_relu, both_padded); });
    });
  });
}

}  // namespace fastmlp::FASTMLP_ISA_NAMESPACE
