// Every kernel, compiled for portable C++ (SSE2 on x86-64, NEON on aarch64): runs on any CPU.
#define FASTMLP_ISA_NAMESPACE generic
#include "kernels/simd_generic.hpp"
#include "kernels/kernel_table_for_isa.hpp"
