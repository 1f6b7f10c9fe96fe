#include "kernels/gemm_reference.hpp"

namespace fastmlp {

template <class T>
void gemm_reference(const GemmArgs<T>& g) {
  for (index_t i = 0; i < g.m; ++i) {
    for (index_t j = 0; j < g.n; ++j) {
      double sum = 0;
      for (index_t p = 0; p < g.k; ++p) {
        const T a = g.trans_a ? g.a[p * g.lda + i] : g.a[i * g.lda + p];
        const T b = g.trans_b ? g.b[j * g.ldb + p] : g.b[p * g.ldb + j];
        sum += double(a) * double(b);
      }
      T& c = g.c[i * g.ldc + j];
      c = T(double(g.alpha) * sum + (g.beta == T(0) ? 0.0 : double(g.beta) * double(c)));
    }
  }
}

template void gemm_reference<float>(const GemmArgs<float>&);
template void gemm_reference<double>(const GemmArgs<double>&);

}  // namespace fastmlp
