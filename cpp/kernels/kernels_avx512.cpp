// Every kernel, compiled for AVX-512F (CMake gives this file alone -mavx512f).
#define FASTMLP_ISA_NAMESPACE avx512
#include "kernels/simd_avx512.hpp"
#include "kernels/kernel_table_for_isa.hpp"
