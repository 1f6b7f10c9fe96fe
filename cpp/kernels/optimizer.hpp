// The optimizer updates: one fused pass over the flat parameter buffer per step (the rules
// are in kernel_table.hpp beside SgdStep and AdamStep). Every element is independent, so
// threads split the buffer into ranges and the result does not depend on their number.
// Included only by kernels_<isa>.cpp inside namespace fastmlp::<isa>.
#pragma once

#include <cmath>

#include "kernels/parallel.hpp"
#include "kernels/threads.hpp"

namespace fastmlp::FASTMLP_ISA_NAMESPACE {

// Below this many parameters an update stays on the calling thread.
constexpr double min_parameters_per_thread = 1 << 16;

// body(begin, end) over [0, n) in contiguous ranges, one per thread.
template <class Body>
void update_ranges(index_t n, const Body& body) {
  parallel_ranges(threads_for(double(n), min_parameters_per_thread), n, 1, body);
}

// The rules' constants are copied to locals first: read through `s` inside the loops, they
// could alias the arrays being written, and the compiler would keep the loops scalar.
template <class T>
void sgd_step(const SgdStep<T>& s, index_t n, T* param, const T* grad, T* velocity) {
  const T lr = s.lr, momentum = s.momentum, weight_decay = s.weight_decay;
  const bool nesterov = s.nesterov;
  update_ranges(n, [=](index_t begin, index_t end) {
    if (momentum == T(0)) {
      for (index_t i = begin; i < end; ++i) param[i] -= lr * (grad[i] + weight_decay * param[i]);
      return;
    }
    for (index_t i = begin; i < end; ++i) {
      const T g = grad[i] + weight_decay * param[i];
      velocity[i] = momentum * velocity[i] + g;
      param[i] -= lr * (nesterov ? g + momentum * velocity[i] : velocity[i]);
    }
  });
}

template <class T>
void adam_step(const AdamStep<T>& s, index_t n, T* param, const T* grad, T* moment1, T* moment2) {
  const T step_size = T(double(s.lr) / (1 - std::pow(double(s.beta1), double(s.t))));
  const T inv_sqrt_correction2 = T(1 / std::sqrt(1 - std::pow(double(s.beta2), double(s.t))));
  const T decay = s.decoupled_weight_decay ? T(1) - s.lr * s.weight_decay : T(1);
  const T l2 = s.decoupled_weight_decay ? T(0) : s.weight_decay;
  const T beta1 = s.beta1, beta2 = s.beta2, eps = s.eps;
  update_ranges(n, [=](index_t begin, index_t end) {
    for (index_t i = begin; i < end; ++i) {
      const T p = param[i] * decay;
      const T g = grad[i] + l2 * param[i];
      moment1[i] = beta1 * moment1[i] + (T(1) - beta1) * g;
      moment2[i] = beta2 * moment2[i] + (T(1) - beta2) * g * g;
      param[i] = p - step_size * moment1[i] / (std::sqrt(moment2[i]) * inv_sqrt_correction2 + eps);
    }
  });
}

}  // namespace fastmlp::FASTMLP_ISA_NAMESPACE
