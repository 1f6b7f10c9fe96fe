// GEMM in plain loops, accumulated in float64: the oracle the tests compare the fast kernels
// against (exposed as fastmlp._core._gemm_reference). Never used for speed.
#pragma once

#include "kernels/kernel_table.hpp"

namespace fastmlp {

template <class T>
void gemm_reference(const GemmArgs<T>& args);

}  // namespace fastmlp
