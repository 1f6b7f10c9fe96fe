// Defines fastmlp::<isa>::kernel_table() from the kernel templates. Included once, at the
// end of kernels_<isa>.cpp, so that every kernel is instantiated with that file's ISA flags.
#pragma once

#ifndef FASTMLP_ISA_NAMESPACE
#error "include this only from a kernels_<isa>.cpp"
#endif

#include "kernels/elementwise.hpp"
#include "kernels/gemm_blocked.hpp"
#include "kernels/narrow_layer.hpp"
#include "kernels/optimizer.hpp"
#include "kernels/weight_gradient.hpp"

namespace fastmlp::FASTMLP_ISA_NAMESPACE {

template <class T>
constexpr TypedKernels<T> typed_kernels() {
  return {&gemm<T>,
          &activation_forward<T>,
          &activation_backward<T>,
          &least_squares<T>,
          &softmax_cross_entropy<T>,
          &sigmoid_binary_cross_entropy<T>,
          &poisson_log_link<T>,
          &bias_gradient<T>,
          &weight_gradient<T>,
          &l2_penalty<T>,
          &sgd_step<T>,
          &adam_step<T>,
          narrow_width<T>,
          &narrow_forward<T>,
          &narrow_backward<T>};
}

const KernelTable& kernel_table() {
  static const KernelTable table{this_isa, typed_kernels<float>(), typed_kernels<double>()};
  return table;
}

}  // namespace fastmlp::FASTMLP_ISA_NAMESPACE
