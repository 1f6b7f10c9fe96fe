// The table of kernels one ISA provides. dispatch.cpp picks one table at import; every
// caller reaches the kernels through it, so no ISA-specific code runs on a CPU without it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/isa.hpp"

namespace fastmlp {

using index_t = std::ptrdiff_t;

// The lecture's "other activation functions"; `param` is the leaky-ReLU slope or the ELU alpha.
enum class Activation : int {
  identity,
  relu,
  leaky_relu,
  sigmoid,
  tanh,
  elu,
  gelu,       // exact: x·Φ(x)
  gelu_tanh,  // the tanh approximation of GELU
  silu,
  softplus,
};

// C = alpha·op(A)·op(B) + beta·C, then, optionally, C = act(C + bias) (the fused epilogue).
// All matrices are row-major: op(A) is (m, k), op(B) is (k, n), C is (m, n).
// With beta == 0, C is written without being read (it may hold garbage), as in BLAS.
template <class T>
struct GemmArgs {
  bool trans_a = false;  // A is stored (k, m) and used transposed
  bool trans_b = false;  // B is stored (n, k) and used transposed
  index_t m = 0, n = 0, k = 0;
  T alpha = 1;
  const T* a = nullptr;
  index_t lda = 0;
  const T* b = nullptr;
  index_t ldb = 0;
  T beta = 0;
  T* c = nullptr;
  index_t ldc = 0;
  const T* bias = nullptr;  // (n,) or nullptr
  Activation activation = Activation::identity;
  T activation_param = 0;
  // A may hold many exact zeros (a ReLU layer's output, or the gradient back through one):
  // gemm may then sum only the nonzero terms, bitwise the same results for beta 0 or 1
  // (gemm_sparse.hpp).
  bool sparse_a = false;
};

// SGD as torch.optim.SGD (dampening 0): g = grad + weight_decay·param; with momentum,
// velocity = momentum·velocity + g and g = velocity (Nesterov: g + momentum·velocity);
// param −= lr·g. velocity starts at zero.
template <class T>
struct SgdStep {
  T lr = 0, momentum = 0, weight_decay = 0;
  bool nesterov = false;
};

// Adam as torch.optim.Adam, and AdamW when `decoupled_weight_decay`: step t ≥ 1,
// m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g², param −= lr/(1−β1^t) · m/(√v/√(1−β2^t) + ε),
// with g = grad + weight_decay·param (Adam) or param ·= 1 − lr·weight_decay first (AdamW).
template <class T>
struct AdamStep {
  T lr = 0, beta1 = 0, beta2 = 0, eps = 0, weight_decay = 0;
  bool decoupled_weight_decay = false;
  long long t = 1;
};

// A dense layer at most TypedKernels::narrow_width wide, inputs and outputs (a 1-3-1 or
// 1-(10×5)-1 net's), for narrow_forward and narrow_backward.
template <class T>
struct NarrowLayer {
  index_t in = 0, out = 0;
  const T* weight = nullptr;  // (out, in)
  const T* bias = nullptr;    // (out,)
  bool relu = false;          // ReLU after the bias, else linear
};

template <class T>
struct TypedKernels {
  void (*gemm)(const GemmArgs<T>& args);
  // y = act(x), elementwise over n values; y may alias x.
  void (*activation_forward)(Activation kind, T param, index_t n, const T* x, T* y);
  // dx = dy · act'(x), elementwise; dx may alias dy.
  void (*activation_backward)(Activation kind, T param, index_t n, const T* x, const T* dy, T* dx);
  // The losses sum a per-row loss times `scale` (times row_weight[i] when row_weight is not
  // null: sample weights) and write its gradient, scaled the same way, in the same pass.
  // Squared error: Σ (pred − target)², dpred = 2·(pred − target).
  double (*least_squares)(index_t m, index_t n, const T* pred, const T* target, const T* row_weight,
                          T* dpred, double scale);
  // Softmax cross-entropy of (m, n) logits against labels in [0, n), dlogits =
  // softmax(logits) − onehot(labels). Labels must be validated first.
  double (*softmax_cross_entropy)(index_t m, index_t n, const T* logits, const int64_t* labels,
                                  const T* row_weight, T* dlogits, double scale);
  // Binary cross-entropy of sigmoid(logits) against targets in [0, 1], elementwise over
  // (m, n) (multi-label), dlogits = sigmoid(logits) − target.
  double (*sigmoid_binary_cross_entropy)(index_t m, index_t n, const T* logits, const T* target,
                                         const T* row_weight, T* dlogits, double scale);
  // Poisson with a log link, elementwise over (m, n): the outputs are log rates, targets
  // counts ≥ 0; the half Poisson deviance t·log(t / e^z) − t + e^z (scikit-learn's
  // poisson_loss), dlog_rate = e^z − t.
  double (*poisson_log_link)(index_t m, index_t n, const T* log_rate, const T* target,
                             const T* row_weight, T* dlog_rate, double scale);
  // db[j] = Σ_i dy[i, j] for dy of shape (m, n): the bias gradient. With `accumulate`, every
  // gradient kernel here adds each finished sum to what its output holds (the bits of adding a
  // separately computed gradient) instead of writing it.
  void (*bias_gradient)(index_t m, index_t n, const T* dy, T* db, bool accumulate);
  // A dense layer's gradients over `rows` samples: dw (out, in) = deltaᵀ·input and db (out,)
  // = column sums of delta, for delta (rows, out) and input (rows, in).
  void (*weight_gradient)(index_t rows, index_t out, index_t in, const T* delta, const T* input,
                          T* dw, T* db, bool accumulate);
  // The L2 penalty's gradient and value: dw[i] += l2·w[i] over n weights; returns Σ w[i]².
  double (*l2_penalty)(index_t n, T l2, const T* w, T* dw);
  // One fused optimizer step over n parameters (see optimizer.hpp for the exact rules).
  void (*sgd_step)(const SgdStep<T>& step, index_t n, T* param, const T* grad, T* velocity);
  void (*adam_step)(const AdamStep<T>& step, index_t n, T* param, const T* grad, T* moment1,
                    T* moment2);
  // A narrow layer's training step, each product one pass over the rows with the bias, ReLU
  // and its derivative applied in registers (see narrow_layer.hpp): y (n, out) = act(x·Wᵀ +
  // b); then dw = deltaᵀ·x, db = column sums of delta (added, with accumulate) and, when dx is
  // not null, dx = delta·W, times ReLU's derivative at x when below_relu (x the output of a
  // ReLU layer). Rows are ld… apart; rows narrow_width apart are padded: read and written in
  // whole vectors, the values past a row's width scratch.
  index_t narrow_width;
  void (*narrow_forward)(const NarrowLayer<T>& layer, index_t n, const T* x, index_t ldx, T* y,
                         index_t ldy);
  void (*narrow_backward)(const NarrowLayer<T>& layer, index_t n, const T* x, index_t ldx,
                          const T* delta, index_t ld_delta, T* dw, T* db, bool accumulate,
                          bool below_relu, T* dx, index_t ld_dx);
};

struct KernelTable {
  Isa isa;
  TypedKernels<float> f32;
  TypedKernels<double> f64;

  template <class T>
  const TypedKernels<T>& typed() const;
};

template <>
inline const TypedKernels<float>& KernelTable::typed<float>() const {
  return f32;
}
template <>
inline const TypedKernels<double>& KernelTable::typed<double>() const {
  return f64;
}

// One table per ISA, each defined in kernels_<isa>.cpp (compiled with that ISA's flags).
namespace generic {
const KernelTable& kernel_table();
}
namespace avx2 {
const KernelTable& kernel_table();
}
namespace avx512 {
const KernelTable& kernel_table();
}

}  // namespace fastmlp
