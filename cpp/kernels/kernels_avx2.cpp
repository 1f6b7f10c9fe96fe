// Every kernel, compiled for AVX2+FMA (CMake gives this file alone -mavx2 -mfma).
#define FASTMLP_ISA_NAMESPACE avx2
#include "kernels/simd_avx2.hpp"
#include "kernels/kernel_table_for_isa.hpp"
